// Validation of a POST /v1/chat/completions body: the fields prism reads
// must have the types OpenAI documents; errors name the parameter.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "server/openai_error.h"

namespace prism::server {

// Parses and validates; throws ApiError (400) naming the bad parameter.
nlohmann::json parse_chat_request(std::string_view body);

}  // namespace prism::server
