// Base-URL parsing for upstream backends: scheme, host (names, IPv4, IPv6
// literals), default and explicit ports, path without trailing slash, errors
// that quote the URL.
#include <gtest/gtest.h>

#include <string>

#include "backends/url.h"
#include "core/error.h"

namespace prism::backends {
namespace {

TEST(Url, SchemesAndDefaultPorts) {
  Url u = parse_url("http://example.com");
  EXPECT_FALSE(u.tls);
  EXPECT_EQ(u.host, "example.com");
  EXPECT_EQ(u.port, "80");
  EXPECT_EQ(u.path, "");

  u = parse_url("https://api.openai.com/v1");
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.host, "api.openai.com");
  EXPECT_EQ(u.port, "443");
  EXPECT_EQ(u.path, "/v1");
}

TEST(Url, ExplicitPorts) {
  Url u = parse_url("http://127.0.0.1:8080/v1");
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, "8080");
  EXPECT_EQ(u.path, "/v1");
  EXPECT_EQ(parse_url("https://h:1").port, "1");
  EXPECT_EQ(parse_url("https://h:65535").port, "65535");
  EXPECT_EQ(parse_url("http://h:443").port, "443");  // explicit beats the scheme's default
  EXPECT_FALSE(parse_url("http://h:443").tls);
}

TEST(Url, PathsLoseTrailingSlashes) {
  EXPECT_EQ(parse_url("http://h/").path, "");
  EXPECT_EQ(parse_url("http://h/v1/").path, "/v1");
  EXPECT_EQ(parse_url("http://h:9/openai/deployments/gpt/").path, "/openai/deployments/gpt");
  EXPECT_EQ(parse_url("http://h//").path, "");
}

TEST(Url, Ipv6Literals) {
  Url u = parse_url("http://[::1]:8000/v1");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, "8000");
  EXPECT_EQ(u.path, "/v1");

  u = parse_url("https://[2001:db8::7]");
  EXPECT_EQ(u.host, "2001:db8::7");
  EXPECT_EQ(u.port, "443");
  EXPECT_EQ(u.path, "");

  u = parse_url("http://[fe80::1]/x");
  EXPECT_EQ(u.port, "80");
  EXPECT_EQ(u.path, "/x");
}

// The message of the prism::Error thrown for `url`, or "" when it parses.
std::string error_of(const std::string& url) {
  try {
    parse_url(url);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Url, ErrorsQuoteTheUrl) {
  const char* bad[] = {
      "ftp://h/",            // scheme
      "example.com",         // no scheme
      "HTTP//h",             // malformed scheme
      "http://",             // no host
      "http:///v1",          // no host, path only
      "http://:8080",        // no host, port only
      "http://h:0",          // port 0
      "http://h:65536",      // port too large
      "http://h:123456",     // too many digits
      "http://h:8o80",       // not a number
      "http://h:-1",         // negative
      "http://[::1",         // unterminated IPv6
      "http://[]:80",        // empty IPv6
      "http://user:pw@h/v1", // credentials
  };
  for (const char* url : bad) {
    const std::string message = error_of(url);
    EXPECT_NE(message.find(std::string("'") + url + "'"), std::string::npos) << url << " -> \"" << message << "\"";
  }
  EXPECT_NE(error_of("http://h:70000").find("port"), std::string::npos);
  EXPECT_NE(error_of("http://a@b").find("credentials"), std::string::npos);
}

TEST(Url, JunkAfterAnIpv6LiteralIsAnError) {
  const std::string message = error_of("http://[::1]junk/v1");
  EXPECT_NE(message.find("[::1]junk"), std::string::npos);
}

}  // namespace
}  // namespace prism::backends
