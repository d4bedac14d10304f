// Video decoding and sampling against the reference fixtures, plus videos
// written here with FFmpeg's own encoders for the cases the fixtures lack
// (no frame count in the header, no frames at all).
#include "vision/video_decode.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/log.h>
}

#include <cmath>
#include <string>

#include "core/error.h"
#include "fixture_cases.h"
#include "vision/frame_sampling.h"
#include "vision/image_decode.h"
#include "vision/image_processor.h"
#include "vision/video_prompt.h"

namespace prism::vision {
namespace {

using testing::case_dir;
using testing::checkpoint_dir;
using testing::media_paths;
using testing::read_bytes;
using testing::read_case;
using testing::read_f32;

class VideoCaseTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { av_log_set_level(AV_LOG_QUIET); }
};

void expect_matches_case(const VideoSample& sample, const nlohmann::json& doc, const std::string& ckpt) {
  const auto& meta = doc.at("video_meta");
  EXPECT_EQ(sample.total_frames, meta.at("total_num_frames").get<int>());
  EXPECT_EQ(sample.fps, meta.at("fps").get<double>());
  EXPECT_EQ(sample.duration_s, meta.at("duration").get<double>());
  EXPECT_EQ(sample.frame_indices, meta.at("frames_indices").get<std::vector<int>>());
  ASSERT_EQ(sample.frames.size(), sample.frame_indices.size());
  const auto& files = doc.at("video_frame_files");
  ASSERT_EQ(files.size(), sample.frames.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    const RgbImage want = load_image_file(case_dir(ckpt, "video") / files[i].get<std::string>());
    EXPECT_EQ(sample.frames[i].width, meta.at("frame_shape_hwc")[1].get<int>());
    EXPECT_EQ(sample.frames[i].height, meta.at("frame_shape_hwc")[0].get<int>());
    EXPECT_EQ(sample.frames[i].width, want.width);
    EXPECT_EQ(sample.frames[i].height, want.height);
    EXPECT_TRUE(sample.frames[i].pixels == want.pixels) << "frame " << sample.frame_indices[i] << " differs from "
                                                        << files[i];
  }
}

TEST_P(VideoCaseTest, SamplesDecodesProcessesAndPromptsLikeTheReference) {
  const std::string ckpt = GetParam();
  const auto doc = read_case(ckpt, "video");
  const ImageProcessorConfig config = load_image_processor_config(checkpoint_dir(ckpt));
  ASSERT_TRUE(config.video_sampling.has_value());
  const auto paths = media_paths(ckpt, "video", doc, "video");
  ASSERT_EQ(paths.size(), 1u);

  const VideoSample sample = sample_video(paths[0], *config.video_sampling);
  expect_matches_case(sample, doc, ckpt);

  // The same bytes from memory (a data URL) give the same sample.
  const auto bytes = read_bytes(paths[0]);
  const VideoSample from_memory = sample_video(bytes, "data URL", *config.video_sampling);
  EXPECT_EQ(from_memory.frame_indices, sample.frame_indices);
  ASSERT_EQ(from_memory.frames.size(), sample.frames.size());
  for (std::size_t i = 0; i < sample.frames.size(); ++i) EXPECT_TRUE(from_memory.frames[i].pixels == sample.frames[i].pixels);

  // One unsplit square tile per frame, equal to the reference pixel values.
  std::vector<float> pixels;
  for (const RgbImage& frame : sample.frames) {
    const ProcessedImage p = process_video_frame(frame, config);
    EXPECT_EQ(p.rows, 0);
    EXPECT_EQ(p.cols, 0);
    EXPECT_EQ(p.num_tiles, 1);
    pixels.insert(pixels.end(), p.pixel_values.begin(), p.pixel_values.end());
  }
  const auto want = read_f32(case_dir(ckpt, "video") / "pixel_values.bin");
  ASSERT_EQ(pixels.size(), want.size());
  std::size_t differing = 0;
  for (std::size_t i = 0; i < want.size(); ++i) differing += std::fabs(pixels[i] - want[i]) > 1e-6f;
  EXPECT_EQ(differing, 0u);

  // The rewritten video block, as the chat template renders it, followed by the message's text.
  const VideoPromptText text = video_prompt_text(sample.frame_indices, sample.fps, sample.duration_s);
  const std::string rendered = join_video_prompt(text, "<image>");
  const std::string prompt = doc.at("prompt_after_chat_template");
  const std::string user_text = doc.at("messages")[0].at("content")[1].at("text");
  const auto at = prompt.find(rendered);
  ASSERT_NE(at, std::string::npos) << rendered;
  EXPECT_EQ(prompt.substr(at + rendered.size(), user_text.size()), user_text);
  EXPECT_EQ(prompt.substr(0, at), "<|im_start|>User: ");
}

INSTANTIATE_TEST_SUITE_P(Fixtures, VideoCaseTest, ::testing::Values("tiny-a", "tiny-b"),
                         [](const auto& info) { return info.param == "tiny-a" ? "tiny_a" : "tiny_b"; });

TEST(FrameSampling, MatchesNumpyLinspaceAndTheSkipRule) {
  VideoSamplingConfig s;
  s.fps = 1;
  s.max_frames = 4;
  EXPECT_EQ(sample_frame_indices(30, 5.0, 6.0, s), (std::vector<int>{0, 9, 19, 29}));
  s.max_frames = 3;
  EXPECT_EQ(sample_frame_indices(22, 4.0, 5.5, s), (std::vector<int>{4, 11, 18}));
  // More frames wanted than exist: np.unique removes the repeats.
  s.max_frames = 8;
  EXPECT_EQ(sample_frame_indices(3, 1.0, 3.0, s), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(unique_linspace_int(0, 10, 1), std::vector<int>{0});
  EXPECT_EQ(unique_linspace_int(5, 5, 3), std::vector<int>{5});
  // Python's round() rounds half to even: 2.5 s at 1 fps -> 2 frames.
  s.max_frames = 64;
  EXPECT_EQ(sample_frame_indices(25, 10.0, 2.5, s).size(), 2u);
  EXPECT_THROW(sample_frame_indices(0, 5.0, 1.0, s), InvalidInput);
  EXPECT_THROW(sample_frame_indices(5, 5.0, 0.0, s), InvalidInput);
}

TEST(VideoPrompt, FormatsDurationsAndFrameTimesLikePython) {
  EXPECT_EQ(format_timedelta(6), "0:00:06");
  EXPECT_EQ(format_timedelta(3725), "1:02:05");
  EXPECT_EQ(format_timedelta(86400 + 61), "1 day, 0:01:01");
  EXPECT_EQ(format_timedelta(2 * 86400), "2 days, 0:00:00");
  EXPECT_EQ(format_frame_time(4.5), "00:04");
  EXPECT_EQ(format_frame_time(59.999), "00:59");
  EXPECT_EQ(format_frame_time(6001.0), "100:01");
}

// Writes `frames` frames of a moving gradient at `fps` into `container`: PNG-coded
// rgb24 (lossless), or, with `yuv`, MPEG-4 part 2 in yuv420p (lossy, decoded through swscale).
void write_test_video(const std::filesystem::path& path, const char* container, int frames, int fps, int w, int h,
                      bool yuv = false) {
  AVFormatContext* out = nullptr;
  ASSERT_GE(avformat_alloc_output_context2(&out, nullptr, container, path.c_str()), 0);
  const AVCodec* codec = avcodec_find_encoder(yuv ? AV_CODEC_ID_MPEG4 : AV_CODEC_ID_PNG);
  ASSERT_NE(codec, nullptr);
  AVStream* stream = avformat_new_stream(out, nullptr);
  AVCodecContext* enc = avcodec_alloc_context3(codec);
  enc->width = w;
  enc->height = h;
  enc->pix_fmt = yuv ? AV_PIX_FMT_YUV420P : AV_PIX_FMT_RGB24;
  enc->time_base = AVRational{1, fps};
  if (yuv) {
    enc->bit_rate = 4'000'000;
    enc->gop_size = 5;
    enc->qmax = 2;  // near-lossless so that decoded colours can be checked
  }
  stream->time_base = enc->time_base;
  stream->avg_frame_rate = AVRational{fps, 1};
  if (out->oformat->flags & AVFMT_GLOBALHEADER) enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  ASSERT_GE(avcodec_open2(enc, codec, nullptr), 0);
  ASSERT_GE(avcodec_parameters_from_context(stream->codecpar, enc), 0);
  ASSERT_GE(avio_open(&out->pb, path.c_str(), AVIO_FLAG_WRITE), 0);
  ASSERT_GE(avformat_write_header(out, nullptr), 0);
  AVFrame* frame = av_frame_alloc();
  frame->format = enc->pix_fmt;
  frame->width = w;
  frame->height = h;
  ASSERT_GE(av_frame_get_buffer(frame, 0), 0);
  AVPacket* packet = av_packet_alloc();
  auto drain = [&] {
    while (avcodec_receive_packet(enc, packet) == 0) {
      av_packet_rescale_ts(packet, enc->time_base, stream->time_base);
      packet->stream_index = stream->index;
      av_interleaved_write_frame(out, packet);
    }
  };
  for (int i = 0; i < frames; ++i) {
    ASSERT_GE(av_frame_make_writable(frame), 0);
    if (yuv) {  // flat mid-gray luma with a per-frame level, neutral chroma
      for (int y = 0; y < h; ++y) std::memset(frame->data[0] + y * frame->linesize[0], 60 + 10 * i, w);
      for (int y = 0; y < h / 2; ++y) {
        std::memset(frame->data[1] + y * frame->linesize[1], 128, w / 2);
        std::memset(frame->data[2] + y * frame->linesize[2], 128, w / 2);
      }
    } else {
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
          for (int c = 0; c < 3; ++c)
            frame->data[0][y * frame->linesize[0] + 3 * x + c] = static_cast<std::uint8_t>(x * 7 + y * 3 + c * 50 + i * 11);
    }
    frame->pts = i;
    ASSERT_GE(avcodec_send_frame(enc, frame), 0);
    drain();
  }
  avcodec_send_frame(enc, nullptr);
  drain();
  av_write_trailer(out);
  av_packet_free(&packet);
  av_frame_free(&frame);
  avcodec_free_context(&enc);
  avio_closep(&out->pb);
  avformat_free_context(out);
}

std::filesystem::path temp_path(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("prism_vision_" + std::to_string(::getpid()) + "_" + name);
}

TEST(VideoDecode, CountsFramesWhenTheContainerHeaderHasNoCount) {
  av_log_set_level(AV_LOG_QUIET);
  const auto path = temp_path("counted.mkv");
  write_test_video(path, "matroska", 12, 4, 16, 8);
  const VideoInfo info = probe_video(path);
  EXPECT_FALSE(info.frame_count_from_header);
  EXPECT_EQ(info.total_frames, 12);
  EXPECT_EQ(info.fps, 4.0);
  EXPECT_EQ(info.duration_s, 3.0);
  VideoSamplingConfig s;
  s.fps = 1;
  s.max_frames = 3;
  const VideoSample sample = sample_video(path, s);
  EXPECT_EQ(sample.frame_indices, (std::vector<int>{0, 5, 11}));
  ASSERT_EQ(sample.frames.size(), 3u);
  // PNG-coded frames are lossless: frame 5's first pixel is what we wrote.
  EXPECT_EQ(sample.frames[1].pixels[0], static_cast<std::uint8_t>(5 * 11));
  std::filesystem::remove(path);
}

TEST(VideoDecode, Mp4WithYuvFramesGoesThroughSwscale) {
  av_log_set_level(AV_LOG_QUIET);
  const auto path = temp_path("yuv.mp4");
  write_test_video(path, "mp4", 10, 5, 32, 16, true);
  VideoSamplingConfig s;
  s.fps = 1;
  s.max_frames = 2;
  const VideoSample sample = sample_video(path, s);
  EXPECT_EQ(sample.total_frames, 10);
  EXPECT_EQ(sample.fps, 5.0);
  EXPECT_EQ(sample.duration_s, 2.0);
  EXPECT_EQ(sample.frame_indices, (std::vector<int>{0, 9}));
  ASSERT_EQ(sample.frames.size(), 2u);
  // Limited-range BT.601: Y=60 -> (60-16)*255/219 = 51; Y=150 -> 156. Gray stays gray.
  const auto& first = sample.frames[0].pixels;
  const auto& last = sample.frames[1].pixels;
  EXPECT_NEAR(first[0], 51, 3);
  EXPECT_NEAR(last[last.size() / 2], 156, 3);
  EXPECT_NEAR(first[1], first[0], 2);
  std::filesystem::remove(path);
}

TEST(VideoDecode, RejectsVideosWithoutFramesAndGarbage) {
  av_log_set_level(AV_LOG_QUIET);
  VideoSamplingConfig s;
  const auto empty_avi = temp_path("empty.avi");
  write_test_video(empty_avi, "avi", 0, 5, 16, 8);
  EXPECT_THROW(sample_video(empty_avi, s), InvalidInput);
  std::filesystem::remove(empty_avi);

  EXPECT_THROW(sample_video(temp_path("does_not_exist.avi"), s), InvalidInput);
  EXPECT_THROW(sample_video(std::span<const std::uint8_t>(), "empty", s), InvalidInput);
  std::vector<std::uint8_t> garbage(4096);
  std::uint32_t state = 12345;
  for (auto& b : garbage) b = static_cast<std::uint8_t>((state = state * 1664525u + 1013904223u) >> 24);
  EXPECT_THROW(sample_video(garbage, "garbage", s), InvalidInput);

  // The fixture cut short: the header promises 30 frames, the data ends early.
  auto bytes = read_bytes(case_dir("tiny-a", "inputs") / "video.avi");
  for (std::size_t keep : {std::size_t{16}, std::size_t{600}, bytes.size() / 3}) {
    std::vector<std::uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(keep));
    try {
      const VideoSample sample = sample_video(cut, "cut video", s);
      EXPECT_LT(sample.frames.size(), 4u);  // whatever decodes is kept, consistently
      EXPECT_EQ(sample.frames.size(), sample.frame_indices.size());
    } catch (const InvalidInput& e) {
      EXPECT_NE(std::string(e.what()).find("cut video"), std::string::npos) << e.what();
    }
  }
  VideoLimits few;
  few.max_sampled_pixels = 3 * 80 * 56;  // these settings sample 6 frames of 80x56 from tiny-a
  try {
    sample_video(case_dir("tiny-a", "inputs") / "video.avi", s, few);
    ADD_FAILURE() << "sampled pixel limit not enforced";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("sampled frames"), std::string::npos) << e.what();
  }
  VideoLimits small;
  small.max_frame_pixels = 100;
  try {
    sample_video(case_dir("tiny-a", "inputs") / "video.avi", s, small);
    ADD_FAILURE() << "frame size limit not enforced";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("over the limit"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace prism::vision

namespace prism::vision {
namespace {

// Damaged copies of the fixture AVI: each must give a consistent sample or InvalidInput.
TEST(VideoDecodeFuzz, MutatedAvi) {
  av_log_set_level(AV_LOG_QUIET);
  const auto seed = testing::read_bytes(testing::case_dir("tiny-a", "inputs") / "video.avi");
  VideoSamplingConfig s;
  s.max_frames = 4;
  std::uint32_t state = 2024;
  auto next = [&] { return state = state * 1664525u + 1013904223u; };
  int accepted = 0;
  for (int round = 0; round < 150; ++round) {
    auto bytes = seed;
    const int edits = 1 + static_cast<int>(next() % 8);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = next() % bytes.size();
      if (next() % 5 == 0) bytes.resize(at + 1);
      else bytes[at] = static_cast<std::uint8_t>(next() >> 24);
    }
    try {
      const VideoSample sample = sample_video(bytes, "fuzz.avi", s);
      EXPECT_EQ(sample.frames.size(), sample.frame_indices.size());
      for (const RgbImage& f : sample.frames) EXPECT_EQ(f.pixels.size(), static_cast<std::size_t>(f.width) * f.height * 3);
      ++accepted;
    } catch (const InvalidInput&) {
    }
  }
  EXPECT_GT(accepted, 0);  // some damage lands in frames that are never decoded or in padding
}

}  // namespace
}  // namespace prism::vision
