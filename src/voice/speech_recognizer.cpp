#include "voice/speech_recognizer.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "core/log.h"
#include "voice/speech_worker_process.h"

namespace prism::voice {
namespace sw = speech_worker;

// ------------------------------------------------------------------ lease

RecognizerLease::Use::Use(RecognizerLease& lease) : lease_(lease) {
  if (!lease.worker_) throw RecognizerMisuse("speech recognizer lease used after it ended");
  if (lease.busy_.exchange(true, std::memory_order_acquire))
    throw RecognizerMisuse("speech recognizer lease used from two threads at once");
}

RecognizerLease::RecognizerLease(RecognizerLease&& other) noexcept
    : pool_(other.pool_), worker_(other.worker_), lease_id_(other.lease_id_), state_(other.state_) {
  other.pool_ = nullptr;
  other.worker_ = nullptr;
  other.state_ = State::idle;
}

RecognizerLease& RecognizerLease::operator=(RecognizerLease&& other) noexcept {
  if (this != &other) {
    release();
    pool_ = other.pool_;
    worker_ = other.worker_;
    lease_id_ = other.lease_id_;
    state_ = other.state_;
    other.pool_ = nullptr;
    other.worker_ = nullptr;
    other.state_ = State::idle;
  }
  return *this;
}

RecognizerLease::~RecognizerLease() { release(); }

int RecognizerLease::worker_pid() const { return worker_ ? worker_->pid() : -1; }

void RecognizerLease::release() noexcept {
  if (!worker_) return;
  if (busy_.exchange(true, std::memory_order_acquire)) {
    // Another thread is inside a call on this worker: returning it now
    // would lend it to a second session while the first still feeds it.
    log::error("speech recognizer lease ended while in use; its worker is leaked, not lent again");
    worker_ = nullptr;
    pool_ = nullptr;
    return;
  }
  if (state_ == State::in_utterance) {
    try {
      call(sw::Kind::cancel);
    } catch (const std::exception&) {  // call() marked it broken
    }
  }
  pool_->give_back(worker_, lease_id_, state_ == State::broken);
  worker_ = nullptr;
  pool_ = nullptr;
  state_ = State::idle;
  busy_.store(false, std::memory_order_release);
}

std::string RecognizerLease::call(sw::Kind request, std::string_view payload) {
  try {
    return worker_->call(request, payload);
  } catch (...) {
    state_ = State::broken;
    throw;
  }
}

void RecognizerLease::start_utterance() {
  Use use(*this);
  if (state_ == State::broken) throw RecognizerFailure("speech recognizer decoder failed earlier in this turn");
  if (state_ == State::in_utterance) throw RecognizerMisuse("speech recognizer: an utterance is already running");
  call(sw::Kind::start_utterance);
  state_ = State::in_utterance;
}

void RecognizerLease::feed(std::span<const int16_t> audio_16k) {
  Use use(*this);
  if (state_ != State::in_utterance) throw RecognizerMisuse("speech recognizer fed outside an utterance");
  // One request per second of audio at most; the worker splits it into
  // kMaxFeedSamples blocks (issue #10: one ps_process_raw call with 8 s of
  // audio aborted PocketSphinx).
  for (size_t at = 0; at < audio_16k.size(); at += sw::kMaxSamplesPerFeed) {
    auto block = audio_16k.subspan(at, std::min(sw::kMaxSamplesPerFeed, audio_16k.size() - at));
    call(sw::Kind::feed, sw::as_payload(block));
  }
}

std::string RecognizerLease::partial() {
  Use use(*this);
  if (state_ != State::in_utterance) return {};
  return call(sw::Kind::partial);
}

std::string RecognizerLease::finish() {
  Use use(*this);
  if (state_ != State::in_utterance) throw RecognizerMisuse("speech recognizer: no utterance to finish");
  state_ = State::idle;
  return call(sw::Kind::finish);
}

void RecognizerLease::cancel_utterance() {
  Use use(*this);
  if (state_ != State::in_utterance) return;
  state_ = State::idle;
  call(sw::Kind::cancel);
}

// ------------------------------------------------------------------- pool

RecognizerPool::RecognizerPool(RecognizerConfig config) : config_(std::move(config)) {}

RecognizerPool::~RecognizerPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    refill_.notify_all();
  }
  if (refiller_.joinable()) refiller_.join();
  std::lock_guard lock(mutex_);
  if (idle_.size() != workers_.size())
    log::error("speech recognizer pool destroyed with decoders still lent", {{"lent", workers_.size() - idle_.size()}});
  workers_.clear();  // each worker reads EOF, exits and is reaped
  idle_.clear();
}

void RecognizerPool::set_priming_audio(std::vector<int16_t> audio_16k) {
  std::lock_guard lock(mutex_);
  priming_audio_ = std::make_shared<const std::vector<int16_t>>(std::move(audio_16k));
}

std::unique_ptr<SpeechWorkerProcess> RecognizerPool::start_worker() {
  SpeechWorkerOptions options;
  options.executable = locate_speech_worker(config_.worker_path);
  options.model_dir = config_.model_dir;
  options.second_pass = config_.second_pass;
  options.start_timeout = config_.start_timeout;
  options.reply_timeout = config_.reply_timeout;
  auto t0 = std::chrono::steady_clock::now();
  auto worker = std::make_unique<SpeechWorkerProcess>(options);
  std::shared_ptr<const std::vector<int16_t>> priming;
  {
    std::lock_guard lock(mutex_);
    priming = priming_audio_;
  }
  if (priming && !priming->empty()) {
    try {
      worker->call(sw::Kind::prime, sw::as_payload(*priming), config_.start_timeout);
    } catch (const RecognizerFailure& e) {
      throw Error(std::string("speech recognizer worker could not be primed: ") + e.what());
    }
  }
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  log::debug("speech recognizer worker started", {{"ms", ms}, {"pid", worker->pid()}});
  return worker;
}

RecognizerLease RecognizerPool::lend(SpeechWorkerProcess* worker) {
  uint64_t id = ++next_lease_;
  auto it = std::find_if(workers_.begin(), workers_.end(), [&](const Slot& s) { return s.worker.get() == worker; });
  if (it == workers_.end()) throw RecognizerMisuse("speech recognizer worker lent but not in the pool");
  if (it->lease != 0) throw RecognizerMisuse("speech recognizer decoder lent twice");
  it->lease = id;
  return RecognizerLease(this, worker, id);
}

std::unique_ptr<SpeechWorkerProcess> RecognizerPool::remove_broken(SpeechWorkerProcess* worker) {
  std::unique_ptr<SpeechWorkerProcess> gone;
  auto it = std::find_if(workers_.begin(), workers_.end(), [&](const Slot& s) { return s.worker.get() == worker; });
  if (it != workers_.end()) {
    gone = std::move(it->worker);
    workers_.erase(it);
  }
  std::erase(idle_, worker);
  ++restarts_;
  refill_wanted_ = true;
  refill_.notify_one();
  return gone;
}

void RecognizerPool::refill_loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    // Woken by a removal, else once a second to look for idle workers that
    // died (nobody else would notice before the next lend).
    refill_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_ || refill_wanted_; });
    if (stopping_) return;
    std::vector<std::unique_ptr<SpeechWorkerProcess>> dead;
    for (size_t i = idle_.size(); i-- > 0;) {
      if (idle_[i]->usable()) continue;
      log::warn("speech recognizer worker died while idle", {{"pid", idle_[i]->pid()}});
      dead.push_back(remove_broken(idle_[i]));
    }
    if (!dead.empty()) {
      lock.unlock();
      dead.clear();  // reaped
      lock.lock();
    }
    // Only after a removal: a start that failed is not retried every second.
    if (!std::exchange(refill_wanted_, false)) continue;
    while (!stopping_ && workers_.size() + starting_ < std::min(warm_target_, config_.max_decoders)) {
      ++starting_;
      lock.unlock();
      std::unique_ptr<SpeechWorkerProcess> worker;
      std::string error;
      try {
        worker = start_worker();
      } catch (const std::exception& e) {
        error = e.what();
      }
      lock.lock();
      --starting_;
      if (!worker) {
        log::error("speech recognizer worker could not be replaced", {{"error", error}});
        returned_.notify_all();  // an acquire() waiting on this start may start its own
        break;                   // tried again at the next removal, not in a loop
      }
      log::info("speech recognizer worker replaced", {{"pid", worker->pid()}, {"restarts", restarts_}});
      idle_.push_back(worker.get());
      workers_.push_back({std::move(worker), 0});
      returned_.notify_one();
    }
  }
}

void RecognizerPool::warm(size_t count) {
  {
    std::lock_guard lock(mutex_);
    warm_target_ = std::max(warm_target_, std::min(count, config_.max_decoders));
    // A warmed pool stays warm: the refiller replaces workers that die.
    if (!refiller_.joinable() && !stopping_) refiller_ = std::thread([this] { refill_loop(); });
  }
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (idle_.size() + starting_ >= count || workers_.size() + starting_ >= config_.max_decoders) return;
      ++starting_;
    }
    std::unique_ptr<SpeechWorkerProcess> worker;
    try {
      worker = start_worker();
    } catch (...) {
      std::lock_guard lock(mutex_);
      --starting_;
      throw;
    }
    std::lock_guard lock(mutex_);
    --starting_;
    idle_.push_back(worker.get());
    workers_.push_back({std::move(worker), 0});
    returned_.notify_one();
  }
}

RecognizerLease RecognizerPool::acquire(std::optional<std::chrono::milliseconds> wait) {
  std::vector<std::unique_ptr<SpeechWorkerProcess>> dead;  // reaped after the mutex is released
  std::unique_lock lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() + wait.value_or(std::chrono::milliseconds(0));
  for (;;) {
    while (!idle_.empty()) {
      SpeechWorkerProcess* w = idle_.back();
      idle_.pop_back();
      if (w->usable()) return lend(w);
      log::warn("speech recognizer worker died while idle", {{"pid", w->pid()}});
      dead.push_back(remove_broken(w));
    }
    if (workers_.size() + starting_ < config_.max_decoders) break;
    if (!wait) returned_.wait(lock);
    else if (returned_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty())
      throw RecognizerFailure("all " + std::to_string(config_.max_decoders) + " speech recognizers are busy");
  }
  ++starting_;
  lock.unlock();
  log::warn("speech recognizer pool empty: starting a decoder on the request path",
            {{"max_decoders", config_.max_decoders}});
  std::unique_ptr<SpeechWorkerProcess> worker;
  try {
    worker = start_worker();
  } catch (...) {
    std::lock_guard relock(mutex_);
    --starting_;
    returned_.notify_one();
    throw;
  }
  std::lock_guard relock(mutex_);
  --starting_;
  SpeechWorkerProcess* w = worker.get();
  workers_.push_back({std::move(worker), 0});
  return lend(w);
}

void RecognizerPool::give_back(SpeechWorkerProcess* worker, uint64_t lease_id, bool broken) noexcept {
  std::unique_ptr<SpeechWorkerProcess> gone;  // ended after the mutex is released: reaping may take a moment
  std::lock_guard lock(mutex_);
  auto it = std::find_if(workers_.begin(), workers_.end(), [&](const Slot& s) { return s.worker.get() == worker; });
  if (it == workers_.end() || it->lease != lease_id) {
    log::error("speech recognizer decoder returned by a lease that does not hold it; refused",
               {{"lease", lease_id}, {"holder", it == workers_.end() ? 0 : it->lease}});
    return;
  }
  if (broken || worker->failed()) {
    // Its state is unknown after a failed call: never lend it again.
    gone = remove_broken(worker);
    log::warn("speech recognizer worker failed and was discarded", {{"pid", worker->pid()}, {"decoders", workers_.size()}});
  } else {
    it->lease = 0;
    idle_.push_back(worker);
  }
  returned_.notify_one();
}

size_t RecognizerPool::idle_count() const {
  std::lock_guard lock(mutex_);
  return idle_.size();
}

size_t RecognizerPool::total_count() const {
  std::lock_guard lock(mutex_);
  return workers_.size();
}

size_t RecognizerPool::in_use_count() const {
  std::lock_guard lock(mutex_);
  return workers_.size() - idle_.size();
}

uint64_t RecognizerPool::worker_restarts() const {
  std::lock_guard lock(mutex_);
  return restarts_;
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
