#include "multiraft/command.h"

#include "common/coding.h"

namespace tessera::multiraft {
namespace {
constexpr uint8_t kWriteCommandV1 = 1;  // no proposed revision, no flags
constexpr uint8_t kWriteCommandV2 = 3;  // (2 is the admin command's tag)
constexpr uint8_t kAdminCommandV1 = 2;
constexpr uint64_t kMaxOps = 1 << 20;
}  // namespace

std::string EncodeWriteCommand(const WriteCommand& cmd) {
  std::string out;
  out.push_back(static_cast<char>(kWriteCommandV2));
  PutVarint64(&out, cmd.epoch.conf_version);
  PutVarint64(&out, cmd.epoch.version);
  PutVarint64(&out, cmd.proposed_revision);
  PutVarint64(&out, cmd.ops.size());
  for (const WriteOp& op : cmd.ops) {
    out.push_back(static_cast<char>(op.type));
    PutLengthPrefixed(&out, op.key);
    switch (op.type) {
      case WriteOp::Type::kPut:
        PutLengthPrefixed(&out, op.value);
        break;
      case WriteOp::Type::kDelete:
        break;
      case WriteOp::Type::kDeleteRange:
        PutLengthPrefixed(&out, op.end_key);
        out.push_back(op.want_previous ? 1 : 0);
        break;
      case WriteOp::Type::kPutVersioned:
        PutLengthPrefixed(&out, op.value);
        out.push_back(op.want_previous ? 1 : 0);
        break;
      case WriteOp::Type::kAssertModRevision:
        PutVarint64(&out, op.revision);
        break;
      case WriteOp::Type::kAssertUnchangedSince:
        PutLengthPrefixed(&out, op.end_key);
        PutVarint64(&out, op.revision);
        break;
      case WriteOp::Type::kCompareAndSwap:
        out.push_back(static_cast<char>((op.expected ? 1 : 0) | (op.delete_on_match ? 2 : 0)));
        if (op.expected) PutLengthPrefixed(&out, *op.expected);
        PutLengthPrefixed(&out, op.value);
        break;
    }
  }
  return out;
}

Result<WriteCommand> DecodeWriteCommand(std::string_view in) {
  auto bad = [](const char* what) { return Status::Corruption(what); };
  if (in.empty() || (static_cast<uint8_t>(in[0]) != kWriteCommandV1 &&
                     static_cast<uint8_t>(in[0]) != kWriteCommandV2)) {
    return bad("write command: unknown version");
  }
  const bool v2 = static_cast<uint8_t>(in[0]) == kWriteCommandV2;
  in.remove_prefix(1);
  WriteCommand cmd;
  uint64_t n = 0;
  if (!GetVarint64(&in, &cmd.epoch.conf_version) || !GetVarint64(&in, &cmd.epoch.version) ||
      (v2 && !GetVarint64(&in, &cmd.proposed_revision)) || !GetVarint64(&in, &n) || n > kMaxOps) {
    return bad("write command: bad header");
  }
  // A one-byte flag (0 or 1) of a version-2 op.
  auto get_flag = [&](bool* flag) {
    if (!v2) return true;
    if (in.empty() || static_cast<uint8_t>(in[0]) > 1) return false;
    *flag = in[0] == 1;
    in.remove_prefix(1);
    return true;
  };
  cmd.ops.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    if (in.empty()) return bad("write command: truncated op");
    WriteOp op;
    const auto type = static_cast<uint8_t>(in[0]);
    in.remove_prefix(1);
    std::string_view key, a, b;
    if (!GetLengthPrefixed(&in, &key)) return bad("write command: truncated key");
    op.key = std::string(key);
    switch (type) {
      case static_cast<uint8_t>(WriteOp::Type::kPut):
        if (!GetLengthPrefixed(&in, &a)) return bad("write command: truncated value");
        op.value = std::string(a);
        break;
      case static_cast<uint8_t>(WriteOp::Type::kDelete):
        break;
      case static_cast<uint8_t>(WriteOp::Type::kDeleteRange):
        if (!GetLengthPrefixed(&in, &a)) return bad("write command: truncated end key");
        op.end_key = std::string(a);
        if (!get_flag(&op.want_previous)) return bad("write command: bad delete range flag");
        break;
      case static_cast<uint8_t>(WriteOp::Type::kPutVersioned):
        if (!v2 || !GetLengthPrefixed(&in, &a)) return bad("write command: truncated value");
        op.value = std::string(a);
        if (!get_flag(&op.want_previous)) return bad("write command: bad put flag");
        break;
      case static_cast<uint8_t>(WriteOp::Type::kAssertModRevision):
        if (!v2 || !GetVarint64(&in, &op.revision)) return bad("write command: bad assertion");
        break;
      case static_cast<uint8_t>(WriteOp::Type::kAssertUnchangedSince):
        if (!v2 || !GetLengthPrefixed(&in, &a) || !GetVarint64(&in, &op.revision)) {
          return bad("write command: bad assertion");
        }
        op.end_key = std::string(a);
        break;
      case static_cast<uint8_t>(WriteOp::Type::kCompareAndSwap): {
        if (in.empty()) return bad("write command: truncated cas flags");
        const auto flags = static_cast<uint8_t>(in[0]);
        in.remove_prefix(1);
        if (flags > 3) return bad("write command: bad cas flags");
        if (flags & 1) {
          if (!GetLengthPrefixed(&in, &a)) return bad("write command: truncated expected");
          op.expected = std::string(a);
        }
        op.delete_on_match = (flags & 2) != 0;
        if (!GetLengthPrefixed(&in, &b)) return bad("write command: truncated cas value");
        op.value = std::string(b);
        break;
      }
      default:
        return bad("write command: unknown op type");
    }
    op.type = static_cast<WriteOp::Type>(type);
    cmd.ops.push_back(std::move(op));
  }
  if (!in.empty()) return bad("write command: trailing bytes");
  return cmd;
}

std::string EncodeAdminCommand(const AdminCommand& cmd) {
  std::string out;
  out.push_back(static_cast<char>(kAdminCommandV1));
  PutVarint64(&out, cmd.epoch.conf_version);
  PutVarint64(&out, cmd.epoch.version);
  out.push_back(static_cast<char>(cmd.type));
  switch (cmd.type) {
    case AdminCommand::Type::kSplit:
      PutLengthPrefixed(&out, cmd.split_key);
      PutVarint64(&out, cmd.new_shard.value());
      break;
    case AdminCommand::Type::kCompactLog:
      PutVarint64(&out, cmd.compact_index.value());
      break;
    case AdminCommand::Type::kPrepareMerge:
      PutVarint64(&out, cmd.merge_target.value());
      PutVarint64(&out, cmd.merge_target_epoch.conf_version);
      PutVarint64(&out, cmd.merge_target_epoch.version);
      break;
    case AdminCommand::Type::kCommitMerge:
      PutLengthPrefixed(&out, EncodeShardDescriptor(cmd.merge_source));
      PutVarint64(&out, cmd.merge_target_epoch.conf_version);
      PutVarint64(&out, cmd.merge_target_epoch.version);
      PutVarint64(&out, cmd.prepare_index.value());
      PutVarint64(&out, cmd.prepare_term.value());
      break;
    case AdminCommand::Type::kRollbackMerge:
      PutVarint64(&out, cmd.prepare_index.value());
      break;
  }
  return out;
}

Result<AdminCommand> DecodeAdminCommand(std::string_view in) {
  auto bad = [](const char* what) { return Status::Corruption(what); };
  if (in.empty() || static_cast<uint8_t>(in[0]) != kAdminCommandV1) {
    return bad("admin command: unknown version");
  }
  in.remove_prefix(1);
  AdminCommand cmd;
  if (!GetVarint64(&in, &cmd.epoch.conf_version) || !GetVarint64(&in, &cmd.epoch.version) ||
      in.empty()) {
    return bad("admin command: bad header");
  }
  const auto type = static_cast<uint8_t>(in[0]);
  in.remove_prefix(1);
  switch (type) {
    case static_cast<uint8_t>(AdminCommand::Type::kSplit): {
      std::string_view key;
      uint64_t id = 0;
      if (!GetLengthPrefixed(&in, &key) || !GetVarint64(&in, &id)) {
        return bad("admin command: truncated split");
      }
      cmd.type = AdminCommand::Type::kSplit;
      cmd.split_key = std::string(key);
      cmd.new_shard = ShardId(id);
      break;
    }
    case static_cast<uint8_t>(AdminCommand::Type::kCompactLog): {
      uint64_t index = 0;
      if (!GetVarint64(&in, &index)) return bad("admin command: truncated compact log");
      cmd.type = AdminCommand::Type::kCompactLog;
      cmd.compact_index = LogIndex(index);
      break;
    }
    case static_cast<uint8_t>(AdminCommand::Type::kPrepareMerge): {
      uint64_t target = 0;
      if (!GetVarint64(&in, &target) || !GetVarint64(&in, &cmd.merge_target_epoch.conf_version) ||
          !GetVarint64(&in, &cmd.merge_target_epoch.version)) {
        return bad("admin command: truncated prepare merge");
      }
      cmd.type = AdminCommand::Type::kPrepareMerge;
      cmd.merge_target = ShardId(target);
      break;
    }
    case static_cast<uint8_t>(AdminCommand::Type::kCommitMerge): {
      std::string_view source;
      uint64_t index = 0, term = 0;
      if (!GetLengthPrefixed(&in, &source) ||
          !GetVarint64(&in, &cmd.merge_target_epoch.conf_version) ||
          !GetVarint64(&in, &cmd.merge_target_epoch.version) || !GetVarint64(&in, &index) ||
          !GetVarint64(&in, &term)) {
        return bad("admin command: truncated commit merge");
      }
      auto desc = DecodeShardDescriptor(source);
      if (!desc.ok()) return bad("admin command: commit merge with a bad source descriptor");
      cmd.type = AdminCommand::Type::kCommitMerge;
      cmd.merge_source = std::move(desc).value();
      cmd.prepare_index = LogIndex(index);
      cmd.prepare_term = Term(term);
      break;
    }
    case static_cast<uint8_t>(AdminCommand::Type::kRollbackMerge): {
      uint64_t index = 0;
      if (!GetVarint64(&in, &index)) return bad("admin command: truncated rollback merge");
      cmd.type = AdminCommand::Type::kRollbackMerge;
      cmd.prepare_index = LogIndex(index);
      break;
    }
    default:
      return bad("admin command: unknown type");
  }
  if (!in.empty()) return bad("admin command: trailing bytes");
  return cmd;
}

CommandKind PeekCommandKind(std::string_view data) {
  if (data.empty()) return CommandKind::kEmpty;
  switch (static_cast<uint8_t>(data[0])) {
    case kWriteCommandV1:
    case kWriteCommandV2:
      return CommandKind::kWrite;
    case kAdminCommandV1:
      return CommandKind::kAdmin;
    default:
      return CommandKind::kUnknown;
  }
}

}  // namespace tessera::multiraft
