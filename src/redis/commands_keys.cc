// Keyspace commands: DEL/UNLINK, EXISTS, TYPE, EXPIRE family, TTL/PTTL, PERSIST, SCAN, KEYS,
// DBSIZE.
#include <charconv>
#include <optional>
#include <string>
#include <vector>

#include "redis/commands_internal.h"
#include "redis/glob.h"
#include "redis/keyspace.h"

namespace tessera::redis {
namespace {

bool CheckKeyArgs(Ctx& ctx, size_t from) {
  for (size_t i = from; i < ctx.args.size(); ++i) {
    if (!CheckKeyArg(ctx, ctx.args[i])) return false;
  }
  return true;
}

enum class ExpireCondition { kAlways, kNx, kXx, kGt, kLt };

bool ParseExpireCondition(Ctx& ctx, ExpireCondition* cond) {
  bool nx = false, xx = false, gt = false, lt = false;
  for (size_t i = 3; i < ctx.args.size(); ++i) {
    std::string opt = ToLower(ctx.args[i]);
    if (opt == "nx") {
      nx = true;
    } else if (opt == "xx") {
      xx = true;
    } else if (opt == "gt") {
      gt = true;
    } else if (opt == "lt") {
      lt = true;
    } else {
      ctx.out.Error("ERR Unsupported option " + ctx.args[i]);
      return false;
    }
  }
  if (nx && (xx || gt || lt)) {
    ctx.out.Error("ERR NX and XX, GT or LT options at the same time are not compatible");
    return false;
  }
  if (gt && lt) {
    ctx.out.Error("ERR GT and LT options at the same time are not compatible");
    return false;
  }
  *cond = nx   ? ExpireCondition::kNx
          : xx ? ExpireCondition::kXx
          : gt ? ExpireCondition::kGt
          : lt ? ExpireCondition::kLt
               : ExpireCondition::kAlways;
  if (xx && (gt || lt)) *cond = gt ? ExpireCondition::kGt : ExpireCondition::kLt;  // GT/LT imply XX
  return true;
}

// Whether the condition lets a key with expiry `current` (0: none, i.e. infinite) get `at`.
bool ConditionHolds(ExpireCondition cond, int64_t current, int64_t at) {
  switch (cond) {
    case ExpireCondition::kAlways:
      return true;
    case ExpireCondition::kNx:
      return current == 0;
    case ExpireCondition::kXx:
      return current != 0;
    case ExpireCondition::kGt:
      return current != 0 && at > current;
    case ExpireCondition::kLt:
      return current == 0 || at < current;
  }
  return false;
}

// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT. An expiry at or before now deletes the key.
void ExpireGeneric(Ctx& ctx, int64_t unit_ms, bool absolute, std::string_view cmd) {
  const auto& key = ctx.args[1];
  if (!CheckKeyArg(ctx, key)) return;
  int64_t amount = 0;
  if (!ParseIntArg(ctx, ctx.args[2], &amount)) return;
  ExpireCondition cond;
  if (!ParseExpireCondition(ctx, &cond)) return;
  int64_t at = 0;
  if (!ExpiryToAbsoluteMs(amount, unit_ms, absolute, ctx.backend()->NowMs(), &at)) {
    return ctx.out.Error("ERR invalid expire time in '" + std::string(cmd) + "' command");
  }
  bool changed = false;
  Status st = ReadModifyWrite(ctx.backend(), EncodeKey(key), ctx.exec.options().max_cas_attempts,
                              false, [&](const Current& cur, Decision* d) {
                                changed = cur.live.has_value() &&
                                          ConditionHolds(cond, cur.live->expire_at_ms, at);
                                if (!changed) return Status::OK();
                                d->write = true;
                                if (at > cur.now_ms) {
                                  d->desired = EncodeValue(cur.live->payload, at);
                                }
                                return Status::OK();
                              });
  if (!st.ok()) return ReplyError(ctx.out, st);
  ctx.out.Integer(changed ? 1 : 0);
}

void TtlGeneric(Ctx& ctx, bool millis) {
  if (!CheckKeyArg(ctx, ctx.args[1])) return;
  int64_t now = ctx.backend()->NowMs();
  std::optional<LiveValue> live;
  Status st = ReadLive(ctx.backend(), EncodeKey(ctx.args[1]), now, &live);
  if (!st.ok()) return ReplyError(ctx.out, st);
  if (!live) return ctx.out.Integer(-2);
  if (live->expire_at_ms == 0) return ctx.out.Integer(-1);
  int64_t ms = live->expire_at_ms - now;  // > 0: the value is live
  ctx.out.Integer(millis ? ms : (ms + 500) / 1000);
}

struct ScanArgs {
  uint64_t cursor = 0;
  std::string pattern;  // empty: all keys
  size_t count = 10;
  bool strings_only_type = true;  // TYPE given and not "string": nothing matches
};

bool ParseScanArgs(Ctx& ctx, ScanArgs* a) {
  const std::string& c = ctx.args[1];
  auto [end, ec] = std::from_chars(c.data(), c.data() + c.size(), a->cursor);
  if (c.empty() || ec != std::errc() || end != c.data() + c.size()) {
    ctx.out.Error("ERR invalid cursor");
    return false;
  }
  for (size_t i = 2; i < ctx.args.size(); i += 2) {
    std::string opt = ToLower(ctx.args[i]);
    if (i + 1 >= ctx.args.size()) {
      ctx.out.Error(kSyntaxError);
      return false;
    }
    const std::string& v = ctx.args[i + 1];
    if (opt == "match") {
      a->pattern = v == "*" ? "" : v;
    } else if (opt == "count") {
      int64_t n = 0;
      if (!ParseIntArg(ctx, v, &n)) return false;
      if (n < 1) {
        ctx.out.Error(kSyntaxError);
        return false;
      }
      a->count = static_cast<size_t>(n);
    } else if (opt == "type") {
      a->strings_only_type = EqualsIgnoreCase(v, "string");
    } else {
      ctx.out.Error(kSyntaxError);
      return false;
    }
  }
  return true;
}

// Whether a scanned pair is a live key matching `pattern`; *redis_key is its name.
bool Matches(const KvPair& kv, std::string_view pattern, int64_t now, std::string_view* redis_key) {
  if (!DecodeKey(kv.key, redis_key)) return false;
  DecodedValue d;
  if (DecodeValue(kv.value, &d).ok() && d.ExpiredAt(now)) return false;
  return pattern.empty() || GlobMatch(pattern, *redis_key);
}

}  // namespace

void CmdDel(Ctx& ctx) {
  if (!CheckKeyArgs(ctx, 1)) return;
  int64_t deleted = 0;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    bool existed = false;
    Status st =
        ReadModifyWrite(ctx.backend(), EncodeKey(ctx.args[i]), ctx.exec.options().max_cas_attempts,
                        true, [&](const Current& cur, Decision* d) {
                          existed = cur.live.has_value() || cur.corrupt;
                          d->write = cur.present;  // expired values go too
                          d->desired.reset();
                          return Status::OK();
                        });
    if (!st.ok()) return ReplyError(ctx.out, st);
    if (existed) ++deleted;
  }
  ctx.out.Integer(deleted);
}

void CmdExists(Ctx& ctx) {
  if (!CheckKeyArgs(ctx, 1)) return;
  std::vector<std::string> keys;
  for (size_t i = 1; i < ctx.args.size(); ++i) keys.push_back(EncodeKey(ctx.args[i]));
  std::vector<std::optional<std::string>> raw;
  Status st = ctx.backend()->BatchGet(keys, &raw);
  if (!st.ok()) return ReplyError(ctx.out, st);
  int64_t now = ctx.backend()->NowMs();
  int64_t count = 0;
  for (const auto& r : raw) {
    std::optional<LiveValue> live;
    // Corrupt bytes are a key that exists (DEL removes it).
    if (r.has_value() && (!DecodeLive(r, now, &live).ok() || live.has_value())) ++count;
  }
  ctx.out.Integer(count);
}

void CmdType(Ctx& ctx) {
  if (!CheckKeyArg(ctx, ctx.args[1])) return;
  std::optional<LiveValue> live;
  Status st = ReadLive(ctx.backend(), EncodeKey(ctx.args[1]), ctx.backend()->NowMs(), &live);
  if (!st.ok()) return ReplyError(ctx.out, st);
  ctx.out.Simple(live ? "string" : "none");
}

void CmdExpire(Ctx& ctx) { ExpireGeneric(ctx, 1000, false, "expire"); }
void CmdPExpire(Ctx& ctx) { ExpireGeneric(ctx, 1, false, "pexpire"); }
void CmdExpireAt(Ctx& ctx) { ExpireGeneric(ctx, 1000, true, "expireat"); }
void CmdPExpireAt(Ctx& ctx) { ExpireGeneric(ctx, 1, true, "pexpireat"); }
void CmdTtl(Ctx& ctx) { TtlGeneric(ctx, false); }
void CmdPTtl(Ctx& ctx) { TtlGeneric(ctx, true); }

void CmdPersist(Ctx& ctx) {
  const auto& key = ctx.args[1];
  if (!CheckKeyArg(ctx, key)) return;
  bool changed = false;
  Status st = ReadModifyWrite(ctx.backend(), EncodeKey(key), ctx.exec.options().max_cas_attempts,
                              false, [&](const Current& cur, Decision* d) {
                                changed = cur.live.has_value() && cur.live->expire_at_ms != 0;
                                d->write = changed;
                                if (changed) d->desired = EncodeValue(cur.live->payload, 0);
                                return Status::OK();
                              });
  if (!st.ok()) return ReplyError(ctx.out, st);
  ctx.out.Integer(changed ? 1 : 0);
}

// SCAN resumes after the last store key it examined, remembered behind a numeric cursor
// (ScanCursors). Keys present for the whole iteration are returned exactly once; COUNT bounds
// the keys examined (matching or not, expired or not), as Redis's COUNT bounds its work.
void CmdScan(Ctx& ctx) {
  ScanArgs a;
  if (!ParseScanArgs(ctx, &a)) return;
  std::string lo, hi, start;
  bool possible = PatternRange(a.pattern, &lo, &hi);
  if (a.cursor == 0) {
    start = lo;
  } else {
    std::string last;
    if (!ctx.exec.cursors().Lookup(a.cursor, &last)) return ctx.out.Error("ERR invalid cursor");
    possible = possible && KeyAfter(last, &start);
    start = std::max(start, lo);
  }
  std::vector<std::string> found;
  std::string last;
  bool exhausted = !possible || start >= hi;
  size_t examined = 0;
  std::vector<KvPair> page;
  while (!exhausted && examined < a.count) {
    size_t limit = std::min(kScanPageKeys, a.count - examined);
    Status st = ctx.backend()->Scan(start, hi, limit, false, &page);
    if (!st.ok()) return ReplyError(ctx.out, st);
    int64_t now = ctx.backend()->NowMs();
    for (const auto& kv : page) {
      std::string_view name;
      if (a.strings_only_type && Matches(kv, a.pattern, now, &name)) found.emplace_back(name);
    }
    examined += page.size();
    if (!page.empty()) last = page.back().key;
    exhausted = page.size() < limit || !KeyAfter(last, &start);
  }
  ctx.out.ArrayHeader(2);
  ctx.out.Bulk(exhausted ? "0" : std::to_string(ctx.exec.cursors().Save(last)));
  ctx.out.ArrayHeader(found.size());
  for (const auto& k : found) ctx.out.Bulk(k);
}

void CmdKeys(Ctx& ctx) {
  std::string pattern = ctx.args[1] == "*" ? "" : ctx.args[1];
  std::string start, hi;
  std::vector<std::string> found;
  bool exhausted = !PatternRange(pattern, &start, &hi);
  std::vector<KvPair> page;
  // Each page moves start forward; the loop ends at the range's end.
  while (!exhausted) {
    Status st = ctx.backend()->Scan(start, hi, kScanPageKeys, false, &page);
    if (!st.ok()) return ReplyError(ctx.out, st);
    int64_t now = ctx.backend()->NowMs();
    for (const auto& kv : page) {
      std::string_view name;
      if (Matches(kv, pattern, now, &name)) found.emplace_back(name);
    }
    if (found.size() > ctx.exec.options().max_keys_reply) {
      return ctx.out.Error("ERR too many keys to reply at once, use SCAN");
    }
    exhausted = page.size() < kScanPageKeys || !KeyAfter(page.back().key, &start);
  }
  ctx.out.ArrayHeader(found.size());
  for (const auto& k : found) ctx.out.Bulk(k);
}

// Counts the stored keys, expired ones not yet swept included (as Redis's DBSIZE counts keys not
// yet evicted). O(keys): it walks the namespace.
void CmdDbSize(Ctx& ctx) {
  int64_t count = 0;
  Status st = CountKeys(ctx.backend(), &count, nullptr);
  if (!st.ok()) return ReplyError(ctx.out, st);
  ctx.out.Integer(count);
}

}  // namespace tessera::redis
