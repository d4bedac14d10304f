#include "runtime/scheduler.h"

#include <algorithm>

#include "core/error.h"

namespace prism::runtime {

using models::kKvBlockSize;

namespace {
bool goes_before(const std::unique_ptr<Sequence>& a, const std::unique_ptr<Sequence>& b) {
  if (a->request.priority != b->request.priority) return a->request.priority < b->request.priority;
  return a->order < b->order;
}
}  // namespace

std::int64_t Scheduler::blocks_for(std::int64_t positions) { return (positions + kKvBlockSize - 1) / kKvBlockSize; }

std::int64_t Scheduler::positions_needed(const Sequence& seq) const {
  // The last sampled token is never fed back, so prompt + max_tokens - 1 positions.
  const auto prompt = static_cast<std::int64_t>(seq.request.prompt_ids.size());
  return std::min(limits_.context, prompt + std::max(0, seq.request.params.max_tokens - 1));
}

void Scheduler::enqueue(std::unique_ptr<Sequence> seq) {
  auto at = std::upper_bound(waiting_.begin(), waiting_.end(), seq, goes_before);
  waiting_.insert(at, std::move(seq));
}

std::vector<std::unique_ptr<Sequence>> Scheduler::overflow() {
  std::vector<std::unique_ptr<Sequence>> out;
  while (static_cast<int>(waiting_.size()) > limits_.max_waiting) {
    out.push_back(std::move(waiting_.back()));
    waiting_.pop_back();
  }
  return out;
}

std::vector<std::unique_ptr<Sequence>> Scheduler::expire(std::chrono::steady_clock::time_point now) {
  std::vector<std::unique_ptr<Sequence>> gone;
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (now - (*it)->submitted >= (*it)->request.queue_timeout || (*it)->handle->cancel.load()) {
      gone.push_back(std::move(*it));
      it = waiting_.erase(it);
    } else {
      ++it;
    }
  }
  return gone;
}

void Scheduler::admit() {
  while (!waiting_.empty() && static_cast<int>(running_.size()) < limits_.max_running) {
    Sequence& seq = *waiting_.front();
    const auto prompt = static_cast<std::int64_t>(seq.tokens.size());
    // Cached blocks of the prompt, leaving at least its last position to
    // compute (its logits give the first token).
    const auto reusable = static_cast<std::size_t>((prompt - 1) / kKvBlockSize);
    std::vector<std::int32_t> hits = blocks_.find_prefix(seq.hashes, seq.content);
    hits.resize(std::min(hits.size(), reusable));
    const std::int64_t needed = blocks_for(positions_needed(seq)) - static_cast<std::int64_t>(hits.size());
    if (needed + blocks_.unheld(hits) > blocks_.available() - reserved_) return;  // first come, first served: wait
    blocks_.acquire(hits);
    blocks_.record_lookup(std::min(seq.hashes.size(), reusable), hits.size());
    seq.blocks = hits;
    seq.published = static_cast<std::int64_t>(hits.size());
    seq.computed = seq.published * kKvBlockSize;
    seq.outcome.cached_tokens = static_cast<std::size_t>(seq.computed);
    seq.reserved = needed;
    reserved_ += needed;
    seq.state = seq.request.images ? SequenceState::encoding : SequenceState::prefilling;
    auto at = std::upper_bound(running_.begin(), running_.end(), waiting_.front(), goes_before);
    running_.insert(at, std::move(waiting_.front()));
    waiting_.erase(waiting_.begin());
  }
}

StepPlan Scheduler::plan() const {
  StepPlan plan;
  std::int64_t budget = limits_.prefill_chunk;
  for (const auto& s : running_) {
    switch (s->state) {
      case SequenceState::decoding:
        plan.decode.push_back(s.get());
        break;
      case SequenceState::prefilling:
        if (budget > 0) {
          const std::int64_t rows = std::min(budget, static_cast<std::int64_t>(s->tokens.size()) - s->computed);
          plan.prefill.push_back({s.get(), rows});
          budget -= rows;
        }
        break;
      case SequenceState::encoding:
        if (!plan.encode) plan.encode = s.get();
        break;
      case SequenceState::waiting:
        break;
    }
  }
  return plan;
}

void Scheduler::grow(Sequence& seq, std::int64_t pos) {
  while (static_cast<std::int64_t>(seq.blocks.size()) * kKvBlockSize <= pos) {
    if (seq.reserved <= 0) throw Error("a sequence outgrew its KV reservation");
    seq.blocks.push_back(blocks_.allocate());
    --seq.reserved;
    --reserved_;
  }
}

std::unique_ptr<Sequence> Scheduler::remove(Sequence* seq) {
  for (auto* list : {&running_, &waiting_}) {
    auto it = std::find_if(list->begin(), list->end(), [&](const auto& p) { return p.get() == seq; });
    if (it == list->end()) continue;
    std::unique_ptr<Sequence> out = std::move(*it);
    list->erase(it);
    // Last block first: a chain's tail is evicted before its head, which
    // later sequences (sharing only the beginning) still find.
    for (auto b = out->blocks.rbegin(); b != out->blocks.rend(); ++b) blocks_.release(*b);
    out->blocks.clear();
    reserved_ -= out->reserved;
    out->reserved = 0;
    return out;
  }
  return nullptr;
}

}  // namespace prism::runtime
