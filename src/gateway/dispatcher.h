// Dispatcher: a request on an authenticated socket, from bytes to its answer.
//
//   decode (JSON or MessagePack) -> frames/req schema -> method table -> scope
//   (FORBIDDEN "missing scope: X") -> methods/<m>.params schema ("invalid <m> params:
//   <pointer>: <reason>") -> shared mode (SharedAccess) -> handler -> Responder -> res
//
// Every answer, early refusals included, leaves through one Responder: per-method metrics,
// the debug result-schema check, and the res frame if the socket is still open.
//
// Threading: loop thread only.
#pragma once
#include <chrono>
#include <string_view>

#include "gateway/clients.h"
#include "gateway/methods/method.h"
#include "gateway/services.h"
#include "gateway/shared_access.h"
#include "gateway/state/metrics.h"

namespace simpleclaw::gateway {

class Dispatcher {
 public:
  Dispatcher(Services& services, ClientTable& clients, const SharedAccess& shared, Metrics& metrics)
      : services_(services), clients_(clients), shared_(shared), metrics_(metrics) {}

  // One inbound message on an authenticated socket.
  void on_message(Client& c, std::string_view data, bool binary);

 private:
  void dispatch(Client& c, const Json& frame);
  // The one exit path for request `id` of method `spec` (null = unknown method).
  Responder responder(const Client& c, const Json& id, const MethodSpec* spec,
                      std::chrono::steady_clock::time_point started);

  Services& services_;
  ClientTable& clients_;
  const SharedAccess& shared_;
  Metrics& metrics_;
};

}  // namespace simpleclaw::gateway
