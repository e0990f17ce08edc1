// Metrics in the Prometheus text exposition format (version 0.0.4), for a node's /metrics page
// (status_http.h; the metrics themselves are listed in docs/observability.md).
//
// There is no registry: whoever serves the page gathers the values from the counters the parts
// of the server already keep, into a list of Metric, and renders it. Each metric renders as
//
//   # HELP <name> <help, with '\' and newline escaped as \\ and \n>
//   # TYPE <name> counter|gauge
//   <name> <value>
//
// (every line ends with a newline). Values print exactly: integers in decimal, doubles in the
// shortest form that reads back to the same double ("NaN", "+Inf" and "-Inf" as the format
// spells them). No labels: every metric is one number for the whole node.
//
// Thread safety: RenderMetrics is a pure function.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tessera::server {

enum class MetricType {
  kCounter,  // only grows (from 0 when the process starts); the name ends in "_total"
  kGauge,    // a value now, may go up and down
};

struct Metric {
  // [a-zA-Z_:][a-zA-Z0-9_:]*, unique in one rendering. The views must outlive the rendering
  // (string literals in practice).
  std::string_view name;
  std::string_view help;  // one line of prose; any text is escaped
  MetricType type = MetricType::kGauge;
  std::variant<uint64_t, int64_t, double> value = uint64_t{0};
};

// The page: every metric in the order given.
// REQUIRES (asserted: a broken one is a programmer error): valid, unique names; counters named
// "..._total" with a value that is not negative.
std::string RenderMetrics(const std::vector<Metric>& metrics);

}  // namespace tessera::server
