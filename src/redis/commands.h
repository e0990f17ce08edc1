// CommandExecutor: runs parsed Redis commands against a Backend and writes RESP2 replies.
//
// Commands and their semantics are listed in docs/redis.md. Every read-modify-write command
// (INCR*, APPEND, SETNX, SET NX/XX/GET/KEEPTTL, GETSET, DEL, EXPIRE*, PERSIST) reads the stored
// bytes and writes with Backend::CompareAndSwap from those exact bytes, retrying with the value
// the swap found (at most ExecutorOptions::max_cas_attempts times), so concurrent clients are
// linearizable. Expired values count as absent on every path (docs/redis.md, "Expiry").
//
// Backend errors become RESP errors (docs/redis.md, "Errors"):
//   Timeout          -> "ERR timeout: outcome unknown ..." (a write may have applied)
//   Unavailable      -> "TRYAGAIN ..." (nothing applied; retry later)
//   InvalidArgument  -> "ERR ..."
//   CAS contention   -> "TRYAGAIN too much contention on key ..."
//   corrupt value    -> "ERR corrupt value ..."
//
// Ownership: the executor borrows the Backend, which must outlive it.
// Thread safety: Execute and ExecuteBatch may run concurrently from many connections; each
// Session is used by one connection at a time.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "redis/backend.h"

namespace tessera::redis {

struct ExecutorOptions {
  // Called after every command with its lower-case name ("unknown" for unknown commands), its
  // latency and whether its reply was an error. Commands executed as one batch (see
  // ExecuteBatch) each report the whole batch's latency. Default: none.
  std::function<void(std::string_view command, std::chrono::nanoseconds latency, bool error)>
      observer;
  // Attempts of one read-modify-write before replying TRYAGAIN. Default: 64.
  int max_cas_attempts = 64;
  // SCAN cursors remembered at once; the oldest is forgotten first. Default: 16384.
  size_t max_scan_cursors = 16384;
  // KEYS replies at most this many keys, else an error advising SCAN. Default: 1 Mi.
  size_t max_keys_reply = 1ull << 20;
  // INFO's connected_clients (the server plugs its count in). Default: none (reported as 0).
  std::function<int64_t()> connected_clients;
  // INFO's tcp_port. Default: 0.
  int tcp_port = 0;
};

// Per-connection state.
struct Session {
  int64_t id = 0;      // CLIENT ID
  std::string name;    // CLIENT SETNAME
  bool close = false;  // set by QUIT: the connection closes once the replies so far are sent
};

class ScanCursors;

// The names of the commands the front door implements, lower case, in name order.
std::vector<std::string> CommandNames();

class CommandExecutor {
 public:
  // REQUIRES: backend != nullptr, options.max_cas_attempts > 0, options.max_scan_cursors > 0.
  explicit CommandExecutor(Backend* backend, ExecutorOptions options = {});
  ~CommandExecutor();
  CommandExecutor(const CommandExecutor&) = delete;
  CommandExecutor& operator=(const CommandExecutor&) = delete;

  // A fresh client id for a new Session (1, 2, ...).
  int64_t NewClientId() { return next_client_id_.fetch_add(1) + 1; }

  // Executes one command and appends its reply to *out. REQUIRES: !args.empty().
  void Execute(Session* session, const std::vector<std::string>& args, std::string* out);

  // Executes a pipeline in order and appends one reply per command, exactly as Execute one by
  // one would, except that a run of >= 2 consecutive plain "SET k v" (no options) becomes one
  // Backend::BatchPut and a run of >= 2 consecutive plain "GET k" one Backend::BatchGet. Only
  // runs of one kind are grouped, so a GET after a SET of the same key sees it; within a SET
  // run the last value of a key wins. A failed BatchPut fails every SET of its run (any of them
  // may have applied: pairs in different shards are written shard by shard). Commands after a
  // QUIT are not executed and get no reply.
  void ExecuteBatch(Session* session, std::span<const std::vector<std::string>> commands,
                    std::string* out);

  // For the handlers (commands_*.cc).
  Backend* backend() const { return backend_; }
  const ExecutorOptions& options() const { return options_; }
  ScanCursors& cursors() { return *cursors_; }
  std::chrono::steady_clock::time_point start_time() const { return start_time_; }

 private:
  void Dispatch(Session* session, const std::vector<std::string>& args, std::string* out);
  size_t BatchSets(std::span<const std::vector<std::string>> run, std::string* out);
  size_t BatchGets(std::span<const std::vector<std::string>> run, std::string* out);
  void Observe(std::string_view name, std::chrono::steady_clock::time_point start, bool error);

  Backend* const backend_;
  const ExecutorOptions options_;
  std::unique_ptr<ScanCursors> cursors_;
  const std::chrono::steady_clock::time_point start_time_;
  std::atomic<int64_t> next_client_id_{0};
};

}  // namespace tessera::redis
