// Streaming speech recognition with PocketSphinx (Debian's 5prealpha and the
// pocketsphinx-en-us model). Decoders take ~300 ms and ~90 MB to start, so
// they live in a pool that is warmed at startup; a turn borrows one
// (RecognizerLease) and gives it back when the lease ends.
//
// A PocketSphinx decoder aborts the whole process (assert) when it is driven
// in a state it does not allow, so the rules are checked here, not assumed:
// a decoder is lent to one lease at a time (the pool refuses a second
// return), a lease is used by one thread at a time, audio is fed only inside
// an utterance, and a decoder whose call failed is never lent again. A
// broken rule throws RecognizerMisuse before the decoder is touched; a
// failing decoder throws RecognizerFailure.
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"

struct ps_decoder_s;

namespace prism::voice {

struct RecognizerConfig {
  std::string model_dir = "/usr/share/pocketsphinx/model/en-us";  // holds en-us/, en-us.lm.bin, cmudict-en-us.dict
  // Turning off the second pass brings the final result to a few ms after
  // the end of the utterance at no measured accuracy cost.
  bool second_pass = false;
  size_t max_decoders = 8;  // beyond this, acquire() waits for a free one
};

// A caller broke a decoder rule (a bug in prism, never the client's input).
struct RecognizerMisuse : Error {
  using Error::Error;
};
// PocketSphinx refused a call; the decoder is discarded when its lease ends.
struct RecognizerFailure : Error {
  using Error::Error;
};

class RecognizerPool;

// One utterance at a time on a borrowed decoder. Audio is 16 kHz mono PCM16.
class RecognizerLease {
 public:
  RecognizerLease(RecognizerLease&&) noexcept;
  RecognizerLease& operator=(RecognizerLease&&) noexcept;
  ~RecognizerLease();

  // Begins an utterance; misuse while one is running (cancel or finish it).
  void start_utterance();
  // Within an utterance only. Any length: passed on in blocks of at most
  // kMaxFeedSamples.
  void feed(std::span<const int16_t> audio_16k);
  static constexpr size_t kMaxFeedSamples = 1600;  // 100 ms
  // The best hypothesis so far (lower-case words), cheap enough to poll
  // every 100-200 ms of audio; "" outside an utterance.
  std::string partial();
  // Ends the utterance and returns the final transcript (within one only).
  std::string finish();
  // Ends a running utterance, if any, discarding its result.
  void cancel_utterance();
  // Marks the decoder as not to be trusted: it is freed when the lease ends.
  void abandon() { state_ = State::broken; }
  bool in_utterance() const { return state_ == State::in_utterance; }
  bool broken() const { return state_ == State::broken; }

 private:
  friend class RecognizerPool;
  enum class State { idle, in_utterance, broken };
  // Held for each call: a second thread inside the same lease is misuse.
  class Use {
   public:
    explicit Use(RecognizerLease& lease);
    ~Use() { lease_.busy_.store(false, std::memory_order_release); }
   private:
    RecognizerLease& lease_;
  };
  RecognizerLease(RecognizerPool* pool, ps_decoder_s* decoder, uint64_t lease_id)
      : pool_(pool), decoder_(decoder), lease_id_(lease_id) {}
  void release() noexcept;
  void fail(const char* what);  // marks the decoder broken and throws RecognizerFailure

  RecognizerPool* pool_ = nullptr;
  ps_decoder_s* decoder_ = nullptr;
  uint64_t lease_id_ = 0;
  State state_ = State::idle;
  std::atomic<bool> busy_{false};
};

class RecognizerPool {
 public:
  explicit RecognizerPool(RecognizerConfig config = {});
  ~RecognizerPool();  // all leases must have ended
  RecognizerPool(const RecognizerPool&) = delete;
  RecognizerPool& operator=(const RecognizerPool&) = delete;

  // Starts decoders until `count` are idle (call at startup).
  void warm(size_t count);
  // Borrows an idle decoder, starting one when none is idle and the pool is
  // below max_decoders, else waits for one to come back: without limit, or
  // up to `wait`, after which it throws RecognizerFailure (all busy).
  RecognizerLease acquire(std::optional<std::chrono::milliseconds> wait = std::nullopt);
  size_t idle_count() const;
  size_t total_count() const;   // decoders alive: idle + lent
  size_t in_use_count() const;  // lent to a lease now

  // Audio (16 kHz) every new decoder recognises once before it is lent:
  // PocketSphinx normalises cepstra with a running mean carried from one
  // utterance to the next, and a decoder that has heard no speech yet
  // transcribes its first utterance noticeably worse.
  void set_priming_audio(std::vector<int16_t> audio_16k);

  // The process-wide pool over the default model, created on first use.
  static RecognizerPool& shared();

 private:
  friend class RecognizerLease;
  ps_decoder_s* start_decoder();
  RecognizerLease lend(ps_decoder_s* decoder);  // with mutex_ held
  // The lease `lease_id` ends: its decoder goes back to idle, or is freed
  // when broken. A decoder not lent to that lease is refused (logged).
  void give_back(ps_decoder_s* decoder, uint64_t lease_id, bool broken) noexcept;

  RecognizerConfig config_;
  mutable std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<ps_decoder_s*> idle_;
  // decoder -> the lease it is lent to (0: idle)
  std::vector<std::pair<ps_decoder_s*, uint64_t>> owners_;
  uint64_t next_lease_ = 0;
  std::shared_ptr<const std::vector<int16_t>> priming_audio_;
  size_t total_ = 0;
  size_t starting_ = 0;
};

// One-shot convenience: recognizes a whole 16 kHz buffer with a pooled decoder.
std::string recognize(std::span<const int16_t> audio_16k, RecognizerPool& pool = RecognizerPool::shared());

}  // namespace prism::voice
