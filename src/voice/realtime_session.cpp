#include "voice/realtime_session.h"

#include <algorithm>

#include "core/error.h"
#include "core/log.h"
#include "voice/base64.h"
#include "voice/pcm16.h"
#include "voice/recognizer_warmup.h"
#include "voice/realtime_session_core.h"

namespace prism::voice {

using nlohmann::json;

namespace {

constexpr int kRate16k = 16000;
constexpr int64_t kMinCommitMs = 100;              // the protocol's minimum for a commit
constexpr int64_t kIdleBufferKeepMs = 2000;        // silence kept while no one speaks (server_vad)
constexpr size_t kPartialEverySamples = 160 * 16;  // poll the recogniser every 160 ms of audio
constexpr std::chrono::milliseconds kRecognizerWait{10000};  // for a free decoder (starts take seconds under load), then the turn fails

// "field.path: message" -> "field.path" (the error's param), else "".
std::string param_of(const std::string& message) {
  auto colon = message.find(": ");
  if (colon == std::string::npos || colon == 0) return "";
  std::string head = message.substr(0, colon);
  return head.find(' ') == std::string::npos ? head : "";
}

// An oversized frame is not parsed; its event_id is looked for near the start.
std::string sniff_event_id(std::string_view frame) {
  auto head = frame.substr(0, 512);
  auto at = head.find("\"event_id\"");
  if (at == std::string_view::npos) return "";
  at = head.find('"', head.find(':', at) + 1);
  if (at == std::string_view::npos) return "";
  auto end = head.find('"', at + 1);
  if (end == std::string_view::npos) return "";
  return std::string(head.substr(at + 1, end - at - 1));
}

const std::string* string_member(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
}

}  // namespace

// ----------------------------------------------------------------- public API

RealtimeSession::RealtimeSession(Sender send, std::shared_ptr<ReplyProvider> replies, SessionOptions options)
    : core_(std::make_shared<SessionCore>(std::move(send), std::move(replies), std::move(options))) {
  core_->start();
}

RealtimeSession::~RealtimeSession() { close(); }
void RealtimeSession::handle_client_text(std::string_view frame) { core_->receive_text(frame); }
void RealtimeSession::handle_client_binary(size_t bytes) { core_->receive_binary(bytes); }
void RealtimeSession::close() { core_->close(); }
void RealtimeSession::wait_idle() { core_->wait_idle(); }
const std::string& RealtimeSession::id() const { return core_->id(); }

// ------------------------------------------------------------ any-thread side

SessionCore::SessionCore(RealtimeSession::Sender send, std::shared_ptr<ReplyProvider> replies, SessionOptions options)
    : send_(std::move(send)),
      replies_(std::move(replies)),
      options_(std::move(options)),
      recognizers_(options_.recognizers ? options_.recognizers : &RecognizerPool::shared()),
      dialect_(options_.dialect),
      random_(std::random_device{}()) {
  if (!send_) throw Error("realtime session needs a send function");
  if (!replies_) throw Error("realtime session needs a reply provider");
  session_id_ = new_id("sess_");
  conversation_id_ = new_id("conv_");
  settings_.model = options_.model;
  dialect_settled_ = dialect_ != Dialect::automatic;
  apply_input_format();
}

SessionCore::~SessionCore() { close(); }

void SessionCore::start() {
  events_.post([this] {
    emit({{"type", "session.created"}, {"session", settings_.to_json(wire_dialect(), session_id_)}});
  });
}

void SessionCore::receive_text(std::string_view frame) {
  if (closed_) return;
  if (frame.size() > options_.limits.max_frame_bytes) {
    std::string event_id = sniff_event_id(frame);
    size_t size = frame.size();
    events_.post([this, event_id, size] {
      emit_error("frame_too_large",
                 "The frame is " + std::to_string(size) + " bytes; the limit is " +
                     std::to_string(options_.limits.max_frame_bytes) + " bytes. Send audio in smaller appends.",
                 "", event_id);
    });
    return;
  }
  size_t queued = queued_bytes_.fetch_add(frame.size()) + frame.size();
  if (queued > options_.limits.max_queued_bytes) {
    queued_bytes_.fetch_sub(frame.size());
    std::string event_id = sniff_event_id(frame);
    events_.post([this, event_id] {
      emit_error("input_backlog_full",
                 "Events are arriving faster than the session can process them; this one was dropped.", "",
                 event_id);
    });
    return;
  }
  events_.post([this, text = std::string(frame), received = TurnTiming::Clock::now()] {
    queued_bytes_.fetch_sub(text.size());
    frame_received_ = received;
    dispatch(text);
  });
}

void SessionCore::receive_binary(size_t bytes) {
  if (closed_) return;
  events_.post([this, bytes] {
    emit_error("binary_frame_unsupported",
               "Binary frames are not part of the Realtime protocol (got " + std::to_string(bytes) +
                   " bytes); send JSON text events, with audio as base64 in input_audio_buffer.append.",
               "", "");
  });
}

void SessionCore::close() {
  if (closed_.exchange(true)) return;
  // Stop the model and the synthesizer first so no new work is produced.
  events_.post([this] {
    drop_speculation();
    if (response_) {
      if (response_->synthesis) response_->synthesis->cancelled = true;
      if (response_->reply) response_->reply->cancel();
    }
  });
  if (events_.on_this_thread() || synthesis_.on_this_thread()) return;  // the destructor finishes
  events_.drain();
  synthesis_.stop();
  events_.stop();
  speculation_.reset();
  response_.reset();
  recognition_.reset();  // the decoder goes back to the pool
}

void SessionCore::wait_idle() {
  // Synthesis posts audio back to the event thread: drain until both rest.
  for (int i = 0; i < 3; ++i) {
    events_.drain();
    synthesis_.drain();
  }
  events_.drain();
}

// -------------------------------------------------------- protocol plumbing

std::string SessionCore::new_id(std::string_view prefix) {
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string id(prefix);
  for (int i = 0; i < 20; ++i) id += kChars[random_() % 62];
  return id;
}

void SessionCore::emit(json event) {
  if (closed_) return;
  event["event_id"] = "event_" + std::to_string(++next_event_) + "_" + session_id_.substr(5, 6);
  send_(event.dump(-1, ' ', false, json::error_handler_t::replace));
}

void SessionCore::emit_error(const std::string& code, const std::string& message, const std::string& param,
                             const std::string& client_event_id, const std::string& type) {
  json error = {{"type", type}, {"code", code}, {"message", message}};
  error["param"] = param.empty() ? json(nullptr) : json(param);
  error["event_id"] = client_event_id.empty() ? json(nullptr) : json(client_event_id);
  emit({{"type", "error"}, {"error", error}});
}

void SessionCore::dispatch(const std::string& frame) {
  if (closed_) return;
  json event = json::parse(frame, nullptr, false);
  if (event.is_discarded()) {
    emit_error("invalid_json", "The event is not valid JSON.", "", sniff_event_id(frame));
    return;
  }
  if (!event.is_object()) {
    emit_error("invalid_event", "An event must be a JSON object.", "", "");
    return;
  }
  std::string event_id;
  if (const auto* id = string_member(event, "event_id")) event_id = *id;
  const auto* type = string_member(event, "type");
  if (!type) {
    emit_error("missing_required_parameter", "Missing required parameter: 'type'.", "type", event_id);
    return;
  }
  // With Dialect::automatic only a session.update that comes first may
  // change the dialect: a client that starts with anything else gets GA.
  if (*type != "session.update") dialect_settled_ = true;
  try {
    const std::string& t = *type;
    if (t == "session.update") on_session_update(event);
    else if (t == "input_audio_buffer.append") on_append(event, event_id);
    else if (t == "input_audio_buffer.commit") on_commit(event_id);
    else if (t == "input_audio_buffer.clear") on_clear();
    else if (t == "conversation.item.create") on_item_create(event, event_id);
    else if (t == "conversation.item.truncate") on_item_truncate(event, event_id);
    else if (t == "conversation.item.delete") on_item_delete(event, event_id);
    else if (t == "conversation.item.retrieve") on_item_retrieve(event, event_id);
    else if (t == "response.create") on_response_create(event, event_id);
    else if (t == "response.cancel") on_response_cancel(event_id);
    else if (t == "output_audio_buffer.clear")
      emit_error("unsupported_event", "output_audio_buffer.clear is only for WebRTC connections.", "type", event_id);
    else
      emit_error("invalid_value",
                 "Invalid value: '" + t +
                     "'. Supported values are: session.update, input_audio_buffer.append, input_audio_buffer.commit, "
                     "input_audio_buffer.clear, conversation.item.create, conversation.item.truncate, "
                     "conversation.item.delete, conversation.item.retrieve, response.create, response.cancel.",
                 "type", event_id);
  } catch (const InvalidInput& e) {
    emit_error("invalid_value", e.what(), param_of(e.what()), event_id);
  } catch (const RecognizerFailure& e) {
    abandon_turn("speech_recognition_failed", e.what(), event_id);
  } catch (const RecognizerMisuse& e) {
    abandon_turn("speech_recognition_failed", e.what(), event_id);
  } catch (const std::exception& e) {
    log::error("realtime event failed", {{"session", session_id_}, {"type", *type}, {"error", e.what()}});
    emit_error("server_error", std::string("The server failed to handle the event: ") + e.what(), "", event_id,
               "server_error");
  }
}

// ------------------------------------------------------------- client events

void SessionCore::on_session_update(const json& event) {
  auto it = event.find("session");
  if (it == event.end() || !it->is_object()) throw InvalidInput("session: missing required parameter (an object)");
  if (!dialect_settled_) {
    Dialect shape = dialect_of_session_shape(*it);
    if (shape != Dialect::automatic) dialect_ = shape;
    dialect_settled_ = true;
  }
  AudioFormat before = settings_.input_format;
  settings_.apply_update(*it, wire_dialect());
  if (!(settings_.input_format == before)) apply_input_format();
  SegmenterSettings seg;
  seg.threshold = settings_.turn_detection.threshold;
  seg.prefix_padding_ms = settings_.turn_detection.prefix_padding_ms;
  // The segmenter ends any turn after the longest window; semantic_vad may
  // end it sooner (maybe_end_turn_early).
  seg.silence_duration_ms = turn_windows(settings_.turn_detection, 0).unfinished_ms;
  segmenter_.set_settings(seg);
  emit({{"type", "session.updated"}, {"session", settings_.to_json(wire_dialect(), session_id_)}});
}

void SessionCore::on_append(const json& event, const std::string& event_id) {
  const auto* audio = string_member(event, "audio");
  if (!audio) throw InvalidInput("audio: missing required parameter (base64 audio in the session's input format)");
  std::vector<uint8_t> bytes;
  try {
    bytes = base64_decode(*audio);
  } catch (const InvalidInput& e) {
    throw InvalidInput(std::string("audio: ") + e.what());
  }
  if (bytes.size() % settings_.input_format.bytes_per_sample() != 0)
    throw InvalidInput("audio: " + std::to_string(bytes.size()) +
                       " bytes is not a whole number of 16-bit samples (the input format is PCM16)");
  auto samples = settings_.input_format.decode(bytes);
  int64_t incoming_ms = samples_to_ms(static_cast<int64_t>(samples.size()), settings_.input_format.sample_rate);
  int64_t buffered_ms = samples_to_ms(static_cast<int64_t>(buffer_16k_.size()), kRate16k);
  if (buffered_ms + incoming_ms > options_.limits.max_buffered_audio_ms) {
    emit_error("input_audio_buffer_full",
               "The input audio buffer would hold " + std::to_string(buffered_ms + incoming_ms) +
                   " ms; the limit is " + std::to_string(options_.limits.max_buffered_audio_ms) +
                   " ms. Commit or clear it. This audio was dropped.",
               "audio", event_id);
    return;
  }
  std::vector<int16_t> at16k;
  at16k.reserve(static_cast<size_t>(ms_to_samples(incoming_ms + 20, kRate16k)));
  input_resampler_->process(samples, at16k);
  if (settings_.input_format.sample_rate < kRate16k) narrowband_.condition(at16k);
  append_end_ms_ = samples_to_ms(total_samples_16k_ + static_cast<int64_t>(at16k.size()), kRate16k);
  // How late this append is processed against the real time of its audio:
  // streamed live, audio is due when it arrives; a recording sent at once is
  // due as it would have been spoken (so a burst is not "behind").
  std::chrono::milliseconds audio_ms{samples_to_ms(total_samples_16k_, kRate16k)};
  if (!audio_epoch_ || frame_received_ > *audio_epoch_ + audio_ms) audio_epoch_ = frame_received_ - audio_ms;
  input_lag_ = std::chrono::duration_cast<std::chrono::milliseconds>(TurnTiming::Clock::now() - (*audio_epoch_ + audio_ms));
  feed_input(std::move(at16k));
}

void SessionCore::on_commit(const std::string& event_id) {
  turn_abandoned_ = false;
  commit_input(event_id, false);
}

void SessionCore::on_clear() {
  turn_abandoned_ = false;
  drop_speculation();
  reset_input_buffer();
  segmenter_.reset_turn();
  emit({{"type", "input_audio_buffer.cleared"}});
}

void SessionCore::on_item_create(const json& event, const std::string& event_id) {
  auto it = event.find("item");
  if (it == event.end()) throw InvalidInput("item: missing required parameter");
  if (conversation_.size() >= options_.limits.max_conversation_items)
    throw InvalidInput("item: the conversation already holds " + std::to_string(conversation_.size()) +
                       " items (the limit); delete some first");
  ConversationItem item = ConversationItem::from_client_json(*it);
  if (item.id.empty()) item.id = new_id("item_");
  if (conversation_.find(item.id)) throw InvalidInput("item.id: an item \"" + item.id + "\" already exists");
  // Audio content is transcribed now so the model can read it.
  for (size_t i = 0; i < item.content.size(); ++i) {
    ContentPart& part = item.content[i];
    if (part.type != "input_audio") continue;
    const json& c = (*it)["content"][i];
    const auto* b64 = string_member(c, "audio");
    if (!b64) {
      if (!part.transcript) throw InvalidInput("item.content[" + std::to_string(i) + "].audio: missing (base64 audio)");
      continue;
    }
    std::vector<uint8_t> bytes;
    try {
      bytes = base64_decode(*b64);
    } catch (const InvalidInput& e) {
      throw InvalidInput("item.content[" + std::to_string(i) + "].audio: " + e.what());
    }
    if (bytes.size() % settings_.input_format.bytes_per_sample() != 0)
      throw InvalidInput("item.content[" + std::to_string(i) + "].audio: not a whole number of PCM16 samples");
    auto samples = settings_.input_format.decode(bytes);
    part.audio_ms = samples_to_ms(static_cast<int64_t>(samples.size()), settings_.input_format.sample_rate);
    if (!part.transcript) {
      auto at16k = resample(samples, settings_.input_format.sample_rate, kRate16k);
      if (settings_.input_format.sample_rate < kRate16k) narrowband_.condition(at16k);
      try {
        part.transcript = recognize(at16k, *recognizers_);
      } catch (const RecognizerFailure& e) {  // not the live turn's decoder: that turn goes on
        throw Error(std::string("the item's audio could not be transcribed: ") + e.what());
      }
    }
  }
  std::string previous_arg;
  if (const auto* prev = string_member(event, "previous_item_id")) previous_arg = *prev;
  std::string previous = conversation_.insert(item, previous_arg);
  json previous_json = previous.empty() ? json(nullptr) : json(previous);
  json item_json = item.to_json(wire_dialect());
  emit({{"type", event_type("conversation.item.added")}, {"previous_item_id", previous_json}, {"item", item_json}});
  if (wire_dialect() == Dialect::ga)
    emit({{"type", "conversation.item.done"}, {"previous_item_id", previous_json}, {"item", item_json}});
}

void SessionCore::on_item_truncate(const json& event, const std::string& event_id) {
  const auto* item_id = string_member(event, "item_id");
  if (!item_id) throw InvalidInput("item_id: missing required parameter");
  auto ci = event.find("content_index");
  if (ci == event.end() || !ci->is_number_integer()) throw InvalidInput("content_index: missing required integer");
  auto end = event.find("audio_end_ms");
  if (end == event.end() || !end->is_number_integer() || end->get<int64_t>() < 0)
    throw InvalidInput("audio_end_ms: missing required non-negative integer");
  if (response_ && response_->item_id == *item_id) cancel_response("client_cancelled");
  ConversationItem* item = conversation_.find(*item_id);
  if (!item) throw InvalidInput("item_id: no item \"" + *item_id + "\" in the conversation");
  auto index = ci->get<int64_t>();
  if (item->role != "assistant" || index < 0 || static_cast<size_t>(index) >= item->content.size() ||
      item->content[static_cast<size_t>(index)].type != "output_audio")
    throw InvalidInput("content_index: item \"" + *item_id + "\" has no assistant audio part " + std::to_string(index));
  ContentPart& part = item->content[static_cast<size_t>(index)];
  int64_t audio_end_ms = end->get<int64_t>();
  if (audio_end_ms > part.audio_ms)
    throw InvalidInput("audio_end_ms: " + std::to_string(audio_end_ms) + " ms is beyond the item's audio (" +
                       std::to_string(part.audio_ms) + " ms)");
  // Keep the text of the clauses whose audio had begun by audio_end_ms.
  std::string kept;
  for (const auto& [start_ms, clause] : spoken_clauses_[*item_id]) {
    if (start_ms >= audio_end_ms) break;
    if (!kept.empty()) kept += ' ';
    kept += clause;
  }
  part.transcript = kept;
  part.audio_ms = audio_end_ms;
  emit({{"type", "conversation.item.truncated"}, {"item_id", *item_id}, {"content_index", index},
        {"audio_end_ms", audio_end_ms}});
}

void SessionCore::on_item_delete(const json& event, const std::string& event_id) {
  const auto* item_id = string_member(event, "item_id");
  if (!item_id) throw InvalidInput("item_id: missing required parameter");
  if (response_ && response_->item_id == *item_id) cancel_response("client_cancelled");
  if (!conversation_.erase(*item_id)) throw InvalidInput("item_id: no item \"" + *item_id + "\" in the conversation");
  spoken_clauses_.erase(*item_id);
  emit({{"type", "conversation.item.deleted"}, {"item_id", *item_id}});
}

void SessionCore::on_item_retrieve(const json& event, const std::string& event_id) {
  const auto* item_id = string_member(event, "item_id");
  if (!item_id) throw InvalidInput("item_id: missing required parameter");
  ConversationItem* item = conversation_.find(*item_id);
  if (!item) throw InvalidInput("item_id: no item \"" + *item_id + "\" in the conversation");
  emit({{"type", "conversation.item.retrieved"}, {"item", item->to_json(wire_dialect())}});
}

// -------------------------------------------------------- input audio, turns

void SessionCore::apply_input_format() {
  active_input_format_ = settings_.input_format;
  if (!options_.recognizers)
    recognizers_ = active_input_format_.sample_rate < kRate16k ? &narrowband_recognizers() : &RecognizerPool::shared();
  input_resampler_ = std::make_unique<Resampler>(active_input_format_.sample_rate, kRate16k);
}

void SessionCore::feed_input(std::vector<int16_t> samples) {
  const bool vad = settings_.turn_detection.type != TurnDetection::Type::none;
  std::span<const int16_t> rest(samples);
  while (!rest.empty()) {
    auto slice = rest.first(std::min(rest.size(), SpeechSegmenter::kFrameSamples));
    rest = rest.subspan(slice.size());
    buffer_16k_.insert(buffer_16k_.end(), slice.begin(), slice.end());
    total_samples_16k_ += static_cast<int64_t>(slice.size());
    if (behind() && !turn_abandoned_ && recognition_ && recognition_->in_utterance()) drop_turn_behind();
    if (recognition_ && recognition_->in_utterance()) {
      recognition_->feed(std::span(buffer_16k_).subspan(recognized_until_));
      recognized_until_ = buffer_16k_.size();
    }
    if (vad) {
      for (const SpeechEvent& e : segmenter_.feed(slice)) {
        if (e.kind == SpeechEvent::Kind::started) on_speech_started(e);
        else on_speech_stopped(e);
      }
      if (segmenter_.in_speech()) maybe_speculate();
      if (segmenter_.in_speech()) maybe_end_turn_early();
      else maybe_trigger_idle_timeout();
    } else if (!turn_abandoned_ && (!recognition_ || !recognition_->in_utterance())) {
      if (behind()) drop_turn_behind();
      else start_recognition(0);  // no VAD: recognise everything the client sends
    }
  }
  if (vad && !segmenter_.in_speech()) {
    // Nobody is speaking: keep only enough silence for the next prefix padding.
    auto keep = static_cast<size_t>(
        ms_to_samples(settings_.turn_detection.prefix_padding_ms + kIdleBufferKeepMs, kRate16k));
    if (buffer_16k_.size() > 2 * keep && !(recognition_ && recognition_->in_utterance())) {
      size_t drop = buffer_16k_.size() - keep;
      buffer_16k_.erase(buffer_16k_.begin(), buffer_16k_.begin() + static_cast<ptrdiff_t>(drop));
      buffer_start_sample_ += static_cast<int64_t>(drop);
    }
  }
  maybe_send_partial_transcript();
}

void SessionCore::start_recognition(size_t from_sample) {
  if (!recognition_) {
    try {
      // Bounded: every decoder may be held by other sessions' turns, and a
      // session must not freeze (no events, no errors) until one comes back.
      const auto asked = TurnTiming::Clock::now();
      recognition_.emplace(recognizers_->acquire(kRecognizerWait));
      // Waiting for a decoder (one may be starting) is a one-off delay, not
      // a machine that cannot keep up: the audio queued meanwhile is not
      // counted as behind real time (max_input_lag).
      if (audio_epoch_) *audio_epoch_ += TurnTiming::Clock::now() - asked;
    } catch (const RecognizerMisuse&) {
      throw;
    } catch (const RecognizerFailure&) {
      throw;
    } catch (const std::exception& e) {  // no decoder could start: this turn cannot be recognised
      throw RecognizerFailure(std::string("no speech recognizer: ") + e.what());
    }
  }
  recognition_->cancel_utterance();  // a turn that began without VAD, say
  recognition_->start_utterance();
  if (pending_item_id_.empty()) pending_item_id_ = new_id("item_");
  partial_sent_.clear();
  last_partial_.clear();
  from_sample = std::min(from_sample, buffer_16k_.size());
  recognition_from_ = from_sample;
  early_final_.reset();
  recognition_->feed(std::span(buffer_16k_).subspan(from_sample));
  recognized_until_ = buffer_16k_.size();
  partial_checked_at_ = recognized_until_;
}

void SessionCore::resume_recognition() {
  early_final_.reset();
  if (!recognition_) return;
  recognition_->cancel_utterance();
  recognition_->start_utterance();
  recognition_->feed(std::span(buffer_16k_).subspan(recognition_from_));
  recognized_until_ = buffer_16k_.size();
  partial_checked_at_ = recognized_until_;
  last_partial_.clear();  // partial_sent_ stays: those deltas went out
}

void SessionCore::on_speech_started(const SpeechEvent& e) {
  turn_abandoned_ = false;
  pending_item_id_ = new_id("item_");
  int64_t start_sample = ms_to_samples(e.audio_ms, kRate16k) - buffer_start_sample_;
  emit({{"type", "input_audio_buffer.speech_started"}, {"audio_start_ms", e.audio_ms}, {"item_id", pending_item_id_}});
  // Barge-in: stop generating and synthesizing in this same step, before
  // any more of the answer's audio can go out.
  if (response_ && settings_.turn_detection.interrupt_response) cancel_response("turn_detected");
  idle_since_ms_.reset();  // the user is talking
  if (behind()) {
    drop_turn_behind();
    return;
  }
  start_recognition(static_cast<size_t>(std::max<int64_t>(0, start_sample)));
}

void SessionCore::maybe_trigger_idle_timeout() {
  const TurnDetection& td = settings_.turn_detection;
  if (td.type != TurnDetection::Type::server_vad || !td.idle_timeout_ms || !idle_since_ms_ || response_) return;
  int64_t now_ms = segmenter_.position_ms();
  if (now_ms < *idle_since_ms_ + *td.idle_timeout_ms) return;
  int64_t since = *idle_since_ms_;
  idle_since_ms_.reset();
  if (pending_item_id_.empty()) pending_item_id_ = new_id("item_");
  emit({{"type", "input_audio_buffer.timeout_triggered"}, {"audio_start_ms", since}, {"audio_end_ms", now_ms},
        {"item_id", pending_item_id_}});
  turn_timing_ = TurnTiming{};
  turn_timing_.turn_detected = TurnTiming::Clock::now();
  commit_input("", true, true);
}

void SessionCore::maybe_end_turn_early() {
  const TurnDetection& td = settings_.turn_detection;
  if (td.type != TurnDetection::Type::semantic_vad) return;
  int64_t silence = segmenter_.trailing_silence_ms();
  if (silence < early_end_checked_at_ms_) early_end_checked_at_ms_ = 0;  // speech resumed
  TurnWindows windows = turn_windows(td, 0);
  if (silence < windows.finished_ms) return;
  // Look at the words when the pause first gets long enough, then again every
  // 100 ms (the decoder may still settle on a finished-looking ending).
  if (early_end_checked_at_ms_ != 0 && silence < early_end_checked_at_ms_ + 100) return;
  early_end_checked_at_ms_ = silence;
  std::string words;
  if (early_final_) {
    words = *early_final_;
  } else {
    if (!recognition_ || !recognition_->in_utterance()) return;
    if (recognized_until_ < buffer_16k_.size()) {
      recognition_->feed(std::span(buffer_16k_).subspan(recognized_until_));
      recognized_until_ = buffer_16k_.size();
    }
    words = recognition_->partial();
  }
  if (!looks_finished(words)) return;
  if (auto stopped = segmenter_.end_turn()) {
    early_end_checked_at_ms_ = 0;
    on_speech_stopped(*stopped);
  }
}

void SessionCore::on_speech_stopped(const SpeechEvent& e) {
  auto now = TurnTiming::Clock::now();
  turn_timing_ = TurnTiming{};
  turn_timing_.turn_detected = now;
  // The client streams in real time: the last sample of this append was
  // spoken when the append arrived (not when it was processed: under load
  // frames wait in the queue, and that wait belongs in the figure).
  turn_timing_.speech_end = frame_received_ - std::chrono::milliseconds(append_end_ms_ - e.speech_ms);
  turn_timing_.speech_end_audio_ms = e.speech_ms;
  turn_timing_.turn_detected_audio_ms = e.audio_ms;
  emit({{"type", "input_audio_buffer.speech_stopped"}, {"audio_end_ms", e.audio_ms}, {"item_id", pending_item_id_}});
  if (turn_abandoned_) {  // its recognition failed: nothing to commit
    turn_abandoned_ = false;
    reset_input_buffer();
    return;
  }
  commit_input("", true);
}

namespace {

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find(' ', at);
    if (end == std::string::npos) end = text.size();
    if (end > at) words.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  return words;
}

// The words of `transcript` after the first `sent_words`, as a delta that
// appends to the text sent so far ("" when `sent` is not a word prefix).
std::string delta_after(const std::string& sent, const std::string& transcript) {
  auto sent_words = split_words(sent), words = split_words(transcript);
  if (sent_words.size() > words.size() || !std::equal(sent_words.begin(), sent_words.end(), words.begin())) return "";
  std::string delta;
  for (size_t i = sent_words.size(); i < words.size(); ++i) {
    if (!delta.empty() || !sent.empty()) delta += ' ';
    delta += words[i];
  }
  return delta;
}

}  // namespace

void SessionCore::maybe_send_partial_transcript() {
  if (!recognition_ || !recognition_->in_utterance()) return;
  if (recognized_until_ < partial_checked_at_ + kPartialEverySamples) return;
  partial_checked_at_ = recognized_until_;
  if (!settings_.transcribe_input || !options_.early_transcription_deltas) return;
  std::string partial = recognition_->partial();
  // Deltas only ever append, so only words that two successive hypotheses
  // agree on, and not the newest two (the decoder often still revises
  // them), go out early; the rest follow with the final transcript.
  auto now_words = split_words(partial), before_words = split_words(last_partial_);
  last_partial_ = partial;
  size_t stable = 0;
  while (stable + 2 < now_words.size() && stable < before_words.size() && now_words[stable] == before_words[stable])
    ++stable;
  std::string stable_text;
  for (size_t i = 0; i < stable; ++i) stable_text += (i ? " " : "") + now_words[i];
  std::string delta = delta_after(partial_sent_, stable_text);
  if (delta.empty()) return;
  partial_sent_ += delta;
  emit({{"type", "conversation.item.input_audio_transcription.delta"}, {"item_id", pending_item_id_},
        {"content_index", 0}, {"delta", delta}});
}

bool SessionCore::commit_input(const std::string& client_event_id, bool from_vad, bool idle_timeout) {
  int64_t buffered_ms = samples_to_ms(static_cast<int64_t>(buffer_16k_.size()), kRate16k);
  if (!from_vad && buffered_ms < kMinCommitMs) {
    emit_error("input_audio_buffer_commit_empty",
               "Error committing input audio buffer: buffer too small. Expected at least " +
                   std::to_string(kMinCommitMs) + "ms of audio, but buffer only has " + std::to_string(buffered_ms) +
                   "ms of audio.",
               "", client_event_id);
    return false;
  }
  if (!from_vad) {
    turn_timing_ = TurnTiming{};
    turn_timing_.turn_detected = TurnTiming::Clock::now();
  }
  std::string item_id = pending_item_id_.empty() ? new_id("item_") : pending_item_id_;
  std::string previous = conversation_.last_id();
  json previous_json = previous.empty() ? json(nullptr) : json(previous);
  emit({{"type", "input_audio_buffer.committed"}, {"previous_item_id", previous_json}, {"item_id", item_id}});

  ConversationItem item;
  item.id = item_id;
  item.role = "user";
  ContentPart part;
  part.type = "input_audio";
  part.audio_ms = buffered_ms;
  item.content.push_back(part);
  conversation_.insert(item);
  emit({{"type", event_type("conversation.item.added")}, {"previous_item_id", previous_json},
        {"item", item.to_json(wire_dialect())}});

  // Finish recognition (it streamed while the user spoke).
  // (Ended early in the pause for a speculative reply: what followed is silence.)
  std::string transcript;
  if (early_final_) {
    transcript = *early_final_;
    early_final_.reset();
  } else {
    if (!recognition_ || !recognition_->in_utterance()) start_recognition(0);
    else if (recognized_until_ < buffer_16k_.size()) recognition_->feed(std::span(buffer_16k_).subspan(recognized_until_));
    transcript = recognition_->finish();
  }
  turn_timing_.final_transcript = TurnTiming::Clock::now();
  if (ConversationItem* stored = conversation_.find(item_id)) stored->content[0].transcript = transcript;
  if (settings_.transcribe_input) {
    // The rest of the words (all of them when nothing streamed early). When
    // the recogniser revised words already sent, completed carries the truth.
    if (std::string delta = delta_after(partial_sent_, transcript); !delta.empty())
      emit({{"type", "conversation.item.input_audio_transcription.delta"}, {"item_id", item_id},
            {"content_index", 0}, {"delta", delta}});
    emit({{"type", "conversation.item.input_audio_transcription.completed"},
          {"item_id", item_id},
          {"content_index", 0},
          {"transcript", transcript},
          {"usage", {{"type", "duration"}, {"seconds", static_cast<double>(buffered_ms) / 1000.0}}}});
  }
  if (wire_dialect() == Dialect::ga) {
    if (ConversationItem* stored = conversation_.find(item_id))
      emit({{"type", "conversation.item.done"}, {"previous_item_id", previous_json}, {"item", stored->to_json(wire_dialect())}});
  }
  reset_input_buffer();
  idle_since_ms_.reset();  // a new turn: the idle clock restarts after its answer
  log::debug("realtime turn committed", {{"session", session_id_}, {"item_id", item_id}, {"transcript", transcript}});

  std::unique_ptr<Speculation> speculation = std::move(speculation_);
  speculated_this_pause_ = false;
  if (speculation && (speculation->transcript != transcript || speculation->error)) {
    // Guessed from other words, or failed (a fresh request may fall back
    // elsewhere): discard.
    if (speculation->reply) speculation->reply->cancel();
    if (speculation->synthesis) speculation->synthesis->cancelled = true;
    speculation.reset();
  }
  if (idle_timeout && !response_) {
    // Nothing was said: the model is told so, to invite the user to go on.
    json params = {{"instructions", settings_.instructions +
                                        (settings_.instructions.empty() ? "" : "\n\n") +
                                        "The user has said nothing for a while since your last answer. Briefly "
                                        "invite them to continue."}};
    start_response(params, turn_timing_);
  } else if (from_vad && settings_.turn_detection.create_response) {
    if (transcript.empty()) {
      log::info("realtime turn without words: no response", {{"session", session_id_}, {"item_id", item_id}});
    } else if (!response_) {
      start_response(json::object(), turn_timing_, std::move(speculation));
      speculation.reset();
    }
  }
  if (speculation) {
    if (speculation->reply) speculation->reply->cancel();
    if (speculation->synthesis) speculation->synthesis->cancelled = true;
  }
  return true;
}

void SessionCore::abandon_turn(const std::string& code, const std::string& why, const std::string& event_id) {
  log::error("realtime turn abandoned", {{"session", session_id_}, {"code", code}, {"error", why}});
  drop_speculation();
  if (recognition_) recognition_->abandon();  // its decoder is discarded, not lent again
  reset_input_buffer();
  turn_abandoned_ = true;  // until this turn ends: one error per turn, not per frame
  emit_error(code, "The turn was dropped: " + why + ". The session goes on; speak again.", "", event_id,
             "server_error");
}

void SessionCore::drop_turn_behind() {
  log::warn("realtime session behind real time: turn dropped",
            {{"session", session_id_}, {"lag_ms", input_lag_.count()}, {"max_input_lag_ms", options_.max_input_lag.count()}});
  drop_speculation();
  reset_input_buffer();  // the lease goes back to the pool with its utterance cancelled
  turn_abandoned_ = true;  // until this turn ends, as for a failed recognition
  emit_error("server_overloaded",
             "The server is " + std::to_string(input_lag_.count()) +
                 " ms behind this session's audio (overloaded), so this turn was dropped rather than "
                 "recognised late. The session goes on; speak again.",
             "", "", "server_error");
}

void SessionCore::reset_input_buffer() {
  buffer_start_sample_ = total_samples_16k_;
  buffer_16k_.clear();
  recognized_until_ = 0;
  partial_checked_at_ = 0;
  pending_item_id_.clear();
  partial_sent_.clear();
  last_partial_.clear();
  recognition_from_ = 0;
  early_final_.reset();
  // Give the decoder back between turns: the pool keeps it warm for anyone.
  recognition_.reset();
}

}  // namespace prism::voice
