// Prometheus text exposition (format 0.0.4) of the metrics registry: HELP and
// TYPE lines, label escaping, cumulative histogram buckets with +Inf, _sum
// and _count.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/metrics.h"

namespace prism {
namespace {

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

bool has_line(const std::string& text, const std::string& line) {
  for (const auto& l : lines(text)) {
    if (l == line) return true;
  }
  return false;
}

TEST(Metrics, CounterWithHelpTypeAndLabels) {
  MetricsRegistry m;
  m.declare_counter("prism_requests_total", "Chat requests by model and route.");
  m.add("prism_requests_total", {{"model", "gpt-4o"}, {"route", "router"}});
  m.add("prism_requests_total", {{"model", "gpt-4o"}, {"route", "router"}}, 2);
  m.add("prism_requests_total", {{"model", "tiny"}, {"route", "direct"}});
  const std::string text = m.render();
  const auto l = lines(text);
  ASSERT_GE(l.size(), 4u);
  EXPECT_EQ(l[0], "# HELP prism_requests_total Chat requests by model and route.");
  EXPECT_EQ(l[1], "# TYPE prism_requests_total counter");
  EXPECT_TRUE(has_line(text, "prism_requests_total{model=\"gpt-4o\",route=\"router\"} 3")) << text;
  EXPECT_TRUE(has_line(text, "prism_requests_total{model=\"tiny\",route=\"direct\"} 1")) << text;
  EXPECT_EQ(text.back(), '\n');
}

TEST(Metrics, UnlabelledSamplesHaveNoBraces) {
  MetricsRegistry m;
  m.declare_gauge("prism_in_flight", "Requests in progress.");
  m.set("prism_in_flight", {}, 4);
  m.add("prism_in_flight", {}, -1);
  const std::string text = m.render();
  EXPECT_TRUE(has_line(text, "# TYPE prism_in_flight gauge")) << text;
  EXPECT_TRUE(has_line(text, "prism_in_flight 3")) << text;
}

TEST(Metrics, DeclaredFamilyWithoutSamplesStillHasHelpAndType) {
  MetricsRegistry m;
  m.declare_counter("prism_errors_total", "Errors.");
  EXPECT_EQ(m.render(), "# HELP prism_errors_total Errors.\n# TYPE prism_errors_total counter\n");
}

TEST(Metrics, LabelValuesAreEscaped) {
  EXPECT_EQ(escape_label_value("plain"), "plain");
  EXPECT_EQ(escape_label_value("a\"b"), "a\\\"b");
  EXPECT_EQ(escape_label_value("a\\b"), "a\\\\b");
  EXPECT_EQ(escape_label_value("a\nb"), "a\\nb");
  EXPECT_EQ(escape_label_value("\\\"\n"), "\\\\\\\"\\n");

  MetricsRegistry m;
  m.declare_counter("c", "h");
  m.add("c", {{"model", "we\"ird\\name\n"}});
  EXPECT_TRUE(has_line(m.render(), "c{model=\"we\\\"ird\\\\name\\n\"} 1")) << m.render();
}

TEST(Metrics, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  MetricsRegistry m;
  m.declare_histogram("prism_latency_seconds", "Total request time.", {0.5, 1, 2.5});
  const Labels labels = {{"model", "m"}};
  for (double v : {0.25, 0.5, 0.75, 2.0, 10.0}) m.observe("prism_latency_seconds", labels, v);
  const std::string text = m.render();
  const std::vector<std::string> expected = {
      "# HELP prism_latency_seconds Total request time.",
      "# TYPE prism_latency_seconds histogram",
      "prism_latency_seconds_bucket{model=\"m\",le=\"0.5\"} 2",  // 0.25, 0.5 (le is inclusive)
      "prism_latency_seconds_bucket{model=\"m\",le=\"1\"} 3",
      "prism_latency_seconds_bucket{model=\"m\",le=\"2.5\"} 4",
      "prism_latency_seconds_bucket{model=\"m\",le=\"+Inf\"} 5",
      "prism_latency_seconds_sum{model=\"m\"} 13.5",
      "prism_latency_seconds_count{model=\"m\"} 5",
  };
  EXPECT_EQ(lines(text), expected) << text;
}

TEST(Metrics, UnlabelledHistogram) {
  MetricsRegistry m;
  m.declare_histogram("h", "x", {1});
  m.observe("h", {}, 3);
  const std::vector<std::string> expected = {"# HELP h x", "# TYPE h histogram", "h_bucket{le=\"1\"} 0",
                                             "h_bucket{le=\"+Inf\"} 1", "h_sum 3", "h_count 1"};
  EXPECT_EQ(lines(m.render()), expected) << m.render();
}

TEST(Metrics, MirroredHistogramRendersLikeAnObservedOne) {
  MetricsRegistry observed, mirrored;
  for (auto* m : {&observed, &mirrored}) m->declare_histogram("h", "x", {1, 2, 4});
  for (double v : {1.0, 1.0, 3.0, 9.0}) observed.observe("h", {{"model", "m"}}, v);
  mirrored.set_histogram("h", {{"model", "m"}}, {2, 0, 1}, 1, 14);
  EXPECT_EQ(mirrored.render(), observed.render());
  mirrored.set_histogram("h", {{"model", "m"}}, {3, 0, 1}, 1, 15);  // a later mirror replaces the counts
  EXPECT_TRUE(has_line(mirrored.render(), "h_count{model=\"m\"} 5")) << mirrored.render();
  EXPECT_THROW(mirrored.set_histogram("h", {}, {1, 2}, 0, 0), Error);
}

TEST(Metrics, FamiliesAreRenderedOnceEach) {
  MetricsRegistry m;
  m.declare_counter("b_total", "B.");
  m.declare_counter("a_total", "A.");
  m.declare_counter("a_total", "declared twice: the first help stays");
  m.add("a_total", {{"x", "1"}});
  m.add("a_total", {{"x", "2"}});
  m.add("b_total", {});
  const std::string text = m.render();
  int type_lines = 0;
  for (const auto& l : lines(text)) type_lines += l.rfind("# TYPE ", 0) == 0;
  EXPECT_EQ(type_lines, 2);
  EXPECT_TRUE(has_line(text, "# HELP a_total A.")) << text;
  // Samples follow their own family's TYPE line.
  EXPECT_LT(text.find("# TYPE a_total"), text.find("a_total{x=\"1\"}"));
  EXPECT_LT(text.find("a_total{x=\"2\"}"), text.find("# TYPE b_total"));
}

TEST(Metrics, MisuseIsAnError) {
  MetricsRegistry m;
  m.declare_counter("c", "h");
  m.declare_histogram("h", "h", {1});
  EXPECT_THROW(m.add("undeclared", {}), Error);
  EXPECT_THROW(m.observe("c", {}, 1), Error);
  EXPECT_THROW(m.set("c", {}, 1), Error);
  EXPECT_THROW(m.add("h", {}), Error);
}

TEST(Metrics, HelpTextIsEscaped) {
  MetricsRegistry m;
  m.declare_counter("c", "line one\nline two \\ backslash");
  const std::string text = m.render();
  EXPECT_TRUE(has_line(text, "# HELP c line one\\nline two \\\\ backslash")) << text;
  EXPECT_EQ(lines(text).size(), 2u);
}

}  // namespace
}  // namespace prism
