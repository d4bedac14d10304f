#include "voice/worker_thread.h"

#include "core/log.h"

namespace prism::voice {

WorkerThread::WorkerThread(std::string name) : name_(std::move(name)), thread_([this] { run(); }) {}

WorkerThread::~WorkerThread() { stop(); }

bool WorkerThread::post(std::function<void()> task) {
  std::lock_guard lock(mutex_);
  if (stopping_) return false;
  tasks_.push_back(std::move(task));
  wake_.notify_one();
  return true;
}

void WorkerThread::stop() {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    dropped.swap(tasks_);
    wake_.notify_all();
  }
  dropped.clear();  // destroy captured state outside the lock
  if (!thread_.joinable()) return;
  if (on_this_thread()) thread_.detach();  // owners must not destroy a worker from inside it
  else thread_.join();
}

void WorkerThread::drain() {
  if (on_this_thread()) return;
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [&] { return (tasks_.empty() && !busy_) || stopping_; });
}

void WorkerThread::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
    if (stopping_) break;
    auto task = std::move(tasks_.front());
    tasks_.pop_front();
    busy_ = true;
    lock.unlock();
    try {
      task();
    } catch (const std::exception& e) {
      log::error("voice worker task failed", {{"worker", name_}, {"error", e.what()}});
    }
    task = nullptr;
    lock.lock();
    busy_ = false;
    if (tasks_.empty()) idle_.notify_all();
  }
  busy_ = false;
  idle_.notify_all();
}

}  // namespace prism::voice
