#include "core/metrics.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "core/error.h"

namespace prism {
namespace {

std::string render_labels(const Labels& labels) {
  std::string out;
  for (const auto& [k, v] : labels) {
    out += out.empty() ? "" : ",";
    out += k + "=\"" + escape_label_value(v) + "\"";
  }
  return out;
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// HELP text escapes only backslash and newline (exposition format 0.0.4).
std::string escape_help(const std::string& help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string with_extra_label(const std::string& labels, const std::string& extra) {
  return "{" + labels + (labels.empty() ? "" : ",") + extra + "}";
}

}  // namespace

std::string escape_label_value(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void MetricsRegistry::declare_counter(const std::string& name, const std::string& help) {
  std::lock_guard<std::mutex> lock(mutex_);
  families_.try_emplace(name, Family{Type::counter, help, {}, {}});
}

void MetricsRegistry::declare_gauge(const std::string& name, const std::string& help) {
  std::lock_guard<std::mutex> lock(mutex_);
  families_.try_emplace(name, Family{Type::gauge, help, {}, {}});
}

void MetricsRegistry::declare_histogram(const std::string& name, const std::string& help,
                                        std::vector<double> buckets) {
  std::lock_guard<std::mutex> lock(mutex_);
  families_.try_emplace(name, Family{Type::histogram, help, std::move(buckets), {}});
}

MetricsRegistry::Family& MetricsRegistry::family(const std::string& name, Type expected) {
  auto it = families_.find(name);
  if (it == families_.end()) throw Error("metric '" + name + "' used before it was declared");
  if (it->second.type != expected && !(expected == Type::counter && it->second.type == Type::gauge))
    throw Error("metric '" + name + "' used with the wrong type");
  return it->second;
}

void MetricsRegistry::add(const std::string& name, const Labels& labels, double value) {
  std::lock_guard<std::mutex> lock(mutex_);
  family(name, Type::counter).series[render_labels(labels)].value += value;
}

void MetricsRegistry::set(const std::string& name, const Labels& labels, double value) {
  std::lock_guard<std::mutex> lock(mutex_);
  family(name, Type::gauge).series[render_labels(labels)].value = value;
}

void MetricsRegistry::set_total(const std::string& name, const Labels& labels, double value) {
  std::lock_guard<std::mutex> lock(mutex_);
  family(name, Type::counter).series[render_labels(labels)].value = value;
}

void MetricsRegistry::observe(const std::string& name, const Labels& labels, double value) {
  std::lock_guard<std::mutex> lock(mutex_);
  Family& f = family(name, Type::histogram);
  Series& s = f.series[render_labels(labels)];
  if (s.bucket_counts.empty()) s.bucket_counts.assign(f.buckets.size(), 0);
  for (std::size_t i = 0; i < f.buckets.size(); ++i) {
    if (value <= f.buckets[i]) {
      s.bucket_counts[i] += 1;
      break;
    }
  }
  s.sum += value;
  s.count += 1;
}

void MetricsRegistry::set_histogram(const std::string& name, const Labels& labels,
                                    const std::vector<double>& bucket_counts, double above_last, double sum) {
  std::lock_guard<std::mutex> lock(mutex_);
  Family& f = family(name, Type::histogram);
  if (bucket_counts.size() != f.buckets.size()) throw Error("metric '" + name + "' mirrored with the wrong buckets");
  Series& s = f.series[render_labels(labels)];
  s.bucket_counts = bucket_counts;
  s.count = above_last;
  for (double c : bucket_counts) s.count += c;
  s.sum = sum;
}

std::string MetricsRegistry::render() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::ostringstream out;
  for (const auto& [name, f] : families_) {
    const char* type = f.type == Type::counter ? "counter" : f.type == Type::gauge ? "gauge" : "histogram";
    out << "# HELP " << name << " " << escape_help(f.help) << "\n# TYPE " << name << " " << type << "\n";
    for (const auto& [labels, s] : f.series) {
      if (f.type != Type::histogram) {
        out << name << (labels.empty() ? "" : "{" + labels + "}") << " " << number(s.value) << "\n";
        continue;
      }
      double cumulative = 0;
      for (std::size_t i = 0; i < f.buckets.size(); ++i) {
        cumulative += s.bucket_counts[i];
        out << name << "_bucket" << with_extra_label(labels, "le=\"" + number(f.buckets[i]) + "\"") << " "
            << number(cumulative) << "\n";
      }
      out << name << "_bucket" << with_extra_label(labels, "le=\"+Inf\"") << " " << number(s.count) << "\n";
      out << name << "_sum" << (labels.empty() ? "" : "{" + labels + "}") << " " << number(s.sum) << "\n";
      out << name << "_count" << (labels.empty() ? "" : "{" + labels + "}") << " " << number(s.count) << "\n";
    }
  }
  return out.str();
}

}  // namespace prism
