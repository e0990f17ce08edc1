// tso_bench: timestamps per second from PD's timestamp oracle (issue 6 target: at least
// 1,000,000/s to batched clients), against a running PD (bench/run_tso.sh starts one).
//
// Two kinds of client, each for --seconds with --threads threads:
//   direct   every thread asks PD for --batch timestamps per request (PdClient::GetTimestamps),
//            as a transaction layer that wants many at once would;
//   batcher  every thread asks for one timestamp at a time through one shared TimestampBatcher,
//            which folds the callers waiting at any moment into one request.
// Prints per mode: timestamps/s, requests/s, and latency percentiles of a thread's call.
// Checks as it goes that every thread's timestamps increase; exits 1 if one does not.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "pd/pd_client.h"
#include "pd/tso_batcher.h"

namespace tessera::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Totals {
  uint64_t timestamps = 0, requests = 0;
  std::vector<double> latencies_us;
  bool monotonic = true;
};

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
  return v[i];
}

// Runs `call` (returns the timestamps it got and the last one, or 0 on error) on `threads`
// threads for `seconds`.
template <typename Call>
Totals Run(int threads, double seconds, Call call) {
  std::vector<Totals> per(static_cast<size_t>(threads));
  std::atomic<bool> stop{false};
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      Totals& me = per[static_cast<size_t>(t)];
      uint64_t last = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        const auto start = Clock::now();
        auto [count, ts_last, first] = call();
        me.latencies_us.push_back(
            std::chrono::duration<double, std::micro>(Clock::now() - start).count());
        if (count == 0) continue;
        if (first <= last) me.monotonic = false;
        last = ts_last;
        me.timestamps += count;
        ++me.requests;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : ts) t.join();
  Totals all;
  for (auto& p : per) {
    all.timestamps += p.timestamps;
    all.requests += p.requests;
    all.monotonic = all.monotonic && p.monotonic;
    all.latencies_us.insert(all.latencies_us.end(), p.latencies_us.begin(), p.latencies_us.end());
  }
  return all;
}

void Print(const char* mode, int threads, uint32_t batch, double seconds, Totals& t,
           uint64_t pd_requests) {
  std::printf(
      "%-8s threads=%-3d batch=%-5u timestamps/s=%.0f calls/s=%.0f pd_requests/s=%.0f "
      "p50_us=%.0f p99_us=%.0f monotonic=%s\n",
      mode, threads, batch, static_cast<double>(t.timestamps) / seconds,
      static_cast<double>(t.requests) / seconds, static_cast<double>(pd_requests) / seconds,
      Percentile(t.latencies_us, 0.5), Percentile(t.latencies_us, 0.99),
      t.monotonic ? "yes" : "NO");
  std::fflush(stdout);
}

}  // namespace
}  // namespace tessera::bench

int main(int argc, char** argv) {
  using namespace tessera;
  CLI::App app{"Timestamps per second from PD's timestamp oracle"};
  std::string endpoints = "127.0.0.1:2379";
  std::vector<int> threads = {1, 4, 16};
  uint32_t batch = 1000;
  double seconds = 5;
  std::string modes = "direct,batcher";
  app.add_option("--pd", endpoints, "PD members, host:port,...");
  app.add_option("--threads", threads, "thread counts to run, e.g. 1 4 16");
  app.add_option("--batch", batch, "timestamps per request in direct mode")
      ->check(CLI::Range(1u, 262143u));
  app.add_option("--seconds", seconds, "seconds per run")->check(CLI::PositiveNumber);
  app.add_option("--modes", modes, "direct,batcher");
  CLI11_PARSE(app, argc, argv);

  pd::PdClientOptions co;
  co.endpoints = pd::SplitEndpoints(endpoints);
  pd::PdClient client(co);
  if (auto warm = client.GetTimestamps(1); !warm.ok()) {
    std::fprintf(stderr, "PD at %s does not answer: %s\n", endpoints.c_str(),
                 warm.status().ToString().c_str());
    return 1;
  }
  bool ok = true;
  for (int n : threads) {
    if (modes.find("direct") != std::string::npos) {
      auto t = bench::Run(n, seconds, [&] {
        auto first = client.GetTimestamps(batch);
        if (!first.ok()) return std::tuple<uint64_t, uint64_t, uint64_t>{0, 0, 0};
        return std::tuple<uint64_t, uint64_t, uint64_t>{batch, *first + batch - 1, *first};
      });
      bench::Print("direct", n, batch, seconds, t, t.requests);
      ok = ok && t.monotonic;
    }
    if (modes.find("batcher") != std::string::npos) {
      pd::TimestampBatcher batcher(&client);
      auto t = bench::Run(n, seconds, [&] {
        auto ts = batcher.Get();
        if (!ts.ok()) return std::tuple<uint64_t, uint64_t, uint64_t>{0, 0, 0};
        return std::tuple<uint64_t, uint64_t, uint64_t>{1, *ts, *ts};
      });
      bench::Print("batcher", n, 1, seconds, t, batcher.requests());
      ok = ok && t.monotonic;
    }
  }
  return ok ? 0 : 1;
}
