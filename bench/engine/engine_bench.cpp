// Engine benchmark: prompt (prefill) and generation tokens/s, one image
// tile's encode time (vision encoder + connector) and peak RSS, on a
// random-weight checkpoint with a real SmolVLM2 shape (generated on demand).
//
//   engine_bench [--shape 256M] [--dir /tmp/prism-bench-256M] [--threads 2]
//                [--prompt-tokens 256] [--gen-tokens 64] [--dtype f32|bf16]
//                [--weights q8_0]   (the text decoder re-stored at load)
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>

#include "kernels/dot.h"
#include "models/random_checkpoint.h"
#include "models/smolvlm.h"
#include "models/weight_quantization.h"
#include "runtime/sampler.h"

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

}  // namespace

int main(int argc, char** argv) {
  std::string shape_name = "256M", dtype = "f32", weights;
  std::filesystem::path dir;
  int threads = 2, prompt_tokens = 256, gen_tokens = 64;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--shape") shape_name = v;
    else if (k == "--dir") dir = v;
    else if (k == "--threads") threads = std::stoi(v);
    else if (k == "--prompt-tokens") prompt_tokens = std::stoi(v);
    else if (k == "--gen-tokens") gen_tokens = std::stoi(v);
    else if (k == "--dtype") dtype = v;
    else if (k == "--weights") weights = v;
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  try {
    const auto shape = prism::models::checkpoint_shape(shape_name);
    if (dir.empty()) dir = std::filesystem::temp_directory_path() / ("prism-bench-" + shape_name + "-" + dtype);
    if (!std::filesystem::exists(dir / "config.json")) {
      std::fprintf(stderr, "writing random %s checkpoint to %s\n", shape_name.c_str(), dir.c_str());
      prism::models::RandomCheckpointOptions opt;
      opt.dtype = dtype == "bf16" ? prism::formats::DType::BF16 : prism::formats::DType::F32;
      int last = -1;
      opt.progress = [&](double f) {
        int pct = static_cast<int>(f * 100);
        if (pct / 10 != last / 10) std::fprintf(stderr, "  %d%%\n", pct);
        last = pct;
      };
      prism::models::write_random_checkpoint(shape, dir, opt);
    }

    auto t0 = Clock::now();
    auto model = prism::models::SmolVlmModel::load(dir, threads, prism::models::parse_weight_format(weights));
    const double load_s = seconds_since(t0);
    const auto& cfg = model->config();

    // One image tile (the unsplit form of an image): encoder + connector.
    const int side = cfg.vision.image_size;
    std::vector<float> pixels(static_cast<std::size_t>(3) * side * side);
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (auto& p : pixels) p = u(rng);
    t0 = Clock::now();
    double cpu0 = cpu_seconds();
    auto features = model->connect(model->encode_images(pixels.data(), 1, side, side));
    const double encode_s = seconds_since(t0), encode_cpu = cpu_seconds() - cpu0;

    // Prompt: random text ids with the tile's <image> tokens in the middle.
    std::vector<std::int32_t> ids;
    std::uniform_int_distribution<std::int32_t> tok(17, 49151);
    const int image_tokens = cfg.image_seq_len();
    const int text_tokens = std::max(1, prompt_tokens - image_tokens);
    for (int i = 0; i < text_tokens; ++i) ids.push_back(tok(rng));
    ids.insert(ids.begin() + text_tokens / 2, static_cast<std::size_t>(image_tokens), cfg.image_token_id);
    auto cache = model->make_cache();
    t0 = Clock::now();
    cpu0 = cpu_seconds();
    auto embeds = model->embed_prompt(ids, &features);
    auto hidden = model->text().forward(model->pool(), embeds, cache);
    std::vector<float> logits(static_cast<std::size_t>(cfg.text.vocab_size));
    model->text().logits(model->pool(), hidden.row(hidden.dim(0) - 1), 1, logits.data());
    const double prefill_s = seconds_since(t0), prefill_cpu = cpu_seconds() - cpu0;

    prism::runtime::Sampler sampler({}, 0);
    t0 = Clock::now();
    cpu0 = cpu_seconds();
    for (int i = 0; i < gen_tokens; ++i) {
      const std::int32_t next = sampler.sample(logits, ids);
      ids.push_back(next);
      auto e = model->embed_prompt({next}, nullptr);
      auto h = model->text().forward(model->pool(), e, cache);
      model->text().logits(model->pool(), h.data(), 1, logits.data());
    }
    const double decode_s = seconds_since(t0), decode_cpu = cpu_seconds() - cpu0;

    std::printf("checkpoint      %s (%s, random weights, %s; text decoder %s)\n", dir.c_str(), shape_name.c_str(),
                dtype.c_str(), weights.empty() ? "as stored" : weights.c_str());
    std::printf("threads         %d   (dot kernel: %s)\n", threads, std::string(prism::kernels::best_dot_name()).c_str());
    std::printf("load            %8.3f s\n", load_s);
    std::printf("image encode    %8.3f s   (one %dx%d tile: vision encoder + connector, %d tokens; %.2f CPU-s)\n",
                encode_s, side, side, image_tokens, encode_cpu);
    std::printf("prompt          %8.1f tok/s (%zu tokens incl. %d image tokens, %.3f s; %.2f CPU-s)\n",
                static_cast<double>(embeds.dim(0)) / prefill_s, static_cast<std::size_t>(embeds.dim(0)), image_tokens,
                prefill_s, prefill_cpu);
    std::printf("generation      %8.1f tok/s (%d tokens, %.3f s; %.2f CPU-s)\n", gen_tokens / decode_s, gen_tokens,
                decode_s, decode_cpu);
    std::printf("peak RSS        %8.1f MiB\n", peak_rss_mib());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "engine_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
