#include "server/request_metrics.h"

namespace tessera::server {

RequestMetrics::RequestMetrics(std::string_view prefix, std::string_view label,
                               std::string_view what, const std::vector<std::string>& kinds)
    : requests_name_(std::string(prefix) + "_requests_total"),
      errors_name_(std::string(prefix) + "_errors_total"),
      seconds_name_(std::string(prefix) + "_request_seconds"),
      requests_help_(std::string(what) + " handled, by " + std::string(label) + "."),
      errors_help_(std::string(what) + " answered with an error, by " + std::string(label) + "."),
      seconds_help_("Latency of " + std::string(what) + ", seconds, by " + std::string(label) +
                    "."),
      label_(label) {
  for (const std::string& k : kinds) kinds_.emplace(k, std::make_unique<Kind>());
  kinds_.emplace("other", std::make_unique<Kind>());
}

RequestMetrics::Kind& RequestMetrics::Find(std::string_view kind) {
  auto it = kinds_.find(kind);
  if (it == kinds_.end()) it = kinds_.find("other");
  return *it->second;
}

void RequestMetrics::Record(std::string_view kind, std::chrono::nanoseconds latency, bool error) {
  Kind& k = Find(kind);
  if (error) k.errors.fetch_add(1, std::memory_order_relaxed);
  k.latency.ObserveNanos(latency.count());
}

void RequestMetrics::AppendTo(std::vector<Metric>* out) const {
  struct Seen {
    const std::string* name;
    const Kind* kind;
    Histogram::Snapshot latency;
  };
  std::vector<Seen> seen;
  for (const auto& [name, k] : kinds_) {
    Histogram::Snapshot s = k->latency.Snap();
    if (s.count() > 0) seen.push_back({&name, k.get(), std::move(s)});
  }
  for (const Seen& s : seen) {
    out->push_back({requests_name_,
                    requests_help_,
                    MetricType::kCounter,
                    s.latency.count(),
                    {{label_, *s.name}}});
  }
  for (const Seen& s : seen) {
    out->push_back({errors_name_,
                    errors_help_,
                    MetricType::kCounter,
                    s.kind->errors.load(std::memory_order_relaxed),
                    {{label_, *s.name}}});
  }
  for (Seen& s : seen) {
    out->push_back({seconds_name_,
                    seconds_help_,
                    MetricType::kHistogram,
                    std::move(s.latency),
                    {{label_, *s.name}}});
  }
}

}  // namespace tessera::server
