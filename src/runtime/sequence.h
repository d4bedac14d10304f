// A sequence of the batching engine: one request's prompt, the tokens it
// has generated, the KV blocks that hold them, and where it stands
// (waiting, encoding its images, prefilling its prompt, decoding).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/block_manager.h"
#include "runtime/generation.h"
#include "runtime/sampler.h"
#include "tensor/tensor.h"

namespace prism::runtime {

// Who goes first when the engine is busy: a realtime voice turn before a
// chat request before batch work.
enum class Priority { realtime = 0, interactive = 1, batch = 2 };
Priority priority_from_string(const std::string& s);  // throws prism::InvalidInput

// The images of a request still to be encoded, one step at a time: step()
// encodes a little (a tile) and returns true once the features are ready.
class ImageWork {
 public:
  virtual ~ImageWork() = default;
  virtual bool step() = 0;
  virtual const tensor::Tensor& features() const = 0;  // [tiles, image_seq_len, hidden]
};

struct SequenceRequest {
  std::vector<std::int32_t> prompt_ids;
  // One key per prompt position (block_manager.h); empty: the prompt's
  // token ids (a text-only prompt).
  std::vector<ContentKey> content;
  std::unique_ptr<ImageWork> images;  // null: no <image> positions
  TokenLoopParams params;
  Priority priority = Priority::interactive;
  std::chrono::milliseconds queue_timeout{30000};  // longest wait for a place in the batch
  bool keep_prompt_logits = false;
  // Sees each generated id on the engine's thread (an EOS id too, before
  // the sequence ends on it).
  std::function<TokenVerdict(std::int32_t)> on_token;
};

struct SequenceOutcome {
  std::vector<std::int32_t> output_ids;
  std::string finish_reason;  // "stop" | "length" | "cancelled"; empty on error
  std::size_t cached_tokens = 0;  // prompt positions taken from the prefix cache
  std::vector<float> prompt_last_logits;
  std::optional<std::string> error;  // the engine failed this sequence
  bool invalid_input = false;        // ... because of the request itself
  bool overloaded = false;           // ... because no place opened within queue_timeout
  std::chrono::milliseconds retry_after{0};
  double queue_ms = 0, first_token_ms = 0;  // from submission
};

// The caller's side of a submitted sequence.
struct SequenceHandle {
  std::atomic<bool> cancel{false};  // the sequence leaves at the next step
};

enum class SequenceState { waiting, encoding, prefilling, decoding };

struct Sequence {
  SequenceRequest request;
  std::shared_ptr<SequenceHandle> handle;
  std::function<void(SequenceOutcome)> on_finish;
  std::uint64_t order = 0;  // submission order, first come first served within a priority
  std::chrono::steady_clock::time_point submitted;

  SequenceState state = SequenceState::waiting;
  std::vector<std::int32_t> tokens;  // prompt, then generated ids
  std::vector<ContentKey> content;   // one per position of `tokens`
  std::vector<BlockHash> hashes;     // of the full prompt blocks
  std::vector<std::int32_t> blocks;  // block table
  std::int64_t published = 0;        // leading blocks handed to the prefix cache (or taken from it)
  std::int64_t computed = 0;         // positions whose keys and values are stored
  std::int64_t reserved = 0;         // blocks it may still allocate
  tensor::Tensor prompt_embeds;      // [prompt, hidden], once the images are encoded
  std::unique_ptr<Sampler> sampler;
  std::vector<float> logits;
  SequenceOutcome outcome;
};

}  // namespace prism::runtime
