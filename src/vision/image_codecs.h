// The per-format decoders behind decode_image (internal to the vision module).
// Each validates the declared size against the limits before allocating and
// throws prism::InvalidInput naming `source` on any failure.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "vision/image_decode.h"

namespace prism::vision::detail {

RgbImage decode_png(std::span<const std::uint8_t> bytes, std::string_view source, const DecodeLimits& limits);
RgbImage decode_jpeg(std::span<const std::uint8_t> bytes, std::string_view source, const DecodeLimits& limits);
RgbImage decode_webp(std::span<const std::uint8_t> bytes, std::string_view source, const DecodeLimits& limits);

// Throws InvalidInput unless 0 < width, height and width*height <= limits.max_pixels.
void check_dimensions(std::int64_t width, std::int64_t height, std::string_view source, std::string_view format,
                      const DecodeLimits& limits);

// "<source>: <format> <problem>" as an InvalidInput.
[[noreturn]] void fail(std::string_view source, std::string_view format, std::string_view problem);

}  // namespace prism::vision::detail
