#include "formats/hf_config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "test_files.h"

namespace prism::formats {
namespace {

const std::filesystem::path kFixtures = std::filesystem::path(PRISM_FIXTURES_DIR) / "smolvlm";

nlohmann::json fixture_config(const char* ckpt) {
  std::ifstream in(kFixtures / ckpt / "config.json");
  return nlohmann::json::parse(in);
}

// Writes `config` to a scratch config.json, loads it and returns the error message ("" if it loaded).
std::string load_error(const nlohmann::json& config) {
  auto dir = testing::scratch_dir("cfg");
  auto p = dir / "config.json";
  std::ofstream(p) << config.dump();
  std::string msg;
  try {
    load_smolvlm_config(p);
  } catch (const prism::Error& e) {
    msg = e.what();
  }
  std::filesystem::remove_all(dir);
  return msg;
}

TEST(HfConfig, ReadsTinyA) {
  auto c = load_smolvlm_config(kFixtures / "tiny-a/config.json");
  EXPECT_EQ(c.model_type, "smolvlm");
  EXPECT_EQ(c.scale_factor, 4);
  EXPECT_EQ(c.image_token_id, 611);
  EXPECT_EQ(c.vision.hidden_size, 32);
  EXPECT_EQ(c.vision.patches_per_side(), 8);
  EXPECT_EQ(c.image_seq_len(), 4);
  EXPECT_EQ(c.text.num_key_value_heads, 2);
  EXPECT_EQ(c.text.head_dim, 16);
  EXPECT_DOUBLE_EQ(c.text.rope_theta, 100000.0);
  EXPECT_FALSE(c.text.tie_word_embeddings);  // absent in text_config: LlamaConfig default
}

TEST(HfConfig, ReadsTinyB) {
  auto c = load_smolvlm_config(kFixtures / "tiny-b/config.json");
  EXPECT_EQ(c.vision.patches_per_side(), 9);  // 57 / 6: the border is dropped
  EXPECT_EQ(c.image_seq_len(), 9);
  EXPECT_TRUE(c.text.tie_word_embeddings);
  EXPECT_DOUBLE_EQ(c.text.rope_theta, 130000.0);
  EXPECT_FLOAT_EQ(c.text.rms_norm_eps, 1e-5f);
}

TEST(HfConfig, MissingRequiredKeysAreNamed) {
  auto c = fixture_config("tiny-a");
  c["text_config"].erase("hidden_size");
  EXPECT_NE(load_error(c).find("'text_config.hidden_size' is missing"), std::string::npos) << load_error(c);
  c = fixture_config("tiny-a");
  c["vision_config"].erase("patch_size");
  EXPECT_NE(load_error(c).find("'vision_config.patch_size' is missing"), std::string::npos);
  c = fixture_config("tiny-a");
  c.erase("vision_config");
  EXPECT_NE(load_error(c).find("'vision_config' is missing"), std::string::npos);
  c = fixture_config("tiny-a");
  c.erase("image_token_id");
  EXPECT_NE(load_error(c).find("'image_token_id' is missing"), std::string::npos);
  c = fixture_config("tiny-a");
  c["text_config"]["num_hidden_layers"] = "three";
  EXPECT_NE(load_error(c).find("'text_config.num_hidden_layers' must be a positive integer"), std::string::npos);
}

TEST(HfConfig, AbsentKeysTakeTransformersDefaults) {
  auto c = fixture_config("tiny-a");
  c["text_config"].erase("num_key_value_heads");
  c["text_config"].erase("head_dim");
  c["vision_config"].erase("layer_norm_eps");
  auto dir = testing::scratch_dir("cfgdef");
  std::ofstream(dir / "config.json") << c.dump();
  auto cfg = load_smolvlm_config(dir / "config.json");
  EXPECT_EQ(cfg.text.num_key_value_heads, 4);  // = num_attention_heads
  EXPECT_EQ(cfg.text.head_dim, 16);            // = hidden / heads
  EXPECT_FLOAT_EQ(cfg.vision.layer_norm_eps, 1e-6f);
  std::filesystem::remove_all(dir);
}

TEST(HfConfig, AcceptsRopeParametersForm) {
  auto c = fixture_config("tiny-a");
  c["text_config"].erase("rope_theta");
  c["text_config"]["rope_parameters"] = {{"rope_theta", 5000.0}, {"rope_type", "default"}};
  auto dir = testing::scratch_dir("cfgrope");
  std::ofstream(dir / "config.json") << c.dump();
  EXPECT_DOUBLE_EQ(load_smolvlm_config(dir / "config.json").text.rope_theta, 5000.0);
  std::filesystem::remove_all(dir);
  c["text_config"]["rope_parameters"]["rope_type"] = "yarn";
  EXPECT_NE(load_error(c).find("'yarn' is not supported"), std::string::npos);
}

TEST(HfConfig, RejectsUnsupportedArchitectures) {
  auto c = fixture_config("tiny-a");
  c["model_type"] = "qwen2_vl";
  auto msg = load_error(c);
  EXPECT_NE(msg.find("config.json"), std::string::npos);
  EXPECT_NE(msg.find("'qwen2_vl' is an unsupported architecture"), std::string::npos) << msg;
  c = fixture_config("tiny-a");
  c["text_config"]["model_type"] = "mistral";
  EXPECT_NE(load_error(c).find("'mistral' is not supported"), std::string::npos);
  c = fixture_config("tiny-a");
  c["vision_config"]["hidden_act"] = "relu";
  EXPECT_NE(load_error(c).find("vision_config.hidden_act"), std::string::npos);
}

TEST(HfConfig, GenerationConfig) {
  auto g = load_generation_config(kFixtures / "tiny-a/generation_config.json");
  EXPECT_EQ(g.eos_token_ids, std::vector<std::int32_t>{620});
  EXPECT_EQ(g.bos_token_id, 0);
  auto none = load_generation_config(kFixtures / "tiny-a/absent.json");
  EXPECT_TRUE(none.eos_token_ids.empty());
}

}  // namespace
}  // namespace prism::formats
