// The reference (de)quantizers against gguf-py's numbers (tests/fixtures/gguf):
// dequantization bit-exact for every type in the fixture, quantization
// byte-exact where gguf-py quantized (it matches ggml's *_ref there).
#include "formats/ggml_types.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "core/error.h"
#include "formats/dtype.h"
#include "formats/gguf.h"
#include "test_files.h"

namespace prism::formats {
namespace {

const std::filesystem::path kDir = std::filesystem::path(PRISM_FIXTURES_DIR) / "gguf";

struct Goldens {
  nlohmann::json index;
  std::vector<float> floats;

  Goldens() {
    std::ifstream in(kDir / "expected.json");
    index = nlohmann::json::parse(in);
    const auto bytes = testing::read_bytes(kDir / "expected.bin");
    floats.resize(bytes.size() / 4);
    std::memcpy(floats.data(), bytes.data(), floats.size() * 4);
  }
  std::vector<float> get(const nlohmann::json& loc) const {
    const auto at = loc[0].get<std::size_t>(), n = loc[1].get<std::size_t>();
    return {floats.begin() + static_cast<long>(at), floats.begin() + static_cast<long>(at + n)};
  }
};

std::uint32_t bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

TEST(GgmlTypes, IdsSizesAndNamesMatchGgml) {
  EXPECT_EQ(static_cast<int>(GgmlType::Q8_0), 8);
  EXPECT_EQ(static_cast<int>(GgmlType::BF16), 30);
  EXPECT_EQ(ggml_traits(GgmlType::Q4_K).block_bytes, sizeof(BlockQ4_K));
  EXPECT_EQ(ggml_traits(GgmlType::Q6_K).block_bytes, sizeof(BlockQ6_K));
  EXPECT_EQ(ggml_traits(GgmlType::Q5_0).block_bytes, sizeof(BlockQ5_0));
  EXPECT_EQ(ggml_traits(GgmlType::Q8_0).block_size, 32);
  EXPECT_EQ(ggml_row_bytes(GgmlType::Q4_K, 512), 288u);
  EXPECT_FALSE(ggml_type_traits(4).has_value());   // Q4_2, removed
  EXPECT_FALSE(ggml_type_traits(31).has_value());  // Q4_0_4_4, removed
  EXPECT_FALSE(ggml_type_traits(1000).has_value());
  EXPECT_EQ(parse_ggml_type("Q4_K"), GgmlType::Q4_K);
  EXPECT_EQ(parse_ggml_type("q8_0"), GgmlType::Q8_0);
  EXPECT_FALSE(parse_ggml_type("q9_0").has_value());
  EXPECT_THROW(ggml_row_bytes(GgmlType::Q8_0, 33), prism::Error);
}

TEST(GgmlTypes, DequantizeMatchesGgufPyBitForBit) {
  Goldens g;
  GgufFile f(kDir / "tiny.gguf");
  for (const auto& t : f.tensors()) {
    SCOPED_TRACE(t.name);
    const auto want = g.get(g.index["tensors"][t.name]["dequantized"]);
    ASSERT_EQ(static_cast<std::int64_t>(want.size()), t.numel());
    std::vector<float> got(want.size());
    // Row by row, as a loader would.
    for (std::int64_t r = 0; r < t.rows(); ++r)
      dequantize_row(t.type, t.data + static_cast<std::size_t>(r) * ggml_row_bytes(t.type, t.row_length()),
                     t.row_length(), got.data() + r * t.row_length());
    int mismatches = 0;
    for (std::size_t i = 0; i < want.size(); ++i)
      if (bits(got[i]) != bits(want[i]) && mismatches++ < 5)
        ADD_FAILURE() << "element " << i << ": " << got[i] << " != gguf-py " << want[i];
    EXPECT_EQ(mismatches, 0);
  }
}

TEST(GgmlTypes, QuantizeMatchesGgufPyByteForByte) {
  Goldens g;
  GgufFile f(kDir / "tiny.gguf");
  int checked = 0;
  for (const auto& t : f.tensors()) {
    const auto& e = g.index["tensors"][t.name];
    if (!e.contains("source") || t.type == GgmlType::F32) continue;
    SCOPED_TRACE(t.name);
    const auto src = g.get(e["source"]);
    std::vector<std::byte> got(t.nbytes);
    quantize_row(t.type, src.data(), static_cast<std::int64_t>(src.size()), got.data());
    std::size_t first_diff = got.size();
    for (std::size_t i = 0; i < got.size() && first_diff == got.size(); ++i)
      if (got[i] != t.data[i]) first_diff = i;
    EXPECT_EQ(first_diff, got.size()) << "first differing byte " << first_diff << " of " << got.size();
    ++checked;
  }
  EXPECT_EQ(checked, 7);  // F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1
}

TEST(GgmlTypes, F32ToF16RoundsToNearestEven) {
  for (std::uint32_t h = 0; h < 0x10000; ++h) {
    const float f = f16_to_f32(static_cast<std::uint16_t>(h));
    if (std::isnan(f)) continue;
    ASSERT_EQ(f32_to_f16(f), h) << h;
  }
  EXPECT_EQ(f32_to_f16(65520.f), 0x7c00);         // halfway to 65536: ties to even -> inf
  EXPECT_EQ(f32_to_f16(65519.f), 0x7bff);         // 65504
  EXPECT_EQ(f32_to_f16(1.0f + 0x1p-11f), 0x3c00);  // tie between 1 and 1+2^-10 -> 1 (even)
  EXPECT_EQ(f32_to_f16(1.0f + 3 * 0x1p-11f), 0x3c02);
  EXPECT_EQ(f32_to_f16(0x1p-25f), 0x0000);        // tie between 0 and the smallest subnormal -> 0
  EXPECT_EQ(f32_to_f16(0x1.8p-25f), 0x0001);
  EXPECT_EQ(f32_to_f16(-0x1p-26f), 0x8000);
  EXPECT_EQ(f32_to_f16(std::nanf("")) & 0x7e00, 0x7e00);
}

// Q4_K and Q6_K quantizers have no gguf-py golden; check they are close and
// self-consistent (the dequantizer is golden-tested above).
TEST(GgmlTypes, KQuantsQuantizeWithinTheirPrecision) {
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.f, 0.02f);
  std::vector<float> x(4 * kQK_K);
  for (auto& v : x) v = nd(rng);
  std::fill(x.begin() + kQK_K, x.begin() + kQK_K + 32, 0.f);
  std::fill(x.begin() + 2 * kQK_K, x.begin() + 3 * kQK_K, 0.f);  // an all-zero super-block
  for (auto [type, tol] : {std::pair{GgmlType::Q4_K, 0.12}, std::pair{GgmlType::Q6_K, 0.03}}) {
    SCOPED_TRACE(std::string(ggml_type_name(type)));
    std::vector<std::byte> q(ggml_row_bytes(type, static_cast<std::int64_t>(x.size())));
    quantize_row(type, x.data(), static_cast<std::int64_t>(x.size()), q.data());
    std::vector<float> y(x.size());
    dequantize_row(type, q.data(), static_cast<std::int64_t>(x.size()), y.data());
    double err = 0, ref = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      err += (x[i] - y[i]) * (x[i] - y[i]);
      ref += x[i] * x[i];
    }
    EXPECT_LT(std::sqrt(err / ref), tol);
    for (int i = 2 * kQK_K; i < 3 * kQK_K; ++i) ASSERT_EQ(y[static_cast<std::size_t>(i)], 0.f);
  }
}

TEST(GgmlTypes, LegacyQuantsRoundTripAndRejectPartialBlocks) {
  std::vector<float> x(64);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(static_cast<float>(i));
  // One quantization step: Q4_0 / Q5_0 clamp the element of opposite sign to the maximum.
  for (auto [type, tol] : {std::pair{GgmlType::Q8_0, 0.01}, std::pair{GgmlType::Q5_0, 0.07},
                           std::pair{GgmlType::Q4_0, 0.13}, std::pair{GgmlType::Q4_1, 0.12},
                           std::pair{GgmlType::Q5_1, 0.06}, std::pair{GgmlType::BF16, 0.01}}) {
    std::vector<std::byte> q(ggml_row_bytes(type, 64));
    quantize_row(type, x.data(), 64, q.data());
    std::vector<float> y(64);
    dequantize_row(type, q.data(), 64, y.data());
    for (std::size_t i = 0; i < x.size(); ++i) ASSERT_NEAR(y[i], x[i], tol) << ggml_type_name(type) << " " << i;
  }
  std::vector<float> out(64);
  EXPECT_THROW(dequantize_row(GgmlType::Q8_0, x.data(), 48, out.data()), prism::Error);
  EXPECT_THROW(quantize_row(GgmlType::Q4_K, x.data(), 64, out.data()), prism::Error);
  EXPECT_THROW(dequantize_row(GgmlType::IQ2_XXS, x.data(), 256, out.data()), prism::Error);
}

}  // namespace
}  // namespace prism::formats
