// sc_fake_llm: the fake LLM server (fake_llm.h) as a process, for the benchmark and manual
// runs. Prints "port <N>" on stdout once listening, then serves until SIGTERM/SIGINT.
//
//   sc_fake_llm [--port N] [--tls] [--threads N] [--chunks N] [--chunk-delay-ms N]
//               [--head-delay-ms N] [--tool-round] [--exec-when TEXT]
//
// --chunks N replaces the echo with a reply of N word chunks ("word1 word2 ... wordN").
// --tool-round: every turn is a tool round — the model first calls `ls {}`, and answers
// once it gets the result (an empty workspace lists as "(empty directory)").
// --exec-when TEXT: a user message containing TEXT makes the model call the `exec` tool
// with `echo TEXT-ran` (which needs a human approval), then answer "exec done: TEXT".
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "fakes/fake_llm.h"

namespace {

void usage() {
  std::fprintf(stderr,
               "usage: sc_fake_llm [--port N] [--tls] [--threads N] [--chunks N]\n"
               "                   [--chunk-delay-ms N] [--head-delay-ms N] [--tool-round]\n"
               "                   [--exec-when TEXT]\n");
}

bool parse_int(const char* s, int min, int* out) {
  char* end = nullptr;
  long v = std::strtol(s, &end, 10);
  if (end == s || *end != '\0' || v < min || v > 1'000'000'000) return false;
  *out = static_cast<int>(v);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  sctest::fakes::FakeOptions opts;
  int chunks = 0, chunk_delay_ms = 0, head_delay_ms = 0;
  bool tool_round = false;
  std::string exec_when;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto int_flag = [&](std::string_view name, int min, int* out) {
      if (a != name) return false;
      if (i + 1 >= argc || !parse_int(argv[i + 1], min, out)) {
        std::fprintf(stderr, "sc_fake_llm: %s needs a number >= %d\n", argv[i], min);
        std::exit(2);
      }
      ++i;
      return true;
    };
    if (a == "--tls") {
      opts.tls = true;
    } else if (a == "--tool-round") {
      tool_round = true;
    } else if (a == "--exec-when" && i + 1 < argc && argv[i + 1][0] != '\0') {
      exec_when = argv[++i];
    } else if (a == "-h" || a == "--help") {
      usage();
      return 0;
    } else if (!int_flag("--port", 0, &opts.port) && !int_flag("--threads", 1, &opts.threads) &&
               !int_flag("--chunks", 1, &chunks) &&
               !int_flag("--chunk-delay-ms", 0, &chunk_delay_ms) &&
               !int_flag("--head-delay-ms", 0, &head_delay_ms)) {
      std::fprintf(stderr, "sc_fake_llm: unknown argument %s\n", argv[i]);
      usage();
      return 2;
    }
  }

  // Block the stop signals before any thread starts, so every thread inherits the mask and
  // sigwait below is the only receiver.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  signal(SIGPIPE, SIG_IGN);

  try {
    sctest::fakes::FakeLlm fake(opts);
    sctest::fakes::Script def;
    for (int i = 1; i <= chunks; ++i)
      def.chunks.push_back("word" + std::to_string(i) + (i < chunks ? " " : ""));
    def.chunk_delay_ms = chunk_delay_ms;
    def.head_delay_ms = head_delay_ms;
    def.times = -1;
    if (tool_round) {
      sctest::fakes::Script answer = def;  // answers a tool result
      answer.when_tool_result = "(empty directory)";
      fake.push(answer);
      def.chunks.clear();
      def.tool_calls = {{"", "ls", "{}", 1}};
    }
    if (!exec_when.empty()) {
      // Scripts are tried in order: the answer to the tool result first, so the call
      // script (whose text still matches the user message) is not picked again.
      sctest::fakes::Script answer;
      answer.when_tool_result = exec_when + "-ran";
      answer.chunks = {"exec done: " + exec_when};
      answer.times = -1;
      fake.push(answer);
      sctest::fakes::Script call;
      call.when = exec_when;
      call.tool_calls = {
          {"", "exec", nlohmann::json{{"command", "echo " + exec_when + "-ran"}}.dump(), 1}};
      call.times = -1;
      fake.push(call);
    }
    fake.set_default(def);
    std::printf("port %d\n", fake.port());
    std::fflush(stdout);
    int sig = 0;
    sigwait(&stop, &sig);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sc_fake_llm: %s\n", e.what());
    return 1;
  }
  return 0;
}
