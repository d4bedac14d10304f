// PNG through libpng. libpng reports errors by longjmp, so each libpng call
// sits in a small function that owns its setjmp and holds no C++ object with
// a destructor; the C++ side allocates and converts outside those functions.
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <vector>

#include "vision/image_codecs.h"

namespace prism::vision::detail {
namespace {

constexpr std::string_view kFormat = "PNG";

struct PngSource {
  const std::uint8_t* data;
  std::size_t size;
  std::size_t pos;
  char error[256];
};

struct PngLayout {
  png_uint_32 width = 0, height = 0;
  int bit_depth = 0;  // after transforms: 8 or 16
  int color_type = 0;
  std::size_t rowbytes = 0;
  int num_palette = 0;
  png_color palette[256];
};

void on_error(png_structp png, png_const_charp message) {
  auto* src = static_cast<PngSource*>(png_get_error_ptr(png));
  std::snprintf(src->error, sizeof src->error, "%s", message ? message : "unknown libpng error");
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}

void on_read(png_structp png, png_bytep out, std::size_t n) {
  auto* src = static_cast<PngSource*>(png_get_io_ptr(png));
  if (n > src->size - src->pos) png_error(png, "data is truncated");
  std::memcpy(out, src->data + src->pos, n);
  src->pos += n;
}

// Reads the chunks up to the image data; false on a libpng error.
bool read_header(png_structp png, png_infop info, PngLayout* layout) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_info(png, info);
  layout->width = png_get_image_width(png, info);
  layout->height = png_get_image_height(png, info);
  return true;
}

// Sets up the transforms (called once the size is known to be within limits,
// since libpng allocates row buffers here); false on a libpng error.
bool prepare_rows(png_structp png, png_infop info, PngLayout* layout) {
  if (setjmp(png_jmpbuf(png))) return false;
  const int bit_depth = png_get_bit_depth(png, info);
  const int color_type = png_get_color_type(png, info);
  if (bit_depth < 8) {
    png_set_packing(png);  // one sample (or palette index) per byte
    if (color_type == PNG_COLOR_TYPE_GRAY) png_set_expand_gray_1_2_4_to_8(png);
  }
  if (color_type == PNG_COLOR_TYPE_PALETTE) {
    png_colorp palette = nullptr;
    int count = 0;
    if (png_get_PLTE(png, info, &palette, &count) && palette && count > 0) {
      layout->num_palette = count > 256 ? 256 : count;
      std::memcpy(layout->palette, palette, sizeof(png_color) * static_cast<std::size_t>(layout->num_palette));
    }
  }
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  layout->bit_depth = png_get_bit_depth(png, info);
  layout->color_type = png_get_color_type(png, info);
  layout->rowbytes = png_get_rowbytes(png, info);
  return true;
}

bool read_rows(png_structp png, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_image(png, rows);
  return true;
}

struct PngHandles {
  png_structp png = nullptr;
  png_infop info = nullptr;
  ~PngHandles() { png_destroy_read_struct(&png, info ? &info : nullptr, nullptr); }
};

// Pillow's view of the samples: 16-bit channels keep their high byte, except
// 16-bit grayscale, which Pillow holds as mode "I" and clips to 0..255.
void convert_row(const PngLayout& l, const std::uint8_t* in, std::uint8_t* out) {
  const bool wide = l.bit_depth == 16;
  const int bytes = wide ? 2 : 1;
  for (png_uint_32 x = 0; x < l.width; ++x, out += 3) {
    switch (l.color_type) {
      case PNG_COLOR_TYPE_GRAY:
      case PNG_COLOR_TYPE_GRAY_ALPHA: {
        const int channels = l.color_type == PNG_COLOR_TYPE_GRAY ? 1 : 2;
        const std::uint8_t* s = in + static_cast<std::size_t>(x) * channels * bytes;
        std::uint8_t v = s[0];
        if (wide && channels == 1) {
          const unsigned value = (static_cast<unsigned>(s[0]) << 8) | s[1];
          v = value > 255 ? 255 : static_cast<std::uint8_t>(value);
        }
        out[0] = out[1] = out[2] = v;
        break;
      }
      case PNG_COLOR_TYPE_RGB:
      case PNG_COLOR_TYPE_RGB_ALPHA: {
        const int channels = l.color_type == PNG_COLOR_TYPE_RGB ? 3 : 4;
        const std::uint8_t* s = in + static_cast<std::size_t>(x) * channels * bytes;
        out[0] = s[0];
        out[1] = s[bytes];
        out[2] = s[2 * bytes];
        break;
      }
      case PNG_COLOR_TYPE_PALETTE: {
        // Pillow's palette has 256 entries; the ones the file leaves out are gray ramps (i, i, i).
        const int index = in[x];
        if (index < l.num_palette) {
          out[0] = l.palette[index].red;
          out[1] = l.palette[index].green;
          out[2] = l.palette[index].blue;
        } else {
          out[0] = out[1] = out[2] = static_cast<std::uint8_t>(index);
        }
        break;
      }
    }
  }
}

}  // namespace

RgbImage decode_png(std::span<const std::uint8_t> bytes, std::string_view source, const DecodeLimits& limits) {
  PngSource src{bytes.data(), bytes.size(), 0, {}};
  PngHandles h;
  h.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, on_error, on_warning);
  if (!h.png) fail(source, kFormat, "decoder could not be created");
  h.info = png_create_info_struct(h.png);
  if (!h.info) fail(source, kFormat, "decoder could not be created");
  png_set_read_fn(h.png, &src, on_read);
  // Our own pixel limit decides; libpng's default 1e6-per-side cap would preempt its message.
  png_set_user_limits(h.png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
  png_set_benign_errors(h.png, 1);  // like Pillow, tolerate e.g. out-of-range palette indices

  PngLayout layout;
  if (!read_header(h.png, h.info, &layout)) fail(source, kFormat, std::string("header is invalid: ") + src.error);
  check_dimensions(layout.width, layout.height, source, kFormat, limits);
  if (!prepare_rows(h.png, h.info, &layout)) fail(source, kFormat, std::string("cannot be decoded: ") + src.error);
  if (layout.color_type == PNG_COLOR_TYPE_PALETTE && layout.num_palette == 0)
    fail(source, kFormat, "palette image has no PLTE chunk");

  std::vector<std::uint8_t> raw(layout.rowbytes * layout.height);
  std::vector<png_bytep> rows(layout.height);
  for (png_uint_32 y = 0; y < layout.height; ++y) rows[y] = raw.data() + static_cast<std::size_t>(y) * layout.rowbytes;
  if (!read_rows(h.png, rows.data())) fail(source, kFormat, std::string("image data is corrupt: ") + src.error);

  RgbImage image = make_rgb_image(static_cast<int>(layout.width), static_cast<int>(layout.height));
  for (png_uint_32 y = 0; y < layout.height; ++y)
    convert_row(layout, rows[y], image.pixels.data() + image.index(0, static_cast<int>(y)));
  return image;
}

}  // namespace prism::vision::detail
