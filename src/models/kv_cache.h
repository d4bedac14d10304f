// Keys and values of the text layers, stored in fixed-size blocks of
// positions (vLLM's paged KV cache). A block holds every layer's keys and
// values for kKvBlockSize consecutive positions of one sequence; a sequence
// names its blocks in a block table, so sequences share one pool and a block
// of a common prefix can be read by several of them.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

namespace prism::models {

inline constexpr std::int64_t kKvBlockSize = 16;  // positions per block

// Block-major storage: [block][layer][keys | values][kKvBlockSize][kv_dim].
// Growing keeps every stored block's content (blocks are the outer axis).
// The memory is left uninitialised, so a large pool costs only the pages
// its blocks have been written to.
class KvBlockStorage {
 public:
  KvBlockStorage(int layers, std::int64_t kv_dim, std::int64_t blocks = 0)
      : layers_(layers), kv_dim_(kv_dim) {
    resize(blocks);
  }

  int layers() const { return layers_; }
  std::int64_t kv_dim() const { return kv_dim_; }
  std::int64_t blocks() const { return blocks_; }
  std::int64_t block_floats() const { return layers_ * 2 * kKvBlockSize * kv_dim_; }
  std::int64_t block_bytes() const { return block_floats() * static_cast<std::int64_t>(sizeof(float)); }
  void resize(std::int64_t blocks) {
    auto grown = std::unique_ptr<float[]>(new float[static_cast<std::size_t>(blocks * block_floats())]);
    if (data_) std::memcpy(grown.get(), data_.get(), static_cast<std::size_t>(std::min(blocks, blocks_) * block_bytes()));
    data_ = std::move(grown);
    blocks_ = blocks;
  }

  // The first key row of `layer` in `block` (kKvBlockSize rows of kv_dim
  // follow); the values come value_offset() floats after the keys.
  float* keys(std::int32_t block, int layer) { return data_.get() + block * block_floats() + layer * layer_floats(); }
  const float* keys(std::int32_t block, int layer) const {
    return data_.get() + block * block_floats() + layer * layer_floats();
  }
  std::int64_t value_offset() const { return kKvBlockSize * kv_dim_; }
  std::int64_t layer_floats() const { return 2 * kKvBlockSize * kv_dim_; }

 private:
  int layers_;
  std::int64_t kv_dim_;
  std::int64_t blocks_ = 0;
  std::unique_ptr<float[]> data_;
};

// One sequence's part of a forward pass: batch rows [first_row, first_row +
// rows) are its tokens at positions start .. start + rows - 1; blocks is its
// block table, covering at least start + rows positions.
struct SequenceSlice {
  std::int64_t first_row = 0, rows = 0;
  std::int64_t start = 0;
  const std::int32_t* blocks = nullptr;
};

// A single sequence in storage of its own, growing as it needs (the
// one-request path: prism run, conformance, tests).
class KvCache {
 public:
  KvCache(int layers, std::int64_t kv_dim) : storage_(layers, kv_dim) {}

  std::int64_t length() const { return length_; }
  std::int64_t kv_dim() const { return storage_.kv_dim(); }
  std::int64_t capacity() const { return storage_.blocks() * kKvBlockSize; }
  // Makes room for `positions` positions (keeps what is stored).
  void reserve(std::int64_t positions) {
    const std::int64_t blocks = (positions + kKvBlockSize - 1) / kKvBlockSize;
    if (blocks <= storage_.blocks()) return;
    storage_.resize(blocks);
    for (auto b = static_cast<std::int32_t>(table_.size()); b < blocks; ++b) table_.push_back(b);
  }
  KvBlockStorage& storage() { return storage_; }
  const std::int32_t* block_table() const { return table_.data(); }
  void set_length(std::int64_t n) { length_ = n; }
  void clear() { length_ = 0; }

 private:
  KvBlockStorage storage_;
  std::vector<std::int32_t> table_;  // block i holds positions [16 i, 16 i + 16)
  std::int64_t length_ = 0;
};

}  // namespace prism::models
