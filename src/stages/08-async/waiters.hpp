// Waiters: the clients parked on the chat's next message (long polling).
//
// A client that asks for a message that does not exist yet is not answered
// and not given a thread: its Responder is parked here, with a timer, and
// the loop goes on. Four things end a parked client's wait, and each must
// leave nothing behind (no waiter, no timer, no fd):
//
//   park ──message──────> answer_all(): every waiter answered, this turn
//     │ ──timeout───────> 204 No Content: "nothing yet, ask again"
//     │ ──client gone───> dropped: no answer, the connection closed now
//     └ ──service ends──> (the Service closes what is left)
//
// One parked client costs an entry here, a timer in the heap and its
// connection's context: a few hundred bytes, no thread. That is CppCMS's
// chat: contexts parked in the loop thread, all answered when a message
// comes. You write it: exercises/08-async/waiters.cpp.
// Lesson: lessons/08-async.md, "The waiters".
//
// Interface rules: loop thread only; no locks, since nothing else touches
// it (a pool worker posts into the loop instead). The TimerQueue outlives
// the Waiters.
#pragma once

#include "clock.hpp"
#include "responder.hpp"
#include "response.hpp"
#include "timer_queue.hpp"

#include <cstddef>
#include <cstdint>
#include <unordered_map>

namespace kit {

/// The parked clients and their timers (see the file comment).
class Waiters {
public:
    /// Waiters whose timers are armed on @p timers; each parked client is
    /// released with 204 after @p timeout.
    Waiters(TimerQueue& timers, Clock::duration timeout);
    Waiters(const Waiters&) = delete;
    Waiters& operator=(const Waiters&) = delete;
    /// Cancels the timers of the clients still parked (the Service closes them).
    ~Waiters();

    /// Parks @p responder until answer_all(), its timeout (204), or its
    /// client's going away (dropped: its connection closed, no answer).
    void park(const Responder& responder);

    /// Answers every parked client with @p response, now, and cancels their
    /// timers. Clients parked meanwhile (a pipelined request answered here
    /// may park again) wait for the next call. @return how many were answered.
    std::size_t answer_all(const Response& response);

    /// How many clients are parked now.
    [[nodiscard]] std::size_t size() const { return parked_.size(); }

private:
    // One parked client: how to answer it, and its timeout.
    struct Waiter {
        Responder responder;
        TimerId timer;
    };

    void release(std::uint64_t id);  // its timeout fired: 204
    void drop(std::uint64_t id);     // its client went away: close, no answer

    TimerQueue& timers_;
    const Clock::duration timeout_;
    std::unordered_map<std::uint64_t, Waiter> parked_;  // by a number of our own
    std::uint64_t next_id_ = 0;
};

}  // namespace kit
