// Scaled dot-product attention over rows of q/k/v laid out [tokens, heads·dim],
// shared by the vision encoder (full attention) and the text decoder (causal,
// grouped-query, over the paged KV cache).
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/thread_pool.h"
#include "models/kv_cache.h"

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

// Where key/value row j is: kv_stride floats apart from keys/values, or,
// with a block table, row j % kKvBlockSize of block blocks[j / kKvBlockSize]
// (blocks block_floats apart, rows kv_stride apart inside one).
struct KvRows {
  const float* keys = nullptr;
  const float* values = nullptr;
  const std::int32_t* blocks = nullptr;
  std::int64_t block_floats = 0;

  std::int64_t offset(std::int64_t j, std::int64_t stride) const {
    return blocks ? blocks[j / kKvBlockSize] * block_floats + (j % kKvBlockSize) * stride : j * stride;
  }
};

// One attention problem of a batch (a sequence's queries over its own keys).
struct AttentionJob {
  AttentionShape shape;
  const float* q = nullptr;
  KvRows kv;
  float* out = nullptr;
  // Prompt rows take the panel kernel however few they are, decode rows the
  // grouped-query kernel (or per-head dot products) however many: a row's
  // arithmetic does not depend on how a prompt was chunked or what else was
  // in the batch.
  bool prompt_rows = false;
};

// All jobs in one parallel_for, so a batch of short sequences keeps every
// thread busy without a hand-off per sequence.
void attention(kernels::ThreadPool& pool, const std::vector<AttentionJob>& jobs);

// Contiguous keys and values (the vision encoder).
void attention(kernels::ThreadPool& pool, const AttentionShape& s, const float* q, const float* k, const float* v,
               float* out);

}  // namespace prism::models
