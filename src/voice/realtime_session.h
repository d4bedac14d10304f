// One OpenAI Realtime conversation, without the socket. The server creates a
// session per WebSocket, passes every text frame to handle_client_text(),
// and writes each string the session hands to `send` as a text frame.
//
// Threading: handle_client_text() may be called from any thread (normally
// the socket's); it only queues the frame. Events are processed one at a time
// on the session's own event thread, speech synthesis runs on a second
// thread, and reply callbacks arrive on the provider's threads; every server
// event is emitted from the event thread, so `send` is called from one
// thread at a time and in protocol order. `send` must not block for long
// and must not call close() or destroy the session.
//
// Audio path: base64 -> input format -> 16 kHz (libsoxr) -> WebRTC VAD with
// our turn logic -> PocketSphinx (pooled decoders, streaming) -> reply
// provider (router) -> clause chunker -> Flite (per clause, streamed) ->
// output format -> response.output_audio.delta.
#pragma once

#include <cstddef>
#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "voice/realtime_dialect.h"
#include "voice/reply_provider.h"

namespace prism::voice {

class RecognizerPool;

struct SessionLimits {
  size_t max_frame_bytes = 16u << 20;          // one text frame (an append of ~5.8 min of 24 kHz PCM16)
  int64_t max_buffered_audio_ms = 5 * 60'000;  // uncommitted input audio
  size_t max_queued_bytes = 48u << 20;         // frames received but not processed yet
  size_t max_conversation_items = 4096;
};

struct SessionOptions {
  // Derived by the server from the handshake; see realtime_dialect.h.
  Dialect dialect = Dialect::automatic;
  std::string model;  // ?model= of the URL; session.update may change it
  SessionLimits limits;
  RecognizerPool* recognizers = nullptr;  // nullptr: RecognizerPool::shared()
  // Send transcription deltas with the item_id announced in speech_started
  // while the user is still speaking (before the item is committed). Off:
  // deltas only after the commit.
  bool early_transcription_deltas = true;
  // Start the reply on the partial transcript once this much silence has
  // followed speech (server_vad with create_response), while the turn may
  // still go on; kept when the final transcript matches, else discarded.
  // 0 turns speculation off. Only applies when shorter than the session's
  // silence_duration_ms.
  int speculate_after_silence_ms = 200;
  // An append processed this far (or further) behind the real time of its
  // audio means the machine is overloaded: the turn being recognised
  // is dropped with an error rather than decoded, so the backlog drains and
  // the session's other events are answered soon (issue #10's soak).
  std::chrono::milliseconds max_input_lag{4000};
  // Called (on the event thread) with each turn's timing, for /metrics.
  std::function<void(const nlohmann::json& timing)> on_turn_timing;
};

class SessionCore;

class RealtimeSession {
 public:
  using Sender = std::function<void(std::string json_text)>;

  // Emits session.created at once (asynchronously, as the first event).
  RealtimeSession(Sender send, std::shared_ptr<ReplyProvider> replies, SessionOptions options = {});
  ~RealtimeSession();  // close()
  RealtimeSession(const RealtimeSession&) = delete;
  RealtimeSession& operator=(const RealtimeSession&) = delete;

  void handle_client_text(std::string_view frame);
  // A binary frame: the protocol carries only JSON text; answers an error.
  void handle_client_binary(size_t bytes);
  // Stops generation, synthesis and recognition, drops queued work, sends
  // nothing more, and returns when no thread of the session runs any more.
  void close();
  // Waits until every frame received so far is processed and the synthesis
  // queued for it has run (replies still streaming from the provider may
  // add more later). For tests and orderly shutdown.
  void wait_idle();

  const std::string& id() const;

 private:
  std::shared_ptr<SessionCore> core_;
};

}  // namespace prism::voice
