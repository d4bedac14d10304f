// A GGUF metadata value: one of the thirteen GGUF value types, arrays
// included (arrays hold elements of one type, possibly arrays themselves).
// Shared by the reader (gguf.h) and the writer (gguf_writer.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace prism::formats {

// Numeric ids as stored in the file (gguf.h's enum gguf_type).
enum class GgufType : std::uint32_t {
  U8 = 0,
  I8 = 1,
  U16 = 2,
  I16 = 3,
  U32 = 4,
  I32 = 5,
  F32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  U64 = 10,
  I64 = 11,
  F64 = 12,
};

std::string_view gguf_type_name(GgufType t);  // "u32", "string", "array"
bool gguf_type_valid(std::uint32_t id);
// Bytes of one scalar of this type in the file (0 for STRING and ARRAY).
std::size_t gguf_scalar_size(GgufType t);

class GgufValue {
 public:
  GgufValue() = default;

  static GgufValue u8(std::uint8_t v) { return {GgufType::U8, std::uint64_t{v}}; }
  static GgufValue i8(std::int8_t v) { return {GgufType::I8, std::int64_t{v}}; }
  static GgufValue u16(std::uint16_t v) { return {GgufType::U16, std::uint64_t{v}}; }
  static GgufValue i16(std::int16_t v) { return {GgufType::I16, std::int64_t{v}}; }
  static GgufValue u32(std::uint32_t v) { return {GgufType::U32, std::uint64_t{v}}; }
  static GgufValue i32(std::int32_t v) { return {GgufType::I32, std::int64_t{v}}; }
  static GgufValue u64(std::uint64_t v) { return {GgufType::U64, v}; }
  static GgufValue i64(std::int64_t v) { return {GgufType::I64, v}; }
  static GgufValue f32(float v) { return {GgufType::F32, double{v}}; }
  static GgufValue f64(double v) { return {GgufType::F64, v}; }
  static GgufValue boolean(bool v) { return {GgufType::BOOL, v}; }
  static GgufValue string(std::string v) { return {GgufType::STRING, std::move(v)}; }
  // Every element must have type elem_type (checked by the writer).
  static GgufValue array(GgufType elem_type, std::vector<GgufValue> items);
  static GgufValue strings(const std::vector<std::string>& items);
  static GgufValue f32s(const std::vector<float>& items);
  static GgufValue i32s(const std::vector<std::int32_t>& items);

  GgufType type() const { return type_; }
  GgufType elem_type() const { return elem_type_; }  // arrays only
  bool is_integer() const;

  // Raw access; the caller has checked type(). Integers of every width are
  // held widened (unsigned in as_u64, signed in as_i64), floats as double.
  std::uint64_t as_u64() const { return std::get<std::uint64_t>(v_); }
  std::int64_t as_i64() const { return std::get<std::int64_t>(v_); }
  double as_f64() const { return std::get<double>(v_); }
  bool as_bool() const { return std::get<bool>(v_); }
  const std::string& as_string() const { return std::get<std::string>(v_); }
  const std::vector<GgufValue>& as_array() const { return std::get<std::vector<GgufValue>>(v_); }

  // Short human-readable text: 42, 1e-05, "llama", [string x 49152: "<|endoftext|>", ...]
  std::string summary(std::size_t max_items = 4) const;

 private:
  using Storage = std::variant<std::monostate, std::uint64_t, std::int64_t, double, bool, std::string,
                               std::vector<GgufValue>>;
  GgufValue(GgufType t, Storage v) : type_(t), v_(std::move(v)) {}

  GgufType type_ = GgufType::U8;
  GgufType elem_type_ = GgufType::U8;
  Storage v_;
};

}  // namespace prism::formats
