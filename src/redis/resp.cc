#include "redis/resp.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include "common/assert.h"

namespace tessera::redis {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char Unescape(char c) {
  switch (c) {
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'b':
      return '\b';
    case 'a':
      return '\a';
    default:
      return c;
  }
}

// Reads a double-quoted token starting after the opening quote at *i. Redis sdssplitargs: \xHH
// and C escapes; the closing quote must be followed by a space or the end of the line.
bool ReadDoubleQuoted(std::string_view line, size_t* i, std::string* tok) {
  for (size_t p = *i; p < line.size(); ++p) {
    char c = line[p];
    if (c == '\\' && p + 3 < line.size() && line[p + 1] == 'x' && HexValue(line[p + 2]) >= 0 &&
        HexValue(line[p + 3]) >= 0) {
      tok->push_back(static_cast<char>(HexValue(line[p + 2]) * 16 + HexValue(line[p + 3])));
      p += 3;
    } else if (c == '\\' && p + 1 < line.size()) {
      tok->push_back(Unescape(line[++p]));
    } else if (c == '"') {
      if (p + 1 < line.size() && !IsSpace(line[p + 1])) return false;
      *i = p + 1;
      return true;
    } else {
      tok->push_back(c);
    }
  }
  return false;  // unterminated
}

bool ReadSingleQuoted(std::string_view line, size_t* i, std::string* tok) {
  for (size_t p = *i; p < line.size(); ++p) {
    char c = line[p];
    if (c == '\\' && p + 1 < line.size() && line[p + 1] == '\'') {
      tok->push_back('\'');
      ++p;
    } else if (c == '\'') {
      if (p + 1 < line.size() && !IsSpace(line[p + 1])) return false;
      *i = p + 1;
      return true;
    } else {
      tok->push_back(c);
    }
  }
  return false;
}

// Splits an inline command line like Redis's sdssplitargs. Returns false on unbalanced quotes.
bool SplitInline(std::string_view line, std::vector<std::string>* out) {
  out->clear();
  size_t i = 0;
  while (i < line.size()) {
    if (IsSpace(line[i]) || line[i] == '\0') {
      ++i;
      continue;
    }
    std::string tok;
    // A token is a run of plain bytes and quoted parts ("a"b is refused, a"b" is one token).
    while (i < line.size() && !IsSpace(line[i]) && line[i] != '\0') {
      char c = line[i++];
      if (c == '"') {
        if (!ReadDoubleQuoted(line, &i, &tok)) return false;
        break;
      }
      if (c == '\'') {
        if (!ReadSingleQuoted(line, &i, &tok)) return false;
        break;
      }
      tok.push_back(c);
    }
    out->push_back(std::move(tok));
  }
  return true;
}

}  // namespace

bool ParseInt64(std::string_view s, int64_t* v) {
  if (s.empty() || s.size() > 20) return false;
  if (s.size() == 1 && s[0] == '0') {
    *v = 0;
    return true;
  }
  size_t i = 0;
  bool negative = s[0] == '-';
  if (negative && ++i == s.size()) return false;
  if (s[i] < '1' || s[i] > '9') return false;
  uint64_t acc = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (acc > (UINT64_MAX - d) / 10) return false;
    acc = acc * 10 + d;
  }
  constexpr uint64_t kMaxPositive = static_cast<uint64_t>(INT64_MAX);
  if (negative) {
    if (acc > kMaxPositive + 1) return false;
    *v = acc == kMaxPositive + 1 ? INT64_MIN : -static_cast<int64_t>(acc);
  } else {
    if (acc > kMaxPositive) return false;
    *v = static_cast<int64_t>(acc);
  }
  return true;
}

RespParser::RespParser(ParserLimits limits) : limits_(limits) {
  TESSERA_ASSERT(limits_.max_bulk_bytes > 0 && limits_.max_args > 0 && limits_.max_inline_bytes > 0,
                 "ParserLimits must be positive");
}

void RespParser::Reset() {
  in_multibulk_ = false;
  pos_ = 0;
  args_left_ = 0;
  bulk_len_ = -1;
  pending_.clear();
  failed_ = false;
}

ParseResult RespParser::Error(std::string msg) {
  failed_ = true;
  ParseResult r;
  r.status = ParseStatus::kError;
  r.error = std::move(msg);
  return r;
}

ParseResult RespParser::Parse(std::string_view buf, std::vector<std::string>* args) {
  TESSERA_ASSERT(!failed_, "RespParser used after a protocol error");
  size_t skipped = 0;  // empty requests dropped before the one parsed now
  // Each iteration consumes at least one byte or returns, so the loop is bounded by buf.size().
  while (true) {
    std::string_view rest = buf.substr(skipped);
    ParseResult r;
    if (in_multibulk_ || (!rest.empty() && rest[0] == '*')) {
      r = ParseMultibulk(rest, args);
    } else if (rest.empty()) {
      r.status = ParseStatus::kNeedMore;
    } else {
      r = ParseInline(rest, args);
    }
    if (r.status == ParseStatus::kCommand && args->empty()) {
      TESSERA_ASSERT(r.consumed > 0, "an empty request consumes bytes");
      skipped += r.consumed;
      continue;
    }
    if (r.status != ParseStatus::kError) r.consumed += skipped;
    return r;
  }
}

ParseResult RespParser::ParseInline(std::string_view buf, std::vector<std::string>* args) {
  size_t nl = buf.find('\n');
  if (nl == std::string_view::npos) {
    if (buf.size() > limits_.max_inline_bytes) {
      return Error("Protocol error: too big inline request");
    }
    return ParseResult{};
  }
  if (nl > limits_.max_inline_bytes) return Error("Protocol error: too big inline request");
  std::string_view line = buf.substr(0, nl);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (!SplitInline(line, args)) return Error("Protocol error: unbalanced quotes in request");
  ParseResult r;
  r.status = ParseStatus::kCommand;  // an empty line yields no args: skipped by Parse
  r.consumed = nl + 1;
  return r;
}

namespace {

enum class LineStatus { kNeedMore, kTooLong, kBadEnding, kOk };

// Finds the CRLF-terminated line starting at `from`; *line excludes the type byte and the CRLF.
LineStatus ReadHeaderLine(std::string_view buf, size_t from, size_t max, std::string_view* line,
                          size_t* next) {
  size_t cr = buf.find('\r', from);
  size_t limit_end = from + max;
  if (cr == std::string_view::npos) {
    return buf.size() > limit_end ? LineStatus::kTooLong : LineStatus::kNeedMore;
  }
  if (cr > limit_end) return LineStatus::kTooLong;
  if (cr + 1 >= buf.size()) return LineStatus::kNeedMore;
  if (buf[cr + 1] != '\n') return LineStatus::kBadEnding;
  *line = buf.substr(from + 1, cr - from - 1);
  *next = cr + 2;
  return LineStatus::kOk;
}

}  // namespace

ParseResult RespParser::ParseMultibulk(std::string_view buf, std::vector<std::string>* args) {
  std::string_view line;
  size_t next = 0;
  if (!in_multibulk_) {
    switch (ReadHeaderLine(buf, 0, limits_.max_inline_bytes, &line, &next)) {
      case LineStatus::kNeedMore:
        return ParseResult{};
      case LineStatus::kTooLong:
        return Error("Protocol error: too big mbulk count string");
      case LineStatus::kBadEnding:
        return Error("Protocol error: missing CRLF after multibulk length");
      case LineStatus::kOk:
        break;
    }
    int64_t count = 0;
    if (!ParseInt64(line, &count) || count > static_cast<int64_t>(limits_.max_args)) {
      return Error("Protocol error: invalid multibulk length");
    }
    if (count <= 0) {  // "*0" and "*-1" are empty requests, skipped as Redis does
      args->clear();
      ParseResult r;
      r.status = ParseStatus::kCommand;
      r.consumed = next;
      return r;
    }
    in_multibulk_ = true;
    pos_ = next;
    args_left_ = static_cast<size_t>(count);
    bulk_len_ = -1;
    pending_.clear();
    pending_.reserve(std::min(args_left_, kMaxArgsReserve));
  }
  while (args_left_ > 0) {
    if (bulk_len_ < 0) {
      if (pos_ >= buf.size()) return ParseResult{};
      if (buf[pos_] != '$') {
        return Error(std::string("Protocol error: expected '$', got '") + buf[pos_] + "'");
      }
      switch (ReadHeaderLine(buf, pos_, limits_.max_inline_bytes, &line, &next)) {
        case LineStatus::kNeedMore:
          return ParseResult{};
        case LineStatus::kTooLong:
          return Error("Protocol error: too big bulk count string");
        case LineStatus::kBadEnding:
          return Error("Protocol error: missing CRLF after bulk length");
        case LineStatus::kOk:
          break;
      }
      int64_t len = 0;
      if (!ParseInt64(line, &len) || len < 0 ||
          static_cast<uint64_t>(len) > limits_.max_bulk_bytes) {
        return Error("Protocol error: invalid bulk length");
      }
      bulk_len_ = len;
      pos_ = next;
    }
    size_t len = static_cast<size_t>(bulk_len_);
    if (buf.size() - pos_ < len + 2) return ParseResult{};
    if (buf[pos_ + len] != '\r' || buf[pos_ + len + 1] != '\n') {
      return Error("Protocol error: missing CRLF after bulk string");
    }
    pending_.emplace_back(buf.substr(pos_, len));
    pos_ += len + 2;
    bulk_len_ = -1;
    --args_left_;
  }
  ParseResult r;
  r.status = ParseStatus::kCommand;
  r.consumed = pos_;
  *args = std::move(pending_);
  pending_ = {};
  in_multibulk_ = false;
  pos_ = 0;
  TESSERA_ASSERT(!args->empty() && r.consumed <= buf.size(), "a complete multibulk request");
  return r;
}

void ReplyWriter::Line(char type, std::string_view s) {
  out_->push_back(type);
  size_t start = out_->size();
  out_->append(s);
  std::replace_if(
      out_->begin() + static_cast<std::ptrdiff_t>(start), out_->end(),
      [](char c) { return c == '\r' || c == '\n'; }, ' ');
  out_->append("\r\n");
}

void ReplyWriter::Simple(std::string_view s) { Line('+', s); }
void ReplyWriter::Error(std::string_view msg) { Line('-', msg); }

namespace {
void AppendNumberLine(std::string* out, char type, int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  TESSERA_ASSERT(ec == std::errc(), "to_chars of an int64");
  out->push_back(type);
  out->append(buf, end);
  out->append("\r\n");
}
}  // namespace

void ReplyWriter::Integer(int64_t v) { AppendNumberLine(out_, ':', v); }

void ReplyWriter::Bulk(std::string_view s) {
  AppendNumberLine(out_, '$', static_cast<int64_t>(s.size()));
  out_->append(s);
  out_->append("\r\n");
}

void ReplyWriter::NullBulk() { out_->append("$-1\r\n"); }
void ReplyWriter::ArrayHeader(size_t n) { AppendNumberLine(out_, '*', static_cast<int64_t>(n)); }
void ReplyWriter::NullArray() { out_->append("*-1\r\n"); }

}  // namespace tessera::redis
