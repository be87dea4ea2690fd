// Clock: the one clock of the Loop and its sources, and time arithmetic
// that cannot overflow.
//
// A time_point of steady_clock is a signed 64-bit count of nanoseconds, so
// `now + Clock::duration::max()` and `time_point::min() - now` overflow:
// undefined behaviour, and in practice a wrap-around, so a timer meant for
// "never" fires at once and a deadline "in the past" makes the loop sleep
// for 292 years. Whoever adds a duration it did not compute itself (a
// caller's delay, a period, a deadline) adds it here: these two stop at the
// ends of the range instead, where "never" and "long ago" belong.
// Lesson: lessons/05-timers.md, "The ends of time".
//
// Interface rules: pure functions, any thread.
#pragma once

#include <chrono>
#include <limits>

namespace kit {

/// The clock of the Loop and its sources: steady, never set back.
using Clock = std::chrono::steady_clock;

/// @p a + @p b, or the largest (smallest) duration when the sum is beyond it.
constexpr Clock::duration saturating_add(Clock::duration a, Clock::duration b) {
    using Limits = std::numeric_limits<Clock::rep>;
    const Clock::rep x = a.count();
    const Clock::rep y = b.count();
    if (y > 0 && x > Limits::max() - y) {
        return Clock::duration::max();
    }
    if (y < 0 && x < Limits::min() - y) {
        return Clock::duration::min();
    }
    return a + b;
}

/// @p t + @p d, or the clock's first (last) time point when that is beyond it.
constexpr Clock::time_point saturating_add(Clock::time_point t, Clock::duration d) {
    return Clock::time_point(saturating_add(t.time_since_epoch(), d));
}

/// @p a - @p b, or the largest (smallest) duration when the difference is beyond it.
constexpr Clock::duration saturating_sub(Clock::time_point a, Clock::time_point b) {
    using Limits = std::numeric_limits<Clock::rep>;
    const Clock::rep x = a.time_since_epoch().count();
    const Clock::rep y = b.time_since_epoch().count();
    if (y < 0 && x > Limits::max() + y) {
        return Clock::duration::max();
    }
    if (y > 0 && x < Limits::min() + y) {
        return Clock::duration::min();
    }
    return a - b;
}

}  // namespace kit
