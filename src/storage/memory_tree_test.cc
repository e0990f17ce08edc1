// The persistent tree against std::map as a model: random puts, erases and range erases, with
// every old root checked to be unchanged (persistence) and the cached counts, byte sums, rank
// and byte selection checked against the model.
#include "storage/memory_tree.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <random>

namespace tessera::storage::memtree {
namespace {

using Model = std::map<std::string, std::string>;

Model Contents(const TreeRef& t) {
  Model m;
  Cursor c(t);
  for (c.SeekToFirst(); c.Valid(); c.Next()) m.emplace(c.entry().key, c.entry().value);
  return m;
}

uint64_t ModelBytesLess(const Model& m, const std::string& key) {
  uint64_t b = 0;
  for (auto it = m.begin(); it != m.end() && it->first < key; ++it) {
    b += it->first.size() + it->second.size();
  }
  return b;
}

TEST(MemoryTreeTest, MatchesAModelAndOldRootsNeverChange) {
  std::mt19937_64 rng(42);
  TreeRef t;
  Model model;
  std::vector<std::pair<TreeRef, Model>> history;
  auto key = [&] { return fmt::format("{:04}", rng() % 500); };
  for (int step = 0; step < 3000; ++step) {
    const int op = static_cast<int>(rng() % 10);
    if (op < 6) {
      std::string k = key(), v(rng() % 20, 'v');
      t = Put(t, k, v);
      model[k] = v;
    } else if (op < 9) {
      std::string k = key();
      t = Erase(t, k);
      model.erase(k);
    } else {
      std::string a = key(), b = key();
      if (a > b) std::swap(a, b);
      t = EraseRange(t, a, b);
      model.erase(model.lower_bound(a), model.lower_bound(b));
    }
    if (step % 300 == 0) history.emplace_back(t, model);
  }
  EXPECT_EQ(Contents(t), model);
  for (const auto& [root, m] : history) EXPECT_EQ(Contents(root), m);

  ASSERT_EQ(Count(t), model.size());
  uint64_t total = 0;
  uint64_t rank = 0;
  for (const auto& [k, v] : model) {
    EXPECT_EQ(CountLess(t, k), rank);
    EXPECT_EQ(BytesLess(t, k), total);
    EXPECT_EQ(SelectByRank(t, rank).key, k);
    EXPECT_EQ(SelectByBytes(t, total).key, k);  // the first byte of k's entry
    total += k.size() + v.size();
    ++rank;
    ASSERT_NE(Find(t, k), nullptr);
    EXPECT_EQ(Find(t, k)->value, v);
  }
  EXPECT_EQ(Bytes(t), total);
  EXPECT_EQ(BytesLess(t, "0250"), ModelBytesLess(model, "0250"));
}

TEST(MemoryTreeTest, CursorSeeksAndWalksBothWays) {
  TreeRef t;
  for (int i = 0; i < 100; i += 2) t = Put(t, fmt::format("{:03}", i), "v");
  Cursor c(t);
  c.Seek("051");
  ASSERT_TRUE(c.Valid());
  EXPECT_EQ(c.entry().key, "052");
  c.Prev();
  EXPECT_EQ(c.entry().key, "050");
  c.SeekForPrev("051");
  EXPECT_EQ(c.entry().key, "050");
  c.SeekToLast();
  EXPECT_EQ(c.entry().key, "098");
  c.Next();
  EXPECT_FALSE(c.Valid());
  int n = 0;
  for (c.SeekToLast(); c.Valid(); c.Prev()) ++n;
  EXPECT_EQ(n, 50);
  c.Seek("999");
  EXPECT_FALSE(c.Valid());
  c.SeekForPrev("");
  EXPECT_FALSE(c.Valid());
}

TEST(MemoryTreeTest, ShapeIsDeterministic) {
  // The same key set gives the same depth whatever the insertion order.
  auto depth = [](const TreeRef& t) {
    std::function<int(const Node*)> d = [&](const Node* n) {
      return n ? 1 + std::max(d(n->left.get()), d(n->right.get())) : 0;
    };
    return d(t.get());
  };
  TreeRef a, b;
  for (int i = 0; i < 1000; ++i) a = Put(a, fmt::format("{:04}", i), "");
  for (int i = 999; i >= 0; --i) b = Put(b, fmt::format("{:04}", i), "");
  EXPECT_EQ(depth(a), depth(b));
  EXPECT_LT(depth(a), 40);  // expected ~2.5 log2(n)
}

}  // namespace
}  // namespace tessera::storage::memtree
