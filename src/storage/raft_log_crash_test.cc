// Crash test of the raft log store on RocksDB: a child process (raft_log_crash_child) appends
// rounds for many shards with sync writes and reports each acknowledged round over a pipe; the
// parent kills it with SIGKILL at a random moment (seeded), reopens the store and checks that
//   - every acknowledged round is there in full (entries and hard states of every shard);
//   - no partial round is visible: all shards end at the same round, with the same commit and the
//     same first index (so compactions, too, are all-or-nothing);
//   - at most one unacknowledged round landed (the one in flight at the kill);
//   - appending continues: the next child resumes after the last durable round, and the parent
//     appends one last round itself.
// Kill moments: sometimes during the child's startup and recovery, mostly after a random number
// of acknowledged rounds plus a random delay. All waits are poll() on the pipe with a deadline.
// Seed: TESSERA_CRASH_SEED (default fixed); kills: TESSERA_CRASH_KILLS (default 60).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <string>

#include "common/coding.h"
#include "common/random.h"
#include "storage/raft_log_crash_workload.h"
#include "storage/raft_log_test_util.h"

namespace tessera::storage {
namespace {

using Clock = std::chrono::steady_clock;
using crash::kCrashShards;

constexpr auto kAckDeadline = std::chrono::seconds(60);  // a stuck child fails the test

uint64_t EnvOr(const char* name, uint64_t def) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 10) : def;
}

// A running child with the read end of its ack pipe.
class Child {
 public:
  explicit Child(const std::string& dir) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      ADD_FAILURE() << "pipe2 failed";
      return;
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      // Only async-signal-safe calls until exec. fd 3 carries the acks (without O_CLOEXEC).
      if (fds[1] == 3) {
        ::fcntl(3, F_SETFD, 0);
      } else {
        ::dup2(fds[1], 3);
      }
      ::execl(TESSERA_CRASH_CHILD, TESSERA_CRASH_CHILD, dir.c_str(), "3", nullptr);
      ::_exit(127);
    }
    ::close(fds[1]);
    fd_ = fds[0];
    if (pid_ < 0) ADD_FAILURE() << "fork failed";
  }
  ~Child() {
    if (pid_ > 0) KillAndReap();
    if (fd_ >= 0) ::close(fd_);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Reads acks until `until` passes (or the pipe closes); returns false on EOF.
  bool ReadAcksUntil(Clock::time_point until) {
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
      if (left.count() <= 0) return true;
      pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
      const int n = ::poll(&p, 1, static_cast<int>(left.count()));
      if (n == 0) return true;
      if (n < 0 && errno == EINTR) continue;
      if (!ReadSome()) return false;
    }
  }

  // Reads acks until `count` have arrived in total; false on EOF or deadline.
  bool WaitForAcks(uint64_t count, Clock::time_point deadline) {
    while (acks_ < count && Clock::now() < deadline) {
      if (!ReadAcksUntil(std::min(deadline, Clock::now() + std::chrono::milliseconds(50)))) {
        return false;
      }
    }
    return acks_ >= count;
  }

  // SIGKILL, reap, then drain the acks the child wrote before it died.
  int KillAndReap() {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    while (ReadSome()) {
    }
    return status;
  }

  uint64_t acks() const { return acks_; }
  uint64_t last_acked() const { return last_acked_; }

 private:
  // One read; false on EOF or error.
  bool ReadSome() {
    char buf[512];
    const ssize_t n = ::read(fd_, buf, sizeof(buf));
    if (n <= 0) return n < 0 && errno == EINTR;
    pending_.append(buf, static_cast<size_t>(n));
    while (pending_.size() >= 8) {
      const uint64_t round = DecodeFixed64(pending_.data());
      EXPECT_GT(round, last_acked_) << "acks must ascend";
      last_acked_ = round;
      ++acks_;
      pending_.erase(0, 8);
    }
    return true;
  }

  pid_t pid_ = -1;
  int fd_ = -1;
  std::string pending_;
  uint64_t acks_ = 0;
  uint64_t last_acked_ = 0;
};

// Opens the store in `dir` and checks the workload's invariants; returns the last round.
uint64_t VerifyStore(const std::string& dir, uint64_t acked, uint64_t* max_seen) {
  auto engine = OpenRocksDbEngine(dir, testing::SmallRocksDbOptions());
  EXPECT_TRUE(engine.ok()) << engine.status().ToString();
  if (!engine.ok()) return 0;
  auto store = LogStore::Open(engine->get());
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return 0;
  LogStore& st = **store;
  const uint64_t last = st.LastIndex(ShardId(1)).value();
  const LogIndex first = st.FirstIndex(ShardId(1));
  EXPECT_GE(last, acked) << "an acknowledged round was lost";
  EXPECT_LE(last, *max_seen + 1) << "more than the one round in flight landed";
  for (uint64_t s = 1; s <= kCrashShards; ++s) {
    const ShardId shard(s);
    EXPECT_EQ(st.LastIndex(shard).value(), last) << "partial round: shard " << s;
    EXPECT_EQ(st.FirstIndex(shard), first) << "partial compaction: shard " << s;
    EXPECT_EQ(st.InitialState(shard).hard_state.commit.value(), last) << "shard " << s;
    if (last < first.value()) continue;
    auto ents = st.Entries(shard, first, LogIndex(last + 1), UINT64_MAX);
    EXPECT_TRUE(ents.ok()) << ents.status().ToString();
    if (!ents.ok()) continue;
    EXPECT_EQ(ents->size(), last + 1 - first.value());
    for (const raft::Entry& e : *ents) {
      EXPECT_EQ(e.data.view(), crash::CrashPayload(e.index.value(), s))
          << "shard " << s << " " << e.index;
    }
  }
  *max_seen = std::max(*max_seen, last);
  return last;
}

TEST(LogStoreCrashTest, SigkillLosesNoAcknowledgedRoundAndLeavesNoPartialRound) {
  testing::TempDir tmp;
  const std::string dir = tmp.Sub("db");
  const uint64_t seed = EnvOr("TESSERA_CRASH_SEED", 20261122);
  const uint64_t kills = EnvOr("TESSERA_CRASH_KILLS", 60);
  SeededRandom rnd(seed);
  SCOPED_TRACE("TESSERA_CRASH_SEED=" + std::to_string(seed));
  uint64_t acked = 0;     // the highest acknowledged round, over all children
  uint64_t max_seen = 0;  // the highest round known to exist (acked or found after a crash)
  uint64_t startup_kills = 0;
  for (uint64_t k = 0; k < kills; ++k) {
    SCOPED_TRACE("kill " + std::to_string(k));
    Child child(dir);
    const auto deadline = Clock::now() + kAckDeadline;
    if (rnd.Chance(0.15)) {
      // During startup: exec, engine open and WAL recovery, store recovery.
      ++startup_kills;
      ASSERT_TRUE(child.ReadAcksUntil(Clock::now() + std::chrono::milliseconds(rnd.Uniform(120))));
    } else {
      ASSERT_TRUE(child.WaitForAcks(rnd.Range(1, 6), deadline)) << "child made no progress";
      ASSERT_TRUE(child.ReadAcksUntil(Clock::now() + std::chrono::milliseconds(rnd.Uniform(6))));
    }
    const int status = child.KillAndReap();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the child died before the kill, status " << status;
    acked = std::max(acked, child.last_acked());
    max_seen = std::max(max_seen, acked);
    VerifyStore(dir, acked, &max_seen);
    if (HasFailure()) return;
  }
  // Appending continues in a fresh process (this one) after the last crash.
  {
    auto engine = OpenRocksDbEngine(dir, testing::SmallRocksDbOptions());
    ASSERT_TRUE(engine.ok());
    auto store = LogStore::Open(engine->get());
    ASSERT_TRUE(store.ok());
    const uint64_t next = (*store)->LastIndex(ShardId(1)).value() + 1;
    ASSERT_OK((*store)->Write(crash::CrashRound(next)));
    acked = next;
  }
  EXPECT_EQ(VerifyStore(dir, acked, &max_seen), acked);
  EXPECT_GT(acked, kills);  // most children got rounds through
  RecordProperty("kills", static_cast<int>(kills));
  RecordProperty("startup_kills", static_cast<int>(startup_kills));
  RecordProperty("rounds", static_cast<int>(acked));
}

}  // namespace
}  // namespace tessera::storage
