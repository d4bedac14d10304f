// The speech stack end to end without the protocol: Flite speaks known
// sentences, the audio is resampled to 16 kHz, the VAD finds the speech
// boundaries, PocketSphinx transcribes it, and the word error rate stays
// under a regression floor. Also a real recording from pocketsphinx-testdata.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "voice/clause_chunker.h"
#include "voice/narrowband.h"
#include "voice/pcm16.h"
#include "voice/recognizer_warmup.h"
#include "voice/resampler.h"
#include "voice/speech_recognizer.h"
#include "voice/speech_segmenter.h"
#include "voice/speech_synthesizer.h"
#include "voice/wav.h"
#include "voice/word_error_rate.h"

namespace prism::voice {
namespace {

const char* const kSentences[] = {
    "the weather is nice today and we can go for a walk in the park",
    "please call me back when you have time tomorrow morning",
    "i would like to book a table for two people at seven",
    "what time does the next train leave for the city",
};

TEST(SpeechSynthesizer, ProducesAudibleSpeechInChunks) {
  SpeechSynthesizer tts("slt");
  EXPECT_EQ(tts.sample_rate(), 16000);
  size_t chunks = 0, samples = 0;
  bool completed = tts.synthesize("Hello there, this is a test of streaming synthesis.", [&](std::span<const int16_t> c) {
    ++chunks;
    samples += c.size();
    return true;
  });
  EXPECT_TRUE(completed);
  EXPECT_GT(chunks, 1u) << "Flite should stream more than one chunk";
  EXPECT_GT(samples, 16000u);  // over a second of speech
  // Stopping from the callback ends synthesis early.
  size_t stopped_after = 0;
  EXPECT_FALSE(tts.synthesize("This sentence is long enough to be cut off after its first chunk of audio.",
                              [&](std::span<const int16_t> c) {
                                stopped_after += c.size();
                                return false;
                              }));
  EXPECT_LT(stopped_after, samples);
  EXPECT_THROW(SpeechSynthesizer{"no-such-voice"}, InvalidInput);
  for (const char* v : {"rms", "awb", "alloy", "echo"}) EXPECT_GT(SpeechSynthesizer(v).synthesize("Yes.").size(), 1000u) << v;
}

TEST(SpeechSegmenter, FindsSpeechBoundariesInSynthesizedAudio) {
  SpeechSynthesizer tts("slt");
  auto speech = resample(tts.synthesize(kSentences[0]), tts.sample_rate(), 16000);
  // Trim Flite's own leading/trailing silence so the true boundaries are known.
  size_t first = 0, last = speech.size();
  while (first < speech.size() && std::abs(speech[first]) < 200) ++first;
  while (last > first && std::abs(speech[last - 1]) < 200) --last;
  const int64_t pad_ms = 700;
  std::vector<int16_t> audio(static_cast<size_t>(ms_to_samples(pad_ms, 16000)), 0);
  audio.insert(audio.end(), speech.begin() + static_cast<ptrdiff_t>(first), speech.begin() + static_cast<ptrdiff_t>(last));
  int64_t true_end_ms = samples_to_ms(static_cast<int64_t>(audio.size()), 16000);
  audio.resize(audio.size() + static_cast<size_t>(ms_to_samples(1500, 16000)), 0);

  SegmenterSettings settings;
  settings.prefix_padding_ms = 300;
  settings.silence_duration_ms = 500;
  SpeechSegmenter segmenter(settings);
  std::vector<SpeechEvent> events;
  for (size_t at = 0; at < audio.size(); at += 480) {  // 30 ms chunks, not frame aligned
    auto e = segmenter.feed(std::span(audio).subspan(at, std::min<size_t>(480, audio.size() - at)));
    events.insert(events.end(), e.begin(), e.end());
  }
  ASSERT_EQ(events.size(), 2u) << "one turn: started then stopped";
  EXPECT_EQ(events[0].kind, SpeechEvent::Kind::started);
  EXPECT_NEAR(static_cast<double>(events[0].speech_ms), pad_ms, 60);
  EXPECT_EQ(events[0].audio_ms, events[0].speech_ms - 300);
  EXPECT_EQ(events[1].kind, SpeechEvent::Kind::stopped);
  EXPECT_NEAR(static_cast<double>(events[1].speech_ms), static_cast<double>(true_end_ms), 120);
  EXPECT_GE(events[1].audio_ms - events[1].speech_ms, 500);
  EXPECT_LE(events[1].audio_ms - events[1].speech_ms, 520);
  std::printf("[ measured ] VAD start error %+lld ms, end error %+lld ms\n",
              static_cast<long long>(events[0].speech_ms - pad_ms),
              static_cast<long long>(events[1].speech_ms - true_end_ms));
}

TEST(SpeechRecognizer, TranscribesFliteSpeechUnderTheWerFloor) {
  RecognizerPool& pool = RecognizerPool::shared();
  auto t0 = std::chrono::steady_clock::now();
  pool.warm(1);
  double warm_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  SpeechSynthesizer tts("slt");
  WordErrors total;
  for (const char* sentence : kSentences) {
    auto audio = resample(tts.synthesize(sentence), tts.sample_rate(), 16000);
    RecognizerLease lease = pool.acquire();
    lease.start_utterance();
    std::string last_partial;
    size_t partials = 0;
    for (size_t at = 0; at < audio.size(); at += 3200) {  // 200 ms steps
      lease.feed(std::span(audio).subspan(at, std::min<size_t>(3200, audio.size() - at)));
      std::string p = lease.partial();
      if (!p.empty() && p != last_partial) ++partials;
      last_partial = p;
    }
    EXPECT_GT(partials, 0u) << "no partial hypotheses while streaming";
    std::string hypothesis = lease.finish();
    WordErrors e = word_errors(sentence, hypothesis);
    total.errors += e.errors;
    total.reference_words += e.reference_words;
    std::printf("[ measured ] ref: %s\n             hyp: %s (%zu errors)\n", sentence, hypothesis.c_str(), e.errors);
  }
  std::printf("[ measured ] Flite slt WER %.1f%% over %zu words; first decoder start %.0f ms\n", 100 * total.rate(),
              total.reference_words, warm_ms);
  // Issue 4 measured ~9-11% on clean Flite speech; the floor leaves margin.
  EXPECT_LT(total.rate(), 0.25);
  EXPECT_EQ(pool.idle_count(), pool.total_count()) << "every lease returned its decoder";
}

// Telephone audio: 8 kHz mu-law, as a G.711 session receives it, conditioned
// and recognised by decoders primed with such audio, as a session does
// (narrowband.h). Without either, these sentences measured 60-75% WER.
TEST(SpeechRecognizer, TranscribesTelephoneBandSpeech) {
  SpeechSynthesizer tts("slt");
  WordErrors total;
  for (const char* sentence : kSentences) {
    // With the ~300 ms of pause around it that a session's prefix padding keeps.
    std::vector<int16_t> call(4800, 0);
    auto speech = resample(tts.synthesize(sentence), tts.sample_rate(), 16000);
    call.insert(call.end(), speech.begin(), speech.end());
    call.resize(call.size() + 4800, 0);
    WordErrors e = word_errors(sentence, recognize(as_telephone_speech(call), narrowband_recognizers()));
    total.errors += e.errors;
    total.reference_words += e.reference_words;
  }
  std::printf("[ measured ] Flite slt over 8 kHz mu-law: WER %.1f%% over %zu words\n", 100 * total.rate(),
              total.reference_words);
  EXPECT_LT(total.rate(), 0.45);
}

TEST(SpeechRecognizer, TranscribesRealRecordings) {
  // Debian's pocketsphinx-testdata: LibriVox sentences read by a person,
  // with their reference transcription (file "transcription"). The three
  // shorter ones keep the sanitizer build fast; all five measured 26.8%.
  const std::filesystem::path dir = "/usr/share/pocketsphinx/test/data/librivox";
  if (!std::filesystem::exists(dir / "transcription")) GTEST_SKIP() << "pocketsphinx-testdata is not installed";
  std::ifstream in(dir / "transcription");
  std::string line;
  WordErrors total;
  size_t files = 0;
  while (std::getline(in, line)) {
    // "<s> words </s> (file_id)"
    auto open = line.find("<s> "), close = line.find(" </s>"), id_at = line.rfind('(');
    ASSERT_TRUE(open != std::string::npos && close != std::string::npos && id_at != std::string::npos) << line;
    std::string reference = line.substr(open + 4, close - open - 4);
    std::string id = line.substr(id_at + 1, line.size() - id_at - 2);
    if (id.ends_with("0870") || id.ends_with("0920")) continue;  // the two longest
    auto audio = read_wav_file((dir / (id + ".wav")).string());
    ASSERT_EQ(audio.sample_rate, 16000);
    std::string hypothesis = recognize(audio.samples);
    WordErrors e = word_errors(reference, hypothesis);
    total.errors += e.errors;
    total.reference_words += e.reference_words;
    ++files;
    std::printf("[ measured ] %s: %zu/%zu errors\n  ref: %s\n  hyp: %s\n", id.c_str(), e.errors, e.reference_words,
                reference.c_str(), hypothesis.c_str());
  }
  ASSERT_EQ(files, 3u);
  std::printf("[ measured ] real recordings WER %.1f%% over %zu words\n", 100 * total.rate(), total.reference_words);
  // Issue 4 measured ~21-25% on these recordings; the floor leaves margin.
  EXPECT_LT(total.rate(), 0.4);
}

TEST(WordErrorRate, CountsSubstitutionsDeletionsInsertions) {
  EXPECT_EQ(word_errors("the cat sat", "the cat sat").errors, 0u);
  EXPECT_EQ(word_errors("the cat sat", "The cat, sat!").errors, 0u);
  EXPECT_EQ(word_errors("the cat sat", "the bat sat").errors, 1u);
  EXPECT_EQ(word_errors("the cat sat", "the sat").errors, 1u);
  EXPECT_EQ(word_errors("the cat sat", "the cat sat down").errors, 1u);
  EXPECT_EQ(word_errors("a b c d", "").errors, 4u);
}

TEST(ClauseChunker, ReleasesClausesAsSoonAsTheyEnd) {
  ClauseChunker chunker;
  std::vector<std::string> got;
  auto push = [&](std::string_view d) {
    for (auto& c : chunker.push(d)) got.push_back(c);
  };
  push("Sure");
  push(", I can");
  EXPECT_TRUE(got.empty()) << "a one-word clause waits";
  push(" help with that, ");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], "Sure, I can help with that,");
  push("it costs 3.");
  EXPECT_EQ(got.size(), 1u) << "3. may be 3.5";
  push("5 dollars. Dr. Smith");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1], "it costs 3.5 dollars.");
  push(" agrees! **Great**");
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[2], "Dr. Smith agrees!");
  auto rest = chunker.flush();
  ASSERT_TRUE(rest);
  EXPECT_EQ(*rest, "Great");
  EXPECT_FALSE(chunker.flush());
  // No punctuation at all: cut at max_words.
  ClauseChunker small({.min_words_at_comma = 3, .max_words = 4});
  auto cut = small.push("one two three four five six ");
  ASSERT_EQ(cut.size(), 1u);
  EXPECT_EQ(cut[0], "one two three four");
  // The first clause is cut sooner than the rest.
  ClauseChunker early({.min_words_at_comma = 3, .max_words = 5, .first_max_words = 2});
  auto cuts = early.push("a b c d e f g h i j k l ");
  ASSERT_EQ(cuts.size(), 2u);
  EXPECT_EQ(cuts[0], "a b");
  EXPECT_EQ(cuts[1], "c d e f g");
}

}  // namespace
}  // namespace prism::voice
