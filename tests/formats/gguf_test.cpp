// The GGUF reader on gguf-py's fixture, its typed accessors, and the writer
// (round trips, and byte-for-byte agreement with gguf-py's layout).
#include "formats/gguf.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "formats/gguf_writer.h"
#include "test_files.h"

namespace prism::formats {
namespace {

using testing::expect_error;

const std::filesystem::path kFixture = std::filesystem::path(PRISM_FIXTURES_DIR) / "gguf/tiny.gguf";

nlohmann::json expected() {
  std::ifstream in(std::filesystem::path(PRISM_FIXTURES_DIR) / "gguf/expected.json");
  return nlohmann::json::parse(in);
}

TEST(Gguf, ReadsMetadataOfEveryTypeWrittenByGgufPy) {
  GgufFile f(kFixture);
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.alignment(), 32u);
  EXPECT_EQ(f.get_string("general.architecture"), "llama");
  EXPECT_EQ(f.get_string("general.name"), "prism gguf fixture");
  EXPECT_EQ(f.get("prism.test.u8").type(), GgufType::U8);
  EXPECT_EQ(f.get_u32("prism.test.u8"), 200u);
  EXPECT_EQ(f.get_i32("prism.test.i8"), -100);
  EXPECT_EQ(f.get_u32("prism.test.u16"), 60000u);
  EXPECT_EQ(f.get_i32("prism.test.i16"), -30000);
  EXPECT_EQ(f.get_u32("prism.test.u32"), 4000000000u);
  EXPECT_EQ(f.get_i32("prism.test.i32"), -2000000000);
  EXPECT_EQ(f.get_u64("prism.test.u64"), 1ull << 40);
  EXPECT_EQ(f.get_i64("prism.test.i64"), -(1ll << 40));
  EXPECT_EQ(f.get_f32("prism.test.f32"), 0.1f);
  EXPECT_EQ(f.get_f64("prism.test.f64"), 0.1);
  EXPECT_TRUE(f.get_bool("prism.test.bool"));
  EXPECT_EQ(f.get_string("prism.test.string"), "h\xc3\xa9llo \xe2\x9c\x93");
  EXPECT_EQ(f.get_f32("llama.attention.layer_norm_rms_epsilon"), 1e-5f);
  EXPECT_EQ(f.get_u32("llama.context_length"), 8192u);
  EXPECT_FALSE(f.get_bool("tokenizer.ggml.add_bos_token"));

  const auto& nested = f.get("prism.test.nested");
  ASSERT_EQ(nested.type(), GgufType::ARRAY);
  EXPECT_EQ(nested.elem_type(), GgufType::ARRAY);
  ASSERT_EQ(nested.as_array().size(), 2u);
  EXPECT_EQ(nested.as_array()[0].elem_type(), GgufType::I32);
  EXPECT_EQ(nested.as_array()[0].as_array()[1].as_i64(), 2);
  EXPECT_EQ(nested.as_array()[1].as_array().size(), 1u);

  const auto tokens = f.get_array<std::string>("tokenizer.ggml.tokens");
  ASSERT_EQ(tokens.size(), 11u);
  EXPECT_EQ(tokens[0], "<|endoftext|>");
  EXPECT_EQ(tokens[6], "\xc4\xa0the");  // "Ġthe"
  EXPECT_EQ(f.get_array<std::int32_t>("tokenizer.ggml.token_type")[10], 4);
  EXPECT_EQ(f.get_array<float>("tokenizer.ggml.scores")[9], -7.0f);
  EXPECT_EQ(f.get_array<std::string>("tokenizer.ggml.merges")[2], "\xc4\xa0t he");
  EXPECT_NE(f.get_string("tokenizer.chat_template").find("<|im_start|>"), std::string::npos);

  // Every key, in file order, with the value type gguf-py's reader reports.
  const auto exp = expected()["metadata_types"];
  ASSERT_EQ(f.metadata().size(), exp.size());
  const std::map<std::string, GgufType> names = {
      {"UINT8", GgufType::U8},   {"INT8", GgufType::I8},     {"UINT16", GgufType::U16},  {"INT16", GgufType::I16},
      {"UINT32", GgufType::U32}, {"INT32", GgufType::I32},   {"FLOAT32", GgufType::F32}, {"BOOL", GgufType::BOOL},
      {"STRING", GgufType::STRING}, {"ARRAY", GgufType::ARRAY}, {"UINT64", GgufType::U64}, {"INT64", GgufType::I64},
      {"FLOAT64", GgufType::F64}};
  for (const auto& [key, v] : f.metadata()) {
    ASSERT_TRUE(exp.contains(key)) << key;
    EXPECT_EQ(v.type(), names.at(exp[key]["type"].get<std::string>())) << key;
  }
}

TEST(Gguf, ReadsTensorInfosRowMajorWhereGgufPyPutsThem) {
  GgufFile f(kFixture);
  const auto exp = expected()["tensors"];
  ASSERT_EQ(f.tensors().size(), exp.size());
  const auto base = reinterpret_cast<const std::byte*>(f.tensors().front().data) - f.data_offset() -
                    f.tensors().front().offset;
  for (const auto& t : f.tensors()) {
    SCOPED_TRACE(t.name);
    const auto& e = exp[t.name];
    EXPECT_EQ(std::string(ggml_type_name(t.type)), [&] {
      std::string s = e["type"].get<std::string>();
      for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      return s == "q4_k" ? std::string("q4_K") : s == "q6_k" ? std::string("q6_K") : s;
    }());
    EXPECT_EQ(t.shape, e["shape"].get<std::vector<std::int64_t>>());
    auto ne = e["ggml_ne"].get<std::vector<std::int64_t>>();
    EXPECT_EQ(t.shape, std::vector<std::int64_t>(ne.rbegin(), ne.rend()));
    EXPECT_EQ(t.nbytes, e["nbytes"].get<std::size_t>());
    EXPECT_EQ(t.data - base, e["data_offset_in_file"].get<std::int64_t>());
    EXPECT_EQ((f.data_offset() + t.offset) % f.alignment(), 0u);
  }
  EXPECT_EQ(f.tensor("t.f32").shape, (std::vector<std::int64_t>{2, 3, 8}));
  EXPECT_EQ(f.tensor("t.f32").row_length(), 8);
  EXPECT_EQ(f.tensor("t.f32").rows(), 6);
  EXPECT_EQ(f.tensor("t.q6_k").shape_string(), "[3, 256]");
}

TEST(Gguf, AccessorErrorsNameFileKeyAndTypes) {
  GgufFile f(kFixture);
  expect_error([&] { f.get_u32("general.architecture"); },
               {"tiny.gguf", "general.architecture", "string", "unsigned integer"});
  expect_error([&] { f.get_string("prism.test.u32"); }, {"tiny.gguf", "prism.test.u32", "u32", "expected a string"});
  expect_error([&] { f.get_u32("prism.test.i32"); }, {"prism.test.i32", "-2000000000", "does not fit in u32"});
  expect_error([&] { f.get_i32("prism.test.u32"); }, {"4000000000", "does not fit in i32"});
  expect_error([&] { f.get_bool("prism.test.u8"); }, {"prism.test.u8", "expected a bool"});
  expect_error([&] { f.get_f32("prism.test.i32"); }, {"expected a float"});
  expect_error([&] { f.get_string("llama.vocab_size"); }, {"tiny.gguf", "'llama.vocab_size' is missing"});
  expect_error([&] { f.get_array<std::string>("tokenizer.ggml.scores"); },
               {"tokenizer.ggml.scores", "element 0", "f32", "expected a string"});
  expect_error([&] { f.get_array<float>("general.name"); }, {"general.name", "expected an array of float"});
  expect_error([&] { f.tensor("output.weight"); }, {"tiny.gguf", "missing tensor 'output.weight'"});
  EXPECT_EQ(f.get_u32("llama.vocab_size", 7u), 7u);
  EXPECT_EQ(f.get_string("general.license", "none"), "none");
  expect_error([&] { f.get_u32("general.name", 1u); }, {"general.name", "string"});
  EXPECT_EQ(f.get_f64("prism.test.f32"), static_cast<double>(0.1f));
}

TEST(Gguf, LooksLikeGgufReadsTheMagic) {
  EXPECT_TRUE(looks_like_gguf(kFixture));
  EXPECT_FALSE(looks_like_gguf(std::filesystem::path(PRISM_FIXTURES_DIR) / "gguf/expected.json"));
  EXPECT_FALSE(looks_like_gguf("/nonexistent/x.gguf"));
}

// Our writer, given what gguf-py wrote, writes the same bytes: same header
// layout, same tensor offsets, same padding.
TEST(GgufWriter, RewritesGgufPyFixtureByteForByte) {
  GgufFile f(kFixture);
  GgufWriter w;
  for (const auto& [key, v] : f.metadata()) w.set(key, v);
  for (const auto& t : f.tensors()) w.add_tensor(t.name, t.type, t.shape, std::span<const std::byte>(t.data, t.nbytes));
  auto dir = testing::scratch_dir("gguf_rewrite");
  w.write(dir / "copy.gguf");
  EXPECT_EQ(testing::read_bytes(dir / "copy.gguf"), testing::read_bytes(kFixture));
  EXPECT_FALSE(std::filesystem::exists(dir / "copy.gguf.tmp"));
  std::filesystem::remove_all(dir);
}

TEST(GgufWriter, RoundTripsEveryValueTypeAndTensorsWithAlignment) {
  GgufWriter w(64);
  w.set_string("general.architecture", "llama");
  w.set("k.u8", GgufValue::u8(255));
  w.set("k.i8", GgufValue::i8(-128));
  w.set("k.u16", GgufValue::u16(65535));
  w.set("k.i16", GgufValue::i16(-32768));
  w.set_u32("k.u32", 0xffffffffu);
  w.set_i32("k.i32", -7);
  w.set("k.u64", GgufValue::u64(~0ull));
  w.set("k.i64", GgufValue::i64(-(1ll << 62)));
  w.set_f32("k.f32", 1.5f);
  w.set("k.f64", GgufValue::f64(-2.25));
  w.set_bool("k.bool", false);
  w.set("k.strings", GgufValue::strings({"a", "", "\xe2\x9c\x93"}));
  w.set("k.empty", GgufValue::array(GgufType::F32, {}));
  w.set("k.nested", GgufValue::array(GgufType::ARRAY, {GgufValue::f32s({1.f}), GgufValue::f32s({2.f, 3.f})}));
  w.set_u32("k.u32", 5);  // replaces, keeps its place

  std::vector<float> a(2 * 64);
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(i) * 0.25f - 3.0f;
  std::vector<std::byte> q(ggml_row_bytes(GgmlType::Q8_0, 64) * 2);
  quantize_row(GgmlType::Q8_0, a.data(), 128, q.data());
  w.add_tensor("a", GgmlType::F32, {2, 64}, std::as_bytes(std::span(a)));
  w.add_tensor("q", GgmlType::Q8_0, {2, 64}, std::span<const std::byte>(q));
  w.add_tensor("p", GgmlType::F16, {3, 1, 5}, [](std::span<std::byte> out) {
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = std::byte(static_cast<unsigned char>(i));
  });
  std::vector<std::pair<std::uint64_t, std::uint64_t>> progress;
  auto dir = testing::scratch_dir("gguf_roundtrip");
  w.write(dir / "x.gguf", [&](std::uint64_t done, std::uint64_t total) { progress.emplace_back(done, total); });
  ASSERT_EQ(progress.size(), 3u);
  EXPECT_EQ(progress.back().first, progress.back().second);
  EXPECT_EQ(progress.back().second, w.data_bytes());
  EXPECT_EQ(w.data_bytes(), 512u + 192u + 64u);  // 136 bytes of Q8_0 pad to 192

  GgufFile f(dir / "x.gguf");
  EXPECT_EQ(f.alignment(), 64u);
  EXPECT_EQ(f.get_u32("general.alignment"), 64u);
  EXPECT_EQ(f.get_u32("k.u8"), 255u);
  EXPECT_EQ(f.get_i32("k.i8"), -128);
  EXPECT_EQ(f.get_u32("k.u16"), 65535u);
  EXPECT_EQ(f.get_i32("k.i16"), -32768);
  EXPECT_EQ(f.get_u32("k.u32"), 5u);
  EXPECT_EQ(f.get_i32("k.i32"), -7);
  EXPECT_EQ(f.get_u64("k.u64"), ~0ull);
  EXPECT_EQ(f.get_i64("k.i64"), -(1ll << 62));
  EXPECT_EQ(f.get_f32("k.f32"), 1.5f);
  EXPECT_EQ(f.get_f64("k.f64"), -2.25);
  EXPECT_FALSE(f.get_bool("k.bool"));
  EXPECT_EQ(f.get_array<std::string>("k.strings"), (std::vector<std::string>{"a", "", "\xe2\x9c\x93"}));
  EXPECT_TRUE(f.get_array<float>("k.empty").empty());
  EXPECT_EQ(f.get("k.nested").as_array()[1].as_array()[1].as_f64(), 3.0);
  EXPECT_EQ(f.metadata()[2].first, "k.u8");  // general.alignment first, then insertion order

  const auto& ta = f.tensor("a");
  EXPECT_EQ(ta.shape, (std::vector<std::int64_t>{2, 64}));
  EXPECT_EQ(std::memcmp(ta.data, a.data(), ta.nbytes), 0);
  EXPECT_EQ(std::memcmp(f.tensor("q").data, q.data(), q.size()), 0);
  const auto& tp = f.tensor("p");
  EXPECT_EQ(tp.shape, (std::vector<std::int64_t>{3, 1, 5}));
  EXPECT_EQ(tp.nbytes, 30u);
  EXPECT_EQ(static_cast<int>(tp.data[29]), 29);
  for (const auto& t : f.tensors()) EXPECT_EQ((f.data_offset() + t.offset) % 64, 0u) << t.name;
  std::filesystem::remove_all(dir);
}

TEST(GgufWriter, RejectsWhatTheReaderWouldReject) {
  GgufWriter w;
  std::vector<std::byte> buf(64);
  expect_error([&] { w.add_tensor("x", GgmlType::Q8_0, {1, 33}, std::span<const std::byte>(buf)); },
               {"'x'", "row length 33", "block size 32"});
  expect_error([&] { w.add_tensor("x", GgmlType::F32, {4, 4}, std::span<const std::byte>(buf.data(), 60)); },
               {"60 bytes given", "need 64"});
  expect_error([&] { w.add_tensor("x", GgmlType::F32, {1, 2, 3, 4, 5}, std::span<const std::byte>(buf)); },
               {"1 to 4 dimensions"});
  expect_error([&] { w.add_tensor("x", GgmlType::F32, {0, 4}, std::span<const std::byte>(buf)); }, {"positive"});
  expect_error([&] { w.add_tensor(std::string(64, 'n'), GgmlType::F32, {16}, std::span<const std::byte>(buf)); },
               {"1 to 63 bytes"});
  w.add_tensor("x", GgmlType::F32, {16}, std::span<const std::byte>(buf));
  expect_error([&] { w.add_tensor("x", GgmlType::F32, {16}, std::span<const std::byte>(buf)); }, {"added twice"});
  expect_error([&] { w.set("k", GgufValue::array(GgufType::STRING, {GgufValue::u32(1)})); },
               {"'k'", "array of string holds a u32"});
  expect_error([] { GgufWriter bad(48); }, {"alignment 48"});
  expect_error([&] { w.set_u32("general.alignment", 64); }, {"general.alignment"});
}

}  // namespace
}  // namespace prism::formats
