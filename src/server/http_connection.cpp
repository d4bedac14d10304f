#include "server/http_connection.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace prism::server {

using boost::system::error_code;

namespace {

// Arms the write timeout and awaits `write(stream)` on whichever stream the
// connection has; `write` starts one asynchronous write and returns it.
template <class Write>
net::awaitable<void> timed_write(const Transport& transport, std::chrono::milliseconds timeout, Write write) {
  if (auto* const* plain = std::get_if<beast::tcp_stream*>(&transport)) {
    (*plain)->expires_after(timeout);
    co_await write(**plain);
  } else {
    TlsStream& tls = *std::get<TlsStream*>(transport);
    beast::get_lowest_layer(tls).expires_after(timeout);
    co_await write(tls);
  }
}

}  // namespace

net::awaitable<bool> HttpConnection::send(Response response) {
  status_ = response.result_int();
  response.keep_alive(keep_alive_ && response.keep_alive());
  keep_alive_ = response.keep_alive();
  advertise_idle_timeout(response);
  // A HEAD answer sets the length of the body it leaves out; all others
  // get theirs from the body.
  if (!response.has_content_length()) response.prepare_payload();
  error_code ec;
  co_await timed_write(transport_, write_timeout_, [&](auto& stream) {
    return http::async_write(stream, response, net::redirect_error(net::use_awaitable, ec));
  });
  if (ec) keep_alive_ = false;
  co_return !ec;
}

net::awaitable<bool> HttpConnection::start_event_stream(const http::fields& extra, unsigned version,
                                                        bool keep_alive) {
  http::response<http::empty_body> res{http::status::ok, version};
  for (const auto& field : extra) res.set(field.name_string(), field.value());
  res.set(http::field::content_type, "text/event-stream");
  res.set(http::field::cache_control, "no-cache");
  res.keep_alive(keep_alive && keep_alive_);
  keep_alive_ = res.keep_alive();
  advertise_idle_timeout(res);
  res.chunked(true);
  status_ = 200;
  streaming_ = true;
  http::response_serializer<http::empty_body> serializer{res};
  error_code ec;
  co_await timed_write(transport_, write_timeout_, [&](auto& stream) {
    return http::async_write_header(stream, serializer, net::redirect_error(net::use_awaitable, ec));
  });
  if (ec) keep_alive_ = false;
  co_return !ec;
}

net::awaitable<bool> HttpConnection::send_event(std::string_view data) {
  std::string event;
  event.reserve(data.size() + 8);
  event += "data: ";
  event += data;
  event += "\n\n";
  error_code ec;
  co_await timed_write(transport_, write_timeout_, [&](auto& stream) {
    return net::async_write(stream, http::make_chunk(net::buffer(event)), net::redirect_error(net::use_awaitable, ec));
  });
  if (ec) keep_alive_ = false;
  co_return !ec;
}

net::awaitable<bool> HttpConnection::end_event_stream() {
  error_code ec;
  co_await timed_write(transport_, write_timeout_, [&](auto& stream) {
    return net::async_write(stream, http::make_chunk_last(), net::redirect_error(net::use_awaitable, ec));
  });
  if (ec) keep_alive_ = false;
  co_return !ec;
}

}  // namespace prism::server
