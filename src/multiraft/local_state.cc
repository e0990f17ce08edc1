#include "multiraft/local_state.h"

#include "common/checksum.h"
#include "common/coding.h"
#include "multiraft/id_coding.h"

namespace tessera::multiraft {
namespace {
constexpr uint8_t kApplyStateV1 = 1;

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

// Layout: version, varint index, varint term, voters, learners, voters_outgoing, learners_next,
// auto_leave byte, then a fixed32 checksum of everything before it.
std::string EncodeApplyState(const ApplyState& s) {
  std::string out;
  out.push_back(static_cast<char>(kApplyStateV1));
  PutVarint64(&out, s.applied_index.value());
  PutVarint64(&out, s.applied_term.value());
  PutNodeIds(&out, s.conf_state.voters);
  PutNodeIds(&out, s.conf_state.learners);
  PutNodeIds(&out, s.conf_state.voters_outgoing);
  PutNodeIds(&out, s.conf_state.learners_next);
  out.push_back(s.conf_state.auto_leave ? 1 : 0);
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
  if (static_cast<uint8_t>(in[0]) != kApplyStateV1) return bad();
  in.remove_prefix(1);
  ApplyState s;
  uint64_t index = 0, term = 0;
  if (!GetVarint64(&in, &index) || !GetVarint64(&in, &term) ||
      !GetNodeIds(&in, &s.conf_state.voters) || !GetNodeIds(&in, &s.conf_state.learners) ||
      !GetNodeIds(&in, &s.conf_state.voters_outgoing) ||
      !GetNodeIds(&in, &s.conf_state.learners_next) || in.size() != 1) {
    return bad();
  }
  s.applied_index = LogIndex(index);
  s.applied_term = Term(term);
  s.conf_state.auto_leave = in[0] != 0;
  return s;
}

}  // namespace tessera::multiraft
