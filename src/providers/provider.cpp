// HTTP error classification and the helpers the per-API files share (wire_internal.h).
#include "providers/provider.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "base/utf8.h"
#include "providers/wire_internal.h"

namespace simpleclaw::providers {

using nlohmann::json;

Endpoint endpoint_of(const config::ProviderConfig& provider) {
  return Endpoint{provider.name, provider.base_url, provider.api_key, provider.headers};
}

namespace {

using SysMs = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

// Retry-After beyond a year is treated as a year (keeps the arithmetic far from overflow;
// the runner does not wait that long anyway).
constexpr std::int64_t kMaxRetryAfterMs = std::int64_t{365} * 24 * 3600 * 1000;

HttpFailure classify(std::string_view api, const HttpHead& head, std::string_view body,
                     std::optional<std::chrono::system_clock::time_point> now) {
  HttpFailure f;
  const int status = head.status;
  if (status == 429) {
    f.kind = ErrorKind::kRateLimit;
    f.retryable = true;
  } else if (status == 408 || status == 504) {
    f.kind = ErrorKind::kTimeout;
    f.retryable = true;
  } else if (status >= 500 && status <= 599) {  // anthropic's 529 "overloaded" included
    f.retryable = true;
  } else if (status == 413 || (status == 400 && wire::mentions_context_length(body))) {
    // 413: the request (i.e. the history) is too big for the server; same remedy.
    f.kind = ErrorKind::kContextLength;
  } else if (status == 400 && wire::mentions_refusal(body)) {
    f.kind = ErrorKind::kRefusal;
  }

  std::string provider_message = wire::error_body_message(body);
  if (provider_message.empty()) provider_message = wire::sanitize(body, 300);
  f.message = std::string(api) + ": " + std::to_string(status);
  if (std::string_view reason = wire::reason_phrase(status); !reason.empty()) {
    f.message += ' ';
    f.message += reason;
  }
  if (!provider_message.empty()) f.message += ": " + provider_message;
  if (status == 401 || status == 403) f.message += ": check the provider's api_key";

  if (std::string ms = head.header("retry-after-ms"); !ms.empty())
    f.retry_after_ms = wire::parse_retry_after_ms(ms);
  if (!f.retry_after_ms) {
    if (std::string ra = head.header("retry-after"); !ra.empty())
      f.retry_after_ms = wire::parse_retry_after(ra, now ? *now : std::chrono::system_clock::now());
  }
  return f;
}

}  // namespace

HttpFailure classify_http_error(std::string_view api, const HttpHead& head, std::string_view body) {
  return classify(api, head, body, std::nullopt);
}

HttpFailure classify_http_error(std::string_view api, const HttpHead& head, std::string_view body,
                                std::chrono::system_clock::time_point now) {
  return classify(api, head, body, now);
}

namespace wire {

std::string_view trim_space(std::string_view s) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string strip_ctl(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s)
    if (c != '\r' && c != '\n' && c != '\0') out += c;
  return out;
}

// A non-negative decimal number ("12", "1.5"); nullopt for anything else.
std::optional<double> parse_decimal(std::string_view v) {
  v = trim_space(v);
  if (v.empty() || v.size() > 32) return std::nullopt;
  bool dot = false, digit = false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] >= '0' && v[i] <= '9') {
      digit = true;
    } else if (v[i] == '.' && !dot && i > 0 && i + 1 < v.size()) {
      dot = true;
    } else {
      return std::nullopt;
    }
  }
  if (!digit) return std::nullopt;
  double d = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (ec != std::errc() || p != v.data() + v.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

std::int64_t clamp_ms(double ms) {
  if (!(ms > 0)) return 0;
  if (ms >= static_cast<double>(kMaxRetryAfterMs)) return kMaxRetryAfterMs;
  return static_cast<std::int64_t>(std::llround(ms));
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int to_int(std::string_view s) {
  int v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT"
// and asctime "Sun Nov  6 08:49:37 1994": the day is the first number and the year the
// second in all three; weekday and zone words are ignored.
std::optional<SysMs> parse_http_date(std::string_view v) {
  static constexpr std::string_view kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                 "jul", "aug", "sep", "oct", "nov", "dec"};
  int month = 0, nums[2] = {0, 0}, nnum = 0, hh = -1, mm = 0, ss = 0;
  std::size_t year_digits = 0;
  std::size_t i = 0;
  while (i < v.size()) {
    if (v[i] == ' ' || v[i] == ',' || v[i] == '-' || v[i] == '\t') {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < v.size() && v[j] != ' ' && v[j] != ',' && v[j] != '-' && v[j] != '\t') ++j;
    std::string_view tok = v.substr(i, j - i);
    i = j;
    if (tok.find(':') != std::string_view::npos) {
      if (hh >= 0 || tok.size() != 8 || tok[2] != ':' || tok[5] != ':') return std::nullopt;
      if (!all_digits(tok.substr(0, 2)) || !all_digits(tok.substr(3, 2)) ||
          !all_digits(tok.substr(6, 2)))
        return std::nullopt;
      hh = to_int(tok.substr(0, 2));
      mm = to_int(tok.substr(3, 2));
      ss = to_int(tok.substr(6, 2));
    } else if (all_digits(tok)) {
      if (nnum == 2 || tok.size() > 4) return std::nullopt;
      if (nnum == 1) year_digits = tok.size();
      nums[nnum++] = to_int(tok);
    } else if (std::all_of(tok.begin(), tok.end(),
                           [](char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; })) {
      for (int m = 0; m < 12; ++m)
        if (iequals(tok, kMonths[m])) {
          if (month) return std::nullopt;
          month = m + 1;
        }
    } else {
      return std::nullopt;
    }
  }
  if (!month || nnum != 2 || hh < 0 || hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  int year = nums[1];
  if (year_digits <= 2) year += year < 70 ? 2000 : 1900;
  if (year < 1970) return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year{year},
                                  std::chrono::month{static_cast<unsigned>(month)},
                                  std::chrono::day{static_cast<unsigned>(nums[0])}};
  if (!ymd.ok()) return std::nullopt;
  return SysMs(std::chrono::sys_days(ymd)) + std::chrono::hours(hh) + std::chrono::minutes(mm) +
         std::chrono::seconds(std::min(ss, 59));
}

}  // namespace

std::string base_url(const WireFormat& wire, const Endpoint& provider) {
  std::string url =
      provider.base_url.empty() ? std::string(wire.default_base_url()) : provider.base_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

void set_header(HttpRequest& req, std::string_view name, std::string_view value) {
  std::string n = strip_ctl(name), v = strip_ctl(value);
  if (n.empty()) return;
  for (auto& [hn, hv] : req.headers) {
    if (iequals(hn, n)) {
      hv = std::move(v);
      return;
    }
  }
  req.headers.emplace_back(std::move(n), std::move(v));
}

std::string api_key(const Endpoint& provider) { return std::string(trim_space(provider.api_key)); }

void add_bearer_auth(HttpRequest& req, const Endpoint& provider) {
  if (std::string key = api_key(provider); !key.empty())
    set_header(req, "Authorization", "Bearer " + key);
}

void add_extra_headers(HttpRequest& req, const Endpoint& provider) {
  for (const auto& [name, value] : provider.headers) set_header(req, name, value);
}

std::string dump_body(const nlohmann::ordered_json& body) {
  return body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string sanitize(std::string_view s, std::size_t max_bytes) {
  const bool cut = s.size() > max_bytes;
  if (cut) s = s.substr(0, max_bytes);
  std::string out;
  out.reserve(s.size() + 3);
  bool space = false;
  auto put = [&](std::string_view piece) {
    if (space && !out.empty()) out += ' ';
    space = false;
    out.append(piece);
  };
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c <= 0x20 || c == 0x7F) {
        space = true;
      } else {
        put(s.substr(i, 1));
      }
      ++i;
      continue;
    }
    int len = utf8_sequence_length(s, i);
    if (len == -1 && cut) break;  // a sequence cut by our limit: drop it
    if (len <= 0) {
      put("\xEF\xBF\xBD");
      ++i;
      continue;
    }
    put(s.substr(i, static_cast<std::size_t>(len)));
    i += static_cast<std::size_t>(len);
  }
  if (cut) out += "...";
  return out;
}

bool contains_any_ci(std::string_view haystack, std::initializer_list<std::string_view> needles) {
  std::string low(haystack);
  for (char& c : low) c = lower(c);
  for (std::string_view n : needles) {
    std::string ln(n);
    for (char& c : ln) c = lower(c);
    if (low.find(ln) != std::string::npos) return true;
  }
  return false;
}

bool mentions_context_length(std::string_view text) {
  return contains_any_ci(text, {"context_length_exceeded", "maximum context length",
                                "context length", "prompt is too long", "too many tokens",
                                "context window", "context size", "context_size"});
}

bool mentions_refusal(std::string_view text) {
  return contains_any_ci(text, {"content_filter", "content policy", "content_policy", "safety"});
}

std::string provider_error_text(std::string_view api, std::string_view message,
                                std::string_view type) {
  std::string text = sanitize(message, 500);
  std::string t = sanitize(type, 100);
  if (text.empty()) {
    text = t.empty() ? "the provider reported an error" : t;
  } else if (!t.empty() && text.find(t) == std::string::npos) {
    text += " (" + t + ")";
  }
  return std::string(api) + ": " + text;
}

std::string error_body_message(std::string_view body) {
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded()) return {};
  if (j.is_array() && !j.empty() && j.front().is_object()) j = json(j.front());
  if (!j.is_object()) return {};
  std::string msg;
  if (auto it = j.find("error"); it != j.end()) {
    if (it->is_string()) {
      msg = it->get<std::string>();
    } else if (it->is_object()) {
      msg = string_field(*it, "message");
      if (msg.empty()) msg = string_field(*it, "type");
      if (msg.empty()) msg = string_field(*it, "code");
    }
  }
  if (msg.empty()) msg = string_field(j, "message");
  if (msg.empty()) msg = string_field(j, "detail");
  return sanitize(msg, 500);
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 402:
      return "Payment Required";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 529:
      return "Overloaded";
    default:
      return "";
  }
}

std::optional<std::int64_t> parse_retry_after(std::string_view value,
                                              std::chrono::system_clock::time_point now) {
  value = trim_space(value);
  if (auto seconds = parse_decimal(value)) return clamp_ms(*seconds * 1000.0);
  auto date = parse_http_date(value);
  if (!date) return std::nullopt;
  auto now_ms = std::chrono::time_point_cast<std::chrono::milliseconds>(now);
  auto delta = (*date - now_ms).count();
  return clamp_ms(static_cast<double>(delta));
}

std::optional<std::int64_t> parse_retry_after_ms(std::string_view value) {
  auto ms = parse_decimal(value);
  if (!ms) return std::nullopt;
  return clamp_ms(*ms);
}

// ---- DecoderBase --------------------------------------------------------------------

void DecoderBase::feed(std::string_view bytes, std::vector<StreamEvent>& out) {
  if (!ended_) on_bytes(bytes, out);
}

void DecoderBase::finish(std::vector<StreamEvent>& out) {
  if (ended_) return;
  on_finish(out);
  if (!ended_) emit_error(out, ErrorKind::kUnknown, std::string(kStreamEnded));
}

void DecoderBase::emit_text(std::vector<StreamEvent>& out, std::string text) {
  if (ended_ || text.empty()) return;
  StreamEvent e;
  e.type = StreamEvent::kText;
  e.text = std::move(text);
  out.push_back(std::move(e));
}

void DecoderBase::emit_usage(std::vector<StreamEvent>& out, Usage usage) {
  if (ended_) return;
  StreamEvent e;
  e.type = StreamEvent::kUsage;
  e.usage = usage;
  out.push_back(std::move(e));
}

void DecoderBase::emit_tool_call(std::vector<StreamEvent>& out, ToolCall call) {
  if (ended_) return;
  if (++tool_calls_ > kMaxToolCalls) {
    emit_error(
        out, ErrorKind::kUnknown,
        "the model made more than " + std::to_string(kMaxToolCalls) + " tool calls in one reply");
    return;
  }
  StreamEvent e;
  e.type = StreamEvent::kToolCall;
  e.tool_call = std::move(call);
  out.push_back(std::move(e));
}

nlohmann::ordered_json arguments_object(const std::string& arguments) {
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(arguments, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return nlohmann::ordered_json::object();
  return j;
}

nlohmann::ordered_json function_tools(const std::vector<ToolSpec>& tools) {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const ToolSpec& t : tools) {
    nlohmann::ordered_json f;
    f["name"] = t.name;
    f["description"] = t.description;
    f["parameters"] = t.parameters.is_object() ? nlohmann::ordered_json(t.parameters)
                                               : nlohmann::ordered_json::object();
    arr.push_back({{"type", "function"}, {"function", std::move(f)}});
  }
  return arr;
}

void DecoderBase::emit_done(std::vector<StreamEvent>& out, std::string stop_reason) {
  if (ended_) return;
  ended_ = true;
  StreamEvent e;
  e.type = StreamEvent::kDone;
  e.stop_reason = std::move(stop_reason);
  out.push_back(std::move(e));
}

void DecoderBase::emit_error(std::vector<StreamEvent>& out, ErrorKind kind, std::string message) {
  if (ended_) return;
  ended_ = true;
  StreamEvent e;
  e.type = StreamEvent::kError;
  e.error_kind = kind;
  e.error_message = std::move(message);
  out.push_back(std::move(e));
}

void DecoderBase::emit_malformed(std::vector<StreamEvent>& out, std::string_view chunk) {
  emit_error(out, ErrorKind::kUnknown,
             "malformed stream chunk from the provider: " + sanitize(chunk, 200));
}

std::optional<json> parse_object(std::string_view text) {
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

std::string string_field(const json& j, std::string_view key, std::string fallback) {
  if (!j.is_object()) return fallback;
  auto it = j.find(std::string(key));
  if (it == j.end() || !it->is_string()) return fallback;
  return it->get<std::string>();
}

std::int64_t int_field(const json& j, std::string_view key, std::int64_t fallback) {
  if (!j.is_object()) return fallback;
  auto it = j.find(std::string(key));
  if (it == j.end()) return fallback;
  if (it->is_number_unsigned()) {
    auto u = it->get<std::uint64_t>();
    return u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
               ? std::numeric_limits<std::int64_t>::max()
               : static_cast<std::int64_t>(u);
  }
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (it->is_number_float()) {
    double d = it->get<double>();
    if (std::isfinite(d) && d > -9.0e18 && d < 9.0e18) return static_cast<std::int64_t>(d);
  }
  return fallback;
}

}  // namespace wire
}  // namespace simpleclaw::providers
