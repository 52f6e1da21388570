// `simpleclaw chat [--session KEY]`: an interactive terminal chat. Each line read from
// stdin is sent with chat.send; the reply's deltas are printed as they stream in, and
// the prompt returns at the run's final/aborted/error event. `/quit` (or EOF) ends the
// chat, `/reset` starts a new transcript, `/history` prints the session so far.
// Prompts go to stderr, replies to stdout, so `echo hi | simpleclaw chat` prints just
// the answer.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "base/ids.h"
#include "cli/cli.h"

namespace simpleclaw::cli {
namespace {

// Reads events until the run ends; prints deltas. Returns 0 on final, 1 otherwise.
int stream_reply(WsClient& c, const std::string& run_id, int timeout_ms) {
  auto handle = [&](const Json& frame, int* rc) -> bool {
    if (frame.value("type", "") != "event" || frame.value("event", "") != "chat") return false;
    const Json& p = frame["payload"];
    if (p.value("runId", "") != run_id) return false;
    std::string state = p.value("state", "");
    if (state == "delta") {
      std::string d = p.value("deltaText", "");
      fwrite(d.data(), 1, d.size(), stdout);
      fflush(stdout);
      return false;
    }
    if (state == "error") {
      fprintf(stderr, "\nerror (%s): %s\n", p.value("errorKind", "unknown").c_str(),
              p.value("errorMessage", "").c_str());
      *rc = 1;
    } else if (state == "aborted") {
      fprintf(stderr, "\n[aborted]\n");
      *rc = 1;
    } else {
      printf("\n");
      *rc = 0;
    }
    fflush(stdout);
    return true;
  };
  int rc = 1;
  for (Json& ev : c.events())
    if (handle(ev, &rc)) return rc;
  c.events().clear();
  for (;;) {
    auto in = c.read(timeout_ms);
    if (!in.ok()) {
      fprintf(stderr, "\nerror: %s\n", in.error().message.c_str());
      return 1;
    }
    if (in->closed) {
      fprintf(stderr, "\nerror: the gateway closed the connection (%d %s)\n", in->close_code,
              in->close_reason.c_str());
      return 1;
    }
    if (handle(in->frame, &rc)) return rc;
  }
}

}  // namespace

int chat_command(Target& t, const std::string& session, int reply_timeout_ms) {
  resolve_target(t);
  auto c = WsClient::connect(client_options(t));
  if (!c.ok()) {
    fprintf(stderr, "error: %s\n", c.error().message.c_str());
    return 1;
  }
  WsClient& ws = **c;
  bool tty = ::isatty(STDIN_FILENO);
  if (tty)
    fprintf(stderr, "simpleclaw chat — session %s (/quit to leave, /reset, /history)\n",
            session.c_str());
  int last_rc = 0;
  std::string line;
  for (;;) {
    if (tty) fprintf(stderr, "> ");
    if (!std::getline(std::cin, line)) break;
    if (line.empty()) continue;
    if (line == "/quit" || line == "/exit") break;
    if (line == "/reset" || line == "/history") {
      auto r = line == "/reset" ? ws.call("sessions.reset", Json{{"key", session}})
                                : ws.call("chat.history", Json{{"sessionKey", session}});
      if (!r.ok()) {
        fprintf(stderr, "error: %s\n", r.error().message.c_str());
        continue;
      }
      if (line == "/reset") {
        fprintf(stderr, "new session %s\n", r->value("sessionId", "").c_str());
      } else {
        for (const Json& m : (*r)["messages"]) {
          std::string text;
          for (const Json& part : m["content"]) text += part.value("text", "");
          printf("%s: %s\n", m.value("role", "").c_str(), text.c_str());
        }
      }
      continue;
    }
    std::string run_id = uuid_v4();
    auto ack = ws.call(
        "chat.send", Json{{"sessionKey", session}, {"message", line}, {"idempotencyKey", run_id}});
    if (!ack.ok()) {
      fprintf(stderr, "error: %s\n", ack.error().message.c_str());
      last_rc = 1;
      continue;
    }
    last_rc = stream_reply(ws, run_id, reply_timeout_ms);
  }
  ws.close();
  return last_rc;
}

}  // namespace simpleclaw::cli
