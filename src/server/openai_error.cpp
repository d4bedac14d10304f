#include "server/openai_error.h"

namespace prism::server {

nlohmann::json ApiError::body() const {
  nlohmann::json e = {{"message", message},
                      {"type", type},
                      {"param", param ? nlohmann::json(*param) : nlohmann::json(nullptr)},
                      {"code", code ? nlohmann::json(*code) : nlohmann::json(nullptr)}};
  for (auto it = extra.begin(); it != extra.end(); ++it) e[it.key()] = it.value();
  return {{"error", e}};
}

ApiError bad_request(std::string message, std::optional<std::string> param, std::optional<std::string> code) {
  ApiError e;
  e.message = std::move(message);
  e.param = std::move(param);
  e.code = std::move(code);
  return e;
}

Response make_json_response(http::status status, const nlohmann::json& body, unsigned version,
                            const std::string& request_id) {
  Response res{status, version};
  res.set(http::field::content_type, "application/json");
  res.set(http::field::server, "prism");
  if (!request_id.empty()) res.set("x-request-id", request_id);
  res.body() = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return res;
}

Response make_error_response(const ApiError& error, unsigned version, const std::string& request_id) {
  Response res = make_json_response(error.status, error.body(), version, request_id);
  if (error.retry_after_s) res.set(http::field::retry_after, std::to_string(*error.retry_after_s));
  if (error.status == http::status::unauthorized) res.set(http::field::www_authenticate, "Bearer");
  return res;
}

}  // namespace prism::server
