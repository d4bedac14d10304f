#include "formats/safetensors.h"

#include <algorithm>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"

namespace prism::formats {

namespace {

// Headers of real checkpoints are well under a megabyte; the cap keeps a
// corrupt length from asking for gigabytes.
constexpr std::uint64_t kMaxHeaderBytes = 100ull << 20;

[[noreturn]] void fail(const std::filesystem::path& file, const std::string& what) {
  throw Error(file.string() + ": " + what);
}

[[noreturn]] void fail_tensor(const std::filesystem::path& file, const std::string& tensor,
                              const std::string& what) {
  throw Error(file.string() + ": tensor '" + tensor + "': " + what);
}

std::uint64_t read_u64_le(const std::byte* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<std::uint8_t>(p[i]);
  return v;
}

std::uint64_t json_u64(const nlohmann::json& v, const std::filesystem::path& file, const std::string& tensor,
                       const char* field) {
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0))
    fail_tensor(file, tensor, std::string("'") + field + "' must hold non-negative integers, got " + v.dump());
  return v.get<std::uint64_t>();
}

}  // namespace

std::int64_t TensorInfo::numel() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::string TensorInfo::shape_string() const {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path) : map_(path) {
  const std::size_t file_size = map_.size();
  if (file_size < 8) fail(path, "truncated safetensors file (" + std::to_string(file_size) + " bytes, need at least 8)");
  const std::uint64_t header_len = read_u64_le(map_.data());
  if (header_len > kMaxHeaderBytes) fail(path, "header length " + std::to_string(header_len) + " is implausibly large");
  if (header_len > file_size - 8)
    fail(path, "header length " + std::to_string(header_len) + " runs past the end of the file (" +
                   std::to_string(file_size) + " bytes)");
  const char* hdr = reinterpret_cast<const char*>(map_.data() + 8);
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(hdr, hdr + header_len);
  } catch (const nlohmann::json::exception& e) {
    fail(path, std::string("header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) fail(path, "header must be a JSON object");

  const std::byte* data_start = map_.data() + 8 + header_len;
  const std::uint64_t data_size = file_size - 8 - header_len;
  struct Range {
    std::uint64_t begin, end;
    std::string name;
  };
  std::vector<Range> ranges;

  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) fail(path, "'__metadata__' must be an object");
      for (const auto& [k, v] : entry.items())
        if (v.is_string()) metadata_[k] = v.get<std::string>();
      continue;
    }
    if (!entry.is_object()) fail_tensor(path, name, "entry must be an object");
    if (!entry.contains("dtype") || !entry["dtype"].is_string()) fail_tensor(path, name, "missing string 'dtype'");
    if (!entry.contains("shape") || !entry["shape"].is_array()) fail_tensor(path, name, "missing array 'shape'");
    if (!entry.contains("data_offsets") || !entry["data_offsets"].is_array() || entry["data_offsets"].size() != 2)
      fail_tensor(path, name, "'data_offsets' must be an array [begin, end]");

    TensorInfo t;
    t.name = name;
    t.file = path;
    const auto dtype_str = entry["dtype"].get<std::string>();
    auto dt = parse_dtype(dtype_str);
    if (!dt) fail_tensor(path, name, "unsupported dtype " + dtype_str + " (supported: F32, F16, BF16)");
    t.dtype = *dt;

    // Element count with overflow checks: a lying header must not wrap around.
    std::uint64_t numel = 1;
    for (const auto& d : entry["shape"]) {
      std::uint64_t dim = json_u64(d, path, name, "shape");
      if (dim > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        fail_tensor(path, name, "dimension too large");
      if (dim != 0 && numel > std::numeric_limits<std::uint64_t>::max() / 16 / dim)
        fail_tensor(path, name, "shape is too large");
      numel *= dim;
      t.shape.push_back(static_cast<std::int64_t>(dim));
    }
    const std::uint64_t begin = json_u64(entry["data_offsets"][0], path, name, "data_offsets");
    const std::uint64_t end = json_u64(entry["data_offsets"][1], path, name, "data_offsets");
    if (begin > end)
      fail_tensor(path, name, "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) + "] are reversed");
    if (end > data_size)
      fail_tensor(path, name, "data_offsets end " + std::to_string(end) + " is beyond the data section (" +
                                  std::to_string(data_size) + " bytes; file truncated or header lies)");
    const std::uint64_t expected = numel * dtype_size(t.dtype);
    if (end - begin != expected)
      fail_tensor(path, name, "holds " + std::to_string(end - begin) + " bytes but shape " + t.shape_string() + " " +
                                  dtype_str + " needs " + std::to_string(expected));
    t.data = data_start + begin;
    t.nbytes = static_cast<std::size_t>(expected);
    ranges.push_back({begin, end, name});
    tensors_.emplace(name, std::move(t));
  }

  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.begin < b.begin; });
  for (std::size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].begin < ranges[i - 1].end && ranges[i].begin != ranges[i].end &&
        ranges[i - 1].begin != ranges[i - 1].end)
      fail(path, "tensors '" + ranges[i - 1].name + "' and '" + ranges[i].name + "' overlap in the data section");
}

const TensorInfo* SafetensorsFile::find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

std::unique_ptr<SafetensorsCheckpoint> SafetensorsCheckpoint::open(const std::filesystem::path& dir) {
  auto ckpt = std::unique_ptr<SafetensorsCheckpoint>(new SafetensorsCheckpoint());
  ckpt->dir_ = dir;
  const auto single = dir / "model.safetensors";
  const auto index_path = dir / "model.safetensors.index.json";
  std::error_code ec;
  if (std::filesystem::exists(index_path, ec)) {
    std::ifstream in(index_path);
    if (!in) throw Error(index_path.string() + ": cannot open");
    nlohmann::json index;
    try {
      index = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw Error(index_path.string() + ": not valid JSON: " + e.what());
    }
    if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object())
      throw Error(index_path.string() + ": missing object 'weight_map'");
    std::map<std::string, SafetensorsFile*> by_shard;
    for (const auto& [tensor, shard] : index["weight_map"].items()) {
      if (!shard.is_string()) throw Error(index_path.string() + ": weight_map entry '" + tensor + "' is not a string");
      const auto shard_name = shard.get<std::string>();
      if (shard_name.find('/') != std::string::npos || shard_name == ".." || shard_name.empty())
        throw Error(index_path.string() + ": shard name '" + shard_name + "' must be a plain file name");
      auto it = by_shard.find(shard_name);
      if (it == by_shard.end()) {
        ckpt->files_.push_back(std::make_unique<SafetensorsFile>(dir / shard_name));
        it = by_shard.emplace(shard_name, ckpt->files_.back().get()).first;
      }
      const TensorInfo* t = it->second->find(tensor);
      if (t == nullptr)
        throw Error(index_path.string() + ": tensor '" + tensor + "' is listed in shard " + shard_name +
                    " but that file does not contain it");
      ckpt->index_[tensor] = t;
    }
  } else if (std::filesystem::exists(single, ec)) {
    ckpt->files_.push_back(std::make_unique<SafetensorsFile>(single));
    for (const auto& [name, t] : ckpt->files_.back()->tensors()) ckpt->index_[name] = &t;
  } else {
    throw Error(dir.string() + ": no model.safetensors or model.safetensors.index.json");
  }
  return ckpt;
}

const TensorInfo* SafetensorsCheckpoint::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : it->second;
}

const TensorInfo& SafetensorsCheckpoint::get(const std::string& name) const {
  const TensorInfo* t = find(name);
  if (t == nullptr) throw Error(dir_.string() + ": missing tensor '" + name + "'");
  return *t;
}

}  // namespace prism::formats
