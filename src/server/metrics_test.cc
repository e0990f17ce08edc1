// The Prometheus text rendering (metrics.h): the exact bytes of a page, the value formats, help
// escaping, and the assertions that catch a malformed metric.
#include "server/metrics.h"

#include <gtest/gtest.h>

#include <limits>

namespace tessera::server {
namespace {

TEST(RenderMetrics, ExactTextOfCountersAndGauges) {
  const std::vector<Metric> metrics = {
      {"tessera_node_log_syncs_total", "Raft log fsyncs.", MetricType::kCounter, uint64_t{42}},
      {"tessera_node_shards", "Replicas on this node.", MetricType::kGauge, int64_t{3}},
      {"tessera_node_wait_seconds_total", "Time waited.", MetricType::kCounter, 1.25},
  };
  EXPECT_EQ(RenderMetrics(metrics),
            "# HELP tessera_node_log_syncs_total Raft log fsyncs.\n"
            "# TYPE tessera_node_log_syncs_total counter\n"
            "tessera_node_log_syncs_total 42\n"
            "# HELP tessera_node_shards Replicas on this node.\n"
            "# TYPE tessera_node_shards gauge\n"
            "tessera_node_shards 3\n"
            "# HELP tessera_node_wait_seconds_total Time waited.\n"
            "# TYPE tessera_node_wait_seconds_total counter\n"
            "tessera_node_wait_seconds_total 1.25\n");
}

TEST(RenderMetrics, EmptyListIsAnEmptyPage) { EXPECT_EQ(RenderMetrics({}), ""); }

std::string ValueLine(Metric m) {
  const std::string page = RenderMetrics({m});
  const size_t last = page.rfind('\n', page.size() - 2);
  return page.substr(last + 1);
}

TEST(RenderMetrics, ValuesPrintExactly) {
  EXPECT_EQ(ValueLine({"a_total", "", MetricType::kCounter, std::numeric_limits<uint64_t>::max()}),
            "a_total 18446744073709551615\n");
  EXPECT_EQ(ValueLine({"g", "", MetricType::kGauge, int64_t{-7}}), "g -7\n");
  EXPECT_EQ(ValueLine({"g", "", MetricType::kGauge, 0.1}), "g 0.1\n");
  EXPECT_EQ(ValueLine({"g", "", MetricType::kGauge, 1.5e-9}), "g 1.5e-09\n");
  EXPECT_EQ(ValueLine({"g", "", MetricType::kGauge, std::numeric_limits<double>::quiet_NaN()}),
            "g NaN\n");
  EXPECT_EQ(ValueLine({"g", "", MetricType::kGauge, std::numeric_limits<double>::infinity()}),
            "g +Inf\n");
  EXPECT_EQ(ValueLine({"g", "", MetricType::kGauge, -std::numeric_limits<double>::infinity()}),
            "g -Inf\n");
}

TEST(RenderMetrics, HelpIsEscaped) {
  EXPECT_EQ(RenderMetrics({{"g", "a \\ b\nc \"d\"", MetricType::kGauge, int64_t{1}}}),
            "# HELP g a \\\\ b\\nc \"d\"\n"
            "# TYPE g gauge\n"
            "g 1\n");
}

TEST(RenderMetrics, ALabelledFamilyHasOneHeader) {
  const std::vector<Metric> metrics = {
      {"req_total", "Requests.", MetricType::kCounter, uint64_t{3}, {{"method", "get"}}},
      {"req_total", "Requests.", MetricType::kCounter, uint64_t{4}, {{"method", "put"}}},
      {"odd", "", MetricType::kGauge, int64_t{1}, {{"a", "x\\y\"z\nw"}, {"b", ""}}},
  };
  EXPECT_EQ(RenderMetrics(metrics),
            "# HELP req_total Requests.\n"
            "# TYPE req_total counter\n"
            "req_total{method=\"get\"} 3\n"
            "req_total{method=\"put\"} 4\n"
            "# HELP odd \n"
            "# TYPE odd gauge\n"
            "odd{a=\"x\\\\y\\\"z\\nw\",b=\"\"} 1\n");
}

TEST(RenderMetrics, HistogramsWriteCumulativeBucketsSumAndCount) {
  Histogram h({0.001, 0.01});
  for (double v : {0.0005, 0.002, 0.003, 5.0}) h.Observe(v);
  const std::vector<Metric> metrics = {
      {"lat_seconds", "Latency.", MetricType::kHistogram, h.Snap(), {{"method", "get"}}},
      {"sizes", "Sizes.", MetricType::kHistogram, Histogram({1}).Snap()},
  };
  EXPECT_EQ(RenderMetrics(metrics),
            "# HELP lat_seconds Latency.\n"
            "# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{method=\"get\",le=\"0.001\"} 1\n"
            "lat_seconds_bucket{method=\"get\",le=\"0.01\"} 3\n"
            "lat_seconds_bucket{method=\"get\",le=\"+Inf\"} 4\n"
            "lat_seconds_sum{method=\"get\"} 5.0055\n"
            "lat_seconds_count{method=\"get\"} 4\n"
            "# HELP sizes Sizes.\n"
            "# TYPE sizes histogram\n"
            "sizes_bucket{le=\"1\"} 0\n"
            "sizes_bucket{le=\"+Inf\"} 0\n"
            "sizes_sum 0\n"
            "sizes_count 0\n");
}

TEST(RenderMetricsDeathTest, MalformedMetricsAreProgrammerErrors) {
  EXPECT_DEATH(RenderMetrics({{"1abc", "", MetricType::kGauge, int64_t{1}}}),
               "invalid metric name");
  EXPECT_DEATH(RenderMetrics({{"a-b", "", MetricType::kGauge, int64_t{1}}}), "invalid metric name");
  EXPECT_DEATH(RenderMetrics({{"syncs", "", MetricType::kCounter, uint64_t{1}}}), "_total");
  EXPECT_DEATH(RenderMetrics({{"a_total", "", MetricType::kCounter, int64_t{-1}}}), "negative");
  EXPECT_DEATH(RenderMetrics({{"g", "", MetricType::kGauge, int64_t{1}},
                              {"g", "", MetricType::kGauge, int64_t{2}}}),
               "twice");
  // A family split by another metric, a label set repeated, a bad label, a histogram's value.
  EXPECT_DEATH(RenderMetrics({{"g", "", MetricType::kGauge, int64_t{1}, {{"a", "1"}}},
                              {"h", "", MetricType::kGauge, int64_t{1}},
                              {"g", "", MetricType::kGauge, int64_t{1}, {{"a", "2"}}}}),
               "twice");
  EXPECT_DEATH(RenderMetrics({{"g", "", MetricType::kGauge, int64_t{1}, {{"a", "1"}}},
                              {"g", "", MetricType::kGauge, int64_t{2}, {{"a", "1"}}}}),
               "twice");
  EXPECT_DEATH(RenderMetrics({{"g", "", MetricType::kGauge, int64_t{1}, {{"le", "1"}}}}),
               "invalid label name");
  EXPECT_DEATH(RenderMetrics({{"g", "", MetricType::kHistogram, int64_t{1}}}), "histogram");
  EXPECT_DEATH(RenderMetrics({{"g", "", MetricType::kGauge, Histogram({1}).Snap()}}), "histogram");
  EXPECT_DEATH(RenderMetrics({{"g_total", "", MetricType::kGauge, int64_t{1}, {{"a", "1"}}},
                              {"g_total", "", MetricType::kCounter, int64_t{1}, {{"a", "2"}}}}),
               "share help and type");
}

}  // namespace
}  // namespace tessera::server
