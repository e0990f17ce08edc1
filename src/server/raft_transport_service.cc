#include "server/raft_transport_service.h"

#include <string>
#include <utility>

#include "common/assert.h"
#include "common/logging.h"
#include "server/raft_codec.h"

namespace tessera::server {

// Serves one stream: read, decode, hand over, read again. Deletes itself in OnDone().
class RaftTransportService::Reactor final
    : public grpc::ServerBidiReactor<v1::RaftBatchMsg, v1::RaftStreamAck> {
 public:
  Reactor(RaftTransportService* service, std::string peer) : s_(service), peer_(std::move(peer)) {
    s_->counters_.streams_opened.fetch_add(1, std::memory_order_relaxed);
    s_->counters_.streams_active.fetch_add(1, std::memory_order_relaxed);
    StartRead(&msg_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the sender closed its side, or the call was cancelled
      Finish(grpc::Status::OK);
      return;
    }
    const uint64_t bytes = msg_.ByteSizeLong();
    const uint64_t to = msg_.to();
    auto batch = DecodeRaftBatch(&msg_);
    if (!batch.ok()) {
      Refuse(grpc::StatusCode::INVALID_ARGUMENT, batch.status().ToString());
      return;
    }
    if (batch->to != s_->options_.self) {
      Refuse(grpc::StatusCode::FAILED_PRECONDITION, "batch for node " + std::to_string(to) +
                                                        " reached node " +
                                                        std::to_string(s_->options_.self.value()));
      return;
    }
    s_->counters_.batches_received.fetch_add(1, std::memory_order_relaxed);
    s_->counters_.messages_received.fetch_add(batch->messages.size(), std::memory_order_relaxed);
    s_->counters_.bytes_received.fetch_add(bytes, std::memory_order_relaxed);
    s_->handler_->HandleRaftBatch(std::move(batch).value());
    msg_.Clear();
    StartRead(&msg_);
  }

  void OnDone() override {
    s_->counters_.streams_active.fetch_sub(1, std::memory_order_relaxed);
    delete this;
  }

 private:
  void Refuse(grpc::StatusCode code, const std::string& why) {
    s_->counters_.decode_errors.fetch_add(1, std::memory_order_relaxed);
    Log().warn("raft transport: node {} refuses the stream from {}: {}", s_->options_.self.value(),
               peer_, why);
    Finish(grpc::Status(code, why));
  }

  RaftTransportService* const s_;
  const std::string peer_;
  v1::RaftBatchMsg msg_;  // the read in flight
};

RaftTransportService::RaftTransportService(RaftTransportServiceOptions options,
                                           multiraft::RaftBatchHandler* handler)
    : options_(options), handler_(handler) {
  TESSERA_ASSERT(options_.self, "RaftTransportServiceOptions::self is required");
  TESSERA_ASSERT(handler_ != nullptr, "handler required");
  TESSERA_ASSERT(options_.max_message_bytes > 0 && options_.max_message_bytes <= (1ull << 31) - 1,
                 "max_message_bytes out of range");
}

void RaftTransportService::ConfigureBuilder(grpc::ServerBuilder* builder) {
  builder->RegisterService(this);
  builder->SetMaxReceiveMessageSize(static_cast<int>(options_.max_message_bytes));
  // Senders ping idle streams (GrpcTransportOptions::keepalive_time_ms); without these the
  // server would answer frequent pings with GOAWAY "too_many_pings".
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 1000);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
}

grpc::ServerBidiReactor<v1::RaftBatchMsg, v1::RaftStreamAck>* RaftTransportService::Stream(
    grpc::CallbackServerContext* context) {
  return new Reactor(this, context->peer());
}

RaftTransportServiceMetrics RaftTransportService::metrics() const {
  auto get = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  return RaftTransportServiceMetrics{
      .streams_opened = get(counters_.streams_opened),
      .streams_active = get(counters_.streams_active),
      .batches_received = get(counters_.batches_received),
      .messages_received = get(counters_.messages_received),
      .bytes_received = get(counters_.bytes_received),
      .decode_errors = get(counters_.decode_errors),
  };
}

}  // namespace tessera::server
