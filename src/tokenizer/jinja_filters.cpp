// Jinja filters and tests (the subset real chat templates use).
#include <algorithm>
#include <cmath>
#include <map>

#include "core/error.h"
#include "tokenizer/jinja_builtins.h"
#include "tokenizer/jinja_text.h"

namespace prism::tokenizer::jinja {

namespace {

using FilterFn = Value (*)(const Value&, const CallArgs&);
using TestFn = bool (*)(const Value&, const CallArgs&);

// Arguments after the first `skip` positional ones, for filters and tests
// that forward them (map, select, selectattr...).
CallArgs rest(const CallArgs& args, std::size_t skip) {
  CallArgs out;
  for (std::size_t i = skip; i < args.positional.size(); ++i) out.positional.push_back(args.positional[i]);
  out.named = args.named;
  return out;
}

const Value* named(const CallArgs& args, const char* name) {
  for (const auto& [k, v] : args.named) {
    if (k == name) return &v;
  }
  return nullptr;
}

// Follows a dotted attribute path ("a.b" or "0"), as Jinja's make_attrgetter.
Value attribute_path(const Value& item, const std::string& path) {
  Value current = item;
  std::size_t start = 0;
  while (true) {
    const auto dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    const bool numeric = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    current = numeric ? get_item(current, Value(static_cast<int64_t>(std::stoll(part)))) : get_item(current, Value(part));
    if (dot == std::string::npos) return current;
    start = dot + 1;
  }
}

std::size_t length_of(const Value& v) {
  if (v.is_string()) return text::code_point_count(v.as_string());
  if (v.is_list()) return v.as_list().size();
  if (v.is_dict()) return v.as_dict().items.size();
  if (v.is_undefined()) return 0;
  throw Error("object of type '" + v.type_name() + "' has no len()");
}

Value f_length(const Value& v, const CallArgs&) { return Value(static_cast<int64_t>(length_of(v))); }
Value f_string(const Value& v, const CallArgs&) { return Value(v.str()); }
Value f_safe(const Value& v, const CallArgs&) { return v; }
Value f_upper(const Value& v, const CallArgs&) { return Value(text::upper(v.str())); }
Value f_lower(const Value& v, const CallArgs&) { return Value(text::lower(v.str())); }
Value f_capitalize(const Value& v, const CallArgs&) { return Value(text::capitalize(v.str())); }
Value f_title(const Value& v, const CallArgs&) { return Value(text::jinja_title(v.str())); }

Value f_trim(const Value& v, const CallArgs& a) {
  const Value* chars = a.get(0, "chars");
  return Value(text::strip(v.str(), chars && !chars->is_none() ? std::optional<std::string>(chars->str()) : std::nullopt, true, true));
}

Value f_default(const Value& v, const CallArgs& a) {
  const Value* fallback = a.get(0, "default_value");
  const Value* boolean = a.get(1, "boolean");
  const bool use_fallback = v.is_undefined() || (boolean && boolean->truthy() && !v.truthy());
  if (!use_fallback) return v;
  return fallback ? *fallback : Value("");
}

Value f_first(const Value& v, const CallArgs&) {
  List items = iterate(v);
  return items.empty() ? Value::undefined("first item") : items.front();
}

Value f_last(const Value& v, const CallArgs&) {
  List items = iterate(v);
  return items.empty() ? Value::undefined("last item") : items.back();
}

Value f_list(const Value& v, const CallArgs&) { return Value(iterate(v)); }

Value f_reverse(const Value& v, const CallArgs&) {
  if (v.is_string()) {
    std::u32string cps = to_code_points(v.as_string());
    std::reverse(cps.begin(), cps.end());
    return Value(from_code_points(cps));
  }
  List items = iterate(v);
  std::reverse(items.begin(), items.end());
  return Value(std::move(items));
}

Value f_join(const Value& v, const CallArgs& a) {
  const Value* sep = a.get(0, "d");
  const Value* attribute = a.get(1, "attribute");
  std::string out;
  bool first = true;
  for (const Value& item : iterate(v)) {
    if (!first && sep) out += sep->str();
    first = false;
    out += (attribute && !attribute->is_none() ? attribute_path(item, attribute->str()) : item).str();
  }
  return Value(std::move(out));
}

Value f_replace(const Value& v, const CallArgs& a) {
  const Value* from = a.get(0, "old");
  const Value* to = a.get(1, "new");
  const Value* count = a.get(2, "count");
  if (!from || !to) throw Error("replace filter needs the old and new strings");
  return Value(text::replace(v.str(), from->str(), to->str(), count && count->is_int() ? count->as_int() : -1));
}

Value f_items(const Value& v, const CallArgs&) {
  if (v.is_undefined()) return Value(List{});
  if (!v.is_dict()) throw Error("items filter needs a mapping, got " + v.type_name());
  List out;
  for (const auto& [k, item] : v.as_dict().items) out.push_back(Value::tuple(List{Value(k), item}));
  return Value(std::move(out));
}

Value f_dictsort(const Value& v, const CallArgs& a) {
  Value items = f_items(v, a);
  List list = items.as_list();
  std::stable_sort(list.begin(), list.end(), [](const Value& x, const Value& y) {
    return text::lower(x.as_list()[0].str()) < text::lower(y.as_list()[0].str());
  });
  return Value(std::move(list));
}

Value sort_dict_keys(const Value& v) {
  if (v.is_list()) {
    List out;
    for (const Value& item : v.as_list()) out.push_back(sort_dict_keys(item));
    return Value(std::move(out));
  }
  if (!v.is_dict()) return v;
  Dict d;
  d.items = v.as_dict().items;
  std::sort(d.items.begin(), d.items.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  for (auto& [k, item] : d.items) item = sort_dict_keys(item);
  return Value(std::move(d));
}

Value f_tojson(const Value& v, const CallArgs& a) {
  // Hugging Face replaces Jinja's tojson with json.dumps(ensure_ascii=False).
  const Value* ensure_ascii = named(a, "ensure_ascii");
  if (ensure_ascii && ensure_ascii->truthy()) throw Error("tojson(ensure_ascii=True) is not supported");
  const Value* indent = named(a, "indent");
  if (!indent && !a.positional.empty() && a.positional[0].is_int()) indent = &a.positional[0];
  const Value* sort_keys = named(a, "sort_keys");
  const Value subject = sort_keys && sort_keys->truthy() ? sort_dict_keys(v) : v;
  return Value(to_json_text(subject, indent && indent->is_int() ? static_cast<int>(indent->as_int()) : -1));
}

// int() / float() of an undefined value fail in Jinja (Undefined refuses the conversion).
void refuse_undefined(const Value& v) {
  if (v.is_undefined()) throw Error(v.undefined_hint().empty() ? "value is undefined" : "'" + v.undefined_hint() + "' is undefined");
}

Value f_int(const Value& v, const CallArgs& a) {
  refuse_undefined(v);
  const Value* fallback = a.get(0, "default");
  if (v.is_number()) return Value(v.as_int());
  if (v.is_string()) {
    try {
      std::size_t used = 0;
      const std::string s = text::strip(v.as_string(), std::nullopt, true, true);
      const long long n = std::stoll(s, &used);
      if (used == s.size()) return Value(static_cast<int64_t>(n));
      const double d = std::stod(s, &used);
      if (used == s.size()) return Value(static_cast<int64_t>(d));
    } catch (const std::exception&) {
    }
  }
  return fallback ? *fallback : Value(0);
}

Value f_float(const Value& v, const CallArgs& a) {
  refuse_undefined(v);
  const Value* fallback = a.get(0, "default");
  if (v.is_number()) return Value(v.as_double());
  if (v.is_string()) {
    try {
      std::size_t used = 0;
      const std::string s = text::strip(v.as_string(), std::nullopt, true, true);
      const double d = std::stod(s, &used);
      if (used == s.size()) return Value(d);
    } catch (const std::exception&) {
    }
  }
  return fallback ? *fallback : Value(0.0);
}

Value f_abs(const Value& v, const CallArgs&) {
  if (v.kind() == Value::Kind::kFloat) return Value(std::fabs(v.as_double()));
  if (v.is_int()) return Value(v.as_int() < 0 ? -v.as_int() : v.as_int());
  throw Error("abs filter needs a number, got " + v.type_name());
}

Value f_indent(const Value& v, const CallArgs& a) {
  const Value* width = a.get(0, "width");
  const Value* first = a.get(1, "first");
  const Value* blank = a.get(2, "blank");
  const std::string pad = width && width->is_string() ? width->as_string()
                                                      : std::string(width && width->is_int() ? width->as_int() : 4, ' ');
  const std::string s = v.str();
  std::string out;
  std::size_t start = 0;
  bool first_line = true;
  while (true) {
    const auto nl = s.find('\n', start);
    const std::string line = s.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    const bool indent_line = (!first_line || (first && first->truthy())) && (!line.empty() || (blank && blank->truthy()));
    out += (indent_line ? pad : "") + line;
    if (nl == std::string::npos) break;
    out += '\n';
    start = nl + 1;
    first_line = false;
  }
  return Value(std::move(out));
}

Value f_unique(const Value& v, const CallArgs&) {
  List out;
  for (const Value& item : iterate(v)) {
    if (std::none_of(out.begin(), out.end(), [&](const Value& seen) { return equals(seen, item); })) out.push_back(item);
  }
  return Value(std::move(out));
}

Value f_map(const Value& v, const CallArgs& a) {
  List out;
  if (const Value* attribute = named(a, "attribute")) {
    const Value* fallback = named(a, "default");
    for (const Value& item : iterate(v)) {
      Value picked = attribute_path(item, attribute->str());
      out.push_back(picked.is_undefined() && fallback ? *fallback : picked);
    }
    return Value(std::move(out));
  }
  if (a.positional.empty() || !a.positional[0].is_string()) throw Error("map filter needs a filter name or attribute=");
  const std::string filter = a.positional[0].as_string();
  const CallArgs forwarded = rest(a, 1);
  for (const Value& item : iterate(v)) out.push_back(apply_filter(filter, item, forwarded));
  return Value(std::move(out));
}

// select / reject / selectattr / rejectattr share one loop.
Value select_items(const Value& v, const CallArgs& a, bool by_attribute, bool keep_matching) {
  std::string attribute;
  std::size_t skip = 0;
  if (by_attribute) {
    if (a.positional.empty()) throw Error("selectattr/rejectattr need an attribute name");
    attribute = a.positional[0].str();
    skip = 1;
  }
  const bool has_test = a.positional.size() > skip;
  const std::string test = has_test ? a.positional[skip].str() : std::string();
  const CallArgs test_args = rest(a, skip + 1);
  List out;
  for (const Value& item : iterate(v)) {
    const Value subject = by_attribute ? attribute_path(item, attribute) : item;
    const bool passed = has_test ? apply_test(test, subject, test_args) : subject.truthy();
    if (passed == keep_matching) out.push_back(item);
  }
  return Value(std::move(out));
}
Value f_select(const Value& v, const CallArgs& a) { return select_items(v, a, false, true); }
Value f_reject(const Value& v, const CallArgs& a) { return select_items(v, a, false, false); }
Value f_selectattr(const Value& v, const CallArgs& a) { return select_items(v, a, true, true); }
Value f_rejectattr(const Value& v, const CallArgs& a) { return select_items(v, a, true, false); }

Value f_sort(const Value& v, const CallArgs& a) {
  const Value* reverse = a.get(0, "reverse");
  const Value* attribute = named(a, "attribute");
  List items = iterate(v);
  auto key = [&](const Value& item) {
    Value k = attribute ? attribute_path(item, attribute->str()) : item;
    return k.is_string() ? Value(text::lower(k.as_string())) : k;
  };
  std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) { return compare("<", key(x), key(y)); });
  if (reverse && reverse->truthy()) std::reverse(items.begin(), items.end());
  return Value(std::move(items));
}

const std::map<std::string, FilterFn>& filters() {
  static const std::map<std::string, FilterFn> table = {
      {"abs", f_abs},         {"capitalize", f_capitalize}, {"count", f_length},       {"d", f_default},
      {"default", f_default}, {"dictsort", f_dictsort},     {"first", f_first},        {"float", f_float},
      {"indent", f_indent},   {"int", f_int},               {"items", f_items},        {"join", f_join},
      {"last", f_last},       {"length", f_length},         {"list", f_list},          {"lower", f_lower},
      {"map", f_map},         {"reject", f_reject},         {"rejectattr", f_rejectattr}, {"replace", f_replace},
      {"reverse", f_reverse}, {"safe", f_safe},             {"select", f_select},      {"selectattr", f_selectattr},
      {"sort", f_sort},       {"string", f_string},         {"title", f_title},        {"tojson", f_tojson},
      {"trim", f_trim},       {"unique", f_unique},         {"upper", f_upper},
  };
  return table;
}

const Value& test_argument(const CallArgs& a, const char* test) {
  const Value* v = a.get(0, nullptr);
  if (!v) throw Error(std::string("test '") + test + "' needs an argument");
  return *v;
}

bool t_defined(const Value& v, const CallArgs&) { return !v.is_undefined(); }
bool t_undefined(const Value& v, const CallArgs&) { return v.is_undefined(); }
bool t_none(const Value& v, const CallArgs&) { return v.is_none(); }
bool t_boolean(const Value& v, const CallArgs&) { return v.is_bool(); }
bool t_true(const Value& v, const CallArgs&) { return v.is_bool() && v.as_int() == 1; }
bool t_false(const Value& v, const CallArgs&) { return v.is_bool() && v.as_int() == 0; }
bool t_integer(const Value& v, const CallArgs&) { return v.kind() == Value::Kind::kInt; }
bool t_float(const Value& v, const CallArgs&) { return v.kind() == Value::Kind::kFloat; }
bool t_number(const Value& v, const CallArgs&) { return v.is_number(); }
bool t_string(const Value& v, const CallArgs&) { return v.is_string(); }
bool t_mapping(const Value& v, const CallArgs&) { return v.is_dict(); }
// Jinja's Undefined supports iteration and len(), so it passes both tests.
bool t_iterable(const Value& v, const CallArgs&) { return v.is_list() || v.is_dict() || v.is_string() || v.is_undefined(); }
bool t_sequence(const Value& v, const CallArgs&) { return v.is_list() || v.is_dict() || v.is_string() || v.is_undefined(); }
bool t_callable(const Value& v, const CallArgs&) { return v.is_function(); }
// odd / even / divisibleby compute value % n as Python does (so strings and
// undefined values are errors, floats work).
bool t_odd(const Value& v, const CallArgs&) { return equals(binary_operation("%", v, Value(2)), Value(1)); }
bool t_even(const Value& v, const CallArgs&) { return equals(binary_operation("%", v, Value(2)), Value(0)); }
// str(value).islower() / isupper(): some cased character and none of the other case.
bool has_case(const std::string& s, bool lower_case) {
  const std::string lowered = text::lower(s), uppered = text::upper(s);
  if (lowered == uppered) return false;  // nothing cased
  return lower_case ? lowered == s : uppered == s;
}
bool t_lower(const Value& v, const CallArgs&) { return has_case(v.str(), true); }
bool t_upper(const Value& v, const CallArgs&) { return has_case(v.str(), false); }
bool t_eq(const Value& v, const CallArgs& a) { return equals(v, test_argument(a, "equalto")); }
bool t_ne(const Value& v, const CallArgs& a) { return !equals(v, test_argument(a, "ne")); }
bool t_lt(const Value& v, const CallArgs& a) { return compare("<", v, test_argument(a, "lt")); }
bool t_le(const Value& v, const CallArgs& a) { return compare("<=", v, test_argument(a, "le")); }
bool t_gt(const Value& v, const CallArgs& a) { return compare(">", v, test_argument(a, "gt")); }
bool t_ge(const Value& v, const CallArgs& a) { return compare(">=", v, test_argument(a, "ge")); }
bool t_in(const Value& v, const CallArgs& a) { return compare("in", v, test_argument(a, "in")); }
bool t_divisibleby(const Value& v, const CallArgs& a) {
  return equals(binary_operation("%", v, test_argument(a, "divisibleby")), Value(0));
}
bool t_sameas(const Value& v, const CallArgs& a) {
  const Value& other = test_argument(a, "sameas");
  if (v.kind() != other.kind()) return false;
  if (v.is_none() || v.is_undefined()) return true;
  if (v.is_bool() || v.is_int()) return v.as_int() == other.as_int();
  return equals(v, other) && (v.is_string() || v.is_number());
}

const std::map<std::string, TestFn>& tests() {
  static const std::map<std::string, TestFn> table = {
      {"!=", t_ne},          {"<", t_lt},           {"<=", t_le},          {"==", t_eq},
      {">", t_gt},           {">=", t_ge},          {"boolean", t_boolean}, {"callable", t_callable},
      {"defined", t_defined}, {"divisibleby", t_divisibleby}, {"eq", t_eq}, {"equalto", t_eq},
      {"even", t_even},      {"false", t_false},    {"float", t_float},    {"ge", t_ge},
      {"greaterthan", t_gt}, {"gt", t_gt},          {"in", t_in},          {"integer", t_integer},
      {"iterable", t_iterable}, {"le", t_le},       {"lessthan", t_lt},    {"lower", t_lower},
      {"lt", t_lt},          {"mapping", t_mapping}, {"ne", t_ne},         {"none", t_none},
      {"number", t_number},  {"odd", t_odd},        {"sameas", t_sameas},  {"sequence", t_sequence},
      {"string", t_string},  {"true", t_true},      {"undefined", t_undefined}, {"upper", t_upper},
  };
  return table;
}

}  // namespace

bool has_filter(const std::string& name) { return filters().count(name) > 0; }

Value apply_filter(const std::string& name, const Value& subject, const CallArgs& args) {
  const auto it = filters().find(name);
  if (it == filters().end()) throw Error("unknown filter '" + name + "'");
  return it->second(subject, args);
}

bool has_test(const std::string& name) { return tests().count(name) > 0; }

bool apply_test(const std::string& name, const Value& subject, const CallArgs& args) {
  const auto it = tests().find(name);
  if (it == tests().end()) throw Error("unknown test '" + name + "'");
  return it->second(subject, args);
}

}  // namespace prism::tokenizer::jinja
