#include "vision/exif_orientation.h"

#include <cstring>
#include <optional>

namespace prism::vision {
namespace {

using Bytes = std::span<const std::uint8_t>;

std::uint32_t be16(const std::uint8_t* p) { return (std::uint32_t{p[0]} << 8) | p[1]; }
std::uint32_t be32(const std::uint8_t* p) { return (be16(p) << 16) | be16(p + 2); }
std::uint32_t le32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[3]} << 24);
}

// Orientation from a TIFF-structured EXIF block (optionally prefixed "Exif\0\0").
int orientation_from_exif(Bytes exif) {
  if (exif.size() >= 6 && std::memcmp(exif.data(), "Exif\0\0", 6) == 0) exif = exif.subspan(6);
  if (exif.size() < 8) return 1;
  const bool little = exif[0] == 'I' && exif[1] == 'I';
  const bool big = exif[0] == 'M' && exif[1] == 'M';
  if (!little && !big) return 1;
  auto u16 = [&](std::size_t at) -> std::uint32_t {
    return little ? (std::uint32_t{exif[at]} | (std::uint32_t{exif[at + 1]} << 8)) : be16(&exif[at]);
  };
  auto u32 = [&](std::size_t at) -> std::uint32_t { return little ? le32(&exif[at]) : be32(&exif[at]); };
  if (u16(2) != 42) return 1;
  const std::size_t ifd = u32(4);
  if (ifd > exif.size() || exif.size() - ifd < 2) return 1;
  const std::size_t entries = u16(ifd);
  for (std::size_t e = 0; e < entries; ++e) {
    const std::size_t at = ifd + 2 + 12 * e;
    if (at + 12 > exif.size()) return 1;
    if (u16(at) != 0x0112) continue;
    const std::uint32_t type = u16(at + 2), count = u32(at + 4);
    if (count != 1) return 1;
    std::uint32_t value = 0;
    if (type == 3) value = u16(at + 8);        // SHORT
    else if (type == 4) value = u32(at + 8);   // LONG
    else if (type == 1) value = exif[at + 8];  // BYTE
    else return 1;
    return value >= 1 && value <= 8 ? static_cast<int>(value) : 1;
  }
  return 1;
}

// A JPEG's first APP1 segment that starts with "Exif\0".
std::optional<Bytes> jpeg_exif(Bytes b) {
  std::size_t at = 2;
  while (at + 4 <= b.size()) {
    if (b[at] != 0xFF) return std::nullopt;
    const std::uint8_t marker = b[at + 1];
    if (marker == 0xFF) {  // fill byte
      ++at;
      continue;
    }
    if (marker == 0xDA || marker == 0xD9) return std::nullopt;  // image data or end: no more headers
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
      at += 2;
      continue;
    }
    const std::size_t length = be16(&b[at + 2]);
    if (length < 2 || at + 2 + length > b.size()) return std::nullopt;
    Bytes payload = b.subspan(at + 4, length - 2);
    if (marker == 0xE1 && payload.size() >= 5 && std::memcmp(payload.data(), "Exif\0", 5) == 0) return payload;
    at += 2 + length;
  }
  return std::nullopt;
}

std::optional<Bytes> png_exif(Bytes b) {
  std::size_t at = 8;
  while (at + 12 <= b.size()) {
    const std::size_t length = be32(&b[at]);
    if (length > b.size() - at - 12) return std::nullopt;
    if (std::memcmp(&b[at + 4], "eXIf", 4) == 0) return b.subspan(at + 8, length);
    if (std::memcmp(&b[at + 4], "IEND", 4) == 0) return std::nullopt;
    at += 12 + length;
  }
  return std::nullopt;
}

std::optional<Bytes> webp_exif(Bytes b) {
  std::size_t at = 12;
  while (at + 8 <= b.size()) {
    const std::size_t length = le32(&b[at + 4]);
    if (length > b.size() - at - 8) return std::nullopt;
    if (std::memcmp(&b[at], "EXIF", 4) == 0) return b.subspan(at + 8, length);
    at += 8 + length + (length & 1);
  }
  return std::nullopt;
}

}  // namespace

int read_exif_orientation(std::span<const std::uint8_t> bytes, ImageFormat format) {
  std::optional<Bytes> exif;
  switch (format) {
    case ImageFormat::jpeg: exif = jpeg_exif(bytes); break;
    case ImageFormat::png: exif = png_exif(bytes); break;
    case ImageFormat::webp: exif = webp_exif(bytes); break;
    default: break;
  }
  return exif ? orientation_from_exif(*exif) : 1;
}

RgbImage apply_exif_orientation(RgbImage image, int orientation) {
  if (orientation < 2 || orientation > 8) return image;
  const int w = image.width, h = image.height;
  const bool swaps = orientation >= 5;  // 5..8 exchange width and height
  RgbImage out = make_rgb_image(swaps ? h : w, swaps ? w : h);
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      int sx = x, sy = y;
      switch (orientation) {
        case 2: sx = w - 1 - x; break;                     // FLIP_LEFT_RIGHT
        case 3: sx = w - 1 - x; sy = h - 1 - y; break;     // ROTATE_180
        case 4: sy = h - 1 - y; break;                     // FLIP_TOP_BOTTOM
        case 5: sx = y; sy = x; break;                     // TRANSPOSE
        case 6: sx = y; sy = h - 1 - x; break;             // ROTATE_270 (90 clockwise)
        case 7: sx = w - 1 - y; sy = h - 1 - x; break;     // TRANSVERSE
        case 8: sx = w - 1 - y; sy = x; break;             // ROTATE_90 (counter-clockwise)
      }
      std::memcpy(&out.pixels[out.index(x, y)], &image.pixels[image.index(sx, sy)], 3);
    }
  }
  return out;
}

}  // namespace prism::vision
