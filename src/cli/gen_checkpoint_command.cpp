// prism gen-checkpoint: a random-weight checkpoint with a real SmolVLM2 shape,
// for benchmarks (never committed; made on demand).
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "core/error.h"
#include "models/random_checkpoint.h"

namespace prism::cli {

void register_gen_checkpoint_command(CLI::App& app) {
  struct Options {
    std::string shape = "256M", out, dtype = "f32";
    std::uint64_t seed = 0;
  };
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("gen-checkpoint", "Write a random-weight checkpoint with the 256M/500M/2.2B shapes");
  cmd->add_option("--shape", opt->shape, "256M, 500M or 2.2B")->check(CLI::IsMember({"256M", "500M", "2.2B"}));
  cmd->add_option("--out", opt->out, "Output folder")->required();
  cmd->add_option("--dtype", opt->dtype, "f32 or bf16")->check(CLI::IsMember({"f32", "bf16"}));
  cmd->add_option("--seed", opt->seed, "Weight seed");
  cmd->callback([opt] {
    models::RandomCheckpointOptions o;
    o.dtype = opt->dtype == "bf16" ? formats::DType::BF16 : formats::DType::F32;
    o.seed = opt->seed;
    int last = -1;
    o.progress = [&](double f) {
      const int pct = static_cast<int>(f * 100);
      if (pct != last) std::fprintf(stderr, "\rwriting %s weights: %3d%%", opt->shape.c_str(), pct);
      last = pct;
    };
    models::write_random_checkpoint(models::checkpoint_shape(opt->shape), opt->out, o);
    std::fprintf(stderr, "\n");
    std::cout << opt->out << "\n";
  });
}

}  // namespace prism::cli
