#include "runtime/batch_engine.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/log.h"

namespace prism::runtime {

using Clock = std::chrono::steady_clock;
using models::kKvBlockSize;

namespace {

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// A sequence ended by a failure of the engine, not of its request.
SequenceOutcome engine_failure(const std::exception& e) {
  SequenceOutcome o;
  o.error = std::string("local engine failed: ") + e.what();
  return o;
}

std::int64_t pool_blocks(const BatchEngineSettings& settings, const models::SmolVlmModel& model) {
  const auto& t = model.config().text;
  const std::int64_t block_bytes = models::KvBlockStorage(t.num_hidden_layers, std::int64_t{t.num_key_value_heads} * t.head_dim).block_bytes();
  std::int64_t bytes = settings.kv_cache_bytes > 0 ? settings.kv_cache_bytes : default_kv_cache_bytes();
  if (settings.kv_cache_is_default) {
    const std::int64_t blocks_per_sequence = (t.max_position_embeddings + kKvBlockSize - 1) / kKvBlockSize;
    bytes = std::min(bytes, 2 * std::int64_t{std::max(1, settings.max_running)} * blocks_per_sequence * block_bytes);
  }
  return std::max<std::int64_t>(1, bytes / block_bytes);
}

}  // namespace

std::int64_t default_kv_cache_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  const std::int64_t physical = pages > 0 && page > 0 ? std::int64_t{pages} * page : (std::int64_t{4} << 30);
  return std::clamp<std::int64_t>(physical / 4, std::int64_t{64} << 20, std::int64_t{4} << 30);
}

BatchEngine::BatchEngine(const models::SmolVlmModel& model, BatchEngineSettings settings)
    : model_(model),
      settings_(settings),
      blocks_(model.config().text.num_hidden_layers,
              std::int64_t{model.config().text.num_key_value_heads} * model.config().text.head_dim,
              pool_blocks(settings, model)),
      scheduler_({settings.max_running, settings.max_waiting, settings.prefill_chunk,
                  model.config().text.max_position_embeddings},
                 blocks_),
      runner_(model, blocks_) {
  if (settings_.max_running < 1 || settings_.max_waiting < 0 || settings_.prefill_chunk < 1)
    throw Error("the batching engine needs max_running >= 1, max_waiting >= 0 and prefill_chunk >= 1");
  stats_.blocks = blocks_.stats();
  thread_ = std::thread([this] { loop(); });
}

BatchEngine::~BatchEngine() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  SequenceOutcome gone;
  gone.error = "the local engine is shutting down";
  for (auto& s : inbox_) fail(std::move(s), gone);
  while (!scheduler_.running().empty()) fail(scheduler_.remove(scheduler_.running().front().get()), gone);
  while (!scheduler_.waiting().empty()) fail(scheduler_.remove(scheduler_.waiting().front().get()), gone);
}

std::shared_ptr<SequenceHandle> BatchEngine::submit(SequenceRequest request,
                                                    std::function<void(SequenceOutcome)> on_finish) {
  const auto prompt = static_cast<std::int64_t>(request.prompt_ids.size());
  const std::int64_t context = model_.config().text.max_position_embeddings;
  if (prompt == 0) throw InvalidInput("the prompt is empty");
  if (prompt >= context)
    throw InvalidInput("the prompt is " + std::to_string(prompt) + " tokens long but the model's context window is " +
                       std::to_string(context));
  if (request.params.max_tokens < 0) throw InvalidInput("max_tokens must be >= 0");
  if (request.content.empty())
    request.content.assign(request.prompt_ids.begin(), request.prompt_ids.end());
  if (static_cast<std::int64_t>(request.content.size()) != prompt) throw Error("one content key per prompt position");

  auto seq = std::make_unique<Sequence>();
  seq->sampler = std::make_unique<Sampler>(request.params.sampling, request.params.seed);  // may throw InvalidInput
  seq->tokens = request.prompt_ids;
  seq->content = request.content;
  seq->hashes = block_hashes(seq->content);
  seq->request = std::move(request);
  const std::int64_t needed = Scheduler::blocks_for(scheduler_.positions_needed(*seq));
  if (needed > blocks_.total_blocks())
    throw InvalidInput("the request needs " + std::to_string(needed * kKvBlockSize) +
                       " positions of KV cache (prompt + max_tokens) but the whole cache holds " +
                       std::to_string(blocks_.total_blocks() * kKvBlockSize) + " ([local] kv_cache_mib)");
  seq->handle = std::make_shared<SequenceHandle>();
  seq->on_finish = std::move(on_finish);
  seq->submitted = Clock::now();
  auto handle = seq->handle;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) throw Error("the local engine is shutting down");
    seq->order = next_order_++;
    inbox_.push_back(std::move(seq));
  }
  wake_.notify_one();
  return handle;
}

BatchEngineStats BatchEngine::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

double BatchEngine::wait_for_place_s() const {
  return service_seconds_ * static_cast<double>(scheduler_.waiting().size() + 1) / settings_.max_running;
}

std::chrono::milliseconds BatchEngine::retry_after() const {
  const double seconds = std::clamp(std::ceil(wait_for_place_s()), 1.0, 60.0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

void BatchEngine::loop() {
  for (;;) {
    std::deque<std::unique_ptr<Sequence>> arrived;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] {
        return stopping_ || !inbox_.empty() || !scheduler_.running().empty() || !scheduler_.waiting().empty();
      });
      if (stopping_) return;
      arrived.swap(inbox_);
    }
    for (auto& seq : arrived) scheduler_.enqueue(std::move(seq));
    scheduler_.admit();
    for (auto& seq : scheduler_.overflow()) {
      SequenceOutcome busy;
      busy.error = "the local engine is at capacity: " + std::to_string(scheduler_.running().size()) +
                   " sequences running and " + std::to_string(scheduler_.waiting().size()) + " waiting";
      busy.overloaded = true;
      busy.retry_after = retry_after();
      fail(std::move(seq), busy);
    }
    step();
  }
}

void BatchEngine::fail(std::unique_ptr<Sequence> seq, SequenceOutcome outcome) {
  if (!seq) return;
  if (outcome.overloaded) {
    std::lock_guard lock(mutex_);
    ++stats_.overloaded;
  }
  outcome.queue_ms = ms_between(seq->submitted, Clock::now());
  try {
    if (seq->on_finish) seq->on_finish(std::move(outcome));
  } catch (const std::exception& e) {
    log::error("a sequence's finish callback failed", {{"error", e.what()}});
  }
}

void BatchEngine::finish(Sequence* seq, std::string reason) {
  publish_full_blocks(*seq);
  std::unique_ptr<Sequence> done = scheduler_.remove(seq);
  done->outcome.finish_reason = std::move(reason);
  const double seconds = ms_between(done->submitted, Clock::now()) / 1000;
  service_seconds_ = 0.8 * service_seconds_ + 0.2 * seconds;
  try {
    if (done->on_finish) done->on_finish(std::move(done->outcome));
  } catch (const std::exception& e) {
    log::error("a sequence's finish callback failed", {{"error", e.what()}});
  }
}

void BatchEngine::start_prefill(Sequence& seq) {
  const tensor::Tensor* features = seq.request.images ? &seq.request.images->features() : nullptr;
  seq.prompt_embeds = model_.embed_prompt(seq.request.prompt_ids, features);
  seq.request.images.reset();  // its pixels and features are in the embeddings now
  seq.state = SequenceState::prefilling;
}

void BatchEngine::publish_full_blocks(Sequence& seq) {
  const std::int64_t full = seq.computed / kKvBlockSize;
  for (std::int64_t b = seq.published; b < full; ++b) {
    const ContentKey* content = seq.content.data() + b * kKvBlockSize;
    if (b == static_cast<std::int64_t>(seq.hashes.size()))  // a block of generated tokens
      seq.hashes.push_back(next_block_hash(b == 0 ? kRootHash : seq.hashes[static_cast<std::size_t>(b - 1)], content));
    blocks_.publish(seq.blocks[static_cast<std::size_t>(b)], seq.hashes[static_cast<std::size_t>(b)], content);
  }
  seq.published = std::max(seq.published, full);
}

void BatchEngine::sample(Sequence& seq) {
  const TokenLoopParams& p = seq.request.params;
  if (seq.state == SequenceState::prefilling) {  // the prompt is read: its first token is due
    seq.state = SequenceState::decoding;
    seq.prompt_embeds = tensor::Tensor();
    seq.outcome.first_token_ms = ms_between(seq.submitted, Clock::now());
    if (seq.request.keep_prompt_logits) seq.outcome.prompt_last_logits = seq.logits;
    std::lock_guard lock(mutex_);
    stats_.prompt_tokens += seq.request.prompt_ids.size();
    stats_.cached_prompt_tokens += seq.outcome.cached_tokens;
  }
  if (static_cast<int>(seq.outcome.output_ids.size()) >= p.max_tokens ||
      static_cast<std::int64_t>(seq.tokens.size()) >= scheduler_.limits().context)
    return finish(&seq, "length");
  const std::int32_t next = seq.sampler->sample(seq.logits, seq.tokens);
  seq.tokens.push_back(next);
  seq.content.push_back(static_cast<ContentKey>(next));
  seq.outcome.output_ids.push_back(next);
  {
    std::lock_guard lock(mutex_);
    ++stats_.generated_tokens;
  }
  const TokenVerdict verdict = seq.request.on_token ? seq.request.on_token(next) : TokenVerdict::Continue;
  if (verdict == TokenVerdict::Cancel) return finish(&seq, "cancelled");
  const auto& eos = p.eos_token_ids;
  if (verdict == TokenVerdict::Stop || std::find(eos.begin(), eos.end(), next) != eos.end())
    return finish(&seq, "stop");
  if (static_cast<int>(seq.outcome.output_ids.size()) >= p.max_tokens) return finish(&seq, "length");
}

void BatchEngine::step() {
  const auto start = Clock::now();
  for (auto& seq : scheduler_.expire(start)) {
    SequenceOutcome outcome;
    if (seq->handle->cancel.load()) {
      outcome.finish_reason = "cancelled";
    } else {
      outcome.error = "no place in the local engine's batch opened within " +
                      std::to_string(seq->request.queue_timeout.count()) + " ms";
      outcome.overloaded = true;
      outcome.retry_after = retry_after();
    }
    fail(std::move(seq), outcome);
  }
  // Cancelled sequences leave before the step, so their blocks are free for it.
  std::vector<Sequence*> cancelled;
  for (auto& s : scheduler_.running())
    if (s->handle->cancel.load()) cancelled.push_back(s.get());
  for (Sequence* s : cancelled) finish(s, "cancelled");

  scheduler_.admit();
  // Sequences that failed to get their prompt ready leave; the rest go on.
  std::vector<std::pair<Sequence*, SequenceOutcome>> broken;
  auto guarded = [&](Sequence* s, const auto& work) {
    try {
      work();
    } catch (const InvalidInput& e) {
      SequenceOutcome o;
      o.error = e.what();
      o.invalid_input = true;
      broken.emplace_back(s, std::move(o));
    } catch (const std::exception& e) {
      broken.emplace_back(s, engine_failure(e));
    }
  };
  for (auto& s : scheduler_.running())
    if (s->state == SequenceState::prefilling && s->prompt_embeds.size() == 0)
      guarded(s.get(), [&] { start_prefill(*s); });
  StepPlan plan = scheduler_.plan();
  if (plan.encode) {
    Sequence* e = plan.encode;
    guarded(e, [&] {
      if (e->request.images->step()) start_prefill(*e);
    });
  }
  for (auto& [seq, outcome] : broken) {
    Sequence* gone = seq;
    fail(scheduler_.remove(gone), std::move(outcome));
    std::erase(plan.decode, gone);
    std::erase_if(plan.prefill, [&](const StepPlan::Chunk& c) { return c.seq == gone; });
  }

  try {
    std::vector<Sequence*> ready = runner_.run(plan, scheduler_);
    for (Sequence* s : plan.decode) publish_full_blocks(*s);
    for (const auto& c : plan.prefill) publish_full_blocks(*c.seq);
    for (Sequence* s : ready) {
      try {
        sample(*s);
      } catch (const std::exception& e) {  // this sequence's sampler or callback: it alone leaves
        fail(scheduler_.remove(s), engine_failure(e));
      }
    }
  } catch (const std::exception& e) {
    // Not the requests' fault (they passed every check): fail this step's
    // sequences and keep the engine going for the others.
    log::error("a batch step failed", {{"error", e.what()}});
    std::vector<Sequence*> in_step = plan.decode;
    for (const auto& c : plan.prefill) in_step.push_back(c.seq);
    for (Sequence* s : in_step) {
      auto& running = scheduler_.running();
      if (std::none_of(running.begin(), running.end(), [&](const auto& p) { return p.get() == s; })) continue;
      fail(scheduler_.remove(s), engine_failure(e));
    }
  }

  const double seconds = ms_between(start, Clock::now()) / 1000;
  std::lock_guard lock(mutex_);
  stats_.running = static_cast<int>(scheduler_.running().size());
  stats_.waiting = static_cast<int>(scheduler_.waiting().size());
  stats_.blocks = blocks_.stats();
  if (!plan.empty()) {
    ++stats_.steps;
    stats_.step_rows += static_cast<std::uint64_t>(runner_.last_rows());
    stats_.step_seconds += seconds;
    stats_.last_batch_rows = runner_.last_rows();
    const auto sequences = static_cast<int>(plan.decode.size() + plan.prefill.size());
    if (sequences > 0) {
      const auto bucket = std::lower_bound(kStepSequenceBounds.begin(), kStepSequenceBounds.end(), sequences);
      ++stats_.steps_by_sequences[static_cast<std::size_t>(bucket - kStepSequenceBounds.begin())];
      stats_.step_sequences += static_cast<std::uint64_t>(sequences);
    }
  }
  const bool full = stats_.running >= settings_.max_running || stats_.waiting > 0;
  stats_.expected_wait_s = full ? wait_for_place_s() : 0;
}

}  // namespace prism::runtime
