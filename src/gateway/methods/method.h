// What a protocol method is (MethodSpec: one row of the method table, methods/table.cpp)
// and how its handler is called (MethodCall) and answers (Responder).
//
// One way to answer: every handler gets a Responder and calls it exactly once, at once
// (most methods) or later, after a database commit or a probe (`deferred` methods). The
// Responder is the single exit path: it records the per-method metrics, checks the result
// against its schema in debug builds, and sends the res frame if the socket is still
// open. A second answer is a broken invariant (SC_CHECK), as is a non-deferred handler
// returning without answering. A two-phase method (`agent`) may send interim answers
// first (`interim`: a res frame with the same id, status "accepted", that the client
// reads as progress); only the final one counts as the answer.
//
// Threading: loop thread only.
#pragma once
#include <functional>
#include <memory>
#include <string_view>

#include "gateway/clients.h"
#include "gateway/protocol/codec.h"
#include "gateway/protocol/scopes.h"
#include "gateway/services.h"

namespace simpleclaw::gateway {

// Shared mode (gateway.mode: shared): may a user (not the admin) call it?
enum class SharedRule : std::uint8_t {
  kUser,          // yes; session keys in `key_field` are moved into the user's namespace
  kAdminOnly,     // no: it shows or changes state shared by every user (answered like a
                  // missing scope: FORBIDDEN "missing scope: operator.admin")
  kOwnWithWrite,  // yes, with operator.write instead of the row's scope (users never hold
                  // operator.admin): the handler confines it to what the user owns
                  // (their cron jobs)
};

class Responder {
 public:
  // `send(Result<protocol::MethodResult>, bool interim)` delivers an answer. Stored with
  // the answered flag in one allocation (a Responder is made for every request).
  template <typename Send>
  explicit Responder(Send send) : state_(std::make_shared<StateOf<Send>>(std::move(send))) {}
  // Answers: a payload, a shared payload, an error, or any Result<T> whose T converts.
  void operator()(Result<protocol::MethodResult> r) const;
  void operator()(Json j) const { (*this)(Result<protocol::MethodResult>(std::move(j))); }
  void operator()(protocol::SharedPayloadPtr p) const {
    (*this)(Result<protocol::MethodResult>(std::move(p)));
  }
  void operator()(Error e) const { (*this)(Result<protocol::MethodResult>(std::move(e))); }
  void operator()(Result<Json> r) const {
    if (!r.ok()) return (*this)(r.error());
    (*this)(std::move(r).value());
  }
  bool answered() const { return state_->answered; }
  // An interim res frame before the final answer (ignored once answered).
  void interim(Json j) const {
    if (!state_->answered) state_->send(Result<protocol::MethodResult>(std::move(j)), true);
  }

 private:
  struct State {
    virtual ~State() = default;
    virtual void send(Result<protocol::MethodResult> r, bool interim) = 0;
    bool answered = false;
  };
  template <typename Send>
  struct StateOf final : State {
    explicit StateOf(Send s) : send_fn(std::move(s)) {}
    void send(Result<protocol::MethodResult> r, bool interim) override {
      send_fn(std::move(r), interim);
    }
    Send send_fn;
  };
  std::shared_ptr<State> state_;  // shared by copies: one answer between them
};

struct MethodSpec;

struct MethodCall {
  Services& svc;
  Client& client;  // valid during the handler only: a later answer uses `respond`
  const MethodSpec& spec;
  // null when absent; for a shared-mode user, its session keys are in their namespace
  const Json& params;
  Responder respond;
};

using Handler = void (*)(MethodCall&);

// One method. The params schema is protocol/schemas/methods/<name>.params.json (and the
// result's <name>.result.json, checked in debug builds); the method table test checks
// that every one exists and declares the key and agent fields named here.
struct MethodSpec {
  std::string_view name;
  protocol::Scope scope;  // kNone = any authenticated client
  Handler handler;
  std::string_view summary;  // one line for --help and docs/methods.md
  bool deferred = false;     // answers after I/O (the responder is called later)
  SharedRule shared = SharedRule::kUser;
  std::string_view key_field = {};    // the param holding a session key ("" = none)
  std::string_view agent_field = {};  // the param naming an agent: of a bare key, or the
                                      // agent the call touches (checked against the grant)
};

}  // namespace simpleclaw::gateway
