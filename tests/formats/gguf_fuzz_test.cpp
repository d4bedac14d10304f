// Brief fuzzing of the GGUF reader: random mutations of gguf-py's fixture
// (bytes, 64-bit fields set to extreme values, truncation, insertions and
// deletions) must end in a clean load or a prism::Error naming the file, never
// a crash or a read outside the file (run under ASan + UBSan in CI).
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "core/error.h"
#include "formats/gguf.h"
#include "test_files.h"

namespace prism::formats {
namespace {

TEST(GgufFuzz, MutatedFilesNeverCrash) {
  const auto original = testing::read_bytes(std::filesystem::path(PRISM_FIXTURES_DIR) / "gguf/tiny.gguf");
  std::size_t header_end = 0;
  {
    GgufFile f(std::filesystem::path(PRISM_FIXTURES_DIR) / "gguf/tiny.gguf");
    header_end = static_cast<std::size_t>(f.data_offset());
  }
  ASSERT_GT(header_end, 64u);
  ASSERT_LT(header_end, original.size());

  auto dir = testing::scratch_dir("gguf_fuzz");
  auto path = dir / "fuzz.gguf";
  std::mt19937 rng(4321);
  const std::uint64_t extremes[] = {0, 1, 2, 31, 32, 33, 255, 0xffffffffull, 0x100000000ull, 1ull << 62, ~0ull};
  int loaded = 0, rejected = 0;
  for (int iter = 0; iter < 1500; ++iter) {
    auto bytes = original;
    const int mutations = 1 + static_cast<int>(rng() % 3);
    for (int m = 0; m < mutations && !bytes.empty(); ++m) {
      const std::size_t in_header = rng() % std::min(header_end, bytes.size());
      switch (rng() % 6) {
        case 0:  // one header byte
          bytes[in_header] = static_cast<char>(rng());
          break;
        case 1:  // a 64-bit or 32-bit field (a count, length, dimension or offset) set to an extreme
          if (in_header + 8 <= bytes.size()) {
            const std::uint64_t v = extremes[rng() % std::size(extremes)];
            std::memcpy(bytes.data() + in_header, &v, rng() % 2 ? 8 : 4);
          }
          break;
        case 2:  // truncation
          bytes.resize(rng() % bytes.size());
          break;
        case 3:  // a data byte (must still load: data is opaque)
          if (bytes.size() > header_end) bytes[header_end + rng() % (bytes.size() - header_end)] ^= 0x5a;
          break;
        case 4: {  // bytes deleted from the header
          const std::size_t n = std::min<std::size_t>(1 + rng() % 12, bytes.size() - in_header);
          bytes.erase(bytes.begin() + static_cast<long>(in_header), bytes.begin() + static_cast<long>(in_header + n));
          break;
        }
        case 5:  // bytes inserted into the header
          bytes.insert(bytes.begin() + static_cast<long>(in_header), 1 + rng() % 8, static_cast<char>(rng()));
          break;
      }
    }
    testing::write_bytes(path, bytes);
    try {
      GgufFile f(path);
      for (const auto& [key, v] : f.metadata()) (void)v.summary();
      const auto* begin = f.tensors().empty() ? nullptr : f.tensors().front().data - f.data_offset() -
                                                              f.tensors().front().offset;
      for (const auto& t : f.tensors()) {
        // Every tensor handed out lies inside the file and decodes without faults.
        ASSERT_GE(t.data, begin);
        ASSERT_LE(static_cast<std::size_t>(t.data - begin) + t.nbytes, bytes.size());
        if (can_dequantize(t.type)) {
          std::vector<float> row(static_cast<std::size_t>(t.row_length()));
          dequantize_row(t.type, t.data + (t.rows() - 1) * static_cast<std::int64_t>(ggml_row_bytes(t.type, t.row_length())),
                         t.row_length(), row.data());
        }
      }
      ++loaded;
    } catch (const prism::Error& e) {
      EXPECT_NE(std::string(e.what()).find("fuzz.gguf"), std::string::npos) << e.what();
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 0);
  EXPECT_GT(loaded, 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace prism::formats
