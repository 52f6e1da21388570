// FakeLlm: a fake LLM server for tests and benchmarks. Real HTTP/1.1 on 127.0.0.1 (port
// 0 = any free port, optionally TLS with a generated self-signed certificate for
// 127.0.0.1/localhost) that speaks the real wire formats, so the production provider
// clients talk to it unchanged:
//
//   POST .../chat/completions   OpenAI-compatible SSE: "data: {chat.completion.chunk}"
//                               lines, a final chunk with finish_reason and usage (when
//                               stream_options.include_usage), then "data: [DONE]"
//   POST .../v1/messages        Anthropic Messages SSE: message_start, content_block_start,
//                               content_block_delta (text_delta), content_block_stop,
//                               message_delta (stop_reason, usage), message_stop
//   POST .../api/chat           Ollama NDJSON: {"model","created_at","message":{"role":
//                               "assistant","content"},"done":false} ... then done:true
//                               with done_reason, prompt_eval_count, eval_count
//   GET  .../models, /v1/models, /api/tags   model lists (probes)
//
// Which reply a request gets: the first queued Script whose `when` matches (substring
// of the last user message's text; "" matches anything), whose `when_tool_result`
// matches (substring of a last-message tool result) and whose `model` matches
// (empty = any); else the default script. The default answers "echo: <last user text>"
// in word-sized chunks at once. Errors use each API's real error body shape.
//
// A streamed reply: head (after head_delay_ms), the API's preamble, one event per chunk
// (each after chunk_delay_ms; disconnect_after closes the socket before chunk N, or after
// the last one when N >= the chunk count; drip_ms sends every byte of the body after the
// head as its own write, one each drip_ms), the malformed event, the in-stream error
// event, then the normal ending (finish reason, usage, terminator) unless there was an
// in-stream error; hang_after_head replaces the ending with silence until the client
// goes away. Non-streaming requests (openai/anthropic without "stream": true, ollama
// with "stream": false) get the whole reply as one JSON body (malformed: a non-JSON
// body; in_stream_error: the error body with status 200). Probes always succeed.
//
// Threading: the server runs on its own thread(s) (one io_context run by
// FakeOptions::threads threads, async I/O, thousands of concurrent streams); every public
// method is thread-safe. The destructor closes every connection, hanging ones included.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sctest::fakes {

// A tool call the fake model makes (after its text chunks). `arguments` is sent as the
// model would stream it, cut into `pieces` parts (it may be deliberately invalid JSON).
struct FakeToolCall {
  std::string id;  // "" = "call_<n>"/"toolu_<n>" (ollama sends none)
  std::string name;
  std::string arguments = "{}";
  int pieces = 3;
};

struct Script {
  std::string when;  // substring of the last user message; "" = any
  // Non-empty: only a request whose last message is a tool result containing this.
  std::string when_tool_result;
  std::vector<FakeToolCall> tool_calls;      // the reply calls these tools (stop: tool_calls/
                                             // tool_use); with no chunks there is no text
  std::string model;                         // only requests for this model id; "" = any
  int status = 200;                          // != 200: an error response in the API's shape
  std::string error_message = "fake error";  // for status != 200 and in-stream errors
  int retry_after_s = -1;                    // >= 0: send Retry-After
  std::string error_type;                    // "" = the API's type for the status (openai: also the
                                             // code); else this type, e.g. "insufficient_quota"
  std::vector<std::string> chunks;           // reply text pieces; empty = "echo: <last user text>"
  int head_delay_ms = 0;                     // wait before the response head
  int chunk_delay_ms = 0;                    // wait before each chunk
  int disconnect_after = -1;                 // >= 0: close the socket after this many chunks
  bool malformed = false;        // send one malformed (non-JSON) data chunk after the chunks
  bool in_stream_error = false;  // send the API's in-stream error event after the chunks
  bool hang_after_head = false;  // send the head (and chunks), then nothing, never close
  // > 0: a stream that trickles: each byte of the streamed body (preamble, chunks, ending)
  // goes out alone, this many ms after the previous one, so no idle timeout longer than
  // this ever fires. Streaming replies only.
  int drip_ms = 0;
  std::int64_t input_tokens = 11, output_tokens = 7;
  std::string stop_reason;  // "" = the API's normal stop ("stop"/"end_turn")
  int times = 1;            // how many requests this script answers (-1 = forever)
};

struct Received {
  std::string method, path;                    // path: the request target as sent
  std::map<std::string, std::string> headers;  // lower-case names
  nlohmann::json body;                         // parsed JSON body (null if none/invalid)
  std::string api;                             // "openai" | "anthropic" | "ollama" | "probe"
  std::chrono::steady_clock::time_point at;    // when the request was complete
};

struct FakeOptions {
  bool tls = false;  // serve HTTPS with a self-signed cert for 127.0.0.1 and localhost
  int port = 0;
  int threads = 1;  // io threads running the one io_context
};

class FakeLlm {
 public:
  explicit FakeLlm(FakeOptions opts = {});  // listening when the constructor returns
  ~FakeLlm();                               // stops and joins; open streams are closed
  FakeLlm(const FakeLlm&) = delete;
  FakeLlm& operator=(const FakeLlm&) = delete;

  int port() const;
  // "http(s)://127.0.0.1:<port>" (no path: openai base_url is this + "/v1").
  std::string url() const;
  const std::string& cert_pem() const;  // the self-signed certificate (tls only)

  void push(Script s);         // queue a script (FIFO among those that match)
  void set_default(Script s);  // replaces the default echo behaviour
  void clear();                // drop queued scripts, restore the default

  std::vector<Received> requests() const;  // every chat request so far, in arrival order
  std::vector<Received> probes() const;    // every model-list probe (api "probe")
  std::size_t request_count() const;       // chat requests (probes not counted)
  void clear_requests();                   // requests() and probes()
  // Waits until request_count() >= n; false on timeout.
  bool wait_requests(std::size_t n, int timeout_ms = 5000) const;
  int open_streams() const;  // responses currently being written

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sctest::fakes
