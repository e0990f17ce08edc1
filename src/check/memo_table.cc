#include "check/memo_table.h"

#include "common/assert.h"

namespace tessera::check::detail {
namespace {

uint64_t Mix(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

constexpr size_t kInitialSlots = 1024;

}  // namespace

MemoTable::MemoTable(size_t word_count) : key_words_(word_count + 1), slots_(kInitialSlots, 0) {}

uint64_t MemoTable::HashOf(const uint64_t* words, uint32_t state) const {
  uint64_t h = Mix(state + 0x9e3779b97f4a7c15ULL);
  for (size_t i = 0; i + 1 < key_words_; ++i) h = Mix(h ^ words[i]) + i;
  return h;
}

bool MemoTable::KeyEquals(uint32_t entry, const uint64_t* words, uint32_t state) const {
  const uint64_t* key = &keys_[entry * key_words_];
  if (key[key_words_ - 1] != state) return false;
  for (size_t i = 0; i + 1 < key_words_; ++i) {
    if (key[i] != words[i]) return false;
  }
  return true;
}

bool MemoTable::Insert(const Bitset& bits, uint32_t state) {
  TESSERA_ASSERT(bits.word_count() + 1 == key_words_, "bitset width differs from the table's");
  const uint64_t* words = bits.words();
  const size_t mask = slots_.size() - 1;
  size_t slot = HashOf(words, state) & mask;
  // Linear probing; the load factor stays below 1/2, so an empty slot is always found.
  while (slots_[slot] != 0) {
    if (KeyEquals(slots_[slot] - 1, words, state)) return false;
    slot = (slot + 1) & mask;
  }
  TESSERA_ASSERT(size_ < UINT32_MAX - 1, "memo table full");
  keys_.insert(keys_.end(), words, words + key_words_ - 1);
  keys_.push_back(state);
  slots_[slot] = static_cast<uint32_t>(++size_);
  if (size_ * 2 > slots_.size()) Grow();
  return true;
}

void MemoTable::Grow() {
  std::vector<uint32_t> slots(slots_.size() * 2, 0);
  const size_t mask = slots.size() - 1;
  for (uint32_t e = 0; e < size_; ++e) {
    const uint64_t* key = &keys_[e * key_words_];
    size_t slot = HashOf(key, static_cast<uint32_t>(key[key_words_ - 1])) & mask;
    while (slots[slot] != 0) slot = (slot + 1) & mask;
    slots[slot] = e + 1;
  }
  slots_.swap(slots);
}

}  // namespace tessera::check::detail
