// Differential test against the real Jinja2: jinja_conformance.json holds
// templates, contexts and the output Jinja2 3.1.6 produced in transformers'
// chat-template environment (see tools/make_jinja_conformance.py).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "tokenizer/jinja.h"

namespace prism::tokenizer::jinja {
namespace {

TEST(JinjaConformance, MatchesJinja2OnEveryCase) {
  const auto path = std::filesystem::path(PRISM_TEST_SOURCE_DIR) / "jinja_conformance.json";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  const auto doc = nlohmann::ordered_json::parse(in);
  int checked = 0, failures = 0;
  for (const auto& c : doc.at("cases")) {
    const std::string name = c.at("name");
    const std::string source = c.at("template");
    std::string output, error;
    try {
      output = Template::parse(source, name).render(c.at("context"));
    } catch (const prism::Error& e) {
      error = e.what();
    }
    ++checked;
    if (c.contains("error")) {
      if (error.empty()) {
        ++failures;
        ADD_FAILURE() << name << ": Jinja2 fails (" << c["error"].get<std::string>() << ") but we rendered:\n" << output;
      }
      continue;
    }
    const std::string expected = c.at("output");
    if (!error.empty() || output != expected) {
      ++failures;
      ADD_FAILURE() << name << "\ntemplate: " << nlohmann::json(source).dump() << "\nexpected: " << nlohmann::json(expected).dump()
                    << "\nactual:   " << (error.empty() ? nlohmann::json(output).dump() : "error: " + error);
    }
  }
  EXPECT_GT(checked, 500);
  EXPECT_EQ(failures, 0);
}

}  // namespace
}  // namespace prism::tokenizer::jinja
