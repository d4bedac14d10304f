#include "voice/speech_recognizer.h"

#include <pocketsphinx.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <mutex>

#include "core/log.h"

extern "C" FILE* err_set_logfp(FILE* stream);  // sphinxbase/err.h (not on the default include path)

namespace prism::voice {
namespace {

// PocketSphinx logs through one process-wide FILE*. Passing `-logfn` to
// ps_init makes every new decoder fopen its own file, swap it in and fclose
// the previous one while other threads' decoders may be writing to it (and
// two decoders starting at once can fclose the same FILE twice): a heap
// corruption in the recogniser of another session. Logging is turned off
// once, before the first decoder, and never touched again.
void silence_pocketsphinx_log() {
  static std::once_flag once;
  std::call_once(once, [] { err_set_logfp(nullptr); });
}

}  // namespace

// ------------------------------------------------------------------ lease

RecognizerLease::Use::Use(RecognizerLease& lease) : lease_(lease) {
  if (!lease.decoder_) throw RecognizerMisuse("speech recognizer lease used after it ended");
  if (lease.busy_.exchange(true, std::memory_order_acquire))
    throw RecognizerMisuse("speech recognizer lease used from two threads at once");
}

RecognizerLease::RecognizerLease(RecognizerLease&& other) noexcept
    : pool_(other.pool_), decoder_(other.decoder_), lease_id_(other.lease_id_), state_(other.state_) {
  other.pool_ = nullptr;
  other.decoder_ = nullptr;
  other.state_ = State::idle;
}

RecognizerLease& RecognizerLease::operator=(RecognizerLease&& other) noexcept {
  if (this != &other) {
    release();
    pool_ = other.pool_;
    decoder_ = other.decoder_;
    lease_id_ = other.lease_id_;
    state_ = other.state_;
    other.pool_ = nullptr;
    other.decoder_ = nullptr;
    other.state_ = State::idle;
  }
  return *this;
}

RecognizerLease::~RecognizerLease() { release(); }

void RecognizerLease::release() noexcept {
  if (!decoder_) return;
  if (busy_.exchange(true, std::memory_order_acquire)) {
    // Another thread is inside a call on this decoder: returning it now
    // would lend it to a second session while the first still feeds it.
    log::error("speech recognizer lease ended while in use; its decoder is leaked, not lent again");
    decoder_ = nullptr;
    pool_ = nullptr;
    return;
  }
  if (state_ == State::in_utterance && ps_end_utt(decoder_) < 0) state_ = State::broken;
  pool_->give_back(decoder_, lease_id_, state_ == State::broken);
  decoder_ = nullptr;
  pool_ = nullptr;
  state_ = State::idle;
  busy_.store(false, std::memory_order_release);
}

void RecognizerLease::fail(const char* what) {
  state_ = State::broken;
  throw RecognizerFailure(std::string("PocketSphinx: ") + what);
}

void RecognizerLease::start_utterance() {
  Use use(*this);
  if (state_ == State::broken) throw RecognizerFailure("speech recognizer decoder failed earlier in this turn");
  if (state_ == State::in_utterance) throw RecognizerMisuse("speech recognizer: an utterance is already running");
  if (ps_start_utt(decoder_) < 0) fail("cannot start an utterance");
  state_ = State::in_utterance;
}

void RecognizerLease::feed(std::span<const int16_t> audio_16k) {
  Use use(*this);
  if (state_ != State::in_utterance) throw RecognizerMisuse("speech recognizer fed outside an utterance");
  // Never seconds of audio in one ps_process_raw call: the soak's abort
  // (eval_nonroot_chan `hmm_frame(&hmm->hmm) == frame_idx`) came from one
  // call with 8 s of audio (a turn's buffer fed at speech start), on one
  // thread; PocketSphinx's own advice is to feed small blocks.
  for (size_t at = 0; at < audio_16k.size(); at += kMaxFeedSamples) {
    auto block = audio_16k.subspan(at, std::min(kMaxFeedSamples, audio_16k.size() - at));
    if (ps_process_raw(decoder_, block.data(), block.size(), FALSE, FALSE) < 0) fail("decoding failed");
  }
}

std::string RecognizerLease::partial() {
  Use use(*this);
  if (state_ != State::in_utterance) return {};
  int32 score = 0;
  const char* hyp = ps_get_hyp(decoder_, &score);
  return hyp ? hyp : "";
}

std::string RecognizerLease::finish() {
  Use use(*this);
  if (state_ != State::in_utterance) throw RecognizerMisuse("speech recognizer: no utterance to finish");
  state_ = State::idle;
  if (ps_end_utt(decoder_) < 0) fail("cannot end the utterance");
  int32 score = 0;
  const char* hyp = ps_get_hyp(decoder_, &score);
  return hyp ? hyp : "";
}

void RecognizerLease::cancel_utterance() {
  Use use(*this);
  if (state_ != State::in_utterance) return;
  state_ = State::idle;
  if (ps_end_utt(decoder_) < 0) fail("cannot end the utterance");
}

// ------------------------------------------------------------------- pool

RecognizerPool::RecognizerPool(RecognizerConfig config) : config_(std::move(config)) {}

RecognizerPool::~RecognizerPool() {
  std::lock_guard lock(mutex_);
  if (idle_.size() != total_)
    log::error("speech recognizer pool destroyed with decoders still lent", {{"lent", total_ - idle_.size()}});
  for (auto* d : idle_) ps_free(d);
}

void RecognizerPool::set_priming_audio(std::vector<int16_t> audio_16k) {
  std::lock_guard lock(mutex_);
  priming_audio_ = std::make_shared<const std::vector<int16_t>>(std::move(audio_16k));
}

ps_decoder_s* RecognizerPool::start_decoder() {
  namespace fs = std::filesystem;
  silence_pocketsphinx_log();
  const fs::path dir = config_.model_dir;
  const std::string hmm = (dir / "en-us").string(), lm = (dir / "en-us.lm.bin").string(),
                    dict = (dir / "cmudict-en-us.dict").string();
  for (const auto& p : {hmm, lm, dict})
    if (!fs::exists(p)) throw Error("speech recognition model missing: " + p + " (install pocketsphinx-en-us)");
  const char* pass = config_.second_pass ? "yes" : "no";
  // Options as one argument vector: setting yes/no options one by one
  // crashes this PocketSphinx version. No -logfn: see silence_pocketsphinx_log.
  const char* argv[] = {"-hmm",     hmm.c_str(), "-lm",       lm.c_str(), "-dict",   dict.c_str(),
                        "-fwdflat", pass,        "-bestpath", pass,       "-samprate", "16000"};
  cmd_ln_t* config = cmd_ln_parse_r(nullptr, ps_args(), static_cast<int32>(std::size(argv)),
                                    const_cast<char**>(argv), FALSE);
  if (!config) throw Error("PocketSphinx: invalid decoder options");
  auto t0 = std::chrono::steady_clock::now();
  ps_decoder_t* decoder = ps_init(config);
  cmd_ln_free_r(config);  // the decoder keeps its own reference
  if (!decoder) throw Error("PocketSphinx: cannot start a decoder from " + config_.model_dir);
  std::shared_ptr<const std::vector<int16_t>> priming;
  {
    std::lock_guard lock(mutex_);
    priming = priming_audio_;
  }
  if (priming && !priming->empty() && ps_start_utt(decoder) >= 0) {
    ps_process_raw(decoder, priming->data(), priming->size(), FALSE, TRUE);
    ps_end_utt(decoder);
  }
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  log::debug("speech recognizer decoder started", {{"ms", ms}});
  return decoder;
}

RecognizerLease RecognizerPool::lend(ps_decoder_s* decoder) {
  uint64_t id = ++next_lease_;
  auto it = std::find_if(owners_.begin(), owners_.end(), [&](const auto& o) { return o.first == decoder; });
  if (it == owners_.end()) owners_.emplace_back(decoder, id);
  else if (it->second != 0) throw RecognizerMisuse("speech recognizer decoder lent twice");
  else it->second = id;
  return RecognizerLease(this, decoder, id);
}

void RecognizerPool::warm(size_t count) {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (idle_.size() + starting_ >= count || total_ + starting_ >= config_.max_decoders) return;
      ++starting_;
    }
    ps_decoder_s* d = nullptr;
    try {
      d = start_decoder();
    } catch (...) {
      std::lock_guard lock(mutex_);
      --starting_;
      throw;
    }
    std::lock_guard lock(mutex_);
    --starting_;
    ++total_;
    owners_.emplace_back(d, 0);
    idle_.push_back(d);
    returned_.notify_one();
  }
}

RecognizerLease RecognizerPool::acquire(std::optional<std::chrono::milliseconds> wait) {
  std::unique_lock lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() + wait.value_or(std::chrono::milliseconds(0));
  for (;;) {
    if (!idle_.empty()) {
      ps_decoder_s* d = idle_.back();
      idle_.pop_back();
      return lend(d);
    }
    if (total_ + starting_ < config_.max_decoders) break;
    if (!wait) returned_.wait(lock);
    else if (returned_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty())
      throw RecognizerFailure("all " + std::to_string(config_.max_decoders) + " speech recognizers are busy");
  }
  ++starting_;
  lock.unlock();
  log::warn("speech recognizer pool empty: starting a decoder on the request path",
            {{"max_decoders", config_.max_decoders}});
  ps_decoder_s* d = nullptr;
  try {
    d = start_decoder();
  } catch (...) {
    std::lock_guard relock(mutex_);
    --starting_;
    returned_.notify_one();
    throw;
  }
  std::lock_guard relock(mutex_);
  --starting_;
  ++total_;
  return lend(d);
}

void RecognizerPool::give_back(ps_decoder_s* decoder, uint64_t lease_id, bool broken) noexcept {
  std::lock_guard lock(mutex_);
  auto it = std::find_if(owners_.begin(), owners_.end(), [&](const auto& o) { return o.first == decoder; });
  if (it == owners_.end() || it->second != lease_id) {
    log::error("speech recognizer decoder returned by a lease that does not hold it; refused",
               {{"lease", lease_id}, {"holder", it == owners_.end() ? 0 : it->second}});
    return;
  }
  if (broken) {
    // Its state is unknown after a failed call: never lend it again.
    owners_.erase(it);
    --total_;
    ps_free(decoder);
    log::warn("speech recognizer decoder failed and was discarded", {{"decoders", total_}});
  } else {
    it->second = 0;
    idle_.push_back(decoder);
  }
  returned_.notify_one();
}

size_t RecognizerPool::idle_count() const {
  std::lock_guard lock(mutex_);
  return idle_.size();
}

size_t RecognizerPool::total_count() const {
  std::lock_guard lock(mutex_);
  return total_;
}

size_t RecognizerPool::in_use_count() const {
  std::lock_guard lock(mutex_);
  return total_ - idle_.size();
}

RecognizerPool& RecognizerPool::shared() {
  static RecognizerPool pool;
  return pool;
}

std::string recognize(std::span<const int16_t> audio_16k, RecognizerPool& pool) {
  RecognizerLease lease = pool.acquire();
  lease.start_utterance();
  // Feed in 100 ms blocks as a live stream would.
  for (size_t at = 0; at < audio_16k.size(); at += 1600)
    lease.feed(audio_16k.subspan(at, std::min<size_t>(1600, audio_16k.size() - at)));
  return lease.finish();
}

}  // namespace prism::voice
