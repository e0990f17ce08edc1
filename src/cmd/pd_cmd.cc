#include "cmd/pd_cmd.h"

#include <pthread.h>
#include <signal.h>

#include <cstdio>

#include "common/logging.h"
#include "pd/pd_server.h"

namespace tessera::cmd {

CLI::App* AddPdCommand(CLI::App* app, PdFlags* f) {
  auto* s = app->add_subcommand("pd", "Run a placement driver (PD) member");
  s->add_option("--member-id", f->member_id, "This member's id (non-zero)")->required();
  s->add_option("--data-dir", f->data_dir, "Directory of the member's data")->required();
  s->add_option("--listen", f->listen, "host:port of the PD API and PD's Raft transport");
  s->add_option("--initial-members", f->initial_members,
                "id=host:port,... of every PD member (1 or 3); default: this member alone");
  s->add_option("--log-level", f->log_level, "trace, debug, info, warn or error");
  s->add_option("--status-addr", f->status_addr,
                "host:port of an HTTP status port (/metrics, /healthz, /status)");
  s->add_option("--tick-ms", f->tick_ms, "Length of a Raft tick of PD's group in milliseconds");
  s->add_option("--replicas", f->replicas, "Replicas per shard (a new cluster's default: 3)");
  s->add_option("--max-node-down-time-ms", f->max_node_down_time_ms,
                "After this long without a heartbeat a node's replicas are replaced");
  s->add_option("--max-shard-size-bytes", f->max_shard_size_bytes, "Split shards larger than this");
  s->add_option("--max-shard-keys", f->max_shard_keys, "Split shards with more keys than this");
  return s;
}

int RunPd(const PdFlags& f) {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  if (!SetLogLevel(f.log_level)) {
    std::fprintf(stderr, "tessera pd: unknown log level '%s'\n", f.log_level.c_str());
    return 1;
  }
  pd::PdServerConfig c;
  c.member_id = NodeId(f.member_id);
  c.data_dir = f.data_dir;
  if (!f.listen.empty()) c.listen = f.listen;
  c.status_addr = f.status_addr;
  c.initial_members =
      f.initial_members.empty() ? std::to_string(f.member_id) + "=" + c.listen : f.initial_members;
  if (f.tick_ms != 0) c.raft.tick_ms = f.tick_ms;
  if (f.replicas != 0) c.pd.schedule.replicas = f.replicas;
  if (f.max_node_down_time_ms >= 0) c.pd.schedule.max_node_down_time_ms = f.max_node_down_time_ms;
  if (f.max_shard_size_bytes != 0) c.pd.schedule.max_shard_size_bytes = f.max_shard_size_bytes;
  if (f.max_shard_keys != 0) c.pd.schedule.max_shard_keys = f.max_shard_keys;
  auto pd = pd::PdServer::Start(c);
  if (!pd.ok()) {
    std::fprintf(stderr, "tessera pd: %s\n", pd.status().ToString().c_str());
    return 1;
  }
  int sig = 0;
  sigwait(&stop, &sig);
  Log().info("received signal {}", sig);
  (*pd)->Shutdown();
  return 0;
}

}  // namespace tessera::cmd
