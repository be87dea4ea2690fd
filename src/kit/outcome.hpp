// Outcome: how one fetch target ended, in the words of the fetch contract.
//
// A target either succeeds (`ok URL STATUS BYTES MS`) or fails for one
// Reason (`fail URL REASON MS`). The reasons are the contract's vocabulary,
// listed in lesson 00; later stages add to it here, in one place.
#pragma once

#include <cstddef>
#include <string_view>

namespace kit {

/// Why a target failed. to_string() gives the word printed in reports.
enum class Reason {
    refused,       ///< Nothing listens on the port (ECONNREFUSED).
    timeout,       ///< The deadline passed first.
    reset,         ///< The peer reset the connection (ECONNRESET, EPIPE).
    bad_response,  ///< Not an HTTP response, or cut short.
    too_large,     ///< The response exceeds kMaxResponseBytes.
    resolve,       ///< The host name did not resolve.
    io,            ///< Any other system error.
    fd_limit,      ///< No fd could be had, or select() cannot watch it.
    /// The connect took longer than --connect-timeout (stage 5).
    connect_timeout,
    /// Nothing arrived for --idle-timeout once connected (stage 5).
    idle_timeout,
};

/// The report word for @p reason, e.g. "bad-response".
std::string_view to_string(Reason reason);

/// The result of fetching one target.
struct Outcome {
    bool ok = false;             ///< True when a whole HTTP response arrived.
    int status = 0;              ///< HTTP status code (when ok).
    std::size_t body_bytes = 0;  ///< Body bytes received (when ok).
    Reason reason = Reason::io;  ///< Why it failed (when not ok).

    /// A complete response with HTTP @p status and @p body_bytes of body.
    static Outcome success(int status, std::size_t body_bytes) {
        return {.ok = true, .status = status, .body_bytes = body_bytes};
    }
    /// A failure for @p reason.
    static Outcome failure(Reason reason) { return {.ok = false, .reason = reason}; }
};

}  // namespace kit
