// The cache as huggingface_hub lays it out (built here by hand from its
// rules), read by prism; and the cache prism writes, checked against them.
#include "hub/cache_layout.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "core/error.h"
#include "fake_env.h"
#include "hub/model_path.h"
#include "hub/pull.h"
#include "hub/sha256.h"

namespace prism::hub {
namespace {

namespace fs = std::filesystem;
using testing::fake_env;

constexpr const char* kCommit = "5a1d37b1c2f0e3d4a5b6c7d8e9f0a1b2c3d4e5f6";
constexpr const char* kOldCommit = "1111111111111111111111111111111111111111";

class TempCache : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("prism-hub-cache-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  EnvLookup env() const { return fake_env({{"HF_HUB_CACHE", dir.string()}}); }

  static void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
  }
  static std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  // What `huggingface-cli download org/name` leaves: blobs named by etag,
  // snapshot entries as relative symlinks, refs/main without a newline, a
  // .no_exist marker and a .locks folder.
  void lay_out_like_huggingface_hub() {
    const fs::path repo = dir / "models--org--name";
    const std::string lfs_etag = "c0ffee0000000000000000000000000000000000000000000000000000000000";
    const std::string git_etag = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567";
    write(repo / "blobs" / lfs_etag, "weights");
    write(repo / "blobs" / git_etag, "{\"model_type\":\"idefics3\"}");
    const fs::path snap = repo / "snapshots" / kCommit;
    fs::create_directories(snap / "sub");
    fs::create_symlink("../../blobs/" + lfs_etag, snap / "model.safetensors");
    fs::create_symlink("../../blobs/" + git_etag, snap / "config.json");
    fs::create_symlink("../../../blobs/" + git_etag, snap / "sub" / "nested.json");
    write(repo / "refs" / "main", kCommit);
    write(repo / "refs" / "v0", kOldCommit);  // an older tag whose snapshot was deleted
    write(repo / ".no_exist" / kCommit / "processor_config.json", "");
    fs::create_directories(dir / ".locks" / "models--org--name");
  }

  fs::path dir;
};

TEST_F(TempCache, ReadsACacheLaidOutByHuggingfaceHub) {
  lay_out_like_huggingface_hub();
  const RepoCache cache(dir, "org/name");
  EXPECT_EQ(cache.read_ref("main"), kCommit);
  EXPECT_EQ(cache.resolve_commit("main"), kCommit);
  EXPECT_EQ(cache.resolve_commit(kCommit), kCommit);  // a commit needs no ref
  EXPECT_EQ(cache.resolve_commit("v0"), std::nullopt);  // its snapshot is gone
  EXPECT_EQ(cache.resolve_commit("dev"), std::nullopt);
  EXPECT_TRUE(cache.has_snapshot_file(kCommit, "model.safetensors"));
  EXPECT_TRUE(cache.has_snapshot_file(kCommit, "sub/nested.json"));
  EXPECT_FALSE(cache.has_snapshot_file(kCommit, "processor_config.json"));

  const fs::path snap = dir / "models--org--name" / "snapshots" / kCommit;
  EXPECT_EQ(resolve_model_path("org/name", env()), snap);
  EXPECT_EQ(resolve_model_path("org/name@main", env()), snap);
  EXPECT_EQ(resolve_model_path(std::string("org/name@") + kCommit, env()), snap);
  EXPECT_EQ(read(resolve_model_path("org/name", env()) / "sub" / "nested.json"), "{\"model_type\":\"idefics3\"}");
}

TEST_F(TempCache, ARepoIdNotInTheCacheNamesThePullCommand) {
  lay_out_like_huggingface_hub();
  try {
    resolve_model_path("org/other", env());
    FAIL();
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("'org/other' is neither a folder nor a model in the Hugging Face cache (" + dir.string() + ")"),
              std::string::npos) << m;
    EXPECT_NE(m.find("run: prism pull org/other"), std::string::npos) << m;
  }
  try {
    resolve_model_path("org/name@v0", env());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("revision 'v0' of org/name is not in the Hugging Face cache"),
              std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("run: prism pull org/name --revision v0"), std::string::npos) << e.what();
  }
}

TEST_F(TempCache, AFolderWinsOverARepoIdAndOtherTextPassesThrough) {
  fs::create_directories(dir / "org" / "name");
  const fs::path cwd = fs::current_path();
  fs::current_path(dir);
  EXPECT_EQ(resolve_model_path("org/name", env()), fs::path("org/name"));
  fs::current_path(cwd);
  EXPECT_EQ(resolve_model_path("/no/such/folder/at/all", env()), fs::path("/no/such/folder/at/all"));
  EXPECT_EQ(resolve_model_path("just-a-name", env()), fs::path("just-a-name"));
}

TEST_F(TempCache, WritesTheLayoutHuggingfaceHubReads) {
  const RepoCache cache(dir, "org/name");
  const std::string etag = "ab" + std::string(62, '0');
  write(cache.blob_path(etag), "x");
  cache.link_snapshot_file(kCommit, "config.json", etag);
  cache.link_snapshot_file(kCommit, "a/b/deep.json", etag);
  cache.write_ref("main", kCommit);

  const fs::path snap = dir / "models--org--name" / "snapshots" / kCommit;
  EXPECT_TRUE(fs::is_symlink(snap / "config.json"));
  EXPECT_EQ(fs::read_symlink(snap / "config.json"), fs::path("../../blobs/" + etag));
  EXPECT_EQ(fs::read_symlink(snap / "a" / "b" / "deep.json"), fs::path("../../../../blobs/" + etag));
  EXPECT_EQ(read(snap / "a" / "b" / "deep.json"), "x");
  EXPECT_EQ(read(dir / "models--org--name" / "refs" / "main"), kCommit);  // no newline, as huggingface_hub
  EXPECT_EQ(cache.incomplete_path(etag), dir / "models--org--name" / "blobs" / (etag + ".incomplete"));
  EXPECT_EQ(cache.lock_path(etag), dir / ".locks" / "models--org--name" / (etag + ".lock"));

  // Relinking replaces the entry.
  const std::string other = "cd" + std::string(62, '0');
  write(cache.blob_path(other), "y");
  cache.link_snapshot_file(kCommit, "config.json", other);
  EXPECT_EQ(read(snap / "config.json"), "y");
  for (const auto& e : fs::recursive_directory_iterator(dir))
    EXPECT_EQ(e.path().string().find(".prism-link"), std::string::npos);
}

TEST_F(TempCache, RefusesFilePathsThatLeaveTheSnapshot) {
  for (const char* bad : {"../evil", "/etc/passwd", "a/../../b", "a//b", "", "./x", "a\\b"})
    EXPECT_THROW(check_repo_file_path(bad), Error) << bad;
  EXPECT_NO_THROW(check_repo_file_path("sub/dir/file.json"));
  EXPECT_NO_THROW(check_repo_file_path(".gitattributes"));
}

TEST_F(TempCache, EtagsLoseQuotesAndWeakPrefix) {
  EXPECT_EQ(normalize_etag("\"abc\""), "abc");
  EXPECT_EQ(normalize_etag("W/\"abc\""), "abc");
  EXPECT_EQ(normalize_etag("abc"), "abc");
}

// HF_HUB_OFFLINE: the cache answers, and nothing touches the network (the
// endpoint is a closed port).
TEST_F(TempCache, OfflinePullUsesTheCacheOnly) {
  lay_out_like_huggingface_hub();
  HubSettings s;
  s.cache_dir = dir;
  s.endpoint = "http://127.0.0.1:1";
  s.offline = true;
  std::ostringstream out;
  Progress progress(out, false);
  std::atomic<bool> cancel{false};
  PullOptions o;
  o.ref = parse_repo_ref_or_throw("org/name");
  const auto r = pull(o, s, progress, cancel);
  EXPECT_TRUE(r.offline);
  EXPECT_EQ(r.commit, kCommit);
  EXPECT_EQ(r.snapshot, dir / "models--org--name" / "snapshots" / kCommit);

  o.ref = parse_repo_ref_or_throw("org/absent");
  try {
    pull(o, s, progress, cancel);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("HF_HUB_OFFLINE is set and org/absent"), std::string::npos) << e.what();
  }
}

// Without HF_HUB_OFFLINE an unreachable Hub is a clear error, after retries.
TEST_F(TempCache, UnreachableHubIsNamed) {
  HubSettings s;
  s.cache_dir = dir;
  s.endpoint = "http://127.0.0.1:1";
  std::ostringstream out;
  Progress progress(out, false);
  std::atomic<bool> cancel{false};
  PullOptions o;
  o.ref = parse_repo_ref_or_throw("org/name");
  o.retry.attempts = 2;
  o.retry.first_wait = std::chrono::milliseconds(10);
  try {
    pull(o, s, progress, cancel);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("connection failed for org/name at revision 'main'"), std::string::npos)
        << e.what();
  }
  EXPECT_NE(out.str().find("retrying (try 2 of 2)"), std::string::npos) << out.str();
}

TEST(Sha256Hash, KnownDigests) {
  Sha256 h;
  EXPECT_EQ(h.hex_digest(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  h.update("ab", 2);
  h.update("c", 1);
  EXPECT_EQ(h.hex_digest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace prism::hub
