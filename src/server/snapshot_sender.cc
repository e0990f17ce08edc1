#include "server/snapshot_sender.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

#include "common/assert.h"
#include "common/logging.h"
#include "multiraft/snapshot.h"
#include "proto/snapshot.grpc.pb.h"
#include "server/raft_codec.h"
#include "storage/fs_util.h"

namespace tessera::server {
namespace {

Status FromGrpc(const grpc::Status& s) {
  const std::string msg = s.error_message();
  switch (s.error_code()) {
    case grpc::OK:
      return Status::OK();
    case grpc::RESOURCE_EXHAUSTED:
      return Status::Busy("receiver busy: " + msg);
    case grpc::DATA_LOSS:
      return Status::Corruption("receiver: " + msg);
    case grpc::INVALID_ARGUMENT:
    case grpc::FAILED_PRECONDITION:
      return Status::InvalidArgument("receiver refused the snapshot: " + msg);
    case grpc::CANCELLED:
      return Status::Aborted("snapshot send cancelled: " + msg);
    default:
      return Status::Unavailable(
          fmt::format("snapshot send failed ({}): {}", static_cast<int>(s.error_code()), msg));
  }
}

// Reads up to `max` bytes of `fd` into *buf (fewer only at the end of the file).
Status ReadUpTo(int fd, const std::string& path, uint64_t max, std::string* buf) {
  buf->resize(max);
  size_t got = 0;
  while (got < max) {
    const ssize_t n = ::read(fd, buf->data() + got, max - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IOError(fmt::format("read {}: {}", path, std::strerror(errno)));
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  buf->resize(got);
  return Status::OK();
}

}  // namespace

Status GrpcSnapshotSenderOptions::Validate() const {
  if (!self) return Status::InvalidArgument("self is required");
  TESSERA_RETURN_IF_ERROR(limits.Validate());
  if (clock == nullptr) return Status::InvalidArgument("clock is required");
  if (base_deadline_ms == 0) return Status::InvalidArgument("base_deadline_ms is 0");
  return Status::OK();
}

// One call: the stream to the receiver and the context Stop() may cancel.
class GrpcSnapshotSender::Call {
 public:
  Call(GrpcSnapshotSender* s, const Job& job, const multiraft::SnapshotManifest& m)
      : s_(s), job_(job), m_(m) {}

  // Registers the context for cancellation; false when the sender stopped.
  bool Register(std::chrono::milliseconds deadline) {
    ctx_.set_deadline(std::chrono::system_clock::now() + deadline);
    std::lock_guard<std::mutex> lock(s_->mu_);
    if (s_->stopped_) return false;
    s_->in_flight_.insert(&ctx_);
    return true;
  }
  ~Call() {
    std::lock_guard<std::mutex> lock(s_->mu_);
    s_->in_flight_.erase(&ctx_);
  }

  Status Stream(const std::string& address, std::string manifest_bytes) {
    auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
    auto stub = v1::SnapshotTransport::NewStub(channel);
    v1::SnapshotResponse resp;
    std::unique_ptr<grpc::ClientWriter<v1::SnapshotChunk>> w = stub->Send(&ctx_, &resp);
    v1::SnapshotChunk header;
    v1::SnapshotHeader* h = header.mutable_header();
    h->set_from(s_->options_.self.value());
    h->set_to(job_.to.value());
    EncodeShardMessage(job_.msg, h->mutable_message());
    h->set_manifest(std::move(manifest_bytes));
    Status local;
    if (w->Write(header)) local = WriteFiles(w.get());
    if (!local.ok()) {
      ctx_.TryCancel();  // the receiver removes what it wrote
      (void)w->Finish();
      return local;
    }
    w->WritesDone();
    return FromGrpc(w->Finish());
  }

 private:
  // Writes every file; OK also when the stream broke (Finish then says why).
  Status WriteFiles(grpc::ClientWriter<v1::SnapshotChunk>* w) {
    std::string buf;
    for (uint32_t i = 0; i < m_.files.size(); ++i) {
      const multiraft::SnapshotFile& f = m_.files[i];
      const std::string path = job_.dir + "/" + f.name;
      const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return Status::Corruption(fmt::format("open {}: {}", path, std::strerror(errno)));
      uint64_t offset = 0;
      Status st;
      bool broken = false;
      while (st.ok() && !broken) {
        st = ReadUpTo(fd, path, s_->options_.limits.chunk_bytes, &buf);
        if (!st.ok() || buf.empty()) break;
        if (offset + buf.size() > f.size) st = Status::Corruption(path + " grew");
        if (!st.ok()) break;
        if (!s_->Pace(buf.size())) st = Status::Aborted("snapshot sender stopped");
        if (!st.ok()) break;
        v1::SnapshotChunk c;
        c.set_file_index(i);
        c.set_offset(offset);
        c.set_data(buf);
        broken = !w->Write(c);
        offset += buf.size();
        s_->bytes_sent_.fetch_add(buf.size(), std::memory_order_relaxed);
      }
      ::close(fd);
      if (!st.ok()) return st;
      if (broken) return Status::OK();
      if (offset != f.size) return Status::Corruption(path + " is shorter than its manifest says");
    }
    return Status::OK();
  }

  GrpcSnapshotSender* const s_;
  const Job& job_;
  const multiraft::SnapshotManifest& m_;
  grpc::ClientContext ctx_;
};

GrpcSnapshotSender::GrpcSnapshotSender(GrpcSnapshotSenderOptions options,
                                       const AddressResolver* resolver)
    : options_(std::move(options)),
      resolver_(resolver),
      limiter_(options_.limits.send_bytes_per_sec, options_.limits.chunk_bytes, options_.clock) {
  const Status st = options_.Validate();
  TESSERA_ASSERT(st.ok(), "invalid GrpcSnapshotSenderOptions");
  TESSERA_ASSERT(resolver_ != nullptr, "resolver required");
  for (uint32_t i = 0; i < options_.limits.max_concurrent_sends; ++i) {
    threads_.emplace_back([this] { Loop(); });
  }
}

GrpcSnapshotSender::~GrpcSnapshotSender() { Stop(); }

void GrpcSnapshotSender::SendSnapshot(NodeId to, multiraft::ShardMessage msg, std::string dir,
                                      std::function<void(Status)> done) {
  Status refused;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) {
      refused = Status::Aborted("snapshot sender stopped");
    } else if (queue_.size() >= options_.limits.max_queued_sends) {
      refused = Status::Busy("too many snapshot sends queued");
    } else {
      queue_.push_back(Job{to, std::move(msg), std::move(dir), std::move(done)});
      cv_.notify_all();
      return;
    }
  }
  failed_.fetch_add(1, std::memory_order_relaxed);
  done(std::move(refused));
}

void GrpcSnapshotSender::Stop() {
  std::deque<Job> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_ && threads_.empty()) return;
    stopped_ = true;
    dropped.swap(queue_);
    for (grpc::ClientContext* ctx : in_flight_) ctx->TryCancel();
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  for (Job& j : dropped) {
    failed_.fetch_add(1, std::memory_order_relaxed);
    j.done(Status::Aborted("snapshot sender stopped"));
  }
}

void GrpcSnapshotSender::Loop() {
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopped_ || !queue_.empty(); });
      if (stopped_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    Status st = Run(&job);
    if (st.ok()) {
      sent_.fetch_add(1, std::memory_order_relaxed);
    } else {
      failed_.fetch_add(1, std::memory_order_relaxed);
      Log().warn("snapshot of shard {} to node {} failed: {}", job.msg.shard.value(),
                 job.to.value(), st.ToString());
    }
    job.done(std::move(st));
  }
}

Status GrpcSnapshotSender::Run(Job* job) {
  auto bytes = storage::ReadWholeFile(job->dir + "/MANIFEST", multiraft::kMaxSnapshotManifestBytes);
  if (!bytes.ok()) return Status::Corruption("snapshot manifest: " + bytes.status().ToString());
  TESSERA_ASSIGN_OR_RETURN(const multiraft::SnapshotManifest m,
                           multiraft::DecodeSnapshotManifest(*bytes));
  TESSERA_RETURN_IF_ERROR(multiraft::CheckSnapshotMessage(options_.self, job->to, job->msg, m));
  auto address = resolver_->Resolve(job->to);
  if (!address.ok()) return Status::Unavailable(address.status().ToString());
  const uint64_t pace_ms = m.TotalBytes() * 1000 / options_.limits.send_bytes_per_sec;
  Call call(this, *job, m);
  if (!call.Register(std::chrono::milliseconds(options_.base_deadline_ms + 2 * pace_ms))) {
    return Status::Aborted("snapshot sender stopped");
  }
  return call.Stream(*address, std::move(bytes).value());
}

bool GrpcSnapshotSender::Pace(uint64_t bytes) {
  const int64_t wait = limiter_.Reserve(bytes);
  if (wait > 0) {
    rate_waits_.fetch_add(1, std::memory_order_relaxed);
    rate_wait_nanos_.fetch_add(static_cast<uint64_t>(wait), std::memory_order_relaxed);
    if (options_.wait_for_rate) {
      if (!options_.wait_for_rate(wait)) return false;
    } else {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::nanoseconds(wait), [&] { return stopped_; });
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  return !stopped_;
}

GrpcSnapshotSenderMetrics GrpcSnapshotSender::metrics() const {
  auto get = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  return GrpcSnapshotSenderMetrics{.sent = get(sent_),
                                   .failed = get(failed_),
                                   .bytes_sent = get(bytes_sent_),
                                   .rate_waits = get(rate_waits_),
                                   .rate_wait_nanos = get(rate_wait_nanos_)};
}

}  // namespace tessera::server
