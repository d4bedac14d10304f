#include "server/tls_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/log.h"

namespace prism::server {
namespace {

namespace ssl = boost::asio::ssl;

// The reason of the oldest error OpenSSL queued (the root cause), and an
// empty queue afterwards so later calls start clean.
std::string openssl_reason() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  const char* reason = ERR_reason_error_string(code);
  return reason ? reason : "OpenSSL error " + std::to_string(code);
}

std::string read_pem_file(const std::string& path, const std::string& what) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status))
    throw Error("TLS " + what + " file '" + path + "' does not exist");
  if (!std::filesystem::is_regular_file(status))
    throw Error("TLS " + what + " file '" + path + "' is not a regular file");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) throw Error("TLS " + what + " file '" + path + "' cannot be read: " + std::strerror(errno));
  return text.str();
}

// Never prompts on the terminal for a passphrase: an encrypted key fails.
int no_passphrase(char*, int, int, void*) { return 0; }

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

// Agrees on http/1.1 when the client offers it; otherwise no ALPN at all
// (rather than a fatal alert), as servers without ALPN behave.
int select_http11(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned int inlen,
                  void*) {
  static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kHttp11, sizeof kHttp11, in, inlen) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

void load_certificate(ssl::context& ctx, const std::string& path) {
  const std::string pem = read_pem_file(path, "certificate");
  if (pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    if (pem.find("PRIVATE KEY-----") != std::string::npos)
      throw Error("TLS certificate file '" + path +
                  "' holds a private key, not a certificate (are the certificate and key swapped?)");
    throw Error("TLS certificate file '" + path + "' is not a PEM certificate (no '-----BEGIN CERTIFICATE-----' block)");
  }
  boost::system::error_code ec;
  ERR_clear_error();
  ctx.use_certificate_chain(boost::asio::buffer(pem), ec);
  if (ec) throw Error("TLS certificate file '" + path + "' cannot be parsed: " + openssl_reason());
}

void load_key(ssl::context& ctx, const std::string& path, const std::string& cert_path) {
  const std::string pem = read_pem_file(path, "key");
  if (pem.find("PRIVATE KEY-----") == std::string::npos) {
    if (pem.find("-----BEGIN CERTIFICATE-----") != std::string::npos)
      throw Error("TLS key file '" + path + "' holds a certificate, not a private key (are the certificate and key swapped?)");
    throw Error("TLS key file '" + path + "' is not a PEM private key (no '-----BEGIN ... PRIVATE KEY-----' block)");
  }
  if (pem.find("ENCRYPTED") != std::string::npos)
    throw Error("TLS key file '" + path + "' is encrypted; prism needs an unencrypted key (e.g. `openssl pkey -in " +
                path + " -out key.pem`)");
  ERR_clear_error();
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::unique_ptr<EVP_PKEY, KeyFree> key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr)
                                             : nullptr);
  if (!key) throw Error("TLS key file '" + path + "' cannot be parsed: " + openssl_reason());
  X509* cert = SSL_CTX_get0_certificate(ctx.native_handle());
  if (!cert || X509_check_private_key(cert, key.get()) != 1) {
    ERR_clear_error();
    throw Error("TLS key file '" + path + "' does not match the certificate in '" + cert_path + "'");
  }
  if (SSL_CTX_use_PrivateKey(ctx.native_handle(), key.get()) != 1)
    throw Error("TLS key file '" + path + "' cannot be used: " + openssl_reason());
}

}  // namespace

std::unique_ptr<ssl::context> make_server_tls_context(const std::string& cert_file, const std::string& key_file) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  SSL_CTX_set_default_passwd_cb(ctx->native_handle(), no_passphrase);
  SSL_CTX_set_alpn_select_cb(ctx->native_handle(), select_http11, nullptr);
  load_certificate(*ctx, cert_file);
  load_key(*ctx, key_file, cert_file);
  // An expired certificate still serves (a test setup may want it), but
  // every client will refuse it: say so once, at startup.
  if (X509* cert = SSL_CTX_get0_certificate(ctx->native_handle());
      cert && X509_cmp_current_time(X509_get0_notAfter(cert)) < 0)
    log::warn("TLS certificate has expired; clients will refuse it", {{"file", cert_file}});
  return ctx;
}

}  // namespace prism::server
