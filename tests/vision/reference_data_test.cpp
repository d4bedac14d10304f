// Decoding, LANCZOS resizing and video frames against outputs of the
// reference libraries themselves (Pillow 9.4.0, PyAV 10.0.0 / FFmpeg 5.1),
// stored in data/reference by tools/make_reference_data.py.
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

extern "C" {
#include <libavutil/log.h>
}

#include "vision/image_decode.h"
#include "vision/resize_lanczos.h"
#include "vision/video_decode.h"

namespace prism::vision {
namespace {

std::filesystem::path reference_dir() {
  return std::filesystem::path(PRISM_FIXTURES_DIR).parent_path() / "vision" / "data" / "reference";
}

nlohmann::json manifest() {
  std::ifstream in(reference_dir() / "manifest.json");
  if (!in) throw std::runtime_error("missing " + (reference_dir() / "manifest.json").string());
  return nlohmann::json::parse(in);
}

::testing::AssertionResult same_image(const RgbImage& got, const RgbImage& want) {
  if (got.width != want.width || got.height != want.height)
    return ::testing::AssertionFailure() << got.width << "x" << got.height << " vs " << want.width << "x" << want.height;
  std::size_t differing = 0;
  int worst = 0;
  for (std::size_t i = 0; i < got.pixels.size(); ++i) {
    const int d = std::abs(int{got.pixels[i]} - int{want.pixels[i]});
    differing += d != 0;
    worst = std::max(worst, d);
  }
  if (differing == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << differing << " of " << got.pixels.size() << " values differ (max " << worst << ")";
}

TEST(ReferenceData, DecodingMatchesPillowConvertRgb) {
  const auto doc = manifest();
  ASSERT_GE(doc.at("decode").size(), 10u);
  for (const auto& item : doc.at("decode")) {
    const std::string file = item.at("file");
    const RgbImage want = load_image_file(reference_dir() / item.at("expected").get<std::string>());
    EXPECT_TRUE(same_image(load_image_file(reference_dir() / file), want)) << file;
  }
}

TEST(ReferenceData, LanczosMatchesPillowResize) {
  const auto doc = manifest();
  const RgbImage input = load_image_file(reference_dir() / "resize" / "input.png");
  ASSERT_GE(doc.at("resize").size(), 5u);
  for (const auto& item : doc.at("resize")) {
    const int w = item.at("width"), h = item.at("height");
    const RgbImage want = load_image_file(reference_dir() / item.at("expected").get<std::string>());
    EXPECT_TRUE(same_image(resize_lanczos(input, w, h), want)) << w << "x" << h;
  }
}

TEST(ReferenceData, VideoFramesMatchPyAv) {
  av_log_set_level(AV_LOG_QUIET);
  const auto doc = manifest();
  ASSERT_GE(doc.at("video").size(), 2u);
  for (const auto& item : doc.at("video")) {
    const std::string file = item.at("file");
    const VideoInfo info = probe_video(reference_dir() / file);
    EXPECT_EQ(info.total_frames, item.at("total_frames").get<int>()) << file;
    EXPECT_EQ(info.fps, item.at("fps").get<double>()) << file;
    EXPECT_EQ(info.duration_s, item.at("duration").get<double>()) << file;
    // Decode every frame (a target rate above the clip's, no skipped seconds)
    // and compare the stored ones by their decode-order index.
    VideoSamplingConfig sampling;
    sampling.fps = 1000;  // more than the clip has: every frame becomes a candidate
    sampling.max_frames = info.total_frames;
    sampling.skip_secs = 0;
    const VideoSample sample = sample_video(reference_dir() / file, sampling);
    ASSERT_EQ(static_cast<int>(sample.frames.size()), info.total_frames) << file;
    for (const auto& frame : item.at("frames")) {
      const int index = frame.at("index");
      const RgbImage want = load_image_file(reference_dir() / frame.at("expected").get<std::string>());
      EXPECT_TRUE(same_image(sample.frames[static_cast<std::size_t>(index)], want)) << file << " frame " << index;
    }
  }
}

}  // namespace
}  // namespace prism::vision
