// Jinja lexer: splits a template into text and tag tokens, applying the
// whitespace rules of Jinja2 as Hugging Face configures it (trim_blocks and
// lstrip_blocks on, "-" / "+" markers, one trailing newline dropped).
#pragma once

#include <string>
#include <vector>

namespace prism::tokenizer::jinja {

struct Token {
  enum class Kind { kText, kVarBegin, kVarEnd, kBlockBegin, kBlockEnd, kName, kString, kInt, kFloat, kOperator, kEnd };
  Kind kind;
  std::string value;
  int line = 1, column = 1;
};

struct LexOptions {
  bool trim_blocks = true;
  bool lstrip_blocks = true;
  bool keep_trailing_newline = false;
};

// Throws prism::Error with the line and column of the problem; `name` is
// used as the message prefix (e.g. "chat template").
std::vector<Token> lex(const std::string& source, const std::string& name, const LexOptions& options = {});

}  // namespace prism::tokenizer::jinja
