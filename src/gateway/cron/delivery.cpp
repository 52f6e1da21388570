#include "gateway/cron/delivery.h"

#include <boost/asio/post.hpp>
#include <memory>

#include "base/clock.h"
#include "base/ids.h"
#include "base/json_fields.h"
#include "base/webhook_signature.h"
#include "channels/channel_manager.h"
#include "net/http_client.h"

namespace simpleclaw::gateway {
namespace {

constexpr auto kWebhookTimeout = std::chrono::seconds(30);

void post_webhook(const CronDeliveryDeps& deps, const CronDelivery& what, const std::string& url,
                  std::function<void(DeliveryResult)> done) {
  Json body{{"type", "cron.finished"},
            {"jobId", what.job_id},
            {"jobName", what.job_name},
            {"runId", what.run_id},
            {"sessionKey", what.session_key},
            {"scheduledAtMs", what.scheduled_ms},
            {"text", what.text}};
  net::HttpRequest req;
  req.method = "POST";
  req.url = url;
  req.body = body.dump();
  req.headers.push_back({"Content-Type", "application/json"});
  if (!deps.webhook_secret.empty()) {
    if (auto key = webhook_key(deps.webhook_secret)) {
      const std::string id = "msg_" + base64url(random_bytes(12));
      const std::int64_t ts = deps.clock.wall_ms() / 1000;
      req.headers.push_back({"webhook-id", id});
      req.headers.push_back({"webhook-timestamp", std::to_string(ts)});
      req.headers.push_back({"webhook-signature", webhook_sign(*key, id, ts, req.body)});
    }
  }
  net::HttpOptions opts;
  opts.connect_timeout = kWebhookTimeout;
  opts.first_byte_timeout = kWebhookTimeout;
  opts.total_timeout = kWebhookTimeout;
  auto status = std::make_shared<int>(0);
  auto shared_done = std::make_shared<std::function<void(DeliveryResult)>>(std::move(done));
  net::HttpCallbacks cb;
  cb.on_head = [status](const net::HttpHead& h) { *status = h.status; };
  cb.on_body = [](std::string_view) {};
  cb.on_done = [status, shared_done](const net::HttpError* e) {
    if (e) return (*shared_done)({"not-delivered", "webhook: " + e->message});
    if (*status >= 200 && *status < 300) return (*shared_done)({"delivered", ""});
    (*shared_done)({"not-delivered", "webhook answered HTTP " + std::to_string(*status)});
  };
  net::http_start(deps.io, std::move(req), std::move(opts), std::move(cb));
}

}  // namespace

void deliver_cron_result(const CronDeliveryDeps& deps, const CronDelivery& what,
                         std::function<void(DeliveryResult)> done) {
  const Json d = what.spec.value("delivery", Json::object());
  const std::string mode = json_str(d, "mode", "none");
  auto later = [&deps](std::function<void(DeliveryResult)> fn, DeliveryResult r) {
    boost::asio::post(deps.io, [fn = std::move(fn), r = std::move(r)] { fn(r); });
  };
  if (mode == "none") return later(std::move(done), {"not-requested", ""});
  if (what.text.empty()) return later(std::move(done), {"not-delivered", "the reply was empty"});
  if (mode == "webhook") return post_webhook(deps, what, json_str(d, "to"), std::move(done));
  // announce
  std::string channel = json_str(d, "channel", "last");
  std::string account = json_str(d, "accountId");
  std::string to = json_str(d, "to");
  if (channel == "last") {
    auto t = deps.channels.last_target(what.agent_id, what.owner);
    if (t.channel.empty())
      return later(
          std::move(done),
          {"not-delivered", "no channel to announce on: agent " + what.agent_id +
                                " has not talked on a channel since the gateway started (set "
                                "delivery.channel and delivery.to)"});
    channel = t.channel;
    if (account.empty()) account = t.account;
    if (to.empty()) to = t.to;
  }
  if (!deps.channels.has_channel(channel))
    return later(std::move(done),
                 {"not-delivered", "unknown channel " + channel + " (see channels.status)"});
  deps.channels.deliver(channel, account, to, what.text,
                        [done = std::move(done)](Result<std::string> sent) {
                          if (sent.ok()) return done({"delivered", ""});
                          done({"not-delivered", sent.error().message});
                        });
}

}  // namespace simpleclaw::gateway
