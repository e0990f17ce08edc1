// Conversion between the Raft transport's C++ structs (raft::Message, multiraft::RaftBatch,
// multiraft::ShardDescriptor) and their wire messages in proto/raft_transport.proto.
//
// Encoding never fails for valid input. Decoding validates everything a remote node could get
// wrong, because the result is fed into raft::RawNode::Step, which asserts on impossible input:
// unknown or local message types, missing required sub-messages, zero ids, non-contiguous append
// entries, entries or snapshots on message types that carry none, unsorted membership lists, and
// counts above the limits below. Malformed input is a Status (InvalidArgument), never a crash.
//
// Thread safety: free functions without shared state.
#pragma once

#include <cstdint>

#include "common/result.h"
#include "multiraft/shard.h"
#include "multiraft/transport.h"
#include "proto/raft_transport.pb.h"
#include "raft/types.h"

namespace tessera::server {

// Bounds enforced by the decoders (byte sizes are bounded by the gRPC message size limit).
inline constexpr uint64_t kMaxEntriesPerMessage = 1 << 20;
inline constexpr uint64_t kMaxMessagesPerBatch = 1 << 22;
inline constexpr uint64_t kMaxReplicaIds = 1024;  // per membership list
inline constexpr uint64_t kMaxContextBytes = 1 << 20;

// The wire value of a network message type. REQUIRES: !raft::IsLocalMessage(t) (local messages
// never leave the node; sending one is a programmer error and asserts).
v1::RaftMessageType ToWire(raft::MessageType t);
// InvalidArgument for UNSPECIFIED and unknown values.
Result<raft::MessageType> FromWire(v1::RaftMessageType t);

void EncodeShardDescriptor(const multiraft::ShardDescriptor& d, v1::ShardDescriptor* out);
Result<multiraft::ShardDescriptor> DecodeShardDescriptor(const v1::ShardDescriptor& in);

// REQUIRES: !raft::IsLocalMessage(m.type).
void EncodeRaftMessage(const raft::Message& m, v1::RaftMessage* out);
// Moves the entry payloads out of *in (no copy of the bytes); *in is unspecified afterwards.
Result<raft::Message> DecodeRaftMessage(v1::RaftMessage* in);

// REQUIRES: the message is a network message.
void EncodeShardMessage(const multiraft::ShardMessage& m, v1::ShardMessage* out);
// Also checks shard_id == descriptor.id. Moves payloads out of *in.
Result<multiraft::ShardMessage> DecodeShardMessage(v1::ShardMessage* in);

// Appends batch.messages to out->messages and sets out->from/to. Several batches between the same
// pair of nodes can be appended to one wire message (coalescing).
// REQUIRES: out is empty or already holds batches with the same from/to.
void AppendRaftBatch(const multiraft::RaftBatch& batch, v1::RaftBatchMsg* out);
// Checks non-zero node ids and that every message's from/to equal the batch's (a replica's Raft id
// is its node id). Moves payloads out of *in.
Result<multiraft::RaftBatch> DecodeRaftBatch(v1::RaftBatchMsg* in);

}  // namespace tessera::server
