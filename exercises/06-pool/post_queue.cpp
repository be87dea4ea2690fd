// Stage 6 exercise, part 1: the post queue's three steps (post, prepare,
// dispatch); the class is declared in src/stages/06-pool/post_queue.hpp.
// Lesson: lessons/06-pool.md, "post(), step by step". Your part: the three
// functions with TODOs; hold(), release() and the rest are given.
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

// Any thread.
void PostQueue::post(Handler handler) {
    // TODO(stage 6): under mutex_, append the handler to queued_; if the
    // loop may be asleep (may_sleep_), clear that flag, count the wake-up
    // in wakeups_, and remember to wake it. Then, outside the lock,
    // wakeup_.signal() if you decided to.
    (void)handler;
    // TODO(stage 6): delete these two lines.
    std::fprintf(stderr, "kit::PostQueue::post() is still a TODO in exercises/06-pool\n");
    std::abort();
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

// Given: zero is always a safe answer (the loop polls instead of
// sleeping), so after a pass that ran handlers the loop looks once more
// without the lock; see lessons/06-pool.md, "What it costs".
std::optional<Clock::duration> PostQueue::time_to_next(Clock::time_point /*now*/) {
    if (ran_any_) {
        return Clock::duration::zero();
    }
    // TODO(stage 6): under mutex_: when handlers are queued, the loop must
    // not sleep (zero); otherwise note that it may sleep, and set no limit.
    return std::nullopt;
}

void PostQueue::dispatch(Clock::time_point /*now*/) {
    // TODO(stage 6): take everything queued in one step under mutex_ (the
    // loop is awake now: may_sleep_ is false), then run the handlers with
    // the lock released, in the order they were posted. A handler that
    // posts must not run in this pass. running_ is yours to use. Note in
    // ran_any_ whether this pass took any handler (time_to_next() reads it).
}

}  // namespace kit
