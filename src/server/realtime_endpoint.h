// GET /v1/realtime: the OpenAI Realtime protocol over a WebSocket. The HTTP
// session hands its socket over (HttpConnection::mark_taken_over) and awaits
// this coroutine, which owns the WebSocket until it closes. Frames go to a
// voice::RealtimeSession; its events are queued and written, in order, by
// one writer coroutine on the connection's strand.
#pragma once

#include "server/gateway.h"
#include "server/realtime_registry.h"

namespace prism::server {

// Serves one upgrade request to its end (the WebSocket's close). Answers an
// HTTP error instead when the request is not a valid upgrade or is refused.
net::awaitable<void> serve_realtime(Gateway& gateway, RealtimeRegistry& registry, Request& request,
                                    HttpConnection& connection, RequestContext& ctx);

}  // namespace prism::server
