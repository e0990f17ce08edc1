// ReadOnlyQueue: the leader's ReadIndex requests waiting for a heartbeat quorum (thesis,
// section 6.4). Internal to raft/. Request contexts must be non-empty and unique among pending
// requests; a duplicate context joins the pending request.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "raft/types.h"

namespace tessera::raft {

class ReadOnlyQueue {
 public:
  struct Request {
    Message req;     // the kReadIndex message (from == 0 or self for local requests)
    LogIndex index;  // the commit index when the request arrived
    std::map<NodeId, bool> acks;
  };

  void Add(LogIndex index, Message req);
  // Records a heartbeat acknowledgement carrying `ctx`; returns the acks so far (nullptr if the
  // context is not pending).
  const std::map<NodeId, bool>* Ack(NodeId from, const std::string& ctx);
  // Removes and returns every request up to and including the one with `ctx` (a heartbeat
  // quorum for a request confirms all earlier ones too).
  std::vector<Request> Advance(const std::string& ctx);
  // The context of the newest pending request, or empty.
  std::string LastContext() const;
  size_t size() const { return queue_.size(); }

 private:
  std::map<std::string, Request> pending_;
  std::deque<std::string> queue_;
};

}  // namespace tessera::raft
