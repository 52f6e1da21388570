#include "tools/web_fetch.h"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cctype>

#include "base/utf8.h"
#include "net/http_client.h"
#include "simpleclaw/registry.h"

namespace simpleclaw::tools {
namespace {

namespace asio = boost::asio;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool is_text_type(const std::string& ct) {
  std::string t = lower(ct);
  return t.empty() || t.rfind("text/", 0) == 0 || t.find("json") != std::string::npos ||
         t.find("xml") != std::string::npos || t.find("javascript") != std::string::npos ||
         t.find("yaml") != std::string::npos;
}

// The absolute URL a Location header points to from `base`.
std::string resolve_location(const std::string& base, const std::string& loc) {
  if (loc.rfind("http://", 0) == 0 || loc.rfind("https://", 0) == 0) return loc;
  std::size_t scheme_end = base.find("://");
  std::size_t host_end = base.find('/', scheme_end + 3);
  std::string origin = base.substr(0, host_end);
  if (loc.rfind("//", 0) == 0) return base.substr(0, scheme_end + 1) + loc;
  if (!loc.empty() && loc[0] == '/') return origin + loc;
  std::string path = host_end == std::string::npos ? "/" : base.substr(host_end);
  path = path.substr(0, path.find('?'));
  return origin + path.substr(0, path.rfind('/') + 1) + loc;
}

// One fetch: follows redirects, enforces the limits, answers once.
class Fetch final : public ToolTask, public std::enable_shared_from_this<Fetch> {
 public:
  Fetch(asio::io_context& io, config::WebFetchConfig cfg, ToolDone done)
      : io_(io), cfg_(cfg), done_(std::move(done)), deadline_(io) {}

  void begin(std::string url) {
    deadline_.expires_after(std::chrono::milliseconds(cfg_.timeout_ms));
    deadline_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec) return;
      self->fail("error: web_fetch timed out after " + std::to_string(self->cfg_.timeout_ms) +
                 " ms");
    });
    request(std::move(url));
  }

  void cancel() override { fail("[aborted]"); }

 private:
  void request(std::string url) {
    url_ = std::move(url);
    net::Url u = net::parse_url(url_);
    if (!u.ok) return fail("error: invalid URL: " + u.error);
    net::HttpRequest req;
    req.method = "GET";
    req.url = url_;
    req.headers = {{"Accept", "text/html,application/json,text/plain;q=0.9,*/*;q=0.5"},
                   {"User-Agent", "simpleclaw-web_fetch/" SIMPLECLAW_VERSION}};
    net::HttpOptions opts;
    opts.proxy = "";  // direct: the address check must see the real target
    opts.connect_timeout = std::chrono::milliseconds(cfg_.timeout_ms);
    opts.first_byte_timeout = std::chrono::milliseconds(cfg_.timeout_ms);
    opts.idle_timeout = std::chrono::milliseconds(cfg_.timeout_ms);
    opts.total_timeout = std::chrono::milliseconds(cfg_.timeout_ms);
    if (!cfg_.allow_private) opts.address_check = private_address_reason;
    head_ = {};
    body_.clear();
    truncated_ = false;
    net::HttpCallbacks cb;
    std::weak_ptr<Fetch> weak = shared_from_this();
    cb.on_head = [weak](const net::HttpHead& h) {
      if (auto self = weak.lock()) self->head_ = h;
    };
    cb.on_body = [weak](std::string_view bytes) {
      auto self = weak.lock();
      if (!self || self->finished_) return;
      if (self->head_.status >= 300 && self->head_.status < 400) return;  // redirect body
      std::size_t room = static_cast<std::size_t>(self->cfg_.max_bytes) - self->body_.size();
      self->body_.append(bytes.substr(0, room));
      if (bytes.size() > room) {
        self->truncated_ = true;
        if (self->http_) self->http_->cancel();  // enough: stop the transfer
      }
    };
    cb.on_done = [weak](const net::HttpError* err) {
      if (auto self = weak.lock()) self->on_done(err);
    };
    http_ = net::http_start(io_, std::move(req), std::move(opts), std::move(cb));
  }

  void on_done(const net::HttpError* err) {
    if (finished_) return;
    http_.reset();
    if (err && !(err->kind == net::HttpError::kCancelled && truncated_))
      return fail("error: web_fetch " + url_ + ": " + err->message);
    int status = head_.status;
    if (status >= 300 && status < 400 && !head_.header("Location").empty()) {
      if (redirects_ >= cfg_.max_redirects)
        return fail("error: more than " + std::to_string(cfg_.max_redirects) +
                    " redirects (tools.web_fetch.max_redirects)");
      ++redirects_;
      return request(resolve_location(url_, head_.header("Location")));
    }
    std::string ct = head_.header("Content-Type");
    std::string text;
    if (!is_text_type(ct)) {
      text = "[binary content " + ct + ", " + std::to_string(body_.size()) + " bytes not shown]";
    } else {
      text = lower(ct).find("html") != std::string::npos ? html_to_text(body_) : body_;
      if (!valid_utf8(text)) {
        std::size_t bad = first_invalid_utf8(text);
        text = text.substr(0, bad) + "\n[... not UTF-8 from byte " + std::to_string(bad) + "]";
      }
    }
    std::string out = "HTTP " + std::to_string(status) + " " + url_ +
                      (ct.empty() ? "" : " (" + ct + ")") + "\n\n" + text;
    if (truncated_) out += "\n[... cut at " + std::to_string(cfg_.max_bytes) + " bytes]";
    finish(cap_tool_text(std::move(out)), status >= 400);
  }

  void fail(std::string why) {
    if (http_) http_->cancel();
    finish(std::move(why), true);
  }

  void finish(std::string text, bool is_error) {
    if (finished_) return;
    finished_ = true;
    deadline_.cancel();
    auto done = std::move(done_);
    done(ToolOutcome{std::move(text), is_error});  // the ToolRunner delivers it later
  }

  asio::io_context& io_;
  config::WebFetchConfig cfg_;
  ToolDone done_;
  asio::steady_timer deadline_;
  std::shared_ptr<net::HttpCall> http_;
  std::string url_, body_;
  net::HttpHead head_;
  int redirects_ = 0;
  bool truncated_ = false;
  bool finished_ = false;
};

}  // namespace

std::string private_address_reason(const std::string& text) {
  boost::system::error_code ec;
  asio::ip::address a = asio::ip::make_address(text, ec);
  if (ec) return "not an IP address";
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  if (a.is_unspecified()) return "unspecified address";
  if (a.is_loopback()) return "loopback address (set tools.web_fetch.allow_private to allow)";
  if (a.is_multicast()) return "multicast address";
  if (a.is_v4()) {
    auto b = a.to_v4().to_bytes();
    if (b[0] == 10 || (b[0] == 172 && (b[1] & 0xF0) == 16) || (b[0] == 192 && b[1] == 168))
      return "private address (set tools.web_fetch.allow_private to allow)";
    if (b[0] == 169 && b[1] == 254) return "link-local address (cloud metadata lives here)";
    if (b[0] == 100 && (b[1] & 0xC0) == 64) return "shared (CGNAT) address";
    if (b[0] == 0 || b[0] >= 240) return "reserved address";
    return {};
  }
  auto b = a.to_v6().to_bytes();
  if ((b[0] & 0xFE) == 0xFC) return "unique-local (private) address";
  if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) return "link-local address";
  return {};
}

std::string html_to_text(std::string_view html) {
  std::string out;
  out.reserve(html.size() / 2);
  std::size_t i = 0;
  auto starts_ci = [&](std::size_t at, std::string_view w) {
    if (at + w.size() > html.size()) return false;
    for (std::size_t k = 0; k < w.size(); ++k)
      if (std::tolower(static_cast<unsigned char>(html[at + k])) != w[k]) return false;
    return true;
  };
  while (i < html.size()) {
    char c = html[i];
    if (c == '<') {
      for (std::string_view skip : {"script", "style", "noscript"}) {
        if (starts_ci(i + 1, skip)) {
          std::string close = "</" + std::string(skip);
          std::size_t j = i + 1;
          while (j < html.size() && !starts_ci(j, close)) ++j;
          i = j;
          break;
        }
      }
      bool block = starts_ci(i + 1, "p") || starts_ci(i + 1, "br") || starts_ci(i + 1, "div") ||
                   starts_ci(i + 1, "li") || starts_ci(i + 1, "h") || starts_ci(i + 1, "tr") ||
                   starts_ci(i + 1, "/p") || starts_ci(i + 1, "/div");
      std::size_t end = html.find('>', i);
      i = end == std::string_view::npos ? html.size() : end + 1;
      out += block ? '\n' : ' ';
      continue;
    }
    if (c == '&') {
      static const std::pair<std::string_view, std::string_view> kEnt[] = {
          {"&amp;", "&"}, {"&lt;", "<"},   {"&gt;", ">"},  {"&quot;", "\""},
          {"&#39;", "'"}, {"&apos;", "'"}, {"&nbsp;", " "}};
      bool hit = false;
      for (const auto& [e, r] : kEnt)
        if (html.substr(i, e.size()) == e) {
          out += r;
          i += e.size();
          hit = true;
          break;
        }
      if (hit) continue;
    }
    out += c;
    ++i;
  }
  // Collapse runs of spaces, and of blank lines.
  std::string tidy;
  int newlines = 0;
  bool space = false;
  for (char c : out) {
    if (c == '\n' || c == '\r') {
      ++newlines;
      space = false;
      continue;
    }
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (newlines)
      tidy += newlines > 1 ? "\n\n" : "\n";
    else if (space && !tidy.empty())
      tidy += ' ';
    newlines = 0;
    space = false;
    tidy += c;
  }
  return tidy;
}

std::vector<ToolSpec> WebFetchTool::specs() const {
  // Built once: the model is offered it on every call.
  static const std::vector<ToolSpec> kSpecs = {
      {"web_fetch",
       "Fetch a web page or API response (HTTP GET) and return its text. Size, time and "
       "redirects are capped; private network addresses are refused.",
       Json{{"type", "object"},
            {"properties", {{"url", {{"type", "string"}, {"description", "http(s) URL"}}}}},
            {"required", {"url"}},
            {"additionalProperties", false}}}};
  return kSpecs;
}

std::shared_ptr<ToolTask> WebFetchTool::start(const ToolContext& ctx, const std::string& name,
                                              const Json& args, ToolDone done) {
  auto f = std::make_shared<Fetch>(io_, ctx.policy.web_fetch, std::move(done));
  auto it = args.find("url");
  std::string url = it != args.end() && it->is_string() ? it->get<std::string>() : std::string();
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) url.clear();
  if (url.empty()) {
    f->begin("");  // fails at once with the URL error
    return f;
  }
  f->begin(url);
  return f;
}

Status register_web_fetch(sdk::Registry& r) {
  return r.add_tool({"web_fetch", "web_fetch: an HTTP(S) GET for the model, public addresses only",
                     [](sdk::ToolServices& s) { return std::make_unique<WebFetchTool>(s.io); }});
}

}  // namespace simpleclaw::tools
