// `simpleclaw onboard`: the first-run set-up. It asks (or takes from flags, with --yes)
// a model provider, its API key, the default model and optionally a Telegram bot; checks
// the answers (a bad one is explained and asked again; a probe of the provider's model
// list proves the URL and key, unless --no-probe); then writes them as one JSON merge
// patch of config.yaml through compare-and-swap: `config.patch` with the hash read
// *before* the first question when a gateway runs (it hot-applies), else the same checked
// atomic write on the file. A change made by anyone else meanwhile makes the write fail
// with CONFIG_CONFLICT: nothing is clobbered, and the message says to run it again.
//
// Prompts go to stdout, problems to stderr; a key is never echoed (terminal echo is off
// while it is typed) or printed back. Exit codes: 0 written, 1 not written (refused,
// conflict, probe failed with --yes, stdin closed), 2 bad flags.
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <cctype>
#include <cstdio>
#include <iostream>
#include <optional>

#include "base/env.h"
#include "cli/cli.h"
#include "cli/onboard_answers.h"
#include "config/config.h"
#include "config/implicit_providers.h"
#include "net/http_client.h"
#include "plugins/builtin.h"
#include "providers/ollama_tags.h"
#include "providers/provider.h"

namespace simpleclaw::cli {
namespace {

constexpr int kMaxTries = 5;  // invalid answers to one question before giving up

// One line from stdin; with `secret` and a terminal, typed without echo.
std::optional<std::string> read_answer(const std::string& prompt, bool secret) {
  printf("%s", prompt.c_str());
  fflush(stdout);
  bool tty = secret && ::isatty(0) == 1;
  termios saved{};
  if (tty && ::tcgetattr(0, &saved) == 0) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(0, TCSANOW, &quiet);
  } else {
    tty = false;
  }
  std::string line;
  bool got = static_cast<bool>(std::getline(std::cin, line));
  if (tty) {
    ::tcsetattr(0, TCSANOW, &saved);
    printf("\n");
  }
  if (!got) {
    printf("\n");
    return std::nullopt;
  }
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
    line.pop_back();
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.erase(line.begin());
  return line;
}

int stdin_closed() {
  fprintf(stderr,
          "error: input ended before onboard finished; nothing was written. Run `simpleclaw "
          "onboard` in a terminal, or pass every answer as flags with --yes (see --help)\n");
  return 1;
}

int too_many_tries(const char* what) {
  fprintf(stderr, "error: no valid %s after %d tries; nothing was written\n", what, kMaxTries);
  return 1;
}

void problem(const std::string& msg) { fprintf(stderr, "  %s\n", msg.c_str()); }

// Asks until `check` accepts (it returns "" or what is wrong). nullopt: stdin closed or
// too many tries (*closed says which).
template <typename Check>
std::optional<std::string> ask_valid(const std::string& prompt, const std::string& def, bool secret,
                                     Check check, bool* closed) {
  for (int i = 0; i < kMaxTries; ++i) {
    auto a = read_answer(prompt + (def.empty() ? "" : " [" + def + "]") + ": ", secret);
    if (!a) {
      *closed = true;
      return std::nullopt;
    }
    std::string v = a->empty() ? def : *a;
    std::string why = check(v);
    if (why.empty()) return v;
    problem(why);
  }
  *closed = false;
  return std::nullopt;
}

// y/n with a default; nullopt when stdin closed.
std::optional<bool> ask_yes_no(const std::string& prompt, bool def) {
  for (int i = 0; i < kMaxTries; ++i) {
    auto a = read_answer(prompt + (def ? " [Y/n]: " : " [y/N]: "), false);
    if (!a) return std::nullopt;
    if (a->empty()) return def;
    char c = static_cast<char>(std::tolower(static_cast<unsigned char>((*a)[0])));
    if (c == 'y') return true;
    if (c == 'n') return false;
    problem("answer y or n");
  }
  return std::nullopt;
}

// ---- the provider probe ---------------------------------------------------------------

struct ProbeOutcome {
  int status = 0;     // HTTP status; 0 = no answer
  std::string error;  // transport error
  std::vector<std::string> models;
  bool listed = false;  // the body was a model list
};

ProbeOutcome probe_provider(const OnboardAnswers& a, int timeout_ms) {
  ProbeOutcome out;
  const sdk::ProviderExtension* ext = plugins::builtin_registry().provider(api_of_kind(a.kind));
  if (!ext || !ext->wire) {
    out.error = "this build has no " + api_of_kind(a.kind) + " provider";
    return out;
  }
  config::ProviderConfig p;
  p.name = a.name;
  p.api = api_of_kind(a.kind);
  p.base_url = a.base_url;
  p.api_key = a.key_env.empty() ? a.key : env_var(a.key_env.c_str());
  boost::asio::io_context io;
  net::HttpOptions opts;
  auto ms = std::chrono::milliseconds(timeout_ms);
  opts.connect_timeout = opts.first_byte_timeout = opts.idle_timeout = opts.total_timeout = ms;
  std::string body;
  net::HttpCallbacks cb;
  cb.on_head = [&](const net::HttpHead& h) { out.status = h.status; };
  cb.on_body = [&](std::string_view b) {
    if (body.size() + b.size() <= providers::kMaxModelListBody) body.append(b);
  };
  cb.on_done = [&](const net::HttpError* e) {
    if (e && out.status == 0) out.error = e->message;
  };
  auto call =
      net::http_start(io, ext->wire->probe_request(providers::endpoint_of(p)), opts, std::move(cb));
  io.run();
  if (out.status == 200)
    if (auto ids = providers::parse_model_ids(body); ids.ok()) {
      out.models = std::move(ids).value();
      out.listed = true;
    }
  return out;
}

std::string where_of(const OnboardAnswers& a) {
  if (!a.base_url.empty()) return a.base_url;
  const sdk::ProviderExtension* ext = plugins::builtin_registry().provider(api_of_kind(a.kind));
  return ext && ext->wire ? std::string(ext->wire->default_base_url()) : std::string("?");
}

// What the probe says, for a person: "" when it proves URL and key.
std::string probe_problem(const OnboardAnswers& a, const ProbeOutcome& p, bool* key_refused) {
  *key_refused = p.status == 401 || p.status == 403;
  if (p.status == 200) return "";
  if (*key_refused)
    return a.kind + " refused the API key (HTTP " + std::to_string(p.status) +
           "): check the key (and that it belongs to this provider)";
  if (p.status == 0)
    return "cannot reach " + where_of(a) + ": " + (p.error.empty() ? "no answer" : p.error) +
           ". Check the URL and that the server runs (--no-probe skips this check)";
  return where_of(a) + " answered HTTP " + std::to_string(p.status) +
         " to its model list: check the URL (an OpenAI-compatible base URL usually ends in /v1)";
}

// ---- the config write -----------------------------------------------------------------

struct Base {
  bool via_gateway = false;
  std::string hash;
  bool exists = false;
  Json config;  // the current document (secrets redacted when from the gateway)
};

// `ask_gateway`: a gateway runs on this state directory (its runtime file says so) or
// --url names one. Otherwise the file is written directly: a gateway of another state
// directory that happens to hold the default port must never get this config.
Result<Base> read_base(Target& t, bool ask_gateway) {
  Base b;
  Result<std::unique_ptr<WsClient>> c = Error::io("no gateway runs on " + t.state_dir);
  if (ask_gateway) c = WsClient::connect(client_options(t));
  if (c.ok()) {
    auto r = (*c)->call("config.get");
    (*c)->close();
    if (!r.ok()) return r.error();
    b.via_gateway = true;
    b.hash = r->value("hash", "");
    b.exists = r->value("exists", false);
    b.config = (*r)["config"];
    return b;
  }
  if (!c.error().is_io())
    return Error::invalid("the running gateway refused this client: " + c.error().message +
                          " (pass --token, or set SIMPLECLAW_GATEWAY_TOKEN)");
  config::FileState fs = config::read_state(t.config_path);
  if (!fs.error.empty()) return Error::io("cannot read " + t.config_path + ": " + fs.error);
  b.hash = fs.hash;
  b.exists = fs.exists;
  auto doc = config::yaml_to_json(fs.raw);
  b.config = doc.ok() ? *doc : Json::object();
  return b;
}

int report_write_error(const Error& e, const std::string& path) {
  if (e.detail_code() == "CONFIG_CONFLICT") {
    fprintf(stderr,
            "error: %s changed while onboard was running (another `config set`, the Control "
            "UI or an editor); nothing was written, so that change is kept. Run `simpleclaw "
            "onboard` again.\n",
            path.c_str());
    return 1;
  }
  fprintf(stderr, "error: the config was not written: %s\n", e.message.c_str());
  if (e.details.is_object() && e.details.contains("issues"))
    for (const auto& i : e.details["issues"])
      fprintf(stderr, "  %s: %s\n", i.value("path", "").c_str(), i.value("message", "").c_str());
  if (e.message.find("environment variable") != std::string::npos)
    fprintf(stderr,
            "hint: the gateway reads ${NAME} from its own environment: export the variable "
            "where it runs (and restart it), or store the key in the config instead\n");
  return 1;
}

// Writes through the gateway when one runs (config.patch, baseHash), else on the file.
int write_patch(Target& t, const Base& base, const Json& patch, bool* via_gateway) {
  if (base.via_gateway) {
    auto c = WsClient::connect(client_options(t));
    if (c.ok()) {
      auto r = (*c)->call("config.patch", Json{{"raw", patch.dump()}, {"baseHash", base.hash}});
      (*c)->close();
      if (!r.ok()) return report_write_error(r.error(), t.config_path);
      *via_gateway = true;
      return 0;
    }
    if (!c.error().is_io()) return report_write_error(c.error(), t.config_path);
    // The gateway stopped meanwhile: the file, against the same hash.
  }
  auto w = config::patch_checked(t.config_path, patch, base.hash);
  if (!w.ok()) return report_write_error(w.error(), t.config_path);
  *via_gateway = false;
  return 0;
}

std::string key_text(const OnboardAnswers& a) {
  if (!a.key_env.empty()) return "${" + a.key_env + "} (read from the environment)";
  if (!a.key.empty()) return "stored in the config file (mode 0600; never shown)";
  return "none";
}

}  // namespace

int onboard_command(const OnboardOptions& o, Target& t) {
  const bool url_given = !t.url.empty();
  resolve_target(t);
  const bool ask_gateway = url_given || !read_runtime_file(t.state_dir).empty();
  const bool ask = !o.yes;
  OnboardAnswers a;
  // Flags are checked before anything is asked: a script gets its usage error at once.
  if (!o.provider.empty()) {
    auto k = parse_provider_kind(o.provider);
    if (!k) {
      fprintf(stderr, "error: --provider %s: use openai, anthropic, ollama or openai-compatible\n",
              o.provider.c_str());
      return 2;
    }
    a.kind = *k;
  }
  auto flag_error = [](const char* flag, const std::string& why) {
    fprintf(stderr, "error: %s: %s\n", flag, why.c_str());
    return 2;
  };
  if (!o.name.empty())
    if (auto why = check_provider_name(o.name); !why.empty()) return flag_error("--name", why);
  if (!o.base_url.empty())
    if (auto why = check_base_url(o.base_url); !why.empty()) return flag_error("--base-url", why);
  if (!o.api_key_env.empty()) {
    if (auto why = check_env_name(o.api_key_env); !why.empty())
      return flag_error("--api-key-env", why);
    if (env_var(o.api_key_env.c_str()).empty())
      return flag_error("--api-key-env",
                        o.api_key_env + " is not set here: export it (the gateway needs it too)");
  }
  if (!o.model.empty())
    if (auto why = check_model_id(o.model); !why.empty()) return flag_error("--model", why);
  if (!o.telegram_token.empty())
    if (auto why = check_telegram_token(o.telegram_token); !why.empty())
      return flag_error("--telegram-token", why);
  if (!o.telegram_token_env.empty())
    if (auto why = check_env_name(o.telegram_token_env); !why.empty())
      return flag_error("--telegram-token-env", why);
  if (!o.allow_from.empty()) {
    auto ids = parse_allow_from(o.allow_from);
    if (!ids.ok()) return flag_error("--allow-from", ids.error().message);
    a.allow_from = std::move(ids).value();
  }
  bool telegram_flag = !o.telegram_token.empty() || !o.telegram_token_env.empty();
  if (telegram_flag && a.allow_from.empty() && !ask)
    return flag_error("--telegram-token", "--allow-from is needed with it (numeric user ids)");

  // The hash every later write is checked against: read before the first question.
  auto base = read_base(t, ask_gateway);
  if (!base.ok()) {
    fprintf(stderr, "error: %s\n", base.error().message.c_str());
    return 1;
  }
  if (ask) {
    printf("simpleclaw onboard: a model provider%s for %s%s.\n",
           telegram_flag ? " and a Telegram bot" : " (and optionally a Telegram bot)",
           t.config_path.c_str(),
           base->via_gateway ? " (through the running gateway: it applies at once)" : "");
    const Json& cur = base->config;
    if (cur.is_object() && cur.contains("models") && cur["models"].is_object() &&
        cur["models"].contains("providers") && cur["models"]["providers"].is_object() &&
        !cur["models"]["providers"].empty()) {
      std::string names;
      for (const auto& [k, v] : cur["models"]["providers"].items())
        names += (names.empty() ? "" : ", ") + k;
      printf(
          "Already configured: %s. The new provider is added beside them (the same name "
          "replaces one) and becomes the default.\n",
          names.c_str());
    }
  }
  bool closed = false;

  // 1. provider
  if (a.kind.empty()) {
    std::string guess = !env_var("OPENAI_API_KEY").empty()      ? "openai"
                        : !env_var("ANTHROPIC_API_KEY").empty() ? "anthropic"
                                                                : "";
    if (!ask) {
      if (guess.empty()) {
        fprintf(stderr,
                "error: --provider is needed (openai, anthropic, ollama or openai-compatible)\n");
        return 2;
      }
      a.kind = guess;
    } else {
      printf(
          "Providers: 1) openai  2) anthropic  3) ollama (local)  4) openai-compatible "
          "(any server with /v1/chat/completions)\n");
      auto v = ask_valid(
          "Provider", guess.empty() ? "openai" : guess, false,
          [](const std::string& s) {
            return parse_provider_kind(s) ? std::string()
                                          : "'" + s +
                                                "' is not one of: openai, anthropic, ollama, "
                                                "openai-compatible (or 1-4)";
          },
          &closed);
      if (!v) return closed ? stdin_closed() : too_many_tries("provider");
      a.kind = *parse_provider_kind(*v);
    }
  }
  a.name = o.name.empty() ? default_provider_name(a.kind) : o.name;

  // 2. base URL: asked for ollama and openai-compatible; openai/anthropic use theirs
  // (or --base-url, or OPENAI_BASE_URL / ANTHROPIC_BASE_URL as the implicit ones do).
  a.base_url = o.base_url;
  auto ask_url = [&]() -> std::optional<std::string> {
    std::string def =
        a.kind == "ollama" ? config::ollama_url_from_host(env_var("OLLAMA_HOST")) : std::string();
    return ask_valid(a.kind == "ollama" ? "Ollama URL"
                                        : "Base URL of the server (e.g. http://127.0.0.1:8000/v1)",
                     def, false, check_base_url, &closed);
  };
  if (a.base_url.empty()) {
    if (a.kind == "openai" || a.kind == "anthropic") {
      std::string env_url = env_var(a.kind == "openai" ? "OPENAI_BASE_URL" : "ANTHROPIC_BASE_URL");
      if (!env_url.empty() && check_base_url(env_url).empty()) a.base_url = env_url;
    } else if (!ask) {
      if (a.kind == "openai-compatible")
        return flag_error("--base-url", "needed for openai-compatible");
      a.base_url = config::ollama_url_from_host(env_var("OLLAMA_HOST"));
    } else {
      auto v = ask_url();
      if (!v) return closed ? stdin_closed() : too_many_tries("URL");
      a.base_url = *v;
    }
  }

  // 3. API key
  const bool needs_key = a.kind == "openai" || a.kind == "anthropic";
  const bool takes_key = a.kind != "ollama";
  std::string std_env = standard_key_env(a.kind);
  a.key_env = o.api_key_env;
  if (o.api_key_stdin) {
    std::string line;
    if (!std::getline(std::cin, line)) return stdin_closed();
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (auto why = check_api_key(line); !why.empty()) return flag_error("--api-key-stdin", why);
    a.key = line;
  }
  auto ask_key = [&]() -> int {
    std::string def = !std_env.empty() && !env_var(std_env.c_str()).empty() ? "$" + std_env : "";
    printf(
        "API key for %s: type $NAME to use the environment variable NAME (the key stays "
        "out of the file; the gateway needs it in its environment), or paste the key to "
        "store it in the config file (mode 0600). Not echoed.%s\n",
        a.name.c_str(), needs_key ? "" : " Empty = no key.");
    a.key.clear();
    a.key_env.clear();
    auto v = ask_valid(
        "API key", def, true,
        [&](const std::string& s) -> std::string {
          if (s.empty()) return needs_key ? "a key is needed for " + a.kind : "";
          if (s[0] == '$') {
            std::string name = s.substr(s.size() > 1 && s[1] == '{' ? 2 : 1);
            if (!name.empty() && name.back() == '}') name.pop_back();
            if (auto why = check_env_name(name); !why.empty()) return why;
            if (env_var(name.c_str()).empty())
              return name +
                     " is not set in this shell: export it first (and where the gateway "
                     "runs), or paste the key itself";
            return "";
          }
          return check_api_key(s);
        },
        &closed);
    if (!v) return closed ? stdin_closed() : too_many_tries("API key");
    if (!v->empty() && (*v)[0] == '$') {
      std::string name = v->substr(v->size() > 1 && (*v)[1] == '{' ? 2 : 1);
      if (!name.empty() && name.back() == '}') name.pop_back();
      a.key_env = name;
    } else {
      a.key = *v;
    }
    return 0;
  };
  if (takes_key && a.key_env.empty() && a.key.empty()) {
    if (!ask) {
      if (needs_key) {
        if (std_env.empty() || env_var(std_env.c_str()).empty())
          return flag_error("--api-key-env",
                            "a key is needed for " + a.kind +
                                ": --api-key-env NAME (a set variable) or --api-key-stdin");
        a.key_env = std_env;
      }
    } else if (int rc = ask_key(); rc != 0) {
      return rc;
    }
  }

  // 4. probe: proves URL and key, and lists the models to choose from.
  ProbeOutcome probe;
  if (!o.no_probe) {
    for (int round = 0;; ++round) {
      printf("Checking %s (%s) ...\n", a.name.c_str(), where_of(a).c_str());
      fflush(stdout);
      probe = probe_provider(a, o.probe_timeout_ms);
      bool key_refused = false;
      std::string why = probe_problem(a, probe, &key_refused);
      if (why.empty()) {
        std::string n = probe.listed ? " with " + std::to_string(probe.models.size()) + " model(s)"
                                     : std::string();
        printf("OK: %s answered%s.\n", a.name.c_str(), n.c_str());
        break;
      }
      fprintf(stderr, "error: %s\n", why.c_str());
      if (!ask || round + 1 >= kMaxTries) {
        fprintf(stderr, "nothing was written\n");
        return 1;
      }
      if (key_refused && takes_key) {
        if (int rc = ask_key(); rc != 0) return rc;
        continue;
      }
      auto fix = ask_yes_no(a.kind == "openai" || a.kind == "anthropic"
                                ? "Try again?"
                                : "Enter the URL again? (n = keep it without the check)",
                            true);
      if (!fix) return stdin_closed();
      if (!*fix) {
        if (a.kind == "openai" || a.kind == "anthropic") {
          fprintf(stderr, "nothing was written\n");
          return 1;
        }
        break;
      }
      if (a.kind != "openai" && a.kind != "anthropic") {
        auto v = ask_url();
        if (!v) return closed ? stdin_closed() : too_many_tries("URL");
        a.base_url = *v;
      }
    }
  }

  // 5. default model
  std::string model_def = !o.model.empty() ? o.model
                          : probe.listed && !probe.models.empty() &&
                                  (a.kind == "ollama" || a.kind == "openai-compatible")
                              ? probe.models.front()
                              : default_model_of(a.kind);
  auto listed = [&](const std::string& id) {
    return !probe.listed ||
           std::find(probe.models.begin(), probe.models.end(), id) != probe.models.end();
  };
  auto some_models = [&]() {
    std::string s;
    for (std::size_t i = 0; i < probe.models.size() && i < 8; ++i)
      s += (i ? ", " : "") + probe.models[i];
    return s + (probe.models.size() > 8 ? ", ..." : "");
  };
  if (!o.model.empty() || !ask) {
    a.model = model_def;
    if (a.model.empty()) return flag_error("--model", "needed for " + a.kind);
    if (!listed(a.model)) {
      fprintf(stderr, "error: --model %s: %s does not list it (it has: %s); nothing was written\n",
              a.model.c_str(), a.name.c_str(), some_models().c_str());
      return 1;
    }
  } else {
    if (probe.listed && !probe.models.empty()) printf("Models: %s\n", some_models().c_str());
    for (int i = 0;; ++i) {
      auto v = ask_valid("Default model", model_def, false, check_model_id, &closed);
      if (!v) return closed ? stdin_closed() : too_many_tries("model");
      if (listed(*v)) {
        a.model = *v;
        break;
      }
      problem(*v + " is not in " + a.name + "'s model list (" + some_models() + ")");
      auto keep = ask_yes_no("Use it anyway?", false);
      if (!keep) return stdin_closed();
      if (*keep) {
        a.model = *v;
        break;
      }
      if (i + 1 >= kMaxTries) return too_many_tries("model");
    }
  }

  // 6. Telegram (optional)
  a.telegram_token = o.telegram_token;
  a.telegram_token_env = o.telegram_token_env;
  bool want_telegram = telegram_flag;
  if (ask && !telegram_flag) {
    auto yes = ask_yes_no("Connect a Telegram bot now?", false);
    if (!yes) return stdin_closed();
    want_telegram = *yes;
    if (want_telegram) {
      printf(
          "Bot token from @BotFather: paste it (stored in the config file, mode 0600) or "
          "type $NAME for an environment variable. Not echoed.\n");
      auto v = ask_valid(
          "Bot token", "", true,
          [](const std::string& s) -> std::string {
            if (!s.empty() && s[0] == '$') {
              std::string name = s.substr(1);
              if (auto why = check_env_name(name); !why.empty()) return why;
              return env_var(name.c_str()).empty()
                         ? name + " is not set in this shell: export it first"
                         : "";
            }
            return check_telegram_token(s);
          },
          &closed);
      if (!v) return closed ? stdin_closed() : too_many_tries("bot token");
      if ((*v)[0] == '$')
        a.telegram_token_env = v->substr(1);
      else
        a.telegram_token = *v;
    }
  }
  if (want_telegram && a.allow_from.empty()) {
    printf(
        "Who may talk to the bot: Telegram user ids, comma-separated (message @userinfobot "
        "to learn yours). Anyone else is ignored.\n");
    auto v = ask_valid(
        "Allowed user ids", "", false,
        [](const std::string& s) {
          auto ids = parse_allow_from(s);
          return ids.ok() ? std::string() : ids.error().message;
        },
        &closed);
    if (!v) return closed ? stdin_closed() : too_many_tries("user ids");
    a.allow_from = parse_allow_from(*v).value();
  }

  // 7. summary, confirmation, write
  printf("\nProvider %s (api %s, %s), API key: %s\nDefault model: %s/%s\n", a.name.c_str(),
         api_of_kind(a.kind).c_str(), where_of(a).c_str(), key_text(a).c_str(), a.name.c_str(),
         a.model.c_str());
  if (want_telegram) {
    std::string ids;
    for (const auto& id : a.allow_from) ids += (ids.empty() ? "" : ", ") + id;
    printf("Telegram bot: token %s, allowed users: %s\n",
           a.telegram_token_env.empty() ? "stored in the config file"
                                        : ("${" + a.telegram_token_env + "}").c_str(),
           ids.c_str());
  }
  if (ask) {
    auto go = ask_yes_no("Write this to " + t.config_path + "?", true);
    if (!go) return stdin_closed();
    if (!*go) {
      printf("Nothing was written.\n");
      return 1;
    }
  }
  bool via_gateway = false;
  if (int rc = write_patch(t, *base, onboard_patch(a), &via_gateway); rc != 0) return rc;
  printf("Written to %s%s.\n", t.config_path.c_str(),
         via_gateway ? "; the running gateway applied it" : "");
  if (via_gateway)
    printf("Next: simpleclaw chat   (or simpleclaw status)\n");
  else
    printf("Next: simpleclaw gateway   then, in another terminal: simpleclaw chat\n");
  if (!a.key_env.empty())
    printf("The gateway reads %s from its environment: export it where the gateway runs.\n",
           a.key_env.c_str());
  return 0;
}

}  // namespace simpleclaw::cli
