// Internals shared by the command handlers (commands_*.cc); not part of the module's interface.
//
// A handler gets a Ctx (the executor, the session, the arguments with the arity already checked
// against its CommandSpec, and a reply writer) and appends exactly one reply.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/random.h"
#include "common/status.h"
#include "redis/codec.h"
#include "redis/commands.h"
#include "redis/resp.h"

namespace tessera::redis {

struct Ctx {
  CommandExecutor& exec;
  Session& session;
  const std::vector<std::string>& args;
  ReplyWriter out;

  Backend* backend() const { return exec.backend(); }
};

using Handler = void (*)(Ctx&);

struct CommandSpec {
  std::string_view name;  // lower case
  int arity;              // Redis convention: n exactly n args (name included), -n at least n
  Handler handler;
  std::string_view flags;  // space-separated COMMAND flags, e.g. "write fast"
  int first_key;           // COMMAND key positions (0: none)
  int last_key;
  int key_step;
};

// Every supported command, sorted by name.
std::span<const CommandSpec> CommandTable();
const CommandSpec* FindCommand(std::string_view lower_name);

// --- Replies and argument checks -----------------------------------------------------------------

// Replies the RESP error for a non-OK backend or codec status (mapping in commands.h).
void ReplyError(ReplyWriter& out, const Status& st);
// Replies "ERR value is not an integer or out of range" and returns false unless s is an int64.
bool ParseIntArg(Ctx& ctx, std::string_view s, int64_t* v);
// Replies an error and returns false when the key is longer than kMaxRedisKeyBytes.
bool CheckKeyArg(Ctx& ctx, std::string_view key);
// Replies an error and returns false when the value is longer than kMaxValueBytes.
bool CheckValueArg(Ctx& ctx, std::string_view value);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::string ToLower(std::string_view s);
extern const char kSyntaxError[];
extern const char kNotIntegerError[];

// --- Reads and read-modify-writes ---------------------------------------------------------------

// The value of a key as a command sees it. `payload` is owned (copied out of the stored bytes).
struct LiveValue {
  int64_t expire_at_ms = 0;
  std::string payload;
};

// Reads one key: *live = its value, nullopt when absent or expired at `now_ms`.
// Corruption when the stored bytes do not decode.
Status ReadLive(Backend* backend, std::string_view store_key, int64_t now_ms,
                std::optional<LiveValue>* live);
// Decodes stored bytes as ReadLive does.
Status DecodeLive(const std::optional<std::string>& raw, int64_t now_ms,
                  std::optional<LiveValue>* live);

// What a read-modify-write decided.
struct Decision {
  bool write = false;
  std::optional<std::string> desired;  // stored bytes to write; nullopt: delete the key
};

// The current state of a key handed to a decision function.
struct Current {
  bool present = false;  // stored bytes exist (perhaps expired or corrupt)
  bool corrupt = false;  // they do not decode (only with allow_corrupt)
  std::optional<LiveValue> live;
  int64_t now_ms = 0;
};

// Reads the key, asks `decide` what to write, and compare-and-swaps from the exact stored bytes;
// when another client changed them meanwhile, decides again on the value the swap found. The
// decision function may run several times and must recompute all its outputs each time.
// Returns its error, a backend error, Corruption (unless allow_corrupt), or Aborted after
// max_attempts lost swaps.
Status ReadModifyWrite(Backend* backend, std::string_view store_key, int max_attempts,
                       bool allow_corrupt,
                       const std::function<Status(const Current&, Decision*)>& decide);

// Milliseconds since the epoch at which a relative or absolute expiry falls, or false on
// overflow. `unit_ms` is 1000 for seconds; `absolute` for EXAT/PXAT/EXPIREAT/PEXPIREAT.
bool ExpiryToAbsoluteMs(int64_t amount, int64_t unit_ms, bool absolute, int64_t now_ms,
                        int64_t* at_ms);

// --- SCAN cursors
// ---------------------------------------------------------------------------------

// SCAN's cursors: the client sees a 64-bit number (redis-cli --scan and many clients parse the
// cursor as an unsigned integer); it names the last store key returned, remembered here. Bounded:
// the oldest cursor is forgotten first (a forgotten cursor is an "invalid cursor" error).
// Thread-safe.
class ScanCursors {
 public:
  explicit ScanCursors(size_t capacity);
  // A new cursor resuming after `last_store_key`.
  uint64_t Save(std::string last_store_key);
  // The key a cursor resumes after; false when unknown.
  bool Lookup(uint64_t cursor, std::string* last_store_key);

 private:
  const size_t capacity_;
  std::mutex mu_;
  SystemRandom random_;                                // guarded by mu_
  std::unordered_map<uint64_t, std::string> entries_;  // guarded by mu_
  std::deque<uint64_t> order_;                         // guarded by mu_; oldest first
};

// --- Handlers
// -------------------------------------------------------------------------------------

// commands_string.cc
void CmdGet(Ctx& ctx);
void CmdSet(Ctx& ctx);
void CmdSetNx(Ctx& ctx);
void CmdSetEx(Ctx& ctx);
void CmdPSetEx(Ctx& ctx);
void CmdGetSet(Ctx& ctx);
void CmdGetDel(Ctx& ctx);
void CmdMGet(Ctx& ctx);
void CmdMSet(Ctx& ctx);
void CmdIncr(Ctx& ctx);
void CmdIncrBy(Ctx& ctx);
void CmdDecr(Ctx& ctx);
void CmdDecrBy(Ctx& ctx);
void CmdAppend(Ctx& ctx);
void CmdStrLen(Ctx& ctx);
// commands_keys.cc
void CmdDel(Ctx& ctx);
void CmdExists(Ctx& ctx);
void CmdType(Ctx& ctx);
void CmdExpire(Ctx& ctx);
void CmdPExpire(Ctx& ctx);
void CmdExpireAt(Ctx& ctx);
void CmdPExpireAt(Ctx& ctx);
void CmdTtl(Ctx& ctx);
void CmdPTtl(Ctx& ctx);
void CmdPersist(Ctx& ctx);
void CmdScan(Ctx& ctx);
void CmdKeys(Ctx& ctx);
void CmdDbSize(Ctx& ctx);
// commands_server.cc
void CmdPing(Ctx& ctx);
void CmdEcho(Ctx& ctx);
void CmdSelect(Ctx& ctx);
void CmdInfo(Ctx& ctx);
void CmdCommand(Ctx& ctx);
void CmdClient(Ctx& ctx);
void CmdConfig(Ctx& ctx);
void CmdQuit(Ctx& ctx);
void CmdHello(Ctx& ctx);

}  // namespace tessera::redis
