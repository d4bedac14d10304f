// Paths and JSON reading shared by the tokenizer tests that use fixtures.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace prism::tokenizer::testing {

inline const std::filesystem::path kFixtures = std::filesystem::path(PRISM_FIXTURES_DIR) / "smolvlm";

inline nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  return nlohmann::json::parse(in);
}

}  // namespace prism::tokenizer::testing
