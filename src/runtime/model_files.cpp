#include "runtime/model_files.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "core/error.h"
#include "formats/gguf.h"

namespace prism::runtime {

namespace fs = std::filesystem;

namespace {

bool has_gguf_extension(const fs::path& p) {
  std::string ext = p.extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".gguf";
}

// The architecture decides (file names vary); an unreadable file is left to the loader's error.
bool is_mmproj(const fs::path& p) {
  try {
    return formats::GgufFile(p).get_string("general.architecture", "") == "clip";
  } catch (const Error&) {
    return p.filename().string().starts_with("mmproj");
  }
}

std::vector<fs::path> gguf_files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file(ec) && has_gguf_extension(e.path())) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string listed(const std::vector<fs::path>& files) {
  std::string s;
  for (const auto& f : files) s += (s.empty() ? "" : ", ") + f.filename().string();
  return s;
}

}  // namespace

std::optional<models::GgufModelFiles> find_gguf_files(const fs::path& path, const std::optional<fs::path>& mmproj) {
  std::error_code ec;
  models::GgufModelFiles files;
  if (fs::is_regular_file(path, ec) && (has_gguf_extension(path) || formats::looks_like_gguf(path))) {
    files.text = path;
  } else if (fs::is_directory(path, ec) && !fs::exists(path / "config.json", ec)) {
    std::vector<fs::path> texts;
    for (const auto& f : gguf_files_in(path))
      if (!is_mmproj(f)) texts.push_back(f);
    if (texts.empty()) return std::nullopt;
    if (texts.size() > 1)
      throw Error(path.string() + ": holds several text GGUF files (" + listed(texts) + "); name one as the model");
    files.text = texts.front();
  } else {
    return std::nullopt;
  }
  if (mmproj) {
    files.mmproj = *mmproj;
  } else {
    std::vector<fs::path> found;
    for (const auto& f : gguf_files_in(files.text.parent_path().empty() ? fs::path(".") : files.text.parent_path()))
      if (f != files.text && is_mmproj(f)) found.push_back(f);
    if (found.size() > 1)
      throw Error(files.text.string() + ": several mmproj files beside it (" + listed(found) + "); pick one with --mmproj");
    if (!found.empty()) files.mmproj = found.front();
  }
  return files;
}

}  // namespace prism::runtime
