// RESP2, the Redis wire protocol: an incremental request parser and a reply writer.
//
// Requests arrive either as arrays of bulk strings ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", what client
// libraries send) or as inline commands ("PING\r\n", what people type into redis-cli or telnet).
// The parser works on the connection's growing input buffer and never allocates according to a
// length the peer announced before the announced bytes have arrived: a bulk string is copied only
// once complete, and the argument vector reserves at most kMaxArgsReserve slots up front.
//
// Errors follow Redis (networking.c): the message is what Redis says after "-ERR ", e.g.
// "Protocol error: invalid bulk length"; the server replies it and closes the connection.
//
// Thread safety: a RespParser is used by one connection at a time (no internal locking);
// ReplyWriter is a thin non-owning view over a string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::redis {

// Limits on what one request may announce. Validated by RespParser's constructor.
struct ParserLimits {
  // Largest bulk string (one argument). Redis allows 512 MiB; values above 4 MiB are refused by
  // the codec anyway, so anything much larger is only a way to make us buffer. Default: 64 MiB.
  size_t max_bulk_bytes = 64ull << 20;
  // Most arguments in one multibulk request (Redis: 1024 * 1024). Default: 1 Mi.
  size_t max_args = 1ull << 20;
  // Longest inline command line, and longest "*<n>" / "$<n>" header line (Redis
  // PROTO_INLINE_MAX_SIZE). Default: 64 KiB.
  size_t max_inline_bytes = 64ull << 10;
};

// Up to this many argument slots are reserved before the arguments arrive.
inline constexpr size_t kMaxArgsReserve = 1024;

enum class ParseStatus {
  kNeedMore,  // the buffer holds an incomplete request: call again once more bytes arrived
  kCommand,   // one request is complete: *args holds it
  kError,     // the input is not RESP: reply `error` and close the connection
};

struct ParseResult {
  ParseStatus status = ParseStatus::kNeedMore;
  // Bytes at the front of the buffer that the caller must drop before the next call: on kCommand
  // the request itself; on both kCommand and kNeedMore, any empty requests before it ("*0\r\n",
  // blank inline lines), which the parser skips as Redis does.
  size_t consumed = 0;
  std::string error;  // kError: e.g. "Protocol error: invalid bulk length"
};

// Parses one request at a time from the front of a buffer.
//
// Contract for incremental use: call Parse(buf) whenever bytes were appended to buf. After each
// call returning kCommand or kNeedMore, the caller drops exactly the first `consumed` bytes (or
// passes buf.substr(consumed) next time); otherwise it only appends to buf between calls.
// After kError, the parser must not be used again (the stream is out of sync) until Reset().
// The parser remembers how far it got in the current request, so a large request fed in many
// small pieces costs time linear in its size.
class RespParser {
 public:
  // REQUIRES: every limit > 0.
  explicit RespParser(ParserLimits limits = {});

  // Parses the request at the front of `buf`. On kCommand, *args is replaced by the request's
  // arguments (never empty). On kNeedMore and kError, *args is unspecified.
  ParseResult Parse(std::string_view buf, std::vector<std::string>* args);

  // Forgets a partially parsed request (for reuse on a fresh buffer).
  void Reset();

 private:
  ParseResult ParseMultibulk(std::string_view buf, std::vector<std::string>* args);
  ParseResult ParseInline(std::string_view buf, std::vector<std::string>* args);
  ParseResult Error(std::string msg);

  ParserLimits limits_;
  // State of the multibulk request being parsed (none when !in_multibulk_).
  bool in_multibulk_ = false;
  size_t pos_ = 0;         // bytes of the request parsed so far
  size_t args_left_ = 0;   // arguments still to read
  int64_t bulk_len_ = -1;  // length of the bulk string whose header was read, or -1
  std::vector<std::string> pending_;
  bool failed_ = false;
};

// Appends RESP2 replies to a string it does not own.
// Simple strings and errors must not contain CR or LF: any are replaced by spaces.
class ReplyWriter {
 public:
  explicit ReplyWriter(std::string* out) : out_(out) {}

  void Simple(std::string_view s);  // +s
  void Ok() { Simple("OK"); }
  // msg starts with the error code word, e.g. "ERR syntax error" or "TRYAGAIN ...".
  void Error(std::string_view msg);  // -msg
  void Integer(int64_t v);           // :v
  void Bulk(std::string_view s);     // $len s
  void NullBulk();                   // $-1
  void ArrayHeader(size_t n);        // *n, followed by n replies
  void NullArray();                  // *-1

  std::string* out() { return out_; }

 private:
  void Line(char type, std::string_view s);
  std::string* out_;
};

// Strict Redis integer syntax (string2ll): optional '-', no '+', no spaces, no leading zeros,
// at most 20 characters, within int64. Returns false otherwise.
bool ParseInt64(std::string_view s, int64_t* v);

}  // namespace tessera::redis
