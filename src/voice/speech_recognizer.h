// Streaming speech recognition with PocketSphinx (Debian's 5prealpha and the
// pocketsphinx-en-us model). Decoders take ~300 ms and ~90 MB to start, so
// they live in a pool that is warmed at startup; a turn borrows one
// (RecognizerLease) and gives it back when the lease ends.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

struct ps_decoder_s;

namespace prism::voice {

struct RecognizerConfig {
  std::string model_dir = "/usr/share/pocketsphinx/model/en-us";  // holds en-us/, en-us.lm.bin, cmudict-en-us.dict
  // Turning off the second pass brings the final result to a few ms after
  // the end of the utterance at no measured accuracy cost.
  bool second_pass = false;
  size_t max_decoders = 8;  // beyond this, acquire() waits for a free one
};

class RecognizerPool;

// One utterance at a time on a borrowed decoder. Audio is 16 kHz mono PCM16.
class RecognizerLease {
 public:
  RecognizerLease(RecognizerLease&&) noexcept;
  RecognizerLease& operator=(RecognizerLease&&) noexcept;
  ~RecognizerLease();

  void start_utterance();
  void feed(std::span<const int16_t> audio_16k);
  // The best hypothesis so far (lower-case words), cheap enough to poll
  // every 100-200 ms of audio.
  std::string partial();
  // Ends the utterance and returns the final transcript.
  std::string finish();
  bool in_utterance() const { return in_utterance_; }

 private:
  friend class RecognizerPool;
  RecognizerLease(RecognizerPool* pool, ps_decoder_s* decoder) : pool_(pool), decoder_(decoder) {}
  void release();
  RecognizerPool* pool_ = nullptr;
  ps_decoder_s* decoder_ = nullptr;
  bool in_utterance_ = false;
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
  // below max_decoders, else waits for one to come back.
  RecognizerLease acquire();
  size_t idle_count() const;
  size_t total_count() const;

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
  void give_back(ps_decoder_s* decoder);

  RecognizerConfig config_;
  mutable std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<ps_decoder_s*> idle_;
  std::shared_ptr<const std::vector<int16_t>> priming_audio_;
  size_t total_ = 0;
  size_t starting_ = 0;
};

// One-shot convenience: recognizes a whole 16 kHz buffer with a pooled decoder.
std::string recognize(std::span<const int16_t> audio_16k, RecognizerPool& pool = RecognizerPool::shared());

}  // namespace prism::voice
