#include "runtime/sampler.h"

#include <gtest/gtest.h>

#include <map>

#include "core/error.h"
#include "runtime/stop_strings.h"

namespace prism::runtime {
namespace {

std::int32_t pick(SamplingParams p, std::vector<float> logits, std::vector<std::int32_t> ctx = {},
                  std::uint64_t seed = 7) {
  Sampler s(p, seed);
  return s.sample(logits, ctx);
}

TEST(Sampler, GreedyIsArgmax) { EXPECT_EQ(pick({}, {0.1f, 3.0f, 2.0f}), 1); }

TEST(Sampler, RepetitionPenaltyDividesPositiveAndMultipliesNegative) {
  SamplingParams p;
  p.repetition_penalty = 2.0f;
  // 3.0 seen -> 1.5 < 2.0: the unseen token wins.
  EXPECT_EQ(pick(p, {3.0f, 2.0f}, {0}), 1);
  // -1 seen -> -2 < -1.5.
  EXPECT_EQ(pick(p, {-1.0f, -1.5f}, {0, 0}), 1);
}

TEST(Sampler, TopKOneIsGreedyWhateverTheTemperature) {
  SamplingParams p;
  p.temperature = 5.0f;
  p.top_k = 1;
  for (std::uint64_t seed = 0; seed < 20; ++seed) EXPECT_EQ(pick(p, {1.0f, 1.5f, 1.4f}, {}, seed), 1);
}

TEST(Sampler, TopPKeepsOnlyTheHead) {
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_p = 0.5f;  // probs ~ [0.665, 0.245, 0.09]: only the first survives
  for (std::uint64_t seed = 0; seed < 20; ++seed) EXPECT_EQ(pick(p, {2.0f, 1.0f, 0.0f}, {}, seed), 0);
}

TEST(Sampler, MinPDropsUnlikelyTokens) {
  SamplingParams p;
  p.temperature = 1.0f;
  p.min_p = 0.5f;  // p1/p0 = e^-1 < 0.5
  for (std::uint64_t seed = 0; seed < 20; ++seed) EXPECT_EQ(pick(p, {2.0f, 1.0f, -3.0f}, {}, seed), 0);
}

TEST(Sampler, SeededSamplingIsReproducibleAndFollowsTheDistribution) {
  SamplingParams p;
  p.temperature = 1.0f;
  std::vector<float> logits = {0.0f, std::log(3.0f)};  // 25% / 75%
  Sampler a(p, 42), b(p, 42);
  std::map<int, int> counts;
  for (int i = 0; i < 4000; ++i) {
    auto la = logits, lb = logits;
    const auto x = a.sample(la, {});
    EXPECT_EQ(x, b.sample(lb, {}));
    counts[x]++;
  }
  EXPECT_NEAR(counts[1] / 4000.0, 0.75, 0.03);
}

TEST(Sampler, RejectsBadParameters) {
  SamplingParams p;
  p.top_p = 0.0f;
  EXPECT_THROW(Sampler(p, 1), prism::InvalidInput);
  p = {};
  p.temperature = -1;
  EXPECT_THROW(Sampler(p, 1), prism::InvalidInput);
  p = {};
  p.repetition_penalty = 0;
  EXPECT_THROW(Sampler(p, 1), prism::InvalidInput);
}

TEST(StopStrings, HoldsBackPossiblePrefixesAndCutsBeforeTheStop) {
  StopStringMatcher m({"END", "\n\n"});
  auto r = m.feed("hello E");
  EXPECT_EQ(r.emit, "hello ");
  EXPECT_FALSE(r.stopped);
  r = m.feed("N");
  EXPECT_EQ(r.emit, "");
  r = m.feed("X more");
  EXPECT_EQ(r.emit, "ENX more");
  r = m.feed(" text\n");
  EXPECT_EQ(r.emit, " text");
  r = m.feed("\nafter");
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.emit, "");
}

TEST(StopStrings, StopInsideOneDeltaAndFlush) {
  StopStringMatcher m({"ab"});
  auto r = m.feed("xxabyy");
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.emit, "xx");
  StopStringMatcher n({"abc"});
  EXPECT_EQ(n.feed("zab").emit, "z");
  EXPECT_EQ(n.flush(), "ab");
  StopStringMatcher none({});
  EXPECT_EQ(none.feed("abc").emit, "abc");
}

}  // namespace
}  // namespace prism::runtime
