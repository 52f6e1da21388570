// webchat: the gateway's own browser chat (the page served at `/`). Its messages travel
// over the operator WebSocket as chat.send / `chat` events, so this account never moves
// a message itself: it is here so that channels.status, the health snapshot and the
// message tool see webchat like any other channel, always connected while the gateway
// runs.
#include "simpleclaw/registry.h"

namespace simpleclaw::channels {
namespace {

class WebchatChannel final : public sdk::Channel {
 public:
  explicit WebchatChannel(sdk::ChannelHost& host) : host_(host) {}
  void start() override { host_.connected("served by the gateway at /"); }
  void stop() override {}
  void send(sdk::OutboundMessage, std::function<void(Status)> done) override {
    // Replies reach the browser as `chat` events; nothing is queued here.
    done(Error::invalid("webchat replies are delivered as chat events"));
  }
  std::size_t max_text() const override { return 1 << 20; }

 private:
  sdk::ChannelHost& host_;
};

}  // namespace

Status register_webchat(sdk::Registry& r) {
  return r.add_channel({"webchat", "the gateway's own browser chat at /",
                        [](sdk::ChannelHost& h) { return std::make_unique<WebchatChannel>(h); }});
}

}  // namespace simpleclaw::channels
