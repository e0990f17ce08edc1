#include "multiraft/local_state.h"

#include "common/checksum.h"
#include "common/coding.h"
#include "multiraft/id_coding.h"

namespace tessera::multiraft {
namespace {
constexpr uint8_t kApplyStateV1 = 1;  // without joined_at (read as empty)
constexpr uint8_t kApplyStateV2 = 2;  // without merge (read as none)
constexpr uint8_t kApplyStateV3 = 3;  // without revision (read as 0)
constexpr uint8_t kApplyStateV4 = 4;

}  // namespace

std::string ShardDescriptorKey(ShardId shard) {
  std::string k(kShardDescriptorPrefix);
  PutBigEndian64(&k, shard.value());
  return k;
}

std::string TombstoneKey(ShardId shard) {
  std::string k(kTombstonePrefix);
  PutBigEndian64(&k, shard.value());
  return k;
}

std::string ApplyStateKey(ShardId shard) {
  std::string k = "apply/";
  PutBigEndian64(&k, shard.value());
  return k;
}

void ApplyState::RecordJoins(const raft::ConfState& before, const raft::ConfState& after,
                             uint64_t conf_version) {
  for (const auto* set : {&after.voters, &after.learners}) {
    for (NodeId n : *set) {
      if (!before.Contains(n)) joined_at[n] = conf_version;
    }
  }
  std::erase_if(joined_at, [&](const auto& kv) { return !after.Contains(kv.first); });
}

// Layout: version, varint index, varint term, voters, learners, voters_outgoing, learners_next,
// auto_leave byte, varint n + n x (varint node, varint conf version) of joined_at (version 2),
// a merge byte (0: none; 1: then varint target, target conf version, target version, prepare
// index, prepare term) and varint n + n x varint shard id of merged_sources (version 3), then a
// fixed32 checksum of everything before it.
std::string EncodeApplyState(const ApplyState& s) {
  std::string out;
  out.push_back(static_cast<char>(kApplyStateV4));
  PutVarint64(&out, s.applied_index.value());
  PutVarint64(&out, s.applied_term.value());
  PutNodeIds(&out, s.conf_state.voters);
  PutNodeIds(&out, s.conf_state.learners);
  PutNodeIds(&out, s.conf_state.voters_outgoing);
  PutNodeIds(&out, s.conf_state.learners_next);
  out.push_back(s.conf_state.auto_leave ? 1 : 0);
  PutVarint64(&out, s.joined_at.size());
  for (const auto& [node, version] : s.joined_at) {
    PutVarint64(&out, node.value());
    PutVarint64(&out, version);
  }
  out.push_back(s.merge ? 1 : 0);
  if (s.merge) {
    PutVarint64(&out, s.merge->target.value());
    PutVarint64(&out, s.merge->target_epoch.conf_version);
    PutVarint64(&out, s.merge->target_epoch.version);
    PutVarint64(&out, s.merge->prepare_index.value());
    PutVarint64(&out, s.merge->prepare_term.value());
  }
  PutVarint64(&out, s.merged_sources.size());
  for (ShardId id : s.merged_sources) PutVarint64(&out, id.value());
  PutVarint64(&out, s.revision);
  PutFixed32(&out, Checksum32(out));
  return out;
}

Result<ApplyState> DecodeApplyState(std::string_view data) {
  auto bad = [] { return Status::Corruption("malformed apply state"); };
  if (data.size() < 5) return bad();
  const std::string_view body = data.substr(0, data.size() - 4);
  if (DecodeFixed32(data.data() + body.size()) != Checksum32(body)) {
    return Status::Corruption("apply state checksum mismatch");
  }
  std::string_view in = body;
  const uint8_t version = static_cast<uint8_t>(in[0]);
  if (version < kApplyStateV1 || version > kApplyStateV4) return bad();
  in.remove_prefix(1);
  ApplyState s;
  uint64_t index = 0, term = 0;
  if (!GetVarint64(&in, &index) || !GetVarint64(&in, &term) ||
      !GetNodeIds(&in, &s.conf_state.voters) || !GetNodeIds(&in, &s.conf_state.learners) ||
      !GetNodeIds(&in, &s.conf_state.voters_outgoing) ||
      !GetNodeIds(&in, &s.conf_state.learners_next) || in.empty()) {
    return bad();
  }
  s.applied_index = LogIndex(index);
  s.applied_term = Term(term);
  s.conf_state.auto_leave = in[0] != 0;
  in.remove_prefix(1);
  if (version >= kApplyStateV2) {
    uint64_t n = 0;
    if (!GetVarint64(&in, &n) || n > in.size()) return bad();
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t node = 0, conf_version = 0;
      if (!GetVarint64(&in, &node) || !GetVarint64(&in, &conf_version) || node == 0) return bad();
      s.joined_at[NodeId(node)] = conf_version;
    }
  }
  if (version >= kApplyStateV3) {
    if (in.empty() || static_cast<uint8_t>(in[0]) > 1) return bad();
    const bool merging = in[0] == 1;
    in.remove_prefix(1);
    if (merging) {
      MergeState m;
      uint64_t target = 0, index = 0, term = 0;
      if (!GetVarint64(&in, &target) || !GetVarint64(&in, &m.target_epoch.conf_version) ||
          !GetVarint64(&in, &m.target_epoch.version) || !GetVarint64(&in, &index) ||
          !GetVarint64(&in, &term) || target == 0) {
        return bad();
      }
      m.target = ShardId(target);
      m.prepare_index = LogIndex(index);
      m.prepare_term = Term(term);
      s.merge = m;
    }
    uint64_t n = 0;
    if (!GetVarint64(&in, &n) || n > in.size() || n > ApplyState::kMaxMergedSources) return bad();
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t id = 0;
      if (!GetVarint64(&in, &id) || id == 0) return bad();
      s.merged_sources.push_back(ShardId(id));
    }
  }
  if (version >= kApplyStateV4 && !GetVarint64(&in, &s.revision)) return bad();
  if (!in.empty()) return bad();
  return s;
}

}  // namespace tessera::multiraft
