// Registration of the CLI's subcommands. Each register_* lives in its own
// <name>_command.cpp; its callback runs the command and sets the exit code.
#pragma once

#include <CLI/CLI.hpp>

namespace prism::cli {

void register_serve_command(CLI::App& app);
void register_run_command(CLI::App& app);
void register_inspect_command(CLI::App& app);
void register_gen_checkpoint_command(CLI::App& app);
void register_pull_command(CLI::App& app);
void register_bench_command(CLI::App& app);
void register_quantize_command(CLI::App& app);

inline void register_all_commands(CLI::App& app) {
  register_serve_command(app);
  register_run_command(app);
  register_inspect_command(app);
  register_gen_checkpoint_command(app);
  register_pull_command(app);
  register_bench_command(app);
  register_quantize_command(app);
}

// Exit code chosen by the command that ran (0 unless it set one).
int exit_code();
void set_exit_code(int code);

}  // namespace prism::cli
