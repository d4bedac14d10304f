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

// The best kernel this CPU runs (chosen once, at first use).
DotFn best_dot();
std::string_view best_dot_name();

inline float dot(const float* a, const float* b, std::int64_t n) { return best_dot()(a, b, n); }

}  // namespace prism::kernels
