// Access to the SmolVLM golden fixtures (tests/fixtures/smolvlm) for the
// vision tests: case.json documents, raw float32 arrays, input files.
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace prism::vision::testing {

inline std::filesystem::path smolvlm_dir() { return std::filesystem::path(PRISM_FIXTURES_DIR) / "smolvlm"; }
inline std::filesystem::path checkpoint_dir(const std::string& ckpt) { return smolvlm_dir() / ckpt; }
inline std::filesystem::path case_dir(const std::string& ckpt, const std::string& name) {
  return smolvlm_dir() / "cases" / ckpt / name;
}

inline std::vector<std::uint8_t> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline nlohmann::json read_case(const std::string& ckpt, const std::string& name) {
  std::ifstream in(case_dir(ckpt, name) / "case.json");
  if (!in) throw std::runtime_error("cannot open case.json of " + ckpt + "/" + name);
  return nlohmann::json::parse(in);
}

// Little-endian float32 file -> floats (the fixtures are little-endian, as is x86).
inline std::vector<float> read_f32(const std::filesystem::path& path) {
  const auto bytes = read_bytes(path);
  std::vector<float> out(bytes.size() / 4);
  std::memcpy(out.data(), bytes.data(), out.size() * 4);
  return out;
}

// The image/video paths of a case's user message, resolved against the case folder.
inline std::vector<std::filesystem::path> media_paths(const std::string& ckpt, const std::string& name,
                                                      const nlohmann::json& doc, const std::string& type) {
  std::vector<std::filesystem::path> out;
  for (const auto& message : doc.at("messages"))
    for (const auto& part : message.at("content"))
      if (part.at("type") == type) out.push_back(case_dir(ckpt, name) / part.at("path").get<std::string>());
  return out;
}

}  // namespace prism::vision::testing
