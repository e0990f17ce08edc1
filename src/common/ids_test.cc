#include "common/ids.h"

#include <gtest/gtest.h>

#include <type_traits>
#include <unordered_set>

namespace tessera {
namespace {

TEST(IdsTest, TypesDoNotMix) {
  static_assert(!std::is_convertible_v<Term, LogIndex>);
  static_assert(!std::is_convertible_v<uint64_t, Term>);
  static_assert(!std::is_convertible_v<NodeId, ShardId>);
  LogIndex i(5);
  EXPECT_EQ((i + 3).value(), 8u);
  EXPECT_EQ(i.next(), LogIndex(6));
  EXPECT_EQ(i.prev(), LogIndex(4));
  EXPECT_EQ(LogIndex(9) - LogIndex(4), 5u);
  EXPECT_LT(Term(1), Term(2));
  EXPECT_FALSE(static_cast<bool>(NodeId()));
  std::unordered_set<NodeId> s{NodeId(1), NodeId(2), NodeId(1)};
  EXPECT_EQ(s.size(), 2u);
}

}  // namespace
}  // namespace tessera
