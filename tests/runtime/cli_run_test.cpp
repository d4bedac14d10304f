// `prism run --json --logits-out` (the conformance interface) on every
// fixture case, as a real process.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <random>

#include "../models/fixture_case.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kPrism = fs::path(PRISM_BINARY_DIR) / "src/cli/prism";

struct Run {
  int status;
  std::string out;
};

Run run(const std::string& args) {
  const std::string cmd = kPrism.string() + " " + args + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  return {pclose(p), out};
}

std::string quote(const std::string& s) { return "'" + s + "'"; }

fs::path scratch() {
  auto d = fs::temp_directory_path() / ("prism_cli_run_" + std::to_string(std::random_device{}()));
  fs::create_directories(d);
  return d;
}

class CliRunGolden : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(CliRunGolden, JsonAndLogitsMatchReference) {
  const auto c = prism::testing::load_case(GetParam().first, GetParam().second);
  const auto dir = scratch();
  // The case's messages in the OpenAI shape, with the media paths made absolute.
  json messages = json::array();
  for (const auto& m : c.json["messages"]) {
    json parts = json::array();
    for (const auto& part : m["content"]) {
      const std::string type = part["type"];
      if (type == "text") {
        parts.push_back(part);
        continue;
      }
      const std::string key = type == "image" ? "image_url" : "video_url";
      parts.push_back({{"type", key}, {key, {{"url", (c.dir / part["path"].get<std::string>()).lexically_normal()}}}});
    }
    messages.push_back({{"role", m["role"]}, {"content", parts}});
  }
  const auto messages_file = dir / "messages.json";
  std::ofstream(messages_file) << messages.dump();
  const auto logits_file = dir / "logits.bin";
  std::string args = "run --model " + quote(c.checkpoint_dir()) + " --messages " + quote(messages_file) +
                     " --max-tokens 8 --json --logits-out " + quote(logits_file);
  if (c.json["do_image_splitting"].is_boolean() && !c.json["do_image_splitting"].get<bool>())
    args += " --no-image-splitting";
  const auto r = run(args);
  ASSERT_EQ(r.status, 0) << r.out;
  const json out = json::parse(r.out);
  EXPECT_EQ(out["prompt"], c.json["prompt_after_image_expansion"]);
  EXPECT_EQ(out["input_ids"], c.json["input_ids"]);
  EXPECT_EQ(out["output_ids"], c.json["generate"]["new_token_ids"]);
  EXPECT_EQ(out["text"], c.json["generate"]["decoded_rust_skip_special_tokens_false"]);
  std::ifstream in(logits_file, std::ios::binary);
  std::vector<float> logits(c.array("logits_last").size());
  in.read(reinterpret_cast<char*>(logits.data()), static_cast<std::streamsize>(logits.size() * sizeof(float)));
  ASSERT_TRUE(in.good());
  EXPECT_EQ(fs::file_size(logits_file), logits.size() * sizeof(float));
  prism::testing::expect_close(logits.data(), c.array("logits_last"), "logits_last");
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, CliRunGolden, ::testing::ValuesIn(prism::testing::model_cases()),
                         prism::testing::case_label);

TEST(CliRun, ImageFlagsBuildTheFixtureMessage) {
  const auto c = prism::testing::load_case("tiny-b", "image_nosplit");
  const auto r = run("run --model " + quote(c.checkpoint_dir()) + " --image " +
                     quote(c.dir / "../inputs/image.png") + " --no-image-splitting --max-tokens 8 --json " +
                     quote(c.json["messages"][0]["content"][1]["text"].get<std::string>()));
  ASSERT_EQ(r.status, 0) << r.out;
  const json out = json::parse(r.out);
  EXPECT_EQ(out["input_ids"], c.json["input_ids"]);
  EXPECT_EQ(out["output_ids"], c.json["generate"]["new_token_ids"]);
}

TEST(CliRun, StreamsPlainTextAndFailsCleanlyOnBadInput) {
  const auto c = prism::testing::load_case("tiny-a", "text");
  auto r = run("run --model " + quote(c.checkpoint_dir()) + " --max-tokens 8 'Hello'");
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.out.empty());
  const auto dir = scratch();
  std::ofstream(dir / "bad.png") << "not an image";
  r = run("run --model " + quote(c.checkpoint_dir()) + " --image " + quote(dir / "bad.png") + " 'What?'");
  EXPECT_NE(r.status, 0);
  r = run("run --model " + quote(dir) + " 'Hello'");
  EXPECT_NE(r.status, 0);
  r = run("inspect --json " + quote(c.checkpoint_dir()));
  ASSERT_EQ(r.status, 0);
  const json info = json::parse(r.out);
  EXPECT_EQ(info["architecture"]["model_type"], "smolvlm");
  EXPECT_EQ(info["parameters"]["total"], info["weights"]["parameters_by_dtype"]["F32"]);
  fs::remove_all(dir);
}

}  // namespace
