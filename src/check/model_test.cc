#include "check/model.h"

#include <gtest/gtest.h>

namespace tessera::check {
namespace {

RegisterOutput Ok(std::optional<int64_t> v = std::nullopt) { return {Outcome::kOk, v}; }
RegisterOutput Fail() { return {Outcome::kFail, std::nullopt}; }
RegisterOutput Unknown() { return {Outcome::kUnknown, std::nullopt}; }
RegisterInput Read() { return {RegisterOp::kRead, 0, 0}; }
RegisterInput Write(int64_t v) { return {RegisterOp::kWrite, v, 0}; }
RegisterInput Cas(int64_t from, int64_t to) { return {RegisterOp::kCas, to, from}; }

TEST(RegisterModelTest, ReadMustSeeTheState) {
  RegisterModel m;
  EXPECT_TRUE(m.Step(m.Init(), Read(), Ok()).legal);
  EXPECT_FALSE(m.Step(m.Init(), Read(), Ok(0)).legal);
  EXPECT_TRUE(m.Step(3, Read(), Ok(3)).legal);
  EXPECT_FALSE(m.Step(3, Read(), Ok()).legal);
  EXPECT_TRUE(m.Step(3, Read(), Unknown()).legal);
  EXPECT_TRUE(m.Step(3, Read(), Fail()).legal);
}

TEST(RegisterModelTest, WriteSetsTheStateUnlessFailed) {
  RegisterModel m;
  EXPECT_EQ(m.Step(m.Init(), Write(4), Ok()).next, 4);
  EXPECT_EQ(m.Step(1, Write(4), Unknown()).next, 4);
  EXPECT_EQ(m.Step(1, Write(4), Fail()).next, 1);
}

TEST(RegisterModelTest, CasComparesAndSwaps) {
  RegisterModel m;
  auto r = m.Step(1, Cas(1, 2), Ok());
  EXPECT_TRUE(r.legal);
  EXPECT_EQ(r.next, 2);
  EXPECT_FALSE(m.Step(0, Cas(1, 2), Ok()).legal);
  EXPECT_FALSE(m.Step(m.Init(), Cas(1, 2), Ok()).legal);
  // A failed cas means the comparison failed.
  EXPECT_TRUE(m.Step(0, Cas(1, 2), Fail()).legal);
  EXPECT_EQ(m.Step(0, Cas(1, 2), Fail()).next, 0);
  EXPECT_FALSE(m.Step(1, Cas(1, 2), Fail()).legal);
  // An unknown cas is legal either way and swaps iff the comparison holds.
  EXPECT_EQ(m.Step(1, Cas(1, 2), Unknown()).next, 2);
  EXPECT_EQ(m.Step(0, Cas(1, 2), Unknown()).next, 0);
}

TEST(RegisterModelTest, HashAndDescribe) {
  RegisterModel m;
  EXPECT_EQ(m.Hash(5), m.Hash(5));
  EXPECT_NE(m.Hash(5), m.Hash(6));
  EXPECT_NE(m.Hash(0), m.Hash(std::nullopt));
  EXPECT_EQ(m.Describe(Read(), Ok()), "read -> nil");
  EXPECT_EQ(m.Describe(Read(), Ok(3)), "read -> 3");
  EXPECT_EQ(m.Describe(Cas(1, 2), Fail()), "cas 1->2 -> fail");
  EXPECT_EQ(m.DescribeState(std::nullopt), "nil");
}

TEST(KvModelTest, KeysAreIndependentRegisters) {
  KvModel m;
  auto s = m.Step(m.Init(), {"a", Write(1)}, Ok()).next;
  s = m.Step(s, {"b", Write(2)}, Ok()).next;
  EXPECT_TRUE(m.Step(s, {"a", Read()}, Ok(1)).legal);
  EXPECT_TRUE(m.Step(s, {"b", Read()}, Ok(2)).legal);
  EXPECT_TRUE(m.Step(s, {"c", Read()}, Ok()).legal);
  EXPECT_FALSE(m.Step(s, {"a", Read()}, Ok(2)).legal);
  EXPECT_TRUE(m.Step(s, {"a", Cas(1, 5)}, Ok()).legal);
  EXPECT_FALSE(m.Step(s, {"b", Cas(1, 5)}, Ok()).legal);
  EXPECT_EQ(m.DescribeState(s), "{a: 1, b: 2}");
  EXPECT_EQ(m.PartitionKey({"k", Read()}), "k");
  KvModel::State t = m.Step(m.Init(), {"b", Write(2)}, Ok()).next;
  t = m.Step(t, {"a", Write(1)}, Ok()).next;
  EXPECT_EQ(s, t);
  EXPECT_EQ(m.Hash(s), m.Hash(t));
}

}  // namespace
}  // namespace tessera::check
