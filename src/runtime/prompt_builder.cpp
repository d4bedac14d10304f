#include "runtime/prompt_builder.h"

#include <cmath>

#include "core/error.h"
#include "vision/frame_sampling.h"
#include "vision/image_decode.h"
#include "vision/image_processor.h"
#include "vision/video_decode.h"
#include "vision/video_prompt.h"

namespace prism::runtime {

using nlohmann::json;

namespace {

std::string where(std::size_t message, std::size_t part) {
  return "messages[" + std::to_string(message) + "].content[" + std::to_string(part) + "]";
}

// The URL of an image_url / video_url part: {"url": "..."} or a bare string;
// also the transformers form {"type": "image", "path" | "url": "..."}.
std::string media_url(const json& part, const std::string& key, const std::string& at) {
  if (part.contains(key)) {
    const json& v = part[key];
    if (v.is_string()) return v.get<std::string>();
    if (v.is_object() && v.contains("url") && v["url"].is_string()) return v["url"].get<std::string>();
    throw InvalidInput(at + "." + key + " must be a URL string or {\"url\": ...}");
  }
  for (const char* alt : {"url", "path"})
    if (part.contains(alt) && part[alt].is_string()) return part[alt].get<std::string>();
  throw InvalidInput(at + " has no '" + key + "'");
}

// Text parts of a message, and the kind of each media part, without decoding.
enum class PartKind { Text, Image, Video };

PartKind part_kind(const json& part, const std::string& at) {
  if (!part.is_object() || !part.contains("type") || !part["type"].is_string())
    throw InvalidInput(at + " must be an object with a string 'type'");
  const auto type = part["type"].get<std::string>();
  if (type == "text") {
    if (!part.contains("text") || !part["text"].is_string()) throw InvalidInput(at + " (text) needs a string 'text'");
    return PartKind::Text;
  }
  if (type == "image_url" || type == "image") return PartKind::Image;
  if (type == "video_url" || type == "video") return PartKind::Video;
  throw InvalidInput(at + " has unsupported type '" + type + "' (supported: text, image_url, video_url)");
}

json message_parts(const json& message, std::size_t index) {
  const std::string at = "messages[" + std::to_string(index) + "]";
  if (!message.is_object()) throw InvalidInput(at + " must be an object");
  if (!message.contains("role") || !message["role"].is_string()) throw InvalidInput(at + " needs a string 'role'");
  if (!message.contains("content") || message["content"].is_null()) return json::array();
  const json& content = message["content"];
  if (content.is_string()) return json::array({{{"type", "text"}, {"text", content}}});
  if (!content.is_array()) throw InvalidInput(at + ".content must be a string or an array of parts");
  return content;
}

}  // namespace

PromptBuilder::PromptBuilder(const tokenizer::Tokenizer& tokenizer, const tokenizer::ChatTemplate& chat_template,
                             const vision::ImageProcessorConfig& processor, vision::ImagePromptTokens image_tokens)
    : tokenizer_(tokenizer), template_(chat_template), processor_(processor), image_tokens_(std::move(image_tokens)) {}

PreparedPrompt PromptBuilder::build(const json& messages, const MediaPolicy& policy, bool do_image_splitting) const {
  if (!messages.is_array() || messages.empty()) throw InvalidInput("messages must be a non-empty array");
  vision::DecodeLimits image_limits;
  image_limits.max_pixels = policy.max_image_pixels;
  image_limits.max_bytes = policy.max_media_bytes;
  vision::VideoLimits video_limits;
  video_limits.max_bytes = policy.max_media_bytes;
  video_limits.max_frame_pixels = policy.max_image_pixels;

  std::vector<vision::ProcessedImage> images;
  json template_messages = json::array();
  for (std::size_t m = 0; m < messages.size(); ++m) {
    const json parts = message_parts(messages[m], m);
    json out_parts = json::array();
    for (std::size_t p = 0; p < parts.size(); ++p) {
      const json& part = parts[p];
      const std::string at = where(m, p);
      switch (part_kind(part, at)) {
        case PartKind::Text:
          out_parts.push_back({{"type", "text"}, {"text", part["text"]}});
          break;
        case PartKind::Image: {
          const auto src = resolve_media_url(media_url(part, "image_url", at), policy);
          const auto rgb = src.path ? vision::load_image_file(*src.path, image_limits)
                                    : vision::decode_image(src.bytes, src.description, image_limits);
          images.push_back(vision::process_image(rgb, processor_, do_image_splitting));
          out_parts.push_back({{"type", "image"}});
          break;
        }
        case PartKind::Video: {
          if (!processor_.video_sampling) throw InvalidInput(at + ": this model's processor has no video settings");
          const auto src = resolve_media_url(media_url(part, "video_url", at), policy);
          const auto video = src.path ? vision::sample_video(*src.path, *processor_.video_sampling, video_limits)
                                      : vision::sample_video(src.bytes, src.description,
                                                             *processor_.video_sampling, video_limits);
          if (video.frames.empty()) throw InvalidInput(at + ": the video " + src.description + " has no frames");
          const auto text = vision::video_prompt_text(video.frame_indices, video.fps, video.duration_s);
          out_parts.push_back({{"type", "text"}, {"text", text.intro}});
          for (std::size_t f = 0; f < video.frames.size(); ++f) {
            out_parts.push_back({{"type", "text"}, {"text", text.frame_labels.at(f)}});
            out_parts.push_back({{"type", "image"}});
            images.push_back(vision::process_video_frame(video.frames[f], processor_));
          }
          out_parts.push_back({{"type", "text"}, {"text", text.outro}});
          break;
        }
      }
    }
    if (out_parts.empty()) throw InvalidInput("messages[" + std::to_string(m) + "] has no content");
    template_messages.push_back({{"role", messages[m]["role"]}, {"content", out_parts}});
  }

  PreparedPrompt out;
  out.prompt_after_template = template_.render(template_messages, /*add_generation_prompt=*/true);

  // Expand every <image> marker, in order, into its image's token sequence.
  const std::string& marker = image_tokens_.image_token;
  std::size_t pos = 0, next = 0;
  while ((next = out.prompt_after_template.find(marker, pos)) != std::string::npos) {
    if (static_cast<std::size_t>(out.num_images) >= images.size())
      throw InvalidInput("the prompt holds more " + marker + " markers than images (" +
                         std::to_string(images.size()) + "); remove '" + marker + "' from the text");
    const auto& img = images[static_cast<std::size_t>(out.num_images++)];
    out.prompt += out.prompt_after_template.substr(pos, next - pos);
    out.prompt += vision::expand_image_prompt(img.rows, img.cols, processor_.image_seq_len, image_tokens_);
    pos = next + marker.size();
  }
  out.prompt += out.prompt_after_template.substr(pos);
  if (static_cast<std::size_t>(out.num_images) != images.size())
    throw Error("the chat template dropped images: " + std::to_string(images.size()) + " given, " +
                std::to_string(out.num_images) + " rendered");

  for (const auto& img : images) {
    if (out.tile_size != 0 && img.tile_size != out.tile_size) throw Error("images were tiled at different sizes");
    out.tile_size = img.tile_size;
    out.num_tiles += img.num_tiles;
    out.pixel_values.insert(out.pixel_values.end(), img.pixel_values.begin(), img.pixel_values.end());
  }
  out.input_ids = tokenizer_.encode(out.prompt);
  return out;
}

std::size_t PromptBuilder::estimate_tokens(const json& messages) const {
  if (!messages.is_array()) throw InvalidInput("messages must be an array");
  const int per_side = processor_.max_image_size > 0
                           ? (processor_.longest_edge + processor_.max_image_size - 1) / processor_.max_image_size
                           : 1;
  const std::size_t image_bound =
      static_cast<std::size_t>(per_side * per_side + 1) * static_cast<std::size_t>(processor_.image_seq_len + 3) + 4;
  const std::size_t frame_bound = static_cast<std::size_t>(processor_.image_seq_len + 3) + 12;
  const std::size_t frames = processor_.video_sampling ? processor_.video_sampling->max_frames : 0;
  std::size_t media = 0;
  json template_messages = json::array();
  for (std::size_t m = 0; m < messages.size(); ++m) {
    json out_parts = json::array();
    const json parts = message_parts(messages[m], m);
    for (std::size_t p = 0; p < parts.size(); ++p) {
      switch (part_kind(parts[p], where(m, p))) {
        case PartKind::Text: out_parts.push_back({{"type", "text"}, {"text", parts[p]["text"]}}); break;
        case PartKind::Image: media += image_bound; break;
        case PartKind::Video: media += frames * frame_bound + 40; break;
      }
    }
    if (out_parts.empty()) out_parts.push_back({{"type", "text"}, {"text", ""}});
    template_messages.push_back({{"role", messages[m]["role"]}, {"content", out_parts}});
  }
  return tokenizer_.encode(template_.render(template_messages, true)).size() + media;
}

}  // namespace prism::runtime
