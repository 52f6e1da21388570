// Fuzzes the LLM response paths: the stream decoders (SSE for openai/anthropic, NDJSON
// for ollama), the bare SseParser with a small limit, and classify_http_error on the same
// bytes as an error body.
//
// Input: byte 0 picks the API, byte 1 seeds the piece sizes, the rest is the body. The
// body is decoded twice, in one feed and in pseudo-random pieces (1..64 bytes), then
// finish(). Besides never crashing, leaking or hanging, it checks: both decodes give the
// same events, at most one terminal event and only as the last one, and every string an
// event or failure carries (tool calls included) is valid UTF-8 (it ends up in JSON frames).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "net/sse.h"
#include "providers/provider.h"

using namespace simpleclaw::providers;
using simpleclaw::net::SseEvent;
using simpleclaw::net::SseParser;

namespace {

// Byte 0 of the input picks one of the built-in wire formats.
const WireFormat& wire_for(std::uint8_t b) {
  switch (b % 3) {
    case 0:
      return openai_wire();
    case 1:
      return anthropic_wire();
    default:
      return ollama_wire();
  }
}

void check_utf8(const std::string& s) {
  try {
    (void)nlohmann::json(s).dump();  // strict: throws on invalid UTF-8
  } catch (const nlohmann::json::exception&) {
    std::abort();
  }
}

bool same(const StreamEvent& a, const StreamEvent& b) {
  return a.type == b.type && a.text == b.text && a.usage.input_tokens == b.usage.input_tokens &&
         a.usage.output_tokens == b.usage.output_tokens && a.stop_reason == b.stop_reason &&
         a.error_kind == b.error_kind && a.error_message == b.error_message &&
         a.tool_call.id == b.tool_call.id && a.tool_call.name == b.tool_call.name &&
         a.tool_call.arguments == b.tool_call.arguments;
}

std::vector<StreamEvent> decode(const WireFormat& wire, std::string_view body, std::uint32_t seed,
                                bool pieces) {
  auto d = wire.make_decoder();
  std::vector<StreamEvent> events;
  if (!pieces) {
    d->feed(body, events);
  } else {
    std::uint32_t x = seed * 2654435761u + 1;
    std::size_t at = 0;
    while (at < body.size()) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      std::size_t n = 1 + x % 64;
      d->feed(body.substr(at, n), events);
      at += n < body.size() - at ? n : body.size() - at;
    }
  }
  d->finish(events);
  d->feed("data: [DONE]\n\n{\"done\":true}\n", events);  // after finish: nothing more
  d->finish(events);
  return events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const WireFormat& wire = wire_for(data[0]);
  const std::uint8_t knob = data[1];
  std::string_view body(reinterpret_cast<const char*>(data + 2), size - 2);

  std::vector<StreamEvent> whole = decode(wire, body, knob, false);
  std::vector<StreamEvent> split = decode(wire, body, knob, true);
  if (whole.size() != split.size()) std::abort();
  for (std::size_t i = 0; i < whole.size(); ++i) {
    if (!same(whole[i], split[i])) std::abort();
    bool terminal = whole[i].type == StreamEvent::kDone || whole[i].type == StreamEvent::kError;
    if (terminal != (i + 1 == whole.size())) std::abort();  // exactly one, and last
    check_utf8(whole[i].text);
    check_utf8(whole[i].stop_reason);
    check_utf8(whole[i].error_message);
    check_utf8(whole[i].tool_call.id);
    check_utf8(whole[i].tool_call.name);
    check_utf8(whole[i].tool_call.arguments);
  }
  if (whole.empty()) std::abort();  // finish() always ends the stream

  SseParser sse(64);
  std::vector<SseEvent> sse_events;
  if (sse.feed(body, sse_events)) sse.finish(sse_events);
  for (const SseEvent& e : sse_events)
    if (e.data.size() > 64 || e.event.size() > 64) std::abort();

  static constexpr int kStatuses[] = {400, 401, 403, 404, 408, 413, 418,
                                      429, 500, 502, 503, 504, 529, 200};
  HttpHead head;
  head.status = kStatuses[knob % (sizeof kStatuses / sizeof kStatuses[0])];
  std::string_view first_line = body.substr(0, body.find('\n'));
  head.headers.emplace_back(knob & 0x80 ? "retry-after-ms" : "Retry-After",
                            std::string(first_line.substr(0, 64)));
  HttpFailure f =
      classify_http_error(wire.name(), head, body, std::chrono::system_clock::time_point{});
  check_utf8(f.message);
  if (f.retry_after_ms && *f.retry_after_ms < 0) std::abort();
  return 0;
}
