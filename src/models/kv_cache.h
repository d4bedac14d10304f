// Keys and values of every text layer for the positions seen so far, so a
// generation step only computes the new token.
#pragma once

#include <cstdint>
#include <vector>

namespace prism::models {

class KvCache {
 public:
  KvCache(int layers, std::int64_t kv_dim) : kv_dim_(kv_dim), k_(layers), v_(layers) {}

  std::int64_t length() const { return length_; }
  std::int64_t kv_dim() const { return kv_dim_; }
  // Makes room for `positions` rows in every layer (keeps what is stored).
  void reserve(std::int64_t positions) {
    for (auto& layer : k_) layer.resize(static_cast<std::size_t>(positions * kv_dim_));
    for (auto& layer : v_) layer.resize(static_cast<std::size_t>(positions * kv_dim_));
  }
  std::int64_t capacity() const { return k_.empty() ? 0 : static_cast<std::int64_t>(k_[0].size()) / kv_dim_; }
  float* keys(int layer) { return k_[layer].data(); }
  float* values(int layer) { return v_[layer].data(); }
  void set_length(std::int64_t n) { length_ = n; }
  void clear() { length_ = 0; }

 private:
  std::int64_t kv_dim_;
  std::int64_t length_ = 0;
  std::vector<std::vector<float>> k_, v_;
};

}  // namespace prism::models
