#include "voice/speech_recognizer.h"

#include <pocketsphinx.h>

#include <chrono>
#include <filesystem>

#include "core/error.h"
#include "core/log.h"

namespace prism::voice {

RecognizerLease::RecognizerLease(RecognizerLease&& other) noexcept
    : pool_(other.pool_), decoder_(other.decoder_), in_utterance_(other.in_utterance_) {
  other.pool_ = nullptr;
  other.decoder_ = nullptr;
  other.in_utterance_ = false;
}

RecognizerLease& RecognizerLease::operator=(RecognizerLease&& other) noexcept {
  if (this != &other) {
    release();
    pool_ = other.pool_;
    decoder_ = other.decoder_;
    in_utterance_ = other.in_utterance_;
    other.pool_ = nullptr;
    other.decoder_ = nullptr;
    other.in_utterance_ = false;
  }
  return *this;
}

RecognizerLease::~RecognizerLease() { release(); }

void RecognizerLease::release() {
  if (!decoder_) return;
  if (in_utterance_) ps_end_utt(decoder_);
  in_utterance_ = false;
  pool_->give_back(decoder_);
  decoder_ = nullptr;
  pool_ = nullptr;
}

void RecognizerLease::start_utterance() {
  if (!decoder_) throw Error("speech recognizer lease is empty");
  if (in_utterance_) ps_end_utt(decoder_);
  if (ps_start_utt(decoder_) < 0) throw Error("PocketSphinx: cannot start an utterance");
  in_utterance_ = true;
}

void RecognizerLease::feed(std::span<const int16_t> audio_16k) {
  if (!in_utterance_) start_utterance();
  if (audio_16k.empty()) return;
  if (ps_process_raw(decoder_, audio_16k.data(), audio_16k.size(), FALSE, FALSE) < 0)
    throw Error("PocketSphinx: decoding failed");
}

std::string RecognizerLease::partial() {
  if (!in_utterance_) return {};
  int32 score = 0;
  const char* hyp = ps_get_hyp(decoder_, &score);
  return hyp ? hyp : "";
}

std::string RecognizerLease::finish() {
  if (!in_utterance_) return {};
  in_utterance_ = false;
  if (ps_end_utt(decoder_) < 0) throw Error("PocketSphinx: cannot end the utterance");
  int32 score = 0;
  const char* hyp = ps_get_hyp(decoder_, &score);
  return hyp ? hyp : "";
}

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
  const fs::path dir = config_.model_dir;
  const std::string hmm = (dir / "en-us").string(), lm = (dir / "en-us.lm.bin").string(),
                    dict = (dir / "cmudict-en-us.dict").string();
  for (const auto& p : {hmm, lm, dict})
    if (!fs::exists(p)) throw Error("speech recognition model missing: " + p + " (install pocketsphinx-en-us)");
  const char* pass = config_.second_pass ? "yes" : "no";
  // Options as one argument vector: setting yes/no options one by one
  // crashes this PocketSphinx version.
  const char* argv[] = {"-hmm", hmm.c_str(),  "-lm",      lm.c_str(), "-dict",  dict.c_str(), "-fwdflat",
                        pass,   "-bestpath",  pass,       "-samprate", "16000", "-logfn", "/dev/null"};
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
    idle_.push_back(d);
    returned_.notify_one();
  }
}

RecognizerLease RecognizerPool::acquire() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (!idle_.empty()) {
      ps_decoder_s* d = idle_.back();
      idle_.pop_back();
      return RecognizerLease(this, d);
    }
    if (total_ + starting_ < config_.max_decoders) break;
    returned_.wait(lock);
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
  return RecognizerLease(this, d);
}

void RecognizerPool::give_back(ps_decoder_s* decoder) {
  std::lock_guard lock(mutex_);
  idle_.push_back(decoder);
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
