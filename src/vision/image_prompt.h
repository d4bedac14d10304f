// The text that replaces one <image> in the prompt (SmolVLMProcessor's
// get_image_prompt_string, transformers v4.51.3).
#pragma once

#include <string>

namespace prism::vision {

// Token strings as the tokenizer names them; the defaults are the ones
// transformers falls back to when the tokenizer does not set them.
struct ImagePromptTokens {
  std::string fake_token_around_image = "<fake_token_around_image>";
  std::string image_token = "<image>";
  std::string global_image_token = "<global-img>";
};

// rows = cols = 0: `<fake><global-img><image>*seq<fake>`. Otherwise, per row
// and column `<fake><row_r_col_c><image>*seq`, "\n" after each row, then
// "\n<fake><global-img><image>*seq<fake>".
std::string expand_image_prompt(int rows, int cols, int image_seq_len, const ImagePromptTokens& tokens);

}  // namespace prism::vision
