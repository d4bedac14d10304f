#include "hub/file_selection.h"

#include <algorithm>
#include <cctype>
#include <fnmatch.h>
#include <regex>

#include "core/error.h"

namespace prism::hub {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::string basename(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// "dir/Model-Q8_0-00001-of-00003.gguf" -> "dir/Model-Q8_0": the name shared by
// every shard of a split file.
std::string gguf_stem(const std::string& path) {
  static const std::regex shard("-[0-9]{5}-of-[0-9]{5}$");
  std::string stem = path.substr(0, path.size() - 5);  // ".gguf"
  return std::regex_replace(stem, shard, "");
}

bool is_mmproj(const std::string& path) { return lower(basename(path)).find("mmproj") != std::string::npos; }

// The stem ends with the quant after a separator: "...-Q8_0", "....q8_0".
bool has_quant(const std::string& path, const std::string& quant) {
  const std::string stem = lower(basename(gguf_stem(path)));
  const std::string q = lower(quant);
  if (stem == q) return true;
  if (stem.size() <= q.size() || !ends_with(stem, q)) return false;
  const char sep = stem[stem.size() - q.size() - 1];
  return sep == '-' || sep == '.' || sep == '_';
}

}  // namespace

bool glob_match(const std::string& pattern, const std::string& path) {
  std::string p = pattern;
  if (!p.empty() && p.back() == '/') p += "*";
  return fnmatch(p.c_str(), path.c_str(), 0) == 0;
}

std::vector<std::string> filter_files(const std::vector<std::string>& files, const std::vector<std::string>& include,
                                      const std::vector<std::string>& exclude) {
  std::vector<std::string> out;
  for (const auto& f : files) {
    const bool in = include.empty() || std::any_of(include.begin(), include.end(), [&](auto& p) { return glob_match(p, f); });
    const bool out_ = std::any_of(exclude.begin(), exclude.end(), [&](auto& p) { return glob_match(p, f); });
    if (in && !out_) out.push_back(f);
  }
  return out;
}

bool is_gguf_file(const std::string& path) { return ends_with(lower(path), ".gguf"); }

std::string gguf_quant_of(const std::string& path) {
  const std::string stem = basename(gguf_stem(path));
  const auto dash = stem.find_last_of("-.");
  return dash == std::string::npos ? stem : stem.substr(dash + 1);
}

std::vector<std::string> pick_gguf_files(const std::vector<std::string>& files, const std::string& quant,
                                         const std::string& repo) {
  std::vector<std::string> models, projectors;
  for (const auto& f : files) {
    if (!is_gguf_file(f)) continue;
    (is_mmproj(f) ? projectors : models).push_back(f);
  }
  std::sort(models.begin(), models.end());
  std::sort(projectors.begin(), projectors.end());
  if (models.empty()) throw Error(repo + " has no GGUF model file (no *.gguf besides an mmproj)");

  std::string chosen;
  if (quant.empty()) {
    for (const char* preferred : {"Q4_K_M", "Q8_0"}) {
      auto it = std::find_if(models.begin(), models.end(), [&](auto& f) { return has_quant(f, preferred); });
      if (it != models.end()) {
        chosen = *it;
        break;
      }
    }
    if (chosen.empty()) chosen = models.front();
  } else {
    auto it = std::find_if(models.begin(), models.end(), [&](auto& f) { return has_quant(f, quant); });
    if (it == models.end()) {
      std::string have;
      for (const auto& f : models) {
        const std::string q = gguf_quant_of(f);
        if (have.find(q) == std::string::npos) have += (have.empty() ? "" : ", ") + q;
      }
      throw Error(repo + " has no GGUF file of type " + quant + "; it has: " + have);
    }
    chosen = *it;
  }
  std::vector<std::string> out;
  const std::string stem = gguf_stem(chosen);
  for (const auto& f : models)
    if (gguf_stem(f) == stem) out.push_back(f);  // every shard of a split file

  if (!projectors.empty()) {
    // The projector of the same type when there is one, else the most precise.
    const std::string q = quant.empty() ? gguf_quant_of(chosen) : quant;
    std::string proj;
    for (const std::string& want : {q, std::string("f16"), std::string("bf16"), std::string("f32")}) {
      auto it = std::find_if(projectors.begin(), projectors.end(), [&](auto& f) { return has_quant(f, want); });
      if (it != projectors.end()) {
        proj = *it;
        break;
      }
    }
    out.push_back(proj.empty() ? projectors.front() : proj);
  }
  return out;
}

}  // namespace prism::hub
