// fetch_on_loop(): the fetch client on the Loop, for any backend.
//
// Stage 1's Connection state machine (solutions/01-select/connection.hpp,
// unchanged) driven by the Loop instead of a hand-written select() loop:
// each connection's fd is watched for what its interest() asks, its
// callback calls on_ready() and then follows the new interest; the global
// deadline is a Source. Stages 3 and 4 run the very same client on epoll
// and kqueue. Lesson: lessons/02-reactor.md, "The fetch client on the Loop".
#pragma once

#include "loop.hpp"

#include "kit/fetch_log.hpp"
#include "kit/fetch_main.hpp"

namespace kit {

/// How a connection's read callback reads.
enum class Reads {
    /// One read per readiness, as stage 1: the loop calls again while bytes
    /// are left, which keeps one chatty server from starving the others.
    once_per_readiness,
    /// Until the socket is empty: what an edge-triggered backend needs,
    /// since it reports an fd only when new bytes arrive (lessons/03-epoll.md).
    until_eagain,
};

/// Fetches options.targets on @p loop, with options.timeout as one global
/// deadline and options.stall as in stage 1, reading as @p reads says;
/// every target is finished in @p log when it returns, and nothing is left
/// watched on @p loop.
void fetch_on_loop(Loop& loop, const FetchOptions& options, FetchLog& log,
                   Reads reads = Reads::once_per_readiness);

}  // namespace kit
