// Fuzzes the inbound path of every WebSocket message: decode as JSON and as MessagePack,
// then validate against the frame and connect schemas, then re-encode. Must never crash,
// hang or leak, whatever the bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "gateway/protocol/codec.h"
#include "gateway/protocol/schemas.h"

using namespace simpleclaw;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (auto enc : {protocol::Encoding::kJson, protocol::Encoding::kMsgpack}) {
    auto frame = protocol::decode(bytes, /*binary=*/enc == protocol::Encoding::kMsgpack, enc);
    if (!frame.ok()) continue;
    (void)protocol::validate("frames/req", *frame);
    if (frame->is_object() && frame->contains("params"))
      (void)protocol::validate("methods/connect.params", (*frame)["params"]);
    (void)protocol::encode(*frame, protocol::Encoding::kJson);
    (void)protocol::encode(*frame, protocol::Encoding::kMsgpack);
  }
  return 0;
}
