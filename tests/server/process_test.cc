// Real `tessera server` processes on loopback (CTest label "multiraft"): a static 3-node cluster
// starts, serves writes, stops gracefully on SIGTERM with exit code 0, and after a restart of
// every process has lost nothing acknowledged. The test stops exactly the pids it started.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "tests/server/kv_client.h"

namespace tessera::testing {
namespace {

using namespace std::chrono_literals;

// Waits for `pid` to exit within `timeout_ms`; returns its wait status, or -1 (after killing it
// with SIGKILL) when it did not exit in time.
int WaitExit(pid_t pid, int timeout_ms) {
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd >= 0) {
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, timeout_ms);
    ::close(fd);
    if (ready <= 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      return -1;
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

class ProcessCluster {
 public:
  ProcessCluster() {
    dir_ = std::filesystem::temp_directory_path() / ("tessera-proc-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    for (int i = 1; i <= 3; ++i) {
      addrs_[i] = "127.0.0.1:" + std::to_string(FreePort());
      cluster_ += (i > 1 ? "," : "") + std::to_string(i) + "=" + addrs_[i];
    }
  }
  ~ProcessCluster() {
    for (auto& [i, pid] : pids_) {
      if (pid > 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
      }
    }
    if (::testing::Test::HasFailure()) {
      // The nodes' logs say why (a crash, a slow start).
      for (int i = 1; i <= 3; ++i) {
        std::ifstream in(dir_ / ("n" + std::to_string(i) + ".log"));
        std::string line;
        std::vector<std::string> lines;
        while (std::getline(in, line)) lines.push_back(line);
        const size_t from = lines.size() > 20 ? lines.size() - 20 : 0;
        std::cerr << "--- node " << i << " log (last lines) ---\n";
        for (size_t k = from; k < lines.size(); ++k) std::cerr << lines[k] << "\n";
      }
    }
    std::filesystem::remove_all(dir_);
  }

  void Start(int i) {
    const std::string data = (dir_ / ("n" + std::to_string(i))).string();
    const std::string log = (dir_ / ("n" + std::to_string(i) + ".log")).string();
    const std::string id = std::to_string(i);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      execl(TESSERA_BIN, TESSERA_BIN, "server", "--node-id", id.c_str(), "--data-dir", data.c_str(),
            "--listen", addrs_[i].c_str(), "--initial-cluster", cluster_.c_str(), "--tick-ms", "20",
            static_cast<char*>(nullptr));
      ::_exit(127);
    }
    pids_[i] = pid;
  }

  // SIGTERM, then the exit status (-1 if it had to be killed).
  int Terminate(int i) {
    ::kill(pids_[i], SIGTERM);
    const int status = WaitExit(pids_[i], 15000);
    pids_[i] = 0;
    return status;
  }

  std::map<uint64_t, std::string> addresses() const {
    std::map<uint64_t, std::string> m;
    for (auto& [i, a] : addrs_) m[i] = a;
    return m;
  }

 private:
  std::filesystem::path dir_;
  std::map<int, std::string> addrs_;
  std::map<int, pid_t> pids_;
  std::string cluster_;
};

TEST(ServerProcess, GracefulShutdownAndRestartLoseNothing) {
  ProcessCluster c;
  for (int i = 1; i <= 3; ++i) c.Start(i);
  KvTestClient client(c.addresses());
  for (int k = 0; k < 30; ++k) {
    // Generous deadlines: three ASan processes start and elect on a shared 2-core machine.
    v1::Error e = client.Put("key" + std::to_string(k), "v" + std::to_string(k), 60s);
    ASSERT_TRUE(e.message().empty()) << e.DebugString();
  }
  for (int i = 1; i <= 3; ++i) {
    const int status = c.Terminate(i);
    ASSERT_TRUE(WIFEXITED(status)) << "node " << i << " did not exit on SIGTERM";
    EXPECT_EQ(WEXITSTATUS(status), 0) << "node " << i;
  }
  for (int i = 1; i <= 3; ++i) c.Start(i);
  for (int k = 0; k < 30; ++k) {
    EXPECT_EQ(client.Get("key" + std::to_string(k), nullptr, 60s), "v" + std::to_string(k)) << k;
  }
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(WEXITSTATUS(c.Terminate(i)), 0);
}

}  // namespace
}  // namespace tessera::testing
