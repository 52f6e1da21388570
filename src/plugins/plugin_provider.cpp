// Provider plugins (see plugin_provider.h).
#include "plugins/plugin_provider.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/log.h"
#include "plugins/plugin_channel.h"
#include "plugins/plugin_runtime.h"

namespace simpleclaw::plugins {

namespace asio = boost::asio;
using providers::ErrorKind;
using providers::PluginFailure;
using providers::StreamEvent;
using std::chrono::milliseconds;

namespace {

constexpr std::size_t kMaxStopReason = 64;

// A string field: absent/null = nullopt; present but not a string = "bad".
enum class Field { kAbsent, kString, kBad };
Field string_field(const Json& obj, const char* key, std::string& out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return Field::kAbsent;
  if (!it->is_string()) return Field::kBad;
  out = it->get<std::string>();
  return Field::kString;
}

// A non-negative token count, clamped; anything else counts as 0.
std::int64_t tokens(const Json& usage, const char* key) {
  auto it = usage.find(key);
  if (it == usage.end() || !it->is_number_integer()) return 0;
  auto v = it->get<std::int64_t>();
  return v < 0 ? 0 : std::min<std::int64_t>(v, std::int64_t{1} << 40);
}

}  // namespace

Json provider_chat_params(const std::string& request_id, const providers::ChatRequest& req) {
  Json messages = Json::array();
  for (const providers::Message& m : req.messages) {
    Json j{{"role", sdk::role_name(m.role)}, {"content", m.text}};
    if (!m.tool_calls.empty()) {
      Json calls = Json::array();
      for (const providers::ToolCall& c : m.tool_calls)
        calls.push_back(Json{{"id", c.id}, {"name", c.name}, {"arguments", c.arguments}});
      j["toolCalls"] = std::move(calls);
    }
    if (!m.tool_call_id.empty()) j["toolCallId"] = m.tool_call_id;
    if (!m.tool_name.empty()) j["toolName"] = m.tool_name;
    if (m.is_error) j["isError"] = true;
    if (!m.images.empty()) {
      Json images = Json::array();
      for (const sdk::Image& img : m.images)
        images.push_back(Json{{"mimeType", img.mime_type}, {"data", *img.data}});
      j["images"] = std::move(images);
    }
    messages.push_back(std::move(j));
  }
  Json p{{"requestId", request_id},
         {"model", req.model},
         {"messages", std::move(messages)},
         {"maxTokens", req.max_tokens}};
  if (!req.system.empty()) p["system"] = req.system;
  if (!req.tools.empty()) {
    Json tools = Json::array();
    for (const providers::ToolSpec& t : req.tools)
      tools.push_back(
          Json{{"name", t.name}, {"description", t.description}, {"parameters", t.parameters}});
    p["tools"] = std::move(tools);
  }
  return p;
}

// ---- ProviderStreamMapper ----

std::optional<std::string> ProviderStreamMapper::broken(std::string why) {
  finished_ = true;
  return why;
}

std::optional<std::string> ProviderStreamMapper::delta(const Json& params,
                                                       std::vector<StreamEvent>& out) {
  if (finished_) return std::nullopt;  // after the result or an error: ignored
  if (!params.is_object()) return broken("sent a provider/delta whose params are not an object");
  std::string text;
  switch (string_field(params, "text", text)) {
    case Field::kBad:
      return broken("sent a provider/delta whose text is not a string");
    case Field::kString:
      if (text.size() > kMaxDeltaText)
        return broken("sent a text delta over " + std::to_string(kMaxDeltaText) + " bytes");
      text_bytes_ += text.size();
      if (text_bytes_ > kMaxReplyText)
        return broken("sent a reply over " + std::to_string(kMaxReplyText) + " bytes");
      if (!text.empty()) {
        StreamEvent ev;
        ev.type = StreamEvent::kText;
        ev.text = std::move(text);
        out.push_back(std::move(ev));
      }
      break;
    case Field::kAbsent:
      break;
  }
  auto tc = params.find("toolCall");
  if (tc == params.end() || tc->is_null()) return std::nullopt;
  if (!tc->is_object()) return broken("sent a toolCall that is not an object");
  std::string id, name, args;
  if (string_field(*tc, "id", id) != Field::kString || id.empty() || id.size() > kMaxToolField)
    return broken("sent a toolCall without a valid id (a string of 1.." +
                  std::to_string(kMaxToolField) + " bytes)");
  Field nf = string_field(*tc, "name", name);
  if (nf == Field::kBad || name.size() > kMaxToolField)
    return broken("sent a toolCall whose name is not a string of at most " +
                  std::to_string(kMaxToolField) + " bytes");
  if (string_field(*tc, "argumentsDelta", args) == Field::kBad)
    return broken("sent a toolCall whose argumentsDelta is not a string");
  providers::ToolCall* call = nullptr;
  for (auto& c : calls_)
    if (c.id == id) call = &c;
  if (!call) {
    if (calls_.size() >= providers::kMaxToolCalls)
      return broken("made more than " + std::to_string(providers::kMaxToolCalls) +
                    " tool calls in one reply");
    calls_.push_back(providers::ToolCall{id, name, {}});
    call = &calls_.back();
  } else if (!name.empty()) {
    call->name = name;  // a later delta may name it (or repeat the name)
  }
  if (call->arguments.size() + args.size() > kMaxToolArguments)
    return broken("sent tool call arguments over " + std::to_string(kMaxToolArguments) + " bytes");
  call->arguments += args;
  return std::nullopt;
}

std::optional<std::string> ProviderStreamMapper::result(const Json& result,
                                                        std::vector<StreamEvent>& out) {
  if (finished_) return std::nullopt;
  finished_ = true;
  if (!result.is_object()) return "answered provider/chat with something not an object";
  std::string stop;
  if (string_field(result, "stopReason", stop) == Field::kBad || stop.size() > kMaxStopReason)
    return "answered provider/chat with a stopReason that is not a short string";
  for (auto& c : calls_) {
    if (c.name.empty()) return "made tool call " + c.id + " without a name";
    // A call without arguments is a call with none; "{}" keeps replays valid JSON.
    if (c.arguments.empty()) c.arguments = "{}";
    StreamEvent ev;
    ev.type = StreamEvent::kToolCall;
    ev.tool_call = std::move(c);
    out.push_back(std::move(ev));
  }
  calls_.clear();
  if (auto u = result.find("usage"); u != result.end() && u->is_object()) {
    StreamEvent ev;
    ev.type = StreamEvent::kUsage;
    ev.usage.input_tokens = tokens(*u, "input");
    ev.usage.output_tokens = tokens(*u, "output");
    out.push_back(std::move(ev));
  }
  StreamEvent done;
  done.type = StreamEvent::kDone;
  bool tool_use = false;
  for (const auto& ev : out) tool_use = tool_use || ev.type == StreamEvent::kToolCall;
  done.stop_reason = !stop.empty() ? stop : tool_use ? "tool_use" : "end";
  out.push_back(std::move(done));
  return std::nullopt;
}

// ---- one chat ----

namespace {

class ProviderChat final : public providers::PluginChat,
                           public std::enable_shared_from_this<ProviderChat> {
 public:
  ProviderChat(asio::io_context& io, std::string plugin, std::string request_id,
               providers::PluginTimeouts t, providers::PluginChatCallbacks cb)
      : io_(io),
        plugin_(std::move(plugin)),
        request_id_(std::move(request_id)),
        timeouts_(t),
        cb_(std::move(cb)),
        idle_(io),
        total_(io) {}

  // Fails from the loop (callbacks never run inside chat()).
  void fail_later(ErrorKind kind, bool retryable, std::string message) {
    std::weak_ptr<ProviderChat> weak = weak_from_this();
    asio::post(io_, [weak, kind, retryable, message = std::move(message)] {
      if (auto self = weak.lock()) self->fail(kind, retryable, message, false);
    });
  }

  void start(const std::shared_ptr<PluginRuntime>& rt, Json params) {
    rt_ = rt;
    std::weak_ptr<ProviderChat> weak = weak_from_this();
    rt->attach_request(request_id_, [weak](const Json& p) {
      if (auto self = weak.lock()) self->on_delta(p);
    });
    arm(idle_, timeouts_.first_byte, "no answer within");
    arm(total_, timeouts_.total, "not complete within");
    // No RPC deadline: the timers above are the policy (first byte, idle, total).
    rpc_ = rt->request("provider/chat", std::move(params), milliseconds(0), [weak](Result<Json> r) {
      if (auto self = weak.lock()) self->on_result(std::move(r));
    });
  }

  void cancel() override {
    if (done_) return;
    end(true);
    cb_ = {};
  }

 private:
  std::string who() const { return "plugin " + plugin_; }

  void arm(asio::steady_timer& t, milliseconds after, const char* what) {
    if (after.count() <= 0) return;
    t.expires_after(after);
    std::weak_ptr<ProviderChat> weak = weak_from_this();
    std::string msg =
        who() + ": provider/chat timed out (" + what + " " + std::to_string(after.count()) + " ms)";
    t.async_wait([weak, msg](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self || self->done_) return;
      self->fail(ErrorKind::kTimeout, true, msg, true);
    });
  }

  void on_delta(const Json& params) {
    if (done_) return;
    auto keep = shared_from_this();  // a callback may drop the caller's pointer
    arm(idle_, timeouts_.idle, "no delta within");
    std::vector<StreamEvent> events;
    auto err = mapper_.delta(params, events);
    deliver(events);
    if (err && !done_) fail(ErrorKind::kUnknown, false, who() + " " + *err, true);
  }

  void on_result(Result<Json> r) {
    if (done_) return;
    auto keep = shared_from_this();
    rpc_ = 0;  // answered: nothing to forget
    if (!r.ok()) {
      const Error& e = r.error();
      // A JSON-RPC error is the plugin's considered answer; anything else (not running,
      // exited) is the transport failing, worth another try.
      bool answered = e.details.is_object() && e.details.contains("rpcCode");
      return fail(ErrorKind::kUnknown, !answered, e.message, false);
    }
    std::vector<StreamEvent> events;
    auto err = mapper_.result(*r, events);
    if (err) return fail(ErrorKind::kUnknown, false, who() + " " + *err, false);
    end(false);
    auto cb = std::move(cb_);
    cb_ = {};
    for (StreamEvent& ev : events)
      if (cb.on_event) cb.on_event(ev);
  }

  void deliver(std::vector<StreamEvent>& events) {
    for (StreamEvent& ev : events) {
      if (done_ || !cb_.on_event) return;
      auto fn = cb_.on_event;  // a copy: the callback may cancel() us, which clears cb_
      fn(ev);
    }
  }

  void fail(ErrorKind kind, bool retryable, const std::string& message, bool tell_plugin) {
    if (done_) return;
    auto keep = shared_from_this();
    end(tell_plugin);
    auto cb = std::move(cb_);
    cb_ = {};
    if (cb.on_failure) cb.on_failure(PluginFailure{kind, retryable, message});
  }

  // The request is over: timers stop, deltas are no longer routed here, and an
  // unanswered request is forgotten (with provider/cancel when the plugin should stop).
  void end(bool tell_plugin) {
    done_ = true;
    idle_.cancel();
    total_.cancel();
    if (auto rt = rt_.lock()) {
      rt->detach_request(request_id_);
      if (rpc_) {
        rt->forget(rpc_);
        if (tell_plugin) rt->notify("provider/cancel", Json{{"requestId", request_id_}});
      }
    }
    rpc_ = 0;
  }

  asio::io_context& io_;
  std::string plugin_;
  std::string request_id_;
  providers::PluginTimeouts timeouts_;
  providers::PluginChatCallbacks cb_;
  asio::steady_timer idle_;
  asio::steady_timer total_;
  std::weak_ptr<PluginRuntime> rt_;
  std::uint64_t rpc_ = 0;
  bool done_ = false;
  ProviderStreamMapper mapper_;
};

}  // namespace

// ---- PluginProviders ----

PluginProviders::PluginProviders(asio::io_context& io, std::weak_ptr<PluginDirectory> dir)
    : io_(io), dir_(std::move(dir)) {}

std::shared_ptr<providers::PluginChat> PluginProviders::chat(
    const std::string& plugin, const providers::ChatRequest& req,
    const providers::PluginTimeouts& timeouts, providers::PluginChatCallbacks cb) {
  std::string id = "req-" + std::to_string(next_request_++);
  auto chat = std::make_shared<ProviderChat>(io_, plugin, id, timeouts, std::move(cb));
  std::shared_ptr<PluginRuntime> rt;
  if (auto dir = dir_.lock()) {
    auto it = dir->runtimes.find(plugin);
    if (it != dir->runtimes.end()) rt = it->second;
  }
  const std::string who = "plugin " + plugin;
  // Configuration problems do not heal by retrying; a process coming back does.
  if (!rt || rt->kind() != PluginKind::kProvider) {
    chat->fail_later(ErrorKind::kUnknown, false,
                     who + " is not a configured provider plugin (see plugins.list)");
  } else if (rt->state() == PluginState::kDisabled) {
    chat->fail_later(ErrorKind::kUnknown, false, who + " is disabled");
  } else if (rt->state() == PluginState::kFailed) {
    chat->fail_later(ErrorKind::kUnknown, false, rt->last_error());
  } else if (!rt->running()) {
    std::string why = who + " is not running";
    if (!rt->last_error().empty()) why += " (" + rt->last_error() + ")";
    chat->fail_later(ErrorKind::kUnknown, true, why);
  } else if (rt->active_requests() >= rt->options().max_provider_requests) {
    chat->fail_later(ErrorKind::kRateLimit, true,
                     who + ": too many requests in flight (" +
                         std::to_string(rt->options().max_provider_requests) + ")");
  } else {
    chat->start(rt, provider_chat_params(id, req));
  }
  return chat;
}

bool PluginProviders::available(const std::string& plugin) const {
  auto dir = dir_.lock();
  if (!dir) return false;
  auto it = dir->runtimes.find(plugin);
  return it != dir->runtimes.end() && it->second->kind() == PluginKind::kProvider &&
         it->second->running();
}

std::vector<config::ModelEntry> PluginProviders::models(const std::string& plugin) const {
  auto dir = dir_.lock();
  if (!dir) return {};
  auto it = dir->runtimes.find(plugin);
  if (it == dir->runtimes.end() || it->second->kind() != PluginKind::kProvider) return {};
  return it->second->models();
}

}  // namespace simpleclaw::plugins
