// Internal to the realtime session: the state machine behind RealtimeSession.
// realtime_session.cpp holds the client events and the input audio path,
// realtime_response.cpp the response generation (reply, clauses, synthesis).
// Every method below runs on the event thread unless it says otherwise.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "voice/audio_format.h"
#include "voice/clause_chunker.h"
#include "voice/conversation.h"
#include "voice/realtime_session.h"
#include "voice/narrowband.h"
#include "voice/resampler.h"
#include "voice/session_settings.h"
#include "voice/speech_recognizer.h"
#include "voice/speech_segmenter.h"
#include "voice/speech_synthesizer.h"
#include "voice/turn_taking.h"
#include "voice/turn_timing.h"
#include "voice/worker_thread.h"

namespace prism::voice {

// Synthesis state shared with the synthesis thread for one response.
struct SynthesisJob {
  std::atomic<bool> cancelled{false};
  std::string voice;  // as the client named it
  SpeechSynthesizer synthesizer;
  AudioFormat output_format;
  Resampler resampler;  // synthesizer rate -> output rate (synthesis thread only)
  SynthesisJob(const std::string& voice_name, AudioFormat format)
      : voice(voice_name), synthesizer(voice_name), output_format(format),
        resampler(synthesizer.sample_rate(), format.sample_rate) {}
};

// Synthesized audio of one clause chunk, not sent yet.
struct HeldAudio {
  size_t clause_index;
  std::string clause;
  std::string base64;
  int64_t samples;
  TurnTiming::Clock::time_point synthesized_at;
};

// A reply started during the silence window on the partial transcript, before
// the turn is known to be over. Its text is cut into clauses and synthesized
// ahead, and everything is held back: adopted by the response when the final
// transcript matches (the audio goes out at once), discarded when the user
// keeps talking or the words differ.
struct Speculation {
  uint64_t generation = 0;
  std::string transcript;
  std::unique_ptr<ReplyHandle> reply;
  std::vector<std::string> deltas;  // the reply's text so far
  std::optional<ReplyUsage> done;
  std::optional<std::string> error;
  TurnTiming::Clock::time_point started;
  TurnTiming::Point first_token;
  TurnTiming::Point first_clause;
  // Audio sessions: synthesis runs ahead with the session's voice and format.
  std::shared_ptr<SynthesisJob> synthesis;
  ClauseChunker chunker;
  size_t clauses_queued = 0;
  std::vector<HeldAudio> audio;
  bool synthesis_finished = false;
  std::optional<std::string> synthesis_error;
};

struct ActiveResponse {
  std::string id;
  std::string item_id;
  uint64_t generation = 0;
  bool audio = true;  // output modality: audio + transcript, or text
  std::string voice;
  AudioFormat output_format;
  nlohmann::json metadata = nullptr;
  std::unique_ptr<ReplyHandle> reply;
  std::shared_ptr<SynthesisJob> synthesis;
  ClauseChunker chunker;
  size_t clauses_queued = 0;
  size_t clauses_started = 0;      // clauses whose audio has begun to go out
  std::string delivered;           // transcript / text actually sent
  int64_t samples_sent = 0;        // output audio samples sent
  bool reply_done = false;
  bool synthesis_done = false;
  ReplyUsage usage;
  TurnTiming timing;
  bool speculative = false;  // the reply started before the turn was over
};

class SessionCore : public std::enable_shared_from_this<SessionCore> {
 public:
  SessionCore(RealtimeSession::Sender send, std::shared_ptr<ReplyProvider> replies, SessionOptions options);
  ~SessionCore();

  // --- any thread ---
  void start();
  void receive_text(std::string_view frame);
  void receive_binary(size_t bytes);
  void close();
  void wait_idle();
  const std::string& id() const { return session_id_; }

  // --- event thread: protocol plumbing (realtime_session.cpp) ---
  void dispatch(const std::string& frame);
  void emit(nlohmann::json event);
  void emit_error(const std::string& code, const std::string& message, const std::string& param,
                  const std::string& client_event_id, const std::string& type = "invalid_request_error");
  std::string new_id(std::string_view prefix);
  std::string event_type(std::string_view ga_name) const { return event_name(dialect_, ga_name); }
  Dialect wire_dialect() const { return dialect_ == Dialect::beta ? Dialect::beta : Dialect::ga; }

  void on_session_update(const nlohmann::json& event);
  void on_append(const nlohmann::json& event, const std::string& event_id);
  void on_commit(const std::string& event_id);
  void on_clear();
  void on_item_create(const nlohmann::json& event, const std::string& event_id);
  void on_item_truncate(const nlohmann::json& event, const std::string& event_id);
  void on_item_delete(const nlohmann::json& event, const std::string& event_id);
  void on_item_retrieve(const nlohmann::json& event, const std::string& event_id);

  // --- event thread: input audio and turns (realtime_session.cpp) ---
  void apply_input_format();
  void feed_input(std::vector<int16_t> samples_16k);
  void on_speech_started(const SpeechEvent& e);
  void on_speech_stopped(const SpeechEvent& e);
  void start_recognition(size_t from_sample);
  // Speech resumed after recognition was ended early: decode the turn again.
  void resume_recognition();
  void maybe_send_partial_transcript();
  // Commits the input buffer as a user item; returns false when too short.
  // `idle_timeout`: the commit of silence after idle_timeout_ms, which gets a
  // response although it holds no words.
  bool commit_input(const std::string& client_event_id, bool from_vad, bool idle_timeout = false);
  // server_vad idle_timeout_ms: no speech since the last answer finished
  // playing triggers a response that invites the user to go on.
  void maybe_trigger_idle_timeout();
  void reset_input_buffer();
  // A recogniser failure ends the turn being spoken: its audio and decoder
  // are dropped, an `error` names the event, and the session goes on.
  void abandon_turn(const std::string& code, const std::string& why, const std::string& event_id);
  void drop_turn_behind();

  // --- event thread: responses (realtime_response.cpp) ---
  void on_response_create(const nlohmann::json& event, const std::string& event_id);
  void on_response_cancel(const std::string& event_id);
  void start_response(const nlohmann::json& params, TurnTiming timing,
                      std::unique_ptr<Speculation> adopted = nullptr);
  ReplyCallbacks reply_callbacks(uint64_t generation);
  void maybe_speculate();
  void drop_speculation();
  // semantic_vad: ends the turn once the pause is long enough for words that
  // look finished (turn_taking.h).
  void maybe_end_turn_early();
  void on_reply_delta(uint64_t generation, const std::string& delta);
  void on_reply_done(uint64_t generation, ReplyUsage usage);
  void on_reply_error(uint64_t generation, const std::string& message);
  // Synthesis of clause `index` (and the end of it) for the response or
  // speculation `generation`; the audio comes back through on_clause_audio.
  void queue_clause(std::shared_ptr<SynthesisJob> job, uint64_t generation, size_t index, const std::string& clause);
  void queue_synthesis_end(std::shared_ptr<SynthesisJob> job, uint64_t generation);
  void queue_response_clause(const std::string& clause);
  void on_clause_audio(uint64_t generation, size_t clause_index, const std::string& clause, std::string audio_base64,
                       int64_t samples, TurnTiming::Clock::time_point synthesized_at);
  void on_synthesis_done(uint64_t generation, std::optional<std::string> error);
  // Ends the active response with status completed / cancelled / failed.
  void finish_response(const std::string& status, const nlohmann::json& status_details);
  void cancel_response(const std::string& reason);
  nlohmann::json response_json(const ActiveResponse& r, const std::string& status, const nlohmann::json& details,
                               const nlohmann::json& output) const;

  // --- state (event thread only unless atomic) ---
  RealtimeSession::Sender send_;
  std::shared_ptr<ReplyProvider> replies_;
  SessionOptions options_;
  RecognizerPool* recognizers_;  // by input rate: wideband or narrowband (apply_input_format)
  std::string session_id_;
  std::string conversation_id_;
  Dialect dialect_;
  bool dialect_settled_ = false;
  SessionSettings settings_;
  Conversation conversation_;
  std::mt19937_64 random_;
  uint64_t next_event_ = 0;

  // Input audio.
  AudioFormat active_input_format_;
  std::unique_ptr<Resampler> input_resampler_;  // input rate -> 16 kHz
  NarrowbandConditioner narrowband_;            // for input below 16 kHz
  SpeechSegmenter segmenter_;
  std::vector<int16_t> buffer_16k_;   // uncommitted input, 16 kHz
  int64_t buffer_start_sample_ = 0;   // segmenter clock (16 kHz samples) at buffer_16k_[0]
  int64_t total_samples_16k_ = 0;     // all input audio fed so far
  std::optional<RecognizerLease> recognition_;
  size_t recognized_until_ = 0;       // buffer_16k_ samples fed to recognition
  size_t recognition_from_ = 0;       // buffer_16k_ sample where the utterance's recognition began
  // The final transcript when recognition was ended during a pause for a
  // speculative reply; reset (and the audio decoded again) if speech resumes.
  std::optional<std::string> early_final_;
  bool turn_abandoned_ = false;       // recognition failed in this turn (abandon_turn)
  size_t partial_checked_at_ = 0;
  std::string pending_item_id_;       // user item announced in speech_started
  std::string partial_sent_;          // transcription delta text already sent
  std::string last_partial_;          // previous partial hypothesis
  TurnTiming turn_timing_;
  TurnTiming::Clock::time_point frame_received_;  // arrival of the frame being processed
  // When the session's audio began, were it spoken in real time (moved on
  // when the client sends slower than real time, e.g. after a pause).
  std::optional<TurnTiming::Clock::time_point> audio_epoch_;
  std::chrono::milliseconds input_lag_{0};  // how far the append being processed is behind real time
  bool behind() const { return input_lag_ >= options_.max_input_lag; }
  int64_t append_end_ms_ = 0;                      // input audio clock at the end of that frame's audio

  // Output.
  std::unique_ptr<ActiveResponse> response_;
  std::unique_ptr<Speculation> speculation_;
  bool speculated_this_pause_ = false;
  int64_t early_end_checked_at_ms_ = 0;  // trailing silence at the last semantic check
  // Input audio clock (ms) at which the last answer's audio finished playing;
  // unset while someone speaks or an answer runs.
  std::optional<int64_t> idle_since_ms_;
  uint64_t generation_ = 0;
  // Per assistant item: (audio start ms, clause) as the audio went out, so
  // conversation.item.truncate can keep only the clauses that were heard.
  std::map<std::string, std::vector<std::pair<int64_t, std::string>>> spoken_clauses_;

  std::atomic<bool> closed_{false};
  std::atomic<size_t> queued_bytes_{0};
  WorkerThread events_{"voice-events"};
  WorkerThread synthesis_{"voice-synthesis"};
};

}  // namespace prism::voice
