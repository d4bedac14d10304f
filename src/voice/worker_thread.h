// A thread that runs posted tasks one at a time, in order. The realtime
// session runs its state machine on one (so events leave in order) and its
// speech synthesis on another.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace prism::voice {

class WorkerThread {
 public:
  explicit WorkerThread(std::string name);
  ~WorkerThread();  // stop()
  WorkerThread(const WorkerThread&) = delete;
  WorkerThread& operator=(const WorkerThread&) = delete;

  // Queues a task; returns false (and drops it) once stopped.
  bool post(std::function<void()> task);
  // Drops queued tasks, waits for the running one, joins. Idempotent; a
  // no-op join when called from the worker itself.
  void stop();
  // Waits until every task posted before this call has run.
  void drain();
  bool on_this_thread() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  void run();
  std::string name_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  bool busy_ = false;
  std::thread thread_;
};

}  // namespace prism::voice
