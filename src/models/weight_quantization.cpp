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

}  // namespace

QuantizationReport quantize_text_weights(SmolVlmWeights& weights, formats::DType format) {
  if (format != formats::DType::Q8_0)
    throw InvalidInput("weights can be re-stored as q8_0 only, not " + std::string(formats::dtype_name(format)));
  QuantizationReport report;
  auto convert = [&](Matrix& m) {
    report.bytes_before += m.bytes();
    if (to_q8_0(m, weights)) ++report.matrices_converted;
    else ++report.matrices_kept;
    report.bytes_after += m.bytes();
  };
  auto& text = weights.text;
  for (auto& layer : text.layers)
    for (Matrix* m : layer.matrices()) convert(*m);
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
  throw InvalidInput("unknown weight format '" + std::string(name) + "' (choose q8_0, or none to keep the checkpoint's)");
}

}  // namespace prism::models
