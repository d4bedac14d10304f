// The random-checkpoint generator's shapes: the parameter counts and token
// layout of the real SmolVLM2 checkpoints (the weights themselves are written
// on demand by `prism gen-checkpoint` for `prism bench`, too large for a test).
#include "models/random_checkpoint.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "models/smolvlm.h"
#include "models/weights.h"

namespace prism::models {
namespace {

TEST(RandomCheckpoint, RealShapes) {
  const auto s256 = checkpoint_shape("256M");
  EXPECT_EQ(s256.config.image_seq_len(), 64);
  const auto p = count_parameters(s256.config);
  EXPECT_NEAR(static_cast<double>(p.vision + p.connector + p.text + p.lm_head), 256e6, 2e6);
  const auto p500 = count_parameters(checkpoint_shape("500M").config);
  EXPECT_NEAR(static_cast<double>(p500.vision + p500.connector + p500.text + p500.lm_head), 507e6, 10e6);
  const auto s22 = checkpoint_shape("2.2B");
  EXPECT_EQ(s22.config.image_seq_len(), 81);
  EXPECT_EQ(s22.config.vision.patches_per_side(), 27);
  const auto p22 = count_parameters(s22.config);
  EXPECT_NEAR(static_cast<double>(p22.vision + p22.connector + p22.text + p22.lm_head), 2.25e9, 0.05e9);
  EXPECT_THROW(checkpoint_shape("7B"), prism::Error);
}

TEST(RandomCheckpoint, ExpectedTensorsMatchParameterCount) {
  const auto cfg = checkpoint_shape("256M").config;
  std::int64_t total = 0;
  for (const auto& t : expected_tensors(cfg)) {
    std::int64_t n = 1;
    for (auto d : t.shape) n *= d;
    total += n;
  }
  const auto p = count_parameters(cfg);
  EXPECT_EQ(total, p.vision + p.connector + p.text + p.lm_head);
  EXPECT_EQ(expected_tensors(cfg).size(), 471u);  // 12 vision layers x 16 + 30 text layers x 9 + 9
}

}  // namespace
}  // namespace prism::models
