#include "raft/raft_log.h"

#include <algorithm>
#include <limits>

#include "common/assert.h"

namespace tessera::raft {

RaftLog::RaftLog(LogStorage* storage, uint64_t max_committed_bytes_per_ready)
    : storage_(storage),
      unstable_(storage->LastIndex().next()),
      max_committed_bytes_per_ready_(max_committed_bytes_per_ready) {
  // Everything up to the snapshot is committed and applied by definition.
  committed_ = storage->FirstIndex().prev();
  applied_ = committed_;
}

LogIndex RaftLog::FirstIndex() const {
  if (auto i = unstable_.MaybeFirstIndex()) return *i;
  return storage_->FirstIndex();
}

LogIndex RaftLog::LastIndex() const {
  if (auto i = unstable_.MaybeLastIndex()) return *i;
  return storage_->LastIndex();
}

Term RaftLog::LastTerm() const {
  auto t = TermAt(LastIndex());
  TESSERA_ASSERT(t.ok(), "the term of the last entry must be known");
  return *t;
}

Result<Term> RaftLog::TermAt(LogIndex i) const {
  // The valid range is [first index - 1, last index]: the entry before the first is the
  // snapshot's, whose term is kept.
  const LogIndex dummy = FirstIndex().prev();
  if (i < dummy) return Status::Compacted();
  if (i > LastIndex()) return Status::Unavailable("index beyond the last entry");
  if (auto t = unstable_.MaybeTerm(i)) return *t;
  return storage_->TermAt(i);
}

Term RaftLog::TermOrZero(LogIndex i) const {
  auto t = TermAt(i);
  return t.ok() ? *t : Term(0);
}

bool RaftLog::MatchTerm(LogIndex i, Term t) const {
  auto got = TermAt(i);
  return got.ok() && *got == t;
}

bool RaftLog::IsUpToDate(LogIndex last_index, Term last_term) const {
  const Term our_term = LastTerm();
  return last_term > our_term || (last_term == our_term && last_index >= LastIndex());
}

std::optional<LogIndex> RaftLog::MaybeAppend(LogIndex index, Term log_term, LogIndex commit,
                                             const std::vector<Entry>& entries) {
  if (!MatchTerm(index, log_term)) return std::nullopt;
  const LogIndex last_new = index + entries.size();
  const LogIndex ci = FindConflict(entries);
  if (ci != LogIndex(0)) {
    TESSERA_ASSERT(ci > committed_, "an entry conflicts with a committed entry");
    std::vector<Entry> suffix(entries.begin() + static_cast<long>(ci - (index + 1)), entries.end());
    Append(suffix);
  }
  CommitTo(std::min(commit, last_new));
  return last_new;
}

LogIndex RaftLog::Append(const std::vector<Entry>& entries) {
  if (entries.empty()) return LastIndex();
  TESSERA_ASSERT(entries.front().index > committed_, "appending before the commit index");
  unstable_.TruncateAndAppend(entries);
  return LastIndex();
}

LogIndex RaftLog::FindConflict(const std::vector<Entry>& entries) const {
  for (const Entry& e : entries) {
    if (!MatchTerm(e.index, e.term)) return e.index;
  }
  return LogIndex(0);
}

std::pair<LogIndex, Term> RaftLog::FindConflictByTerm(LogIndex index, Term term) const {
  for (; index > LogIndex(0); index = index.prev()) {
    auto our = TermAt(index);
    if (!our.ok()) return {index, Term(0)};
    if (*our <= term) return {index, *our};
  }
  return {LogIndex(0), Term(0)};
}

bool RaftLog::MaybeCommit(LogIndex max_index, Term term) {
  // Figure 8: only entries of the current term are committed by counting replicas.
  if (max_index > committed_ && TermOrZero(max_index) == term) {
    CommitTo(max_index);
    return true;
  }
  return false;
}

void RaftLog::CommitTo(LogIndex to_commit) {
  if (to_commit <= committed_) return;
  TESSERA_ASSERT(to_commit <= LastIndex(), "commit beyond the last index");
  committed_ = to_commit;
}

void RaftLog::AppliedTo(LogIndex i) {
  if (i == LogIndex(0)) return;
  TESSERA_ASSERT(i <= committed_ && i >= applied_, "applied index out of range");
  applied_ = i;
}

void RaftLog::Restore(Snapshot s) {
  committed_ = s.metadata.index;
  unstable_.Restore(std::move(s));
}

Result<std::vector<Entry>> RaftLog::EntriesFrom(LogIndex i, uint64_t max_bytes) const {
  if (i > LastIndex()) return std::vector<Entry>{};
  return Slice(i, LastIndex().next(), max_bytes);
}

Result<std::vector<Entry>> RaftLog::Slice(LogIndex lo, LogIndex hi, uint64_t max_bytes) const {
  if (lo > hi) return Status::InvalidArgument("slice lo > hi");
  if (lo < FirstIndex()) return Status::Compacted();
  if (hi > LastIndex().next()) return Status::Unavailable("slice beyond the last entry");
  std::vector<Entry> out;
  if (lo == hi) return out;
  const LogIndex offset = unstable_.offset();
  if (lo < offset) {
    auto stored = storage_->Entries(lo, std::min(hi, offset), max_bytes);
    if (!stored.ok()) return stored.status();
    out = std::move(stored).value();
    // Storage stopped early because of the size limit: do not add unstable entries after a gap.
    if (out.size() < static_cast<size_t>(std::min(hi, offset) - lo)) return out;
  }
  if (hi > offset) {
    std::vector<Entry> uns = unstable_.Slice(std::max(lo, offset), hi);
    out.insert(out.end(), std::make_move_iterator(uns.begin()), std::make_move_iterator(uns.end()));
  }
  LimitSize(&out, max_bytes);
  return out;
}

std::vector<Entry> RaftLog::AllEntries() const {
  auto r = EntriesFrom(FirstIndex(), std::numeric_limits<uint64_t>::max());
  TESSERA_ASSERT(r.ok(), "reading the whole log failed");
  return std::move(r).value();
}

bool RaftLog::HasNextCommittedEntries() const {
  if (HasPendingSnapshot()) return false;  // the snapshot is applied first
  const LogIndex off = std::max(applied_.next(), FirstIndex());
  return committed_.next() > off;
}

std::vector<Entry> RaftLog::NextCommittedEntries() const {
  if (!HasNextCommittedEntries()) return {};
  const LogIndex off = std::max(applied_.next(), FirstIndex());
  auto r = Slice(off, committed_.next(), max_committed_bytes_per_ready_);
  TESSERA_ASSERT(r.ok(), "committed entries must be readable");
  return std::move(r).value();
}

Result<Snapshot> RaftLog::GetSnapshot() const {
  if (unstable_.snapshot()) return *unstable_.snapshot();
  return storage_->GetSnapshot();
}

LogIndex RaftLog::PersistedLastIndex() const {
  if (unstable_.snapshot()) return LogIndex(0);
  if (!unstable_.entries().empty()) return unstable_.offset().prev();
  return LastIndex();
}

}  // namespace tessera::raft
