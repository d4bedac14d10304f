#include "server/playground_site.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "server/openai_error.h"

namespace prism::server {
namespace {

const EmbeddedFile kFiles[] = {
    {"/index.html", "<!doctype html>", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"},
    {"/js/app.js", "export {};", "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"},
};

Request get(std::string target, http::verb method = http::verb::get) {
  Request r{method, target, 11};
  return r;
}

TEST(PlaygroundSite, ContentTypesFollowTheExtension) {
  EXPECT_EQ(content_type_for("/index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("/js/chat.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("/vendor/purify.es.mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("/playground.css"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_for("/favicon.svg"), "image/svg+xml");
  EXPECT_EQ(content_type_for("/vendor/LICENSES.md"), "text/plain; charset=utf-8");
  EXPECT_EQ(content_type_for("/no-extension"), "application/octet-stream");
  EXPECT_EQ(content_type_for("/dir.v2/file"), "application/octet-stream");
}

TEST(PlaygroundSite, IfNoneMatchComparesWeaklyAndTakesLists) {
  EXPECT_TRUE(if_none_match_matches("\"abc\"", "\"abc\""));
  EXPECT_TRUE(if_none_match_matches("W/\"abc\"", "\"abc\""));
  EXPECT_TRUE(if_none_match_matches("\"x\", \"abc\"", "\"abc\""));
  EXPECT_TRUE(if_none_match_matches("*", "\"abc\""));
  EXPECT_FALSE(if_none_match_matches("\"abd\"", "\"abc\""));
  EXPECT_FALSE(if_none_match_matches("", "\"abc\""));
}

TEST(PlaygroundSite, ServesFilesWithTypeEtagAndCachePolicy) {
  const PlaygroundSite site(kFiles);
  auto res = site.serve(get("/"), "/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::ok);
  EXPECT_EQ(res->body(), "<!doctype html>");
  EXPECT_EQ((*res)[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ((*res)[http::field::etag], "\"00112233445566778899aabbccddeeff\"");
  EXPECT_EQ((*res)[http::field::cache_control], "no-cache");
  EXPECT_NE((*res)["Content-Security-Policy"].find("script-src 'self'"), std::string::npos);

  auto script = site.serve(get("/js/app.js"), "/js/app.js");
  ASSERT_TRUE(script);
  EXPECT_EQ((*script)[http::field::content_type], "text/javascript; charset=utf-8");
  EXPECT_EQ((*script)["Content-Security-Policy"], "");  // only the page itself carries the policy
  EXPECT_EQ((*script)["X-Content-Type-Options"], "nosniff");
}

TEST(PlaygroundSite, AnswersNotModifiedForTheCurrentEtag) {
  const PlaygroundSite site(kFiles);
  Request r = get("/js/app.js");
  r.set(http::field::if_none_match, "\"ffeeddccbbaa99887766554433221100\"");
  auto res = site.serve(r, "/js/app.js");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::not_modified);
  EXPECT_TRUE(res->body().empty());
  r.set(http::field::if_none_match, "\"stale\"");
  EXPECT_EQ(site.serve(r, "/js/app.js")->result(), http::status::ok);
}

TEST(PlaygroundSite, HeadGivesTheLengthWithoutTheBody) {
  const PlaygroundSite site(kFiles);
  auto res = site.serve(get("/js/app.js", http::verb::head), "/js/app.js");
  ASSERT_TRUE(res);
  EXPECT_TRUE(res->body().empty());
  EXPECT_EQ((*res)[http::field::content_length], "10");
}

TEST(PlaygroundSite, UnknownPathsAreNotItsAndOtherMethodsAre405) {
  const PlaygroundSite site(kFiles);
  EXPECT_FALSE(site.serve(get("/missing.js"), "/missing.js"));
  EXPECT_FALSE(site.serve(get("/js"), "/js"));
  try {
    site.serve(get("/", http::verb::post), "/");
    FAIL() << "POST was served";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status, http::status::method_not_allowed);
  }
}

TEST(PlaygroundSite, TheBuiltInPageIsSortedAndComplete) {
  const auto files = playground_files();
  ASSERT_FALSE(files.empty());
  EXPECT_TRUE(std::is_sorted(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.path < b.path; }));
  const PlaygroundSite site;
  for (const char* path : {"/index.html", "/playground.css", "/js/main.js", "/js/audio/mic_capture_worklet.js",
                           "/vendor/marked.esm.js", "/vendor/purify.es.mjs", "/vendor/LICENSES.md"}) {
    const EmbeddedFile* f = site.find(path);
    ASSERT_NE(f, nullptr) << path;
    EXPECT_FALSE(f->data.empty()) << path;
    EXPECT_EQ(f->sha256.size(), 64u) << path;
  }
}

}  // namespace
}  // namespace prism::server
