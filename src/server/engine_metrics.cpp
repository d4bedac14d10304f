#include "server/engine_metrics.h"

#include <vector>

namespace prism::server {

void declare_engine_metrics(MetricsRegistry& m) {
  m.declare_gauge("prism_engine_running_sequences", "Sequences in the local engine's batch.");
  m.declare_gauge("prism_engine_waiting_sequences", "Sequences queued for a place in the batch.");
  m.declare_gauge("prism_engine_kv_blocks", "KV cache blocks by state (in_use, cached: kept for prefix reuse, free).");
  m.declare_gauge("prism_engine_last_batch_size", "Rows (decode tokens + prompt positions) of the last step.");
  m.declare_gauge("prism_engine_expected_wait_seconds", "Expected wait for a place in the batch for a request arriving now.");
  m.declare_gauge("prism_engine_image_cache_bytes", "Bytes of encoded image tiles kept.");
  m.declare_counter("prism_engine_steps_total", "Batched forward steps run.");
  std::vector<double> bounds(runtime::kStepSequenceBounds.begin(), runtime::kStepSequenceBounds.end());
  m.declare_histogram("prism_engine_step_sequences", "Sequences in each step's forward pass (the batch size).",
                      std::move(bounds));
  m.declare_counter("prism_engine_step_seconds_total", "Time spent in steps.");
  m.declare_counter("prism_engine_batch_rows_total", "Rows computed over all steps (divide by steps for the mean batch).");
  m.declare_counter("prism_engine_prompt_tokens_total", "Prompt tokens of sequences that started decoding.");
  m.declare_counter("prism_engine_cached_prompt_tokens_total", "Prompt tokens taken from the prefix cache.");
  m.declare_counter("prism_engine_generated_tokens_total", "Tokens generated.");
  m.declare_counter("prism_engine_prefix_cache_queries_total", "Full prompt blocks looked up in the prefix cache.");
  m.declare_counter("prism_engine_prefix_cache_hits_total", "Full prompt blocks found in the prefix cache.");
  m.declare_counter("prism_engine_image_cache_hits_total", "Image tiles whose encoding came from the cache.");
  m.declare_counter("prism_engine_image_cache_misses_total", "Image tiles run through the vision encoder.");
  m.declare_counter("prism_engine_overloaded_total", "Requests turned away for lack of capacity (429).");
}

void record_engine_metrics(MetricsRegistry& m, const std::string& model, const runtime::ServingStats& s) {
  const Labels l = {{"model", model}};
  const auto& b = s.batch;
  m.set("prism_engine_running_sequences", l, b.running);
  m.set("prism_engine_waiting_sequences", l, b.waiting);
  m.set("prism_engine_kv_blocks", {{"model", model}, {"state", "in_use"}}, static_cast<double>(b.blocks.in_use));
  m.set("prism_engine_kv_blocks", {{"model", model}, {"state", "cached"}}, static_cast<double>(b.blocks.cached));
  m.set("prism_engine_kv_blocks", {{"model", model}, {"state", "free"}}, static_cast<double>(b.blocks.free));
  m.set("prism_engine_last_batch_size", l, static_cast<double>(b.last_batch_rows));
  m.set("prism_engine_expected_wait_seconds", l, b.expected_wait_s);
  m.set("prism_engine_image_cache_bytes", l, static_cast<double>(s.images.bytes));
  m.set_total("prism_engine_steps_total", l, static_cast<double>(b.steps));
  m.set_total("prism_engine_step_seconds_total", l, b.step_seconds);
  m.set_total("prism_engine_batch_rows_total", l, static_cast<double>(b.step_rows));
  const std::vector<double> by_sequences(b.steps_by_sequences.begin(), b.steps_by_sequences.end() - 1);
  m.set_histogram("prism_engine_step_sequences", l, by_sequences,
                  static_cast<double>(b.steps_by_sequences.back()), static_cast<double>(b.step_sequences));
  m.set_total("prism_engine_prompt_tokens_total", l, static_cast<double>(b.prompt_tokens));
  m.set_total("prism_engine_cached_prompt_tokens_total", l, static_cast<double>(b.cached_prompt_tokens));
  m.set_total("prism_engine_generated_tokens_total", l, static_cast<double>(b.generated_tokens));
  m.set_total("prism_engine_prefix_cache_queries_total", l, static_cast<double>(b.blocks.prefix_queries));
  m.set_total("prism_engine_prefix_cache_hits_total", l, static_cast<double>(b.blocks.prefix_hits));
  m.set_total("prism_engine_image_cache_hits_total", l, static_cast<double>(s.images.hits));
  m.set_total("prism_engine_image_cache_misses_total", l, static_cast<double>(s.images.misses));
  m.set_total("prism_engine_overloaded_total", l, static_cast<double>(b.overloaded));
}

}  // namespace prism::server
