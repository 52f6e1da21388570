// ToolServices: what the gateway lends a compiled-in tool extension to build
// its provider (plugins/registry.h ToolExtension::factory). One struct for all
// of them so the registry's factories share a signature; each tool takes what
// it needs.
//
// Threading: loop thread; the references outlive every provider built from
// them.
#pragma once
#include <boost/asio/io_context.hpp>
#include <string>

#include "tools/approvals.h"
#include "tools/exec_tool.h"
#include "tools/message_tool.h"

namespace simpleclaw::tools {

struct ToolServices {
  boost::asio::io_context &io;
  ApprovalManager &approvals;            // exec: human approval
  std::string state_dir;                 // exec: the approvals' allowlist files
  ExecTool::PersistAllow persist_allow;  // exec: allow-always into config.yaml
  MessageTool::Deliver deliver;          // message: delivery through the channels
};

}  // namespace simpleclaw::tools
