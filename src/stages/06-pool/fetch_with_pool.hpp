// fetch_with_pool(): stage 5's client with a thread pool beside the loop.
//
// Two kinds of blocking work leave the loop thread:
// - name resolution: each target's getaddrinfo() runs on a worker, and
//   its connect starts when the answer is posted back (libuv's
//   uv_getaddrinfo); --slow-resolve makes every lookup slow, as a slow
//   name server would;
// - --process: each body received is saved and checksummed
//   (process_step.hpp) on a worker, or with --process-on loop inside the
//   read handler, where it stalls every connection. The target is
//   reported once its body is processed.
// The trace gains a "resolve" and a "process" span per target, each
// naming the thread that ran it. Stage 5's client, timers and all, is
// unchanged: it is joined through its StartTargets hook and the log's
// before_ok() step. Lesson: lessons/06-pool.md, "Blocking work per target".
#pragma once

#include "fetch_on_loop.hpp"
#include "loop.hpp"

#include "kit/fetch_log.hpp"
#include "kit/fetch_main.hpp"

namespace kit {

/// Fetches options.targets on @p loop as fetch_with_timers() does, with
/// options.threads workers resolving names and, with options.process,
/// processing each body where options.process_on says. Every target is
/// finished in @p log when it returns (one still being processed when the
/// run ends fails as `timeout`), and no worker is left running.
void fetch_with_pool(Loop& loop, const FetchOptions& options, FetchLog& log, Reads reads);

}  // namespace kit
