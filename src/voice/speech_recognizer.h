// Streaming speech recognition with PocketSphinx (Debian's 5prealpha and the
// pocketsphinx-en-us model). Every decoder runs in its own worker process
// (prism-speech-worker, speech_worker_process.h): PocketSphinx can abort
// (assert) on input nobody has found yet (issue #10), and an abort there
// ends one worker, never the server. Decoders take ~300 ms and ~90 MB to
// start, so they live in a pool that is warmed at startup; a turn borrows one
// (RecognizerLease) and gives it back when the lease ends. A worker that died
// or failed is reaped, counted (worker_restarts) and replaced in the
// background up to the warmed count.
//
// The rules a decoder needs are still checked here, not assumed: a worker is
// lent to one lease at a time (the pool refuses a second return), a lease is
// used by one thread at a time, audio is fed only inside an utterance, and a
// worker whose call failed is never lent again. A broken rule throws
// RecognizerMisuse before the worker is asked; a failing, dead or silent
// worker throws RecognizerFailure (every reply is awaited for a bounded time).
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
#include <string_view>
#include <thread>
#include <vector>

#include "core/error.h"
#include "voice/speech_worker_protocol.h"


namespace prism::voice {

struct RecognizerConfig {
  std::string model_dir = "/usr/share/pocketsphinx/model/en-us";  // holds en-us/, en-us.lm.bin, cmudict-en-us.dict
  // Turning off the second pass brings the final result to a few ms after
  // the end of the utterance at no measured accuracy cost.
  bool second_pass = false;
  size_t max_decoders = 8;  // beyond this, acquire() waits for a free one
  // prism-speech-worker; empty: locate_speech_worker() (PRISM_SPEECH_WORKER,
  // next to the executable, the build tree).
  std::string worker_path;
  std::chrono::milliseconds start_timeout{60000};  // spawn -> ready and primed
  std::chrono::milliseconds reply_timeout{10000};  // any one call; then the worker is killed
};

// A caller broke a decoder rule (a bug in prism, never the client's input).
struct RecognizerMisuse : Error {
  using Error::Error;
};
// PocketSphinx refused a call, or its worker died or stopped answering; the
// worker is discarded when its lease ends.
struct RecognizerFailure : Error {
  using Error::Error;
};

class RecognizerPool;
class SpeechWorkerProcess;

// One utterance at a time on a borrowed decoder. Audio is 16 kHz mono PCM16.
class RecognizerLease {
 public:
  RecognizerLease(RecognizerLease&&) noexcept;
  RecognizerLease& operator=(RecognizerLease&&) noexcept;
  ~RecognizerLease();

  // Begins an utterance; misuse while one is running (cancel or finish it).
  void start_utterance();
  // Within an utterance only. Any length: the worker hands PocketSphinx
  // blocks of at most kMaxFeedSamples.
  void feed(std::span<const int16_t> audio_16k);
  static constexpr size_t kMaxFeedSamples = speech_worker::kMaxSamplesPerDecode;  // 100 ms
  // The best hypothesis so far (lower-case words), cheap enough to poll
  // every 100-200 ms of audio; "" outside an utterance.
  std::string partial();
  // Ends the utterance and returns the final transcript (within one only).
  std::string finish();
  // Ends a running utterance, if any, discarding its result.
  void cancel_utterance();
  // Marks the decoder as not to be trusted: its worker is ended when the lease ends.
  void abandon() { state_ = State::broken; }
  bool in_utterance() const { return state_ == State::in_utterance; }
  bool broken() const { return state_ == State::broken; }
  // The worker process that decodes for this lease (logs, tests); -1 once ended.
  int worker_pid() const;

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
  RecognizerLease(RecognizerPool* pool, SpeechWorkerProcess* worker, uint64_t lease_id)
      : pool_(pool), worker_(worker), lease_id_(lease_id) {}
  void release() noexcept;
  // One request to the worker; a failure marks the lease broken and rethrows.
  std::string call(speech_worker::Kind request, std::string_view payload = {});

  RecognizerPool* pool_ = nullptr;
  SpeechWorkerProcess* worker_ = nullptr;
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

  // Starts decoders until `count` are idle (call at startup); the pool then
  // keeps at least `count` alive, replacing workers that die.
  void warm(size_t count);
  // Borrows an idle decoder, starting one when none is idle and the pool is
  // below max_decoders, else waits for one to come back: without limit, or
  // up to `wait`, after which it throws RecognizerFailure (all busy).
  RecognizerLease acquire(std::optional<std::chrono::milliseconds> wait = std::nullopt);
  size_t idle_count() const;
  size_t total_count() const;   // decoders alive: idle + lent
  size_t in_use_count() const;  // lent to a lease now
  // Workers discarded because they died, failed or were abandoned (each is
  // replaced while the pool is below its warmed count). Only grows.
  uint64_t worker_restarts() const;

  // Audio (16 kHz) every new decoder recognises once before it is lent:
  // PocketSphinx normalises cepstra with a running mean carried from one
  // utterance to the next, and a decoder that has heard no speech yet
  // transcribes its first utterance noticeably worse.
  void set_priming_audio(std::vector<int16_t> audio_16k);

  // The process-wide pool over the default model, created on first use.
  static RecognizerPool& shared();

 private:
  friend class RecognizerLease;
  struct Slot {
    std::unique_ptr<SpeechWorkerProcess> worker;
    uint64_t lease = 0;  // the lease it is lent to; 0: idle
  };
  std::unique_ptr<SpeechWorkerProcess> start_worker();  // spawned, ready and primed
  RecognizerLease lend(SpeechWorkerProcess* worker);   // with mutex_ held
  // The lease `lease_id` ends: its worker goes back to idle, or is ended
  // when broken. A worker not lent to that lease is refused (logged).
  void give_back(SpeechWorkerProcess* worker, uint64_t lease_id, bool broken) noexcept;
  // With mutex_ held: takes `worker` out of the pool (to be destroyed once
  // the mutex is released), counts the restart, wakes the refiller.
  std::unique_ptr<SpeechWorkerProcess> remove_broken(SpeechWorkerProcess* worker);
  // The refiller thread: ends idle workers that died and, after a removal,
  // starts workers up to warm_target_.
  void refill_loop();

  RecognizerConfig config_;
  mutable std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<Slot> workers_;             // alive: idle or lent
  std::vector<SpeechWorkerProcess*> idle_;
  uint64_t next_lease_ = 0;
  std::shared_ptr<const std::vector<int16_t>> priming_audio_;
  size_t starting_ = 0;
  size_t warm_target_ = 0;
  uint64_t restarts_ = 0;
  bool refill_wanted_ = false;
  bool stopping_ = false;
  std::condition_variable refill_;
  std::thread refiller_;  // started by warm()
};

// One-shot convenience: recognizes a whole 16 kHz buffer with a pooled decoder.
std::string recognize(std::span<const int16_t> audio_16k, RecognizerPool& pool = RecognizerPool::shared());

}  // namespace prism::voice
