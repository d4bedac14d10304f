// Which of a repo's files a pull fetches: --include/--exclude glob patterns
// (huggingface-cli's rules), or for a GGUF repo one quantisation and its
// vision projector, as llama.cpp's `-hf repo:QUANT` picks them.
#pragma once

#include <string>
#include <vector>

namespace prism::hub {

// fnmatch rules as Python's fnmatch (which huggingface_hub uses): '*' also
// crosses '/'; a pattern ending in '/' means everything under that folder.
bool glob_match(const std::string& pattern, const std::string& path);

// Files kept by the patterns: any include (all when none), then no exclude.
std::vector<std::string> filter_files(const std::vector<std::string>& files, const std::vector<std::string>& include,
                                      const std::vector<std::string>& exclude);

bool is_gguf_file(const std::string& path);

// The GGUF files of type `quant` (case-insensitive; every shard of a split
// file) and the best matching mmproj file when the repo has one. An empty
// quant picks Q4_K_M, else Q8_0, else the first. A quant the repo lacks is a
// prism::Error listing the types it has. `repo` names it in messages.
std::vector<std::string> pick_gguf_files(const std::vector<std::string>& files, const std::string& quant,
                                         const std::string& repo);

// The quantisation type a GGUF file name ends with ("...-Q8_0.gguf" -> "Q8_0").
std::string gguf_quant_of(const std::string& path);

}  // namespace prism::hub
