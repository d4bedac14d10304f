// The decoder rules of RecognizerLease / RecognizerPool, one test per rule:
// a PocketSphinx decoder driven outside them aborts the whole server
// (issue #10), so each is checked and refused with RecognizerMisuse.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "voice/resampler.h"
#include "voice/speech_recognizer.h"
#include "voice/speech_synthesizer.h"

namespace prism::voice {
namespace {

std::vector<int16_t> speech_16k(const std::string& text) {
  SpeechSynthesizer tts("slt");
  return resample(tts.synthesize(text), tts.sample_rate(), 16000);
}

class RecognizerLeaseTest : public ::testing::Test {
 protected:
  RecognizerPool pool_;
};

TEST_F(RecognizerLeaseTest, FeedingOutsideAnUtteranceIsRefused) {
  auto lease = pool_.acquire();
  std::vector<int16_t> audio(320, 0);
  EXPECT_THROW(lease.feed(audio), RecognizerMisuse);  // before it started
  lease.start_utterance();
  lease.feed(audio);
  lease.finish();
  EXPECT_THROW(lease.feed(audio), RecognizerMisuse);  // after it ended
  EXPECT_EQ(lease.partial(), "");
}

TEST_F(RecognizerLeaseTest, UtterancesDoNotNest) {
  auto lease = pool_.acquire();
  lease.start_utterance();
  EXPECT_THROW(lease.start_utterance(), RecognizerMisuse);
  lease.cancel_utterance();
  EXPECT_FALSE(lease.in_utterance());
  EXPECT_THROW(lease.finish(), RecognizerMisuse);  // nothing to finish
  lease.start_utterance();  // a fresh one is fine
  EXPECT_TRUE(lease.in_utterance());
}

TEST_F(RecognizerLeaseTest, AnEndedLeaseCannotBeUsed) {
  auto lease = pool_.acquire();
  RecognizerLease moved = std::move(lease);
  EXPECT_THROW(lease.start_utterance(), RecognizerMisuse);  // NOLINT(bugprone-use-after-move): the point
  EXPECT_THROW(lease.partial(), RecognizerMisuse);
  moved.start_utterance();
  EXPECT_EQ(moved.finish(), "");
}

TEST_F(RecognizerLeaseTest, UseFromTwoThreadsAtOnceIsRefused) {
  auto audio = speech_16k("This sentence is long enough to keep the decoder busy for a while, and then some more.");
  std::vector<int16_t> long_audio;
  for (int i = 0; i < 3; ++i) long_audio.insert(long_audio.end(), audio.begin(), audio.end());
  auto lease = pool_.acquire();
  lease.start_utterance();
  std::atomic<bool> feeding{true};
  std::thread feeder([&] {
    for (;;) {
      try {
        lease.feed(long_audio);  // one long call
        break;
      } catch (const RecognizerMisuse&) {  // the main thread got in first: try again
      }
    }
    feeding = false;
  });
  int refused = 0;
  while (feeding) {
    try {
      lease.partial();
    } catch (const RecognizerMisuse&) {
      ++refused;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  feeder.join();
  EXPECT_GT(refused, 0) << "a second thread got into the decoder while the first fed it";
  EXPECT_FALSE(lease.finish().empty());
}

TEST_F(RecognizerLeaseTest, ADecoderIsLentToOneLeaseAtATime) {
  pool_.warm(1);
  auto a = pool_.acquire();
  auto b = pool_.acquire();  // none idle: a second decoder is started
  EXPECT_EQ(pool_.total_count(), 2u);
  EXPECT_EQ(pool_.in_use_count(), 2u);
  { RecognizerLease gone = std::move(a); }
  EXPECT_EQ(pool_.in_use_count(), 1u);
  EXPECT_EQ(pool_.idle_count(), 1u);
  auto c = pool_.acquire();  // the returned one, not b's
  c.start_utterance();
  b.start_utterance();  // both usable side by side: different decoders
  EXPECT_EQ(c.finish(), "");
  EXPECT_EQ(b.finish(), "");
  EXPECT_EQ(pool_.total_count(), 2u);
}

TEST_F(RecognizerLeaseTest, AnAbandonedDecoderIsDiscardedNotLentAgain) {
  pool_.warm(1);
  int abandoned = -1;
  {
    auto lease = pool_.acquire();
    abandoned = lease.worker_pid();
    lease.start_utterance();
    lease.abandon();
    EXPECT_TRUE(lease.broken());
    EXPECT_THROW(lease.feed(std::vector<int16_t>(320, 0)), RecognizerMisuse);
  }
  EXPECT_EQ(pool_.in_use_count(), 0u);
  EXPECT_EQ(pool_.worker_restarts(), 1u);
  auto fresh = pool_.acquire();  // a new decoder (the replacement, or one started now)
  EXPECT_NE(fresh.worker_pid(), abandoned);
  fresh.start_utterance();
  EXPECT_EQ(fresh.finish(), "");
}

TEST_F(RecognizerLeaseTest, ABoundedAcquireFailsWhenEveryDecoderIsLent) {
  RecognizerConfig config;
  config.max_decoders = 1;
  RecognizerPool one(config);
  auto held = one.acquire();
  EXPECT_THROW(one.acquire(std::chrono::milliseconds(50)), RecognizerFailure);
  { RecognizerLease gone = std::move(held); }
  auto again = one.acquire(std::chrono::milliseconds(50));  // returned: lent at once
  EXPECT_EQ(one.in_use_count(), 1u);
}

TEST_F(RecognizerLeaseTest, MissingModelIsAClearError) {
  RecognizerConfig config;
  config.model_dir = "/nonexistent/model";
  RecognizerPool broken(config);
  try {
    broken.acquire();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/model"), std::string::npos) << e.what();
  }
  EXPECT_EQ(broken.total_count(), 0u);
}

}  // namespace
}  // namespace prism::voice
