// MemoTable: the set of configurations (linearized-operation bitset, state id) that the
// linearizability search has already explored (Lowe, "Testing for linearizability", 2017, the
// memoization that Porcupine also uses). Reaching a configuration twice means the second visit
// can only fail where the first did, so the search backtracks.
//
// Internal to check/. All bitsets of one table have the same width. Keys live in one flat array,
// indexed by an open-addressing hash table, so an insertion costs no allocation in the steady
// state. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tessera::check::detail {

// A fixed-width bitset over operation numbers.
class Bitset {
 public:
  explicit Bitset(size_t bits) : words_((bits + 63) / 64, 0) {}
  // REQUIRES: i < bits.
  void Set(size_t i) { words_[i / 64] |= uint64_t{1} << (i % 64); }
  void Clear(size_t i) { words_[i / 64] &= ~(uint64_t{1} << (i % 64)); }
  const uint64_t* words() const { return words_.data(); }
  size_t word_count() const { return words_.size(); }

 private:
  std::vector<uint64_t> words_;
};

class MemoTable {
 public:
  // REQUIRES: word_count is the word count of every bitset later inserted.
  explicit MemoTable(size_t word_count);

  // Adds (bits, state); returns false if it was already present.
  bool Insert(const Bitset& bits, uint32_t state);
  size_t size() const { return size_; }

 private:
  uint64_t HashOf(const uint64_t* words, uint32_t state) const;
  bool KeyEquals(uint32_t entry, const uint64_t* words, uint32_t state) const;
  void Grow();

  size_t key_words_;             // bitset words + 1 word for the state
  std::vector<uint64_t> keys_;   // entry e at [e * key_words_, (e + 1) * key_words_)
  std::vector<uint32_t> slots_;  // 0: empty; otherwise entry + 1. Size is a power of two.
  size_t size_ = 0;
};

}  // namespace tessera::check::detail
