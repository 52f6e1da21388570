// PluginChannel: one account of a channel served by an out-of-process plugin, as an
// sdk::Channel, so the channel manager treats it like a built-in connector. It maps the
// SDK onto the plugin protocol (docs/plugins.md):
//
//   start()  -> channel/start {accountId, settings}   (once the process is running)
//   stop()   -> channel/stop {accountId}
//   send()   -> channel/send {accountId, peer, text, buttons?, replyTo?} -> {messageId?}
//   typing() -> channel/typing {accountId, peer}       (notification)
//   plugin channel/inbound (request) -> host.inbound; answered {} only in `handled`
//   plugin channel/status {connected, detail?|error?} -> host.connected / disconnected
//   plugin channel/alive -> host.alive();  channel/button -> host.button
//
// If the plugin process dies every started account reports disconnected (once) and goes
// idle until the manager's stop()/start(). max_text() and supports_buttons() come from
// the plugin's initialize capabilities (maxText, buttons; defaults 4000, false), the
// liveness window from capabilities.livenessWindowMs (when set).
//
// Threading: loop thread. The channel finds its runtime by plugin name through the
// host's shared core at each start(), so it survives a config reload that replaced the
// runtime. Host callbacks are guarded by an alive token renewed at stop().
#pragma once
#include <map>
#include <memory>
#include <string>

#include "base/alive.h"
#include "proc/stdio_rpc.h"
#include "simpleclaw/channel.h"

namespace simpleclaw::plugins {

class PluginRuntime;

// Name -> runtime lookup shared between PluginHost and its channels (weakly held by them).
// A channel account's settings without the keys the channel manager reads itself
// (enabled, agent, allow_from, ...): what the plugin gets and its schema checks.
Json plugin_account_settings(const Json& account);

struct PluginDirectory {
  std::map<std::string, std::shared_ptr<PluginRuntime>, std::less<>> runtimes;
  // Runtimes removed or replaced by a config reload, until their process is gone: the
  // host's stop() waits for them too, so none outlives the gateway's shutdown.
  std::map<const PluginRuntime*, std::shared_ptr<PluginRuntime>> retiring;
};

class PluginChannel final : public sdk::Channel {
 public:
  PluginChannel(sdk::ChannelHost& host, std::weak_ptr<PluginDirectory> dir, std::string plugin);
  ~PluginChannel() override;

  void start() override;
  void stop() override;
  void send(sdk::OutboundMessage m, std::function<void(Status)> done) override;
  void typing(const sdk::Peer& peer) override;
  std::size_t max_text() const override;
  bool supports_buttons() const override;
  Json status_extra() const override;

  // From PluginRuntime.
  void on_process_up();
  void on_process_down(const std::string& error);
  void on_inbound(const Json& params, proc::StdioRpcPeer::Responder r);
  void on_status(const Json& params);
  void on_alive();
  void on_button(const Json& params);

 private:
  void send_start();
  void fail(const std::string& error);  // disconnected once, then idle
  Json account_settings() const;

  sdk::ChannelHost& host_;
  std::weak_ptr<PluginDirectory> dir_;
  std::string plugin_;
  std::weak_ptr<PluginRuntime> rt_;  // attached to, while started
  bool started_ = false;
  bool waiting_ = false;  // start() came while the process was not running
  bool down_ = false;     // reported disconnected: idle until stop()/start()
  bool connected_ = false;
  std::size_t max_text_ = 4000;
  bool buttons_ = false;
  std::uint64_t next_send_ = 1;
  std::map<std::uint64_t, std::pair<std::uint64_t, std::function<void(Status)>>>
      sends_;    // seq->(rpc id, done)
  Alive alive_;  // last; renewed by stop(): drops every pending host callback
};

}  // namespace simpleclaw::plugins
