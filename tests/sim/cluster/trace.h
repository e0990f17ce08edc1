// Trace: the simulator's record of what happened, folded into one 64-bit hash (two runs of the
// same seed must produce the same hash: the replay test compares them) and, with --verbose,
// printed to stderr one line per event worth reading (faults, crashes, client operations).
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <string_view>

namespace tessera::sim {

class Trace {
 public:
  explicit Trace(bool verbose) : verbose_(verbose) {}

  // Folds values into the hash (splitmix64 finalizer over a running state).
  void Mix(uint64_t v) {
    uint64_t x = hash_ ^ (v + 0x9e3779b97f4a7c15ULL + (hash_ << 6) + (hash_ >> 2));
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    hash_ = x ^ (x >> 31);
  }
  void Mix(std::string_view s) {
    Mix(s.size());
    for (char c : s) Mix(static_cast<uint64_t>(static_cast<unsigned char>(c)));
  }

  // With --verbose: prints "[time ms] text". The text is also folded into the hash, so the
  // verbose trace and the hash describe the same run.
  template <typename... Args>
  void Note(int64_t now_nanos, fmt::format_string<Args...> f, Args&&... args) {
    const std::string line = fmt::format(f, std::forward<Args>(args)...);
    Mix(line);
    if (verbose_) std::fprintf(stderr, "[%10.3f ms] %s\n", now_nanos / 1e6, line.c_str());
  }

  uint64_t hash() const { return hash_; }
  bool verbose() const { return verbose_; }

 private:
  bool verbose_;
  uint64_t hash_ = 0x7e55e7a;
};

}  // namespace tessera::sim
