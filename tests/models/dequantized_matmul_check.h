// The check every block-type matmul test shares: y = x · Wᵀ from the blocks
// against double sums over the dequantized weights, within a bound that
// says which rounding each path does.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

#include "formats/dtype.h"
#include "kernels/amx_gemm.h"
#include "kernels/matmul.h"
#include "kernels/panel_gemm.h"
#include "kernels/thread_pool.h"
#include "tensor/tensor.h"

namespace prism::models {

inline std::vector<float> normal_vector(std::size_t n, std::uint32_t seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, sigma);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// Σ |x_il · w_jl|: many rows of a quantized matrix on AMX round both x and
// the dequantized weights to bf16 (2^-9 each, relative).
inline double abs_products(const std::vector<float>& x, const std::vector<float>& w, std::int64_t i, std::int64_t j,
                           std::int64_t k) {
  double sum = 0;
  for (std::int64_t l = 0; l < k; ++l) sum += std::abs(static_cast<double>(x[i * k + l]) * w[j * k + l]);
  return sum;
}

using MatmulFn = std::function<void(kernels::ThreadPool&, const float*, std::int64_t, const tensor::MatrixView&,
                                    const float*, float*)>;

// matmul on a block-quantized matrix (n x k) for each m in `ms` against
// double sums over the dequantized weights `wd`. The int8 decode kernels
// (`matmul` for m < kInt8BatchRows, or every m where `int8_x`) round x to 8 bits
// per block of 32: their error is bounded by half an x step times Σ|w| of
// each block; AMX (prompt-sized m) rounds x and the weights to bf16.
inline void expect_matmul_matches_dequantized(const tensor::MatrixView& view, const std::vector<float>& wd,
                                              const std::vector<float>& bias, std::uint32_t seed,
                                              std::initializer_list<std::int64_t> ms = {1, 3, 7, 8, 20, 33},
                                              const MatmulFn& fn = kernels::matmul, bool int8_x = false,
                                              const std::string& label = "") {
  kernels::ThreadPool pool(2);
  const std::int64_t n = view.rows, k = view.cols;
  for (std::int64_t m : ms) {
    const bool prompt = !int8_x && m >= kernels::kInt8BatchRows;
    auto x = normal_vector(m * k, seed + static_cast<std::uint32_t>(m));
    std::vector<float> y(m * n);
    fn(pool, x.data(), m, view, bias.data(), y.data());
    for (std::int64_t i = 0; i < m; ++i)
      for (std::int64_t j = 0; j < n; ++j) {
        double ref = bias[j], bound = 1e-4 * std::sqrt(static_cast<double>(k));
        for (std::int64_t b = 0; b < k / 32; ++b) {
          double amax = 0, wsum = 0;
          for (std::int64_t l = b * 32; l < b * 32 + 32; ++l) {
            ref += static_cast<double>(x[i * k + l]) * wd[j * k + l];
            amax = std::max(amax, static_cast<double>(std::abs(x[i * k + l])));
            wsum += std::abs(wd[j * k + l]);
          }
          if (!prompt || !kernels::panel_gemm_available()) bound += amax / 127.0 * 0.5 * wsum;
        }
        if (prompt && kernels::amx_bf16_available()) bound += abs_products(x, wd, i, j, k) / 256;
        ASSERT_NEAR(y[i * n + j], ref, bound)
            << formats::dtype_name(view.dtype) << " " << label << " m " << m << " at " << i << "," << j;
      }
  }
}

}  // namespace prism::models
