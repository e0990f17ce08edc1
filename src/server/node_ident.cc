#include "server/node_ident.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/assert.h"

namespace tessera::server {

namespace {

std::string IdentPath(const std::string& dir) { return dir + "/ident"; }

// An fsync failure stops the process: the file's state on disk is unknown and must not be
// retried over (docs/storage_format.md, "Durability").
void SyncOrDie(int fd, const std::string& what) {
  if (::fsync(fd) != 0) {
    TESSERA_ASSERT(false, ("fsync of " + what + " failed: " + std::strerror(errno)).c_str());
  }
}

}  // namespace

Result<std::optional<NodeIdent>> ReadNodeIdent(const std::string& data_dir) {
  std::ifstream in(IdentPath(data_dir));
  if (!in) return std::optional<NodeIdent>();
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("node_id") ||
      !j["node_id"].is_number_unsigned() || !j.contains("cluster_id") ||
      !j["cluster_id"].is_number_unsigned() || j["node_id"].get<uint64_t>() == 0) {
    return Status::Corruption(IdentPath(data_dir) + ": not a node identity");
  }
  return std::optional<NodeIdent>(
      NodeIdent{NodeId(j["node_id"].get<uint64_t>()), j["cluster_id"].get<uint64_t>()});
}

Status WriteNodeIdent(const std::string& data_dir, const NodeIdent& ident) {
  nlohmann::json j;
  j["node_id"] = ident.node_id.value();
  j["cluster_id"] = ident.cluster_id;
  const std::string text = j.dump() + "\n";
  const std::string tmp = IdentPath(data_dir) + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return Status::IOError("cannot create " + tmp + ": " + std::strerror(errno));
  const ssize_t n = ::write(fd, text.data(), text.size());
  if (n != static_cast<ssize_t>(text.size())) {
    ::close(fd);
    return Status::IOError("cannot write " + tmp);
  }
  SyncOrDie(fd, tmp);
  ::close(fd);
  if (::rename(tmp.c_str(), IdentPath(data_dir).c_str()) != 0) {
    return Status::IOError("cannot rename " + tmp + ": " + std::strerror(errno));
  }
  const int dfd = ::open(data_dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd < 0) return Status::IOError("cannot open " + data_dir);
  SyncOrDie(dfd, data_dir);
  ::close(dfd);
  return Status::OK();
}

}  // namespace tessera::server
