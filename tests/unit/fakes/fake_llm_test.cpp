// Self-tests of the fake LLM server (tests/fakes/fake_llm.h): the exact wire shapes of the
// three APIs, scripts, errors, broken streams, delays, TLS, request recording and many
// concurrent streams. The client side is plain synchronous Boost.Beast.
#include "fakes/fake_llm.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "fakes/fake_llm_wire.h"

namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using json = nlohmann::json;
using sctest::fakes::FakeLlm;
using sctest::fakes::FakeOptions;
using sctest::fakes::Received;
using sctest::fakes::Script;
using Clock = std::chrono::steady_clock;

std::int64_t ms_since(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
}

// Polls `cond` until it holds or `timeout_ms` pass.
bool eventually(const std::function<bool()>& cond, int timeout_ms = 5000) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!cond()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

// --- a small synchronous client ------------------------------------------------------------

enum class Api { kOpenAI, kAnthropic, kOllama };
const Api kAllApis[] = {Api::kOpenAI, Api::kAnthropic, Api::kOllama};

const char* path_for(Api api) {
  switch (api) {
    case Api::kOpenAI:
      return "/v1/chat/completions";
    case Api::kAnthropic:
      return "/v1/messages";
    case Api::kOllama:
      return "/api/chat";
  }
  return "";
}

const char* name_of(Api api) {
  switch (api) {
    case Api::kOpenAI:
      return "openai";
    case Api::kAnthropic:
      return "anthropic";
    case Api::kOllama:
      return "ollama";
  }
  return "";
}

// A chat request body the way each real client sends it.
json chat_body(Api api, const std::string& text, bool stream = true,
               const std::string& model = "m1", bool include_usage = true) {
  json b;
  b["model"] = model;
  switch (api) {
    case Api::kOpenAI:
      b["messages"] = json::array({{{"role", "system"}, {"content", "be brief"}},
                                   {{"role", "user"}, {"content", "earlier"}},
                                   {{"role", "assistant"}, {"content", "ok"}},
                                   {{"role", "user"}, {"content", text}}});
      b["stream"] = stream;
      if (stream && include_usage) b["stream_options"] = {{"include_usage", true}};
      break;
    case Api::kAnthropic:
      b["max_tokens"] = 100;
      b["system"] = "be brief";
      b["messages"] = json::array({{{"role", "user"}, {"content", "earlier"}},
                                   {{"role", "assistant"}, {"content", "ok"}},
                                   {{"role", "user"}, {"content", text}}});
      if (stream) b["stream"] = true;
      break;
    case Api::kOllama:
      b["messages"] = json::array({{{"role", "user"}, {"content", text}}});
      if (!stream) b["stream"] = false;
      break;
  }
  return b;
}

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  beast::error_code ec;  // how reading the body ended (set when the stream broke)
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// One HTTP connection (plain or TLS) with blocking reads and writes.
template <class Stream>
class BasicClient {
 public:
  template <class... Args>
  explicit BasicClient(Args&&... args) : stream_(io_, std::forward<Args>(args)...) {}

  Stream& stream() { return stream_; }
  tcp::socket::lowest_layer_type& socket() { return stream_.lowest_layer(); }

  void send(http::verb method, const std::string& target, const std::string& body,
            const std::map<std::string, std::string>& headers = {}, bool keep_alive = true) {
    http::request<http::string_body> req(method, target, 11);
    req.set(http::field::host, "127.0.0.1");
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    for (const auto& [k, v] : headers) req.set(k, v);
    req.keep_alive(keep_alive);
    req.body() = body;
    req.prepare_payload();
    http::write(stream_, req);
  }
  void send_chat(Api api, const json& body, const std::map<std::string, std::string>& headers = {},
                 bool keep_alive = true) {
    send(http::verb::post, path_for(api), body.dump(), headers, keep_alive);
  }

  // Reads the head of the next response into a fresh parser.
  Response read_head() {
    parser_.emplace();
    parser_->body_limit(boost::none);
    http::read_header(stream_, buf_, *parser_);
    return snapshot();
  }
  // Reads more of the body (at least one byte or an error).
  Response read_some() {
    beast::error_code ec;
    http::read_some(stream_, buf_, *parser_, ec);
    Response r = snapshot();
    r.ec = ec;
    return r;
  }
  // Reads the rest of the body (a broken stream sets ec and keeps what arrived).
  Response read_rest() {
    beast::error_code ec;
    http::read(stream_, buf_, *parser_, ec);
    Response r = snapshot();
    r.ec = ec;
    return r;
  }
  Response read() {
    read_head();
    return read_rest();
  }
  bool done() const { return parser_ && parser_->is_done(); }

 private:
  Response snapshot() const {
    Response r;
    const auto& m = parser_->get();
    r.status = static_cast<int>(m.result_int());
    for (const auto& f : m) r.headers[lower(std::string(f.name_string()))] = std::string(f.value());
    r.body = m.body();
    return r;
  }

  asio::io_context io_;
  Stream stream_;
  beast::flat_buffer buf_;
  std::optional<http::response_parser<http::string_body>> parser_;
};

class Client : public BasicClient<tcp::socket> {
 public:
  explicit Client(int port) {
    socket().connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  }
};

Response chat(const FakeLlm& fake, Api api, const json& body,
              const std::map<std::string, std::string>& headers = {}) {
  Client c(fake.port());
  c.send_chat(api, body, headers);
  return c.read();
}

Response get(const FakeLlm& fake, const std::string& target,
             const std::map<std::string, std::string>& headers = {}) {
  Client c(fake.port());
  c.send(http::verb::get, target, "", headers);
  return c.read();
}

// --- body decoders -------------------------------------------------------------------------

struct Sse {
  std::string event;  // "" when the block had no event: line
  std::string data;
};

// Splits an SSE body into events; every block must be "event: x\n"? "data: y\n\n".
std::vector<Sse> parse_sse(const std::string& body) {
  std::vector<Sse> out;
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t end = body.find("\n\n", pos);
    if (end == std::string::npos) {
      ADD_FAILURE() << "unterminated SSE block: " << body.substr(pos);
      break;
    }
    std::string block = body.substr(pos, end - pos);
    pos = end + 2;
    Sse e;
    std::size_t line_start = 0;
    while (line_start <= block.size()) {
      std::size_t nl = block.find('\n', line_start);
      std::string line =
          block.substr(line_start, nl == std::string::npos ? std::string::npos : nl - line_start);
      if (line.rfind("event: ", 0) == 0) {
        e.event = line.substr(7);
      } else if (line.rfind("data: ", 0) == 0) {
        e.data = line.substr(6);
      } else {
        ADD_FAILURE() << "unexpected SSE line: " << line;
      }
      if (nl == std::string::npos) break;
      line_start = nl + 1;
    }
    out.push_back(e);
  }
  return out;
}

std::vector<std::string> split_lines(const std::string& body) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t nl = body.find('\n', pos);
    if (nl == std::string::npos) {
      ADD_FAILURE() << "unterminated NDJSON line: " << body.substr(pos);
      break;
    }
    out.push_back(body.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

json parse(const std::string& s) {
  json j = json::parse(s, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON: " << s;
  return j;
}

// The reply text of a streamed body, whatever the API (ignores non-text events).
std::string streamed_text(Api api, const std::string& body) {
  std::string text;
  if (api == Api::kOllama) {
    for (const auto& line : split_lines(body)) {
      json j = json::parse(line, nullptr, false);
      if (j.is_object() && j.contains("message"))
        text += j["message"]["content"].get<std::string>();
    }
    return text;
  }
  for (const auto& e : parse_sse(body)) {
    json j = json::parse(e.data, nullptr, false);
    if (!j.is_object()) continue;
    if (api == Api::kOpenAI && j.contains("choices") && !j["choices"].empty() &&
        j["choices"][0]["delta"].contains("content"))
      text += j["choices"][0]["delta"]["content"].get<std::string>();
    if (api == Api::kAnthropic && j.value("type", "") == "content_block_delta")
      text += j["delta"]["text"].get<std::string>();
  }
  return text;
}

// How many text events a streamed body holds.
int text_events(Api api, const std::string& body) {
  int n = 0;
  if (api == Api::kOllama) {
    for (const auto& line : split_lines(body)) {
      json j = json::parse(line, nullptr, false);
      if (j.is_object() && j.value("done", true) == false) ++n;
    }
    return n;
  }
  for (const auto& e : parse_sse(body)) {
    json j = json::parse(e.data, nullptr, false);
    if (!j.is_object()) continue;
    if (api == Api::kOpenAI && j.contains("choices") && !j["choices"].empty() &&
        j["choices"][0]["delta"].contains("content"))
      ++n;
    if (api == Api::kAnthropic && j.value("type", "") == "content_block_delta") ++n;
  }
  return n;
}

// Whether the body ends with the API's normal terminator.
bool has_normal_end(Api api, const std::string& body) {
  switch (api) {
    case Api::kOpenAI:
      return body.ends_with("data: [DONE]\n\n");
    case Api::kAnthropic:
      return body.ends_with("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
    case Api::kOllama: {
      auto lines = split_lines(body);
      return !lines.empty() && parse(lines.back()).value("done", false) == true;
    }
  }
  return false;
}

// --- wire formats --------------------------------------------------------------------------

TEST(FakeLlm, OpenAiStreamHasTheExactChunkShape) {
  FakeLlm fake;
  Response r = chat(fake, Api::kOpenAI, chat_body(Api::kOpenAI, "hello  big world", true, "gpt-x"));
  ASSERT_EQ(r.status, 200);
  EXPECT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.header("content-type"), "text/event-stream");
  EXPECT_EQ(lower(r.header("transfer-encoding")), "chunked");
  ASSERT_TRUE(r.body.starts_with("data: {\"id\":\"chatcmpl-")) << r.body;

  auto events = parse_sse(r.body);
  const std::vector<std::string> pieces = {"echo: ", "hello  ", "big ", "world"};
  ASSERT_EQ(events.size(), pieces.size() + 3) << r.body;  // + finish, usage, [DONE]
  json first = parse(events[0].data);
  std::string id = first["id"];
  std::int64_t created = first["created"];
  EXPECT_NEAR(static_cast<double>(created), static_cast<double>(std::time(nullptr)), 60);
  auto chunk = [&](json choices) {
    return json{{"id", id},
                {"object", "chat.completion.chunk"},
                {"created", created},
                {"model", "gpt-x"},
                {"choices", std::move(choices)}};
  };
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    EXPECT_EQ(events[i].event, "");
    json delta =
        i == 0 ? json{{"role", "assistant"}, {"content", pieces[i]}} : json{{"content", pieces[i]}};
    EXPECT_EQ(parse(events[i].data),
              chunk(json::array({{{"index", 0}, {"delta", delta}, {"finish_reason", nullptr}}})));
  }
  EXPECT_EQ(
      parse(events[4].data),
      chunk(json::array({{{"index", 0}, {"delta", json::object()}, {"finish_reason", "stop"}}})));
  json usage = chunk(json::array());
  usage["usage"] = {{"prompt_tokens", 11}, {"completion_tokens", 7}, {"total_tokens", 18}};
  EXPECT_EQ(parse(events[5].data), usage);
  EXPECT_EQ(events[6].data, "[DONE]");
  EXPECT_EQ(streamed_text(Api::kOpenAI, r.body), "echo: hello  big world");

  // Without stream_options.include_usage there is no usage chunk; stop_reason is used.
  Script s;
  s.chunks = {"a"};
  s.stop_reason = "length";
  fake.push(s);
  r = chat(fake, Api::kOpenAI, chat_body(Api::kOpenAI, "x", true, "gpt-x", false));
  events = parse_sse(r.body);
  ASSERT_EQ(events.size(), 3u) << r.body;
  EXPECT_EQ(parse(events[1].data)["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(events[2].data, "[DONE]");
}

TEST(FakeLlm, AnthropicStreamHasTheExactEventSequence) {
  FakeLlm fake;
  Script s;
  s.chunks = {"Hi", " there"};
  s.input_tokens = 42;
  s.output_tokens = 9;
  fake.push(s);
  Response r = chat(fake, Api::kAnthropic, chat_body(Api::kAnthropic, "x", true, "claude-x"));
  ASSERT_EQ(r.status, 200);
  EXPECT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.header("content-type"), "text/event-stream");
  ASSERT_TRUE(r.body.starts_with(
      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_"))
      << r.body;

  auto events = parse_sse(r.body);
  std::vector<std::string> names;
  for (const auto& e : events) names.push_back(e.event);
  EXPECT_EQ(names,
            (std::vector<std::string>{"message_start", "content_block_start", "ping",
                                      "content_block_delta", "content_block_delta",
                                      "content_block_stop", "message_delta", "message_stop"}));
  ASSERT_EQ(events.size(), 8u);
  json start = parse(events[0].data);
  std::string id = start["message"]["id"];
  EXPECT_TRUE(id.starts_with("msg_")) << id;
  EXPECT_EQ(start, (json{{"type", "message_start"},
                         {"message",
                          {{"id", id},
                           {"type", "message"},
                           {"role", "assistant"},
                           {"content", json::array()},
                           {"model", "claude-x"},
                           {"stop_reason", nullptr},
                           {"stop_sequence", nullptr},
                           {"usage", {{"input_tokens", 42}, {"output_tokens", 1}}}}}}));
  EXPECT_EQ(parse(events[1].data), (json{{"type", "content_block_start"},
                                         {"index", 0},
                                         {"content_block", {{"type", "text"}, {"text", ""}}}}));
  EXPECT_EQ(parse(events[2].data), (json{{"type", "ping"}}));
  EXPECT_EQ(parse(events[3].data), (json{{"type", "content_block_delta"},
                                         {"index", 0},
                                         {"delta", {{"type", "text_delta"}, {"text", "Hi"}}}}));
  EXPECT_EQ(parse(events[4].data)["delta"]["text"], " there");
  EXPECT_EQ(parse(events[5].data), (json{{"type", "content_block_stop"}, {"index", 0}}));
  EXPECT_EQ(parse(events[6].data),
            (json{{"type", "message_delta"},
                  {"delta", {{"stop_reason", "end_turn"}, {"stop_sequence", nullptr}}},
                  {"usage", {{"output_tokens", 9}}}}));
  EXPECT_EQ(parse(events[7].data), (json{{"type", "message_stop"}}));
}

TEST(FakeLlm, OllamaStreamHasTheExactLines) {
  FakeLlm fake;
  Response r = chat(fake, Api::kOllama, chat_body(Api::kOllama, "hi there", true, "llama-x"));
  ASSERT_EQ(r.status, 200);
  EXPECT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.header("content-type"), "application/x-ndjson");
  auto lines = split_lines(r.body);
  const std::vector<std::string> pieces = {"echo: ", "hi ", "there"};
  ASSERT_EQ(lines.size(), pieces.size() + 1) << r.body;
  const std::regex rfc3339(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z)");
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    EXPECT_TRUE(lines[i].starts_with("{\"model\":\"llama-x\",\"created_at\":\"")) << lines[i];
    json j = parse(lines[i]);
    std::string at = j["created_at"];
    EXPECT_TRUE(std::regex_match(at, rfc3339)) << at;
    EXPECT_EQ(j, (json{{"model", "llama-x"},
                       {"created_at", at},
                       {"message", {{"role", "assistant"}, {"content", pieces[i]}}},
                       {"done", false}}));
  }
  json last = parse(lines.back());
  EXPECT_EQ(last["model"], "llama-x");
  EXPECT_EQ(last["message"], (json{{"role", "assistant"}, {"content", ""}}));
  EXPECT_EQ(last["done"], true);
  EXPECT_EQ(last["done_reason"], "stop");
  EXPECT_TRUE(last["total_duration"].is_number_integer());
  EXPECT_EQ(last["prompt_eval_count"], 11);
  EXPECT_EQ(last["eval_count"], 7);
}

TEST(FakeLlm, NonStreamingRequestsGetOneJsonBody) {
  FakeLlm fake;
  Response r = chat(fake, Api::kOpenAI, chat_body(Api::kOpenAI, "a b", false, "gpt-x"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "application/json");
  json j = parse(r.body);
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["model"], "gpt-x");
  EXPECT_EQ(j["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(j["choices"][0]["message"]["content"], "echo: a b");
  EXPECT_EQ(j["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(j["usage"],
            (json{{"prompt_tokens", 11}, {"completion_tokens", 7}, {"total_tokens", 18}}));

  r = chat(fake, Api::kAnthropic, chat_body(Api::kAnthropic, "a b", false, "claude-x"));
  j = parse(r.body);
  EXPECT_EQ(j["type"], "message");
  EXPECT_EQ(j["content"], (json::array({{{"type", "text"}, {"text", "echo: a b"}}})));
  EXPECT_EQ(j["stop_reason"], "end_turn");
  EXPECT_EQ(j["usage"], (json{{"input_tokens", 11}, {"output_tokens", 7}}));

  r = chat(fake, Api::kOllama, chat_body(Api::kOllama, "a b", false, "llama-x"));
  j = parse(r.body);
  EXPECT_EQ(j["message"]["content"], "echo: a b");
  EXPECT_EQ(j["done"], true);
  EXPECT_EQ(j["eval_count"], 7);
}

TEST(FakeLlm, LastUserTextComesFromStringOrTextParts) {
  FakeLlm fake;
  json b = chat_body(Api::kOpenAI, "", true);
  b["messages"].back()["content"] =
      json::array({{{"type", "text"}, {"text", "part one"}},
                   {{"type", "image_url"}, {"image_url", {{"url", "data:x"}}}},
                   {{"type", "text"}, {"text", "part two"}}});
  b["messages"].push_back({{"role", "assistant"}, {"content", "not me"}});
  EXPECT_EQ(streamed_text(Api::kOpenAI, chat(fake, Api::kOpenAI, b).body),
            "echo: part one\npart two");

  b = chat_body(Api::kAnthropic, "", true);
  b["messages"].back()["content"] = json::array({{{"type", "text"}, {"text", "block"}}});
  EXPECT_EQ(streamed_text(Api::kAnthropic, chat(fake, Api::kAnthropic, b).body), "echo: block");

  // A scripted chunk that is not UTF-8 still makes a complete stream (U+FFFD instead).
  Script bad;
  bad.chunks = {"caf\xc3", "\xa9"};
  fake.push(bad);
  Response r = chat(fake, Api::kOpenAI, chat_body(Api::kOpenAI, "x"));
  EXPECT_TRUE(has_normal_end(Api::kOpenAI, r.body)) << r.body;
  EXPECT_EQ(text_events(Api::kOpenAI, r.body), 2);

  EXPECT_EQ(sctest::fakes::wire::split_words("  a b  c "),
            (std::vector<std::string>{"  a ", "b  ", "c "}));
  EXPECT_EQ(sctest::fakes::wire::split_words(""), (std::vector<std::string>{""}));
}

// --- scripts -------------------------------------------------------------------------------

TEST(FakeLlm, ScriptsMatchWhenAndModelInFifoOrderWithTimes) {
  FakeLlm fake;
  auto reply = [&](const std::string& text, const std::string& model) {
    return streamed_text(Api::kOpenAI,
                         chat(fake, Api::kOpenAI, chat_body(Api::kOpenAI, text, true, model)).body);
  };
  Script weather;
  weather.when = "weather";
  weather.chunks = {"sunny"};
  weather.times = 2;
  fake.push(weather);
  Script m2;
  m2.model = "m2";
  m2.chunks = {"from m2"};
  fake.push(m2);
  Script any;
  any.chunks = {"any"};
  fake.push(any);

  EXPECT_EQ(reply("hello", "m1"), "any");                // skips the two that do not match
  EXPECT_EQ(reply("the weather today", "m2"), "sunny");  // first match wins (FIFO)
  EXPECT_EQ(reply("hello", "m2"), "from m2");
  EXPECT_EQ(reply("hello", "m2"), "echo: hello");        // m2 answered its one time
  EXPECT_EQ(reply("weather?", "m1"), "sunny");           // times = 2
  EXPECT_EQ(reply("weather?", "m1"), "echo: weather?");  // exhausted: default

  Script forever;
  forever.chunks = {"again"};
  forever.times = -1;
  fake.push(forever);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(reply("x", "m1"), "again");

  Script def;
  def.chunks = {"new ", "default"};
  fake.set_default(def);
  fake.clear();  // drops `forever`, restores the echo
  EXPECT_EQ(reply("x", "m1"), "echo: x");
  fake.set_default(def);
  EXPECT_EQ(reply("x", "m1"), "new default");
  EXPECT_EQ(reply("y", "m1"), "new default");
}

struct ErrorCase {
  Api api;
  int status;
  std::string message;
  std::string error_type;  // Script::error_type
  json expected;
};

TEST(FakeLlm, StatusErrorsUseEachApisErrorShape) {
  const std::vector<ErrorCase> cases = {
      {Api::kOpenAI,
       429,
       "slow down",
       "",
       {{"error",
         {{"message", "slow down"},
          {"type", "rate_limit_exceeded"},
          {"param", nullptr},
          {"code", "rate_limit_exceeded"}}}}},
      {Api::kOpenAI,
       400,
       "This model's maximum context length is 8192 tokens",
       "",
       {{"error",
         {{"message", "This model's maximum context length is 8192 tokens"},
          {"type", "invalid_request_error"},
          {"param", nullptr},
          {"code", "context_length_exceeded"}}}}},
      {Api::kOpenAI,
       401,
       "bad key",
       "",
       {{"error",
         {{"message", "bad key"},
          {"type", "invalid_request_error"},
          {"param", nullptr},
          {"code", "invalid_api_key"}}}}},
      {Api::kOpenAI,
       500,
       "boom",
       "",
       {{"error",
         {{"message", "boom"},
          {"type", "server_error"},
          {"param", nullptr},
          {"code", "server_error"}}}}},
      {Api::kOpenAI,
       429,
       "quota",
       "insufficient_quota",
       {{"error",
         {{"message", "quota"},
          {"type", "insufficient_quota"},
          {"param", nullptr},
          {"code", "insufficient_quota"}}}}},
      {Api::kAnthropic,
       429,
       "slow down",
       "",
       {{"type", "error"}, {"error", {{"type", "rate_limit_error"}, {"message", "slow down"}}}}},
      {Api::kAnthropic,
       529,
       "busy",
       "",
       {{"type", "error"}, {"error", {{"type", "overloaded_error"}, {"message", "busy"}}}}},
      {Api::kAnthropic,
       400,
       "prompt is too long",
       "",
       {{"type", "error"},
        {"error", {{"type", "invalid_request_error"}, {"message", "prompt is too long"}}}}},
      {Api::kAnthropic,
       401,
       "bad key",
       "",
       {{"type", "error"}, {"error", {{"type", "authentication_error"}, {"message", "bad key"}}}}},
      {Api::kAnthropic,
       500,
       "boom",
       "",
       {{"type", "error"}, {"error", {{"type", "api_error"}, {"message", "boom"}}}}},
      {Api::kOllama, 404, "model \"x\" not found", "", {{"error", "model \"x\" not found"}}},
      {Api::kOllama, 500, "boom", "", {{"error", "boom"}}},
  };
  FakeLlm fake;
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(name_of(c.api)) + " " + std::to_string(c.status));
    Script s;
    s.status = c.status;
    s.error_message = c.message;
    s.error_type = c.error_type;
    s.retry_after_s = c.status == 429 ? 7 : -1;
    fake.push(s);
    Response r = chat(fake, c.api, chat_body(c.api, "x"));
    EXPECT_EQ(r.status, c.status);
    EXPECT_EQ(r.header("content-type"), "application/json");
    EXPECT_EQ(r.header("retry-after"), c.status == 429 ? "7" : "");
    EXPECT_EQ(parse(r.body), c.expected) << r.body;
  }
  // The script is used up: the next request succeeds.
  EXPECT_EQ(chat(fake, Api::kOpenAI, chat_body(Api::kOpenAI, "x")).status, 200);
}

// --- broken streams ------------------------------------------------------------------------

TEST(FakeLlm, InStreamErrorEndsTheStreamWithTheApisErrorEvent) {
  FakeLlm fake;
  for (Api api : kAllApis) {
    SCOPED_TRACE(name_of(api));
    Script s;
    s.chunks = {"par", "tial"};
    s.in_stream_error = true;
    s.error_message = "overloaded now";
    fake.push(s);
    Response r = chat(fake, api, chat_body(api, "x"));
    ASSERT_EQ(r.status, 200);
    EXPECT_FALSE(r.ec) << r.ec.message();  // the HTTP body itself ends cleanly
    EXPECT_EQ(streamed_text(api, r.body), "partial");
    EXPECT_FALSE(has_normal_end(api, r.body)) << r.body;
    if (api == Api::kOllama) {
      EXPECT_EQ(parse(split_lines(r.body).back()), (json{{"error", "overloaded now"}}));
      continue;
    }
    auto events = parse_sse(r.body);
    ASSERT_FALSE(events.empty());
    if (api == Api::kOpenAI) {
      EXPECT_EQ(events.back().event, "");
      EXPECT_EQ(parse(events.back().data),
                (json{{"error", {{"message", "overloaded now"}, {"type", "server_error"}}}}));
    } else {
      EXPECT_EQ(events.back().event, "error");
      EXPECT_EQ(parse(events.back().data),
                (json{{"type", "error"},
                      {"error", {{"type", "overloaded_error"}, {"message", "overloaded now"}}}}));
    }
  }
}

TEST(FakeLlm, DisconnectAfterClosesTheSocketMidStream) {
  FakeLlm fake;
  for (Api api : kAllApis) {
    for (int after : {0, 2, 3}) {
      SCOPED_TRACE(std::string(name_of(api)) + " after " + std::to_string(after));
      Script s;
      s.chunks = {"a ", "b ", "c"};
      s.disconnect_after = after;
      fake.push(s);
      Response r = chat(fake, api, chat_body(api, "x"));
      ASSERT_EQ(r.status, 200);
      EXPECT_TRUE(r.ec) << "the body should end early";
      EXPECT_EQ(text_events(api, r.body), after) << r.body;
      EXPECT_FALSE(has_normal_end(api, r.body)) << r.body;
    }
  }
  EXPECT_TRUE(eventually([&] { return fake.open_streams() == 0; }));
}

TEST(FakeLlm, MalformedSendsOneNonJsonEventThenTheNormalEnd) {
  FakeLlm fake;
  for (Api api : kAllApis) {
    SCOPED_TRACE(name_of(api));
    Script s;
    s.chunks = {"ok"};
    s.malformed = true;
    fake.push(s);
    Response r = chat(fake, api, chat_body(api, "x"));
    ASSERT_EQ(r.status, 200);
    std::vector<std::string> payloads;
    if (api == Api::kOllama) {
      payloads = split_lines(r.body);
    } else {
      for (const auto& e : parse_sse(r.body)) payloads.push_back(e.data);
    }
    int bad = 0;
    for (const auto& p : payloads)
      if (p != "[DONE]" && json::parse(p, nullptr, false).is_discarded()) ++bad;
    EXPECT_EQ(bad, 1) << r.body;
    EXPECT_EQ(streamed_text(api, r.body), "ok");
    EXPECT_TRUE(has_normal_end(api, r.body)) << r.body;
  }
}

TEST(FakeLlm, HangAfterHeadStaysSilentAndShutdownClosesIt) {
  auto fake = std::make_unique<FakeLlm>();
  Script s;
  s.chunks = {"first"};
  s.hang_after_head = true;
  fake->push(s);
  Client c(fake->port());
  c.send_chat(Api::kOpenAI, chat_body(Api::kOpenAI, "x"));
  Response r = c.read_head();
  ASSERT_EQ(r.status, 200);
  while (streamed_text(Api::kOpenAI, r.body) != "first") {
    r = c.read_some();
    ASSERT_FALSE(r.ec) << r.ec.message();
  }
  // Nothing more comes, and the response stays open.
  pollfd pfd{c.socket().native_handle(), POLLIN, 0};
  EXPECT_EQ(::poll(&pfd, 1, 200), 0) << "the fake sent more after the chunks";
  EXPECT_EQ(fake->open_streams(), 1);
  EXPECT_FALSE(c.done());

  auto t0 = Clock::now();
  fake.reset();
  EXPECT_LT(ms_since(t0), 2000) << "shutdown should not wait for hanging streams";
  r = c.read_rest();
  EXPECT_TRUE(r.ec) << "the connection should be closed";
}

TEST(FakeLlm, HeadAndChunkDelaysAreApplied) {
  FakeLlm fake;
  Script s;
  s.head_delay_ms = 200;
  s.chunks = {"a", "b", "c"};
  s.chunk_delay_ms = 80;
  fake.push(s);
  Client c(fake.port());
  auto t0 = Clock::now();
  c.send_chat(Api::kAnthropic, chat_body(Api::kAnthropic, "x"));
  Response r = c.read_head();
  auto head_ms = ms_since(t0);
  EXPECT_GE(head_ms, 200);
  EXPECT_LT(head_ms, 3000);
  r = c.read_rest();
  EXPECT_FALSE(r.ec) << r.ec.message();
  // From the request (the chunk timers start when the head is written, which can be a
  // little before read_head returns here).
  EXPECT_GE(ms_since(t0), 200 + 3 * 80);
  EXPECT_EQ(streamed_text(Api::kAnthropic, r.body), "abc");

  // The default has no delays: a reply comes well before the scripted delay would pass.
  auto t2 = Clock::now();
  EXPECT_EQ(chat(fake, Api::kOpenAI, chat_body(Api::kOpenAI, "x")).status, 200);
  EXPECT_LT(ms_since(t2), 2000);
}

// --- TLS -----------------------------------------------------------------------------------

using TlsStream = ssl::stream<tcp::socket>;

class TlsClient : public BasicClient<TlsStream> {
 public:
  TlsClient(ssl::context& ctx, int port) : BasicClient<TlsStream>(ctx) {
    socket().connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  }
};

TEST(FakeLlm, TlsServesHttpsWithACertificateFor127001) {
  FakeLlm fake(FakeOptions{.tls = true});
  EXPECT_EQ(fake.url(), "https://127.0.0.1:" + std::to_string(fake.port()));
  ASSERT_TRUE(fake.cert_pem().starts_with("-----BEGIN CERTIFICATE-----")) << fake.cert_pem();

  ssl::context ctx(ssl::context::tls_client);
  ctx.add_certificate_authority(asio::buffer(fake.cert_pem()));
  ctx.set_verify_mode(ssl::verify_peer);
  for (const char* host : {"127.0.0.1", "localhost"}) {
    SCOPED_TRACE(host);
    TlsClient c(ctx, fake.port());
    c.stream().set_verify_callback(ssl::host_name_verification(host));
    ASSERT_NO_THROW(c.stream().handshake(ssl::stream_base::client));
    for (int i = 0; i < 2; ++i) {  // keep-alive over TLS
      c.send_chat(Api::kOpenAI, chat_body(Api::kOpenAI, "secure"));
      Response r = c.read();
      EXPECT_EQ(r.status, 200);
      EXPECT_FALSE(r.ec) << r.ec.message();
      EXPECT_EQ(streamed_text(Api::kOpenAI, r.body), "echo: secure");
    }
  }
  // The certificate names only this machine.
  TlsClient other(ctx, fake.port());
  other.stream().set_verify_callback(ssl::host_name_verification("example.com"));
  beast::error_code ec;
  other.stream().handshake(ssl::stream_base::client, ec);
  EXPECT_TRUE(ec) << "a certificate for example.com should not verify";
  // Plain HTTP is not served on the TLS port.
  Client plain(fake.port());
  plain.send_chat(Api::kOpenAI, chat_body(Api::kOpenAI, "x"));
  EXPECT_ANY_THROW(plain.read());
  EXPECT_EQ(fake.request_count(), 4u);
}

// --- recording -----------------------------------------------------------------------------

TEST(FakeLlm, WaitRequestsReturnsWhenTheRequestArrives) {
  FakeLlm fake;
  EXPECT_FALSE(fake.wait_requests(1, 30));
  Script s;
  s.head_delay_ms = 300;
  fake.push(s);
  std::thread t([&] { chat(fake, Api::kOllama, chat_body(Api::kOllama, "x")); });
  auto t0 = Clock::now();
  EXPECT_TRUE(fake.wait_requests(1, 5000));
  EXPECT_LT(ms_since(t0), 3000);
  EXPECT_EQ(fake.request_count(), 1u);
  // It is counted on arrival, before the reply.
  EXPECT_TRUE(eventually([&] { return fake.open_streams() == 1; }));
  t.join();
  EXPECT_TRUE(eventually([&] { return fake.open_streams() == 0; }));
  EXPECT_TRUE(fake.wait_requests(1, 0));
  EXPECT_FALSE(fake.wait_requests(2, 10));
}

TEST(FakeLlm, RequestsRecordMethodPathHeadersAndBody) {
  FakeLlm fake;
  json body = chat_body(Api::kAnthropic, "remember me", true, "claude-x");
  Response r = chat(fake, Api::kAnthropic, body,
                    {{"x-api-key", "sk-test"},
                     {"anthropic-version", "2023-06-01"},
                     {"X-Custom-Header", "Value"}});
  EXPECT_EQ(r.status, 200);
  Client c(fake.port());
  c.send(http::verb::post, "/openai/v1/chat/completions?api-version=2", "{not json");
  r = c.read();
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(parse(r.body)["error"]["type"], "invalid_request_error");
  EXPECT_EQ(get(fake, "/v1/models").status, 200);  // a probe: not a chat request

  ASSERT_EQ(fake.request_count(), 2u);
  auto reqs = fake.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].path, "/v1/messages");
  EXPECT_EQ(reqs[0].api, "anthropic");
  EXPECT_EQ(reqs[0].headers.at("x-api-key"), "sk-test");
  EXPECT_EQ(reqs[0].headers.at("anthropic-version"), "2023-06-01");
  EXPECT_EQ(reqs[0].headers.at("x-custom-header"), "Value");
  EXPECT_EQ(reqs[0].headers.at("content-type"), "application/json");
  EXPECT_EQ(reqs[0].body, body);
  EXPECT_EQ(reqs[1].path, "/openai/v1/chat/completions?api-version=2");
  EXPECT_EQ(reqs[1].api, "openai");
  EXPECT_TRUE(reqs[1].body.is_null());
  auto probes = fake.probes();
  ASSERT_EQ(probes.size(), 1u);
  EXPECT_EQ(probes[0].method, "GET");
  EXPECT_EQ(probes[0].path, "/v1/models");
  EXPECT_EQ(probes[0].api, "probe");

  fake.clear_requests();
  EXPECT_EQ(fake.request_count(), 0u);
  EXPECT_TRUE(fake.requests().empty());
  EXPECT_TRUE(fake.probes().empty());
}

TEST(FakeLlm, LargeRequestBodiesAreRead) {
  FakeLlm fake;
  json body = chat_body(Api::kOpenAI, "short", true);
  body["messages"][1]["content"] = std::string(3 * 1024 * 1024, 'x');
  Response r = chat(fake, Api::kOpenAI, body);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(streamed_text(Api::kOpenAI, r.body), "echo: short");
  ASSERT_EQ(fake.request_count(), 1u);
  EXPECT_EQ(fake.requests()[0].body, body);
}

// --- probes and routing --------------------------------------------------------------------

TEST(FakeLlm, ProbesListFixedAndSeenModels) {
  FakeLlm fake;
  chat(fake, Api::kOpenAI, chat_body(Api::kOpenAI, "x", true, "seen-model"));
  auto ids = [](const json& list, const char* key) {
    std::vector<std::string> out;
    for (const auto& m : list) out.push_back(m[key]);
    return out;
  };
  auto contains = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };

  for (const char* target : {"/v1/models", "/models"}) {
    Response r = get(fake, target);
    ASSERT_EQ(r.status, 200) << target;
    json j = parse(r.body);
    EXPECT_EQ(j["object"], "list");
    auto v = ids(j["data"], "id");
    EXPECT_TRUE(contains(v, "seen-model"));
    EXPECT_TRUE(contains(v, "gpt-4o-mini"));
    for (const auto& m : j["data"]) EXPECT_EQ(m["object"], "model");
  }
  Response r = get(fake, "/v1/models", {{"anthropic-version", "2023-06-01"}, {"x-api-key", "k"}});
  json j = parse(r.body);
  EXPECT_FALSE(j.contains("object"));
  EXPECT_TRUE(contains(ids(j["data"], "id"), "claude-sonnet-4-5"));
  EXPECT_TRUE(contains(ids(j["data"], "id"), "seen-model"));
  for (const auto& m : j["data"]) EXPECT_EQ(m["type"], "model");

  r = get(fake, "/api/tags");
  j = parse(r.body);
  EXPECT_TRUE(contains(ids(j["models"], "name"), "llama3.2"));
  EXPECT_TRUE(contains(ids(j["models"], "name"), "seen-model"));

  r = get(fake, "/v2/nothing-here");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(parse(r.body)["error"]["code"], "unknown_url");
  r = get(fake, "/v1/chat/completions");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(fake.request_count(), 1u);
  EXPECT_EQ(fake.probes().size(), 4u);
}

TEST(FakeLlm, KeepAliveServesSeveralRequestsAndConnectionCloseCloses) {
  FakeLlm fake;
  Script err;
  err.when = "fail";
  err.status = 503;
  fake.push(err);
  Client c(fake.port());
  for (Api api : kAllApis) {
    c.send_chat(api, chat_body(api, "one"));
    Response r = c.read();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(streamed_text(api, r.body), "echo: one");
  }
  c.send_chat(Api::kOpenAI, chat_body(Api::kOpenAI, "fail"));
  EXPECT_EQ(c.read().status, 503);
  c.send_chat(Api::kOpenAI, chat_body(Api::kOpenAI, "whole", false));
  EXPECT_EQ(parse(c.read().body)["choices"][0]["message"]["content"], "echo: whole");
  c.send(http::verb::get, "/api/tags", "");
  EXPECT_EQ(c.read().status, 200);

  c.send_chat(Api::kOllama, chat_body(Api::kOllama, "last"), {}, /*keep_alive=*/false);
  Response r = c.read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(streamed_text(Api::kOllama, r.body), "echo: last");
  // The server closes after a Connection: close exchange.
  std::array<char, 16> scratch;
  beast::error_code ec;
  c.stream().read_some(asio::buffer(scratch), ec);
  EXPECT_EQ(ec, asio::error::eof);
  EXPECT_EQ(fake.request_count(), 6u);
}

// --- load ----------------------------------------------------------------------------------

TEST(FakeLlm, TwoHundredConcurrentStreams) {
  constexpr int kStreams = 200;
  FakeLlm fake(FakeOptions{.threads = 2});
  Script s;
  s.chunks = {"slow ", "reply"};
  // Each stream lasts two delays: long enough that the first is still open when the last
  // of the 200 is sent on a loaded machine (under ASan with -j3, 400 ms was not).
  s.chunk_delay_ms = 1500;
  s.times = -1;
  fake.push(s);
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kStreams; ++i) {
    clients.push_back(std::make_unique<Client>(fake.port()));
    clients.back()->send_chat(kAllApis[i % 3], chat_body(kAllApis[i % 3], "x"));
  }
  // Every stream is open at the same time: no thread (or turn) per stream.
  EXPECT_TRUE(eventually([&] { return fake.open_streams() == kStreams; }))
      << "open streams: " << fake.open_streams();
  for (int i = 0; i < kStreams; ++i) {
    Response r = clients[i]->read();
    ASSERT_EQ(r.status, 200);
    EXPECT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(streamed_text(kAllApis[i % 3], r.body), "slow reply");
  }
  EXPECT_EQ(fake.request_count(), static_cast<std::size_t>(kStreams));
  EXPECT_TRUE(eventually([&] { return fake.open_streams() == 0; }));
}

}  // namespace
