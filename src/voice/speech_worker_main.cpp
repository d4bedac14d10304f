// prism-speech-worker: one PocketSphinx decoder in its own process, driven
// by prism over the socket it inherits on fd 3 (speech_worker_protocol.h).
// PocketSphinx can abort (assert) on input we do not know of (issue #10); in
// here such an abort ends one worker, which the server sees as a dead peer,
// reports as a failed turn and replaces, instead of ending the server.
//
//   prism-speech-worker --model-dir DIR [--second-pass yes|no] [--samprate 16000]
//
// Built as its own executable next to `prism`, not part of prism_voice.
#include <pocketsphinx.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

#include "voice/speech_worker_protocol.h"

extern "C" FILE* err_set_logfp(FILE* stream);  // sphinxbase/err.h (not on the default include path)

namespace {

namespace sw = prism::voice::speech_worker;

struct Options {
  std::string model_dir = "/usr/share/pocketsphinx/model/en-us";
  std::string second_pass = "no";
  std::string samprate = "16000";
};

bool reply(sw::Kind kind, std::string_view text = {}) {
  return sw::write_frame(sw::kChannelFd, kind, text).status == sw::IoStatus::ok;
}
bool ok(std::string_view text = {}) { return reply(sw::Kind::ok, text); }
bool failure(std::string_view message) { return reply(sw::Kind::failure, message); }

// Starts the decoder, or says why not (an empty string: it started).
std::string start(const Options& o, ps_decoder_t*& decoder) {
  namespace fs = std::filesystem;
  const fs::path dir = o.model_dir;
  const std::string hmm = (dir / "en-us").string(), lm = (dir / "en-us.lm.bin").string(),
                    dict = (dir / "cmudict-en-us.dict").string();
  for (const auto& p : {hmm, lm, dict})
    if (!fs::exists(p)) return "speech recognition model missing: " + p + " (install pocketsphinx-en-us)";
  // Options as one argument vector: setting yes/no options one by one
  // crashes this PocketSphinx version. Its log is off: the server's log is
  // JSON lines, and its INFO chatter would only bury them (assertions still
  // reach stderr).
  err_set_logfp(nullptr);
  const char* argv[] = {"-hmm",     hmm.c_str(),           "-lm",       lm.c_str(),
                        "-dict",    dict.c_str(),          "-fwdflat",  o.second_pass.c_str(),
                        "-bestpath", o.second_pass.c_str(), "-samprate", o.samprate.c_str()};
  cmd_ln_t* config = cmd_ln_parse_r(nullptr, ps_args(), static_cast<int32>(std::size(argv)),
                                    const_cast<char**>(argv), FALSE);
  if (!config) return "PocketSphinx: invalid decoder options";
  decoder = ps_init(config);
  cmd_ln_free_r(config);  // the decoder keeps its own reference
  if (!decoder) return "PocketSphinx: cannot start a decoder from " + o.model_dir;
  return {};
}

std::string hypothesis(ps_decoder_t* decoder) {
  int32 score = 0;
  const char* hyp = ps_get_hyp(decoder, &score);
  return hyp ? hyp : "";
}

// Serves requests until EOF; false when the socket failed otherwise.
bool serve(ps_decoder_t* decoder) {
  bool in_utterance = false;
  sw::Frame request;
  for (;;) {
    sw::IoResult r = sw::read_frame(sw::kChannelFd, request);
    if (r.status == sw::IoStatus::closed) return true;  // prism let go of us
    if (r.status != sw::IoStatus::ok) {
      std::fprintf(stderr, "prism-speech-worker: %s; exiting\n", sw::describe(r).c_str());
      return false;
    }
    bool sent = false;
    switch (request.kind) {
      case sw::Kind::start_utterance:
        // The server checks these rules too; a worker that met a request
        // out of order answers with a failure rather than letting
        // PocketSphinx assert.
        if (in_utterance) sent = failure("an utterance is already running");
        else if (ps_start_utt(decoder) < 0) sent = failure("PocketSphinx: cannot start an utterance");
        else {
          in_utterance = true;
          sent = ok();
        }
        break;
      case sw::Kind::feed: {
        if (!in_utterance) {
          sent = failure("fed outside an utterance");
          break;
        }
        auto audio = sw::as_samples(request.payload);
        bool decoded = true;
        for (size_t at = 0; at < audio.size() && decoded; at += sw::kMaxSamplesPerDecode) {
          size_t n = std::min(sw::kMaxSamplesPerDecode, audio.size() - at);
          decoded = ps_process_raw(decoder, audio.data() + at, n, FALSE, FALSE) >= 0;
        }
        sent = decoded ? ok() : failure("PocketSphinx: decoding failed");
        break;
      }
      case sw::Kind::partial:
        sent = ok(in_utterance ? hypothesis(decoder) : std::string());
        break;
      case sw::Kind::finish:
        if (!in_utterance) {
          sent = failure("no utterance to finish");
          break;
        }
        in_utterance = false;
        sent = ps_end_utt(decoder) < 0 ? failure("PocketSphinx: cannot end the utterance") : ok(hypothesis(decoder));
        break;
      case sw::Kind::cancel:
        if (in_utterance) {
          in_utterance = false;
          if (ps_end_utt(decoder) < 0) {
            sent = failure("PocketSphinx: cannot end the utterance");
            break;
          }
        }
        sent = ok();
        break;
      case sw::Kind::prime: {
        // As one whole utterance, as the in-process decoders were primed:
        // it seeds the running cepstral mean (RecognizerPool::set_priming_audio).
        auto audio = sw::as_samples(request.payload);
        if (in_utterance) sent = failure("cannot prime inside an utterance");
        else if (audio.empty() || ps_start_utt(decoder) < 0) sent = ok();
        else {
          ps_process_raw(decoder, audio.data(), audio.size(), FALSE, TRUE);
          ps_end_utt(decoder);
          sent = ok();
        }
        break;
      }
      default:
        sent = failure("unknown request " + std::to_string(static_cast<int>(request.kind)));
    }
    if (!sent) return true;  // prism is gone; nobody to tell
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "prism-speech-worker: %s needs a value\n", argv[i]);
      return 2;
    }
    if (arg == "--model-dir") options.model_dir = argv[++i];
    else if (arg == "--second-pass") options.second_pass = argv[++i];
    else if (arg == "--samprate") options.samprate = argv[++i];
    else {
      std::fprintf(stderr, "prism-speech-worker: unknown option %s (it is started by prism serve)\n", argv[i]);
      return 2;
    }
  }
  ps_decoder_t* decoder = nullptr;
  if (std::string why = start(options, decoder); !why.empty()) {
    failure(why);
    return 1;
  }
  if (!ok("ready")) {
    ps_free(decoder);
    return 1;
  }
  bool clean = serve(decoder);
  ps_free(decoder);
  return clean ? 0 : 1;
}
