// The post queue's three steps: post, prepare, dispatch; see post_queue.hpp.
// Lesson: lessons/06-pool.md, "post(), step by step".
#include "post_queue.hpp"

#include <cstdio>
#include <cstdlib>
#include <utility>

namespace kit {

PostQueue::PostQueue(Loop& loop) : loop_(loop) {
    loop_.add_source(*this);
}

PostQueue::~PostQueue() {
    if (holds_ > 0) {
        loop_.unwatch(wakeup_.fd());
    }
    loop_.remove_source(*this);
}

// Any thread. The lost wake-up cannot happen: the loop sets may_sleep_ in
// time_to_next() under this same lock *after* looking at the queue, so
// either it sees our handler and does not sleep, or we see may_sleep_ and
// write the fd, which ends (or prevents) its sleep.
void PostQueue::post(Handler handler) {
    bool wake = false;
    {
        std::lock_guard lock(mutex_);
        queued_.push_back(std::move(handler));
        if (may_sleep_) {
            may_sleep_ = false;  // one wake-up is enough until the loop has looked
            ++wakeups_;
            wake = true;
        }
    }
    // Outside the lock: a system call is slow, and the loop may want the lock.
    if (wake) {
        wakeup_.signal();
    }
}

void PostQueue::hold() {
    if (holds_++ == 0) {
        std::error_code error =
            loop_.watch(wakeup_.fd(), {.readable = true}, [this](IoEvents) { wakeup_.drain(); });
        if (error) {  // a fresh fd: only select past FD_SETSIZE refuses it
            std::fprintf(stderr, "kit::PostQueue: cannot watch the wake-up fd: %s\n",
                         error.message().c_str());
            std::abort();
        }
    }
}

void PostQueue::release() {
    if (holds_ == 0) {
        std::fprintf(stderr, "kit::PostQueue: release() without a hold()\n");
        std::abort();
    }
    if (--holds_ == 0) {
        loop_.unwatch(wakeup_.fd());
    }
}

std::uint64_t PostQueue::wakeups() const {
    std::lock_guard lock(mutex_);
    return wakeups_;
}

// Zero is always a safe answer (the loop polls instead of sleeping), so
// after a pass that ran handlers the loop looks once more without taking
// the lock: while posts stream in, more are on their way. Only a pass that
// found nothing earns the look under the lock that may let the loop sleep.
// Under a stream of posts this halves the times the loop takes the lock
// (each time it finds a poster holding it, both pay a futex system call),
// and a loop that sleeps less often makes the posters write less often.
std::optional<Clock::duration> PostQueue::time_to_next(Clock::time_point /*now*/) {
    if (ran_any_) {
        return Clock::duration::zero();
    }
    std::lock_guard lock(mutex_);
    if (!queued_.empty()) {
        may_sleep_ = false;
        return Clock::duration::zero();
    }
    may_sleep_ = true;
    return std::nullopt;
}

// The swap takes the whole queue in O(1) under the lock; the handlers run
// unlocked, so a handler may post (into the emptied queue: the next pass).
void PostQueue::dispatch(Clock::time_point /*now*/) {
    {
        std::lock_guard lock(mutex_);
        may_sleep_ = false;
        running_.swap(queued_);
    }
    ran_any_ = !running_.empty();
    for (Handler& handler : running_) {
        handler();
    }
    running_.clear();  // keeps the capacity for the next pass
}

}  // namespace kit
