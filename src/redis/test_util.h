// Helpers for the Redis front door's tests: an executor on a MemoryBackend and RESP builders.
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include "redis/commands.h"
#include "redis/memory_backend.h"

namespace tessera::redis::test {

inline std::string Bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}
inline std::string Int(int64_t v) { return ":" + std::to_string(v) + "\r\n"; }
inline std::string Err(std::string_view msg) { return "-" + std::string(msg) + "\r\n"; }
inline const std::string kOk = "+OK\r\n";
inline const std::string kNil = "$-1\r\n";
inline std::string Array(std::initializer_list<std::string> items) {
  std::string s = "*" + std::to_string(items.size()) + "\r\n";
  for (const auto& i : items) s += i;
  return s;
}
// A RESP request as a client library sends it.
inline std::string Request(const std::vector<std::string>& args) {
  std::string s = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) s += Bulk(a);
  return s;
}

class ExecutorFixture {
 public:
  explicit ExecutorFixture(ExecutorOptions options = {}) : exec_(&backend_, std::move(options)) {
    session_.id = exec_.NewClientId();
  }

  std::string Cmd(std::vector<std::string> args) {
    std::string out;
    exec_.Execute(&session_, args, &out);
    return out;
  }
  std::string RunBatch(const std::vector<std::vector<std::string>>& cmds) {
    std::string out;
    exec_.ExecuteBatch(&session_, cmds, &out);
    return out;
  }

  MemoryBackend backend_;
  CommandExecutor exec_;
  Session session_;
};

}  // namespace tessera::redis::test
