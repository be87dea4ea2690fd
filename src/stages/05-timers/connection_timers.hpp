// ConnectionTimers: a connect timeout and an idle timeout for every target.
//
// Stage 2's LoopFetch tells its hooks (FetchHooks) when a target's connect
// starts, when its fd is ready and when it is finished; these timers
// follow along on a TimerQueue, and one that fires fails its target alone.
// fetch_with_timers() uses it in stage 5's program; stage 8's aggregator
// uses it on a service's loop, with the service's TimerQueue.
// Lesson: lessons/05-timers.md, "Timeouts per connection".
//
// Interface rules: loop thread only; the TimerQueue, the FetchOptions and
// the LoopFetch outlive it.
#pragma once

#include "fetch_on_loop.hpp"
#include "timer_queue.hpp"

#include "kit/fetch_main.hpp"

#include <cstddef>
#include <deque>

namespace kit {

/// Arms and cancels each target's timers as stage 2's LoopFetch reports
/// what happens to it (FetchHooks); a timer that fires fails its target alone.
class ConnectionTimers {
public:
    /// Timers on @p timers for the targets of @p options (which outlives
    /// this), per its connect_timeout and idle_timeout.
    ConnectionTimers(TimerQueue& timers, const FetchOptions& options)
        : timers_(timers), options_(options), guards_(options.targets.size()) {}

    /// The hooks to give the LoopFetch.
    FetchHooks hooks() {
        return {.watched = [this](std::size_t target) { watched(target); },
                .ready = [this](std::size_t target) { ready(target); },
                .finished = [this](std::size_t target) { finished(target); }};
    }

    /// A timer that fires fails its target through @p fetch (the LoopFetch
    /// that got hooks()); call before any target starts.
    void fail_through(LoopFetch& fetch) { fetch_ = &fetch; }

private:
    // The timers that guard one target, and what they need to know.
    struct Guard {
        // The first readiness of a connecting socket is the end of the
        // handshake, well or badly; so we know "connected" without asking the
        // Connection, whose class stage 1 wrote and we keep as is.
        bool connect_over = false;
        Clock::time_point last_activity;  // the last readiness, for the idle timer
        TimerId connect_timer;
        TimerId idle_timer;
    };

    void watched(std::size_t target) {
        if (options_.connect_timeout) {
            guards_[target].connect_timer =
                timers_.after(*options_.connect_timeout,
                              [this, target] { expire(target, Reason::connect_timeout); });
        }
    }

    void ready(std::size_t target) {
        Guard& g = guards_[target];
        if (!g.connect_over) {
            g.connect_over = true;
            timers_.cancel(g.connect_timer);
            if (options_.idle_timeout) {
                g.idle_timer =
                    timers_.after(*options_.idle_timeout, [this, target] { on_idle(target); });
            }
        }
        g.last_activity = Clock::now();
    }

    // Cancelling a timer that has fired, or the one running now, is safe
    // and returns false (timer_queue.hpp).
    void finished(std::size_t target) {
        timers_.cancel(guards_[target].connect_timer);
        timers_.cancel(guards_[target].idle_timer);
    }

    // The idle timer is not re-armed on every read (a cancel and a push
    // per chunk); ready() only notes the time, and when the timer fires it
    // checks: if something came meanwhile, it sleeps again until
    // last_activity + idle. One timer operation per idle period instead of
    // one per read: libev's manual calls this "be smart about timeouts".
    void on_idle(std::size_t target) {
        Guard& g = guards_[target];
        Clock::time_point due = g.last_activity + *options_.idle_timeout;
        if (Clock::now() < due) {
            g.idle_timer = timers_.at(due, [this, target] { on_idle(target); });
            return;
        }
        expire(target, Reason::idle_timeout);
    }

    // A per-connection timer fired: this connection fails alone.
    void expire(std::size_t target, Reason reason) { fetch_->fail(target, reason); }

    TimerQueue& timers_;
    const FetchOptions& options_;
    std::deque<Guard> guards_;  // one per target, by index
    LoopFetch* fetch_ = nullptr;
};

}  // namespace kit
