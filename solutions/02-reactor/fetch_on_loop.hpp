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

/// Fetches options.targets on @p loop, with options.timeout as one global
/// deadline and options.stall as in stage 1; every target is finished in
/// @p log when it returns, and nothing is left watched on @p loop.
void fetch_on_loop(Loop& loop, const FetchOptions& options, FetchLog& log);

}  // namespace kit
