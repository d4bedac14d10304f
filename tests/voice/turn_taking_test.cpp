// Turn-taking rules: which words read as a finished utterance, the silence
// windows per turn detection mode, and semantic_vad in session.update.
#include <gtest/gtest.h>

#include "core/error.h"
#include "voice/session_settings.h"
#include "voice/turn_taking.h"

namespace prism::voice {
namespace {

using nlohmann::json;

TEST(TurnTaking, FinishedUtterancesEndOnContentWords) {
  EXPECT_TRUE(looks_finished("what time is it"));
  EXPECT_TRUE(looks_finished("please call me back tomorrow morning"));
  EXPECT_TRUE(looks_finished("Thanks!"));
  EXPECT_TRUE(looks_finished("where is it?"));  // "is" mid-sentence, "it" at the end
  // Questions often end on a preposition.
  EXPECT_TRUE(looks_finished("where are you from"));
  EXPECT_TRUE(looks_finished("what time does the bakery open up in"));
}

TEST(TurnTaking, UtterancesEndingOnAFunctionWordAreUnfinished) {
  for (const char* text : {"i would like to go to", "a table for two and", "can you tell me the", "my name is",
                           "send it to my", "um", "so i was thinking that I", "", "   ", "..."})
    EXPECT_FALSE(looks_finished(text)) << '"' << text << '"';
}

TEST(TurnTaking, ServerVadUsesTheClientsWindow) {
  TurnDetection td;
  td.silence_duration_ms = 500;
  TurnWindows w = turn_windows(td, 200);
  EXPECT_EQ(w.finished_ms, 500);
  EXPECT_EQ(w.unfinished_ms, 500);
  EXPECT_EQ(w.speculate_ms, 200);
  td.silence_duration_ms = 200;
  EXPECT_EQ(turn_windows(td, 200).speculate_ms, 100) << "speculation starts before the earliest end of turn";
  EXPECT_EQ(turn_windows(td, 0).speculate_ms, 0) << "0 turns speculation off";
  td.create_response = false;
  EXPECT_EQ(turn_windows(td, 200).speculate_ms, 0) << "nothing to speculate for";
}

TEST(TurnTaking, SemanticVadEagernessOrdersTheWindows) {
  TurnDetection td;
  td.type = TurnDetection::Type::semantic_vad;
  td.eagerness = "high";
  TurnWindows high = turn_windows(td, 200);
  td.eagerness = "auto";
  TurnWindows automatic = turn_windows(td, 200);
  td.eagerness = "medium";
  TurnWindows medium = turn_windows(td, 200);
  td.eagerness = "low";
  TurnWindows low = turn_windows(td, 200);
  EXPECT_EQ(automatic.finished_ms, medium.finished_ms) << "auto is medium";
  EXPECT_LT(high.finished_ms, medium.finished_ms);
  EXPECT_LT(medium.finished_ms, low.finished_ms);
  for (const TurnWindows& w : {high, medium, low}) {
    EXPECT_LT(w.finished_ms, w.unfinished_ms);
    EXPECT_GT(w.speculate_ms, 0);
    EXPECT_LT(w.speculate_ms, w.finished_ms);
  }
}

TEST(TurnTaking, SessionUpdateTakesAndEchoesSemanticVad) {
  SessionSettings s;
  s.apply_update(json::parse(R"({"type":"realtime","audio":{"input":{"turn_detection":{"type":"semantic_vad","eagerness":"high","interrupt_response":false}}}})"),
                 Dialect::ga);
  EXPECT_EQ(s.turn_detection.type, TurnDetection::Type::semantic_vad);
  json td = s.to_json(Dialect::ga, "sess_1")["audio"]["input"]["turn_detection"];
  EXPECT_EQ(td, (json{{"type", "semantic_vad"}, {"eagerness", "high"}, {"create_response", true},
                      {"interrupt_response", false}}));
  // Beta shape, and back to server_vad.
  s.apply_update(json::parse(R"({"turn_detection":{"type":"server_vad","silence_duration_ms":300}})"), Dialect::beta);
  json beta = s.to_json(Dialect::beta, "sess_1")["turn_detection"];
  EXPECT_EQ(beta["type"], "server_vad");
  EXPECT_EQ(beta["silence_duration_ms"], 300);
  // A field-only update keeps the type.
  s.apply_update(json::parse(R"({"turn_detection":{"type":"semantic_vad"}})"), Dialect::beta);
  s.apply_update(json::parse(R"({"turn_detection":{"eagerness":"low"}})"), Dialect::beta);
  EXPECT_EQ(s.turn_detection.type, TurnDetection::Type::semantic_vad);
  EXPECT_EQ(s.turn_detection.eagerness, "low");
}

TEST(TurnTaking, BadEagernessNamesTheField) {
  SessionSettings s;
  try {
    s.apply_update(json::parse(R"({"audio":{"input":{"turn_detection":{"type":"semantic_vad","eagerness":"eager"}}}})"),
                   Dialect::ga);
    FAIL() << "accepted eagerness \"eager\"";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("session.audio.input.turn_detection.eagerness"), std::string::npos) << e.what();
  }
  EXPECT_EQ(s.turn_detection.type, TurnDetection::Type::server_vad) << "a failed update changes nothing";
}

}  // namespace
}  // namespace prism::voice
