#include "runtime/model_runner.h"

#include <algorithm>
#include <cstring>

namespace prism::runtime {

std::vector<Sequence*> ModelRunner::run(const StepPlan& plan, Scheduler& scheduler) {
  const std::int64_t hidden = model_.config().text.hidden_size;
  std::int64_t rows = static_cast<std::int64_t>(plan.decode.size());
  for (const auto& c : plan.prefill) rows += c.rows;
  last_rows_ = rows;
  if (rows == 0) return {};

  tensor::Tensor embeds({rows, hidden});
  std::vector<models::SequenceSlice> slices;
  std::vector<std::pair<Sequence*, std::int64_t>> wants_logits;  // sequence, its last row
  std::int64_t row = 0;
  for (Sequence* s : plan.decode) {
    // The last sampled token goes in at the position after everything stored.
    const std::int32_t id = s->tokens.back();
    tensor::Tensor e = model_.text().embed(&id, 1);
    std::memcpy(embeds.row(row), e.data(), static_cast<std::size_t>(hidden) * sizeof(float));
    scheduler.grow(*s, s->computed);
    slices.push_back({row, 1, s->computed, s->blocks.data()});
    wants_logits.emplace_back(s, row);
    ++row;
  }
  for (const auto& c : plan.prefill) {
    Sequence* s = c.seq;
    std::memcpy(embeds.row(row), s->prompt_embeds.row(s->computed),
                static_cast<std::size_t>(c.rows * hidden) * sizeof(float));
    scheduler.grow(*s, s->computed + c.rows - 1);
    slices.push_back({row, c.rows, s->computed, s->blocks.data()});
    if (s->computed + c.rows == static_cast<std::int64_t>(s->tokens.size())) wants_logits.emplace_back(s, row + c.rows - 1);
    row += c.rows;
  }

  tensor::Tensor out = model_.text().forward_batch(model_.pool(), embeds, slices, blocks_.storage(),
                                                   static_cast<std::int64_t>(plan.decode.size()));
  for (Sequence* s : plan.decode) ++s->computed;
  for (const auto& c : plan.prefill) c.seq->computed += c.rows;

  // Logits only for the rows that give a next token (one lm_head pass).
  if (wants_logits.empty()) return {};
  const std::int64_t vocab = model_.config().text.vocab_size;
  tensor::Tensor last({static_cast<std::int64_t>(wants_logits.size()), hidden});
  for (std::size_t i = 0; i < wants_logits.size(); ++i)
    std::memcpy(last.row(static_cast<std::int64_t>(i)), out.row(wants_logits[i].second),
                static_cast<std::size_t>(hidden) * sizeof(float));
  std::vector<float> logits(static_cast<std::size_t>(last.dim(0) * vocab));
  model_.text().logits(model_.pool(), last.data(), last.dim(0), logits.data());
  std::vector<Sequence*> ready;
  for (std::size_t i = 0; i < wants_logits.size(); ++i) {
    Sequence* s = wants_logits[i].first;
    s->logits.assign(logits.begin() + static_cast<std::ptrdiff_t>(i * vocab),
                     logits.begin() + static_cast<std::ptrdiff_t>((i + 1) * vocab));
    ready.push_back(s);
  }
  return ready;
}

}  // namespace prism::runtime
