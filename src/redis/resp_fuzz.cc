// Fuzz target for the RESP parser and the command executor (libFuzzer entry point).
//
// For each input it checks that:
//   - parsing never crashes, consumes at most the input, and gives the same commands, the same
//     consumed prefix and the same error whether the input arrives at once or in pieces (piece
//     sizes derived from the input, so a run is a pure function of the input);
//   - executing the parsed commands on a MemoryBackend never crashes and yields exactly one
//     well-formed RESP2 reply per executed command.
// Small parser limits make the limit checks reachable with small inputs.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/assert.h"
#include "redis/commands.h"
#include "redis/memory_backend.h"
#include "redis/resp.h"

namespace tessera::redis {
namespace {

struct Outcome {
  std::vector<std::vector<std::string>> commands;
  size_t consumed = 0;
  bool error = false;
  std::string error_text;
};

ParserLimits FuzzLimits() {
  ParserLimits l;
  l.max_bulk_bytes = 4096;
  l.max_args = 64;
  l.max_inline_bytes = 256;
  return l;
}

// Feeds `input` in pieces whose sizes come from `piece` (0: all at once), dropping consumed bytes
// as the parser's contract says.
Outcome ParseInPieces(std::string_view input, size_t piece) {
  RespParser parser(FuzzLimits());
  Outcome o;
  std::string buf;
  std::vector<std::string> args;
  size_t fed = 0;
  while (fed < input.size() && !o.error) {
    size_t n = piece == 0 ? input.size() : std::min(piece + fed % 3, input.size() - fed);
    buf.append(input.substr(fed, n));
    fed += n;
    // Each call consumes bytes or needs more; bounded by the buffer's size.
    for (size_t guard = 0, bound = buf.size() + 1; guard <= bound; ++guard) {
      ParseResult r = parser.Parse(buf, &args);
      if (r.status == ParseStatus::kError) {
        o.error = true;
        o.error_text = r.error;
        break;
      }
      TESSERA_CHECK(r.consumed <= buf.size());
      buf.erase(0, r.consumed);
      o.consumed += r.consumed;
      if (r.status == ParseStatus::kNeedMore) break;
      TESSERA_CHECK(!args.empty());
      o.commands.push_back(args);
    }
  }
  TESSERA_CHECK(o.consumed <= input.size());
  return o;
}

// Skips one RESP2 reply at *pos; false when malformed or truncated. Depth-bounded.
bool SkipReply(std::string_view s, size_t* pos, int depth) {
  if (depth > 8 || *pos >= s.size()) return false;
  char type = s[*pos];
  size_t eol = s.find("\r\n", *pos);
  if (eol == std::string_view::npos) return false;
  std::string_view line = s.substr(*pos + 1, eol - *pos - 1);
  *pos = eol + 2;
  int64_t n = 0;
  switch (type) {
    case '+':
    case '-':
      return line.find_first_of("\r\n") == std::string_view::npos;
    case ':':
      return ParseInt64(line, &n);
    case '$':
      if (!ParseInt64(line, &n) || n < -1) return false;
      if (n == -1) return true;
      if (s.size() - *pos < static_cast<size_t>(n) + 2) return false;
      *pos += static_cast<size_t>(n);
      if (s.substr(*pos, 2) != "\r\n") return false;
      *pos += 2;
      return true;
    case '*':
      if (!ParseInt64(line, &n) || n < -1) return false;
      for (int64_t i = 0; i < n; ++i) {
        if (!SkipReply(s, pos, depth + 1)) return false;
      }
      return true;
    default:
      return false;
  }
}

size_t CountReplies(std::string_view s) {
  size_t pos = 0, count = 0;
  while (pos < s.size()) {
    TESSERA_ASSERT(SkipReply(s, &pos, 0), "a malformed RESP reply");
    ++count;
  }
  return count;
}

}  // namespace
}  // namespace tessera::redis

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tessera::redis;  // NOLINT(google-build-using-namespace)
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Outcome whole = ParseInPieces(input, 0);
  Outcome pieces = ParseInPieces(input, 1 + (size == 0 ? 0 : static_cast<uint8_t>(data[0]) % 7));
  TESSERA_ASSERT(whole.commands == pieces.commands, "piecewise parse differs");
  TESSERA_ASSERT(whole.error == pieces.error && whole.error_text == pieces.error_text,
                 "piecewise parse error differs");
  if (!whole.error) TESSERA_ASSERT(whole.consumed == pieces.consumed, "consumed differs");

  MemoryBackend backend;
  ExecutorOptions options;
  options.max_keys_reply = 1000;
  CommandExecutor exec(&backend, options);
  Session session;
  session.id = exec.NewClientId();
  std::string out;
  constexpr size_t kMaxCommands = 64;
  size_t n = std::min(whole.commands.size(), kMaxCommands);
  // Run the first half as a pipeline (batching), the rest one by one with the clock moving.
  size_t half = n / 2;
  exec.ExecuteBatch(&session, std::span(whole.commands).subspan(0, half), &out);
  size_t executed = session.close ? CountReplies(out) : half;
  for (size_t i = half; i < n && !session.close; ++i) {
    exec.Execute(&session, whole.commands[i], &out);
    backend.AdvanceMs(static_cast<int64_t>(i) * 250);
    ++executed;
  }
  TESSERA_ASSERT(CountReplies(out) == executed, "one reply per executed command");
  return 0;
}
