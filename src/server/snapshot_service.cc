#include "server/snapshot_service.h"

#include <fmt/format.h>

#include <string>
#include <utility>

#include "common/assert.h"
#include "common/logging.h"
#include "multiraft/snapshot.h"
#include "multiraft/snapshot_files.h"
#include "server/raft_codec.h"
#include "storage/fs_util.h"

namespace tessera::server {
namespace {

grpc::Status Refuse(grpc::StatusCode code, std::string why) {
  return grpc::Status(code, std::move(why));
}

}  // namespace

// One stream's state: the checked header, the directory being filled and the file being
// written. Removes the directory on destruction unless the snapshot was handed over.
class SnapshotService::Receive {
 public:
  explicit Receive(SnapshotService* s) : s_(s) {}
  ~Receive() {
    writer_.reset();  // close before removing
    if (!dir_.empty() && !handed_over_) (void)multiraft::RemoveAll(dir_);
    if (slot_) s_->slots_.Release();
  }

  // Decodes and checks the header, takes a slot and creates the directory.
  grpc::Status Start(v1::SnapshotChunk* first) {
    if (!first->has_header()) return Refuse(grpc::INVALID_ARGUMENT, "first chunk has no header");
    v1::SnapshotHeader* h = first->mutable_header();
    if (h->to() != s_->options_.self.value()) {
      return Refuse(grpc::FAILED_PRECONDITION, fmt::format("snapshot for node {} reached node {}",
                                                           h->to(), s_->options_.self.value()));
    }
    auto msg = DecodeShardMessage(h->mutable_message());
    if (!msg.ok()) return Refuse(grpc::INVALID_ARGUMENT, msg.status().ToString());
    auto m = multiraft::DecodeSnapshotManifest(h->manifest());
    if (!m.ok()) return Refuse(grpc::INVALID_ARGUMENT, m.status().ToString());
    const Status st =
        multiraft::CheckSnapshotMessage(NodeId(h->from()), s_->options_.self, *msg, *m);
    if (!st.ok()) return Refuse(grpc::INVALID_ARGUMENT, st.ToString());
    if (!s_->slots_.TryAcquire()) {
      s_->refused_busy_.fetch_add(1, std::memory_order_relaxed);
      return Refuse(grpc::RESOURCE_EXHAUSTED,
                    "node is at its limit of concurrent snapshot receives");
    }
    slot_ = true;
    from_ = NodeId(h->from());
    msg_ = std::move(msg).value();
    manifest_ = std::move(m).value();
    manifest_bytes_ = std::move(*h->mutable_manifest());
    const std::string dir = s_->dirs_->NewRecvDir(manifest_.desc.id, manifest_.apply.applied_term,
                                                  manifest_.apply.applied_index);
    const Status made = storage::CreateNewDir(dir);
    if (!made.ok()) return Refuse(grpc::INTERNAL, made.ToString());
    dir_ = dir;
    return grpc::Status::OK;
  }

  // Writes one piece of a file.
  grpc::Status Piece(const v1::SnapshotChunk& c) {
    if (c.has_header()) return Refuse(grpc::INVALID_ARGUMENT, "a second header");
    if (c.data().empty()) return Refuse(grpc::INVALID_ARGUMENT, "empty chunk");
    if (c.data().size() > s_->options_.limits.chunk_bytes) {
      return Refuse(grpc::INVALID_ARGUMENT, "chunk larger than the chunk size");
    }
    if (c.file_index() >= manifest_.files.size()) {
      return Refuse(grpc::INVALID_ARGUMENT, "chunk of a file the manifest does not list");
    }
    if (!writer_ || c.file_index() != file_) {
      // The next file may start only when the current one is complete (and closed).
      if (writer_ || c.file_index() != next_file_ || c.offset() != 0) {
        return Refuse(grpc::INVALID_ARGUMENT, "file chunks out of order");
      }
      file_ = c.file_index();
      ++next_file_;
      writer_ = std::make_unique<multiraft::ChunkedFileWriter>();
      const Status st = writer_->Open(dir_ + "/" + manifest_.files[file_].name);
      if (!st.ok()) return Refuse(grpc::INTERNAL, st.ToString());
    }
    const multiraft::SnapshotFile& f = manifest_.files[file_];
    if (c.offset() != writer_->size()) return Refuse(grpc::INVALID_ARGUMENT, "gap in a file");
    if (writer_->size() + c.data().size() > f.size) {
      return Refuse(grpc::DATA_LOSS, fmt::format("{} is longer than the manifest says", f.name));
    }
    Status st = writer_->Append(c.data());
    if (!st.ok()) return Refuse(grpc::INTERNAL, st.ToString());
    s_->bytes_received_.fetch_add(c.data().size(), std::memory_order_relaxed);
    if (writer_->size() < f.size) return grpc::Status::OK;
    if (writer_->checksum() != f.checksum) {
      return Refuse(grpc::DATA_LOSS, fmt::format("{}: checksum mismatch", f.name));
    }
    st = writer_->SyncAndClose();
    writer_.reset();
    if (!st.ok()) return Refuse(grpc::INTERNAL, st.ToString());
    return grpc::Status::OK;
  }

  // After the client's half-close: every file complete, then MANIFEST, then the handover.
  grpc::Status Finish() {
    if (writer_ || next_file_ != manifest_.files.size()) {
      return Refuse(grpc::DATA_LOSS, "stream ended before every file arrived");
    }
    Status st = storage::WriteNewFileSync(dir_ + "/MANIFEST", manifest_bytes_);
    if (st.ok()) st = storage::SyncDir(dir_);
    if (!st.ok()) return Refuse(grpc::INTERNAL, st.ToString());
    handed_over_ = true;
    s_->receiver_->HandleSnapshot(from_, std::move(msg_), dir_);
    return grpc::Status::OK;
  }

 private:
  SnapshotService* const s_;
  bool slot_ = false;
  bool handed_over_ = false;
  NodeId from_;
  multiraft::ShardMessage msg_;
  multiraft::SnapshotManifest manifest_;
  std::string manifest_bytes_;
  std::string dir_;                                       // empty until created
  std::unique_ptr<multiraft::ChunkedFileWriter> writer_;  // the file being written, if any
  uint32_t file_ = 0;                                     // its index
  uint32_t next_file_ = 0;                                // the index the next file must have
};

SnapshotService::SnapshotService(SnapshotServiceOptions options, multiraft::SnapshotDirs* dirs,
                                 multiraft::SnapshotReceiver* receiver)
    : options_(std::move(options)),
      dirs_(dirs),
      receiver_(receiver),
      slots_(options_.limits.max_concurrent_receives) {
  TESSERA_ASSERT(options_.self, "SnapshotServiceOptions::self is required");
  TESSERA_ASSERT(options_.limits.Validate().ok(), "invalid SnapshotLimits");
  TESSERA_ASSERT(dirs_ != nullptr && receiver_ != nullptr, "dirs and receiver required");
}

void SnapshotService::ConfigureBuilder(grpc::ServerBuilder* builder) {
  builder->RegisterService(this);
}

grpc::Status SnapshotService::Send(grpc::ServerContext* context,
                                   grpc::ServerReader<v1::SnapshotChunk>* reader,
                                   v1::SnapshotResponse* /*response*/) {
  Receive r(this);
  v1::SnapshotChunk chunk;
  if (!reader->Read(&chunk)) return Refuse(grpc::INVALID_ARGUMENT, "empty snapshot stream");
  grpc::Status st = r.Start(&chunk);
  auto fail = [&](grpc::Status why) {
    if (why.error_code() != grpc::RESOURCE_EXHAUSTED) {
      failed_.fetch_add(1, std::memory_order_relaxed);
      Log().warn("snapshot service: node {} refuses a snapshot from {}: {}", options_.self.value(),
                 context->peer(), why.error_message());
    }
    return why;
  };
  if (!st.ok()) return fail(std::move(st));
  while (reader->Read(&chunk)) {
    st = r.Piece(chunk);
    if (!st.ok()) return fail(std::move(st));
  }
  if (context->IsCancelled()) return fail(grpc::Status(grpc::CANCELLED, "cancelled"));
  st = r.Finish();
  if (!st.ok()) return fail(std::move(st));
  received_.fetch_add(1, std::memory_order_relaxed);
  return grpc::Status::OK;
}

SnapshotServiceMetrics SnapshotService::metrics() const {
  auto get = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  return SnapshotServiceMetrics{.receives_active = slots_.active(),
                                .received = get(received_),
                                .bytes_received = get(bytes_received_),
                                .refused_busy = get(refused_busy_),
                                .failed = get(failed_)};
}

}  // namespace tessera::server
