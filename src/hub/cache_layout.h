// One repo's folder in the Hugging Face Hub cache, laid out exactly as
// huggingface_hub lays it out so that either tool uses what the other
// downloaded:
//
//   {cache}/models--{org}--{name}/
//     blobs/{etag}                 file contents, named by sha256 (LFS) or git sha1
//     blobs/{etag}.incomplete      a download in progress (resumed from its size)
//     snapshots/{commit}/{path}    relative symlinks into ../../blobs (deeper for nested paths)
//     refs/{revision}              the commit a branch or tag pointed at
//     .no_exist/{commit}/{path}    files known to be absent (written by huggingface_hub)
//   {cache}/.locks/models--{org}--{name}/{etag}.lock
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace prism::hub {

class RepoCache {
 public:
  RepoCache(std::filesystem::path cache_dir, std::string_view repo_id);

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path blob_path(std::string_view etag) const;
  std::filesystem::path incomplete_path(std::string_view etag) const;
  std::filesystem::path lock_path(std::string_view etag) const;
  std::filesystem::path snapshot_dir(std::string_view commit) const;
  std::filesystem::path snapshot_file(std::string_view commit, std::string_view file) const;
  std::filesystem::path ref_path(std::string_view revision) const;

  // The commit refs/{revision} holds, if that file exists.
  std::optional<std::string> read_ref(std::string_view revision) const;
  // Writes refs/{revision} (atomically: a reader never sees half a hash).
  void write_ref(std::string_view revision, std::string_view commit) const;

  // The commit a revision names in this cache: a commit hash as it is, else
  // what refs/{revision} holds; nullopt when the snapshot folder is absent.
  std::optional<std::string> resolve_commit(std::string_view revision) const;

  // snapshots/{commit}/{file} -> the blob, as a relative symlink; replaces
  // what was there. The blob must already be complete.
  void link_snapshot_file(std::string_view commit, std::string_view file, std::string_view etag) const;

  // The snapshot entry exists and leads to a regular file (not dangling).
  bool has_snapshot_file(std::string_view commit, std::string_view file) const;

 private:
  std::filesystem::path cache_dir_;
  std::string folder_;
  std::filesystem::path root_;
};

// A file path as the Hub lists it ("sub/dir/file.json"), refused when it is
// absolute or would leave the snapshot folder ("..", empty parts).
void check_repo_file_path(std::string_view file);

// Strips a weak-validator "W/" and the quotes of an HTTP ETag.
std::string normalize_etag(std::string_view etag);

}  // namespace prism::hub
