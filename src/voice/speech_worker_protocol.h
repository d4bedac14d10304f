// The frames between prism and a prism-speech-worker process (one
// PocketSphinx decoder, speech_worker_main.cpp) over an AF_UNIX stream
// socket: [u32 payload length, host order][u8 kind][payload]. The worker
// speaks first (ok "ready", or a failure saying why it cannot start), then
// answers every request with exactly one reply, in order; it exits when its
// end of the socket reads EOF. Both sides are on one machine, so samples go
// in host byte order.
//
// The helpers never raise SIGPIPE and never wait past their deadline, so a
// dead or stopped peer is a status, never a hang or a signal.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace prism::voice::speech_worker {

constexpr int kChannelFd = 3;               // the worker's end of the socket
constexpr uint32_t kMaxPayload = 8u << 20;  // bytes; a longer frame is malformed
// The most audio the worker hands PocketSphinx per ps_process_raw (100 ms;
// issue #10: one call with seconds of audio aborted the decoder).
constexpr size_t kMaxSamplesPerDecode = 1600;
// The most audio one feed request carries (the worker splits it further):
// bounds the work behind one reply well under the reply timeout.
constexpr size_t kMaxSamplesPerFeed = 16000;

enum class Kind : uint8_t {
  // requests, prism -> worker
  start_utterance = 1,  // empty
  feed = 2,             // PCM16 mono 16 kHz, within an utterance
  partial = 3,          // -> ok(best hypothesis so far), "" outside an utterance
  finish = 4,           // -> ok(final transcript); ends the utterance
  cancel = 5,           // ends a running utterance, if any, dropping its result
  prime = 6,            // PCM16: decoded once as a whole utterance, result dropped
  // replies, worker -> prism
  ok = 0x80,       // text, maybe empty
  failure = 0x81,  // a message for a person
};

struct Frame {
  Kind kind{};
  std::string payload;
};

enum class IoStatus {
  ok,
  closed,     // EOF, EPIPE or ECONNRESET: the peer is gone
  timed_out,  // the deadline passed first
  malformed,  // a length beyond kMaxPayload
  failed,     // another errno
};
struct IoResult {
  IoStatus status = IoStatus::ok;
  int error = 0;  // errno, for failed
};

using Clock = std::chrono::steady_clock;
using Deadline = std::optional<Clock::time_point>;  // nullopt: no limit

IoResult write_frame(int fd, Kind kind, std::string_view payload, Deadline deadline = std::nullopt);
IoResult read_frame(int fd, Frame& out, Deadline deadline = std::nullopt);

// Samples as a payload (a view of them), and back (a copy; a trailing odd
// byte is dropped).
std::string_view as_payload(std::span<const int16_t> samples);
std::vector<int16_t> as_samples(std::string_view payload);

std::string describe(IoResult result);  // "peer closed the socket", "timed out", ...

}  // namespace prism::voice::speech_worker
