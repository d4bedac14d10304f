#include "hub/cache_layout.h"

#include <fstream>
#include <sstream>

#include "core/error.h"
#include "hub/repo_id.h"

namespace prism::hub {
namespace fs = std::filesystem;

RepoCache::RepoCache(fs::path cache_dir, std::string_view repo_id)
    : cache_dir_(std::move(cache_dir)), folder_(repo_folder_name(repo_id)), root_(cache_dir_ / folder_) {}

fs::path RepoCache::blob_path(std::string_view etag) const { return root_ / "blobs" / std::string(etag); }

fs::path RepoCache::incomplete_path(std::string_view etag) const {
  return root_ / "blobs" / (std::string(etag) + ".incomplete");
}

fs::path RepoCache::lock_path(std::string_view etag) const {
  return cache_dir_ / ".locks" / folder_ / (std::string(etag) + ".lock");
}

fs::path RepoCache::snapshot_dir(std::string_view commit) const { return root_ / "snapshots" / std::string(commit); }

fs::path RepoCache::snapshot_file(std::string_view commit, std::string_view file) const {
  return snapshot_dir(commit) / std::string(file);
}

fs::path RepoCache::ref_path(std::string_view revision) const { return root_ / "refs" / std::string(revision); }

std::optional<std::string> RepoCache::read_ref(std::string_view revision) const {
  std::ifstream in(ref_path(revision));
  if (!in) return std::nullopt;
  std::string commit;
  in >> commit;  // huggingface_hub writes the hash without a newline; tolerate one
  if (commit.empty()) return std::nullopt;
  return commit;
}

void RepoCache::write_ref(std::string_view revision, std::string_view commit) const {
  const fs::path path = ref_path(revision);
  fs::create_directories(path.parent_path());
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << commit;
    if (!out) throw Error(tmp.string() + ": cannot write");
  }
  fs::rename(tmp, path);
}

std::optional<std::string> RepoCache::resolve_commit(std::string_view revision) const {
  std::error_code ec;
  std::optional<std::string> commit;
  if (is_commit_hash(revision)) commit = std::string(revision);
  else commit = read_ref(revision);
  if (!commit || !fs::is_directory(snapshot_dir(*commit), ec)) return std::nullopt;
  return commit;
}

void RepoCache::link_snapshot_file(std::string_view commit, std::string_view file, std::string_view etag) const {
  check_repo_file_path(file);
  const fs::path link = snapshot_file(commit, file);
  fs::create_directories(link.parent_path());
  const fs::path target = blob_path(etag).lexically_relative(link.parent_path());
  // A fresh link renamed over the old one: the entry is never missing.
  const fs::path tmp = link.string() + ".prism-link";
  std::error_code ec;
  fs::remove(tmp, ec);
  fs::create_symlink(target, tmp);
  fs::rename(tmp, link);
}

bool RepoCache::has_snapshot_file(std::string_view commit, std::string_view file) const {
  std::error_code ec;
  return fs::is_regular_file(snapshot_file(commit, file), ec);  // follows the symlink
}

void check_repo_file_path(std::string_view file) {
  const auto bad = [&](const char* why) {
    throw Error("the Hub listed a file path '" + std::string(file) + "' that " + why + "; refusing to write it");
  };
  if (file.empty()) bad("is empty");
  if (file.front() == '/') bad("is absolute");
  std::size_t start = 0;
  while (start <= file.size()) {
    auto end = file.find('/', start);
    if (end == std::string_view::npos) end = file.size();
    const auto part = file.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") bad("leaves the snapshot folder or has an empty part");
    start = end + 1;
  }
  if (file.find('\0') != std::string_view::npos || file.find('\\') != std::string_view::npos) bad("holds '\\' or NUL");
}

std::string normalize_etag(std::string_view etag) {
  std::string_view e = etag;
  if (e.size() >= 2 && (e[0] == 'W' || e[0] == 'w') && e[1] == '/') e.remove_prefix(2);
  if (e.size() >= 2 && e.front() == '"' && e.back() == '"') e = e.substr(1, e.size() - 2);
  return std::string(e);
}

}  // namespace prism::hub
