// Provider plugins: an LLM provider served by an out-of-process plugin (plugin.yaml
// `kind: provider`, config `models.providers.<id>: {plugin: <name>}`), offered to
// ModelCall as providers::PluginModels. One chat attempt is one request (docs/plugins.md):
//
//   gateway -> plugin  request provider/chat {requestId, model, system?, messages, tools?,
//                      maxTokens} -> {stopReason, usage?: {input, output}} once complete
//   plugin -> gateway  notification provider/delta {requestId, text?} or
//                      {requestId, toolCall: {id, name, argumentsDelta}}
//   gateway -> plugin  notification provider/cancel {requestId} (abort, timeout, violation)
//
// ProviderStreamMapper turns one request's deltas and result into the StreamEvents the
// HTTP decoders produce: text in order as it arrives, complete tool calls (in the order of
// their first delta) then usage then kDone when the result comes. Everything the plugin
// sends is bounded: a text delta at most kMaxDeltaText, the reply at most kMaxReplyText,
// at most providers::kMaxToolCalls tool calls of at most kMaxToolArguments each; a
// violation fails the request (not retryable) and tells the plugin to cancel it.
//
// Failures: a plugin that is not running (starting, backing off), crashes mid-stream or
// times out (the models' first-byte, idle and total timeouts) is a retryable failure,
// like a connection error; a JSON-RPC error answer or a bound violation is not; a plugin
// that is not configured, disabled or failed (bad config) is not either. At most
// PluginHostOptions::max_provider_requests chats run per plugin; more fail (retryable).
//
// Threading: loop thread only. PluginProviders holds the host's plugin directory weakly,
// so ModelCalls that outlive the host just fail with "not configured".
#pragma once
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "providers/plugin_models.h"
#include "providers/provider.h"

namespace boost::asio {
class io_context;
}

namespace simpleclaw::plugins {

struct PluginDirectory;

inline constexpr std::size_t kMaxDeltaText = 256 * 1024;       // bytes in one text delta
inline constexpr std::size_t kMaxReplyText = 4 * 1024 * 1024;  // text bytes in one reply
inline constexpr std::size_t kMaxToolArguments = 1024 * 1024;  // as the HTTP decoders
inline constexpr std::size_t kMaxToolField = 256;              // tool call id and name

// The params of provider/chat for a request: messages [{role, content, toolCalls?: [{id,
// name, arguments (JSON text)}], toolCallId?, toolName?, isError?}], tools? [{name,
// description, parameters}].
Json provider_chat_params(const std::string& request_id, const providers::ChatRequest& req);

// Pure: one request's deltas and result -> StreamEvents. Returns an error message (the
// request then fails, not retryable) when the plugin sent something malformed or over a
// bound; after an error or the result nothing more is accepted.
class ProviderStreamMapper {
 public:
  std::optional<std::string> delta(const Json& params, std::vector<providers::StreamEvent>& out);
  std::optional<std::string> result(const Json& result, std::vector<providers::StreamEvent>& out);

 private:
  std::optional<std::string> broken(std::string why);

  std::size_t text_bytes_ = 0;
  std::vector<providers::ToolCall> calls_;  // in the order of their first delta
  bool finished_ = false;
};

class PluginProviders final : public providers::PluginModels {
 public:
  PluginProviders(boost::asio::io_context& io, std::weak_ptr<PluginDirectory> dir);

  std::shared_ptr<providers::PluginChat> chat(const std::string& plugin,
                                              const providers::ChatRequest& req,
                                              const providers::PluginTimeouts& timeouts,
                                              providers::PluginChatCallbacks cb) override;
  bool available(const std::string& plugin) const override;
  std::vector<config::ModelEntry> models(const std::string& plugin) const override;

 private:
  boost::asio::io_context& io_;
  std::weak_ptr<PluginDirectory> dir_;
  std::uint64_t next_request_ = 1;
};

}  // namespace simpleclaw::plugins
