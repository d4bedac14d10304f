#include "hub/hub_settings.h"

#include <gtest/gtest.h>

#include <fstream>

#include "fake_env.h"

namespace prism::hub {
namespace {

namespace fs = std::filesystem;
using testing::fake_env;

TEST(HubSettings, CacheDirPrecedence) {
  EXPECT_EQ(hub_cache_dir(fake_env({{"HOME", "/home/u"}})), fs::path("/home/u/.cache/huggingface/hub"));
  EXPECT_EQ(hub_cache_dir(fake_env({{"HOME", "/home/u"}, {"XDG_CACHE_HOME", "/xdg"}})), fs::path("/xdg/huggingface/hub"));
  EXPECT_EQ(hub_cache_dir(fake_env({{"HOME", "/home/u"}, {"XDG_CACHE_HOME", "/xdg"}, {"HF_HOME", "/hf"}})),
            fs::path("/hf/hub"));
  EXPECT_EQ(hub_cache_dir(fake_env({{"HF_HOME", "/hf"}, {"HUGGINGFACE_HUB_CACHE", "/old"}})), fs::path("/old"));
  EXPECT_EQ(hub_cache_dir(fake_env({{"HF_HOME", "/hf"}, {"HUGGINGFACE_HUB_CACHE", "/old"}, {"HF_HUB_CACHE", "/c"}})),
            fs::path("/c"));
  EXPECT_EQ(hub_cache_dir(fake_env({{"HOME", "/home/u"}, {"HF_HUB_CACHE", "~/models"}})), fs::path("/home/u/models"));
  // Set but empty counts as unset, as in huggingface_hub.
  EXPECT_EQ(hub_cache_dir(fake_env({{"HOME", "/home/u"}, {"HF_HUB_CACHE", ""}})),
            fs::path("/home/u/.cache/huggingface/hub"));
}

TEST(HubSettings, EndpointDefaultAndTrailingSlash) {
  EXPECT_EQ(hub_settings(fake_env({})).endpoint, "https://huggingface.co");
  EXPECT_EQ(hub_settings(fake_env({{"HF_ENDPOINT", "http://127.0.0.1:9/"}})).endpoint, "http://127.0.0.1:9");
}

TEST(HubSettings, TokenFromEnvElseTokenFile) {
  const fs::path home = fs::temp_directory_path() / ("prism-hf-home-" + std::to_string(::getpid()));
  fs::create_directories(home);
  std::ofstream(home / "token") << "hf_from_file\n";
  auto from_file = hub_settings(fake_env({{"HF_HOME", home.string()}}));
  EXPECT_EQ(from_file.token, "hf_from_file");
  EXPECT_EQ(from_file.token_source, (home / "token").string());
  auto from_env = hub_settings(fake_env({{"HF_HOME", home.string()}, {"HF_TOKEN", "hf_env "}}));
  EXPECT_EQ(from_env.token, "hf_env");
  EXPECT_EQ(from_env.token_source, "HF_TOKEN");
  EXPECT_EQ(hub_settings(fake_env({{"HF_HOME", (home / "none").string()}})).token, "");
  fs::remove_all(home);
}

TEST(HubSettings, Offline) {
  EXPECT_FALSE(hub_settings(fake_env({})).offline);
  for (const char* yes : {"1", "ON", "yes", "True"}) EXPECT_TRUE(hub_settings(fake_env({{"HF_HUB_OFFLINE", yes}})).offline);
  for (const char* no : {"0", "off", "false"}) EXPECT_FALSE(hub_settings(fake_env({{"HF_HUB_OFFLINE", no}})).offline);
}

}  // namespace
}  // namespace prism::hub
