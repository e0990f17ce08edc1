// MemoryBackend: the in-memory twin of Backend for tests and fuzzing (shared/style.md, item 7).
//
// A std::map under one mutex, so every call is trivially linearizable. The clock is a number the
// test moves (SetNowMs / AdvanceMs). Like the store, it refuses keys longer than
// kMaxStoreKeyBytes with InvalidArgument. Tests can make the next calls fail (FailNext) and count
// calls per method to check batching.
//
// Thread safety: every method may be called concurrently.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "redis/backend.h"

namespace tessera::redis {

class MemoryBackend : public Backend {  // not final: tests override a method to inject races
 public:
  explicit MemoryBackend(int64_t now_ms = 1'700'000'000'000) : now_ms_(now_ms) {}

  Status Get(std::string_view key, std::optional<std::string>* value) override;
  Status BatchGet(const std::vector<std::string>& keys,
                  std::vector<std::optional<std::string>>* values) override;
  Status Put(std::string_view key, std::string_view value) override;
  Status BatchPut(const std::vector<KvPair>& pairs) override;
  Status Delete(std::string_view key) override;
  Status CompareAndSwap(std::string_view key, const std::optional<std::string>& expected,
                        const std::optional<std::string>& desired, bool* succeeded,
                        std::optional<std::string>* previous) override;
  Status Scan(std::string_view start, std::string_view end, size_t limit, bool keys_only,
              std::vector<KvPair>* out) override;
  int64_t NowMs() override { return now_ms_.load(std::memory_order_acquire); }

  void SetNowMs(int64_t ms) { now_ms_.store(ms, std::memory_order_release); }
  void AdvanceMs(int64_t delta) { now_ms_.fetch_add(delta, std::memory_order_acq_rel); }

  // The next calls (of any method but NowMs) return these statuses, one each, without effect.
  void FailNext(Status status);

  // Direct access to the stored bytes, bypassing FailNext and the counters.
  std::map<std::string, std::string> Snapshot() const;
  void RawPut(std::string key, std::string value);

  struct CallCounts {
    uint64_t get = 0, batch_get = 0, put = 0, batch_put = 0, del = 0, cas = 0, scan = 0;
  };
  CallCounts counts() const;

 private:
  // Pops an injected failure; REQUIRES: mu_ held.
  bool TakeFailure(Status* st);

  std::atomic<int64_t> now_ms_;
  mutable std::mutex mu_;
  std::map<std::string, std::string, std::less<>> data_;  // guarded by mu_
  std::deque<Status> failures_;                           // guarded by mu_
  CallCounts counts_;                                     // guarded by mu_
};

}  // namespace tessera::redis
