// QuadHeap: stage 5's stretch exercise, a 4-ary min-heap of timer keys.
//
// The same heap as timer_queue.cpp, with four children per node instead of
// two: half as many levels, so a sift down touches fewer cache lines (the
// four children sit side by side), at the price of three comparisons per
// level instead of one. libev uses one by default (EV_USE_4HEAP). Keys are
// ordered by (deadline, sequence), as in the TimerQueue.
// Lesson: lessons/05-timers.md, "Stretch: a 4-ary heap".
//
// Interface rules: top() and pop() need a non-empty heap.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace kit {

/// A timer's place in line: earlier deadline first, then earlier arming.
struct TimerKey {
    std::chrono::steady_clock::time_point deadline;  ///< When it is due.
    std::uint64_t sequence = 0;                      ///< Arming order, breaks ties.

    /// True if @p a fires before @p b.
    friend bool operator<(const TimerKey& a, const TimerKey& b) {
        return a.deadline < b.deadline || (a.deadline == b.deadline && a.sequence < b.sequence);
    }
    /// Two keys are equal when deadline and sequence are.
    friend bool operator==(const TimerKey&, const TimerKey&) = default;
};

/// A min-heap with four children per node: children of i are 4i+1 .. 4i+4.
class QuadHeap {
public:
    /// Adds @p key.
    void push(TimerKey key);
    /// The earliest key (the heap must not be empty).
    [[nodiscard]] const TimerKey& top() const { return keys_.front(); }
    /// Removes the earliest key (the heap must not be empty).
    void pop();
    /// The number of keys.
    [[nodiscard]] std::size_t size() const { return keys_.size(); }
    /// True when there are no keys.
    [[nodiscard]] bool empty() const { return keys_.empty(); }
    /// The keys in heap order, keys()[0] the earliest: for tests, which
    /// check the 4-ary shape (a binary heap pops in order too).
    [[nodiscard]] std::span<const TimerKey> keys() const { return keys_; }

private:
    static constexpr std::size_t kArity = 4;

    void sift_up(std::size_t index);
    void sift_down(std::size_t index);

    std::vector<TimerKey> keys_;
};

}  // namespace kit
