// The Idefics3 / SmolVLM connector: pixel shuffle (space-to-depth by the
// checkpoint's scale factor) then a bias-free linear into the text width.
#pragma once

#include "kernels/thread_pool.h"
#include "tensor/tensor.h"
#include "tensor/tensor.h"

namespace prism::models {

// One tile's [side·side, dim] features -> [(side/s)², dim·s²], exactly as
// Idefics3Connector.pixel_shuffle orders them.
tensor::Tensor pixel_shuffle(const tensor::Tensor& tile, int scale_factor);

// pixel_shuffle then the projection; returns [(side/s)², text_hidden].
tensor::Tensor connect_tile(kernels::ThreadPool& pool, const tensor::Tensor& tile, int scale_factor,
                            const tensor::MatrixView& projection);

}  // namespace prism::models
