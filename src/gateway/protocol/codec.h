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

#include "base/result.h"

namespace simpleclaw::protocol {

enum class Encoding : std::uint8_t { kJson, kMsgpack };
inline constexpr std::string_view kMsgpackSubprotocol = "simpleclaw.msgpack";

// A payload encoded at most once per encoding.
class SharedPayload {
 public:
  explicit SharedPayload(Json value) : value_(std::move(value)) {}
  const Json& json() const { return value_; }
  const std::string& encoded(Encoding enc) const;

 private:
  Json value_;
  mutable std::string json_, msgpack_;
};
using SharedPayloadPtr = std::shared_ptr<const SharedPayload>;

// Decodes one inbound WS message. Text messages are JSON; binary messages are
// MessagePack on a msgpack socket and JSON (UTF-8 bytes) otherwise.
Result<Json> decode(std::string_view bytes, bool binary, Encoding socket_encoding);
std::string encode(const Json& frame, Encoding enc);

std::string encode_res_ok(const Json& id, const SharedPayload& payload, Encoding enc);
std::string encode_res_ok(const Json& id, const Json& payload, Encoding enc);
std::string encode_res_error(const Json& id, const Error& error, Encoding enc);
// `seq` absent for pre-handshake events (connect.challenge); `state_version` may be null.
std::string encode_event(std::string_view event, const SharedPayload* payload,
                         std::optional<std::uint64_t> seq, const Json* state_version,
                         Encoding enc);

}  // namespace simpleclaw::protocol
