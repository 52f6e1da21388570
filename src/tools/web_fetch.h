// WebFetchTool: `web_fetch {url}` — an HTTP(S) GET for the model (SPEC §8), with the
// limits of tools.web_fetch: response bytes kept (max_bytes; the rest is cut, the
// transfer stopped), a deadline for the whole fetch (timeout_ms, redirects included),
// redirects followed (max_redirects). Targets on loopback, private, link-local, CGNAT,
// multicast or unspecified addresses are refused unless allow_private — checked on every
// address the name resolves to, and only checked addresses are connected to (no DNS
// rebinding), for the first request and each redirect. Fetches go direct (no proxy), so
// the check cannot be bypassed through one. HTML is reduced to its text.
//
// Threading: loop thread.
#pragma once
#include <boost/asio/io_context.hpp>
#include <string>

#include "tools/tool_runner.h"

namespace simpleclaw::tools {

// Why `ip` (textual IPv4/IPv6) is not a public address, or "" when it is.
std::string private_address_reason(const std::string& ip);
// The readable text of an HTML document: scripts/styles dropped, tags removed, common
// entities decoded, whitespace collapsed.
std::string html_to_text(std::string_view html);

class WebFetchTool final : public ToolProvider {
 public:
  explicit WebFetchTool(boost::asio::io_context& io) : io_(io) {}
  std::vector<ToolSpec> specs() const override;
  bool handles(const std::string& name) const override { return name == "web_fetch"; }
  std::shared_ptr<ToolTask> start(const ToolContext& ctx, const std::string& name, const Json& args,
                                  ToolDone done) override;

 private:
  boost::asio::io_context& io_;
};

}  // namespace simpleclaw::tools
