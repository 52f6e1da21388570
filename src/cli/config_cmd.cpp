// `simpleclaw config get|set|patch|validate`. get/set/patch go through the running
// gateway (config.get / config.patch with baseHash CAS, so the change hot-applies and
// concurrent edits are detected); when no gateway answers they use the same checked,
// atomic write path on the file directly.
#include <cstdio>

#include "cli/cli.h"
#include "config/config.h"

namespace simpleclaw::cli {
namespace {

// "gateway.auth.mode" + value -> {"gateway":{"auth":{"mode":value}}}
Json patch_for(const std::string& dotted, Json value) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= dotted.size(); ++i) {
    if (i == dotted.size() || dotted[i] == '.') {
      parts.push_back(dotted.substr(start, i - start));
      start = i + 1;
    }
  }
  Json out = std::move(value);
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) out = Json{{*it, out}};
  return out;
}

const Json* lookup(const Json& doc, const std::string& dotted) {
  const Json* cur = &doc;
  std::size_t start = 0;
  while (start <= dotted.size()) {
    auto dot = dotted.find('.', start);
    std::string key =
        dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!cur->is_object() || !cur->contains(key)) return nullptr;
    cur = &(*cur)[key];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return cur;
}

void print_issues(const std::vector<config::Issue>& issues) {
  for (const auto& i : issues) fprintf(stderr, "  %s\n", i.to_string().c_str());
}

int print_write_error(const Error& e) {
  fprintf(stderr, "error: %s\n", e.message.c_str());
  if (e.details.is_object() && e.details.contains("issues"))
    for (const auto& i : e.details["issues"])
      fprintf(stderr, "  %s (line %d): %s\n", i.value("path", "").c_str(), i.value("line", 0),
              i.value("message", "").c_str());
  return 1;
}

// Applies a merge patch through the gateway, or to the file when none is running.
int apply_patch(Target& t, const Json& patch, bool json_out) {
  auto c = WsClient::connect(client_options(t));
  if (c.ok()) {
    auto cur = (*c)->call("config.get");
    if (!cur.ok()) return print_write_error(cur.error());
    auto r = (*c)->call("config.patch", Json{{"raw", patch.dump()}, {"baseHash", (*cur)["hash"]}});
    (*c)->close();
    if (!r.ok()) return print_write_error(r.error());
    if (json_out)
      printf("%s\n", r->dump(2).c_str());
    else
      fprintf(
          stderr, "config updated (%s)%s\n", r->value("hash", "").substr(0, 12).c_str(),
          r->value("restart", false) ? "; restart the gateway to apply bind/port/TLS changes" : "");
    return 0;
  }
  if (!c.error().is_io()) return print_write_error(c.error());  // io: no gateway there
  config::FileState fs = config::read_state(t.config_path);
  auto w = config::patch_checked(t.config_path, patch, fs.hash);
  if (!w.ok()) return print_write_error(w.error());
  fprintf(stderr, "config written to %s (no gateway running; it applies at next start)\n",
          t.config_path.c_str());
  return 0;
}

}  // namespace

int apply_config_patch(Target& t, const Json& patch, bool json_out) {
  return apply_patch(t, patch, json_out);
}

int config_command(int, const std::vector<std::string>& args, Target& t, bool json_out) {
  resolve_target(t);
  const std::string& sub = args[0];
  if (sub == "validate") {
    std::string path = args.size() > 1 ? args[1] : t.config_path;
    config::FileState fs = config::read_state(path);
    config::Parsed p = config::parse(fs.raw);
    if (!fs.exists) printf("no config file at %s; the embedded default is used\n", path.c_str());
    if (p.ok()) {
      printf("OK: %s is valid\n", fs.exists ? path.c_str() : "the embedded default");
      return 0;
    }
    fprintf(stderr, "%s is invalid (%zu problem%s):\n", path.c_str(), p.issues.size(),
            p.issues.size() == 1 ? "" : "s");
    print_issues(p.issues);
    return 1;
  }
  if (sub == "get") {
    Json payload;
    auto c = WsClient::connect(client_options(t));
    if (c.ok()) {
      auto r = (*c)->call("config.get");
      (*c)->close();
      if (!r.ok()) return print_write_error(r.error());
      payload = *r;
    } else {
      config::FileState fs = config::read_state(t.config_path);
      config::Parsed p = config::parse(fs.raw);
      payload = Json{{"path", fs.path},
                     {"exists", fs.exists},
                     {"valid", p.ok()},
                     {"hash", fs.hash},
                     {"raw", config::redact_raw(fs.raw)},
                     {"config", p.ok() ? config::redact(p.config.doc) : Json()}};
    }
    if (args.size() > 1) {
      const Json* v = lookup(payload["config"], args[1]);
      if (!v) {
        fprintf(stderr, "error: %s is not set\n", args[1].c_str());
        return 1;
      }
      printf("%s\n",
             v->is_string() && !json_out ? v->get<std::string>().c_str() : v->dump(2).c_str());
      return 0;
    }
    if (json_out)
      printf("%s\n", payload.dump(2).c_str());
    else
      printf("# %s%s\n%s", payload.value("path", "").c_str(),
             payload.value("exists", false) ? "" : " (missing: embedded default)",
             payload.value("raw", "").c_str());
    return 0;
  }
  if (sub == "set") {
    if (args.size() != 3) {
      fprintf(stderr, "usage: simpleclaw config set <dotted.path> <value>\n");
      return 2;
    }
    // 8080 -> number, true -> bool, null deletes, anything else (also "") a string.
    auto v = config::yaml_to_json(args[2]);
    Json value = v.ok() && !v->is_object() && !args[2].empty() ? *v : Json(args[2]);
    if (v.ok() && v->is_object() && args[2].find_first_of("{:") != std::string::npos) value = *v;
    return apply_patch(t, patch_for(args[1], value), json_out);
  }
  if (sub == "patch") {
    if (args.size() != 2) {
      fprintf(stderr, "usage: simpleclaw config patch '<json merge patch>'\n");
      return 2;
    }
    Json patch = Json::parse(args[1], nullptr, false);
    if (patch.is_discarded() || !patch.is_object()) {
      fprintf(stderr, "error: the patch must be a JSON object\n");
      return 2;
    }
    return apply_patch(t, patch, json_out);
  }
  fprintf(stderr,
          "usage: simpleclaw config get [path] | set <path> <value> | patch <json> | validate "
          "[file]\n");
  return 2;
}

}  // namespace simpleclaw::cli
