#include "hub/file_selection.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "hub/pull.h"

namespace prism::hub {
namespace {

using Files = std::vector<std::string>;

TEST(Globs, PythonFnmatchRules) {
  EXPECT_TRUE(glob_match("*.json", "config.json"));
  EXPECT_TRUE(glob_match("*.json", "sub/dir/config.json"));  // '*' crosses '/'
  EXPECT_TRUE(glob_match("onnx/", "onnx/model.onnx"));       // a folder: everything under it
  EXPECT_FALSE(glob_match("onnx/", "model.onnx"));
  EXPECT_TRUE(glob_match("model-0000?-of-*.safetensors", "model-00001-of-00002.safetensors"));
  EXPECT_TRUE(glob_match("[mt]*.txt", "merges.txt"));
  EXPECT_FALSE(glob_match("*.JSON", "config.json"));  // case-sensitive, as on Linux
}

TEST(Globs, IncludeThenExclude) {
  const Files files = {"config.json", "model.safetensors", "onnx/model.onnx", "README.md", "tokenizer.json"};
  EXPECT_EQ(filter_files(files, {}, {}), files);
  EXPECT_EQ(filter_files(files, {"*.json"}, {}), (Files{"config.json", "tokenizer.json"}));
  EXPECT_EQ(filter_files(files, {"*.json", "*.safetensors"}, {"tokenizer*"}), (Files{"config.json", "model.safetensors"}));
  EXPECT_EQ(filter_files(files, {}, {"onnx/", "*.md"}), (Files{"config.json", "model.safetensors", "tokenizer.json"}));
  EXPECT_TRUE(filter_files(files, {"*.bin"}, {}).empty());
}

const Files ggml_org = {
    ".gitattributes", "README.md",
    "SmolVLM2-256M-Video-Instruct-Q8_0.gguf", "SmolVLM2-256M-Video-Instruct-f16.gguf",
    "mmproj-SmolVLM2-256M-Video-Instruct-Q8_0.gguf", "mmproj-SmolVLM2-256M-Video-Instruct-f16.gguf"};

TEST(GgufPick, QuantAndItsMmproj) {
  EXPECT_EQ(pick_gguf_files(ggml_org, "Q8_0", "r"),
            (Files{"SmolVLM2-256M-Video-Instruct-Q8_0.gguf", "mmproj-SmolVLM2-256M-Video-Instruct-Q8_0.gguf"}));
  // Case-insensitive, as llama.cpp's -hf repo:quant.
  EXPECT_EQ(pick_gguf_files(ggml_org, "q8_0", "r").front(), "SmolVLM2-256M-Video-Instruct-Q8_0.gguf");
  EXPECT_EQ(pick_gguf_files(ggml_org, "F16", "r"),
            (Files{"SmolVLM2-256M-Video-Instruct-f16.gguf", "mmproj-SmolVLM2-256M-Video-Instruct-f16.gguf"}));
}

TEST(GgufPick, MmprojFallsBackToF16) {
  const Files files = {"M-Q4_K_M.gguf", "M-Q8_0.gguf", "mmproj-M-f16.gguf"};
  EXPECT_EQ(pick_gguf_files(files, "Q4_K_M", "r"), (Files{"M-Q4_K_M.gguf", "mmproj-M-f16.gguf"}));
  // No type: Q4_K_M first, as llama.cpp's default.
  EXPECT_EQ(pick_gguf_files(files, "", "r").front(), "M-Q4_K_M.gguf");
  EXPECT_EQ(pick_gguf_files({"M-Q8_0.gguf", "M-f16.gguf"}, "", "r"), (Files{"M-Q8_0.gguf"}));
}

TEST(GgufPick, EveryShardOfASplitFile) {
  const Files files = {"M-Q8_0-00002-of-00002.gguf", "M-Q8_0-00001-of-00002.gguf", "M-f16.gguf"};
  EXPECT_EQ(pick_gguf_files(files, "Q8_0", "r"), (Files{"M-Q8_0-00001-of-00002.gguf", "M-Q8_0-00002-of-00002.gguf"}));
}

TEST(GgufPick, TypeMustEndTheName) {
  // "Q8_0" must not pick "...-Q8_0_L" or "IQ8_0".
  const Files files = {"M-IQ8_0.gguf", "M-Q8_0_L.gguf", "M-Q8_0.gguf"};
  EXPECT_EQ(pick_gguf_files(files, "Q8_0", "r"), (Files{"M-Q8_0.gguf"}));
}

TEST(GgufPick, MissingTypeListsWhatTheRepoHas) {
  try {
    pick_gguf_files(ggml_org, "Q4_K_M", "ggml-org/X");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "ggml-org/X has no GGUF file of type Q4_K_M; it has: Q8_0, f16");
  }
  EXPECT_THROW(pick_gguf_files({"README.md", "mmproj-x-f16.gguf"}, "", "r"), Error);
}

PullOptions options_for(const std::string& ref) {
  PullOptions o;
  o.ref = parse_repo_ref_or_throw(ref);
  return o;
}

TEST(PullSelection, CheckpointRepoTakesEverythingUnlessFiltered) {
  const Files repo = {"config.json", "model.safetensors", "tokenizer.json", "README.md"};
  EXPECT_EQ(select_files(repo, options_for("o/n")), repo);
  auto o = options_for("o/n");
  o.exclude = {"*.md"};
  EXPECT_EQ(select_files(repo, o), (Files{"config.json", "model.safetensors", "tokenizer.json"}));
  o.include = {"*.bin"};
  EXPECT_THROW(select_files(repo, o), Error);
}

TEST(PullSelection, GgufRepoWithoutATypeTakesOneQuantisation) {
  EXPECT_EQ(select_files(ggml_org, options_for("ggml-org/X-GGUF")),
            (Files{"SmolVLM2-256M-Video-Instruct-Q8_0.gguf", "mmproj-SmolVLM2-256M-Video-Instruct-Q8_0.gguf"}));
  EXPECT_EQ(select_files(ggml_org, options_for("ggml-org/X-GGUF:f16")).front(), "SmolVLM2-256M-Video-Instruct-f16.gguf");
  // --include says exactly what is wanted: no GGUF pick.
  auto o = options_for("ggml-org/X-GGUF");
  o.include = {"*.md"};
  EXPECT_EQ(select_files(ggml_org, o), (Files{"README.md"}));
}

TEST(PullSelection, ATypeOnARepoWithoutGgufIsAnError) {
  try {
    select_files({"config.json", "model.safetensors"}, options_for("o/n:Q8_0"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "o/n has no GGUF files, so ':Q8_0' picks nothing: pull o/n without it");
  }
}

}  // namespace
}  // namespace prism::hub
