// Names the calling thread (as top -H, perf and gdb show it), so that a profile or a stack dump
// says which part of a node a thread belongs to. Linux keeps 15 bytes; a longer name is cut.
#pragma once

#include <string>

namespace tessera {

void SetThreadName(const std::string& name);

}  // namespace tessera
