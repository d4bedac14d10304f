// Response generation for the realtime session: the reply streams in from
// the provider, is cut into clauses, synthesized clause by clause on the
// synthesis thread, and sent as audio + transcript deltas. Only what was
// actually sent is kept in the conversation.
#include <algorithm>

#include "core/error.h"
#include "core/log.h"
#include "voice/base64.h"
#include "voice/pcm16.h"
#include "voice/realtime_session_core.h"

namespace prism::voice {

using nlohmann::json;

namespace {
// Longest turn whose recognition is ended early for a speculative reply
// (decoding it again, if the user goes on, takes ~5% of its duration).
constexpr int64_t kMaxRedecodeMs = 20'000;
}  // namespace

void SessionCore::on_response_create(const json& event, const std::string& event_id) {
  if (response_) {
    emit_error("conversation_already_has_active_response",
               "Conversation already has an active response in progress: " + response_->id +
                   ". Wait until the response is finished before creating a new one.",
               "", event_id);
    return;
  }
  json params = json::object();
  if (auto it = event.find("response"); it != event.end() && !it->is_null()) {
    if (!it->is_object()) throw InvalidInput("response: expected an object");
    params = *it;
  }
  TurnTiming timing;
  timing.turn_detected = TurnTiming::Clock::now();
  start_response(params, timing);
}

void SessionCore::on_response_cancel(const std::string& event_id) {
  if (!response_) {
    emit_error("response_cancel_not_active", "Cancellation failed: no active response found.", "", event_id);
    return;
  }
  cancel_response("client_cancelled");
}

void SessionCore::start_response(const json& params, TurnTiming timing, std::unique_ptr<Speculation> adopted) {
  auto r = std::make_unique<ActiveResponse>();
  r->id = new_id("resp_");
  r->item_id = new_id("item_");
  r->generation = adopted ? adopted->generation : ++generation_;
  r->audio = settings_.output_audio;
  r->voice = settings_.voice;
  r->output_format = settings_.output_format;
  r->timing = timing;
  SessionSettings reply_settings = settings_;
  // Per-response overrides (both dialects' spellings).
  if (auto m = params.find(dialect_ == Dialect::beta ? "modalities" : "output_modalities"); m != params.end()) {
    if (!m->is_array()) throw InvalidInput("response.output_modalities: expected an array");
    r->audio = std::find(m->begin(), m->end(), "audio") != m->end();
  }
  if (auto v = params.find("voice"); v != params.end() && v->is_string()) {
    flite_voice_for(v->get<std::string>());  // validates
    r->voice = v->get<std::string>();
  }
  if (auto a = params.find("audio"); a != params.end() && a->is_object() && a->contains("output")) {
    const json& out = (*a)["output"];
    if (out.contains("voice") && out["voice"].is_string()) {
      flite_voice_for(out["voice"].get<std::string>());
      r->voice = out["voice"].get<std::string>();
    }
    if (out.contains("format") && !out["format"].is_null())
      r->output_format = AudioFormat::parse(out["format"], "response.audio.output.format");
  }
  if (auto f = params.find("output_audio_format"); f != params.end() && !f->is_null())
    r->output_format = AudioFormat::parse(*f, "response.output_audio_format");
  if (auto i = params.find("instructions"); i != params.end() && i->is_string())
    reply_settings.instructions = i->get<std::string>();
  if (auto md = params.find("metadata"); md != params.end()) r->metadata = *md;
  // A speculation synthesized with this response's voice and format hands
  // over its synthesis; otherwise its text is replayed through a new one.
  const bool adopt_audio = adopted && r->audio && adopted->synthesis && adopted->synthesis->voice == r->voice &&
                           adopted->synthesis->output_format == r->output_format;
  if (adopt_audio) r->synthesis = adopted->synthesis;
  else if (r->audio) r->synthesis = std::make_shared<SynthesisJob>(r->voice, r->output_format);
  if (adopted && !adopt_audio && adopted->synthesis) adopted->synthesis->cancelled = true;

  json item = {{"id", r->item_id}, {"object", "realtime.item"}, {"type", "message"}, {"status", "in_progress"},
               {"role", "assistant"}, {"content", json::array()}};
  emit({{"type", "response.created"}, {"response", response_json(*r, "in_progress", nullptr, json::array())}});
  std::string previous = conversation_.last_id();
  ConversationItem stored;
  stored.id = r->item_id;
  stored.role = "assistant";
  stored.status = "in_progress";
  ContentPart part;
  part.type = r->audio ? "output_audio" : "output_text";
  if (r->audio) part.transcript = "";
  stored.content.push_back(part);
  conversation_.insert(stored);
  emit({{"type", "response.output_item.added"}, {"response_id", r->id}, {"output_index", 0}, {"item", item}});
  emit({{"type", event_type("conversation.item.added")},
        {"previous_item_id", previous.empty() ? json(nullptr) : json(previous)},
        {"item", item}});
  // Content-part events name the part "audio" / "text" in both dialects
  // (items name it "output_audio" / "output_text" in GA).
  json part_json = r->audio ? json{{"type", "audio"}, {"transcript", ""}} : json{{"type", "text"}, {"text", ""}};
  emit({{"type", "response.content_part.added"}, {"response_id", r->id}, {"item_id", r->item_id},
        {"output_index", 0}, {"content_index", 0}, {"part", part_json}});

  uint64_t generation = r->generation;
  response_ = std::move(r);
  if (adopted) {
    // The reply has been generating (and speaking) since the silence began:
    // send what it produced so far; later callbacks arrive with the same
    // generation.
    ActiveResponse& r = *response_;
    r.timing.request_sent = adopted->started;
    r.speculative = true;
    r.timing.first_token = adopted->first_token;
    r.reply = std::move(adopted->reply);
    if (!adopt_audio) {
      for (const std::string& delta : adopted->deltas) on_reply_delta(generation, delta);
      if (adopted->done) on_reply_done(generation, *adopted->done);
      return;
    }
    r.chunker = std::move(adopted->chunker);
    r.clauses_queued = adopted->clauses_queued;
    r.timing.first_clause = adopted->first_clause;
    if (adopted->done) {
      r.reply_done = true;  // its last clause and the synthesis end are queued
      r.usage = *adopted->done;
    }
    for (HeldAudio& a : adopted->audio)
      on_clause_audio(generation, a.clause_index, a.clause, std::move(a.base64), a.samples, a.synthesized_at);
    if (adopted->synthesis_finished) on_synthesis_done(generation, adopted->synthesis_error);
    return;
  }
  // The model sees the conversation without the (empty) item being answered.
  json messages = conversation_.to_chat_messages(reply_settings.instructions);
  response_->timing.request_sent = TurnTiming::Clock::now();
  try {
    auto handle = replies_->start(messages, reply_settings, reply_callbacks(generation));
    if (response_ && response_->generation == generation) response_->reply = std::move(handle);
    else if (handle) handle->cancel();
  } catch (const std::exception& e) {
    on_reply_error(generation, e.what());
  }
}

ReplyCallbacks SessionCore::reply_callbacks(uint64_t generation) {
  std::weak_ptr<SessionCore> weak = weak_from_this();
  auto post = [weak](auto fn) {
    if (auto self = weak.lock()) self->events_.post([core = self.get(), fn = std::move(fn)] { fn(core); });
  };
  ReplyCallbacks callbacks;
  callbacks.on_text_delta = [post, generation](std::string delta) {
    post([generation, delta = std::move(delta)](SessionCore* c) { c->on_reply_delta(generation, delta); });
  };
  callbacks.on_done = [post, generation](ReplyUsage usage) {
    post([generation, usage](SessionCore* c) { c->on_reply_done(generation, usage); });
  };
  callbacks.on_error = [post, generation](std::string message) {
    post([generation, message = std::move(message)](SessionCore* c) { c->on_reply_error(generation, message); });
  };
  return callbacks;
}

void SessionCore::maybe_speculate() {
  const TurnDetection& td = settings_.turn_detection;
  TurnWindows windows = turn_windows(td, options_.speculate_after_silence_ms);
  int after = windows.speculate_ms;
  int64_t silence = segmenter_.trailing_silence_ms();
  if (silence == 0) {
    // The user is speaking (again): a reply guessed from fewer words is void,
    // and recognition ended early goes on.
    speculated_this_pause_ = false;
    if (speculation_) drop_speculation();
    if (early_final_) resume_recognition();
    return;
  }
  if (after <= 0 || silence < after || speculated_this_pause_ || speculation_ || response_) return;
  if (td.type == TurnDetection::Type::none || !td.create_response || after >= windows.unfinished_ms) return;
  if (!recognition_ || !recognition_->in_utterance()) return;
  speculated_this_pause_ = true;
  if (recognized_until_ < buffer_16k_.size()) {
    recognition_->feed(std::span(buffer_16k_).subspan(recognized_until_));
    recognized_until_ = buffer_16k_.size();
  }
  // The decoder's final answer can differ from its partial one in the last
  // word, and a guess must equal the final transcript to be adopted: so the
  // utterance is ended here and its final transcript is the guess. Should
  // the user go on, the turn's audio is decoded again (cheap for a short
  // turn; long ones guess from the partial instead).
  std::string guess;
  if (static_cast<int64_t>(buffer_16k_.size() - recognition_from_) <= ms_to_samples(kMaxRedecodeMs, 16000))
    guess = *(early_final_ = recognition_->finish());
  else
    guess = recognition_->partial();
  if (guess.empty()) return;
  auto spec = std::make_unique<Speculation>();
  spec->generation = ++generation_;
  spec->transcript = guess;
  spec->started = TurnTiming::Clock::now();
  if (settings_.output_audio) spec->synthesis = std::make_shared<SynthesisJob>(settings_.voice, settings_.output_format);
  json messages = conversation_.to_chat_messages(settings_.instructions);
  messages.push_back({{"role", "user"}, {"content", guess}});
  uint64_t generation = spec->generation;
  speculation_ = std::move(spec);
  try {
    auto handle = replies_->start(messages, settings_, reply_callbacks(generation));
    if (speculation_ && speculation_->generation == generation) speculation_->reply = std::move(handle);
    else if (handle) handle->cancel();
  } catch (const std::exception& e) {
    log::warn("speculative reply failed to start", {{"session", session_id_}, {"error", e.what()}});
    speculation_.reset();
  }
}

void SessionCore::drop_speculation() {
  if (!speculation_) return;
  if (speculation_->reply) speculation_->reply->cancel();
  if (speculation_->synthesis) speculation_->synthesis->cancelled = true;
  speculation_.reset();
}

void SessionCore::on_reply_delta(uint64_t generation, const std::string& delta) {
  if (speculation_ && speculation_->generation == generation) {
    Speculation& spec = *speculation_;
    if (!spec.first_token) spec.first_token = TurnTiming::Clock::now();
    spec.deltas.push_back(delta);
    if (!spec.synthesis) return;
    for (const std::string& clause : spec.chunker.push(delta)) {
      if (!spec.first_clause) spec.first_clause = TurnTiming::Clock::now();
      queue_clause(spec.synthesis, generation, spec.clauses_queued++, clause);
    }
    return;
  }
  if (!response_ || response_->generation != generation || delta.empty()) return;
  ActiveResponse& r = *response_;
  if (!r.timing.first_token) r.timing.first_token = TurnTiming::Clock::now();
  if (!r.audio) {
    r.delivered += delta;
    emit({{"type", event_type("response.output_text.delta")}, {"response_id", r.id}, {"item_id", r.item_id},
          {"output_index", 0}, {"content_index", 0}, {"delta", delta}});
    return;
  }
  for (const std::string& clause : r.chunker.push(delta)) queue_response_clause(clause);
}

void SessionCore::on_reply_done(uint64_t generation, ReplyUsage usage) {
  if (speculation_ && speculation_->generation == generation) {
    Speculation& spec = *speculation_;
    spec.done = usage;
    if (!spec.synthesis) return;
    if (auto rest = spec.chunker.flush()) {
      if (!spec.first_clause) spec.first_clause = TurnTiming::Clock::now();
      queue_clause(spec.synthesis, generation, spec.clauses_queued++, *rest);
    }
    queue_synthesis_end(spec.synthesis, generation);
    return;
  }
  if (!response_ || response_->generation != generation) return;
  ActiveResponse& r = *response_;
  r.reply_done = true;
  r.usage = usage;
  if (!r.audio) {
    finish_response("completed", nullptr);
    return;
  }
  if (auto rest = r.chunker.flush()) queue_response_clause(*rest);
  queue_synthesis_end(r.synthesis, r.generation);
}

void SessionCore::on_reply_error(uint64_t generation, const std::string& message) {
  if (speculation_ && speculation_->generation == generation) {
    speculation_->error = message;
    return;
  }
  if (!response_ || response_->generation != generation) return;
  log::warn("realtime reply failed", {{"session", session_id_}, {"response", response_->id}, {"error", message}});
  if (response_->synthesis) response_->synthesis->cancelled = true;
  finish_response("failed", {{"type", "failed"},
                             {"error", {{"type", "server_error"}, {"code", "reply_failed"}, {"message", message}}}});
}

void SessionCore::queue_response_clause(const std::string& clause) {
  ActiveResponse& r = *response_;
  if (!r.timing.first_clause) r.timing.first_clause = TurnTiming::Clock::now();
  queue_clause(r.synthesis, r.generation, r.clauses_queued++, clause);
}

void SessionCore::queue_clause(std::shared_ptr<SynthesisJob> job, uint64_t generation, size_t index,
                               const std::string& clause) {
  synthesis_.post([this, job, generation, index, clause] {
    if (job->cancelled) return;
    auto send_chunk = [&](std::vector<int16_t>&& at_output_rate) {
      if (at_output_rate.empty()) return;
      auto bytes = job->output_format.encode(at_output_rate);
      auto samples = static_cast<int64_t>(at_output_rate.size());
      auto now = TurnTiming::Clock::now();
      events_.post([this, generation, index, clause, b64 = base64_encode(bytes), samples, now]() mutable {
        on_clause_audio(generation, index, clause, std::move(b64), samples, now);
      });
    };
    try {
      job->synthesizer.synthesize(clause, [&](std::span<const int16_t> chunk) {
        if (job->cancelled) return false;  // barge-in: stop Flite mid-clause
        std::vector<int16_t> out;
        job->resampler.process(chunk, out);
        send_chunk(std::move(out));
        return !job->cancelled.load();
      });
    } catch (const std::exception& e) {
      std::string message = std::string("speech synthesis failed: ") + e.what();
      events_.post([this, generation, message] { on_synthesis_done(generation, message); });
      job->cancelled = true;
    }
  });
}

void SessionCore::queue_synthesis_end(std::shared_ptr<SynthesisJob> job, uint64_t generation) {
  synthesis_.post([this, job, generation] {
    if (job->cancelled) return;
    std::vector<int16_t> tail;
    job->resampler.flush(tail);  // the resampler's delay line
    if (!tail.empty()) {
      auto b64 = base64_encode(job->output_format.encode(tail));
      auto samples = static_cast<int64_t>(tail.size());
      events_.post([this, generation, b64 = std::move(b64), samples]() mutable {
        // Same clause index as the last one: no new transcript delta.
        on_clause_audio(generation, SIZE_MAX, "", std::move(b64), samples, TurnTiming::Clock::now());
      });
    }
    events_.post([this, generation] { on_synthesis_done(generation, std::nullopt); });
  });
}

void SessionCore::on_clause_audio(uint64_t generation, size_t clause_index, const std::string& clause,
                                  std::string audio_base64, int64_t samples,
                                  TurnTiming::Clock::time_point synthesized_at) {
  if (speculation_ && speculation_->generation == generation) {
    speculation_->audio.push_back({clause_index, clause, std::move(audio_base64), samples, synthesized_at});
    return;
  }
  if (!response_ || response_->generation != generation) return;  // cancelled meanwhile
  ActiveResponse& r = *response_;
  if (clause_index != SIZE_MAX && clause_index >= r.clauses_started) {
    // The clause's first audio goes out: its words join the transcript.
    r.clauses_started = clause_index + 1;
    std::string delta = r.delivered.empty() ? clause : " " + clause;
    r.delivered += delta;
    int64_t start_ms = samples_to_ms(r.samples_sent, r.output_format.sample_rate);
    spoken_clauses_[r.item_id].emplace_back(start_ms, clause);
    emit({{"type", event_type("response.output_audio_transcript.delta")}, {"response_id", r.id},
          {"item_id", r.item_id}, {"output_index", 0}, {"content_index", 0}, {"delta", delta}});
  }
  if (!r.timing.first_audio_synthesized) r.timing.first_audio_synthesized = synthesized_at;
  emit({{"type", event_type("response.output_audio.delta")}, {"response_id", r.id}, {"item_id", r.item_id},
        {"output_index", 0}, {"content_index", 0}, {"delta", std::move(audio_base64)}});
  if (!r.timing.first_audio_sent) r.timing.first_audio_sent = TurnTiming::Clock::now();
  r.samples_sent += samples;
}

void SessionCore::on_synthesis_done(uint64_t generation, std::optional<std::string> error) {
  if (speculation_ && speculation_->generation == generation) {
    speculation_->synthesis_finished = true;
    speculation_->synthesis_error = std::move(error);
    return;
  }
  if (!response_ || response_->generation != generation) return;
  if (error) {
    // The response fails (response.done "failed"); the session goes on.
    emit_error("speech_synthesis_failed", *error, "", "", "server_error");
    on_reply_error(generation, *error);
    return;
  }
  response_->synthesis_done = true;
  if (response_->reply_done) finish_response("completed", nullptr);
}

void SessionCore::cancel_response(const std::string& reason) {
  if (!response_) return;
  if (response_->synthesis) response_->synthesis->cancelled = true;
  if (response_->reply) response_->reply->cancel();
  finish_response("cancelled", {{"type", "cancelled"}, {"reason", reason}});
}

void SessionCore::finish_response(const std::string& status, const json& status_details) {
  std::unique_ptr<ActiveResponse> owned = std::move(response_);
  ActiveResponse& r = *owned;
  if (r.synthesis) r.synthesis->cancelled = true;  // nothing more may be produced
  std::string item_status = status == "completed" ? "completed" : "incomplete";
  int64_t audio_ms = samples_to_ms(r.samples_sent, r.output_format.sample_rate);
  // The idle timeout counts from when the answer has finished playing.
  idle_since_ms_ = segmenter_.position_ms() + audio_ms;
  if (ConversationItem* item = conversation_.find(r.item_id)) {
    item->status = item_status;
    ContentPart& part = item->content.at(0);
    if (r.audio) {
      part.transcript = r.delivered;
      part.audio_ms = audio_ms;
    } else {
      part.text = r.delivered;
    }
  }
  const bool beta = wire_dialect() == Dialect::beta;
  json part = r.audio ? json{{"type", "audio"}, {"transcript", r.delivered}} : json{{"type", "text"}, {"text", r.delivered}};
  json item_part = r.audio ? json{{"type", beta ? "audio" : "output_audio"}, {"transcript", r.delivered}}
                           : json{{"type", beta ? "text" : "output_text"}, {"text", r.delivered}};
  json ids = {{"response_id", r.id}, {"item_id", r.item_id}, {"output_index", 0}, {"content_index", 0}};
  auto with_ids = [&](json e) {
    e.update(ids);
    return e;
  };
  if (r.audio) {
    emit(with_ids({{"type", event_type("response.output_audio.done")}}));
    emit(with_ids({{"type", event_type("response.output_audio_transcript.done")}, {"transcript", r.delivered}}));
  } else {
    emit(with_ids({{"type", event_type("response.output_text.done")}, {"text", r.delivered}}));
  }
  emit(with_ids({{"type", "response.content_part.done"}, {"part", part}}));
  json item = {{"id", r.item_id}, {"object", "realtime.item"}, {"type", "message"}, {"status", item_status},
               {"role", "assistant"}, {"content", json::array({item_part})}};
  emit({{"type", "response.output_item.done"}, {"response_id", r.id}, {"output_index", 0}, {"item", item}});
  if (!beta) {
    ConversationItem* stored = conversation_.find(r.item_id);
    std::string previous;
    for (const auto& i : conversation_.items()) {
      if (i.id == r.item_id) break;
      previous = i.id;
    }
    if (stored)
      emit({{"type", "conversation.item.done"}, {"previous_item_id", previous.empty() ? json(nullptr) : json(previous)},
            {"item", stored->to_json(wire_dialect())}});
  }
  json timing = r.timing.to_json();
  timing["response_id"] = r.id;
  timing["item_id"] = r.item_id;
  timing["status"] = status;
  timing["speculative"] = r.speculative;
  emit({{"type", "prism.turn.timing"}, {"response_id", r.id}, {"item_id", r.item_id}, {"timing", timing}});
  log::info("realtime turn timing", {{"session", session_id_}, {"timing", timing}});
  if (options_.on_turn_timing) options_.on_turn_timing(timing);
  emit({{"type", "response.done"}, {"response", response_json(r, status, status_details, json::array({item}))}});
  // This session does not meter requests: an empty list, honestly.
  emit({{"type", "rate_limits.updated"}, {"rate_limits", json::array()}});
}

json SessionCore::response_json(const ActiveResponse& r, const std::string& status, const json& details,
                                const json& output) const {
  json usage = nullptr;
  if (status != "in_progress") {
    usage = {{"total_tokens", r.usage.input_tokens + r.usage.output_tokens},
             {"input_tokens", r.usage.input_tokens},
             {"output_tokens", r.usage.output_tokens},
             {"input_token_details", {{"text_tokens", r.usage.input_tokens}, {"audio_tokens", 0}, {"cached_tokens", 0}}},
             {"output_token_details", {{"text_tokens", r.usage.output_tokens}, {"audio_tokens", 0}}}};
  }
  json out = {{"object", "realtime.response"}, {"id", r.id}, {"status", status}, {"status_details", details},
              {"output", output}, {"conversation_id", conversation_id_}, {"usage", usage}, {"metadata", r.metadata}};
  json max_tokens = settings_.max_output_tokens ? json(*settings_.max_output_tokens) : json("inf");
  if (wire_dialect() == Dialect::beta) {
    out["modalities"] = r.audio ? json::array({"text", "audio"}) : json::array({"text"});
    out["voice"] = r.voice;
    out["output_audio_format"] = r.output_format.to_json(Dialect::beta);
    out["max_output_tokens"] = max_tokens;
  } else {
    out["output_modalities"] = r.audio ? json::array({"audio"}) : json::array({"text"});
    out["audio"] = {{"output", {{"format", r.output_format.to_json(Dialect::ga)}, {"voice", r.voice}}}};
    out["max_output_tokens"] = max_tokens;
  }
  return out;
}

}  // namespace prism::voice
