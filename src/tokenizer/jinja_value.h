// Values of the Jinja template engine: Python-like (None, bool, int, float,
// str, list, dict, callables) with Jinja's "undefined", built from and
// converted to nlohmann::json.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace prism::tokenizer::jinja {

class Value;
using List = std::vector<Value>;

// Insertion-ordered string-keyed dictionary, as Python dicts are.
struct Dict {
  std::vector<std::pair<std::string, Value>> items;
  bool is_namespace = false;  // namespace() objects accept attribute assignment

  const Value* find(const std::string& key) const;
  void set(const std::string& key, Value value);
};

struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> named;

  // Argument `index` or keyword `name`, or nullptr when absent.
  const Value* get(std::size_t index, const char* name) const;
};

using Function = std::function<Value(const CallArgs&)>;

class Value {
 public:
  enum class Kind { kUndefined, kNone, kBool, kInt, kFloat, kString, kList, kDict, kFunction };

  Value() = default;  // undefined
  Value(bool b) : kind_(Kind::kBool), int_(b) {}
  Value(int i) : kind_(Kind::kInt), int_(i) {}
  Value(int64_t i) : kind_(Kind::kInt), int_(i) {}
  Value(double d) : kind_(Kind::kFloat), float_(d) {}
  Value(std::string s) : kind_(Kind::kString), string_(std::make_shared<std::string>(std::move(s))) {}
  Value(const char* s) : Value(std::string(s)) {}
  Value(List list) : kind_(Kind::kList), list_(std::make_shared<List>(std::move(list))) {}
  Value(Dict dict) : kind_(Kind::kDict), dict_(std::make_shared<Dict>(std::move(dict))) {}
  Value(Function fn) : kind_(Kind::kFunction), function_(std::make_shared<Function>(std::move(fn))) {}

  // A Python tuple: a list that prints as "(a, b)" and differs from lists in ==.
  static Value tuple(List items) {
    Value v(std::move(items));
    v.tuple_ = true;
    return v;
  }
  static Value none() {
    Value v;
    v.kind_ = Kind::kNone;
    return v;
  }
  // An undefined value remembering what was looked up, for error messages.
  static Value undefined(std::string hint) {
    Value v;
    v.string_ = std::make_shared<std::string>(std::move(hint));
    return v;
  }
  // Object keys keep the document's order (nlohmann::json sorts them;
  // ordered_json keeps insertion order, as Python dicts do).
  static Value from_json(const nlohmann::json& json);
  static Value from_json(const nlohmann::ordered_json& json);
  // Throws prism::Error for undefined values and callables.
  nlohmann::json to_json() const;

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::kUndefined; }
  bool is_none() const { return kind_ == Kind::kNone; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_int() const { return kind_ == Kind::kInt || kind_ == Kind::kBool; }
  bool is_number() const { return kind_ == Kind::kInt || kind_ == Kind::kFloat || kind_ == Kind::kBool; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_list() const { return kind_ == Kind::kList; }
  bool is_tuple() const { return kind_ == Kind::kList && tuple_; }
  bool is_dict() const { return kind_ == Kind::kDict; }
  bool is_function() const { return kind_ == Kind::kFunction; }

  int64_t as_int() const { return kind_ == Kind::kFloat ? static_cast<int64_t>(float_) : int_; }
  double as_double() const { return kind_ == Kind::kFloat ? float_ : static_cast<double>(int_); }
  const std::string& as_string() const { return *string_; }
  const List& as_list() const { return *list_; }
  const Dict& as_dict() const { return *dict_; }
  Dict& mutable_dict() const { return *dict_; }
  const Function& as_function() const { return *function_; }
  // What an undefined value stands for ("" if unknown).
  std::string undefined_hint() const { return string_ ? *string_ : std::string(); }

  bool truthy() const;
  // Python's str() (undefined prints as the empty string, as in Jinja).
  std::string str() const;
  // Python's repr().
  std::string repr() const;
  std::string type_name() const;

 private:
  Kind kind_ = Kind::kUndefined;
  bool tuple_ = false;
  int64_t int_ = 0;
  double float_ = 0;
  std::shared_ptr<std::string> string_;
  std::shared_ptr<List> list_;
  std::shared_ptr<Dict> dict_;
  std::shared_ptr<Function> function_;
};

// Python == between values.
bool equals(const Value& a, const Value& b);
// Python's float repr (shortest round-trip, "1.0", "1e-05", "1e+16").
std::string format_float(double d);
// Python's json.dumps(value, ensure_ascii=False, indent=indent) (indent < 0: none).
std::string to_json_text(const Value& value, int indent);

// Code-point helpers: Python strings index by character, not byte.
std::u32string to_code_points(const std::string& s);
std::string from_code_points(const std::u32string& s);

}  // namespace prism::tokenizer::jinja
