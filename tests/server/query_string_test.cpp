#include "server/query_string.h"

#include <gtest/gtest.h>

namespace prism::server {
namespace {

TEST(QueryString, SplitsPairsAndKeepsTheLastRepeat) {
  const auto q = parse_query("limit=5&model=tiny-a&flag&limit=7&&=x");
  EXPECT_EQ(q.at("limit"), "7");
  EXPECT_EQ(q.at("model"), "tiny-a");
  EXPECT_EQ(q.at("flag"), "");
  EXPECT_EQ(q.at(""), "x");
  EXPECT_EQ(q.size(), 4u);
}

TEST(QueryString, DecodesWhatBrowsersEncode) {
  // encodeURIComponent("router:fast") and URLSearchParams' '+' for a space.
  EXPECT_EQ(parse_query("model=router%3Afast").at("model"), "router:fast");
  EXPECT_EQ(parse_query("model=org%2Fname%40main").at("model"), "org/name@main");
  EXPECT_EQ(parse_query("q=a+b%20c").at("q"), "a b c");
  EXPECT_EQ(parse_query("na%6De=v").at("name"), "v");
}

TEST(QueryString, KeepsMalformedEscapesAsTheyAre) {
  EXPECT_EQ(percent_decode("100%"), "100%");
  EXPECT_EQ(percent_decode("%zz%4"), "%zz%4");
  EXPECT_EQ(percent_decode("%41%42"), "AB");
}

}  // namespace
}  // namespace prism::server
