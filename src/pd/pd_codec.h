// Conversions between proto/pd.proto and PD's C++ types (cluster_view.h, operator.h,
// messages.h; a shard report is a ShardInfo). Decoders validate and never crash on malformed input.
#pragma once

#include "common/result.h"
#include "pd/cluster_view.h"
#include "pd/messages.h"
#include "pd/operator.h"
#include "proto/pd.pb.h"

namespace tessera::pd {

namespace v1 = ::tessera::v1;

void ToProto(const NodeStats& s, v1::PdNodeStats* out);
NodeStats FromProto(const v1::PdNodeStats& s);
v1::PdNodeState ToProto(NodeState s);
Result<NodeState> FromProto(v1::PdNodeState s);
void ToProto(const ShardStats& s, v1::PdShardStats* out);
ShardStats FromProto(const v1::PdShardStats& s);
void ToProto(const Step& s, v1::OperatorStep* out);
Result<Step> FromProto(const v1::OperatorStep& s);
void ToProto(const ShardInfo& s, v1::PdShard* out);
Result<ShardInfo> FromProto(const v1::PdShard& s);
void ToProto(const Epoch& e, v1::ShardEpoch* out);
Epoch FromProto(const v1::ShardEpoch& e);
// PdNode's age and down fields are PD's answer (GetNodes), not part of NodeInfo.
void ToProto(const NodeInfo& n, v1::PdNode* out);
Result<NodeInfo> FromProto(const v1::PdNode& n);
void ToProto(const ShardInfo& r, v1::ShardReport* out);
Result<ShardInfo> ReportFromProto(const v1::ShardReport& r);
void ToProto(const ShardCommand& c, v1::ShardCommand* out);
Result<ShardCommand> FromProto(const v1::ShardCommand& c);
void ToProto(const AdminRequest& a, v1::AdminOperatorRequest* out);
Result<AdminRequest> FromProto(const v1::AdminOperatorRequest& a);

}  // namespace tessera::pd
