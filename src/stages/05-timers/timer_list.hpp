// TimerList: the first version of the timer queue, an unsorted list.
//
// Redis's ae.c keeps its time events this way: arming is O(1), finding the
// earliest deadline and cancelling are O(n). With a handful of timers
// (Redis has one) that is the fastest and the clearest; with a timer per
// connection it is not, which is why timer_queue.hpp keeps a heap. The
// lesson shows this version first; the unit tests use it as the reference
// that the heap must agree with, operation by operation.
// Lesson: lessons/05-timers.md, "The first version: a list".
//
// Interface rules: the same as TimerQueue's (timer_queue.hpp): ties fire in
// arming order, due timers are collected before any runs, a callback may
// arm and cancel anything; periodic ticks stay on their grid.
#pragma once

#include "clock.hpp"
#include "source.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

namespace kit {

/// Timers in an unsorted list: O(1) to arm, O(n) to find the next one.
class TimerList final : public Source {
public:
    /// Names one armed timer; ids are never reused.
    using Id = std::uint64_t;
    /// What runs when a timer is due.
    using Callback = std::function<void()>;

    /// A list that reads the time from @p now when arming.
    explicit TimerList(std::function<Clock::time_point()> now = &Clock::now)
        : now_(std::move(now)) {}

    /// A one-shot timer, @p delay from now (negative: zero).
    Id after(Clock::duration delay, Callback callback) {
        return add(saturating_add(now_(), std::max(delay, Clock::duration::zero())), {},
                   std::move(callback));
    }

    /// A periodic timer: every @p period (more than zero), first one period from now.
    Id every(Clock::duration period, Callback callback) {
        return add(saturating_add(now_(), period), period, std::move(callback));
    }

    /// @return true if timer @p id was armed and now never runs.
    bool cancel(Id id) {
        auto it = std::find_if(timers_.begin(), timers_.end(),
                               [id](const Timer& t) { return t.id == id; });
        if (it == timers_.end()) {
            return false;
        }
        timers_.erase(it);
        return true;
    }

    /// Time to the earliest deadline (zero if due), std::nullopt when empty: O(n).
    [[nodiscard]] std::optional<Clock::duration> time_to_next(Clock::time_point now) override {
        std::optional<Clock::time_point> earliest;
        for (const Timer& t : timers_) {
            if (!earliest || t.deadline < *earliest) {
                earliest = t.deadline;
            }
        }
        if (!earliest) {
            return std::nullopt;
        }
        return std::max(saturating_sub(*earliest, now), Clock::duration::zero());
    }

    /// Runs every timer due at @p now, in (deadline, arming) order.
    void dispatch(Clock::time_point now) override {
        // Collect the due ids first: the callbacks change the list.
        std::vector<Timer> due;
        for (const Timer& t : timers_) {
            if (t.deadline <= now) {
                due.push_back(Timer{t.id, t.sequence, t.deadline, t.period, nullptr});
            }
        }
        std::sort(due.begin(), due.end(), [](const Timer& a, const Timer& b) {
            return a.deadline < b.deadline || (a.deadline == b.deadline && a.sequence < b.sequence);
        });
        for (const Timer& d : due) {
            auto it = std::find_if(timers_.begin(), timers_.end(),
                                   [&d](const Timer& t) { return t.id == d.id; });
            if (it == timers_.end()) {
                continue;  // cancelled by an earlier callback of this pass
            }
            Callback callback = std::move(it->callback);
            if (d.period == Clock::duration::zero()) {
                timers_.erase(it);
                callback();
                continue;
            }
            callback();
            it = std::find_if(timers_.begin(), timers_.end(),
                              [&d](const Timer& t) { return t.id == d.id; });
            if (it == timers_.end()) {
                continue;  // it cancelled itself
            }
            Clock::time_point next = saturating_add(d.deadline, d.period);
            if (next <= now) {
                next = saturating_add(next, d.period * ((now - next) / d.period + 1));
            }
            it->deadline = next;
            it->sequence = next_sequence_++;
            it->callback = std::move(callback);
        }
    }

private:
    struct Timer {
        Id id;
        std::uint64_t sequence;  // arming order, for ties
        Clock::time_point deadline;
        Clock::duration period;  // zero: one-shot
        Callback callback;
    };

    Id add(Clock::time_point deadline, Clock::duration period, Callback callback) {
        Id id = next_id_++;
        timers_.push_back(Timer{id, next_sequence_++, deadline, period, std::move(callback)});
        return id;
    }

    std::function<Clock::time_point()> now_;
    std::vector<Timer> timers_;
    Id next_id_ = 1;
    std::uint64_t next_sequence_ = 0;
};

}  // namespace kit
