// A small Prometheus metrics registry: counters, gauges and histograms with
// labels, rendered in the Prometheus text exposition format (version 0.0.4).
// Families are declared once with their help text; samples are keyed by their
// label set. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace prism {

using Labels = std::vector<std::pair<std::string, std::string>>;

class MetricsRegistry {
 public:
  void declare_counter(const std::string& name, const std::string& help);
  void declare_gauge(const std::string& name, const std::string& help);
  void declare_histogram(const std::string& name, const std::string& help, std::vector<double> buckets);

  void add(const std::string& name, const Labels& labels, double value = 1.0);  // counter or gauge
  void set(const std::string& name, const Labels& labels, double value);        // gauge
  // A counter mirrored from a component that keeps its own running total.
  void set_total(const std::string& name, const Labels& labels, double value);
  void observe(const std::string& name, const Labels& labels, double value);    // histogram
  // A histogram mirrored from a component that keeps its own counts: one
  // count per declared bound (not cumulative), plus those above the last.
  void set_histogram(const std::string& name, const Labels& labels, const std::vector<double>& bucket_counts,
                     double above_last, double sum);

  std::string render() const;

 private:
  enum class Type { counter, gauge, histogram };
  struct Series {
    double value = 0;                 // counter / gauge
    std::vector<double> bucket_counts;  // histogram, per upper bound (cumulative at render)
    double sum = 0;
    double count = 0;
  };
  struct Family {
    Type type;
    std::string help;
    std::vector<double> buckets;
    std::map<std::string, Series> series;  // by rendered label set
  };
  Family& family(const std::string& name, Type expected);

  mutable std::mutex mutex_;
  std::map<std::string, Family> families_;
};

// Escapes a label value for the exposition format.
std::string escape_label_value(const std::string& value);

}  // namespace prism
