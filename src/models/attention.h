// Scaled dot-product attention over rows of q/k/v laid out [tokens, heads·dim],
// shared by the vision encoder (full attention) and the text decoder (causal,
// grouped-query, over the KV cache).
#pragma once

#include <cstdint>

#include "kernels/thread_pool.h"

namespace prism::models {

struct AttentionShape {
  std::int64_t queries = 0;      // query rows
  std::int64_t keys = 0;         // key/value rows available
  std::int64_t heads = 0;        // query heads
  std::int64_t kv_heads = 0;     // key/value heads (heads % kv_heads == 0)
  std::int64_t head_dim = 0;
  std::int64_t q_stride = 0, kv_stride = 0, out_stride = 0;  // floats between rows
  // Causal: query row i sees keys [0, first_query_pos + i]; otherwise all keys.
  bool causal = false;
  std::int64_t first_query_pos = 0;
};

void attention(kernels::ThreadPool& pool, const AttentionShape& s, const float* q, const float* k, const float* v,
               float* out);

}  // namespace prism::models
