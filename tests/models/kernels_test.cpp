// The dispatched kernels against the portable reference and plain formulas.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cmath>
#include <random>
#include <thread>
#include <chrono>

#include "formats/dtype.h"
#include "kernels/amx_gemm.h"
#include "kernels/dot.h"
#include "kernels/group_attention.h"
#include "kernels/matmul.h"
#include "kernels/ops.h"
#include "kernels/panel_gemm.h"
#include "kernels/q8_0_matvec.h"
#include "kernels/thread_pool.h"
#include "kernels/vector_math.h"

namespace prism::kernels {
namespace {

std::vector<float> random_vector(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d;
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

TEST(Kernels, DotVariantsAgreeWithDoubleSum) {
  for (std::int64_t n : {1, 7, 8, 15, 16, 31, 33, 64, 100, 577}) {
    auto a = random_vector(n, 1), b = random_vector(n, 2);
    double ref = 0;
    for (std::int64_t i = 0; i < n; ++i) ref += static_cast<double>(a[i]) * b[i];
    EXPECT_NEAR(dot_portable(a.data(), b.data(), n), ref, 1e-4) << n;
    EXPECT_NEAR(dot(a.data(), b.data(), n), ref, 1e-4) << n << " " << best_dot_name();
    if (__builtin_cpu_supports("avx2")) { EXPECT_NEAR(dot_avx2(a.data(), b.data(), n), ref, 1e-4); }
    if (__builtin_cpu_supports("avx512f")) { EXPECT_NEAR(dot_avx512(a.data(), b.data(), n), ref, 1e-4); }
  }
}

TEST(Kernels, Dot4x4VariantsAgreeWithPortable) {
  for (std::int64_t n : {1, 9, 16, 40, 768, 1001}) {
    auto a = random_vector(4 * (n + 3), 6), b = random_vector(4 * (n + 5), 7);
    float ref[16], got[16];
    dot4x4_portable(a.data(), n + 3, b.data(), n + 5, n, ref);
    best_dot4x4()(a.data(), n + 3, b.data(), n + 5, n, got);
    for (int i = 0; i < 16; ++i) EXPECT_NEAR(got[i], ref[i], 1e-4 * (1 + std::abs(ref[i]))) << n << " " << i;
    if (__builtin_cpu_supports("avx2")) {
      dot4x4_avx2(a.data(), n + 3, b.data(), n + 5, n, got);
      for (int i = 0; i < 16; ++i) EXPECT_NEAR(got[i], ref[i], 1e-4 * (1 + std::abs(ref[i])));
    }
  }
}

// Few rows (decoding) keep x in float32: 16-bit weights give what their
// float32 upcast gives, up to summation order. 37 rows (not a multiple of
// the kernels' 4), 50 columns (a tail after the vectors).
TEST(Kernels, MatmulOf16BitWeightsMatchesUpcastF32) {
  const std::int64_t n = 37, k = 50;
  ThreadPool pool(2);
  for (auto dtype : {formats::DType::BF16, formats::DType::F16})
    for (std::int64_t m : {1, 3, kTileRows - 1}) {
      auto x = random_vector(m * k, 3), wf = random_vector(n * k, 4), bias = random_vector(n, 5);
      std::vector<std::uint16_t> w16(wf.size());
      for (std::size_t i = 0; i < wf.size(); ++i) {
        w16[i] = dtype == formats::DType::BF16 ? formats::f32_to_bf16(wf[i]) : formats::f32_to_f16(wf[i]);
        // the exact values the 16-bit matrix holds
        wf[i] = dtype == formats::DType::BF16 ? formats::bf16_to_f32(w16[i]) : formats::f16_to_f32(w16[i]);
      }
      std::vector<float> y32(m * n), y16(m * n);
      matmul(pool, x.data(), m, {formats::DType::F32, wf.data(), n, k}, bias.data(), y32.data());
      matmul(pool, x.data(), m, {dtype, w16.data(), n, k}, bias.data(), y16.data());
      for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t j = 0; j < n; ++j) {
          double ref = bias[j];
          for (std::int64_t l = 0; l < k; ++l) ref += static_cast<double>(x[i * k + l]) * wf[j * k + l];
          EXPECT_NEAR(y32[i * n + j], ref, 1e-4);
          EXPECT_NEAR(y16[i * n + j], ref, 1e-5 * (1 + std::abs(ref))) << formats::dtype_name(dtype) << " m=" << m;
        }
    }
}

// Many rows of bf16 weights on AMX: x split into three bf16 planes matches
// a double sum of x as it is; with bf16_inputs (weights re-stored for
// speed) x is rounded to bf16, and f16 weights to bf16 too, so the double
// sum is of those rounded values. Shapes with partial row blocks, partial
// panels, k not a multiple of 32, several row tasks.
TEST(Kernels, AmxMatmulAgreesWithDoubleSum) {
  if (!amx_bf16_available()) GTEST_SKIP() << "no AMX-BF16 on this CPU (or PRISM_AMX=off)";
  auto bf16 = [](float f) { return formats::bf16_to_f32(formats::f32_to_bf16(f)); };
  ThreadPool pool(2);
  for (auto [m, n, k] : {std::array<std::int64_t, 3>{8, 32, 32}, {9, 33, 7}, {130, 70, 300}, {17, 5, 600},
                         {600, 96, 1030}}) {
    for (auto [dtype, rounded] : {std::pair{formats::DType::BF16, false}, std::pair{formats::DType::BF16, true},
                                  std::pair{formats::DType::F16, true}}) {
      auto x = random_vector(m * k, 31), wf = random_vector(n * k, 32), bias = random_vector(n, 33);
      std::vector<std::uint16_t> w16(wf.size());
      for (std::size_t i = 0; i < wf.size(); ++i) {
        w16[i] = dtype == formats::DType::BF16 ? formats::f32_to_bf16(wf[i]) : formats::f32_to_f16(wf[i]);
        wf[i] = dtype == formats::DType::BF16 ? formats::bf16_to_f32(w16[i]) : bf16(formats::f16_to_f32(w16[i]));
      }
      tensor::MatrixView w{dtype, w16.data(), n, k};
      w.bf16_inputs = rounded;
      ASSERT_TRUE(amx_takes(w));
      std::vector<float> y(m * n, -1.0f);
      matmul(pool, x.data(), m, w, bias.data(), y.data());
      for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t j = 0; j < n; ++j) {
          double ref = bias[j];
          for (std::int64_t l = 0; l < k; ++l)
            ref += static_cast<double>(rounded ? bf16(x[i * k + l]) : x[i * k + l]) * wf[j * k + l];
          ASSERT_NEAR(y[i * n + j], ref, 2e-6 * std::sqrt(static_cast<double>(k)) * (1 + std::abs(ref)))
              << formats::dtype_name(dtype) << (rounded ? " rounded " : " ") << m << "x" << n << "x" << k << " at "
              << i << "," << j;
        }
    }
  }
  tensor::MatrixView f16{formats::DType::F16, nullptr, 1, 1};
  EXPECT_FALSE(amx_takes(f16)) << "f16 weights keep the exact float32 path unless re-stored for speed";
}

// The panel path (many rows, AVX-512 or AVX2) against a double-precision sum, over
// shapes that leave partial tiles, partial panels and several depth blocks.
TEST(Kernels, MatmulOfManyRowsAgreesWithDoubleSum) {
  ThreadPool pool(2);
  for (auto [m, n, k] : {std::array<std::int64_t, 3>{8, 32, 16}, {9, 33, 7}, {130, 70, 300}, {17, 5, 600},
                         {64, 96, 1030}}) {
    auto x = random_vector(m * k, 11), w = random_vector(n * k, 12), bias = random_vector(n, 13);
    std::vector<float> y(m * n, -1.0f), no_bias(m * n, -1.0f);
    matmul(pool, x.data(), m, {formats::DType::F32, w.data(), n, k}, bias.data(), y.data());
    matmul(pool, x.data(), m, {formats::DType::F32, w.data(), n, k}, nullptr, no_bias.data());
    for (std::int64_t i = 0; i < m; ++i)
      for (std::int64_t j = 0; j < n; ++j) {
        double ref = 0;
        for (std::int64_t l = 0; l < k; ++l) ref += static_cast<double>(x[i * k + l]) * w[j * k + l];
        const double tol = 2e-6 * std::sqrt(static_cast<double>(k)) * (1 + std::abs(ref));
        ASSERT_NEAR(no_bias[i * n + j], ref, tol) << m << "x" << n << "x" << k << " at " << i << "," << j;
        ASSERT_NEAR(y[i * n + j], ref + bias[j], tol + 1e-6) << m << "x" << n << "x" << k;
      }
  }
}

// Each variant the CPU has, on a packed panel and on a slice of a wider
// matrix (ldp > nr: nothing past the slice's nr columns may be read), with
// and without a bias.
TEST(Kernels, PanelTileVariantsMatchPortableDots) {
  using TileFn = void (*)(const float*, std::int64_t, int, const float*, std::int64_t, std::int64_t, float*,
                          std::int64_t, int, const float*);
  std::vector<std::pair<const char*, TileFn>> variants;
  if (__builtin_cpu_supports("avx512f")) variants.emplace_back("avx512", panel_tile_avx512);
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) variants.emplace_back("avx2", panel_tile_avx2);
  if (variants.empty()) GTEST_SKIP() << "neither AVX-512 nor AVX2 on this CPU";
  const std::int64_t k = 257, wide = 45;
  auto x = random_vector(kTileRows * k, 21), w = random_vector(kPanelWidth * k, 22), bias = random_vector(32, 23);
  std::vector<float> panel(k * kPanelWidth);
  for (auto [name, tile] : variants)
    for (bool sliced : {false, true})
      for (int nr : {1, 7, 8, 9, 15, 16, 17, 24, 31, 32}) {
        // The slice case keeps the panel's values in a [k][wide] matrix
        // whose last row ends right after column nr - 1.
        std::vector<float> matrix;
        const float* p = panel.data();
        std::int64_t ldp = kPanelWidth;
        pack_panel({formats::DType::F32, w.data(), nr, k}, 0, nr, panel.data());
        if (sliced) {
          matrix.assign((k - 1) * wide + nr, 0.0f);
          for (std::int64_t kk = 0; kk < k; ++kk)
            for (int j = 0; j < nr; ++j) matrix[kk * wide + j] = panel[kk * kPanelWidth + j];
          p = matrix.data();
          ldp = wide;
        }
        for (int rows = 1; rows <= kTileRows; ++rows)
          for (const float* b : {static_cast<const float*>(nullptr), static_cast<const float*>(bias.data())}) {
            std::vector<float> y(kTileRows * kPanelWidth, 7.0f);
            tile(x.data(), k, rows, p, ldp, k, y.data(), kPanelWidth, nr, b);
            for (int r = 0; r < kTileRows; ++r)
              for (int j = 0; j < kPanelWidth; ++j) {
                if (r >= rows || j >= nr) {
                  ASSERT_EQ(y[r * kPanelWidth + j], 7.0f) << name << ": wrote outside the tile";
                  continue;
                }
                const float ref = dot_portable(x.data() + r * k, w.data() + j * k, k) + (b ? b[j] : 0.0f);
                ASSERT_NEAR(y[r * kPanelWidth + j], ref, 1e-4 * (1 + std::abs(ref)))
                    << name << " rows " << rows << " nr " << nr << (sliced ? " sliced" : "");
              }
          }
      }
}

// Grouped-query decode attention: every group size and head size (the
// AVX-512 shapes and the ones it hands to the portable loops), key counts
// that are and are not multiples of four, strided rows; the weighted sum adds
// to what out holds.
TEST(Kernels, GroupAttentionVariantsMatchPortable) {
  if (!group_attention_available()) GTEST_SKIP() << "no AVX-512 on this CPU";
  for (std::int64_t head_dim : {16, 48, 64, 80, 128, 24})
    for (int group = 1; group <= 5; ++group)
      for (std::int64_t n : {1, 3, 4, 5, 16, 17}) {
        const std::int64_t stride = head_dim * 3 + 5, ld = n + 3;
        auto q = random_vector(group * head_dim, 31), k = random_vector(n * stride, 32);
        auto p = random_vector(group * ld, 33), start = random_vector(group * head_dim, 34);
        std::vector<float> ref(group * ld, 7.0f), got(group * ld, 7.0f);
        group_scores_portable(q.data(), group, k.data(), stride, n, head_dim, ref.data(), ld);
        group_scores_avx512(q.data(), group, k.data(), stride, n, head_dim, got.data(), ld);
        for (std::size_t i = 0; i < ref.size(); ++i)
          ASSERT_NEAR(got[i], ref[i], 1e-4 * (1 + std::abs(ref[i])))
              << "scores, head_dim " << head_dim << " group " << group << " n " << n << " at " << i;
        std::vector<float> out_ref = start, out_got = start;
        group_weighted_sum_portable(p.data(), ld, group, k.data(), stride, n, head_dim, out_ref.data());
        group_weighted_sum_avx512(p.data(), ld, group, k.data(), stride, n, head_dim, out_got.data());
        for (std::size_t i = 0; i < out_ref.size(); ++i)
          ASSERT_NEAR(out_got[i], out_ref[i], 1e-4 * (1 + std::abs(out_ref[i])))
              << "weighted sum, head_dim " << head_dim << " group " << group << " n " << n << " at " << i;
      }
}

// The dispatched activation quantizer gives the portable one's bits: random
// rows, a zero block, and values that land exactly halfway between two
// integers (rounded to even by both).
TEST(Kernels, ActivationQuantizerMatchesPortableBits) {
  auto x = random_vector(32 * 40, 41);
  std::fill(x.begin() + 64, x.begin() + 96, 0.0f);
  for (int i = 0; i < 32; ++i) x[96 + i] = i == 0 ? 127.0f : static_cast<float>(i) + 0.5f;
  QuantizedRow ref, got;
  quantize_activations_portable(x.data(), static_cast<std::int64_t>(x.size()), ref);
  quantize_activations(x.data(), static_cast<std::int64_t>(x.size()), got);
  EXPECT_EQ(got.q, ref.q);
  EXPECT_EQ(got.scale, ref.scale);
  EXPECT_EQ(got.sum, ref.sum);
  EXPECT_EQ(ref.q[96 + 3], 4);  // 3.5 -> 4, ties to even
  EXPECT_EQ(ref.q[96 + 4], 4);  // 4.5 -> 4
}

TEST(Kernels, OpsMatchFormulas) {
  std::vector<float> x = {1, -2, 3, 0.5f}, w = {1, 2, 1, 1}, y(4);
  rms_norm(x.data(), w.data(), 4, 1e-5f, y.data());
  const float inv = 1.0f / std::sqrt((1 + 4 + 9 + 0.25f) / 4 + 1e-5f);
  EXPECT_NEAR(y[1], -4 * inv, 1e-6);
  std::vector<float> s = {1, 2, 3};
  softmax(s.data(), 3);
  EXPECT_NEAR(s[2], std::exp(3.0) / (std::exp(1.0) + std::exp(2.0) + std::exp(3.0)), 1e-6);
  std::vector<float> g = {-1.0f, 0.0f, 2.0f};
  gelu_tanh(g.data(), 3);
  EXPECT_NEAR(g[2], 1.9545977115631104, 1e-6);  // torch.nn.functional.gelu(2.0, approximate="tanh")
  std::vector<float> v = {1, 0, 0, 1}, c = {0, 1}, sn = {1, 0};
  rope_rotate_half(v.data(), c.data(), sn.data(), 4);  // 90° on pair (0,2), 0° on pair (1,3)
  EXPECT_FLOAT_EQ(v[0], 0);
  EXPECT_FLOAT_EQ(v[2], 1);
  EXPECT_FLOAT_EQ(v[3], 1);
}

// The vectorized exp-based steps against double-precision formulas, over
// lengths with tails and inputs out to where exp saturates.
TEST(Kernels, VectorMathVariantsMatchDoubleFormulas) {
  using InPlace = void (*)(float*, std::int64_t);
  using Gated = void (*)(float*, const float*, std::int64_t);
  struct Variant {
    const char* name;
    InPlace softmax;
    InPlace gelu;
    Gated silu;
  };
  std::vector<Variant> variants;
  if (__builtin_cpu_supports("avx512f")) variants.push_back({"avx512", softmax_avx512, gelu_tanh_avx512, silu_mul_avx512});
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    variants.push_back({"avx2", softmax_avx2, gelu_tanh_avx2, silu_mul_avx2});
  if (variants.empty()) GTEST_SKIP() << "neither AVX-512 nor AVX2 on this CPU";
  for (const auto& v : variants)
    for (std::int64_t n : {1, 7, 16, 17, 100, 1024}) {
      auto x = random_vector(n, 41), up = random_vector(n, 42);
      for (std::int64_t i = 0; i < n; ++i) x[i] *= (i % 5 == 0 ? 60.0f : 6.0f);  // some far out
      // softmax
      auto s = x;
      v.softmax(s.data(), n);
      double mx = -1e30, sum = 0;
      for (float f : x) mx = std::max<double>(mx, f);
      for (float f : x) sum += std::exp(f - mx);
      for (std::int64_t i = 0; i < n; ++i)
        ASSERT_NEAR(s[i], std::exp(x[i] - mx) / sum, 2e-7 + 1e-6 * std::exp(x[i] - mx) / sum) << v.name << " " << n;
      // y += a·x
      auto ax = up;
      (v.softmax == softmax_avx512 ? axpy_avx512 : axpy_avx2)(0.75f, x.data(), ax.data(), n);
      for (std::int64_t i = 0; i < n; ++i) ASSERT_FLOAT_EQ(ax[i], std::fma(0.75f, x[i], up[i])) << v.name << " axpy";
      // gelu (tanh form), silu · up
      auto g = x, si = x;
      v.gelu(g.data(), n);
      v.silu(si.data(), up.data(), n);
      for (std::int64_t i = 0; i < n; ++i) {
        const double a = x[i];
        const double gelu = 0.5 * a * (1 + std::tanh(0.7978845608028654 * (a + 0.044715 * a * a * a)));
        const double silu = a / (1 + std::exp(-a)) * up[i];
        ASSERT_NEAR(g[i], gelu, 1e-6 * (1 + std::abs(gelu))) << v.name << " gelu(" << a << ")";
        ASSERT_NEAR(si[i], silu, 1e-6 * (1 + std::abs(silu))) << v.name << " silu(" << a << ")";
      }
    }
}

TEST(ThreadPool, RunsEveryTaskOnce) {
  ThreadPool pool(2);
  for (int round = 0; round < 50; ++round) {
    std::vector<std::atomic<int>> hits(97);
    pool.parallel_for(97, [&](std::int64_t t) { hits[t]++; });
    for (auto& h : hits) ASSERT_EQ(h.load(), 1);
  }
}

// Batches back to back (workers spinning), after pauses longer than the spin
// (workers asleep), of 1..64 tasks, with 2 and 4 threads: every task of
// every batch runs exactly once, and none runs after its batch returned.
TEST(ThreadPool, BatchesNeverMix) {
  for (int threads : {2, 4}) {
    ThreadPool pool(threads);
    std::mt19937 rng(static_cast<std::uint32_t>(threads));
    std::atomic<int> late{0};
    for (int round = 0; round < 3000; ++round) {
      const int tasks = 1 + static_cast<int>(rng() % 64);
      std::vector<std::atomic<int>> hits(static_cast<std::size_t>(tasks));
      std::atomic<bool> returned{false};
      pool.parallel_for(tasks, [&](std::int64_t t) {
        if (returned.load()) late++;
        hits[static_cast<std::size_t>(t)]++;
      });
      returned = true;
      for (auto& h : hits) ASSERT_EQ(h.load(), 1) << "round " << round;
      if (rng() % 100 == 0) std::this_thread::sleep_for(std::chrono::microseconds(ThreadPool::kSpinMicros * 3));
    }
    EXPECT_EQ(late.load(), 0);
  }
}

}  // namespace
}  // namespace prism::kernels
