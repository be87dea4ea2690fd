// ConnectionTimers: each connection's --connect-timeout and --idle-timeout.
//
// Follows every target through stage 2's LoopFetch hooks (FetchHooks): the
// connect timer runs from the start of the connect to the connection's
// first readiness, the idle timer from then on, pushed back by every
// readiness; a timer that fires fails its own target alone, through the
// LoopFetch. You write the two members that decide when a connection is
// idle, in exercises/05-timers/connection_timers.cpp. Lesson:
// lessons/05-timers.md, "Timeouts per connection". Loop thread only.
#pragma once

#include "clock.hpp"
#include "fetch_on_loop.hpp"
#include "timer_queue.hpp"

#include "kit/fetch_main.hpp"
#include "kit/outcome.hpp"

#include <cstddef>
#include <deque>

namespace kit {

/// The connect and idle timers of every target of one fetch, on one
/// TimerQueue.
class ConnectionTimers {
public:
    /// Timers on @p timers for the targets of @p options, with its
    /// connect_timeout and idle_timeout (either may be unset: no timer).
    ConnectionTimers(TimerQueue& timers, const FetchOptions& options);

    /// The hooks to give the LoopFetch: they arm and cancel the timers.
    FetchHooks hooks();

    /// A timer that fires fails its target through @p fetch, the LoopFetch
    /// that got hooks(); call before any target starts.
    void fail_through(LoopFetch& fetch) { fetch_ = &fetch; }

private:
    // The timers that guard one target, and what they need to know.
    struct Guard {
        // The first readiness of a connecting socket is the end of the
        // handshake, well or badly; so we know "connected" without asking
        // the Connection, whose class stage 1 wrote and we keep as is.
        bool connect_over = false;
        Clock::time_point last_activity;  // the last readiness, for the idle timer
        TimerId connect_timer;
        TimerId idle_timer;
    };

    void watched(std::size_t target);   // its connect has started
    void ready(std::size_t target);     // its fd is ready (exercise)
    void finished(std::size_t target);  // it is finished
    void on_idle(std::size_t target);   // its idle timer fired (exercise)
    void expire(std::size_t target, Reason reason);

    TimerQueue& timers_;
    const FetchOptions& options_;
    std::deque<Guard> guards_;  // one per target, by index
    LoopFetch* fetch_ = nullptr;
};

}  // namespace kit
