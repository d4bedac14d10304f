// Evaluates a parsed template: scopes, loops, macros, expressions.
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "tokenizer/jinja.h"
#include "tokenizer/jinja_ast.h"
#include "tokenizer/jinja_builtins.h"
#include "tokenizer/jinja_lexer.h"
#include "tokenizer/jinja_parser.h"

namespace prism::tokenizer::jinja {

struct Template::Parsed {
  std::string name;
  Body body;
};

namespace {

// An error that already carries its template location.
class LocatedError : public Error {
 public:
  using Error::Error;
};

using Frame = std::unordered_map<std::string, Value>;

class Renderer {
 public:
  Renderer(const std::string& name, Frame globals, Frame context) : name_(name) {
    frames_.push_back(std::make_shared<Frame>(std::move(globals)));
    frames_.push_back(std::make_shared<Frame>(std::move(context)));
  }

  void render(const Body& body, std::string& out) { exec_body(body, out); }

 private:
  enum class Flow { kNormal, kBreak, kContinue };
  static constexpr int kMaxCallDepth = 100;
  // Budgets that turn a runaway template into an error instead of a hang.
  static constexpr int64_t kMaxLoopIterations = 2'000'000;
  static constexpr std::size_t kMaxOutputBytes = 256u << 20;

  [[noreturn]] void fail_at(int line, int column, const std::string& message) const {
    throw LocatedError(name_ + ": line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + message);
  }

  Value lookup(const std::string& name) const {
    for (auto it = frames_.rbegin(); it != frames_.rend(); ++it) {
      const auto found = (*it)->find(name);
      if (found != (*it)->end()) return found->second;
    }
    return Value::undefined(name);
  }

  void assign(const std::string& name, Value value) { (*frames_.back())[name] = std::move(value); }

  Flow exec_body(const Body& body, std::string& out) {
    for (const auto& s : body) {
      const Flow flow = exec(*s, out);
      if (flow != Flow::kNormal) return flow;
    }
    return Flow::kNormal;
  }

  Flow exec(const Stmt& s, std::string& out) {
    try {
      return exec_unlocated(s, out);
    } catch (const LocatedError&) {
      throw;
    } catch (const std::exception& e) {
      fail_at(s.line, s.column, e.what());
    }
  }

  Flow exec_unlocated(const Stmt& s, std::string& out) {
    switch (s.kind) {
      case Stmt::Kind::kText:
        out += s.text;
        return Flow::kNormal;
      case Stmt::Kind::kOutput:
        out += eval(*s.expr).str();
        return Flow::kNormal;
      case Stmt::Kind::kIf:
        for (std::size_t i = 0; i < s.conditions.size(); ++i) {
          if (eval(*s.conditions[i]).truthy()) return exec_body(s.bodies[i], out);
        }
        if (s.bodies.size() > s.conditions.size()) return exec_body(s.bodies.back(), out);
        return Flow::kNormal;
      case Stmt::Kind::kFor:
        exec_for(s, out);
        return Flow::kNormal;
      case Stmt::Kind::kSet:
        exec_set(s, eval(*s.expr));
        return Flow::kNormal;
      case Stmt::Kind::kSetBlock: {
        std::string captured;
        exec_body(s.bodies[0], captured);
        assign(s.targets[0], Value(std::move(captured)));
        return Flow::kNormal;
      }
      case Stmt::Kind::kMacro:
        define_macro(s);
        return Flow::kNormal;
      case Stmt::Kind::kBreak:
        return Flow::kBreak;
      case Stmt::Kind::kContinue:
        return Flow::kContinue;
      case Stmt::Kind::kScope:
        return exec_body(s.bodies[0], out);
    }
    return Flow::kNormal;
  }

  void bind_targets(const std::vector<std::string>& targets, const Value& value) {
    if (targets.size() == 1) {
      assign(targets[0], value);
      return;
    }
    if (!value.is_list() || value.as_list().size() != targets.size()) {
      throw Error("cannot unpack " + value.type_name() + " into " + std::to_string(targets.size()) + " names");
    }
    for (std::size_t i = 0; i < targets.size(); ++i) assign(targets[i], value.as_list()[i]);
  }

  void exec_set(const Stmt& s, Value value) {
    if (!s.attribute.empty()) {
      const Value target = lookup(s.targets[0]);
      if (!target.is_dict() || !target.as_dict().is_namespace) {
        throw Error("cannot assign attribute '" + s.attribute + "' on '" + s.targets[0] + "', which is not a namespace()");
      }
      target.mutable_dict().set(s.attribute, std::move(value));
      return;
    }
    bind_targets(s.targets, value);
  }

  void exec_for(const Stmt& s, std::string& out) {
    const List all = iterate(eval(*s.expr));
    List items;
    if (s.filter) {
      // The filter sees the loop variables, in a scope of its own.
      for (const Value& item : all) {
        frames_.push_back(std::make_shared<Frame>());
        bind_targets(s.targets, item);
        const bool keep = eval(*s.filter).truthy();
        frames_.pop_back();
        if (keep) items.push_back(item);
      }
    } else {
      items = all;
    }
    const auto n = static_cast<int64_t>(items.size());
    // One loop object and one scope serve every iteration (refreshed each
    // time): loops over long conversations stay cheap.
    auto position = std::make_shared<int64_t>(0);
    Dict loop_fields;
    for (const char* key : {"index", "index0", "revindex", "revindex0", "first", "last", "length", "depth", "depth0",
                            "previtem", "nextitem"}) {
      loop_fields.items.emplace_back(key, Value());
    }
    loop_fields.items.emplace_back("cycle", Value(Function([position](const CallArgs& a) {
                                     if (a.positional.empty()) throw Error("loop.cycle() needs at least one value");
                                     return a.positional[static_cast<std::size_t>(*position) % a.positional.size()];
                                   })));
    const Value loop_value(std::move(loop_fields));
    auto& fields = loop_value.mutable_dict().items;
    auto scope = std::make_shared<Frame>();
    frames_.push_back(scope);
    try {
      for (int64_t i = 0; i < n; ++i) {
        if (++iterations_ > kMaxLoopIterations) throw Error("template runs too many loop iterations");
        if (out.size() > kMaxOutputBytes) throw Error("template output is too large");
        *position = i;
        fields[0].second = Value(i + 1);
        fields[1].second = Value(i);
        fields[2].second = Value(n - i);
        fields[3].second = Value(n - i - 1);
        fields[4].second = Value(i == 0);
        fields[5].second = Value(i == n - 1);
        fields[6].second = Value(n);
        fields[7].second = Value(1);
        fields[8].second = Value(0);
        fields[9].second = i > 0 ? items[static_cast<std::size_t>(i - 1)] : Value::undefined("loop.previtem");
        fields[10].second = i + 1 < n ? items[static_cast<std::size_t>(i + 1)] : Value::undefined("loop.nextitem");
        scope->clear();
        assign("loop", loop_value);
        bind_targets(s.targets, items[static_cast<std::size_t>(i)]);
        if (exec_body(s.bodies[0], out) == Flow::kBreak) break;
      }
    } catch (...) {
      frames_.pop_back();
      throw;
    }
    frames_.pop_back();
    if (n == 0 && s.bodies.size() > 1) exec_body(s.bodies[1], out);
  }

  // A macro sees the scopes where it was defined (shared, so later top-level
  // assignments are visible, as in Jinja) plus its own arguments. Weak
  // references: the macro lives in one of those scopes itself.
  void define_macro(const Stmt& s) {
    const Stmt* macro = &s;
    std::vector<std::weak_ptr<Frame>> scopes(frames_.begin(), frames_.end());
    assign(s.text, Value(Function([this, macro, scopes](const CallArgs& args) { return call_macro(*macro, scopes, args); })));
  }

  Value call_macro(const Stmt& macro, const std::vector<std::weak_ptr<Frame>>& scopes, const CallArgs& args) {
    if (depth_ >= kMaxCallDepth) throw Error("macro '" + macro.text + "' recursion is too deep");
    if (args.positional.size() > macro.parameters.size()) {
      throw Error("macro '" + macro.text + "' takes " + std::to_string(macro.parameters.size()) + " arguments, got " +
                  std::to_string(args.positional.size()));
    }
    for (const auto& [key, value] : args.named) {
      bool known = false;
      for (const auto& param : macro.parameters) known = known || param.first == key;
      if (!known) throw Error("macro '" + macro.text + "' has no parameter '" + key + "'");
    }
    std::vector<std::shared_ptr<Frame>> saved;
    for (const auto& scope : scopes) {
      if (auto frame = scope.lock()) saved.push_back(std::move(frame));  // a finished loop's scope is gone
    }
    saved.push_back(std::make_shared<Frame>());
    saved.swap(frames_);
    ++depth_;
    std::string out;
    try {
      for (std::size_t i = 0; i < macro.parameters.size(); ++i) {
        const auto& [param, fallback] = macro.parameters[i];
        const Value* given = args.get(i, param.c_str());
        assign(param, given ? *given : fallback ? eval(*fallback) : Value::undefined(param));
      }
      exec_body(macro.bodies[0], out);
    } catch (...) {
      --depth_;
      frames_.swap(saved);
      throw;
    }
    --depth_;
    frames_.swap(saved);
    return Value(std::move(out));
  }

  CallArgs eval_arguments(const Expr& e, std::size_t skip) {
    CallArgs args;
    for (std::size_t i = skip; i < e.args.size(); ++i) args.positional.push_back(eval(*e.args[i]));
    for (const auto& [key, value] : e.kwargs) args.named.emplace_back(key, eval(*value));
    return args;
  }

  Value eval(const Expr& e) {
    try {
      return eval_unlocated(e);
    } catch (const LocatedError&) {
      throw;
    } catch (const std::exception& ex) {
      fail_at(e.line, e.column, ex.what());
    }
  }

  Value eval_unlocated(const Expr& e) {
    switch (e.kind) {
      case Expr::Kind::kLiteral:
        return e.literal;
      case Expr::Kind::kName:
        return lookup(e.name);
      case Expr::Kind::kList:
      case Expr::Kind::kTuple: {
        List items;
        for (const auto& item : e.args) items.push_back(eval(*item));
        return e.kind == Expr::Kind::kTuple ? Value::tuple(std::move(items)) : Value(std::move(items));
      }
      case Expr::Kind::kDict: {
        Dict dict;
        for (std::size_t i = 0; i + 1 < e.args.size(); i += 2) dict.set(eval(*e.args[i]).str(), eval(*e.args[i + 1]));
        return Value(std::move(dict));
      }
      case Expr::Kind::kAttr:
        return get_attribute(eval(*e.args[0]), e.name);
      case Expr::Kind::kItem:
        return get_item(eval(*e.args[0]), eval(*e.args[1]));
      case Expr::Kind::kSlice: {
        auto part = [&](std::size_t i) { return e.args[i] ? eval(*e.args[i]) : Value(); };
        return slice(eval(*e.args[0]), part(1), part(2), part(3));
      }
      case Expr::Kind::kCall: {
        const Value callee = eval(*e.args[0]);
        if (!callee.is_function()) {
          const std::string what = e.args[0]->kind == Expr::Kind::kName ? e.args[0]->name
                                   : e.args[0]->kind == Expr::Kind::kAttr ? e.args[0]->name
                                                                          : std::string("value");
          if (callee.is_undefined()) throw Error("'" + what + "' is undefined");
          throw Error("'" + what + "' (" + callee.type_name() + ") is not callable");
        }
        return callee.as_function()(eval_arguments(e, 1));
      }
      case Expr::Kind::kFilter: {
        if (!has_filter(e.name)) throw Error("no filter named '" + e.name + "'");
        const Value subject = eval(*e.args[0]);
        return apply_filter(e.name, subject, eval_arguments(e, 1));
      }
      case Expr::Kind::kTest: {
        if (!has_test(e.name)) throw Error("no test named '" + e.name + "'");
        const Value subject = eval(*e.args[0]);
        return Value(apply_test(e.name, subject, eval_arguments(e, 1)) != e.negated);
      }
      case Expr::Kind::kUnary: {
        const Value v = eval(*e.args[0]);
        if (e.name == "not") return Value(!v.truthy());
        if (!v.is_number()) throw Error("bad operand type for unary " + e.name + ": '" + v.type_name() + "'");
        if (e.name == "+") return v.is_int() ? Value(v.as_int()) : v;
        return v.kind() == Value::Kind::kFloat ? Value(-v.as_double()) : Value(-v.as_int());
      }
      case Expr::Kind::kBinary:
        return binary_operation(e.name, eval(*e.args[0]), eval(*e.args[1]));
      case Expr::Kind::kAnd: {
        Value left = eval(*e.args[0]);
        return left.truthy() ? eval(*e.args[1]) : left;
      }
      case Expr::Kind::kOr: {
        Value left = eval(*e.args[0]);
        return left.truthy() ? left : eval(*e.args[1]);
      }
      case Expr::Kind::kCompare: {
        Value left = eval(*e.args[0]);
        for (std::size_t i = 0; i < e.ops.size(); ++i) {
          Value right = eval(*e.args[i + 1]);
          if (!compare(e.ops[i], left, right)) return Value(false);
          left = std::move(right);
        }
        return Value(true);
      }
      case Expr::Kind::kCondition:
        if (eval(*e.args[1]).truthy()) return eval(*e.args[0]);
        return e.args[2] ? eval(*e.args[2]) : Value::undefined("conditional expression");
    }
    return Value();
  }

  const std::string& name_;
  std::vector<std::shared_ptr<Frame>> frames_;
  int depth_ = 0;
  int64_t iterations_ = 0;
};

}  // namespace

Template Template::parse(const std::string& source, const std::string& name) {
  auto parsed = std::make_shared<Parsed>();
  parsed->name = name;
  parsed->body = jinja::parse(lex(source, name), name);
  Template t;
  t.parsed_ = std::move(parsed);
  return t;
}

namespace {

template <typename Json>
std::string render_with(const Template::Parsed& parsed, const Json& context) {
  if (!context.is_object()) throw Error(parsed.name + ": render context must be a JSON object");
  Frame globals;
  for (auto& [k, v] : global_functions().items) globals[k] = v;
  Frame variables;
  for (const auto& [k, v] : context.items()) variables[k] = Value::from_json(v);
  std::string out;
  Renderer(parsed.name, std::move(globals), std::move(variables)).render(parsed.body, out);
  return out;
}

}  // namespace

std::string Template::render(const nlohmann::json& context) const { return render_with(*parsed_, context); }
std::string Template::render(const nlohmann::ordered_json& context) const { return render_with(*parsed_, context); }

}  // namespace prism::tokenizer::jinja
