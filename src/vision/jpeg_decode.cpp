// JPEG through libjpeg-turbo (the library Pillow links on Debian), with
// libjpeg's default decoding settings as Pillow uses them (islow IDCT, fancy
// upsampling). libjpeg reports errors through error_exit, which we turn into
// a longjmp back to the function that owns the setjmp; those functions hold
// no C++ object with a destructor.
#include <cstdio>
// clang-format off: jpeglib.h needs <cstdio> first
#include <jpeglib.h>
#include <jerror.h>
// clang-format on

#include <csetjmp>
#include <cstring>
#include <vector>

#include "vision/image_codecs.h"

namespace prism::vision::detail {
namespace {

constexpr std::string_view kFormat = "JPEG";
// A progressive JPEG can declare thousands of tiny scans to burn CPU;
// TurboJPEG refuses more than 500, and so do we.
constexpr int kMaxScans = 500;

struct JpegErrors {
  jpeg_error_mgr mgr;  // first member: libjpeg hands us a pointer to it
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void on_error_exit(j_common_ptr cinfo) {
  auto* errors = reinterpret_cast<JpegErrors*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, errors->message);
  std::longjmp(errors->jump, 1);
}

// A premature end of data is only a warning to libjpeg (it pads with gray);
// Pillow refuses truncated images, and so do we. Other warnings are ignored.
void on_emit_message(j_common_ptr cinfo, int level) {
  if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
    cinfo->err->error_exit(cinfo);
  }
}

void on_progress(j_common_ptr cinfo) {
  if (cinfo->is_decompressor) {
    auto* d = reinterpret_cast<j_decompress_ptr>(cinfo);
    if (d->progressive_mode && d->input_scan_number > kMaxScans) {
      cinfo->err->msg_code = JERR_UNKNOWN_MARKER;  // any code; the message below is what we report
      std::snprintf(reinterpret_cast<JpegErrors*>(cinfo->err)->message, JMSG_LENGTH_MAX,
                    "progressive image has more than %d scans", kMaxScans);
      std::longjmp(reinterpret_cast<JpegErrors*>(cinfo->err)->jump, 1);
    }
  }
}

struct JpegLayout {
  int width = 0, height = 0;
  int components = 0;  // of the output: 1 gray, 3 RGB, 4 CMYK
};

bool create(jpeg_decompress_struct* cinfo, JpegErrors* errors) {
  if (setjmp(errors->jump)) return false;
  jpeg_create_decompress(cinfo);
  return true;
}

bool read_header(jpeg_decompress_struct* cinfo, JpegErrors* errors, JpegLayout* layout) {
  if (setjmp(errors->jump)) return false;
  jpeg_read_header(cinfo, TRUE);
  switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE: cinfo->out_color_space = JCS_GRAYSCALE; break;
    case JCS_CMYK:
    case JCS_YCCK: cinfo->out_color_space = JCS_CMYK; break;
    default: cinfo->out_color_space = JCS_RGB; break;
  }
  layout->width = static_cast<int>(cinfo->image_width);
  layout->height = static_cast<int>(cinfo->image_height);
  return true;
}

bool read_pixels(jpeg_decompress_struct* cinfo, JpegErrors* errors, JpegLayout* layout, std::uint8_t* out,
                 std::size_t out_size) {
  if (setjmp(errors->jump)) return false;
  jpeg_start_decompress(cinfo);
  layout->components = cinfo->output_components;
  const std::size_t stride = static_cast<std::size_t>(cinfo->output_width) * cinfo->output_components;
  if (static_cast<int>(cinfo->output_width) != layout->width ||
      static_cast<int>(cinfo->output_height) != layout->height || stride * cinfo->output_height > out_size) {
    std::snprintf(errors->message, JMSG_LENGTH_MAX, "unexpected output size");
    return false;
  }
  while (cinfo->output_scanline < cinfo->output_height) {
    JSAMPROW row = out + static_cast<std::size_t>(cinfo->output_scanline) * stride;
    jpeg_read_scanlines(cinfo, &row, 1);
  }
  jpeg_finish_decompress(cinfo);
  return true;
}

struct JpegHandle {
  jpeg_decompress_struct cinfo{};
  bool created = false;
  ~JpegHandle() {
    if (created) jpeg_destroy_decompress(&cinfo);
  }
};

// Pillow's cmyk2rgb on "CMYK;I" data (Pillow assumes Adobe's inverted CMYK).
std::uint8_t cmyk_channel(std::uint8_t stored, std::uint8_t stored_k) {
  const int c = 255 - stored;  // un-invert
  const int nk = stored_k;     // 255 - k, where k = 255 - stored_k
  const int tmp = c * nk + 128;
  const int v = nk - (((tmp >> 8) + tmp) >> 8);
  return static_cast<std::uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

}  // namespace

RgbImage decode_jpeg(std::span<const std::uint8_t> bytes, std::string_view source, const DecodeLimits& limits) {
  JpegErrors errors{};
  JpegHandle h;
  h.cinfo.err = jpeg_std_error(&errors.mgr);
  errors.mgr.error_exit = on_error_exit;
  errors.mgr.emit_message = on_emit_message;
  jpeg_progress_mgr progress{};
  progress.progress_monitor = on_progress;
  if (!create(&h.cinfo, &errors)) fail(source, kFormat, std::string("decoder could not be created: ") + errors.message);
  h.created = true;
  h.cinfo.progress = &progress;
  jpeg_mem_src(&h.cinfo, bytes.data(), static_cast<unsigned long>(bytes.size()));

  JpegLayout layout;
  if (!read_header(&h.cinfo, &errors, &layout)) fail(source, kFormat, std::string("header is invalid: ") + errors.message);
  check_dimensions(layout.width, layout.height, source, kFormat, limits);

  const int out_components = h.cinfo.out_color_space == JCS_GRAYSCALE ? 1 : (h.cinfo.out_color_space == JCS_CMYK ? 4 : 3);
  std::vector<std::uint8_t> raw(static_cast<std::size_t>(layout.width) * layout.height * out_components);
  if (!read_pixels(&h.cinfo, &errors, &layout, raw.data(), raw.size()))
    fail(source, kFormat, std::string("image data is corrupt or truncated: ") + errors.message);

  RgbImage image = make_rgb_image(layout.width, layout.height);
  const std::size_t n = static_cast<std::size_t>(layout.width) * layout.height;
  std::uint8_t* out = image.pixels.data();
  if (layout.components == 3) {
    std::memcpy(out, raw.data(), n * 3);
  } else if (layout.components == 1) {
    for (std::size_t i = 0; i < n; ++i) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = raw[i];
  } else if (layout.components == 4) {
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint8_t* s = &raw[4 * i];
      for (int c = 0; c < 3; ++c) out[3 * i + c] = cmyk_channel(s[c], s[3]);
    }
  } else {
    fail(source, kFormat, "has an unsupported number of color components (" + std::to_string(layout.components) + ")");
  }
  return image;
}

}  // namespace prism::vision::detail
