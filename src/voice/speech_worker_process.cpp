#include "voice/speech_worker_process.h"

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/log.h"
#include "voice/speech_recognizer.h"

extern char** environ;

namespace prism::voice {
namespace sw = speech_worker;
namespace {

constexpr const char* kWorkerName = "prism-speech-worker";
constexpr std::chrono::milliseconds kExitGrace{5000};  // a healthy worker frees its decoder and exits on EOF

std::string how_it_ended(int status) {
  if (WIFSIGNALED(status)) {
    const char* name = sigabbrev_np(WTERMSIG(status));
    return name ? std::string("SIG") + name : "signal " + std::to_string(WTERMSIG(status));
  }
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  return "status " + std::to_string(status);
}

bool executable(const std::string& path) { return !path.empty() && ::access(path.c_str(), X_OK) == 0; }

std::string ms(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

}  // namespace

SpeechWorkerProcess::SpeechWorkerProcess(const SpeechWorkerOptions& options) : reply_timeout_(options.reply_timeout) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    throw Error(std::string("speech recognizer worker: socketpair failed: ") + std::strerror(errno));
  fd_ = fds[0];

  std::vector<std::string> args = {options.executable, "--model-dir", options.model_dir, "--second-pass",
                                   options.second_pass ? "yes" : "no"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  // The child gets its end of the socket on kChannelFd and no other
  // descriptor of ours (listening sockets, other workers' sockets); stderr
  // stays shared so an assertion's text reaches the server's log.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], sw::kChannelFd);  // clears close-on-exec, even when equal
  posix_spawn_file_actions_addclosefrom_np(&actions, sw::kChannelFd + 1);
  // Its own process group, so a Ctrl-C meant for the server does not kill
  // the decoders under a draining session; an empty signal mask whatever
  // the spawning thread blocks.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);
  int rc = ::posix_spawn(&pid_, options.executable.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fd_);
    fd_ = -1;
    pid_ = -1;
    throw Error("cannot start the speech recognizer worker " + options.executable + ": " + std::strerror(rc));
  }

  sw::Frame hello;
  sw::IoResult r = sw::read_frame(fd_, hello, sw::Clock::now() + options.start_timeout);
  std::string why;
  if (r.status == sw::IoStatus::timed_out) {
    kill_now();
    why = "did not start within " + ms(options.start_timeout) + " (killed)";
  } else if (r.status != sw::IoStatus::ok) {
    why = "ended before it was ready (" + reap(kExitGrace) + ")";
  } else if (hello.kind == sw::Kind::failure) {
    why.clear();  // the worker's own words, below
  } else if (hello.kind != sw::Kind::ok) {
    kill_now();
    why = "sent an unexpected first frame";
  }
  if (r.status == sw::IoStatus::ok && hello.kind == sw::Kind::ok) {
    log::debug("speech recognizer worker ready", {{"pid", pid_}});
    return;
  }
  ::close(fd_);
  fd_ = -1;
  reap(kExitGrace);
  if (why.empty()) throw Error(hello.payload);  // "speech recognition model missing: ..."
  throw Error("speech recognizer worker " + options.executable + " " + why);
}

SpeechWorkerProcess::~SpeechWorkerProcess() {
  if (fd_ >= 0) ::close(fd_);  // EOF: a healthy worker exits
  if (pid_ <= 0 || reaped_) return;
  if (failed_) kill_now();  // its state is unknown: no point in waiting
  std::string how = reap(kExitGrace);
  if (failed_) log::warn("speech recognizer worker ended", {{"pid", pid_}, {"how", how}});
  else if (how != "exit status 0") log::warn("speech recognizer worker did not exit cleanly", {{"pid", pid_}, {"how", how}});
}

void SpeechWorkerProcess::kill_now() {
  if (pid_ > 0 && !reaped_) ::kill(pid_, SIGKILL);
}

std::string SpeechWorkerProcess::reap(std::chrono::milliseconds grace) {
  if (reaped_ || pid_ <= 0) return end_;
  const auto deadline = sw::Clock::now() + grace;
  auto nap = std::chrono::microseconds(200);
  for (;;) {
    int status = 0;
    pid_t got = ::waitpid(pid_, &status, sw::Clock::now() < deadline ? WNOHANG : 0);
    if (got == pid_) {
      end_ = how_it_ended(status);
      break;
    }
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {  // ECHILD: someone else reaped it (SIGCHLD ignored?)
      end_ = "gone";
      break;
    }
    if (sw::Clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);  // the blocking waitpid above returns at once after this
      continue;
    }
    std::this_thread::sleep_for(nap);
    nap = std::min<std::chrono::microseconds>(nap * 2, std::chrono::milliseconds(10));
  }
  reaped_ = true;
  return end_;
}

void SpeechWorkerProcess::fail(const std::string& why) {
  failed_ = true;
  log::error("speech recognizer worker failed", {{"pid", pid_}, {"error", why}});
  throw RecognizerFailure(why);
}

std::string SpeechWorkerProcess::call(sw::Kind request, std::string_view payload,
                                      std::optional<std::chrono::milliseconds> timeout) {
  if (failed_) throw RecognizerFailure("speech recognizer worker failed earlier");
  const auto limit = timeout.value_or(reply_timeout_);
  const auto deadline = sw::Clock::now() + limit;
  sw::IoResult r = sw::write_frame(fd_, request, payload, deadline);
  sw::Frame reply;
  if (r.status == sw::IoStatus::ok) r = sw::read_frame(fd_, reply, deadline);
  switch (r.status) {
    case sw::IoStatus::ok:
      break;
    case sw::IoStatus::closed:
      fail("speech recognizer worker died (" + reap(kExitGrace) + ")");
    case sw::IoStatus::timed_out:
      kill_now();
      reap(kExitGrace);
      fail("speech recognizer worker did not answer within " + ms(limit) + " (killed)");
    default:
      kill_now();
      reap(kExitGrace);
      fail("speech recognizer worker: " + sw::describe(r) + " (killed)");
  }
  if (reply.kind == sw::Kind::failure) fail(reply.payload);  // PocketSphinx refused; the worker is not trusted again
  if (reply.kind != sw::Kind::ok) {
    kill_now();
    reap(kExitGrace);
    fail("speech recognizer worker sent an unexpected reply (killed)");
  }
  return std::move(reply.payload);
}

bool SpeechWorkerProcess::usable() {
  if (failed_ || reaped_ || fd_ < 0) return false;
  // An idle worker's socket has nothing to read: anything there (a hang-up
  // when it died, or stray bytes) means it is not to be lent.
  pollfd p{fd_, POLLIN, 0};
  while (::poll(&p, 1, 0) < 0 && errno == EINTR) {}
  if (p.revents == 0) return true;
  failed_ = true;
  return false;
}

std::string locate_speech_worker(const std::string& configured) {
  namespace fs = std::filesystem;
  if (!configured.empty()) {
    if (!executable(configured)) throw Error("speech recognizer worker not found (or not executable): " + configured);
    return configured;
  }
  if (const char* env = std::getenv("PRISM_SPEECH_WORKER"); env && *env) {
    if (!executable(env))
      throw Error(std::string("speech recognizer worker not found (or not executable): ") + env +
                  " (from PRISM_SPEECH_WORKER)");
    return env;
  }
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  const std::string beside = ec ? std::string() : (self.parent_path() / kWorkerName).string();
  if (executable(beside)) return beside;
#ifdef PRISM_SPEECH_WORKER_BUILD_PATH
  if (executable(PRISM_SPEECH_WORKER_BUILD_PATH)) return PRISM_SPEECH_WORKER_BUILD_PATH;
#endif
  throw Error(std::string("speech recognizer worker ") + kWorkerName + " not found next to " +
              (beside.empty() ? "the prism executable" : self.string()) +
              "; build it (ninja prism-speech-worker) or set PRISM_SPEECH_WORKER");
}

}  // namespace prism::voice
