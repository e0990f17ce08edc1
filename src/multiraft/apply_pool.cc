#include "multiraft/apply_pool.h"

#include <future>

#include "common/assert.h"
#include "common/thread_name.h"

namespace tessera::multiraft {

ApplyPool::ApplyPool(int lanes) {
  TESSERA_ASSERT(lanes >= 1, "an apply pool needs a lane");
  for (int i = 0; i < lanes; ++i) lanes_.push_back(std::make_unique<Lane>());
}

void ApplyPool::Start() {
  TESSERA_ASSERT(!threaded_, "apply pool started twice");
  threaded_ = true;
  for (int i = 0; i < lanes(); ++i) {
    Lane* lane = lanes_[i].get();
    lane->thread = std::thread([this, lane, i] {
      SetThreadName("apply-" + std::to_string(i));
      Loop(*lane);
    });
  }
}

ApplyPool::~ApplyPool() { Stop(); }

void ApplyPool::Submit(size_t lane, std::function<void()> job) {
  Lane& l = *lanes_[lane % lanes_.size()];
  {
    std::lock_guard<std::mutex> lock(l.mu);
    if (!l.stop) {
      l.jobs.push_back(std::move(job));
      l.cv.notify_one();
      return;
    }
  }
  job();
}

void ApplyPool::Flush(size_t lane) {
  Lane& l = *lanes_[lane % lanes_.size()];
  if (!threaded_) {
    Drain(l);
    return;
  }
  std::promise<void> done;
  std::future<void> f = done.get_future();
  Submit(lane, [&done] { done.set_value(); });
  f.wait();
}

bool ApplyPool::pending() const {
  for (const auto& l : lanes_) {
    std::lock_guard<std::mutex> lock(l->mu);
    if (!l->jobs.empty()) return true;
  }
  return false;
}

bool ApplyPool::RunPending() {
  TESSERA_ASSERT(!threaded_, "RunPending on a threaded apply pool");
  bool any = false;
  for (auto& l : lanes_) any = Drain(*l) || any;
  return any;
}

bool ApplyPool::Drain(Lane& lane) {
  std::deque<std::function<void()>> jobs;
  {
    std::lock_guard<std::mutex> lock(lane.mu);
    jobs.swap(lane.jobs);
  }
  for (auto& j : jobs) j();
  return !jobs.empty();
}

void ApplyPool::Loop(Lane& lane) {
  while (true) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(lane.mu);
      lane.cv.wait(lock, [&] { return lane.stop || !lane.jobs.empty(); });
      if (lane.jobs.empty()) return;  // stopping, and nothing left
      job = std::move(lane.jobs.front());
      lane.jobs.pop_front();
    }
    job();
  }
}

void ApplyPool::Stop() {
  for (auto& l : lanes_) {
    {
      std::lock_guard<std::mutex> lock(l->mu);
      l->stop = true;
    }
    l->cv.notify_all();
    if (l->thread.joinable()) l->thread.join();
    Drain(*l);  // polled mode, or anything queued as the thread left
  }
}

}  // namespace tessera::multiraft
