// The Prometheus text writer behind /metrics: headers once per family, label escaping,
// cumulative histogram buckets. (The integration test parses the real /metrics output
// with prometheus_client; these pin the details a parser would only half notice.)
#include "base/prom_text.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>

namespace simpleclaw::prom {
namespace {

TEST(PromText, LabelValuesEscapeBackslashQuoteAndNewline) {
  EXPECT_EQ(escape_label_value(R"(a\b"c)"
                               "\nd"),
            R"(a\\b\"c\nd)");
  EXPECT_EQ(escape_label_value("plain"), "plain");
  Writer w;
  w.family("x_total", "counter", "help");
  w.sample("x_total", {{"path", "C:\\tmp"}, {"msg", "say \"hi\"\nbye"}}, 3);
  EXPECT_EQ(w.text(),
            "# HELP x_total help\n# TYPE x_total counter\n"
            "x_total{path=\"C:\\\\tmp\",msg=\"say \\\"hi\\\"\\nbye\"} 3\n");
}

TEST(PromText, HelpTextEscapesBackslashAndNewlineButNotQuotes) {
  Writer w;
  w.gauge("g", "line one\nsaid \"two\" \\ three", 1);
  EXPECT_EQ(w.text(), "# HELP g line one\\nsaid \"two\" \\\\ three\n# TYPE g gauge\ng 1\n");
}

TEST(PromText, FamilyHeadersAreWrittenOnce) {
  Writer w;
  w.family("rpc_total", "counter", "RPCs");
  w.sample("rpc_total", {{"method", "health"}}, 1);
  w.family("rpc_total", "counter", "RPCs");  // a second declaration is a no-op
  w.sample("rpc_total", {{"method", "status"}}, 2);
  const std::string& t = w.text();
  EXPECT_EQ(t.find("# TYPE rpc_total"), t.rfind("# TYPE rpc_total")) << t;
  EXPECT_EQ(t.find("# HELP rpc_total"), t.rfind("# HELP rpc_total")) << t;
  EXPECT_NE(t.find("rpc_total{method=\"status\"} 2\n"), std::string::npos) << t;
}

TEST(PromText, HistogramBucketsAreCumulativeAndEndAtInf) {
  Writer w;
  w.family("lat_seconds", "histogram", "latency");
  const std::array<double, 3> bounds{0.001, 0.01, 0.1};
  // 2 in (.. 1ms], 0 in (1ms, 10ms], 3 in (10ms, 100ms], 1 above.
  const std::array<std::uint64_t, 4> counts{2, 0, 3, 1};
  w.histogram("lat_seconds", {{"method", "chat.send"}}, bounds, counts, 0.75);
  EXPECT_EQ(w.text(),
            "# HELP lat_seconds latency\n# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{method=\"chat.send\",le=\"0.001\"} 2\n"
            "lat_seconds_bucket{method=\"chat.send\",le=\"0.01\"} 2\n"
            "lat_seconds_bucket{method=\"chat.send\",le=\"0.1\"} 5\n"
            "lat_seconds_bucket{method=\"chat.send\",le=\"+Inf\"} 6\n"
            "lat_seconds_sum{method=\"chat.send\"} 0.75\n"
            "lat_seconds_count{method=\"chat.send\"} 6\n");
}

TEST(PromText, HistogramWithoutLabelsStillCarriesLe) {
  Writer w;
  w.family("h", "histogram", "h");
  const std::array<double, 1> bounds{0.5};
  const std::array<std::uint64_t, 2> counts{0, 0};
  w.histogram("h", {}, bounds, counts, 0);
  EXPECT_NE(w.text().find("h_bucket{le=\"0.5\"} 0\nh_bucket{le=\"+Inf\"} 0\nh_sum 0\nh_count 0\n"),
            std::string::npos)
      << w.text();
}

TEST(PromText, ValuesUsePrometheusSpellings) {
  EXPECT_EQ(format_value(42), "42");
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::nan("")), "NaN");
}

}  // namespace
}  // namespace simpleclaw::prom
