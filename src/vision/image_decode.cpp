#include "vision/image_decode.h"

#include <cstring>
#include <fstream>
#include <limits>
#include <string>

#include "core/error.h"
#include "vision/exif_orientation.h"
#include "vision/image_codecs.h"

namespace prism::vision {

namespace detail {

[[noreturn]] void fail(std::string_view source, std::string_view format, std::string_view problem) {
  std::string message(source);
  message += ": ";
  if (!format.empty()) {
    message += format;
    message += ' ';
  }
  message += problem;
  throw InvalidInput(message);
}

void check_dimensions(std::int64_t width, std::int64_t height, std::string_view source, std::string_view format,
                      const DecodeLimits& limits) {
  if (width <= 0 || height <= 0)
    fail(source, format,
         "image has zero size (" + std::to_string(width) + "x" + std::to_string(height) + ")");
  // Both sides fit in int for every supported format, so the product cannot overflow int64.
  if (width > std::numeric_limits<int>::max() / 4 || height > std::numeric_limits<int>::max() / 4 ||
      width * height > limits.max_pixels)
    fail(source, format,
         "image is " + std::to_string(width) + "x" + std::to_string(height) + " = " +
             std::to_string(width * height) + " pixels, over the limit of " + std::to_string(limits.max_pixels));
}

}  // namespace detail

ImageFormat detect_image_format(std::span<const std::uint8_t> b) {
  auto starts = [&](std::size_t at, const char* magic) {
    const std::size_t n = std::strlen(magic);
    return b.size() >= at + n && std::memcmp(b.data() + at, magic, n) == 0;
  };
  if (starts(0, "\x89PNG\r\n\x1a\n")) return ImageFormat::png;
  if (starts(0, "\xFF\xD8\xFF")) return ImageFormat::jpeg;
  if (starts(0, "RIFF") && starts(8, "WEBP")) return ImageFormat::webp;
  if (starts(0, "GIF87a") || starts(0, "GIF89a")) return ImageFormat::gif;
  if (starts(0, "BM")) return ImageFormat::bmp;
  if (starts(0, "II*") || starts(0, "MM")) {
    if (b.size() >= 4 && ((b[0] == 'I' && b[2] == 42 && b[3] == 0) || (b[0] == 'M' && b[2] == 0 && b[3] == 42)))
      return ImageFormat::tiff;
  }
  return ImageFormat::unknown;
}

std::string_view image_format_name(ImageFormat format) {
  switch (format) {
    case ImageFormat::png: return "PNG";
    case ImageFormat::jpeg: return "JPEG";
    case ImageFormat::webp: return "WebP";
    case ImageFormat::gif: return "GIF";
    case ImageFormat::bmp: return "BMP";
    case ImageFormat::tiff: return "TIFF";
    case ImageFormat::unknown: break;
  }
  return "unknown";
}

RgbImage decode_image(std::span<const std::uint8_t> bytes, std::string_view source_name, const DecodeLimits& limits) {
  if (bytes.empty()) detail::fail(source_name, "", "image is empty (0 bytes)");
  if (bytes.size() > limits.max_bytes)
    detail::fail(source_name, "",
                 "image is " + std::to_string(bytes.size()) + " bytes, over the limit of " +
                     std::to_string(limits.max_bytes));
  const ImageFormat format = detect_image_format(bytes);
  const auto upright = [&](RgbImage image) {
    return apply_exif_orientation(std::move(image), read_exif_orientation(bytes, format));
  };
  switch (format) {
    case ImageFormat::png: return upright(detail::decode_png(bytes, source_name, limits));
    case ImageFormat::jpeg: return upright(detail::decode_jpeg(bytes, source_name, limits));
    case ImageFormat::webp: return upright(detail::decode_webp(bytes, source_name, limits));
    case ImageFormat::gif:
    case ImageFormat::bmp:
    case ImageFormat::tiff:
      detail::fail(source_name, "",
                   std::string("is a ") + std::string(image_format_name(format)) +
                       " image; supported formats are PNG, JPEG and WebP");
    case ImageFormat::unknown: break;
  }
  detail::fail(source_name, "", "is not a PNG, JPEG or WebP image (unrecognised leading bytes)");
}

RgbImage load_image_file(const std::filesystem::path& path, const DecodeLimits& limits) {
  const std::string name = path.string();
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) detail::fail(name, "", "image file does not exist");
  if (!std::filesystem::is_regular_file(status)) detail::fail(name, "", "is not a regular file");
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) detail::fail(name, "", "cannot read the file size: " + ec.message());
  if (size > limits.max_bytes)
    detail::fail(name, "",
                 "image file is " + std::to_string(size) + " bytes, over the limit of " +
                     std::to_string(limits.max_bytes));
  std::ifstream in(path, std::ios::binary);
  if (!in) detail::fail(name, "", "cannot open the image file");
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (static_cast<std::uintmax_t>(in.gcount()) != size) detail::fail(name, "", "could not read the whole file");
  return decode_image(bytes, name, limits);
}

}  // namespace prism::vision
