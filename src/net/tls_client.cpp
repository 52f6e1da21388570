#include "net/tls_client.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>

#include "net/http_client.h"

namespace simpleclaw::net {
namespace ssl = boost::asio::ssl;

namespace {

std::shared_ptr<ssl::context> make(const std::string& ca_file, std::string& error) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  boost::system::error_code ec;
  if (ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
    if (ec) error = "cannot load the system CA store: " + ec.message();
  } else {
    ctx->load_verify_file(ca_file, ec);
    if (ec) error = "cannot load the CA file " + ca_file + ": " + ec.message();
  }
  if (ec) return nullptr;
  ctx->set_verify_mode(ssl::verify_peer, ec);
  return ctx;
}

// Loading the system store costs milliseconds: one context for every connection that
// uses it.
std::shared_ptr<ssl::context>& shared_slot() {
  static std::shared_ptr<ssl::context> ctx;
  return ctx;
}

}  // namespace

std::shared_ptr<ssl::context> client_tls_context(const std::string& ca_file, std::string& error) {
  if (!ca_file.empty()) return make(ca_file, error);
  auto& shared = shared_slot();
  if (!shared) shared = make("", error);
  return shared;
}

std::shared_ptr<ssl::context> unverified_tls_context() {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  boost::system::error_code ec;
  ctx->set_verify_mode(ssl::verify_none, ec);
  return ctx;
}

void reset_shared_tls_context() { shared_slot().reset(); }

void set_tls_peer_name(ssl_st* ssl, std::string host, bool verify) {
  if (!host.empty() && host.back() == '.') host.pop_back();
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  if (!ec) {
    // No SNI for addresses (RFC 6066); the certificate must name the IP.
    if (verify) X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
    return;
  }
  SSL_set_tlsext_host_name(ssl, host.c_str());
  if (verify) SSL_set1_host(ssl, host.c_str());
}

}  // namespace simpleclaw::net
