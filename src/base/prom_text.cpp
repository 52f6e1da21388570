#include "base/prom_text.h"

#include <fmt/format.h>

#include <cmath>

namespace simpleclaw::prom {
namespace {

// HELP text escapes only `\` and newline (a `"` is literal there).
std::string escape_help(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

}  // namespace

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Counts up to 2^53 print exactly and without a fraction.
  if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0)
    return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{}", v);  // shortest text that reads back as the same double
}

void Writer::family(std::string_view name, std::string_view type, std::string_view help) {
  if (families_.find(name) != families_.end()) return;
  families_.emplace(name);
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += escape_help(help);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void Writer::labels_text(std::span<const Label> labels, const Label* extra) {
  if (labels.empty() && !extra) return;
  out_ += '{';
  bool first = true;
  auto one = [&](const Label& l) {
    if (!first) out_ += ',';
    first = false;
    out_ += l.first;
    out_ += "=\"";
    out_ += escape_label_value(l.second);
    out_ += '"';
  };
  for (const Label& l : labels) one(l);
  if (extra) one(*extra);
  out_ += '}';
}

void Writer::line(std::string_view name, std::string_view suffix, std::span<const Label> labels,
                  const Label* extra, double value) {
  out_ += name;
  out_ += suffix;
  labels_text(labels, extra);
  out_ += ' ';
  out_ += format_value(value);
  out_ += '\n';
}

void Writer::sample(std::string_view name, Labels labels, double value) {
  line(name, "", std::span<const Label>(labels.begin(), labels.size()), nullptr, value);
}

void Writer::counter(std::string_view name, std::string_view help, double value) {
  family(name, "counter", help);
  sample(name, {}, value);
}

void Writer::gauge(std::string_view name, std::string_view help, double value) {
  family(name, "gauge", help);
  sample(name, {}, value);
}

void Writer::histogram(std::string_view name, Labels labels, std::span<const double> bounds,
                       std::span<const std::uint64_t> counts, double sum) {
  std::span<const Label> ls(labels.begin(), labels.size());
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += i < counts.size() ? counts[i] : 0;
    std::string le = i < bounds.size() ? format_value(bounds[i]) : std::string("+Inf");
    Label extra{"le", le};
    line(name, "_bucket", ls, &extra, static_cast<double>(cumulative));
  }
  line(name, "_sum", ls, nullptr, sum);
  line(name, "_count", ls, nullptr, static_cast<double>(cumulative));
}

}  // namespace simpleclaw::prom
