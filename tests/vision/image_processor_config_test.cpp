// Loading the processor settings of a checkpoint folder, old and new layouts.
#include "vision/image_processor_config.h"

#include <fstream>
#include <unistd.h>

#include "core/error.h"
#include "fixture_cases.h"

namespace prism::vision {
namespace {

using nlohmann::json;
using testing::checkpoint_dir;

json read_json(const std::filesystem::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() / ("prism_vision_cfg_" + std::to_string(::getpid()) + "_" +
                                                      std::to_string(counter_++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }
  void write(const std::string& name, const json& doc) const { std::ofstream(path_ / name) << doc.dump(2); }

 private:
  std::filesystem::path path_;
  static inline int counter_ = 0;
};

TEST(ImageProcessorConfig, LoadsBothFixtureCheckpoints) {
  for (const std::string ckpt : {"tiny-a", "tiny-b"}) {
    const auto pre = read_json(checkpoint_dir(ckpt) / "preprocessor_config.json");
    const auto proc = read_json(checkpoint_dir(ckpt) / "processor_config.json");
    const ImageProcessorConfig c = load_image_processor_config(checkpoint_dir(ckpt));
    EXPECT_EQ(c.longest_edge, pre["size"]["longest_edge"].get<int>());
    EXPECT_EQ(c.max_image_size, pre["max_image_size"]["longest_edge"].get<int>());
    EXPECT_EQ(c.rescale_factor, pre["rescale_factor"].get<double>());
    EXPECT_EQ(c.image_mean[0], static_cast<float>(pre["image_mean"][0].get<double>()));
    EXPECT_EQ(c.image_std[2], static_cast<float>(pre["image_std"][2].get<double>()));
    EXPECT_EQ(c.image_seq_len, proc["image_seq_len"].get<int>());
    ASSERT_TRUE(c.video_sampling.has_value());
    EXPECT_EQ(c.video_sampling->fps, pre["video_sampling"]["fps"].get<double>());
    EXPECT_EQ(c.video_sampling->max_frames, pre["video_sampling"]["max_frames"].get<int>());
    EXPECT_EQ(c.video_sampling->video_longest_edge, pre["video_sampling"]["video_size"]["longest_edge"].get<int>());
  }
}

TEST(ImageProcessorConfig, AcceptsTheEmbeddedImageProcessorLayout) {
  const auto pre = read_json(checkpoint_dir("tiny-b") / "preprocessor_config.json");
  TempDir dir;
  dir.write("processor_config.json", json{{"image_seq_len", 9}, {"image_processor", pre}});
  const ImageProcessorConfig c = load_image_processor_config(dir.path());
  EXPECT_EQ(c.max_image_size, pre["max_image_size"]["longest_edge"].get<int>());
  EXPECT_EQ(c.image_seq_len, 9);
}

TEST(ImageProcessorConfig, FindsVideoSamplingInAVideoPreprocessorFile) {
  auto pre = read_json(checkpoint_dir("tiny-a") / "preprocessor_config.json");
  const json sampling = pre["video_sampling"];
  pre.erase("video_sampling");
  TempDir dir;
  dir.write("processor_config.json", json{{"image_seq_len", 4}, {"image_processor", pre}});
  EXPECT_FALSE(load_image_processor_config(dir.path()).video_sampling.has_value());
  dir.write("video_preprocessor_config.json", json{{"video_sampling", sampling}});
  const ImageProcessorConfig c = load_image_processor_config(dir.path());
  ASSERT_TRUE(c.video_sampling.has_value());
  EXPECT_EQ(c.video_sampling->max_frames, sampling["max_frames"].get<int>());
}

TEST(ImageProcessorConfig, MissingKeysNameFileAndKey) {
  const auto pre = read_json(checkpoint_dir("tiny-a") / "preprocessor_config.json");
  const auto expect_error = [&](const json& preprocessor, const json& processor, const std::string& key,
                                const std::string& file) {
    TempDir dir;
    dir.write("preprocessor_config.json", preprocessor);
    dir.write("processor_config.json", processor);
    try {
      load_image_processor_config(dir.path());
      ADD_FAILURE() << "accepted a config without " << key;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
    }
  };
  const json processor = {{"image_seq_len", 4}};
  expect_error(pre, json::object(), "image_seq_len", "processor_config.json");
  for (const std::string key : {"size", "max_image_size", "image_mean", "image_std", "rescale_factor"}) {
    json broken = pre;
    broken.erase(key);
    expect_error(broken, processor, key, "preprocessor_config.json");
  }
  json no_edge = pre;
  no_edge["size"] = json::object();
  expect_error(no_edge, processor, "size.longest_edge", "preprocessor_config.json");
  json no_frames = pre;
  no_frames["video_sampling"].erase("max_frames");
  expect_error(no_frames, processor, "video_sampling.max_frames", "preprocessor_config.json");
  json bicubic = pre;
  bicubic["resample"] = 3;
  expect_error(bicubic, processor, "resample", "preprocessor_config.json");

  TempDir empty;
  EXPECT_THROW(load_image_processor_config(empty.path()), Error);
}

}  // namespace
}  // namespace prism::vision
