// HttpConn: a raw HTTP/1.1 client on one TCP connection, for every HTTP test (probes,
// upgrades, webhooks, the HTTP API): requests with bodies, several requests on one
// keep-alive connection, answers read whole (Content-Length or chunked, or up to the
// close) or as a stream of bytes (server-sent events), and closing the socket in the
// middle of an answer. Plain sockets and poll(); no HTTP library, so the tests see
// exactly what the gateway writes.
//
// Single-threaded, like the tests.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "helpers.h"

namespace sctest {

class HttpConn {
 public:
  explicit HttpConn(int port) : port_(port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~HttpConn() { close(); }
  HttpConn(const HttpConn&) = delete;
  HttpConn& operator=(const HttpConn&) = delete;

  bool ok() const { return fd_ >= 0; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  bool send_raw(const std::string& bytes) {
    return fd_ >= 0 && ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
                           static_cast<ssize_t>(bytes.size());
  }

  // Sends one request (Host and Content-Length added; a body means Content-Type JSON
  // unless a header says otherwise).
  bool send(const std::string& method, const std::string& target, const std::string& body = {},
            const std::vector<std::string>& headers = {}) {
    std::string req =
        method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) + "\r\n";
    bool has_type = false;
    for (const auto& h : headers) {
      req += h + "\r\n";
      has_type |= h.rfind("Content-Type:", 0) == 0;
    }
    if (!body.empty() && !has_type) req += "Content-Type: application/json\r\n";
    if (!body.empty() || method == "POST")
      req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    req += "\r\n" + body;
    return send_raw(req);
  }

  // Reads until `pred(buffered bytes)` holds, the peer closes, or the timeout; true when
  // pred held.
  template <typename Pred>
  bool read_until(Pred pred, int timeout_ms = kTimeoutMs) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!pred(buf_)) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || fd_ < 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      char b[16384];
      ssize_t n = ::recv(fd_, b, sizeof b, 0);
      if (n <= 0) {
        eof_ = true;
        return pred(buf_);
      }
      buf_.append(b, static_cast<std::size_t>(n));
    }
    return true;
  }
  // Everything received and not yet taken by read_response().
  const std::string& buffered() const { return buf_; }
  bool eof() const { return eof_; }
  // True once the peer closed the connection (reads until then, up to the timeout).
  bool wait_eof(int timeout_ms = kTimeoutMs) {
    read_until([this](const std::string&) { return eof_; }, timeout_ms);
    return eof_;
  }

  // Reads one whole answer (and removes it from the buffer).
  HttpResponse read_response(int timeout_ms = kTimeoutMs) {
    HttpResponse r;
    std::size_t total = 0;
    read_until([&](const std::string& b) { return complete(b, &r, &total); }, timeout_ms);
    if (total > 0) buf_.erase(0, total);
    return r;
  }

  HttpResponse request(const std::string& method, const std::string& target,
                       const std::string& body = {}, const std::vector<std::string>& headers = {},
                       int timeout_ms = kTimeoutMs) {
    if (!send(method, target, body, headers)) return {};
    return read_response(timeout_ms);
  }

  // Reads up to the peer's close (or the timeout) and parses what came as one answer: the
  // body is everything after the head (de-chunked when chunked). With `head_only`, stops
  // once the head is in (an upgrade's socket stays open).
  HttpResponse read_to_close(bool head_only = false, int timeout_ms = kTimeoutMs) {
    read_until(
        [&](const std::string& b) {
          return eof_ || (head_only && b.find("\r\n\r\n") != std::string::npos);
        },
        timeout_ms);
    HttpResponse r;
    auto head_end = parse_head(buf_, &r);
    if (head_end == std::string::npos) return {};
    std::size_t total = 0;
    if (r.headers["transfer-encoding"] != "chunked" || !complete(buf_, &r, &total))
      r.body = buf_.substr(head_end + 4);
    buf_.clear();
    return r;
  }

 private:
  // Parses a complete answer at the start of `b` into *r (total = its length in bytes).
  static bool complete(const std::string& b, HttpResponse* r, std::size_t* total) {
    HttpResponse out;
    auto head_end = parse_head(b, &out);
    if (head_end == std::string::npos) return false;
    std::size_t pos = head_end + 4;
    if (out.headers["transfer-encoding"] == "chunked") {
      for (;;) {
        auto eol = b.find("\r\n", pos);
        if (eol == std::string::npos) return false;
        std::size_t n = std::strtoul(b.substr(pos, eol - pos).c_str(), nullptr, 16);
        if (b.size() < eol + 2 + n + 2) return false;
        out.body += b.substr(eol + 2, n);
        pos = eol + 2 + n + 2;
        if (n == 0) break;
      }
    } else {
      std::size_t n = std::strtoul(out.headers["content-length"].c_str(), nullptr, 10);
      if (b.size() < pos + n) return false;
      out.body = b.substr(pos, n);
      pos += n;
    }
    *r = std::move(out);
    *total = pos;
    return true;
  }

  // The status line and headers at the start of `b` into *r; where the head ends ("\r\n\r\n"),
  // npos when it is not all there (or is not an HTTP answer).
  static std::size_t parse_head(const std::string& b, HttpResponse* r) {
    auto head_end = b.find("\r\n\r\n");
    if (head_end == std::string::npos || b.rfind("HTTP/1.", 0) != 0) return std::string::npos;
    std::istringstream head(b.substr(0, head_end));
    std::string line;
    std::getline(head, line);
    r->status = std::atoi(line.substr(line.find(' ') + 1).c_str());
    while (std::getline(head, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r->headers[name] = value;
    }
    return head_end;
  }

  int port_;
  int fd_ = -1;
  std::string buf_;
  bool eof_ = false;
};

}  // namespace sctest
