// A persistent (immutable, path-copying) ordered map from byte-string keys to values: the data
// structure of the memory engine (internal to storage/).
//
// A tree is a `TreeRef` (shared_ptr to an immutable root). Every update returns a new root that
// shares all untouched nodes with the old one, so a snapshot is a copy of a TreeRef (O(1)), and
// readers of an old root are never disturbed by writers: snapshot isolation without locks.
//
// Shape: a treap whose priorities are a hash of the key, so the shape is a deterministic function
// of the key set (replayable simulation) with expected depth O(log n). Each node caches the count
// and bytes (keys plus values) of its subtree, which makes range statistics and the split key
// O(log n). Keys and values live in a shared Entry so that path copying copies pointers, never
// values.
//
// Thread safety: trees are immutable; any number of threads may read any root concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::storage::memtree {

struct Entry {
  std::string key;
  std::string value;
};

struct Node;
using TreeRef = std::shared_ptr<const Node>;

struct Node {
  std::shared_ptr<const Entry> entry;
  uint64_t priority;
  uint64_t count;  // entries in this subtree
  uint64_t bytes;  // key and value bytes in this subtree
  TreeRef left;
  TreeRef right;
};

// Updates. Each returns the new root; `t` is unchanged.
TreeRef Put(const TreeRef& t, std::string_view key, std::string_view value);
TreeRef Erase(const TreeRef& t, std::string_view key);
// Removes keys in [start, end); empty `end`: no end.
TreeRef EraseRange(const TreeRef& t, std::string_view start, std::string_view end);

// Reads.
const Entry* Find(const TreeRef& t, std::string_view key);
uint64_t Count(const TreeRef& t);
uint64_t Bytes(const TreeRef& t);
// Count and bytes of keys < key.
uint64_t CountLess(const TreeRef& t, std::string_view key);
uint64_t BytesLess(const TreeRef& t, std::string_view key);
// The entry with `rank` smaller keys. REQUIRES: rank < Count(t).
const Entry& SelectByRank(const TreeRef& t, uint64_t rank);
// The first entry at which the running total of bytes (including that entry) exceeds `bytes`.
// REQUIRES: bytes < Bytes(t).
const Entry& SelectByBytes(const TreeRef& t, uint64_t bytes);

// An in-order cursor over one tree (unbounded; see iterators.h for bounds). It holds a reference
// to the root, so the tree stays alive while the cursor exists. Not thread-safe.
class Cursor {
 public:
  explicit Cursor(TreeRef root) : root_(std::move(root)) {}
  bool Valid() const { return !path_.empty(); }
  void SeekToFirst();
  void SeekToLast();
  void Seek(std::string_view target);         // first key >= target
  void SeekForPrev(std::string_view target);  // last key <= target
  void Next();
  void Prev();
  const Entry& entry() const { return *path_.back()->entry; }

 private:
  TreeRef root_;
  std::vector<const Node*> path_;  // from the root down to the current node
};

}  // namespace tessera::storage::memtree
