// Internals shared by the three wire formats (openai.cpp, anthropic.cpp, ollama.cpp) and
// the dispatch in provider.cpp: request-building helpers, the per-API entry points, text
// sanitising, Retry-After parsing and DecoderBase (the "nothing after the terminal event"
// rule in one place). Not part of the library's interface; tests include it to check the
// helpers directly.
//
// Pure code like provider.h: no I/O, no clocks, no globals; any thread. A decoder is
// owned by whoever made it and used from one thread at a time.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/sse.h"
#include "providers/provider.h"

namespace simpleclaw::providers::wire {

using sdk::role_name;

// A single SSE/NDJSON line or event larger than this is a kError.
inline constexpr std::size_t kMaxLineBytes = std::size_t{1} << 20;
inline constexpr std::string_view kStreamEnded = "stream ended before the reply was complete";
inline constexpr std::string_view kTooLarge =
    "the provider sent a stream line or event larger than 1 MiB";

// ---- requests ----------------------------------------------------------------------

// provider.base_url, or the wire format's default when empty, without trailing '/'.
std::string base_url(const WireFormat& wire, const Endpoint& provider);
// Sets `name: value`, replacing an existing header of that name (case-insensitive) in
// place. CR, LF and NUL are removed from both (no header injection from config).
void set_header(HttpRequest& req, std::string_view name, std::string_view value);
// The api key without surrounding whitespace ("" = send no auth header).
std::string api_key(const Endpoint& provider);
// `Authorization: Bearer <api key>` (OpenAI-compatible servers, Ollama behind a proxy);
// nothing when there is no key.
void add_bearer_auth(HttpRequest& req, const Endpoint& provider);
// The provider's extra headers (config `headers`), each replacing a same-named one.
void add_extra_headers(HttpRequest& req, const Endpoint& provider);
// Compact JSON text; invalid UTF-8 in strings is replaced (U+FFFD), never thrown on.
std::string dump_body(const nlohmann::ordered_json& body);
// Tool arguments as a JSON object for APIs that want an object (anthropic input, ollama
// arguments): the parsed text when it is an object, else {} (the call was answered with
// an error result, and a replayed request must stay valid).
nlohmann::ordered_json arguments_object(const std::string& arguments);
// The OpenAI/Ollama "tools" array: [{type:"function", function:{name, description,
// parameters}}].
nlohmann::ordered_json function_tools(const std::vector<ToolSpec>& tools);
// "the model's tool arguments exceed 1 MiB" etc.
inline constexpr std::string_view kToolArgsTooLarge =
    "the model sent tool call arguments larger than 1 MiB";

HttpRequest openai_chat_request(const Endpoint& provider, const ChatRequest& req);
HttpRequest openai_probe_request(const Endpoint& provider);
HttpRequest anthropic_chat_request(const Endpoint& provider, const ChatRequest& req);
HttpRequest anthropic_probe_request(const Endpoint& provider);
HttpRequest ollama_chat_request(const Endpoint& provider, const ChatRequest& req);
HttpRequest ollama_probe_request(const Endpoint& provider);

std::unique_ptr<StreamDecoder> make_openai_decoder();
std::unique_ptr<StreamDecoder> make_anthropic_decoder();
std::unique_ptr<StreamDecoder> make_ollama_decoder();

// One WireFormat over a set of the functions above (openai.cpp, anthropic.cpp, ollama.cpp
// each define theirs with it).
class FunctionWire final : public WireFormat {
 public:
  using Chat = HttpRequest (*)(const Endpoint&, const ChatRequest&);
  using Probe = HttpRequest (*)(const Endpoint&);
  using Decoder = std::unique_ptr<StreamDecoder> (*)();
  FunctionWire(std::string_view name, std::string_view default_base_url, Chat chat, Probe probe,
               Decoder decoder)
      : name_(name), base_(default_base_url), chat_(chat), probe_(probe), decoder_(decoder) {}
  std::string_view name() const override { return name_; }
  std::string_view default_base_url() const override { return base_; }
  HttpRequest chat_request(const Endpoint& e, const ChatRequest& r) const override {
    return chat_(e, r);
  }
  HttpRequest probe_request(const Endpoint& e) const override { return probe_(e); }
  std::unique_ptr<StreamDecoder> make_decoder() const override { return decoder_(); }

 private:
  std::string_view name_, base_;
  Chat chat_;
  Probe probe_;
  Decoder decoder_;
};

// ---- text --------------------------------------------------------------------------

// At most `max_bytes` of `s` as valid UTF-8 for a user-facing message: control characters
// become spaces, runs of whitespace collapse, ends trimmed, invalid bytes become U+FFFD, a
// sequence cut by the limit is dropped, and "..." marks a cut.
std::string sanitize(std::string_view s, std::size_t max_bytes);
// `s` without leading/trailing spaces, tabs, CRs and LFs.
std::string_view trim_space(std::string_view s);
// ASCII case-insensitive substring search for any of `needles`.
bool contains_any_ci(std::string_view haystack, std::initializer_list<std::string_view> needles);
// "context_length_exceeded", "maximum context length", "prompt is too long", ...
bool mentions_context_length(std::string_view text);
// "content_filter", "content policy", "safety".
bool mentions_refusal(std::string_view text);
// The user-facing text of an error the provider reported: "<api>: <message> (<type>)",
// sanitised; the type is left out when empty or already in the message.
std::string provider_error_text(std::string_view api, std::string_view message,
                                std::string_view type);
// The provider's own message in an error body (JSON shapes of all three APIs, also inside
// a one-element array); "" when the body is not such JSON.
std::string error_body_message(std::string_view body);

// ---- HTTP errors -------------------------------------------------------------------

// "Too Many Requests" for 429 ...; "" for codes without a well-known phrase.
std::string_view reason_phrase(int status);
// A Retry-After value: delta-seconds (a decimal fraction is accepted) or an HTTP-date
// (IMF-fixdate, RFC 850 or asctime; a past date gives 0). nullopt when unparseable.
std::optional<std::int64_t> parse_retry_after(std::string_view value,
                                              std::chrono::system_clock::time_point now);
// A retry-after-ms value (non-negative decimal milliseconds). nullopt when unparseable.
std::optional<std::int64_t> parse_retry_after_ms(std::string_view value);

// ---- decoders ----------------------------------------------------------------------

// Base of the three decoders: enforces "after kDone/kError nothing more" and turns an
// end of body without a terminal event into kError kStreamEnded.
class DecoderBase : public StreamDecoder {
 public:
  void feed(std::string_view bytes, std::vector<StreamEvent>& out) final;
  void finish(std::vector<StreamEvent>& out) final;

 protected:
  virtual void on_bytes(std::string_view bytes, std::vector<StreamEvent>& out) = 0;
  // End of body; may emit a terminal event (else the base reports kStreamEnded).
  virtual void on_finish(std::vector<StreamEvent>& out) = 0;

  bool ended() const { return ended_; }
  void emit_text(std::vector<StreamEvent>& out, std::string text);
  void emit_usage(std::vector<StreamEvent>& out, Usage usage);
  // A complete tool call; more than kMaxToolCalls in one reply is a kError instead.
  void emit_tool_call(std::vector<StreamEvent>& out, ToolCall call);
  void emit_done(std::vector<StreamEvent>& out, std::string stop_reason);
  void emit_error(std::vector<StreamEvent>& out, ErrorKind kind, std::string message);
  // kError kUnknown "malformed stream chunk from the provider: <first 200 bytes>".
  void emit_malformed(std::vector<StreamEvent>& out, std::string_view chunk);

 private:
  bool ended_ = false;
  std::size_t tool_calls_ = 0;
};

// The SSE framing the OpenAI and Anthropic decoders share: bytes -> SSE events ->
// on_event (until the stream has ended), an over-long line -> an error, and at the end
// of the body any last event, then on_sse_end.
class SseDecoderBase : public DecoderBase {
 protected:
  virtual void on_event(const net::SseEvent& ev, std::vector<StreamEvent>& out) = 0;
  virtual void on_sse_end(std::vector<StreamEvent>& /*out*/) {}

 private:
  void on_bytes(std::string_view bytes, std::vector<StreamEvent>& out) final {
    events_.clear();
    bool ok = sse_.feed(bytes, events_);
    handle(out);
    if (!ok) emit_error(out, ErrorKind::kUnknown, std::string(kTooLarge));
  }
  void on_finish(std::vector<StreamEvent>& out) final {
    events_.clear();
    sse_.finish(events_);
    handle(out);
    if (!ended()) on_sse_end(out);
  }
  void handle(std::vector<StreamEvent>& out) {
    for (const net::SseEvent& ev : events_) {
      if (ended()) return;
      on_event(ev, out);
    }
  }

  net::SseParser sse_{kMaxLineBytes};
  std::vector<net::SseEvent> events_;
};

// Parses one stream chunk as a JSON object; nullopt when it is not one.
std::optional<nlohmann::json> parse_object(std::string_view text);
// j[key] as a string / integer when it is one, else the fallback.
std::string string_field(const nlohmann::json& j, std::string_view key, std::string fallback = {});
std::int64_t int_field(const nlohmann::json& j, std::string_view key, std::int64_t fallback = 0);

}  // namespace simpleclaw::providers::wire
