#include "formats/gguf.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <fstream>
#include <limits>
#include <type_traits>

#include "core/error.h"

namespace prism::formats {

static_assert(std::endian::native == std::endian::little, "the GGUF reader assumes a little-endian host");

namespace {

[[noreturn]] void fail(const std::filesystem::path& file, const std::string& what) {
  throw Error(file.string() + ": " + what);
}

// Bounds-checked reads from the mapping; `ctx` names what is being read
// ("metadata key 'general.name'", "tensor info #3") for the error.
class Cursor {
 public:
  Cursor(const std::byte* data, std::size_t size, const std::filesystem::path& file)
      : data_(data), size_(size), file_(file) {}

  std::size_t pos() const { return pos_; }
  std::size_t remaining() const { return size_ - pos_; }

  void need(std::uint64_t n, const std::string& ctx, const char* what) const {
    if (n > remaining())
      fail(file_, "truncated file: " + ctx + ": " + what + " needs " + std::to_string(n) + " bytes at offset " +
                      std::to_string(pos_) + " but the file has " + std::to_string(size_) + " bytes");
  }

  template <typename T>
  T read(const std::string& ctx, const char* what) {
    need(sizeof(T), ctx, what);
    T v;
    std::memcpy(&v, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  std::string read_string(const std::string& ctx, const char* what) {
    const auto len = read<std::uint64_t>(ctx, what);
    need(len, ctx, what);
    std::string s(reinterpret_cast<const char*>(data_ + pos_), static_cast<std::size_t>(len));
    pos_ += static_cast<std::size_t>(len);
    return s;
  }

 private:
  const std::byte* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
  const std::filesystem::path& file_;
};

// Smallest encoding of one element of this type (strings: the length field;
// arrays: type + count), so a count can be checked against the bytes left.
std::size_t min_encoded_size(GgufType t) {
  if (t == GgufType::STRING) return 8;
  if (t == GgufType::ARRAY) return 12;
  return gguf_scalar_size(t);
}

GgufValue read_value(Cursor& c, GgufType t, int depth, const std::filesystem::path& file, const std::string& ctx) {
  switch (t) {
    case GgufType::U8: return GgufValue::u8(c.read<std::uint8_t>(ctx, "u8 value"));
    case GgufType::I8: return GgufValue::i8(c.read<std::int8_t>(ctx, "i8 value"));
    case GgufType::U16: return GgufValue::u16(c.read<std::uint16_t>(ctx, "u16 value"));
    case GgufType::I16: return GgufValue::i16(c.read<std::int16_t>(ctx, "i16 value"));
    case GgufType::U32: return GgufValue::u32(c.read<std::uint32_t>(ctx, "u32 value"));
    case GgufType::I32: return GgufValue::i32(c.read<std::int32_t>(ctx, "i32 value"));
    case GgufType::U64: return GgufValue::u64(c.read<std::uint64_t>(ctx, "u64 value"));
    case GgufType::I64: return GgufValue::i64(c.read<std::int64_t>(ctx, "i64 value"));
    case GgufType::F32: return GgufValue::f32(c.read<float>(ctx, "f32 value"));
    case GgufType::F64: return GgufValue::f64(c.read<double>(ctx, "f64 value"));
    case GgufType::BOOL: return GgufValue::boolean(c.read<std::uint8_t>(ctx, "bool value") != 0);
    case GgufType::STRING: return GgufValue::string(c.read_string(ctx, "string"));
    case GgufType::ARRAY: {
      const auto elem_id = c.read<std::uint32_t>(ctx, "array element type");
      if (!gguf_type_valid(elem_id)) fail(file, ctx + ": unknown array element type " + std::to_string(elem_id));
      const auto elem = static_cast<GgufType>(elem_id);
      if (elem == GgufType::ARRAY && depth + 1 >= kGgufMaxArrayNesting)
        fail(file, ctx + ": arrays nested deeper than " + std::to_string(kGgufMaxArrayNesting) + " levels");
      const auto count = c.read<std::uint64_t>(ctx, "array length");
      if (count > c.remaining() / min_encoded_size(elem))
        fail(file, ctx + ": array of " + std::to_string(count) + " " + std::string(gguf_type_name(elem)) +
                       " elements cannot fit in the " + std::to_string(c.remaining()) + " bytes left in the file");
      std::vector<GgufValue> items;
      items.reserve(static_cast<std::size_t>(count));
      for (std::uint64_t i = 0; i < count; ++i) items.push_back(read_value(c, elem, depth + 1, file, ctx));
      return GgufValue::array(elem, std::move(items));
    }
  }
  fail(file, ctx + ": unknown value type");
}

std::string type_desc(const GgufValue& v) {
  if (v.type() == GgufType::ARRAY) return "array of " + std::string(gguf_type_name(v.elem_type()));
  return std::string(gguf_type_name(v.type()));
}

template <typename T>
constexpr const char* wanted_name() {
  if constexpr (std::is_same_v<T, std::string>) return "a string";
  else if constexpr (std::is_same_v<T, bool>) return "a bool";
  else if constexpr (std::is_floating_point_v<T>) return "a float";
  else if constexpr (std::is_unsigned_v<T>) return "an unsigned integer";
  else return "an integer";
}

// One value converted to T, or an error naming file, key, actual type and value.
template <typename T>
T convert(const GgufValue& v, const std::filesystem::path& file, const std::string& what) {
  auto wrong = [&]() -> T {
    fail(file, what + " is " + type_desc(v) + " " + v.summary(2) + ", expected " + wanted_name<T>());
  };
  if constexpr (std::is_same_v<T, std::string>) {
    if (v.type() != GgufType::STRING) return wrong();
    return v.as_string();
  } else if constexpr (std::is_same_v<T, bool>) {
    if (v.type() != GgufType::BOOL) return wrong();
    return v.as_bool();
  } else if constexpr (std::is_floating_point_v<T>) {
    if (v.type() != GgufType::F32 && v.type() != GgufType::F64) return wrong();
    return static_cast<T>(v.as_f64());
  } else {
    if (!v.is_integer()) return wrong();
    const bool is_unsigned = v.type() == GgufType::U8 || v.type() == GgufType::U16 || v.type() == GgufType::U32 ||
                             v.type() == GgufType::U64;
    auto out_of_range = [&]() -> T {
      fail(file, what + " = " + v.summary() + " does not fit in " + (std::is_unsigned_v<T> ? "u" : "i") +
                     std::to_string(8 * sizeof(T)));
    };
    if (is_unsigned) {
      const std::uint64_t u = v.as_u64();
      if (u > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) return out_of_range();
      return static_cast<T>(u);
    }
    const std::int64_t s = v.as_i64();
    if constexpr (std::is_unsigned_v<T>) {
      if (s < 0 || static_cast<std::uint64_t>(s) > std::numeric_limits<T>::max()) return out_of_range();
    } else {
      if (s < std::numeric_limits<T>::min() || s > std::numeric_limits<T>::max()) return out_of_range();
    }
    return static_cast<T>(s);
  }
}

std::string key_ctx(const std::string& key) { return "metadata key '" + key + "'"; }

}  // namespace

std::int64_t GgufTensorInfo::numel() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::string GgufTensorInfo::shape_string() const {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

GgufFile::GgufFile(const std::filesystem::path& path) : map_(path) {
  const std::size_t size = map_.size();
  Cursor c(map_.data(), size, path);
  if (size < 4) fail(path, "truncated file: " + std::to_string(size) + " bytes is too short for a GGUF header");
  if (c.read<std::uint32_t>("header", "magic") != kGgufMagic) fail(path, "not a GGUF file (no 'GGUF' magic)");
  version_ = c.read<std::uint32_t>("header", "version");
  if (version_ != 2 && version_ != 3) {
    if (version_ == 0x02000000u || version_ == 0x03000000u) fail(path, "big-endian GGUF files are not supported");
    if (version_ == 1) fail(path, "GGUF version 1 is not supported (re-convert with a current llama.cpp)");
    fail(path, "unsupported GGUF version " + std::to_string(version_) + " (supported: 2, 3)");
  }
  const auto n_tensors = c.read<std::uint64_t>("header", "tensor count");
  const auto n_kv = c.read<std::uint64_t>("header", "metadata count");
  // Smallest possible entries: a key-value is 8 + 4 + 1 bytes, a tensor info 8 + 4 + 8 + 4 + 8.
  if (n_kv > c.remaining() / 13)
    fail(path, "metadata count " + std::to_string(n_kv) + " cannot fit in a " + std::to_string(size) + "-byte file");
  if (n_tensors > c.remaining() / 32)
    fail(path, "tensor count " + std::to_string(n_tensors) + " cannot fit in a " + std::to_string(size) + "-byte file");

  kv_.reserve(static_cast<std::size_t>(n_kv));
  for (std::uint64_t i = 0; i < n_kv; ++i) {
    std::string key = c.read_string("metadata entry #" + std::to_string(i), "key");
    const std::string ctx = key_ctx(key);
    if (key.empty()) fail(path, "metadata entry #" + std::to_string(i) + " has an empty key");
    if (kv_index_.count(key)) fail(path, "duplicate " + ctx);
    const auto type_id = c.read<std::uint32_t>(ctx, "value type");
    if (!gguf_type_valid(type_id)) fail(path, ctx + ": unknown value type " + std::to_string(type_id));
    GgufValue v = read_value(c, static_cast<GgufType>(type_id), 0, path, ctx);
    kv_index_.emplace(key, kv_.size());
    kv_.emplace_back(std::move(key), std::move(v));
  }

  if (const GgufValue* a = find("general.alignment")) {
    if (a->type() != GgufType::U32) fail(path, key_ctx("general.alignment") + " must be u32, is " + type_desc(*a));
    const auto align = static_cast<std::uint32_t>(a->as_u64());
    if (align == 0 || (align & (align - 1)) != 0)
      fail(path, key_ctx("general.alignment") + " = " + std::to_string(align) + " is not a power of two");
    alignment_ = align;
  }

  tensors_.reserve(static_cast<std::size_t>(n_tensors));
  for (std::uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensorInfo t;
    t.name = c.read_string("tensor info #" + std::to_string(i), "name");
    const std::string ctx = "tensor '" + t.name + "'";
    if (t.name.empty()) fail(path, "tensor info #" + std::to_string(i) + " has an empty name");
    if (t.name.size() > kGgufMaxNameBytes)
      fail(path, ctx + ": name is " + std::to_string(t.name.size()) + " bytes (ggml allows at most " +
                     std::to_string(kGgufMaxNameBytes) + ")");
    if (tensor_index_.count(t.name)) fail(path, "duplicate " + ctx);
    const auto n_dims = c.read<std::uint32_t>(ctx, "dimension count");
    if (n_dims < 1 || n_dims > kGgufMaxDims)
      fail(path, ctx + ": " + std::to_string(n_dims) + " dimensions (must be 1 to " + std::to_string(kGgufMaxDims) + ")");
    std::int64_t numel = 1;
    t.shape.resize(n_dims);
    for (std::uint32_t d = 0; d < n_dims; ++d) {
      const auto ne = c.read<std::uint64_t>(ctx, "dimension");
      if (ne == 0 || ne > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        fail(path, ctx + ": dimension " + std::to_string(d) + " is " + std::to_string(ne) + " (must be positive)");
      if (__builtin_mul_overflow(numel, static_cast<std::int64_t>(ne), &numel))
        fail(path, ctx + ": element count overflows");
      t.shape[n_dims - 1 - d] = static_cast<std::int64_t>(ne);  // ggml's ne reversed: row-major
    }
    const auto type_id = c.read<std::uint32_t>(ctx, "type");
    const auto traits = ggml_type_traits(type_id);
    if (!traits) fail(path, ctx + ": unknown ggml type id " + std::to_string(type_id));
    t.type = traits->type;
    if (t.row_length() % traits->block_size != 0)
      fail(path, ctx + ": row length " + std::to_string(t.row_length()) + " is not a multiple of the " +
                     std::string(traits->name) + " block size " + std::to_string(traits->block_size));
    std::uint64_t nbytes = 0;
    if (__builtin_mul_overflow(static_cast<std::uint64_t>(numel / traits->block_size),
                               static_cast<std::uint64_t>(traits->block_bytes), &nbytes) ||
        nbytes > size)
      fail(path, ctx + ": shape " + t.shape_string() + " " + std::string(traits->name) + " needs more bytes than the " +
                     std::to_string(size) + "-byte file holds");
    t.nbytes = static_cast<std::size_t>(nbytes);
    t.offset = c.read<std::uint64_t>(ctx, "data offset");
    tensor_index_.emplace(t.name, tensors_.size());
    tensors_.push_back(std::move(t));
  }

  // The data section starts at the next multiple of the alignment.
  const std::uint64_t pos = c.pos();
  data_offset_ = (pos + alignment_ - 1) / alignment_ * alignment_;
  if (tensors_.empty()) return;
  if (data_offset_ > size)
    fail(path, "truncated file: the data section would start at offset " + std::to_string(data_offset_) +
                   " but the file has " + std::to_string(size) + " bytes");
  const std::uint64_t data_size = size - data_offset_;
  for (auto& t : tensors_) {
    const std::string ctx = "tensor '" + t.name + "'";
    if (t.offset % alignment_ != 0)
      fail(path, ctx + ": data offset " + std::to_string(t.offset) + " is not a multiple of the alignment " +
                     std::to_string(alignment_));
    if (t.offset > data_size || t.nbytes > data_size - t.offset)
      fail(path, ctx + ": data [" + std::to_string(t.offset) + ", +" + std::to_string(t.nbytes) +
                     ") runs past the end of the data section (" + std::to_string(data_size) +
                     " bytes; file truncated or header lies)");
    t.data = map_.data() + data_offset_ + t.offset;
  }
  std::vector<const GgufTensorInfo*> by_offset;
  for (const auto& t : tensors_) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const GgufTensorInfo* a, const GgufTensorInfo* b) { return a->offset < b->offset; });
  for (std::size_t i = 1; i < by_offset.size(); ++i)
    if (by_offset[i]->offset < by_offset[i - 1]->offset + by_offset[i - 1]->nbytes)
      fail(path, "tensors '" + by_offset[i - 1]->name + "' and '" + by_offset[i]->name + "' overlap in the data section");
}

const GgufValue* GgufFile::find(const std::string& key) const {
  auto it = kv_index_.find(key);
  return it == kv_index_.end() ? nullptr : &kv_[it->second].second;
}

const GgufValue& GgufFile::get(const std::string& key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) fail(path(), key_ctx(key) + " is missing");
  return *v;
}

std::string GgufFile::get_string(const std::string& key) const { return convert<std::string>(get(key), path(), key_ctx(key)); }
std::uint32_t GgufFile::get_u32(const std::string& key) const { return convert<std::uint32_t>(get(key), path(), key_ctx(key)); }
std::int32_t GgufFile::get_i32(const std::string& key) const { return convert<std::int32_t>(get(key), path(), key_ctx(key)); }
std::uint64_t GgufFile::get_u64(const std::string& key) const { return convert<std::uint64_t>(get(key), path(), key_ctx(key)); }
std::int64_t GgufFile::get_i64(const std::string& key) const { return convert<std::int64_t>(get(key), path(), key_ctx(key)); }
float GgufFile::get_f32(const std::string& key) const { return convert<float>(get(key), path(), key_ctx(key)); }
double GgufFile::get_f64(const std::string& key) const { return convert<double>(get(key), path(), key_ctx(key)); }
bool GgufFile::get_bool(const std::string& key) const { return convert<bool>(get(key), path(), key_ctx(key)); }

std::string GgufFile::get_string(const std::string& key, const std::string& fallback) const {
  return has(key) ? get_string(key) : fallback;
}
std::uint32_t GgufFile::get_u32(const std::string& key, std::uint32_t fallback) const {
  return has(key) ? get_u32(key) : fallback;
}
float GgufFile::get_f32(const std::string& key, float fallback) const { return has(key) ? get_f32(key) : fallback; }
bool GgufFile::get_bool(const std::string& key, bool fallback) const { return has(key) ? get_bool(key) : fallback; }

template <typename T>
std::vector<T> GgufFile::get_array(const std::string& key) const {
  const GgufValue& v = get(key);
  if (v.type() != GgufType::ARRAY)
    fail(path(), key_ctx(key) + " is " + type_desc(v) + ", expected an array of " + (wanted_name<T>() + 2));
  std::vector<T> out;
  out.reserve(v.as_array().size());
  for (std::size_t i = 0; i < v.as_array().size(); ++i)
    out.push_back(convert<T>(v.as_array()[i], path(), key_ctx(key) + " element " + std::to_string(i)));
  return out;
}

template std::vector<std::string> GgufFile::get_array(const std::string&) const;
template std::vector<bool> GgufFile::get_array(const std::string&) const;
template std::vector<float> GgufFile::get_array(const std::string&) const;
template std::vector<double> GgufFile::get_array(const std::string&) const;
template std::vector<std::int8_t> GgufFile::get_array(const std::string&) const;
template std::vector<std::uint8_t> GgufFile::get_array(const std::string&) const;
template std::vector<std::int16_t> GgufFile::get_array(const std::string&) const;
template std::vector<std::uint16_t> GgufFile::get_array(const std::string&) const;
template std::vector<std::int32_t> GgufFile::get_array(const std::string&) const;
template std::vector<std::uint32_t> GgufFile::get_array(const std::string&) const;
template std::vector<std::int64_t> GgufFile::get_array(const std::string&) const;
template std::vector<std::uint64_t> GgufFile::get_array(const std::string&) const;

const GgufTensorInfo* GgufFile::find_tensor(const std::string& name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

const GgufTensorInfo& GgufFile::tensor(const std::string& name) const {
  const GgufTensorInfo* t = find_tensor(name);
  if (t == nullptr) fail(path(), "missing tensor '" + name + "'");
  return *t;
}

bool looks_like_gguf(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  if (!in.read(magic, 4)) return false;
  return std::memcmp(magic, "GGUF", 4) == 0;
}

}  // namespace prism::formats
