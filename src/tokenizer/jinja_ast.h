// Syntax tree of a parsed Jinja template.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tokenizer/jinja_value.h"

namespace prism::tokenizer::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind {
    kLiteral,   // literal
    kName,      // name
    kList,      // args: items
    kTuple,     // args: items (a list at run time)
    kDict,      // args: key, value, key, value...
    kAttr,      // args[0].name
    kItem,      // args[0][args[1]]
    kSlice,     // args[0][args[1]:args[2]:args[3]] (null = omitted)
    kCall,      // args[0](args[1..], kwargs)
    kFilter,    // args[0] | name(args[1..], kwargs)
    kTest,      // args[0] is [not] name(args[1..])
    kUnary,     // name in {"-", "+", "not"}: args[0]
    kBinary,    // args[0] name args[1], name an arithmetic operator or "~"
    kAnd,
    kOr,
    kCompare,   // args[0] ops[0] args[1] ops[1] args[2]...
    kCondition  // args[0] if args[1] else args[2] (args[2] may be null)
  };
  Kind kind;
  int line = 0, column = 0;
  Value literal;
  std::string name;
  bool negated = false;
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  std::vector<std::string> ops;
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct Stmt {
  enum class Kind { kText, kOutput, kIf, kFor, kSet, kSetBlock, kMacro, kBreak, kContinue, kScope };
  Kind kind;
  int line = 0, column = 0;
  std::string text;                 // kText
  ExprPtr expr;                     // kOutput value, kSet value, kFor iterable
  // kIf: conditions[i] guards bodies[i]; a trailing extra body is the else.
  std::vector<ExprPtr> conditions;
  std::vector<Body> bodies;
  // kFor: loop variables, optional filter, body (bodies[0]) and else (bodies[1]).
  // kSet / kSetBlock: targets (names) or, with attribute set, targets[0].attribute.
  std::vector<std::string> targets;
  std::string attribute;
  ExprPtr filter;
  // kMacro: name in text, parameters with optional defaults, body in bodies[0].
  std::vector<std::pair<std::string, ExprPtr>> parameters;
};

}  // namespace prism::tokenizer::jinja
