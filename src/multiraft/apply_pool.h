// ApplyPool: the threads that apply committed entries off the worker threads (architecture.md,
// "Performance design"; tikv's apply batch system).
//
// A worker hands each round's committed writes to its lane (lane = worker index modulo the
// number of lanes) and goes on with its next round: the apply of round n overlaps the log write
// and fsync of round n + 1. Jobs of one lane run in the order submitted, so a replica's entries
// are applied in log order (a replica belongs to one worker, a worker to one lane).
//
// Once Start()ed, one thread per lane runs the jobs. Until then (polled mode: the deterministic
// simulator) no thread runs: jobs wait until RunPending() or Flush() runs them on the calling
// thread, so that a simulated run still sees the apply lag behind the log and still replays from
// its seed.
//
// Thread safety: Submit, Flush and Stop are thread-safe; Start is called once, before any job is
// submitted from another thread; RunPending is for polled mode only.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace tessera::multiraft {

class ApplyPool {
 public:
  // `lanes` >= 1.
  explicit ApplyPool(int lanes);
  ~ApplyPool();  // Stop()
  ApplyPool(const ApplyPool&) = delete;
  ApplyPool& operator=(const ApplyPool&) = delete;

  int lanes() const { return static_cast<int>(lanes_.size()); }
  // Starts a thread per lane (threaded mode).
  void Start();
  // Queues `job` on `lane` (taken modulo lanes()). After Stop, runs it on the caller at once (a
  // job answers requests: it is never dropped).
  void Submit(size_t lane, std::function<void()> job);
  // Returns once every job submitted to `lane` before the call has run (polled mode: runs them
  // here). Must not be called from a job.
  void Flush(size_t lane);
  // True if a job is queued.
  bool pending() const;
  // Polled mode: runs every queued job of every lane, in lane order. Returns whether any ran.
  bool RunPending();
  // Runs what is queued, then stops the threads. Idempotent.
  void Stop();

 private:
  struct Lane {
    mutable std::mutex mu;
    std::condition_variable cv;
    std::deque<std::function<void()>> jobs;  // guarded by mu
    bool stop = false;                       // guarded by mu
    std::thread thread;
  };
  void Loop(Lane& lane);
  // Takes the lane's queued jobs and runs them on the caller; returns whether any ran.
  static bool Drain(Lane& lane);

  bool threaded_ = false;
  std::vector<std::unique_ptr<Lane>> lanes_;
};

}  // namespace tessera::multiraft
