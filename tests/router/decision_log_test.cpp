// Decision log: open / update / finish / find / recent, the bounded ring,
// and the JSON Lines file that refills the ring after a restart.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "core/error.h"
#include "router/decision_log.h"

namespace prism::router {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A fresh folder per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            ("prism-rtest-" + std::to_string(::getpid()) + "-" + info->test_suite_name() + "-" + info->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

json record(const std::string& id, const std::string& chosen) {
  return {{"id", id}, {"chosen", chosen}, {"attempts", json::array()}};
}

std::vector<std::string> ids(const json& list) {
  std::vector<std::string> out;
  for (const auto& r : list) out.push_back(r["id"]);
  return out;
}

std::vector<std::string> lines_of(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

TEST(DecisionLog, OpenRecordIsFindableBeforeItFinishes) {
  DecisionLog log(10, "");
  log.open(record("d1", "m"));
  auto found = log.find("d1");
  ASSERT_TRUE(found);
  EXPECT_EQ((*found)["chosen"], "m");
  EXPECT_EQ(log.recent(10), json::array());  // only finished records are listed
  EXPECT_FALSE(log.find("nope"));
}

TEST(DecisionLog, UpdateChangesTheOpenRecordAndFinishMergesFields) {
  DecisionLog log(10, "");
  log.open(record("d1", "a"));
  log.update("d1", [](json& r) { r["attempts"].push_back({{"model", "a"}, {"error", "HTTP 500"}}); });
  log.update("d1", [](json& r) { r["attempts"].push_back({{"model", "b"}, {"error", nullptr}}); });
  log.update("unknown", [](json& r) { r["bad"] = true; });  // ignored
  EXPECT_EQ((*log.find("d1"))["attempts"].size(), 2u);

  log.finish("d1", {{"outcome", {{"status", 200}, {"total_ms", 12.5}}}, {"chosen", "b"}});
  const json r = *log.find("d1");
  EXPECT_EQ(r["chosen"], "b");  // finish fields replace
  EXPECT_EQ(r["outcome"]["status"], 200);
  EXPECT_EQ(r["attempts"][0]["error"], "HTTP 500");
  EXPECT_EQ(ids(log.recent(10)), (std::vector<std::string>{"d1"}));

  // A second finish, or one for an id never opened, stores nothing.
  log.finish("d1", {{"outcome", "again"}});
  log.finish("ghost", {{"outcome", "x"}});
  EXPECT_EQ(log.recent(10).size(), 1u);
  EXPECT_FALSE(log.find("ghost"));
  EXPECT_EQ((*log.find("d1"))["outcome"]["status"], 200);
}

TEST(DecisionLog, RecentIsNewestFirstWithLimitAndModelFilter) {
  DecisionLog log(10, "");
  const char* chosen[] = {"a", "b", "a", "c", "a"};
  for (int i = 0; i < 5; ++i) {
    log.open(record("d" + std::to_string(i), chosen[i]));
    log.finish("d" + std::to_string(i), json::object());
  }
  EXPECT_EQ(ids(log.recent(10)), (std::vector<std::string>{"d4", "d3", "d2", "d1", "d0"}));
  EXPECT_EQ(ids(log.recent(2)), (std::vector<std::string>{"d4", "d3"}));
  EXPECT_EQ(ids(log.recent(10, "a")), (std::vector<std::string>{"d4", "d2", "d0"}));
  EXPECT_EQ(ids(log.recent(2, "a")), (std::vector<std::string>{"d4", "d2"}));
  EXPECT_EQ(log.recent(10, "zzz"), json::array());
  EXPECT_EQ(log.recent(0), json::array());
}

TEST(DecisionLog, NoChoiceRecordsAreNotMatchedByAModelFilter) {
  DecisionLog log(10, "");
  log.open({{"id", "x"}, {"chosen", nullptr}});
  log.finish("x", json::object());
  EXPECT_EQ(log.recent(10).size(), 1u);
  EXPECT_EQ(log.recent(10, "a").size(), 0u);
}

TEST(DecisionLog, RingKeepsTheNewestCapacityRecords) {
  DecisionLog log(3, "");
  for (int i = 0; i < 5; ++i) {
    log.open(record("d" + std::to_string(i), "m"));
    log.finish("d" + std::to_string(i), json::object());
  }
  EXPECT_EQ(ids(log.recent(100)), (std::vector<std::string>{"d4", "d3", "d2"}));
  EXPECT_FALSE(log.find("d1"));
  EXPECT_TRUE(log.find("d2"));
}

TEST(DecisionLog, RecordsSurviveARestart) {
  TempDir dir;
  const fs::path file = dir.path() / "sub" / "decisions.jsonl";  // parent created on demand
  {
    DecisionLog log(100, file);
    EXPECT_EQ(log.lines_loaded_at_start(), 0u);
    for (int i = 0; i < 4; ++i) {
      log.open(record("d" + std::to_string(i), i % 2 ? "odd" : "even"));
      log.finish("d" + std::to_string(i), {{"outcome", {{"tokens", i}}}});
    }
    log.open(record("in-flight", "x"));  // never finished: not written
    // Each finished record is one line on disk at once, before any flush().
    EXPECT_EQ(lines_of(file).size(), 4u);
  }
  const auto lines = lines_of(file);
  ASSERT_EQ(lines.size(), 4u);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const json j = json::parse(lines[i]);
    EXPECT_EQ(j["id"], "d" + std::to_string(i));
    EXPECT_EQ(j["outcome"]["tokens"], i);
  }

  DecisionLog reopened(100, file);
  EXPECT_EQ(reopened.lines_loaded_at_start(), 4u);
  EXPECT_EQ(ids(reopened.recent(10)), (std::vector<std::string>{"d3", "d2", "d1", "d0"}));
  EXPECT_EQ(ids(reopened.recent(10, "odd")), (std::vector<std::string>{"d3", "d1"}));
  EXPECT_EQ((*reopened.find("d2"))["outcome"]["tokens"], 2);
  EXPECT_FALSE(reopened.find("in-flight"));

  // New records append after the old ones.
  reopened.open(record("d4", "even"));
  reopened.finish("d4", json::object());
  reopened.flush();
  EXPECT_EQ(lines_of(file).size(), 5u);
  EXPECT_EQ(json::parse(lines_of(file).back())["id"], "d4");
}

TEST(DecisionLog, RestartWithASmallerRingKeepsTheNewest) {
  TempDir dir;
  const fs::path file = dir.path() / "decisions.jsonl";
  {
    DecisionLog log(100, file, /*fsync_each=*/true);
    for (int i = 0; i < 6; ++i) {
      log.open(record("d" + std::to_string(i), "m"));
      log.finish("d" + std::to_string(i), json::object());
    }
  }
  DecisionLog small(2, file);
  EXPECT_EQ(ids(small.recent(10)), (std::vector<std::string>{"d5", "d4"}));
}

TEST(DecisionLog, TornLastLineAndGarbageAreSkipped) {
  TempDir dir;
  const fs::path file = dir.path() / "decisions.jsonl";
  {
    std::ofstream out(file);
    out << json{{"id", "a"}, {"chosen", "m"}}.dump() << "\n";
    out << "\n";                                      // blank line
    out << "not json at all\n";
    out << json{{"no_id", 1}}.dump() << "\n";          // an object without an id
    out << json::array({1, 2}).dump() << "\n";         // not an object
    out << json{{"id", "b"}, {"chosen", "m"}}.dump() << "\n";
    out << R"({"id": "torn", "chosen": "m", "attem)";  // crash mid-write
  }
  DecisionLog log(10, file);
  EXPECT_EQ(log.lines_loaded_at_start(), 2u);
  EXPECT_EQ(ids(log.recent(10)), (std::vector<std::string>{"b", "a"}));
  EXPECT_FALSE(log.find("torn"));
}

TEST(DecisionLog, RecordAppendedAfterATornLineSurvivesTheNextRestart) {
  TempDir dir;
  const fs::path file = dir.path() / "decisions.jsonl";
  {
    std::ofstream out(file);
    out << json{{"id", "a"}, {"chosen", "m"}}.dump() << "\n";
    out << R"({"id": "torn", "chos)";  // crash mid-write, no newline
  }
  {
    DecisionLog log(10, file);
    log.open(record("after", "m"));
    log.finish("after", json::object());
  }
  DecisionLog reopened(10, file);
  EXPECT_TRUE(reopened.find("after"));
  EXPECT_EQ(ids(reopened.recent(10)), (std::vector<std::string>{"after", "a"}));
}

TEST(DecisionLog, UnopenableFileIsAnError) {
  TempDir dir;
  // A directory where the file should be.
  fs::create_directories(dir.path() / "taken.jsonl");
  try {
    DecisionLog log(10, dir.path() / "taken.jsonl");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("taken.jsonl"), std::string::npos) << e.what();
  }
}

TEST(DecisionLog, ZeroCapacityStillKeepsTheLatest) {
  DecisionLog log(0, "");
  log.open(record("a", "m"));
  log.finish("a", json::object());
  log.open(record("b", "m"));
  log.finish("b", json::object());
  EXPECT_EQ(ids(log.recent(10)), (std::vector<std::string>{"b"}));
}

}  // namespace
}  // namespace prism::router
