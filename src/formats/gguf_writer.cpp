#include "formats/gguf_writer.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <set>

#include "core/error.h"
#include "formats/gguf.h"

namespace prism::formats {

namespace {

void check_value(const GgufValue& v, const std::string& key, int depth) {
  if (v.type() != GgufType::ARRAY) return;
  if (depth + 1 >= kGgufMaxArrayNesting) throw Error("gguf writer: key '" + key + "': arrays nested too deeply");
  for (const auto& item : v.as_array()) {
    if (item.type() != v.elem_type())
      throw Error("gguf writer: key '" + key + "': array of " + std::string(gguf_type_name(v.elem_type())) +
                  " holds a " + std::string(gguf_type_name(item.type())));
    check_value(item, key, depth + 1);
  }
}

// Appends little-endian encodings to a byte buffer (the header is small).
struct Buffer {
  std::vector<char> bytes;

  template <typename T>
  void put(T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    bytes.insert(bytes.end(), b, b + sizeof(T));
  }
  void put_string(const std::string& s) {
    put<std::uint64_t>(s.size());
    bytes.insert(bytes.end(), s.begin(), s.end());
  }
  void put_value(const GgufValue& v) {
    switch (v.type()) {
      case GgufType::U8: return put(static_cast<std::uint8_t>(v.as_u64()));
      case GgufType::I8: return put(static_cast<std::int8_t>(v.as_i64()));
      case GgufType::U16: return put(static_cast<std::uint16_t>(v.as_u64()));
      case GgufType::I16: return put(static_cast<std::int16_t>(v.as_i64()));
      case GgufType::U32: return put(static_cast<std::uint32_t>(v.as_u64()));
      case GgufType::I32: return put(static_cast<std::int32_t>(v.as_i64()));
      case GgufType::U64: return put(v.as_u64());
      case GgufType::I64: return put(v.as_i64());
      case GgufType::F32: return put(static_cast<float>(v.as_f64()));
      case GgufType::F64: return put(v.as_f64());
      case GgufType::BOOL: return put(static_cast<std::uint8_t>(v.as_bool() ? 1 : 0));
      case GgufType::STRING: return put_string(v.as_string());
      case GgufType::ARRAY:
        put(static_cast<std::uint32_t>(v.elem_type()));
        put<std::uint64_t>(v.as_array().size());
        for (const auto& item : v.as_array()) put_value(item);
        return;
    }
  }
};

std::uint64_t pad_to(std::uint64_t n, std::uint64_t align) { return (n + align - 1) / align * align; }

class OutFile {
 public:
  explicit OutFile(const std::filesystem::path& p) : path_(p), f_(std::fopen(p.c_str(), "wb")) {
    if (!f_) throw Error(p.string() + ": cannot create: " + std::strerror(errno));
  }
  ~OutFile() {
    if (f_) std::fclose(f_);
  }
  void write(const void* data, std::size_t n) {
    if (n && std::fwrite(data, 1, n, f_) != n) throw Error(path_.string() + ": write failed: " + std::strerror(errno));
  }
  void zeros(std::size_t n) {
    static const char z[64] = {};
    while (n) {
      const std::size_t k = std::min(n, sizeof z);
      write(z, k);
      n -= k;
    }
  }
  void close() {
    const bool ok = std::fflush(f_) == 0 && std::fclose(f_) == 0;
    f_ = nullptr;
    if (!ok) throw Error(path_.string() + ": write failed: " + std::strerror(errno));
  }

 private:
  std::filesystem::path path_;
  std::FILE* f_;
};

}  // namespace

GgufWriter::GgufWriter(std::uint32_t alignment) : alignment_(alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0)
    throw Error("gguf writer: alignment " + std::to_string(alignment) + " is not a power of two");
  if (alignment != kGgufDefaultAlignment) set_u32("general.alignment", alignment);
}

void GgufWriter::set(const std::string& key, GgufValue value) {
  if (key.empty()) throw Error("gguf writer: empty metadata key");
  check_value(value, key, 0);
  if (key == "general.alignment" && (value.type() != GgufType::U32 || value.as_u64() != alignment_))
    throw Error("gguf writer: general.alignment is set by the constructor");
  for (auto& [k, v] : kv_)
    if (k == key) {
      v = std::move(value);
      return;
    }
  kv_.emplace_back(key, std::move(value));
}

void GgufWriter::add(Tensor t) {
  const std::string ctx = "gguf writer: tensor '" + t.name + "'";
  if (t.name.empty() || t.name.size() > kGgufMaxNameBytes)
    throw Error(ctx + ": name must be 1 to " + std::to_string(kGgufMaxNameBytes) + " bytes");
  for (const auto& o : tensors_)
    if (o.name == t.name) throw Error(ctx + ": added twice");
  if (t.shape.empty() || t.shape.size() > static_cast<std::size_t>(kGgufMaxDims))
    throw Error(ctx + ": needs 1 to 4 dimensions");
  std::int64_t rows = 1;
  for (std::size_t i = 0; i + 1 < t.shape.size(); ++i) {
    if (t.shape[i] <= 0 || __builtin_mul_overflow(rows, t.shape[i], &rows))
      throw Error(ctx + ": dimensions must be positive and their product must fit in 64 bits");
  }
  if (t.shape.back() <= 0) throw Error(ctx + ": dimensions must be positive");
  if (!ggml_type_traits(static_cast<std::uint32_t>(t.type))) throw Error(ctx + ": unknown ggml type");
  const auto tr = ggml_traits(t.type);
  if (t.shape.back() % tr.block_size != 0)
    throw Error(ctx + ": row length " + std::to_string(t.shape.back()) + " is not a multiple of the " +
                std::string(tr.name) + " block size " + std::to_string(tr.block_size));
  t.nbytes = static_cast<std::size_t>(rows) * ggml_row_bytes(t.type, t.shape.back());
  if (!t.produce && t.data.size() != t.nbytes)
    throw Error(ctx + ": " + std::to_string(t.data.size()) + " bytes given, shape and type need " +
                std::to_string(t.nbytes));
  tensors_.push_back(std::move(t));
}

void GgufWriter::add_tensor(const std::string& name, GgmlType type, std::vector<std::int64_t> shape,
                            std::span<const std::byte> data) {
  add(Tensor{name, type, std::move(shape), 0, data, {}});
}

void GgufWriter::add_tensor(const std::string& name, GgmlType type, std::vector<std::int64_t> shape,
                            Producer produce) {
  add(Tensor{name, type, std::move(shape), 0, {}, std::move(produce)});
}

std::uint64_t GgufWriter::data_bytes() const {
  std::uint64_t n = 0;
  for (const auto& t : tensors_) n += pad_to(t.nbytes, alignment_);
  return n;
}

void GgufWriter::write(const std::filesystem::path& path, const Progress& progress) const {
  Buffer h;
  h.put(kGgufMagic);
  h.put<std::uint32_t>(3);
  h.put<std::uint64_t>(tensors_.size());
  h.put<std::uint64_t>(kv_.size());
  for (const auto& [key, v] : kv_) {
    h.put_string(key);
    h.put(static_cast<std::uint32_t>(v.type()));
    h.put_value(v);
  }
  std::uint64_t offset = 0;
  for (const auto& t : tensors_) {
    h.put_string(t.name);
    h.put(static_cast<std::uint32_t>(t.shape.size()));
    for (auto it = t.shape.rbegin(); it != t.shape.rend(); ++it) h.put(static_cast<std::uint64_t>(*it));
    h.put(static_cast<std::uint32_t>(t.type));
    h.put(offset);
    offset += pad_to(t.nbytes, alignment_);
  }
  h.bytes.resize(static_cast<std::size_t>(pad_to(h.bytes.size(), alignment_)), 0);

  auto tmp = path;
  tmp += ".tmp";
  try {
    OutFile out(tmp);
    out.write(h.bytes.data(), h.bytes.size());
    const std::uint64_t total = data_bytes();
    std::uint64_t done = 0;
    std::vector<std::byte> scratch;
    for (const auto& t : tensors_) {
      if (t.produce) {
        scratch.assign(t.nbytes, std::byte{0});
        t.produce(std::span<std::byte>(scratch));
        out.write(scratch.data(), scratch.size());
      } else {
        out.write(t.data.data(), t.nbytes);
      }
      const std::uint64_t padded = pad_to(t.nbytes, alignment_);
      out.zeros(static_cast<std::size_t>(padded - t.nbytes));
      done += padded;
      if (progress) progress(done, total);
    }
    out.close();
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw Error(path.string() + ": cannot move " + tmp.string() + " into place: " + ec.message());
}

}  // namespace prism::formats
