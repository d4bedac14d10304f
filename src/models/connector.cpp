#include "models/connector.h"

#include <cmath>
#include <cstring>

#include "core/error.h"
#include "kernels/matmul.h"

namespace prism::models {

using tensor::Tensor;

Tensor pixel_shuffle(const Tensor& tile, int scale_factor) {
  const std::int64_t seq = tile.dim(0), d = tile.dim(1), s = scale_factor;
  const auto side = static_cast<std::int64_t>(std::llround(std::sqrt(static_cast<double>(seq))));
  if (side * side != seq || side % s != 0)
    throw Error("pixel shuffle: " + std::to_string(seq) + " patches do not form a square grid divisible by " +
                std::to_string(s));
  const std::int64_t out_side = side / s;
  Tensor out({out_side * out_side, d * s * s});
  // Idefics3: view [h, w/s, s·d] -> permute -> [w/s, h/s, s²·d] -> permute,
  // which gives out[hb·(w/s) + wb][J] = x[hb·s + J/(s·d)][wb·s + (J % (s·d))/d][J % d].
  for (std::int64_t hb = 0; hb < out_side; ++hb)
    for (std::int64_t wb = 0; wb < out_side; ++wb) {
      float* dst = out.row(hb * out_side + wb);
      for (std::int64_t dy = 0; dy < s; ++dy)
        for (std::int64_t dx = 0; dx < s; ++dx) {
          const float* src = tile.row((hb * s + dy) * side + wb * s + dx);
          std::memcpy(dst + (dy * s + dx) * d, src, static_cast<std::size_t>(d) * sizeof(float));
        }
    }
  return out;
}

Tensor connect_tile(kernels::ThreadPool& pool, const Tensor& tile, int scale_factor,
                    const tensor::MatrixView& projection) {
  Tensor shuffled = pixel_shuffle(tile, scale_factor);
  Tensor out({shuffled.dim(0), projection.rows});
  kernels::matmul(pool, shuffled.data(), shuffled.dim(0), projection, nullptr, out.data());
  return out;
}

}  // namespace prism::models
