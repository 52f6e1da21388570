// The three LLM wire formats: exact requests per API, the stream decoders (table of
// sample bodies, each also checked at every split point), the size limits, and
// classify_http_error with Retry-After parsing.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "providers/catalog.h"
#include "providers/provider.h"
#include "providers/wire_internal.h"

namespace simpleclaw::providers {
namespace {

using V = std::vector<std::string>;
using Headers = std::vector<std::pair<std::string, std::string>>;
using sdk::Role;

// The three built-in wire formats, named for the tables below. Every call goes through
// the WireFormat interface the run engine uses.
enum class Api { kOpenAI, kAnthropic, kOllama };
const WireFormat& wire(Api api) {
  switch (api) {
    case Api::kAnthropic:
      return anthropic_wire();
    case Api::kOllama:
      return ollama_wire();
    case Api::kOpenAI:
      break;
  }
  return openai_wire();
}
std::string_view api_name(Api api) { return wire(api).name(); }
HttpRequest build_chat_request(Api api, const config::ProviderConfig& p, const ChatRequest& r) {
  return wire(api).chat_request(endpoint_of(p), r);
}
HttpRequest build_probe_request(Api api, const config::ProviderConfig& p) {
  return wire(api).probe_request(endpoint_of(p));
}
std::unique_ptr<StreamDecoder> make_decoder(Api api) { return wire(api).make_decoder(); }
HttpFailure classify_http_error(Api api, const HttpHead& head, std::string_view body) {
  return providers::classify_http_error(api_name(api), head, body);
}
HttpFailure classify_http_error(Api api, const HttpHead& head, std::string_view body,
                                std::chrono::system_clock::time_point now) {
  return providers::classify_http_error(api_name(api), head, body, now);
}

// ---- names --------------------------------------------------------------------------

TEST(WireNames, WireFormatsNameThemselvesAndTheirDefaultEndpoints) {
  EXPECT_EQ(api_name(Api::kOpenAI), "openai");
  EXPECT_EQ(api_name(Api::kAnthropic), "anthropic");
  EXPECT_EQ(api_name(Api::kOllama), "ollama");
  EXPECT_EQ(wire(Api::kOpenAI).default_base_url(), "https://api.openai.com/v1");
  EXPECT_EQ(wire(Api::kAnthropic).default_base_url(), "https://api.anthropic.com");
  EXPECT_EQ(wire(Api::kOllama).default_base_url(), "http://127.0.0.1:11434");
  // The catalog finds a wire format by its exact `api:` name, and nothing else.
  boost::asio::io_context io;
  Catalog catalog(io);
  EXPECT_EQ(catalog.wire_for("anthropic"), &anthropic_wire());
  EXPECT_EQ(catalog.wire_for("OpenAI"), nullptr);
  EXPECT_EQ(catalog.wire_for(""), nullptr);
  EXPECT_EQ(catalog.wire_for("gemini"), nullptr);
}

TEST(WireNames, ErrorKindNames) {
  EXPECT_EQ(error_kind_name(ErrorKind::kRefusal), "refusal");
  EXPECT_EQ(error_kind_name(ErrorKind::kTimeout), "timeout");
  EXPECT_EQ(error_kind_name(ErrorKind::kRateLimit), "rate_limit");
  EXPECT_EQ(error_kind_name(ErrorKind::kContextLength), "context_length");
  EXPECT_EQ(error_kind_name(ErrorKind::kUnknown), "unknown");
}

// ---- requests -----------------------------------------------------------------------

config::ProviderConfig provider(std::string api, std::string base_url, std::string key,
                                std::map<std::string, std::string> headers = {}) {
  config::ProviderConfig p;
  p.name = "p";
  p.api = std::move(api);
  p.base_url = std::move(base_url);
  p.api_key = std::move(key);
  p.headers = std::move(headers);
  return p;
}

ChatRequest chat(std::string system = "be brief") {
  ChatRequest r;
  r.model = "m-1";
  r.system = std::move(system);
  r.messages = {{Role::kUser, "hi"}, {Role::kAssistant, "hello"}, {Role::kUser, "bye \"now\""}};
  r.max_tokens = 256;
  return r;
}

TEST(WireRequest, OpenAiExactRequest) {
  HttpRequest r = build_chat_request(
      Api::kOpenAI,
      provider("openai", "https://example.test/v1/", "sk-test", {{"OpenAI-Organization", "org-1"}}),
      chat());
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://example.test/v1/chat/completions");
  EXPECT_EQ(r.headers, (Headers{{"Content-Type", "application/json"},
                                {"Accept", "text/event-stream"},
                                {"Authorization", "Bearer sk-test"},
                                {"OpenAI-Organization", "org-1"}}));
  EXPECT_EQ(r.body, R"({"model":"m-1","messages":[{"role":"system","content":"be brief"},)"
                    R"({"role":"user","content":"hi"},{"role":"assistant","content":"hello"},)"
                    R"({"role":"user","content":"bye \"now\""}],"stream":true,)"
                    R"("stream_options":{"include_usage":true},"max_tokens":256})");
}

TEST(WireRequest, AnthropicExactRequest) {
  HttpRequest r = build_chat_request(
      Api::kAnthropic, provider("anthropic", "", "sk-ant", {{"anthropic-beta", "b1"}}), chat());
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://api.anthropic.com/v1/messages");
  EXPECT_EQ(r.headers, (Headers{{"Content-Type", "application/json"},
                                {"Accept", "text/event-stream"},
                                {"x-api-key", "sk-ant"},
                                {"anthropic-version", "2023-06-01"},
                                {"anthropic-beta", "b1"}}));
  EXPECT_EQ(r.body, R"({"model":"m-1","max_tokens":256,"stream":true,"system":"be brief",)"
                    R"("messages":[{"role":"user","content":"hi"},)"
                    R"({"role":"assistant","content":"hello"},)"
                    R"({"role":"user","content":"bye \"now\""}]})");
}

TEST(WireRequest, OllamaExactRequest) {
  HttpRequest r =
      build_chat_request(Api::kOllama, provider("ollama", "http://gpu:11434//", ""), chat());
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "http://gpu:11434/api/chat");
  EXPECT_EQ(r.headers, (Headers{{"Content-Type", "application/json"}}));
  EXPECT_EQ(r.body, R"({"model":"m-1","stream":true,"messages":[)"
                    R"({"role":"system","content":"be brief"},{"role":"user","content":"hi"},)"
                    R"({"role":"assistant","content":"hello"},)"
                    R"({"role":"user","content":"bye \"now\""}],"options":{"num_predict":256}})");
}

// A user message with images, in each API's own shape (the image is "AAAA" base64).
TEST(WireRequest, ImagesGoInEachApisOwnShape) {
  ChatRequest req;
  req.model = "m-1";
  req.max_tokens = 64;
  sdk::Message m{Role::kUser, "what is it?"};
  m.images.push_back(sdk::Image{"image/png", std::make_shared<const std::string>("AAAA")});
  req.messages = {m};
  EXPECT_EQ(build_chat_request(Api::kOpenAI, provider("openai", "http://x/v1", ""), req).body,
            R"({"model":"m-1","messages":[{"role":"user","content":[)"
            R"({"type":"text","text":"what is it?"},)"
            R"({"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}],)"
            R"("stream":true,"stream_options":{"include_usage":true},"max_tokens":64})");
  EXPECT_EQ(build_chat_request(Api::kAnthropic, provider("anthropic", "", ""), req).body,
            R"({"model":"m-1","max_tokens":64,"stream":true,"messages":[{"role":"user",)"
            R"("content":[{"type":"image","source":{"type":"base64","media_type":"image/png",)"
            R"("data":"AAAA"}},{"type":"text","text":"what is it?"}]}]})");
  EXPECT_EQ(build_chat_request(Api::kOllama, provider("ollama", "", ""), req).body,
            R"({"model":"m-1","stream":true,"messages":[{"role":"user",)"
            R"("content":"what is it?","images":["AAAA"]}],"options":{"num_predict":64}})");
  // An image without text: no empty text part.
  req.messages[0].text.clear();
  EXPECT_EQ(build_chat_request(Api::kOpenAI, provider("openai", "http://x/v1", ""), req).body,
            R"({"model":"m-1","messages":[{"role":"user","content":[)"
            R"({"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}],)"
            R"("stream":true,"stream_options":{"include_usage":true},"max_tokens":64})");
}

TEST(WireRequest, NoKeyMeansNoAuthHeaderAndNoSystemMeansNoSystemMessage) {
  HttpRequest o = build_chat_request(Api::kOpenAI, provider("openai", "", ""), chat(""));
  EXPECT_EQ(o.headers,
            (Headers{{"Content-Type", "application/json"}, {"Accept", "text/event-stream"}}));
  auto ob = nlohmann::json::parse(o.body);
  ASSERT_EQ(ob["messages"].size(), 3u);
  EXPECT_EQ(ob["messages"][0]["role"], "user");

  HttpRequest a = build_chat_request(Api::kAnthropic, provider("anthropic", "", ""), chat(""));
  EXPECT_EQ(a.headers, (Headers{{"Content-Type", "application/json"},
                                {"Accept", "text/event-stream"},
                                {"anthropic-version", "2023-06-01"}}));
  EXPECT_FALSE(nlohmann::json::parse(a.body).contains("system"));

  HttpRequest l = build_chat_request(Api::kOllama, provider("ollama", "", "k"), chat(""));
  EXPECT_EQ(l.headers,
            (Headers{{"Content-Type", "application/json"}, {"Authorization", "Bearer k"}}));
  EXPECT_EQ(nlohmann::json::parse(l.body)["messages"][0]["role"], "user");
}

TEST(WireRequest, DefaultBaseUrlsAndProbes) {
  struct Case {
    Api api;
    const char* api_text;
    const char* chat_url;
    const char* probe_url;
  };
  for (const Case& c : {Case{Api::kOpenAI, "openai", "https://api.openai.com/v1/chat/completions",
                             "https://api.openai.com/v1/models"},
                        Case{Api::kAnthropic, "anthropic", "https://api.anthropic.com/v1/messages",
                             "https://api.anthropic.com/v1/models"},
                        Case{Api::kOllama, "ollama", "http://127.0.0.1:11434/api/chat",
                             "http://127.0.0.1:11434/api/tags"}}) {
    SCOPED_TRACE(c.api_text);
    EXPECT_EQ(build_chat_request(c.api, provider(c.api_text, "", ""), chat()).url, c.chat_url);
    HttpRequest p = build_probe_request(c.api, provider(c.api_text, "", ""));
    EXPECT_EQ(p.method, "GET");
    EXPECT_EQ(p.url, c.probe_url);
    EXPECT_TRUE(p.body.empty());
  }
}

TEST(WireRequest, ProbesCarryTheAuthHeaders) {
  auto extra = std::map<std::string, std::string>{{"X-Team", "t"}};
  struct Case {
    Api api;
    config::ProviderConfig provider;
    const char* url;
    Headers headers;
  };
  const Case cases[] = {
      {Api::kOpenAI,
       provider("openai", "http://h/v1/", "k", extra),
       "http://h/v1/models",
       {{"Authorization", "Bearer k"}, {"X-Team", "t"}}},
      {Api::kAnthropic,
       provider("anthropic", "http://h", "k", extra),
       "http://h/v1/models",
       {{"x-api-key", "k"}, {"anthropic-version", "2023-06-01"}, {"X-Team", "t"}}},
      {Api::kOllama,
       provider("ollama", "http://h", "", extra),
       "http://h/api/tags",
       {{"X-Team", "t"}}},
  };
  for (const Case& c : cases) {
    HttpRequest r = build_probe_request(c.api, c.provider);
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.url, c.url);
    EXPECT_EQ(r.headers, c.headers) << api_name(c.api);
    EXPECT_EQ(r.body, "");
  }
}

TEST(WireRequest, ExtraHeadersReplaceBuiltInsAndCannotInjectLines) {
  HttpRequest r =
      build_chat_request(Api::kOpenAI,
                         provider("openai", "", "  sk-test\n",
                                  {{"authorization", "Token abc"}, {"X-Evil", "a\r\nInjected: 1"}}),
                         chat());
  EXPECT_EQ(r.headers, (Headers{{"Content-Type", "application/json"},
                                {"Accept", "text/event-stream"},
                                {"Authorization", "Token abc"},
                                {"X-Evil", "aInjected: 1"}}));
  HttpRequest trimmed = build_chat_request(Api::kOpenAI, provider("openai", "", " sk-x\n"), chat());
  EXPECT_EQ(trimmed.headers[2],
            (std::pair<std::string, std::string>{"Authorization", "Bearer sk-x"}));
}

TEST(WireRequest, InvalidUtf8InTextIsReplacedNotThrown) {
  ChatRequest req = chat();
  req.messages = {{Role::kUser, std::string("caf\xE9 \xFF")}};
  for (Api api : {Api::kOpenAI, Api::kAnthropic, Api::kOllama}) {
    HttpRequest r = build_chat_request(api, provider(std::string(api_name(api)), "", ""), req);
    auto body = nlohmann::json::parse(r.body);  // valid JSON (throws otherwise)
    EXPECT_EQ(body["messages"].back()["content"], "caf\xEF\xBF\xBD \xEF\xBF\xBD");
  }
}

// ---- decoders -----------------------------------------------------------------------

std::string render(const StreamEvent& e) {
  switch (e.type) {
    case StreamEvent::kText:
      return "text:" + e.text;
    case StreamEvent::kUsage:
      return "usage:" + std::to_string(e.usage.input_tokens) + "/" +
             std::to_string(e.usage.output_tokens);
    case StreamEvent::kToolCall:
      return "tool:" + e.tool_call.id + ":" + e.tool_call.name + ":" + e.tool_call.arguments;
    case StreamEvent::kDone:
      return "done:" + e.stop_reason;
    case StreamEvent::kError:
      return "error:" + std::string(error_kind_name(e.error_kind)) + ":" + e.error_message;
  }
  return "?";
}

// Feeds `body` cut at `cuts` (ascending offsets), then finish().
V decode(Api api, std::string_view body, const std::vector<std::size_t>& cuts = {}) {
  auto d = make_decoder(api);
  std::vector<StreamEvent> events;
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    d->feed(body.substr(at, cut - at), events);
    at = cut;
  }
  d->feed(body.substr(at), events);
  d->finish(events);
  V out;
  for (const StreamEvent& e : events) out.push_back(render(e));
  return out;
}

const std::string kEnded = "error:unknown:stream ended before the reply was complete";

struct DecodeCase {
  const char* name;
  Api api;
  std::string body;
  V expected;
};

const std::vector<DecodeCase>& decode_cases() {
  static const std::vector<DecodeCase> cases = {
      // ---- openai
      {"openai_normal",
       Api::kOpenAI,
       R"(data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null}

data: {"id":"c1","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}],"usage":null}

data: {"id":"c1","choices":[{"index":0,"delta":{"content":"lo w\u00f6rld ✓"},"finish_reason":null}]}

data: {"id":"c1","choices":[{"index":0,"delta":{"content":null},"finish_reason":"stop"}]}

data: {"id":"c1","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}}

data: [DONE]

)",
       {"text:Hel", "text:lo wörld ✓", "usage:11/7", "done:stop"}},
      {"openai_length",
       Api::kOpenAI,
       "data: {\"choices\":[{\"delta\":{\"content\":\"a\"},\"finish_reason\":\"length\"}]}\n\n"
       "data: [DONE]\n\n",
       {"text:a", "done:length"}},
      {"openai_done_without_finish_reason_defaults_to_stop",
       Api::kOpenAI,
       "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: [DONE]\n\n",
       {"text:a", "done:stop"}},
      {"openai_finish_reason_without_done_llamacpp",
       Api::kOpenAI,
       "data: {\"choices\":[{\"delta\":{\"content\":\"a\"},\"finish_reason\":null}]}\n\n"
       "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}],"
       "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}\n\n",
       {"text:a", "usage:3/1", "done:stop"}},
      {"openai_finish_reason_chunk_without_final_blank_line",
       Api::kOpenAI,
       "data: {\"choices\":[{\"delta\":{\"content\":\"a\"},\"finish_reason\":\"stop\"}]}\n",
       {"text:a", "done:stop"}},
      {"openai_done_without_final_blank_line",
       Api::kOpenAI,
       "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: [DONE]\n",
       {"text:a", "done:stop"}},
      {"openai_truncated",
       Api::kOpenAI,
       "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"
       "data: {\"choices\":[{\"delta\":{\"content\":\"b",
       {"text:a", kEnded}},
      {"openai_empty_body", Api::kOpenAI, "", {kEnded}},
      {"openai_content_filter_is_a_refusal",
       Api::kOpenAI,
       "data: {\"choices\":[{\"delta\":{\"content\":\"I\"},\"finish_reason\":null}]}\n\n"
       "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"content_filter\"}]}\n\n"
       "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1}}\n\n"
       "data: [DONE]\n\n",
       {"text:I", "usage:5/1", "error:refusal:the provider refused to answer (content filter)"}},
      {"openai_malformed_chunk",
       Api::kOpenAI,
       "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: {\"choices\": [\n\n"
       "data: {\"choices\":[{\"delta\":{\"content\":\"never\"}}]}\n\n",
       {"text:a", "error:unknown:malformed stream chunk from the provider: {\"choices\": ["}},
      {"openai_non_object_chunk_is_malformed",
       Api::kOpenAI,
       "data: 42\n\n",
       {"error:unknown:malformed stream chunk from the provider: 42"}},
      {"openai_in_stream_rate_limit",
       Api::kOpenAI,
       "data: {\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\","
       "\"code\":\"rate_limit_exceeded\"}}\n\n",
       {"error:rate_limit:openai: Rate limit reached (rate_limit_exceeded)"}},
      {"openai_in_stream_context_length",
       Api::kOpenAI,
       "data: {\"error\":{\"message\":\"too long\",\"type\":\"invalid_request_error\","
       "\"code\":\"context_length_exceeded\"}}\n\n",
       {"error:context_length:openai: too long (context_length_exceeded)"}},
      {"openai_in_stream_other_error",
       Api::kOpenAI,
       "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"
       "data: {\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\"}}\n\n",
       {"text:a", "error:unknown:openai: The server had an error (server_error)"}},
      {"openai_in_stream_error_string",
       Api::kOpenAI,
       "data: {\"error\":\"bad thing\"}\n\n",
       {"error:unknown:openai: bad thing"}},
      {"openai_error_event_with_plain_text",
       Api::kOpenAI,
       "event: error\ndata: upstream went away\n\n",
       {"error:unknown:openai: upstream went away"}},
      {"openai_nothing_after_done",
       Api::kOpenAI,
       "data: [DONE]\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"late\"}}]}\n\ndata: "
       "{oops\n\n",
       {"done:stop"}},
      {"openai_crlf_comments_and_keepalives",
       Api::kOpenAI,
       ": OPENROUTER PROCESSING\r\n\r\ndata:\r\n\r\n"
       "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\r\n\r\ndata: [DONE]\r\n\r\n",
       {"text:x", "done:stop"}},
      {"openai_unknown_fields_and_odd_shapes_ignored",
       Api::kOpenAI,
       "data: {\"choices\":{\"0\":1},\"usage\":null,\"x\":[1,2]}\n\n"
       "data: {\"choices\":[7]}\n\n"
       "data: {\"choices\":[{\"delta\":\"str\",\"finish_reason\":5}]}\n\n"
       "data: {\"choices\":[{\"delta\":{\"content\":[1],\"tool_calls\":[]}}]}\n\n"
       "data: {\"choices\":[{\"delta\":{\"content\":\"ok\",\"extra\":{}},\"logprobs\":null}],"
       "\"system_fingerprint\":\"fp\"}\n\n"
       "data: {\"usage\":{\"prompt_tokens\":\"many\",\"completion_tokens\":2}}\n\n"
       "data: [DONE]\n\n",
       {"text:ok", "usage:0/2", "done:stop"}},

      // ---- anthropic
      {"anthropic_normal",
       Api::kAnthropic,
       R"(event: message_start
data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude","stop_reason":null,"usage":{"input_tokens":25,"output_tokens":1}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: ping
data: {"type": "ping"}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" w\u00f6rld ✓"}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}

event: message_stop
data: {"type":"message_stop"}

)",
       {"usage:25/1", "text:Hello", "text: wörld ✓", "usage:25/15", "done:end_turn"}},
      {"anthropic_max_tokens",
       Api::kAnthropic,
       "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":"
       "{\"type\":\"text_delta\",\"text\":\"a\"}}\n\n"
       "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":"
       "{\"stop_reason\":\"max_tokens\"}}\n\n"
       "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
       {"text:a", "done:max_tokens"}},
      {"anthropic_refusal",
       Api::kAnthropic,
       "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":"
       "{\"stop_reason\":\"refusal\"},\"usage\":{\"output_tokens\":2}}\n\n"
       "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
       {"usage:0/2", "error:refusal:the provider refused to answer (refusal)"}},
      {"anthropic_overloaded",
       Api::kAnthropic,
       "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":"
       "{\"type\":\"text_delta\",\"text\":\"a\"}}\n\n"
       "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
       "\"message\":\"Overloaded\"}}\n\n"
       "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
       {"text:a", "error:unknown:anthropic: Overloaded (overloaded_error)"}},
      {"anthropic_api_error",
       Api::kAnthropic,
       "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\","
       "\"message\":\"Internal server error\"}}\n\n",
       {"error:unknown:anthropic: Internal server error (api_error)"}},
      {"anthropic_rate_limit",
       Api::kAnthropic,
       "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\","
       "\"message\":\"Number of request tokens has exceeded your rate limit\"}}\n\n",
       {"error:rate_limit:anthropic: Number of request tokens has exceeded your rate limit "
        "(rate_limit_error)"}},
      {"anthropic_prompt_too_long",
       Api::kAnthropic,
       "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
       "\"message\":\"prompt is too long: 210000 tokens > 200000 maximum\"}}\n\n",
       {"error:context_length:anthropic: prompt is too long: 210000 tokens > 200000 maximum "
        "(invalid_request_error)"}},
      {"anthropic_other_invalid_request",
       Api::kAnthropic,
       "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
       "\"message\":\"messages: roles must alternate\"}}\n\n",
       {"error:unknown:anthropic: messages: roles must alternate (invalid_request_error)"}},
      {"anthropic_error_event_with_plain_text",
       Api::kAnthropic,
       "event: error\ndata: upstream connect error\n\n",
       {"error:unknown:anthropic: upstream connect error"}},
      {"anthropic_truncated_after_message_delta",
       Api::kAnthropic,
       "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":"
       "{\"type\":\"text_delta\",\"text\":\"a\"}}\n\n"
       "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":"
       "{\"stop_reason\":\"end_turn\"}}\n\n",
       {"text:a", kEnded}},
      {"anthropic_empty_body", Api::kAnthropic, "", {kEnded}},
      {"anthropic_malformed",
       Api::kAnthropic,
       "event: content_block_delta\ndata: {oops\n\n"
       "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
       {"error:unknown:malformed stream chunk from the provider: {oops"}},
      {"anthropic_non_text_deltas_ignored",
       Api::kAnthropic,
       "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":"
       "{\"type\":\"thinking_delta\",\"thinking\":\"hmm\"}}\n\n"
       "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":"
       "{\"type\":\"input_json_delta\",\"partial_json\":\"{\"}}\n\n"
       "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":"
       "{\"type\":\"text_delta\",\"text\":\"\"}}\n\n"
       "event: future_event\ndata: {\"type\":\"future_event\",\"x\":1}\n\n"
       "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
       {"done:end_turn"}},
      {"anthropic_cache_tokens_count_as_input",
       Api::kAnthropic,
       "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":"
       "{\"input_tokens\":5,\"cache_creation_input_tokens\":100,"
       "\"cache_read_input_tokens\":1000,\"output_tokens\":1}}}\n\n"
       "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":"
       "{\"stop_reason\":\"end_turn\"},\"usage\":{\"input_tokens\":6,\"output_tokens\":9}}\n\n"
       "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
       {"usage:1105/1", "usage:6/9", "done:end_turn"}},
      {"anthropic_nothing_after_message_stop",
       Api::kAnthropic,
       "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
       "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":"
       "{\"type\":\"text_delta\",\"text\":\"late\"}}\n\n",
       {"done:end_turn"}},
      {"anthropic_crlf",
       Api::kAnthropic,
       "event: content_block_delta\r\ndata: {\"type\":\"content_block_delta\",\"delta\":"
       "{\"type\":\"text_delta\",\"text\":\"x\"}}\r\n\r\n"
       "event: message_stop\r\ndata: {\"type\":\"message_stop\"}\r\n\r\n",
       {"text:x", "done:end_turn"}},

      // ---- ollama
      {"ollama_normal",
       Api::kOllama,
       R"({"model":"llama3","created_at":"2024-01-01T00:00:00Z","message":{"role":"assistant","content":"Hel"},"done":false}
{"model":"llama3","created_at":"2024-01-01T00:00:00Z","message":{"role":"assistant","content":"lo w\u00f6rld ✓"},"done":false}
{"model":"llama3","created_at":"2024-01-01T00:00:01Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","total_duration":1,"prompt_eval_count":26,"eval_count":290}
)",
       {"text:Hel", "text:lo wörld ✓", "usage:26/290", "done:stop"}},
      {"ollama_length",
       Api::kOllama,
       "{\"message\":{\"content\":\"a\"},\"done\":false}\n"
       "{\"message\":{\"content\":\"\"},\"done\":true,\"done_reason\":\"length\","
       "\"prompt_eval_count\":1,\"eval_count\":2}\n",
       {"text:a", "usage:1/2", "done:length"}},
      {"ollama_done_without_reason_or_counts",
       Api::kOllama,
       "{\"message\":{\"content\":\"a\"},\"done\":true}\n",
       {"text:a", "usage:0/0", "done:stop"}},
      {"ollama_error_line",
       Api::kOllama,
       "{\"message\":{\"content\":\"a\"},\"done\":false}\n"
       "{\"error\":\"model 'x' not found\"}\n",
       {"text:a", "error:unknown:ollama: model 'x' not found"}},
      {"ollama_context_error",
       Api::kOllama,
       "{\"error\":\"input length exceeds the context length\"}\n",
       {"error:context_length:ollama: input length exceeds the context length"}},
      {"ollama_blank_lines_and_crlf",
       Api::kOllama,
       "\r\n\n{\"message\":{\"content\":\"a\"},\"done\":false}\r\n  \r\n"
       "{\"message\":{\"content\":\"b\"},\"done\":true}\r\n",
       {"text:a", "text:b", "usage:0/0", "done:stop"}},
      {"ollama_malformed_line",
       Api::kOllama,
       "{\"message\":{\"content\":\"a\"},\"done\":false}\nnot json\r\n"
       "{\"message\":{\"content\":\"b\"},\"done\":true}\n",
       {"text:a", "error:unknown:malformed stream chunk from the provider: not json"}},
      {"ollama_truncated",
       Api::kOllama,
       "{\"message\":{\"content\":\"a\"},\"done\":false}\n",
       {"text:a", kEnded}},
      {"ollama_cut_mid_line",
       Api::kOllama,
       "{\"message\":{\"content\":\"a\"},\"done\":false}\n{\"message\":{\"con",
       {"text:a", kEnded}},
      {"ollama_last_line_without_newline",
       Api::kOllama,
       "{\"message\":{\"content\":\"a\"},\"done\":true}",
       {"text:a", "usage:0/0", "done:stop"}},
      {"ollama_nothing_after_done",
       Api::kOllama,
       "{\"done\":true}\n{\"message\":{\"content\":\"late\"}}\nnot json\n",
       {"usage:0/0", "done:stop"}},
      {"ollama_empty_body", Api::kOllama, "", {kEnded}},
      // ---- tool calls
      {"openai_tool_calls_assembled_by_index",
       Api::kOpenAI,
       "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"Let me look.\"}}]}\n\n"
       "data: "
       "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_a\",\"type\":"
       "\"function\",\"function\":{\"name\":\"read\",\"arguments\":\"\"}}]}}]}\n\n"
       "data: "
       "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"call_b\",\"function\":{"
       "\"name\":\"ls\",\"arguments\":\"{}\"}}]}}]}\n\n"
       "data: "
       "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{"
       "\\\"path\\\":\"}}]}}]}\n\n"
       "data: "
       "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\\\"a."
       "txt\\\"}\"}}]}}]}\n\n"
       "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
       "data: [DONE]\n\n",
       {"text:Let me look.", "tool:call_a:read:{\"path\":\"a.txt\"}", "tool:call_b:ls:{}",
        "done:tool_calls"}},
      {"openai_tool_call_without_id_or_with_broken_json_is_passed_on",
       Api::kOpenAI,
       "data: "
       "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":\"exec\","
       "\"arguments\":\"{\\\"command\\\": \\\"ls\"}}]}}]}\n\n"
       "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n",
       {"tool:call_0:exec:{\"command\": \"ls", "done:tool_calls"}},
      {"openai_tool_call_cut_before_finish_is_an_error_not_a_call",
       Api::kOpenAI,
       "data: "
       "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c\",\"function\":{\"name\":"
       "\"exec\",\"arguments\":\"{\"}}]}}]}\n\n",
       {kEnded}},
      {"anthropic_tool_use_blocks",
       Api::kAnthropic,
       "event: message_start\ndata: "
       "{\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":5,\"output_tokens\":1}"
       "}}\n\n"
       "event: content_block_start\ndata: "
       "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
       "\"text\":\"\"}}\n\n"
       "event: content_block_delta\ndata: "
       "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":"
       "\"Checking.\"}}\n\n"
       "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
       "event: content_block_start\ndata: "
       "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\","
       "\"id\":\"toolu_1\",\"name\":\"read\",\"input\":{}}}\n\n"
       "event: content_block_delta\ndata: "
       "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\","
       "\"partial_json\":\"{\\\"path\\\": \"}}\n\n"
       "event: content_block_delta\ndata: "
       "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\","
       "\"partial_json\":\"\\\"x\\\"}\"}}\n\n"
       "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
       "event: content_block_start\ndata: "
       "{\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\","
       "\"id\":\"toolu_2\",\"name\":\"ls\",\"input\":{}}}\n\n"
       "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":2}\n\n"
       "event: message_delta\ndata: "
       "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_"
       "tokens\":9}}\n\n"
       "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
       {"usage:5/1", "text:Checking.", "tool:toolu_1:read:{\"path\": \"x\"}", "tool:toolu_2:ls:{}",
        "usage:5/9", "done:tool_use"}},
      {"ollama_tool_calls_with_object_arguments",
       Api::kOllama,
       "{\"message\":{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{\"function\":{"
       "\"name\":\"read\",\"arguments\":{\"path\":\"a\"}}},{\"function\":{\"name\":\"ls\","
       "\"arguments\":{}}}]},\"done\":false}\n"
       "{\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":"
       "\"stop\",\"prompt_eval_count\":3,\"eval_count\":4}\n",
       {"tool:call_0:read:{\"path\":\"a\"}", "tool:call_1:ls:{}", "usage:3/4", "done:stop"}},
  };
  return cases;
}

void PrintTo(const DecodeCase& c, std::ostream* os) { *os << c.name; }

class WireDecode : public ::testing::TestWithParam<DecodeCase> {};

TEST_P(WireDecode, WholeBody) {
  EXPECT_EQ(decode(GetParam().api, GetParam().body), GetParam().expected);
}

// Any split of the bytes (mid-line, mid-CRLF, mid-UTF-8 sequence) gives the same events.
TEST_P(WireDecode, EverySplitPointGivesTheSameEvents) {
  const DecodeCase& c = GetParam();
  for (std::size_t i = 0; i <= c.body.size(); ++i)
    ASSERT_EQ(decode(c.api, c.body, {i}), c.expected) << "split at " << i;
  std::vector<std::size_t> bytewise;
  for (std::size_t i = 1; i < c.body.size(); ++i) bytewise.push_back(i);
  EXPECT_EQ(decode(c.api, c.body, bytewise), c.expected) << "byte by byte";
}

INSTANTIATE_TEST_SUITE_P(WireTable, WireDecode, ::testing::ValuesIn(decode_cases()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(WireDecoder, NothingAfterTheTerminalEventEvenAcrossFeedsAndFinish) {
  for (Api api : {Api::kOpenAI, Api::kAnthropic, Api::kOllama}) {
    auto d = make_decoder(api);
    std::vector<StreamEvent> events;
    d->feed(api == Api::kOllama ? "not json\n" : "data: {bad\n\n", events);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].type, StreamEvent::kError);
    d->feed(api == Api::kOllama ? "{\"done\":true}\n" : "data: [DONE]\n\n", events);
    d->finish(events);
    d->finish(events);
    EXPECT_EQ(events.size(), 1u) << api_name(api);
  }
}

TEST(WireDecoder, LineOrEventOverOneMebibyteIsAnError) {
  const std::string big(std::size_t{1} << 20, 'x');
  const std::string too_large = "error:unknown:" + std::string(wire::kTooLarge);
  // Reported as soon as the limit is crossed, without waiting for the line end.
  for (Api api : {Api::kOpenAI, Api::kAnthropic, Api::kOllama}) {
    auto d = make_decoder(api);
    std::vector<StreamEvent> events;
    std::string prefix = api == Api::kOllama ? "{\"message\":{\"content\":\"" : "data: ";
    d->feed(prefix, events);
    d->feed(big, events);
    ASSERT_EQ(events.size(), 1u) << api_name(api);
    EXPECT_EQ(render(events[0]), too_large);
  }
  // An event whose data lines add up to more than 1 MiB.
  std::string many;
  for (int i = 0; i < 3; ++i) many += "data: " + std::string(400 * 1024, 'y') + "\n";
  EXPECT_EQ(decode(Api::kOpenAI, many), (V{too_large}));
}

TEST(WireDecoder, LargeChunkUnderTheLimitIsFine) {
  std::string text(900 * 1024, 'z');
  std::string body = "data: {\"choices\":[{\"delta\":{\"content\":\"" + text +
                     "\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
  EXPECT_EQ(decode(Api::kOpenAI, body), (V{"text:" + text, "done:stop"}));
}

TEST(WireDecoder, MalformedChunkMessageIsCutAndSanitized) {
  std::string junk = "{\"a\":\"" + std::string(300, 'q') + "\x01";
  V got = decode(Api::kOpenAI, "data: " + junk + "\n\n");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], "error:unknown:malformed stream chunk from the provider: {\"a\":\"" +
                        std::string(194, 'q') + "...");
}

// ---- HTTP errors --------------------------------------------------------------------

// 2024-01-01T00:00:00Z
const std::chrono::system_clock::time_point kNow =
    std::chrono::sys_days(std::chrono::year{2024} / 1 / 1);

struct HttpCase {
  const char* name;
  Api api;
  int status;
  Headers headers;
  std::string body;
  ErrorKind kind;
  bool retryable;
  std::optional<std::int64_t> retry_after_ms;
  std::string message;
};

void PrintTo(const HttpCase& c, std::ostream* os) { *os << c.name; }

class WireHttpError : public ::testing::TestWithParam<HttpCase> {};

TEST_P(WireHttpError, Classifies) {
  const HttpCase& c = GetParam();
  HttpHead head;
  head.status = c.status;
  head.headers = c.headers;
  HttpFailure f = classify_http_error(c.api, head, c.body, kNow);
  EXPECT_EQ(error_kind_name(f.kind), error_kind_name(c.kind));
  EXPECT_EQ(f.retryable, c.retryable);
  EXPECT_EQ(f.retry_after_ms, c.retry_after_ms);
  EXPECT_EQ(f.message, c.message);
}

const char kOpenAiContext[] =
    R"({"error":{"message":"This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}})";
const char kAzureFilter[] =
    R"({"error":{"message":"The response was filtered due to the prompt triggering Azure OpenAI's content management policy.","type":null,"param":"prompt","code":"content_filter","status":400}})";
const char kNginx502[] =
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad "
    "Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

INSTANTIATE_TEST_SUITE_P(
    WireTable, WireHttpError,
    ::testing::Values(
        HttpCase{
            "openai_429_retry_after_seconds",
            Api::kOpenAI,
            429,
            {{"Retry-After", "20"}},
            R"({"error":{"message":"Rate limit reached for gpt-4o","type":"requests","code":"rate_limit_exceeded"}})",
            ErrorKind::kRateLimit,
            true,
            20000,
            "openai: 429 Too Many Requests: Rate limit reached for gpt-4o"},
        HttpCase{
            "anthropic_429_retry_after_date",
            Api::kAnthropic,
            429,
            {{"retry-after", "Mon, 01 Jan 2024 00:01:30 GMT"}},
            R"({"type":"error","error":{"type":"rate_limit_error","message":"Too many requests"}})",
            ErrorKind::kRateLimit,
            true,
            90000,
            "anthropic: 429 Too Many Requests: Too many requests"},
        HttpCase{"anthropic_retry_after_ms_wins",
                 Api::kAnthropic,
                 429,
                 {{"retry-after", "2"}, {"Retry-After-Ms", "1500"}},
                 "",
                 ErrorKind::kRateLimit,
                 true,
                 1500,
                 "anthropic: 429 Too Many Requests"},
        HttpCase{"bad_retry_after_ms_falls_back",
                 Api::kAnthropic,
                 429,
                 {{"retry-after-ms", "soon"}, {"retry-after", "3"}},
                 "",
                 ErrorKind::kRateLimit,
                 true,
                 3000,
                 "anthropic: 429 Too Many Requests"},
        HttpCase{"unparseable_retry_after",
                 Api::kOpenAI,
                 429,
                 {{"Retry-After", "later"}},
                 "",
                 ErrorKind::kRateLimit,
                 true,
                 std::nullopt,
                 "openai: 429 Too Many Requests"},
        HttpCase{"anthropic_529_overloaded",
                 Api::kAnthropic,
                 529,
                 {},
                 R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})",
                 ErrorKind::kUnknown,
                 true,
                 std::nullopt,
                 "anthropic: 529 Overloaded: Overloaded"},
        HttpCase{
            "openai_500",
            Api::kOpenAI,
            500,
            {},
            R"({"error":{"message":"The server had an error while processing your request.","type":"server_error"}})",
            ErrorKind::kUnknown,
            true,
            std::nullopt,
            "openai: 500 Internal Server Error: The server had an error while processing "
            "your request."},
        HttpCase{"openai_503_with_retry_after",
                 Api::kOpenAI,
                 503,
                 {{"retry-after", "5"}},
                 "",
                 ErrorKind::kUnknown,
                 true,
                 5000,
                 "openai: 503 Service Unavailable"},
        HttpCase{"openai_502_html",
                 Api::kOpenAI,
                 502,
                 {},
                 kNginx502,
                 ErrorKind::kUnknown,
                 true,
                 std::nullopt,
                 "openai: 502 Bad Gateway: <html> <head><title>502 Bad Gateway</title></head> "
                 "<body> <center><h1>502 Bad Gateway</h1></center> <hr><center>nginx</center> "
                 "</body> </html>"},
        HttpCase{"openai_504_timeout",
                 Api::kOpenAI,
                 504,
                 {},
                 "upstream request timeout",
                 ErrorKind::kTimeout,
                 true,
                 std::nullopt,
                 "openai: 504 Gateway Timeout: upstream request timeout"},
        HttpCase{"ollama_408_timeout",
                 Api::kOllama,
                 408,
                 {},
                 "",
                 ErrorKind::kTimeout,
                 true,
                 std::nullopt,
                 "ollama: 408 Request Timeout"},
        HttpCase{
            "openai_401",
            Api::kOpenAI,
            401,
            {},
            R"({"error":{"message":"Incorrect API key provided: sk-abc***xyz.","type":"invalid_request_error","code":"invalid_api_key"}})",
            ErrorKind::kUnknown,
            false,
            std::nullopt,
            "openai: 401 Unauthorized: Incorrect API key provided: sk-abc***xyz.: check the "
            "provider's api_key"},
        HttpCase{
            "anthropic_401",
            Api::kAnthropic,
            401,
            {},
            R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})",
            ErrorKind::kUnknown,
            false,
            std::nullopt,
            "anthropic: 401 Unauthorized: invalid x-api-key: check the provider's api_key"},
        HttpCase{"ollama_403_empty_body",
                 Api::kOllama,
                 403,
                 {},
                 "",
                 ErrorKind::kUnknown,
                 false,
                 std::nullopt,
                 "ollama: 403 Forbidden: check the provider's api_key"},
        HttpCase{"openai_400_context_length",
                 Api::kOpenAI,
                 400,
                 {},
                 kOpenAiContext,
                 ErrorKind::kContextLength,
                 false,
                 std::nullopt,
                 "openai: 400 Bad Request: This model's maximum context length is 128000 "
                 "tokens. However, your messages resulted in 130000 tokens."},
        HttpCase{
            "anthropic_400_prompt_too_long",
            Api::kAnthropic,
            400,
            {},
            R"({"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 maximum"}})",
            ErrorKind::kContextLength,
            false,
            std::nullopt,
            "anthropic: 400 Bad Request: prompt is too long: 210000 tokens > 200000 "
            "maximum"},
        HttpCase{"ollama_400_context_length",
                 Api::kOllama,
                 400,
                 {},
                 R"({"error":"input length exceeds the context length"})",
                 ErrorKind::kContextLength,
                 false,
                 std::nullopt,
                 "ollama: 400 Bad Request: input length exceeds the context length"},
        HttpCase{
            "llamacpp_400_context_size",
            Api::kOpenAI,
            400,
            {},
            R"({"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error"}})",
            ErrorKind::kContextLength,
            false,
            std::nullopt,
            "openai: 400 Bad Request: the request exceeds the available context size, try "
            "increasing it"},
        HttpCase{"openai_413_payload_too_large",
                 Api::kOpenAI,
                 413,
                 {},
                 "",
                 ErrorKind::kContextLength,
                 false,
                 std::nullopt,
                 "openai: 413 Payload Too Large"},
        HttpCase{"openai_400_content_filter",
                 Api::kOpenAI,
                 400,
                 {},
                 kAzureFilter,
                 ErrorKind::kRefusal,
                 false,
                 std::nullopt,
                 "openai: 400 Bad Request: The response was filtered due to the prompt "
                 "triggering Azure OpenAI's content management policy."},
        HttpCase{
            "openai_400_other",
            Api::kOpenAI,
            400,
            {},
            R"({"error":{"message":"Invalid value for 'model'","type":"invalid_request_error"}})",
            ErrorKind::kUnknown,
            false,
            std::nullopt,
            "openai: 400 Bad Request: Invalid value for 'model'"},
        HttpCase{"context_phrase_in_a_500_is_not_context_length",
                 Api::kOpenAI,
                 500,
                 {},
                 R"({"error":{"message":"context length checker crashed"}})",
                 ErrorKind::kUnknown,
                 true,
                 std::nullopt,
                 "openai: 500 Internal Server Error: context length checker crashed"},
        HttpCase{"ollama_404_model",
                 Api::kOllama,
                 404,
                 {},
                 R"({"error":"model \"llama9\" not found, try pulling it first"})",
                 ErrorKind::kUnknown,
                 false,
                 std::nullopt,
                 "ollama: 404 Not Found: model \"llama9\" not found, try pulling it first"},
        HttpCase{
            "array_wrapped_body",
            Api::kOpenAI,
            429,
            {},
            R"([{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED"}}])",
            ErrorKind::kRateLimit,
            true,
            std::nullopt,
            "openai: 429 Too Many Requests: Resource has been exhausted"},
        HttpCase{"status_without_reason_phrase",
                 Api::kOpenAI,
                 418,
                 {},
                 "short and\tstout\n",
                 ErrorKind::kUnknown,
                 false,
                 std::nullopt,
                 "openai: 418: short and stout"},
        HttpCase{
            "cut_json_body_falls_back_to_text",
            Api::kAnthropic,
            500,
            {},
            R"({"type":"error","error":{"type":"api_er)",
            ErrorKind::kUnknown,
            true,
            std::nullopt,
            R"(anthropic: 500 Internal Server Error: {"type":"error","error":{"type":"api_er)"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(WireHttpErrorBody, LongBodyIsCutTo300BytesWithoutBreakingUtf8) {
  std::string body = std::string(299, 'a') + "\xC3\xA9" + std::string(500, 'b');
  HttpHead head;
  head.status = 500;
  HttpFailure f = classify_http_error(Api::kOpenAI, head, body, kNow);
  EXPECT_EQ(f.message, "openai: 500 Internal Server Error: " + std::string(299, 'a') + "...");
}

TEST(WireHttpErrorBody, RetryAfterDateUsesTheCurrentTime) {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now()) + 120;
  std::tm tm{};
  gmtime_r(&t, &tm);
  static const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char date[64];
  std::snprintf(date, sizeof date, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  HttpHead head;
  head.status = 429;
  head.headers = {{"Retry-After", date}};
  HttpFailure f = classify_http_error(Api::kOpenAI, head, "");
  ASSERT_TRUE(f.retry_after_ms.has_value()) << date;
  EXPECT_GT(*f.retry_after_ms, 100000);
  EXPECT_LE(*f.retry_after_ms, 120000);
}

struct RetryCase {
  const char* value;
  std::optional<std::int64_t> ms;
};

TEST(WireRetryAfter, SecondsAndHttpDates) {
  const RetryCase cases[] = {
      {"0", 0},
      {"120", 120000},
      {" 7 ", 7000},
      {"1.5", 1500},
      {"Mon, 01 Jan 2024 00:00:10 GMT", 10000},                                 // IMF-fixdate
      {"Monday, 01-Jan-24 00:01:00 GMT", 60000},                                // RFC 850
      {"Mon Jan  1 01:00:00 2024", 3600000},                                    // asctime
      {"mon, 01 jan 2024 00:00:01 gmt", 1000},                                  // case-insensitive
      {"Sun, 31 Dec 2023 23:59:00 GMT", 0},                                     // in the past
      {"Thu, 01 Jan 2099 00:00:00 GMT", std::int64_t{365} * 24 * 3600 * 1000},  // capped
      {"99999999999999999999", std::int64_t{365} * 24 * 3600 * 1000},
      {"-1", std::nullopt},
      {"", std::nullopt},
      {"1e3", std::nullopt},
      {"12abc", std::nullopt},
      {".5", std::nullopt},
      {"soon", std::nullopt},
      {"Fri, 30 Feb 2024 00:00:00 GMT", std::nullopt},  // no such day
      {"Mon, 01 Jan 2024 25:00:00 GMT", std::nullopt},
      {"Mon, 01 Jan 2024 GMT", std::nullopt},
      {"Mon, 01 Foo 2024 00:00:00 GMT", std::nullopt},
      {"Mon, 01 Jan Jan 2024 00:00:00 GMT", std::nullopt},
  };
  for (const RetryCase& c : cases)
    EXPECT_EQ(wire::parse_retry_after(c.value, kNow), c.ms) << "'" << c.value << "'";
  EXPECT_EQ(wire::parse_retry_after_ms("250"), 250);
  EXPECT_EQ(wire::parse_retry_after_ms("250.4"), 250);
  EXPECT_EQ(wire::parse_retry_after_ms("x"), std::nullopt);
}

TEST(WireSanitize, ControlCharsInvalidUtf8AndCuts) {
  EXPECT_EQ(wire::sanitize("  a\r\n\tb\x01\x7f c  ", 100), "a b c");
  EXPECT_EQ(wire::sanitize("ok \xFF\xC0\xAF end", 100),
            "ok \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD end");
  EXPECT_EQ(wire::sanitize("\xED\xA0\x80", 100), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD")
      << "UTF-16 surrogates are not UTF-8";
  EXPECT_EQ(wire::sanitize("ab\xE2\x9C\x93", 4), "ab...") << "a sequence cut by the limit";
  EXPECT_EQ(wire::sanitize("ab\xE2\x9C\x93", 5), "ab\xE2\x9C\x93");
  EXPECT_EQ(wire::sanitize("ab\xE2\x9C", 100), "ab\xEF\xBF\xBD\xEF\xBF\xBD")
      << "cut by the body itself";
  EXPECT_EQ(wire::sanitize("", 10), "");
}

}  // namespace
}  // namespace simpleclaw::providers

namespace simpleclaw::providers {
namespace {

// A conversation with a tool round: user, assistant text + two calls (one with arguments
// the model got wrong), both results (one an error), and the tool list.
ChatRequest tool_round() {
  ChatRequest req;
  req.model = "m";
  req.messages.push_back(Message{Role::kUser, "what is in a.txt?"});
  Message a{Role::kAssistant, "Looking."};
  a.tool_calls = {{"call_1", "read", R"({"path":"a.txt"})"},
                  {"call_2", "exec", R"({"command": "ls)"}};
  req.messages.push_back(a);
  Message r1{Role::kTool, "hello"};
  r1.tool_call_id = "call_1";
  r1.tool_name = "read";
  Message r2{Role::kTool, "invalid JSON arguments"};
  r2.tool_call_id = "call_2";
  r2.tool_name = "exec";
  r2.is_error = true;
  req.messages.push_back(r1);
  req.messages.push_back(r2);
  req.tools = {{"read",
                "Read a file",
                {{"type", "object"}, {"properties", {{"path", {{"type", "string"}}}}}}}};
  return req;
}

config::ProviderConfig plain(const char* api) {
  config::ProviderConfig p;
  p.name = api;
  p.api = api;
  p.base_url = "http://127.0.0.1:1";
  return p;
}

TEST(WireToolRequest, OpenAiSendsToolCallsAndToolMessages) {
  auto body =
      nlohmann::json::parse(build_chat_request(Api::kOpenAI, plain("openai"), tool_round()).body);
  const auto& m = body["messages"];
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[1]["content"], "Looking.");
  EXPECT_EQ(
      m[1]["tool_calls"][0],
      (nlohmann::json{{"id", "call_1"},
                      {"type", "function"},
                      {"function", {{"name", "read"}, {"arguments", R"({"path":"a.txt"})"}}}}));
  EXPECT_EQ(m[2],
            (nlohmann::json{{"role", "tool"}, {"tool_call_id", "call_1"}, {"content", "hello"}}));
  EXPECT_EQ(m[3]["tool_call_id"], "call_2");
  EXPECT_EQ(body["tools"][0]["type"], "function");
  EXPECT_EQ(body["tools"][0]["function"]["name"], "read");
  EXPECT_EQ(body["tools"][0]["function"]["parameters"]["properties"]["path"]["type"], "string");
  // No tools: no field at all (some servers reject an empty list).
  ChatRequest plain_req = tool_round();
  plain_req.tools.clear();
  EXPECT_FALSE(
      nlohmann::json::parse(build_chat_request(Api::kOpenAI, plain("openai"), plain_req).body)
          .contains("tools"));
}

TEST(WireToolRequest, AnthropicUsesBlocksAndMergesResultsIntoOneUserMessage) {
  auto body = nlohmann::json::parse(
      build_chat_request(Api::kAnthropic, plain("anthropic"), tool_round()).body);
  const auto& m = body["messages"];
  ASSERT_EQ(m.size(), 3u);  // user, assistant, user(tool_result x2)
  EXPECT_EQ(m[1]["content"][0], (nlohmann::json{{"type", "text"}, {"text", "Looking."}}));
  EXPECT_EQ(m[1]["content"][1]["type"], "tool_use");
  EXPECT_EQ(m[1]["content"][1]["input"], (nlohmann::json{{"path", "a.txt"}}));
  // Broken arguments are replayed as {} so the request stays valid.
  EXPECT_EQ(m[1]["content"][2]["input"], nlohmann::json::object());
  EXPECT_EQ(m[2]["role"], "user");
  ASSERT_EQ(m[2]["content"].size(), 2u);
  EXPECT_EQ(
      m[2]["content"][0],
      (nlohmann::json{{"type", "tool_result"}, {"tool_use_id", "call_1"}, {"content", "hello"}}));
  EXPECT_EQ(m[2]["content"][1]["is_error"], true);
  EXPECT_EQ(body["tools"][0]["name"], "read");
  EXPECT_EQ(body["tools"][0]["input_schema"]["type"], "object");
}

TEST(WireToolRequest, OllamaSendsObjectArgumentsAndToolNames) {
  auto body =
      nlohmann::json::parse(build_chat_request(Api::kOllama, plain("ollama"), tool_round()).body);
  const auto& m = body["messages"];
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[1]["tool_calls"][0]["function"]["arguments"], (nlohmann::json{{"path", "a.txt"}}));
  EXPECT_EQ(m[1]["tool_calls"][1]["function"]["arguments"], nlohmann::json::object());
  EXPECT_EQ(m[2], (nlohmann::json{{"role", "tool"}, {"content", "hello"}, {"tool_name", "read"}}));
  EXPECT_EQ(body["tools"][0]["function"]["name"], "read");
}

TEST(WireToolDecode, TooManyToolCallsIsAnError) {
  std::string body;
  for (std::size_t i = 0; i <= kMaxToolCalls; ++i)
    body += "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":" + std::to_string(i) +
            ",\"id\":\"c\",\"function\":{\"name\":\"ls\",\"arguments\":\"{}\"}}]}}]}\n\n";
  body += "data: [DONE]\n\n";
  auto d = make_decoder(Api::kOpenAI);
  std::vector<StreamEvent> ev;
  d->feed(body, ev);
  d->finish(ev);
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev.back().type, StreamEvent::kError);
  EXPECT_NE(ev.back().error_message.find("more than 64 tool calls"), std::string::npos);
}

TEST(WireToolDecode, HugeToolArgumentsAreAnError) {
  std::string piece(600 * 1024, 'x');
  std::string body;
  for (int i = 0; i < 2; ++i)
    body +=
        "data: "
        "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"" +
        piece + "\"}}]}}]}\n\n";
  auto d = make_decoder(Api::kOpenAI);
  std::vector<StreamEvent> ev;
  d->feed(body, ev);
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev.back().type, StreamEvent::kError);
  EXPECT_EQ(ev.back().error_message, std::string(wire::kToolArgsTooLarge));
}

}  // namespace
}  // namespace simpleclaw::providers
