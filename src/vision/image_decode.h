// Still-image decoding: PNG, JPEG and WebP bytes -> 8-bit RGB, the way the
// reference pipeline (transformers' load_image, i.e. Pillow's
// Image.open(...).convert("RGB")) sees them: alpha is dropped without
// compositing, grayscale is replicated, palettes are looked up, 16-bit
// samples keep their high byte (16-bit grayscale is clipped to 0..255, as
// Pillow's "I" -> "RGB" conversion does), and the EXIF orientation is applied
// (ImageOps.exif_transpose, see exif_orientation.h).
//
// Every failure (unknown format, truncated or corrupt data, zero or too large
// dimensions, too many bytes) throws prism::InvalidInput naming the source.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "vision/rgb_image.h"

namespace prism::vision {

struct DecodeLimits {
  std::int64_t max_pixels = 64LL * 1024 * 1024;  // width * height of the decoded image
  std::size_t max_bytes = 64u << 20;             // size of the encoded input
};

enum class ImageFormat { unknown, png, jpeg, webp, gif, bmp, tiff };

// Identifies the container from its first bytes ("magic"); never throws.
ImageFormat detect_image_format(std::span<const std::uint8_t> bytes);
std::string_view image_format_name(ImageFormat format);

// `source_name` (a path, "data URL #2", ...) only appears in error messages.
RgbImage decode_image(std::span<const std::uint8_t> bytes, std::string_view source_name,
                      const DecodeLimits& limits = {});

// Reads the file (refusing files over limits.max_bytes before reading) and decodes it.
RgbImage load_image_file(const std::filesystem::path& path, const DecodeLimits& limits = {});

}  // namespace prism::vision
