// One running prism-speech-worker (speech_worker_main.cpp): the process that
// holds one PocketSphinx decoder, seen from the server. It is spawned with
// posix_spawn (safe in a threaded server), talked to over a socketpair
// (speech_worker_protocol.h) and always reaped, never left a zombie.
//
// Nothing the worker does can hurt the server: a worker that dies is an EOF
// here (no SIGPIPE), one that stops answering is killed when its reply
// deadline passes, and both become a RecognizerFailure naming what happened
// ("speech recognizer worker died (SIGABRT)"). After a failure the process
// is not to be used again.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "voice/speech_worker_protocol.h"

namespace prism::voice {

struct SpeechWorkerOptions {
  std::string executable;  // locate_speech_worker()
  std::string model_dir;
  bool second_pass = false;
  std::chrono::milliseconds start_timeout{60000};  // spawn -> "ready" (ps_init; minutes are not unheard of under ASan)
  std::chrono::milliseconds reply_timeout{10000};  // any one request
};

class SpeechWorkerProcess {
 public:
  // Spawns the worker and waits for "ready". Throws Error naming the
  // executable, or the worker's own reason (a missing model file, say).
  explicit SpeechWorkerProcess(const SpeechWorkerOptions& options);
  ~SpeechWorkerProcess();  // closes the socket (the worker exits on EOF) and reaps it
  SpeechWorkerProcess(const SpeechWorkerProcess&) = delete;
  SpeechWorkerProcess& operator=(const SpeechWorkerProcess&) = delete;

  // One request and its reply's text, within `timeout` (default
  // reply_timeout). Throws RecognizerFailure when the worker refused (its
  // message), died (its signal or exit status) or did not answer in time
  // (then it is killed); after that the process is failed().
  std::string call(speech_worker::Kind request, std::string_view payload = {},
                   std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  // False once a call failed or the worker is known to have gone (its socket
  // hung up): cheap enough to ask before each lend.
  bool usable();
  bool failed() const { return failed_; }
  pid_t pid() const { return pid_; }

  // Ends the worker now (SIGKILL) instead of letting it exit on EOF.
  void kill_now();

 private:
  [[noreturn]] void fail(const std::string& why);
  // Waits up to `grace` for the worker to exit, then SIGKILLs it; returns
  // how it ended ("SIGABRT", "exit status 1").
  std::string reap(std::chrono::milliseconds grace);

  pid_t pid_ = -1;
  int fd_ = -1;
  bool failed_ = false;
  bool reaped_ = false;
  std::string end_;  // how it ended, once reaped
  std::chrono::milliseconds reply_timeout_;
};

// Where prism-speech-worker is: `configured` if set, else $PRISM_SPEECH_WORKER,
// else next to the running executable, else the build tree's copy (so test
// binaries find it). Throws Error when none of them exists.
std::string locate_speech_worker(const std::string& configured = {});

}  // namespace prism::voice
