// prism: one binary, several subcommands (serve, run, inspect, ...). Each
// subcommand lives in its own file and registers itself through commands.h.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.h"
#include "core/error.h"

int main(int argc, char** argv) {
  CLI::App app{"prism: self-hosted AI serving (OpenAI-compatible gateway, model router, local SmolVLM2 engine)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "prism 0.1.0");
  prism::cli::register_all_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const prism::Error& e) {
    std::cerr << "prism: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "prism: error: " << e.what() << "\n";
    return 1;
  }
  return prism::cli::exit_code();
}
