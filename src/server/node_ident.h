// A node's identity in a PD-managed cluster, kept in <data_dir>/ident (JSON: node_id,
// cluster_id): written once, atomically (temporary file, fsync, rename, fsync of the directory),
// when PD first hands the node its id. A node that finds it starts as that node of that cluster.
#pragma once

#include <optional>
#include <string>

#include "common/ids.h"
#include "common/result.h"

namespace tessera::server {

struct NodeIdent {
  NodeId node_id;
  uint64_t cluster_id = 0;
};

// nullopt when the file does not exist; Corruption when it is malformed.
Result<std::optional<NodeIdent>> ReadNodeIdent(const std::string& data_dir);
Status WriteNodeIdent(const std::string& data_dir, const NodeIdent& ident);

}  // namespace tessera::server
