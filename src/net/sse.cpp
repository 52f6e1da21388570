// SseParser (see sse.h).
#include "net/sse.h"

#include <string>
#include <string_view>
#include <vector>

namespace simpleclaw::net {

bool SseParser::feed(std::string_view bytes, std::vector<SseEvent>& out) {
  if (failed_) return false;
  std::size_t i = 0;
  while (i < bytes.size()) {
    if (last_cr_) {
      last_cr_ = false;
      if (bytes[i] == '\n') {  // the LF of a CRLF split across feeds (or within this one)
        ++i;
        continue;
      }
    }
    std::size_t end = bytes.find_first_of("\r\n", i);
    std::size_t stop = end == std::string_view::npos ? bytes.size() : end;
    if (line_.size() + (stop - i) > max_) {
      failed_ = true;
      return false;
    }
    line_.append(bytes.data() + i, stop - i);
    if (end == std::string_view::npos) break;
    last_cr_ = bytes[end] == '\r';
    i = end + 1;
    bool ok = process_line(out);
    line_.clear();
    if (!ok) {
      failed_ = true;
      return false;
    }
  }
  return true;
}

bool SseParser::process_line(std::vector<SseEvent>& out) {
  std::string_view line = line_;
  if (line.empty()) {  // dispatch
    if (has_data_) out.push_back(std::move(cur_));
    cur_ = SseEvent{};
    has_data_ = false;
    return true;
  }
  if (line.front() == ':') return true;  // comment
  std::string_view field = line;
  std::string_view value;
  if (std::size_t colon = field.find(':'); colon != std::string_view::npos) {
    value = field.substr(colon + 1);
    field = field.substr(0, colon);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (cur_.data.size() + (has_data_ ? 1 : 0) + value.size() > max_) return false;
    if (has_data_) cur_.data += '\n';
    cur_.data.append(value);
    has_data_ = true;
  } else if (field == "event") {
    cur_.event.assign(value);
  }
  // "id", "retry" and unknown fields are ignored.
  return true;
}

void SseParser::finish(std::vector<SseEvent>& out) {
  if (!failed_ && line_.empty() && has_data_) out.push_back(std::move(cur_));
  cur_ = SseEvent{};
  line_.clear();
  has_data_ = false;
  last_cr_ = false;
}

}  // namespace simpleclaw::net
