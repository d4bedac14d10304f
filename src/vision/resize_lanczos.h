// Pillow-exact LANCZOS resize of 8-bit RGB images.
//
// Reproduces Pillow 9.4's ImagingResample (Resample.c) for 8-bit images with
// the default box: separable passes (horizontal first, each only when its
// axis changes size), a Lanczos-3 kernel widened by the downscale factor,
// per-output-pixel weights normalised in double precision, then converted to
// 22-bit fixed point with rounding, accumulated in integers and clipped to
// 0..255. The intermediate image is stored as uint8 between the passes,
// exactly as Pillow does, so results are bit-identical to
// PIL.Image.resize(size, Image.LANCZOS).
#pragma once

#include "vision/rgb_image.h"

namespace prism::vision {

// Throws std::invalid_argument if the source is empty or a target side is < 1.
RgbImage resize_lanczos(const RgbImage& image, int width, int height);

}  // namespace prism::vision
