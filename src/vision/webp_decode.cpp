// WebP through libwebp's animation decoder, as Pillow does: it handles still
// and animated files alike (we keep the first frame) and yields
// non-premultiplied RGBA, whose alpha we drop.
#include <webp/decode.h>
#include <webp/demux.h>

#include "vision/image_codecs.h"

namespace prism::vision::detail {
namespace {

constexpr std::string_view kFormat = "WebP";

struct AnimDecoder {
  WebPAnimDecoder* decoder = nullptr;
  ~AnimDecoder() { WebPAnimDecoderDelete(decoder); }
};

std::string status_text(VP8StatusCode status) {
  switch (status) {
    case VP8_STATUS_OUT_OF_MEMORY: return "out of memory";
    case VP8_STATUS_INVALID_PARAM: return "invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR: return "bitstream error";
    case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported feature";
    case VP8_STATUS_SUSPENDED: return "suspended";
    case VP8_STATUS_USER_ABORT: return "aborted";
    case VP8_STATUS_NOT_ENOUGH_DATA: return "data is truncated";
    case VP8_STATUS_OK: break;
  }
  return "ok";
}

}  // namespace

RgbImage decode_webp(std::span<const std::uint8_t> bytes, std::string_view source, const DecodeLimits& limits) {
  WebPBitstreamFeatures features;
  const VP8StatusCode status = WebPGetFeatures(bytes.data(), bytes.size(), &features);
  if (status != VP8_STATUS_OK) fail(source, kFormat, "header is invalid: " + status_text(status));
  check_dimensions(features.width, features.height, source, kFormat, limits);

  WebPAnimDecoderOptions options;
  if (!WebPAnimDecoderOptionsInit(&options)) fail(source, kFormat, "decoder could not be created");
  options.color_mode = MODE_RGBA;
  options.use_threads = 0;
  const WebPData data{bytes.data(), bytes.size()};
  AnimDecoder anim;
  anim.decoder = WebPAnimDecoderNew(&data, &options);
  if (!anim.decoder) fail(source, kFormat, "container is corrupt or truncated");
  WebPAnimInfo info;
  if (!WebPAnimDecoderGetInfo(anim.decoder, &info)) fail(source, kFormat, "container is corrupt");
  check_dimensions(info.canvas_width, info.canvas_height, source, kFormat, limits);
  if (info.frame_count < 1) fail(source, kFormat, "file has no frames");

  std::uint8_t* rgba = nullptr;
  int timestamp = 0;
  if (!WebPAnimDecoderGetNext(anim.decoder, &rgba, &timestamp) || !rgba)
    fail(source, kFormat, "image data is corrupt or truncated");

  RgbImage image = make_rgb_image(static_cast<int>(info.canvas_width), static_cast<int>(info.canvas_height));
  const std::size_t n = static_cast<std::size_t>(image.width) * image.height;
  for (std::size_t i = 0; i < n; ++i) {
    image.pixels[3 * i + 0] = rgba[4 * i + 0];
    image.pixels[3 * i + 1] = rgba[4 * i + 1];
    image.pixels[3 * i + 2] = rgba[4 * i + 2];
  }
  return image;
}

}  // namespace prism::vision::detail
