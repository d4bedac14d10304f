#include "formats/safetensors.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "test_files.h"

namespace prism::formats {
namespace {

using testing::scratch_dir;
using testing::expect_error;
using testing::write_safetensors;

const std::filesystem::path kFixtures = std::filesystem::path(PRISM_FIXTURES_DIR) / "smolvlm";

TEST(Safetensors, ReadsSingleFileF32Checkpoint) {
  auto ckpt = SafetensorsCheckpoint::open(kFixtures / "tiny-a");
  const auto& lm = ckpt->get("lm_head.weight");
  EXPECT_EQ(lm.dtype, DType::F32);
  EXPECT_EQ(lm.shape, (std::vector<std::int64_t>{621, 64}));
  EXPECT_EQ(lm.nbytes, 621u * 64u * 4u);
  EXPECT_EQ(ckpt->files().size(), 1u);
  EXPECT_EQ(ckpt->files()[0]->metadata().at("format"), "pt");
  // Zero-copy: the tensor lives inside the mapping of the file.
  const auto& f = *ckpt->files()[0];
  EXPECT_EQ(f.find("lm_head.weight")->data, lm.data);
}

TEST(Safetensors, ReadsShardedBf16CheckpointThroughIndex) {
  auto ckpt = SafetensorsCheckpoint::open(kFixtures / "tiny-b");
  EXPECT_EQ(ckpt->files().size(), 3u);
  EXPECT_EQ(ckpt->find("lm_head.weight"), nullptr);  // tied embeddings
  const auto& emb = ckpt->get("model.text_model.embed_tokens.weight");
  EXPECT_EQ(emb.dtype, DType::BF16);
  EXPECT_EQ(emb.shape, (std::vector<std::int64_t>{533, 48}));
  EXPECT_EQ(emb.file.filename(), "model-00002-of-00003.safetensors");
}

TEST(Safetensors, MissingTensorNamesTensorAndFolder) {
  auto ckpt = SafetensorsCheckpoint::open(kFixtures / "tiny-b");
  expect_error([&] { ckpt->get("lm_head.weight"); }, {"missing tensor", "lm_head.weight", "tiny-b"});
}

TEST(Safetensors, RejectsMalformedFiles) {
  auto dir = scratch_dir("malformed");
  auto p = dir / "x.safetensors";
  const std::string good = R"({"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})";

  std::filesystem::resize_file((write_safetensors(p, good, 16), p), 5);
  expect_error([&] { SafetensorsFile f(p); }, {"x.safetensors", "truncated"});

  write_safetensors(p, good, 16, 1000);
  expect_error([&] { SafetensorsFile f(p); }, {"x.safetensors", "header length 1000", "past the end"});

  write_safetensors(p, "{not json", 16);
  expect_error([&] { SafetensorsFile f(p); }, {"x.safetensors", "not valid JSON"});

  write_safetensors(p, good, 8);  // data truncated
  expect_error([&] { SafetensorsFile f(p); }, {"x.safetensors", "tensor 'a'", "beyond the data section"});

  write_safetensors(p, R"({"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,16]}})", 16);
  expect_error([&] { SafetensorsFile f(p); }, {"tensor 'a'", "16 bytes", "[2, 3]", "needs 24"});

  write_safetensors(p, R"({"a":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}})", 16);
  expect_error([&] { SafetensorsFile f(p); }, {"tensor 'a'", "unsupported dtype I64"});

  write_safetensors(p,
                    R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                    R"("b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})",
                    24);
  expect_error([&] { SafetensorsFile f(p); }, {"x.safetensors", "'a' and 'b' overlap"});

  write_safetensors(p, R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[16,0]}})", 16);
  expect_error([&] { SafetensorsFile f(p); }, {"tensor 'a'", "reversed"});

  write_safetensors(p, R"({"a":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}})", 16);
  expect_error([&] { SafetensorsFile f(p); }, {"tensor 'a'", "shape"});

  write_safetensors(p, R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,16]}})", 16);
  expect_error([&] { SafetensorsFile f(p); }, {"tensor 'a'", "too large"});

  write_safetensors(p, R"([1,2])", 0);
  expect_error([&] { SafetensorsFile f(p); }, {"x.safetensors", "JSON object"});

  expect_error([&] { SafetensorsFile f(dir / "absent.safetensors"); }, {"absent.safetensors", "cannot open"});
  std::filesystem::remove_all(dir);
}

TEST(Safetensors, RejectsBrokenIndex) {
  auto dir = scratch_dir("index");
  expect_error([&] { SafetensorsCheckpoint::open(dir); }, {"no model.safetensors"});

  write_safetensors(dir / "s1.safetensors", R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 4);
  {
    std::ofstream(dir / "model.safetensors.index.json") << R"({"weight_map":{"a":"s1.safetensors","b":"s1.safetensors"}})";
  }
  expect_error([&] { SafetensorsCheckpoint::open(dir); }, {"index.json", "'b'", "s1.safetensors"});
  {
    std::ofstream(dir / "model.safetensors.index.json") << R"({"weight_map":{"a":"../s1.safetensors"}})";
  }
  expect_error([&] { SafetensorsCheckpoint::open(dir); }, {"index.json", "plain file name"});
  {
    std::ofstream(dir / "model.safetensors.index.json") << R"({"weight_map":{"a":"s2.safetensors"}})";
  }
  expect_error([&] { SafetensorsCheckpoint::open(dir); }, {"s2.safetensors", "cannot open"});
  std::filesystem::remove_all(dir);
}

TEST(DType, HalfConversionsAreExact) {
  EXPECT_EQ(f16_to_f32(0x3c00), 1.0f);
  EXPECT_EQ(f16_to_f32(0xc000), -2.0f);
  EXPECT_EQ(f16_to_f32(0x0001), 5.960464477539063e-08f);  // smallest subnormal
  EXPECT_EQ(f16_to_f32(0x7bff), 65504.0f);
  EXPECT_TRUE(std::isinf(f16_to_f32(0x7c00)));
  EXPECT_EQ(bf16_to_f32(0x3f80), 1.0f);
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(bf16_to_f32(f32_to_bf16(3.140625f)), 3.140625f);
}

}  // namespace
}  // namespace prism::formats
