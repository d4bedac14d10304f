// Which files a model path names: a Hugging Face checkpoint folder
// (config.json + safetensors), or GGUF files as llama.cpp ships them (a text
// model .gguf and its mmproj .gguf; a file, or a folder such as a pulled
// GGUF repo).
#pragma once

#include <filesystem>
#include <optional>

#include "models/gguf_source.h"

namespace prism::runtime {

// nullopt for a checkpoint folder (config.json present) or a path that is no
// GGUF at all (the safetensors loader then says what is wrong). For GGUF:
// the text model is `path` itself, or the one non-mmproj .gguf in the folder
// `path` (several: an error listing them); the mmproj is `mmproj` when given,
// else the one mmproj .gguf (general.architecture "clip") beside the text
// model, else none (text only).
std::optional<models::GgufModelFiles> find_gguf_files(const std::filesystem::path& path,
                                                      const std::optional<std::filesystem::path>& mmproj);

}  // namespace prism::runtime
