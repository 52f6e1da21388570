// irc: one IRC network account (RFC 1459/2812, IRCv3 CAP/SASL PLAIN, TLS). The bot
// connects as a client, registers (PASS, CAP LS 302, optional SASL PLAIN, NICK/USER with
// nick_, nick__, nick1.. on collision), joins the configured channels and then turns
// PRIVMSGs into InboundMessages and replies into flood-controlled PRIVMSG lines. Sender and
// channel ids are case-insensitive: the spelling in allow_from/groups/channels when one
// matches, else the name with A-Z lower-cased. (The channels it joins are groups it answers
// in: channels/account_settings.cpp.)
//
// Ownership and threading: everything runs on host.io(). The IrcChannel owns at most one
// Session (one TCP/TLS connection); the Session is a shared_ptr kept alive by its own
// pending operations and refers to the host only (never to the IrcChannel), so the
// channel may be destroyed while a QUIT is still being written. Session::closed_ is the
// weak "alive" token: once set (by stop() or by a failure), no completion reaches the host
// any more, except the `done` of sends that were pending, which get an error, posted.
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/json_fields.h"
#include "base/log.h"
#include "channels/irc/irc_message.h"
#include "channels/irc/irc_settings.h"
#include "net/tls_client.h"
#include "simpleclaw/registry.h"

namespace simpleclaw::channels {
namespace {

using irc::read_settings;
using irc::Settings;

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t kIrcMaxText = 400;         // max_text(): host chunks to this
constexpr std::size_t kMaxQueuedLines = 2000;    // outbound PRIVMSG lines waiting
constexpr std::size_t kMaxControlLines = 256;    // PONG/JOIN/... waiting
constexpr std::size_t kMaxCapBytes = 16 * 1024;  // accumulated CAP LS replies
constexpr std::size_t kSaslChunk = 400;          // AUTHENTICATE payload piece
constexpr int kMaxBadLineDiagnostics = 10;       // per connection
// Our prefix as other clients see it is ":nick!user@host "; before we learn it from our
// own JOIN, assume a long user (10) and host (63) so lines are never cut by the server.
constexpr std::size_t kAssumedUserHost = 10 + 1 + 63;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(sdk::ChannelHost& host, Settings s, std::string id_prefix)
      : host_(host),
        s_(std::move(s)),
        id_prefix_(std::move(id_prefix)),
        resolver_(host.io()),
        socket_(host.io()),
        tick_(host.io()),
        flood_timer_(host.io()),
        join_timer_(host.io()),
        where_(s_.server + ":" + s_.port) {}

  void start() {
    last_rx_ = last_ping_ = Clock::now();
    tokens_ = s_.send_burst;
    last_refill_ = Clock::now();
    auto self = shared_from_this();
    if (!s_.error.empty()) {
      // Reported asynchronously like every other failure: start() never calls back inline.
      asio::post(host_.io(), [self] { self->fail(self->s_.error); });
      return;
    }
    arm_tick();
    resolver_.async_resolve(s_.server, s_.port,
                            [self](const error_code& ec, tcp::resolver::results_type r) {
                              self->on_resolve(ec, std::move(r));
                            });
  }

  // No host callback after this returns (pending sends' done get an error, posted).
  void stop() {
    if (closed_) return;
    closed_ = true;
    fail_pending("irc: the channel was stopped");
    cancel_timers();
    if (registered_ && !writing_) {
      // A polite QUIT, bounded by a short timer; the session lives on through these.
      quit_line_ = "QUIT :bye\r\n";
      auto self = shared_from_this();
      join_timer_.expires_after(milliseconds(1000));
      join_timer_.async_wait([self](const error_code&) { self->close_socket(); });
      async_write_raw(quit_line_, [self](const error_code&, std::size_t) {
        self->close_socket();
        self->join_timer_.cancel();
      });
      return;
    }
    close_socket();
  }

  void send(sdk::OutboundMessage m, std::function<void(Status)> done) {
    if (closed_ || !registered_) return post_done(std::move(done), not_connected());
    const std::string& target = m.peer.chat_id;
    if (!irc::valid_target(target))
      return post_done(std::move(done), Error::invalid("irc: not a valid channel or nick"));
    // 512 bytes on the wire as the receiver sees it: ":<prefix> PRIVMSG <target> :<text>\r\n".
    std::size_t prefix = std::max(own_prefix_len_, 1 + nick_.size() + 1 + kAssumedUserHost) + 1;
    std::size_t overhead = prefix + 8 + target.size() + 2 + 2;
    if (overhead + 32 > irc::kMaxMessageBytes)
      return post_done(std::move(done), Error::invalid("irc: the target name is too long"));
    auto pieces = irc::split_text(m.text, irc::kMaxMessageBytes - overhead);
    if (pieces.empty()) return post_done(std::move(done), Ok{});
    if (chat_.size() + pieces.size() > kMaxQueuedLines)
      return post_done(std::move(done), Error::unavailable("irc: outbound queue full", 5000));
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      Out o{"PRIVMSG " + target + " :" + pieces[i] + "\r\n", nullptr};
      if (i + 1 == pieces.size()) o.done = std::move(done);
      chat_.push_back(std::move(o));
    }
    pump();
  }

  const std::string& nick() const { return nick_; }

 private:
  struct Out {
    std::string line;
    std::function<void(Status)> done;  // on the last line of a send()
  };

  static Error not_connected() { return Error::unavailable("irc: not connected", 1000); }

  void post_done(std::function<void(Status)> done, Status st) {
    if (done) asio::post(host_.io(), [done = std::move(done), st = std::move(st)] { done(st); });
  }

  // --- connection -----------------------------------------------------------------

  void on_resolve(const error_code& ec, tcp::resolver::results_type results) {
    if (closed_) return;
    if (ec) return fail("cannot resolve " + s_.server + ": " + ec.message());
    auto self = shared_from_this();
    asio::async_connect(socket_, results, [self](const error_code& ec, const tcp::endpoint&) {
      self->on_connect(ec);
    });
  }

  void on_connect(const error_code& ec) {
    if (closed_) return;
    if (ec) return fail("cannot connect to " + where_ + ": " + ec.message());
    error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    if (!s_.tls) return begin_registration();
    std::string error;
    tls_ctx_ =
        s_.tls_verify ? net::client_tls_context(s_.ca_file, error) : net::unverified_tls_context();
    if (!tls_ctx_) return fail("TLS: " + error + " (check channels.irc.ca_file)");
    tls_.emplace(socket_, *tls_ctx_);
    net::set_tls_peer_name(tls_->native_handle(), s_.server, s_.tls_verify);
    auto self = shared_from_this();
    tls_->async_handshake(ssl::stream_base::client,
                          [self](const error_code& ec) { self->on_handshake(ec); });
  }

  void on_handshake(const error_code& ec) {
    if (closed_) return;
    if (ec) {
      long verify = SSL_get_verify_result(tls_->native_handle());
      if (s_.tls_verify && verify != X509_V_OK)
        return fail("TLS: the certificate of " + where_ + " could not be verified (" +
                    X509_verify_cert_error_string(verify) + "); set ca_file to trust a private CA");
      return fail("TLS handshake with " + where_ + " failed: " + ec.message());
    }
    begin_registration();
  }

  void begin_registration() {
    connected_socket_ = true;
    last_rx_ = Clock::now();
    read_some();
    if (!s_.password.empty()) control("PASS :" + s_.password);
    // CAP LS holds registration until CAP END on IRCv3 servers; older ones answer 421
    // and register on NICK/USER alone.
    control("CAP LS 302");
    nick_ = irc::nick_candidate(s_.nick, 0);
    control("NICK " + nick_);
    control("USER " + s_.username + " 0 * :" + s_.realname);
  }

  void close_socket() {
    error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

  void cancel_timers() {
    resolver_.cancel();
    tick_.cancel();
    flood_timer_.cancel();
    join_timer_.cancel();
  }

  // The one failure path: report once, then idle until stop().
  void fail(const std::string& error) {
    if (closed_) return;
    closed_ = true;
    cancel_timers();
    close_socket();
    fail_pending("irc: connection lost: " + error);
    log::warn("irc[{}]: {}", host_.account_id(), error);
    host_.disconnected(error);
  }

  void fail_pending(const std::string& why) {
    if (in_flight_done_) post_done(std::move(in_flight_done_), Error::unavailable(why, 1000));
    in_flight_done_ = nullptr;
    for (auto& o : chat_)
      if (o.done) post_done(std::move(o.done), Error::unavailable(why, 1000));
    chat_.clear();
    control_.clear();
  }

  // --- timers -----------------------------------------------------------------------

  void arm_tick() {
    auto tick = std::max(milliseconds(25), s_.ping_interval / 4);
    tick_.expires_after(tick);
    auto self = shared_from_this();
    tick_.async_wait([self](const error_code& ec) {
      if (ec || self->closed_) return;
      self->on_tick();
    });
  }

  void on_tick() {
    auto now = Clock::now();
    auto quiet = std::chrono::duration_cast<milliseconds>(now - last_rx_);
    if (quiet >= 2 * s_.ping_interval) {
      std::string ms = std::to_string(quiet.count()) + " ms";
      if (!connected_socket_) return fail("connecting to " + where_ + " timed out after " + ms);
      if (!registered_) return fail("no answer from " + where_ + " during registration for " + ms);
      return fail("no PING/PONG from " + where_ + " for " + ms);
    }
    if (registered_ && quiet >= s_.ping_interval && now - last_ping_ >= s_.ping_interval) {
      last_ping_ = now;
      control("PING :sc" + std::to_string(++ping_seq_));
    }
    arm_tick();
  }

  // --- reading ----------------------------------------------------------------------

  template <typename Handler>
  void async_read_raw(Handler&& h) {
    if (tls_)
      tls_->async_read_some(asio::buffer(rbuf_), std::forward<Handler>(h));
    else
      socket_.async_read_some(asio::buffer(rbuf_), std::forward<Handler>(h));
  }
  template <typename Handler>
  void async_write_raw(const std::string& bytes, Handler&& h) {
    if (tls_)
      asio::async_write(*tls_, asio::buffer(bytes), std::forward<Handler>(h));
    else
      asio::async_write(socket_, asio::buffer(bytes), std::forward<Handler>(h));
  }

  void read_some() {
    auto self = shared_from_this();
    async_read_raw([self](const error_code& ec, std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(const error_code& ec, std::size_t n) {
    if (closed_) return;
    if (ec) {
      if (ec == asio::error::eof || ec == ssl::error::stream_truncated)
        return fail("the server " + where_ + " closed the connection");
      return fail("reading from " + where_ + ": " + ec.message());
    }
    feed(std::string_view(rbuf_.data(), n));
    if (!closed_) read_some();
  }

  // Line framing: CRLF or bare LF; a line over kMaxLineBytes is dropped whole (the rest
  // of it skipped up to its newline) with a diagnostic.
  void feed(std::string_view data) {
    while (!data.empty() && !closed_) {
      std::size_t nl = data.find('\n');
      std::string_view part = data.substr(0, nl);
      data = nl == std::string_view::npos ? std::string_view{} : data.substr(nl + 1);
      if (!skipping_) {
        if (line_.size() + part.size() > irc::kMaxLineBytes) {
          std::size_t bytes = line_.size() + part.size();
          line_.clear();
          skipping_ = true;
          log::warn("irc[{}]: dropped a line over {} bytes from {}", host_.account_id(),
                    irc::kMaxLineBytes, where_);
          host_.diagnostic("irc_line_dropped",
                           Json{{"reason", "too_long"}, {"bytes_at_least", bytes}});
        } else {
          line_.append(part);
        }
      }
      if (nl == std::string_view::npos) break;
      if (skipping_) {
        skipping_ = false;
        continue;
      }
      std::string line = std::move(line_);
      line_.clear();
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.empty()) on_line(line);
    }
  }

  void on_line(const std::string& line) {
    last_rx_ = Clock::now();
    host_.alive();
    auto parsed = irc::parse_line(line);
    if (!parsed) {
      if (++bad_lines_ <= kMaxBadLineDiagnostics) {
        log::warn("irc[{}]: skipped a malformed line from {}", host_.account_id(), where_);
        host_.diagnostic("irc_line_dropped", Json{{"reason", "malformed"}, {"bytes", line.size()}});
      }
      return;
    }
    const irc::Message& m = *parsed;
    const std::string& cmd = m.command;
    if (cmd == "PING") return control("PONG :" + m.param(0));
    if (cmd == "PRIVMSG") return on_privmsg(m);
    if (cmd == "NOTICE" || cmd == "PONG") return;
    if (cmd == "CAP") return on_cap(m);
    if (cmd == "AUTHENTICATE") return on_authenticate(m);
    if (cmd == "JOIN") return on_join(m);
    if (cmd == "NICK") {
      if (same_nick(irc::prefix_nick(m.prefix))) nick_ = m.param(0).substr(0, 64);
      return;
    }
    if (cmd == "ERROR")
      return fail("the server closed the link: " + irc::to_utf8(m.param(0).substr(0, 200)));
    if (cmd.size() == 3 && cmd[0] >= '0' && cmd[0] <= '9')  // the parser checked all 3
      return on_numeric((cmd[0] - '0') * 100 + (cmd[1] - '0') * 10 + (cmd[2] - '0'), m);
  }

  bool same_nick(std::string_view n) const { return irc::same_name(n, nick_); }

  // The id of a nick or channel as the gateway sees it (sender ids, chat ids). IRC names
  // are case-insensitive ("Alice" and "alice" are one user on a network), the gateway's
  // access lists compare exactly: the configured spelling when one matches, else the
  // name with A-Z lower-cased, so one user or channel always has one id. Only ASCII
  // letters are folded: every server's CASEMAPPING (ascii, rfc1459) folds those, so a
  // reply addressed to the id still reaches the same nick.
  static std::string ascii_lower(std::string_view name) {
    std::string out(name);
    for (char& c : out)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
  }
  std::string canonical_id(std::string_view name) const {
    std::string folded = ascii_lower(name);
    for (const auto& id : s_.known_ids)
      if (ascii_lower(id) == folded) return irc::to_utf8(id);
    return irc::to_utf8(folded);
  }

  // --- registration -------------------------------------------------------------------

  void on_cap(const irc::Message& m) {
    const std::string& sub = m.param(1);
    if (sub == "LS") {
      bool more = m.params.size() >= 4 && m.param(2) == "*";
      if (cap_ls_.size() < kMaxCapBytes) cap_ls_ += " " + m.params.back();
      if (more || cap_done_) return;
      std::vector<std::string> want;
      bool has_sasl = false;
      std::string_view rest = cap_ls_;
      while (!rest.empty()) {
        std::size_t sp = rest.find(' ');
        std::string_view item = rest.substr(0, sp);
        rest = sp == std::string_view::npos ? std::string_view{} : rest.substr(sp + 1);
        std::string_view name = item.substr(0, item.find('='));
        if (name == "sasl") has_sasl = true;
        if (name == "message-tags") want.emplace_back(name);
      }
      if (s_.sasl) {
        if (!has_sasl) return fail("SASL: the server " + where_ + " does not offer SASL");
        want.emplace_back("sasl");
      }
      if (want.empty()) return cap_end();
      std::string req = "CAP REQ :";
      for (std::size_t i = 0; i < want.size(); ++i) req += (i ? " " : "") + want[i];
      return control(req);
    }
    if (sub == "ACK") {
      bool sasl_acked = false;
      std::string_view rest = m.params.back();
      while (!rest.empty()) {
        std::size_t sp = rest.find(' ');
        if (rest.substr(0, sp) == "sasl") sasl_acked = true;
        rest = sp == std::string_view::npos ? std::string_view{} : rest.substr(sp + 1);
      }
      if (s_.sasl && sasl_acked && !sasl_started_) {
        sasl_started_ = true;
        return control("AUTHENTICATE PLAIN");
      }
      if (s_.sasl && !sasl_started_)
        return fail("SASL: the server did not grant the sasl capability");
      if (!s_.sasl) cap_end();
      return;
    }
    if (sub == "NAK") {
      if (s_.sasl) return fail("SASL: the server refused the sasl capability");
      return cap_end();
    }
  }

  void cap_end() {
    if (cap_done_) return;
    cap_done_ = true;
    control("CAP END");
  }

  void on_authenticate(const irc::Message& m) {
    if (!s_.sasl || !sasl_started_ || m.param(0) != "+" || sasl_sent_) return;
    sasl_sent_ = true;
    std::string payload;
    payload.push_back('\0');
    payload += s_.sasl_user;
    payload.push_back('\0');
    payload += s_.sasl_password;
    std::string b64 = irc::base64(payload);
    std::size_t off = 0;
    for (; off < b64.size(); off += kSaslChunk)
      control("AUTHENTICATE " + b64.substr(off, kSaslChunk));
    if (b64.size() % kSaslChunk == 0) control("AUTHENTICATE +");
  }

  void on_numeric(int code, const irc::Message& m) {
    switch (code) {
      case 1:
        return on_welcome(m);
      case 903:  // RPL_SASLSUCCESS
      case 907:  // ERR_SASLALREADY
        sasl_ok_ = true;
        return cap_end();
      case 902:
        return fail("SASL login as " + s_.sasl_user + " failed: the account is unavailable (902)");
      case 904:
        return fail("SASL login as " + s_.sasl_user + " failed: wrong account or password (904)");
      case 905:
        return fail("SASL login as " + s_.sasl_user + " failed: message too long (905)");
      case 906:
        return fail("SASL login as " + s_.sasl_user + " was aborted (906)");
      case 464:
        return fail("the server " + where_ + " refused the password (464)");
      case 465:
        return fail("the server " + where_ + " has banned this client (465)");
      case 421:
        // ERR_UNKNOWNCOMMAND for CAP: a pre-IRCv3 server; fine unless SASL is required.
        if (m.param(1) == "CAP" && s_.sasl)
          return fail("SASL: the server " + where_ + " has no CAP support");
        return;
      case 432:
        if (!registered_) return fail("the server refused the nick " + nick_ + " (432)");
        return;
      case 433:
      case 436:
        if (registered_) return;
        {
          std::string next = irc::nick_candidate(s_.nick, ++nick_attempt_);
          host_.diagnostic("irc_nick_in_use", Json{{"nick", irc::to_utf8(nick_)}});
          if (next.empty()) return fail("the nick " + s_.nick + " and its alternatives are in use");
          nick_ = next;
          return control("NICK " + nick_);
        }
      case 403:
      case 405:
      case 471:
      case 473:
      case 474:
      case 475:
      case 476:
      case 477:
        return join_failed(code, m.param(1));
      default:
        return;
    }
  }

  void on_welcome(const irc::Message& m) {
    if (registered_) return;
    if (s_.sasl && !sasl_ok_) return fail("SASL: registration finished without a SASL login");
    registered_ = true;
    cap_done_ = true;
    if (!m.param(0).empty()) nick_ = m.param(0).substr(0, 64);
    for (const auto& c : s_.channels) {
      if (!irc::is_channel_name(c) || !irc::valid_target(c)) {
        host_.diagnostic("irc_join_failed",
                         Json{{"channel", irc::to_utf8(c)}, {"reason", "invalid name"}});
        continue;
      }
      if (!pending_joins_.insert(irc::casefold(c)).second) continue;
      control("JOIN " + c);
    }
    if (pending_joins_.empty()) return ready();
    // A server that never answers a JOIN must not keep the account "connecting".
    join_timer_.expires_after(std::min(s_.ping_interval, milliseconds(10000)));
    auto self = shared_from_this();
    join_timer_.async_wait([self](const error_code& ec) {
      if (ec || self->closed_) return;
      self->ready();
    });
  }

  void on_join(const irc::Message& m) {
    std::string_view who = irc::prefix_nick(m.prefix);
    if (!same_nick(who)) return;
    own_prefix_len_ = 1 + m.prefix.size();
    if (pending_joins_.erase(irc::casefold(m.param(0))) && pending_joins_.empty()) ready();
  }

  void join_failed(int code, const std::string& channel) {
    if (!pending_joins_.erase(irc::casefold(channel))) return;
    log::warn("irc[{}]: cannot join {} ({})", host_.account_id(), irc::to_utf8(channel), code);
    host_.diagnostic("irc_join_failed",
                     Json{{"channel", irc::to_utf8(channel)}, {"numeric", code}});
    if (pending_joins_.empty()) ready();
  }

  void ready() {
    if (ready_ || closed_) return;
    ready_ = true;
    join_timer_.cancel();
    host_.connected(where_ + " as " + irc::to_utf8(nick_));
  }

  // --- inbound messages ---------------------------------------------------------------

  void on_privmsg(const irc::Message& m) {
    if (!registered_ || m.params.size() < 2) return;
    if (m.prefix.find('!') == std::string::npos) return;  // from a server, not a user
    std::string nick(irc::prefix_nick(m.prefix));
    if (nick.empty() || same_nick(nick)) return;  // our own echo
    const std::string& target = m.param(0);
    std::string_view raw = m.param(1);
    std::string text;
    if (!raw.empty() && raw.front() == '\x01') {
      // CTCP: only ACTION (/me) is a message; VERSION, PING, ... are not answered.
      raw.remove_prefix(1);
      if (!raw.empty() && raw.back() == '\x01') raw.remove_suffix(1);
      if (raw.substr(0, 6) != "ACTION") return;
      raw.remove_prefix(6);
      if (!raw.empty() && raw.front() == ' ') raw.remove_prefix(1);
      text = "* " + nick + (raw.empty() ? "" : " ") + std::string(raw);
    } else {
      text = std::string(raw);
    }
    text = irc::to_utf8(irc::strip_formatting(text));
    if (text.find_first_not_of(" \t") == std::string::npos) return;

    sdk::InboundMessage in;
    in.sender_id = canonical_id(nick);
    in.sender_name = irc::to_utf8(m.prefix);
    if (irc::is_channel_name(target)) {
      in.peer = {canonical_id(target), true, {}};
      auto mention = irc::detect_mention(text, nick_);
      in.mentioned = mention.mentioned;
      in.text = std::move(mention.text);
    } else if (same_nick(target)) {
      in.peer = {in.sender_id, false, {}};
      in.text = std::move(text);
    } else {
      return;  // e.g. a status message to channel operators
    }
    const std::string* msgid = m.tag("msgid");
    if (msgid && !msgid->empty() && msgid->size() <= 256)
      in.message_id = irc::to_utf8(*msgid);
    else
      in.message_id = id_prefix_ + "-" + std::to_string(++inbound_seq_);
    host_.inbound(std::move(in), [] {});  // IRC has nothing to acknowledge
  }

  // --- writing ------------------------------------------------------------------------

  // Protocol lines (PONG, registration, JOIN): ahead of chat lines and not flood-limited.
  void control(std::string line) {
    if (closed_) return;
    if (control_.size() >= kMaxControlLines)
      return fail("the server " + where_ + " is not reading what we send");
    control_.push_back({std::move(line) + "\r\n", nullptr});
    pump();
  }

  void refill() {
    if (s_.send_interval.count() == 0) {
      tokens_ = s_.send_burst;
      return;
    }
    auto now = Clock::now();
    double add = std::chrono::duration<double, std::milli>(now - last_refill_).count() /
                 static_cast<double>(s_.send_interval.count());
    tokens_ = std::min<double>(s_.send_burst, tokens_ + add);
    last_refill_ = now;
  }

  void pump() {
    if (closed_ || writing_ || !connected_socket_) return;
    Out out;
    if (!control_.empty()) {
      out = std::move(control_.front());
      control_.pop_front();
    } else if (!chat_.empty()) {
      refill();
      if (tokens_ < 1.0) {
        if (flood_wait_) return;
        flood_wait_ = true;
        auto wait =
            std::chrono::duration<double, std::milli>((1.0 - tokens_) * s_.send_interval.count());
        flood_timer_.expires_after(std::chrono::ceil<milliseconds>(wait));
        auto self = shared_from_this();
        flood_timer_.async_wait([self](const error_code& ec) {
          self->flood_wait_ = false;
          if (ec || self->closed_) return;
          self->pump();
        });
        return;
      }
      tokens_ -= 1.0;
      out = std::move(chat_.front());
      chat_.pop_front();
    } else {
      return;
    }
    writing_ = true;
    wbuf_ = std::move(out.line);
    in_flight_done_ = std::move(out.done);
    auto self = shared_from_this();
    async_write_raw(wbuf_, [self](const error_code& ec, std::size_t) { self->on_write(ec); });
  }

  void on_write(const error_code& ec) {
    writing_ = false;
    if (closed_) return;
    if (ec) return fail("writing to " + where_ + ": " + ec.message());
    if (auto done = std::move(in_flight_done_)) {
      in_flight_done_ = nullptr;
      done(Ok{});  // all lines of that send() are on the socket
      if (closed_) return;
    }
    pump();
  }

  sdk::ChannelHost& host_;
  Settings s_;
  std::string id_prefix_;
  tcp::resolver resolver_;
  tcp::socket socket_;
  std::shared_ptr<ssl::context> tls_ctx_;
  std::optional<ssl::stream<tcp::socket&>> tls_;  // after socket_: destroyed first
  asio::steady_timer tick_, flood_timer_, join_timer_;
  std::string where_;

  bool closed_ = false;  // stopped or failed: no more host callbacks
  bool connected_socket_ = false, registered_ = false, ready_ = false;
  bool cap_done_ = false, sasl_started_ = false, sasl_sent_ = false, sasl_ok_ = false;
  std::string cap_ls_;
  std::string nick_;
  int nick_attempt_ = 0;
  std::set<std::string> pending_joins_;
  std::size_t own_prefix_len_ = 0;

  std::array<char, 4096> rbuf_{};
  std::string line_;
  bool skipping_ = false;
  int bad_lines_ = 0;
  unsigned long long inbound_seq_ = 0, ping_seq_ = 0;
  Clock::time_point last_rx_, last_ping_;

  std::deque<Out> control_, chat_;
  bool writing_ = false, flood_wait_ = false;
  std::string wbuf_, quit_line_;
  std::function<void(Status)> in_flight_done_;
  double tokens_ = 0;
  Clock::time_point last_refill_;
};

class IrcChannel final : public sdk::Channel {
 public:
  explicit IrcChannel(sdk::ChannelHost& host) : host_(host) {}
  ~IrcChannel() override { stop(); }

  void start() override {
    stop();  // start() again = a fresh connection
    Settings s = read_settings(host_.settings());
    host_.set_liveness_window(2 * s.ping_interval);
    // message ids: unique within the account across reconnects and restarts.
    auto epoch_ms = std::chrono::duration_cast<milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    std::string id_prefix = "irc-" + std::to_string(epoch_ms) + "-" + std::to_string(++starts_);
    session_ = std::make_shared<Session>(host_, std::move(s), std::move(id_prefix));
    session_->start();
  }

  void stop() override {
    if (!session_) return;
    session_->stop();
    session_.reset();
  }

  void send(sdk::OutboundMessage m, std::function<void(Status)> done) override {
    if (session_) return session_->send(std::move(m), std::move(done));
    if (done)
      asio::post(host_.io(), [done = std::move(done)] {
        done(Error::unavailable("irc: not connected", 1000));
      });
  }

  std::size_t max_text() const override { return kIrcMaxText; }

  Json status_extra() const override {
    Json j = Json::object();
    if (session_ && !session_->nick().empty()) j["nick"] = irc::to_utf8(session_->nick());
    return j;
  }

 private:
  sdk::ChannelHost& host_;
  std::shared_ptr<Session> session_;
  unsigned long long starts_ = 0;
};

}  // namespace

Status register_irc(sdk::Registry& r) {
  return r.add_channel({"irc", "IRC networks (RFC 1459/2812, TLS, SASL PLAIN)",
                        [](sdk::ChannelHost& h) { return std::make_unique<IrcChannel>(h); }});
}

}  // namespace simpleclaw::channels
