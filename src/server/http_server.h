// The HTTP/1.1 listener: accepts connections, reads requests under limits
// (header size, body size, a deadline for the whole request so a slow-loris
// client cannot hold a connection), serves keep-alive, and drains cleanly on
// shutdown: stop accepting, close idle connections, let requests in progress
// finish.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>

#include "server/config.h"
#include "server/http_connection.h"
#include "server/openai_error.h"

namespace prism::server {

class HttpServer {
 public:
  using Handler = std::function<net::awaitable<void>(Request&, HttpConnection&)>;

  HttpServer(net::io_context& io, const ServerSettings& settings, Handler handler);

  // Binds and starts accepting; returns the bound port. Throws prism::Error.
  unsigned short start();
  // Stops accepting and closes idle keep-alive connections; requests in
  // progress finish and their connections close after the response.
  void begin_shutdown();
  bool draining() const { return draining_.load(); }
  int open_connections() const { return open_connections_.load(); }

 private:
  using Strand = net::strand<net::io_context::executor_type>;
  struct SessionEntry {
    net::any_io_executor executor;  // the session's strand
    beast::tcp_stream* stream;
    bool idle;
  };

  net::awaitable<void> accept_loop();
  net::awaitable<void> session(beast::tcp_stream stream, std::uint64_t id);
  void set_idle(std::uint64_t id, bool idle);

  net::io_context& io_;
  ServerSettings settings_;
  Handler handler_;
  net::ip::tcp::acceptor acceptor_;
  std::atomic<bool> draining_{false};
  std::atomic<int> open_connections_{0};
  std::mutex sessions_mutex_;
  std::map<std::uint64_t, SessionEntry> sessions_;
  std::uint64_t next_session_id_ = 0;
};

}  // namespace prism::server
