#include "hub/hub_client.h"

#include <curl/curl.h>

#include <cctype>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "hub/cache_layout.h"

namespace prism::hub {
namespace {

constexpr const char* kUserAgent = "prism/0.1.0";

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string escape(const std::string& s) {
  std::unique_ptr<char, decltype(&curl_free)> e(curl_escape(s.c_str(), static_cast<int>(s.size())), curl_free);
  return e ? std::string(e.get()) : s;
}

// Each path part escaped, the '/' between them kept (as huggingface_hub's quote()).
std::string escape_path(const std::string& path) {
  std::string out;
  std::size_t start = 0;
  while (true) {
    const auto slash = path.find('/', start);
    out += escape(path.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) break;
    out += '/';
    start = slash + 1;
  }
  return out;
}

struct Response {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names; the last response's only
  std::string body;
  CURLcode code = CURLE_OK;
  std::string curl_error;

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* r = static_cast<Response*>(user);
  std::string line(data, size * n);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  if (line.rfind("HTTP/", 0) == 0) {
    r->headers.clear();  // a new response (after a redirect)
  } else if (auto colon = line.find(':'); colon != std::string::npos) {
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    r->headers[lower(line.substr(0, colon))] = value;
  }
  return size * n;
}

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* r = static_cast<Response*>(user);
  if (r->body.size() < (8u << 20)) r->body.append(data, size * n);
  return size * n;
}

using Easy = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using Headers = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

Easy new_handle() {
  global_init();
  Easy h(curl_easy_init(), curl_easy_cleanup);
  if (!h) throw Error("libcurl could not start a transfer");
  curl_easy_setopt(h.get(), CURLOPT_USERAGENT, kUserAgent);
  curl_easy_setopt(h.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h.get(), CURLOPT_CONNECTTIMEOUT, 10L);
  // A transfer that moves nothing for 30 s is dead: retried (and resumed).
  curl_easy_setopt(h.get(), CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h.get(), CURLOPT_LOW_SPEED_TIME, 30L);
  return h;
}

bool same_origin(const std::string& url, const std::string& endpoint) {
  return url == endpoint || url.rfind(endpoint + "/", 0) == 0;
}

// The token goes to the Hub only, never to another host (the CDN).
Headers request_headers(const std::string& url, const HubSettings& s, std::initializer_list<std::string> extra) {
  curl_slist* list = nullptr;
  if (!s.token.empty() && same_origin(url, s.endpoint))
    list = curl_slist_append(list, ("Authorization: Bearer " + s.token).c_str());
  for (const auto& h : extra) list = curl_slist_append(list, h.c_str());
  return Headers(list, curl_slist_free_all);
}

// Runs the request; headers (and, if the caller set on_body, the body) land in r.
void perform(CURL* h, const std::string& url, curl_slist* headers, Response& r) {
  char err[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &r);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
  r.code = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
  r.curl_error = err[0] ? err : curl_easy_strerror(r.code);
}

std::string what_failed(const std::string& repo, const std::string& revision, const std::string& file) {
  std::string s = repo;
  if (!file.empty()) s += " file '" + file + "'";
  if (!revision.empty()) s += " at revision '" + revision + "'";
  return s;
}

// Turns a Hub error answer into a message a person can act on.
// "http://host:port" of a URL: who answered.
std::string origin_of(const std::string& url) {
  const auto scheme = url.find("://");
  const auto slash = scheme == std::string::npos ? std::string::npos : url.find('/', scheme + 3);
  return slash == std::string::npos ? url : url.substr(0, slash);
}

[[noreturn]] void throw_http_error(const Response& r, const HubSettings& s, const std::string& repo,
                                   const std::string& revision, const std::string& file,
                                   const std::string& server) {
  const std::string code = r.header("x-error-code");
  const std::string hub_message = r.header("x-error-message");
  const std::string status = "HTTP " + std::to_string(r.status);
  const std::string page = s.endpoint + "/" + repo;
  const std::string token_hint = s.token.empty()
                                     ? "set HF_TOKEN (or run `huggingface-cli login`) to a token with access to it"
                                     : "the token from " + s.token_source + " has no access to it: use a token that does";
  if (r.status == 401 || r.status == 403) {
    if (code == "GatedRepo")
      throw HubError(repo + " is a gated repo (" + status + "): accept its conditions at " + page + ", then " + token_hint,
                     false);
    if (code == "RepoNotFound")
      throw HubError(repo + " was not found on " + s.endpoint + ", or it is private or gated (" + status +
                         "): check the name; if it exists, " + token_hint,
                     false);
    throw HubError(repo + ": access refused (" + status + "): the repo is gated or private; " + token_hint, false);
  }
  if (r.status == 404) {
    if (code == "RevisionNotFound")
      throw HubError(repo + " has no revision '" + revision + "' (no such branch, tag or commit) on " + s.endpoint, false);
    if (code == "EntryNotFound")
      throw HubError(repo + " has no file '" + file + "' at revision '" + revision + "'", false);
    if (code == "RepoNotFound" || file.empty())
      throw HubError("no repo " + repo + " on " + s.endpoint + " (check the name: org/name)", false);
    throw HubError(what_failed(repo, revision, file) + ": not found (" + status + ")", false);
  }
  const bool retryable = r.status >= 500 || r.status == 429 || r.status == 408;
  std::string detail = hub_message;
  if (detail.empty() && !r.body.empty()) detail = r.body.substr(0, 200);
  throw HubError(server + " answered " + status + " for " + what_failed(repo, revision, file) +
                     (detail.empty() ? "" : ": " + detail),
                 retryable);
}

[[noreturn]] void throw_transport_error(const Response& r, const std::string& what) {
  // Every transport failure may be passing (a dropped connection, a restart).
  throw HubError("connection failed for " + what + ": " + r.curl_error, true);
}

}  // namespace

HubClient::HubClient(HubSettings settings) : settings_(std::move(settings)) {}

std::string HubClient::resolve_url(const std::string& repo, const std::string& revision, const std::string& file) const {
  return settings_.endpoint + "/" + repo + "/resolve/" + escape(revision) + "/" + escape_path(file);
}

RepoInfo HubClient::repo_info(const std::string& repo, const std::string& revision) const {
  const std::string url = settings_.endpoint + "/api/models/" + repo + "/revision/" + escape(revision);
  auto h = new_handle();
  curl_easy_setopt(h.get(), CURLOPT_TIMEOUT, 60L);
  Response r;
  curl_easy_setopt(h.get(), CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h.get(), CURLOPT_WRITEDATA, &r);
  auto headers = request_headers(url, settings_, {"Accept: application/json"});
  perform(h.get(), url, headers.get(), r);
  const Response& got = r;
  if (got.code != CURLE_OK) throw_transport_error(got, what_failed(repo, revision, "") + " (" + url + ")");
  if (got.status != 200) throw_http_error(got, settings_, repo, revision, "", settings_.endpoint);
  auto j = nlohmann::json::parse(got.body, nullptr, false);
  if (!j.is_object() || !j.contains("sha") || !j["sha"].is_string())
    throw HubError(url + ": the answer is not a Hub repo description (no \"sha\"): is HF_ENDPOINT a Hugging Face Hub?",
                   false);
  RepoInfo info;
  info.id = j.value("id", repo);
  info.commit = j["sha"].get<std::string>();
  if (j.contains("siblings") && j["siblings"].is_array())
    for (const auto& s : j["siblings"])
      if (s.is_object() && s.contains("rfilename") && s["rfilename"].is_string())
        info.files.push_back(s["rfilename"].get<std::string>());
  return info;
}

FileMetadata HubClient::file_metadata(const std::string& repo, const std::string& revision,
                                      const std::string& file) const {
  std::string url = resolve_url(repo, revision, file);
  Response r;
  // Relative redirects (a renamed repo) are followed; an absolute one is the
  // CDN, which the download goes to.
  for (int hops = 0;; ++hops) {
    auto h = new_handle();
    curl_easy_setopt(h.get(), CURLOPT_NOBODY, 1L);
    curl_easy_setopt(h.get(), CURLOPT_TIMEOUT, 60L);
    auto headers = request_headers(url, settings_, {"Accept-Encoding: identity"});
    r = Response();
    perform(h.get(), url, headers.get(), r);
    if (r.code != CURLE_OK) throw_transport_error(r, what_failed(repo, revision, file));
    const std::string location = r.header("location");
    if (r.status >= 300 && r.status < 400 && !location.empty() && location.front() == '/' && hops < 5) {
      url = settings_.endpoint + location;
      continue;
    }
    break;
  }
  if (r.status >= 400) throw_http_error(r, settings_, repo, revision, file, settings_.endpoint);
  FileMetadata m;
  m.repo = repo;
  m.file = file;
  m.commit = r.header("x-repo-commit");
  const std::string linked = r.header("x-linked-etag");
  m.lfs = !linked.empty();
  m.etag = normalize_etag(m.lfs ? linked : r.header("etag"));
  const std::string size = r.header(m.lfs ? "x-linked-size" : "content-length");
  if (m.commit.empty() || m.etag.empty() || size.empty())
    throw HubError(url + ": the answer lacks X-Repo-Commit, ETag or a size: is HF_ENDPOINT a Hugging Face Hub?", false);
  try {
    m.size = std::stoull(size);
  } catch (const std::exception&) {
    throw HubError(url + ": bad size '" + size + "'", false);
  }
  if (m.etag.find('/') != std::string::npos || m.etag.find("..") != std::string::npos)
    throw HubError(url + ": ETag '" + m.etag + "' cannot name a cache file", false);
  const std::string location = r.header("location");
  m.url = (r.status >= 300 && r.status < 400 && !location.empty())
              ? (location.front() == '/' ? settings_.endpoint + location : location)
              : url;
  return m;
}

namespace {

struct DownloadState {
  Transfer* t = nullptr;
  CURL* handle = nullptr;
  bool started = false;
  long status = 0;
  std::string error_body;
  bool writer_stopped = false;
};

std::size_t on_download_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* s = static_cast<DownloadState*>(user);
  const std::size_t bytes = size * n;
  if (!s->started) {
    s->started = true;
    curl_easy_getinfo(s->handle, CURLINFO_RESPONSE_CODE, &s->status);
    if (s->status == 200 && s->t->offset > 0 && s->t->restart) s->t->restart();  // Range ignored
  }
  if (s->status >= 300) {
    if (s->error_body.size() < 4096) s->error_body.append(data, bytes);
    return bytes;
  }
  if (!s->t->write(data, bytes)) {
    s->writer_stopped = true;
    return 0;
  }
  return bytes;
}

int on_download_progress(void* user, curl_off_t, curl_off_t now, curl_off_t, curl_off_t) {
  auto* s = static_cast<DownloadState*>(user);
  if (s->t->cancel && s->t->cancel->load()) return 1;
  if (s->t->progress && s->status < 300) s->t->progress(static_cast<std::uint64_t>(now));
  return 0;
}

}  // namespace

void HubClient::download(const FileMetadata& meta, Transfer& t) const {
  auto h = new_handle();
  DownloadState state;
  state.t = &t;
  state.handle = h.get();
  curl_easy_setopt(h.get(), CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(h.get(), CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(h.get(), CURLOPT_WRITEFUNCTION, on_download_body);
  curl_easy_setopt(h.get(), CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(h.get(), CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h.get(), CURLOPT_XFERINFOFUNCTION, on_download_progress);
  curl_easy_setopt(h.get(), CURLOPT_XFERINFODATA, &state);
  const std::string range = "Range: bytes=" + std::to_string(t.offset) + "-";
  auto headers = t.offset > 0 ? request_headers(meta.url, settings_, {range, "Accept-Encoding: identity"})
                              : request_headers(meta.url, settings_, {"Accept-Encoding: identity"});
  Response r;
  perform(h.get(), meta.url, headers.get(), r);
  if (r.code == CURLE_ABORTED_BY_CALLBACK) throw Cancelled();
  if (state.writer_stopped) throw Error(t.write_error.empty() ? meta.file + ": cannot write" : t.write_error);
  if (r.status == 416) {  // what we hold is not a prefix of this file any more: start over
    if (t.restart) t.restart();
    throw HubError(meta.file + ": the server refused to resume at byte " + std::to_string(t.offset), true);
  }
  if (r.status >= 300 && r.code == CURLE_OK) {
    r.body = state.error_body;
    throw_http_error(r, settings_, meta.repo, meta.commit, meta.file, origin_of(meta.url));
  }
  if (r.code != CURLE_OK) throw_transport_error(r, meta.repo + " file '" + meta.file + "'");
}

}  // namespace prism::hub
