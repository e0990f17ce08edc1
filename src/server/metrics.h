// Metrics in the Prometheus text exposition format (version 0.0.4), for a node's /metrics page
// (status_http.h; the metrics themselves are listed in docs/observability.md).
//
// There is no registry: whoever serves the page gathers the values from the counters the parts
// of the server already keep, into a list of Metric, and renders it. A metric renders as
//
//   # HELP <name> <help, with '\' and newline escaped as \\ and \n>
//   # TYPE <name> counter|gauge|histogram
//   <name>{<labels>} <value>
//
// (every line ends with a newline; no braces without labels). Several Metric of one name are one
// family: they must be consecutive, share help and type, and differ in their labels; HELP and
// TYPE are written once. A histogram writes <name>_bucket{...,le="<bound>"} lines (cumulative
// counts, ending with le="+Inf"), then <name>_sum and <name>_count. Values print exactly:
// integers in decimal, doubles in the shortest form that reads back to the same double ("NaN",
// "+Inf" and "-Inf" as the format spells them). Label values escape '\', '"' and newline.
//
// Thread safety: RenderMetrics is a pure function.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/histogram.h"

namespace tessera::server {

enum class MetricType {
  kCounter,    // only grows (from 0 when the process starts); the name ends in "_total"
  kGauge,      // a value now, may go up and down
  kHistogram,  // a distribution (Histogram::Snapshot); the name does not end in "_total"
};

struct Label {
  std::string_view name;  // [a-zA-Z_][a-zA-Z0-9_]*, not "le"
  std::string value;
};

struct Metric {
  // [a-zA-Z_:][a-zA-Z0-9_:]*; a family's samples are consecutive. The views must outlive the
  // rendering (string literals in practice).
  std::string_view name;
  std::string_view help;  // one line of prose; any text is escaped
  MetricType type = MetricType::kGauge;
  std::variant<uint64_t, int64_t, double, Histogram::Snapshot> value = uint64_t{0};
  std::vector<Label> labels;  // this sample's, in the order given
};

// The page: every metric in the order given.
// REQUIRES (asserted: a broken one is a programmer error): valid names, each family consecutive
// with one type; counters named "..._total" with a value that is not negative; histograms (and
// only they) with a Histogram::Snapshot value.
std::string RenderMetrics(const std::vector<Metric>& metrics);

}  // namespace tessera::server
