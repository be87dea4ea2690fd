// The fetch's global deadline as a Source; see deadline.hpp.
#include "deadline.hpp"

#include "clock.hpp"

#include <algorithm>
#include <utility>

namespace kit {

Deadline::Deadline(Loop& loop, Clock::time_point due, std::function<void()> on_due)
    : loop_(loop), due_(due), on_due_(std::move(on_due)) {}

std::optional<Clock::duration> Deadline::time_to_next(Clock::time_point now) {
    if (fired_) {
        return std::nullopt;
    }
    // Saturating: a deadline at the far end of time is far, not overflowed.
    return std::max(saturating_sub(due_, now), Clock::duration::zero());
}

void Deadline::dispatch(Clock::time_point now) {
    if (fired_ || now < due_) {
        return;
    }
    fired_ = true;
    on_due_();
    loop_.stop();
}

}  // namespace kit
