// The server's TLS context from PEM files: a good pair loads (TLS 1.2 at
// least), and each kind of bad file is a prism::Error naming the file and
// what is wrong. Certificates and keys are made here with OpenSSL's API.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "core/error.h"
#include "server/tls_context.h"

namespace prism::server {
namespace {

namespace fs = std::filesystem;

struct Pem {
  std::string cert;
  std::string key;
  std::string encrypted_key;
};

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string text(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return text;
}

// A fresh P-256 key and a self-signed certificate for it, valid one day.
Pem make_pem() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());
  Pem pem;
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  pem.cert = bio_text(bio);
  bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  pem.key = bio_text(bio);
  bio = BIO_new(BIO_s_mem());
  char pass[] = "secret";
  PEM_write_bio_PKCS8PrivateKey(bio, key, EVP_aes_128_cbc(), pass, 6, nullptr, nullptr);
  pem.encrypted_key = bio_text(bio);
  X509_free(cert);
  EVP_PKEY_free(key);
  return pem;
}

class TlsContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("prism_tls_" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
    const Pem a = make_pem();
    const Pem b = make_pem();
    cert_ = write("cert.pem", a.cert);
    key_ = write("key.pem", a.key);
    other_key_ = write("other-key.pem", b.key);
    encrypted_key_ = write("encrypted-key.pem", a.encrypted_key);
    text_ = write("notes.txt", "not PEM at all\n");
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }

  // The message of the prism::Error thrown for this pair (fails when none is).
  static std::string error_for(const std::string& cert, const std::string& key) {
    try {
      make_server_tls_context(cert, key);
    } catch (const Error& e) {
      return e.what();
    }
    ADD_FAILURE() << "no error for " << cert << " / " << key;
    return "";
  }

  fs::path dir_;
  std::string cert_, key_, other_key_, encrypted_key_, text_;
};

TEST_F(TlsContextTest, LoadsAMatchingPairWithTls12AtLeast) {
  auto ctx = make_server_tls_context(cert_, key_);
  ASSERT_NE(ctx, nullptr);
  EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx->native_handle()), TLS1_2_VERSION);
  EXPECT_EQ(SSL_CTX_check_private_key(ctx->native_handle()), 1);
}

TEST_F(TlsContextTest, MissingFiles) {
  const std::string missing = (dir_ / "missing.pem").string();
  EXPECT_EQ(error_for(missing, key_), "TLS certificate file '" + missing + "' does not exist");
  EXPECT_EQ(error_for(cert_, missing), "TLS key file '" + missing + "' does not exist");
  EXPECT_EQ(error_for(dir_.string(), key_), "TLS certificate file '" + dir_.string() + "' is not a regular file");
}

TEST_F(TlsContextTest, FilesThatAreNotPem) {
  EXPECT_NE(error_for(text_, key_).find("TLS certificate file '" + text_ + "' is not a PEM certificate"), std::string::npos);
  EXPECT_NE(error_for(cert_, text_).find("TLS key file '" + text_ + "' is not a PEM private key"), std::string::npos);
  // A PEM block whose content is not a certificate.
  const std::string broken = write("broken.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  EXPECT_NE(error_for(broken, key_).find("TLS certificate file '" + broken + "' cannot be parsed: "), std::string::npos);
}

TEST_F(TlsContextTest, SwappedCertificateAndKey) {
  EXPECT_NE(error_for(key_, cert_).find("holds a private key, not a certificate (are the certificate and key swapped?)"),
            std::string::npos);
  EXPECT_NE(error_for(cert_, cert_).find("TLS key file '" + cert_ + "' holds a certificate, not a private key"),
            std::string::npos);
}

TEST_F(TlsContextTest, KeyThatDoesNotMatch) {
  EXPECT_EQ(error_for(cert_, other_key_),
            "TLS key file '" + other_key_ + "' does not match the certificate in '" + cert_ + "'");
}

TEST_F(TlsContextTest, EncryptedKeyIsRefusedWithoutPrompting) {
  EXPECT_NE(error_for(cert_, encrypted_key_).find("TLS key file '" + encrypted_key_ + "' is encrypted"),
            std::string::npos);
}

}  // namespace
}  // namespace prism::server
