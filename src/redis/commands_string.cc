// String commands: GET, SET and its variants, MGET, MSET, INCR/DECR*, APPEND, STRLEN.
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "redis/commands_internal.h"

namespace tessera::redis {
namespace {

// Replies the key's live value, nil when absent.
void ReplyValue(Ctx& ctx, const std::optional<LiveValue>& live) {
  if (live.has_value()) {
    ctx.out.Bulk(live->payload);
  } else {
    ctx.out.NullBulk();
  }
}

struct SetOptions {
  bool nx = false;
  bool xx = false;
  bool get = false;
  bool keep_ttl = false;
  bool has_expiry = false;
  int64_t expire_at_ms = 0;
};

// Parses SET's options (args[3...]); replies an error and returns false when they are invalid.
bool ParseSetOptions(Ctx& ctx, int64_t now_ms, SetOptions* o) {
  const auto& args = ctx.args;
  for (size_t i = 3; i < args.size(); ++i) {
    std::string opt = ToLower(args[i]);
    bool last = i + 1 == args.size();
    if (opt == "nx" && !o->xx) {
      o->nx = true;
    } else if (opt == "xx" && !o->nx) {
      o->xx = true;
    } else if (opt == "get") {
      o->get = true;
    } else if (opt == "keepttl" && !o->has_expiry) {
      o->keep_ttl = true;
    } else if ((opt == "ex" || opt == "px" || opt == "exat" || opt == "pxat") && !o->keep_ttl &&
               !o->has_expiry && !last) {
      int64_t amount = 0;
      if (!ParseIntArg(ctx, args[++i], &amount)) return false;
      bool seconds = opt == "ex" || opt == "exat";
      bool absolute = opt == "exat" || opt == "pxat";
      if (amount <= 0 ||
          !ExpiryToAbsoluteMs(amount, seconds ? 1000 : 1, absolute, now_ms, &o->expire_at_ms)) {
        ctx.out.Error("ERR invalid expire time in 'set' command");
        return false;
      }
      o->has_expiry = true;
    } else {
      ctx.out.Error(kSyntaxError);
      return false;
    }
  }
  return true;
}

void BlindSet(Ctx& ctx, std::string_view key, std::string_view value, int64_t expire_at_ms) {
  Status st = ctx.backend()->Put(EncodeKey(key), EncodeValue(value, expire_at_ms));
  if (st.ok()) {
    ctx.out.Ok();
  } else {
    ReplyError(ctx.out, st);
  }
}

// SETEX / PSETEX: SET key value with a relative expiry given before the value.
void SetWithExpiry(Ctx& ctx, int64_t unit_ms, std::string_view cmd) {
  const auto& key = ctx.args[1];
  const auto& value = ctx.args[3];
  if (!CheckKeyArg(ctx, key) || !CheckValueArg(ctx, value)) return;
  int64_t amount = 0;
  if (!ParseIntArg(ctx, ctx.args[2], &amount)) return;
  int64_t at = 0;
  if (amount <= 0 || !ExpiryToAbsoluteMs(amount, unit_ms, false, ctx.backend()->NowMs(), &at)) {
    ctx.out.Error("ERR invalid expire time in '" + std::string(cmd) + "' command");
    return;
  }
  BlindSet(ctx, key, value, at);
}

// Adds delta to the key's integer value, keeping its expiry; replies the new value.
void IncrementBy(Ctx& ctx, int64_t delta) {
  const auto& key = ctx.args[1];
  if (!CheckKeyArg(ctx, key)) return;
  int64_t result = 0;
  const char* error = nullptr;
  Status st = ReadModifyWrite(ctx.backend(), EncodeKey(key), ctx.exec.options().max_cas_attempts,
                              false, [&](const Current& cur, Decision* d) {
                                error = nullptr;
                                int64_t old = 0;
                                if (cur.live.has_value() && !ParseInt64(cur.live->payload, &old)) {
                                  error = kNotIntegerError;
                                } else if (__builtin_add_overflow(old, delta, &result)) {
                                  error = "ERR increment or decrement would overflow";
                                } else {
                                  d->write = true;
                                  d->desired = EncodeValue(std::to_string(result),
                                                           cur.live ? cur.live->expire_at_ms : 0);
                                }
                                return Status::OK();
                              });
  if (!st.ok()) {
    ReplyError(ctx.out, st);
  } else if (error != nullptr) {
    ctx.out.Error(error);
  } else {
    ctx.out.Integer(result);
  }
}

}  // namespace

void CmdGet(Ctx& ctx) {
  if (!CheckKeyArg(ctx, ctx.args[1])) return;
  std::optional<LiveValue> live;
  Status st = ReadLive(ctx.backend(), EncodeKey(ctx.args[1]), ctx.backend()->NowMs(), &live);
  if (!st.ok()) return ReplyError(ctx.out, st);
  ReplyValue(ctx, live);
}

void CmdSet(Ctx& ctx) {
  const auto& key = ctx.args[1];
  const auto& value = ctx.args[2];
  if (!CheckKeyArg(ctx, key) || !CheckValueArg(ctx, value)) return;
  SetOptions o;
  if (!ParseSetOptions(ctx, ctx.backend()->NowMs(), &o)) return;
  if (!o.nx && !o.xx && !o.get && !o.keep_ttl) return BlindSet(ctx, key, value, o.expire_at_ms);
  bool written = false;
  std::optional<LiveValue> old;
  Status st = ReadModifyWrite(ctx.backend(), EncodeKey(key), ctx.exec.options().max_cas_attempts,
                              false, [&](const Current& cur, Decision* d) {
                                old = cur.live;
                                bool exists = cur.live.has_value();
                                written = !(o.nx && exists) && !(o.xx && !exists);
                                if (written) {
                                  int64_t expiry = o.keep_ttl && exists ? cur.live->expire_at_ms
                                                                        : o.expire_at_ms;
                                  d->write = true;
                                  d->desired = EncodeValue(value, expiry);
                                }
                                return Status::OK();
                              });
  if (!st.ok()) return ReplyError(ctx.out, st);
  if (o.get) return ReplyValue(ctx, old);
  if (written) {
    ctx.out.Ok();
  } else {
    ctx.out.NullBulk();
  }
}

void CmdSetNx(Ctx& ctx) {
  const auto& key = ctx.args[1];
  const auto& value = ctx.args[2];
  if (!CheckKeyArg(ctx, key) || !CheckValueArg(ctx, value)) return;
  bool written = false;
  Status st = ReadModifyWrite(ctx.backend(), EncodeKey(key), ctx.exec.options().max_cas_attempts,
                              false, [&](const Current& cur, Decision* d) {
                                written = !cur.live.has_value();
                                d->write = written;
                                if (written) d->desired = EncodeValue(value, 0);
                                return Status::OK();
                              });
  if (!st.ok()) return ReplyError(ctx.out, st);
  ctx.out.Integer(written ? 1 : 0);
}

void CmdSetEx(Ctx& ctx) { SetWithExpiry(ctx, 1000, "setex"); }
void CmdPSetEx(Ctx& ctx) { SetWithExpiry(ctx, 1, "psetex"); }

void CmdGetSet(Ctx& ctx) {
  const auto& key = ctx.args[1];
  const auto& value = ctx.args[2];
  if (!CheckKeyArg(ctx, key) || !CheckValueArg(ctx, value)) return;
  std::optional<LiveValue> old;
  Status st = ReadModifyWrite(ctx.backend(), EncodeKey(key), ctx.exec.options().max_cas_attempts,
                              false, [&](const Current& cur, Decision* d) {
                                old = cur.live;
                                d->write = true;
                                d->desired = EncodeValue(value, 0);
                                return Status::OK();
                              });
  if (!st.ok()) return ReplyError(ctx.out, st);
  ReplyValue(ctx, old);
}

void CmdGetDel(Ctx& ctx) {
  const auto& key = ctx.args[1];
  if (!CheckKeyArg(ctx, key)) return;
  std::optional<LiveValue> old;
  Status st = ReadModifyWrite(ctx.backend(), EncodeKey(key), ctx.exec.options().max_cas_attempts,
                              false, [&](const Current& cur, Decision* d) {
                                old = cur.live;
                                d->write = cur.present;  // an expired value goes too
                                d->desired.reset();
                                return Status::OK();
                              });
  if (!st.ok()) return ReplyError(ctx.out, st);
  ReplyValue(ctx, old);
}

void CmdMGet(Ctx& ctx) {
  std::vector<std::string> keys;
  keys.reserve(ctx.args.size() - 1);
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    if (!CheckKeyArg(ctx, ctx.args[i])) return;
    keys.push_back(EncodeKey(ctx.args[i]));
  }
  std::vector<std::optional<std::string>> raw;
  Status st = ctx.backend()->BatchGet(keys, &raw);
  if (!st.ok()) return ReplyError(ctx.out, st);
  int64_t now = ctx.backend()->NowMs();
  std::vector<std::optional<LiveValue>> live(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    st = DecodeLive(raw[i], now, &live[i]);
    if (!st.ok()) return ReplyError(ctx.out, st);
  }
  ctx.out.ArrayHeader(live.size());
  for (const auto& v : live) ReplyValue(ctx, v);
}

void CmdMSet(Ctx& ctx) {
  const auto& args = ctx.args;
  if (args.size() % 2 != 1) {
    return ctx.out.Error("ERR wrong number of arguments for 'mset' command");
  }
  for (size_t i = 1; i < args.size(); i += 2) {
    if (!CheckKeyArg(ctx, args[i]) || !CheckValueArg(ctx, args[i + 1])) return;
  }
  std::vector<KvPair> pairs;
  std::unordered_map<std::string_view, size_t> index;  // the last value of a key wins
  for (size_t i = 1; i < args.size(); i += 2) {
    auto [it, inserted] = index.emplace(args[i], pairs.size());
    if (inserted) {
      pairs.push_back(KvPair{EncodeKey(args[i]), EncodeValue(args[i + 1], 0)});
    } else {
      pairs[it->second].value = EncodeValue(args[i + 1], 0);
    }
  }
  Status st = ctx.backend()->BatchPut(pairs);
  if (!st.ok()) return ReplyError(ctx.out, st);
  ctx.out.Ok();
}

void CmdIncr(Ctx& ctx) { IncrementBy(ctx, 1); }
void CmdDecr(Ctx& ctx) { IncrementBy(ctx, -1); }

void CmdIncrBy(Ctx& ctx) {
  int64_t delta = 0;
  if (!ParseIntArg(ctx, ctx.args[2], &delta)) return;
  IncrementBy(ctx, delta);
}

void CmdDecrBy(Ctx& ctx) {
  int64_t delta = 0;
  if (!ParseIntArg(ctx, ctx.args[2], &delta)) return;
  if (delta == INT64_MIN) return ctx.out.Error("ERR decrement would overflow");
  IncrementBy(ctx, -delta);
}

void CmdAppend(Ctx& ctx) {
  const auto& key = ctx.args[1];
  const auto& suffix = ctx.args[2];
  if (!CheckKeyArg(ctx, key) || !CheckValueArg(ctx, suffix)) return;
  size_t length = 0;
  bool too_large = false;
  Status st = ReadModifyWrite(ctx.backend(), EncodeKey(key), ctx.exec.options().max_cas_attempts,
                              false, [&](const Current& cur, Decision* d) {
                                std::string payload = cur.live ? cur.live->payload : std::string();
                                too_large = payload.size() + suffix.size() > kMaxValueBytes;
                                if (too_large) return Status::OK();
                                payload.append(suffix);
                                length = payload.size();
                                d->write = true;
                                d->desired =
                                    EncodeValue(payload, cur.live ? cur.live->expire_at_ms : 0);
                                return Status::OK();
                              });
  if (!st.ok()) return ReplyError(ctx.out, st);
  if (too_large) {
    return ctx.out.Error("ERR string exceeds maximum allowed size (max " +
                         std::to_string(kMaxValueBytes) + " bytes)");
  }
  ctx.out.Integer(static_cast<int64_t>(length));
}

void CmdStrLen(Ctx& ctx) {
  if (!CheckKeyArg(ctx, ctx.args[1])) return;
  std::optional<LiveValue> live;
  Status st = ReadLive(ctx.backend(), EncodeKey(ctx.args[1]), ctx.backend()->NowMs(), &live);
  if (!st.ok()) return ReplyError(ctx.out, st);
  ctx.out.Integer(live ? static_cast<int64_t>(live->payload.size()) : 0);
}

}  // namespace tessera::redis
