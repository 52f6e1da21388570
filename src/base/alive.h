// Alive: the one liveness idiom for callbacks that may outlive their owner.
//
// The loop owns every object; asynchronous work (a database job, an HTTP stream, a
// timer, a child process) calls back later, possibly after the object that asked for it
// was destroyed (a config reload dropped it, the gateway is shutting down). An owner
// keeps an Alive member and wraps each such callback in guard(): the wrapped callback
// does nothing once the owner is gone (or renew() was called: a restart). Declare the
// Alive member last, so it dies first.
//
//   db_.post(work, alive_.guard([this](Result<Row> r) { ... uses this ... }));
//
// Why not C++20 coroutines (the house rules' first choice): see docs/architecture.md,
// "Liveness". Threading: create guarded callbacks and call them on the loop thread (the
// owner dies there); another thread may copy or destroy one (a weak_ptr copy is
// thread-safe) to post it to the loop, as the mDNS advertiser's thread does.
#pragma once
#include <memory>
#include <utility>

namespace simpleclaw {

class Alive {
 public:
  Alive() = default;
  Alive(const Alive&) = delete;  // a copy would not die with its owner
  Alive& operator=(const Alive&) = delete;

  // `fn` wrapped so that it runs only while this Alive (its owner) exists. The wrapper
  // forwards any arguments and returns nothing.
  template <typename Fn>
  auto guard(Fn fn) const {
    return [weak = std::weak_ptr<const int>(token_), fn = std::move(fn)](auto&&... args) mutable {
      if (weak.expired()) return;
      fn(std::forward<decltype(args)>(args)...);
    };
  }
  // For callers that need to test liveness themselves (a loop over several steps).
  std::weak_ptr<const int> token() const { return token_; }
  // Drops every callback guarded so far while the owner lives on: a channel's stop()
  // (nothing of the old session may reach the host) before a later start().
  void renew() { token_ = std::make_shared<const int>(0); }

 private:
  std::shared_ptr<const int> token_ = std::make_shared<const int>(0);
};

}  // namespace simpleclaw
