// The executor: dispatch, pipeline batching, and the helpers every handler shares.
#include "redis/commands.h"

#include <algorithm>
#include <array>
#include <unordered_map>
#include <utility>

#include "common/assert.h"
#include "redis/commands_internal.h"

namespace tessera::redis {

const char kSyntaxError[] = "ERR syntax error";
const char kNotIntegerError[] = "ERR value is not an integer or out of range";

namespace {

// Sorted by name (FindCommand bisects). Flags and key positions as Redis 7 reports them.
constexpr std::array kCommands = {
    CommandSpec{"append", 3, CmdAppend, "write denyoom", 1, 1, 1},
    CommandSpec{"client", -2, CmdClient, "noscript loading stale", 0, 0, 0},
    CommandSpec{"command", -1, CmdCommand, "loading stale", 0, 0, 0},
    CommandSpec{"config", -2, CmdConfig, "admin noscript loading stale", 0, 0, 0},
    CommandSpec{"dbsize", 1, CmdDbSize, "readonly fast", 0, 0, 0},
    CommandSpec{"decr", 2, CmdDecr, "write denyoom fast", 1, 1, 1},
    CommandSpec{"decrby", 3, CmdDecrBy, "write denyoom fast", 1, 1, 1},
    CommandSpec{"del", -2, CmdDel, "write", 1, -1, 1},
    CommandSpec{"echo", 2, CmdEcho, "fast", 0, 0, 0},
    CommandSpec{"exists", -2, CmdExists, "readonly fast", 1, -1, 1},
    CommandSpec{"expire", -3, CmdExpire, "write fast", 1, 1, 1},
    CommandSpec{"expireat", -3, CmdExpireAt, "write fast", 1, 1, 1},
    CommandSpec{"get", 2, CmdGet, "readonly fast", 1, 1, 1},
    CommandSpec{"getdel", 2, CmdGetDel, "write fast", 1, 1, 1},
    CommandSpec{"getset", 3, CmdGetSet, "write denyoom fast", 1, 1, 1},
    CommandSpec{"hello", -1, CmdHello, "noscript loading stale fast", 0, 0, 0},
    CommandSpec{"incr", 2, CmdIncr, "write denyoom fast", 1, 1, 1},
    CommandSpec{"incrby", 3, CmdIncrBy, "write denyoom fast", 1, 1, 1},
    CommandSpec{"info", -1, CmdInfo, "loading stale", 0, 0, 0},
    CommandSpec{"keys", 2, CmdKeys, "readonly", 0, 0, 0},
    CommandSpec{"mget", -2, CmdMGet, "readonly fast", 1, -1, 1},
    CommandSpec{"mset", -3, CmdMSet, "write denyoom", 1, -1, 2},
    CommandSpec{"persist", 2, CmdPersist, "write fast", 1, 1, 1},
    CommandSpec{"pexpire", -3, CmdPExpire, "write fast", 1, 1, 1},
    CommandSpec{"pexpireat", -3, CmdPExpireAt, "write fast", 1, 1, 1},
    CommandSpec{"ping", -1, CmdPing, "fast", 0, 0, 0},
    CommandSpec{"psetex", 4, CmdPSetEx, "write denyoom", 1, 1, 1},
    CommandSpec{"pttl", 2, CmdPTtl, "readonly fast", 1, 1, 1},
    CommandSpec{"quit", -1, CmdQuit, "noscript loading stale fast", 0, 0, 0},
    CommandSpec{"scan", -2, CmdScan, "readonly", 0, 0, 0},
    CommandSpec{"select", 2, CmdSelect, "loading stale fast", 0, 0, 0},
    CommandSpec{"set", -3, CmdSet, "write denyoom", 1, 1, 1},
    CommandSpec{"setex", 4, CmdSetEx, "write denyoom", 1, 1, 1},
    CommandSpec{"setnx", 3, CmdSetNx, "write denyoom fast", 1, 1, 1},
    CommandSpec{"strlen", 2, CmdStrLen, "readonly fast", 1, 1, 1},
    CommandSpec{"ttl", 2, CmdTtl, "readonly fast", 1, 1, 1},
    CommandSpec{"type", 2, CmdType, "readonly fast", 1, 1, 1},
    CommandSpec{"unlink", -2, CmdDel, "write fast", 1, -1, 1},
};

constexpr bool CommandsSorted() {
  for (size_t i = 1; i < kCommands.size(); ++i) {
    if (!(kCommands[i - 1].name < kCommands[i].name)) return false;
  }
  return true;
}
static_assert(CommandsSorted(), "kCommands must be sorted by name");

// Redis 7: "unknown command '%.128s', with args beginning with: " then "'%.*s' " per argument
// while the list is shorter than 128 bytes.
std::string UnknownCommandError(const std::vector<std::string>& args) {
  std::string msg = "ERR unknown command '";
  msg.append(std::string_view(args[0]).substr(0, 128));
  msg.append("', with args beginning with: ");
  std::string list;
  for (size_t i = 1; i < args.size() && list.size() < 128; ++i) {
    size_t room = 128 - list.size();
    list.push_back('\'');
    list.append(std::string_view(args[i]).substr(0, room));
    list.append("' ");
  }
  return msg + list;
}

bool ArityOk(int arity, size_t argc) {
  return arity >= 0 ? argc == static_cast<size_t>(arity) : argc >= static_cast<size_t>(-arity);
}

enum class PlainKind { kNone, kSet, kGet };

// Plain "SET k v" / "GET k" within limits: the commands ExecuteBatch groups.
PlainKind Classify(const std::vector<std::string>& args) {
  if (args.size() == 3 && EqualsIgnoreCase(args[0], "set") && args[1].size() <= kMaxRedisKeyBytes &&
      args[2].size() <= kMaxValueBytes) {
    return PlainKind::kSet;
  }
  if (args.size() == 2 && EqualsIgnoreCase(args[0], "get") && args[1].size() <= kMaxRedisKeyBytes) {
    return PlainKind::kGet;
  }
  return PlainKind::kNone;
}

}  // namespace

std::span<const CommandSpec> CommandTable() { return kCommands; }

std::vector<std::string> CommandNames() {
  std::vector<std::string> names;
  for (const CommandSpec& c : kCommands) names.emplace_back(c.name);
  return names;
}

const CommandSpec* FindCommand(std::string_view lower_name) {
  auto it = std::lower_bound(kCommands.begin(), kCommands.end(), lower_name,
                             [](const CommandSpec& c, std::string_view n) { return c.name < n; });
  return it != kCommands.end() && it->name == lower_name ? &*it : nullptr;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? x + 32 : x) == (y >= 'A' && y <= 'Z' ? y + 32 : y);
         });
}

std::string ToLower(std::string_view s) {
  std::string r(s);
  for (char& c : r) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return r;
}

void ReplyError(ReplyWriter& out, const Status& st) {
  TESSERA_ASSERT(!st.ok(), "ReplyError of an OK status");
  std::string msg;
  switch (st.code()) {
    case Status::Code::kTimeout:
      msg = "ERR timeout: outcome unknown (a write may have applied)";
      break;
    case Status::Code::kUnavailable:
      msg = "TRYAGAIN store unavailable";
      break;
    case Status::Code::kAborted:
      msg = "TRYAGAIN too much contention on key";
      break;
    case Status::Code::kInvalidArgument:
      msg = "ERR invalid argument";
      break;
    case Status::Code::kCorruption:
      msg = "ERR corrupt value";
      break;
    default:
      msg = "ERR internal error: " + std::string(Status::CodeName(st.code()));
      break;
  }
  if (!st.message().empty()) msg.append(": ").append(st.message());
  out.Error(msg);
}

bool ParseIntArg(Ctx& ctx, std::string_view s, int64_t* v) {
  if (ParseInt64(s, v)) return true;
  ctx.out.Error(kNotIntegerError);
  return false;
}

bool CheckKeyArg(Ctx& ctx, std::string_view key) {
  if (key.size() <= kMaxRedisKeyBytes) return true;
  ctx.out.Error("ERR key too long (max " + std::to_string(kMaxRedisKeyBytes) + " bytes)");
  return false;
}

bool CheckValueArg(Ctx& ctx, std::string_view value) {
  if (value.size() <= kMaxValueBytes) return true;
  ctx.out.Error("ERR value too large (max " + std::to_string(kMaxValueBytes) + " bytes)");
  return false;
}

Status DecodeLive(const std::optional<std::string>& raw, int64_t now_ms,
                  std::optional<LiveValue>* live) {
  live->reset();
  if (!raw.has_value()) return Status::OK();
  DecodedValue d;
  TESSERA_RETURN_IF_ERROR(DecodeValue(*raw, &d));
  if (!d.ExpiredAt(now_ms)) *live = LiveValue{d.expire_at_ms, std::string(d.payload)};
  return Status::OK();
}

Status ReadLive(Backend* backend, std::string_view store_key, int64_t now_ms,
                std::optional<LiveValue>* live) {
  std::optional<std::string> raw;
  TESSERA_RETURN_IF_ERROR(backend->Get(store_key, &raw));
  return DecodeLive(raw, now_ms, live);
}

Status ReadModifyWrite(Backend* backend, std::string_view store_key, int max_attempts,
                       bool allow_corrupt,
                       const std::function<Status(const Current&, Decision*)>& decide) {
  TESSERA_ASSERT(max_attempts > 0, "max_attempts > 0");
  std::optional<std::string> raw;
  TESSERA_RETURN_IF_ERROR(backend->Get(store_key, &raw));
  for (int attempt = 0; attempt < max_attempts; ++attempt) {
    Current cur;
    cur.now_ms = backend->NowMs();
    cur.present = raw.has_value();
    Status st = DecodeLive(raw, cur.now_ms, &cur.live);
    if (!st.ok()) {
      if (!allow_corrupt) return st;
      cur.corrupt = true;
    }
    Decision d;
    TESSERA_RETURN_IF_ERROR(decide(cur, &d));
    if (!d.write || (!raw.has_value() && !d.desired.has_value())) return Status::OK();
    bool swapped = false;
    std::optional<std::string> previous;
    TESSERA_RETURN_IF_ERROR(
        backend->CompareAndSwap(store_key, raw, d.desired, &swapped, &previous));
    if (swapped) return Status::OK();
    TESSERA_ASSERT(previous != raw, "a failed compare-and-swap found the expected value");
    raw = std::move(previous);
  }
  return Status::Aborted("gave up after " + std::to_string(max_attempts) + " attempts");
}

bool ExpiryToAbsoluteMs(int64_t amount, int64_t unit_ms, bool absolute, int64_t now_ms,
                        int64_t* at_ms) {
  int64_t ms = 0;
  if (__builtin_mul_overflow(amount, unit_ms, &ms)) return false;
  if (absolute) {
    *at_ms = ms;
    return true;
  }
  return !__builtin_add_overflow(ms, now_ms, at_ms);
}

ScanCursors::ScanCursors(size_t capacity) : capacity_(capacity) {
  TESSERA_ASSERT(capacity > 0, "ScanCursors capacity > 0");
}

uint64_t ScanCursors::Save(std::string last_store_key) {
  std::lock_guard lock(mu_);
  uint64_t id = 0;
  // Nonzero and below 2^62, so that clients parsing cursors as signed 64-bit integers work too.
  // A collision (one in 2^62 per cursor) is retried; the loop ends with probability one.
  for (int i = 0; i < 64 && (id == 0 || entries_.contains(id)); ++i) {
    id = random_.Next64() >> 2;
  }
  TESSERA_ASSERT(id != 0 && !entries_.contains(id), "a fresh SCAN cursor id");
  while (order_.size() >= capacity_) {
    entries_.erase(order_.front());
    order_.pop_front();
  }
  entries_.emplace(id, std::move(last_store_key));
  order_.push_back(id);
  return id;
}

bool ScanCursors::Lookup(uint64_t cursor, std::string* last_store_key) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(cursor);
  if (it == entries_.end()) return false;
  *last_store_key = it->second;
  return true;
}

CommandExecutor::CommandExecutor(Backend* backend, ExecutorOptions options)
    : backend_(backend),
      options_(std::move(options)),
      cursors_(std::make_unique<ScanCursors>(options_.max_scan_cursors)),
      start_time_(std::chrono::steady_clock::now()) {
  TESSERA_ASSERT(backend_ != nullptr, "CommandExecutor needs a backend");
  TESSERA_ASSERT(options_.max_cas_attempts > 0, "max_cas_attempts > 0");
}

CommandExecutor::~CommandExecutor() = default;

void CommandExecutor::Observe(std::string_view name, std::chrono::steady_clock::time_point start,
                              bool error) {
  if (!options_.observer) return;
  options_.observer(name, std::chrono::steady_clock::now() - start, error);
}

void CommandExecutor::Execute(Session* session, const std::vector<std::string>& args,
                              std::string* out) {
  TESSERA_ASSERT(!args.empty(), "a command has a name");
  auto start = std::chrono::steady_clock::now();
  size_t before = out->size();
  Dispatch(session, args, out);
  TESSERA_ASSERT(out->size() > before, "every command replies");
  if (options_.observer) {
    std::string name = ToLower(args[0]);
    Observe(FindCommand(name) ? std::string_view(name) : "unknown", start, (*out)[before] == '-');
  }
}

void CommandExecutor::Dispatch(Session* session, const std::vector<std::string>& args,
                               std::string* out) {
  Ctx ctx{*this, *session, args, ReplyWriter(out)};
  const CommandSpec* spec = FindCommand(ToLower(args[0]));
  if (spec == nullptr) {
    ctx.out.Error(UnknownCommandError(args));
  } else if (!ArityOk(spec->arity, args.size())) {
    ctx.out.Error("ERR wrong number of arguments for '" + std::string(spec->name) + "' command");
  } else {
    spec->handler(ctx);
  }
}

void CommandExecutor::ExecuteBatch(Session* session,
                                   std::span<const std::vector<std::string>> commands,
                                   std::string* out) {
  size_t i = 0;
  while (i < commands.size() && !session->close) {
    PlainKind kind = Classify(commands[i]);
    size_t j = i + 1;
    if (kind != PlainKind::kNone) {
      while (j < commands.size() && Classify(commands[j]) == kind) ++j;
    }
    if (j - i >= 2) {
      auto run = commands.subspan(i, j - i);
      size_t replies = kind == PlainKind::kSet ? BatchSets(run, out) : BatchGets(run, out);
      TESSERA_ASSERT(replies == run.size(), "one reply per batched command");
      i = j;
    } else {
      Execute(session, commands[i], out);
      ++i;
    }
  }
}

size_t CommandExecutor::BatchSets(std::span<const std::vector<std::string>> run, std::string* out) {
  auto start = std::chrono::steady_clock::now();
  // One pair per key, with the key's last value in the run: the final state of running the SETs
  // one by one. BatchPut does not promise an order among duplicate keys.
  std::vector<KvPair> pairs;
  std::unordered_map<std::string_view, size_t> index;
  pairs.reserve(run.size());
  for (const auto& args : run) {
    auto [it, inserted] = index.emplace(args[1], pairs.size());
    std::string value = EncodeValue(args[2], 0);
    if (inserted) {
      pairs.push_back(KvPair{EncodeKey(args[1]), std::move(value)});
    } else {
      pairs[it->second].value = std::move(value);
    }
  }
  Status st = backend_->BatchPut(pairs);
  ReplyWriter w(out);
  for (size_t k = 0; k < run.size(); ++k) {
    if (st.ok()) {
      w.Ok();
    } else {
      ReplyError(w, st);
    }
    Observe("set", start, !st.ok());
  }
  return run.size();
}

size_t CommandExecutor::BatchGets(std::span<const std::vector<std::string>> run, std::string* out) {
  auto start = std::chrono::steady_clock::now();
  std::vector<std::string> keys;
  keys.reserve(run.size());
  for (const auto& args : run) keys.push_back(EncodeKey(args[1]));
  std::vector<std::optional<std::string>> values;
  Status st = backend_->BatchGet(keys, &values);
  TESSERA_ASSERT(!st.ok() || values.size() == keys.size(), "BatchGet answers every key");
  int64_t now = backend_->NowMs();
  ReplyWriter w(out);
  for (size_t k = 0; k < run.size(); ++k) {
    std::optional<LiveValue> live;
    Status vst = st.ok() ? DecodeLive(values[k], now, &live) : st;
    if (!vst.ok()) {
      ReplyError(w, vst);
    } else if (live.has_value()) {
      w.Bulk(live->payload);
    } else {
      w.NullBulk();
    }
    Observe("get", start, !vst.ok());
  }
  return run.size();
}

}  // namespace tessera::redis
