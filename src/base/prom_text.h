// PromText: a small writer for the Prometheus text exposition format (version 0.0.4),
// the one renderer behind GET /metrics (the gateway's and the channel manager's
// families). It writes `# HELP` / `# TYPE` once per family, escapes HELP text (`\`,
// newline) and label values (`\`, `"`, newline), and renders histograms as cumulative
// `_bucket{le="..."}` lines ending in `le="+Inf"`, then `_sum` and `_count`.
//
// Callers keep each family's samples together (the format requires it): declare the
// family, write its samples, move on. Declaring a family again is a no-op, so two parts
// of the program cannot emit the header twice. Not thread-safe; build one per scrape.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace simpleclaw::prom {

using Label = std::pair<std::string_view, std::string_view>;
using Labels = std::initializer_list<Label>;

// `\` -> `\\`, `"` -> `\"`, newline -> `\n` (the label value rules of the text format).
std::string escape_label_value(std::string_view v);
// A sample value: integers without a fraction, +Inf/-Inf/NaN spelled as Prometheus does.
std::string format_value(double v);

class Writer {
 public:
  // Writes HELP and TYPE ("counter" | "gauge" | "histogram") for `name`, once.
  void family(std::string_view name, std::string_view type, std::string_view help);
  // One sample line: name{labels} value. `name` may carry a suffix (_bucket, _sum, ...).
  void sample(std::string_view name, Labels labels, double value);

  // Shorthands: a family with a single unlabelled sample.
  void counter(std::string_view name, std::string_view help, double value);
  void gauge(std::string_view name, std::string_view help, double value);

  // The samples of one histogram series. `bounds` are the upper bounds, ascending;
  // `counts[i]` is the number of observations in bucket i alone (not cumulative), with
  // counts.size() == bounds.size() + 1 (the last is above every bound). The family must
  // have been declared with type "histogram".
  void histogram(std::string_view name, Labels labels, std::span<const double> bounds,
                 std::span<const std::uint64_t> counts, double sum);

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void labels_text(std::span<const Label> labels, const Label* extra);
  void line(std::string_view name, std::string_view suffix, std::span<const Label> labels,
            const Label* extra, double value);
  std::string out_;
  std::set<std::string, std::less<>> families_;
};

}  // namespace simpleclaw::prom
