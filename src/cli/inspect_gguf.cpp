#include "cli/inspect_gguf.h"

#include <cstdio>
#include <iostream>
#include <map>

#include "formats/gguf.h"

namespace prism::cli {
namespace {

using nlohmann::ordered_json;
using formats::GgufType;
using formats::GgufValue;

// Arrays longer than this are shown as type, length and their first items
// (a tokenizer's 49152 tokens would drown everything else).
constexpr std::size_t kArrayItemsShown = 8;

ordered_json to_json(const GgufValue& v) {
  switch (v.type()) {
    case GgufType::U8: case GgufType::U16: case GgufType::U32: case GgufType::U64: return v.as_u64();
    case GgufType::I8: case GgufType::I16: case GgufType::I32: case GgufType::I64: return v.as_i64();
    case GgufType::F32: return static_cast<float>(v.as_f64());
    case GgufType::F64: return v.as_f64();
    case GgufType::BOOL: return v.as_bool();
    case GgufType::STRING: return v.as_string();
    case GgufType::ARRAY: {
      const auto& items = v.as_array();
      ordered_json shown = ordered_json::array();
      for (std::size_t i = 0; i < items.size() && i < kArrayItemsShown; ++i) shown.push_back(to_json(items[i]));
      if (items.size() <= kArrayItemsShown) return shown;
      return {{"type", "array"}, {"element_type", std::string(formats::gguf_type_name(v.elem_type()))},
              {"length", items.size()}, {"first", shown}};
    }
  }
  return nullptr;
}

}  // namespace

ordered_json describe_gguf(const std::filesystem::path& file) {
  formats::GgufFile f(file);
  ordered_json meta = ordered_json::object();
  for (const auto& [key, v] : f.metadata()) meta[key] = to_json(v);
  ordered_json tensors = ordered_json::array();
  std::map<std::string, std::int64_t> params;
  std::int64_t total = 0;
  std::uint64_t bytes = 0;
  for (const auto& t : f.tensors()) {
    const std::string type(formats::ggml_type_name(t.type));
    tensors.push_back({{"name", t.name}, {"shape", t.shape}, {"type", type}, {"bytes", t.nbytes},
                       {"offset", f.data_offset() + t.offset}});
    params[type] += t.numel();
    total += t.numel();
    bytes += t.nbytes;
  }
  return {
      {"file", file.string()},
      {"format", "gguf"},
      {"version", f.version()},
      {"alignment", f.alignment()},
      {"file_bytes", f.file_size()},
      {"architecture", f.get_string("general.architecture", "")},
      {"metadata", meta},
      {"tensors", tensors},
      {"parameters", {{"total", total}, {"by_type", params}}},
      {"tensor_bytes", bytes},
  };
}

void print_gguf_text(const ordered_json& info) {
  auto dump = [](const ordered_json& v) {
    return v.is_string() ? v.get<std::string>() : v.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
  };
  std::cout << "file: " << dump(info["file"]) << "\nformat: gguf v" << info["version"] << ", alignment "
            << info["alignment"] << ", " << info["file_bytes"] << " bytes\nmetadata:\n";
  for (const auto& [k, v] : info["metadata"].items()) {
    std::string s = dump(v);
    if (s.size() > 160) s = s.substr(0, 157) + "...";
    for (auto& c : s)
      if (c == '\n') c = ' ';
    std::cout << "  " << k << ": " << s << "\n";
  }
  std::cout << "tensors: " << info["tensors"].size() << "\n";
  for (const auto& t : info["tensors"]) {
    char line[256];
    std::snprintf(line, sizeof line, "  %-40s %-8s %-24s %12llu bytes\n", t["name"].get<std::string>().c_str(),
                  t["type"].get<std::string>().c_str(), t["shape"].dump().c_str(),
                  static_cast<unsigned long long>(t["bytes"].get<std::uint64_t>()));
    std::cout << line;
  }
  std::cout << "parameters: " << info["parameters"]["total"] << "\n";
  for (const auto& [type, n] : info["parameters"]["by_type"].items()) std::cout << "  " << type << ": " << n << "\n";
}

}  // namespace prism::cli
