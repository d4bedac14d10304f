#include "vision/video_decode.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/mem.h>
#include <libswscale/swscale.h>
}

#include <algorithm>
#include <cstring>
#include <string>

#include "core/error.h"
#include "vision/frame_sampling.h"

namespace prism::vision {
namespace {

constexpr int kIoBufferSize = 64 * 1024;

[[noreturn]] void fail(std::string_view source, const std::string& problem) {
  throw InvalidInput(std::string(source) + ": " + problem);
}

std::string av_error_text(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, buf, sizeof buf);
  return buf;
}

struct MemoryInput {
  const std::uint8_t* data = nullptr;
  std::size_t size = 0;
  std::size_t pos = 0;
};

int read_memory(void* opaque, std::uint8_t* buf, int n) {
  auto* in = static_cast<MemoryInput*>(opaque);
  if (in->pos >= in->size) return AVERROR_EOF;
  const std::size_t count = std::min(static_cast<std::size_t>(n), in->size - in->pos);
  std::memcpy(buf, in->data + in->pos, count);
  in->pos += count;
  return static_cast<int>(count);
}

std::int64_t seek_memory(void* opaque, std::int64_t offset, int whence) {
  auto* in = static_cast<MemoryInput*>(opaque);
  std::int64_t base = 0;
  switch (whence & ~AVSEEK_FORCE) {
    case AVSEEK_SIZE: return static_cast<std::int64_t>(in->size);
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = static_cast<std::int64_t>(in->pos); break;
    case SEEK_END: base = static_cast<std::int64_t>(in->size); break;
    default: return -1;
  }
  const std::int64_t target = base + offset;
  if (target < 0 || target > static_cast<std::int64_t>(in->size)) return -1;
  in->pos = static_cast<std::size_t>(target);
  return target;
}

// Where the encoded video comes from: a file or bytes in memory.
struct VideoInput {
  std::string name;
  std::filesystem::path path;  // empty for memory input
  std::span<const std::uint8_t> bytes;
};

// An opened container positioned at its start, with its first video stream.
class Demuxer {
 public:
  explicit Demuxer(const VideoInput& input) : name_(input.name) {
    AVFormatContext*& fmt = handles_.fmt;
    AVIOContext*& io = handles_.io;
    fmt = avformat_alloc_context();
    if (!fmt) fail(name_, "out of memory");
    AVDictionary* options = nullptr;
    std::string url;
    if (input.path.empty()) {
      memory_ = MemoryInput{input.bytes.data(), input.bytes.size(), 0};
      auto* buffer = static_cast<std::uint8_t*>(av_malloc(kIoBufferSize));
      if (!buffer) fail(name_, "out of memory");
      io = avio_alloc_context(buffer, kIoBufferSize, 0, &memory_, read_memory, nullptr, seek_memory);
      if (!io) {
        av_free(buffer);
        fail(name_, "out of memory");
      }
      fmt->pb = io;
      // A playlist format (HLS, concat...) must not open anything else.
      av_dict_set(&options, "protocol_whitelist", "none", 0);
    } else {
      url = "file:" + input.path.string();
      av_dict_set(&options, "protocol_whitelist", "file", 0);
    }
    int rc = avformat_open_input(&fmt, input.path.empty() ? nullptr : url.c_str(), nullptr, &options);
    av_dict_free(&options);
    if (rc < 0) fail(name_, "cannot be read as a video (" + av_error_text(rc) + ")");
    rc = avformat_find_stream_info(fmt, nullptr);
    if (rc < 0) fail(name_, "video streams cannot be analysed (" + av_error_text(rc) + ")");
    // PyAV's container.streams.video[0]: the first video stream.
    for (unsigned i = 0; i < fmt->nb_streams; ++i) {
      if (fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
        stream_ = fmt->streams[i];
        break;
      }
    }
    if (!stream_) fail(name_, "has no video stream");
  }
  Demuxer(const Demuxer&) = delete;
  Demuxer& operator=(const Demuxer&) = delete;

  AVFormatContext* format() const { return handles_.fmt; }
  AVStream* stream() const { return stream_; }
  const std::string& name() const { return name_; }

 private:
  // Released even when the constructor throws half way.
  struct Handles {
    AVFormatContext* fmt = nullptr;
    AVIOContext* io = nullptr;
    ~Handles() {
      avformat_close_input(&fmt);  // frees the context, but leaves a custom AVIOContext to us
      if (io) {
        av_freep(&io->buffer);
        avio_context_free(&io);
      }
    }
  };
  std::string name_;
  MemoryInput memory_;
  Handles handles_;
  AVStream* stream_ = nullptr;
};

struct PacketHandle {
  AVPacket* p = av_packet_alloc();
  ~PacketHandle() { av_packet_free(&p); }
};
struct FrameHandle {
  AVFrame* f = av_frame_alloc();
  ~FrameHandle() { av_frame_free(&f); }
};
struct CodecHandle {
  AVCodecContext* c = nullptr;
  ~CodecHandle() { avcodec_free_context(&c); }
};
struct ScalerHandle {
  SwsContext* s = nullptr;
  ~ScalerHandle() { sws_freeContext(s); }
};

void check_frame_size(std::int64_t width, std::int64_t height, const std::string& name, const VideoLimits& limits) {
  if (width <= 0 || height <= 0)
    fail(name, "video frames have zero size (" + std::to_string(width) + "x" + std::to_string(height) + ")");
  if (width * height > limits.max_frame_pixels)
    fail(name, "video frames are " + std::to_string(width) + "x" + std::to_string(height) +
                   " pixels, over the limit of " + std::to_string(limits.max_frame_pixels));
}

// Frames in the container, by demuxing (no decoding) when the header lacks the count.
VideoInfo read_info(const VideoInput& input, const VideoLimits& limits) {
  Demuxer demuxer(input);
  AVStream* stream = demuxer.stream();
  VideoInfo info;
  info.width = stream->codecpar->width;
  info.height = stream->codecpar->height;
  check_frame_size(info.width, info.height, demuxer.name(), limits);

  std::int64_t frames = stream->nb_frames;
  if (frames <= 0) {
    info.frame_count_from_header = false;
    frames = 0;
    PacketHandle packet;
    if (!packet.p) fail(demuxer.name(), "out of memory");
    while (av_read_frame(demuxer.format(), packet.p) >= 0) {
      if (packet.p->stream_index == stream->index) ++frames;
      av_packet_unref(packet.p);
      if (frames > limits.max_total_frames) break;
    }
  }
  if (frames <= 0) fail(demuxer.name(), "video has no frames");
  if (frames > limits.max_total_frames)
    fail(demuxer.name(), "video has " + std::to_string(frames) + " frames, over the limit of " +
                             std::to_string(limits.max_total_frames));
  info.total_frames = static_cast<int>(frames);

  AVRational rate = stream->avg_frame_rate;
  if (rate.num <= 0 || rate.den <= 0) rate = av_guess_frame_rate(demuxer.format(), stream, nullptr);
  if (rate.num <= 0 || rate.den <= 0) fail(demuxer.name(), "video has no known frame rate");
  info.fps = static_cast<double>(rate.num) / rate.den;
  // Python: float(frames / Fraction(num, den)) = frames * den / num, rounded once.
  info.duration_s = static_cast<double>(frames * rate.den) / rate.num;
  if (!(info.duration_s > 0)) fail(demuxer.name(), "video has zero duration");
  return info;
}

RgbImage to_rgb(const AVFrame* frame, ScalerHandle& scaler, const std::string& name, const VideoLimits& limits) {
  check_frame_size(frame->width, frame->height, name, limits);
  RgbImage image = make_rgb_image(frame->width, frame->height);
  const int stride = frame->width * 3;
  if (frame->format == AV_PIX_FMT_RGB24) {
    for (int y = 0; y < frame->height; ++y)
      std::memcpy(image.pixels.data() + static_cast<std::size_t>(y) * stride,
                  frame->data[0] + static_cast<std::ptrdiff_t>(y) * frame->linesize[0], static_cast<std::size_t>(stride));
    return image;
  }
  // PyAV's reformat: same size, SWS_BILINEAR, no colorspace overrides.
  scaler.s = sws_getCachedContext(scaler.s, frame->width, frame->height, static_cast<AVPixelFormat>(frame->format),
                                  frame->width, frame->height, AV_PIX_FMT_RGB24, SWS_BILINEAR, nullptr, nullptr,
                                  nullptr);
  if (!scaler.s) fail(name, "video frames cannot be converted to RGB (pixel format " + std::to_string(frame->format) + ")");
  // Into a 16-byte aligned buffer like PyAV's VideoFrame (av_image_alloc(..., 16)),
  // so that swscale picks the same code paths, then packed into the image.
  std::uint8_t* dst[4] = {};
  int dst_stride[4] = {};
  if (av_image_alloc(dst, dst_stride, frame->width, frame->height, AV_PIX_FMT_RGB24, 16) < 0)
    fail(name, "out of memory converting a video frame");
  const int rows = sws_scale(scaler.s, frame->data, frame->linesize, 0, frame->height, dst, dst_stride);
  for (int y = 0; y < frame->height && rows == frame->height; ++y)
    std::memcpy(image.pixels.data() + static_cast<std::size_t>(y) * stride,
                dst[0] + static_cast<std::ptrdiff_t>(y) * dst_stride[0], static_cast<std::size_t>(stride));
  av_freep(&dst[0]);
  if (rows != frame->height) fail(name, "video frame conversion to RGB failed");
  return image;
}

// Decodes from the start and keeps the frames whose decode-order number is in `indices` (sorted).
std::vector<std::pair<int, RgbImage>> decode_frames(const VideoInput& input, const std::vector<int>& indices,
                                                    const VideoLimits& limits) {
  Demuxer demuxer(input);
  const std::string& name = demuxer.name();
  AVStream* stream = demuxer.stream();
  const AVCodec* codec = avcodec_find_decoder(stream->codecpar->codec_id);
  if (!codec) fail(name, std::string("no decoder for the video codec ") + avcodec_get_name(stream->codecpar->codec_id));
  CodecHandle ctx;
  ctx.c = avcodec_alloc_context3(codec);
  if (!ctx.c) fail(name, "out of memory");
  int rc = avcodec_parameters_to_context(ctx.c, stream->codecpar);
  if (rc < 0) fail(name, "video codec parameters are invalid (" + av_error_text(rc) + ")");
  ctx.c->thread_count = 1;
  rc = avcodec_open2(ctx.c, codec, nullptr);
  if (rc < 0) fail(name, std::string("video decoder ") + codec->name + " cannot be opened (" + av_error_text(rc) + ")");

  // PyAV's read_video_pyav calls container.seek(0) before decoding; do the
  // same so that containers whose probing moved the position start alike.
  // A container that cannot seek simply decodes from where it is.
  av_seek_frame(demuxer.format(), -1, 0, AVSEEK_FLAG_BACKWARD);

  PacketHandle packet;
  FrameHandle frame;
  ScalerHandle scaler;
  if (!packet.p || !frame.f) fail(name, "out of memory");
  std::vector<std::pair<int, RgbImage>> out;
  const int last = indices.empty() ? -1 : indices.back();
  int decoded = 0;
  std::size_t next = 0;

  // Drains decoded frames; false once every wanted frame is in hand.
  auto drain = [&]() {
    while (true) {
      const int r = avcodec_receive_frame(ctx.c, frame.f);
      if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return true;
      if (r < 0) fail(name, "video frame " + std::to_string(decoded) + " cannot be decoded (" + av_error_text(r) + ")");
      if (next < indices.size() && indices[next] == decoded) {
        out.emplace_back(decoded, to_rgb(frame.f, scaler, name, limits));
        ++next;
      }
      av_frame_unref(frame.f);
      ++decoded;
      if (decoded > last) return false;
    }
  };

  bool more = last >= 0;
  while (more) {
    rc = av_read_frame(demuxer.format(), packet.p);
    if (rc == AVERROR_EOF) break;
    if (rc < 0) fail(name, "video data cannot be read (" + av_error_text(rc) + ")");
    if (packet.p->stream_index == stream->index) {
      const int s = avcodec_send_packet(ctx.c, packet.p);
      av_packet_unref(packet.p);
      if (s < 0 && s != AVERROR(EAGAIN))
        fail(name, "video packet near frame " + std::to_string(decoded) + " cannot be decoded (" + av_error_text(s) + ")");
      more = drain();
    } else {
      av_packet_unref(packet.p);
    }
  }
  if (more) {  // end of data: flush the decoder's delayed frames
    avcodec_send_packet(ctx.c, nullptr);
    drain();
  }
  return out;
}

VideoSample sample(const VideoInput& input, const VideoSamplingConfig& sampling, const VideoLimits& limits) {
  const VideoInfo info = read_info(input, limits);
  std::vector<int> indices;
  try {
    indices = sample_frame_indices(info.total_frames, info.fps, info.duration_s, sampling);
  } catch (const InvalidInput& e) {
    fail(input.name, e.what());
  }
  if (static_cast<int>(indices.size()) > limits.max_sampled_frames)
    fail(input.name, std::to_string(indices.size()) + " frames sampled, over the limit of " +
                         std::to_string(limits.max_sampled_frames));
  const std::int64_t kept_pixels = static_cast<std::int64_t>(indices.size()) * info.width * info.height;
  if (kept_pixels > limits.max_sampled_pixels)
    fail(input.name, std::to_string(indices.size()) + " sampled frames of " + std::to_string(info.width) + "x" +
                         std::to_string(info.height) + " are " + std::to_string(kept_pixels) +
                         " pixels, over the limit of " + std::to_string(limits.max_sampled_pixels));
  auto decoded = decode_frames(input, indices, limits);
  if (decoded.empty()) fail(input.name, "no video frame could be decoded");
  VideoSample out;
  out.total_frames = info.total_frames;
  out.fps = info.fps;
  out.duration_s = info.duration_s;
  for (auto& [index, image] : decoded) {
    out.frame_indices.push_back(index);
    out.timestamps_s.push_back(index / info.fps);
    out.frames.push_back(std::move(image));
  }
  return out;
}

VideoInput file_input(const std::filesystem::path& path, const VideoLimits& limits) {
  VideoInput input{path.string(), path, {}};
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) fail(input.name, "video file does not exist or is not a regular file");
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) fail(input.name, "cannot read the file size: " + ec.message());
  if (size == 0) fail(input.name, "video file is empty (0 bytes)");
  if (size > limits.max_bytes)
    fail(input.name, "video file is " + std::to_string(size) + " bytes, over the limit of " + std::to_string(limits.max_bytes));
  return input;
}

}  // namespace

VideoInfo probe_video(const std::filesystem::path& path, const VideoLimits& limits) {
  return read_info(file_input(path, limits), limits);
}

VideoSample sample_video(const std::filesystem::path& path, const VideoSamplingConfig& sampling,
                         const VideoLimits& limits) {
  return sample(file_input(path, limits), sampling, limits);
}

VideoSample sample_video(std::span<const std::uint8_t> bytes, std::string_view source_name,
                         const VideoSamplingConfig& sampling, const VideoLimits& limits) {
  VideoInput input{std::string(source_name), {}, bytes};
  if (bytes.empty()) fail(input.name, "video is empty (0 bytes)");
  if (bytes.size() > limits.max_bytes)
    fail(input.name, "video is " + std::to_string(bytes.size()) + " bytes, over the limit of " +
                         std::to_string(limits.max_bytes));
  return sample(input, sampling, limits);
}

}  // namespace prism::vision
