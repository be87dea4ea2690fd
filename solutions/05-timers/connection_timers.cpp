// Each connection's connect and idle timers; see connection_timers.hpp.
// Lesson: lessons/05-timers.md, "Timeouts per connection".
#include "connection_timers.hpp"

namespace kit {

ConnectionTimers::ConnectionTimers(TimerQueue& timers, const FetchOptions& options)
    : timers_(timers), options_(options), guards_(options.targets.size()) {}

FetchHooks ConnectionTimers::hooks() {
    return {.watched = [this](std::size_t target) { watched(target); },
            .ready = [this](std::size_t target) { ready(target); },
            .finished = [this](std::size_t target) { finished(target); }};
}

void ConnectionTimers::watched(std::size_t target) {
    if (options_.connect_timeout) {
        guards_[target].connect_timer = timers_.after(
            *options_.connect_timeout, [this, target] { expire(target, Reason::connect_timeout); });
    }
}

// The first readiness ends the connect, and starts the idle clock; every
// readiness is life.
void ConnectionTimers::ready(std::size_t target) {
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

// Cancelling a timer that has fired, or the one running now, is safe and
// returns false (timer_queue.hpp).
void ConnectionTimers::finished(std::size_t target) {
    timers_.cancel(guards_[target].connect_timer);
    timers_.cancel(guards_[target].idle_timer);
}

// The idle timer is not re-armed on every read (a cancel and a push per
// chunk); ready() only notes the time, and when the timer fires it checks:
// if something came meanwhile, it sleeps again until last_activity + idle.
// One timer operation per idle period instead of one per read: libev's
// manual calls this "be smart about timeouts".
void ConnectionTimers::on_idle(std::size_t target) {
    Guard& g = guards_[target];
    Clock::time_point due = g.last_activity + *options_.idle_timeout;
    if (Clock::now() < due) {
        g.idle_timer = timers_.at(due, [this, target] { on_idle(target); });
        return;
    }
    expire(target, Reason::idle_timeout);
}

// A per-connection timer fired: this connection fails alone.
void ConnectionTimers::expire(std::size_t target, Reason reason) {
    fetch_->fail(target, reason);
}

}  // namespace kit
