// The SmolVLM2 HF <-> GGUF name tables are one-to-one, and the q/k row
// permutation is llama.cpp's LlamaModel.permute, inverted.
#include "formats/gguf_smolvlm_names.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace prism::formats {
namespace {

TEST(GgufSmolVlmNames, TablesAreOneToOne) {
  std::set<std::string_view> hf, gguf;
  std::size_t n = 0;
  for (const auto table : {std::span<const GgufNamePair>(kSmolVlmTextNames), std::span<const GgufNamePair>(kSmolVlmMmprojNames)})
    for (const auto& p : table) {
      ++n;
      EXPECT_TRUE(hf.insert(p.hf).second) << p.hf;
      EXPECT_TRUE(gguf.insert(p.gguf).second) << p.gguf;
      EXPECT_EQ(p.hf.find("{N}") == std::string_view::npos, p.gguf.find("{N}") == std::string_view::npos) << p.hf;
      EXPECT_LE(p.gguf.size() + 1, 64u) << "ggml names are at most 63 bytes";
    }
  EXPECT_EQ(hf.size(), n);
  // Concrete names for a 30-layer model map back and forth, without collisions.
  std::set<std::string> seen;
  for (const auto table : {std::span<const GgufNamePair>(kSmolVlmTextNames), std::span<const GgufNamePair>(kSmolVlmMmprojNames)})
    for (const auto& p : table)
      for (int layer = 0; layer < 30; ++layer) {
        std::string name(p.hf);
        if (auto at = name.find("{N}"); at != std::string::npos) name.replace(at, 3, std::to_string(layer));
        const auto g = smolvlm_hf_to_gguf(name);
        ASSERT_TRUE(g) << name;
        EXPECT_EQ(smolvlm_gguf_to_hf(*g), name);
        seen.insert(*g);
      }
  EXPECT_EQ(smolvlm_hf_to_gguf("model.text_model.layers.12.self_attn.q_proj.weight"), "blk.12.attn_q.weight");
  EXPECT_EQ(smolvlm_gguf_to_hf("v.blk.3.ffn_down.bias"), "model.vision_model.encoder.layers.3.mlp.fc2.bias");
  EXPECT_EQ(smolvlm_gguf_to_hf("mm.model.fc.weight"), "model.connector.modality_projection.proj.weight");
  EXPECT_FALSE(smolvlm_gguf_to_hf("blk.x.attn_q.weight"));
  EXPECT_FALSE(smolvlm_gguf_to_hf("blk..attn_q.weight"));
  EXPECT_FALSE(smolvlm_gguf_to_hf("blk.01.attn_q.weight"));
  EXPECT_FALSE(smolvlm_hf_to_gguf("model.text_model.rotary_emb.inv_freq"));
}

// LlamaModel.permute: w.reshape(n_head, 2, hd/2, cols).swapaxes(1, 2).reshape(w.shape)
TEST(GgufSmolVlmNames, UnpermutedRowInvertsLlamaPermute) {
  for (auto [rows, heads] : {std::pair{8, 2}, std::pair{64, 4}, std::pair{192, 3}}) {
    const int hd = rows / heads;
    std::vector<int> permuted;  // permuted[g] = the HF row at GGUF row g
    for (int h = 0; h < heads; ++h)
      for (int i = 0; i < hd / 2; ++i)
        for (int j = 0; j < 2; ++j) permuted.push_back(h * hd + j * (hd / 2) + i);
    std::set<std::int64_t> hit;
    for (int g = 0; g < rows; ++g) {
      EXPECT_EQ(llama_unpermuted_row(g, rows, heads), permuted[static_cast<std::size_t>(g)]);
      hit.insert(llama_unpermuted_row(g, rows, heads));
    }
    EXPECT_EQ(hit.size(), static_cast<std::size_t>(rows));
  }
  EXPECT_EQ(llama_unpermuted_row(1, 8, 2), 2);
  EXPECT_EQ(llama_unpermuted_row(2, 8, 2), 1);
  EXPECT_ANY_THROW(llama_unpermuted_row(0, 10, 3));
}

}  // namespace
}  // namespace prism::formats
