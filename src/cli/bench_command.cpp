// prism bench --model M: the local engine's speed on this machine, as a table
// or (--json) one JSON object whose keys are a stable interface for scripts
// comparing engines and machines. The figures come from runtime/
// engine_benchmark (medians over --reps, with their spread).
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "core/error.h"
#include "hub/model_path.h"
#include "kernels/dot.h"
#include "kernels/panel_gemm.h"
#include "models/weight_quantization.h"
#include "runtime/engine_benchmark.h"

namespace prism::cli {
namespace {

using nlohmann::ordered_json;

struct BenchOptions {
  std::string model, mmproj, weights, image, parallel;
  int threads = 2;
  runtime::BenchmarkOptions run;
  bool json_output = false;
  bool no_bandwidth = false;
};

std::vector<int> parse_counts(const std::string& list) {
  std::vector<int> out;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    try {
      std::size_t used = 0;
      const int n = std::stoi(item, &used);
      if (used != item.size()) throw std::invalid_argument(item);
      out.push_back(n);
    } catch (const std::exception&) {
      throw InvalidInput("--parallel: '" + item + "' is not a number (give a list such as 1,4,16)");
    }
  }
  return out;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

// The instruction sets the kernels choose among, as the CPU reports them.
ordered_json cpu_features() {
  __builtin_cpu_init();
  ordered_json f = ordered_json::array();
  if (__builtin_cpu_supports("avx2")) f.push_back("avx2");
  if (__builtin_cpu_supports("fma")) f.push_back("fma");
  if (__builtin_cpu_supports("f16c")) f.push_back("f16c");
  if (__builtin_cpu_supports("avx512f")) f.push_back("avx512f");
  if (__builtin_cpu_supports("avx512vnni")) f.push_back("avx512vnni");
  if (__builtin_cpu_supports("avx512bf16")) f.push_back("avx512bf16");
  return f;
}

ordered_json spread_json(const runtime::Spread& s) { return {{"median", s.median}, {"min", s.min}, {"max", s.max}}; }

ordered_json report_json(const BenchOptions& o, const runtime::BenchmarkReport& r) {
  ordered_json parallel = ordered_json::array();
  for (const auto& p : r.parallel)
    parallel.push_back({{"streams", p.streams}, {"tokens_per_s", p.tokens_per_s.median},
                        {"spread", spread_json(p.tokens_per_s)}});
  const double floor = r.bandwidth_gbs > 0 ? r.bandwidth_gbs * 1e9 / static_cast<double>(r.weights_bytes_per_token) : 0;
  return {
      {"model", o.model},
      {"weights", r.weights_format},
      {"threads", r.threads},
      {"cpu", {{"model", cpu_model()}, {"features", cpu_features()}}},
      {"kernels", {{"dot", std::string(kernels::best_dot_name())}, {"panel_gemm", kernels::panel_gemm_available()}}},
      {"prompt_tokens", r.prompt_tokens},
      {"gen_tokens", r.gen_tokens},
      {"reps", r.reps},
      {"prompt_tokens_per_s", r.prompt_tokens_per_s.median},
      {"gen_tokens_per_s", r.gen_tokens_per_s.median},
      {"time_to_first_token_ms", r.time_to_first_token_ms.median},
      {"image_tiles", r.image_tiles},
      {"image_encode_ms_per_tile", r.image_tiles ? ordered_json(r.image_encode_ms_per_tile.median) : ordered_json(nullptr)},
      {"peak_rss_mb", r.peak_rss_mb},
      {"weights_bytes_per_token", r.weights_bytes_per_token},
      {"bandwidth_gbs", r.bandwidth_gbs > 0 ? ordered_json(r.bandwidth_gbs) : ordered_json(nullptr)},
      {"gen_bandwidth_floor_tokens_per_s", floor > 0 ? ordered_json(floor) : ordered_json(nullptr)},
      {"gen_fraction_of_floor", floor > 0 ? ordered_json(r.gen_tokens_per_s.median / floor) : ordered_json(nullptr)},
      {"parallel", parallel},
      {"spread",
       {{"prompt_tokens_per_s", spread_json(r.prompt_tokens_per_s)},
        {"gen_tokens_per_s", spread_json(r.gen_tokens_per_s)},
        {"time_to_first_token_ms", spread_json(r.time_to_first_token_ms)},
        {"image_encode_ms_per_tile", r.image_tiles ? spread_json(r.image_encode_ms_per_tile) : ordered_json(nullptr)}}},
  };
}

void print_table(const ordered_json& j) {
  auto row = [](const std::string& what, const ordered_json& value, const ordered_json& spread, const char* unit) {
    if (value.is_null()) return;
    std::printf("| %-28s | %10.1f | %10.1f - %-10.1f | %s |\n", what.c_str(), value.get<double>(),
                spread["min"].get<double>(), spread["max"].get<double>(), unit);
  };
  std::printf("model %s, weights %s, %d threads, %s\n", j["model"].get<std::string>().c_str(),
              j["weights"].get<std::string>().c_str(), j["threads"].get<int>(),
              j["cpu"]["model"].get<std::string>().c_str());
  std::printf("| %-28s | %10s | %-23s | %s |\n|---|---|---|---|\n", "", "median", "min - max", "unit");
  const auto& s = j["spread"];
  row("prompt (" + std::to_string(j["prompt_tokens"].get<int>()) + " tokens)", j["prompt_tokens_per_s"],
      s["prompt_tokens_per_s"], "tok/s");
  row("generation (" + std::to_string(j["gen_tokens"].get<int>()) + " tokens)", j["gen_tokens_per_s"],
      s["gen_tokens_per_s"], "tok/s");
  row("time to first token", j["time_to_first_token_ms"], s["time_to_first_token_ms"], "ms");
  if (j["image_tiles"].get<int>() > 0)
    row("image encode per tile (" + std::to_string(j["image_tiles"].get<int>()) + ")", j["image_encode_ms_per_tile"],
        s["image_encode_ms_per_tile"], "ms");
  for (const auto& p : j["parallel"])
    row("streams at once: " + std::to_string(p["streams"].get<int>()), p["tokens_per_s"], p["spread"], "tok/s in all");
  std::printf("peak RSS %.1f MB; %.1f MB of weights read per token", j["peak_rss_mb"].get<double>(),
              static_cast<double>(j["weights_bytes_per_token"].get<std::uint64_t>()) / 1e6);
  if (!j["bandwidth_gbs"].is_null())
    std::printf("; read bandwidth %.1f GB/s: floor %.1f tok/s, generation at %.0f%% of it",
                j["bandwidth_gbs"].get<double>(), j["gen_bandwidth_floor_tokens_per_s"].get<double>(),
                100 * j["gen_fraction_of_floor"].get<double>());
  std::printf("\n");
}

int bench(BenchOptions o) {
  o.run.parallel = o.parallel.empty() ? std::vector<int>{} : parse_counts(o.parallel);
  if (!o.image.empty()) o.run.image = o.image;
  o.run.measure_bandwidth = !o.no_bandwidth;
  o.run.progress = [](const std::string& line) { std::cerr << "bench: " << line << "\n"; };
  std::cerr << "bench: loading " << o.model << "\n";
  const auto engine = runtime::VlmEngine::load(
      hub::resolve_model_path(o.model), o.threads, models::parse_weight_format(o.weights),
      o.mmproj.empty() ? std::nullopt : std::optional<std::filesystem::path>(o.mmproj));
  const auto report = runtime::run_benchmark(*engine, o.run);
  const auto j = report_json(o, report);
  if (o.json_output) std::cout << j.dump() << "\n";
  else print_table(j);
  return 0;
}

}  // namespace

void register_bench_command(CLI::App& app) {
  auto opt = std::make_shared<BenchOptions>();
  auto* cmd = app.add_subcommand("bench", "Measure the local engine's speed: prompt, generation, image tiles, streams");
  cmd->add_option("--model", opt->model, "Checkpoint folder, or a repo id ORG/NAME in the Hugging Face cache")->required();
  cmd->add_option("--threads", opt->threads, "Compute threads")->check(CLI::Range(1, 256));
  cmd->add_option("--prompt", opt->run.prompt_tokens, "Prompt tokens (random ordinary tokens)")->check(CLI::PositiveNumber);
  cmd->add_option("--gen", opt->run.gen_tokens, "Generated tokens (greedy)")->check(CLI::PositiveNumber);
  cmd->add_option("--reps", opt->run.reps, "Repetitions; medians and spread are reported")->check(CLI::PositiveNumber);
  cmd->add_option("--mmproj", opt->mmproj,
                  "The vision mmproj .gguf of a GGUF model (default: the mmproj file beside it, if one)");
  cmd->add_option("--image", opt->image, "Image file: its tiles are encoded and its tokens join the prompt");
  cmd->add_option("--parallel", opt->parallel, "Stream counts to run at once, e.g. 1,4,16");
  cmd->add_option("--weights", opt->weights, "Re-store weights at load: q8_0 (text decoder), bf16 (decoder, vision tower, connector: AMX where present), or none (default)");
  cmd->add_flag("--no-bandwidth", opt->no_bandwidth, "Skip the memory bandwidth measurement (512 MB, ~1 s)");
  cmd->add_flag("--json", opt->json_output, "One JSON object (stable keys) instead of the table");
  cmd->callback([opt] { set_exit_code(bench(*opt)); });
}

}  // namespace prism::cli
