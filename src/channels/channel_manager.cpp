#include "channels/channel_manager.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>
#include <set>

#include "base/crypto.h"
#include "base/log.h"
#include "channels/account.h"
#include "channels/chunker.h"
#include "sessions/keys.h"
#include "sessions/shared_doc_store.h"
#include "simpleclaw/registry.h"

namespace simpleclaw::channels {

namespace {

constexpr std::size_t kMaxRoutes = 10000;  // replies awaited at once
constexpr auto kTypingEvery = std::chrono::seconds(4);

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// "/approve <id> <decision>" -> (id, decision); decision aliases accepted.
bool parse_approve(const std::string& text, std::string& id, std::string& decision) {
  std::string t = text;
  if (t.rfind("/approve", 0) != 0) return false;
  std::vector<std::string> words;
  std::string w;
  for (char c : t.substr(8)) {
    if (c == ' ' || c == '\t' || c == '\n') {
      if (!w.empty()) words.push_back(w), w.clear();
    } else {
      w += c;
    }
  }
  if (!w.empty()) words.push_back(w);
  id = words.size() > 0 ? words[0] : "";
  decision = words.size() > 1 ? lower(words[1]) : "";
  if (decision == "once" || decision == "allow" || decision == "yes") decision = "allow-once";
  if (decision == "always") decision = "allow-always";
  if (decision == "no" || decision == "reject") decision = "deny";
  return true;
}

// The message a reply threads under.
const std::string& reply_id(const sdk::InboundMessage& m) {
  return m.reply_id.empty() ? m.message_id : m.reply_id;
}

// A refusal that may pass (the disk, a busy database, a gateway shutting down), as opposed
// to one about the message itself.
bool not_stored_yet(const Error& e) {
  return e.code == ErrorCode::kIo || e.code == ErrorCode::kUnavailable;
}

}  // namespace

ChannelManager::ChannelManager(boost::asio::io_context& io, std::string state_dir,
                               ChannelDispatch& dispatch, const sdk::Registry& registry,
                               sessions::DbWorker& db, const Clock& clock)
    : io_(io),
      clock_(clock),
      state_dir_(std::move(state_dir)),
      dispatch_(dispatch),
      registry_(registry),
      db_(db),
      outbox_(db, clock),
      typing_timer_(io) {}

ChannelManager::~ChannelManager() { stop_all(); }

sdk::ChannelFactory ChannelManager::factory(const std::string& channel) const {
  if (const auto* ext = registry_.channel(channel)) return ext->factory;
  if (extra_) return extra_(channel);
  return {};
}

void ChannelManager::configure(const Json& channels, const Json& bindings,
                               const std::string& default_agent) {
  bindings_ = parse_bindings(bindings);
  default_agent_ = default_agent.empty() ? "main" : default_agent;
  std::map<std::string, AccountSettings> next;
  for (AccountSettings& a : parse_accounts(channels)) {
    std::string k = a.channel + "/" + a.account_id;
    next.emplace(k, std::move(a));
  }
  // webchat is the gateway's own page: always there unless configured otherwise.
  if (!next.count("webchat/default")) {
    AccountSettings w;
    w.channel = "webchat";
    w.account_id = "default";
    w.raw = Json::object();
    next.emplace("webchat/default", std::move(w));
  }
  for (auto it = accounts_.begin(); it != accounts_.end();) {
    auto n = next.find(it->first);
    if (n == next.end() || n->second.raw != it->second->config().raw) {
      it->second->stop(n == next.end() ? "removed from config" : "config changed");
      it = accounts_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [k, settings] : next) {
    if (accounts_.count(k)) continue;
    auto acc = std::make_shared<Account>(*this, std::move(settings));
    accounts_.emplace(k, acc);
    changed(*acc);
    acc->start();  // connectors connect asynchronously: start-up is not delayed
    // After start() (the connector knows its message size), before anything is queued:
    // the stored queue is read first and stays first.
    acc->load_queue();
    if (acc->shared()) load_pairing(k, true);
  }
  if (cluster_.accounts_changed) cluster_.accounts_changed();
}

namespace {
std::string pairing_doc(const std::string& key) { return "pairing:" + key; }
}  // namespace

void ChannelManager::store_pairing(const std::string& key, const PairingStore::Op& op) {
  db_.post(
      [key, op, now = clock_.wall_ms()](sessions::SessionStore& s) {
        return sessions::change_shared_doc(
            s, pairing_doc(key),
            [&](const std::string& current) {
              PairingStore state;
              state.load_json(Json::parse(current, nullptr, false));
              state.apply(op, now);
              return state.to_json().dump();
            },
            now);
      },
      [this, key](Result<sessions::SharedDoc> r) {
        if (!r.ok()) {
          // Held in memory here; the next change or reload tries again.
          log::error("{}: cannot store the pairing change: {}", key, r.error().message);
          return;
        }
        if (Account* a = find_key(key))
          a->pairing().load_json(Json::parse(r->text, nullptr, false));
        if (cluster_.pairing_changed) cluster_.pairing_changed(key);
      });
}

void ChannelManager::load_pairing(const std::string& key, bool seed) {
  Account* a = find_key(key);
  if (!a) return;
  // The account's file, for a cluster that has no shared copy yet (a gateway that
  // joined a cluster keeps the senders it had approved).
  std::string local = seed ? a->pairing().to_json().dump() : std::string();
  db_.post(
      [key, local, now = clock_.wall_ms()](
          sessions::SessionStore& s) -> Result<std::optional<sessions::SharedDoc>> {
        auto doc = sessions::read_shared_doc(s, pairing_doc(key));
        if (!doc.ok() || *doc || local.empty()) return doc;
        auto seeded = sessions::change_shared_doc(
            s, pairing_doc(key),
            [&](const std::string& current) { return current.empty() ? local : current; }, now);
        if (!seeded.ok()) return seeded.error();
        return std::optional<sessions::SharedDoc>(std::move(*seeded));
      },
      [this, key](Result<std::optional<sessions::SharedDoc>> r) {
        if (!r.ok() || !*r) return;
        if (Account* a = find_key(key))
          a->pairing().load_json(Json::parse((*r)->text, nullptr, false));
      });
}

void ChannelManager::reload_pairing(const std::string& key) {
  for (auto& [k, a] : accounts_)
    if (a->shared() && (key.empty() || k == key)) load_pairing(k, false);
}

void ChannelManager::set_cluster(ClusterHooks hooks) { cluster_ = std::move(hooks); }

std::vector<std::string> ChannelManager::shared_accounts() const {
  std::vector<std::string> out;
  for (const auto& [k, a] : accounts_)
    if (a->shared() && a->config().enabled) out.push_back(k);
  return out;
}

void ChannelManager::set_owner(const std::string& key, bool owned, const std::string& holder) {
  if (auto it = accounts_.find(key); it != accounts_.end()) it->second->set_owner(owned, holder);
}

void ChannelManager::refresh_outbox(const std::string& key) {
  for (auto& [k, a] : accounts_)
    if (key.empty() || k == key) a->refresh_queue();
}

void ChannelManager::outbound_stored(const std::string& key) {
  if (cluster_.outbound_stored) cluster_.outbound_stored(key);
}

void ChannelManager::configure(const config::Config& cfg) {
  configure(cfg.object_section("channels"), cfg.array_section("bindings"), cfg.agents.default_id);
}

void ChannelManager::stop_all() {
  typing_timer_.cancel();
  for (auto& [k, a] : accounts_) a->stop("gateway shutting down");
  accounts_.clear();
  runs_.clear();
  sessions_.clear();
}

std::size_t ChannelManager::outbound_waiting() const {
  std::size_t n = 0;
  for (const auto& [k, a] : accounts_)
    if (a->is_connected()) n += a->queued();
  return n;
}

Account* ChannelManager::find_key(const std::string& key) const {
  auto it = accounts_.find(key);
  return it == accounts_.end() ? nullptr : it->second.get();
}

Account* ChannelManager::find(const std::string& channel, const std::string& account) const {
  for (const auto& [k, a] : accounts_)
    if (a->channel_name() == channel && (account.empty() || a->account_id() == account))
      return a.get();
  return nullptr;
}

std::vector<Account*> ChannelManager::select(const std::string& channel,
                                             const std::string& account) const {
  std::vector<Account*> out;
  for (const auto& [k, a] : accounts_)
    if (a->channel_name() == channel && (account.empty() || a->account_id() == account))
      out.push_back(a.get());
  return out;
}

bool ChannelManager::has_channel(const std::string& channel) const {
  return find(channel, "") != nullptr;
}

std::vector<std::string> ChannelManager::channel_names() const {
  std::vector<std::string> out;
  for (const auto& [k, a] : accounts_)  // keyed "<channel>/<account>": sorted by channel
    if (out.empty() || out.back() != a->channel_name()) out.push_back(a->channel_name());
  return out;
}

std::string ChannelManager::agent_for(const Account& a, const sdk::InboundMessage& m,
                                      std::string* user) const {
  for (const Binding& b : bindings_) {
    if (b.channel != a.channel_name()) continue;
    if (!b.account.empty() && b.account != a.account_id()) continue;
    if (!b.peer.empty() && (m.peer.group || b.peer != m.sender_id)) continue;
    if (!b.group.empty() && (!m.peer.group || b.group != m.peer.chat_id)) continue;
    *user = b.user;
    return b.agent;
  }
  if (!a.config().agent.empty()) return a.config().agent;
  return default_agent_;
}

void ChannelManager::route(Account& a, sdk::InboundMessage m, std::function<void()> handled) {
  auto finish = [this, handled = std::move(handled)]() mutable {
    if (handled) boost::asio::post(io_, std::move(handled));
  };
  // Shutting down: the platform delivers it again to the next process.
  if (draining_ && a.redelivers()) return;
  if (m.text.rfind("/approve", 0) == 0) {
    approve_command(a, m);
    return finish();
  }
  bool paired = a.pairing().approved(m.sender_id);
  AccessDecision d = decide_access(a.config(), m, paired);
  Json who{{"channel", a.channel_name()},
           {"accountId", a.account_id()},
           {"senderId", m.sender_id},
           {"chatId", m.peer.chat_id},
           {"group", m.peer.group}};
  switch (d.what) {
    case Access::kDeny:
      ++counters_.denied;
      who["reason"] = d.reason;
      log::event("channel.inbound_denied", who,
                 a.key() + ": message from " + m.sender_id + " refused (" + d.reason + ")");
      return finish();
    case Access::kIgnore:
      ++counters_.ignored;
      return finish();
    case Access::kPair: {
      bool fresh = false;
      std::string code = a.pairing().code_for(m.sender_id, m.sender_name, clock_.wall_ms(), &fresh,
                                              m.peer.chat_id);
      if (fresh) {
        ++counters_.pairing_codes;
        log::event("channel.pairing_requested", who,
                   a.key() + ": pairing code issued to " + m.sender_id);
        a.enqueue({m.peer,
                   "Hi! I don't know you yet. Your pairing code is " + code +
                       ". Ask the operator of this assistant to approve it with:\n"
                       "simpleclaw call channels.pairing.approve --params '{\"channel\":\"" +
                       a.channel_name() + "\",\"code\":\"" + code + "\"}'",
                   {},
                   reply_id(m)});
        dispatch_.channels_changed({{"channel", a.channel_name()},
                                    {"accountId", a.account_id()},
                                    {"pairingRequested", true},
                                    {"ts", clock_.wall_ms()}});
      }
      return finish();
    }
    case Access::kAllow:
      break;
  }
  Submission s;
  s.agent_id = agent_for(a, m, &s.user);
  // A binding with a user puts the conversation in that user's namespace (shared mode):
  // only they (and the admin) see it.
  s.session_key =
      sessions::channel_key(s.agent_id, s.user, a.channel_name(), m.peer.group,
                            m.peer.group ? m.peer.chat_id : m.sender_id, m.peer.thread_id);
  // The run id is the idempotency key: a platform redelivering the same message (after
  // a crash before its offset was saved) finds the run already there.
  std::string mid = a.channel_name() + ":" + a.account_id() + ":" + m.message_id;
  s.run_id = "ch-" + (mid.size() > 120 ? sha256_hex(mid).substr(0, 40) : mid);
  s.text = m.peer.group && !m.sender_name.empty() ? "[" + m.sender_name + "] " + m.text : m.text;
  Route r{a.weak_from_this(), m.peer, reply_id(m)};
  // Stored with the run: its reply reaches this conversation even after a restart.
  s.reply_route = Outbox::route(a.key(), m.peer, reply_id(m));
  sessions_[s.session_key] = r;
  last_by_agent_[s.agent_id + "/" + s.user] = {a.channel_name(), a.account_id(), m.peer.chat_id};
  std::string run_id = s.run_id;
  dispatch_.submit(std::move(s), [this, r, run_id,
                                  finish = std::move(finish)](Result<bool> st) mutable {
    auto acc = r.account.lock();
    if (st.ok() && !*st) {
      // A platform redelivering a message whose run already ended: its reply is queued
      // (or was queued at start-up from the run's stored route).
    } else if (st.ok()) {
      if (runs_.size() < kMaxRoutes) runs_[run_id] = r;
      if (acc) acc->typing(r.peer);
      schedule_typing();
    } else if (acc && acc->redelivers() && not_stored_yet(st.error())) {
      // Not durable and not acknowledged: the platform sends it again once the account
      // reconnects (after a backoff), by which time the disk may have room again.
      return acc->refuse_inbound(st.error().message);
    } else if (acc) {
      acc->enqueue(
          {r.peer, "Sorry, I could not take your message: " + st.error().message, {}, r.reply_to});
    }
    finish();
  });
}

void ChannelManager::schedule_typing() {
  if (typing_armed_ || runs_.empty()) return;
  typing_armed_ = true;
  typing_timer_.expires_after(kTypingEvery);
  typing_timer_.async_wait([this](const boost::system::error_code& ec) {
    typing_armed_ = false;
    if (ec) return;
    for (auto& [id, r] : runs_)
      if (auto acc = r.account.lock()) acc->typing(r.peer);
    schedule_typing();
  });
}

void ChannelManager::on_run_finished(const RunReply& reply) {
  auto it = runs_.find(reply.run_id);
  if (it == runs_.end()) return;
  Route r = it->second;
  runs_.erase(it);
  auto acc = r.account.lock();
  if (!acc) return;  // the account is gone: the reply stays pending in the run's row
  std::string text = Outbox::reply_text(reply.status, reply.text, reply.error);
  std::vector<sdk::OutboundMessage> msgs;
  bool first = true;
  for (std::string& chunk : chunk_text(text, acc->max_text())) {
    msgs.push_back({r.peer, std::move(chunk), {}, first ? r.reply_to : std::string()});
    first = false;
  }
  acc->enqueue_reply(reply.run_id, std::move(msgs));
}

std::pair<std::shared_ptr<Account>, sdk::Peer> ChannelManager::conversation(
    const std::string& key) {
  if (auto it = sessions_.find(key); it != sessions_.end())
    if (auto acc = it->second.account.lock()) return {acc, it->second.peer};
  // After a restart the conversation is known only from the key:
  // agent:<a>:<channel>:direct:<peer> | :group:<id>[:thread:<t>]. <peer> is the sender's
  // user id: a DM is addressed by user (Peer::user_id), and the connector finds the
  // conversation (on Telegram and IRC it is the user id; Discord and Slack open the DM).
  auto k = sessions::parse_session_key(key, default_agent_);
  if (!k || k->channel.empty()) return {};
  Account* a = find(k->channel, "");
  if (!a) return {};
  std::string_view rest = k->rest;
  if (!k->owner.empty()) rest.remove_prefix(5 + k->owner.size() + 1);  // "user:<owner>:"
  if (rest.size() < k->channel.size() + 1 + k->kind.size() + 1) return {};
  std::string conv(rest.substr(k->channel.size() + 1 + k->kind.size() + 1));
  auto thread = conv.find(":thread:");
  sdk::Peer peer;
  peer.group = k->kind == "group";
  peer.chat_id = conv.substr(0, thread);
  if (thread != std::string::npos) peer.thread_id = conv.substr(thread + 8);
  if (!peer.group) peer.user_id = peer.chat_id;
  return {a->shared_from_this(), peer};
}

bool ChannelManager::tell(const std::string& session_key, const std::string& text) {
  auto [acc, peer] = conversation(session_key);
  if (!acc) return false;
  for (std::string& chunk : chunk_text(text, acc->max_text()))
    acc->enqueue({peer, std::move(chunk), {}, {}});
  return true;
}

void ChannelManager::on_approval_event(const char* event, const Json& payload) {
  if (std::string(event) != "exec.approval.requested") return;
  const Json& req = payload.contains("request") ? payload["request"] : Json();
  std::string key = req.is_object() ? req.value("sessionKey", "") : "";
  std::string id = payload.value("id", "");
  if (key.empty() || id.empty()) return;
  auto [acc, peer] = conversation(key);
  if (!acc) return;
  std::string short_id = id.substr(0, 8);
  std::string text = "Approval needed (" + short_id + "): run `" + req.value("command", "") +
                     "` in " + req.value("cwd", "") + "?\nReply /approve " + short_id +
                     " allow-once | " + (req.value("allowAlways", false) ? "allow-always | " : "") +
                     "deny";
  std::vector<sdk::Button> buttons{{"Allow once", "apr:" + short_id + ":o"}};
  if (req.value("allowAlways", false))
    buttons.push_back({"Always allow", "apr:" + short_id + ":a"});
  buttons.push_back({"Deny", "apr:" + short_id + ":d"});
  sdk::OutboundMessage m{
      peer, text, acc->supports_buttons() ? buttons : std::vector<sdk::Button>{}, {}};
  for (std::string& chunk : chunk_text(m.text, acc->max_text())) {
    m.text = std::move(chunk);
    acc->enqueue(m);
    m.buttons.clear();  // buttons ride on the first chunk only
  }
}

void ChannelManager::approve_command(Account& a, const sdk::InboundMessage& m) {
  std::string id, decision;
  parse_approve(m.text, id, decision);
  reply_decision(a, m.peer, m.sender_id, id, decision);
}

void ChannelManager::button(Account& a, sdk::ButtonPress p) {
  // apr:<short id>:o|a|d
  if (p.data.rfind("apr:", 0) != 0) return;
  auto colon = p.data.rfind(':');
  if (colon <= 4) return;
  std::string id = p.data.substr(4, colon - 4);
  std::string d = p.data.substr(colon + 1);
  std::string decision = d == "o"   ? "allow-once"
                         : d == "a" ? "allow-always"
                         : d == "d" ? "deny"
                                    : "";
  reply_decision(a, p.peer, p.sender_id, id, decision);
}

void ChannelManager::reply_decision(Account& a, const sdk::Peer& peer, const std::string& sender,
                                    const std::string& id, std::string decision) {
  auto say = [&](std::string text) { a.enqueue({peer, std::move(text), {}, {}}); };
  if (!may_approve(a.config(), sender, a.pairing().approved(sender))) {
    log::event("channel.approval_refused",
               {{"channel", a.channel_name()}, {"accountId", a.account_id()}, {"senderId", sender}},
               a.key() + ": " + sender + " may not approve");
    return say(
        "You are not allowed to approve commands here (only senders listed by id in "
        "allow_from or paired may).");
  }
  if (id.empty() || (decision != "allow-once" && decision != "allow-always" && decision != "deny"))
    return say("Usage: /approve <id> allow-once | allow-always | deny");
  auto r = dispatch_.resolve_approval(id, decision, a.channel_name() + ":" + sender);
  if (!r) return say("Could not resolve " + id + ": " + r.error().message);
  ++counters_.approvals;
  say(std::string(decision == "deny" ? "Denied " : "Approved (") + id +
      (decision == "deny" ? "." : ", " + decision + ")."));
}

void ChannelManager::changed(const Account& a) {
  dispatch_.channels_changed({{"channel", a.channel_name()},
                              {"accountId", a.account_id()},
                              {"healthState", health_state_name(a.health_state())},
                              {"connected", a.is_connected()},
                              {"lastError", a.last_error()},  // why it is stuck/reconnecting
                              {"ts", clock_.wall_ms()}});
}

std::string ChannelManager::label(const std::string& channel) {
  static const std::map<std::string, std::string, std::less<>> kLabels = {{"telegram", "Telegram"},
                                                                          {"discord", "Discord"},
                                                                          {"slack", "Slack"},
                                                                          {"irc", "IRC"},
                                                                          {"webchat", "Web chat"}};
  if (auto it = kLabels.find(channel); it != kLabels.end()) return it->second;
  std::string out = channel;
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 32);
  return out;
}

Json ChannelManager::status_json(const std::string& only) const {
  // One summary per channel, in the order channels first appear; the worst account
  // state (neither healthy nor idle by choice) speaks for the channel.
  struct Summary {
    int accounts = 0, connected = 0, running = 0, standby = 0;
    HealthState worst = HealthState::kHealthy;
  };
  std::vector<std::string> order;
  std::map<std::string, Summary> sums;
  Json channels = Json::object(), accounts = Json::object();
  Json labels = Json::object(), defaults = Json::object(), meta = Json::array();
  for (const auto& [k, a] : accounts_) {
    const std::string& ch = a->channel_name();
    if (!only.empty() && ch != only) continue;
    if (!sums.count(ch)) {
      labels[ch] = label(ch);
      defaults[ch] = a->account_id();  // the first account (keys sort "<channel>/<id>")
      meta.push_back({{"id", ch}, {"label", label(ch)}, {"detailLabel", label(ch)}});
      order.push_back(ch);
      accounts[ch] = Json::array();
    }
    Summary& s = sums[ch];
    ++s.accounts;
    s.connected += a->is_connected();
    s.running += a->running();
    s.standby += a->health_state() == HealthState::kStandby;
    HealthState st = a->health_state();
    if (is_trouble(st)) s.worst = st;
    accounts[ch].push_back(a->status_json());
  }
  for (const auto& ch : order) {
    const Summary& s = sums[ch];
    channels[ch] = {{"configured", true},
                    {"accounts", s.accounts},
                    {"running", s.running},
                    {"connected", s.connected},
                    {"healthState", health_state_name(s.running   ? s.worst
                                                      : s.standby ? HealthState::kStandby
                                                                  : HealthState::kStopped)}};
  }
  return {{"ts", clock_.wall_ms()},      {"channelOrder", order},
          {"channelLabels", labels},     {"channelDetailLabels", labels},
          {"channelMeta", meta},         {"channels", channels},
          {"channelAccounts", accounts}, {"channelDefaultAccountId", defaults}};
}

ChannelManager::Counts ChannelManager::counts() const {
  Counts n;
  std::string last;
  for (const auto& [k, a] : accounts_) {  // keyed "<channel>/<account>": grouped by channel
    if (a->channel_name() != last) ++n.channels;
    last = a->channel_name();
    ++n.accounts;
    n.running += a->running() ? 1 : 0;
    n.connected += a->is_connected() ? 1 : 0;
  }
  return n;
}

Json ChannelManager::health_json() const {
  // Per channel as OpenClaw's snapshot has it ({configured, running, connected, ...}),
  // each account's state under `accounts`; the worst account state speaks for the channel.
  Json out = Json::object();
  std::map<std::string, HealthState> worst;
  std::set<std::string> standby;  // channels with an account another instance owns
  for (const auto& [k, a] : accounts_) {
    const std::string& ch = a->channel_name();
    Json& c = out[ch];
    if (c.is_null()) {
      c = {{"configured", true},
           {"running", false},
           {"connected", false},
           {"accounts", Json::object()}};
      worst[ch] = HealthState::kHealthy;
    }
    const HealthState st = a->health_state();
    if (st == HealthState::kStandby) standby.insert(ch);
    c["running"] = c["running"].get<bool>() || a->running();
    c["connected"] = c["connected"].get<bool>() || a->is_connected();
    if (is_trouble(st)) worst[ch] = st;
    c["accounts"][a->account_id()] = {{"healthState", health_state_name(st)},
                                      {"configured", true},
                                      {"running", a->running()},
                                      {"connected", a->is_connected()}};
  }
  for (auto& [ch, c] : out.items())
    c["healthState"] = health_state_name(c["running"].get<bool>() ? worst[ch]
                                         : standby.count(ch)      ? HealthState::kStandby
                                                                  : HealthState::kStopped);
  return out;
}

void ChannelManager::write_metrics(prom::Writer& w) const {
  w.counter("simpleclaw_channel_inbound_total", "Platform messages received.", counters_.inbound);
  w.counter("simpleclaw_channel_denied_total", "Messages refused by access control.",
            counters_.denied);
  w.counter("simpleclaw_channel_outbound_total", "Messages delivered to platforms.",
            counters_.outbound);
  w.counter("simpleclaw_channel_outbound_failed_total", "Failed send attempts (retried).",
            counters_.outbound_failed);
  w.counter("simpleclaw_channel_outbound_dropped_total", "Messages given up on.",
            counters_.outbound_dropped);
  w.counter("simpleclaw_channel_reconnects_total", "Account reconnects.", counters_.reconnects);
  w.counter("simpleclaw_channel_stuck_total", "Stalled inbound paths detected.", counters_.stuck);
  w.counter("simpleclaw_channel_restarts_total", "Connectors rebuilt after repeated failures.",
            counters_.restarts);
  w.family("simpleclaw_channel_connected", "gauge",
           "Account connected (1) or not (0), labelled with its health state.");
  for (const auto& [k, a] : accounts_)
    w.sample("simpleclaw_channel_connected",
             {{"channel", a->channel_name()},
              {"account", a->account_id()},
              {"state", health_state_name(a->health_state())}},
             a->is_connected() ? 1 : 0);
}

Result<Json> ChannelManager::start_account(const std::string& channel, const std::string& account) {
  auto list = select(channel, account);
  if (list.empty())
    return Error::not_found("unknown channel account: " + channel +
                            (account.empty() ? "" : "/" + account));
  Json started = Json::array();
  for (Account* a : list) {
    if (!a->config().enabled)
      return Error::invalid(a->key() + " is disabled in config (set enabled: true)");
    a->start();
    started.push_back(a->account_id());
  }
  return Json{{"ok", true}, {"channel", channel}, {"accounts", started}};
}

Result<Json> ChannelManager::stop_account(const std::string& channel, const std::string& account) {
  auto list = select(channel, account);
  if (list.empty())
    return Error::not_found("unknown channel account: " + channel +
                            (account.empty() ? "" : "/" + account));
  Json stopped = Json::array();
  for (Account* a : list) {
    a->stop("stopped by an operator");
    stopped.push_back(a->account_id());
  }
  return Json{{"ok", true}, {"channel", channel}, {"accounts", stopped}};
}

Result<Json> ChannelManager::logout(const std::string& channel, const std::string& account) {
  auto list = select(channel, account);
  if (list.empty())
    return Error::not_found("unknown channel account: " + channel +
                            (account.empty() ? "" : "/" + account));
  Json out = Json::array();
  for (Account* a : list) {
    a->stop("logged out by an operator");
    Status st = a->logout();
    if (!st) return st.error();
    out.push_back(a->account_id());
  }
  return Json{{"ok", true}, {"channel", channel}, {"accounts", out}, {"loggedOut", true}};
}

Json ChannelManager::pairing_list(const std::string& channel, const std::string& account) const {
  // OpenClaw's shape (accounts that take pairing requests, the requests with ISO times,
  // the limits), plus `code` and `createdAtMs` that simpleclaw's own clients read.
  Json accounts = Json::array(), list = Json::array();
  const std::int64_t now = clock_.wall_ms();
  for (const auto& [k, a] : accounts_) {
    if (!channel.empty() && a->channel_name() != channel) continue;
    if (!account.empty() && a->account_id() != account) continue;
    const std::string ch_label = label(a->channel_name());
    accounts.push_back({{"channel", a->channel_name()},
                        {"channelLabel", ch_label},
                        {"accountId", a->account_id()},
                        {"notifySupported", true}});
    for (const auto& p : a->pairing().pending(now)) {
      Json r{{"requestId", p.code},
             {"channel", a->channel_name()},
             {"channelLabel", ch_label},
             {"accountId", a->account_id()},
             {"senderId", p.sender_id},
             {"senderLabel", p.sender_name.empty() ? p.sender_id : p.sender_name},
             {"createdAt", iso_utc(p.created_ms)},
             {"lastSeenAt", iso_utc(p.created_ms)},
             {"expiresAt", iso_utc(p.created_ms + PairingStore::kCodeTtlMs)},
             {"notifySupported", true},
             {"code", p.code},
             {"senderName", p.sender_name},
             {"createdAtMs", p.created_ms}};
      list.push_back(std::move(r));
    }
  }
  return {
      {"accounts", std::move(accounts)},
      {"requests", std::move(list)},
      {"commandOwnerConfigured", false},
      {"limits",
       {{"pendingPerAccount", PairingStore::kMaxPending}, {"ttlMs", PairingStore::kCodeTtlMs}}}};
}

Result<std::pair<Account*, PairingStore::Pending>> ChannelManager::take_pairing(
    const std::string& channel, const std::string& account, const std::string& code, bool approve) {
  auto list = select(channel, account);
  if (list.empty()) return Error::not_found("unknown channel account: " + channel);
  for (Account* a : list) {
    // The store matches the code (case-insensitively) and knows whether it is still valid.
    auto r = approve ? a->pairing().approve(code, clock_.wall_ms())
                     : a->pairing().dismiss(code, clock_.wall_ms());
    if (!r) continue;
    log::event(approve ? "channel.pairing_approved" : "channel.pairing_dismissed",
               {{"channel", a->channel_name()},
                {"accountId", a->account_id()},
                {"senderId", r->sender_id}},
               a->key() + ": " + r->sender_id + (approve ? " approved" : "'s request dismissed"));
    return std::make_pair(a, std::move(*r));
  }
  return Error::not_found("unknown or expired pairing code: " + code +
                          " (channels.pairing.list shows the pending ones)");
}

Result<Json> ChannelManager::pairing_approve(const std::string& channel, const std::string& account,
                                             const std::string& code, bool notify) {
  auto taken = take_pairing(channel, account, code, true);
  if (!taken.ok()) return taken.error();
  auto& [a, r] = *taken;
  if (notify) {
    // To the conversation the code was requested from: on Discord and Slack the DM
    // channel id is not the user id. A request saved before the conversation was
    // recorded knows only the user: the connector opens the DM with them.
    sdk::Peer to{r.reply_to(), false, {}};
    if (r.chat_id.empty()) to.user_id = r.sender_id;
    a->enqueue({to, "You're approved: you can talk to me now.", {}, {}});
  }
  return Json{{"ok", true},
              {"requestId", r.code},
              {"channel", a->channel_name()},
              {"accountId", a->account_id()},
              {"senderId", r.sender_id},
              {"senderName", r.sender_name},
              {"notification", notify ? "sent" : "not-requested"},
              {"commandOwnerBootstrap", "not-requested"}};
}

Result<Json> ChannelManager::pairing_dismiss(const std::string& channel, const std::string& account,
                                             const std::string& code) {
  auto taken = take_pairing(channel, account, code, false);
  if (!taken.ok()) return taken.error();
  return Json{
      {"ok", true}, {"requestId", taken->second.code}, {"senderId", taken->second.sender_id}};
}

ChannelManager::Target ChannelManager::last_target(const std::string& agent_id,
                                                   const std::string& user) const {
  auto it = last_by_agent_.find(agent_id + "/" + user);
  return it == last_by_agent_.end() ? Target{} : it->second;
}

void ChannelManager::deliver(const std::string& channel, const std::string& account,
                             const std::string& to, const std::string& text,
                             std::function<void(Result<std::string>)> done) {
  Account* a = find(channel, account);
  if (!a) return done(Error::not_found("unknown channel: " + channel));
  auto chunks = chunk_text(text, a->max_text());
  if (chunks.empty()) return done(Error::invalid("empty message"));
  // One result for the whole message: the last chunk's.
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    bool last = i + 1 == chunks.size();
    a->enqueue({{to, false, {}}, std::move(chunks[i]), {}, {}},
               last ? std::move(done) : std::function<void(Result<std::string>)>());
  }
}

}  // namespace simpleclaw::channels
