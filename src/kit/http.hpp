// The little HTTP/1.0 the kit speaks: one GET request, one response read to EOF.
//
// HTTP/1.0 with `Connection: close` means the server closes the connection
// when the response is complete, so "done" is simply EOF. ResponseParser
// only checks what the reports need: a valid status line (100 to 599),
// a Content-Length that is one number (digits only; repeated, the same
// one), the body size, and the kMaxResponseBytes ceiling. Interim 1xx
// answers before the final one are skipped (RFC 9110 15.2). Lesson 00
// explains why EOF is the end.
//
// Interface rules: feed() the bytes in the order they arrive; once feed()
// returns a Reason the response is rejected for good; call at_eof() when
// the server has closed the connection.
#pragma once

#include "kit/outcome.hpp"
#include "kit/url.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace kit {

/// Largest response accepted, header and body together; more is `too-large`.
inline constexpr std::size_t kMaxResponseBytes = std::size_t{8} * 1024 * 1024;

/// The GET request for @p url: HTTP/1.0, `Host:` (with the port unless it
/// is 80) and `Connection: close`.
std::string http_get_request(const Url& url);

/// Follows one HTTP response as its bytes arrive.
class ResponseParser {
public:
    /// Takes the next @p bytes of the response.
    /// @return the failure as soon as it is certain (a malformed status line,
    ///         too many bytes), or std::nullopt while the response may still be good.
    std::optional<Reason> feed(std::string_view bytes);

    /// The outcome once the server has closed the connection.
    [[nodiscard]] Outcome at_eof() const;

    /// Bytes received so far, header included.
    [[nodiscard]] std::size_t bytes_received() const { return received_; }

    /// The body received so far (all of it once at_eof() is ok): what a
    /// later step saves or processes (stage 6's --process).
    [[nodiscard]] std::string_view body() const { return body_; }

private:
    std::optional<Reason> parse_head();

    std::string head_;  // bytes up to the blank line that ends the header
    bool head_complete_ = false;
    int status_ = 0;
    std::optional<std::size_t> content_length_;
    std::size_t body_bytes_ = 0;
    std::string body_;  // at most kMaxResponseBytes, the ceiling above
    std::size_t received_ = 0;
    std::optional<Reason> failure_;
};

}  // namespace kit
