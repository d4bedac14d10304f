// Errors in OpenAI's shape: {"error": {"message", "type", "param", "code"}}
// with the matching HTTP status, so existing clients raise the right
// exception class.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "server/http_connection.h"

namespace prism::server {

struct ApiError {
  ApiError() = default;
  ApiError(http::status status_, std::string message_, std::string type_ = "invalid_request_error",
           std::optional<std::string> param_ = std::nullopt, std::optional<std::string> code_ = std::nullopt)
      : status(status_), message(std::move(message_)), type(std::move(type_)), param(std::move(param_)),
        code(std::move(code_)) {}

  http::status status = http::status::bad_request;
  std::string message;
  std::string type = "invalid_request_error";
  std::optional<std::string> param;
  std::optional<std::string> code;
  nlohmann::json extra = nlohmann::json::object();  // merged into "error" (e.g. the router's explanation)
  std::optional<int> retry_after_s;

  nlohmann::json body() const;
};

ApiError bad_request(std::string message, std::optional<std::string> param = std::nullopt,
                     std::optional<std::string> code = std::nullopt);

Response make_error_response(const ApiError& error, unsigned version, const std::string& request_id);
Response make_json_response(http::status status, const nlohmann::json& body, unsigned version,
                            const std::string& request_id);

}  // namespace prism::server
