// Brief fuzzing of the safetensors reader: random mutations of the real
// tiny-a header and data must end in a clean load or a prism::Error, never a
// crash (run under ASan + UBSan in CI).
#include <gtest/gtest.h>

#include <random>

#include "core/error.h"
#include "formats/safetensors.h"
#include "test_files.h"

namespace prism::formats {
namespace {

TEST(SafetensorsFuzz, MutatedHeadersNeverCrash) {
  const auto original =
      testing::read_bytes(std::filesystem::path(PRISM_FIXTURES_DIR) / "smolvlm/tiny-a/model.safetensors");
  ASSERT_GT(original.size(), 8u);
  std::uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | static_cast<unsigned char>(original[i]);
  const std::size_t header_end = 8 + header_len;

  auto dir = testing::scratch_dir("fuzz");
  auto path = dir / "model.safetensors";
  std::mt19937 rng(1234);
  const char* interesting = "{}[]\":,0123456789-eE.FBI ";
  int loaded = 0, rejected = 0;
  for (int iter = 0; iter < 300; ++iter) {
    auto bytes = original;
    const int mutations = 1 + static_cast<int>(rng() % 4);
    for (int m = 0; m < mutations; ++m) {
      switch (rng() % 5) {
        case 0:  // a header byte replaced by JSON-significant punctuation or digits
          bytes[rng() % header_end] = interesting[rng() % 25];
          break;
        case 1:  // random byte anywhere in the header, length field included
          bytes[rng() % header_end] = static_cast<char>(rng());
          break;
        case 2:  // truncation
          bytes.resize(rng() % bytes.size());
          break;
        case 3:  // a data byte flipped (must still load: data is opaque)
          if (bytes.size() > header_end) bytes[header_end + rng() % (bytes.size() - header_end)] ^= 0x5a;
          break;
        case 4:  // a chunk of the header deleted
          if (bytes.size() > 16) {
            std::size_t at = 8 + rng() % std::min<std::size_t>(header_len, bytes.size() - 8);
            std::size_t n = std::min<std::size_t>(1 + rng() % 12, bytes.size() - at);
            bytes.erase(bytes.begin() + static_cast<long>(at), bytes.begin() + static_cast<long>(at + n));
          }
          break;
      }
    }
    testing::write_bytes(path, bytes);
    try {
      SafetensorsFile f(path);
      for (const auto& [name, t] : f.tensors()) {
        // Every tensor handed out must lie inside the file.
        ASSERT_LE(t.nbytes, bytes.size());
        volatile std::byte sink{};
        if (t.nbytes) sink = t.data[t.nbytes - 1];
        (void)sink;
      }
      ++loaded;
    } catch (const prism::Error& e) {
      EXPECT_NE(std::string(e.what()).find("model.safetensors"), std::string::npos) << e.what();
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 0);
  EXPECT_GT(loaded, 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace prism::formats
