// Re-stores a loaded checkpoint's matrices in a faster weight format at load
// time (`[[models]] weights = "q8_0"`, `prism run --weights`). q8_0: the text
// decoder only, which reads every weight once per generated token, so its
// speed is bound by their bytes; the vision tower and connector are left as
// they are (matrix-matrix products, bound by arithmetic). bf16: the decoder,
// the vision tower and the connector, since 16-bit weights are also what the
// AMX tiles multiply (kernels/amx_gemm.h).
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
// when tied) to `format` (Q8_0 or BF16; BF16 also the vision matrices and
// the connector), in place; the new data is owned by `weights`.
QuantizationReport quantize_text_weights(SmolVlmWeights& weights, formats::DType format);

// "q8_0" / "bf16" (any case) -> Q8_0 / BF16; "none"/"checkpoint"/"" -> nullopt (keep the
// checkpoint's dtype); anything else throws prism::InvalidInput naming the choices.
std::optional<formats::DType> parse_weight_format(std::string_view name);

}  // namespace prism::models
