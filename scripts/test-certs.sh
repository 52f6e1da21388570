#!/usr/bin/env bash
# scripts/test-certs.sh DIR — a throwaway certificate authority and a server certificate
# for 127.0.0.1 / localhost, for the TLS tests of cluster mode (PostgreSQL and NATS over
# TLS, scripts/cluster-services.sh and tests/unit/cluster/bus_test.cpp) and for trying
# TLS by hand. Writes DIR/ca.pem, DIR/server.pem, DIR/server.key (0600) and a second,
# unrelated authority DIR/other-ca.pem (a client trusting it must refuse the server).
set -euo pipefail
DIR=${1:?usage: test-certs.sh DIR}
mkdir -p "$DIR"
cd "$DIR"
umask 077
openssl_q() { openssl "$@" >/dev/null 2>&1; }
openssl_q req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
  -subj "/CN=simpleclaw test CA" -keyout ca.key -out ca.pem
openssl_q req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
  -subj "/CN=some other CA" -keyout other-ca.key -out other-ca.pem
openssl_q req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -subj "/CN=localhost" -keyout server.key -out server.csr
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >server.ext
openssl_q x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
  -extfile server.ext -out server.pem
rm -f server.csr server.ext ca.srl
chmod 644 ca.pem other-ca.pem server.pem
