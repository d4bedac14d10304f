#include "hub/repo_id.h"

#include "core/error.h"

namespace prism::hub {
namespace {

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

// The Hub's rules for one half of a repo id: [\w.-], at most 96 characters,
// no "--" or ".." (they would collide with the cache's folder names).
bool valid_part(std::string_view part, std::string* why, const char* which) {
  auto fail = [&](const std::string& w) {
    if (why) *why = std::string(which) + " '" + std::string(part) + "' " + w;
    return false;
  };
  if (part.empty()) return fail("is empty");
  if (part.size() > 96) return fail("is longer than 96 characters");
  for (char c : part)
    if (!name_char(c)) return fail("may only hold letters, digits, '-', '_' and '.'");
  if (part.find("--") != std::string_view::npos || part.find("..") != std::string_view::npos)
    return fail("may not contain '--' or '..'");
  if (part.front() == '-' || part.front() == '.' || part.back() == '-' || part.back() == '.')
    return fail("may not start or end with '-' or '.'");
  return true;
}

bool valid_revision(std::string_view rev, std::string* why) {
  auto fail = [&](const std::string& w) {
    if (why) *why = "revision '" + std::string(rev) + "' " + w;
    return false;
  };
  if (rev.empty()) return fail("is empty");
  if (rev.size() > 255) return fail("is longer than 255 characters");
  if (rev.front() == '/' || rev.back() == '/' || rev.find("..") != std::string_view::npos ||
      rev.find("//") != std::string_view::npos)
    return fail("is not a valid git ref");
  for (char c : rev)
    if (static_cast<unsigned char>(c) <= ' ' || c == '~' || c == '^' || c == ':' || c == '?' || c == '*' ||
        c == '[' || c == '\\' || c == 0x7f)
      return fail("is not a valid git ref");
  return true;
}

}  // namespace

std::string RepoRef::display() const {
  std::string s = id;
  if (!quant.empty()) s += ":" + quant;
  if (revision_given) s += "@" + revision;
  return s;
}

std::optional<RepoRef> parse_repo_ref(std::string_view text, std::string* why) {
  RepoRef ref;
  std::string_view rest = text;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    std::string_view rev = rest.substr(at + 1);
    if (!valid_revision(rev, why)) return std::nullopt;
    ref.revision = std::string(rev);
    ref.revision_given = true;
    rest = rest.substr(0, at);
  }
  if (auto colon = rest.find(':'); colon != std::string_view::npos) {
    std::string_view quant = rest.substr(colon + 1);
    if (quant.empty()) {
      if (why) *why = "nothing after ':' (give a GGUF type such as Q8_0)";
      return std::nullopt;
    }
    for (char c : quant)
      if (!name_char(c)) {
        if (why) *why = "GGUF type '" + std::string(quant) + "' may only hold letters, digits, '-', '_' and '.'";
        return std::nullopt;
      }
    ref.quant = std::string(quant);
    rest = rest.substr(0, colon);
  }
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos || rest.find('/', slash + 1) != std::string_view::npos) {
    if (why) *why = "a repo id is org/name (one '/')";
    return std::nullopt;
  }
  if (!valid_part(rest.substr(0, slash), why, "organisation") || !valid_part(rest.substr(slash + 1), why, "name"))
    return std::nullopt;
  ref.id = std::string(rest);
  return ref;
}

RepoRef parse_repo_ref_or_throw(std::string_view text) {
  std::string why;
  auto ref = parse_repo_ref(text, &why);
  if (!ref) throw InvalidInput("'" + std::string(text) + "' is not a Hugging Face repo id: " + why);
  return *ref;
}

std::string repo_folder_name(std::string_view repo_id) {
  std::string out = "models--";
  for (char c : repo_id) {
    if (c == '/') out += "--";
    else out += c;
  }
  return out;
}

bool is_commit_hash(std::string_view revision) {
  if (revision.size() != 40) return false;
  for (char c : revision)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace prism::hub
