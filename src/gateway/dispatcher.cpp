#include "gateway/dispatcher.h"

#include "base/check.h"
#include "base/log.h"
#include "gateway/methods/table.h"
#include "gateway/protocol/errors.h"
#include "gateway/protocol/schemas.h"

namespace simpleclaw::gateway {

void Responder::operator()(Result<protocol::MethodResult> r) const {
  if (!SC_CHECK(!state_->answered, "a request was answered twice")) return;
  state_->answered = true;
  state_->send(std::move(r), false);
}

Responder Dispatcher::responder(const Client& c, const Json& id, const MethodSpec* spec,
                                std::chrono::steady_clock::time_point started) {
  return Responder(
      [this, client = c.id, id, spec, started](Result<protocol::MethodResult> r, bool interim) {
        if (interim) {  // progress of a two-phase method: no metrics, no result schema
          if (Client* c = clients_.find(client)) clients_.send_res(*c, id, r);
          return;
        }
#ifndef NDEBUG
        // Debug builds (and so the sanitizer test run) check every answer against its schema.
        if (r.ok() && spec) {
          if (protocol::SchemaHandle rs = result_schema(*spec)) {
            if (auto v = protocol::validate_with(rs, r->body()); !v.ok()) {
              log::error("{} result does not match its schema: {}", spec->name, v.error().message);
              r = Error::internal("internal error: " + std::string(spec->name) +
                                  " result does not match its schema: " + v.error().message);
            }
          }
        }
#endif
        metrics_.record_rpc(spec ? method_slot(*spec) : SIZE_MAX, r.ok(),
                            std::chrono::steady_clock::now() - started);
        if (Client* c = clients_.find(client)) clients_.send_res(*c, id, r);  // else: it closed
      });
}

void Dispatcher::on_message(Client& c, std::string_view data, bool binary) {
  Result<Json> frame = protocol::decode(data, binary, c.enc);
  if (!frame.ok()) {
    // Nothing to answer: without a parsed frame there is no id to reply to.
    ++metrics_.frames_invalid;
    log::debug("ignored undecodable frame from {}: {}", c.peer.remote_ip, frame.error().message);
    return;
  }
  dispatch(c, *frame);
}

void Dispatcher::dispatch(Client& c, const Json& frame) {
  ++metrics_.requests;
  const auto started = std::chrono::steady_clock::now();
  static const protocol::SchemaHandle kReqSchema = protocol::find_schema("frames/req");
  if (auto v = protocol::validate_with(kReqSchema, frame); !v.ok()) {
    ++metrics_.frames_invalid;
    if (frame.is_object() && frame.contains("id") && frame["id"].is_string() &&
        !frame["id"].get_ref<const std::string&>().empty())
      clients_.send_res(c, frame["id"],
                        Error::invalid("invalid request frame: " + v.error().message));
    return;
  }
  const Json& id = frame["id"];
  const std::string& method = frame["method"].get_ref<const std::string&>();
  const MethodSpec* spec = find_method(method);
  Responder respond = responder(c, id, spec, started);
  if (method == "connect") return respond(Error::invalid("invalid request: already connected"));
  if (spec == nullptr) return respond(Error::invalid("unknown method: " + method));
  const protocol::Scope needed = !c.user.empty() && spec->shared == SharedRule::kOwnWithWrite
                                     ? protocol::Scope::kWrite
                                     : spec->scope;
  if (!c.scopes.has(needed)) return respond(protocol::missing_scope(needed));
  static const Json kNull;
  const Json& params = frame.contains("params") ? frame["params"] : kNull;
  if (auto v = protocol::validate_with(params_schema(*spec), params); !v.ok())
    return respond(Error::invalid("invalid " + method + " params: " + v.error().message));
  Json user_params;  // shared mode: a user's params, session keys in their namespace
  if (!c.user.empty()) {
    auto p = shared_.params(c, *spec, params);
    if (!p.ok()) return respond(p.error());
    user_params = std::move(p).value();
  }
  MethodCall call{services_, c, *spec, c.user.empty() ? params : user_params, respond};
  spec->handler(call);
  if (!spec->deferred)
    SC_CHECK(respond.answered(), "a handler not marked deferred returned without answering");
}

}  // namespace simpleclaw::gateway
