#include "models/weight_quantization.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>
#include <vector>

#include "core/error.h"
#include "formats/ggml_types.h"

namespace prism::models {
namespace {

// Quantizes `m` into a new buffer owned by `weights`; false when it cannot
// be (already Q8_0, or rows that are not whole blocks).
bool to_q8_0(Matrix& m, SmolVlmWeights& weights) {
  if (m.dtype == formats::DType::Q8_0 || m.cols % formats::kQK != 0) return false;
  const std::size_t row_bytes = formats::dtype_row_bytes(formats::DType::Q8_0, m.cols);
  auto storage = std::make_unique<std::byte[]>(static_cast<std::size_t>(m.rows) * row_bytes);
  std::vector<float> row(static_cast<std::size_t>(m.cols));
  for (std::int64_t r = 0; r < m.rows; ++r) {
    m.row_to_f32(r, row.data());
    // ggml's reference quantizer: the bytes llama.cpp would write.
    formats::quantize_row(formats::GgmlType::Q8_0, row.data(), m.cols, storage.get() + r * row_bytes);
  }
  m.dtype = formats::DType::Q8_0;
  m.data = storage.get();
  weights.owned.push_back(std::move(storage));
  return true;
}

// Rounds `m` to bf16 (nearest even) into a new buffer owned by `weights`;
// false when it is bf16 already.
bool to_bf16(Matrix& m, SmolVlmWeights& weights) {
  if (m.dtype == formats::DType::BF16) return false;
  const auto count = static_cast<std::size_t>(m.rows * m.cols);
  auto storage = std::make_unique<std::byte[]>(count * 2);
  auto* out = reinterpret_cast<std::uint16_t*>(storage.get());
  std::vector<float> row(static_cast<std::size_t>(m.cols));
  for (std::int64_t r = 0; r < m.rows; ++r) {
    m.row_to_f32(r, row.data());
    for (std::int64_t c = 0; c < m.cols; ++c) out[r * m.cols + c] = formats::f32_to_bf16(row[static_cast<std::size_t>(c)]);
  }
  m.dtype = formats::DType::BF16;
  m.bf16_inputs = true;  // re-stored for speed: products may round x too
  m.data = storage.get();
  weights.owned.push_back(std::move(storage));
  return true;
}

}  // namespace

QuantizationReport quantize_text_weights(SmolVlmWeights& weights, formats::DType format) {
  if (format != formats::DType::Q8_0 && format != formats::DType::BF16)
    throw InvalidInput("weights can be re-stored as q8_0 or bf16 only, not " + std::string(formats::dtype_name(format)));
  QuantizationReport report;
  auto convert = [&](Matrix& m) {
    report.bytes_before += m.bytes();
    if (format == formats::DType::Q8_0 ? to_q8_0(m, weights) : to_bf16(m, weights)) ++report.matrices_converted;
    else ++report.matrices_kept;
    report.bytes_after += m.bytes();
  };
  auto& text = weights.text;
  for (auto& layer : text.layers)
    for (Matrix* m : layer.matrices()) convert(*m);
  if (format == formats::DType::BF16) {
    // bf16 is the vision tower's fast format too (AMX / bf16 dot products).
    for (auto& layer : weights.vision.layers)
      for (Matrix* m : {&layer.q_w, &layer.k_w, &layer.v_w, &layer.out_w, &layer.fc1_w, &layer.fc2_w})
        if (m->data) convert(*m);
    if (weights.connector_proj.data) convert(weights.connector_proj);
  }
  const bool tied = text.lm_head.data == text.embed_tokens.data;
  convert(text.lm_head);
  if (tied) text.embed_tokens = text.lm_head;  // one matrix, read by the lookup and the head
  return report;
}

std::optional<formats::DType> parse_weight_format(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower.empty() || lower == "none" || lower == "checkpoint") return std::nullopt;
  if (lower == "q8_0") return formats::DType::Q8_0;
  if (lower == "bf16") return formats::DType::BF16;
  throw InvalidInput("unknown weight format '" + std::string(name) +
                     "' (choose q8_0, bf16, or none to keep the checkpoint's)");
}

}  // namespace prism::models
