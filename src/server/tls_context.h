// The server side of TLS: one context built from the PEM certificate (chain)
// and private key named by [server] tls_cert / tls_key or --tls-cert /
// --tls-key. TLS 1.2 at least; ALPN, when the client offers it, settles on
// http/1.1 (the only protocol Beast speaks).
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

namespace prism::server {

// Throws prism::Error naming the file and what is wrong with it: missing or
// unreadable, not PEM, an encrypted key (prism asks for no passphrase), a
// key that does not match the certificate.
std::unique_ptr<boost::asio::ssl::context> make_server_tls_context(const std::string& cert_file,
                                                                   const std::string& key_file);

}  // namespace prism::server
