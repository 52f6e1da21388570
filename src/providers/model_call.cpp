#include "providers/model_call.h"

#include <algorithm>
#include <boost/asio/post.hpp>

#include "base/backoff.h"
#include "base/log.h"

namespace simpleclaw::providers {
namespace {
constexpr std::size_t kMaxErrorBody = 64 * 1024;

CallResult cancelled_result() {
  CallResult r;
  r.cancelled = true;
  return r;
}

std::string http_error_text(const std::string& provider, const HttpError& e) {
  return provider + ": " + e.message;
}

const std::string& provider_name(const ResolvedModel& m) {
  return m.provider ? m.provider->name : m.plugin;
}
}  // namespace

std::shared_ptr<ModelCall> ModelCall::start(boost::asio::io_context& io,
                                            std::vector<ResolvedModel> candidates,
                                            const config::ModelsConfig& cfg, CallCallbacks cb,
                                            std::shared_ptr<ConnectionPool> pool) {
  std::shared_ptr<ModelCall> call(
      new ModelCall(io, std::move(candidates), cfg, std::move(cb), std::move(pool)));
  if (call->candidates_.empty()) {
    CallResult r;
    r.error = "no model configured";
    call->finish(std::move(r));
  } else {
    call->attempt();
  }
  return call;
}

ModelCall::ModelCall(boost::asio::io_context& io, std::vector<ResolvedModel> c,
                     const config::ModelsConfig& cfg, CallCallbacks cb,
                     std::shared_ptr<ConnectionPool> pool)
    : io_(io),
      candidates_(std::move(c)),
      retry_(cfg.retry),
      max_response_bytes_(static_cast<std::size_t>(std::max<long long>(1, cfg.max_response_bytes))),
      cb_(std::move(cb)),
      backoff_(io) {
  http_opts_.pool = std::move(pool);
  http_opts_.connect_timeout = std::chrono::milliseconds(cfg.connect_timeout_ms);
  http_opts_.first_byte_timeout = std::chrono::milliseconds(cfg.first_byte_timeout_ms);
  http_opts_.idle_timeout = std::chrono::milliseconds(cfg.idle_timeout_ms);
  http_opts_.total_timeout = std::chrono::milliseconds(cfg.request_timeout_ms);
  plugin_timeouts_.first_byte = http_opts_.first_byte_timeout;
  plugin_timeouts_.idle = http_opts_.idle_timeout;
  plugin_timeouts_.total = http_opts_.total_timeout;
}

ModelCall::~ModelCall() = default;

void ModelCall::attempt() {
  const ResolvedModel& m = candidates_[index_];
  ++tries_;
  ++total_attempts_;
  decoder_ = m.wire ? m.wire->make_decoder() : nullptr;  // none for a plugin candidate
  head_ = HttpHead{};
  error_body_.clear();
  stream_finished_ = false;
  response_bytes_ = 0;
  result_.model_ref = m.ref;
  result_.tool_calls.clear();  // a retried attempt starts over
  ChatRequest req = cb_.build(m);
  if (!m.plugin.empty()) return attempt_plugin(m, req);
  HttpCallbacks hc;
  auto current = begin_attempt();
  hc.on_head = [current](const HttpHead& h) {
    if (auto self = current()) self->head_ = h;
  };
  hc.on_body = [current](std::string_view bytes) {
    auto self = current();
    if (!self || self->stream_finished_) return;
    if (self->head_.status < 200 || self->head_.status >= 300) {
      if (self->error_body_.size() < kMaxErrorBody)
        self->error_body_.append(bytes.substr(0, kMaxErrorBody - self->error_body_.size()));
      return;
    }
    std::vector<StreamEvent> events;
    self->decoder_->feed(bytes, events);
    for (StreamEvent& ev : events) {
      if (!current() || self->stream_finished_) break;  // over the cap: the attempt ended
      if (self->take_event(ev)) continue;
      switch (ev.type) {
        case StreamEvent::kDone:
          self->stream_finished_ = true;
          self->result_.stop_reason = ev.stop_reason;
          break;
        default:  // kError
          self->stream_finished_ = true;
          // Retrying a stream that broke before any text is safe; after text it is final.
          self->fail_attempt(
              ev.error_kind,
              self->candidates_[self->index_].provider->name + ": " + ev.error_message,
              !self->text_sent_, std::nullopt);
          return;
      }
    }
  };
  hc.on_done = [current](const HttpError* err) {
    if (auto self = current()) self->on_http_done(err);
  };
  http_ = net::http_start(io_, m.wire->chat_request(endpoint_of(*m.provider), req), http_opts_,
                          std::move(hc));
}

std::function<std::shared_ptr<ModelCall>()> ModelCall::begin_attempt() {
  std::weak_ptr<ModelCall> weak = weak_from_this();
  const std::uint64_t id = ++attempt_id_;
  return [weak, id]() -> std::shared_ptr<ModelCall> {
    auto self = weak.lock();
    return self && self->attempt_id_ == id && !self->done_ ? self : nullptr;
  };
}

bool ModelCall::take_event(StreamEvent& ev) {
  switch (ev.type) {
    case StreamEvent::kText:
      // The piece that does not fit is not shown: the transcript keeps what came before.
      if (!ev.text.empty() && within_cap(ev.text.size())) {
        text_sent_ = true;
        if (cb_.on_text) cb_.on_text(ev.text);
      }
      return true;
    case StreamEvent::kUsage:
      result_.usage = ev.usage;
      return true;
    case StreamEvent::kToolCall:
      if (within_cap(ev.tool_call.id.size() + ev.tool_call.name.size() +
                     ev.tool_call.arguments.size()))
        result_.tool_calls.push_back(std::move(ev.tool_call));
      return true;
    default:
      return false;
  }
}

bool ModelCall::within_cap(std::size_t bytes) {
  response_bytes_ += bytes;
  if (response_bytes_ <= max_response_bytes_) return true;
  stream_finished_ = true;  // nothing more of this response is taken
  // Not retryable: the same request would likely run away again. fail_attempt still
  // tries the next candidate when no text reached the user.
  fail_attempt(ErrorKind::kUnknown,
               provider_name(candidates_[index_]) +
                   ": the reply is larger than models.max_response_bytes (" +
                   std::to_string(max_response_bytes_) + " bytes)",
               false, std::nullopt);
  return false;
}

void ModelCall::attempt_plugin(const ResolvedModel& m, const ChatRequest& req) {
  auto current = begin_attempt();
  const std::string provider = provider_name(m);
  if (!m.plugins) {
    // Posted: on_done must not run inside start().
    boost::asio::post(io_, [current, provider, plugin = m.plugin] {
      if (auto self = current())
        self->fail_attempt(
            ErrorKind::kUnknown,
            provider + ": provider plugins are not available here (plugin " + plugin + ")", false,
            std::nullopt);
    });
    return;
  }
  PluginChatCallbacks pc;
  pc.on_event = [current](StreamEvent& ev) {
    if (auto self = current()) self->on_plugin_event(ev);
  };
  pc.on_failure = [current, provider](const PluginFailure& f) {
    auto self = current();
    if (!self) return;
    self->plugin_.reset();
    // After text reached the user a failure is final, as for HTTP.
    self->fail_attempt(f.kind, provider + ": " + f.message, f.retryable && !self->text_sent_,
                       std::nullopt);
  };
  plugin_ = m.plugins->chat(m.plugin, req, plugin_timeouts_, std::move(pc));
}

void ModelCall::on_plugin_event(StreamEvent& ev) {
  if (take_event(ev)) return;
  switch (ev.type) {
    case StreamEvent::kDone: {
      plugin_.reset();
      if (cancelled_) return finish(cancelled_result());
      CallResult r = result_;
      r.ok = true;
      r.stop_reason = ev.stop_reason;
      finish(std::move(r));
      break;
    }
    default:  // kError: not sent by PluginModels (failures come separately)
      plugin_.reset();
      fail_attempt(ev.error_kind, ev.error_message, !text_sent_, std::nullopt);
      break;
  }
}

void ModelCall::on_http_done(const HttpError* err) {
  if (done_) return;
  if (cancelled_) return finish(cancelled_result());
  const std::string& provider = candidates_[index_].provider->name;
  if (err) {
    ErrorKind kind = err->kind == HttpError::kTimeout ? ErrorKind::kTimeout : ErrorKind::kUnknown;
    bool retryable = err->kind != HttpError::kTls && !text_sent_;
    return fail_attempt(kind, http_error_text(provider, *err), retryable, std::nullopt);
  }
  if (head_.status < 200 || head_.status >= 300) {
    // Named by the provider, not its wire format: with several OpenAI-compatible providers
    // "openai: 503" would not say which one failed (and every other error names it too).
    HttpFailure f = classify_http_error(provider, head_, error_body_);
    return fail_attempt(f.kind, f.message, f.retryable, f.retry_after_ms);
  }
  if (!stream_finished_) {
    std::vector<StreamEvent> events;
    decoder_->finish(events);
    const std::uint64_t attempt = attempt_id_;
    for (StreamEvent& ev : events) {
      if (take_event(ev)) {
        if (done_ || attempt_id_ != attempt) return;  // over the cap: the attempt ended
      } else if (ev.type == StreamEvent::kDone) {
        result_.stop_reason = ev.stop_reason;
        stream_finished_ = true;
      } else if (ev.type == StreamEvent::kError) {
        return fail_attempt(ev.error_kind, provider + ": " + ev.error_message, !text_sent_,
                            std::nullopt);
      }
    }
    if (!stream_finished_)
      return fail_attempt(ErrorKind::kUnknown,
                          provider + ": stream ended before the reply was complete", !text_sent_,
                          std::nullopt);
  }
  CallResult r = result_;
  r.ok = true;
  finish(std::move(r));
}

void ModelCall::fail_attempt(ErrorKind kind, std::string message, bool retryable,
                             std::optional<std::int64_t> retry_after_ms) {
  if (done_) return;
  if (cancelled_) return finish(cancelled_result());
  ++attempt_id_;  // this attempt is over: its late callbacks are ignored
  if (http_) http_->cancel();
  http_.reset();
  if (plugin_) plugin_->cancel();
  plugin_.reset();
  bool same_again = retryable && !text_sent_ && tries_ < retry_.attempts;
  std::int64_t wait = backoff_ms(BackoffPolicy{retry_.base_ms, retry_.max_ms, 0.5, 1.0}, tries_);
  if (retry_after_ms) {
    if (*retry_after_ms > retry_.max_ms) same_again = false;  // too long: fail over instead
    wait = std::max(wait, *retry_after_ms);
  }
  bool next_model = !text_sent_ && index_ + 1 < candidates_.size();
  if (!same_again && !next_model) {
    CallResult r = result_;
    r.ok = false;
    r.kind = kind;
    r.error = std::move(message);
    return finish(std::move(r));
  }
  std::string what;
  if (same_again) {
    what = message + "; retrying " + candidates_[index_].ref + " in " + std::to_string(wait) +
           " ms (try " + std::to_string(tries_ + 1) + " of " + std::to_string(retry_.attempts) +
           ")";
  } else {
    ++index_;
    tries_ = 0;
    wait = 0;
    what = message + "; failing over to " + candidates_[index_].ref;
  }
  log::warn("model call: {}", what);
  if (cb_.on_retry) cb_.on_retry(what);
  backoff_.expires_after(std::chrono::milliseconds(wait));
  std::weak_ptr<ModelCall> weak = weak_from_this();
  backoff_.async_wait([weak](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (!self || self->done_) return;
    if (self->cancelled_) return self->finish(cancelled_result());
    self->attempt();
  });
}

void ModelCall::cancel() {
  if (done_ || cancelled_) return;
  cancelled_ = true;
  backoff_.cancel();
  if (http_) {
    http_->cancel();  // on_done(kCancelled) follows and finishes the call
  } else if (plugin_) {
    // A cancelled plugin chat calls nothing back: finish from the loop, not inline.
    plugin_->cancel();
    plugin_.reset();
    ++attempt_id_;
    std::weak_ptr<ModelCall> weak = weak_from_this();
    boost::asio::post(io_, [weak] {
      if (auto self = weak.lock()) self->finish(cancelled_result());
    });
  } else {
    // Waiting on the backoff timer: its handler finishes the call.
  }
}

void ModelCall::finish(CallResult r) {
  if (done_) return;
  done_ = true;
  r.attempts = total_attempts_;
  if (r.model_ref.empty() && index_ < candidates_.size()) r.model_ref = candidates_[index_].ref;
  backoff_.cancel();
  auto keep = shared_from_this();  // the caller may drop its pointer inside on_done
  if (cb_.on_done) cb_.on_done(r);
  cb_ = {};
}

}  // namespace simpleclaw::providers
