#include "common/utf8.h"

#include <gtest/gtest.h>

namespace tessera {
namespace {

TEST(ToValidUtf8Test, ValidTextIsUnchanged) {
  EXPECT_EQ(ToValidUtf8(""), "");
  EXPECT_EQ(ToValidUtf8("key not in shard: abc"), "key not in shard: abc");
  EXPECT_EQ(ToValidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(ToValidUtf8(std::string_view("a\0b", 3)), std::string("a\0b", 3));
}

TEST(ToValidUtf8Test, InvalidBytesAreEscaped) {
  // An etcd key in the store: 0xFF 'e' then the user's key.
  EXPECT_EQ(ToValidUtf8("\xFF"
                        "e/app"),
            "\\xffe/app");
  // A truncated sequence, a lone continuation byte, an overlong form, a surrogate.
  EXPECT_EQ(ToValidUtf8("x\xC3"), "x\\xc3");
  EXPECT_EQ(ToValidUtf8("\x80y"), "\\x80y");
  EXPECT_EQ(ToValidUtf8("\xC0\xAF"), "\\xc0\\xaf");
  EXPECT_EQ(ToValidUtf8("\xED\xA0\x80"), "\\xed\\xa0\\x80");
  EXPECT_EQ(ToValidUtf8("\xF4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");
}

}  // namespace
}  // namespace tessera
