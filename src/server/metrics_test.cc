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

TEST(RenderMetricsDeathTest, MalformedMetricsAreProgrammerErrors) {
  EXPECT_DEATH(RenderMetrics({{"1abc", "", MetricType::kGauge, int64_t{1}}}),
               "invalid metric name");
  EXPECT_DEATH(RenderMetrics({{"a-b", "", MetricType::kGauge, int64_t{1}}}), "invalid metric name");
  EXPECT_DEATH(RenderMetrics({{"syncs", "", MetricType::kCounter, uint64_t{1}}}), "_total");
  EXPECT_DEATH(RenderMetrics({{"a_total", "", MetricType::kCounter, int64_t{-1}}}), "negative");
  EXPECT_DEATH(RenderMetrics({{"g", "", MetricType::kGauge, int64_t{1}},
                              {"g", "", MetricType::kGauge, int64_t{2}}}),
               "twice");
}

}  // namespace
}  // namespace tessera::server
