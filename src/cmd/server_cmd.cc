#include "cmd/server_cmd.h"

#include <pthread.h>
#include <signal.h>

#include <cstdio>

#include "common/logging.h"
#include "server/server.h"

namespace tessera::cmd {

CLI::App* AddServerCommand(CLI::App* app, ServerFlags* f) {
  auto* s = app->add_subcommand("server", "Run a node: a process hosting shard replicas");
  s->add_option("--config", f->config, "TOML configuration file (docs/configuration.md)");
  s->add_option("--node-id", f->node_id, "This node's id (non-zero)");
  s->add_option("--data-dir", f->data_dir, "Directory of the node's data");
  s->add_option("--listen", f->listen, "host:port for the client API and the Raft transport");
  s->add_option("--status-addr", f->status_addr,
                "host:port for HTTP /metrics, /healthz and /status (default: none)");
  s->add_option("--redis-addr", f->redis_addr,
                "host:port of the Redis (RESP2) front door (needs --pd; default: none)");
  s->add_option("--etcd-addr", f->etcd_addr,
                "host:port of the etcd v3 KV front door (gRPC; needs --pd; default: none)");
  s->add_option("--initial-cluster", f->initial_cluster,
                "Static bootstrap: id=host:port,... of every node of the cluster");
  s->add_option("--pd", f->pd,
                "PD members host:port,... (the cluster is then run by PD; --node-id optional)");
  s->add_option("--initial-shards", f->initial_shards,
                "Static bootstrap: this many shards tiling the key space (default 1)");
  s->add_option("--engine", f->engine, "Store engine: rocksdb (default), lmdb or memory");
  s->add_option("--log-level", f->log_level, "trace, debug, info, warn or error");
  s->add_option("--workers", f->workers, "Worker threads driving the replicas");
  s->add_option("--apply-threads", f->apply_threads,
                "Apply pool threads (0: the workers apply committed entries themselves)");
  s->add_option("--tick-ms", f->tick_ms, "Length of a Raft tick in milliseconds");
  s->add_flag(
      "--no-sync", f->no_sync,
      "Do not fsync the Raft log (loses acknowledged writes on a machine crash; tests only)");
  return s;
}

int RunServer(const ServerFlags& f) {
  // Block the stop signals before any thread exists, so that only sigwait below receives them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  server::ServerConfig c;
  if (!f.config.empty()) {
    auto loaded = server::LoadServerConfig(f.config);
    if (!loaded.ok()) {
      std::fprintf(stderr, "tessera server: %s\n", loaded.status().ToString().c_str());
      return 1;
    }
    c = std::move(loaded).value();
  }
  if (f.node_id != 0) c.node_id = NodeId(f.node_id);
  if (!f.data_dir.empty()) c.data_dir = f.data_dir;
  if (!f.listen.empty()) c.listen = f.listen;
  if (!f.status_addr.empty()) c.status_addr = f.status_addr;
  if (!f.redis_addr.empty()) c.redis_addr = f.redis_addr;
  if (!f.etcd_addr.empty()) c.etcd_addr = f.etcd_addr;
  if (!f.initial_cluster.empty()) c.initial_cluster = f.initial_cluster;
  if (!f.pd.empty()) c.pd_endpoints = f.pd;
  if (f.initial_shards != 0) c.initial_shards = f.initial_shards;
  if (!f.engine.empty()) c.engine = f.engine;
  if (!f.log_level.empty()) c.log_level = f.log_level;
  if (f.workers != 0) c.node.workers = f.workers;
  if (f.tick_ms != 0) c.node.tick_ms = f.tick_ms;
  if (f.apply_threads >= 0) c.node.apply_threads = f.apply_threads;
  if (f.no_sync) c.node.sync_log = false;
  if (!SetLogLevel(c.log_level)) {
    std::fprintf(stderr, "tessera server: unknown log level '%s'\n", c.log_level.c_str());
    return 1;
  }
  auto server = server::Server::Start(c);
  if (!server.ok()) {
    std::fprintf(stderr, "tessera server: %s\n", server.status().ToString().c_str());
    return 1;
  }
  int sig = 0;
  sigwait(&stop, &sig);
  Log().info("received signal {}", sig);
  (*server)->Shutdown();
  return 0;
}

}  // namespace tessera::cmd
