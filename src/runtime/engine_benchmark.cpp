#include "runtime/engine_benchmark.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <set>

#include "core/error.h"
#include "kernels/memory_bandwidth.h"
#include "runtime/sampler.h"
#include "vision/image_decode.h"
#include "vision/image_processor.h"

namespace prism::runtime {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

Spread spread_of(std::vector<double> v) {
  if (v.empty()) return {};
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  const double median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  return {median, v.front(), v.back()};
}

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // KiB on Linux
}

// Bytes of weights one decoding step reads: every layer's matrices and the
// output head (the embedding lookup reads one row).
std::uint64_t decode_bytes_per_token(const models::SmolVlmWeights& w, std::string* formats_used) {
  std::uint64_t bytes = 0;
  std::set<std::string> names;
  for (const auto& l : w.text.layers)
    for (const auto* m : l.matrices()) {
      bytes += m->bytes();
      names.insert(std::string(formats::dtype_name(m->dtype)));
    }
  bytes += w.text.lm_head.bytes();
  names.insert(std::string(formats::dtype_name(w.text.lm_head.dtype)));
  for (const auto& n : names) *formats_used += (formats_used->empty() ? "" : "+") + n;
  return bytes;
}

// Random ids of ordinary tokens: not special, and not the <image>
// placeholder (an added token the tokenizer does not mark special), which
// would ask for image features the prompt does not have.
std::vector<std::int32_t> random_prompt(const VlmEngine& engine, int n, std::uint32_t seed) {
  const std::int32_t image_id = engine.model().config().image_token_id;
  std::mt19937 rng(seed);
  const auto vocab = static_cast<std::int32_t>(engine.tokenizer().vocab_size());
  std::uniform_int_distribution<std::int32_t> pick(0, vocab - 1);
  std::vector<std::int32_t> ids;
  while (static_cast<int>(ids.size()) < n) {
    const std::int32_t id = pick(rng);
    if (id != image_id && !engine.tokenizer().is_special(id)) ids.push_back(id);
  }
  return ids;
}

struct Stream {
  models::KvCache cache;
  std::vector<std::int32_t> context;
  std::vector<float> logits;
};

// Prefills `ids` into a new stream; its logits are the last position's.
Stream prefill(const models::SmolVlmModel& model, const std::vector<std::int32_t>& ids, const tensor::Tensor* features) {
  Stream s{model.make_cache(), ids, std::vector<float>(static_cast<std::size_t>(model.config().text.vocab_size))};
  auto hidden = model.text().forward(model.pool(), model.embed_prompt(ids, features), s.cache);
  model.text().logits(model.pool(), hidden.row(hidden.dim(0) - 1), 1, s.logits.data());
  return s;
}

// One greedy token on `s`: sample, then the forward pass that gives the next logits.
void step(const models::SmolVlmModel& model, Sampler& sampler, Stream& s) {
  const std::int32_t next = sampler.sample(s.logits, s.context);
  s.context.push_back(next);
  auto h = model.text().forward(model.pool(), model.text().embed(&next, 1), s.cache);  // as generation.cpp
  model.text().logits(model.pool(), h.data(), 1, s.logits.data());
}

}  // namespace

BenchmarkReport run_benchmark(const VlmEngine& engine, const BenchmarkOptions& o) {
  const auto& model = engine.model();
  const auto& cfg = model.config();
  const int context = cfg.text.max_position_embeddings;
  if (o.prompt_tokens < 1 || o.gen_tokens < 1 || o.reps < 1)
    throw InvalidInput("bench: --prompt, --gen and --reps must be at least 1");
  for (int p : o.parallel)
    if (p < 1 || p > 256) throw InvalidInput("bench: --parallel counts must be within 1..256");
  auto say = [&](const std::string& line) {
    if (o.progress) o.progress(line);
  };

  BenchmarkReport r;
  r.prompt_tokens = o.prompt_tokens;
  r.gen_tokens = o.gen_tokens;
  r.reps = o.reps;
  r.threads = model.pool().size();
  r.weights_bytes_per_token = decode_bytes_per_token(model.weights(), &r.weights_format);

  // The image, processed as a request's would be.
  std::vector<float> pixels;
  int tiles = 0, tile_size = 0, image_tokens = 0;
  if (o.image) {
    const auto processed = vision::process_image(vision::load_image_file(*o.image), engine.processor(),
                                                 engine.processor().do_image_splitting);
    pixels = processed.pixel_values;
    tiles = processed.num_tiles;
    tile_size = processed.tile_size;
    image_tokens = tiles * cfg.image_seq_len();
    r.image_tiles = tiles;
  }
  if (o.prompt_tokens + image_tokens + o.gen_tokens >= context)
    throw InvalidInput("bench: " + std::to_string(o.prompt_tokens) + " prompt tokens" +
                       (image_tokens ? " + " + std::to_string(image_tokens) + " image tokens" : std::string()) +
                       " + " + std::to_string(o.gen_tokens) + " generated do not fit the context window of " +
                       std::to_string(context));

  std::vector<double> prompt_tps, gen_tps, ttft_ms, encode_ms;
  for (int rep = 0; rep < o.reps; ++rep) {
    const auto ids = random_prompt(engine, o.prompt_tokens, static_cast<std::uint32_t>(rep + 1));
    Sampler greedy({}, 0);
    // Time to first token: the image's encoding, the prefill of the prompt
    // with the image's tokens, and the first sampled token.
    auto t0 = Clock::now();
    tensor::Tensor features;
    std::vector<std::int32_t> prompt = ids;
    if (tiles > 0) {
      features = model.connect(model.encode_images(pixels.data(), tiles, tile_size, tile_size));
      encode_ms.push_back(seconds_since(t0) * 1000.0 / tiles);
      prompt.insert(prompt.begin() + static_cast<long>(prompt.size() / 2), static_cast<std::size_t>(image_tokens),
                    cfg.image_token_id);
    }
    const auto t_prefill = Clock::now();
    Stream s = prefill(model, prompt, tiles > 0 ? &features : nullptr);
    const double prefill_s = seconds_since(t_prefill);
    s.context.push_back(greedy.sample(s.logits, s.context));
    ttft_ms.push_back(seconds_since(t0) * 1000.0);
    prompt_tps.push_back(static_cast<double>(prompt.size()) / prefill_s);
    // Generation: the first token came with the prompt; time the next ones.
    s.context.pop_back();
    const auto t_gen = Clock::now();
    for (int i = 0; i < o.gen_tokens; ++i) step(model, greedy, s);
    gen_tps.push_back(o.gen_tokens / seconds_since(t_gen));
    say("rep " + std::to_string(rep + 1) + "/" + std::to_string(o.reps) + ": prompt " +
        std::to_string(static_cast<int>(prompt_tps.back())) + " tok/s, generation " +
        std::to_string(static_cast<int>(gen_tps.back())) + " tok/s");
  }
  r.prompt_tokens_per_s = spread_of(prompt_tps);
  r.gen_tokens_per_s = spread_of(gen_tps);
  r.time_to_first_token_ms = spread_of(ttft_ms);
  r.image_encode_ms_per_tile = spread_of(encode_ms);

  // Streams at once: each has its own cache, and a step decodes one token
  // of every stream (there is no batched forward pass yet: #12).
  for (int streams : o.parallel) {
    std::vector<double> tps;
    for (int rep = 0; rep < o.reps; ++rep) {
      std::vector<Stream> all;
      for (int i = 0; i < streams; ++i)
        all.push_back(prefill(model, random_prompt(engine, 32, static_cast<std::uint32_t>(1000 + i)), nullptr));
      Sampler greedy({}, 0);
      const auto t0 = Clock::now();
      for (int i = 0; i < o.gen_tokens; ++i)
        for (auto& s : all) step(model, greedy, s);
      tps.push_back(static_cast<double>(streams) * o.gen_tokens / seconds_since(t0));
    }
    r.parallel.push_back({streams, spread_of(tps)});
    say("parallel " + std::to_string(streams) + ": " + std::to_string(static_cast<int>(r.parallel.back().tokens_per_s.median)) +
        " tok/s in all");
  }
  r.peak_rss_mb = peak_rss_mb();  // before the bandwidth's buffer
  if (o.measure_bandwidth) {
    say("measuring memory read bandwidth");
    r.bandwidth_gbs = kernels::measure_read_bandwidth_gbs(model.pool());
  }
  return r;
}

}  // namespace prism::runtime
