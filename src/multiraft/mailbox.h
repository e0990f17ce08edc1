// Mailbox: a bounded multi-producer queue drained in batches by one worker thread.
//
// Producers (gRPC threads, the transport, other workers) Push; the worker waits until there is
// work or its next tick is due, then takes everything at once (one lock per round, not per item).
// Thread safety: all methods are thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

namespace tessera::multiraft {

template <typename T>
class Mailbox {
 public:
  explicit Mailbox(size_t capacity) : capacity_(capacity) {}

  // Queues `item` unless `limit` items are already queued (then returns false). A limit above
  // the capacity lets urgent items (Raft messages) through when requests are refused.
  bool Push(T item, size_t limit) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_ || items_.size() >= limit) return false;
      items_.push_back(std::move(item));
    }
    cv_.notify_one();
    return true;
  }
  bool Push(T item) { return Push(std::move(item), capacity_); }

  // Items queued now.
  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return items_.size();
  }

  // Waits until an item arrives, the mailbox closes, or `deadline`; then moves every queued item
  // into *out. Returns false once closed and empty.
  bool DrainUntil(std::chrono::steady_clock::time_point deadline, std::vector<T>* out) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_until(lock, deadline, [&] { return !items_.empty() || closed_; });
    if (items_.empty()) return !closed_;
    if (out->empty()) {
      out->swap(items_);
    } else {
      for (auto& i : items_) out->push_back(std::move(i));
      items_.clear();
    }
    return true;
  }

  // Moves every queued item into *out without waiting.
  void TryDrain(std::vector<T>* out) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& i : items_) out->push_back(std::move(i));
    items_.clear();
  }

  void Close() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }

  size_t capacity() const { return capacity_; }
  bool closed() const {
    std::lock_guard<std::mutex> lock(mu_);
    return closed_;
  }

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<T> items_;  // guarded by mu_
  bool closed_ = false;   // guarded by mu_
};

}  // namespace tessera::multiraft
