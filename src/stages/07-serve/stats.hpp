// Stats: the service's counters, kept on the loop thread.
//
// Every counter is changed by the loop thread only, so none needs a lock or
// an atomic: that is the point of /stats, an asynchronous application that
// reads them in the loop and answers at once, however busy the pool is.
// Lesson: lessons/07-serve.md, "Two kinds of application".
//
// Interface rules: loop thread only.
#pragma once

#include <cstdint>
#include <string>

namespace kit {

/// What the service has done so far (loop thread only).
struct Stats {
    std::uint64_t accepted = 0;        ///< Connections accepted.
    std::uint64_t open = 0;            ///< Connections open now.
    std::uint64_t requests = 0;        ///< Complete requests dispatched.
    std::uint64_t on_pool = 0;         ///< Requests on the pool now (queued or running).
    std::uint64_t in_loop = 0;         ///< Requests answered by an application in the loop.
    std::uint64_t rejected = 0;        ///< Requests the parser refused (4xx/5xx, then close).
    std::uint64_t head_timeouts = 0;   ///< 408s: a request head that came too slowly.
    std::uint64_t idle_timeouts = 0;   ///< Keep-alive connections closed for idleness.
    std::uint64_t write_timeouts = 0;  ///< Clients that stopped reading their answer.
    std::uint64_t fd_exhaustions = 0;  ///< accept() failures for want of an fd.

    /// The counters as one JSON object, e.g. `{"accepted":3,...}`.
    [[nodiscard]] std::string to_json() const;
};

}  // namespace kit
