// YAML <-> JSON with source positions (see yaml_json.h), plus the public helpers that
// are plain format conversions: merge_patch, to_yaml, yaml_to_json.
#include "config/yaml_json.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <exception>
#include <limits>
#include <optional>
#include <sstream>
#include <vector>

#include "base/utf8.h"

namespace simpleclaw::config {
namespace detail {
namespace {

constexpr std::size_t kMaxNodes = 100000;  // alias expansion ("billion laughs") guard
constexpr int kMaxDepth = 128;

struct TooLarge {};

// Records where each document starts and nothing else. yaml-cpp 0.7's LoadAll loops
// forever (allocating a null document per turn) on a token no rule consumes, such as a
// stray ',' in block context (jbeder/yaml-cpp#1040, fixed upstream in 0.8). We walk the
// documents ourselves, at most three, and call a document that starts where the
// previous one started a syntax error instead of looping.
class DocumentStarts : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;
  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// Throws YAML::ParserException for the stuck-parser case; returns the start of a second
// document when there is one.
std::optional<YAML::Mark> second_document(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts seen;
  for (int i = 0; i < 3 && parser.HandleNextDocument(seen); ++i) {
    const auto& s = seen.starts;
    if (s.size() >= 2 && s[s.size() - 1].pos == s[s.size() - 2].pos) {
      YAML::Mark at = s.back();
      std::string what = at.pos >= 0 && static_cast<std::size_t>(at.pos) < text.size()
                             ? std::string("unexpected '") + text[at.pos] + "'"
                             : std::string("unexpected token");
      throw YAML::ParserException(at, what);
    }
  }
  if (seen.starts.size() >= 2) return seen.starts[1];
  return std::nullopt;
}

bool is_digits(std::string_view s, int (*pred)(int)) {
  if (s.empty()) return false;
  for (char c : s)
    if (!pred(static_cast<unsigned char>(c))) return false;
  return true;
}

int is_octal(int c) { return c >= '0' && c <= '7'; }

std::optional<OJson> parse_int(std::string_view s) {
  bool neg = false;
  std::string_view digits = s;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
    neg = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (!is_digits(digits, isdigit)) return std::nullopt;
  long long v = 0;
  auto [p, ec] = std::from_chars(s.data() + (s[0] == '+' ? 1 : 0), s.data() + s.size(), v);
  if (ec == std::errc() && p == s.data() + s.size()) return OJson(v);
  if (!neg) {
    unsigned long long u = 0;
    auto [p2, ec2] = std::from_chars(digits.data(), digits.data() + digits.size(), u);
    if (ec2 == std::errc() && p2 == digits.data() + digits.size()) return OJson(u);
  }
  return OJson(std::strtod(std::string(s).c_str(), nullptr));  // too big for 64 bits
}

std::optional<OJson> parse_float(std::string_view s) {
  // [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  std::size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++int_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    std::size_t exp_digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++exp_digits;
    if (exp_digits == 0) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  return OJson(std::strtod(std::string(s).c_str(), nullptr));
}

std::string flow_text(const YAML::Node& node) {
  YAML::Emitter e;
  e << YAML::Flow << node;
  return e.good() ? std::string(e.c_str()) : std::string("?");
}

class Converter {
 public:
  Converter(std::string_view text, YamlDoc& out) : out_(out) {
    if (text.substr(0, 3) == "\xEF\xBB\xBF") bom_ = 3;  // yaml-cpp's offsets skip the BOM
  }

  OJson convert(const YAML::Node& node, const std::string& path, const OJson::json_pointer& ptr,
                Site site, bool secret, int depth) {
    if (++nodes_ > kMaxNodes) throw TooLarge{};
    if (depth > kMaxDepth) {
      add_issue(path, site.line,
                "nesting is too deep (more than " + std::to_string(kMaxDepth) + " levels)");
      return nullptr;
    }
    const YAML::Mark mark = node.Mark();
    if (!node.IsNull() && mark.pos >= 0) {
      auto pos = static_cast<std::size_t>(mark.pos);
      if (pos < cursor_)
        site.alias = true;  // an alias points back at its anchor
      else
        cursor_ = pos;
      site.value_pos = static_cast<std::size_t>(mark.pos) + bom_;
    }
    out_.sites.emplace(path, site);

    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null: {
        out_.scalars.push_back(ScalarRec{path, ptr, nullptr, site, secret});
        return nullptr;
      }
      case YAML::NodeType::Scalar: {
        OJson v = scalar_value(node);
        out_.scalars.push_back(ScalarRec{path, ptr, v, site, secret});
        return v;
      }
      case YAML::NodeType::Sequence: {
        OJson arr = OJson::array();
        const bool flow = site.in_flow || node.Style() == YAML::EmitterStyle::Flow;
        std::size_t i = 0;
        for (const YAML::Node& item : node) {
          Site child;
          YAML::Mark m = item.Mark();
          child.line = m.line >= 0 ? m.line + 1 : site.line;
          child.parent_indent = mark.column;
          child.in_flow = flow;
          child.alias = site.alias;
          arr.push_back(convert(item, index_path(path, i), ptr / i, child, secret, depth + 1));
          ++i;
        }
        return arr;
      }
      case YAML::NodeType::Map: {
        OJson obj = OJson::object();
        const bool flow = site.in_flow || node.Style() == YAML::EmitterStyle::Flow;
        std::map<std::string, int> first_line;
        for (const auto& kv : node) {
          const YAML::Node& key = kv.first;
          std::string name = key.IsScalar() ? key.Scalar() : key.IsNull() ? "null" : flow_text(key);
          YAML::Mark km = key.Mark();
          Site child;
          child.line = km.line >= 0 ? km.line + 1 : site.line;
          child.parent_indent = km.column;
          child.in_flow = flow;
          child.alias = site.alias;
          if (!key.IsNull() && km.pos >= 0) {
            auto kpos = static_cast<std::size_t>(km.pos);
            if (kpos < cursor_)
              child.alias = true;
            else
              cursor_ = kpos;
          }
          std::string child_p = child_path(path, name);
          auto [it, inserted] = first_line.emplace(name, child.line);
          bool child_secret = secret || is_secret_key(name);
          if (!inserted) {
            add_issue(child_p, child.line,
                      "duplicate key '" + name + "' (first defined on line " +
                          std::to_string(it->second) + ")");
            // Converted anyway so that its scalars are known (redaction must see them).
            convert(kv.second, child_p, ptr / name, child, child_secret, depth + 1);
            continue;
          }
          obj[name] = convert(kv.second, child_p, ptr / name, child, child_secret, depth + 1);
        }
        return obj;
      }
    }
    return nullptr;
  }

 private:
  static OJson scalar_value(const YAML::Node& node) {
    const std::string& tag = node.Tag();
    const std::string& s = node.Scalar();
    if (tag == "?" || tag.empty()) return resolve_plain(s);
    static const std::string kCore = "tag:yaml.org,2002:";
    if (tag == kCore + "int" || tag == kCore + "float" || tag == kCore + "bool" ||
        tag == kCore + "null")
      return resolve_plain(s);
    return s;  // "!" (quoted or block), !!str, and unknown tags stay strings
  }

  void add_issue(const std::string& path, int line, std::string message) {
    out_.issues.push_back(Issue{path, line, std::move(message)});
  }

  YamlDoc& out_;
  std::size_t bom_ = 0;
  std::size_t nodes_ = 0;
  std::size_t cursor_ = 0;
};

// Scalars that must be quoted so they read back as the same string.
bool needs_quotes(const std::string& s) {
  if (s.empty()) return true;
  if (!resolve_plain(s).is_string()) return true;
  std::string lower(s);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const char* const kYaml11[] = {"y",   "n",    "yes",   "no",    "on",
                                        "off", ".inf", "+.inf", "-.inf", ".nan"};
  for (const char* w : kYaml11)
    if (lower == w) return true;
  return false;
}

void emit_string(YAML::Emitter& e, const std::string& s) {
  if (needs_quotes(s)) e << YAML::DoubleQuoted;
  e << s;
}

void emit(YAML::Emitter& e, const OJson& j) {
  switch (j.type()) {
    case OJson::value_t::object:
      if (j.empty()) {
        e << YAML::Flow << YAML::BeginMap << YAML::EndMap;
        return;
      }
      e << YAML::BeginMap;
      for (const auto& [k, v] : j.items()) {
        e << YAML::Key;
        emit_string(e, k);
        e << YAML::Value;
        emit(e, v);
      }
      e << YAML::EndMap;
      return;
    case OJson::value_t::array:
      if (j.empty()) {
        e << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        return;
      }
      e << YAML::BeginSeq;
      for (const auto& v : j) emit(e, v);
      e << YAML::EndSeq;
      return;
    case OJson::value_t::string:
      emit_string(e, j.get_ref<const std::string&>());
      return;
    case OJson::value_t::boolean:
      e << (j.get<bool>() ? "true" : "false");
      return;
    case OJson::value_t::number_integer:
    case OJson::value_t::number_unsigned:
    case OJson::value_t::number_float:
      e << j.dump();
      return;
    default:
      e << YAML::Null;
      return;
  }
}

std::size_t line_end(std::string_view text, std::size_t pos) {
  std::size_t e = text.find('\n', pos);
  return e == std::string_view::npos ? text.size() : e;
}

// End of a plain scalar's content on the line [pos, le): before " #" and trailing blanks.
std::size_t plain_line_end(std::string_view text, std::size_t pos, std::size_t le) {
  std::size_t end = le;
  for (std::size_t i = pos; i < le; ++i) {
    if (text[i] == '#' && i > pos && (text[i - 1] == ' ' || text[i - 1] == '\t')) {
      end = i;
      break;
    }
  }
  while (end > pos && (text[end - 1] == ' ' || text[end - 1] == '\t' || text[end - 1] == '\r'))
    --end;
  return end;
}

struct LineInfo {
  std::size_t begin, end;  // [begin, end) without the newline
  int indent;              // leading spaces
  bool blank;              // only whitespace
  bool comment;            // first non-blank is '#'
};

LineInfo line_at(std::string_view text, std::size_t begin) {
  LineInfo li{begin, line_end(text, begin), 0, true, false};
  std::size_t i = begin;
  while (i < li.end && text[i] == ' ') ++i;
  li.indent = static_cast<int>(i - begin);
  for (std::size_t k = i; k < li.end; ++k) {
    if (text[k] != ' ' && text[k] != '\t' && text[k] != '\r') {
      li.blank = false;
      li.comment = text[k] == '#';
      break;
    }
  }
  return li;
}

}  // namespace

OJson resolve_plain(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'x')) {
    std::string_view digits(s.data() + 2, s.size() - 2);
    bool hex = s[1] == 'x';
    if (is_digits(digits, hex ? isxdigit : is_octal)) {
      unsigned long long u = 0;
      auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), u, hex ? 16 : 8);
      if (ec == std::errc() && p == digits.data() + digits.size()) {
        if (u <= static_cast<unsigned long long>(std::numeric_limits<long long>::max()))
          return OJson(static_cast<long long>(u));
        return OJson(u);
      }
    }
    return s;
  }
  if (auto i = parse_int(s)) return *i;
  if (auto f = parse_float(s)) return *f;
  return s;
}

std::string child_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

std::string index_path(const std::string& parent, std::size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

YamlDoc parse_yaml(std::string_view text) {
  YamlDoc out;
  try {
    // YAML is Unicode text; invalid bytes would reach the JSON dumper and valijson's
    // length checks, which both assume UTF-8.
    if (std::size_t bad = first_invalid_utf8(text); bad != std::string_view::npos) {
      int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + bad, '\n'));
      out.syntax_error = true;
      out.issues.push_back(Issue{"", line, "not valid UTF-8 text (save the file as UTF-8)"});
      return out;
    }
    std::string owned(text);
    if (std::optional<YAML::Mark> m = second_document(owned))
      out.issues.push_back(
          Issue{"", m->line >= 0 ? m->line + 1 : 0, "only one YAML document is allowed"});
    YAML::Node doc = YAML::Load(owned);
    if (doc.IsNull()) {
      out.doc = OJson::object();
      out.sites.emplace("", Site{});
      return out;
    }
    Converter conv(text, out);
    Site root;
    root.line = doc.Mark().line >= 0 ? doc.Mark().line + 1 : 0;
    out.doc = conv.convert(doc, "", OJson::json_pointer(), root, false, 0);
  } catch (const YAML::Exception& e) {
    out = YamlDoc{};
    out.syntax_error = true;
    out.issues.push_back(
        Issue{"", e.mark.line >= 0 ? e.mark.line + 1 : 0, "YAML syntax error: " + e.msg});
  } catch (const TooLarge&) {
    out = YamlDoc{};
    out.syntax_error = true;
    out.issues.push_back(Issue{
        "", 0,
        "document is too large (more than " + std::to_string(kMaxNodes) + " nodes after aliases)"});
  } catch (const std::exception& e) {
    out = YamlDoc{};
    out.syntax_error = true;
    out.issues.push_back(Issue{"", 0, std::string("cannot parse YAML: ") + e.what()});
  }
  return out;
}

int line_of(const YamlDoc& y, const std::string& path) {
  std::string p = path;
  while (true) {
    auto it = y.sites.find(p);
    if (it != y.sites.end()) return it->second.line;
    if (p.empty()) return 0;
    std::size_t cut = p.find_last_of(".[");
    p = cut == std::string::npos ? std::string() : p.substr(0, cut);
  }
}

std::string emit_yaml(const OJson& doc) {
  try {
    YAML::Emitter e;
    e.SetIndent(2);
    emit(e, doc);
    if (e.good()) {
      std::string out = e.c_str();
      if (out.empty() || out.back() != '\n') out += '\n';
      return out;
    }
  } catch (const std::exception&) {
  }
  // JSON is a YAML subset: always a correct (if less pretty) answer.
  return doc.dump(2, ' ', false, OJson::error_handler_t::replace) + "\n";
}

std::optional<Span> scalar_span(std::string_view text, const Site& site) {
  if (site.alias || site.value_pos == kNoPos || site.value_pos >= text.size()) return std::nullopt;
  std::size_t p = site.value_pos;
  // Skip a tag (!!str) and/or an anchor (&a) before the scalar itself.
  while (p < text.size() && (text[p] == '!' || text[p] == '&')) {
    while (p < text.size() && !std::isspace(static_cast<unsigned char>(text[p]))) ++p;
    while (p < text.size() && std::isspace(static_cast<unsigned char>(text[p]))) ++p;
  }
  if (p >= text.size()) return std::nullopt;
  const char c = text[p];
  Span span{p, p, 'p'};
  if (c == '"') {
    std::size_t i = p + 1;
    while (i < text.size() && text[i] != '"') i += text[i] == '\\' ? 2 : 1;
    if (i >= text.size()) return std::nullopt;
    span.end = i + 1;
    span.style = '"';
    return span;
  }
  if (c == '\'') {
    std::size_t i = p + 1;
    while (i < text.size()) {
      if (text[i] == '\'') {
        if (i + 1 < text.size() && text[i + 1] == '\'') {
          i += 2;
          continue;
        }
        break;
      }
      ++i;
    }
    if (i >= text.size()) return std::nullopt;
    span.end = i + 1;
    span.style = '\'';
    return span;
  }
  if (c == '|' || c == '>') {
    if (site.in_flow) return std::nullopt;
    span.style = c;
    span.end = line_end(text, p);
    std::size_t q = span.end + 1;
    while (q < text.size()) {
      LineInfo li = line_at(text, q);
      if (!li.blank && li.indent <= site.parent_indent) break;
      if (!li.blank) span.end = li.end;
      q = li.end + 1;
    }
    return span;
  }
  if (c == '{' || c == '[' || c == '*' || c == '#') return std::nullopt;
  // Plain scalar.
  std::size_t le = line_end(text, p);
  if (site.in_flow) {
    std::size_t i = p;
    while (i < le && text[i] != ',' && text[i] != ']' && text[i] != '}' &&
           !(text[i] == '#' && i > p && (text[i - 1] == ' ' || text[i - 1] == '\t')))
      ++i;
    while (i > p && (text[i - 1] == ' ' || text[i - 1] == '\t' || text[i - 1] == '\r')) --i;
    span.end = i;
    return span.end > span.begin ? std::optional<Span>(span) : std::nullopt;
  }
  span.end = plain_line_end(text, p, le);
  if (span.end < le) return span;  // a comment ends the scalar
  std::size_t q = le + 1;
  while (q < text.size()) {
    LineInfo li = line_at(text, q);
    if (li.blank) {
      q = li.end + 1;
      continue;
    }
    if (li.comment || li.indent <= site.parent_indent) break;
    std::size_t content = li.begin + static_cast<std::size_t>(li.indent);
    std::size_t e = plain_line_end(text, content, li.end);
    span.end = e;
    if (e < li.end) break;  // comment
    q = li.end + 1;
  }
  return span.end > span.begin ? std::optional<Span>(span) : std::nullopt;
}

bool apply_edits(std::string& text, std::vector<Edit> edits) {
  std::sort(edits.begin(), edits.end(),
            [](const Edit& a, const Edit& b) { return a.begin < b.begin; });
  for (std::size_t i = 0; i < edits.size(); ++i) {
    if (edits[i].end < edits[i].begin || edits[i].end > text.size()) return false;
    if (i > 0 && edits[i].begin < edits[i - 1].end) return false;
  }
  for (auto it = edits.rbegin(); it != edits.rend(); ++it)
    text.replace(it->begin, it->end - it->begin, it->text);
  return true;
}

}  // namespace detail

Json merge_patch(Json target, const Json& patch) {
  target.merge_patch(patch);
  return target;
}

std::string to_yaml(const Json& doc) { return detail::emit_yaml(detail::OJson(doc)); }

Result<Json> yaml_to_json(std::string_view text) {
  detail::YamlDoc y = detail::parse_yaml(text);
  if (!y.issues.empty()) return Error::invalid("invalid YAML: " + y.issues.front().to_string());
  return Json(y.doc);
}

}  // namespace simpleclaw::config
