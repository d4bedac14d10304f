// Weight formats other than the checkpoint's (the conversions themselves are
// checked against gguf-py in tests/formats): Q8_0 matrices through the
// tensor view, the int8 matrix-vector kernel against float32 arithmetic, and the drift of
// a Q8_0 text decoder from the reference on every golden case (printed as a
// table: max logit error, top-1 agreement on the prompt and on the golden
// continuation, teacher-forced).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include "dequantized_matmul_check.h"
#include "fixture_case.h"
#include "formats/dtype.h"
#include "core/error.h"
#include "kernels/amx_gemm.h"
#include "kernels/matmul.h"
#include "kernels/panel_gemm.h"
#include "kernels/q8_0_matvec.h"
#include "models/smolvlm.h"
#include "models/weight_quantization.h"
#include "formats/ggml_types.h"

namespace prism::models {
namespace {

using formats::BlockQ8_0;

void quantize_rows(const float* w, std::int64_t rows, std::int64_t cols, BlockQ8_0* out) {
  for (std::int64_t r = 0; r < rows; ++r)
    formats::quantize_row(formats::GgmlType::Q8_0, w + r * cols, cols, out + r * (cols / 32));
}

void dequantize_rows(const BlockQ8_0* blocks, std::int64_t rows, std::int64_t cols, float* out) {
  for (std::int64_t r = 0; r < rows; ++r)
    formats::dequantize_row(formats::GgmlType::Q8_0, blocks + r * (cols / 32), cols, out + r * cols);
}

TEST(Q8_0, MatrixRowsConvertThroughTheView) {
  const std::int64_t rows = 3, cols = 64;
  auto w = normal_vector(rows * cols, 2);
  std::vector<BlockQ8_0> blocks(rows * 2);
  quantize_rows(w.data(), rows, cols, blocks.data());
  const tensor::MatrixView view{formats::DType::Q8_0, blocks.data(), rows, cols};
  std::vector<float> row(cols), want(cols);
  for (std::int64_t r = 0; r < rows; ++r) {
    view.row_to_f32(r, row.data());
    dequantize_rows(blocks.data() + r * 2, 1, cols, want.data());
    EXPECT_EQ(row, want) << r;
  }
  EXPECT_EQ(formats::dtype_row_bytes(formats::DType::Q8_0, cols), 68u);
}

TEST(Q8_0, DotVariantsAgree) {
  for (std::int64_t blocks : {1, 2, 3, 18, 48}) {
    auto w = normal_vector(4 * blocks * 32, 3), x = normal_vector(blocks * 32, 4);
    w[5] = -127.0f * 4;  // a row whose largest weight quantizes to -127 (the widest unsigned offset)
    std::vector<BlockQ8_0> wq(4 * blocks);
    quantize_rows(w.data(), 4, blocks * 32, wq.data());
    kernels::QuantizedRow xq;
    kernels::quantize_activations(x.data(), blocks * 32, xq);
    float ref[4];
    for (int r = 0; r < 4; ++r)
      ref[r] = kernels::dot_q8_0_portable(wq.data() + r * blocks, xq.q.data(), xq.scale.data(), blocks);
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")) {
      EXPECT_NEAR(kernels::dot_q8_0_avx2(wq.data(), xq.q.data(), xq.scale.data(), blocks), ref[0],
                  1e-5 * (1 + std::abs(ref[0])))
          << blocks;
    }
    if (kernels::q8_0_vnni_available()) {
      float got[4];
      kernels::dot4_q8_0_vnni(wq.data(), blocks, xq, blocks, got);
      for (int r = 0; r < 4; ++r) EXPECT_NEAR(got[r], ref[r], 1e-5 * (1 + std::abs(ref[r]))) << blocks << " row " << r;
    }
  }
}

// A decode row gets the same bits from the four-x kernel (a batch) as from
// the one-x kernel (alone), for every row of x, odd and even block counts.
TEST(Q8_0, BatchKernelGivesTheOneRowKernelsBits) {
  if (!kernels::q8_0_vnni_available()) GTEST_SKIP() << "no AVX-512 VNNI on this CPU";
  for (std::int64_t blocks : {1, 2, 3, 18, 49}) {
    auto w = normal_vector(4 * blocks * 32, 8);
    std::vector<BlockQ8_0> wq(4 * blocks);
    quantize_rows(w.data(), 4, blocks * 32, wq.data());
    const std::int64_t row_bytes = static_cast<std::int64_t>(formats::ggml_row_bytes(formats::GgmlType::Q4_0, blocks * 32));
    std::vector<std::byte> w4(4 * row_bytes);
    for (int r = 0; r < 4; ++r)
      formats::quantize_row(formats::GgmlType::Q4_0, w.data() + r * blocks * 32, blocks * 32, w4.data() + r * row_bytes);
    const auto* q4 = reinterpret_cast<const formats::BlockQ4_0*>(w4.data());
    kernels::QuantizedRow xq[4];
    const kernels::QuantizedRow* xs[4];
    for (int i = 0; i < 4; ++i) {
      kernels::quantize_activations(normal_vector(blocks * 32, 20 + i).data(), blocks * 32, xq[i]);
      xs[i] = &xq[i];
    }
    float batch8[16], batch4[16];
    kernels::dot4x4_q8_0_vnni(wq.data(), blocks, xs, blocks, batch8);
    kernels::dot4x4_q4_0_vnni(q4, blocks, xs, blocks, batch4);
    for (int i = 0; i < 4; ++i) {
      float alone8[4], alone4[4];
      kernels::dot4_q8_0_vnni(wq.data(), blocks, xq[i], blocks, alone8);
      kernels::dot4_q4_0_vnni(q4, blocks, xq[i], blocks, alone4);
      for (int r = 0; r < 4; ++r) {
        EXPECT_EQ(batch8[i * 4 + r], alone8[r]) << "Q8_0, " << blocks << " blocks, x " << i << " row " << r;
        EXPECT_EQ(batch4[i * 4 + r], alone4[r]) << "Q4_0, " << blocks << " blocks, x " << i << " row " << r;
      }
    }
  }
}

TEST(Q8_0, MatmulMatchesTheDequantizedMatrix) {
  const std::int64_t n = 70, k = 96;
  auto w = normal_vector(n * k, 5), bias = normal_vector(n, 6);
  std::vector<BlockQ8_0> blocks(n * k / 32);
  quantize_rows(w.data(), n, k, blocks.data());
  std::vector<float> wd(n * k);
  dequantize_rows(blocks.data(), n, k, wd.data());
  expect_matmul_matches_dequantized({formats::DType::Q8_0, blocks.data(), n, k}, wd, bias, 7);
}

// Q4_0 matrices as llama.cpp's files hold them (the VNNI decode kernel where
// the CPU has it: 70 rows leave a ragged tail after the groups of 4).
TEST(Q4_0, MatmulMatchesTheDequantizedMatrix) {
  const std::int64_t n = 70, k = 96;
  auto w = normal_vector(n * k, 15), bias = normal_vector(n, 16);
  const std::size_t row_bytes = formats::ggml_row_bytes(formats::GgmlType::Q4_0, k);
  std::vector<std::byte> blocks(n * row_bytes);
  std::vector<float> wd(n * k);
  for (std::int64_t r = 0; r < n; ++r) {
    formats::quantize_row(formats::GgmlType::Q4_0, w.data() + r * k, k, blocks.data() + r * row_bytes);
    formats::dequantize_row(formats::GgmlType::Q4_0, blocks.data() + r * row_bytes, k, wd.data() + r * k);
  }
  const tensor::MatrixView view{formats::DType::Q4_0, blocks.data(), n, k};
  std::vector<float> row(k);
  view.row_to_f32(3, row.data());
  EXPECT_TRUE(std::equal(row.begin(), row.end(), wd.begin() + 3 * k));
  expect_matmul_matches_dequantized(view, wd, bias, 17);
}

TEST(WeightFormat, NamesParse) {
  EXPECT_EQ(parse_weight_format("q8_0"), formats::DType::Q8_0);
  EXPECT_EQ(parse_weight_format("Q8_0"), formats::DType::Q8_0);
  EXPECT_EQ(parse_weight_format("bf16"), formats::DType::BF16);
  EXPECT_EQ(parse_weight_format(""), std::nullopt);
  EXPECT_EQ(parse_weight_format("none"), std::nullopt);
  EXPECT_THROW(parse_weight_format("q4_k"), InvalidInput);
}

// Every golden case with the text decoder in Q8_0: prefill logits and the
// golden continuation fed back (teacher forcing), compared with the
// reference. The table is printed for docs/PERFORMANCE.md.
TEST(WeightFormat, Q8_0DecoderStaysCloseToTheReference) {
  std::printf("\n| case | max |Δlogit| | logit spread (ref) | top-1 prompt | top-1 continuation |\n|---|---|---|---|---|\n");
  int steps_total = 0, steps_agree = 0;
  for (const auto& [ckpt, name] : prism::testing::model_cases()) {
    const auto c = prism::testing::load_case(ckpt, name);
    auto model = SmolVlmModel::load(c.checkpoint_dir(), 2, formats::DType::Q8_0);
    // Matrices whose rows are whole blocks are Q8_0 (all of tiny-a; only
    // down_proj, 96 wide, of tiny-b's 48-wide decoder), the others unchanged.
    for (const auto& layer : model->weights().text.layers)
      for (const Matrix* m : layer.matrices())
        ASSERT_EQ(m->dtype == formats::DType::Q8_0, m->cols % 32 == 0) << ckpt << " " << m->cols;
    const auto& cfg = model->config();
    const std::int64_t vocab = cfg.text.vocab_size;
    const auto ids = c.input_ids();
    tensor::Tensor features;
    const bool has_images = c.has_array("pixel_values");
    if (has_images) {
      const auto shape = c.shape("pixel_values");
      features = model->connect(model->encode_images(c.array("pixel_values").data(), shape[1], shape[3], shape[4]));
    }
    KvCache cache = model->make_cache();
    tensor::Tensor hidden = model->text().forward(model->pool(), model->embed_prompt(ids, has_images ? &features : nullptr), cache);
    const std::int64_t seq = hidden.dim(0);
    std::vector<float> logits(static_cast<std::size_t>(seq * vocab));
    model->text().logits(model->pool(), hidden.data(), seq, logits.data());

    // Rows of reference logits with their positions.
    std::vector<std::pair<const float*, std::vector<float>>> rows;
    if (c.has_array("logits")) {
      const auto all = c.array("logits");
      for (std::int64_t p = 0; p < seq; ++p)
        rows.emplace_back(&logits[p * vocab], std::vector<float>(all.begin() + p * vocab, all.begin() + (p + 1) * vocab));
    } else {
      const auto positions = c.json["logits_positions"].get<std::vector<std::int64_t>>();
      const auto picked = c.array("logits_at_positions");
      for (std::size_t i = 0; i < positions.size(); ++i)
        rows.emplace_back(&logits[positions[i] * vocab],
                          std::vector<float>(picked.begin() + static_cast<long>(i * vocab),
                                             picked.begin() + static_cast<long>((i + 1) * vocab)));
    }
    double max_err = 0, spread = 0;
    int prompt_agree = 0;
    auto compare = [&](const float* got, const std::vector<float>& ref) {
      for (std::size_t v = 0; v < ref.size(); ++v) max_err = std::max(max_err, std::abs(static_cast<double>(got[v]) - ref[v]));
      const auto [lo, hi] = std::minmax_element(ref.begin(), ref.end());
      spread = std::max(spread, static_cast<double>(*hi - *lo));
      return std::max_element(got, got + ref.size()) - got == std::max_element(ref.begin(), ref.end()) - ref.begin();
    };
    for (const auto& [got, ref] : rows) prompt_agree += compare(got, ref);

    const auto want_ids = c.json["generate"]["new_token_ids"].get<std::vector<std::int32_t>>();
    const auto step_ref = c.array("generate_step_logits");
    std::vector<float> step(&logits[(seq - 1) * vocab], &logits[seq * vocab]);
    int agree = 0;
    for (std::size_t s = 0; s < want_ids.size(); ++s) {
      agree += compare(step.data(), std::vector<float>(step_ref.begin() + static_cast<long>(s * vocab),
                                                       step_ref.begin() + static_cast<long>((s + 1) * vocab)));
      tensor::Tensor h = model->text().forward(model->pool(), model->embed_prompt({want_ids[s]}, nullptr), cache);
      model->text().logits(model->pool(), h.data(), 1, step.data());
    }
    steps_total += static_cast<int>(want_ids.size());
    steps_agree += agree;
    std::printf("| %s/%s | %.4f | %.2f | %d/%zu | %d/%zu |\n", ckpt.c_str(), name.c_str(), max_err, spread, prompt_agree,
                rows.size(), agree, want_ids.size());
    // Q8_0 keeps each weight within half a step of 1/127 of its block's
    // largest: on these fixtures that moves logits by a few hundredths.
    EXPECT_LT(max_err, 0.02 * spread) << ckpt << "/" << name;
  }
  std::printf("continuation top-1 agreement: %d/%d\n", steps_agree, steps_total);
  EXPECT_GE(steps_agree * 10, steps_total * 9) << "Q8_0 should pick the reference's token at >= 90% of the steps";
}

}  // namespace
}  // namespace prism::models
