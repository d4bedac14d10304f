// prism inspect DIR: what a checkpoint folder holds (architecture, parameter
// counts per part, dtypes, tokenizer and processor settings), after loading
// and cross-checking every file as `prism run` would. Given a .gguf file it
// describes the file instead (cli/inspect_gguf.h).
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/inspect_gguf.h"
#include "formats/gguf.h"
#include "hub/model_path.h"
#include "kernels/dot.h"
#include "runtime/vlm_engine.h"

namespace prism::cli {
namespace {

using nlohmann::ordered_json;

ordered_json describe(const std::string& dir) {
  const auto path = hub::resolve_model_path(dir);
  auto engine = runtime::VlmEngine::load(path, 1);
  const auto& cfg = engine->model().config();
  const auto counts = models::count_parameters(cfg);
  std::map<std::string, std::int64_t> dtype_params;
  std::uint64_t bytes = 0;
  const auto* ckpt = engine->model().weights().checkpoint.get();  // null for a GGUF model
  if (ckpt)
    for (const auto& [name, t] : ckpt->tensors()) {
      dtype_params[std::string(formats::dtype_name(t->dtype))] += t->numel();
      bytes += t->nbytes;
    }
  const auto& tok = engine->tokenizer();
  auto id_of = [&](const char* s) -> ordered_json {
    auto id = tok.token_to_id(s);
    return id ? ordered_json(*id) : ordered_json(nullptr);
  };
  const auto& p = engine->processor();
  ordered_json video = nullptr;
  if (p.video_sampling)
    video = {{"fps", p.video_sampling->fps},
             {"max_frames", p.video_sampling->max_frames},
             {"video_longest_edge", p.video_sampling->video_longest_edge}};
  return {
      {"name", path == std::filesystem::path(dir) ? engine->name() : dir},  // a repo id names itself
      {"architecture",
       {{"model_type", cfg.model_type},
        {"vision", {{"hidden_size", cfg.vision.hidden_size}, {"intermediate_size", cfg.vision.intermediate_size},
                    {"layers", cfg.vision.num_hidden_layers}, {"heads", cfg.vision.num_attention_heads},
                    {"image_size", cfg.vision.image_size}, {"patch_size", cfg.vision.patch_size},
                    {"patches_per_side", cfg.vision.patches_per_side()}}},
        {"connector", {{"scale_factor", cfg.scale_factor}, {"image_seq_len", cfg.image_seq_len()}}},
        {"text", {{"hidden_size", cfg.text.hidden_size}, {"intermediate_size", cfg.text.intermediate_size},
                  {"layers", cfg.text.num_hidden_layers}, {"heads", cfg.text.num_attention_heads},
                  {"kv_heads", cfg.text.num_key_value_heads}, {"head_dim", cfg.text.head_dim},
                  {"vocab_size", cfg.text.vocab_size}, {"context_window", cfg.text.max_position_embeddings},
                  {"rope_theta", cfg.text.rope_theta}, {"rms_norm_eps", cfg.text.rms_norm_eps},
                  {"tie_word_embeddings", cfg.text.tie_word_embeddings}}}}},
      {"parameters",
       {{"vision", counts.vision}, {"connector", counts.connector}, {"text", counts.text},
        {"lm_head", counts.lm_head}, {"total", counts.vision + counts.connector + counts.text + counts.lm_head}}},
      {"weights", {{"format", ckpt ? "safetensors" : "gguf"},
                   {"files", ckpt ? ckpt->files().size() : engine->model().weights().files.size()},
                   {"tensors", ckpt ? ckpt->tensors().size() : 0},  // GGUF: `prism inspect FILE.gguf` lists them
                   {"bytes", bytes},
                   {"parameters_by_dtype", dtype_params}}},
      {"tokenizer", {{"vocab_size", tok.vocab_size()}, {"image_token_id", cfg.image_token_id},
                     {"bos_<|im_start|>", id_of("<|im_start|>")}, {"eos_token_ids", engine->eos_token_ids()},
                     {"<fake_token_around_image>", id_of("<fake_token_around_image>")},
                     {"<global-img>", id_of("<global-img>")}}},
      {"processor", {{"longest_edge", p.longest_edge}, {"max_image_size", p.max_image_size},
                     {"do_image_splitting", p.do_image_splitting}, {"image_seq_len", p.image_seq_len},
                     {"image_mean", p.image_mean}, {"image_std", p.image_std},
                     {"rescale_factor", p.rescale_factor}, {"video_sampling", video}}},
      {"cpu_kernel", std::string(kernels::best_dot_name())},
  };
}

void print_text(const ordered_json& j, const std::string& indent = "") {
  for (const auto& [k, v] : j.items()) {
    if (v.is_object()) {
      std::cout << indent << k << ":\n";
      print_text(v, indent + "  ");
    } else {
      std::cout << indent << k << ": " << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
    }
  }
}

}  // namespace

void register_inspect_command(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("inspect", "Describe a SmolVLM checkpoint folder (or a repo id ORG/NAME[@REVISION] in the Hugging Face cache), or a GGUF file");
  cmd->add_option("dir", *dir, "Checkpoint folder, repo id or .gguf file")->required();
  cmd->add_flag("--json", *as_json, "Print JSON");
  cmd->callback([dir, as_json] {
    std::error_code ec;
    if (std::filesystem::is_regular_file(*dir, ec) &&
        (std::filesystem::path(*dir).extension() == ".gguf" || formats::looks_like_gguf(*dir))) {
      const auto info = describe_gguf(*dir);
      if (*as_json) {
        std::cout << info.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
      } else {
        print_gguf_text(info);
      }
      return;
    }
    const auto info = describe(*dir);
    if (*as_json) {
      std::cout << info.dump(2) << "\n";
    } else {
      print_text(info);
    }
  });
}

}  // namespace prism::cli
