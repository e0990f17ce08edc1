#include "raft/conf_change.h"

#include <charconv>

#include "common/coding.h"

namespace tessera::raft {
namespace {
constexpr uint8_t kConfChangeVersion = 1;
constexpr uint64_t kMaxChanges = 1024;
}  // namespace

bool ConfChange::UsesJoint(bool* auto_leave) const {
  if (transition != ConfChangeTransition::kAuto || changes.size() > 1) {
    *auto_leave = transition == ConfChangeTransition::kAuto ||
                  transition == ConfChangeTransition::kJointImplicit;
    return true;
  }
  *auto_leave = false;
  return false;
}

std::string EncodeConfChange(const ConfChange& cc) {
  std::string out;
  out.push_back(static_cast<char>(kConfChangeVersion));
  out.push_back(static_cast<char>(cc.transition));
  PutVarint64(&out, cc.changes.size());
  for (const auto& c : cc.changes) {
    out.push_back(static_cast<char>(c.type));
    PutVarint64(&out, c.node_id.value());
  }
  PutLengthPrefixed(&out, cc.context);
  return out;
}

Result<ConfChange> DecodeConfChange(std::string_view in) {
  auto bad = [](const char* what) { return Status::InvalidArgument(what); };
  if (in.size() < 2) return bad("conf change: truncated header");
  if (static_cast<uint8_t>(in[0]) != kConfChangeVersion) return bad("conf change: unknown version");
  const auto transition = static_cast<uint8_t>(in[1]);
  if (transition > static_cast<uint8_t>(ConfChangeTransition::kJointExplicit)) {
    return bad("conf change: unknown transition");
  }
  in.remove_prefix(2);
  ConfChange cc;
  cc.transition = static_cast<ConfChangeTransition>(transition);
  uint64_t n = 0;
  if (!GetVarint64(&in, &n) || n > kMaxChanges) return bad("conf change: bad change count");
  for (uint64_t i = 0; i < n; ++i) {
    if (in.empty()) return bad("conf change: truncated change");
    const auto type = static_cast<uint8_t>(in[0]);
    if (type > static_cast<uint8_t>(ConfChangeType::kAddLearnerNode)) {
      return bad("conf change: unknown change type");
    }
    in.remove_prefix(1);
    uint64_t id = 0;
    if (!GetVarint64(&in, &id)) return bad("conf change: truncated node id");
    cc.changes.push_back({static_cast<ConfChangeType>(type), NodeId(id)});
  }
  std::string_view ctx;
  if (!GetLengthPrefixed(&in, &ctx)) return bad("conf change: truncated context");
  if (!in.empty()) return bad("conf change: trailing bytes");
  cc.context = std::string(ctx);
  return cc;
}

Result<std::vector<ConfChangeSingle>> ParseConfChanges(std::string_view text) {
  std::vector<ConfChangeSingle> out;
  size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && text[pos] == ' ') ++pos;
    if (pos == text.size()) break;
    size_t end = text.find(' ', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view tok = text.substr(pos, end - pos);
    pos = end;
    if (tok.size() < 2) return Status::InvalidArgument("conf change token too short");
    ConfChangeSingle c;
    switch (tok[0]) {
      case 'v':
        c.type = ConfChangeType::kAddNode;
        break;
      case 'l':
        c.type = ConfChangeType::kAddLearnerNode;
        break;
      case 'r':
        c.type = ConfChangeType::kRemoveNode;
        break;
      default:
        return Status::InvalidArgument("conf change token must start with v, l or r");
    }
    uint64_t id = 0;
    auto [p, ec] = std::from_chars(tok.data() + 1, tok.data() + tok.size(), id);
    if (ec != std::errc() || p != tok.data() + tok.size()) {
      return Status::InvalidArgument("conf change token has a bad node id");
    }
    c.node_id = NodeId(id);
    out.push_back(c);
  }
  return out;
}

std::string DescribeConfChange(const ConfChange& cc) {
  std::string s;
  for (const auto& c : cc.changes) {
    if (!s.empty()) s += ' ';
    s += c.type == ConfChangeType::kAddNode          ? 'v'
         : c.type == ConfChangeType::kAddLearnerNode ? 'l'
                                                     : 'r';
    s += std::to_string(c.node_id.value());
  }
  if (cc.transition == ConfChangeTransition::kJointImplicit)
    s += s.empty() ? "joint-implicit" : " joint-implicit";
  if (cc.transition == ConfChangeTransition::kJointExplicit)
    s += s.empty() ? "joint-explicit" : " joint-explicit";
  if (s.empty()) s = "leave-joint";
  return s;
}

}  // namespace tessera::raft
