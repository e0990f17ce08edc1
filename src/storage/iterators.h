// Iterator building blocks shared by the engines (internal to storage/).
//
// Engines implement an unbounded cursor over one Cf (the Iterator interface without bounds) and
// wrap it with NewBoundedIterator, so that the semantics of IterOptions bounds are written once
// and identical for every engine.
#pragma once

#include <memory>

#include "storage/engine.h"

namespace tessera::storage {

// Wraps `raw` (which ignores bounds) so that it honours `opts`: keys outside
// [lower_bound, upper_bound) are never returned, SeekToFirst/SeekToLast start at the bounds and
// Seek/SeekForPrev clamp their targets.
std::unique_ptr<Iterator> NewBoundedIterator(std::unique_ptr<Iterator> raw,
                                             const IterOptions& opts);

// An iterator that is never Valid() and reports `st` (not OK) from status().
std::unique_ptr<Iterator> NewErrorIterator(Status st);

}  // namespace tessera::storage
