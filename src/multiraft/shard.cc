#include "multiraft/shard.h"

#include "common/coding.h"
#include "common/utf8.h"
#include "multiraft/id_coding.h"

namespace tessera::multiraft {
namespace {
constexpr uint8_t kDescriptorVersion = 1;

}  // namespace

bool ShardDescriptor::ContainsKey(std::string_view key) const {
  return key >= start_key && (end_key.empty() || key < end_key);
}

bool ShardDescriptor::ContainsRange(std::string_view start, std::string_view end) const {
  if (start < start_key) return false;
  if (!end_key.empty() && start >= end_key) return false;
  // An empty end means "to the end of the shard".
  return end.empty() || end_key.empty() || end <= end_key;
}

std::string EncodeShardDescriptor(const ShardDescriptor& d) {
  std::string out;
  out.push_back(static_cast<char>(kDescriptorVersion));
  PutVarint64(&out, d.id.value());
  PutLengthPrefixed(&out, d.start_key);
  PutLengthPrefixed(&out, d.end_key);
  PutVarint64(&out, d.epoch.conf_version);
  PutVarint64(&out, d.epoch.version);
  PutNodeIds(&out, d.voters);
  PutNodeIds(&out, d.learners);
  return out;
}

Result<ShardDescriptor> DecodeShardDescriptor(std::string_view in) {
  auto bad = [] { return Status::Corruption("malformed shard descriptor"); };
  if (in.empty() || static_cast<uint8_t>(in[0]) != kDescriptorVersion) return bad();
  in.remove_prefix(1);
  ShardDescriptor d;
  uint64_t id = 0;
  std::string_view start, end;
  if (!GetVarint64(&in, &id) || !GetLengthPrefixed(&in, &start) || !GetLengthPrefixed(&in, &end) ||
      !GetVarint64(&in, &d.epoch.conf_version) || !GetVarint64(&in, &d.epoch.version) ||
      !GetNodeIds(&in, &d.voters) || !GetNodeIds(&in, &d.learners) || !in.empty()) {
    return bad();
  }
  d.id = ShardId(id);
  d.start_key = std::string(start);
  d.end_key = std::string(end);
  return d;
}

std::string DescribeShard(const ShardDescriptor& d) {
  std::string s = "shard " + std::to_string(d.id.value()) + " [" + EscapeKey(d.start_key) + ", " +
                  (d.end_key.empty() ? std::string("+inf") : EscapeKey(d.end_key)) + ") epoch " +
                  std::to_string(d.epoch.conf_version) + "/" + std::to_string(d.epoch.version) +
                  " voters (";
  for (size_t i = 0; i < d.voters.size(); ++i) {
    s += (i ? " " : "") + std::to_string(d.voters[i].value());
  }
  return s + ")";
}

}  // namespace tessera::multiraft
