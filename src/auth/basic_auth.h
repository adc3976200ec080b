// Parsers for the two Authorization header forms tock accepts (SPEC §2):
//   "Basic <base64(user:pass)>"  application credentials (RFC 7617), and
//   "Bearer <token>"             the admin token (RFC 6750).
// The scheme name is case-insensitive; spaces around the value are ignored. The parsers only
// take the header apart: whether the credentials are right is the caller's business.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace tock {

// {user, password} from "Basic <base64(user:password)>", split at the FIRST ':' (so the
// password may contain ':'). nullopt if the scheme is not Basic, the base64 is not strict
// padded standard base64, there is no ':', or either part holds a control character.
std::optional<std::pair<std::string, std::string>> ParseBasicAuth(
    std::string_view authorization_header);

// The token from "Bearer <token>". nullopt if the scheme is not Bearer or the token is empty
// or holds anything but visible ASCII (0x21-0x7E).
std::optional<std::string> ParseBearer(std::string_view header);

}  // namespace tock
