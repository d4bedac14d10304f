// prism inspect FILE.gguf: what a GGUF file holds (metadata, long arrays
// summarised; the tensor table; parameters per ggml type), as JSON or text.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>

namespace prism::cli {

// Reads and validates the file (formats::GgufFile); throws prism::Error.
nlohmann::ordered_json describe_gguf(const std::filesystem::path& file);
// The same, for a person: one metadata key a line, then the tensor table.
void print_gguf_text(const nlohmann::ordered_json& info);

}  // namespace prism::cli
