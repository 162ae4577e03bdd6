#pragma once
#include <string>
#include <string_view>

namespace billingfoot::common {

// Lower-case hex SHA-256 of the bytes.
std::string sha256_hex(std::string_view data);
// Lower-case hex HMAC-SHA256 of `data` under `key` (RFC 2104).
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

}  // namespace billingfoot::common
