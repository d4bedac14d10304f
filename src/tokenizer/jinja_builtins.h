// Jinja's built-in operations: filters, tests, attribute and item access,
// methods of strings and dicts, operators, and the global functions Hugging
// Face chat templates call. Errors are thrown as prism::Error with a plain
// message; the renderer adds the template location.
#pragma once

#include <string>

#include "tokenizer/jinja_value.h"

namespace prism::tokenizer::jinja {

bool has_filter(const std::string& name);
Value apply_filter(const std::string& name, const Value& subject, const CallArgs& args);
bool has_test(const std::string& name);
bool apply_test(const std::string& name, const Value& subject, const CallArgs& args);

// obj.name (methods first, then items, as Jinja's getattr does).
Value get_attribute(const Value& object, const std::string& name);
// obj[key] (items first, then attributes).
Value get_item(const Value& object, const Value& key);
// obj[start:stop:step] with Python semantics; undefined bounds are omitted.
Value slice(const Value& object, const Value& start, const Value& stop, const Value& step);

Value binary_operation(const std::string& op, const Value& left, const Value& right);
bool compare(const std::string& op, const Value& left, const Value& right);
// Elements a for loop visits.
List iterate(const Value& value);

// The globals of Hugging Face's template environment.
Dict global_functions();

}  // namespace prism::tokenizer::jinja
