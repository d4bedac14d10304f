// One client connection as a request handler sees it: send a whole response,
// or stream Server-Sent Events with chunked transfer encoding. Every write
// has a timeout, so a client that stops reading cannot hold a handler. The
// connection is plain TCP or TLS; handlers do not need to know which.
#pragma once

#include <utility>  // before asio: Boost 1.74's awaitable.hpp uses std::exchange
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <string>
#include <string_view>
#include <variant>

#include "server/tls_stream.h"

namespace prism::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// The connection's stream: plain TCP, or TLS over TCP.
using Transport = std::variant<beast::tcp_stream*, TlsStream*>;

class HttpConnection {
 public:
  // idle_timeout: how long the server keeps an idle keep-alive connection
  // open; told to the client (Keep-Alive: timeout=N) so that it does not
  // send its next request on a socket the server is closing.
  HttpConnection(Transport transport, std::chrono::milliseconds write_timeout,
                 std::chrono::milliseconds idle_timeout = std::chrono::milliseconds(0))
      : transport_(transport), write_timeout_(write_timeout), idle_timeout_(idle_timeout) {}

  // For handlers that take the stream over (WebSocket upgrade): move from it.
  Transport transport() const { return transport_; }

  // Sends a complete response. False when the client is gone.
  net::awaitable<bool> send(Response response);

  // Starts a 200 text/event-stream response; `extra` headers are copied in.
  net::awaitable<bool> start_event_stream(const http::fields& extra, unsigned version, bool keep_alive);
  // Sends "data: <data>\n\n" as one chunk.
  net::awaitable<bool> send_event(std::string_view data);
  net::awaitable<bool> end_event_stream();
  bool event_stream_started() const { return streaming_; }

  // Forgets the previous response's state (keep-alive connections).
  void begin_request(bool keep_alive) {
    streaming_ = false;
    status_ = 0;
    keep_alive_ = keep_alive;
  }

  // Whether the connection may serve another request after this one.
  bool keep_alive() const { return keep_alive_; }
  void set_keep_alive(bool keep) { keep_alive_ = keep; }
  // Set by handlers that take the socket over (WebSocket upgrade).
  bool taken_over() const { return taken_over_; }
  void mark_taken_over() { taken_over_ = true; }
  // HTTP status of the response sent (for logs and metrics).
  unsigned status() const { return status_; }
  // A handler that took the stream over and answered there (101 Switching
  // Protocols) records that status here.
  void set_status(unsigned status) { status_ = status; }
  // Adds Keep-Alive: timeout=N (whole seconds, rounded down) to a kept-alive response.
  template <class Fields>
  void advertise_idle_timeout(Fields& headers) const {
    if (keep_alive_ && idle_timeout_.count() > 0)
      headers.set("Keep-Alive", "timeout=" + std::to_string(idle_timeout_.count() / 1000));
  }

 private:
  Transport transport_;
  std::chrono::milliseconds write_timeout_;
  std::chrono::milliseconds idle_timeout_;
  bool streaming_ = false;
  bool keep_alive_ = true;
  bool taken_over_ = false;
  unsigned status_ = 0;
};

}  // namespace prism::server
