#include "vision/image_processor_config.h"

#include <fstream>

#include "core/error.h"

namespace prism::vision {
namespace {

using nlohmann::json;

json read_json_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw Error(path.string() + ": cannot open the file");
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    throw Error(path.string() + ": invalid JSON: " + e.what());
  }
}

[[noreturn]] void missing(const std::string& source, const std::string& key) {
  throw Error(source + ": required key \"" + key + "\" is missing");
}

[[noreturn]] void wrong_type(const std::string& source, const std::string& key, const json& value,
                             const std::string& expected) {
  throw Error(source + ": key \"" + key + "\" must be " + expected + ", got " + value.dump());
}

const json& require(const json& object, const std::string& key, const std::string& source, const std::string& path) {
  auto it = object.find(key);
  if (it == object.end()) missing(source, path);
  return *it;
}

double as_number(const json& value, const std::string& source, const std::string& path) {
  if (!value.is_number()) wrong_type(source, path, value, "a number");
  return value.get<double>();
}

int as_positive_int(const json& value, const std::string& source, const std::string& path) {
  if (!value.is_number_integer() || value.get<long long>() < 1 || value.get<long long>() > (1 << 20))
    wrong_type(source, path, value, "a positive integer");
  return value.get<int>();
}

bool optional_flag(const json& object, const std::string& key, bool fallback, const std::string& source) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) wrong_type(source, key, *it, "true or false");
  return it->get<bool>();
}

int longest_edge_of(const json& object, const std::string& key, const std::string& source) {
  const json& size = require(object, key, source, key);
  if (!size.is_object()) wrong_type(source, key, size, "an object with \"longest_edge\"");
  return as_positive_int(require(size, "longest_edge", source, key + ".longest_edge"), source, key + ".longest_edge");
}

std::array<float, 3> three_floats(const json& object, const std::string& key, const std::string& source) {
  const json& value = require(object, key, source, key);
  std::array<float, 3> out{};
  if (value.is_number()) {
    out.fill(static_cast<float>(value.get<double>()));
    return out;
  }
  if (!value.is_array() || value.size() != 3) wrong_type(source, key, value, "a list of 3 numbers");
  for (std::size_t i = 0; i < 3; ++i) out[i] = static_cast<float>(as_number(value[i], source, key));
  return out;
}

VideoSamplingConfig parse_video_sampling(const json& section, const std::string& source) {
  if (!section.is_object()) wrong_type(source, "video_sampling", section, "an object");
  VideoSamplingConfig video;
  video.fps = as_number(require(section, "fps", source, "video_sampling.fps"), source, "video_sampling.fps");
  if (!(video.fps > 0)) wrong_type(source, "video_sampling.fps", section["fps"], "a positive number");
  video.max_frames =
      as_positive_int(require(section, "max_frames", source, "video_sampling.max_frames"), source, "video_sampling.max_frames");
  video.video_longest_edge = longest_edge_of(section, "video_size", source);
  return video;
}

}  // namespace

ImageProcessorConfig parse_image_processor_config(const json& ip, const std::string& ip_source, const json& processor,
                                                  const std::string& processor_source) {
  if (!ip.is_object()) throw Error(ip_source + ": expected a JSON object");
  if (!processor.is_object()) throw Error(processor_source + ": expected a JSON object");
  ImageProcessorConfig config;
  config.do_resize = optional_flag(ip, "do_resize", true, ip_source);
  config.longest_edge = longest_edge_of(ip, "size", ip_source);
  config.do_image_splitting = optional_flag(ip, "do_image_splitting", true, ip_source);
  config.max_image_size = longest_edge_of(ip, "max_image_size", ip_source);
  config.do_rescale = optional_flag(ip, "do_rescale", true, ip_source);
  if (config.do_rescale)
    config.rescale_factor = as_number(require(ip, "rescale_factor", ip_source, "rescale_factor"), ip_source, "rescale_factor");
  config.do_normalize = optional_flag(ip, "do_normalize", true, ip_source);
  if (config.do_normalize) {
    config.image_mean = three_floats(ip, "image_mean", ip_source);
    config.image_std = three_floats(ip, "image_std", ip_source);
    for (float s : config.image_std)
      if (s == 0.0f) throw Error(ip_source + ": key \"image_std\" must not contain 0");
  }
  if (auto it = ip.find("resample"); it != ip.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<long long>() != 1)
      throw Error(ip_source + ": key \"resample\" is " + it->dump() +
                  "; only 1 (LANCZOS, what SmolVLM uses) is supported");
  }
  config.image_seq_len =
      as_positive_int(require(processor, "image_seq_len", processor_source, "image_seq_len"), processor_source, "image_seq_len");

  if (auto it = ip.find("video_sampling"); it != ip.end() && !it->is_null()) {
    config.video_sampling = parse_video_sampling(*it, ip_source);
  } else if (auto vp = processor.find("video_processor"); vp != processor.end() && vp->is_object()) {
    if (auto vs = vp->find("video_sampling"); vs != vp->end() && !vs->is_null())
      config.video_sampling = parse_video_sampling(*vs, processor_source + " (video_processor)");
  }
  return config;
}

namespace {

ImageProcessorConfig load_image_part(const std::filesystem::path& dir, const json& processor,
                                     const std::filesystem::path& processor_path) {
  const auto preprocessor_path = dir / "preprocessor_config.json";
  if (std::filesystem::exists(preprocessor_path))
    return parse_image_processor_config(read_json_file(preprocessor_path), preprocessor_path.string(), processor,
                                        processor_path.string());
  // Newer layout: the image processor settings live inside processor_config.json.
  if (auto it = processor.find("image_processor"); processor.is_object() && it != processor.end())
    return parse_image_processor_config(*it, processor_path.string() + " (image_processor)", processor,
                                        processor_path.string());
  throw Error(preprocessor_path.string() + ": file is missing and " + processor_path.string() +
              " has no \"image_processor\" section");
}

}  // namespace

ImageProcessorConfig load_image_processor_config(const std::filesystem::path& dir) {
  const auto processor_path = dir / "processor_config.json";
  if (!std::filesystem::exists(processor_path))
    throw Error(processor_path.string() + ": file is missing (needed for image_seq_len)");
  const json processor = read_json_file(processor_path);
  ImageProcessorConfig config = load_image_part(dir, processor, processor_path);
  // Newer checkpoints may keep the video settings in their own file.
  const auto video_path = dir / "video_preprocessor_config.json";
  if (!config.video_sampling && std::filesystem::exists(video_path)) {
    const json video = read_json_file(video_path);
    if (auto it = video.find("video_sampling"); video.is_object() && it != video.end() && !it->is_null())
      config.video_sampling = parse_video_sampling(*it, video_path.string());
  }
  return config;
}

}  // namespace prism::vision
