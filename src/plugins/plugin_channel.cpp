// PluginChannel (see plugin_channel.h). Inbound fields from the plugin are untrusted:
// each is bounded and typed here, a bad message is answered with a JSON-RPC error
// (-32602) and never reaches the host.
#include "plugins/plugin_channel.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "base/log.h"
#include "plugins/plugin_runtime.h"

namespace simpleclaw::plugins {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kMaxId = 256;
constexpr std::size_t kMaxName = 256;
constexpr std::size_t kMaxText = 256 * 1024;
constexpr std::size_t kMaxButtonData = 64;

// Settings keys the channel manager reads for every account; the plugin gets the rest.
const char* const kCommonKeys[] = {"enabled",     "agent",          "allow_from",
                                   "dm_policy",   "groups",         "activation",
                                   "chunk_limit", "health_monitor", "accounts"};

Error unavailable(std::string msg) { return Error::unavailable(std::move(msg), 1000); }

// A string field that may also come as a number (platform ids often are numbers).
bool id_field(const Json& j, const char* key, std::size_t max, std::string& out, bool required) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return !required;
  if (it->is_string())
    out = it->get<std::string>();
  else if (it->is_number_integer())
    out = it->dump();
  else
    return false;
  if (out.size() > max) return false;
  return !required || !out.empty();
}

bool parse_peer(const Json& params, sdk::Peer& peer) {
  auto it = params.find("peer");
  if (it == params.end() || !it->is_object()) return false;
  if (!id_field(*it, "chatId", kMaxId, peer.chat_id, true)) return false;
  auto g = it->find("group");
  peer.group = g != it->end() && g->is_boolean() && g->get<bool>();
  return id_field(*it, "threadId", kMaxId, peer.thread_id, false);
}

Json peer_json(const sdk::Peer& p) {
  Json j{{"chatId", p.chat_id}, {"group", p.group}};
  if (!p.thread_id.empty()) j["threadId"] = p.thread_id;
  if (!p.group && !p.user_id.empty()) j["userId"] = p.user_id;  // see docs/plugins.md
  return j;
}

}  // namespace

PluginChannel::PluginChannel(sdk::ChannelHost& host, std::weak_ptr<PluginDirectory> dir,
                             std::string plugin)
    : host_(host), dir_(std::move(dir)), plugin_(std::move(plugin)) {}

PluginChannel::~PluginChannel() { stop(); }

Json plugin_account_settings(const Json& account) {
  Json out = Json::object();
  if (!account.is_object()) return out;
  for (auto it = account.begin(); it != account.end(); ++it) {
    bool common = false;
    for (const char* k : kCommonKeys) common = common || it.key() == k;
    if (!common) out[it.key()] = it.value();
  }
  return out;
}

Json PluginChannel::account_settings() const { return plugin_account_settings(host_.settings()); }

void PluginChannel::start() {
  if (started_) return;
  started_ = true;
  down_ = false;
  connected_ = false;
  std::shared_ptr<PluginRuntime> rt;
  if (auto dir = dir_.lock()) {
    auto it = dir->runtimes.find(plugin_);
    if (it != dir->runtimes.end()) rt = it->second;
  }
  std::string why;
  if (!rt)
    why = "plugin " + plugin_ + " is not configured";
  else if (rt->state() == PluginState::kDisabled)
    why = "plugin " + plugin_ + " is disabled";
  else if (rt->state() == PluginState::kFailed || rt->state() == PluginState::kStopped)
    why = rt->last_error().empty() ? "plugin " + plugin_ + " is not running" : rt->last_error();
  if (!why.empty()) {
    // Reported from the loop, not inside start(): the manager may not expect it inline.
    asio::post(host_.io(), alive_.guard([this, why] { fail(why); }));
    return;
  }
  rt_ = rt;
  rt->attach(host_.account_id(), this);
  if (rt->running())
    send_start();
  else
    waiting_ = true;  // on_process_up() sends channel/start
}

void PluginChannel::send_start() {
  auto rt = rt_.lock();
  if (!rt || !started_) return;
  waiting_ = false;
  const Json& caps = rt->capabilities();
  if (auto it = caps.find("maxText"); it != caps.end() && it->is_number_unsigned())
    max_text_ = std::clamp<std::size_t>(it->get<std::size_t>(), 64, kMaxText);
  if (auto it = caps.find("buttons"); it != caps.end() && it->is_boolean())
    buttons_ = it->get<bool>();
  if (auto it = caps.find("livenessWindowMs"); it != caps.end() && it->is_number_unsigned())
    host_.set_liveness_window(std::chrono::milliseconds(it->get<std::uint64_t>()));
  rt->request("channel/start",
              Json{{"accountId", host_.account_id()}, {"settings", account_settings()}},
              rt->options().call_timeout, alive_.guard([this](Result<Json> r) {
                if (!r.ok()) fail(r.error().message);
              }));
}

void PluginChannel::stop() {
  if (!started_) return;
  started_ = false;
  waiting_ = false;
  connected_ = false;
  alive_.renew();  // drops every pending host callback
  auto rt = rt_.lock();
  if (rt) {
    rt->notify("channel/stop", Json{{"accountId", host_.account_id()}});
    rt->detach(host_.account_id(), this);
  }
  rt_.reset();
  auto sends = std::move(sends_);
  sends_.clear();
  for (auto& [seq, s] : sends) {
    if (rt) rt->forget(s.first);
    asio::post(host_.io(), [done = std::move(s.second), p = plugin_] {
      if (done) done(unavailable("plugin " + p + ": account stopped"));
    });
  }
}

void PluginChannel::fail(const std::string& error) {
  if (!started_ || down_) return;
  down_ = true;
  connected_ = false;
  host_.disconnected(error);
}

void PluginChannel::send(sdk::OutboundMessage m, std::function<void(Status)> done) {
  auto rt = rt_.lock();
  if (!started_ || down_ || !rt || !rt->running()) {
    asio::post(host_.io(), [done = std::move(done), p = plugin_] {
      if (done) done(unavailable("plugin " + p + " is not connected"));
    });
    return;
  }
  Json params{{"accountId", host_.account_id()}, {"peer", peer_json(m.peer)}, {"text", m.text}};
  if (!m.buttons.empty() && buttons_) {
    Json b = Json::array();
    for (const auto& x : m.buttons) b.push_back(Json{{"label", x.label}, {"data", x.data}});
    params["buttons"] = std::move(b);
  }
  if (!m.reply_to.empty()) params["replyTo"] = m.reply_to;
  std::uint64_t seq = next_send_++;
  sends_[seq] = {0, std::move(done)};
  std::uint64_t id = rt->request("channel/send", std::move(params), rt->options().call_timeout,
                                 alive_.guard([this, seq](Result<Json> r) {
                                   auto it = sends_.find(seq);
                                   if (it == sends_.end()) return;
                                   auto d = std::move(it->second.second);
                                   sends_.erase(it);
                                   if (!d) return;
                                   if (r.ok())
                                     d(Ok{});
                                   else
                                     d(r.error());
                                 }));
  if (auto it = sends_.find(seq); it != sends_.end()) it->second.first = id;
}

void PluginChannel::typing(const sdk::Peer& peer) {
  if (!started_ || down_) return;
  if (auto rt = rt_.lock())
    rt->notify("channel/typing",
               Json{{"accountId", host_.account_id()}, {"peer", peer_json(peer)}});
}

std::size_t PluginChannel::max_text() const { return max_text_; }
bool PluginChannel::supports_buttons() const { return buttons_; }

Json PluginChannel::status_extra() const {
  Json j{{"plugin", plugin_}};
  if (auto rt = rt_.lock()) {
    j["pluginState"] = plugin_state_name(rt->state());
    if (rt->pid() > 0) j["pluginPid"] = rt->pid();
  }
  return j;
}

// ---- from the runtime ----

void PluginChannel::on_process_up() {
  if (started_ && waiting_ && !down_) send_start();
}

void PluginChannel::on_process_down(const std::string& error) {
  if (!started_) return;
  waiting_ = false;
  // In-flight sends fail now (the process that had them is gone); the host retries.
  auto sends = std::move(sends_);
  sends_.clear();
  for (auto& [seq, s] : sends)
    asio::post(host_.io(), [done = std::move(s.second), error] {
      if (done) done(unavailable(error));
    });
  fail(error);
}

void PluginChannel::on_inbound(const Json& params, proc::StdioRpcPeer::Responder r) {
  if (!started_ || down_) return r.error(-32001, "account not started");
  sdk::InboundMessage m;
  auto bad = [&](const char* what) { r.error(-32602, std::string("invalid params: ") + what); };
  if (!id_field(params, "messageId", kMaxId, m.message_id, true)) return bad("messageId");
  if (!id_field(params, "senderId", kMaxId, m.sender_id, true)) return bad("senderId");
  if (!id_field(params, "senderName", kMaxName, m.sender_name, false)) return bad("senderName");
  if (!parse_peer(params, m.peer)) return bad("peer");
  auto t = params.find("text");
  if (t == params.end() || !t->is_string() || t->get_ref<const std::string&>().size() > kMaxText)
    return bad("text");
  m.text = t->get<std::string>();
  auto men = params.find("mentioned");
  m.mentioned = men != params.end() && men->is_boolean() && men->get<bool>();
  host_.alive();  // an inbound message proves the inbound path
  // The answer is the acknowledgement: only once the message is durable. The responder
  // holds the process weakly, so a restarted plugin never gets a stale answer.
  host_.inbound(std::move(m), [r]() { r.ok(Json::object()); });
}

void PluginChannel::on_status(const Json& params) {
  if (!started_) return;
  auto c = params.find("connected");
  bool connected = c != params.end() && c->is_boolean() && c->get<bool>();
  auto text = [&](const char* k) {
    auto it = params.find(k);
    return it != params.end() && it->is_string() ? it->get<std::string>().substr(0, 500)
                                                 : std::string();
  };
  if (connected) {
    if (down_) return;  // idle after a failure until stop()/start()
    connected_ = true;
    host_.connected(text("detail"));
  } else {
    std::string e = text("error");
    if (e.empty()) e = text("detail");
    fail(e.empty() ? "plugin " + plugin_ + " reported disconnected" : e);
  }
}

void PluginChannel::on_alive() {
  if (started_ && !down_) host_.alive();
}

void PluginChannel::on_button(const Json& params) {
  if (!started_ || down_) return;
  sdk::ButtonPress p;
  if (!id_field(params, "senderId", kMaxId, p.sender_id, true)) return;
  if (!id_field(params, "senderName", kMaxName, p.sender_name, false)) return;
  if (!parse_peer(params, p.peer)) return;
  auto d = params.find("data");
  if (d == params.end() || !d->is_string() ||
      d->get_ref<const std::string&>().size() > kMaxButtonData)
    return;
  p.data = d->get<std::string>();
  host_.button(std::move(p));
}

}  // namespace simpleclaw::plugins
