// Watchdog: bounds a Loop::run() in stage 6's unit tests.
//
// A loop held by a PostQueue runs until the work it waits for has posted
// back; if the code under test loses a post (a shipped exercise, a lost
// wake-up), that is never, and the test would hang. The watchdog is a
// stage 5 timer that stops the loop after a generous limit and says so;
// the test disarm()s it once its work is done, so that run() still has to
// end by itself, which is part of what is tested.
#pragma once

#include "loop.hpp"
#include "timer_queue.hpp"

#include <chrono>

namespace stage6_test {

/// Stops @p loop after a limit unless disarmed first (see the file comment).
class Watchdog {
public:
    /// Arms the limit on @p loop (from the loop thread).
    explicit Watchdog(kit::Loop& loop, std::chrono::seconds limit = std::chrono::seconds(20))
        : loop_(loop) {
        loop_.add_source(timers_);
        id_ = timers_.after(limit, [this] {
            fired_ = true;
            loop_.stop();
        });
    }
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;
    ~Watchdog() { loop_.remove_source(timers_); }

    /// The work is done: the limit no longer keeps the loop running.
    void disarm() { timers_.cancel(id_); }

    /// True if the limit passed and stopped the loop: the test failed.
    [[nodiscard]] bool fired() const { return fired_; }

private:
    kit::Loop& loop_;
    kit::TimerQueue timers_;
    kit::TimerId id_;
    bool fired_ = false;
};

}  // namespace stage6_test
