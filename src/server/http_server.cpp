#include "server/http_server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <type_traits>

#include "core/error.h"
#include "core/log.h"
#include "server/tls_stream.h"

namespace prism::server {

using tcp = net::ip::tcp;
using boost::system::error_code;

HttpServer::HttpServer(net::io_context& io, const ServerSettings& settings, Handler handler,
                       std::unique_ptr<net::ssl::context> tls)
    : io_(io), settings_(settings), handler_(std::move(handler)), tls_(std::move(tls)), acceptor_(io) {}

unsigned short HttpServer::start() {
  error_code ec;
  const auto address = net::ip::make_address(settings_.host, ec);
  if (ec) throw Error("invalid listen address '" + settings_.host + "': " + ec.message());
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(settings_.port));
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    throw Error("cannot listen on " + settings_.host + ":" + std::to_string(settings_.port) + ": " + ec.message());
  net::co_spawn(io_, accept_loop(), net::detached);
  return acceptor_.local_endpoint().port();
}

void HttpServer::begin_shutdown() {
  if (draining_.exchange(true)) return;
  net::post(acceptor_.get_executor(), [this] {
    error_code ec;
    acceptor_.close(ec);
  });
  std::lock_guard<std::mutex> lock(sessions_mutex_);
  for (auto& [id, entry] : sessions_) {
    if (!entry.idle) continue;
    // Checked again on the session's strand: by then it may have got a
    // request (it finishes that one) or ended (its stream is gone).
    net::post(entry.executor, [this, id = id] {
      std::lock_guard<std::mutex> strand_lock(sessions_mutex_);
      auto it = sessions_.find(id);
      if (it == sessions_.end() || !it->second.idle) return;
      error_code ec;
      it->second.stream->socket().cancel(ec);
    });
  }
}

void HttpServer::set_idle(std::uint64_t id, bool idle) {
  std::lock_guard<std::mutex> lock(sessions_mutex_);
  if (auto it = sessions_.find(id); it != sessions_.end()) it->second.idle = idle;
}

net::awaitable<void> HttpServer::accept_loop() {
  for (;;) {
    error_code ec;
    Strand strand = net::make_strand(io_);
    tcp::socket socket(strand);
    co_await acceptor_.async_accept(socket, net::redirect_error(net::use_awaitable, ec));
    if (draining_ || ec == net::error::operation_aborted || !acceptor_.is_open()) co_return;
    if (ec) {
      log::warn("accept failed", {{"error", ec.message()}});
      continue;
    }
    if (open_connections_.load() >= settings_.max_connections) {
      log::warn("connection refused: too many open connections", {{"limit", settings_.max_connections}});
      socket.close(ec);
      continue;
    }
    // Streams are many small writes: without TCP_NODELAY, Nagle's algorithm
    // and the client's delayed ACK hold each SSE event for up to 40 ms.
    socket.set_option(tcp::no_delay(true), ec);
    std::uint64_t id;
    {
      std::lock_guard<std::mutex> lock(sessions_mutex_);
      id = next_session_id_++;
    }
    net::co_spawn(strand, session(beast::tcp_stream(std::move(socket)), id), net::detached);
  }
}

net::awaitable<void> HttpServer::session(beast::tcp_stream stream, std::uint64_t id) {
  if (!tls_) {
    co_await serve(stream, id);
  } else {
    TlsStream tls(std::move(stream), *tls_);
    co_await serve(tls, id);
  }
}

template <class Stream>
net::awaitable<void> HttpServer::serve(Stream& stream, std::uint64_t id) {
  constexpr bool kTls = std::is_same_v<Stream, TlsStream>;
  beast::tcp_stream& tcp = beast::get_lowest_layer(stream);
  {
    std::lock_guard<std::mutex> lock(sessions_mutex_);
    sessions_.emplace(id, SessionEntry{tcp.get_executor(), &tcp, true});
  }
  ++open_connections_;
  bool ready = true;
  if constexpr (kTls) ready = co_await tls_accept(stream, std::chrono::milliseconds(settings_.request_timeout_ms));
  beast::flat_buffer buffer;
  HttpConnection connection(&stream, std::chrono::milliseconds(settings_.write_timeout_ms),
                            std::chrono::milliseconds(settings_.request_timeout_ms));

  while (ready && !draining_) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(settings_.max_header_bytes));
    parser.body_limit(settings_.max_body_bytes);
    tcp.expires_after(std::chrono::milliseconds(settings_.request_timeout_ms));
    error_code ec;
    set_idle(id, true);
    co_await http::async_read(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
    set_idle(id, false);
    if (ec == http::error::end_of_stream || ec == net::error::operation_aborted || ec == beast::error::timeout ||
        ec == net::error::connection_reset || ec == net::error::eof || ec == net::ssl::error::stream_truncated)
      break;
    if (ec.category() == net::error::get_ssl_category()) {
      // A TLS-level failure: no HTTP answer can get through it.
      log::info("TLS connection error", {{"error", ec.message()}});
      break;
    }
    if (ec) {
      // The request cannot be read to its end: answer and close.
      ApiError error;
      if (ec == http::error::body_limit) {
        error.status = http::status::payload_too_large;
        error.message = "request body exceeds the limit of " + std::to_string(settings_.max_body_bytes) + " bytes";
        error.code = "request_too_large";
      } else if (ec == http::error::header_limit) {
        error.status = http::status::request_header_fields_too_large;
        error.message = "request headers exceed the limit of " + std::to_string(settings_.max_header_bytes) + " bytes";
        error.code = "headers_too_large";
      } else {
        error.message = "malformed HTTP request: " + ec.message();
      }
      connection.set_keep_alive(false);
      co_await connection.send(make_error_response(error, 11, ""));
      break;
    }
    Request request = parser.release();
    connection.begin_request(request.keep_alive() && !draining_);
    co_await handler_(request, connection);
    if (connection.taken_over() || !connection.keep_alive() || draining_) break;
  }

  if (!connection.taken_over()) {
    if constexpr (kTls)
      if (ready && tcp.socket().is_open()) co_await tls_shutdown(stream);
    error_code ec;
    tcp.socket().shutdown(tcp::socket::shutdown_send, ec);
    tcp.close();
  }
  {
    std::lock_guard<std::mutex> lock(sessions_mutex_);
    sessions_.erase(id);
  }
  --open_connections_;
}

}  // namespace prism::server
