// VlmEngine on GGUF files made from the fixtures (the layout `prism quantize`
// writes: text .gguf + mmproj .gguf + the tokenizer and processor files beside
// them): the F32 pair reproduces every golden case, mmproj found beside the
// text model, and so does the pair alone, its tokenizer, chat template and
// processor settings read from the GGUF metadata; a text model alone answers
// text and refuses images.
#include <gtest/gtest.h>

#include <random>

#include "../models/fixture_case.h"
#include "core/error.h"
#include "models/gguf_export.h"
#include "runtime/vlm_engine.h"

namespace prism::runtime {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json openai_messages(const prism::testing::FixtureCase& c) {
  json out = json::array();
  for (const auto& m : c.json["messages"]) {
    json parts = json::array();
    for (const auto& p : m["content"]) {
      const std::string type = p["type"];
      if (type == "text") {
        parts.push_back(p);
      } else {
        const auto path = fs::weakly_canonical(c.dir / p["path"].get<std::string>()).string();
        const std::string key = type == "image" ? "image_url" : "video_url";
        parts.push_back({{"type", key}, {key, {{"url", path}}}});
      }
    }
    out.push_back({{"role", m["role"]}, {"content", parts}});
  }
  return out;
}

// A folder with `ckpt` as a GGUF pair (mmproj optional) and, unless told
// otherwise, its side files.
fs::path gguf_folder(const std::string& ckpt, bool with_mmproj, bool with_side_files = true) {
  const auto dir = fs::temp_directory_path() /
                   ("prism_gguf_engine_" + ckpt + (with_mmproj ? "" : "_text") + (with_side_files ? "" : "_bare") + "_" +
                    std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  const auto src = prism::testing::smolvlm_fixtures() / ckpt;
  models::GgufExportOptions o;
  o.type = formats::GgmlType::F32;
  o.write_mmproj = with_mmproj;
  models::export_smolvlm_gguf(src, dir / (ckpt + "-F32.gguf"), dir / ("mmproj-" + ckpt + "-F32.gguf"), o);
  if (!with_side_files) return dir;
  for (const auto& e : fs::directory_iterator(src)) {
    const auto name = e.path().filename().string();
    if (name.ends_with(".safetensors") || name.ends_with(".index.json") || name == "config.json") continue;
    fs::copy_file(e.path(), dir / name);
  }
  return dir;
}

class VlmEngineGguf : public ::testing::TestWithParam<std::pair<std::string, std::string>> {
 protected:
  void expect_reference_answer(bool with_side_files) const;
};

void VlmEngineGguf::expect_reference_answer(bool with_side_files) const {
  const auto c = prism::testing::load_case(GetParam().first, GetParam().second);
  const auto dir = gguf_folder(c.checkpoint, true, with_side_files);
  auto engine = VlmEngine::load(dir / (c.checkpoint + "-F32.gguf"), 2);
  EXPECT_EQ(engine->name(), c.checkpoint + "-F32");
  GenerationParams params;
  params.max_tokens = 8;
  if (c.json["do_image_splitting"].is_boolean()) params.do_image_splitting = c.json["do_image_splitting"].get<bool>();
  MediaPolicy policy;
  policy.allowed_dir = prism::testing::smolvlm_fixtures() / "cases";
  auto r = engine->generate(openai_messages(c), params, policy, {});
  EXPECT_EQ(r.input_ids, c.input_ids());
  prism::testing::expect_close(r.prompt_last_logits.data(), c.array("logits_last"), "logits_last");
  EXPECT_EQ(r.output_ids, c.json["generate"]["new_token_ids"].get<std::vector<std::int32_t>>());
  EXPECT_EQ(r.text, c.json["generate"]["decoded_rust_skip_special_tokens_false"].get<std::string>());
  fs::remove_all(dir);
}

TEST_P(VlmEngineGguf, F32PairMatchesReference) { expect_reference_answer(true); }

// Only the two .gguf files: everything else from their metadata.
TEST_P(VlmEngineGguf, F32PairAloneMatchesReference) { expect_reference_answer(false); }

INSTANTIATE_TEST_SUITE_P(Fixtures, VlmEngineGguf, ::testing::ValuesIn(prism::testing::model_cases()),
                         prism::testing::case_label);

TEST(VlmEngineGgufFiles, TextModelAloneAnswersTextAndRefusesImages) {
  const auto dir = gguf_folder("tiny-a", false);
  auto engine = VlmEngine::load(dir, 1);  // the folder: its one text GGUF
  const auto c = prism::testing::load_case("tiny-a", "text");
  GenerationParams params;
  params.max_tokens = 8;
  auto r = engine->generate(openai_messages(c), params, {}, {});
  EXPECT_EQ(r.output_ids, c.json["generate"]["new_token_ids"].get<std::vector<std::int32_t>>());
  const auto image = (prism::testing::smolvlm_fixtures() / "cases/tiny-a/inputs/image.png").string();
  const json messages = {{{"role", "user"},
                          {"content", {{{"type", "image_url"}, {"image_url", {{"url", image}}}}, {{"type", "text"}, {"text", "hi"}}}}}};
  MediaPolicy policy;
  policy.allowed_dir = prism::testing::smolvlm_fixtures() / "cases";
  EXPECT_THROW(engine->generate(messages, params, policy, {}), InvalidInput);
  fs::remove_all(dir);
}

TEST(VlmEngineGgufFiles, MetadataGivesTheSideFilesSettings) {
  const auto with_files = gguf_folder("tiny-a", true);
  const auto bare = gguf_folder("tiny-a", true, false);
  auto a = VlmEngine::load(with_files / "tiny-a-F32.gguf", 1);
  auto b = VlmEngine::load(bare / "tiny-a-F32.gguf", 1);
  EXPECT_EQ(b->eos_token_ids(), a->eos_token_ids());
  EXPECT_EQ(b->tokenizer().vocab_size(), a->tokenizer().vocab_size());
  const auto &pa = a->processor(), &pb = b->processor();
  EXPECT_EQ(pb.longest_edge, pa.longest_edge);
  EXPECT_EQ(pb.max_image_size, pa.max_image_size);
  EXPECT_EQ(pb.image_mean, pa.image_mean);
  EXPECT_EQ(pb.image_std, pa.image_std);
  EXPECT_EQ(pb.image_seq_len, pa.image_seq_len);
  ASSERT_TRUE(pb.video_sampling && pa.video_sampling);
  EXPECT_EQ(pb.video_sampling->video_longest_edge, pa.video_sampling->video_longest_edge);
  EXPECT_EQ(pb.video_sampling->max_frames, pa.video_sampling->max_frames);
  EXPECT_EQ(pb.video_sampling->fps, pa.video_sampling->fps);
  fs::remove_all(with_files);
  fs::remove_all(bare);
}

}  // namespace
}  // namespace prism::runtime
