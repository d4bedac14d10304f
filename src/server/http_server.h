// The HTTP/1.1 listener: accepts connections, reads requests under limits
// (header size, body size, a deadline for the whole request so a slow-loris
// client cannot hold a connection), serves keep-alive, and drains cleanly on
// shutdown: stop accepting, close idle connections, let requests in progress
// finish. With a TLS context it speaks HTTPS (the handshake under the same
// deadline as a request); requests are served by the same code either way.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/strand.hpp>

#include "server/config.h"
#include "server/http_connection.h"
#include "server/openai_error.h"

namespace prism::server {

class HttpServer {
 public:
  using Handler = std::function<net::awaitable<void>(Request&, HttpConnection&)>;

  // `tls` (server/tls_context.h), when given, makes every connection HTTPS.
  HttpServer(net::io_context& io, const ServerSettings& settings, Handler handler,
             std::unique_ptr<net::ssl::context> tls = nullptr);

  // Binds and starts accepting; returns the bound port. Throws prism::Error.
  unsigned short start();
  // Stops accepting and closes idle keep-alive connections; requests in
  // progress finish and their connections close after the response.
  void begin_shutdown();
  bool draining() const { return draining_.load(); }
  bool secure() const { return tls_ != nullptr; }
  int open_connections() const { return open_connections_.load(); }

 private:
  using Strand = net::strand<net::io_context::executor_type>;
  struct SessionEntry {
    net::any_io_executor executor;  // the session's strand
    beast::tcp_stream* stream;      // the TCP layer, under TLS too
    bool idle;                      // waiting for a request (or a TLS handshake)
  };

  net::awaitable<void> accept_loop();
  net::awaitable<void> session(beast::tcp_stream stream, std::uint64_t id);
  // The request loop over either stream (beast::tcp_stream or TlsStream).
  template <class Stream>
  net::awaitable<void> serve(Stream& stream, std::uint64_t id);
  void set_idle(std::uint64_t id, bool idle);

  net::io_context& io_;
  ServerSettings settings_;
  Handler handler_;
  std::unique_ptr<net::ssl::context> tls_;
  net::ip::tcp::acceptor acceptor_;
  std::atomic<bool> draining_{false};
  std::atomic<int> open_connections_{0};
  std::mutex sessions_mutex_;
  std::map<std::uint64_t, SessionEntry> sessions_;
  std::uint64_t next_session_id_ = 0;
};

}  // namespace prism::server
