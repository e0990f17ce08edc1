#include "raft/describe.h"

#include <sstream>

#include "raft/conf_change.h"

namespace tessera::raft {
namespace {

std::string Ids(const std::vector<NodeId>& ids) {
  std::string s = "(";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) s += ' ';
    s += std::to_string(ids[i].value());
  }
  return s + ")";
}

std::string Quote(std::string_view data) {
  std::string s = "\"";
  for (char c : data) {
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      s += c;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
      s += buf;
    }
  }
  return s + "\"";
}

}  // namespace

std::string DescribeEntry(const Entry& e) {
  std::ostringstream os;
  os << e.term << "/" << e.index;
  if (e.type == EntryType::kConfChange) {
    auto cc = DecodeConfChange(e.data);
    os << " EntryConfChange " << (cc.ok() ? DescribeConfChange(*cc) : "<malformed>");
  } else {
    os << " EntryNormal " << Quote(e.data);
  }
  return os.str();
}

std::string DescribeEntries(const std::vector<Entry>& entries) {
  std::string s = "[";
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i) s += ", ";
    s += DescribeEntry(entries[i]);
  }
  return s + "]";
}

std::string DescribeMessage(const Message& m) {
  std::ostringstream os;
  os << m.from << "->" << m.to << " " << MessageTypeName(m.type) << " Term:" << m.term;
  switch (m.type) {
    case MessageType::kApp:
    case MessageType::kVote:
    case MessageType::kPreVote:
      os << " Log:" << m.log_term << "/" << m.index;
      break;
    case MessageType::kAppResp:
    case MessageType::kReadIndexResp:
      os << " Log:" << m.log_term << "/" << m.index;
      break;
    default:
      break;
  }
  if (m.commit > LogIndex(0)) os << " Commit:" << m.commit;
  if (m.reject) {
    os << " Rejected";
    if (m.type == MessageType::kAppResp) os << " (Hint: " << m.reject_hint << ")";
  }
  if (!m.context.empty()) os << " Context:" << Quote(m.context);
  if (!m.entries.empty()) os << " Entries:" << DescribeEntries(m.entries);
  if (m.snapshot) os << " Snapshot: " << DescribeSnapshot(*m.snapshot);
  return os.str();
}

std::string DescribeHardState(const HardState& hs) {
  std::ostringstream os;
  os << "Term:" << hs.term << " Vote:" << hs.vote << " Commit:" << hs.commit;
  return os.str();
}

std::string DescribeSoftState(const SoftState& ss) {
  std::ostringstream os;
  os << "Lead:" << ss.lead << " State:" << StateRoleName(ss.role);
  return os.str();
}

std::string DescribeConfState(const ConfState& cs) {
  std::string s = "voters=" + Ids(cs.voters);
  if (!cs.voters_outgoing.empty()) s += "&&" + Ids(cs.voters_outgoing);
  if (!cs.learners.empty()) s += " learners=" + Ids(cs.learners);
  if (!cs.learners_next.empty()) s += " learners_next=" + Ids(cs.learners_next);
  if (cs.auto_leave) s += " autoleave";
  return s;
}

std::string DescribeSnapshot(const Snapshot& s) {
  std::ostringstream os;
  os << "Index:" << s.metadata.index << " Term:" << s.metadata.term
     << " ConfState:" << DescribeConfState(s.metadata.conf_state);
  return os.str();
}

std::string DescribeReady(const Ready& rd) {
  std::ostringstream os;
  if (rd.soft_state) os << DescribeSoftState(*rd.soft_state) << "\n";
  if (rd.hard_state) os << "HardState " << DescribeHardState(*rd.hard_state) << "\n";
  if (!rd.entries.empty()) {
    os << "Entries:\n";
    for (const auto& e : rd.entries) os << DescribeEntry(e) << "\n";
  }
  if (rd.snapshot) os << "Snapshot " << DescribeSnapshot(*rd.snapshot) << "\n";
  if (!rd.committed_entries.empty()) {
    os << "CommittedEntries:\n";
    for (const auto& e : rd.committed_entries) os << DescribeEntry(e) << "\n";
  }
  if (!rd.messages.empty()) {
    os << "Messages:\n";
    for (const auto& m : rd.messages) os << DescribeMessage(m) << "\n";
  }
  if (!rd.persisted_messages.empty()) {
    os << "Messages (after persist):\n";
    for (const auto& m : rd.persisted_messages) os << DescribeMessage(m) << "\n";
  }
  if (!rd.read_states.empty()) {
    os << "ReadStates:\n";
    for (const auto& r : rd.read_states) {
      os << "Index:" << r.index << " Context:" << Quote(r.request_ctx) << "\n";
    }
  }
  return os.str();
}

}  // namespace tessera::raft
