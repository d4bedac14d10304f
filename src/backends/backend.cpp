#include "backends/backend.h"

namespace prism::backends {

std::string to_string(FailureKind kind) {
  switch (kind) {
    case FailureKind::connect: return "connect_error";
    case FailureKind::first_token_timeout: return "first_token_timeout";
    case FailureKind::total_timeout: return "total_timeout";
    case FailureKind::http_status: return "http_status";
    case FailureKind::protocol: return "protocol_error";
    case FailureKind::client_gone: return "client_disconnected";
    case FailureKind::invalid_input: return "invalid_input";
    case FailureKind::internal: return "internal_error";
    case FailureKind::overloaded: return "overloaded";
  }
  return "internal_error";
}

bool BackendFailure::retryable() const {
  switch (kind) {
    case FailureKind::connect:
    case FailureKind::first_token_timeout:
    case FailureKind::total_timeout:
    case FailureKind::protocol:
    case FailureKind::internal:
    case FailureKind::overloaded:
      return true;
    case FailureKind::http_status:
      return http_status == 429 || http_status == 408 || http_status >= 500;
    case FailureKind::client_gone:
    case FailureKind::invalid_input:
      return false;
  }
  return false;
}

}  // namespace prism::backends
