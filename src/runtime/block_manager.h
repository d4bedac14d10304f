// The block manager of the paged KV cache: one fixed pool of blocks per
// model (the memory limit in blocks), reference counts so sequences can
// share read-only blocks, and the prefix cache: a full block is published
// under the hash chain of its content (its parent's hash and its 16
// positions' content keys), so a later sequence that begins the same way
// takes the block instead of recomputing it. Blocks nobody holds stay
// cached and are evicted least recently used when the free list runs dry.
// Used from the engine loop's thread only.
#pragma once

#include <cstdint>
#include <list>
#include <optional>
#include <unordered_map>
#include <vector>

#include "models/kv_cache.h"

namespace prism::runtime {

using BlockHash = std::uint64_t;

// What a position holds, for the prefix cache: its token id, or for an
// <image> position a key mixing the tile's content hash and the row.
using ContentKey = std::uint64_t;

// The hash of a full block: its parent's hash (kRootHash for the first
// block) and its kKvBlockSize content keys.
inline constexpr BlockHash kRootHash = 0x9e3779b97f4a7c15ULL;
BlockHash next_block_hash(BlockHash parent, const ContentKey* content);
// The hash chain of a sequence's full blocks: element b covers positions
// [16 b, 16 b + 16) and everything before them.
std::vector<BlockHash> block_hashes(const std::vector<ContentKey>& content);
// The key of row `row` of an image tile whose pixels hash to tile_hash
// (never equal to a token id).
ContentKey image_content_key(std::uint64_t tile_hash, std::int64_t row);

struct BlockManagerStats {
  std::int64_t total = 0, in_use = 0, cached = 0, free = 0;  // cached: held by nobody, kept for reuse
  std::uint64_t prefix_queries = 0, prefix_hits = 0;         // in blocks looked up / found
};

class BlockManager {
 public:
  BlockManager(int layers, std::int64_t kv_dim, std::int64_t blocks);

  models::KvBlockStorage& storage() { return storage_; }
  std::int64_t total_blocks() const { return storage_.blocks(); }
  // Blocks allocate() can still hand out (free or cached by nobody).
  std::int64_t available() const;

  // The cached blocks that hold the first hashes.size() blocks of
  // `content` (a prefix of them: up to the first miss), not yet acquired.
  // `content` is checked against the block's own, so a hash collision
  // cannot hand out another sequence's keys.
  std::vector<std::int32_t> find_prefix(const std::vector<BlockHash>& hashes,
                                        const std::vector<ContentKey>& content);
  // How many of `blocks` nobody holds now (taking them costs availability).
  std::int64_t unheld(const std::vector<std::int32_t>& blocks) const;
  // Counts one admitted sequence's lookup for the hit rate (a sequence
  // may look several times while it waits).
  void record_lookup(std::size_t queried, std::size_t found);
  // Takes a reference on each block (from find_prefix).
  void acquire(const std::vector<std::int32_t>& blocks);
  // A block for one holder: a free one, else the least recently used
  // cached one (which leaves the prefix cache). Throws when none is left.
  std::int32_t allocate();
  // Drops a reference; a block nobody holds goes back to the free list, or
  // stays cached (most recently used) when it was published.
  void release(std::int32_t block);
  // Marks a full block as holding `content` (its 16 keys) under `hash`;
  // a second block with the same content is left unpublished.
  void publish(std::int32_t block, BlockHash hash, const ContentKey* content);

  BlockManagerStats stats() const;

 private:
  struct Block {
    int refs = 0;
    std::optional<BlockHash> hash;              // published under this hash
    std::vector<ContentKey> content;            // its 16 content keys, when published
    std::list<std::int32_t>::iterator lru;      // position in lru_ while cached and unheld
  };

  models::KvBlockStorage storage_;
  std::vector<Block> blocks_;
  std::vector<std::int32_t> free_;
  std::list<std::int32_t> lru_;  // published blocks nobody holds, least recently used first
  std::unordered_map<BlockHash, std::int32_t> by_hash_;
  std::int64_t in_use_ = 0;
  std::uint64_t prefix_queries_ = 0, prefix_hits_ = 0;
};

}  // namespace prism::runtime
