// Bytes as text, for protobuf `string` fields, logs and displays: protobuf refuses to parse a
// `string` field that is not valid UTF-8, so a message quoting a binary key (an etcd key under
// 0xFF 'e', say) would make the whole response unreadable to the client.
#pragma once

#include <string>
#include <string_view>

namespace tessera {

// `s` with every byte that is not part of a valid UTF-8 sequence written as `\xNN` (lower-case
// hex), and backslashes left as they are. Valid UTF-8 (ASCII included) comes back unchanged.
std::string ToValidUtf8(std::string_view s);

// A key (any bytes) as printable ASCII: bytes outside 0x20..0x7e as `\xNN` and the backslash
// doubled, so that the text reads back unambiguously. For keys in messages, logs, JSON and tables.
std::string EscapeKey(std::string_view key);

}  // namespace tessera
