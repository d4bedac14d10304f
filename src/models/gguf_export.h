// Writes a Hugging Face SmolVLM2 checkpoint folder as the two GGUF files
// llama.cpp's converter (convert_hf_to_gguf.py) makes of it: the text model
// (architecture "llama", q/k rows permuted, tokenizer vocabulary and merges
// from tokenizer.json) and the mmproj (architecture "clip", projector
// "idefics3"), with the same tensor names (formats/gguf_smolvlm_names.h)
// and metadata keys. Used by `prism quantize` and by the tests that load
// GGUF files made from the fixtures.
//
// Types, as the converter chooses them: norms and biases (1-D) and the
// vision embeddings stay F32; every other matrix takes `type`, or F16 where
// its rows are not whole blocks of that type.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "formats/ggml_types.h"

namespace prism::models {

struct GgufExportOptions {
  formats::GgmlType type = formats::GgmlType::F16;  // F32, F16, BF16, Q8_0 (or any type quantize_row handles)
  bool write_mmproj = true;
  // Called after each tensor: which file, bytes done, bytes total.
  std::function<void(const std::filesystem::path& file, std::uint64_t done, std::uint64_t total)> progress;
};

// Throws prism::Error naming the file on a broken checkpoint or I/O failure.
void export_smolvlm_gguf(const std::filesystem::path& hf_dir, const std::filesystem::path& text_out,
                         const std::filesystem::path& mmproj_out, const GgufExportOptions& options);

}  // namespace prism::models
