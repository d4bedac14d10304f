// A checkpoint whose files disagree with each other must fail to load with a
// prism::Error naming the file and the tensor or key at fault.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "core/error.h"
#include "fixture_case.h"
#include "models/smolvlm.h"

namespace prism::models {
namespace {

namespace fs = std::filesystem;

// A copy of tiny-a whose safetensors header was edited by `edit` (the data
// section is kept byte for byte).
class EditedCheckpoint {
 public:
  explicit EditedCheckpoint(const std::function<void(nlohmann::json&)>& edit) {
    dir_ = fs::temp_directory_path() / ("prism_broken_" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
    const auto src = prism::testing::smolvlm_fixtures() / "tiny-a";
    fs::copy_file(src / "config.json", dir_ / "config.json");
    std::ifstream in(src / "model.safetensors", std::ios::binary);
    std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
    auto header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<long>(n));
    edit(header);
    std::string h = header.dump();
    while (h.size() % 8) h += ' ';
    std::ofstream out(dir_ / "model.safetensors", std::ios::binary);
    for (int i = 0; i < 8; ++i) out.put(static_cast<char>((h.size() >> (8 * i)) & 0xff));
    out << h;
    out.write(bytes.data() + 8 + n, static_cast<std::streamsize>(bytes.size() - 8 - n));
  }
  ~EditedCheckpoint() { fs::remove_all(dir_); }
  const fs::path& dir() const { return dir_; }

  std::string load_error() const {
    try {
      SmolVlmModel::load(dir_, 1);
    } catch (const prism::Error& e) {
      return e.what();
    }
    return "";
  }

 private:
  fs::path dir_;
};

TEST(BrokenCheckpoint, UneditedCopyLoads) {
  EditedCheckpoint ckpt([](nlohmann::json&) {});
  EXPECT_EQ(ckpt.load_error(), "");
}

TEST(BrokenCheckpoint, MissingTensor) {
  EditedCheckpoint ckpt([](nlohmann::json& h) { h.erase("model.text_model.norm.weight"); });
  const auto msg = ckpt.load_error();
  EXPECT_NE(msg.find("missing tensor 'model.text_model.norm.weight'"), std::string::npos) << msg;
}

TEST(BrokenCheckpoint, MissingUntiedHead) {
  EditedCheckpoint ckpt([](nlohmann::json& h) { h.erase("lm_head.weight"); });
  EXPECT_NE(ckpt.load_error().find("'lm_head.weight'"), std::string::npos);
}

TEST(BrokenCheckpoint, ShapeDisagreesWithConfig) {
  EditedCheckpoint ckpt([](nlohmann::json& h) { h["lm_head.weight"]["shape"] = {64, 621}; });
  const auto msg = ckpt.load_error();
  EXPECT_NE(msg.find("model.safetensors: tensor 'lm_head.weight' has shape [64, 621]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[621, 64]"), std::string::npos) << msg;
}

TEST(BrokenCheckpoint, WrongDtype) {
  EditedCheckpoint ckpt([](nlohmann::json& h) { h["lm_head.weight"]["dtype"] = "I64"; });
  const auto msg = ckpt.load_error();
  EXPECT_NE(msg.find("tensor 'lm_head.weight': unsupported dtype I64"), std::string::npos) << msg;
}

TEST(BrokenCheckpoint, MissingConfig) {
  EditedCheckpoint ckpt([](nlohmann::json&) {});
  fs::remove(ckpt.dir() / "config.json");
  EXPECT_NE(ckpt.load_error().find("config.json: cannot open"), std::string::npos);
}

}  // namespace
}  // namespace prism::models
