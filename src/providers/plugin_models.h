// PluginModels: LLM providers served by out-of-process plugins (config
// `models.providers.<id>: {plugin: <name>}`, docs/plugins.md "kind: provider"), as
// ModelCall sees them. The implementation lives in src/plugins (plugin_provider.h); the
// gateway hands it to the Catalog, which puts it into each ResolvedModel of a plugin
// provider. This interface keeps sc_providers free of a link dependency on sc_plugins
// (which depends on sc_providers through sc_tools).
//
// One chat() is one attempt: a single `provider/chat` request. The retry and failover
// policy stays in ModelCall; a failure only says whether it is worth retrying.
//
// Threading: loop thread only. Callbacks are never called inside chat() or cancel().
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "providers/provider.h"

namespace simpleclaw::providers {

// Why a plugin chat failed. retryable: the plugin was not running, crashed or timed out
// (like a connection error); not retryable: the plugin answered with a JSON-RPC error or
// broke the protocol's bounds. `message` names the plugin.
struct PluginFailure {
  ErrorKind kind = ErrorKind::kUnknown;
  bool retryable = false;
  std::string message;
};

struct PluginChatCallbacks {
  // kText (in order), kUsage, kToolCall (complete, in order), then one kDone. Never kError:
  // failures go to on_failure. After kDone or on_failure nothing more is called.
  std::function<void(StreamEvent&)> on_event;
  std::function<void(const PluginFailure&)> on_failure;
};

// The models' timeouts (config models.*_timeout_ms) applied to a plugin chat.
struct PluginTimeouts {
  std::chrono::milliseconds first_byte{120000};  // request sent -> first delta or result
  std::chrono::milliseconds idle{60000};         // no delta for this long
  std::chrono::milliseconds total{600000};       // the whole chat
};

class PluginChat {
 public:
  virtual ~PluginChat() = default;
  // Tells the plugin (`provider/cancel`) and drops the request: no callback runs after it.
  virtual void cancel() = 0;
};

class PluginModels {
 public:
  virtual ~PluginModels() = default;
  // Starts `provider/chat` on provider plugin `plugin`. Never null.
  virtual std::shared_ptr<PluginChat> chat(const std::string& plugin, const ChatRequest& req,
                                           const PluginTimeouts& timeouts,
                                           PluginChatCallbacks cb) = 0;
  // The plugin is a provider plugin and its process is running (models.list `available`).
  virtual bool available(const std::string& plugin) const = 0;
  // Models the plugin reported (`provider/models` at start); empty when it did not.
  virtual std::vector<config::ModelEntry> models(const std::string& plugin) const = 0;
};

}  // namespace simpleclaw::providers
