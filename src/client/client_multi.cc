// The operations that may span shards: BatchGet and BatchPut (split by shard, parts sent in
// parallel), Scan and ReverseScan (paged through the shards in key order) and DeleteRange (shard
// by shard).
#include <algorithm>
#include <atomic>
#include <map>
#include <thread>

#include "client/client_impl.h"

namespace tessera::client {
namespace {

// The items (indexes into the caller's keys) one shard serves.
struct Group {
  Route route;
  std::vector<size_t> items;
};

// How bad an outcome is, to report the worst of several parts.
int Severity(Code c) {
  switch (c) {
    case Code::kOk:
      return 0;
    case Code::kUnavailable:
      return 1;
    case Code::kTimeout:
      return 2;
    case Code::kInternal:
      return 3;
    case Code::kFailedPrecondition:
    case Code::kInvalidArgument:
      return 4;
  }
  return 5;
}

// Runs fn(i) for i in [0, n) on up to `parallel` threads (inline when there is one part).
void RunParallel(size_t n, size_t parallel, const std::function<void(size_t)>& fn) {
  if (n == 1 || parallel <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<size_t> next{0};
  std::vector<std::thread> threads;
  const size_t count = std::min(n, parallel);
  threads.reserve(count - 1);
  auto worker = [&] {
    for (size_t i = next++; i < n; i = next++) fn(i);
  };
  for (size_t t = 1; t < count; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
}

}  // namespace

// Runs one request per shard over `n` keyed items until every item is served. `part` sends the
// request of one group through Routed() (it sets st->regroup when the group no longer fits its
// shard; those items are grouped again).
static Status ForEachShard(
    ClientImpl* c, size_t n, const std::function<std::string_view(size_t)>& key_of, CallState st,
    bool write, const std::function<Status(const Group&, CallState*)>& part,
    const std::function<Status(std::string_view, CallState*, Route*)>& find_route) {
  std::vector<size_t> todo(n);
  for (size_t i = 0; i < n; ++i) todo[i] = i;
  bool any_ok = false;
  Status worst;
  while (!todo.empty()) {
    // Group the items by shard.
    std::vector<Group> groups;
    std::map<ShardId, size_t> index;
    for (size_t i : todo) {
      Route r;
      Status s = find_route(key_of(i), &st, &r);
      if (!s.ok())
        return any_ok && write ? Status(Code::kTimeout, "some shards applied: " + s.message()) : s;
      auto [it, fresh] = index.emplace(r.desc.id, groups.size());
      if (fresh) groups.push_back(Group{r, {}});
      groups[it->second].items.push_back(i);
    }
    std::vector<Status> results(groups.size());
    std::vector<std::vector<size_t>> redo(groups.size());
    RunParallel(groups.size(), c->options().max_parallel, [&](size_t g) {
      CallState part_st = st;
      results[g] = part(groups[g], &part_st);
      if (results[g].ok() && part_st.regroup) redo[g] = groups[g].items;
    });
    todo.clear();
    for (size_t g = 0; g < groups.size(); ++g) {
      todo.insert(todo.end(), redo[g].begin(), redo[g].end());
      if (results[g].ok()) {
        if (redo[g].empty()) any_ok = true;
      } else if (Severity(results[g].code()) > Severity(worst.code())) {
        worst = results[g];
      }
    }
    if (!worst.ok()) {
      if (write && any_ok && worst.code() == Code::kUnavailable) {
        return Status(Code::kTimeout, "some shards applied and some did not: " + worst.message());
      }
      return worst;
    }
  }
  return Status::OK();
}

Status ClientImpl::BatchGet(const std::vector<std::string>& keys,
                            std::vector<std::optional<std::string>>* values,
                            const ReadOptions& options) {
  values->assign(keys.size(), std::nullopt);
  for (const auto& k : keys) {
    if (k.empty()) return Status(Code::kInvalidArgument, "the key must not be empty");
  }
  if (keys.empty()) return Status::OK();
  const Target target =
      options.consistency == Consistency::kStrong ? Target::kLeader : Target::kAnyReplica;
  return ForEachShard(
      this, keys.size(), [&](size_t i) -> std::string_view { return keys[i]; },
      Start(options.timeout), false,
      [&](const Group& g, CallState* st) {
        v1::BatchGetRequest req;
        v1::BatchGetResponse resp;
        SetReadOptions(options, req.mutable_read());
        Route used;
        Status s = Routed(Call{keys[g.items[0]], false, target, false, true}, st,
                          MakeAttempt<v1::BatchGetRequest, v1::BatchGetResponse>(
                              &req, &resp, &v1::Kv::Stub::BatchGet,
                              [&](const Route& r, v1::BatchGetRequest* q) {
                                q->clear_keys();
                                for (size_t i : g.items) {
                                  if (!r.desc.ContainsKey(keys[i])) return false;
                                  q->add_keys(keys[i]);
                                }
                                return true;
                              }),
                          &used);
        if (!s.ok() || st->regroup) return s;
        if (static_cast<size_t>(resp.results_size()) != g.items.size()) {
          return Status(Code::kInternal, "batch get: the node answered a different key count");
        }
        for (size_t j = 0; j < g.items.size(); ++j) {
          const auto& r = resp.results(static_cast<int>(j));
          if (r.found()) (*values)[g.items[j]] = r.value();
        }
        return Status::OK();
      },
      [&](std::string_view key, CallState* st, Route* r) {
        return FindRouteWithin(Call{key, false, target, false, true}, st, r);
      });
}

Status ClientImpl::BatchPut(const std::vector<KeyValue>& pairs, const WriteOptions& options) {
  for (const auto& p : pairs) {
    if (p.key.empty()) return Status(Code::kInvalidArgument, "the key must not be empty");
  }
  if (pairs.empty()) return Status::OK();
  return ForEachShard(
      this, pairs.size(), [&](size_t i) -> std::string_view { return pairs[i].key; },
      Start(options.timeout), true,
      [&](const Group& g, CallState* st) {
        v1::BatchPutRequest req;
        v1::BatchPutResponse resp;
        Route used;
        return Routed(Call{pairs[g.items[0]].key, false, Target::kLeader, true, true}, st,
                      MakeAttempt<v1::BatchPutRequest, v1::BatchPutResponse>(
                          &req, &resp, &v1::Kv::Stub::BatchPut,
                          [&](const Route& r, v1::BatchPutRequest* q) {
                            q->clear_pairs();
                            for (size_t i : g.items) {
                              if (!r.desc.ContainsKey(pairs[i].key)) return false;
                              auto* kv = q->add_pairs();
                              kv->set_key(pairs[i].key);
                              kv->set_value(pairs[i].value);
                            }
                            return true;
                          }),
                      &used);
      },
      [&](std::string_view key, CallState* st, Route* r) {
        return FindRouteWithin(Call{key, false, Target::kLeader, true, true}, st, r);
      });
}

Status ClientImpl::FindRouteWithin(const Call& call, CallState* st, Route* route) {
  while (true) {
    if (FindRoute(call, st, route).ok()) return Status::OK();
    if (!Backoff(st)) return Expired(*st, call.write);
  }
}

namespace {

// The limit (what is left of the caller's), keys-only flag and read options of one scan page.
void SetScanOptions(const ScanOptions& options, size_t have, v1::ScanRequest* q) {
  q->set_limit(options.limit == 0
                   ? 0
                   : static_cast<uint32_t>(std::min<size_t>(options.limit - have, UINT32_MAX)));
  q->set_keys_only(options.keys_only);
  SetReadOptions(options.read, q->mutable_read());
}

}  // namespace

Status CheckRange(std::string_view start, std::string_view end) {
  if (!end.empty() && start >= end) {
    return Status(Code::kInvalidArgument, "the range's end must be above its start");
  }
  return Status::OK();
}

std::string MinEnd(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  if (b.empty()) return std::string(a);
  return std::string(std::min(a, b));
}

Status ClientImpl::Scan(std::string_view start, std::string_view end, std::vector<KeyValue>* out,
                        const ScanOptions& options, uint64_t* revision) {
  return ScanPages(start, end, /*reverse=*/false, out, options, revision);
}

Status ClientImpl::ReverseScan(std::string_view start, std::string_view end,
                               std::vector<KeyValue>* out, const ScanOptions& options,
                               uint64_t* revision) {
  return ScanPages(start, end, /*reverse=*/true, out, options, revision);
}

Status ClientImpl::ScanPages(std::string_view start, std::string_view end, bool reverse,
                             std::vector<KeyValue>* out, const ScanOptions& options,
                             uint64_t* revision) {
  out->clear();
  if (revision != nullptr) *revision = 0;
  if (auto s = CheckRange(start, end); !s.ok()) return s;
  const Target target =
      options.read.consistency == Consistency::kStrong ? Target::kLeader : Target::kAnyReplica;
  CallState st = Start(options.read.timeout);
  // The open side of what is left to scan: forward, the keys from `cursor` up; reverse, the keys
  // below it ("" then means the end of the key space).
  std::string cursor(reverse ? end : start);
  while (options.limit == 0 || out->size() < options.limit) {
    v1::ScanRequest req;
    v1::ScanResponse resp;
    Route used;
    Status s = Routed(
        Call{cursor, reverse, target, false, true}, &st,
        MakeAttempt<v1::ScanRequest, v1::ScanResponse>(
            &req, &resp, &v1::Kv::Stub::Scan,
            [&](const Route& r, v1::ScanRequest* q) {
              if (reverse) {
                q->set_start_key(std::string(std::max(start, std::string_view(r.desc.start_key))));
                q->set_end_key(cursor);
                q->set_reverse(true);
              } else {
                q->set_start_key(cursor);
                q->set_end_key(MinEnd(end, r.desc.end_key));
              }
              SetScanOptions(options, out->size(), q);
              return true;
            }),
        &used);
    if (!s.ok()) return s;
    if (revision != nullptr) *revision = std::max(*revision, resp.revision());
    for (auto& kv : *resp.mutable_pairs()) {
      out->push_back(KeyValue{std::move(*kv.mutable_key()), std::move(*kv.mutable_value())});
    }
    if (resp.more() && !out->empty()) {
      // The same shard has more: after the last key (forward), below it (reverse).
      cursor = reverse ? out->back().key : out->back().key + '\0';
      continue;
    }
    const auto& d = used.desc;
    const bool last = reverse ? d.start_key.empty() || d.start_key <= start
                              : d.end_key.empty() || (!end.empty() && d.end_key >= end);
    if (last) break;
    cursor = reverse ? d.start_key : d.end_key;
  }
  if (options.limit != 0 && out->size() > options.limit) out->resize(options.limit);
  return Status::OK();
}

Status ClientImpl::DeleteRange(std::string_view start, std::string_view end,
                               const WriteOptions& options, DeleteRangeResult* result) {
  if (auto s = CheckRange(start, end); !s.ok()) return s;
  if (result != nullptr) *result = DeleteRangeResult{};
  CallState st = Start(options.timeout);
  std::string cur(start);
  bool any_applied = false;
  while (true) {
    Route used;
    // Reporting what it deleted, a shard's part is an Atomic DELETE_RANGE (not idempotent: a
    // retry would report nothing); otherwise a plain DeleteRange.
    v1::DeleteRangeRequest req;
    v1::DeleteRangeResponse resp;
    v1::AtomicRequest areq;
    v1::AtomicResponse aresp;
    const Attempt attempt =
        result == nullptr
            ? MakeAttempt<v1::DeleteRangeRequest, v1::DeleteRangeResponse>(
                  &req, &resp, &v1::Kv::Stub::DeleteRange,
                  [&](const Route& r, v1::DeleteRangeRequest* q) {
                    q->set_start_key(cur);
                    q->set_end_key(MinEnd(end, r.desc.end_key));
                    return true;
                  })
            : MakeAttempt<v1::AtomicRequest, v1::AtomicResponse>(
                  &areq, &aresp, &v1::Kv::Stub::Atomic, [&](const Route& r, v1::AtomicRequest* q) {
                    q->clear_ops();
                    v1::AtomicOp* op = q->add_ops();
                    op->set_type(v1::AtomicOp::DELETE_RANGE);
                    op->set_key(cur);
                    op->set_end_key(MinEnd(end, r.desc.end_key));
                    op->set_want_previous(true);
                    return true;
                  });
    Status s =
        Routed(Call{cur, false, Target::kLeader, true, result == nullptr}, &st, attempt, &used);
    if (!s.ok()) {
      if (any_applied && s.code() == Code::kUnavailable) {
        return Status(Code::kTimeout, "some shards' parts applied: " + s.message());
      }
      return s;
    }
    any_applied = true;
    if (result != nullptr) {
      result->revision = std::max(result->revision, aresp.revision());
      for (auto& r : *aresp.mutable_results()) {
        for (auto& kv : *r.mutable_deleted()) {
          result->deleted.push_back(
              KeyValue{std::move(*kv.mutable_key()), std::move(*kv.mutable_value())});
        }
      }
    }
    const std::string& shard_end = used.desc.end_key;
    if (shard_end.empty() || (!end.empty() && shard_end >= end)) break;
    cur = shard_end;
  }
  return Status::OK();
}

}  // namespace tessera::client
