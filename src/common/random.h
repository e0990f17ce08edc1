// Random: the only source of randomness, injected (shared/style.md, item 7; no hidden global
// random state). SeededRandom is deterministic so that every simulated failure replays from its
// seed.
#pragma once

#include <cstdint>

namespace tessera {

class Random {
 public:
  virtual ~Random() = default;
  virtual uint64_t Next64() = 0;

  // Uniform in [0, n). REQUIRES: n > 0.
  uint64_t Uniform(uint64_t n);
  // Uniform in [lo, hi]. REQUIRES: lo <= hi.
  uint64_t Range(uint64_t lo, uint64_t hi) { return lo + Uniform(hi - lo + 1); }
  // True with probability p (0 <= p <= 1).
  bool Chance(double p);
};

// xoshiro256** seeded through splitmix64. Not thread-safe: one per owner.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(uint64_t seed);
  uint64_t Next64() override;

 private:
  uint64_t s_[4];
};

// A SeededRandom seeded from the operating system's entropy, for production use.
class SystemRandom final : public Random {
 public:
  SystemRandom();
  uint64_t Next64() override { return inner_.Next64(); }

 private:
  SeededRandom inner_;
};

}  // namespace tessera
