// Deadline: the fetch's global deadline, the Loop's first Source.
//
// Until it is due, it tells the Loop to sleep no longer than the time left;
// once due, it runs its action once (the fetch fails every unfinished
// connection with `timeout`) and stops the Loop. Stage 5 generalizes it
// into a timer queue. Lesson: lessons/02-reactor.md, "Sources: the extension point".
//
// Interface rules: add it to the Loop it stops; it fires at most once.
#pragma once

#include "loop.hpp"
#include "source.hpp"

#include <functional>
#include <optional>

namespace kit {

/// A one-shot deadline that runs an action and stops its Loop.
class Deadline final : public Source {
public:
    /// At @p due, @p on_due runs and then @p loop is stopped.
    Deadline(Loop& loop, Clock::time_point due, std::function<void()> on_due);

    /// The time left until due (zero once due); std::nullopt once it has fired.
    [[nodiscard]] std::optional<Clock::duration> time_to_next(Clock::time_point now) override;

    /// When @p now is at or past due, the first time: runs the action, stops the loop.
    void dispatch(Clock::time_point now) override;

    /// True once the action has run.
    [[nodiscard]] bool fired() const { return fired_; }

private:
    Loop& loop_;
    Clock::time_point due_;
    std::function<void()> on_due_;
    bool fired_ = false;
};

}  // namespace kit
