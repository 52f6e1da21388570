#include "gateway/server/tls.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <memory>

#include "base/fs.h"
#include "base/ids.h"

namespace simpleclaw::gateway {
namespace {

template <typename T, void (*F)(T*)>
using Owned = std::unique_ptr<T, std::integral_constant<decltype(F), F>>;

bool exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}

Status generate(const std::string& cert_path, const std::string& key_path) {
  Owned<EVP_PKEY, EVP_PKEY_free> key(EVP_EC_gen("P-256"));
  if (!key) return Error::internal("TLS: cannot generate an EC key");
  Owned<X509, X509_free> x(X509_new());
  X509_set_version(x.get(), 2);
  std::string serial = random_bytes(16);
  Owned<BIGNUM, BN_free> bn(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(serial.data()), 16, nullptr));
  BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x.get()));
  X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(x.get(), key.get());
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("simpleclaw gateway"), -1, -1,
                             0);
  X509_set_issuer_name(x.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x.get(), x.get(), nullptr, nullptr, 0);
  Owned<X509_EXTENSION, X509_EXTENSION_free> san(X509V3_EXT_conf_nid(
      nullptr, &ctx, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1"));
  if (san) X509_add_ext(x.get(), san.get(), -1);
  if (!X509_sign(x.get(), key.get(), EVP_sha256()))
    return Error::internal("TLS: cannot sign the certificate");

  auto write_pem = [](const std::string& path, unsigned mode, auto writer) -> Status {
    Owned<BIO, BIO_free_all> bio(BIO_new(BIO_s_mem()));
    if (!writer(bio.get())) return Error::io("TLS: cannot encode " + path);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio.get(), &data);
    return write_file_atomic(path, std::string_view(data, static_cast<std::size_t>(n)), mode);
  };
  if (auto s = write_pem(key_path, 0600,
                         [&](BIO* b) {
                           return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0,
                                                           nullptr, nullptr) == 1;
                         });
      !s.ok())
    return s;
  return write_pem(cert_path, 0644, [&](BIO* b) { return PEM_write_bio_X509(b, x.get()) == 1; });
}

}  // namespace

Result<std::string> cert_fingerprint(const std::string& cert_path) {
  Owned<BIO, BIO_free_all> bio(BIO_new_file(cert_path.c_str(), "r"));
  if (!bio) return Error::io("TLS: cannot read certificate " + cert_path);
  Owned<X509, X509_free> x(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!x) return Error::io("TLS: " + cert_path + " is not a PEM certificate");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  X509_digest(x.get(), EVP_sha256(), md, &n);
  return hex(std::string_view(reinterpret_cast<char*>(md), n));
}

Result<TlsMaterial> ensure_tls_material(const config::TlsConfig& cfg,
                                        const std::string& state_dir) {
  TlsMaterial m;
  if (!cfg.cert.empty() || !cfg.key.empty()) {
    if (cfg.cert.empty() || cfg.key.empty())
      return Error::invalid("gateway.tls: set both cert and key, or neither to generate a pair");
    m.cert_path = cfg.cert;
    m.key_path = cfg.key;
  } else {
    std::string dir = state_dir + "/tls";
    if (auto s = make_dirs(dir, 0700); !s.ok()) return s.error();
    m.cert_path = dir + "/gateway-cert.pem";
    m.key_path = dir + "/gateway-key.pem";
    if (!exists(m.cert_path) || !exists(m.key_path)) {
      if (auto s = generate(m.cert_path, m.key_path); !s.ok()) return s.error();
      m.generated = true;
    }
  }
  auto fp = cert_fingerprint(m.cert_path);
  if (!fp.ok()) return fp.error();
  m.fingerprint = *fp;
  return m;
}

}  // namespace simpleclaw::gateway
