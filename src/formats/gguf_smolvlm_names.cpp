#include "formats/gguf_smolvlm_names.h"

#include <cctype>

#include "core/error.h"

namespace prism::formats {

namespace {

// Matches `name` against `pattern` (with at most one "{N}"); returns the layer digits ("" when none).
std::optional<std::string> match(std::string_view pattern, std::string_view name) {
  const auto at = pattern.find("{N}");
  if (at == std::string_view::npos) return pattern == name ? std::optional<std::string>("") : std::nullopt;
  const auto prefix = pattern.substr(0, at), suffix = pattern.substr(at + 3);
  if (name.size() <= prefix.size() + suffix.size() || !name.starts_with(prefix) || !name.ends_with(suffix))
    return std::nullopt;
  const auto digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  for (char c : digits)
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;  // one spelling per index
  return std::string(digits);
}

std::string fill(std::string_view pattern, const std::string& digits) {
  std::string s(pattern);
  const auto at = s.find("{N}");
  if (at != std::string::npos) s.replace(at, 3, digits);
  return s;
}

template <bool kFromHf>
std::optional<std::string> translate(std::string_view name) {
  for (const auto table : {std::span<const GgufNamePair>(kSmolVlmTextNames), std::span<const GgufNamePair>(kSmolVlmMmprojNames)})
    for (const auto& p : table)
      if (auto digits = match(kFromHf ? p.hf : p.gguf, name)) return fill(kFromHf ? p.gguf : p.hf, *digits);
  return std::nullopt;
}

}  // namespace

std::optional<std::string> smolvlm_hf_to_gguf(std::string_view hf_name) { return translate<true>(hf_name); }
std::optional<std::string> smolvlm_gguf_to_hf(std::string_view gguf_name) { return translate<false>(gguf_name); }

std::int64_t llama_unpermuted_row(std::int64_t gguf_row, std::int64_t rows, std::int64_t n_head) {
  if (n_head <= 0 || rows % (2 * n_head) != 0 || gguf_row < 0 || gguf_row >= rows)
    throw Error("llama_unpermuted_row: row " + std::to_string(gguf_row) + " of " + std::to_string(rows) +
                " rows does not fit " + std::to_string(n_head) + " heads");
  const std::int64_t head_dim = rows / n_head;
  const std::int64_t head = gguf_row / head_dim, r = gguf_row % head_dim;
  return head * head_dim + (r % 2) * (head_dim / 2) + r / 2;
}

}  // namespace prism::formats
