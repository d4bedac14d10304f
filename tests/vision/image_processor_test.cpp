// SmolVLM image processing against the reference fixtures: pixel values,
// tile grids and the expanded prompt for every image case.
#include "vision/image_processor.h"

#include <cmath>
#include <string>

#include "core/error.h"
#include "fixture_cases.h"
#include "vision/image_decode.h"
#include "vision/image_prompt.h"

namespace prism::vision {
namespace {

using testing::case_dir;
using testing::checkpoint_dir;
using testing::media_paths;
using testing::read_case;
using testing::read_f32;

// Compares our pixel values with the reference and describes every mismatch
// in uint8 terms (the values encode uint8 tiles exactly).
::testing::AssertionResult same_pixels(const std::vector<float>& got, const std::vector<float>& want, int tile) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << "size " << got.size() << " vs reference " << want.size();
  std::size_t differing = 0;
  double worst = 0;
  std::string first;
  const std::size_t plane = static_cast<std::size_t>(tile) * tile;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double d = std::fabs(static_cast<double>(got[i]) - want[i]);
    if (d > 1e-6) {
      if (differing == 0) {
        const std::size_t t = i / (3 * plane), c = (i / plane) % 3, y = (i % plane) / tile, x = i % tile;
        first = "tile " + std::to_string(t) + " channel " + std::to_string(c) + " y " + std::to_string(y) + " x " +
                std::to_string(x) + ": " + std::to_string(got[i]) + " vs " + std::to_string(want[i]);
      }
      ++differing;
      worst = std::max(worst, d);
    }
  }
  if (differing == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << differing << " of " << got.size() << " values differ, worst by "
                                       << worst * 127.5 << " uint8 steps; first at " << first;
}

struct ImageCase {
  std::string checkpoint;
  std::string name;
};

class ImageCaseTest : public ::testing::TestWithParam<ImageCase> {};

TEST_P(ImageCaseTest, PixelValuesRowsColsAndPromptMatchReference) {
  const auto& [ckpt, name] = GetParam();
  const auto doc = read_case(ckpt, name);
  const ImageProcessorConfig config = load_image_processor_config(checkpoint_dir(ckpt));
  const bool split = doc.at("do_image_splitting").get<bool>();
  const auto paths = media_paths(ckpt, name, doc, "image");
  ASSERT_EQ(paths.size(), doc.at("image_rows").size());

  std::vector<float> pixels;
  std::vector<ProcessedImage> processed;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    const RgbImage image = load_image_file(paths[i]);
    EXPECT_EQ(image.width, doc.at("image_sizes_wh")[i][0].get<int>());
    EXPECT_EQ(image.height, doc.at("image_sizes_wh")[i][1].get<int>());
    processed.push_back(process_image(image, config, split));
    const ProcessedImage& p = processed.back();
    EXPECT_EQ(p.rows, doc.at("image_rows")[i].get<int>()) << "image " << i;
    EXPECT_EQ(p.cols, doc.at("image_cols")[i].get<int>()) << "image " << i;
    EXPECT_EQ(p.num_tiles, p.rows * p.cols + 1);
    pixels.insert(pixels.end(), p.pixel_values.begin(), p.pixel_values.end());
  }
  const auto& shape = doc.at("arrays").at("pixel_values").at("shape");
  const int tile = shape[3].get<int>();
  EXPECT_EQ(processed[0].tile_size, tile);
  EXPECT_EQ(shape[4].get<int>(), tile);
  const auto want = read_f32(case_dir(ckpt, name) / "pixel_values.bin");
  ASSERT_EQ(want.size(), shape[1].get<std::size_t>() * 3 * tile * tile);
  EXPECT_TRUE(same_pixels(pixels, want, tile));

  // Every <image> of the templated prompt expands to its image's token string.
  const std::string templated = doc.at("prompt_after_chat_template");
  const std::string image_token = "<image>";
  std::string expanded;
  std::size_t from = 0, image = 0;
  for (std::size_t at; (at = templated.find(image_token, from)) != std::string::npos; from = at + image_token.size()) {
    ASSERT_LT(image, processed.size());
    expanded += templated.substr(from, at - from);
    expanded += expand_image_prompt(processed[image].rows, processed[image].cols, config.image_seq_len, {});
    ++image;
  }
  expanded += templated.substr(from);
  EXPECT_EQ(image, processed.size());
  EXPECT_EQ(expanded, doc.at("prompt_after_image_expansion").get<std::string>());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ImageCaseTest,
                         ::testing::Values(ImageCase{"tiny-a", "image_split"}, ImageCase{"tiny-a", "image_nosplit"},
                                           ImageCase{"tiny-a", "multi_image"}, ImageCase{"tiny-b", "image_split"},
                                           ImageCase{"tiny-b", "image_nosplit"}),
                         [](const auto& info) {
                           std::string n = info.param.checkpoint + "_" + info.param.name;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

TEST(ImageProcessorSizes, FollowTransformersArithmetic) {
  // Longest edge to 256 even when upsampling; the other side int(...) rounded up to even.
  EXPECT_EQ(resize_output_size(100, 150, 256), std::make_pair(170, 256));
  EXPECT_EQ(resize_output_size(160, 100, 228), std::make_pair(228, 142));
  // A 1-pixel-high sliver keeps at least one row; nothing beyond 4096.
  EXPECT_EQ(resize_output_size(1, 5000, 256), std::make_pair(1, 256));
  EXPECT_EQ(resize_output_size(10, 20, 8192), std::make_pair(2048, 4096));
  EXPECT_EQ(vision_encoder_size(170, 256, 64), std::make_pair(192, 256));
  EXPECT_EQ(vision_encoder_size(228, 142, 57), std::make_pair(228, 171));
}

TEST(ImagePrompt, UsesTheCallersTokens) {
  ImagePromptTokens tokens{"<F>", "<I>", "<G>"};
  EXPECT_EQ(expand_image_prompt(0, 0, 2, tokens), "<F><G><I><I><F>");
  EXPECT_EQ(expand_image_prompt(1, 2, 1, tokens), "<F><row_1_col_1><I><F><row_1_col_2><I>\n\n<F><G><I><F>");
}

TEST(ImageProcessor, RejectsAnEmptyImage) {
  const ImageProcessorConfig config = load_image_processor_config(checkpoint_dir("tiny-a"));
  EXPECT_THROW(process_image(RgbImage{}, config, true), InvalidInput);
}

}  // namespace
}  // namespace prism::vision
