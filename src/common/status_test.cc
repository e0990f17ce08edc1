#include "common/status.h"

#include <gtest/gtest.h>

#include "common/result.h"

namespace tessera {
namespace {

Result<int> Half(int v) {
  if (v % 2 != 0) return Status::InvalidArgument("odd");
  return v / 2;
}

Status Quarter(int v, int* out) {
  TESSERA_ASSIGN_OR_RETURN(int h, Half(v));
  TESSERA_ASSIGN_OR_RETURN(*out, Half(h));
  return Status::OK();
}

TEST(StatusTest, OkAndErrors) {
  EXPECT_TRUE(Status::OK().ok());
  Status s = Status::Corruption("shard 7 index 9");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(s.Is(Status::Code::kCorruption));
  EXPECT_EQ(s.ToString(), "Corruption: shard 7 index 9");
  Status copy = s;
  EXPECT_EQ(copy, s);
  Status moved = std::move(copy);
  EXPECT_EQ(moved.message(), "shard 7 index 9");
  EXPECT_EQ(Status::NotFound().ToString(), "NotFound");
}

TEST(StatusTest, ResultPropagates) {
  int out = 0;
  EXPECT_TRUE(Quarter(8, &out).ok());
  EXPECT_EQ(out, 2);
  Status s = Quarter(6, &out);
  EXPECT_TRUE(s.Is(Status::Code::kInvalidArgument));
  Result<int> r = Half(3);
  EXPECT_FALSE(r.ok());
  EXPECT_DEATH({ (void)r.value(); }, "value\\(\\) of an error Result");
}

}  // namespace
}  // namespace tessera
