// Q5_0, Q4_K and Q6_K matrices as llama.cpp's files hold them, multiplied
// from their blocks: through the tensor view (row_to_f32, which the prompt
// paths pack from), on every decode kernel variant this CPU has (the
// portable one forced too), and through kernels::matmul for decode- and
// prompt-sized x, all against float64 sums over the dequantized matrix.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <vector>

#include "dequantized_matmul_check.h"
#include "formats/dtype.h"
#include "formats/ggml_types.h"
#include "kernels/kquant_matvec.h"
#include "kernels/matmul.h"
#include "kernels/panel_gemm.h"
#include "kernels/q8_0_matvec.h"

namespace prism::models {
namespace {

using formats::DType;
using formats::GgmlType;

// A random n x k matrix quantized to `type` by the reference quantizer, and
// its dequantization.
struct BlockMatrix {
  std::vector<std::byte> blocks;
  std::vector<float> dequantized;
  tensor::MatrixView view;
};

BlockMatrix block_matrix(GgmlType type, DType dtype, std::int64_t n, std::int64_t k, std::uint32_t seed) {
  auto w = normal_vector(static_cast<std::size_t>(n * k), seed);
  // A few rows of one sign and offset, so that Q4_K's minimums and the
  // extreme 5- and 6-bit codes are all exercised.
  for (std::int64_t l = 0; l < k; ++l) w[static_cast<std::size_t>(2 * k + l)] = 3.0f + std::abs(w[2 * k + l]);
  for (std::int64_t l = 0; l < k; ++l) w[static_cast<std::size_t>(5 * k + l)] = -0.5f - std::abs(w[5 * k + l]);
  BlockMatrix m;
  const std::size_t row_bytes = formats::ggml_row_bytes(type, k);
  m.blocks.resize(static_cast<std::size_t>(n) * row_bytes);
  m.dequantized.resize(static_cast<std::size_t>(n * k));
  for (std::int64_t r = 0; r < n; ++r) {
    formats::quantize_row(type, w.data() + r * k, k, m.blocks.data() + r * row_bytes);
    formats::dequantize_row(type, m.blocks.data() + r * row_bytes, k, m.dequantized.data() + r * k);
  }
  m.view = {dtype, m.blocks.data(), n, k};
  return m;
}

// 70 rows: groups of four and a ragged tail of two, over 2 tasks of rows.
void expect_block_matmul(GgmlType type, DType dtype, std::int64_t k, std::uint32_t seed) {
  const std::int64_t n = 70;
  const auto m = block_matrix(type, dtype, n, k, seed);
  EXPECT_EQ(formats::dtype_row_bytes(dtype, k), formats::ggml_row_bytes(type, k));
  std::vector<float> row(static_cast<std::size_t>(k));
  for (std::int64_t r : {0, 5, 69}) {
    m.view.row_to_f32(r, row.data());
    EXPECT_TRUE(std::equal(row.begin(), row.end(), m.dequantized.begin() + r * k)) << "row " << r;
  }
  const auto bias = normal_vector(static_cast<std::size_t>(n), seed + 1);
  ASSERT_TRUE(kernels::kquant_decode_takes(dtype));
  for (kernels::BlockIsa isa : kernels::available_block_isas()) {
    auto on_isa = [isa](kernels::ThreadPool& pool, const float* x, std::int64_t rows, const tensor::MatrixView& w,
                        const float* b, float* y) { kernels::matmul_kquant(pool, x, rows, w, b, y, isa); };
    expect_matmul_matches_dequantized(m.view, m.dequantized, bias, seed + 2, {1, 3, 4, 5}, on_isa, true,
                                      kernels::block_isa_name(isa));
  }
  // Tighter: against x as the kernels round it (int8 blocks), every variant
  // must give the products of the blocks to float32 rounding.
  kernels::ThreadPool pool(2);
  for (std::int64_t rows : {1, 5}) {
    const auto x = normal_vector(static_cast<std::size_t>(rows * k), seed + 4);
    for (kernels::BlockIsa isa : kernels::available_block_isas()) {
      std::vector<float> y(static_cast<std::size_t>(rows * n));
      kernels::matmul_kquant(pool, x.data(), rows, m.view, bias.data(), y.data(), isa);
      for (std::int64_t i = 0; i < rows; ++i) {
        kernels::QuantizedRow xq;
        kernels::quantize_activations(x.data() + i * k, k, xq);
        for (std::int64_t j = 0; j < n; ++j) {
          double ref = bias[j], magnitude = std::abs(bias[j]);
          for (std::int64_t l = 0; l < k; ++l) {
            const double xl = static_cast<double>(xq.scale[l / 32]) * xq.q[l], p = xl * m.dequantized[j * k + l];
            ref += p;
            magnitude += std::abs(p);
          }
          ASSERT_NEAR(y[i * n + j], ref, 2e-6 * magnitude)
              << formats::dtype_name(dtype) << " " << kernels::block_isa_name(isa) << " m " << rows << " at " << i
              << "," << j;
        }
      }
    }
  }
  // The engine's entry: the best decode kernel, then AMX or the panels for prompts.
  expect_matmul_matches_dequantized(m.view, m.dequantized, bias, seed + 3, {1, 3, 4, 5, 16, 20});
}

TEST(Q5_0, MatmulMatchesTheDequantizedMatrix) { expect_block_matmul(GgmlType::Q5_0, DType::Q5_0, 96, 31); }
TEST(Q4_K, MatmulMatchesTheDequantizedMatrix) { expect_block_matmul(GgmlType::Q4_K, DType::Q4_K, 512, 41); }
TEST(Q6_K, MatmulMatchesTheDequantizedMatrix) { expect_block_matmul(GgmlType::Q6_K, DType::Q6_K, 512, 51); }

// The float32 panels (prompts where AMX is absent) pack rows widened from
// the blocks: column j of a panel is row r0 + j of the dequantized matrix.
TEST(KQuant, PanelsPackTheDequantizedRows) {
  for (auto [type, dtype] : {std::pair{GgmlType::Q5_0, DType::Q5_0}, std::pair{GgmlType::Q4_K, DType::Q4_K},
                             std::pair{GgmlType::Q6_K, DType::Q6_K}}) {
    const std::int64_t n = 20, k = 256;
    const auto m = block_matrix(type, dtype, n, k, 61);
    std::vector<float> panel(static_cast<std::size_t>(k * kernels::kPanelWidth));
    const int nr = std::min<int>(kernels::kPanelWidth, 9);
    kernels::pack_panel(m.view, 7, nr, panel.data());
    for (int j = 0; j < nr; ++j)
      for (std::int64_t l = 0; l < k; ++l)
        ASSERT_EQ(panel[static_cast<std::size_t>(l * kernels::kPanelWidth + j)], m.dequantized[(7 + j) * k + l])
            << formats::dtype_name(dtype) << " " << j << "," << l;
  }
}

TEST(KQuant, OtherDtypesAreNotTaken) {
  EXPECT_FALSE(kernels::kquant_decode_takes(DType::Q8_0));
  EXPECT_FALSE(kernels::kquant_decode_takes(DType::F32));
  EXPECT_EQ(formats::dtype_block_size(DType::Q4_K), 256);
  EXPECT_EQ(formats::dtype_block_size(DType::Q5_0), 32);
  EXPECT_EQ(formats::dtype_block_size(DType::BF16), 1);
}

}  // namespace
}  // namespace prism::models
