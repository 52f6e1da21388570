// Client-side TLS set-up shared by every outbound connection: LLM providers
// (http_client), WebSocket channels (ws_client) and IRC. One place decides the minimum
// version, where trusted CAs come from and how the peer's name is checked.
//
// Threading: loop thread (the shared context is a process-wide lazily made object).
#pragma once
#include <memory>
#include <string>

namespace boost::asio::ssl {
class context;
}
struct ssl_st;

namespace simpleclaw::net {

// A TLS 1.2+ client context that verifies peers against `ca_file`, or, for "", the
// process-wide shared context (system store, or SSL_CERT_FILE / SSL_CERT_DIR as they were
// when it was made; reset_shared_tls_context() drops it). nullptr with `error` set (what
// could not be loaded, and which file) on failure.
std::shared_ptr<boost::asio::ssl::context> client_tls_context(const std::string& ca_file,
                                                              std::string& error);
// A context that does not verify the peer (IRC's explicit tls_verify: false only).
std::shared_ptr<boost::asio::ssl::context> unverified_tls_context();

// Sets SNI and the name the certificate must carry on a client connection: the host name
// (checked against the certificate's names) or, for an IP literal, the address (no SNI,
// RFC 6066). A trailing '.' is ignored. verify=false sets SNI only.
void set_tls_peer_name(ssl_st* ssl, std::string host, bool verify = true);

}  // namespace simpleclaw::net
