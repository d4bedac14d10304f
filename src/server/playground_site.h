// The playground page served at "/": the files of web/static compiled into
// the binary, each with its Content-Type and an ETag. They need no API key:
// the page asks the user for one and sends it with its API calls only.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "server/embedded_files.h"
#include "server/http_connection.h"

namespace prism::server {

class PlaygroundSite {
 public:
  explicit PlaygroundSite(std::span<const EmbeddedFile> files = playground_files()) : files_(files) {}

  // The response for `path` ("/" is /index.html): 200, 304 when the
  // request's If-None-Match holds the file's ETag, or nullopt when no file
  // has that path. Throws ApiError 405 for a method other than GET or HEAD.
  std::optional<Response> serve(const Request& request, std::string_view path) const;

  const EmbeddedFile* find(std::string_view path) const;

 private:
  std::span<const EmbeddedFile> files_;
};

// "text/html; charset=utf-8" for "/index.html", by the name's extension;
// application/octet-stream when unknown.
std::string_view content_type_for(std::string_view path);

// The strong ETag of a file: its SHA-256, shortened, in quotes.
std::string etag_for(const EmbeddedFile& file);

// Whether an If-None-Match value ("*", or a list of tags, weak or strong)
// matches `etag` (weak comparison, as RFC 9110 asks for If-None-Match).
bool if_none_match_matches(std::string_view header, std::string_view etag);

}  // namespace prism::server
