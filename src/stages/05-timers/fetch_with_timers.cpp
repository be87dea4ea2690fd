// The fetch client with per-connection timers; see fetch_with_timers.hpp.
// Lesson: lessons/05-timers.md, "Timeouts per connection".
#include "fetch_with_timers.hpp"

#include "timer_queue.hpp"

#include <deque>

namespace kit {

namespace {

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

// Arms and cancels each target's timers as stage 2's LoopFetch reports
// what happens to it (FetchHooks); a timer that fires fails its target alone.
class ConnectionTimers {
public:
    ConnectionTimers(TimerQueue& timers, const FetchOptions& options)
        : timers_(timers), options_(options), guards_(options.targets.size()) {}

    // The hooks to give the LoopFetch.
    FetchHooks hooks() {
        return {.watched = [this](std::size_t target) { watched(target); },
                .ready = [this](std::size_t target) { ready(target); },
                .finished = [this](std::size_t target) { finished(target); }};
    }

    // A timer that fires fails its target through @p fetch (the LoopFetch
    // that got hooks()); call before any target starts.
    void fail_through(LoopFetch& fetch) { fetch_ = &fetch; }

private:
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

}  // namespace

void fetch_with_timers(Loop& loop, const FetchOptions& options, FetchLog& log, Reads reads) {
    fetch_with_timers_starting(loop, options, log, reads,
                               [](LoopFetch& fetch, const std::vector<Url>& targets) {
                                   for (const Url& url : targets) {
                                       fetch.start(url);
                                   }
                               });
}

void fetch_with_timers_starting(Loop& loop, const FetchOptions& options, FetchLog& log, Reads reads,
                                const StartTargets& start) {
    TimerQueue timers;
    loop.add_source(timers);
    ConnectionTimers guards(timers, options);
    LoopFetch fetch(loop, log, reads, guards.hooks());
    guards.fail_through(fetch);
    start(fetch, options.targets);
    fetch.stall_first_read(options.stall);

    // The global deadline, stage 2's Deadline source, is now just a timer.
    timers.after(options.timeout, [&fetch, &loop] {
        fetch.fail_unfinished(Reason::timeout);
        loop.stop();
    });
    fetch.run();
    loop.remove_source(timers);
}

}  // namespace kit
