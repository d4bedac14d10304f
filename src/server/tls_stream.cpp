#include "server/tls_stream.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>

#include "core/log.h"
#include "server/openai_error.h"

namespace prism::server {
namespace {

using boost::system::error_code;
using tcp = net::ip::tcp;

// The close_notify exchange, and the lingering read after a plain-HTTP
// answer: short, since the connection is done either way.
constexpr auto kClosingTimeout = std::chrono::seconds(2);

// OpenSSL recognises an HTTP request line where a TLS record should start.
bool is_plain_http(const error_code& ec) {
  if (ec.category() != net::error::get_ssl_category()) return false;
  const auto code = static_cast<unsigned long>(static_cast<unsigned int>(ec.value()));
  return ERR_GET_REASON(code) == SSL_R_HTTP_REQUEST;
}

// Answers in the clear, as a plain-HTTP client expects, then closes our
// side and reads what is left so that closing does not reset the
// connection before the client has read the answer.
net::awaitable<void> answer_plain_http(beast::tcp_stream& tcp) {
  ApiError error{http::status::bad_request, "this port speaks HTTPS: use https:// (plain HTTP was sent to a TLS port)",
                 "invalid_request_error", std::nullopt, "tls_required"};
  Response response = make_error_response(error, 11, "");
  response.keep_alive(false);
  response.prepare_payload();
  error_code ec;
  tcp.expires_after(kClosingTimeout);
  co_await http::async_write(tcp, response, net::redirect_error(net::use_awaitable, ec));
  if (ec) co_return;
  tcp.socket().shutdown(tcp::socket::shutdown_send, ec);
  char sink[512];
  while (!ec) co_await tcp.async_read_some(net::buffer(sink), net::redirect_error(net::use_awaitable, ec));
}

}  // namespace

net::awaitable<bool> tls_accept(TlsStream& stream, std::chrono::milliseconds deadline) {
  beast::tcp_stream& tcp = beast::get_lowest_layer(stream);
  error_code ec;
  const auto peer = tcp.socket().remote_endpoint(ec);
  tcp.expires_after(deadline);
  co_await stream.async_handshake(net::ssl::stream_base::server, net::redirect_error(net::use_awaitable, ec));
  if (!ec) co_return true;
  if (ec == net::error::operation_aborted) co_return false;  // the server drains
  nlohmann::json fields{{"peer", peer.address().to_string() + ":" + std::to_string(peer.port())}};
  if (is_plain_http(ec)) {
    log::info("plain HTTP request on the TLS port; answered 400", fields);
    co_await answer_plain_http(tcp);
    co_return false;
  }
  if (ec == beast::error::timeout)
    fields["error"] = "no handshake within " + std::to_string(deadline.count()) + " ms";
  else if (ec == net::ssl::error::stream_truncated || ec == net::error::eof || ec == net::error::connection_reset)
    fields["error"] = "the client closed the connection during the handshake";
  else
    fields["error"] = ec.message();  // OpenSSL's reason: "wrong version number", "tlsv1 alert unknown ca"...
  log::info("TLS handshake failed", fields);
  co_return false;
}

net::awaitable<void> tls_shutdown(TlsStream& stream) {
  error_code ec;
  beast::get_lowest_layer(stream).expires_after(kClosingTimeout);
  co_await stream.async_shutdown(net::redirect_error(net::use_awaitable, ec));
  // Whatever the peer did (answered, closed, stayed silent), we are done.
}

}  // namespace prism::server
