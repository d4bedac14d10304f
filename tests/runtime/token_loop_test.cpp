// The generation loop on the golden cases: greedy output equals the
// reference's generate(), and EOS / max_tokens / cancel end it as promised.
#include <gtest/gtest.h>

#include "../models/fixture_case.h"
#include "core/error.h"
#include "runtime/generation.h"

namespace prism::runtime {
namespace {

class TokenLoopGolden : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(TokenLoopGolden, GreedyMatchesReference) {
  const auto c = prism::testing::load_case(GetParam().first, GetParam().second);
  auto model = models::SmolVlmModel::load(c.checkpoint_dir(), 2);
  tensor::Tensor features;
  const bool images = c.has_array("pixel_values");
  if (images) {
    const auto shape = c.shape("pixel_values");
    features = model->connect(model->encode_images(c.array("pixel_values").data(), shape[1], shape[3], shape[4]));
  }
  TokenLoopParams params;
  params.max_tokens = 8;
  params.eos_token_ids = {c.json["generate"]["eos_token_id"].get<std::int32_t>()};
  std::vector<std::int32_t> streamed;
  auto r = run_token_loop(*model, c.input_ids(), images ? &features : nullptr, params, [&](std::int32_t id) {
    streamed.push_back(id);
    return TokenVerdict::Continue;
  });
  const auto want = c.json["generate"]["new_token_ids"].get<std::vector<std::int32_t>>();
  EXPECT_EQ(r.output_ids, want);
  EXPECT_EQ(streamed, want);
  EXPECT_EQ(r.finish_reason, "length");
  prism::testing::expect_close(r.prompt_last_logits.data(), c.array("logits_last"), "logits_last");
}

INSTANTIATE_TEST_SUITE_P(Fixtures, TokenLoopGolden, ::testing::ValuesIn(prism::testing::model_cases()),
                         prism::testing::case_label);

class TokenLoop : public ::testing::Test {
 protected:
  void SetUp() override {
    c_ = prism::testing::load_case("tiny-a", "text");
    model_ = models::SmolVlmModel::load(c_.checkpoint_dir(), 2);
    want_ = c_.json["generate"]["new_token_ids"].get<std::vector<std::int32_t>>();
  }
  prism::testing::FixtureCase c_;
  std::unique_ptr<models::SmolVlmModel> model_;
  std::vector<std::int32_t> want_;
};

TEST_F(TokenLoop, EndsOnEos) {
  TokenLoopParams params;
  params.max_tokens = 8;
  params.eos_token_ids = {want_[2]};  // pretend the third greedy token is EOS
  auto r = run_token_loop(*model_, c_.input_ids(), nullptr, params, [](std::int32_t) { return TokenVerdict::Continue; });
  EXPECT_EQ(r.output_ids, std::vector<std::int32_t>(want_.begin(), want_.begin() + 3));
  EXPECT_EQ(r.finish_reason, "stop");
}

TEST_F(TokenLoop, CancelAndStopFromTheCallback) {
  TokenLoopParams params;
  params.max_tokens = 8;
  int n = 0;
  auto r = run_token_loop(*model_, c_.input_ids(), nullptr, params,
                          [&](std::int32_t) { return ++n == 2 ? TokenVerdict::Cancel : TokenVerdict::Continue; });
  EXPECT_EQ(r.output_ids.size(), 2u);
  EXPECT_EQ(r.finish_reason, "cancelled");
  r = run_token_loop(*model_, c_.input_ids(), nullptr, params, [&](std::int32_t) { return TokenVerdict::Stop; });
  EXPECT_EQ(r.output_ids.size(), 1u);
  EXPECT_EQ(r.finish_reason, "stop");
}

TEST_F(TokenLoop, RejectsPromptsLongerThanTheContext) {
  std::vector<std::int32_t> ids(8192, 5);  // tiny-a: max_position_embeddings 8192
  TokenLoopParams params;
  EXPECT_THROW(run_token_loop(*model_, ids, nullptr, params, [](std::int32_t) { return TokenVerdict::Continue; }),
               prism::InvalidInput);
  EXPECT_THROW(run_token_loop(*model_, {}, nullptr, params, [](std::int32_t) { return TokenVerdict::Continue; }),
               prism::InvalidInput);
  EXPECT_THROW(run_token_loop(*model_, {1, 99999}, nullptr, params, [](std::int32_t) { return TokenVerdict::Continue; }),
               prism::InvalidInput);
}

TEST_F(TokenLoop, SeededSamplingIsReproducible) {
  TokenLoopParams params;
  params.max_tokens = 6;
  params.sampling.temperature = 1.0f;
  params.sampling.top_k = 50;
  params.seed = 123;
  auto cont = [](std::int32_t) { return TokenVerdict::Continue; };
  auto a = run_token_loop(*model_, c_.input_ids(), nullptr, params, cont);
  auto b = run_token_loop(*model_, c_.input_ids(), nullptr, params, cont);
  EXPECT_EQ(a.output_ids, b.output_ids);
  EXPECT_EQ(a.output_ids.size(), 6u);
}

}  // namespace
}  // namespace prism::runtime
