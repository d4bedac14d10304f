// What running PocketSphinx in a worker process costs (issue #10): the same
// audio decoded by a pooled RecognizerLease (a prism-speech-worker behind a
// socket) and by a PocketSphinx decoder in this process, side by side and
// interleaved, so both see the same machine load. Prints medians:
//   - the round trip of an empty request (partial, nothing decoded yet),
//   - one 20 ms and one 100 ms feed,
//   - one turn as a session drives it (20 ms feeds, a partial every 100 ms,
//     finish), and its finish alone (end of speech -> final transcript);
// and checks that both sides transcribe every turn identically.
//
//   recognizer_worker_bench [rounds]   (default 20)
#include <pocketsphinx.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "voice/resampler.h"
#include "voice/speech_recognizer.h"
#include "voice/speech_synthesizer.h"

extern "C" FILE* err_set_logfp(FILE* stream);

namespace {

using namespace prism::voice;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The decoder as prism ran it in process before the worker (same options).
ps_decoder_t* in_process_decoder() {
  err_set_logfp(nullptr);
  const std::string dir = "/usr/share/pocketsphinx/model/en-us/";
  const std::string hmm = dir + "en-us", lm = dir + "en-us.lm.bin", dict = dir + "cmudict-en-us.dict";
  const char* argv[] = {"-hmm", hmm.c_str(), "-lm", lm.c_str(), "-dict", dict.c_str(),
                        "-fwdflat", "no", "-bestpath", "no", "-samprate", "16000"};
  cmd_ln_t* config = cmd_ln_parse_r(nullptr, ps_args(), static_cast<int32>(std::size(argv)), const_cast<char**>(argv), FALSE);
  ps_decoder_t* d = ps_init(config);
  cmd_ln_free_r(config);
  if (!d) {
    std::fprintf(stderr, "cannot start an in-process decoder\n");
    std::exit(1);
  }
  return d;
}

struct Side {
  std::function<void()> start;
  std::function<void(std::span<const int16_t>)> feed;
  std::function<std::string()> partial;
  std::function<std::string()> finish;
};

struct Figures {
  std::vector<double> empty_rt, feed20, feed100, turn, finish;
  std::vector<std::string> transcripts;
};

void measure(Side& s, const std::vector<std::vector<int16_t>>& turns, Figures& f) {
  for (const auto& audio : turns) {
    s.start();
    auto t = Clock::now();
    s.partial();
    f.empty_rt.push_back(ms_since(t));
    t = Clock::now();
    s.feed(std::span(audio).first(320));
    f.feed20.push_back(ms_since(t));
    t = Clock::now();
    s.feed(std::span(audio).subspan(320, 1600));
    f.feed100.push_back(ms_since(t));
    s.finish();

    s.start();
    const auto turn0 = Clock::now();
    for (size_t at = 0; at < audio.size(); at += 320) {
      s.feed(std::span(audio).subspan(at, std::min<size_t>(320, audio.size() - at)));
      if ((at / 320) % 5 == 4) s.partial();
    }
    auto fin = Clock::now();
    f.transcripts.push_back(s.finish());
    f.finish.push_back(ms_since(fin));
    f.turn.push_back(ms_since(turn0));
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 20;
  SpeechSynthesizer tts("slt");
  std::vector<std::vector<int16_t>> turns;
  for (const char* text : {"the weather is nice today and we can go for a walk in the park",
                           "please call me back when you have time tomorrow morning",
                           "what time does the next train leave for the city"})
    turns.push_back(resample(tts.synthesize(text), tts.sample_rate(), 16000));
  double audio_ms = 0;
  for (const auto& t : turns) audio_ms += static_cast<double>(t.size()) / 16.0;

  RecognizerPool pool;
  pool.warm(1);
  RecognizerLease lease = pool.acquire();
  Side worker{[&] { lease.start_utterance(); }, [&](std::span<const int16_t> a) { lease.feed(a); },
              [&] { return lease.partial(); }, [&] { return lease.finish(); }};

  ps_decoder_t* d = in_process_decoder();
  auto hyp = [d] {
    int32 score = 0;
    const char* h = ps_get_hyp(d, &score);
    return std::string(h ? h : "");
  };
  Side local{[d] { ps_start_utt(d); }, [d](std::span<const int16_t> a) { ps_process_raw(d, a.data(), a.size(), FALSE, FALSE); },
             hyp, [d, hyp] { ps_end_utt(d); return hyp(); }};

  Figures fw, fl;
  for (int r = 0; r < rounds; ++r) {  // interleaved: both sides see the same load
    measure(worker, turns, fw);
    measure(local, turns, fl);
    std::fprintf(stderr, "\rround %d/%d", r + 1, rounds);
  }
  std::fprintf(stderr, "\n");
  ps_free(d);

  const double turn_s = audio_ms / static_cast<double>(turns.size()) / 1000;
  std::printf("recognizer: worker process vs in process, medians over %d rounds x %zu turns (%.1f s of speech each)\n",
              rounds, turns.size(), turn_s);
  std::printf("| step | worker ms | in-process ms | overhead ms |\n|---|---:|---:|---:|\n");
  auto row = [](const char* what, const std::vector<double>& w, const std::vector<double>& l) {
    std::printf("| %s | %.3f | %.3f | %+.3f |\n", what, median(w), median(l), median(w) - median(l));
  };
  row("empty request (partial, nothing decoded)", fw.empty_rt, fl.empty_rt);
  row("feed 20 ms", fw.feed20, fl.feed20);
  row("feed 100 ms", fw.feed100, fl.feed100);
  row("finish (end of speech -> transcript)", fw.finish, fl.finish);
  row("whole turn (20 ms feeds, partial / 100 ms, finish)", fw.turn, fl.turn);
  // Same options, same audio: the worker must hear exactly what the
  // in-process decoder hears.
  size_t same = 0;
  for (size_t i = 0; i < fw.transcripts.size(); ++i) same += fw.transcripts[i] == fl.transcripts[i];
  std::printf("identical transcripts: %zu/%zu (e.g. \"%s\")\n", same, fw.transcripts.size(),
              fw.transcripts.empty() ? "" : fw.transcripts[0].c_str());
  return same == fw.transcripts.size() ? 0 : 1;
}
