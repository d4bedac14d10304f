#include "runtime/block_manager.h"

#include <algorithm>

#include "core/error.h"

namespace prism::runtime {

using models::kKvBlockSize;

namespace {
// splitmix64's finalizer: a cheap mix with full avalanche.
std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
}  // namespace

BlockHash next_block_hash(BlockHash parent, const ContentKey* content) {
  BlockHash h = mix(parent);
  for (std::int64_t i = 0; i < kKvBlockSize; ++i) h = mix(h ^ mix(content[i] + static_cast<std::uint64_t>(i)));
  return h;
}

std::vector<BlockHash> block_hashes(const std::vector<ContentKey>& content) {
  std::vector<BlockHash> hashes;
  BlockHash parent = kRootHash;
  for (std::size_t b = 0; (b + 1) * kKvBlockSize <= content.size(); ++b) {
    parent = next_block_hash(parent, content.data() + b * kKvBlockSize);
    hashes.push_back(parent);
  }
  return hashes;
}

ContentKey image_content_key(std::uint64_t tile_hash, std::int64_t row) {
  return mix(tile_hash ^ mix(static_cast<std::uint64_t>(row))) | (1ULL << 63);
}

BlockManager::BlockManager(int layers, std::int64_t kv_dim, std::int64_t blocks)
    : storage_(layers, kv_dim, blocks), blocks_(static_cast<std::size_t>(blocks)) {
  for (auto b = static_cast<std::int32_t>(blocks); b-- > 0;) free_.push_back(b);  // block 0 handed out first
}

std::int64_t BlockManager::available() const {
  return static_cast<std::int64_t>(free_.size() + lru_.size());
}

std::vector<std::int32_t> BlockManager::find_prefix(const std::vector<BlockHash>& hashes,
                                                    const std::vector<ContentKey>& content) {
  std::vector<std::int32_t> found;
  for (std::size_t b = 0; b < hashes.size(); ++b) {
    auto it = by_hash_.find(hashes[b]);
    if (it == by_hash_.end()) break;
    const Block& block = blocks_[static_cast<std::size_t>(it->second)];
    if (!std::equal(block.content.begin(), block.content.end(), content.begin() + b * kKvBlockSize)) break;
    found.push_back(it->second);
  }
  return found;
}

std::int64_t BlockManager::unheld(const std::vector<std::int32_t>& blocks) const {
  return std::count_if(blocks.begin(), blocks.end(),
                       [&](std::int32_t b) { return blocks_[static_cast<std::size_t>(b)].refs == 0; });
}

void BlockManager::record_lookup(std::size_t queried, std::size_t found) {
  prefix_queries_ += queried;
  prefix_hits_ += found;
}

void BlockManager::acquire(const std::vector<std::int32_t>& blocks) {
  for (auto id : blocks) {
    Block& b = blocks_[static_cast<std::size_t>(id)];
    if (b.refs++ == 0) {
      lru_.erase(b.lru);
      ++in_use_;
    }
  }
}

std::int32_t BlockManager::allocate() {
  std::int32_t id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else if (!lru_.empty()) {
    id = lru_.front();
    lru_.pop_front();
    Block& evicted = blocks_[static_cast<std::size_t>(id)];
    by_hash_.erase(*evicted.hash);
    evicted.hash.reset();
    evicted.content.clear();
  } else {
    throw Error("the KV cache has no free block left");  // the scheduler reserves blocks, so this is a bug
  }
  blocks_[static_cast<std::size_t>(id)].refs = 1;
  ++in_use_;
  return id;
}

void BlockManager::release(std::int32_t id) {
  Block& b = blocks_[static_cast<std::size_t>(id)];
  if (b.refs <= 0) throw Error("KV block " + std::to_string(id) + " released more often than taken");
  if (--b.refs > 0) return;
  --in_use_;
  if (b.hash) {
    b.lru = lru_.insert(lru_.end(), id);
  } else {
    free_.push_back(id);
  }
}

void BlockManager::publish(std::int32_t id, BlockHash hash, const ContentKey* content) {
  Block& b = blocks_[static_cast<std::size_t>(id)];
  if (b.hash || by_hash_.count(hash)) return;
  b.hash = hash;
  b.content.assign(content, content + kKvBlockSize);
  by_hash_.emplace(hash, id);
}

BlockManagerStats BlockManager::stats() const {
  BlockManagerStats s;
  s.total = total_blocks();
  s.in_use = in_use_;
  s.cached = static_cast<std::int64_t>(lru_.size());
  s.free = static_cast<std::int64_t>(free_.size());
  s.prefix_queries = prefix_queries_;
  s.prefix_hits = prefix_hits_;
  return s;
}

}  // namespace prism::runtime
