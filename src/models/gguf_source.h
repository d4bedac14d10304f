// A SmolVLM2 model from GGUF files as llama.cpp's converter writes them: the
// text model (general.architecture "llama") and, optionally, the mmproj
// (clip.projector_type "idefics3") with the vision tower and connector.
// The hyper-parameters come from the files' metadata, the tensors are bound
// by their Hugging Face names (formats/gguf_smolvlm_names.h), and the q/k
// row permutation the converter applies is undone.
//
// dtypes: F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q4_K and Q6_K (ggml's blocks
// are the engine's layouts) are used in place; Q4_1 and Q5_1 are
// dequantized to F32 at load (logged); any other type is an error naming the
// tensor.
#pragma once

#include <filesystem>
#include <optional>

#include "formats/hf_config.h"
#include "models/weights.h"

namespace prism::models {

struct GgufModelFiles {
  std::filesystem::path text;
  std::optional<std::filesystem::path> mmproj;  // none: text only (images are refused)
};

struct GgufModel {
  formats::SmolVlmConfig config;
  SmolVlmWeights weights;
};

// Throws prism::Error naming the file and the key or tensor on anything
// missing, mistyped, of the wrong shape or unsupported.
GgufModel load_gguf_model(const GgufModelFiles& files);

}  // namespace prism::models
