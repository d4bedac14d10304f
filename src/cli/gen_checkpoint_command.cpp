// prism gen-checkpoint: a random-weight checkpoint with a real SmolVLM2 shape,
// for benchmarks (never committed; made on demand), as a Hugging Face folder
// or, with --gguf TYPE, as the GGUF pair llama.cpp would load.
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <iostream>

#include "cli/commands.h"
#include "core/error.h"
#include "models/gguf_export.h"
#include "models/random_checkpoint.h"

namespace prism::cli {

void register_gen_checkpoint_command(CLI::App& app) {
  struct Options {
    std::string shape = "256M", out, dtype = "f32", gguf;
    std::uint64_t seed = 0;
  };
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("gen-checkpoint", "Write a random-weight checkpoint with the 256M/500M/2.2B shapes");
  cmd->add_option("--shape", opt->shape, "256M, 500M or 2.2B")->check(CLI::IsMember({"256M", "500M", "2.2B"}));
  cmd->add_option("--out", opt->out, "Output folder")->required();
  cmd->add_option("--dtype", opt->dtype, "f32 or bf16")->check(CLI::IsMember({"f32", "bf16"}));
  cmd->add_option("--seed", opt->seed, "Weight seed");
  cmd->add_option("--gguf", opt->gguf,
                  "Write SmolVLM2-<shape>-random-<TYPE>.gguf and its mmproj into --out instead of a checkpoint folder "
                  "(types as prism quantize takes them; the folder is made in --out first and removed after)");
  cmd->callback([opt] {
    std::optional<formats::GgmlType> gguf_type;
    if (!opt->gguf.empty()) {
      gguf_type = formats::parse_ggml_type(opt->gguf);
      if (!gguf_type || !formats::can_quantize(*gguf_type))
        throw InvalidInput("--gguf " + opt->gguf + " is not a type prism writes");
    }
    models::RandomCheckpointOptions o;
    o.dtype = opt->dtype == "bf16" ? formats::DType::BF16 : formats::DType::F32;
    o.seed = opt->seed;
    int last = -1;
    o.progress = [&](double f) {
      const int pct = static_cast<int>(f * 100);
      if (pct != last) std::fprintf(stderr, "\rwriting %s weights: %3d%%", opt->shape.c_str(), pct);
      last = pct;
    };
    const std::filesystem::path out = opt->out;
    const auto folder = gguf_type ? out / ".random-checkpoint" : out;
    models::write_random_checkpoint(models::checkpoint_shape(opt->shape), folder, o);
    std::fprintf(stderr, "\n");
    if (!gguf_type) {
      std::cout << opt->out << "\n";
      return;
    }
    std::string type_name(formats::ggml_type_name(*gguf_type));  // as llama.cpp names files: Q8_0, F16, Q4_K
    for (auto& c : type_name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const std::string stem = "SmolVLM2-" + opt->shape + "-random-" + type_name;
    models::GgufExportOptions g;
    g.type = *gguf_type;
    g.progress = [last = -1](const std::filesystem::path& file, std::uint64_t done, std::uint64_t total) mutable {
      const int pct = total ? static_cast<int>(done * 100 / total) : 100;
      if (pct != last) std::fprintf(stderr, "\rwriting %s: %3d%%%s", file.filename().string().c_str(), pct, pct == 100 ? "\n" : "");
      last = pct == 100 ? -1 : pct;
    };
    models::export_smolvlm_gguf(folder, out / (stem + ".gguf"), out / ("mmproj-" + stem + ".gguf"), g);
    std::filesystem::remove_all(folder);
    std::cout << (out / (stem + ".gguf")).string() << "\n" << (out / ("mmproj-" + stem + ".gguf")).string() << "\n";
  });
}

}  // namespace prism::cli
