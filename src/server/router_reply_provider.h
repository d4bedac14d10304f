// The realtime voice's brain: voice::ReplyProvider over the gateway's router.
// Each reply is an ordinary routed chat request (prepare_chat + run_chat), so
// it gets fallbacks, health accounting, metrics and a decision record like
// any HTTP request, and GET /v1/router/decisions lists voice turns too.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "server/gateway.h"
#include "voice/reply_provider.h"

namespace prism::server {

class RouterReplyProvider : public voice::ReplyProvider {
 public:
  // `executor`: where the chat coroutines run (the server's io threads).
  // `api_key` and `headers` come from the WebSocket handshake: the key's
  // model permissions and x-prism-routing-* headers apply to every reply.
  RouterReplyProvider(Gateway& gateway, net::any_io_executor executor, const ApiKey* api_key,
                      std::map<std::string, std::string> headers);

  std::unique_ptr<voice::ReplyHandle> start(const nlohmann::json& chat_messages, const voice::SessionSettings& settings,
                                            voice::ReplyCallbacks callbacks) override;

  // The chat body a reply sends: exposed for logs and tests.
  nlohmann::json chat_body(const nlohmann::json& chat_messages, const voice::SessionSettings& settings) const;

 private:
  Gateway& gateway_;
  net::any_io_executor executor_;
  const ApiKey* api_key_;
  std::map<std::string, std::string> headers_;
};

}  // namespace prism::server
