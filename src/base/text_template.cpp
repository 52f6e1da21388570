#include "base/text_template.h"

#include <charconv>
#include <vector>

#include "base/utf8.h"

namespace simpleclaw {
namespace {

constexpr std::string_view kOpen = "{{";
constexpr std::string_view kClose = "}}";

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "a.b.0" -> {"a", "b", "0"}; empty segments are kept (check_template refuses them).
std::vector<std::string_view> path_segments(std::string_view path) {
  std::vector<std::string_view> out;
  for (std::size_t pos = 0;;) {
    std::size_t dot = path.find('.', pos);
    out.push_back(path.substr(pos, dot == std::string_view::npos ? dot : dot - pos));
    if (dot == std::string_view::npos || out.size() > kTemplateMaxDepth) break;
    pos = dot + 1;
  }
  return out;
}

const Json* template_walk(const Json& context, std::string_view path) {
  const Json* v = &context;
  for (std::string_view seg : path_segments(path)) {
    if (v->is_object()) {
      auto it = v->find(std::string(seg));
      if (it == v->end()) return nullptr;
      v = &*it;
    } else if (v->is_array()) {
      std::size_t i = 0;
      auto [end, ec] = std::from_chars(seg.data(), seg.data() + seg.size(), i);
      if (seg.empty() || ec != std::errc() || end != seg.data() + seg.size() || i >= v->size())
        return nullptr;
      v = &(*v)[i];
    } else {
      return nullptr;
    }
  }
  return v;
}

void append_value(std::string& out, const Json& v) {
  if (v.is_string()) {
    out += v.get_ref<const std::string&>();
  } else if (!v.is_null()) {
    // Replace, not throw, on bad UTF-8 (a body parsed from JSON text is valid anyway).
    out += v.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
}

}  // namespace

Status check_template(std::string_view tmpl, std::initializer_list<std::string_view> roots) {
  for (std::size_t pos = 0;;) {
    std::size_t open = tmpl.find(kOpen, pos);
    if (open == std::string_view::npos) return Ok{};
    std::size_t close = tmpl.find(kClose, open + kOpen.size());
    if (close == std::string_view::npos)
      return Error::invalid("placeholder at byte " + std::to_string(open) +
                            " is not closed with }}");
    std::string_view path = trim_blanks(tmpl.substr(open + 2, close - open - 2));
    std::vector<std::string_view> segs = path_segments(path);
    std::string what = "{{" + std::string(path) + "}}";
    if (segs.size() > kTemplateMaxDepth)
      return Error::invalid(what + " has more than " + std::to_string(kTemplateMaxDepth) +
                            " path segments");
    for (std::string_view s : segs)
      if (s.empty() || s.find_first_of(" \t{}") != std::string_view::npos)
        return Error::invalid(what + " is not a dotted path (like body.repository.name)");
    bool known = false;
    std::string allowed;
    for (std::string_view r : roots) {
      known = known || segs.front() == r;
      allowed += (allowed.empty() ? "" : ", ") + std::string(r);
    }
    if (!known) return Error::invalid(what + " must start with one of: " + allowed);
    pos = close + kClose.size();
  }
}

std::string render_template(std::string_view tmpl, const Json& context, std::size_t max_bytes) {
  std::string out;
  for (std::size_t pos = 0; pos < tmpl.size() && out.size() <= max_bytes;) {
    std::size_t open = tmpl.find(kOpen, pos);
    std::size_t close =
        open == std::string_view::npos ? open : tmpl.find(kClose, open + kOpen.size());
    if (close == std::string_view::npos) {  // no (closed) placeholder left: the rest is text
      out.append(tmpl.substr(pos));
      break;
    }
    out.append(tmpl.substr(pos, open - pos));
    std::string_view path = trim_blanks(tmpl.substr(open + 2, close - open - 2));
    if (const Json* v = template_walk(context, path)) append_value(out, *v);
    pos = close + kClose.size();
  }
  if (out.size() > max_bytes) out.resize(utf8_prefix(out, max_bytes).size());
  return out;
}

}  // namespace simpleclaw
