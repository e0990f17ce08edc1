#include "raft/read_only.h"

namespace tessera::raft {

void ReadOnlyQueue::Add(LogIndex index, Message req) {
  const std::string ctx = req.context;
  if (pending_.count(ctx)) return;
  pending_.emplace(ctx, Request{std::move(req), index, {}});
  queue_.push_back(ctx);
}

const std::map<NodeId, bool>* ReadOnlyQueue::Ack(NodeId from, const std::string& ctx) {
  auto it = pending_.find(ctx);
  if (it == pending_.end()) return nullptr;
  it->second.acks[from] = true;
  return &it->second.acks;
}

std::vector<ReadOnlyQueue::Request> ReadOnlyQueue::Advance(const std::string& ctx) {
  std::vector<Request> out;
  size_t n = 0;
  bool found = false;
  for (const std::string& c : queue_) {
    ++n;
    if (c == ctx) {
      found = true;
      break;
    }
  }
  if (!found) return out;
  for (size_t i = 0; i < n; ++i) {
    auto it = pending_.find(queue_.front());
    out.push_back(std::move(it->second));
    pending_.erase(it);
    queue_.pop_front();
  }
  return out;
}

std::string ReadOnlyQueue::LastContext() const {
  return queue_.empty() ? std::string() : queue_.back();
}

}  // namespace tessera::raft
