// Source: the Loop's extension point for anything that is not fd readiness.
//
// Before each wait the Loop asks every source how long it may sleep, and
// sleeps no longer than the shortest answer; after each wait (whatever
// woke it) it lets every source dispatch, in the order they were added.
// That is GLib's GSource (prepare / dispatch) and libev's prepare and
// check watchers, reduced to two calls. The fetch's global deadline is the
// first source (deadline.hpp); stage 5's timer queue and stage 6's
// cross-thread post queue are sources too, so the Loop does not change
// for them. Lesson: lessons/02-reactor.md, "Sources: the extension point".
//
// Interface rules: a source is called on the loop's thread only; it may
// use the Loop from dispatch() (watch, unwatch, stop) but must not block.
#pragma once

#include "clock.hpp"

#include <optional>

namespace kit {

/// Something the Loop consults around each wait (see the file comment).
class Source {
public:
    Source() = default;
    Source(const Source&) = delete;
    Source& operator=(const Source&) = delete;
    virtual ~Source() = default;

    /// Before a wait: how long the Loop may sleep for this source, from
    /// @p now (zero: it has work now), or std::nullopt for "no limit".
    /// While any source answers with a time, run() keeps going.
    [[nodiscard]] virtual std::optional<Clock::duration> time_to_next(Clock::time_point now) = 0;

    /// After every wait, once the ready fds' callbacks have run: do what is
    /// due at @p now (possibly nothing).
    virtual void dispatch(Clock::time_point now) = 0;
};

}  // namespace kit
