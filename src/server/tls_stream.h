// The TLS side of one accepted connection: the handshake under a deadline (a
// client that never finishes it cannot hold the connection), a plain answer
// to a client that spoke plain HTTP to the HTTPS port, and the close_notify
// exchange at the end. Requests are then read and written exactly as over
// plain TCP (HttpServer and HttpConnection take either stream).
#pragma once

#include <utility>  // before asio: Boost 1.74's awaitable.hpp uses std::exchange
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>

namespace prism::server {

using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

// The server handshake, within `deadline`. False when it failed: the
// failure is logged (a plain-HTTP request first gets a 400 saying to use
// https) and the caller closes the socket.
boost::asio::awaitable<bool> tls_accept(TlsStream& stream, std::chrono::milliseconds deadline);

// Sends close_notify and waits briefly for the peer's; the caller then
// closes the socket. A peer that never answers is not waited on for long.
boost::asio::awaitable<void> tls_shutdown(TlsStream& stream);

}  // namespace prism::server
