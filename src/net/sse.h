// Server-Sent Events parser (WHATWG "event stream interpretation"): "data:" lines joined
// with \n, "event:", comments ":" ignored, CR/LF/CRLF line ends, a blank line dispatches.
// Bounded: a line or an event over max_bytes fails the stream. Used by the LLM wire
// formats (OpenAI, Anthropic); pure code, fuzzed (fuzz/stream_decoder.cpp). One thread at
// a time per parser.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace simpleclaw::net {

struct SseEvent {
  std::string event;  // "" = "message"
  std::string data;
};

class SseParser {
 public:
  explicit SseParser(std::size_t max_bytes = 1 << 20) : max_(max_bytes) {}
  // Returns false when a line or an event exceeds max_bytes (and on every later call).
  bool feed(std::string_view bytes, std::vector<SseEvent>& out);
  // End of the body. WHATWG discards an event without its closing blank line; we dispatch
  // it when all its lines were complete (servers that close right after the last line),
  // and discard it when the body stopped mid-line.
  void finish(std::vector<SseEvent>& out);

 private:
  bool process_line(std::vector<SseEvent>& out);

  std::size_t max_;
  std::string line_;
  SseEvent cur_;
  bool has_data_ = false;
  bool last_cr_ = false;
  bool failed_ = false;  // a limit was exceeded; every later feed() returns false
};

}  // namespace simpleclaw::net
