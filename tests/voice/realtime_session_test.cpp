// The realtime session driven as a client would drive it: JSON events with
// Flite speech as base64 appends, a scripted reply provider in place of the
// router, and checks on the events that come back.
#include <gtest/gtest.h>

#include <set>

#include "voice/g711.h"
#include "voice/pcm16.h"
#include "voice/realtime_session.h"
#include "voice/recognizer_warmup.h"
#include "voice/speech_recognizer.h"
#include "voice/word_error_rate.h"
#include "realtime_test_support.h"

namespace prism::voice {
namespace {

using namespace std::chrono_literals;
using testing::EventLog;
using testing::ScriptedReplies;
using testing::speak;
using nlohmann::json;

// Sentences PocketSphinx gets right from clean Flite speech (the WER of a
// fixed sentence set is measured in speech_pipeline_test); here the point is
// the protocol path, so a wrong transcript means a broken path.
const std::string kUserSentence = "please call me back when you have time tomorrow morning";
const std::string kReply =
    "Sure, I can help with that. Your table for two is booked at seven, and we will see you tonight.";

AudioFormat pcm24k() { return AudioFormat{}; }

class RealtimeSessionTest : public ::testing::Test {
 protected:
  // As the server does at start-up: decoders started and primed.
  static void SetUpTestSuite() { warm_recognizers(RecognizerPool::shared(), 2); }
};

// Decodes every audio delta of a response back to samples.
std::vector<int16_t> response_audio(EventLog& log, const std::string& delta_type, const std::string& response_id,
                                    const AudioFormat& format) {
  std::vector<int16_t> out;
  for (const auto& e : log.of_type(delta_type)) {
    if (e["response_id"] != response_id) continue;
    auto part = format.decode(base64_decode(e["delta"].get<std::string>()));
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

void expect_every_event_well_formed(EventLog& log) {
  std::set<std::string> ids;
  for (const auto& e : log.all()) {
    ASSERT_TRUE(e.contains("type") && e["type"].is_string()) << e.dump();
    ASSERT_TRUE(e.contains("event_id") && e["event_id"].is_string()) << e.dump();
    EXPECT_TRUE(ids.insert(e["event_id"].get<std::string>()).second) << "duplicate event_id " << e.dump();
  }
}

// Asserts that the types appear in this relative order.
void expect_in_order(EventLog& log, const std::vector<std::string>& types) {
  int at = 0;
  for (const auto& t : types) {
    int found = log.index_of(t, at);
    ASSERT_GE(found, 0) << t << " missing after index " << at;
    at = found + 1;
  }
}

TEST_F(RealtimeSessionTest, FullSpokenTurnInTheGaDialect) {
  EventLog log;
  auto replies = std::make_shared<ScriptedReplies>(kReply, 2ms);
  std::vector<json> timings;
  SessionOptions options;
  options.on_turn_timing = [&](const json& t) { timings.push_back(t); };
  RealtimeSession session(log.sender(), replies, options);
  auto created = log.wait_for("session.created");
  EXPECT_EQ(created["session"]["type"], "realtime");
  EXPECT_EQ(created["session"]["audio"]["input"]["format"], (json{{"type", "audio/pcm"}, {"rate", 24000}}));

  session.handle_client_text(json{{"type", "session.update"},
                                  {"event_id", "evt_update"},
                                  {"session",
                                   {{"type", "realtime"},
                                    {"instructions", "Be brief."},
                                    {"audio",
                                     {{"input",
                                       {{"transcription", {{"model", "pocketsphinx"}}},
                                        {"turn_detection", {{"type", "server_vad"}, {"silence_duration_ms", 500}}}}},
                                      {"output", {{"voice", "alloy"}}}}}}}}
                                 .dump());
  auto updated = log.wait_for("session.updated");
  EXPECT_EQ(updated["session"]["audio"]["input"]["turn_detection"]["silence_duration_ms"], 500);
  EXPECT_EQ(updated["session"]["audio"]["input"]["transcription"]["model"], "pocketsphinx");

  auto utterance = speak(kUserSentence, pcm24k());
  for (const auto& frame : utterance.appends) session.handle_client_text(frame);
  auto done = log.wait_for("response.done");
  session.wait_idle();

  expect_in_order(log, {"session.created", "session.updated", "input_audio_buffer.speech_started",
                        "input_audio_buffer.speech_stopped", "input_audio_buffer.committed", "conversation.item.added",
                        "conversation.item.input_audio_transcription.completed", "conversation.item.done",
                        "response.created", "response.output_item.added", "conversation.item.added",
                        "response.content_part.added", "response.output_audio_transcript.delta",
                        "response.output_audio.delta", "response.output_audio.done",
                        "response.output_audio_transcript.done", "response.content_part.done",
                        "response.output_item.done", "conversation.item.done", "prism.turn.timing", "response.done",
                        "rate_limits.updated"});
  expect_every_event_well_formed(log);
  EXPECT_TRUE(log.of_type("error").empty()) << log.of_type("error")[0].dump();
  EXPECT_TRUE(log.of_type("response.audio.delta").empty()) << "beta names in a GA session";

  // The speech boundaries are where the audio puts them: audio_start_ms
  // includes the 300 ms prefix padding, audio_end_ms the 500 ms silence.
  auto started = log.wait_for("input_audio_buffer.speech_started");
  EXPECT_NEAR(started["audio_start_ms"].get<double>(), utterance.speech_start_ms - 300, 80);
  auto stopped = log.wait_for("input_audio_buffer.speech_stopped");
  EXPECT_NEAR(stopped["audio_end_ms"].get<double>(), utterance.speech_end_ms + 500, 150);
  EXPECT_EQ(started["item_id"], stopped["item_id"]);

  // The transcription matches the spoken words.
  auto completed = log.wait_for("conversation.item.input_audio_transcription.completed");
  std::string transcript = completed["transcript"];
  WordErrors wer = word_errors(kUserSentence, transcript);
  std::printf("[ measured ] realtime transcription WER %.1f%%: \"%s\"\n", 100 * wer.rate(), transcript.c_str());
  EXPECT_LT(wer.rate(), 0.3);
  EXPECT_EQ(completed["item_id"], started["item_id"]);
  // Partial transcripts streamed while the user spoke, and they add up.
  std::string streamed;
  for (const auto& d : log.of_type("conversation.item.input_audio_transcription.delta")) streamed += d["delta"].get<std::string>();
  EXPECT_EQ(streamed, transcript);
  EXPECT_GE(log.of_type("conversation.item.input_audio_transcription.delta").size(), 2u);

  // The model got the instructions and the transcript.
  auto requests = replies->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0][0], (json{{"role", "system"}, {"content", "Be brief."}}));
  EXPECT_EQ(requests[0].back(), (json{{"role", "user"}, {"content", transcript}}));

  // response.done: completed, with usage, the item and the full transcript.
  EXPECT_EQ(done["response"]["status"], "completed");
  EXPECT_EQ(done["response"]["usage"]["input_tokens"], 42);
  auto part = done["response"]["output"][0]["content"][0];
  EXPECT_EQ(part["type"], "output_audio");
  // Content-part events call it "audio" (the GA schema's enum is audio | text).
  EXPECT_EQ(log.wait_for("response.content_part.added")["part"], (json{{"type", "audio"}, {"transcript", ""}}));
  EXPECT_EQ(log.wait_for("response.content_part.done")["part"], (json{{"type", "audio"}, {"transcript", kReply}}));
  EXPECT_EQ(part["transcript"], kReply);
  std::string deltas;
  for (const auto& d : log.of_type("response.output_audio_transcript.delta")) deltas += d["delta"].get<std::string>();
  EXPECT_EQ(deltas, kReply);

  // The audio deltas decode to audible speech saying the reply.
  std::string response_id = done["response"]["id"];
  auto audio = response_audio(log, "response.output_audio.delta", response_id, pcm24k());
  EXPECT_GT(audio.size(), 24000u * 3) << "over 3 s of speech";
  EXPECT_GT(rms_level(audio), 500);
  std::string heard = recognize(resample(audio, 24000, 16000));
  WordErrors reply_wer = word_errors(kReply, heard);
  std::printf("[ measured ] reply audio recognised back: WER %.1f%% \"%s\"\n", 100 * reply_wer.rate(), heard.c_str());
  EXPECT_LT(reply_wer.rate(), 0.5);

  // The timeline is complete and ordered.
  auto timing = log.wait_for("prism.turn.timing")["timing"];
  auto tl = timing["timeline_ms"];
  for (const char* stage : {"speech_end", "turn_detected", "final_transcript", "request_sent", "first_token",
                            "first_clause", "first_audio_synthesized", "first_audio_sent"})
    EXPECT_TRUE(tl.contains(stage)) << stage;
  EXPECT_LE(tl["turn_detected"].get<double>(), tl["final_transcript"].get<double>());
  EXPECT_LE(tl["first_token"].get<double>(), tl["first_audio_sent"].get<double>());
  std::printf("[ measured ] turn timing %s\n", timing.dump().c_str());
  ASSERT_EQ(timings.size(), 1u);
  EXPECT_EQ(timings[0]["response_id"], response_id);
  // The reply began on the partial transcript during the silence window and
  // was kept because the final transcript matched.
  EXPECT_EQ(timing["speculative"], true);
  EXPECT_LT(tl["request_sent"].get<double>(), tl["turn_detected"].get<double>());
  session.close();
  EXPECT_EQ(replies->live_streams(), 0);
}

TEST_F(RealtimeSessionTest, BetaDialectWithG711Output) {
  EventLog log;
  auto replies = std::make_shared<ScriptedReplies>("Yes, the answer is nine.", 1ms);
  SessionOptions options;
  options.dialect = Dialect::beta;
  RealtimeSession session(log.sender(), replies, options);
  auto created = log.wait_for("session.created");
  EXPECT_EQ(created["session"]["input_audio_format"], "pcm16");
  session.handle_client_text(json{{"type", "session.update"},
                                  {"session",
                                   {{"modalities", {"text", "audio"}},
                                    {"voice", "echo"},
                                    {"input_audio_format", "pcm16"},
                                    {"output_audio_format", "g711_alaw"},
                                    {"input_audio_transcription", {{"model", "whisper-1"}}},
                                    {"turn_detection", {{"type", "server_vad"}, {"silence_duration_ms", 400}}}}}}
                                 .dump());
  auto updated = log.wait_for("session.updated");
  EXPECT_EQ(updated["session"]["output_audio_format"], "g711_alaw");
  EXPECT_EQ(updated["session"]["voice"], "echo");

  const std::string spoken = "what time does the next train leave for the city";
  auto utterance = speak(spoken, pcm24k());
  for (const auto& frame : utterance.appends) session.handle_client_text(frame);
  auto done = log.wait_for("response.done");
  session.wait_idle();
  expect_in_order(log, {"input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped",
                        "input_audio_buffer.committed", "conversation.item.created",
                        "conversation.item.input_audio_transcription.completed", "response.created",
                        "response.output_item.added", "conversation.item.created", "response.content_part.added",
                        "response.audio_transcript.delta", "response.audio.delta", "response.audio.done",
                        "response.audio_transcript.done", "response.content_part.done", "response.output_item.done",
                        "response.done"});
  expect_every_event_well_formed(log);
  for (const char* ga_only : {"response.output_audio.delta", "conversation.item.added", "conversation.item.done",
                              "response.output_audio_transcript.delta"})
    EXPECT_TRUE(log.of_type(ga_only).empty()) << ga_only << " in a beta session";
  EXPECT_EQ(done["response"]["output"][0]["content"][0]["type"], "audio");
  EXPECT_EQ(done["response"]["modalities"], (json{"text", "audio"}));
  auto transcript = log.wait_for("conversation.item.input_audio_transcription.completed")["transcript"].get<std::string>();
  EXPECT_LT(word_errors(spoken, transcript).rate(), 0.3) << transcript;
  AudioFormat alaw{AudioFormat::Encoding::alaw, 8000};
  auto audio = response_audio(log, "response.audio.delta", done["response"]["id"], alaw);
  EXPECT_GT(audio.size(), 8000u) << "A-law at 8 kHz, over a second";
  EXPECT_GT(rms_level(audio), 500);
}

TEST_F(RealtimeSessionTest, G711InputIsDetectedAndTranscribed) {
  EventLog log;
  RealtimeSession session(log.sender(), std::make_shared<ScriptedReplies>("Okay.", 1ms));
  session.handle_client_text(R"({"type":"session.update","session":{"type":"realtime","output_modalities":["text"],"audio":{"input":{"format":{"type":"audio/pcmu"},"transcription":{"model":"x"},"turn_detection":{"type":"server_vad","create_response":false}}}}})");
  AudioFormat ulaw{AudioFormat::Encoding::mulaw, 8000};
  const std::string spoken = "call me back tomorrow";
  auto utterance = speak(spoken, ulaw);
  for (const auto& frame : utterance.appends) session.handle_client_text(frame);
  auto completed = log.wait_for("conversation.item.input_audio_transcription.completed");
  auto started = log.wait_for("input_audio_buffer.speech_started");
  auto stopped = log.wait_for("input_audio_buffer.speech_stopped");
  EXPECT_NEAR(started["audio_start_ms"].get<double>(), utterance.speech_start_ms - 300, 100);
  // The quieter tail of narrowband speech keeps the VAD on a little longer.
  EXPECT_NEAR(stopped["audio_end_ms"].get<double>(), utterance.speech_end_ms + 500, 200);
  session.wait_idle();
  EXPECT_TRUE(log.of_type("response.created").empty()) << "create_response is off";
  EXPECT_TRUE(log.of_type("error").empty());
  // 8 kHz telephone audio lacks the 4-8 kHz band the en-us model was
  // trained on (Debian ships no 8 kHz model): reported, not asserted.
  std::printf("[ measured ] G.711 (8 kHz) input WER %.1f%%: \"%s\"\n",
              100 * word_errors(spoken, completed["transcript"].get<std::string>()).rate(),
              completed["transcript"].get<std::string>().c_str());
}

TEST_F(RealtimeSessionTest, SpeculativeReplyIsDiscardedWhenTheUserGoesOn) {
  EventLog log;
  auto replies = std::make_shared<ScriptedReplies>("Sure thing.", 1ms);
  RealtimeSession session(log.sender(), replies);
  session.handle_client_text(R"({"type":"session.update","session":{"type":"realtime","audio":{"input":{"transcription":{"model":"x"},"turn_detection":{"type":"server_vad","silence_duration_ms":700}}}}})");
  // "what time does the next train leave" ... 400 ms pause ... "for the city"
  auto first = speak("what time does the next train leave", pcm24k(), 300, 400);
  auto second = speak("for the city", pcm24k(), 0, 1200);
  for (const auto& frame : first.appends) session.handle_client_text(frame);
  for (const auto& frame : second.appends) session.handle_client_text(frame);
  auto done = log.wait_for("response.done");
  session.wait_idle();
  EXPECT_EQ(log.of_type("input_audio_buffer.speech_started").size(), 1u) << "one turn despite the pause";
  auto requests = replies->requests();
  ASSERT_GE(requests.size(), 2u) << "a speculative request during the pause, then the real one";
  std::string guessed = requests.front().back()["content"];
  std::string final_transcript = log.wait_for("conversation.item.input_audio_transcription.completed")["transcript"];
  EXPECT_NE(guessed, final_transcript);
  EXPECT_EQ(requests.back().back()["content"], final_transcript);
  EXPECT_GE(replies->cancels(), 1) << "the guess was cancelled";
  EXPECT_EQ(log.of_type("response.created").size(), 1u) << "the discarded guess never reached the client";
  EXPECT_EQ(done["response"]["status"], "completed");
  std::printf("[ measured ] guessed \"%s\", final \"%s\"\n", guessed.c_str(), final_transcript.c_str());
}

// semantic_vad: words that read as finished end the turn after a short pause,
// and the reply (started and synthesized on the partial transcript during
// that pause) goes out at once.
TEST_F(RealtimeSessionTest, SemanticVadEndsAFinishedTurnEarlyWithAudioReady) {
  // A decoder of its own, freshly primed: a shared one carries its running
  // cepstral mean over from the earlier tests' utterances, which changes its
  // partial words and with them when the turn ends (807 ms instead of ~170
  // after the other tests, on an AMD EPYC; see the session 5 notes).
  RecognizerPool own{RecognizerConfig{}};
  warm_recognizers(own, 1);
  EventLog log;
  auto replies = std::make_shared<ScriptedReplies>(kReply, 1ms);
  SessionOptions options;
  options.recognizers = &own;
  RealtimeSession session(log.sender(), replies, options);
  session.handle_client_text(R"({"type":"session.update","session":{"type":"realtime","audio":{"input":{"transcription":{"model":"x"},"turn_detection":{"type":"semantic_vad","eagerness":"high"}}}}})");
  auto updated = log.wait_for("session.updated");
  EXPECT_EQ(updated["session"]["audio"]["input"]["turn_detection"]["type"], "semantic_vad");
  auto utterance = speak(kUserSentence, pcm24k(), 300, 1500);
  for (const auto& frame : utterance.appends) session.handle_client_text(frame);
  auto done = log.wait_for("response.done");
  session.wait_idle();
  EXPECT_TRUE(log.of_type("error").empty());
  EXPECT_EQ(done["response"]["status"], "completed");
  // The turn ended well before the 800 ms window that unfinished words get.
  auto stopped = log.wait_for("input_audio_buffer.speech_stopped");
  double ended_after = stopped["audio_end_ms"].get<double>() - utterance.speech_end_ms;
  std::printf("[ measured ] semantic_vad high: turn ended %.0f ms after the speech\n", ended_after);
  EXPECT_LT(ended_after, 600);
  auto timing = log.wait_for("prism.turn.timing")["timing"];
  std::printf("[ measured ] turn timing %s\n", timing.dump().c_str());
  EXPECT_EQ(timing["speculative"], true);
  auto tl = timing["timeline_ms"];
  EXPECT_LT(tl["first_audio_synthesized"].get<double>(), tl["first_audio_sent"].get<double>() + 1);
  // What was synthesized ahead is what was said: all of the reply, in order.
  std::string deltas;
  for (const auto& d : log.of_type("response.output_audio_transcript.delta")) deltas += d["delta"].get<std::string>();
  EXPECT_EQ(deltas, kReply);
  auto audio = response_audio(log, "response.output_audio.delta", done["response"]["id"], pcm24k());
  EXPECT_GT(audio.size(), 24000u * 3) << "over 3 s of speech";
  expect_in_order(log, {"input_audio_buffer.speech_stopped", "input_audio_buffer.committed",
                        "conversation.item.input_audio_transcription.completed", "response.created",
                        "response.output_audio.delta", "response.done"});
  auto requests = replies->requests();
  EXPECT_EQ(requests.size(), 1u) << "the speculative request was adopted; guessed \""
                                 << requests.front().back()["content"].get<std::string>() << "\", final \""
                                 << requests.back().back()["content"].get<std::string>() << "\"";
}

TEST_F(RealtimeSessionTest, SemanticVadWaitsThroughAPauseAfterUnfinishedWords) {
  EventLog log;
  auto replies = std::make_shared<ScriptedReplies>("Sure thing.", 1ms);
  RealtimeSession session(log.sender(), replies);
  session.handle_client_text(R"({"type":"session.update","session":{"type":"realtime","audio":{"input":{"transcription":{"model":"x"},"turn_detection":{"type":"semantic_vad","eagerness":"high"}}}}})");
  // A 450 ms pause after "... to the": longer than high eagerness waits for
  // finished words, shorter than its window for unfinished ones.
  auto first = speak("please take me to the", pcm24k(), 300, 450);
  auto second = speak("train station", pcm24k(), 0, 1500);
  for (const auto& frame : first.appends) session.handle_client_text(frame);
  for (const auto& frame : second.appends) session.handle_client_text(frame);
  log.wait_for("response.done");
  session.wait_idle();
  std::string transcript = log.wait_for("conversation.item.input_audio_transcription.completed")["transcript"];
  std::printf("[ measured ] semantic_vad across a pause: \"%s\"\n", transcript.c_str());
  EXPECT_EQ(log.of_type("input_audio_buffer.speech_started").size(), 1u) << "one turn despite the pause";
  EXPECT_EQ(log.of_type("input_audio_buffer.committed").size(), 1u);
  EXPECT_NE(transcript.find("station"), std::string::npos) << transcript;
}

// idle_timeout_ms: silence after the answer has finished playing gets a
// response of its own, announced by input_audio_buffer.timeout_triggered.
TEST_F(RealtimeSessionTest, IdleTimeoutInvitesTheUserToGoOn) {
  EventLog log;
  auto replies = std::make_shared<ScriptedReplies>(std::vector<std::string>{"Sure thing.", "Are you still there?"}, 1ms);
  RealtimeSession session(log.sender(), replies);
  session.handle_client_text(R"({"type":"session.update","session":{"type":"realtime","instructions":"Be brief.","audio":{"input":{"turn_detection":{"type":"server_vad","idle_timeout_ms":5000}}}}})");
  auto utterance = speak("what time is it", pcm24k(), 300, 900);
  for (const auto& frame : utterance.appends) session.handle_client_text(frame);
  auto first = log.wait_for("response.done");
  session.wait_idle();
  // Audio clock: the answer's audio, then 5 s of silence, then the trigger.
  const std::string silence =
      json{{"type", "input_audio_buffer.append"}, {"audio", base64_encode(std::vector<uint8_t>(960, 0))}}.dump();
  auto answer = response_audio(log, "response.output_audio.delta", first["response"]["id"], pcm24k());
  const int64_t answer_ms = static_cast<int64_t>(answer.size()) / 24;
  for (int64_t ms = 0; ms < answer_ms + 4000; ms += 20) session.handle_client_text(silence);
  session.wait_idle();
  EXPECT_TRUE(log.of_type("input_audio_buffer.timeout_triggered").empty()) << "too early";
  for (int ms = 0; ms < 1500; ms += 20) session.handle_client_text(silence);
  auto triggered = log.wait_for("input_audio_buffer.timeout_triggered");
  auto second = log.wait_for("response.done", 2);
  session.wait_idle();
  EXPECT_GE(triggered["audio_end_ms"].get<int64_t>() - triggered["audio_start_ms"].get<int64_t>(), 5000);
  EXPECT_LT(triggered["audio_end_ms"].get<int64_t>() - triggered["audio_start_ms"].get<int64_t>(), 5100);
  EXPECT_EQ(second["response"]["status"], "completed");
  expect_in_order(log, {"response.done", "input_audio_buffer.timeout_triggered", "input_audio_buffer.committed",
                        "response.created", "response.done"});
  EXPECT_EQ(log.wait_for("input_audio_buffer.committed", 2)["item_id"], triggered["item_id"]);
  auto requests = replies->requests();
  ASSERT_EQ(requests.size(), 2u);
  std::string system = requests[1][0]["content"];
  EXPECT_EQ(system.rfind("Be brief.", 0), 0u) << system;
  EXPECT_NE(system.find("said nothing"), std::string::npos) << system;
  EXPECT_EQ(log.of_type("input_audio_buffer.timeout_triggered").size(), 1u) << "once per silence";
}

// With a short silence window the turn ends while the WebRTC VAD is still in
// its hangover; that hangover (on digital silence) must not start a phantom
// turn, which would cancel the answer and leave the user with none.
TEST_F(RealtimeSessionTest, ShortSilenceWindowStartsNoPhantomTurns) {
  EventLog log;
  RealtimeSession session(log.sender(), std::make_shared<ScriptedReplies>("Okay.", 1ms));
  session.handle_client_text(R"({"type":"session.update","session":{"type":"realtime","output_modalities":["text"],"audio":{"input":{"turn_detection":{"type":"server_vad","silence_duration_ms":200,"create_response":false}}}}})");
  const char* sentences[] = {"What is the weather like today", "Can you set a timer for ten minutes",
                             "What time does the bakery open", "How do I boil an egg",
                             "Remind me to call my mother tonight", "What is the capital of France",
                             "Can you play some quiet music", "How far is it to the station",
                             "What should I cook for dinner", "Turn off the lights in the kitchen"};
  // As /v1/audio/speech gives it (Flite's own quiet lead-in and tail kept),
  // between stretches of digital silence.
  SpeechSynthesizer tts("slt");
  std::vector<int16_t> stream;
  for (const char* sentence : sentences) {
    stream.resize(stream.size() + 24000 * 4 / 10, 0);
    auto speech = resample(tts.synthesize(sentence), tts.sample_rate(), 24000);
    stream.insert(stream.end(), speech.begin(), speech.end());
    stream.resize(stream.size() + 24000 * 2, 0);
  }
  for (size_t at = 0; at < stream.size(); at += 480) {
    auto chunk = std::span(stream).subspan(at, std::min<size_t>(480, stream.size() - at));
    session.handle_client_text(
        json{{"type", "input_audio_buffer.append"}, {"audio", base64_encode(pcm24k().encode(chunk))}}.dump());
  }
  session.wait_idle();
  EXPECT_EQ(log.of_type("input_audio_buffer.speech_started").size(), 10u);
  EXPECT_EQ(log.of_type("input_audio_buffer.committed").size(), 10u);
}

TEST_F(RealtimeSessionTest, DialectFollowsTheFirstSessionUpdate) {
  EventLog log;
  RealtimeSession session(log.sender(), std::make_shared<ScriptedReplies>("ok", 1ms));
  session.handle_client_text(R"({"type":"session.update","session":{"modalities":["text"],"voice":"alloy"}})");
  auto updated = log.wait_for("session.updated");
  EXPECT_EQ(updated["session"]["modalities"], (json{"text"}));
  EXPECT_FALSE(updated["session"].contains("audio"));
  session.handle_client_text(R"({"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}})");
  session.handle_client_text(R"({"type":"response.create"})");
  auto done = log.wait_for("response.done");
  EXPECT_EQ(done["response"]["output"][0]["content"][0], (json{{"type", "text"}, {"text", "ok"}}));
  EXPECT_EQ(log.of_type("response.text.delta").size(), 1u);
  EXPECT_EQ(log.of_type("conversation.item.created").size(), 2u);
}

TEST_F(RealtimeSessionTest, BargeInCancelsTheResponseAtOnceAndKeepsOnlyWhatWasSent) {
  EventLog log;
  // A long answer, streamed slowly: still generating when the user cuts in.
  std::string long_reply;
  // Long enough (~15 s of generation) that even a slow sanitizer build
  // detects the second utterance before it ends; barge-in cuts it short.
  for (int i = 0; i < 60; ++i) long_reply += "This is sentence number " + std::to_string(i) + " of a long answer. ";
  auto replies = std::make_shared<ScriptedReplies>(std::vector<std::string>{long_reply, "Okay, stopping."}, 20ms);
  RealtimeSession session(log.sender(), replies);
  session.handle_client_text(R"({"type":"session.update","session":{"type":"realtime","audio":{"input":{"turn_detection":{"type":"server_vad","silence_duration_ms":400}}}}})");
  auto first = speak("tell me a long story", pcm24k());
  for (const auto& frame : first.appends) session.handle_client_text(frame);
  auto first_audio = log.wait_for("response.output_audio.delta");
  std::string response_id = first_audio["response_id"];

  auto second = speak("stop please", pcm24k(), 200, 900);
  for (const auto& frame : second.appends) session.handle_client_text(frame);
  auto cancelled = log.wait_for("response.done");
  log.wait_for("response.done", 2);  // the second turn's own answer
  session.wait_idle();

  EXPECT_EQ(cancelled["response"]["id"], response_id);
  EXPECT_EQ(cancelled["response"]["status"], "cancelled");
  EXPECT_EQ(cancelled["response"]["status_details"]["reason"], "turn_detected");
  EXPECT_GE(replies->cancels(), 1);
  // Within the same step as speech_started: nothing of the old response
  // goes out between the detection and response.done.
  auto events = log.all();
  int started = log.index_of("input_audio_buffer.speech_started", log.index_of("response.created"));
  int done_at = log.index_of("response.done");
  ASSERT_GE(started, 0);
  ASSERT_GT(done_at, started);
  for (int i = started + 1; i < done_at; ++i)
    EXPECT_NE(events[static_cast<size_t>(i)]["type"], "response.output_audio.delta") << events[static_cast<size_t>(i)].dump();
  for (size_t i = static_cast<size_t>(done_at); i < events.size(); ++i)
    if (events[i].contains("response_id")) {
      EXPECT_NE(events[i]["response_id"], response_id) << events[i].dump();
    }
  // Only the words whose audio went out stay in the conversation.
  std::string kept = cancelled["response"]["output"][0]["content"][0]["transcript"];
  std::string sent;
  for (const auto& d : log.of_type("response.output_audio_transcript.delta"))
    if (d["response_id"] == response_id) sent += d["delta"].get<std::string>();
  EXPECT_EQ(kept, sent);
  EXPECT_FALSE(kept.empty());
  EXPECT_LT(kept.size(), long_reply.size() / 2);
  EXPECT_EQ(long_reply.compare(0, kept.size(), kept), 0) << kept;
  // The next request carries the truncated assistant turn.
  auto requests = replies->requests();
  ASSERT_EQ(requests.size(), 2u);
  bool found = false;
  for (const auto& m : requests[1])
    if (m["role"] == "assistant") found = m["content"] == kept;
  EXPECT_TRUE(found) << requests[1].dump();
  expect_every_event_well_formed(log);
}

TEST_F(RealtimeSessionTest, TruncateKeepsTheClausesThatWereHeard) {
  EventLog log;
  RealtimeSession session(log.sender(), std::make_shared<ScriptedReplies>(kReply, 1ms));
  session.handle_client_text(R"({"type":"session.update","session":{"type":"realtime","audio":{"input":{"turn_detection":null}}}})");
  session.handle_client_text(R"({"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"book it"}]}})");
  session.handle_client_text(R"({"type":"response.create"})");
  auto done = log.wait_for("response.done");
  std::string item_id = done["response"]["output"][0]["id"];
  // The first clause's audio length, from the audio deltas before the second transcript delta.
  auto events = log.all();
  size_t first_clause_samples = 0;
  int transcript_deltas = 0;
  for (const auto& e : events) {
    if (e["type"] == "response.output_audio_transcript.delta" && ++transcript_deltas == 2) break;
    if (e["type"] == "response.output_audio.delta")
      first_clause_samples += base64_decode(e["delta"].get<std::string>()).size() / 2;
  }
  int64_t heard_ms = static_cast<int64_t>(first_clause_samples / 24) - 100;
  session.handle_client_text(json{{"type", "conversation.item.truncate"}, {"event_id", "evt_trunc"}, {"item_id", item_id},
                                  {"content_index", 0}, {"audio_end_ms", heard_ms}}.dump());
  auto truncated = log.wait_for("conversation.item.truncated");
  EXPECT_EQ(truncated["audio_end_ms"], heard_ms);
  session.handle_client_text(json{{"type", "conversation.item.retrieve"}, {"item_id", item_id}}.dump());
  auto item = log.wait_for("conversation.item.retrieved")["item"];
  EXPECT_EQ(item["content"][0]["transcript"], "Sure, I can help with that.");
  // Beyond the audio: an error naming the event.
  session.handle_client_text(json{{"type", "conversation.item.truncate"}, {"event_id", "evt_far"}, {"item_id", item_id},
                                  {"content_index", 0}, {"audio_end_ms", 999999}}.dump());
  auto error = log.wait_for("error");
  EXPECT_EQ(error["error"]["event_id"], "evt_far");
  EXPECT_EQ(error["error"]["param"], "audio_end_ms");
}

TEST_F(RealtimeSessionTest, ManualCommitWithoutTurnDetection) {
  EventLog log;
  auto replies = std::make_shared<ScriptedReplies>("Done.", 1ms);
  RealtimeSession session(log.sender(), replies);
  session.handle_client_text(R"({"type":"session.update","session":{"type":"realtime","output_modalities":["text"],"audio":{"input":{"turn_detection":null,"transcription":{"model":"x"}}}}})");
  auto utterance = speak("the weather is nice today", pcm24k(), 100, 200);
  for (const auto& frame : utterance.appends) session.handle_client_text(frame);
  session.wait_idle();
  EXPECT_TRUE(log.of_type("input_audio_buffer.speech_started").empty()) << "no VAD events without turn detection";
  EXPECT_TRUE(log.of_type("input_audio_buffer.committed").empty());
  session.handle_client_text(R"({"type":"input_audio_buffer.commit","event_id":"c1"})");
  auto completed = log.wait_for("conversation.item.input_audio_transcription.completed");
  EXPECT_LT(word_errors("the weather is nice today", completed["transcript"].get<std::string>()).rate(), 0.3)
      << completed.dump();
  session.wait_idle();
  EXPECT_TRUE(log.of_type("response.created").empty()) << "no response until the client asks";
  session.handle_client_text(R"({"type":"response.create"})");
  auto done = log.wait_for("response.done");
  EXPECT_EQ(done["response"]["output"][0]["content"][0], (json{{"type", "output_text"}, {"text", "Done."}}));
  EXPECT_EQ(log.of_type("response.output_text.delta").size(), 1u);
  EXPECT_TRUE(log.of_type("response.output_audio.delta").empty());
  // A commit of an empty buffer is an error naming the event.
  session.handle_client_text(R"({"type":"input_audio_buffer.commit","event_id":"c2"})");
  EXPECT_EQ(log.wait_for("error")["error"]["event_id"], "c2");
}

// A recogniser that cannot work (here: no model) ends the spoken turn with an
// `error` event; the session goes on and answers what comes next.
TEST_F(RealtimeSessionTest, RecognizerFailureEndsTheTurnWithAnErrorAndTheSessionGoesOn) {
  RecognizerConfig config;
  config.model_dir = "/nonexistent/model";
  RecognizerPool broken(config);
  EventLog log;
  auto replies = std::make_shared<ScriptedReplies>("Still here.", 1ms);
  SessionOptions options;
  options.recognizers = &broken;
  RealtimeSession session(log.sender(), replies, options);
  session.handle_client_text(R"({"type":"session.update","session":{"type":"realtime","output_modalities":["text"],"audio":{"input":{"turn_detection":{"type":"server_vad","silence_duration_ms":400}}}}})");
  auto utterance = speak("the weather is nice today", pcm24k());
  for (const auto& frame : utterance.appends) session.handle_client_text(frame);
  auto error = log.wait_for("error");
  EXPECT_EQ(error["error"]["code"], "speech_recognition_failed") << error.dump();
  EXPECT_NE(error["error"]["message"].get<std::string>().find("/nonexistent/model"), std::string::npos) << error.dump();
  log.wait_for("input_audio_buffer.speech_stopped");
  session.wait_idle();
  EXPECT_EQ(log.of_type("error").size(), 1u) << "one error for the failed turn, not one per frame";
  EXPECT_TRUE(log.of_type("input_audio_buffer.committed").empty());
  session.handle_client_text(R"({"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"hello"}]}})");
  session.handle_client_text(R"({"type":"response.create"})");
  auto done = log.wait_for("response.done");
  EXPECT_EQ(done["response"]["status"], "completed") << done.dump();
  session.close();
  EXPECT_EQ(broken.in_use_count(), 0u);
}

TEST_F(RealtimeSessionTest, ASessionBehindRealTimeDropsTheTurnAndStillAnswersItsEvents) {
  // max_input_lag 0: every append counts as late, as on a machine far past
  // its capacity (the soak under load): the turn is dropped, not decoded.
  EventLog log;
  SessionOptions options;
  options.max_input_lag = 0ms;
  RealtimeSession session(log.sender(), std::make_shared<ScriptedReplies>("Still here.", 1ms), options);
  session.handle_client_text(R"({"type":"session.update","session":{"type":"realtime","output_modalities":["text"],"audio":{"input":{"turn_detection":{"type":"server_vad","silence_duration_ms":400}}}}})");
  auto utterance = speak("the weather is nice today", pcm24k());
  size_t half = utterance.appends.size() / 2;
  for (size_t i = 0; i < utterance.appends.size(); ++i) {
    std::this_thread::sleep_for(25ms);  // a live client (a burst counts as ahead of real time)
    session.handle_client_text(utterance.appends[i]);
    if (i == half) session.handle_client_text(R"({"event_id":"bad_1","type":"conversation.item.delete","item_id":"nope"})");
  }
  log.wait_for("input_audio_buffer.speech_stopped");
  session.wait_idle();
  auto errors = log.of_type("error");
  ASSERT_EQ(errors.size(), 2u) << "one for the dropped turn, one for the invalid event";
  size_t overloaded = errors[0]["error"]["code"] == "server_overloaded" ? 0 : 1;
  EXPECT_EQ(errors[overloaded]["error"]["code"], "server_overloaded") << errors[overloaded].dump();
  EXPECT_EQ(errors[overloaded]["error"]["type"], "server_error");
  EXPECT_EQ(errors[1 - overloaded]["error"]["event_id"], "bad_1") << errors[1 - overloaded].dump();
  EXPECT_TRUE(log.of_type("input_audio_buffer.committed").empty()) << "nothing is committed from a dropped turn";
  EXPECT_EQ(RecognizerPool::shared().in_use_count(), 0u) << "the decoder went back to the pool";
  // The session goes on: a text turn is answered.
  session.handle_client_text(R"({"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"hello"}]}})");
  session.handle_client_text(R"({"type":"response.create"})");
  auto done = log.wait_for("response.done");
  EXPECT_EQ(done["response"]["status"], "completed") << done.dump();
  expect_every_event_well_formed(log);
}

TEST_F(RealtimeSessionTest, BadInputGetsErrorsAndTheSessionStaysConsistent) {
  EventLog log;
  SessionOptions options;
  options.limits.max_frame_bytes = 128 * 1024;
  options.limits.max_buffered_audio_ms = 1000;
  RealtimeSession session(log.sender(), std::make_shared<ScriptedReplies>("Still here.", 1ms), options);
  session.handle_client_text(R"({"type":"session.update","session":{"type":"realtime","audio":{"input":{"turn_detection":null}}}})");
  struct Case {
    std::string frame, event_id, param;
  };
  std::string big_audio = base64_encode(std::vector<uint8_t>(60 * 1024, 0));
  std::string oversized = R"({"event_id":"evt_big","type":"input_audio_buffer.append","audio":")" +
                          base64_encode(std::vector<uint8_t>(100 * 1024, 0)) + "\"}";
  std::vector<Case> cases = {
      {"this is not json", "", ""},
      {R"({"event_id":"e1","type":"no.such.event"})", "e1", "type"},
      {R"({"event_id":"e2"})", "e2", "type"},
      {R"(["an","array"])", "", ""},
      {R"({"event_id":"e3","type":"input_audio_buffer.append"})", "e3", "audio"},
      {R"({"event_id":"e4","type":"input_audio_buffer.append","audio":"not base64!"})", "e4", "audio"},
      {oversized, "evt_big", ""},
      {R"({"event_id":"e6","type":"input_audio_buffer.append","audio":")" + big_audio + "\"}", "e6", "audio"},
      {R"({"event_id":"e7","type":"conversation.item.delete","item_id":"nope"})", "e7", "item_id"},
      {R"({"event_id":"e8","type":"conversation.item.create","item":{"type":"message","role":"robot","content":[]}})", "e8", "item.role"},
      {R"({"event_id":"e9","type":"session.update","session":{"type":"realtime","audio":{"output":{"voice":"nobody"}}}})", "e9", "session.audio.output.voice"},
      {R"({"event_id":"e10","type":"session.update","session":{"type":"realtime","audio":{"input":{"format":{"type":"audio/flac"}}}}})", "e10", "session.audio.input.format.type"},
      {R"({"event_id":"e11","type":"response.cancel"})", "e11", ""},
      {R"({"event_id":"e12","type":"conversation.item.truncate","item_id":"x","content_index":0})", "e12", "audio_end_ms"},
      {R"({"event_id":"e13","type":"input_audio_buffer.append","audio":"AAAA"})", "e13", "audio"},  // 3 bytes: half a sample
  };
  for (const auto& c : cases) session.handle_client_text(c.frame);
  session.handle_client_binary(320);
  session.wait_idle();
  auto errors = log.of_type("error");
  ASSERT_EQ(errors.size(), cases.size() + 1) << "one error per bad event";
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& e = errors[i]["error"];
    EXPECT_TRUE(e["message"].is_string() && !e["message"].get<std::string>().empty());
    if (cases[i].event_id.empty()) EXPECT_TRUE(e["event_id"].is_null()) << e.dump();
    else EXPECT_EQ(e["event_id"], cases[i].event_id) << e.dump();
    if (!cases[i].param.empty()) {
      EXPECT_EQ(e["param"], cases[i].param) << e.dump();
    }
  }
  EXPECT_EQ(errors.back()["error"]["code"], "binary_frame_unsupported");
  // Still consistent: the voice is unchanged, nothing was buffered, and a turn works.
  session.handle_client_text(R"({"type":"input_audio_buffer.clear"})");
  log.wait_for("input_audio_buffer.cleared");
  session.handle_client_text(R"({"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"are you there"}]}})");
  session.handle_client_text(R"({"type":"response.create","response":{"output_modalities":["audio"]}})");
  auto done = log.wait_for("response.done");
  EXPECT_EQ(done["response"]["status"], "completed");
  EXPECT_EQ(done["response"]["audio"]["output"]["voice"], "alloy");
  EXPECT_EQ(done["response"]["output"][0]["content"][0]["transcript"], "Still here.");
  expect_every_event_well_formed(log);
}

TEST_F(RealtimeSessionTest, ConcurrentSessionsStayIndependent) {
  constexpr int kSessions = 4;
  // Slow enough that a cancel sent right after the create always finds it running.
  auto replies = std::make_shared<ScriptedReplies>("One moment, please. I am checking that for you now.", 30ms);
  std::vector<std::unique_ptr<EventLog>> logs;
  std::vector<std::unique_ptr<RealtimeSession>> sessions;
  for (int i = 0; i < kSessions; ++i) {
    logs.push_back(std::make_unique<EventLog>());
    sessions.push_back(std::make_unique<RealtimeSession>(logs.back()->sender(), replies));
  }
  // Feed all sessions from several threads at once, as several sockets would.
  std::vector<std::thread> clients;
  for (int i = 0; i < kSessions; ++i) {
    clients.emplace_back([&, i] {
      auto& s = *sessions[static_cast<size_t>(i)];
      s.handle_client_text(json{{"type", "conversation.item.create"},
                                {"item", {{"type", "message"}, {"role", "user"},
                                          {"content", {{{"type", "input_text"}, {"text", "question " + std::to_string(i)}}}}}}}.dump());
      s.handle_client_text(R"({"type":"response.create"})");
      if (i % 2 == 1) s.handle_client_text(R"({"type":"response.cancel","event_id":"late"})");
    });
  }
  for (auto& c : clients) c.join();
  for (int i = 0; i < kSessions; ++i) {
    auto done = logs[static_cast<size_t>(i)]->wait_for("response.done");
    EXPECT_EQ(done["response"]["status"], i % 2 == 1 ? "cancelled" : "completed") << i;
    expect_every_event_well_formed(*logs[static_cast<size_t>(i)]);
  }
  sessions.clear();
  EXPECT_EQ(replies->live_streams(), 0);
}

TEST_F(RealtimeSessionTest, CloseMidResponseStopsEverything) {
  RecognizerPool& pool = RecognizerPool::shared();
  std::string many;
  for (int i = 0; i < 200; ++i) many += "word" + std::to_string(i) + " and more, ";
  auto replies = std::make_shared<ScriptedReplies>(many, 5ms);
  EventLog log;
  size_t events_at_close = 0;
  {
    RealtimeSession session(log.sender(), replies);
    auto utterance = speak("hello there", pcm24k(), 200, 700);
    for (const auto& frame : utterance.appends) session.handle_client_text(frame);
    log.wait_for("response.output_audio.delta");
    session.close();
    events_at_close = log.all().size();
    session.handle_client_text(R"({"type":"response.create"})");  // ignored after close
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(log.all().size(), events_at_close) << "nothing is sent after close()";
  EXPECT_EQ(replies->live_streams(), 0) << "the reply stream was cancelled and released";
  EXPECT_GE(replies->cancels(), 1);
  EXPECT_EQ(pool.idle_count(), pool.total_count()) << "the decoder went back to the pool";
}

}  // namespace
}  // namespace prism::voice
