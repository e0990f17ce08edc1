// LiveHandles: counts the Snapshots and Iterators of an engine that are still alive, so that the
// engine's destructor can assert that none outlives it (engine.h, "Ownership and lifetime").
// Internal to storage/. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>

#include "common/assert.h"

namespace tessera::storage {

class LiveHandles {
 public:
  LiveHandles() = default;
  LiveHandles(const LiveHandles&) = delete;
  LiveHandles& operator=(const LiveHandles&) = delete;
  ~LiveHandles() {
    TESSERA_ASSERT(count_.load() == 0,
                   "an engine was closed while a Snapshot or Iterator of it was alive");
  }

  // RAII registration of one handle; store one in every Snapshot and Iterator state.
  class Token {
   public:
    explicit Token(LiveHandles* owner) : owner_(owner) { owner_->count_.fetch_add(1); }
    Token(const Token&) = delete;
    Token& operator=(const Token&) = delete;
    ~Token() { owner_->count_.fetch_sub(1); }

   private:
    LiveHandles* owner_;
  };

  int64_t count() const { return count_.load(); }
  // Call first thing in an engine's destructor, before the engine tears anything down.
  void AssertNone() const {
    TESSERA_ASSERT(count_.load() == 0,
                   "an engine was closed while a Snapshot or Iterator of it was alive");
  }

 private:
  std::atomic<int64_t> count_{0};
};

}  // namespace tessera::storage
