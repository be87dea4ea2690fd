// TimerQueue: one-shot and periodic timers in a binary min-heap, as a Source.
//
// The Loop asks it before each wait how long it may sleep (the time to the
// earliest deadline) and lets it dispatch after each wait (run what is
// due). So timers plug into stage 2's Loop without changing it, as libev's
// ev_timer and libuv's uv_timer sit beside their I/O watchers. The O(n)
// list it replaces is timer_list.hpp. Lesson: lessons/05-timers.md.
//
// Interface rules:
// - Loop thread only, like the Loop it is added to.
// - Timers are ordered by (deadline, sequence number): equal deadlines
//   fire in the order they were armed.
// - dispatch() first collects every timer due at its `now`, then runs
//   them: a timer armed by a callback (even with a zero delay) runs in a
//   later pass, never in this one, so a callback cannot starve the loop.
// - A callback may arm and cancel any timer, itself and other timers due
//   in the same pass included; a cancelled timer never runs afterwards.
// - Misuse (a periodic timer with a period of zero) aborts with a message.
#pragma once

#include "source.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace kit {

/// Names one armed timer, for cancel(). A default TimerId names no timer.
struct TimerId {
    std::uint32_t slot = UINT32_MAX;  ///< Where the timer lives in the queue.
    /// Which use of that slot: a slot is reused once its timer is gone, and
    /// an old id must not cancel the new timer.
    std::uint32_t generation = 0;

    /// Two ids are equal when they name the same arming of the same slot.
    friend bool operator==(const TimerId&, const TimerId&) = default;
};

/// Timers in a binary min-heap, dispatched by the Loop (see the file comment).
class TimerQueue final : public Source {
public:
    /// What runs when a timer is due.
    using Callback = std::function<void()>;
    /// Where the queue reads the time when a timer is armed.
    using NowFunction = std::function<Clock::time_point()>;

    /// A queue that reads the time from @p now when arming (tests inject a
    /// fake clock; dispatch() always gets its `now` from the caller).
    explicit TimerQueue(NowFunction now = &Clock::now);

    /// Arms a one-shot timer: @p callback runs once, @p delay from now (a
    /// negative delay counts as zero). @return its id, for cancel().
    TimerId after(Clock::duration delay, Callback callback);

    /// Arms a one-shot timer due at @p deadline (in the past: due at once).
    TimerId at(Clock::time_point deadline, Callback callback);

    /// Arms a periodic timer: @p callback runs every @p period (more than
    /// zero), first one period from now. Ticks stay on the grid
    /// now + n × period; ticks missed while the loop was busy are skipped.
    TimerId every(Clock::duration period, Callback callback);

    /// Cancels timer @p id. @return true if it was armed and will now
    /// never run; false if it already fired (one-shot), was cancelled, or
    /// never existed.
    bool cancel(TimerId id);

    /// The number of armed timers (collected ones about to run included).
    [[nodiscard]] std::size_t size() const { return armed_; }

    /// Time to the earliest deadline from @p now (zero if one is due),
    /// std::nullopt when no timer is armed.
    [[nodiscard]] std::optional<Clock::duration> time_to_next(Clock::time_point now) override;

    /// Runs every timer due at @p now, in (deadline, arming) order.
    void dispatch(Clock::time_point now) override;

private:
    // Marks a slot whose timer is not in the heap: collected by dispatch()
    // and about to run, or free.
    static constexpr std::uint32_t kNotInHeap = UINT32_MAX;

    // The heap orders these small entries only; the callbacks stay put in
    // slots_, so a sift moves 24 bytes, not a std::function.
    struct Entry {
        Clock::time_point deadline;
        std::uint64_t sequence;  // arming order: breaks ties between equal deadlines
        std::uint32_t slot;
    };

    // One timer: what to run, and where its entry is in the heap.
    struct Slot {
        Callback callback;
        Clock::duration period{0};  // zero: one-shot
        std::uint32_t heap_index = kNotInHeap;
        std::uint32_t generation = 0;
        bool armed = false;
    };

    // A timer collected by dispatch(), with the generation it had then:
    // if that has moved on when its turn comes, it was cancelled meanwhile.
    struct Due {
        Clock::time_point deadline;
        std::uint32_t slot;
        std::uint32_t generation;
    };

    static bool earlier(const Entry& a, const Entry& b) {
        return a.deadline < b.deadline || (a.deadline == b.deadline && a.sequence < b.sequence);
    }

    TimerId arm(Clock::time_point deadline, Clock::duration period, Callback callback);
    void push(Clock::time_point deadline, std::uint32_t slot);
    void remove_from_heap(std::uint32_t index);
    void place(std::uint32_t index, const Entry& entry);
    void sift_up(std::uint32_t index);
    void sift_down(std::uint32_t index);
    void release(std::uint32_t slot);
    void run(const Due& due, Clock::time_point now);

    NowFunction now_;
    std::vector<Entry> heap_;          // heap_[0] is the earliest; children of i: 2i+1, 2i+2
    std::vector<Slot> slots_;          // indexed by TimerId::slot
    std::vector<std::uint32_t> free_;  // slots free for reuse
    std::vector<Due> due_;             // this pass's collected timers, reused between passes
    std::uint64_t next_sequence_ = 0;
    std::size_t armed_ = 0;
};

}  // namespace kit
