// The child process of the raft log crash test (raft_log_crash_test.cc): opens a RocksDB engine
// and a LogStore in the given directory, resumes after the last durable round, and appends rounds
// (raft_log_crash_workload.h) with sync writes, reporting each acknowledged round on file
// descriptor `ack_fd` as 8 little-endian bytes (one write, atomic on a pipe). It runs until it is
// killed, or stops after kMaxRounds. Exit codes: 0 after kMaxRounds, 2 on bad arguments, 3 on a
// storage error, 4 when the ack pipe is gone.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/coding.h"
#include "storage/raft_log_crash_workload.h"
#include "storage/raft_log_store.h"
#include "storage/rocksdb_engine.h"

namespace tessera::storage::crash {
namespace {

constexpr uint64_t kMaxRounds = 100000;

int Fail(const char* what, const Status& s) {
  std::fprintf(stderr, "raft_log_crash_child: %s: %s\n", what, s.ToString().c_str());
  return 3;
}

int Run(const std::string& dir, int ack_fd) {
  RocksDbOptions ro;
  ro.block_cache_bytes = 8 << 20;
  ro.write_buffer_bytes = 1 << 20;  // small, so flushes (and SST files) happen during the test
  ro.max_background_jobs = 2;
  auto engine = OpenRocksDbEngine(dir, ro);
  if (!engine.ok()) return Fail("open engine", engine.status());
  auto store = LogStore::Open(engine->get());
  if (!store.ok()) return Fail("open log store", store.status());
  const uint64_t start = (*store)->LastIndex(ShardId(1)).value() + 1;
  for (uint64_t round = start; round < start + kMaxRounds; ++round) {
    Status s = (*store)->Write(CrashRound(round), LogWriteOptions{.sync = true});
    if (!s.ok()) return Fail("write", s);
    char ack[8];
    EncodeFixed64(ack, round);
    if (::write(ack_fd, ack, sizeof(ack)) != static_cast<ssize_t>(sizeof(ack))) return 4;
  }
  return 0;
}

}  // namespace
}  // namespace tessera::storage::crash

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: raft_log_crash_child <db dir> <ack fd>\n");
    return 2;
  }
  return tessera::storage::crash::Run(argv[1], std::atoi(argv[2]));
}
