#include "storage/memory_tree.h"

#include "common/assert.h"
#include "common/checksum.h"

namespace tessera::storage::memtree {
namespace {

uint64_t PriorityOf(std::string_view key) { return Checksum64(key, /*seed=*/0x7e55e7a); }

TreeRef MakeNode(std::shared_ptr<const Entry> entry, uint64_t priority, TreeRef left,
                 TreeRef right) {
  const uint64_t own = entry->key.size() + entry->value.size();
  const uint64_t count = 1 + Count(left) + Count(right);
  const uint64_t bytes = own + Bytes(left) + Bytes(right);
  return std::make_shared<const Node>(
      Node{std::move(entry), priority, count, bytes, std::move(left), std::move(right)});
}

// A copy of `n` with other children.
TreeRef WithChildren(const Node& n, TreeRef left, TreeRef right) {
  return MakeNode(n.entry, n.priority, std::move(left), std::move(right));
}

// Splits t into keys < key and keys >= key.
void Split(const TreeRef& t, std::string_view key, TreeRef* less, TreeRef* rest) {
  if (!t) {
    *less = nullptr;
    *rest = nullptr;
    return;
  }
  if (std::string_view(t->entry->key) < key) {
    TreeRef a, b;
    Split(t->right, key, &a, &b);
    *less = WithChildren(*t, t->left, std::move(a));
    *rest = std::move(b);
  } else {
    TreeRef a, b;
    Split(t->left, key, &a, &b);
    *less = std::move(a);
    *rest = WithChildren(*t, std::move(b), t->right);
  }
}

// REQUIRES: every key of a < every key of b.
TreeRef Merge(const TreeRef& a, const TreeRef& b) {
  if (!a) return b;
  if (!b) return a;
  if (a->priority > b->priority) return WithChildren(*a, a->left, Merge(a->right, b));
  return WithChildren(*b, Merge(a, b->left), b->right);
}

TreeRef Insert(const TreeRef& t, std::shared_ptr<const Entry> e, uint64_t priority) {
  if (!t) return MakeNode(std::move(e), priority, nullptr, nullptr);
  const std::string_view key(e->key);
  const std::string_view here(t->entry->key);
  if (key == here) return MakeNode(std::move(e), t->priority, t->left, t->right);
  if (priority > t->priority) {
    // The new key becomes the root of this subtree. It cannot already be below: an existing node
    // with this key has this same priority and would sit above t by the heap order.
    TreeRef less, rest;
    Split(t, key, &less, &rest);
    return MakeNode(std::move(e), priority, std::move(less), std::move(rest));
  }
  if (key < here) return WithChildren(*t, Insert(t->left, std::move(e), priority), t->right);
  return WithChildren(*t, t->left, Insert(t->right, std::move(e), priority));
}

}  // namespace

uint64_t Count(const TreeRef& t) { return t ? t->count : 0; }
uint64_t Bytes(const TreeRef& t) { return t ? t->bytes : 0; }

TreeRef Put(const TreeRef& t, std::string_view key, std::string_view value) {
  auto e = std::make_shared<const Entry>(Entry{std::string(key), std::string(value)});
  return Insert(t, std::move(e), PriorityOf(key));
}

TreeRef Erase(const TreeRef& t, std::string_view key) {
  if (!t) return t;
  const std::string_view here(t->entry->key);
  if (key == here) return Merge(t->left, t->right);
  if (key < here) {
    TreeRef left = Erase(t->left, key);
    return left == t->left ? t : WithChildren(*t, std::move(left), t->right);
  }
  TreeRef right = Erase(t->right, key);
  return right == t->right ? t : WithChildren(*t, t->left, std::move(right));
}

TreeRef EraseRange(const TreeRef& t, std::string_view start, std::string_view end) {
  TreeRef less, rest;
  Split(t, start, &less, &rest);
  if (end.empty()) return less;
  TreeRef middle, greater;
  Split(rest, end, &middle, &greater);
  if (!middle) return t;  // nothing in range: keep the old root and its sharing
  return Merge(less, greater);
}

const Entry* Find(const TreeRef& t, std::string_view key) {
  const Node* n = t.get();
  while (n) {
    const std::string_view here(n->entry->key);
    if (key == here) return n->entry.get();
    n = key < here ? n->left.get() : n->right.get();
  }
  return nullptr;
}

uint64_t CountLess(const TreeRef& t, std::string_view key) {
  uint64_t acc = 0;
  for (const Node* n = t.get(); n;) {
    if (std::string_view(n->entry->key) < key) {
      acc += Count(n->left) + 1;
      n = n->right.get();
    } else {
      n = n->left.get();
    }
  }
  return acc;
}

uint64_t BytesLess(const TreeRef& t, std::string_view key) {
  uint64_t acc = 0;
  for (const Node* n = t.get(); n;) {
    if (std::string_view(n->entry->key) < key) {
      acc += Bytes(n->left) + n->entry->key.size() + n->entry->value.size();
      n = n->right.get();
    } else {
      n = n->left.get();
    }
  }
  return acc;
}

const Entry& SelectByRank(const TreeRef& t, uint64_t rank) {
  TESSERA_ASSERT(rank < Count(t), "rank out of range");
  const Node* n = t.get();
  while (true) {
    const uint64_t left = Count(n->left);
    if (rank < left) {
      n = n->left.get();
    } else if (rank == left) {
      return *n->entry;
    } else {
      rank -= left + 1;
      n = n->right.get();
    }
  }
}

const Entry& SelectByBytes(const TreeRef& t, uint64_t bytes) {
  TESSERA_ASSERT(bytes < Bytes(t), "byte offset out of range");
  const Node* n = t.get();
  while (true) {
    const uint64_t left = Bytes(n->left);
    const uint64_t own = n->entry->key.size() + n->entry->value.size();
    if (bytes < left) {
      n = n->left.get();
    } else if (bytes < left + own) {
      return *n->entry;
    } else {
      bytes -= left + own;
      n = n->right.get();
    }
  }
}

void Cursor::SeekToFirst() {
  path_.clear();
  for (const Node* n = root_.get(); n; n = n->left.get()) path_.push_back(n);
}

void Cursor::SeekToLast() {
  path_.clear();
  for (const Node* n = root_.get(); n; n = n->right.get()) path_.push_back(n);
}

void Cursor::Seek(std::string_view target) {
  path_.clear();
  size_t keep = 0;  // path length up to the best candidate so far (0: none)
  for (const Node* n = root_.get(); n;) {
    path_.push_back(n);
    if (std::string_view(n->entry->key) >= target) {
      keep = path_.size();
      n = n->left.get();
    } else {
      n = n->right.get();
    }
  }
  path_.resize(keep);
}

void Cursor::SeekForPrev(std::string_view target) {
  path_.clear();
  size_t keep = 0;
  for (const Node* n = root_.get(); n;) {
    path_.push_back(n);
    if (std::string_view(n->entry->key) <= target) {
      keep = path_.size();
      n = n->right.get();
    } else {
      n = n->left.get();
    }
  }
  path_.resize(keep);
}

void Cursor::Next() {
  TESSERA_ASSERT(Valid(), "Next() on an invalid cursor");
  const Node* n = path_.back();
  if (n->right) {
    for (n = n->right.get(); n; n = n->left.get()) path_.push_back(n);
    return;
  }
  // Climb while we come up from a right child; the first ancestor reached from its left child
  // is the successor.
  path_.pop_back();
  while (!path_.empty() && path_.back()->right.get() == n) {
    n = path_.back();
    path_.pop_back();
  }
}

void Cursor::Prev() {
  TESSERA_ASSERT(Valid(), "Prev() on an invalid cursor");
  const Node* n = path_.back();
  if (n->left) {
    for (n = n->left.get(); n; n = n->right.get()) path_.push_back(n);
    return;
  }
  path_.pop_back();
  while (!path_.empty() && path_.back()->left.get() == n) {
    n = path_.back();
    path_.pop_back();
  }
}

}  // namespace tessera::storage::memtree
