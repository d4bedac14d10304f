#include "hub/downloader.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "hub/sha256.h"

namespace prism::hub {
namespace fs = std::filesystem;
namespace {

// The lock huggingface_hub takes on the same file: two downloads of one blob
// (from prism or Python) do not write the same .incomplete at once.
class BlobLock {
 public:
  BlobLock(const fs::path& path, const std::atomic<bool>& cancel) {
    fs::create_directories(path.parent_path());
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw Error(path.string() + ": cannot open lock file: " + std::strerror(errno));
    while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR) throw Error(path.string() + ": cannot lock: " + std::strerror(errno));
      if (cancel.load()) {
        ::close(fd_);
        throw Cancelled();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  ~BlobLock() {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
  BlobLock(const BlobLock&) = delete;
  BlobLock& operator=(const BlobLock&) = delete;

 private:
  int fd_ = -1;
};

// The .incomplete file, appended to; it stays when anything fails.
class PartialFile {
 public:
  explicit PartialFile(fs::path path) : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) throw Error(path_.string() + ": cannot open for writing: " + std::strerror(errno));
  }
  ~PartialFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  PartialFile(const PartialFile&) = delete;
  PartialFile& operator=(const PartialFile&) = delete;

  // Writes all of it or says why not (errno: a full disk is ENOSPC).
  bool write(const char* data, std::size_t size, std::string& error) {
    while (size > 0) {
      const ssize_t n = ::write(fd_, data, size);
      if (n < 0) {
        if (errno == EINTR) continue;
        error = "cannot write " + path_.string() + ": " + std::strerror(errno) +
                " (the partial download is kept: make room and run the same command to resume)";
        return false;
      }
      data += n;
      size -= static_cast<std::size_t>(n);
    }
    return true;
  }
  void truncate() {
    if (::ftruncate(fd_, 0) != 0) throw Error(path_.string() + ": cannot truncate: " + std::strerror(errno));
  }
  void sync_and_close() {
    if (::fsync(fd_) != 0 || ::close(fd_) != 0) {
      fd_ = -1;
      throw Error(path_.string() + ": cannot save: " + std::strerror(errno));
    }
    fd_ = -1;
  }

 private:
  fs::path path_;
  int fd_ = -1;
};

std::uint64_t size_or_zero(const fs::path& p) {
  std::error_code ec;
  const auto s = fs::file_size(p, ec);
  return ec ? 0 : s;
}

}  // namespace

void wait_before_retry(std::chrono::milliseconds wait, const std::atomic<bool>& cancel) {
  const auto until = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < until) {
    if (cancel.load()) throw Cancelled();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

BlobResult fetch_file(const HubClient& client, const RepoCache& cache, const std::string& commit,
                      const FileMetadata& meta, const RetryPolicy& retry, Progress& progress,
                      const std::atomic<bool>& cancel) {
  BlobResult result;
  const fs::path blob = cache.blob_path(meta.etag);
  fs::create_directories(blob.parent_path());
  std::error_code ec;
  if (fs::is_regular_file(blob, ec)) {
    result.already_cached = true;
    cache.link_snapshot_file(commit, meta.file, meta.etag);
    return result;
  }
  BlobLock lock(cache.lock_path(meta.etag), cancel);
  if (fs::is_regular_file(blob, ec)) {  // another process finished it while we waited
    result.already_cached = true;
    cache.link_snapshot_file(commit, meta.file, meta.etag);
    return result;
  }

  const fs::path partial_path = cache.incomplete_path(meta.etag);
  std::uint64_t held = size_or_zero(partial_path);
  PartialFile partial(partial_path);
  if (held > meta.size) {  // not a prefix of this file: start over
    partial.truncate();
    held = 0;
  }
  Sha256 hash;
  if (meta.lfs && held > 0) sha256_update_from_file(hash, partial_path, held);
  const int bar = progress.start_file(meta.file, meta.size, held);
  try {
    while (held < meta.size) {
      Transfer t;
      t.cancel = &cancel;
      with_retries(
          retry, cancel,
          [&] {
            t.offset = held;
            t.restart = [&] {
              partial.truncate();
              hash.reset();
              held = 0;
            };
            t.write = [&](const char* data, std::size_t n) {
              if (held + n > meta.size) {
                t.write_error = meta.repo + " file '" + meta.file + "': the server sent more than the " +
                                std::to_string(meta.size) + " bytes it announced";
                return false;
              }
              if (!partial.write(data, n, t.write_error)) return false;
              if (meta.lfs) hash.update(data, n);
              held += n;
              result.downloaded += n;
              progress.update(bar, held);
              return true;
            };
            client.download(meta, t);
            if (held < meta.size)  // the body ended early without a transport error
              throw HubError(meta.repo + " file '" + meta.file + "': the download ended at byte " +
                                 std::to_string(held) + " of " + std::to_string(meta.size),
                             true);
          },
          [&](const HubError& e, int attempt) {
            progress.note("retrying " + meta.file + " from byte " + std::to_string(held) + " (try " +
                          std::to_string(attempt + 1) + " of " + std::to_string(retry.attempts) + "): " + e.what());
          });
    }
    partial.sync_and_close();
  } catch (...) {
    progress.finish_file(bar, false);
    throw;
  }

  if (meta.lfs) {
    const std::string got = hash.hex_digest();
    if (got != meta.etag) {
      fs::remove(partial_path, ec);
      progress.finish_file(bar, false);
      throw Error(meta.repo + " file '" + meta.file + "': checksum mismatch: the Hub names it sha256 " + meta.etag +
                  " but the " + std::to_string(meta.size) + " bytes received hash to " + got +
                  "; the bad download was deleted, run the same command to fetch it again");
    }
  }
  fs::rename(partial_path, blob);
  cache.link_snapshot_file(commit, meta.file, meta.etag);
  progress.finish_file(bar, true);
  return result;
}

}  // namespace prism::hub
