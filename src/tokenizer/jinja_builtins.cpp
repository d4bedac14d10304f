// Operators, attribute / item access, methods and globals (filters and
// tests live in jinja_filters.cpp).
#include "tokenizer/jinja_builtins.h"

#include <algorithm>
#include <cmath>
#include <ctime>

#include "core/error.h"
#include "tokenizer/jinja_text.h"

namespace prism::tokenizer::jinja {

namespace {

[[noreturn]] void undefined_error(const Value& v) {
  const std::string hint = v.undefined_hint();
  throw Error(hint.empty() ? std::string("value is undefined") : "'" + hint + "' is undefined");
}

const Value* require(const CallArgs& args, std::size_t index, const char* name, const char* function) {
  const Value* v = args.get(index, name);
  if (!v) throw Error(std::string(function) + "() missing argument '" + name + "'");
  return v;
}

std::string string_arg(const CallArgs& args, std::size_t index, const char* name, const char* function) {
  const Value* v = require(args, index, name, function);
  if (!v->is_string()) throw Error(std::string(function) + "() argument '" + name + "' must be a string, got " + v->type_name());
  return v->as_string();
}

// Optional "chars" argument of strip-like methods; nullopt means whitespace.
std::optional<std::string> chars_arg(const CallArgs& args) {
  const Value* v = args.get(0, "chars");
  if (!v || v->is_none()) return std::nullopt;
  return v->str();
}

bool matches_affix(const std::string& s, const Value& affix, bool prefix, const char* function) {
  auto one = [&](const Value& a) {
    if (!a.is_string()) throw Error(std::string(function) + "() argument must be a string or a tuple of strings");
    const std::string& t = a.as_string();
    if (t.size() > s.size()) return false;
    return prefix ? s.compare(0, t.size(), t) == 0 : s.compare(s.size() - t.size(), t.size(), t) == 0;
  };
  if (affix.is_list()) {
    for (const Value& a : affix.as_list()) {
      if (one(a)) return true;
    }
    return false;
  }
  return one(affix);
}

Value string_method(const std::string& s, const std::string& name) {
  auto bind = [](auto fn) { return Value(Function(fn)); };
  if (name == "strip") return bind([s](const CallArgs& a) { return Value(text::strip(s, chars_arg(a), true, true)); });
  if (name == "lstrip") return bind([s](const CallArgs& a) { return Value(text::strip(s, chars_arg(a), true, false)); });
  if (name == "rstrip") return bind([s](const CallArgs& a) { return Value(text::strip(s, chars_arg(a), false, true)); });
  if (name == "lower") return bind([s](const CallArgs&) { return Value(text::lower(s)); });
  if (name == "upper") return bind([s](const CallArgs&) { return Value(text::upper(s)); });
  if (name == "title") return bind([s](const CallArgs&) { return Value(text::python_title(s)); });
  if (name == "capitalize") return bind([s](const CallArgs&) { return Value(text::capitalize(s)); });
  if (name == "startswith") {
    return bind([s](const CallArgs& a) { return Value(matches_affix(s, *require(a, 0, "prefix", "startswith"), true, "startswith")); });
  }
  if (name == "endswith") {
    return bind([s](const CallArgs& a) { return Value(matches_affix(s, *require(a, 0, "suffix", "endswith"), false, "endswith")); });
  }
  if (name == "split" || name == "rsplit") {
    const bool from_right = name == "rsplit";
    return bind([s, from_right](const CallArgs& a) {
      const Value* sep = a.get(0, "sep");
      const Value* max = a.get(1, "maxsplit");
      const int64_t maxsplit = max && max->is_int() ? max->as_int() : -1;
      List out;
      for (auto& part : text::split(s, sep && !sep->is_none() ? std::optional<std::string>(sep->str()) : std::nullopt,
                                    maxsplit, from_right)) {
        out.emplace_back(std::move(part));
      }
      return Value(std::move(out));
    });
  }
  if (name == "replace") {
    return bind([s](const CallArgs& a) {
      const Value* count = a.get(2, "count");
      return Value(text::replace(s, string_arg(a, 0, "old", "replace"), string_arg(a, 1, "new", "replace"),
                                 count && count->is_int() ? count->as_int() : -1));
    });
  }
  if (name == "find") {
    return bind([s](const CallArgs& a) {
      const auto at = s.find(string_arg(a, 0, "sub", "find"));
      if (at == std::string::npos) return Value(-1);
      return Value(static_cast<int64_t>(text::code_point_count(s.substr(0, at))));
    });
  }
  if (name == "count") {
    return bind([s](const CallArgs& a) {
      const std::string sub = string_arg(a, 0, "sub", "count");
      int64_t n = 0;
      if (sub.empty()) return Value(static_cast<int64_t>(text::code_point_count(s) + 1));
      for (auto at = s.find(sub); at != std::string::npos; at = s.find(sub, at + sub.size())) ++n;
      return Value(n);
    });
  }
  if (name == "join") {
    return bind([s](const CallArgs& a) {
      std::string out;
      bool first = true;
      for (const Value& item : iterate(*require(a, 0, "iterable", "join"))) {
        if (!first) out += s;
        first = false;
        out += item.str();
      }
      return Value(std::move(out));
    });
  }
  if (name == "isdigit" || name == "isalpha" || name == "isspace" || name == "isalnum") {
    return bind([s, name](const CallArgs&) { return Value(text::all_of_class(s, name)); });
  }
  return Value::undefined("str." + name);
}

Value dict_method(const Value& dict, const std::string& name) {
  if (name == "items") {
    return Value(Function([dict](const CallArgs&) {
      List out;
      for (const auto& [k, v] : dict.as_dict().items) out.push_back(Value::tuple(List{Value(k), v}));
      return Value(std::move(out));
    }));
  }
  if (name == "keys") {
    return Value(Function([dict](const CallArgs&) {
      List out;
      for (const auto& [k, v] : dict.as_dict().items) out.emplace_back(k);
      return Value(std::move(out));
    }));
  }
  if (name == "values") {
    return Value(Function([dict](const CallArgs&) {
      List out;
      for (const auto& [k, v] : dict.as_dict().items) out.push_back(v);
      return Value(std::move(out));
    }));
  }
  if (name == "get") {
    return Value(Function([dict](const CallArgs& a) {
      const Value* key = require(a, 0, "key", "get");
      const Value* found = key->is_string() ? dict.as_dict().find(key->as_string()) : nullptr;
      if (found) return *found;
      const Value* fallback = a.get(1, "default");
      return fallback ? *fallback : Value::none();
    }));
  }
  return Value();
}

// Python index normalisation; returns false when out of range.
bool normalize_index(int64_t& index, std::size_t size) {
  if (index < 0) index += static_cast<int64_t>(size);
  return index >= 0 && index < static_cast<int64_t>(size);
}

}  // namespace

Value get_attribute(const Value& object, const std::string& name) {
  if (object.is_undefined()) undefined_error(object);
  if (object.is_string()) {
    Value method = string_method(object.as_string(), name);
    if (!method.is_undefined()) return method;
  }
  if (object.is_dict()) {
    if (!object.as_dict().is_namespace) {
      Value method = dict_method(object, name);
      if (!method.is_undefined()) return method;
    }
    if (const Value* v = object.as_dict().find(name)) return *v;
  }
  return Value::undefined(name);
}

Value get_item(const Value& object, const Value& key) {
  if (object.is_undefined()) undefined_error(object);
  if (object.is_dict()) {
    if (key.is_string()) {
      if (const Value* v = object.as_dict().find(key.as_string())) return *v;
      if (!object.as_dict().is_namespace) {
        Value method = dict_method(object, key.as_string());
        if (!method.is_undefined()) return method;
      }
    }
    return Value::undefined(key.str());
  }
  if (object.is_list() || object.is_string()) {
    if (key.is_string()) return get_attribute(object, key.as_string());
    // Like Jinja, a failed lookup is undefined rather than an error.
    if (!key.is_int()) return Value::undefined("[" + key.str() + "]");
    int64_t index = key.as_int();
    if (object.is_list()) {
      if (!normalize_index(index, object.as_list().size())) return Value::undefined("[" + key.str() + "]");
      return object.as_list()[static_cast<std::size_t>(index)];
    }
    const std::u32string cps = to_code_points(object.as_string());
    if (!normalize_index(index, cps.size())) return Value::undefined("[" + key.str() + "]");
    return Value(from_code_points(cps.substr(static_cast<std::size_t>(index), 1)));
  }
  if (key.is_string()) return get_attribute(object, key.as_string());
  return Value::undefined(key.str());
}

Value slice(const Value& object, const Value& start_v, const Value& stop_v, const Value& step_v) {
  if (object.is_undefined()) undefined_error(object);
  std::size_t size = 0;
  std::u32string cps;
  if (object.is_list()) {
    size = object.as_list().size();
  } else if (object.is_string()) {
    cps = to_code_points(object.as_string());
    size = cps.size();
  } else {
    // Jinja compiles slices to a plain Python subscript, so this is an error.
    throw Error("'" + object.type_name() + "' object is not subscriptable");
  }
  auto bound = [](const Value& v) -> std::optional<int64_t> {
    if (v.is_undefined() || v.is_none()) return std::nullopt;
    if (!v.is_int()) throw Error("slice indices must be integers or none, not " + v.type_name());
    return v.as_int();
  };
  const int64_t step = bound(step_v).value_or(1);
  if (step == 0) throw Error("slice step cannot be zero");
  const auto n = static_cast<int64_t>(size);
  auto clamp = [&](std::optional<int64_t> v, int64_t fallback) {
    if (!v) return fallback;
    int64_t i = *v < 0 ? *v + n : *v;
    if (step > 0) return std::clamp<int64_t>(i, 0, n);
    return std::clamp<int64_t>(i, -1, n - 1);
  };
  const int64_t start = clamp(bound(start_v), step > 0 ? 0 : n - 1);
  const int64_t stop = clamp(bound(stop_v), step > 0 ? n : -1);
  List items;
  std::u32string chars;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
    if (object.is_list()) {
      items.push_back(object.as_list()[static_cast<std::size_t>(i)]);
    } else {
      chars += cps[static_cast<std::size_t>(i)];
    }
  }
  if (object.is_list()) return Value(std::move(items));
  return Value(from_code_points(chars));
}

List iterate(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kUndefined:
      return {};
    case Value::Kind::kList:
      return value.as_list();
    case Value::Kind::kDict: {
      List keys;
      for (const auto& [k, v] : value.as_dict().items) keys.emplace_back(k);
      return keys;
    }
    case Value::Kind::kString: {
      List chars;
      for (char32_t c : to_code_points(value.as_string())) chars.emplace_back(from_code_points(std::u32string(1, c)));
      return chars;
    }
    default:
      throw Error("'" + value.type_name() + "' object is not iterable");
  }
}

Value binary_operation(const std::string& op, const Value& a, const Value& b) {
  if (op == "~") return Value(a.str() + b.str());
  if (a.is_undefined()) undefined_error(a);
  if (b.is_undefined()) undefined_error(b);
  if (op == "+") {
    if (a.is_string() && b.is_string()) return Value(a.as_string() + b.as_string());
    if (a.is_list() && b.is_list()) {
      List out = a.as_list();
      out.insert(out.end(), b.as_list().begin(), b.as_list().end());
      return Value(std::move(out));
    }
  }
  // Sequence repetition, in either order (bools count as integers).
  if (op == "*" && (((a.is_string() || a.is_list()) && b.is_int()) || (a.is_int() && (b.is_string() || b.is_list())))) {
    const Value& sequence = a.is_int() ? b : a;
    const int64_t times = std::max<int64_t>(0, (a.is_int() ? a : b).as_int());
    if (times > 1000000) throw Error("sequence repetition is too large");
    if (sequence.is_string()) {
      std::string out;
      for (int64_t i = 0; i < times; ++i) out += sequence.as_string();
      return Value(std::move(out));
    }
    List out;
    for (int64_t i = 0; i < times; ++i) out.insert(out.end(), sequence.as_list().begin(), sequence.as_list().end());
    return Value(std::move(out));
  }
  if (!a.is_number() || !b.is_number()) {
    throw Error("unsupported operand types for " + op + ": '" + a.type_name() + "' and '" + b.type_name() + "'");
  }
  const bool integral = a.is_int() && b.is_int();
  if (op == "/") {
    if (b.as_double() == 0) throw Error("division by zero");
    return Value(a.as_double() / b.as_double());
  }
  if (integral) {
    const int64_t x = a.as_int(), y = b.as_int();
    if (op == "+") return Value(x + y);
    if (op == "-") return Value(x - y);
    if (op == "*") return Value(x * y);
    if (op == "//" || op == "%") {
      if (y == 0) throw Error("integer division or modulo by zero");
      int64_t q = x / y, r = x % y;
      if (r != 0 && ((r < 0) != (y < 0))) {
        --q;
        r += y;
      }
      return Value(op == "//" ? q : r);
    }
    if (op == "**" && y >= 0) {
      int64_t result = 1;
      for (int64_t i = 0; i < y; ++i) result *= x;
      return Value(result);
    }
  }
  const double x = a.as_double(), y = b.as_double();
  if (op == "+") return Value(x + y);
  if (op == "-") return Value(x - y);
  if (op == "*") return Value(x * y);
  if (op == "**") return Value(std::pow(x, y));
  if (op == "//" || op == "%") {
    if (y == 0) throw Error("float division or modulo by zero");
    const double q = std::floor(x / y);
    return Value(op == "//" ? q : x - q * y);
  }
  throw Error("unknown operator " + op);
}

bool compare(const std::string& op, const Value& a, const Value& b) {
  if (op == "==") return equals(a, b);
  if (op == "!=") return !equals(a, b);
  if (op == "in" || op == "not in") {
    bool found = false;
    if (b.is_string()) {
      if (!a.is_string()) throw Error("'in <string>' requires string as left operand, not " + a.type_name());
      found = b.as_string().find(a.as_string()) != std::string::npos;
    } else if (b.is_dict()) {
      found = a.is_string() && b.as_dict().find(a.as_string()) != nullptr;
    } else if (b.is_list() || b.is_undefined()) {
      for (const Value& item : iterate(b)) found = found || equals(a, item);
    } else {
      throw Error("argument of type '" + b.type_name() + "' is not iterable");
    }
    return op == "in" ? found : !found;
  }
  int order = 0;
  if (a.is_number() && b.is_number()) {
    order = a.as_double() < b.as_double() ? -1 : a.as_double() > b.as_double() ? 1 : 0;
  } else if (a.is_string() && b.is_string()) {
    order = a.as_string().compare(b.as_string());
  } else if (a.is_list() && b.is_list()) {
    const auto &x = a.as_list(), &y = b.as_list();
    std::size_t i = 0;
    while (i < x.size() && i < y.size() && equals(x[i], y[i])) ++i;
    if (i < x.size() && i < y.size()) {
      order = compare("<", x[i], y[i]) ? -1 : 1;
    } else {
      order = x.size() < y.size() ? -1 : x.size() > y.size() ? 1 : 0;
    }
  } else {
    throw Error("'" + op + "' not supported between '" + a.type_name() + "' and '" + b.type_name() + "'");
  }
  if (op == "<") return order < 0;
  if (op == "<=") return order <= 0;
  if (op == ">") return order > 0;
  if (op == ">=") return order >= 0;
  throw Error("unknown comparison " + op);
}

Dict global_functions() {
  Dict globals;
  globals.set("raise_exception", Value(Function([](const CallArgs& a) -> Value {
                const Value* message = a.get(0, "message");
                throw Error("raise_exception: " + (message ? message->str() : std::string()));
              })));
  globals.set("namespace", Value(Function([](const CallArgs& a) {
                Dict ns;
                ns.is_namespace = true;
                if (const Value* init = a.get(0, nullptr); init && init->is_dict()) ns.items = init->as_dict().items;
                for (const auto& [k, v] : a.named) ns.set(k, v);
                return Value(std::move(ns));
              })));
  globals.set("dict", Value(Function([](const CallArgs& a) {
                Dict d;
                if (const Value* init = a.get(0, nullptr); init && init->is_dict()) d.items = init->as_dict().items;
                for (const auto& [k, v] : a.named) d.set(k, v);
                return Value(std::move(d));
              })));
  globals.set("range", Value(Function([](const CallArgs& a) {
                for (const Value& v : a.positional) {
                  if (!v.is_int()) throw Error("range() arguments must be integers");
                }
                int64_t start = 0, stop = 0, step = 1;
                if (a.positional.size() == 1) {
                  stop = a.positional[0].as_int();
                } else if (a.positional.size() == 2 || a.positional.size() == 3) {
                  start = a.positional[0].as_int();
                  stop = a.positional[1].as_int();
                  if (a.positional.size() == 3) step = a.positional[2].as_int();
                } else {
                  throw Error("range() takes 1 to 3 arguments");
                }
                if (step == 0) throw Error("range() step must not be zero");
                if ((stop - start) / step > 1000000) throw Error("range() is too large");
                List out;
                for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) out.emplace_back(i);
                return Value(std::move(out));
              })));
  globals.set("strftime_now", Value(Function([](const CallArgs& a) {
                const std::string format = string_arg(a, 0, "format", "strftime_now");
                const std::time_t now = std::time(nullptr);
                std::tm local{};
                localtime_r(&now, &local);
                char buffer[256];
                const std::size_t n = std::strftime(buffer, sizeof(buffer), format.c_str(), &local);
                return Value(std::string(buffer, n));
              })));
  return globals;
}

}  // namespace prism::tokenizer::jinja
