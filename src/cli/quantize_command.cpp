// prism quantize DIR --out FILE.gguf: a Hugging Face SmolVLM2 checkpoint
// folder written as llama.cpp's GGUF pair (text model + mmproj) in one
// weight type (models/gguf_export.h). The tokenizer, chat template and
// processor files are copied beside the output, so `prism run --model
// FILE.gguf` finds them.
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "core/error.h"
#include "hub/model_path.h"
#include "models/gguf_export.h"

namespace prism::cli {

namespace fs = std::filesystem;

// The files beside the weights that the engine reads (none is required).
constexpr const char* kSideFiles[] = {"tokenizer.json",          "tokenizer_config.json",  "special_tokens_map.json",
                                      "chat_template.json",      "chat_template.jinja",    "preprocessor_config.json",
                                      "processor_config.json",   "generation_config.json", "added_tokens.json"};

void register_quantize_command(CLI::App& app) {
  struct Options {
    std::string model, out, mmproj, type = "f16";
    bool no_mmproj = false;
  };
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "quantize", "Write a SmolVLM2 checkpoint folder as GGUF files (text model + mmproj) as llama.cpp lays them out");
  cmd->add_option("model", opt->model, "Checkpoint folder (or a pulled repo id)")->required();
  cmd->add_option("--out", opt->out, "Text model GGUF to write, e.g. SmolVLM2-256M-Q8_0.gguf")->required();
  cmd->add_option("--mmproj", opt->mmproj, "Vision mmproj GGUF to write (default: mmproj-<out name> beside --out)");
  cmd->add_flag("--no-mmproj", opt->no_mmproj, "Write the text model only");
  cmd->add_option("--type", opt->type,
                  "Matrix type: f32, f16, bf16, q8_0, q4_0, q5_0, q4_K, q6_K (kept as stored by the engine), or "
                  "q4_1, q5_1 (dequantized to f32 at load). Norms, biases and the vision embeddings stay f32; "
                  "matrices whose rows are not whole blocks fall back to f16");
  cmd->callback([opt] {
    const auto type = formats::parse_ggml_type(opt->type);
    if (!type || !formats::can_quantize(*type)) throw InvalidInput("--type " + opt->type + " is not a type prism writes");
    const fs::path dir = hub::resolve_model_path(opt->model), out = opt->out;
    const fs::path mmproj =
        opt->mmproj.empty() ? out.parent_path() / ("mmproj-" + out.filename().string()) : fs::path(opt->mmproj);
    models::GgufExportOptions o;
    o.type = *type;
    o.write_mmproj = !opt->no_mmproj;
    int last = -1;
    o.progress = [&](const fs::path& file, std::uint64_t done, std::uint64_t total) {
      const int pct = total ? static_cast<int>(done * 100 / total) : 100;
      if (pct != last) std::fprintf(stderr, "\rwriting %s: %3d%%", file.filename().string().c_str(), pct);
      if (pct == 100) std::fprintf(stderr, "\n");
      last = pct == 100 ? -1 : pct;
    };
    models::export_smolvlm_gguf(dir, out, mmproj, o);
    const auto out_dir = fs::absolute(out).parent_path();
    for (const char* name : kSideFiles) {
      std::error_code ec;
      if (fs::exists(dir / name) && !fs::equivalent(dir, out_dir, ec))
        fs::copy_file(dir / name, out_dir / name, fs::copy_options::overwrite_existing);
    }
    std::cout << out.string() << "\n";
    if (!opt->no_mmproj) std::cout << mmproj.string() << "\n";
  });
}

}  // namespace prism::cli
