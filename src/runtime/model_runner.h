// The model runner of the batching engine: turns a step's plan into one
// forward pass of the text decoder (every decode token and prompt chunk as
// rows of one batch, each over its own KV blocks) and leaves the logits in
// each sequence whose next token is due.
#pragma once

#include <vector>

#include "models/smolvlm.h"
#include "runtime/scheduler.h"

namespace prism::runtime {

class ModelRunner {
 public:
  ModelRunner(const models::SmolVlmModel& model, BlockManager& blocks) : model_(model), blocks_(blocks) {}

  // Computes the plan's rows and returns the sequences that now have
  // logits: every decoder, and each prompt whose last chunk this was.
  std::vector<Sequence*> run(const StepPlan& plan, Scheduler& scheduler);

  // Rows of the last step.
  std::int64_t last_rows() const { return last_rows_; }

 private:
  const models::SmolVlmModel& model_;
  BlockManager& blocks_;
  std::int64_t last_rows_ = 0;
};

}  // namespace prism::runtime
