#include "tokenizer/jinja_parser.h"

#include <initializer_list>

#include "core/error.h"

namespace prism::tokenizer::jinja {

namespace {

class Parser {
 public:
  Parser(const std::vector<Token>& tokens, const std::string& name) : tokens_(tokens), name_(name) {}

  Body parse_template() {
    std::string end_tag;
    Body body = parse_body({}, &end_tag);
    if (peek().kind != Token::Kind::kEnd) fail(peek(), "unexpected tag");
    return body;
  }

 private:
  // ---- token helpers ----
  const Token& peek(std::size_t ahead = 0) const {
    const std::size_t i = pos_ + ahead;
    return i < tokens_.size() ? tokens_[i] : tokens_.back();
  }
  const Token& advance() {
    const Token& t = peek();
    if (pos_ < tokens_.size() - 1) ++pos_;
    return t;
  }
  bool is_op(const char* op, std::size_t ahead = 0) const {
    return peek(ahead).kind == Token::Kind::kOperator && peek(ahead).value == op;
  }
  bool is_name(const char* name, std::size_t ahead = 0) const {
    return peek(ahead).kind == Token::Kind::kName && peek(ahead).value == name;
  }
  bool accept_op(const char* op) {
    if (!is_op(op)) return false;
    advance();
    return true;
  }
  bool accept_name(const char* name) {
    if (!is_name(name)) return false;
    advance();
    return true;
  }
  [[noreturn]] void fail(const Token& at, const std::string& message) const {
    throw Error(name_ + ": line " + std::to_string(at.line) + ", column " + std::to_string(at.column) + ": " + message);
  }
  static std::string describe(const Token& t) {
    switch (t.kind) {
      case Token::Kind::kEnd:
        return "end of template";
      case Token::Kind::kBlockEnd:
        return "end of statement block";
      case Token::Kind::kVarEnd:
        return "end of print statement";
      case Token::Kind::kString:
        return "string";
      default:
        return "'" + t.value + "'";
    }
  }
  void expect_op(const char* op) {
    if (!accept_op(op)) fail(peek(), std::string("expected '") + op + "', got " + describe(peek()));
  }
  std::string expect_identifier() {
    if (peek().kind != Token::Kind::kName) fail(peek(), "expected a name, got " + describe(peek()));
    return advance().value;
  }
  void expect_block_end() {
    if (peek().kind != Token::Kind::kBlockEnd) fail(peek(), "expected end of statement block, got " + describe(peek()));
    advance();
  }
  ExprPtr node(Expr::Kind kind, const Token& at) const {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->line = at.line;
    e->column = at.column;
    return e;
  }
  StmtPtr stmt(Stmt::Kind kind, const Token& at) const {
    auto s = std::make_unique<Stmt>();
    s->kind = kind;
    s->line = at.line;
    s->column = at.column;
    return s;
  }

  // ---- statements ----
  // Parses until a block tag named in `end_tags` (left unconsumed after its
  // name, whose value goes to *end_tag) or the end of the template.
  Body parse_body(std::initializer_list<const char*> end_tags, std::string* end_tag) {
    Body body;
    while (true) {
      const Token& t = peek();
      switch (t.kind) {
        case Token::Kind::kEnd:
          if (end_tags.size() > 0) {
            std::string expected;
            for (const char* tag : end_tags) expected += (expected.empty() ? "'" : " or '") + std::string(tag) + "'";
            fail(t, "unexpected end of template, expected " + expected);
          }
          return body;
        case Token::Kind::kText: {
          auto s = stmt(Stmt::Kind::kText, t);
          s->text = advance().value;
          body.push_back(std::move(s));
          break;
        }
        case Token::Kind::kVarBegin: {
          advance();
          auto s = stmt(Stmt::Kind::kOutput, t);
          s->expr = parse_tuple_or_expression();
          if (peek().kind != Token::Kind::kVarEnd) fail(peek(), "expected '}}', got " + describe(peek()));
          advance();
          body.push_back(std::move(s));
          break;
        }
        case Token::Kind::kBlockBegin: {
          const Token& tag = peek(1);
          if (tag.kind != Token::Kind::kName) fail(tag, "expected a tag name after '{%'");
          for (const char* end : end_tags) {
            if (tag.value == end) {
              advance();
              advance();
              *end_tag = tag.value;
              return body;
            }
          }
          advance();
          body.push_back(parse_statement());
          break;
        }
        default:
          fail(t, "unexpected " + describe(t));
      }
    }
  }

  // Bounds recursion so that a hostile template cannot overflow the stack
  // (here, and in the renderer, which recurses along the same tree).
  class DepthGuard {
   public:
    DepthGuard(Parser& parser, const Token& at) : parser_(parser) {
      if (++parser_.depth_ > kMaxDepth) parser_.fail(at, "template nesting is too deep");
    }
    ~DepthGuard() { --parser_.depth_; }

   private:
    Parser& parser_;
  };
  static constexpr int kMaxDepth = 256;

  StmtPtr parse_statement() {
    DepthGuard guard(*this, peek());
    const Token& tag = advance();
    const std::string& name = tag.value;
    if (name == "if") return parse_if(tag);
    if (name == "for") return parse_for(tag);
    if (name == "set") return parse_set(tag);
    if (name == "macro") return parse_macro(tag);
    if (name == "break" || name == "continue") {
      expect_block_end();
      if (loop_depth_ == 0) fail(tag, "'" + name + "' outside of a loop");
      return stmt(name == "break" ? Stmt::Kind::kBreak : Stmt::Kind::kContinue, tag);
    }
    if (name == "generation") {
      // Hugging Face's AssistantTracker tag: renders its body unchanged.
      expect_block_end();
      auto s = stmt(Stmt::Kind::kScope, tag);
      std::string end;
      s->bodies.push_back(parse_body({"endgeneration"}, &end));
      expect_block_end();
      return s;
    }
    static const char* known_ends[] = {"endif", "endfor", "endset", "endmacro", "else", "elif", "endgeneration"};
    for (const char* end : known_ends) {
      if (name == end) fail(tag, "unexpected '" + name + "' without a matching opening tag");
    }
    fail(tag, "unknown or unsupported tag '" + name + "'");
  }

  StmtPtr parse_if(const Token& tag) {
    auto s = stmt(Stmt::Kind::kIf, tag);
    s->conditions.push_back(parse_expression());
    expect_block_end();
    while (true) {
      std::string end;
      s->bodies.push_back(parse_body({"elif", "else", "endif"}, &end));
      if (end == "elif") {
        s->conditions.push_back(parse_expression());
        expect_block_end();
      } else if (end == "else") {
        expect_block_end();
        s->bodies.push_back(parse_body({"endif"}, &end));
        expect_block_end();
        return s;
      } else {
        expect_block_end();
        return s;
      }
    }
  }

  StmtPtr parse_for(const Token& tag) {
    auto s = stmt(Stmt::Kind::kFor, tag);
    const bool parenthesized = accept_op("(");
    do {
      s->targets.push_back(expect_identifier());
    } while (accept_op(","));
    if (parenthesized) expect_op(")");
    if (!accept_name("in")) fail(peek(), "expected 'in' in for loop, got " + describe(peek()));
    s->expr = parse_tuple_or_expression(/*allow_condition=*/false);
    if (accept_name("if")) s->filter = parse_expression();
    if (is_name("recursive")) fail(peek(), "recursive loops are not supported");
    expect_block_end();
    ++loop_depth_;
    std::string end;
    s->bodies.push_back(parse_body({"else", "endfor"}, &end));
    --loop_depth_;
    if (end == "else") {
      expect_block_end();
      s->bodies.push_back(parse_body({"endfor"}, &end));
    }
    expect_block_end();
    return s;
  }

  StmtPtr parse_set(const Token& tag) {
    std::vector<std::string> targets;
    std::string attribute;
    do {
      targets.push_back(expect_identifier());
      if (targets.size() == 1 && accept_op(".")) attribute = expect_identifier();
    } while (attribute.empty() && accept_op(","));
    if (accept_op("=")) {
      auto s = stmt(Stmt::Kind::kSet, tag);
      s->targets = std::move(targets);
      s->attribute = std::move(attribute);
      s->expr = parse_tuple_or_expression();
      expect_block_end();
      return s;
    }
    if (targets.size() != 1 || !attribute.empty()) fail(peek(), "expected '=' in set statement");
    auto s = stmt(Stmt::Kind::kSetBlock, tag);
    s->targets = std::move(targets);
    expect_block_end();
    std::string end;
    s->bodies.push_back(parse_body({"endset"}, &end));
    expect_block_end();
    return s;
  }

  StmtPtr parse_macro(const Token& tag) {
    auto s = stmt(Stmt::Kind::kMacro, tag);
    s->text = expect_identifier();
    expect_op("(");
    if (!accept_op(")")) {
      do {
        std::string param = expect_identifier();
        ExprPtr fallback;
        if (accept_op("=")) fallback = parse_expression();
        s->parameters.emplace_back(std::move(param), std::move(fallback));
      } while (accept_op(","));
      expect_op(")");
    }
    expect_block_end();
    const int saved = loop_depth_;
    loop_depth_ = 0;
    std::string end;
    s->bodies.push_back(parse_body({"endmacro"}, &end));
    loop_depth_ = saved;
    if (peek().kind == Token::Kind::kName) advance();  // optional macro name after endmacro
    expect_block_end();
    return s;
  }

  // ---- expressions ----
  ExprPtr parse_tuple_or_expression(bool allow_condition = true) {
    const Token& start = peek();
    ExprPtr first = parse_expression(allow_condition);
    if (!is_op(",")) return first;
    auto tuple = node(Expr::Kind::kTuple, start);
    tuple->args.push_back(std::move(first));
    while (accept_op(",")) {
      if (peek().kind == Token::Kind::kBlockEnd || peek().kind == Token::Kind::kVarEnd) break;
      tuple->args.push_back(parse_expression(allow_condition));
    }
    return tuple;
  }

  ExprPtr parse_expression(bool allow_condition = true) {
    DepthGuard guard(*this, peek());
    ExprPtr value = parse_or();
    while (allow_condition && is_name("if")) {
      const Token& at = advance();
      auto cond = node(Expr::Kind::kCondition, at);
      cond->args.push_back(std::move(value));
      cond->args.push_back(parse_or());
      cond->args.push_back(accept_name("else") ? parse_expression() : nullptr);
      value = std::move(cond);
    }
    return value;
  }

  ExprPtr parse_or() {
    ExprPtr left = parse_and();
    while (is_name("or")) {
      auto e = node(Expr::Kind::kOr, advance());
      e->args.push_back(std::move(left));
      e->args.push_back(parse_and());
      left = std::move(e);
    }
    return left;
  }

  ExprPtr parse_and() {
    ExprPtr left = parse_not();
    while (is_name("and")) {
      auto e = node(Expr::Kind::kAnd, advance());
      e->args.push_back(std::move(left));
      e->args.push_back(parse_not());
      left = std::move(e);
    }
    return left;
  }

  ExprPtr parse_not() {
    if (is_name("not")) {
      auto e = node(Expr::Kind::kUnary, advance());
      e->name = "not";
      e->args.push_back(parse_not());
      return e;
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    const Token& start = peek();
    ExprPtr first = parse_math1();
    ExprPtr cmp;
    while (true) {
      std::string op;
      const Token& t = peek();
      if (t.kind == Token::Kind::kOperator &&
          (t.value == "==" || t.value == "!=" || t.value == "<" || t.value == ">" || t.value == "<=" || t.value == ">=")) {
        op = advance().value;
      } else if (is_name("in")) {
        advance();
        op = "in";
      } else if (is_name("not") && is_name("in", 1)) {
        advance();
        advance();
        op = "not in";
      } else {
        break;
      }
      if (!cmp) {
        cmp = node(Expr::Kind::kCompare, start);
        cmp->args.push_back(std::move(first));
      }
      cmp->ops.push_back(op);
      cmp->args.push_back(parse_math1());
    }
    return cmp ? std::move(cmp) : std::move(first);
  }

  template <typename Next>
  ExprPtr parse_binary(std::initializer_list<const char*> ops, Next next) {
    ExprPtr left = (this->*next)();
    while (true) {
      const char* matched = nullptr;
      for (const char* op : ops) {
        if (is_op(op)) matched = op;
      }
      if (!matched) return left;
      auto e = node(Expr::Kind::kBinary, advance());
      e->name = matched;
      e->args.push_back(std::move(left));
      e->args.push_back((this->*next)());
      left = std::move(e);
    }
  }
  ExprPtr parse_math1() { return parse_binary({"+", "-"}, &Parser::parse_concat); }
  ExprPtr parse_concat() { return parse_binary({"~"}, &Parser::parse_math2); }
  ExprPtr parse_math2() { return parse_binary({"*", "/", "//", "%"}, &Parser::parse_pow); }
  ExprPtr parse_pow() { return parse_binary({"**"}, &Parser::parse_unary_filtered); }
  ExprPtr parse_unary_filtered() { return parse_unary(true); }

  ExprPtr parse_unary(bool with_filter) {
    DepthGuard guard(*this, peek());
    ExprPtr e;
    if (is_op("-") || is_op("+")) {
      e = node(Expr::Kind::kUnary, peek());
      e->name = advance().value;
      e->args.push_back(parse_unary(false));
    } else {
      e = parse_primary();
    }
    e = parse_postfix(std::move(e));
    if (with_filter) e = parse_filters_and_tests(std::move(e));
    return e;
  }

  ExprPtr parse_primary() {
    const Token& t = peek();
    switch (t.kind) {
      case Token::Kind::kName: {
        advance();
        auto e = node(Expr::Kind::kLiteral, t);
        if (t.value == "true" || t.value == "True") {
          e->literal = Value(true);
        } else if (t.value == "false" || t.value == "False") {
          e->literal = Value(false);
        } else if (t.value == "none" || t.value == "None") {
          e->literal = Value::none();
        } else {
          e->kind = Expr::Kind::kName;
          e->name = t.value;
        }
        return e;
      }
      case Token::Kind::kString: {
        std::string value;
        while (peek().kind == Token::Kind::kString) value += advance().value;  // adjacent literals join
        auto e = node(Expr::Kind::kLiteral, t);
        e->literal = Value(std::move(value));
        return e;
      }
      case Token::Kind::kInt: {
        advance();
        auto e = node(Expr::Kind::kLiteral, t);
        try {
          e->literal = Value(static_cast<int64_t>(std::stoll(t.value)));
        } catch (const std::exception&) {
          fail(t, "integer literal out of range");
        }
        return e;
      }
      case Token::Kind::kFloat: {
        advance();
        auto e = node(Expr::Kind::kLiteral, t);
        e->literal = Value(std::stod(t.value));
        return e;
      }
      case Token::Kind::kOperator:
        if (t.value == "(") {
          advance();
          if (accept_op(")")) return node(Expr::Kind::kTuple, t);
          ExprPtr inner = parse_expression();
          if (is_op(",")) {
            auto tuple = node(Expr::Kind::kTuple, t);
            tuple->args.push_back(std::move(inner));
            while (accept_op(",")) {
              if (is_op(")")) break;
              tuple->args.push_back(parse_expression());
            }
            inner = std::move(tuple);
          }
          expect_op(")");
          return inner;
        }
        if (t.value == "[") {
          advance();
          auto list = node(Expr::Kind::kList, t);
          while (!accept_op("]")) {
            if (!list->args.empty()) {
              expect_op(",");
              if (accept_op("]")) break;
            }
            list->args.push_back(parse_expression());
          }
          return list;
        }
        if (t.value == "{") {
          advance();
          auto dict = node(Expr::Kind::kDict, t);
          while (!accept_op("}")) {
            if (!dict->args.empty()) {
              expect_op(",");
              if (accept_op("}")) break;
            }
            dict->args.push_back(parse_expression());
            expect_op(":");
            dict->args.push_back(parse_expression());
          }
          return dict;
        }
        [[fallthrough]];
      default:
        fail(t, "unexpected " + describe(t) + " in expression");
    }
  }

  ExprPtr parse_postfix(ExprPtr e) {
    while (true) {
      if (is_op(".")) {
        const Token& dot = advance();
        auto attr = node(Expr::Kind::kAttr, dot);
        if (peek().kind == Token::Kind::kInt) {
          attr->kind = Expr::Kind::kItem;
          auto index = node(Expr::Kind::kLiteral, peek());
          index->literal = Value(static_cast<int64_t>(std::stoll(advance().value)));
          attr->args.push_back(std::move(e));
          attr->args.push_back(std::move(index));
        } else {
          attr->name = expect_identifier();
          attr->args.push_back(std::move(e));
        }
        e = std::move(attr);
      } else if (is_op("[")) {
        e = parse_subscript(std::move(e));
      } else if (is_op("(")) {
        e = parse_call(std::move(e));
      } else {
        return e;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr target) {
    const Token& open = advance();
    ExprPtr parts[3];
    int colons = 0;
    while (!is_op("]")) {
      if (accept_op(":")) {
        if (++colons > 2) fail(open, "too many ':' in slice");
        continue;
      }
      if (parts[colons]) fail(peek(), "expected ':' or ']' in subscript");
      parts[colons] = parse_expression();
    }
    advance();
    if (colons == 0) {
      if (!parts[0]) fail(open, "empty subscript");
      auto item = node(Expr::Kind::kItem, open);
      item->args.push_back(std::move(target));
      item->args.push_back(std::move(parts[0]));
      return item;
    }
    auto slice = node(Expr::Kind::kSlice, open);
    slice->args.push_back(std::move(target));
    for (auto& part : parts) slice->args.push_back(std::move(part));
    return slice;
  }

  // Parses "(a, b, key=value)" into e's args (after those already there).
  void parse_arguments(Expr& e) {
    expect_op("(");
    bool first = true;
    while (!accept_op(")")) {
      if (!first) {
        expect_op(",");
        if (accept_op(")")) break;
      }
      first = false;
      if (peek().kind == Token::Kind::kName && is_op("=", 1)) {
        std::string key = advance().value;
        advance();
        e.kwargs.emplace_back(std::move(key), parse_expression());
      } else {
        if (!e.kwargs.empty()) fail(peek(), "positional argument after keyword argument");
        e.args.push_back(parse_expression());
      }
    }
  }

  ExprPtr parse_call(ExprPtr callee) {
    auto call = node(Expr::Kind::kCall, peek());
    call->args.push_back(std::move(callee));
    parse_arguments(*call);
    return call;
  }

  ExprPtr parse_filters_and_tests(ExprPtr e) {
    while (true) {
      if (is_op("|")) {
        const Token& bar = advance();
        auto filter = node(Expr::Kind::kFilter, bar);
        filter->name = expect_identifier();
        while (accept_op(".")) filter->name += "." + expect_identifier();
        filter->args.push_back(std::move(e));
        if (is_op("(")) parse_arguments(*filter);
        e = std::move(filter);
      } else if (is_name("is")) {
        const Token& is = advance();
        auto test = node(Expr::Kind::kTest, is);
        test->negated = accept_name("not");
        test->name = expect_identifier();
        test->args.push_back(std::move(e));
        if (is_op("(")) {
          parse_arguments(*test);
        } else {
          const Token& t = peek();
          const bool starts_argument =
              t.kind == Token::Kind::kString || t.kind == Token::Kind::kInt || t.kind == Token::Kind::kFloat ||
              (t.kind == Token::Kind::kName && t.value != "else" && t.value != "or" && t.value != "and" &&
               t.value != "if" && t.value != "is" && t.value != "in" && t.value != "not") ||
              is_op("[") || is_op("{");
          if (starts_argument) test->args.push_back(parse_postfix(parse_primary()));
        }
        e = std::move(test);
      } else if (is_op("(")) {
        e = parse_call(std::move(e));
      } else {
        return e;
      }
    }
  }

  const std::vector<Token>& tokens_;
  const std::string& name_;
  std::size_t pos_ = 0;
  int loop_depth_ = 0;
  int depth_ = 0;
};

}  // namespace

Body parse(const std::vector<Token>& tokens, const std::string& name) { return Parser(tokens, name).parse_template(); }

}  // namespace prism::tokenizer::jinja
