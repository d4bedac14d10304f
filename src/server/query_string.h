// The query of a request target ("limit=5&model=router%3Afast"), decoded
// the way browsers encode it (percent escapes; '+' is a space).
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace prism::server {

// Name -> value; a later repeat of a name wins; a name without '=' maps to
// "". A malformed escape ("%zz", a lone "%") is kept as it is.
std::map<std::string, std::string> parse_query(std::string_view query);

std::string percent_decode(std::string_view text);

}  // namespace prism::server
