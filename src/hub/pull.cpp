#include "hub/pull.h"

#include <algorithm>
#include <mutex>
#include <thread>

#include "hub/cache_layout.h"
#include "hub/file_selection.h"
#include "hub/hub_client.h"

namespace prism::hub {
namespace {

// Runs job(i) for i in [0, n) on up to `workers` threads. Every job runs (a
// failure does not stop the others: what they fetch is kept); the errors come
// back in order.
template <class Job>
std::vector<std::string> run_parallel(std::size_t n, int workers, const std::atomic<bool>& cancel, Job&& job) {
  std::mutex mu;
  std::size_t next = 0;
  std::vector<std::string> errors(n);
  bool cancelled = false;
  auto worker = [&] {
    while (true) {
      std::size_t i;
      {
        std::lock_guard lock(mu);
        if (next == n || cancelled) return;
        i = next++;
      }
      try {
        job(i);
      } catch (const Cancelled&) {
        std::lock_guard lock(mu);
        cancelled = true;
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    }
  };
  std::vector<std::thread> threads;
  const std::size_t count = std::min<std::size_t>(n, static_cast<std::size_t>(std::max(1, workers)));
  for (std::size_t t = 0; t < count; ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  if (cancelled || cancel.load()) throw Cancelled();
  std::vector<std::string> out;
  for (auto& e : errors)
    if (!e.empty()) out.push_back(std::move(e));
  return out;
}

[[noreturn]] void throw_failures(const std::vector<std::string>& errors, std::size_t total, const std::string& repo) {
  std::string msg = errors.size() == 1 ? errors.front() : std::to_string(errors.size()) + " of " + std::to_string(total) +
                                                               " files of " + repo + " failed:";
  if (errors.size() > 1)
    for (const auto& e : errors) msg += "\n  " + e;
  throw Error(msg);
}

PullResult offline_pull(const PullOptions& options, const HubSettings& settings) {
  const RepoCache cache(settings.cache_dir, options.ref.id);
  auto commit = cache.resolve_commit(options.ref.revision);
  if (!commit)
    throw Error("HF_HUB_OFFLINE is set and " + options.ref.id + " (revision '" + options.ref.revision +
                "') is not in the Hugging Face cache (" + settings.cache_dir.string() +
                "): unset HF_HUB_OFFLINE to download it");
  PullResult r;
  r.commit = *commit;
  r.snapshot = cache.snapshot_dir(*commit);
  r.offline = true;
  return r;
}

}  // namespace

std::vector<std::string> select_files(const std::vector<std::string>& listing, const PullOptions& options) {
  const bool has_gguf = std::any_of(listing.begin(), listing.end(), [](auto& f) { return is_gguf_file(f); });
  const bool has_checkpoint = std::find(listing.begin(), listing.end(), "config.json") != listing.end();
  std::vector<std::string> files = listing;
  if (!options.ref.quant.empty()) {
    if (!has_gguf)
      throw Error(options.ref.id + " has no GGUF files, so ':" + options.ref.quant +
                  "' picks nothing: pull " + options.ref.id + " without it");
    files = pick_gguf_files(listing, options.ref.quant, options.ref.id);
  } else if (has_gguf && !has_checkpoint && options.include.empty()) {
    // A GGUF repo holds many quantisations: one of them, as llama.cpp does.
    files = pick_gguf_files(listing, "", options.ref.id);
  }
  files = filter_files(files, options.include, options.exclude);
  if (files.empty())
    throw Error("no file of " + options.ref.id + " matches the --include/--exclude patterns (it has " +
                std::to_string(listing.size()) + " files)");
  return files;
}

PullResult pull(const PullOptions& options, const HubSettings& settings, Progress& progress,
                const std::atomic<bool>& cancel) {
  if (settings.offline) return offline_pull(options, settings);
  const HubClient client(settings);
  const RepoCache cache(settings.cache_dir, options.ref.id);
  const std::string& repo = options.ref.id;
  auto note_retry = [&](const HubError& e, int attempt) {
    progress.note("retrying (try " + std::to_string(attempt + 1) + " of " + std::to_string(options.retry.attempts) +
                  "): " + e.what());
  };

  const RepoInfo info = with_retries(options.retry, cancel, [&] { return client.repo_info(repo, options.ref.revision); },
                                     note_retry);
  if (!is_commit_hash(info.commit))
    throw Error(settings.endpoint + " gave '" + info.commit + "' as the commit of " + repo + ": not a commit hash");
  for (const auto& f : info.files) check_repo_file_path(f);
  PullResult result;
  result.commit = info.commit;
  result.snapshot = cache.snapshot_dir(info.commit);
  result.files = select_files(info.files, options);

  // What is already in the snapshot needs no request at all.
  std::vector<std::string> missing;
  for (const auto& f : result.files) {
    if (cache.has_snapshot_file(info.commit, f)) ++result.files_cached;
    else missing.push_back(f);
  }
  std::vector<FileMetadata> metas(missing.size());
  auto errors = run_parallel(missing.size(), options.max_workers, cancel, [&](std::size_t i) {
    metas[i] = with_retries(options.retry, cancel, [&] { return client.file_metadata(repo, info.commit, missing[i]); },
                            note_retry);
  });
  if (!errors.empty()) throw_failures(errors, missing.size(), repo);
  std::uint64_t to_fetch = 0;
  for (const auto& m : metas) {
    result.bytes_total += m.size;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(cache.blob_path(m.etag), ec)) to_fetch += m.size;
  }
  progress.expect(to_fetch);

  std::mutex mu;
  errors = run_parallel(metas.size(), options.max_workers, cancel, [&](std::size_t i) {
    const auto r = fetch_file(client, cache, info.commit, metas[i], options.retry, progress, cancel);
    std::lock_guard lock(mu);
    result.bytes_downloaded += r.downloaded;
    if (r.already_cached) ++result.files_cached;
  });
  if (!errors.empty()) throw_failures(errors, metas.size(), repo);

  // Last: a ref never names a snapshot that is still being filled.
  if (options.ref.revision != info.commit) cache.write_ref(options.ref.revision, info.commit);
  return result;
}

}  // namespace prism::hub
