// The batching engine on the fixtures: sequences run together give the
// tokens each gives alone (and the reference's), the prefix cache reuses
// blocks without changing answers, and a full pool, a cancel or a queue
// timeout end a sequence the way they promise, freeing its blocks.
#include "runtime/batch_engine.h"

#include <gtest/gtest.h>

#include <future>

#include "../models/fixture_case.h"
#include "core/error.h"
#include "runtime/image_work.h"

namespace prism::runtime {
namespace {

using namespace std::chrono_literals;

struct Finished {
  std::promise<SequenceOutcome> promise;
  std::future<SequenceOutcome> future = promise.get_future();
  std::function<void(SequenceOutcome)> callback() {
    return [this](SequenceOutcome o) { promise.set_value(std::move(o)); };
  }
};

SequenceRequest greedy(std::vector<std::int32_t> ids, int max_tokens, std::vector<std::int32_t> eos = {}) {
  SequenceRequest r;
  r.prompt_ids = std::move(ids);
  r.params.max_tokens = max_tokens;
  r.params.eos_token_ids = std::move(eos);
  return r;
}

std::vector<std::int32_t> alone(const models::SmolVlmModel& model, const std::vector<std::int32_t>& ids,
                                const tensor::Tensor* features, int max_tokens) {
  TokenLoopParams params;
  params.max_tokens = max_tokens;
  return run_token_loop(model, ids, features, params, [](std::int32_t) { return TokenVerdict::Continue; }).output_ids;
}

void wait_until_idle(const BatchEngine& engine) {
  for (int i = 0; i < 500 && (engine.stats().running > 0 || engine.stats().blocks.in_use > 0); ++i)
    std::this_thread::sleep_for(2ms);
}

// Every golden case at once, each twice: the reference's tokens and logits.
TEST(BatchEngine, GoldenCasesTogetherGiveTheReferenceTokens) {
  for (const std::string ckpt : {"tiny-a", "tiny-b"}) {
    std::vector<prism::testing::FixtureCase> cases;
    for (const auto& [c, name] : prism::testing::model_cases())
      if (c == ckpt) cases.push_back(prism::testing::load_case(c, name));
    ASSERT_FALSE(cases.empty()) << ckpt;
    auto model = models::SmolVlmModel::load(cases[0].checkpoint_dir(), 2);
    // Encoded before the engine starts: the model's pool takes one caller at a time.
    std::vector<tensor::Tensor> features;
    for (const auto& c : cases) {
      if (!c.has_array("pixel_values")) {
        features.emplace_back();
        continue;
      }
      const auto shape = c.shape("pixel_values");
      features.push_back(model->connect(model->encode_images(c.array("pixel_values").data(), shape[1], shape[3], shape[4])));
    }
    BatchEngine engine(*model, {});
    std::vector<std::unique_ptr<Finished>> done;
    for (int copy = 0; copy < 2; ++copy)
      for (std::size_t i = 0; i < cases.size(); ++i) {
        const auto& c = cases[i];
        auto r = greedy(c.input_ids(), 8, {c.json["generate"]["eos_token_id"].get<std::int32_t>()});
        if (features[i].size() > 0) r.images = std::make_unique<ReadyImages>(features[i]);
        r.keep_prompt_logits = true;
        done.push_back(std::make_unique<Finished>());
        engine.submit(std::move(r), done.back()->callback());
      }
    for (std::size_t i = 0; i < done.size(); ++i) {
      const auto& c = cases[i % cases.size()];
      SequenceOutcome o = done[i]->future.get();
      ASSERT_FALSE(o.error) << *o.error;
      EXPECT_EQ(o.output_ids, c.json["generate"]["new_token_ids"].get<std::vector<std::int32_t>>()) << c.name;
      EXPECT_EQ(o.finish_reason, "length");
      prism::testing::expect_close(o.prompt_last_logits.data(), c.array("logits_last"), c.name + " logits_last");
    }
    wait_until_idle(engine);
    EXPECT_EQ(engine.stats().blocks.in_use, 0);
  }
}

class BatchEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    c_ = prism::testing::load_case("tiny-a", "text");
    model_ = models::SmolVlmModel::load(c_.checkpoint_dir(), 2);
    ids_ = c_.input_ids();
  }
  // Distinct prompts: the case's prompt with its last i tokens replaced.
  std::vector<std::int32_t> variant(int i) const {
    auto ids = ids_;
    for (int k = 0; k < i && k < static_cast<int>(ids.size()) - 1; ++k) ids[ids.size() - 1 - k] = 100 + 7 * i + k;
    return ids;
  }
  prism::testing::FixtureCase c_;
  std::unique_ptr<models::SmolVlmModel> model_;
  std::vector<std::int32_t> ids_;
};

// Longer generations of different prompts and lengths, joining at
// different steps: each gets exactly the tokens it gets alone, in float32
// and in Q8_0 (whose decode and prompt rows take different kernels), with
// prompt chunks small (many steps) and large (steps of 32+ rows mixing
// prompt positions with decode tokens).
class BatchedEqualsAlone : public ::testing::TestWithParam<std::tuple<const char*, std::int64_t>> {};

TEST_P(BatchedEqualsAlone, EachSequenceGetsItsTokens) {
  const auto c = prism::testing::load_case("tiny-a", "text");
  const bool q8 = std::string(std::get<0>(GetParam())) == "q8_0";
  auto model = models::SmolVlmModel::load(c.checkpoint_dir(), 2,
                                          q8 ? std::optional(formats::DType::Q8_0) : std::nullopt);
  auto ids = c.input_ids();
  auto variant = [&](int i) {
    auto v = ids;
    for (int k = 0; k < i && k < static_cast<int>(v.size()) - 1; ++k) v[v.size() - 1 - k] = 100 + 7 * i + k;
    for (int k = 0; k < 3 * i; ++k) v.insert(v.begin() + 1, 50 + k);  // prompts of different lengths
    return v;
  };
  std::vector<std::vector<std::int32_t>> want;
  for (int i = 0; i < 10; ++i) want.push_back(alone(*model, variant(i), nullptr, 20 + 5 * i));
  BatchEngineSettings settings;
  settings.prefill_chunk = std::get<1>(GetParam());
  BatchEngine engine(*model, settings);
  std::vector<std::unique_ptr<Finished>> done;
  for (int i = 0; i < 10; ++i) {
    const int max_tokens = 20 + 5 * i;
    done.push_back(std::make_unique<Finished>());
    engine.submit(greedy(variant(i), max_tokens), done.back()->callback());
    if (i % 3 == 2) std::this_thread::sleep_for(3ms);  // later ones join a running batch
  }
  for (std::size_t i = 0; i < done.size(); ++i) {
    SequenceOutcome o = done[i]->future.get();
    ASSERT_FALSE(o.error) << *o.error;
    EXPECT_EQ(o.output_ids, want[i]) << "sequence " << i;
  }
  EXPECT_GT(engine.stats().step_rows, engine.stats().steps);  // rows were batched
}

INSTANTIATE_TEST_SUITE_P(Formats, BatchedEqualsAlone,
                         ::testing::Combine(::testing::Values("f32", "q8_0"), ::testing::Values(8, 48)),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param)) + "_chunk" + std::to_string(std::get<1>(info.param));
                         });

// The same prompt again: its full blocks come from the prefix cache, and
// the answer does not change; a prompt that only begins the same way
// shares the blocks of the common beginning.
TEST_F(BatchEngineTest, PrefixCacheReusesFullBlocksAcrossRequests) {
  auto long_prompt = ids_;
  while (long_prompt.size() < 70) long_prompt.insert(long_prompt.end() - 1, 200 + static_cast<int>(long_prompt.size()));
  auto branch = long_prompt;
  branch.resize(40);
  branch.push_back(7);
  const auto want = alone(*model_, long_prompt, nullptr, 12), want_branch = alone(*model_, branch, nullptr, 6);
  BatchEngine engine(*model_, {});
  Finished first, second;
  engine.submit(greedy(long_prompt, 12), first.callback());
  EXPECT_EQ(first.future.get().cached_tokens, 0u);
  engine.submit(greedy(long_prompt, 12), second.callback());
  SequenceOutcome o = second.future.get();
  EXPECT_EQ(o.output_ids, want);
  EXPECT_EQ(o.cached_tokens, (long_prompt.size() - 1) / 16 * 16);

  Finished third;
  engine.submit(greedy(branch, 6), third.callback());
  o = third.future.get();
  EXPECT_EQ(o.cached_tokens, 32u);
  EXPECT_EQ(o.output_ids, want_branch);
  EXPECT_GT(engine.stats().blocks.prefix_hits, 0u);
}

// A prefix hit keeps the reference's logits, and the next turn of a
// conversation (the prompt and its own answer) reuses the answer's blocks.
TEST_F(BatchEngineTest, PrefixHitKeepsTheReferenceLogitsAndTheNextTurnReusesTheAnswer) {
  const auto want = c_.json["generate"]["new_token_ids"].get<std::vector<std::int32_t>>();
  BatchEngine engine(*model_, {});
  for (int turn = 0; turn < 2; ++turn) {
    Finished done;
    auto r = greedy(ids_, 8);
    r.keep_prompt_logits = true;
    engine.submit(std::move(r), done.callback());
    SequenceOutcome o = done.future.get();
    EXPECT_EQ(o.output_ids, want);
    EXPECT_EQ(o.cached_tokens, turn == 0 ? 0 : (ids_.size() - 1) / 16 * 16);
    prism::testing::expect_close(o.prompt_last_logits.data(), c_.array("logits_last"), "logits_last");
  }
  auto next = ids_;
  next.insert(next.end(), want.begin(), want.end());
  Finished done;
  engine.submit(greedy(next, 2), done.callback());
  // The first turn stored prompt + 7 answer positions (the last token is never fed back).
  EXPECT_EQ(done.future.get().cached_tokens, std::min(ids_.size() + 7, next.size() - 1) / 16 * 16);
}

// A pool with room for one sequence and no queue: the second is turned
// away at once with a Retry-After; the first still finishes.
TEST_F(BatchEngineTest, FullPoolTurnsAwayWithRetryAfter) {
  BatchEngineSettings settings;
  settings.max_waiting = 0;
  settings.max_running = 1;
  BatchEngine engine(*model_, settings);
  Finished a, b;
  engine.submit(greedy(ids_, 30), a.callback());
  engine.submit(greedy(variant(1), 30), b.callback());
  SequenceOutcome refused = b.future.get();
  EXPECT_TRUE(refused.overloaded);
  EXPECT_GE(refused.retry_after, 1000ms);
  EXPECT_FALSE(a.future.get().error);
  EXPECT_EQ(engine.stats().overloaded, 1u);
}

// A sequence that cannot get a place within its queue timeout leaves with
// "overloaded"; one cancelled while running leaves within a step and
// frees its blocks.
TEST_F(BatchEngineTest, QueueTimeoutAndCancelFreeTheirPlaces) {
  BatchEngineSettings settings;
  settings.max_running = 1;
  BatchEngine engine(*model_, settings);
  Finished running, queued;
  auto slow = greedy(ids_, 5000);
  std::atomic<int> seen{0};
  slow.on_token = [&](std::int32_t) {
    ++seen;
    return TokenVerdict::Continue;
  };
  auto handle = engine.submit(std::move(slow), running.callback());
  auto late = greedy(variant(2), 4);
  late.queue_timeout = 30ms;
  engine.submit(std::move(late), queued.callback());
  SequenceOutcome timed_out = queued.future.get();
  EXPECT_TRUE(timed_out.overloaded);
  EXPECT_GE(timed_out.queue_ms, 30);
  while (seen.load() < 3) std::this_thread::sleep_for(1ms);
  handle->cancel = true;
  SequenceOutcome cancelled = running.future.get();
  EXPECT_EQ(cancelled.finish_reason, "cancelled");
  EXPECT_LT(cancelled.output_ids.size(), 5000u);
  wait_until_idle(engine);
  EXPECT_EQ(engine.stats().blocks.in_use, 0);
}

TEST_F(BatchEngineTest, RequestsThatCanNeverRunAreRefusedAtOnce) {
  BatchEngineSettings settings;
  settings.kv_cache_bytes = 1;  // one block
  BatchEngine engine(*model_, settings);
  EXPECT_THROW(engine.submit(greedy(ids_, 64), [](SequenceOutcome) {}), InvalidInput);
  EXPECT_THROW(engine.submit(greedy({}, 4), [](SequenceOutcome) {}), InvalidInput);
  auto bad = greedy(ids_, 4);
  bad.params.sampling.temperature = -1;
  EXPECT_THROW(engine.submit(std::move(bad), [](SequenceOutcome) {}), InvalidInput);
}

// The default pool follows the model: no more than twice what max_running
// sequences at its full context use; a pool the user sized is kept.
TEST_F(BatchEngineTest, DefaultPoolIsSizedFromTheModel) {
  const auto& t = model_->config().text;
  const std::int64_t per_sequence = (t.max_position_embeddings + models::kKvBlockSize - 1) / models::kKvBlockSize;
  const std::int64_t block_bytes =
      models::KvBlockStorage(t.num_hidden_layers, std::int64_t{t.num_key_value_heads} * t.head_dim).block_bytes();
  BatchEngineSettings settings;
  settings.max_running = 2;
  settings.kv_cache_bytes = 64 * per_sequence * block_bytes;
  EXPECT_EQ(BatchEngine(*model_, settings).stats().blocks.total, 2 * 2 * per_sequence);
  settings.kv_cache_is_default = false;
  EXPECT_EQ(BatchEngine(*model_, settings).stats().blocks.total, 64 * per_sequence);
}

}  // namespace
}  // namespace prism::runtime
