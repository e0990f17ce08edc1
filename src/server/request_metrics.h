// RequestMetrics: per-kind request counts, errors and latency histograms for an API or a front
// door (the native API's methods, Redis commands, etcd RPCs), exported on /metrics as
//
//   <prefix>_requests_total{<label>="<kind>"}   counter
//   <prefix>_errors_total{<label>="<kind>"}     counter (requests answered with an error)
//   <prefix>_request_seconds{<label>="<kind>"}  histogram (Histogram::LatencyBounds)
//
// The kinds are fixed at construction (a kind not in the list is counted as "other"), so
// recording takes no lock. Kinds never requested are left off the page.
//
// Thread safety: Record and AppendTo may be called concurrently.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/histogram.h"
#include "server/metrics.h"

namespace tessera::server {

class RequestMetrics {
 public:
  // `prefix` and `label` must outlive the metrics pages (string literals in practice).
  RequestMetrics(std::string_view prefix, std::string_view label, std::string_view what,
                 const std::vector<std::string>& kinds);

  void Record(std::string_view kind, std::chrono::nanoseconds latency, bool error);
  // The three families above, kinds in name order.
  void AppendTo(std::vector<Metric>* out) const;

 private:
  struct Kind {
    std::atomic<uint64_t> errors{0};
    Histogram latency{Histogram::LatencyBounds()};
  };
  Kind& Find(std::string_view kind);

  std::string requests_name_, errors_name_, seconds_name_;
  std::string requests_help_, errors_help_, seconds_help_;
  std::string_view label_;
  std::map<std::string, std::unique_ptr<Kind>, std::less<>> kinds_;  // immutable after construction
};

}  // namespace tessera::server
