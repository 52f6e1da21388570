// Alive: the one liveness idiom for callbacks that may outlive their owner.
//
// The loop owns every object; asynchronous work (a database job, an HTTP stream, a
// timer, a child process) calls back later, possibly after the object that asked for it
// was destroyed (a config reload dropped it, the gateway is shutting down). An owner
// keeps an Alive member and wraps each such callback in guard(): the wrapped callback
// does nothing once the owner is gone. Declare the Alive member last, so it dies first.
//
//   db_.post(work, alive_.guard([this](Result<Row> r) { ... uses this ... }));
//
// Why not C++20 coroutines (the house rules' first choice): see docs/architecture.md,
// "Liveness". Threading: create, copy and call guarded callbacks on the loop thread.
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

 private:
  std::shared_ptr<const int> token_ = std::make_shared<const int>(0);
};

}  // namespace simpleclaw
