// Re-stores a loaded checkpoint's text-decoder matrices in a smaller weight
// format at load time (`[[models]] weights = "q8_0"`, `prism run --weights`):
// the decoder reads every weight once per generated token, so its speed is
// bound by their bytes. The vision tower and connector are left as they are
// (they run as matrix-matrix products, bound by arithmetic, not bytes).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "formats/dtype.h"
#include "models/weights.h"

namespace prism::models {

struct QuantizationReport {
  int matrices_converted = 0;
  int matrices_kept = 0;  // rows not a multiple of the block size
  std::uint64_t bytes_before = 0, bytes_after = 0;
};

// Converts q/k/v/o, gate/up/down and the output head (with the embedding
// when tied) to `format` (Q8_0 only, for now), in place; the new data is
// owned by `weights`.
QuantizationReport quantize_text_weights(SmolVlmWeights& weights, formats::DType format);

// "q8_0" (any case) -> Q8_0; "none"/"checkpoint"/"" -> nullopt (keep the
// checkpoint's dtype); anything else throws prism::InvalidInput naming the choices.
std::optional<formats::DType> parse_weight_format(std::string_view name);

}  // namespace prism::models
