// `prism pull`: a repo's snapshot into the Hub cache. The file list comes
// from the Hub (filtered by --include/--exclude, or one GGUF type and its
// mmproj), metadata and downloads run several at a time, and refs/{revision}
// is written last, once every file of the snapshot is in place.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "hub/downloader.h"
#include "hub/hub_settings.h"
#include "hub/progress.h"
#include "hub/repo_id.h"

namespace prism::hub {

struct PullOptions {
  RepoRef ref;
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  int max_workers = 8;
  RetryPolicy retry;
};

struct PullResult {
  std::string commit;
  std::filesystem::path snapshot;
  std::vector<std::string> files;
  std::uint64_t bytes_total = 0;       // of the files that were not in the snapshot yet
  std::uint64_t bytes_downloaded = 0;  // over the network in this run
  int files_cached = 0;                // already in the cache
  bool offline = false;                // HF_HUB_OFFLINE: the cache answered alone
};

// The files of a repo listing that a pull fetches.
std::vector<std::string> select_files(const std::vector<std::string>& listing, const PullOptions& options);

// Throws prism::Error (a message naming the repo, revision or file) or
// Cancelled. What was downloaded stays in the cache for the next try.
PullResult pull(const PullOptions& options, const HubSettings& settings, Progress& progress,
                const std::atomic<bool>& cancel);

}  // namespace prism::hub
