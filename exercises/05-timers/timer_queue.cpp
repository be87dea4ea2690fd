// The timer heap and its two Source calls; see src/stages/05-timers/timer_queue.hpp.
// Lesson: lessons/05-timers.md. Your part: the four functions with TODOs.
#include "timer_queue.hpp"

#include "clock.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace kit {

namespace {

// Misuse of the queue is a bug in the caller: say which, and stop here.
void require(bool condition, const char* what) {
    if (!condition) {
        std::fprintf(stderr, "kit::TimerQueue: %s\n", what);
        std::abort();
    }
}

}  // namespace

TimerQueue::TimerQueue(NowFunction now) : now_(std::move(now)) {}

TimerId TimerQueue::after(Clock::duration delay, Callback callback) {
    // Saturating, here and below: after(Clock::duration::max()) means "never",
    // and must not wrap around to "long ago" and fire at once.
    return at(saturating_add(now_(), std::max(delay, Clock::duration::zero())),
              std::move(callback));
}

TimerId TimerQueue::at(Clock::time_point deadline, Callback callback) {
    return arm(deadline, Clock::duration::zero(), std::move(callback));
}

TimerId TimerQueue::every(Clock::duration period, Callback callback) {
    require(period > Clock::duration::zero(), "every() needs a period of more than zero");
    return arm(saturating_add(now_(), period), period, std::move(callback));
}

// Cancelling uses the index map: every slot knows where its entry is in the
// heap (place() keeps that up to date on every move), so the entry leaves
// the heap now, in O(log n), and the heap holds armed timers only. The
// alternative, lazy deletion (mark the slot dead, drop the entry when it
// reaches the top), makes cancel O(1) but keeps a dead entry per cancel
// until its deadline: a 30 s timeout re-armed on every read of a busy
// connection would pile up thousands. The price of the map is one extra
// write per heap move. libev and libuv choose the same.
bool TimerQueue::cancel(TimerId id) {
    if (id.slot >= slots_.size()) {
        return false;
    }
    Slot& slot = slots_[id.slot];
    if (!slot.armed || slot.generation != id.generation) {
        return false;  // fired (one-shot), cancelled already, or the slot is someone else's now
    }
    if (slot.heap_index != kNotInHeap) {
        remove_from_heap(slot.heap_index);
    }
    // Not in the heap: collected by this pass's dispatch() and not yet
    // run, or running right now. Releasing the slot is enough: run()
    // checks the generation and skips (or does not re-arm) it.
    release(id.slot);
    return true;
}

std::optional<Clock::duration> TimerQueue::time_to_next(Clock::time_point now) {
    // TODO(stage 5): std::nullopt when no timer is armed; otherwise the time from
    // `now` to the earliest deadline (the heap's top), never below zero.
    // A deadline may be Clock::time_point::min(): subtract with
    // saturating_sub() (clock.hpp), which cannot overflow.
    (void)now;
    return std::nullopt;
}

// Collect first, then run. Popping and running one at a time would run a
// zero-delay timer armed by a callback in this same pass, and a callback
// that always arms one would never let the loop wait again (Redis's
// processTimeEvents() guards against the same with its maxId).
void TimerQueue::dispatch(Clock::time_point now) {
    // TODO(stage 5): 1. collect: while the top of the heap is due at `now`, remove
    //          it (remove_from_heap(0)) and append a Due to due_, with its
    //          slot's generation as it is now;
    //       2. run: call run() for each collected timer, in order.
    (void)now;
    due_.clear();
    // TODO(stage 5): delete these two lines. Without dispatch no timer would
    // ever fire, and a fetch with a silent server would wait forever.
    std::fprintf(stderr, "kit::TimerQueue::dispatch() is still a TODO in exercises/05-timers\n");
    std::abort();
}

TimerId TimerQueue::arm(Clock::time_point deadline, Clock::duration period, Callback callback) {
    std::uint32_t index = 0;
    if (free_.empty()) {
        index = static_cast<std::uint32_t>(slots_.size());
        slots_.emplace_back();
    } else {
        index = free_.back();
        free_.pop_back();
    }
    Slot& slot = slots_[index];
    slot.callback = std::move(callback);
    slot.period = period;
    slot.armed = true;
    ++armed_;
    push(deadline, index);
    return {.slot = index, .generation = slot.generation};
}

// A new entry goes at the end, the only place that keeps the tree
// complete, and climbs to where it belongs. Its sequence number is taken
// now, so of two equal deadlines the one armed first stays on top.
void TimerQueue::push(Clock::time_point deadline, std::uint32_t slot) {
    heap_.push_back(Entry{.deadline = deadline, .sequence = next_sequence_++, .slot = slot});
    sift_up(static_cast<std::uint32_t>(heap_.size() - 1));
}

// The last entry fills the hole and moves up or down to its place (up can
// happen: the last entry may be earlier than the removed one's parent).
void TimerQueue::remove_from_heap(std::uint32_t index) {
    slots_[heap_[index].slot].heap_index = kNotInHeap;
    const Entry last = heap_.back();
    heap_.pop_back();
    if (index == heap_.size()) {
        return;  // it was the last entry: no hole to fill
    }
    place(index, last);
    if (index > 0 && earlier(heap_[index], heap_[(index - 1) / 2])) {
        sift_up(index);
    } else {
        sift_down(index);
    }
}

// Every write into the heap goes through here, so a slot's heap_index is
// never stale (cancel() relies on it).
void TimerQueue::place(std::uint32_t index, const Entry& entry) {
    heap_[index] = entry;
    slots_[entry.slot].heap_index = index;
}

// Moves heap_[index] up while it is earlier than its parent. A "hole"
// instead of swaps, as libuv's heap-inl.h and libev do: each parent moves
// down one level, and the moving entry is written once, at the end.
void TimerQueue::sift_up(std::uint32_t index) {
    // TODO(stage 5): while `index` is not the root and the moving entry is
    // earlier() than its parent ((index - 1) / 2), move the parent down
    // into the hole with place(); then place() the moving entry.
    (void)index;
}

// Moves heap_[index] down while a child is earlier, always towards the
// earlier child (the other one may then sit below it: both are later).
void TimerQueue::sift_down(std::uint32_t index) {
    // TODO(stage 5): the children of `index` are 2 * index + 1 and 2 * index + 2
    // (either may be past the end). While the earlier child is earlier()
    // than the moving entry, move it up into the hole with place(); then
    // place() the moving entry.
    (void)index;
}

void TimerQueue::release(std::uint32_t index) {
    Slot& slot = slots_[index];
    slot.callback = nullptr;
    slot.armed = false;
    slot.heap_index = kNotInHeap;
    ++slot.generation;  // old ids no longer match (wraps after 2^32 reuses of one slot)
    free_.push_back(index);
    --armed_;
}

// Runs one collected timer, unless a callback earlier in this pass
// cancelled it (its generation moved on).
void TimerQueue::run(const Due& due, Clock::time_point now) {
    Slot& slot = slots_[due.slot];
    if (!slot.armed || slot.generation != due.generation) {
        return;
    }
    // The callback is moved out before it runs: it may cancel its own
    // timer (which clears the slot), and arming may grow slots_.
    Callback callback = std::move(slot.callback);
    if (slot.period == Clock::duration::zero()) {
        release(due.slot);  // a one-shot is gone before it runs: cancel() of it says false
        callback();
        return;
    }
    const Clock::duration period = slot.period;
    callback();
    Slot& after_run = slots_[due.slot];  // slots_ may have grown meanwhile
    if (!after_run.armed || after_run.generation != due.generation) {
        return;  // the callback cancelled its own timer
    }
    after_run.callback = std::move(callback);
    // Re-armed from its previous deadline, not from now: the loop's
    // lateness and the callback's run time do not add up from tick to
    // tick (no drift). Ticks the loop missed entirely are skipped, not run
    // in a burst: the next tick is the first one on the grid after now.
    // libev's repeating ev_timer also adds the period to the deadline, but
    // once behind it restarts from now, off its grid; libuv's repeating
    // timers re-arm from the loop's now, and drift.
    Clock::time_point next = saturating_add(due.deadline, period);
    if (next <= now) {
        next = saturating_add(next, period * ((now - next) / period + 1));
    }
    push(next, due.slot);
}

}  // namespace kit
