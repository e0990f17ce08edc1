// PdServer: one `tessera pd` member: a server::Server whose Multi-Raft node holds PD's metadata
// shard (a replica on every member) and whose gRPC port serves the Pd service (and the Raft
// transport between members; not the client KV API), plus a loop that keeps the leader's session
// (PdCore::CheckLeadership) and runs the schedulers (PdCore::Tick).
//
// Thread safety: Shutdown may be called from any thread, once.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "pd/node_meta_store.h"
#include "pd/pd_core.h"
#include "pd/pd_service.h"
#include "server/server.h"

namespace tessera::pd {

struct PdServerConfig {
  NodeId member_id;      // required, non-zero; one of initial_members
  std::string data_dir;  // required
  std::string listen = "127.0.0.1:2379";
  // Every member: "1=127.0.0.1:2379,2=127.0.0.1:2380,3=127.0.0.1:2381" (1 or 3 members).
  std::string initial_members;
  // "host:port" of an HTTP status port (/metrics, /healthz, /status of the member's Raft node;
  // server/status_http.h); empty: none.
  std::string status_addr;
  // How often the member checks whether it leads, and the leader runs the schedulers.
  // Defaults: 100 ms, 500 ms.
  int64_t leadership_check_ms = 100;
  int64_t schedule_interval_ms = 500;
  // Raft settings of PD's own group (tick, election timeout).
  multiraft::NodeOptions raft;
  PdOptions pd;  // member_id and members are filled from the fields above
  // Called on every change PdCore::SetChangeListener describes (tests wait on it). Optional.
  std::function<void()> on_change;
};

class PdServer {
 public:
  static Result<std::unique_ptr<PdServer>> Start(const PdServerConfig& config);
  ~PdServer();
  PdServer(const PdServer&) = delete;
  PdServer& operator=(const PdServer&) = delete;

  void Shutdown();
  int port() const { return server_->port(); }
  PdCore* core() const { return core_.get(); }
  // The member's PD metrics (tessera_pd_*, docs/observability.md), for its /metrics page.
  void AppendMetrics(std::vector<server::Metric>* out) const;
  server::Server* raft_server() const { return server_.get(); }

 private:
  PdServer() = default;
  void Loop();

  PdServerConfig config_;
  std::unique_ptr<NodeMetaStore> store_;
  std::unique_ptr<PdCore> core_;
  std::unique_ptr<PdService> service_;
  std::unique_ptr<server::Server> server_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread loop_;
};

}  // namespace tessera::pd
