// Small encoders (libpng, libjpeg, libwebp) that make test images in memory,
// so the decoder tests exercise real files of every colour layout.
#pragma once

#include <png.h>

#include <cstdio>
// clang-format off
#include <jpeglib.h>
// clang-format on
#include <webp/encode.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace prism::vision::testing {

// `rows` holds height rows of packed samples in PNG byte order (16-bit big-endian).
inline std::vector<std::uint8_t> encode_png(int width, int height, int color_type, int bit_depth,
                                            const std::vector<std::uint8_t>& rows,
                                            const std::vector<png_color>& palette = {}, bool interlaced = false) {
  std::vector<std::uint8_t> out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) throw std::runtime_error("encode_png failed");
  png_set_write_fn(
      png, &out,
      [](png_structp p, png_bytep data, std::size_t n) {
        auto* v = static_cast<std::vector<std::uint8_t>*>(png_get_io_ptr(p));
        v->insert(v->end(), data, data + n);
      },
      nullptr);
  png_set_check_for_invalid_index(png, 0);  // tests write out-of-palette indices on purpose
  png_set_IHDR(png, info, width, height, bit_depth, color_type, interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (!palette.empty()) png_set_PLTE(png, info, palette.data(), static_cast<int>(palette.size()));
  png_write_info(png, info);
  const std::size_t stride = rows.size() / static_cast<std::size_t>(height);
  std::vector<png_bytep> row_pointers(static_cast<std::size_t>(height));
  for (int y = 0; y < height; ++y) row_pointers[y] = const_cast<std::uint8_t*>(rows.data() + y * stride);
  png_write_image(png, row_pointers.data());  // handles Adam7 passes itself
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  return out;
}

// Recomputes every chunk's CRC (after a test has edited chunk data).
inline void fix_png_crcs(std::vector<std::uint8_t>& png) {
  std::size_t at = 8;
  while (at + 12 <= png.size()) {
    const std::uint32_t length = (std::uint32_t{png[at]} << 24) | (png[at + 1] << 16) | (png[at + 2] << 8) | png[at + 3];
    if (length > png.size() - at - 12) break;
    const std::uint32_t crc = static_cast<std::uint32_t>(crc32(0, png.data() + at + 4, 4 + length));
    std::uint8_t* c = png.data() + at + 8 + length;
    c[0] = static_cast<std::uint8_t>(crc >> 24);
    c[1] = static_cast<std::uint8_t>(crc >> 16);
    c[2] = static_cast<std::uint8_t>(crc >> 8);
    c[3] = static_cast<std::uint8_t>(crc);
    at += 12 + length;
  }
}

inline std::vector<std::uint8_t> encode_jpeg(int width, int height, int components, const std::vector<std::uint8_t>& pixels,
                                             int quality = 95) {
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr err{};
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = width;
  cinfo.image_height = height;
  cinfo.input_components = components;
  cinfo.in_color_space = components == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<std::uint8_t*>(pixels.data() + cinfo.next_scanline * width * components);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  std::vector<std::uint8_t> out(buffer, buffer + size);
  jpeg_destroy_compress(&cinfo);
  free(buffer);
  return out;
}

inline std::vector<std::uint8_t> encode_webp_lossless(int width, int height, const std::vector<std::uint8_t>& pixels,
                                                      bool rgba) {
  std::uint8_t* data = nullptr;
  const std::size_t size = rgba ? WebPEncodeLosslessRGBA(pixels.data(), width, height, width * 4, &data)
                                : WebPEncodeLosslessRGB(pixels.data(), width, height, width * 3, &data);
  if (size == 0) throw std::runtime_error("WebP encoding failed");
  std::vector<std::uint8_t> out(data, data + size);
  WebPFree(data);
  return out;
}

}  // namespace prism::vision::testing
