#include "storage/raft_log_format.h"

#include <fmt/format.h>

#include <vector>

#include "common/assert.h"
#include "common/checksum.h"
#include "common/coding.h"

namespace tessera::storage::raftlog {
namespace {

constexpr size_t kHeaderBytes = 5;  // checksum fixed32 | tag u8
// Bound on the members of one ConfState list, so a corrupt count cannot make a decoder allocate
// without limit (a raft group has a handful of members).
constexpr uint32_t kMaxConfMembers = 1024;

uint32_t RecordChecksum(std::string_view key, std::string_view tag_and_payload) {
  Checksummer c;
  c.Update(key);
  c.Update(tag_and_payload);
  return static_cast<uint32_t>(c.Digest());
}

// Starts a record: reserves the checksum, writes the tag.
void BeginRecord(RecordTag tag, std::string* out) {
  out->assign(kHeaderBytes, '\0');
  (*out)[4] = static_cast<char>(tag);
}

// Fills in the checksum once the payload is written.
void SealRecord(std::string_view key, std::string* out) {
  const uint32_t sum = RecordChecksum(key, std::string_view(*out).substr(4));
  EncodeFixed32(out->data(), sum);
}

Status Corrupt(std::string_view what, std::string_view why) {
  return Status::Corruption(fmt::format("raft log store: {}: {}", what, why));
}

// Verifies the checksum and tag; on success *payload views the payload.
Status OpenRecord(std::string_view key, std::string_view record, RecordTag tag,
                  std::string_view what, std::string_view* payload) {
  if (record.size() < kHeaderBytes) return Corrupt(what, "record shorter than its header");
  const uint32_t stored = DecodeFixed32(record.data());
  if (stored != RecordChecksum(key, record.substr(4))) return Corrupt(what, "checksum mismatch");
  if (static_cast<uint8_t>(record[4]) != static_cast<uint8_t>(tag)) {
    return Corrupt(what, "record tag does not match its key");
  }
  *payload = record.substr(kHeaderBytes);
  return Status::OK();
}

void PutIds(const std::vector<NodeId>& ids, std::string* out) {
  PutVarint32(out, static_cast<uint32_t>(ids.size()));
  for (NodeId id : ids) PutVarint64(out, id.value());
}

bool GetIds(std::string_view* in, std::vector<NodeId>* ids) {
  uint32_t n = 0;
  if (!GetVarint32(in, &n) || n > kMaxConfMembers) return false;
  ids->clear();
  ids->reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    uint64_t v = 0;
    if (!GetVarint64(in, &v)) return false;
    ids->push_back(NodeId(v));
  }
  return true;
}

void PutConfState(const raft::ConfState& cs, std::string* out) {
  PutIds(cs.voters, out);
  PutIds(cs.learners, out);
  PutIds(cs.voters_outgoing, out);
  PutIds(cs.learners_next, out);
  out->push_back(cs.auto_leave ? 1 : 0);
}

bool GetConfState(std::string_view* in, raft::ConfState* cs) {
  if (!GetIds(in, &cs->voters) || !GetIds(in, &cs->learners) || !GetIds(in, &cs->voters_outgoing) ||
      !GetIds(in, &cs->learners_next)) {
    return false;
  }
  if (in->empty() || static_cast<uint8_t>((*in)[0]) > 1) return false;
  cs->auto_leave = (*in)[0] == 1;
  in->remove_prefix(1);
  return true;
}

}  // namespace

// ---- Keys ----

std::string ShardPrefix(ShardId shard) {
  std::string k(1, kShardSpace);
  PutBigEndian64(&k, shard.value());
  return k;
}

std::string ShardEnd(ShardId shard) {
  TESSERA_ASSERT(shard.value() != UINT64_MAX, "no key follows the largest shard id");
  return ShardPrefix(ShardId(shard.value() + 1));
}

std::string MetaKey(ShardId shard, KeyKind kind) {
  TESSERA_ASSERT(kind != KeyKind::kEntry, "entries have their own keys");
  std::string k = ShardPrefix(shard);
  k.push_back(static_cast<char>(kind));
  return k;
}

std::string EntryKey(ShardId shard, LogIndex index) {
  std::string k = ShardPrefix(shard);
  k.push_back(static_cast<char>(KeyKind::kEntry));
  PutBigEndian64(&k, index.value());
  return k;
}

std::string EntriesEnd(ShardId shard) {
  std::string k = ShardPrefix(shard);
  k.push_back(static_cast<char>(static_cast<uint8_t>(KeyKind::kEntry) + 1));
  return k;
}

Result<ParsedKey> ParseKey(std::string_view key) {
  const auto bad = [&](std::string_view why) {
    return Status::Corruption(
        fmt::format("raft log store: malformed key of {} bytes: {}", key.size(), why));
  };
  if (key.size() < kShardPrefixBytes + 1 || key[0] != kShardSpace) return bad("unknown prefix");
  ParsedKey p;
  std::string_view in = key.substr(1);
  uint64_t shard = 0;
  if (!GetBigEndian64(&in, &shard)) return bad("short shard id");
  p.shard = ShardId(shard);
  const auto kind = static_cast<uint8_t>(in[0]);
  in.remove_prefix(1);
  switch (kind) {
    case static_cast<uint8_t>(KeyKind::kHardState):
    case static_cast<uint8_t>(KeyKind::kTruncated):
    case static_cast<uint8_t>(KeyKind::kSnapshot):
      if (!in.empty()) return bad("trailing bytes");
      p.kind = static_cast<KeyKind>(kind);
      return p;
    case static_cast<uint8_t>(KeyKind::kEntry): {
      uint64_t index = 0;
      if (!GetBigEndian64(&in, &index) || !in.empty()) return bad("entry key of the wrong size");
      p.kind = KeyKind::kEntry;
      p.index = LogIndex(index);
      return p;
    }
    default:
      return bad("unknown kind");
  }
}

// ---- Records ----

void EncodeEntry(std::string_view key, const raft::Entry& e, std::string* out) {
  BeginRecord(RecordTag::kEntry, out);
  PutVarint64(out, e.term.value());
  out->push_back(static_cast<char>(e.type));
  out->append(e.data);
  SealRecord(key, out);
}

void EncodeHardState(std::string_view key, const raft::HardState& hs, std::string* out) {
  BeginRecord(RecordTag::kHardState, out);
  PutVarint64(out, hs.term.value());
  PutVarint64(out, hs.vote.value());
  PutVarint64(out, hs.commit.value());
  SealRecord(key, out);
}

void EncodeTruncated(std::string_view key, const TruncatedState& ts, std::string* out) {
  BeginRecord(RecordTag::kTruncated, out);
  PutVarint64(out, ts.index.value());
  PutVarint64(out, ts.term.value());
  SealRecord(key, out);
}

void EncodeSnapshotMeta(std::string_view key, const raft::SnapshotMetadata& m, std::string* out) {
  BeginRecord(RecordTag::kSnapshot, out);
  PutVarint64(out, m.index.value());
  PutVarint64(out, m.term.value());
  PutConfState(m.conf_state, out);
  SealRecord(key, out);
}

Result<raft::Entry> DecodeEntry(std::string_view key, std::string_view record, LogIndex index,
                                std::string_view what) {
  std::string_view in;
  TESSERA_RETURN_IF_ERROR(OpenRecord(key, record, RecordTag::kEntry, what, &in));
  uint64_t term = 0;
  if (!GetVarint64(&in, &term) || in.empty()) return Corrupt(what, "truncated entry");
  const auto type = static_cast<uint8_t>(in[0]);
  if (type > static_cast<uint8_t>(raft::EntryType::kConfChange)) {
    return Corrupt(what, "unknown entry type");
  }
  in.remove_prefix(1);
  return raft::Entry{Term(term), index, static_cast<raft::EntryType>(type), std::string(in)};
}

Result<raft::HardState> DecodeHardState(std::string_view key, std::string_view record,
                                        std::string_view what) {
  std::string_view in;
  TESSERA_RETURN_IF_ERROR(OpenRecord(key, record, RecordTag::kHardState, what, &in));
  uint64_t term = 0, vote = 0, commit = 0;
  if (!GetVarint64(&in, &term) || !GetVarint64(&in, &vote) || !GetVarint64(&in, &commit) ||
      !in.empty()) {
    return Corrupt(what, "malformed hard state");
  }
  return raft::HardState{Term(term), NodeId(vote), LogIndex(commit)};
}

Result<TruncatedState> DecodeTruncated(std::string_view key, std::string_view record,
                                       std::string_view what) {
  std::string_view in;
  TESSERA_RETURN_IF_ERROR(OpenRecord(key, record, RecordTag::kTruncated, what, &in));
  uint64_t index = 0, term = 0;
  if (!GetVarint64(&in, &index) || !GetVarint64(&in, &term) || !in.empty()) {
    return Corrupt(what, "malformed truncated state");
  }
  return TruncatedState{LogIndex(index), Term(term)};
}

Result<raft::SnapshotMetadata> DecodeSnapshotMeta(std::string_view key, std::string_view record,
                                                  std::string_view what) {
  std::string_view in;
  TESSERA_RETURN_IF_ERROR(OpenRecord(key, record, RecordTag::kSnapshot, what, &in));
  uint64_t index = 0, term = 0;
  raft::SnapshotMetadata m;
  if (!GetVarint64(&in, &index) || !GetVarint64(&in, &term) || !GetConfState(&in, &m.conf_state) ||
      !in.empty()) {
    return Corrupt(what, "malformed snapshot metadata");
  }
  m.index = LogIndex(index);
  m.term = Term(term);
  return m;
}

}  // namespace tessera::storage::raftlog
