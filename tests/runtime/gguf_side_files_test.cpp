// The tokenizer, chat template and settings rebuilt from GGUF metadata
// against the reference's own ids and the checkpoint's own files, and the
// metadata prism cannot rebuild named in a clear error.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "../models/fixture_case.h"
#include "core/error.h"
#include "formats/gguf.h"
#include "formats/gguf_writer.h"
#include "models/gguf_export.h"
#include "runtime/gguf_side_files.h"

namespace prism::runtime {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The fixture checkpoint as the text GGUF `prism quantize` writes.
fs::path text_gguf(const std::string& ckpt) {
  const auto dir = fs::temp_directory_path() / ("prism_gguf_side_" + ckpt + "_" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  models::GgufExportOptions o;
  o.type = formats::GgmlType::F32;
  o.write_mmproj = false;
  models::export_smolvlm_gguf(prism::testing::smolvlm_fixtures() / ckpt, dir / "text.gguf", dir / "mmproj.gguf", o);
  return dir / "text.gguf";
}

json read_json(const fs::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}

class GgufSideFiles : public ::testing::TestWithParam<std::string> {};

TEST_P(GgufSideFiles, TokenizerEncodesAndDecodesLikeTheReference) {
  const auto path = text_gguf(GetParam());
  const auto tok = gguf_tokenizer(formats::GgufFile(path));
  const auto doc = read_json(prism::testing::smolvlm_fixtures() / "cases" / GetParam() / "tokenizer" / "case.json");
  ASSERT_GE(doc.at("cases").size(), 10u);
  for (const auto& c : doc.at("cases")) {
    const std::string text = c.at("text");
    const auto expected = c.at("ids").get<std::vector<int32_t>>();
    EXPECT_EQ(tok.encode(text), expected) << text;
    EXPECT_EQ(tok.decode(expected, false), text);
  }
  // Special tokens stay special (skipped when asked), ordinary ones do not.
  const auto reference = tokenizer::Tokenizer::load(prism::testing::smolvlm_fixtures() / GetParam() / "tokenizer.json");
  EXPECT_EQ(tok.vocab_size(), reference.vocab_size());
  for (int32_t id = 0; id < static_cast<int32_t>(reference.vocab_size()); ++id)
    ASSERT_EQ(tok.is_special(id), reference.is_special(id)) << id << " " << reference.id_to_token(id);
  fs::remove_all(path.parent_path());
}

TEST_P(GgufSideFiles, ChatTemplateRendersAsTheCheckpointsOwn) {
  const auto path = text_gguf(GetParam());
  const auto from_gguf = gguf_chat_template(formats::GgufFile(path));
  const auto own = tokenizer::ChatTemplate::load_from_checkpoint(prism::testing::smolvlm_fixtures() / GetParam());
  const json messages = {{{"role", "system"}, {"content", {{{"type", "text"}, {"text", "Be brief."}}}}},
                         {{"role", "user"}, {"content", {{{"type", "image"}}, {{"type", "text"}, {"text", "What is it?"}}}}}};
  EXPECT_EQ(from_gguf.render(messages, true), own.render(messages, true));
  for (const char* key : {"bos_token", "eos_token", "unk_token", "pad_token"})
    EXPECT_EQ(from_gguf.special_tokens().value(key, ""), own.special_tokens().value(key, "")) << key;
  fs::remove_all(path.parent_path());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, GgufSideFiles, ::testing::Values("tiny-a", "tiny-b"));

// A copy of the fixture's text GGUF with one metadata key replaced.
fs::path with_metadata(const fs::path& src, const std::string& key, formats::GgufValue value) {
  const formats::GgufFile f(src);
  formats::GgufWriter w;
  for (const auto& [k, v] : f.metadata()) w.set(k, k == key ? value : v);
  if (!f.has(key)) w.set(key, value);
  for (const auto& t : f.tensors()) w.add_tensor(t.name, t.type, t.shape, std::span(t.data, t.nbytes));
  const auto out = src.parent_path() / ("changed-" + src.filename().string());
  w.write(out, {});
  return out;
}

void expect_error_naming(const fs::path& file, const std::string& words) {
  try {
    gguf_tokenizer(formats::GgufFile(file));
    ADD_FAILURE() << "no error for " << words;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
}

TEST(GgufSideFilesErrors, MetadataPrismCannotRebuildIsNamed) {
  const auto path = text_gguf("tiny-a");
  expect_error_naming(with_metadata(path, "tokenizer.ggml.pre", formats::GgufValue::string("qwen2")),
                      "tokenizer.ggml.pre 'qwen2'");
  expect_error_naming(with_metadata(path, "tokenizer.ggml.model", formats::GgufValue::string("llama")),
                      "tokenizer.ggml.model 'llama' is not supported");
  expect_error_naming(with_metadata(path, "tokenizer.ggml.token_type", formats::GgufValue::i32s({1, 1, 3})),
                      "tokenizer.ggml.token_type has 3 entries");
  expect_error_naming(with_metadata(path, "tokenizer.ggml.merges", formats::GgufValue::strings({"notamerge"})),
                      "is not two tokens separated by a space");
  fs::remove_all(path.parent_path());
}

}  // namespace
}  // namespace prism::runtime
