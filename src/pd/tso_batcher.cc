#include "pd/tso_batcher.h"

#include <vector>

#include "common/assert.h"

namespace tessera::pd {

TimestampBatcher::TimestampBatcher(PdClient* client, uint32_t max_batch)
    : client_(client), max_batch_(max_batch) {
  TESSERA_CHECK(max_batch_ >= 1);
}

uint64_t TimestampBatcher::requests() const {
  std::lock_guard l(mu_);
  return requests_;
}

Result<uint64_t> TimestampBatcher::Get() {
  Waiter me;
  std::unique_lock l(mu_);
  waiting_.push_back(&me);
  while (!me.result) {
    if (in_flight_) {
      cv_.wait(l);
      continue;
    }
    // No request in flight: this caller fetches for everyone waiting (itself included).
    in_flight_ = true;
    ++requests_;
    std::vector<Waiter*> batch;
    while (!waiting_.empty() && batch.size() < max_batch_) {
      batch.push_back(waiting_.front());
      waiting_.pop_front();
    }
    l.unlock();
    Result<uint64_t> first = client_->GetTimestamps(static_cast<uint32_t>(batch.size()));
    l.lock();
    for (size_t i = 0; i < batch.size(); ++i) {
      batch[i]->result =
          first.ok() ? Result<uint64_t>(*first + i) : Result<uint64_t>(first.status());
    }
    in_flight_ = false;
    cv_.notify_all();
  }
  return *me.result;
}

}  // namespace tessera::pd
