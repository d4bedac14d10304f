// Decoders run in prism-speech-worker processes (issue #10: PocketSphinx
// aborted the whole server). Whatever happens to a worker -- killed mid
// utterance, stopped, missing -- this process (the server) lives, the call
// fails with a RecognizerFailure that says what happened, the dead worker is
// reaped, and the pool replaces it with one that recognises speech.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "voice/resampler.h"
#include "voice/speech_recognizer.h"
#include "voice/speech_synthesizer.h"
#include "voice/word_error_rate.h"

namespace prism::voice {
namespace {

using namespace std::chrono_literals;

const char* const kSentence = "the weather is nice today and we can go for a walk in the park";

std::vector<int16_t> speech_16k(const std::string& text) {
  SpeechSynthesizer tts("slt");
  return resample(tts.synthesize(text), tts.sample_rate(), 16000);
}

// /proc/<pid>/stat: "pid (comm) S ppid ..." ('?' when the process is gone).
struct ProcStat {
  char state = '?';
  int ppid = -1;
};
ProcStat proc_stat(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ProcStat s;
  auto close = text.rfind(')');
  if (close == std::string::npos) return s;
  std::istringstream rest(text.substr(close + 1));
  rest >> s.state >> s.ppid;
  return s;
}
bool dead(int pid) { char st = proc_stat(pid).state; return st == 'Z' || st == '?'; }
bool reaped(int pid) { return proc_stat(pid).state == '?'; }

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit = 60s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// Recognises `audio` on `lease` as a live stream would (100 ms feeds).
std::string recognize_on(RecognizerLease& lease, std::span<const int16_t> audio) {
  lease.start_utterance();
  for (size_t at = 0; at < audio.size(); at += 1600) lease.feed(audio.subspan(at, std::min<size_t>(1600, audio.size() - at)));
  return lease.finish();
}

TEST(RecognizerWorker, DecodersRunInChildProcesses) {
  RecognizerPool pool;
  auto lease = pool.acquire();
  ASSERT_GT(lease.worker_pid(), 0);
  EXPECT_NE(lease.worker_pid(), ::getpid());
  EXPECT_EQ(proc_stat(lease.worker_pid()).ppid, ::getpid());
}

class WorkerKilledMidUtterance : public ::testing::TestWithParam<int> {};

TEST_P(WorkerKilledMidUtterance, FailsTheCallNotTheServerAndIsReplaced) {
  const int signal = GetParam();
  const std::string name = std::string("SIG") + sigabbrev_np(signal);
  RecognizerPool pool;
  pool.warm(1);
  auto audio = speech_16k(kSentence);
  const auto half = std::span<const int16_t>(audio).first(audio.size() / 2);
  int pid = -1;
  {
    auto lease = pool.acquire();
    pid = lease.worker_pid();
    lease.start_utterance();
    lease.feed(half);
    EXPECT_FALSE(lease.partial().empty());
    ASSERT_EQ(::kill(pid, signal), 0);
    ASSERT_TRUE(eventually([&] { return dead(pid); })) << "the " << name << " did not land";
    try {
      lease.feed(std::span<const int16_t>(audio).subspan(half.size()));
      FAIL() << "feeding a dead worker succeeded";
    } catch (const RecognizerFailure& e) {
      EXPECT_NE(std::string(e.what()).find("speech recognizer worker died (" + name + ")"), std::string::npos)
          << e.what();
    }
    EXPECT_TRUE(lease.broken());
    EXPECT_THROW(lease.start_utterance(), RecognizerFailure);  // this turn is over
  }
  EXPECT_TRUE(reaped(pid)) << "the dead worker was left a zombie";
  EXPECT_EQ(pool.in_use_count(), 0u);
  EXPECT_EQ(pool.worker_restarts(), 1u);
  ASSERT_TRUE(eventually([&] { return pool.idle_count() == 1; })) << "no replacement was started";
  auto lease = pool.acquire();
  EXPECT_NE(lease.worker_pid(), pid);
  std::string hypothesis = recognize_on(lease, audio);
  WordErrors e = word_errors(kSentence, hypothesis);
  EXPECT_LE(e.rate(), 0.25) << hypothesis;
}

INSTANTIATE_TEST_SUITE_P(Signals, WorkerKilledMidUtterance, ::testing::Values(SIGABRT, SIGKILL),
                         [](const auto& info) { return std::string("SIG") + sigabbrev_np(info.param); });

TEST(RecognizerWorker, AWorkerThatDiesWhileIdleIsReplacedNotLent) {
  RecognizerPool pool;
  pool.warm(1);
  int pid = -1;
  { pid = pool.acquire().worker_pid(); }
  ASSERT_EQ(pool.idle_count(), 1u);
  ASSERT_EQ(::kill(pid, SIGABRT), 0);
  // The pool notices on its own (it looks at idle workers every second) ...
  EXPECT_TRUE(eventually([&] { return pool.worker_restarts() == 1 && reaped(pid); }));
  // ... and whichever worker is lent next is a live one.
  auto lease = pool.acquire();
  EXPECT_NE(lease.worker_pid(), pid);
  lease.start_utterance();
  EXPECT_EQ(lease.finish(), "");
}

TEST(RecognizerWorker, AWorkerThatStopsAnsweringIsKilledNotWaitedFor) {
  RecognizerConfig config;
  config.reply_timeout = 500ms;
  RecognizerPool pool(config);
  auto audio = speech_16k(kSentence);
  int pid = -1;
  {
    auto lease = pool.acquire();
    pid = lease.worker_pid();
    lease.start_utterance();
    ASSERT_EQ(::kill(pid, SIGSTOP), 0);
    const auto t0 = std::chrono::steady_clock::now();
    try {
      lease.feed(audio);
      FAIL() << "a stopped worker answered";
    } catch (const RecognizerFailure& e) {
      EXPECT_NE(std::string(e.what()).find("did not answer within 500 ms"), std::string::npos) << e.what();
    }
    // Bounded by the reply timeout, not by the stopped worker (generous:
    // this proves there is no hang, it does not time anything).
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  }
  EXPECT_TRUE(reaped(pid)) << "the stopped worker was not killed and reaped";
  EXPECT_EQ(pool.in_use_count(), 0u);
  auto fresh = pool.acquire();
  EXPECT_NE(fresh.worker_pid(), pid);
}

std::string start_error(RecognizerConfig config) {
  RecognizerPool pool(config);
  try {
    pool.acquire();
  } catch (const Error& e) {
    EXPECT_EQ(pool.total_count(), 0u);
    return e.what();
  }
  ADD_FAILURE() << "a pool without a working worker lent one";
  return {};
}

TEST(RecognizerWorker, AMissingOrWrongWorkerIsAClearError) {
  RecognizerConfig missing;
  missing.worker_path = "/nonexistent/prism-speech-worker";
  EXPECT_NE(start_error(missing).find("not found (or not executable): /nonexistent/prism-speech-worker"),
            std::string::npos);

  ::setenv("PRISM_SPEECH_WORKER", "/nonexistent/from-env", 1);
  std::string from_env = start_error({});
  ::unsetenv("PRISM_SPEECH_WORKER");
  EXPECT_NE(from_env.find("/nonexistent/from-env (from PRISM_SPEECH_WORKER)"), std::string::npos) << from_env;

  RecognizerConfig wrong;  // a program that exits without saying "ready"
  wrong.worker_path = "/bin/true";
  std::string not_ready = start_error(wrong);
  EXPECT_NE(not_ready.find("ended before it was ready (exit status 0)"), std::string::npos) << not_ready;

  RecognizerConfig no_model;
  no_model.model_dir = "/nonexistent/model";
  std::string model = start_error(no_model);
  EXPECT_NE(model.find("speech recognition model missing: /nonexistent/model"), std::string::npos) << model;
}

}  // namespace
}  // namespace prism::voice
