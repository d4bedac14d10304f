// Helpers for the formats tests: scratch folders, hand-built safetensors
// files (so every malformed case is spelled out in the test itself), and the
// check that a reader's error names what is wrong.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"

namespace prism::formats::testing {

// Expects prism::Error whose message contains every fragment.
template <typename F>
void expect_error(F&& f, std::initializer_list<std::string> fragments) {
  try {
    f();
    FAIL() << "no error thrown";
  } catch (const prism::Error& e) {
    std::string msg = e.what();
    for (const auto& frag : fragments) EXPECT_NE(msg.find(frag), std::string::npos) << msg << " lacks " << frag;
  }
}

inline std::filesystem::path scratch_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("prism_formats_" + name + "_" + std::to_string(std::random_device{}()));
  std::filesystem::create_directories(dir);
  return dir;
}

inline std::vector<char> read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const std::filesystem::path& p, const std::vector<char>& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A safetensors file from a header string and a data section of `data_bytes` zero bytes.
inline void write_safetensors(const std::filesystem::path& p, const std::string& header, std::size_t data_bytes,
                              std::uint64_t declared_len = UINT64_MAX) {
  std::uint64_t n = declared_len == UINT64_MAX ? header.size() : declared_len;
  std::vector<char> bytes(8);
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  bytes.insert(bytes.end(), header.begin(), header.end());
  bytes.resize(bytes.size() + data_bytes, 0);
  write_bytes(p, bytes);
}

}  // namespace prism::formats::testing
