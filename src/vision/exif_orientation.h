// EXIF orientation, applied as transformers' load_image does with
// PIL.ImageOps.exif_transpose before convert("RGB").
//
// The Orientation tag (0x0112) is read from IFD0 of the EXIF block: a JPEG's
// first APP1 "Exif" segment, a PNG's eXIf chunk, a WebP's EXIF chunk.
// (Pillow also honours an XMP tiff:Orientation when EXIF has none; that
// fallback is not reproduced.)
#pragma once

#include <cstdint>
#include <span>

#include "vision/image_decode.h"
#include "vision/rgb_image.h"

namespace prism::vision {

// 1..8 as stored, or 1 (upright) when absent, malformed or out of range.
int read_exif_orientation(std::span<const std::uint8_t> bytes, ImageFormat format);

// Pillow's transposes for orientations 2..8 (2 mirror, 3 rotate 180, 4 flip,
// 5 transpose, 6 rotate 90 clockwise, 7 transverse, 8 rotate 90 counter-
// clockwise); 1 and unknown values leave the image as it is.
RgbImage apply_exif_orientation(RgbImage image, int orientation);

}  // namespace prism::vision
