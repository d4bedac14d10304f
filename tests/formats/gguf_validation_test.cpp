// Every check of the GGUF reader, each on a hand-built file that breaks one
// rule, plus truncation at every byte: each is a prism::Error naming the file.
#include <gtest/gtest.h>

#include "core/error.h"
#include "formats/gguf.h"
#include "formats/gguf_writer.h"
#include "gguf_bytes.h"
#include "test_files.h"

namespace prism::formats {
namespace {

using testing::GgufBytes;

class GgufValidation : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::scratch_dir("gguf_validation"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes the bytes and expects the reader to reject them with every fragment.
  void expect_rejected(const GgufBytes& g, std::initializer_list<std::string> fragments) {
    const auto p = dir_ / "bad.gguf";
    testing::write_bytes(p, g.b);
    try {
      GgufFile f(p);
      ADD_FAILURE() << "accepted a file that should fail with: " << *fragments.begin();
    } catch (const prism::Error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("bad.gguf"), std::string::npos) << msg;
      for (const auto& frag : fragments) EXPECT_NE(msg.find(frag), std::string::npos) << msg << " lacks " << frag;
    }
  }
  GgufFile load(const GgufBytes& g) {
    const auto p = dir_ / "good.gguf";
    testing::write_bytes(p, g.b);
    return GgufFile(p);
  }

  std::filesystem::path dir_;
};

// One F32 [2, 8] tensor at offset 0: the base every case below bends.
GgufBytes one_tensor(std::vector<std::uint64_t> ne = {8, 2}, std::uint32_t type = 0, std::uint64_t offset = 0,
                     std::size_t data = 64) {
  GgufBytes g;
  g.header(1, 1).kv_string("general.architecture", "llama").tensor("w", ne, type, offset).align().zeros(data);
  return g;
}

TEST_F(GgufValidation, AcceptsTheBaseFile) {
  auto f = load(one_tensor());
  EXPECT_EQ(f.tensor("w").shape, (std::vector<std::int64_t>{2, 8}));
  EXPECT_EQ(f.tensor("w").nbytes, 64u);
  GgufBytes v2;
  v2.header(0, 1, 2).kv_u32("x", 1);
  EXPECT_EQ(load(v2).version(), 2u);
}

TEST_F(GgufValidation, RejectsBadHeaders) {
  GgufBytes g;
  g.b = {'G', 'G'};
  expect_rejected(g, {"truncated", "2 bytes"});
  g.b = {'G', 'G', 'M', 'L', 0, 0, 0, 0};
  expect_rejected(g, {"not a GGUF file"});
  expect_rejected(GgufBytes().header(0, 0, 1), {"version 1 is not supported"});
  expect_rejected(GgufBytes().header(0, 0, 7), {"unsupported GGUF version 7"});
  expect_rejected(GgufBytes().header(0, 0, 0x03000000), {"big-endian"});
  GgufBytes short_header;
  short_header.b = {'G', 'G', 'U', 'F', 3, 0, 0, 0, 1, 0};
  expect_rejected(short_header, {"truncated", "tensor count"});
}

TEST_F(GgufValidation, RejectsCountsTheFileCannotHold) {
  expect_rejected(GgufBytes().header(0, 1ull << 60), {"metadata count 1152921504606846976 cannot fit"});
  expect_rejected(GgufBytes().header(~0ull, 0), {"tensor count", "cannot fit"});
  expect_rejected(GgufBytes().header(0, 2).kv_u32("a-long-key", 1), {"truncated", "metadata entry #1"});
}

TEST_F(GgufValidation, RejectsHostileStringsAndValues) {
  GgufBytes long_key;
  long_key.header(0, 1).put<std::uint64_t>(1ull << 40).zeros(8);
  expect_rejected(long_key, {"truncated", "metadata entry #0", "needs 1099511627776 bytes"});
  GgufBytes long_value;
  long_value.header(0, 1).str("k").put<std::uint32_t>(8).put<std::uint64_t>(~0ull);
  expect_rejected(long_value, {"metadata key 'k'", "truncated"});
  GgufBytes bad_type;
  bad_type.header(0, 1).str("k").put<std::uint32_t>(13).put<std::uint32_t>(0);
  expect_rejected(bad_type, {"metadata key 'k'", "unknown value type 13"});
  GgufBytes empty_key;
  empty_key.header(0, 1).str("").put<std::uint32_t>(4).put<std::uint32_t>(0);
  expect_rejected(empty_key, {"empty key"});
  expect_rejected(GgufBytes().header(0, 2).kv_u32("k", 1).kv_u32("k", 2), {"duplicate metadata key 'k'"});
  GgufBytes short_scalar;
  short_scalar.header(0, 1).str("k").put<std::uint32_t>(10).put<std::uint32_t>(0);
  expect_rejected(short_scalar, {"metadata key 'k'", "u64 value", "truncated"});
}

TEST_F(GgufValidation, RejectsHostileArrays) {
  GgufBytes huge;
  huge.header(0, 1).str("k").put<std::uint32_t>(9).put<std::uint32_t>(8).put<std::uint64_t>(1ull << 50);
  expect_rejected(huge, {"metadata key 'k'", "array of 1125899906842624 string elements cannot fit"});
  GgufBytes elem;
  elem.header(0, 1).str("k").put<std::uint32_t>(9).put<std::uint32_t>(99).put<std::uint64_t>(0);
  expect_rejected(elem, {"metadata key 'k'", "unknown array element type 99"});
  GgufBytes deep;
  deep.header(0, 1).str("k").put<std::uint32_t>(9);
  for (int i = 0; i < 20; ++i) deep.put<std::uint32_t>(9).put<std::uint64_t>(1);
  expect_rejected(deep, {"metadata key 'k'", "nested deeper than 8"});
  GgufBytes cut;
  cut.header(0, 1).str("k").put<std::uint32_t>(9).put<std::uint32_t>(4).put<std::uint64_t>(3).put<std::uint32_t>(1);
  expect_rejected(cut, {"array of 3 u32 elements cannot fit"});
}

TEST_F(GgufValidation, RejectsBadAlignment) {
  GgufBytes g;
  g.header(0, 1).kv_u32("general.alignment", 48);
  expect_rejected(g, {"general.alignment", "48 is not a power of two"});
  GgufBytes z;
  z.header(0, 1).kv_u32("general.alignment", 0);
  expect_rejected(z, {"not a power of two"});
  GgufBytes t;
  t.header(0, 1).kv_string("general.alignment", "32");
  expect_rejected(t, {"general.alignment", "must be u32"});
}

TEST_F(GgufValidation, RejectsHostileTensorInfos) {
  expect_rejected(one_tensor({}), {"tensor 'w'", "0 dimensions"});
  expect_rejected(one_tensor({1, 1, 1, 1, 1}), {"tensor 'w'", "5 dimensions"});
  expect_rejected(one_tensor({8, 0}), {"tensor 'w'", "dimension 1 is 0"});
  expect_rejected(one_tensor({8, 1ull << 63}), {"tensor 'w'", "must be positive"});
  expect_rejected(one_tensor({1ull << 32, 1ull << 32}), {"tensor 'w'", "element count overflows"});
  expect_rejected(one_tensor({1ull << 40, 2}), {"tensor 'w'", "needs more bytes than"});
  expect_rejected(one_tensor({8, 2}, 4), {"tensor 'w'", "unknown ggml type id 4"});
  expect_rejected(one_tensor({8, 2}, 99), {"unknown ggml type id 99"});
  expect_rejected(one_tensor({33, 2}, 8), {"tensor 'w'", "row length 33", "q8_0 block size 32"});
  expect_rejected(one_tensor({8, 2}, 0, 4), {"tensor 'w'", "offset 4 is not a multiple of the alignment 32"});
  expect_rejected(one_tensor({8, 2}, 0, 1ull << 62), {"tensor 'w'", "runs past the end"});
  expect_rejected(one_tensor({8, 2}, 0, 0, 63), {"tensor 'w'", "runs past the end", "63 bytes"});
  expect_rejected(one_tensor({8, 2}, 0, 32, 64), {"tensor 'w'", "runs past the end"});

  GgufBytes empty_name;
  empty_name.header(1, 0).tensor("", {8}, 0, 0).align().zeros(32);
  expect_rejected(empty_name, {"tensor info #0 has an empty name"});
  GgufBytes long_name;
  long_name.header(1, 0).tensor(std::string(64, 'x'), {8}, 0, 0).align().zeros(32);
  expect_rejected(long_name, {"name is 64 bytes"});
  GgufBytes dup;
  dup.header(2, 0).tensor("w", {8}, 0, 0).tensor("w", {8}, 0, 32).align().zeros(64);
  expect_rejected(dup, {"duplicate tensor 'w'"});
  GgufBytes overlap;
  overlap.header(2, 0).tensor("a", {16}, 0, 0).tensor("b", {8}, 0, 32).align().zeros(96);
  expect_rejected(overlap, {"tensors 'a' and 'b' overlap"});
  GgufBytes no_data;
  no_data.header(1, 0).tensor("w", {8}, 0, 0);
  expect_rejected(no_data, {"truncated", "data section would start"});
  GgufBytes cut_info;
  cut_info.header(1, 0).str(std::string(30, 'w')).put<std::uint32_t>(2).put<std::uint64_t>(8);
  expect_rejected(cut_info, {"tensor 'www", "truncated", "dimension"});
}

// Every prefix of a real file that cuts into its header or tensor data is
// rejected; past the last tensor's data (its trailing padding) it loads.
TEST_F(GgufValidation, TruncationAtEveryByteIsAnError) {
  GgufWriter w;
  w.set_string("general.architecture", "llama");
  w.set("tokenizer.ggml.tokens", GgufValue::strings({"a", "bc", "def"}));
  w.set("x.nested", GgufValue::array(GgufType::ARRAY, {GgufValue::i32s({1, 2})}));
  w.set_f32("x.f", 0.5f);
  std::vector<std::byte> q8(34 * 2), f32(4 * 5);
  w.add_tensor("a", GgmlType::Q8_0, {2, 32}, std::span<const std::byte>(q8));
  w.add_tensor("b", GgmlType::F32, {5}, std::span<const std::byte>(f32));
  const auto full_path = dir_ / "full.gguf";
  w.write(full_path);
  const auto full = testing::read_bytes(full_path);
  std::size_t data_end = 0;
  {
    GgufFile f(full_path);
    for (const auto& t : f.tensors()) data_end = std::max<std::size_t>(data_end, f.data_offset() + t.offset + t.nbytes);
  }
  ASSERT_LT(data_end, full.size());
  const auto p = dir_ / "cut.gguf";
  for (std::size_t n = 0; n <= full.size(); ++n) {
    testing::write_bytes(p, std::vector<char>(full.begin(), full.begin() + static_cast<long>(n)));
    bool loaded = false;
    try {
      GgufFile f(p);
      loaded = true;
    } catch (const prism::Error& e) {
      ASSERT_NE(std::string(e.what()).find("cut.gguf"), std::string::npos) << e.what();
    }
    ASSERT_EQ(loaded, n >= data_end) << "prefix of " << n << " bytes";
  }
}

}  // namespace
}  // namespace prism::formats
