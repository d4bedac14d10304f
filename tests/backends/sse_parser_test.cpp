// Server-Sent Events parsing as the WHATWG event-stream rules define it:
// line ends \n, \r\n and \r; "data" lines joined with \n; comments and other
// fields ignored; a blank line dispatches; input split anywhere.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "backends/sse_parser.h"

namespace prism::backends {
namespace {

using Events = std::vector<std::string>;

Events parse_all(std::string_view bytes) {
  SseParser p;
  return p.feed(bytes);
}

// Feeds `bytes` one split at a time: [0, cut) then [cut, end).
Events parse_split(std::string_view bytes, std::size_t cut) {
  SseParser p;
  Events out = p.feed(bytes.substr(0, cut));
  for (auto& e : p.feed(bytes.substr(cut))) out.push_back(std::move(e));
  return out;
}

Events parse_bytewise(std::string_view bytes) {
  SseParser p;
  Events out;
  for (char c : bytes) {
    for (auto& e : p.feed(std::string_view(&c, 1))) out.push_back(std::move(e));
  }
  return out;
}

TEST(SseParser, OneEventPerBlankLine) {
  EXPECT_EQ(parse_all("data: {\"a\":1}\n\ndata: [DONE]\n\n"), (Events{"{\"a\":1}", "[DONE]"}));
}

TEST(SseParser, AllThreeLineEndings) {
  const Events expected{"one", "two"};
  EXPECT_EQ(parse_all("data: one\n\ndata: two\n\n"), expected);
  EXPECT_EQ(parse_all("data: one\r\n\r\ndata: two\r\n\r\n"), expected);
  EXPECT_EQ(parse_all("data: one\r\rdata: two\r\r"), expected);
  EXPECT_EQ(parse_all("data: one\r\n\ndata: two\r\r\n"), expected);  // mixed
}

TEST(SseParser, MultiLineDataIsJoinedWithNewlines) {
  EXPECT_EQ(parse_all("data: first\ndata: second\ndata:third\n\n"), (Events{"first\nsecond\nthird"}));
  EXPECT_EQ(parse_all("data: a\r\ndata: b\r\n\r\n"), (Events{"a\nb"}));
}

TEST(SseParser, OnlyOneLeadingSpaceIsRemoved) {
  EXPECT_EQ(parse_all("data:  two spaces\n\n"), (Events{" two spaces"}));
  EXPECT_EQ(parse_all("data:no space\n\n"), (Events{"no space"}));
  EXPECT_EQ(parse_all("data: a: b\n\n"), (Events{"a: b"}));  // only the first colon splits
}

TEST(SseParser, CommentsAndOtherFieldsAreIgnored) {
  EXPECT_EQ(parse_all(": keep-alive\n\n"), Events{});
  EXPECT_EQ(parse_all(": ping\ndata: x\n: pong\n\n"), (Events{"x"}));
  EXPECT_EQ(parse_all("event: message\nid: 7\nretry: 100\ndata: y\n\n"), (Events{"y"}));
  EXPECT_EQ(parse_all("event: only\n\n"), Events{});  // no data: nothing dispatched
  EXPECT_EQ(parse_all("datax: no\n\n"), Events{});    // field names match exactly
}

TEST(SseParser, EmptyDataStillDispatches) {
  EXPECT_EQ(parse_all("data\n\n"), (Events{""}));
  EXPECT_EQ(parse_all("data:\n\n"), (Events{""}));
  EXPECT_EQ(parse_all("data:\ndata:\n\n"), (Events{"\n"}));
}

TEST(SseParser, ExtraBlankLinesDispatchNothing) {
  EXPECT_EQ(parse_all("\n\n\r\n\rdata: a\n\n\n\n"), (Events{"a"}));
}

TEST(SseParser, UnfinishedEventIsHeldUntilItsBlankLine) {
  SseParser p;
  EXPECT_EQ(p.feed("data: par"), Events{});
  EXPECT_GT(p.pending_bytes(), 0u);
  EXPECT_EQ(p.feed("tial\n"), Events{});
  EXPECT_GT(p.pending_bytes(), 0u);
  EXPECT_EQ(p.feed("\n"), (Events{"partial"}));
  EXPECT_EQ(p.pending_bytes(), 0u);
}

TEST(SseParser, CrLfSplitAcrossReadsIsOneLineEnd) {
  SseParser p;
  EXPECT_EQ(p.feed("data: a\r"), Events{});
  EXPECT_EQ(p.feed("\n"), Events{});          // the \n of \r\n, not a blank line
  EXPECT_EQ(p.feed("data: b\r\n\r"), (Events{"a\nb"}));
}

TEST(SseParser, EverySplitPointGivesTheSameEvents) {
  const std::string streams[] = {
      "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n"
      ": keep-alive\n\n"
      "data: {\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}\n\n"
      "data: [DONE]\n\n",
      "data: a\r\n\r\ndata: multi\r\ndata: line\r\n\r\nevent: x\r\ndata: z\r\n\r\n",
      "data: a\r\rdata: b\rdata: c\r\r: comment\r\r",
      "data: a\n\ndata: b\r\n\r\ndata: c\r\r",
  };
  for (const auto& s : streams) {
    const Events whole = parse_all(s);
    ASSERT_FALSE(whole.empty());
    for (std::size_t cut = 0; cut <= s.size(); ++cut) EXPECT_EQ(parse_split(s, cut), whole) << "cut at " << cut;
    EXPECT_EQ(parse_bytewise(s), whole);
  }
  EXPECT_EQ(parse_all(streams[0]).back(), "[DONE]");
  EXPECT_EQ(parse_all(streams[1]), (Events{"a", "multi\nline", "z"}));
  EXPECT_EQ(parse_all(streams[2]), (Events{"a", "b\nc"}));
}

TEST(SseParser, BinaryAndUtf8DataPassThrough) {
  const std::string data = "caf\xc3\xa9 \xe2\x9c\x93";
  EXPECT_EQ(parse_all("data: " + data + "\n\n"), (Events{data}));
}

}  // namespace
}  // namespace prism::backends
