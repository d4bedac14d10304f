#include "voice/audio_file_decoder.h"

#include <cstring>
#include <memory>
#include <string>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
}

#include "core/error.h"

namespace prism::voice {
namespace {

struct MemoryReader {
  std::span<const uint8_t> bytes;
  size_t position = 0;
};

int read_packet(void* opaque, uint8_t* buffer, int size) {
  auto* reader = static_cast<MemoryReader*>(opaque);
  size_t left = reader->bytes.size() - reader->position;
  if (left == 0) return AVERROR_EOF;
  size_t n = std::min(left, static_cast<size_t>(size));
  std::memcpy(buffer, reader->bytes.data() + reader->position, n);
  reader->position += n;
  return static_cast<int>(n);
}

int64_t seek(void* opaque, int64_t offset, int whence) {
  auto* reader = static_cast<MemoryReader*>(opaque);
  int64_t size = static_cast<int64_t>(reader->bytes.size());
  if (whence == AVSEEK_SIZE) return size;
  int64_t base = 0;
  switch (whence & ~AVSEEK_FORCE) {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = static_cast<int64_t>(reader->position); break;
    case SEEK_END: base = size; break;
    default: return -1;
  }
  int64_t target = base + offset;
  if (target < 0 || target > size) return -1;
  reader->position = static_cast<size_t>(target);
  return target;
}

std::string av_message(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof text);
  return text;
}

struct FormatCloser {
  void operator()(AVFormatContext* c) const { avformat_close_input(&c); }
};
struct IoCloser {
  void operator()(AVIOContext* c) const {
    av_freep(&c->buffer);
    avio_context_free(&c);
  }
};
struct CodecCloser {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct SwrCloser {
  void operator()(SwrContext* c) const { swr_free(&c); }
};
struct FrameCloser {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketCloser {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};

}  // namespace

std::vector<int16_t> decode_audio_file(std::span<const uint8_t> bytes, std::string_view filename, int output_rate) {
  std::string name(filename.empty() ? "uploaded audio" : filename);
  auto fail = [&](const std::string& what) -> void { throw InvalidInput(name + ": " + what); };
  if (bytes.empty()) fail("the file is empty");

  MemoryReader reader{bytes};
  constexpr int kIoBuffer = 32768;
  auto* io_buffer = static_cast<uint8_t*>(av_malloc(kIoBuffer));
  if (!io_buffer) throw Error("out of memory");
  std::unique_ptr<AVIOContext, IoCloser> io(
      avio_alloc_context(io_buffer, kIoBuffer, 0, &reader, &read_packet, nullptr, &seek));
  if (!io) {
    av_free(io_buffer);
    throw Error("out of memory");
  }
  AVFormatContext* raw_format = avformat_alloc_context();
  raw_format->pb = io.get();
  raw_format->flags |= AVFMT_FLAG_CUSTOM_IO;
  int rc = avformat_open_input(&raw_format, nullptr, nullptr, nullptr);
  if (rc < 0) fail("not an audio file FFmpeg can read (" + av_message(rc) + ")");  // frees raw_format
  std::unique_ptr<AVFormatContext, FormatCloser> format(raw_format);
  if ((rc = avformat_find_stream_info(format.get(), nullptr)) < 0) fail("cannot read stream info (" + av_message(rc) + ")");

  const AVCodec* codec = nullptr;
  int stream_index = av_find_best_stream(format.get(), AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
  if (stream_index < 0 || !codec) fail("holds no audio stream FFmpeg can decode");
  AVStream* stream = format->streams[stream_index];
  std::unique_ptr<AVCodecContext, CodecCloser> decoder(avcodec_alloc_context3(codec));
  if (!decoder) throw Error("out of memory");
  if ((rc = avcodec_parameters_to_context(decoder.get(), stream->codecpar)) < 0 ||
      (rc = avcodec_open2(decoder.get(), codec, nullptr)) < 0)
    fail("cannot open the " + std::string(codec->name) + " decoder (" + av_message(rc) + ")");
  if (decoder->ch_layout.nb_channels <= 0) av_channel_layout_default(&decoder->ch_layout, 1);

  AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
  SwrContext* raw_swr = nullptr;
  rc = swr_alloc_set_opts2(&raw_swr, &mono, AV_SAMPLE_FMT_S16, output_rate, &decoder->ch_layout,
                           decoder->sample_fmt, decoder->sample_rate, 0, nullptr);
  std::unique_ptr<SwrContext, SwrCloser> swr(raw_swr);
  if (rc < 0 || (rc = swr_init(swr.get())) < 0) fail("cannot convert its audio (" + av_message(rc) + ")");

  std::vector<int16_t> out;
  std::unique_ptr<AVFrame, FrameCloser> frame(av_frame_alloc());
  std::unique_ptr<AVPacket, PacketCloser> packet(av_packet_alloc());
  auto convert = [&](const uint8_t** data, int count) {
    int capacity = swr_get_out_samples(swr.get(), count);
    if (capacity <= 0) return;
    size_t at = out.size();
    out.resize(at + static_cast<size_t>(capacity));
    uint8_t* dst = reinterpret_cast<uint8_t*>(out.data() + at);
    int got = swr_convert(swr.get(), &dst, capacity, data, count);
    if (got < 0) fail("audio conversion failed (" + av_message(got) + ")");
    out.resize(at + static_cast<size_t>(got));
  };
  auto drain = [&]() {
    while ((rc = avcodec_receive_frame(decoder.get(), frame.get())) >= 0) {
      convert(const_cast<const uint8_t**>(frame->extended_data), frame->nb_samples);
      av_frame_unref(frame.get());
    }
    if (rc != AVERROR(EAGAIN) && rc != AVERROR_EOF) fail("decoding failed (" + av_message(rc) + ")");
  };
  while ((rc = av_read_frame(format.get(), packet.get())) >= 0) {
    if (packet->stream_index == stream_index) {
      int sent = avcodec_send_packet(decoder.get(), packet.get());
      av_packet_unref(packet.get());
      if (sent < 0 && sent != AVERROR(EAGAIN)) fail("corrupt audio data (" + av_message(sent) + ")");
      drain();
    } else {
      av_packet_unref(packet.get());
    }
  }
  avcodec_send_packet(decoder.get(), nullptr);
  drain();
  convert(nullptr, 0);  // flush the resampler's delay line
  if (out.empty()) fail("holds no decodable audio samples");
  return out;
}

}  // namespace prism::voice
