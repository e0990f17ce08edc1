// Histogram: counts of observations in fixed buckets, for latency and size distributions
// exported as Prometheus histograms (server/metrics.h).
//
// Buckets are given by ascending upper bounds; an observation v lands in the first bucket whose
// bound is >= v, or in the overflow bucket above the last bound. Recording is lock-free (relaxed
// atomics): a snapshot taken while others record may see a count and a sum that disagree by the
// observations in flight, which Prometheus tolerates.
//
// Thread safety: Observe and Snap may be called concurrently.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace tessera {

class Histogram {
 public:
  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> counts;  // counts[i] for bounds[i]; counts.back(): above every bound
    double sum = 0;
    uint64_t count() const;
    // Adds `other`'s observations (REQUIRES, asserted: the same bounds; an empty snapshot, with
    // no bounds, takes other's).
    void Add(const Snapshot& other);
  };

  // REQUIRES (asserted): at least one bound, strictly ascending.
  explicit Histogram(std::vector<double> bounds);

  // Seconds, 100 µs to 10 s in 1-2.5-5 steps: request and fsync latencies.
  static std::vector<double> LatencyBounds();
  // 1, 2, 4, ..., 4096: batch sizes.
  static std::vector<double> SizeBounds();

  void Observe(double v);
  void ObserveNanos(int64_t nanos) { Observe(static_cast<double>(nanos) / 1e9); }
  Snapshot Snap() const;

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1
  std::atomic<double> sum_{0};
};

}  // namespace tessera
