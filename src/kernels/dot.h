// The hot inner product, with runtime ISA dispatch: AVX-512, AVX2+FMA, or a
// portable loop (the reference the others are checked against).
#pragma once

#include <cstdint>
#include <string_view>

namespace prism::kernels {

using DotFn = float (*)(const float* a, const float* b, std::int64_t n);

float dot_portable(const float* a, const float* b, std::int64_t n);
float dot_avx2(const float* a, const float* b, std::int64_t n);
float dot_avx512(const float* a, const float* b, std::int64_t n);

// A 4x4 tile of dot products: out[i*4 + j] = dot(a + i*lda, b + j*ldb, n).
// Loading each a and b vector once for four products is what lets the
// batched (prompt, vision) matmuls run at arithmetic rather than load speed.
using Dot4x4Fn = void (*)(const float* a, std::int64_t lda, const float* b, std::int64_t ldb, std::int64_t n,
                          float* out);

void dot4x4_portable(const float* a, std::int64_t lda, const float* b, std::int64_t ldb, std::int64_t n, float* out);
void dot4x4_avx2(const float* a, std::int64_t lda, const float* b, std::int64_t ldb, std::int64_t n, float* out);
void dot4x4_avx512(const float* a, std::int64_t lda, const float* b, std::int64_t ldb, std::int64_t n, float* out);

// The best kernels this CPU runs (chosen once, at first use).
DotFn best_dot();
Dot4x4Fn best_dot4x4();
std::string_view best_dot_name();

inline float dot(const float* a, const float* b, std::int64_t n) { return best_dot()(a, b, n); }

}  // namespace prism::kernels
