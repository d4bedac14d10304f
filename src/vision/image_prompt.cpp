#include "vision/image_prompt.h"

namespace prism::vision {
namespace {

std::string repeat(const std::string& token, int count) {
  std::string out;
  out.reserve(token.size() * static_cast<std::size_t>(count > 0 ? count : 0));
  for (int i = 0; i < count; ++i) out += token;
  return out;
}

}  // namespace

std::string expand_image_prompt(int rows, int cols, int image_seq_len, const ImagePromptTokens& t) {
  const std::string images = repeat(t.image_token, image_seq_len);
  const std::string global = t.fake_token_around_image + t.global_image_token + images + t.fake_token_around_image;
  if (rows == 0 && cols == 0) return global;
  std::string out;
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c)
      out += t.fake_token_around_image + "<row_" + std::to_string(r + 1) + "_col_" + std::to_string(c + 1) + ">" + images;
    out += "\n";
  }
  out += "\n" + global;
  return out;
}

}  // namespace prism::vision
