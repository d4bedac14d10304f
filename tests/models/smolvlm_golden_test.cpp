// The model against the reference: every case of tiny-a and tiny-b, fed the
// stored pixel values and token ids, must reproduce the vision encoder,
// connector, logits and hidden states, and the greedy continuation with the
// KV cache (token ids identical, step logits within tolerance).
#include <gtest/gtest.h>

#include <algorithm>

#include "fixture_case.h"
#include "models/smolvlm.h"

namespace prism::models {
namespace {

using prism::testing::expect_close;
using tensor::Tensor;

class SmolVlmGolden : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(SmolVlmGolden, MatchesReference) {
  const auto c = prism::testing::load_case(GetParam().first, GetParam().second);
  auto model = SmolVlmModel::load(c.checkpoint_dir(), 2);
  const auto& cfg = model->config();
  const auto ids = c.input_ids();

  Tensor features;
  const bool has_images = c.has_array("pixel_values");
  if (has_images) {
    const auto shape = c.shape("pixel_values");  // [1, tiles, 3, H, W]
    const auto pixels = c.array("pixel_values");
    Tensor emb0 = model->vision().embed(model->pool(), pixels.data(), shape[3], shape[4]);
    expect_close(emb0.data(), c.array("vision_embeddings_tile0"), "vision_embeddings_tile0");
    Tensor vision = model->encode_images(pixels.data(), shape[1], shape[3], shape[4]);
    expect_close(vision.data(), c.array("vision_last_hidden"), "vision_last_hidden");
    features = model->connect(vision);
    expect_close(features.data(), c.array("connector_output"), "connector_output");
  }

  // Prefill of the whole prompt.
  KvCache cache = model->make_cache();
  Tensor embeds = model->embed_prompt(ids, has_images ? &features : nullptr);
  Tensor hidden = model->text().forward(model->pool(), embeds, cache);
  const std::int64_t seq = hidden.dim(0), vocab = cfg.text.vocab_size, th = cfg.text.hidden_size;
  ASSERT_EQ(seq, static_cast<std::int64_t>(ids.size()));
  std::vector<float> all_logits(static_cast<std::size_t>(seq * vocab));
  model->text().logits(model->pool(), hidden.data(), seq, all_logits.data());

  if (c.has_array("logits")) {
    expect_close(all_logits.data(), c.array("logits"), "logits");
  } else {
    const auto positions = c.json["logits_positions"].get<std::vector<std::int64_t>>();
    std::vector<float> picked;
    for (auto p : positions) picked.insert(picked.end(), &all_logits[p * vocab], &all_logits[(p + 1) * vocab]);
    expect_close(picked.data(), c.array("logits_at_positions"), "logits_at_positions");
  }
  expect_close(&all_logits[(seq - 1) * vocab], c.array("logits_last"), "logits_last");
  expect_close(hidden.row(seq - 1), c.array("text_last_hidden_lastpos"), "text_last_hidden_lastpos");

  // Greedy continuation, one token per step through the KV cache.
  const auto want_ids = c.json["generate"]["new_token_ids"].get<std::vector<std::int32_t>>();
  const auto step_ref = c.array("generate_step_logits");
  std::vector<float> step_logits(&all_logits[(seq - 1) * vocab], &all_logits[seq * vocab]);
  std::vector<std::int32_t> got_ids;
  for (std::size_t step = 0; step < want_ids.size(); ++step) {
    std::vector<float> ref(step_ref.begin() + static_cast<long>(step * vocab),
                           step_ref.begin() + static_cast<long>((step + 1) * vocab));
    expect_close(step_logits.data(), ref, "generate_step_logits[" + std::to_string(step) + "]");
    const auto next = static_cast<std::int32_t>(std::max_element(step_logits.begin(), step_logits.end()) -
                                                step_logits.begin());
    got_ids.push_back(next);
    Tensor e = model->embed_prompt({next}, nullptr);
    Tensor h = model->text().forward(model->pool(), e, cache);
    model->text().logits(model->pool(), h.data(), 1, step_logits.data());
  }
  EXPECT_EQ(got_ids, want_ids);
  EXPECT_EQ(cache.length(), seq + static_cast<std::int64_t>(want_ids.size()));
  (void)th;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, SmolVlmGolden, ::testing::ValuesIn(prism::testing::model_cases()),
                         prism::testing::case_label);

TEST(SmolVlmGolden, CoversEveryCase) {
  // tiny-a: text, image_split, image_nosplit, multi_image, video; tiny-b: the same but multi_image.
  EXPECT_EQ(prism::testing::model_cases().size(), 9u);
}

}  // namespace
}  // namespace prism::models
