// The real etcd client: /usr/bin/etcdctl (Debian etcd-client 3.4) against the front door over a
// MemoryBackend. etcdctl is a build dependency (scripts/install-deps.sh), so its absence fails
// the test. Each etcdctl process is waited for with a deadline and killed if it overruns; the
// test kills only the processes it started.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "etcd/test_util.h"

extern char** environ;

namespace tessera::etcd::test {
namespace {

constexpr const char* kEtcdctl = "/usr/bin/etcdctl";
constexpr auto kProcessDeadline = std::chrono::seconds(30);

struct ProcessResult {
  int exit_code = -1;  // -1: killed at the deadline or abnormal exit
  std::string out;
  std::string err;
};

// Reads `fds` until each is at EOF or `deadline` passes; returns false on the deadline.
bool Drain(int fds[2], std::string* outs[2], std::chrono::steady_clock::time_point deadline) {
  bool open[2] = {true, true};
  char buf[4096];
  while (open[0] || open[1]) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p[2] = {{open[0] ? fds[0] : -1, POLLIN, 0}, {open[1] ? fds[1] : -1, POLLIN, 0}};
    if (::poll(p, 2, static_cast<int>(left.count())) < 0) return false;
    for (int i = 0; i < 2; ++i) {
      if (!open[i] || p[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i], buf, sizeof(buf));
      if (n <= 0) {
        open[i] = false;
      } else {
        outs[i]->append(buf, static_cast<size_t>(n));
      }
    }
  }
  return true;
}

// Runs etcdctl (API v3) against 127.0.0.1:port with `args`, feeding `input` on stdin.
ProcessResult Etcdctl(int port, const std::vector<std::string>& args,
                      const std::string& input = "") {
  std::vector<std::string> argv_s = {kEtcdctl, "--endpoints=127.0.0.1:" + std::to_string(port),
                                     "--dial-timeout=10s", "--command-timeout=20s"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  // The child's environment, built before fork (only async-signal-safe calls after it).
  std::string api = "ETCDCTL_API=3";
  std::vector<char*> envp = {api.data()};
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "ETCDCTL_", 8) != 0) envp.push_back(*e);
  }
  envp.push_back(nullptr);

  int in[2], out[2], err[2];
  EXPECT_EQ(::pipe2(in, O_CLOEXEC), 0);
  EXPECT_EQ(::pipe2(out, O_CLOEXEC), 0);
  EXPECT_EQ(::pipe2(err, O_CLOEXEC), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::execve(kEtcdctl, argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  ProcessResult run;
  if (pid < 0) return run;
  const auto deadline = std::chrono::steady_clock::now() + kProcessDeadline;
  // Inputs are small (well under a pipe's buffer), so this write cannot block.
  EXPECT_EQ(::write(in[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
  ::close(in[1]);
  int fds[2] = {out[0], err[0]};
  std::string* outs[2] = {&run.out, &run.err};
  const bool finished = Drain(fds, outs, deadline);
  ::close(out[0]);
  ::close(err[0]);
  if (!finished) {
    ::kill(pid, SIGKILL);  // our own child, by pid
    ADD_FAILURE() << "etcdctl overran its deadline: " << run.out << run.err;
  }
  // Both pipes are closed, so the process has exited or is exiting (or was killed).
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (finished && WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  return run;
}

class EtcdctlTest : public EtcdTest {
 protected:
  void SetUp() override {
    ASSERT_EQ(::access(kEtcdctl, X_OK), 0) << kEtcdctl << " is missing: install etcd-client";
  }
  // Runs etcdctl and expects exit code 0; returns its stdout.
  std::string Ok(const std::vector<std::string>& args, const std::string& input = "") {
    ProcessResult r = Etcdctl(h_.port(), args, input);
    EXPECT_EQ(r.exit_code, 0) << "etcdctl " << ::testing::PrintToString(args)
                              << "\nstdout: " << r.out << "\nstderr: " << r.err;
    return r.out;
  }
};

TEST_F(EtcdctlTest, PutGetDelete) {
  EXPECT_EQ(Ok({"put", "foo", "bar"}), "OK\n");
  EXPECT_EQ(Ok({"put", "foo2", "bar2"}), "OK\n");
  EXPECT_EQ(Ok({"put", "other", "x"}), "OK\n");
  EXPECT_EQ(Ok({"get", "foo", "--prefix"}), "foo\nbar\nfoo2\nbar2\n");
  EXPECT_EQ(Ok({"get", "foo", "--prefix", "--keys-only", "--limit=1"}), "foo\n\n");
  const std::string json = Ok({"get", "", "--prefix", "--limit=1", "-w", "json"});
  EXPECT_NE(json.find("\"more\":true,\"count\":3"), std::string::npos) << json;
  EXPECT_EQ(Ok({"del", "foo"}), "1\n");
  EXPECT_EQ(Ok({"del", "--prefix", "foo"}), "1\n");
  EXPECT_EQ(Ok({"get", "--from-key", ""}), "other\nx\n");
}

TEST_F(EtcdctlTest, TxnFromStdin) {
  Ok({"put", "k", "v1"});
  const std::string out = Ok({"txn"},
                             "value(\"k\") = \"v1\"\n"
                             "\n"
                             "put k v2\n"
                             "get k\n"
                             "\n"
                             "put k failed\n"
                             "\n");
  EXPECT_EQ(out, "SUCCESS\n\nOK\n\nk\nv2\n");
  EXPECT_EQ(Ok({"get", "k", "--print-value-only"}), "v2\n");
}

TEST_F(EtcdctlTest, EndpointStatus) {
  const std::string out = Ok({"endpoint", "status"});
  EXPECT_NE(out.find("127.0.0.1:" + std::to_string(h_.port())), std::string::npos) << out;
  EXPECT_NE(out.find("3.4.0"), std::string::npos) << out;
  EXPECT_NE(out.find("true"), std::string::npos) << out;  // member 1 is the leader
}

}  // namespace
}  // namespace tessera::etcd::test
