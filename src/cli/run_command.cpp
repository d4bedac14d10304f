// prism run: one answer from a local SmolVLM checkpoint, streamed to stdout.
// With --json it prints one object {prompt, input_ids, output_ids, text,
// finish_reason} instead, and --logits-out writes the last prompt position's
// logits as raw little-endian float32: the conformance interface.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/error.h"
#include "hub/model_path.h"
#include "models/weight_quantization.h"
#include "runtime/vlm_engine.h"

namespace prism::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct RunOptions {
  std::string model;
  std::vector<std::string> images;
  std::string video;
  std::string messages_file;
  std::string prompt;
  int max_tokens = 256;
  float temperature = 0;
  int top_k = 0;
  float top_p = 1;
  float min_p = 0;
  float repetition_penalty = 1;
  std::int64_t seed = -1;
  std::vector<std::string> stop;
  bool no_image_splitting = false;
  bool json_output = false;
  std::string logits_out;
  int threads = 2;
  std::string weights;
  std::string mmproj;
};

std::string absolute_path(const std::string& p, const fs::path& base) {
  fs::path path(p);
  return (path.is_relative() ? base / path : path).lexically_normal().string();
}

// Local paths in a --messages file are relative to the file's folder.
void absolutize_media_paths(json& messages, const fs::path& base) {
  if (!messages.is_array()) return;
  for (auto& m : messages) {
    if (!m.is_object() || !m.contains("content") || !m["content"].is_array()) continue;
    for (auto& part : m["content"]) {
      if (!part.is_object()) continue;
      for (const char* key : {"image_url", "video_url"}) {
        if (!part.contains(key)) continue;
        json& ref = part[key].is_object() ? part[key]["url"] : part[key];
        if (!ref.is_string()) continue;
        const std::string url = ref.get<std::string>();
        if (url.rfind("data:", 0) == 0 || url.find("://") != std::string::npos) continue;
        ref = absolute_path(url, base);
      }
      for (const char* key : {"path"})
        if (part.contains(key) && part[key].is_string()) part[key] = absolute_path(part[key].get<std::string>(), base);
    }
  }
}

json build_messages(const RunOptions& opt) {
  if (!opt.messages_file.empty()) {
    if (!opt.images.empty() || !opt.video.empty() || !opt.prompt.empty())
      throw InvalidInput("--messages cannot be combined with --image, --video or a prompt");
    std::ifstream in(opt.messages_file);
    if (!in) throw InvalidInput(opt.messages_file + ": cannot open");
    json messages;
    try {
      messages = json::parse(in);
    } catch (const json::exception& e) {
      throw InvalidInput(opt.messages_file + ": not valid JSON: " + e.what());
    }
    absolutize_media_paths(messages, fs::absolute(opt.messages_file).parent_path());
    return messages;
  }
  if (opt.prompt.empty() && opt.images.empty() && opt.video.empty())
    throw InvalidInput("give a prompt, --image/--video, or --messages FILE");
  // Images (or the video) first, then the text, as the fixtures' cases are built.
  json content = json::array();
  const fs::path cwd = fs::current_path();
  for (const auto& img : opt.images)
    content.push_back({{"type", "image_url"}, {"image_url", {{"url", absolute_path(img, cwd)}}}});
  if (!opt.video.empty())
    content.push_back({{"type", "video_url"}, {"video_url", {{"url", absolute_path(opt.video, cwd)}}}});
  if (!opt.prompt.empty()) content.push_back({{"type", "text"}, {"text", opt.prompt}});
  return json::array({{{"role", "user"}, {"content", content}}});
}

int run(const RunOptions& opt) {
  const json messages = build_messages(opt);
  auto engine = runtime::VlmEngine::load(hub::resolve_model_path(opt.model), opt.threads,
                                         models::parse_weight_format(opt.weights),
                                         opt.mmproj.empty() ? std::nullopt : std::optional<fs::path>(opt.mmproj));
  runtime::GenerationParams params;
  params.max_tokens = opt.max_tokens;
  params.temperature = opt.temperature;
  params.top_k = opt.top_k;
  params.top_p = opt.top_p;
  params.min_p = opt.min_p;
  params.repetition_penalty = opt.repetition_penalty;
  if (opt.seed >= 0) params.seed = static_cast<std::uint64_t>(opt.seed);
  params.stop = opt.stop;
  params.do_image_splitting = !opt.no_image_splitting;
  runtime::MediaPolicy policy;
  policy.allowed_dir = fs::path("/");  // the person at the command line may read any of their files

  auto result = engine->generate(messages, params, policy, [&](std::string_view delta) {
    if (!opt.json_output) {
      std::cout << delta;
      std::cout.flush();
    }
    return true;
  });
  if (opt.json_output) {
    const json out = {{"prompt", result.prompt},
                      {"input_ids", result.input_ids},
                      {"output_ids", result.output_ids},
                      {"text", result.text},
                      {"finish_reason", result.finish_reason}};
    std::cout << out.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
  } else {
    std::cout << "\n";
  }
  if (!opt.logits_out.empty()) {
    std::ofstream out(opt.logits_out, std::ios::binary | std::ios::trunc);
    // x86-64 and aarch64 hosts are little-endian: the floats are written as they lie in memory.
    out.write(reinterpret_cast<const char*>(result.prompt_last_logits.data()),
              static_cast<std::streamsize>(result.prompt_last_logits.size() * sizeof(float)));
    if (!out) throw Error(opt.logits_out + ": cannot write logits");
  }
  return 0;
}

}  // namespace

void register_run_command(CLI::App& app) {
  auto opt = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand("run", "Answer one prompt (with images or a video) from a local SmolVLM checkpoint");
  cmd->add_option("--model", opt->model,
                  "Checkpoint folder (Hugging Face layout), a repo id ORG/NAME[@REVISION] in the Hugging Face cache "
                  "(prism pull), or a text model .gguf (its tokenizer and settings from the metadata, or from the checkpoint's files beside it)")
      ->required();
  cmd->add_option("--mmproj", opt->mmproj,
                  "The vision mmproj .gguf of a GGUF model (default: the mmproj file beside it, if one)");
  // One value per flag (repeat the flag for more), so the prompt that follows
  // is never taken for another file.
  cmd->add_option("--image", opt->images, "Image file (PNG/JPEG/WebP); repeat the flag for several")
      ->allow_extra_args(false);
  cmd->add_option("--video", opt->video, "Video file");
  cmd->add_option("--messages", opt->messages_file, "JSON file with OpenAI-shaped chat messages");
  cmd->add_option("--max-tokens", opt->max_tokens, "Most tokens to generate")->check(CLI::NonNegativeNumber);
  cmd->add_option("--temperature", opt->temperature, "0 = greedy");
  cmd->add_option("--top-k", opt->top_k, "Keep the k most likely tokens (0 = off)");
  cmd->add_option("--top-p", opt->top_p, "Nucleus sampling mass (1 = off)");
  cmd->add_option("--min-p", opt->min_p, "Drop tokens below min_p x the top probability (0 = off)");
  cmd->add_option("--repetition-penalty", opt->repetition_penalty, "1 = off");
  cmd->add_option("--seed", opt->seed, "Sampling seed");
  cmd->add_option("--stop", opt->stop, "Stop string; repeat the flag for several")->allow_extra_args(false);
  cmd->add_flag("--no-image-splitting", opt->no_image_splitting, "One global tile per image");
  cmd->add_flag("--json", opt->json_output, "Print one JSON object instead of streaming text");
  cmd->add_option("--logits-out", opt->logits_out, "Write the last prompt position's logits (float32 LE)");
  cmd->add_option("--threads", opt->threads, "Compute threads")->check(CLI::Range(1, 256));
  cmd->add_option("--weights", opt->weights,
                  "Re-store weights at load: q8_0 (text decoder, 8.5 bits a weight), bf16 (decoder, vision tower and connector), or none (default)");
  cmd->add_option("prompt", opt->prompt, "The prompt text");
  cmd->callback([opt] { set_exit_code(run(*opt)); });
}

}  // namespace prism::cli
