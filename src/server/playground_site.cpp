#include "server/playground_site.h"

#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include "server/openai_error.h"

namespace prism::server {
namespace {

// Only the page's own files may run or style it (no inline code, nothing
// from elsewhere); WebSockets to this origin ('self') carry the voice.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' data: blob:; connect-src 'self'; worker-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view content_type_for(std::string_view path) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 12> types = {{
      {".html", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".json", "application/json"},
      {".md", "text/plain; charset=utf-8"},  // shown as text, not downloaded
      {".txt", "text/plain; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".wav", "audio/wav"},
  }};
  const auto slash = path.rfind('/');
  const auto dot = path.rfind('.');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash))
    return "application/octet-stream";
  const std::string_view ext = path.substr(dot);
  for (const auto& [suffix, type] : types)
    if (suffix == ext) return type;
  return "application/octet-stream";
}

std::string etag_for(const EmbeddedFile& file) {
  return "\"" + std::string(file.sha256.substr(0, 32)) + "\"";
}

bool if_none_match_matches(std::string_view header, std::string_view etag) {
  const auto opaque = [](std::string_view tag) {
    tag = trim(tag);
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    return tag;
  };
  const std::string_view wanted = opaque(etag);
  while (!header.empty()) {
    const auto comma = header.find(',');
    const std::string_view item = trim(header.substr(0, comma));
    if (item == "*" || (!item.empty() && opaque(item) == wanted)) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

const EmbeddedFile* PlaygroundSite::find(std::string_view path) const {
  auto it = std::lower_bound(files_.begin(), files_.end(), path,
                             [](const EmbeddedFile& f, std::string_view p) { return f.path < p; });
  return it != files_.end() && it->path == path ? &*it : nullptr;
}

std::optional<Response> PlaygroundSite::serve(const Request& request, std::string_view path) const {
  const EmbeddedFile* file = find(path == "/" ? "/index.html" : path);
  if (!file) return std::nullopt;
  const bool head = request.method() == http::verb::head;
  if (request.method() != http::verb::get && !head)
    throw ApiError(http::status::method_not_allowed, "use GET for " + std::string(path));

  const std::string etag = etag_for(*file);
  const auto match = request.find(http::field::if_none_match);
  const bool unchanged = match != request.end() && if_none_match_matches(match->value(), etag);
  Response res{unchanged ? http::status::not_modified : http::status::ok, request.version()};
  res.set(http::field::server, "prism");
  res.set(http::field::etag, etag);
  // The URLs carry no version, so the browser must ask each time; the
  // ETag makes that a 304 without a body while the binary is the same.
  res.set(http::field::cache_control, "no-cache");
  res.set("X-Content-Type-Options", "nosniff");
  const std::string_view type = content_type_for(file->path);
  if (type.substr(0, 9) == "text/html") {
    res.set("Content-Security-Policy", kContentSecurityPolicy);
    res.set("Referrer-Policy", "no-referrer");
  }
  if (unchanged) return res;
  res.set(http::field::content_type, type);
  if (head) {
    res.content_length(file->data.size());  // kept by HttpConnection::send
  } else {
    res.body().assign(file->data.data(), file->data.size());
  }
  return res;
}

}  // namespace prism::server
