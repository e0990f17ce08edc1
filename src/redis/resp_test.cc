#include "redis/resp.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tessera::redis {
namespace {

using Args = std::vector<std::string>;
using namespace std::string_literals;

// Parses every complete request of `input` at once; stops at the first error or need-more.
struct Parsed {
  std::vector<Args> commands;
  size_t consumed = 0;
  ParseStatus last = ParseStatus::kNeedMore;
  std::string error;
};

Parsed ParseAll(std::string_view input, ParserLimits limits = {}) {
  RespParser parser(limits);
  Parsed p;
  Args args;
  while (true) {
    ParseResult r = parser.Parse(input.substr(p.consumed), &args);
    p.last = r.status;
    if (r.status == ParseStatus::kError) {
      p.error = r.error;
      return p;
    }
    p.consumed += r.consumed;
    if (r.status == ParseStatus::kNeedMore) return p;
    p.commands.push_back(args);
  }
}

// Feeds `input` one byte at a time, dropping consumed bytes as the contract says.
Parsed ParseByteByByte(std::string_view input, ParserLimits limits = {}) {
  RespParser parser(limits);
  Parsed p;
  std::string buf;
  Args args;
  for (char c : input) {
    buf.push_back(c);
    while (true) {
      ParseResult r = parser.Parse(buf, &args);
      p.last = r.status;
      if (r.status == ParseStatus::kError) {
        p.error = r.error;
        return p;
      }
      p.consumed += r.consumed;
      buf.erase(0, r.consumed);
      if (r.status == ParseStatus::kNeedMore) break;
      p.commands.push_back(args);
    }
  }
  return p;
}

TEST(RespParserTest, MultibulkCommand) {
  std::string in = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n";
  Parsed p = ParseAll(in);
  ASSERT_EQ(p.commands.size(), 1u);
  EXPECT_EQ(p.commands[0], (Args{"SET", "k", "hello"}));
  EXPECT_EQ(p.consumed, in.size());
  EXPECT_EQ(p.last, ParseStatus::kNeedMore);
}

TEST(RespParserTest, BinarySafeAndEmptyBulk) {
  std::string in = "*3\r\n$3\r\nSET\r\n$0\r\n\r\n$4\r\na\r\n\0\r\n"s;
  Parsed p = ParseAll(in);
  ASSERT_EQ(p.commands.size(), 1u);
  EXPECT_EQ(p.commands[0][1], "");
  EXPECT_EQ(p.commands[0][2], "a\r\n\0"s);
}

TEST(RespParserTest, PipelineByteByByteMatchesWhole) {
  std::string in =
      "*1\r\n$4\r\nPING\r\n"
      "*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n"
      "PING\r\n"
      "\r\n"
      "*0\r\n"
      "*-1\r\n"
      "SET a \"b c\"\n"
      "*2\r\n$4\r\nECHO\r\n$10\r\n0123456789\r\n";
  Parsed whole = ParseAll(in);
  Parsed bytes = ParseByteByByte(in);
  std::vector<Args> want = {
      {"PING"}, {"GET", "foo"}, {"PING"}, {"SET", "a", "b c"}, {"ECHO", "0123456789"}};
  EXPECT_EQ(whole.commands, want);
  EXPECT_EQ(bytes.commands, want);
  EXPECT_EQ(whole.consumed, in.size());
  EXPECT_EQ(bytes.consumed, in.size());
}

TEST(RespParserTest, IncompleteNeedsMore) {
  for (std::string in : {"*", "*2", "*2\r", "*2\r\n$3", "*2\r\n$3\r\nGE", "*2\r\n$3\r\nGET\r",
                         "*2\r\n$3\r\nGET\r\n", "PING", "PING\r"}) {
    Parsed p = ParseAll(in);
    EXPECT_EQ(p.last, ParseStatus::kNeedMore) << in;
    EXPECT_TRUE(p.commands.empty()) << in;
    EXPECT_EQ(p.consumed, 0u) << in;
  }
}

TEST(RespParserTest, EmptyRequestsAreConsumedWhileWaiting) {
  RespParser parser;
  Args args;
  ParseResult r = parser.Parse("\r\n*0\r\n*1\r\n$4\r\nPI", &args);
  EXPECT_EQ(r.status, ParseStatus::kNeedMore);
  EXPECT_EQ(r.consumed, 6u);
  r = parser.Parse("*1\r\n$4\r\nPING\r\n", &args);
  EXPECT_EQ(r.status, ParseStatus::kCommand);
  EXPECT_EQ(r.consumed, 14u);
  EXPECT_EQ(args, Args{"PING"});
}

TEST(RespParserTest, InlineQuoting) {
  Parsed p = ParseAll(
      "set \"a\\x41\\n\" 'it\\'s'  x\"y z\"\r\n"
      "  echo   spaced  \n");
  ASSERT_EQ(p.commands.size(), 2u);
  EXPECT_EQ(p.commands[0], (Args{"set", "aA\n", "it's", "xy z"}));
  EXPECT_EQ(p.commands[1], (Args{"echo", "spaced"}));
}

struct BadCase {
  std::string input;
  std::string error;
};

TEST(RespParserTest, ProtocolErrors) {
  ParserLimits small;
  small.max_bulk_bytes = 100;
  small.max_args = 10;
  small.max_inline_bytes = 32;
  std::vector<BadCase> cases = {
      {"*abc\r\n", "Protocol error: invalid multibulk length"},
      {"*1x\r\n", "Protocol error: invalid multibulk length"},
      {"*+1\r\n", "Protocol error: invalid multibulk length"},
      {"*11\r\n", "Protocol error: invalid multibulk length"},
      {"*99999999999999999999999\r\n", "Protocol error: invalid multibulk length"},
      {"*1\r\nx", "Protocol error: expected '$', got 'x'"},
      {"*1\r\n:1\r\n", "Protocol error: expected '$', got ':'"},
      {"*1\r\n$-1\r\n", "Protocol error: invalid bulk length"},
      {"*1\r\n$abc\r\n", "Protocol error: invalid bulk length"},
      {"*1\r\n$\r\n", "Protocol error: invalid bulk length"},
      {"*1\r\n$101\r\n", "Protocol error: invalid bulk length"},
      {"*1\r\n$3\r\nabcXY", "Protocol error: missing CRLF after bulk string"},
      {"*1\r\n$3\r\nabc\rX", "Protocol error: missing CRLF after bulk string"},
      {"*1\rX", "Protocol error: missing CRLF after multibulk length"},
      {"*1\r\n$1\rX", "Protocol error: missing CRLF after bulk length"},
      {"*1" + std::string(40, '1'), "Protocol error: too big mbulk count string"},
      {"*1\r\n$" + std::string(40, '1'), "Protocol error: too big bulk count string"},
      {std::string(40, 'a'), "Protocol error: too big inline request"},
      {std::string(40, 'a') + "\n", "Protocol error: too big inline request"},
      {"set \"abc\n", "Protocol error: unbalanced quotes in request"},
      {"set 'abc\n", "Protocol error: unbalanced quotes in request"},
      {"set \"a\"b\n", "Protocol error: unbalanced quotes in request"},
  };
  for (const auto& c : cases) {
    Parsed whole = ParseAll(c.input, small);
    EXPECT_EQ(whole.last, ParseStatus::kError) << c.input;
    EXPECT_EQ(whole.error, c.error) << c.input;
    Parsed bytes = ParseByteByByte(c.input, small);
    EXPECT_EQ(bytes.error, c.error) << "byte by byte: " << c.input;
  }
}

TEST(RespParserTest, ErrorAfterValidCommandsKeepsThem) {
  Parsed p = ParseAll("PING\r\n*1\r\n$4\r\nPING\r\n*x\r\n");
  EXPECT_EQ(p.commands.size(), 2u);
  EXPECT_EQ(p.last, ParseStatus::kError);
}

TEST(RespParserTest, HugeAnnouncedLengthWaitsWithoutFailing) {
  // 64 MiB announced, 3 bytes sent: the parser waits (it has not reserved the 64 MiB).
  Parsed p = ParseAll("*1\r\n$67108864\r\nabc");
  EXPECT_EQ(p.last, ParseStatus::kNeedMore);
  p = ParseAll("*1048576\r\n$1\r\na\r\n");
  EXPECT_EQ(p.last, ParseStatus::kNeedMore);
}

TEST(RespParserTest, ResetAfterError) {
  RespParser parser;
  Args args;
  EXPECT_EQ(parser.Parse("*x\r\n", &args).status, ParseStatus::kError);
  parser.Reset();
  EXPECT_EQ(parser.Parse("PING\r\n", &args).status, ParseStatus::kCommand);
}

TEST(ParseInt64Test, RedisSyntax) {
  int64_t v = 0;
  EXPECT_TRUE(ParseInt64("0", &v));
  EXPECT_EQ(v, 0);
  EXPECT_TRUE(ParseInt64("-42", &v));
  EXPECT_EQ(v, -42);
  EXPECT_TRUE(ParseInt64("9223372036854775807", &v));
  EXPECT_EQ(v, INT64_MAX);
  EXPECT_TRUE(ParseInt64("-9223372036854775808", &v));
  EXPECT_EQ(v, INT64_MIN);
  for (const char* bad : {"", "-", "+1", " 1", "1 ", "01", "-0", "1.5", "9223372036854775808",
                          "-9223372036854775809", "99999999999999999999", "abc", "1e3"}) {
    EXPECT_FALSE(ParseInt64(bad, &v)) << bad;
  }
}

TEST(ReplyWriterTest, AllTypes) {
  std::string out;
  ReplyWriter w(&out);
  w.Simple("OK");
  w.Error("ERR bad\r\nthing");
  w.Integer(-7);
  w.Bulk("a\0b"s);
  w.NullBulk();
  w.ArrayHeader(2);
  w.NullArray();
  EXPECT_EQ(out, "+OK\r\n-ERR bad  thing\r\n:-7\r\n$3\r\na\0b\r\n$-1\r\n*2\r\n*-1\r\n"s);
}

}  // namespace
}  // namespace tessera::redis
