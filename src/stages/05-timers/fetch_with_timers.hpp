// fetch_with_timers(): the fetch client on the Loop, with a TimerQueue.
//
// Stage 2's client (LoopFetch, unchanged) followed through its hooks,
// plus timers: the global --timeout is one timer instead of the
// Deadline source, and every connection gets its own --connect-timeout and
// --idle-timeout timers, so a slow server fails on its own deadline while
// the others go on. Lesson: lessons/05-timers.md, "Timeouts per connection".
#pragma once

#include "fetch_on_loop.hpp"
#include "loop.hpp"

#include "kit/fetch_log.hpp"
#include "kit/fetch_main.hpp"
#include "kit/url.hpp"

#include <functional>
#include <vector>

namespace kit {

/// Fetches options.targets on @p loop: options.timeout bounds the whole
/// run (REASON `timeout`), options.connect_timeout each connect
/// (`connect-timeout`), options.idle_timeout each connection's silence once
/// connected (`idle-timeout`); it reads as @p reads says (as
/// fetch_on_loop()). Every target is finished in @p log when it returns,
/// and nothing is left watched on @p loop.
void fetch_with_timers(Loop& loop, const FetchOptions& options, FetchLog& log, Reads reads);

/// How fetch_with_timers_starting() starts the targets on @p fetch, in
/// order: at once (LoopFetch::start()) in stage 5; stage 6 adds each
/// one and connects it once its name is resolved on the thread pool.
using StartTargets = std::function<void(LoopFetch& fetch, const std::vector<Url>& targets)>;

/// fetch_with_timers(), with the targets started by @p start: the hook
/// through which a later stage joins in without copying this client.
void fetch_with_timers_starting(Loop& loop, const FetchOptions& options, FetchLog& log, Reads reads,
                                const StartTargets& start);

}  // namespace kit
