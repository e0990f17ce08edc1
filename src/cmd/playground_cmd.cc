#include "cmd/playground_cmd.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pd/pd_client.h"
#include "tessera/client.h"

namespace tessera::cmd {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// The port layout (playground_cmd.h).
struct Ports {
  int base;
  int pd_api(int j) const { return base + j - 1; }
  int pd_http(int j) const { return base + 4 + j; }
  int node_api(int i) const { return base + 10 + i; }
  int node_redis(int i) const { return base + 20 + i; }
  int node_etcd(int i) const { return base + 30 + i; }
  int node_http(int i) const { return base + 40 + i; }
};

std::string Loopback(int port) { return "127.0.0.1:" + std::to_string(port); }

bool PortFree(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

struct Child {
  std::string name;  // "pd1", "node2"
  pid_t pid = 0;
  bool exited = false;
  int status = 0;
};

// Starts `exe args...` with stdout and stderr to `log`, in its own process group (so that a
// terminal's Ctrl-C reaches only the playground, which stops the children in order), dying with
// the playground should it be killed outright.
pid_t Spawn(const std::string& exe, const std::vector<std::string>& args, const fs::path& log,
            const sigset_t& old_mask) {
  const pid_t pid = fork();
  if (pid != 0) return pid;  // parent (or -1)
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) {
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    close(fd);
  }
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(exe.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  execv(exe.c_str(), argv.data());
  std::fprintf(stderr, "exec %s: %s\n", exe.c_str(), std::strerror(errno));
  _exit(127);
}

// Reaps children that exited; returns the names of those newly gone.
std::vector<std::string> Reap(std::vector<Child>* children) {
  std::vector<std::string> gone;
  for (auto& c : *children) {
    if (c.exited) continue;
    if (waitpid(c.pid, &c.status, WNOHANG) == c.pid) {
      c.exited = true;
      gone.push_back(c.name);
    }
  }
  return gone;
}

// SIGTERM to the children whose name starts with `prefix`, then waits (on SIGCHLD, which
// RunPlayground keeps blocked) up to `grace` for them to exit; SIGKILL for those left.
void StopChildren(std::vector<Child>* children, const std::string& prefix,
                  std::chrono::seconds grace) {
  auto mine = [&](const Child& c) { return !c.exited && c.name.rfind(prefix, 0) == 0; };
  for (auto& c : *children) {
    if (mine(c)) kill(c.pid, SIGTERM);
  }
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  const auto deadline = Clock::now() + grace;
  while (true) {
    bool left = false;
    for (auto& c : *children) {
      if (mine(c) && waitpid(c.pid, &c.status, WNOHANG) == c.pid) c.exited = true;
      left = left || mine(c);
    }
    if (!left) return;
    const auto remaining =
        std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - Clock::now());
    if (remaining.count() <= 0) break;
    timespec ts{static_cast<time_t>(remaining.count() / 1000000000),
                static_cast<long>(remaining.count() % 1000000000)};
    sigtimedwait(&chld, nullptr, &ts);  // a child exited (or the grace ran out)
  }
  for (auto& c : *children) {
    if (!mine(c)) continue;
    kill(c.pid, SIGKILL);
    waitpid(c.pid, &c.status, 0);
    c.exited = true;
  }
}

// A stop signal arrived within `timeout` (SIGINT, SIGTERM).
bool WaitForSignal(const sigset_t& stop, std::chrono::milliseconds timeout) {
  timespec ts{static_cast<time_t>(timeout.count() / 1000),
              static_cast<long>((timeout.count() % 1000) * 1000000)};
  return sigtimedwait(&stop, nullptr, &ts) > 0;
}

// One line: PD's leader, nodes up, shards and their leaders per node.
std::string StatusLine(pd::PdClient& pd, int want_nodes) {
  NodeId leader;
  auto members = pd.Members(&leader);
  auto nodes = pd.GetNodes();
  auto shards = pd.ScanShards("", "", 0);
  if (!members.ok() || !nodes.ok() || !shards.ok()) return "PD unreachable";
  int up = 0;
  for (const auto& n : nodes.value()) up += n.down ? 0 : 1;
  std::map<NodeId, int> leaders;
  for (const auto& s : shards.value()) ++leaders[s.leader];
  std::string per_node;
  for (const auto& [n, count] : leaders) {
    if (!n) continue;
    per_node +=
        (per_node.empty() ? "" : " ") + std::to_string(n.value()) + ":" + std::to_string(count);
  }
  return "PD leader " + std::to_string(leader.value()) + " | nodes up " + std::to_string(up) + "/" +
         std::to_string(want_nodes) + " | shards " + std::to_string(shards.value().size()) +
         " | leaders by node " + per_node;
}

// Healthy: every node registered and up, the first shard replicated min(3, nodes) times, and a
// strong read answered (a leader holds a lease or completed ReadIndex).
bool Healthy(pd::PdClient& pd, client::Client& cl, int want_nodes) {
  auto nodes = pd.GetNodes();
  if (!nodes.ok() || static_cast<int>(nodes.value().size()) < want_nodes) return false;
  for (const auto& n : nodes.value()) {
    if (n.down) return false;
  }
  auto shards = pd.ScanShards("", "", 1);
  if (!shards.ok() || shards.value().empty()) return false;
  if (static_cast<int>(shards.value()[0].desc.voters.size()) < std::min(3, want_nodes)) {
    return false;
  }
  std::optional<std::string> v;
  client::ReadOptions ro;
  ro.timeout = 2s;
  return cl.Get("playground", &v, ro).ok();
}

void PrintWelcome(const PlaygroundFlags& f, const Ports& p, const std::string& exe,
                  const fs::path& dir, const std::vector<Child>& children) {
  std::string pd_list, node_list;
  for (int j = 1; j <= f.pd; ++j) pd_list += (j > 1 ? "," : "") + Loopback(p.pd_api(j));
  for (int i = 1; i <= f.nodes; ++i) node_list += (i > 1 ? "," : "") + Loopback(p.node_api(i));
  std::printf("\nTessera playground: %d PD member%s and %d nodes on 127.0.0.1, data in %s\n\n",
              f.pd, f.pd > 1 ? "s" : "", f.nodes, dir.c_str());
  std::printf("  %-8s %-8s %-7s %-7s %-7s %-7s\n", "process", "pid", "native", "redis", "etcd",
              "http");
  for (const auto& c : children) {
    if (c.name.rfind("pd", 0) == 0) {
      const int j = std::stoi(c.name.substr(2));
      std::printf("  %-8s %-8d %-7d %-7s %-7s %-7d\n", c.name.c_str(), c.pid, p.pd_api(j), "-", "-",
                  p.pd_http(j));
    } else {
      const int i = std::stoi(c.name.substr(4));
      std::printf("  %-8s %-8d %-7d %-7d %-7d %-7d\n", c.name.c_str(), c.pid, p.node_api(i),
                  p.node_redis(i), p.node_etcd(i), p.node_http(i));
    }
  }
  std::printf("\nConnect (docs/client.md, docs/redis.md, docs/etcd.md, docs/pd.md):\n\n");
  std::printf("  %s ctl --pd %s put greeting hello\n", exe.c_str(), pd_list.c_str());
  std::printf("  %s ctl --pd %s get greeting\n", exe.c_str(), pd_list.c_str());
  std::printf("  redis-cli -p %d set counter 1 && redis-cli -p %d incr counter\n", p.node_redis(1),
              p.node_redis(2));
  std::printf("  etcdctl --endpoints %s put /app/config on\n", Loopback(p.node_etcd(1)).c_str());
  std::printf("  etcdctl --endpoints %s get /app --prefix\n", Loopback(p.node_etcd(2)).c_str());
  std::printf("  %s ctl --pd %s shards\n", exe.c_str(), pd_list.c_str());
  std::printf("  %s ctl --pd %s health\n", exe.c_str(), pd_list.c_str());
  std::printf("  %s ctl --endpoints %s scan    (the nodes directly, without PD)\n", exe.c_str(),
              node_list.c_str());
  std::printf("  curl -s http://%s/metrics | head\n", Loopback(p.node_http(1)).c_str());
  std::printf("  build/examples/hello_client %s    (the C++ client)\n", pd_list.c_str());
  std::printf("\nLogs: %s/*.log. Ctrl-C stops everything.\n\n", dir.c_str());
  std::fflush(stdout);
}

}  // namespace

CLI::App* AddPlaygroundCommand(CLI::App* app, PlaygroundFlags* f) {
  auto* s = app->add_subcommand(
      "playground", "Start PD and nodes on loopback, show how to connect; Ctrl-C stops");
  s->add_option("--nodes", f->nodes, "Nodes to start (1-9, default 3)")->check(CLI::Range(1, 9));
  s->add_option("--pd", f->pd, "PD members to start (1, 3 or 5; default 1)")
      ->check(CLI::IsMember({1, 3, 5}));
  s->add_option("--data-dir", f->data_dir,
                "Directory for data and logs (default: a fresh one, removed at exit)");
  s->add_option("--base-port", f->base_port,
                "B: PD on B.., nodes' native API on B+11.., RESP B+21.., etcd B+31.., HTTP B+41..")
      ->check(CLI::Range(1024, 65000));
  return s;
}

int RunPlayground(const PlaygroundFlags& f, const std::string& self_exe) {
  const Ports p{f.base_port};
  std::vector<int> ports;
  for (int j = 1; j <= f.pd; ++j) ports.insert(ports.end(), {p.pd_api(j), p.pd_http(j)});
  for (int i = 1; i <= f.nodes; ++i) {
    ports.insert(ports.end(), {p.node_api(i), p.node_redis(i), p.node_etcd(i), p.node_http(i)});
  }
  for (int port : ports) {
    if (!PortFree(port)) {
      std::fprintf(stderr,
                   "tessera playground: port %d is in use (another playground?); choose "
                   "another --base-port\n",
                   port);
      return 1;
    }
  }
  fs::path dir = f.data_dir;
  const bool fresh = dir.empty();
  if (fresh) {
    std::string tmpl = (fs::temp_directory_path() / "tessera-playground-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      std::fprintf(stderr, "tessera playground: mkdtemp: %s\n", std::strerror(errno));
      return 1;
    }
    dir = tmpl;
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    std::fprintf(stderr, "tessera playground: %s: %s\n", dir.c_str(), ec.message().c_str());
    return 1;
  }
  dir = fs::absolute(dir);

  // Only the loop below receives the stop signals; SIGCHLD stays pending for StopChildren.
  sigset_t stop, old_mask;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  sigset_t blocked = stop;
  sigaddset(&blocked, SIGCHLD);
  pthread_sigmask(SIG_BLOCK, &blocked, &old_mask);

  std::vector<Child> children;
  std::string members, pd_list;
  for (int j = 1; j <= f.pd; ++j) {
    members += (j > 1 ? "," : "") + std::to_string(j) + "=" + Loopback(p.pd_api(j));
    pd_list += (j > 1 ? "," : "") + Loopback(p.pd_api(j));
  }
  for (int j = 1; j <= f.pd; ++j) {
    const std::string name = "pd" + std::to_string(j);
    const pid_t pid = Spawn(self_exe,
                            {"pd", "--member-id", std::to_string(j), "--data-dir",
                             (dir / name).string(), "--listen", Loopback(p.pd_api(j)),
                             "--initial-members", members, "--status-addr", Loopback(p.pd_http(j))},
                            dir / (name + ".log"), old_mask);
    if (pid > 0) children.push_back(Child{name, pid});
  }
  for (int i = 1; i <= f.nodes; ++i) {
    const std::string name = "node" + std::to_string(i);
    const pid_t pid =
        Spawn(self_exe,
              {"server", "--data-dir", (dir / name).string(), "--listen", Loopback(p.node_api(i)),
               "--status-addr", Loopback(p.node_http(i)), "--redis-addr", Loopback(p.node_redis(i)),
               "--etcd-addr", Loopback(p.node_etcd(i)), "--pd", pd_list},
              dir / (name + ".log"), old_mask);
    if (pid > 0) children.push_back(Child{name, pid});
  }
  auto stop_all = [&] {
    StopChildren(&children, "node", 15s);
    StopChildren(&children, "pd", 10s);
    if (fresh) fs::remove_all(dir, ec);
  };
  if (static_cast<int>(children.size()) != f.pd + f.nodes) {
    std::fprintf(stderr, "tessera playground: fork: %s\n", std::strerror(errno));
    stop_all();
    return 1;
  }

  pd::PdClient pd(pd::PdClientOptions{pd::SplitEndpoints(pd_list), 1000, 1000, 0});
  client::ClientOptions co;
  co.pd_endpoints = pd::SplitEndpoints(pd_list);
  std::unique_ptr<client::Client> cl;
  if (!client::Client::Connect(co, &cl).ok()) return 1;

  std::printf("Starting %d PD member%s and %d nodes in %s ...\n", f.pd, f.pd > 1 ? "s" : "",
              f.nodes, dir.c_str());
  std::fflush(stdout);
  const auto deadline = Clock::now() + 60s;
  while (!Healthy(pd, *cl, f.nodes)) {
    auto gone = Reap(&children);
    if (!gone.empty() || Clock::now() >= deadline) {
      std::fprintf(stderr, "tessera playground: the cluster did not come up (%s); see %s/*.log\n",
                   gone.empty() ? "60 s passed" : (gone.front() + " exited").c_str(), dir.c_str());
      if (fresh) std::fprintf(stderr, "(kept the directory for its logs)\n");
      StopChildren(&children, "node", 15s);
      StopChildren(&children, "pd", 10s);
      return 1;
    }
    if (WaitForSignal(stop, 200ms)) {
      stop_all();
      return 130;
    }
  }
  PrintWelcome(f, p, self_exe, dir, children);
  std::printf("ready\n");
  std::fflush(stdout);

  const bool tty = isatty(STDOUT_FILENO);
  while (!WaitForSignal(stop, 1s)) {
    auto gone = Reap(&children);
    for (const auto& name : gone) {
      std::printf("%s%s exited; the others keep running\n", tty ? "\r\033[K" : "", name.c_str());
    }
    if (tty) {
      std::printf("\r\033[K%s", StatusLine(pd, f.nodes).c_str());
      std::fflush(stdout);
    }
  }
  std::printf("%sstopping ...\n", tty ? "\r\033[K" : "");
  std::fflush(stdout);
  stop_all();
  std::printf("stopped\n");
  return 0;
}

}  // namespace tessera::cmd
