// Jinja parser: tokens to syntax tree, with Jinja2's operator precedence.
#pragma once

#include <string>
#include <vector>

#include "tokenizer/jinja_ast.h"
#include "tokenizer/jinja_lexer.h"

namespace prism::tokenizer::jinja {

// Throws prism::Error naming `name`, the line and the column.
Body parse(const std::vector<Token>& tokens, const std::string& name);

}  // namespace prism::tokenizer::jinja
