// WsClient: a blocking protocol-v4 client (ws:// and wss://) used by the CLI, the tests
// and the benchmark's setup. Every blocking call has a timeout. It speaks the same codec
// as the server (JSON, or MessagePack with the simpleclaw.msgpack subprotocol).
// One thread at a time; owns its own io_context.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "nodes/device_identity.h"
#include "simpleclaw/result.h"

namespace simpleclaw::cli {

struct ClientOptions {
  std::string url = "ws://127.0.0.1:" + std::to_string(config::kDefaultPort);
  std::string token;
  std::string password;
  bool msgpack = false;  // offer the simpleclaw.msgpack subprotocol
  std::vector<std::string> scopes = {"operator.admin"};
  std::string role = "operator";
  std::string client_id = "simpleclaw-cli";
  std::string client_mode = "cli";
  int timeout_ms = 10000;
  std::string origin;           // sent as the Origin header when set (browser-like)
  std::string tls_fingerprint;  // pin: SHA-256 hex of the server certificate
  int min_protocol = 4, max_protocol = 4;
  // More upgrade-request headers, e.g. X-Forwarded-For when playing a reverse proxy (tests).
  std::vector<std::pair<std::string, std::string>> headers;
  // Device identity (nodes, paired apps): the connect is signed with this key over the
  // challenge nonce; device_token is sent as auth.deviceToken (alone it authenticates;
  // next to the gateway token it tells the gateway no new device token is needed).
  std::shared_ptr<const nodes::DeviceKey> device;
  std::string device_token;
  std::string bootstrap_token;  // auth.bootstrapToken: a sign-in link's one-time token
  std::string display_name;
  std::string instance_id;  // client.instanceId: sockets sharing it are one presence entry
  std::vector<std::string> commands, caps;  // what a node offers
};

// One thing read from the socket: a decoded frame, or the close the server sent.
struct Incoming {
  Json frame;  // null when closed
  bool closed = false;
  int close_code = 0;
  std::string close_reason;
  bool binary = false;
};

class WsClient {
 public:
  ~WsClient();
  // TCP + (TLS) + WebSocket upgrade. Does not read anything yet. Failing to reach the
  // gateway at all (resolve, connect, TLS, upgrade) is kIo: callers tell "no gateway
  // there" (fall back to the config file, hint to start it) from the gateway's own
  // errors, which keep their wire code.
  static Result<std::unique_ptr<WsClient>> open(const ClientOptions& opts);
  // open + read connect.challenge + connect; returns the client ready for calls.
  static Result<std::unique_ptr<WsClient>> connect(const ClientOptions& opts,
                                                   Json* hello = nullptr);

  Status send_text(const std::string& text);
  Status send_binary(const std::string& bytes);
  Status send_frame(const Json& frame);  // in the negotiated encoding
  Result<Incoming> read(int timeout_ms = -1);
  // Sends connect with the options' credentials; returns the res frame (ok or not).
  Result<Json> send_connect(const std::string& nonce);
  // req -> matching res; events read meanwhile are kept in events(), and so are interim
  // answers ({status: "accepted"} of a two-phase method like `agent`). Error = the res
  // error (code/message/details preserved) or a transport failure (kUnavailable).
  Result<Json> call(const std::string& method, const Json& params = nullptr);
  std::vector<Json>& events() { return events_; }
  std::string negotiated_subprotocol() const;
  void close(int code = 1000);

 private:
  // Reads until the res frame with this id (events read meanwhile go to events()).
  Result<Json> await_res(const std::string& id);
  WsClient();
  Status send_message(const std::string& bytes, bool binary);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  ClientOptions opts_;
  std::vector<Json> events_;
  unsigned long next_id_ = 1;
};

}  // namespace simpleclaw::cli
