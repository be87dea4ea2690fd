// Each connection's connect and idle timers; see
// src/stages/05-timers/connection_timers.hpp. Lesson: lessons/05-timers.md,
// "Timeouts per connection". Your part: the two members with TODOs.
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

// The connection's fd is ready: the hooks call this before its handler.
void ConnectionTimers::ready(std::size_t target) {
    // TODO(stage 5): two questions, for guards_[target]. Is this the first
    //   readiness (Guard::connect_over)? Then the connect is over, well or
    //   badly: the connect timer must not fire any more, and the idle timer
    //   starts (when options_.idle_timeout is set; it calls on_idle()).
    //   And on every readiness: what does on_idle() need to know, later,
    //   to tell a trickling server from a silent one?
    (void)target;
}

// Cancelling a timer that has fired, or the one running now, is safe and
// returns false (timer_queue.hpp).
void ConnectionTimers::finished(std::size_t target) {
    timers_.cancel(guards_[target].connect_timer);
    timers_.cancel(guards_[target].idle_timer);
}

// The idle timer fired. Is the connection really idle?
void ConnectionTimers::on_idle(std::size_t target) {
    // TODO(stage 5): decide between the two outcomes. An idle connection
    //   (nothing since long enough) fails with expire(target,
    //   Reason::idle_timeout). A connection that has been active since this
    //   timer was armed is not idle: it gets a new idle timer (calling
    //   on_idle() again), due when it will have been silent for the whole
    //   --idle-timeout. Which instant is that? ready() is called often;
    //   this function should be what keeps that cheap.
    (void)target;
}

// A per-connection timer fired: this connection fails alone.
void ConnectionTimers::expire(std::size_t target, Reason reason) {
    fetch_->fail(target, reason);
}

}  // namespace kit
