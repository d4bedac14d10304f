#include "formats/gguf_value.h"

#include <cstdio>

namespace prism::formats {

std::string_view gguf_type_name(GgufType t) {
  switch (t) {
    case GgufType::U8: return "u8";
    case GgufType::I8: return "i8";
    case GgufType::U16: return "u16";
    case GgufType::I16: return "i16";
    case GgufType::U32: return "u32";
    case GgufType::I32: return "i32";
    case GgufType::F32: return "f32";
    case GgufType::BOOL: return "bool";
    case GgufType::STRING: return "string";
    case GgufType::ARRAY: return "array";
    case GgufType::U64: return "u64";
    case GgufType::I64: return "i64";
    case GgufType::F64: return "f64";
  }
  return "?";
}

bool gguf_type_valid(std::uint32_t id) { return id <= static_cast<std::uint32_t>(GgufType::F64); }

std::size_t gguf_scalar_size(GgufType t) {
  switch (t) {
    case GgufType::U8: case GgufType::I8: case GgufType::BOOL: return 1;
    case GgufType::U16: case GgufType::I16: return 2;
    case GgufType::U32: case GgufType::I32: case GgufType::F32: return 4;
    case GgufType::U64: case GgufType::I64: case GgufType::F64: return 8;
    case GgufType::STRING: case GgufType::ARRAY: return 0;
  }
  return 0;
}

GgufValue GgufValue::array(GgufType elem_type, std::vector<GgufValue> items) {
  GgufValue v(GgufType::ARRAY, std::move(items));
  v.elem_type_ = elem_type;
  return v;
}

GgufValue GgufValue::strings(const std::vector<std::string>& items) {
  std::vector<GgufValue> v;
  v.reserve(items.size());
  for (const auto& s : items) v.push_back(string(s));
  return array(GgufType::STRING, std::move(v));
}

GgufValue GgufValue::f32s(const std::vector<float>& items) {
  std::vector<GgufValue> v;
  v.reserve(items.size());
  for (float f : items) v.push_back(f32(f));
  return array(GgufType::F32, std::move(v));
}

GgufValue GgufValue::i32s(const std::vector<std::int32_t>& items) {
  std::vector<GgufValue> v;
  v.reserve(items.size());
  for (auto i : items) v.push_back(i32(i));
  return array(GgufType::I32, std::move(v));
}

bool GgufValue::is_integer() const {
  switch (type_) {
    case GgufType::U8: case GgufType::I8: case GgufType::U16: case GgufType::I16:
    case GgufType::U32: case GgufType::I32: case GgufType::U64: case GgufType::I64:
      return true;
    default:
      return false;
  }
}

namespace {

std::string quoted(const std::string& s, std::size_t max_chars = 60) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size() && i < max_chars; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > max_chars) out += "...";
  return out + "\"";
}

}  // namespace

std::string GgufValue::summary(std::size_t max_items) const {
  switch (type_) {
    case GgufType::U8: case GgufType::U16: case GgufType::U32: case GgufType::U64:
      return std::to_string(as_u64());
    case GgufType::I8: case GgufType::I16: case GgufType::I32: case GgufType::I64:
      return std::to_string(as_i64());
    case GgufType::F32: case GgufType::F64: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.9g", as_f64());
      return buf;
    }
    case GgufType::BOOL: return as_bool() ? "true" : "false";
    case GgufType::STRING: return quoted(as_string());
    case GgufType::ARRAY: {
      const auto& items = as_array();
      std::string s = "[" + std::string(gguf_type_name(elem_type_)) + " x " + std::to_string(items.size());
      for (std::size_t i = 0; i < items.size() && i < max_items; ++i) s += (i ? ", " : ": ") + items[i].summary(2);
      if (items.size() > max_items) s += ", ...";
      return s + "]";
    }
  }
  return "?";
}

}  // namespace prism::formats
