// API keys: "Authorization: Bearer <key>" matching, exact keys only.
#include <gtest/gtest.h>

#include "server/api_keys.h"

namespace prism::server {
namespace {

ApiKeys two_keys() {
  ApiKey a{"team-a", "sk-aaaaaaaa", std::set<std::string>{"gpt-4o"}};
  ApiKey b{"admin", "sk-bbbbbbbbbbbb", std::nullopt};
  return ApiKeys({a, b});
}

TEST(ApiKeys, DisabledWithoutKeys) {
  const ApiKeys none({});
  EXPECT_FALSE(none.enabled());
  EXPECT_EQ(none.authenticate("Bearer anything"), nullptr);
  EXPECT_TRUE(two_keys().enabled());
}

TEST(ApiKeys, BearerHeaderFindsTheKey) {
  const ApiKeys keys = two_keys();
  const ApiKey* a = keys.authenticate("Bearer sk-aaaaaaaa");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->name, "team-a");
  EXPECT_EQ(*a->models, (std::set<std::string>{"gpt-4o"}));
  const ApiKey* b = keys.authenticate("Bearer sk-bbbbbbbbbbbb");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->name, "admin");
  EXPECT_FALSE(b->models);
  // The scheme name is case-insensitive (RFC 7235).
  EXPECT_NE(keys.authenticate("bearer sk-aaaaaaaa"), nullptr);
  EXPECT_NE(keys.authenticate("BEARER sk-aaaaaaaa"), nullptr);
}

TEST(ApiKeys, AnythingElseIsRejected) {
  const ApiKeys keys = two_keys();
  for (const char* header : {"", "Bearer", "Bearer ", "sk-aaaaaaaa", "Basic sk-aaaaaaaa", "Bearer sk-aaaaaaa",
                             "Bearer sk-aaaaaaaaa", "Bearer SK-AAAAAAAA", "Bearer sk-aaaaaaaa ", "Bearersk-aaaaaaaa",
                             "Token sk-aaaaaaaa", "Bearer sk-bbbbbbbbbbbbsk-aaaaaaaa"}) {
    EXPECT_EQ(keys.authenticate(header), nullptr) << "'" << header << "'";
  }
}

TEST(ApiKeys, FindKeyMatchesBareKeys) {
  const ApiKeys keys = two_keys();
  ASSERT_NE(keys.find_key("sk-bbbbbbbbbbbb"), nullptr);
  EXPECT_EQ(keys.find_key("sk-bbbbbbbbbbbb")->name, "admin");
  EXPECT_EQ(keys.find_key(""), nullptr);
  EXPECT_EQ(keys.find_key("sk-bbbbbb"), nullptr);  // a prefix is not the key
  EXPECT_EQ(keys.find_key("sk-aaaaaaaask-aaaaaaaa"), nullptr);  // nor a repetition of it
}

}  // namespace
}  // namespace prism::server
