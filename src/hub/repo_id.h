// A Hugging Face model repo named the way users type it:
// `org/name`, optionally `:QUANT` (a GGUF type, as llama.cpp's -hf) and
// `@revision` (a branch, tag or commit hash).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace prism::hub {

struct RepoRef {
  std::string id;                // "org/name"
  std::string revision = "main"; // branch, tag or 40-hex commit
  bool revision_given = false;   // "@..." was written
  std::string quant;             // GGUF type ("Q8_0"), empty when not given

  // As typed back to a user: org/name[:quant][@revision].
  std::string display() const;
};

// Parses `org/name[:quant][@revision]`. nullopt (and *why, when given) if the
// text is not shaped like a repo id.
std::optional<RepoRef> parse_repo_ref(std::string_view text, std::string* why = nullptr);

// Same, but a prism::Error naming the text and what is wrong with it.
RepoRef parse_repo_ref_or_throw(std::string_view text);

// "models--org--name": the repo's folder in the Hub cache.
std::string repo_folder_name(std::string_view repo_id);

// A full git commit hash (40 lowercase hex digits): revisions of this shape
// need no ref lookup.
bool is_commit_hash(std::string_view revision);

}  // namespace prism::hub
