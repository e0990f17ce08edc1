// Connection and server commands: PING, ECHO, SELECT, INFO, COMMAND, CLIENT, CONFIG GET, QUIT,
// HELLO. Enough for redis-cli 7, redis-benchmark and the common client libraries to connect.
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "redis/commands_internal.h"
#include "redis/glob.h"
#include "redis/keyspace.h"

#ifndef TESSERA_VERSION
#define TESSERA_VERSION "0.0.0"
#endif

namespace tessera::redis {
namespace {

// The Redis version we present: clients check it to decide which commands to use.
constexpr std::string_view kRedisVersion = "7.0.0";

void WrongArgs(Ctx& ctx, std::string_view name) {
  ctx.out.Error("ERR wrong number of arguments for '" + std::string(name) + "' command");
}

void UnknownSubcommand(Ctx& ctx, std::string_view cmd) {
  ctx.out.Error("ERR unknown subcommand '" + std::string(ctx.args[1].substr(0, 128)) + "'. Try " +
                std::string(cmd) + " HELP.");
}

// One COMMAND entry in Redis 7's layout: name, arity, flags, first key, last key, step, ACL
// categories, tips, key specs, subcommands (the last four empty).
void ReplyCommandInfo(Ctx& ctx, const CommandSpec& c) {
  ctx.out.ArrayHeader(10);
  ctx.out.Bulk(c.name);
  ctx.out.Integer(c.arity);
  std::vector<std::string_view> flags;
  for (size_t p = 0; p < c.flags.size();) {
    size_t e = c.flags.find(' ', p);
    if (e == std::string_view::npos) e = c.flags.size();
    flags.push_back(c.flags.substr(p, e - p));
    p = e + 1;
  }
  ctx.out.ArrayHeader(flags.size());
  for (auto f : flags) ctx.out.Simple(f);
  ctx.out.Integer(c.first_key);
  ctx.out.Integer(c.last_key);
  ctx.out.Integer(c.key_step);
  for (int i = 0; i < 4; ++i) ctx.out.ArrayHeader(0);
}

std::string ServerSection(Ctx& ctx) {
  auto uptime = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                                 ctx.exec.start_time())
                    .count();
  std::string s = "# Server\r\n";
  s += "redis_version:" + std::string(kRedisVersion) + "\r\n";
  s += "tessera_version:" TESSERA_VERSION "\r\n";
  s += "redis_mode:standalone\r\n";
  s += "process_id:" + std::to_string(getpid()) + "\r\n";
  s += "tcp_port:" + std::to_string(ctx.exec.options().tcp_port) + "\r\n";
  s += "uptime_in_seconds:" + std::to_string(uptime) + "\r\n";
  return s + "\r\n";
}

std::string ClientsSection(Ctx& ctx) {
  const auto& f = ctx.exec.options().connected_clients;
  return "# Clients\r\nconnected_clients:" + std::to_string(f ? f() : 0) + "\r\n\r\n";
}

bool KeyspaceSection(Ctx& ctx, std::string* s) {
  int64_t keys = 0, expires = 0;
  Status st = CountKeys(ctx.backend(), &keys, &expires);
  if (!st.ok()) {
    ReplyError(ctx.out, st);
    return false;
  }
  *s = "# Keyspace\r\n";
  if (keys > 0) {
    *s += "db0:keys=" + std::to_string(keys) + ",expires=" + std::to_string(expires) +
          ",avg_ttl=0\r\n";
  }
  return true;
}

}  // namespace

void CmdPing(Ctx& ctx) {
  if (ctx.args.size() > 2) return WrongArgs(ctx, "ping");
  if (ctx.args.size() == 2) return ctx.out.Bulk(ctx.args[1]);
  ctx.out.Simple("PONG");
}

void CmdEcho(Ctx& ctx) { ctx.out.Bulk(ctx.args[1]); }

void CmdSelect(Ctx& ctx) {
  int64_t db = 0;
  if (!ParseIntArg(ctx, ctx.args[1], &db)) return;
  if (db != 0) return ctx.out.Error("ERR DB index is out of range");
  ctx.out.Ok();
}

// INFO [section ...]: sections server, clients, keyspace; "all", "everything", "default" or none
// give all three. The keyspace section walks the namespace (O(keys)).
void CmdInfo(Ctx& ctx) {
  bool server = ctx.args.size() == 1, clients = server, keyspace = server;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    std::string s = ToLower(ctx.args[i]);
    bool all = s == "all" || s == "everything" || s == "default";
    server |= all || s == "server";
    clients |= all || s == "clients";
    keyspace |= all || s == "keyspace";
  }
  std::string text;
  if (server) text += ServerSection(ctx);
  if (clients) text += ClientsSection(ctx);
  if (keyspace) {
    std::string ks;
    if (!KeyspaceSection(ctx, &ks)) return;
    text += ks;
  }
  ctx.out.Bulk(text);
}

// COMMAND, COMMAND COUNT, COMMAND INFO name..., COMMAND LIST, COMMAND DOCS (an empty reply:
// redis-cli 7 then just shows no hints).
void CmdCommand(Ctx& ctx) {
  auto table = CommandTable();
  if (ctx.args.size() == 1) {
    ctx.out.ArrayHeader(table.size());
    for (const auto& c : table) ReplyCommandInfo(ctx, c);
    return;
  }
  std::string sub = ToLower(ctx.args[1]);
  if (sub == "count" && ctx.args.size() == 2)
    return ctx.out.Integer(static_cast<int64_t>(table.size()));
  if (sub == "docs") return ctx.out.ArrayHeader(0);
  if (sub == "list" && ctx.args.size() == 2) {
    ctx.out.ArrayHeader(table.size());
    for (const auto& c : table) ctx.out.Bulk(c.name);
    return;
  }
  if (sub == "info") {
    ctx.out.ArrayHeader(ctx.args.size() - 2);
    for (size_t i = 2; i < ctx.args.size(); ++i) {
      const CommandSpec* c = FindCommand(ToLower(ctx.args[i]));
      if (c == nullptr) {
        ctx.out.NullArray();
      } else {
        ReplyCommandInfo(ctx, *c);
      }
    }
    return;
  }
  UnknownSubcommand(ctx, "COMMAND");
}

void CmdClient(Ctx& ctx) {
  std::string sub = ToLower(ctx.args[1]);
  size_t argc = ctx.args.size();
  if (sub == "id") {
    if (argc != 2) return WrongArgs(ctx, "client|id");
    return ctx.out.Integer(ctx.session.id);
  }
  if (sub == "getname") {
    if (argc != 2) return WrongArgs(ctx, "client|getname");
    if (ctx.session.name.empty()) return ctx.out.NullBulk();
    return ctx.out.Bulk(ctx.session.name);
  }
  if (sub == "setname") {
    if (argc != 3) return WrongArgs(ctx, "client|setname");
    for (char c : ctx.args[2]) {
      if (c < '!' || c > '~') {
        return ctx.out.Error(
            "ERR Client names cannot contain spaces, newlines or special characters.");
      }
    }
    ctx.session.name = ctx.args[2];
    return ctx.out.Ok();
  }
  if (sub == "setinfo") {
    if (argc != 4) return WrongArgs(ctx, "client|setinfo");
    return ctx.out.Ok();  // library name and version: accepted, not kept
  }
  UnknownSubcommand(ctx, "CLIENT");
}

// CONFIG GET pattern...: a few read-only parameters that tools ask for (redis-benchmark asks for
// save and appendonly). Other CONFIG subcommands are not supported.
void CmdConfig(Ctx& ctx) {
  static constexpr std::pair<std::string_view, std::string_view> kParams[] = {
      {"appendonly", "no"}, {"databases", "1"}, {"maxmemory", "0"}, {"save", ""}};
  if (ToLower(ctx.args[1]) != "get") return UnknownSubcommand(ctx, "CONFIG");
  if (ctx.args.size() < 3) return WrongArgs(ctx, "config|get");
  std::vector<std::pair<std::string_view, std::string_view>> found;
  for (const auto& p : kParams) {
    for (size_t i = 2; i < ctx.args.size(); ++i) {
      if (GlobMatch(ToLower(ctx.args[i]), p.first)) {
        found.push_back(p);
        break;
      }
    }
  }
  ctx.out.ArrayHeader(2 * found.size());
  for (const auto& [k, v] : found) {
    ctx.out.Bulk(k);
    ctx.out.Bulk(v);
  }
}

void CmdQuit(Ctx& ctx) {
  ctx.session.close = true;
  ctx.out.Ok();
}

// HELLO [protover [AUTH user pass] [SETNAME name]]: only RESP2; there is no authentication, so
// AUTH is accepted whatever the credentials (as Redis's default user without a password).
void CmdHello(Ctx& ctx) {
  const auto& args = ctx.args;
  if (args.size() >= 2) {
    int64_t ver = 0;
    if (!ParseInt64(args[1], &ver)) {
      return ctx.out.Error("ERR Protocol version is not an integer or out of range");
    }
    if (ver != 2) return ctx.out.Error("NOPROTO unsupported protocol version");
  }
  std::string name = ctx.session.name;
  for (size_t i = 2; i < args.size(); ++i) {
    std::string opt = ToLower(args[i]);
    if (opt == "auth" && i + 2 < args.size()) {
      i += 2;
    } else if (opt == "setname" && i + 1 < args.size()) {
      name = args[++i];
    } else {
      return ctx.out.Error("ERR Syntax error in HELLO option '" + args[i] + "'");
    }
  }
  ctx.session.name = name;
  ctx.out.ArrayHeader(14);
  ctx.out.Bulk("server");
  ctx.out.Bulk("redis");
  ctx.out.Bulk("version");
  ctx.out.Bulk(kRedisVersion);
  ctx.out.Bulk("proto");
  ctx.out.Integer(2);
  ctx.out.Bulk("id");
  ctx.out.Integer(ctx.session.id);
  ctx.out.Bulk("mode");
  ctx.out.Bulk("standalone");
  ctx.out.Bulk("role");
  ctx.out.Bulk("master");
  ctx.out.Bulk("modules");
  ctx.out.ArrayHeader(0);
}

}  // namespace tessera::redis
