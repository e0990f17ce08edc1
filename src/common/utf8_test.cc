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

TEST(EscapeKeyTest, PrintableAsciiStaysTheRestIsEscaped) {
  EXPECT_EQ(EscapeKey("k000970"), "k000970");
  EXPECT_EQ(EscapeKey("\xff"
                      "e/m\x01"),
            "\\xffe/m\\x01");
  EXPECT_EQ(EscapeKey(std::string_view("a\0b", 3)), "a\\x00b");
  // Valid UTF-8 is escaped too (keys are bytes), and the backslash doubled: unambiguous.
  EXPECT_EQ(EscapeKey("caf\xC3\xA9"), "caf\\xc3\\xa9");
  EXPECT_EQ(EscapeKey("a\\x41"), "a\\\\x41");
}

}  // namespace
}  // namespace tessera
