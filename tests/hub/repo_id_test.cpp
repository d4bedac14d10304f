#include "hub/repo_id.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace prism::hub {
namespace {

TEST(RepoId, PlainOrgAndName) {
  auto r = parse_repo_ref("HuggingFaceTB/SmolVLM2-256M-Video-Instruct");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, "HuggingFaceTB/SmolVLM2-256M-Video-Instruct");
  EXPECT_EQ(r->revision, "main");
  EXPECT_FALSE(r->revision_given);
  EXPECT_EQ(r->quant, "");
}

TEST(RepoId, RevisionAndQuant) {
  auto r = parse_repo_ref("ggml-org/SmolVLM2-256M-Video-Instruct-GGUF:Q8_0@refs/pr/1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, "ggml-org/SmolVLM2-256M-Video-Instruct-GGUF");
  EXPECT_EQ(r->quant, "Q8_0");
  EXPECT_EQ(r->revision, "refs/pr/1");
  EXPECT_TRUE(r->revision_given);
  EXPECT_EQ(r->display(), "ggml-org/SmolVLM2-256M-Video-Instruct-GGUF:Q8_0@refs/pr/1");

  auto c = parse_repo_ref("org/name@0123456789abcdef0123456789abcdef01234567");
  ASSERT_TRUE(c);
  EXPECT_TRUE(is_commit_hash(c->revision));
}

TEST(RepoId, RejectsWhatIsNotARepoId) {
  for (const char* bad : {"", "name-only", "a/b/c", "/abs/path", "org/", "/name", "org/na me", "org--x/name",
                          "org/name..", "org/-name", "org/name@", "org/name:", "org/name@a..b", "org/name@/x",
                          "./tests/fixtures", "org/name:Q8 0"}) {
    std::string why;
    EXPECT_FALSE(parse_repo_ref(bad, &why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
  try {
    parse_repo_ref_or_throw("a/b/c");
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("'a/b/c' is not a Hugging Face repo id"), std::string::npos) << e.what();
  }
}

TEST(RepoId, CacheFolderNameAsHuggingfaceHub) {
  EXPECT_EQ(repo_folder_name("HuggingFaceTB/SmolVLM2-256M-Video-Instruct"),
            "models--HuggingFaceTB--SmolVLM2-256M-Video-Instruct");
}

TEST(RepoId, CommitHashIsFortyLowerHex) {
  EXPECT_TRUE(is_commit_hash("0123456789abcdef0123456789abcdef01234567"));
  EXPECT_FALSE(is_commit_hash("0123456789ABCDEF0123456789abcdef01234567"));
  EXPECT_FALSE(is_commit_hash("main"));
  EXPECT_FALSE(is_commit_hash("0123456789abcdef"));
}

}  // namespace
}  // namespace prism::hub
