// Human-readable, stable text forms of Raft values, used by the scenario tests (their expected
// output is made of these lines), the simulator's failure reports and debug logs.
#pragma once

#include <string>

#include "raft/raw_node.h"
#include "raft/types.h"

namespace tessera::raft {

// "1/5 EntryNormal \"data\"" (term/index type data); conf changes are decoded.
std::string DescribeEntry(const Entry& e);
std::string DescribeEntries(const std::vector<Entry>& entries);
// "1->2 MsgApp Term:3 Log:3/10 Commit:10 Entries:[...]"; fields are shown only when relevant.
std::string DescribeMessage(const Message& m);
std::string DescribeHardState(const HardState& hs);
std::string DescribeSoftState(const SoftState& ss);
// "voters=(1 2 3)&&(1 2) learners=(4) learners_next=(5) autoleave".
std::string DescribeConfState(const ConfState& cs);
std::string DescribeSnapshot(const Snapshot& s);
// A multi-line description of a Ready, one item per line, indented by two spaces.
std::string DescribeReady(const Ready& rd);

}  // namespace tessera::raft
