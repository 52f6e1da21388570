// Frame codec (SPEC §2-3): JSON text frames by default, MessagePack binary frames on
// sockets that negotiated the `simpleclaw.msgpack` subprotocol. The frame objects are
// the same in both encodings.
//
// Outbound frames are built by splicing pre-encoded parts, so a payload shared by many
// sockets (a broadcast, the cached health snapshot) is serialised once per encoding and
// only the per-socket parts (`id`, `seq`) are encoded per send.
// Loop thread only (SharedPayload caches lazily without locks).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "simpleclaw/result.h"

namespace simpleclaw::protocol {

enum class Encoding : std::uint8_t { kJson, kMsgpack };
inline constexpr std::string_view kMsgpackSubprotocol = "simpleclaw.msgpack";

using Bytes = std::shared_ptr<const std::string>;

// A payload encoded at most once per encoding; the encoded bytes are shared (not copied)
// by every socket's outbound frame.
class SharedPayload {
 public:
  explicit SharedPayload(Json value) : value_(std::move(value)) {}
  const Json& json() const { return value_; }
  const std::string& encoded(Encoding enc) const { return *encoded_ptr(enc); }
  const Bytes& encoded_ptr(Encoding enc) const;

 private:
  Json value_;
  mutable Bytes json_, msgpack_;
};

// One outbound WS message as up to three pieces written as one buffer sequence: a
// shared head, a shared body (a broadcast's payload) and a per-socket tail (its seq).
struct OutFrame {
  Bytes head;
  Bytes body;
  std::string tail;
  std::size_t size() const {
    return (head ? head->size() : 0) + (body ? body->size() : 0) + tail.size();
  }
  std::string flatten() const;  // tests and clients
};
using SharedPayloadPtr = std::shared_ptr<const SharedPayload>;

// What a method answers (a res frame's payload): a fresh JSON value, or a shared
// pre-encoded one (the cached health snapshot) whose bytes are not copied per answer.
struct MethodResult {
  Json json;
  SharedPayloadPtr shared;
  MethodResult(Json j) : json(std::move(j)) {}                // NOLINT: implicit on purpose
  MethodResult(SharedPayloadPtr s) : shared(std::move(s)) {}  // NOLINT
  const Json& body() const { return shared ? shared->json() : json; }
};

// Decodes one inbound WS message. Text messages are JSON; binary messages are
// MessagePack on a msgpack socket and JSON (UTF-8 bytes) otherwise.
Result<Json> decode(std::string_view bytes, bool binary, Encoding socket_encoding);
std::string encode(const Json& frame, Encoding enc);

std::string encode_res_ok(const Json& id, const SharedPayload& payload, Encoding enc);
// The same answer without copying the shared payload (the cached health snapshot).
OutFrame res_ok_frame(const Json& id, const SharedPayload& payload, Encoding enc);
std::string encode_res_ok(const Json& id, const Json& payload, Encoding enc);
std::string encode_res_error(const Json& id, const Error& error, Encoding enc);
// An event frame in pieces: head = {"type":"event","event":E,"payload": (shareable by all
// sockets with the same encoding), body = the payload, tail = seq + stateVersion.
// The field set (payload/seq/stateVersion present or not) must match between head and tail.
Bytes encode_event_head(std::string_view event, bool has_payload, bool has_seq, bool has_sv,
                        Encoding enc);
std::string encode_event_tail(bool has_payload, std::optional<std::uint64_t> seq,
                              const Json* state_version, Encoding enc);

// `seq` absent for pre-handshake events (connect.challenge); `state_version` may be null.
std::string encode_event(std::string_view event, const SharedPayload* payload,
                         std::optional<std::uint64_t> seq, const Json* state_version, Encoding enc);

}  // namespace simpleclaw::protocol
