// Malformed tokenizer files give clear errors; random input never crashes
// and byte-level BPE round-trips any valid UTF-8.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace prism::tokenizer {
namespace {

const std::filesystem::path kTinyA = std::filesystem::path(PRISM_FIXTURES_DIR) / "smolvlm" / "tiny-a" / "tokenizer.json";
const std::filesystem::path kTinyB = std::filesystem::path(PRISM_FIXTURES_DIR) / "smolvlm" / "tiny-b" / "tokenizer.json";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class TempFile {
 public:
  explicit TempFile(const std::string& contents) {
    path_ = std::filesystem::temp_directory_path() /
            ("prism_tok_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
             std::to_string(counter_++) + "_" + std::to_string(reinterpret_cast<uintptr_t>(this)) + ".json");
    std::ofstream(path_, std::ios::binary) << contents;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

// Loads `contents` as a tokenizer.json and returns the error message.
std::string load_error(const std::string& contents) {
  TempFile file(contents);
  try {
    Tokenizer::load(file.path());
  } catch (const prism::Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(file.path().string()), std::string::npos) << "error must name the file: " << message;
    return message;
  }
  ADD_FAILURE() << "expected prism::Error";
  return {};
}

TEST(TokenizerErrors, MissingFileIsNamed) {
  try {
    Tokenizer::load("/nonexistent/tokenizer.json");
    FAIL();
  } catch (const prism::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/tokenizer.json"), std::string::npos);
  }
}

TEST(TokenizerErrors, TruncatedJson) {
  const std::string full = read_file(kTinyA);
  EXPECT_NE(load_error(full.substr(0, full.size() / 2)).find("not valid JSON"), std::string::npos);
}

TEST(TokenizerErrors, MissingModel) {
  auto doc = nlohmann::json::parse(read_file(kTinyA));
  doc.erase("model");
  EXPECT_NE(load_error(doc.dump()).find("no 'model'"), std::string::npos);
}

TEST(TokenizerErrors, UnknownModelType) {
  auto doc = nlohmann::json::parse(read_file(kTinyA));
  doc["model"]["type"] = "WordPiece";
  EXPECT_NE(load_error(doc.dump()).find("model type 'WordPiece' is not supported"), std::string::npos);
}

TEST(TokenizerErrors, MergeNamingUnknownToken) {
  for (const auto& path : {kTinyA, kTinyB}) {
    auto doc = nlohmann::json::parse(read_file(path));
    auto& merges = doc["model"]["merges"];
    if (merges[0].is_string()) {
      merges.push_back("Ġ nosuchtoken");
    } else {
      merges.push_back({"Ġ", "nosuchtoken"});
    }
    EXPECT_NE(load_error(doc.dump()).find("names token 'nosuchtoken' that is not in the vocabulary"), std::string::npos);
  }
}

TEST(TokenizerErrors, MalformedMerge) {
  auto doc = nlohmann::json::parse(read_file(kTinyB));
  doc["model"]["merges"].push_back("nospace");
  EXPECT_NE(load_error(doc.dump()).find("is not two tokens"), std::string::npos);
}

TEST(TokenizerErrors, UnsupportedPipelineParts) {
  auto doc = nlohmann::json::parse(read_file(kTinyA));
  doc["normalizer"] = {{"type", "NFKC"}};
  EXPECT_NE(load_error(doc.dump()).find("normalizer type 'NFKC' is not supported"), std::string::npos);
  doc = nlohmann::json::parse(read_file(kTinyA));
  doc["pre_tokenizer"] = {{"type", "Metaspace"}};
  EXPECT_NE(load_error(doc.dump()).find("pre-tokenizer type 'Metaspace' is not supported"), std::string::npos);
  doc = nlohmann::json::parse(read_file(kTinyA));
  doc["decoder"] = {{"type", "WordPiece"}};
  EXPECT_NE(load_error(doc.dump()).find("decoder type 'WordPiece' is not supported"), std::string::npos);
  doc = nlohmann::json::parse(read_file(kTinyA));
  doc["added_tokens"][0].erase("content");
  EXPECT_NE(load_error(doc.dump()).find("malformed added_tokens entry"), std::string::npos);
}

// Random valid UTF-8 drawn from ASCII, Latin, CJK, emoji and whitespace, plus
// fragments of special tokens so the added-token splitter is exercised too.
std::string random_text(std::mt19937& rng) {
  static const char32_t ranges[][2] = {{0x20, 0x7E}, {0x09, 0x0D}, {0xA0, 0x17F}, {0x4E00, 0x4E80}, {0x1F600, 0x1F64F}, {0x660, 0x669}};
  static const char* fragments[] = {"<image>", "<|im_start|>", "<end_of_utterance>", "<fake_token", "'s", "  ", "\n\n"};
  std::string text;
  const int length = std::uniform_int_distribution<int>(0, 60)(rng);
  for (int i = 0; i < length; ++i) {
    const int pick = std::uniform_int_distribution<int>(0, 7)(rng);
    if (pick == 7) {
      text += fragments[std::uniform_int_distribution<int>(0, 6)(rng)];
    } else {
      const auto& r = ranges[pick % 6];
      utf8::append(text, std::uniform_int_distribution<char32_t>(r[0], r[1])(rng));
    }
  }
  return text;
}

TEST(TokenizerFuzz, ValidUtf8RoundTripsAndStreamsIdentically) {
  const Tokenizer tokenizer = Tokenizer::load(kTinyA);
  std::mt19937 rng(1234);
  for (int i = 0; i < 1500; ++i) {
    const std::string text = random_text(rng);
    const auto ids = tokenizer.encode(text);
    ASSERT_EQ(tokenizer.decode(ids, false), text);
    StreamingDecoder stream(tokenizer, false);
    std::string streamed;
    for (int32_t id : ids) {
      const std::string piece = stream.push(id);
      ASSERT_TRUE(utf8::is_valid(piece));
      streamed += piece;
    }
    streamed += stream.flush();
    ASSERT_EQ(streamed, text);
  }
}

TEST(TokenizerFuzz, RandomBytesAndIdsNeverCrash) {
  const Tokenizer tokenizer = Tokenizer::load(kTinyB);
  std::mt19937 rng(99);
  for (int i = 0; i < 1500; ++i) {
    std::string bytes(std::uniform_int_distribution<int>(0, 80)(rng), '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    const auto ids = tokenizer.encode(bytes);
    const std::string decoded = tokenizer.decode(ids, false);
    EXPECT_TRUE(utf8::is_valid(decoded));
    EXPECT_EQ(decoded, utf8::lossy(bytes));

    std::vector<int32_t> random_ids(std::uniform_int_distribution<int>(0, 20)(rng));
    for (auto& id : random_ids) id = std::uniform_int_distribution<int32_t>(-5, 700)(rng);
    for (bool skip : {false, true}) {
      const std::string text = tokenizer.decode(random_ids, skip);
      EXPECT_TRUE(utf8::is_valid(text));
      StreamingDecoder stream(tokenizer, skip);
      std::string streamed;
      for (int32_t id : random_ids) streamed += stream.push(id);
      streamed += stream.flush();
      EXPECT_EQ(streamed, text);
    }
  }
}

TEST(TokenizerFuzz, LongWordWithoutSpacesIsFast) {
  const Tokenizer tokenizer = Tokenizer::load(kTinyA);
  std::string text;
  for (int i = 0; i < 20000; ++i) text += static_cast<char>('a' + (i * 7) % 26);
  EXPECT_EQ(tokenizer.decode(tokenizer.encode(text), false), text);
}

TEST(TokenizerThreads, ConcurrentEncodesAgreeWithSerialOnes) {
  const Tokenizer tokenizer = Tokenizer::load(kTinyA);
  std::mt19937 rng(5);
  std::vector<std::string> texts;
  for (int i = 0; i < 200; ++i) texts.push_back(random_text(rng));
  std::vector<std::vector<int32_t>> serial;
  for (const auto& t : texts) serial.push_back(Tokenizer::load(kTinyA).encode(t));
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      const Tokenizer copy = tokenizer;  // copies share the vocabulary and cache
      for (std::size_t i = 0; i < texts.size(); ++i) mismatches[k] += copy.encode(texts[(i + k * 50) % texts.size()]) != serial[(i + k * 50) % texts.size()];
    });
  }
  for (auto& t : threads) t.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

TEST(StreamingDecoder, HoldsBackIncompleteUtf8) {
  const Tokenizer tokenizer = Tokenizer::load(kTinyA);
  const std::string smile = "\xF0\x9F\x99\x82";  // one emoji, four byte tokens
  const auto ids = tokenizer.encode(smile);
  ASSERT_GT(ids.size(), 1u);
  StreamingDecoder stream(tokenizer, false);
  std::string out;
  for (std::size_t i = 0; i + 1 < ids.size(); ++i) EXPECT_EQ(stream.push(ids[i]), "");
  EXPECT_EQ(stream.push(ids.back()), smile);
  EXPECT_EQ(stream.flush(), "");
  // A sequence that never completes becomes U+FFFD at the end.
  StreamingDecoder cut(tokenizer, false);
  EXPECT_EQ(cut.push(ids[0]), "");
  EXPECT_EQ(cut.flush(), "\xEF\xBF\xBD");
}

TEST(StreamingDecoder, SkipsSpecialTokensWhenAsked) {
  const Tokenizer tokenizer = Tokenizer::load(kTinyA);
  const auto ids = tokenizer.encode("<|im_start|>User: hi<end_of_utterance>");
  StreamingDecoder keep(tokenizer, false), skip(tokenizer, true);
  std::string kept, skipped;
  for (int32_t id : ids) {
    kept += keep.push(id);
    skipped += skip.push(id);
  }
  EXPECT_EQ(kept, "<|im_start|>User: hi<end_of_utterance>");
  EXPECT_EQ(skipped, "User: hi");
}

}  // namespace
}  // namespace prism::tokenizer
