// Brings one file into the cache: blobs/{etag} fetched into
// blobs/{etag}.incomplete (resumed with Range from what an earlier try left),
// checked against its sha256 when it is an LFS file, renamed into place, and
// only then linked from snapshots/{commit}/{file}. An interrupted or failed
// try leaves the .incomplete file and never a link to a partial blob.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "hub/cache_layout.h"
#include "hub/hub_client.h"
#include "hub/progress.h"

namespace prism::hub {

struct RetryPolicy {
  int attempts = 5;                                        // tries per request
  std::chrono::milliseconds first_wait{500};               // doubled after each failure
};

// Calls fn until it returns, retrying HubErrors that are retryable (after
// on_retry(error, attempt) and a wait). Cancelled and other errors pass.
template <class Fn, class OnRetry>
auto with_retries(const RetryPolicy& policy, const std::atomic<bool>& cancel, Fn&& fn, OnRetry&& on_retry);

struct BlobResult {
  std::uint64_t downloaded = 0;  // bytes fetched over the network in this run
  bool already_cached = false;   // the blob was there (another file or tool)
};

// The file described by meta, linked into snapshots/{commit}/.
BlobResult fetch_file(const HubClient& client, const RepoCache& cache, const std::string& commit,
                      const FileMetadata& meta, const RetryPolicy& retry, Progress& progress,
                      const std::atomic<bool>& cancel);

// ---- implementation of the template ----

void wait_before_retry(std::chrono::milliseconds wait, const std::atomic<bool>& cancel);

template <class Fn, class OnRetry>
auto with_retries(const RetryPolicy& policy, const std::atomic<bool>& cancel, Fn&& fn, OnRetry&& on_retry) {
  auto wait = policy.first_wait;
  for (int attempt = 1;; ++attempt) {
    if (cancel.load()) throw Cancelled();
    try {
      return fn();
    } catch (const HubError& e) {
      if (!e.retryable() || attempt >= policy.attempts) throw;
      on_retry(e, attempt);
      wait_before_retry(wait, cancel);
      wait *= 2;
    }
  }
}

}  // namespace prism::hub
