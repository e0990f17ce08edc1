#include "cmd/ctl_kv.h"

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pd/pd_client.h"
#include "tessera/client.h"

namespace tessera::cmd {
namespace {

using nlohmann::json;

int Fail(const client::Status& s, bool write) {
  std::fprintf(stderr, "error: %s%s\n", s.ToString().c_str(),
               write && s.outcome_unknown() ? " (the write may have applied)" : "");
  return 1;
}

client::Consistency ConsistencyOf(const std::string& c) {
  if (c == "follower") return client::Consistency::kFollower;
  if (c == "stale") return client::Consistency::kStale;
  return client::Consistency::kStrong;
}

// JSON strings must be UTF-8; keys and values are bytes. Invalid UTF-8 is replaced.
std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

std::optional<int> RunClientKv(const CtlFlags& f) {
  const bool any =
      f.put->parsed() || f.get->parsed() || f.del->parsed() || f.scan->parsed() || f.cas->parsed();
  if (!any) return std::nullopt;
  client::ClientOptions o;
  o.pd_endpoints = pd::SplitEndpoints(f.pd.pd);
  o.timeout = std::chrono::milliseconds(f.timeout_ms);
  std::unique_ptr<client::Client> cl;
  if (auto s = client::Client::Connect(o, &cl); !s.ok()) return Fail(s, false);
  const bool as_json = f.output == "json";
  client::ReadOptions ro;
  ro.consistency = ConsistencyOf(f.consistency);
  ro.max_staleness = std::chrono::seconds(5);

  if (f.put->parsed()) {
    if (auto s = cl->Put(f.key, f.value); !s.ok()) return Fail(s, true);
    std::printf("%s\n", as_json ? R"({"ok":true})" : "OK");
    return 0;
  }
  if (f.del->parsed()) {
    if (auto s = cl->Delete(f.key); !s.ok()) return Fail(s, true);
    std::printf("%s\n", as_json ? R"({"ok":true})" : "OK");
    return 0;
  }
  if (f.get->parsed()) {
    std::optional<std::string> v;
    if (auto s = cl->Get(f.key, &v, ro); !s.ok()) return Fail(s, false);
    if (as_json) {
      json j = {{"key", f.key}, {"found", v.has_value()}};
      if (v) j["value"] = *v;
      std::printf("%s\n", Dump(j).c_str());
    } else if (v) {
      std::printf("%s\n", v->c_str());
    } else {
      std::fprintf(stderr, "(not found)\n");
    }
    return v ? 0 : 3;
  }
  if (f.scan->parsed()) {
    client::ScanOptions so;
    so.read = ro;
    so.limit = f.limit;
    so.keys_only = f.keys_only;
    std::vector<client::KeyValue> out;
    auto s =
        f.reverse ? cl->ReverseScan(f.start, f.end, &out, so) : cl->Scan(f.start, f.end, &out, so);
    if (!s.ok()) return Fail(s, false);
    if (as_json) {
      json arr = json::array();
      for (const auto& kv : out) {
        arr.push_back(f.keys_only ? json{{"key", kv.key}}
                                  : json{{"key", kv.key}, {"value", kv.value}});
      }
      std::printf("%s\n", Dump(arr).c_str());
    } else {
      for (const auto& kv : out) {
        if (f.keys_only) {
          std::printf("%s\n", kv.key.c_str());
        } else {
          std::printf("%s\t%s\n", kv.key.c_str(), kv.value.c_str());
        }
      }
      if (f.limit != 0 && out.size() == f.limit) std::printf("(limit reached)\n");
    }
    return 0;
  }
  // cas
  std::optional<std::string> expected;
  if (!f.expect_absent) expected = f.expect;
  std::optional<std::string> desired;
  if (!f.cas_delete) desired = f.value;
  client::CasResult r;
  if (auto s = cl->CompareAndSwap(f.key, expected, desired, &r); !s.ok()) return Fail(s, true);
  if (as_json) {
    json j = {{"succeeded", r.succeeded}, {"previous_found", r.previous.has_value()}};
    if (r.previous) j["previous"] = *r.previous;
    std::printf("%s\n", Dump(j).c_str());
  } else if (r.succeeded) {
    std::printf("OK\n");
  } else {
    std::printf("not swapped: the value is %s\n",
                r.previous ? ("'" + *r.previous + "'").c_str() : "absent");
  }
  return r.succeeded ? 0 : 3;
}

}  // namespace tessera::cmd
