// The Hugging Face Hub's HTTP endpoints that its official client uses, over
// libcurl:
//   GET  {endpoint}/api/models/{repo}/revision/{revision}  -> commit sha, file list
//   HEAD {endpoint}/{repo}/resolve/{revision}/{file}       -> X-Repo-Commit, ETag,
//        and for LFS files X-Linked-Etag (sha256), X-Linked-Size, a redirect to the CDN
//   GET  that file (or the CDN's URL), with Range to resume.
// Each call is one request on its own curl handle: safe from several threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/error.h"
#include "hub/hub_settings.h"

namespace prism::hub {

// A failure talking to the Hub. retryable: the same request may succeed
// later (connection dropped, 5xx, 429); otherwise retrying cannot help.
class HubError : public Error {
 public:
  HubError(const std::string& message, bool retryable) : Error(message), retryable_(retryable) {}
  bool retryable() const { return retryable_; }

 private:
  bool retryable_;
};

// The pull was stopped (Ctrl-C).
class Cancelled : public Error {
 public:
  Cancelled() : Error("interrupted") {}
};

struct RepoInfo {
  std::string id;
  std::string commit;               // "sha"
  std::vector<std::string> files;   // "siblings[].rfilename"
};

struct FileMetadata {
  std::string repo;
  std::string file;
  std::string commit;       // X-Repo-Commit
  std::string etag;         // normalised; the sha256 of an LFS file
  std::uint64_t size = 0;
  bool lfs = false;         // X-Linked-Etag was given: etag is a sha256 to check
  std::string url;          // where to GET it (the CDN's address for LFS files)
};

// One GET's body, handed over as it arrives.
struct Transfer {
  std::uint64_t offset = 0;                              // bytes already held: ask for the rest
  std::function<void()> restart;                         // the server sent it all again: drop what is held
  std::function<bool(const char*, std::size_t)> write;   // false: stop (write_error says why)
  std::function<void(std::uint64_t)> progress;           // bytes received so far in this request
  std::string write_error;
  const std::atomic<bool>* cancel = nullptr;
};

class HubClient {
 public:
  explicit HubClient(HubSettings settings);

  RepoInfo repo_info(const std::string& repo, const std::string& revision) const;
  FileMetadata file_metadata(const std::string& repo, const std::string& revision, const std::string& file) const;
  // Fetches meta.url from t.offset to the end. Throws HubError, Cancelled,
  // or Error(t.write_error) when the writer stopped.
  void download(const FileMetadata& meta, Transfer& t) const;

  const HubSettings& settings() const { return settings_; }
  std::string resolve_url(const std::string& repo, const std::string& revision, const std::string& file) const;

 private:
  HubSettings settings_;
};

}  // namespace prism::hub
