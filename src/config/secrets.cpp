// Secret handling: which keys are secret, redaction of documents and of raw YAML text
// (in place, comments and layout kept), and restoring values a client echoed back as
// kRedacted. Every textual edit is checked by re-parsing; if the check fails the text is
// re-emitted from the redacted document instead, so a secret never leaks through a
// layout this code did not foresee.
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/yaml_json.h"

namespace simpleclaw::config {
namespace {

using detail::OJson;

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() > suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

template <typename J>
void redact_value(J& v, bool secret) {
  if (v.is_object()) {
    for (auto& [k, child] : v.items()) redact_value(child, secret || is_secret_key(k));
  } else if (v.is_array()) {
    for (auto& child : v) redact_value(child, secret);
  } else if (secret && !v.is_null()) {
    v = std::string(kRedacted);
  }
}

std::string quoted_redacted(char style) {
  std::string r(kRedacted);
  if (style == '"') return "\"" + r + "\"";
  if (style == '\'') return "'" + r + "'";
  return r;
}

// True when `out` parses to the same scalars as `y`, with exactly the secret ones redacted.
bool verify_redacted(const detail::YamlDoc& y, const std::string& out) {
  detail::YamlDoc y2 = detail::parse_yaml(out);
  if (y2.syntax_error || y2.scalars.size() != y.scalars.size()) return false;
  for (std::size_t i = 0; i < y.scalars.size(); ++i) {
    const detail::ScalarRec& a = y.scalars[i];
    const detail::ScalarRec& b = y2.scalars[i];
    if (a.path != b.path) return false;
    OJson expected = a.secret && !a.value.is_null() ? OJson(std::string(kRedacted)) : a.value;
    if (b.value != expected) return false;
  }
  return true;
}

// ---- fallback for text that is not valid YAML ----------------------------------------
// Line-based: the value after every secret `key:` is replaced, as are all lines nested
// under a secret key. Conservative: it may redact too much, never too little on the
// layouts it knows.

struct KeyHit {
  std::size_t value_begin;  // first byte after "key:" and blanks
  std::string key;
};

std::vector<KeyHit> keys_on_line(const std::string& line) {
  std::vector<KeyHit> hits;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] != ':') continue;
    if (i + 1 < line.size() && line[i + 1] != ' ' && line[i + 1] != '\t') continue;
    std::size_t e = i;
    while (e > 0 && (line[e - 1] == ' ' || line[e - 1] == '\t')) --e;
    if (e > 0 && (line[e - 1] == '"' || line[e - 1] == '\'')) --e;
    std::size_t b = e;
    while (b > 0 && (std::isalnum(static_cast<unsigned char>(line[b - 1])) || line[b - 1] == '_' ||
                     line[b - 1] == '-'))
      --b;
    if (b == e) continue;
    std::size_t v = i + 1;
    while (v < line.size() && (line[v] == ' ' || line[v] == '\t')) ++v;
    hits.push_back(KeyHit{v, line.substr(b, e - b)});
  }
  return hits;
}

// End of a value starting at `v` on a line: closing quote, flow delimiter, comment, EOL.
std::size_t value_end(const std::string& line, std::size_t v, bool flow) {
  if (v >= line.size()) return v;
  char q = line[v];
  if (q == '"' || q == '\'') {
    std::size_t i = v + 1;
    while (i < line.size() && line[i] != q) i += (q == '"' && line[i] == '\\') ? 2 : 1;
    return std::min(line.size(), i + 1);
  }
  std::size_t i = v;
  while (i < line.size()) {
    if (flow && (line[i] == ',' || line[i] == '}' || line[i] == ']')) break;
    if (line[i] == '#' && i > v && (line[i - 1] == ' ' || line[i - 1] == '\t')) break;
    ++i;
  }
  while (i > v && (line[i - 1] == ' ' || line[i - 1] == '\t' || line[i - 1] == '\r')) --i;
  return i;
}

std::string redact_lines(std::string_view text) {
  std::string out;
  int secret_indent = -1;  // lines indented deeper than this are under a secret key
  bool block = false;      // ... and belong to a redacted block scalar (dropped)
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string line(text.substr(pos, end - pos));
    std::string eol = nl == std::string_view::npos ? "" : "\n";
    pos = nl == std::string_view::npos ? text.size() : nl + 1;

    std::size_t first = line.find_first_not_of(" \t\r");
    int indent = static_cast<int>(line.find_first_not_of(' ') == std::string::npos
                                      ? line.size()
                                      : line.find_first_not_of(' '));
    if (first == std::string::npos || line[first] == '#') {
      out += line + eol;
      continue;
    }
    if (secret_indent >= 0 && indent > secret_indent) {
      if (block) continue;  // content of a redacted block scalar
      std::vector<KeyHit> hits = keys_on_line(line);
      std::size_t v = hits.empty() ? first : hits.back().value_begin;
      if (hits.empty() && line.compare(first, 2, "- ") == 0) v = first + 2;
      std::size_t e = value_end(line, v, false);
      if (e > v) line.replace(v, e - v, std::string(kRedacted));
      out += line + eol;
      continue;
    }
    secret_indent = -1;
    block = false;
    bool flow = line.find_first_of("{[") != std::string::npos;
    std::vector<KeyHit> hits = keys_on_line(line);
    for (auto it = hits.rbegin(); it != hits.rend(); ++it) {
      if (!is_secret_key(it->key)) continue;
      std::size_t v = it->value_begin;
      if (v >= line.size() || line[v] == '#') {
        secret_indent = indent;  // nested value on the following lines
        continue;
      }
      if (line[v] == '|' || line[v] == '>') {
        line.replace(v, line.size() - v, std::string(kRedacted));
        secret_indent = indent;
        block = true;
        continue;
      }
      std::size_t e = value_end(line, v, flow);
      if (e > v) line.replace(v, e - v, std::string(kRedacted));
    }
    out += line + eol;
  }
  return out;
}

std::string replacement_for(const OJson& old, const detail::ScalarRec* old_rec,
                            std::string_view old_text, const detail::Site& new_site) {
  if (old.is_primitive() && old_rec) {
    auto span = detail::scalar_span(old_text, old_rec->site);
    if (span && (span->style == '"' || span->style == '\'' || span->style == 'p')) {
      std::string_view raw = old_text.substr(span->begin, span->end - span->begin);
      bool single_line = raw.find('\n') == std::string_view::npos;
      if (single_line && (span->style != 'p' || !new_site.in_flow)) return std::string(raw);
    }
  }
  // JSON is valid YAML in both block and flow context.
  return old.dump(-1, ' ', false, OJson::error_handler_t::replace);
}

Error no_value_error(const std::string& path) {
  return Error::invalid(
      (path.empty() ? std::string("config") : path) + ": is " + std::string(kRedacted) +
      " but the current config has no value there to restore; send the real value");
}

}  // namespace

bool is_secret_key(std::string_view key) {
  std::string lower(key);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // "url": a connection URL carries its password (store.postgres.url); the rest of the
  // config names its URLs base_url, webhook_url, ... which hold none.
  static const std::string_view kExact[] = {"token",  "password", "api_key",
                                            "apikey", "secret",   "url"};
  for (std::string_view e : kExact)
    if (lower == e) return true;
  // "_key" also covers environment variables handed to MCP servers (BRAVE_API_KEY,
  // AWS_SECRET_ACCESS_KEY, ...); no non-secret config key ends that way.
  static const std::string_view kSuffixes[] = {"_token",   "_secret", "_password",   "_api_key",
                                               "_key",     "-token",  "-secret",     "-password",
                                               "-api-key", "-key",    "_credentials"};
  for (std::string_view s : kSuffixes)
    if (ends_with(lower, s)) return true;
  // camelCase, as OpenClaw-style configs write them: botToken, clientSecret, openaiApiKey.
  static const std::string_view kCamel[] = {"Token", "Secret", "Password", "ApiKey"};
  for (std::string_view s : kCamel)
    if (ends_with(key, s)) return true;
  return false;
}

Json redact(const Json& doc) {
  Json copy = doc;
  redact_value(copy, false);
  return copy;
}

namespace {
std::string redact_raw_impl(std::string_view yaml_text) {
  detail::YamlDoc y = detail::parse_yaml(yaml_text);
  if (y.syntax_error) return redact_lines(yaml_text);
  std::vector<detail::Edit> edits;
  bool located = true;
  for (const detail::ScalarRec& rec : y.scalars) {
    if (!rec.secret || rec.value.is_null()) continue;
    auto span = detail::scalar_span(yaml_text, rec.site);
    if (!span) {
      located = false;
      break;
    }
    edits.push_back(detail::Edit{span->begin, span->end, quoted_redacted(span->style)});
  }
  std::string out(yaml_text);
  if (edits.empty() && located) return out;
  if (located && detail::apply_edits(out, edits) && verify_redacted(y, out)) return out;
  OJson doc = y.doc;
  detail::redact_in_place(doc);
  return detail::emit_yaml(doc);
}
}  // namespace

std::string redact_raw(std::string_view yaml_text) {
  try {
    return redact_raw_impl(yaml_text);
  } catch (const std::exception&) {
    return redact_lines(yaml_text);  // never the original text
  }
}

namespace {
Result<std::string> restore_redacted_impl(std::string_view new_text, std::string_view old_text) {
  detail::YamlDoc yn = detail::parse_yaml(new_text);
  if (yn.syntax_error) return std::string(new_text);  // write validation reports it
  std::vector<const detail::ScalarRec*> redacted;
  for (const detail::ScalarRec& rec : yn.scalars)
    if (rec.value.is_string() && rec.value.get_ref<const std::string&>() == kRedacted)
      redacted.push_back(&rec);
  if (redacted.empty()) return std::string(new_text);

  detail::YamlDoc yo = detail::parse_yaml(old_text);
  if (yo.syntax_error)
    return Error::invalid("cannot restore redacted values: the current config does not parse (" +
                          yo.issues.front().to_string() + ")");
  std::map<std::string, const detail::ScalarRec*> old_scalars;
  for (const detail::ScalarRec& rec : yo.scalars) old_scalars.emplace(rec.path, &rec);

  OJson expected = yn.doc;
  std::vector<detail::Edit> edits;
  bool located = true;
  for (const detail::ScalarRec* rec : redacted) {
    if (!yo.doc.contains(rec->pointer) || yo.doc.at(rec->pointer).is_null())
      return no_value_error(rec->path);
    const OJson& old = yo.doc.at(rec->pointer);
    if (expected.contains(rec->pointer) &&
        expected.at(rec->pointer) == OJson(std::string(kRedacted)))
      expected.at(rec->pointer) = old;
    auto it = old_scalars.find(rec->path);
    std::string text =
        replacement_for(old, it == old_scalars.end() ? nullptr : it->second, old_text, rec->site);
    auto span = detail::scalar_span(new_text, rec->site);
    if (!span) {
      located = false;
      continue;
    }
    edits.push_back(detail::Edit{span->begin, span->end, std::move(text)});
  }
  std::string out(new_text);
  if (located && detail::apply_edits(out, edits)) {
    detail::YamlDoc check = detail::parse_yaml(out);
    if (!check.syntax_error && check.doc == expected) return out;
  }
  return detail::emit_yaml(expected);  // comments lost, values right
}
}  // namespace

Result<std::string> restore_redacted(std::string_view new_text, std::string_view old_text) {
  try {
    return restore_redacted_impl(new_text, old_text);
  } catch (const std::exception& e) {
    return Error::invalid(std::string("cannot restore redacted values: ") + e.what());
  }
}

namespace detail {

void redact_in_place(OJson& doc) { redact_value(doc, false); }

namespace {
Status restore_walk(OJson& v, const OJson& old, const OJson::json_pointer& ptr,
                    const std::string& path) {
  if (v.is_object()) {
    for (auto& [k, child] : v.items()) {
      Status s = restore_walk(child, old, ptr / k, child_path(path, k));
      if (!s) return s;
    }
  } else if (v.is_array()) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      Status s = restore_walk(v[i], old, ptr / i, index_path(path, i));
      if (!s) return s;
    }
  } else if (v.is_string() && v.get_ref<const std::string&>() == kRedacted) {
    if (!old.contains(ptr) || old.at(ptr).is_null()) return no_value_error(path);
    v = old.at(ptr);
  }
  return Ok{};
}
}  // namespace

Status restore_redacted_doc(OJson& doc, const OJson& old) {
  return restore_walk(doc, old, OJson::json_pointer(), "");
}

}  // namespace detail
}  // namespace simpleclaw::config
