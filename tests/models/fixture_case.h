// Reads one golden case of tests/fixtures/smolvlm/cases (case.json + raw
// float32 arrays) and compares arrays with the tolerance the fixtures'
// README suggests for a float32 engine: |Δ| <= 1e-4 + 1e-4·|ref|.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace prism::testing {

inline std::filesystem::path smolvlm_fixtures() { return std::filesystem::path(PRISM_FIXTURES_DIR) / "smolvlm"; }

struct FixtureCase {
  std::string checkpoint, name;
  std::filesystem::path dir;
  nlohmann::json json;

  std::filesystem::path checkpoint_dir() const { return smolvlm_fixtures() / checkpoint; }
  bool has_array(const std::string& key) const { return json["arrays"].contains(key); }
  std::vector<std::int64_t> shape(const std::string& key) const {
    return json["arrays"][key]["shape"].get<std::vector<std::int64_t>>();
  }
  std::vector<float> array(const std::string& key) const {
    const auto& a = json["arrays"][key];
    std::ifstream in(dir / a["file"].get<std::string>(), std::ios::binary);
    std::size_t n = 1;
    for (auto d : a["shape"]) n *= d.get<std::size_t>();
    std::vector<float> v(n);
    in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(n * sizeof(float)));
    EXPECT_TRUE(in.good()) << "cannot read " << a["file"];
    return v;
  }
  std::vector<std::int32_t> input_ids() const { return json["input_ids"].get<std::vector<std::int32_t>>(); }
};

inline FixtureCase load_case(const std::string& checkpoint, const std::string& name) {
  FixtureCase c{checkpoint, name, smolvlm_fixtures() / "cases" / checkpoint / name, {}};
  std::ifstream in(c.dir / "case.json");
  c.json = nlohmann::json::parse(in);
  return c;
}

// Every model case (all but the tokenizer-only one) of both checkpoints.
inline std::vector<std::pair<std::string, std::string>> model_cases() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const char* ckpt : {"tiny-a", "tiny-b"})
    for (const auto& entry : std::filesystem::directory_iterator(smolvlm_fixtures() / "cases" / ckpt))
      if (entry.is_directory() && std::filesystem::exists(entry.path() / "case.json") &&
          std::filesystem::exists(entry.path() / "logits_last.bin"))
        out.emplace_back(ckpt, entry.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

inline std::string case_label(const ::testing::TestParamInfo<std::pair<std::string, std::string>>& info) {
  std::string s = info.param.first + "_" + info.param.second;
  for (auto& ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return s;
}

// Asserts |got - ref| <= 1e-4 + 1e-4·|ref| everywhere; reports the worst element.
inline void expect_close(const float* got, const std::vector<float>& ref, const std::string& what) {
  double worst = 0, worst_excess = -1;
  std::size_t worst_at = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    const double d = std::abs(static_cast<double>(got[i]) - ref[i]);
    const double excess = d - (1e-4 + 1e-4 * std::abs(ref[i]));
    if (d > worst) worst = d;
    if (excess > worst_excess || std::isnan(got[i])) {
      worst_excess = std::isnan(got[i]) ? 1e30 : excess;
      worst_at = i;
    }
  }
  EXPECT_LE(worst_excess, 0.0) << what << ": element " << worst_at << " got " << got[worst_at] << " want "
                               << ref[worst_at] << " (max |diff| " << worst << ")";
  ::testing::Test::RecordProperty(what + "_max_abs_diff", std::to_string(worst));
}

}  // namespace prism::testing
