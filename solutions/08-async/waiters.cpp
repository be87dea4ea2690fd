// The parked clients; see src/stages/08-async/waiters.hpp.
// Lesson: lessons/08-async.md, "The waiters".
#include "waiters.hpp"

#include <utility>

namespace kit {

Waiters::Waiters(TimerQueue& timers, Clock::duration timeout)
    : timers_(timers), timeout_(timeout) {}

Waiters::~Waiters() {
    for (auto& [id, waiter] : parked_) {
        timers_.cancel(waiter.timer);
    }
}

// Each waiter gets a number of its own: the timer and the disconnect
// callback name it by that, not by a pointer, so one that is gone already
// is simply not found.
void Waiters::park(const Responder& responder) {
    const std::uint64_t id = next_id_++;
    const TimerId timer = timers_.after(timeout_, [this, id] { release(id); });
    parked_.emplace(id, Waiter{responder, timer});
    // Last: a client gone already is dropped at once, inside this call,
    // so it must be in parked_ by now.
    responder.on_disconnect([this, id] { drop(id); });
}

// The map is swapped out first: answering one client may park another
// (its next, pipelined request), and that one waits for the next message.
std::size_t Waiters::answer_all(const Response& response) {
    std::unordered_map<std::uint64_t, Waiter> answering = std::exchange(parked_, {});
    for (auto& [id, waiter] : answering) {
        timers_.cancel(waiter.timer);
        waiter.responder.respond(response);
    }
    return answering.size();
}

void Waiters::release(std::uint64_t id) {
    auto found = parked_.find(id);
    if (found == parked_.end()) {
        return;
    }
    Responder responder = found->second.responder;
    parked_.erase(found);  // its timer is the one running now
    responder.respond({.status = 204, .fields = {{"Cache-Control", "no-store"}}});
}

void Waiters::drop(std::uint64_t id) {
    auto found = parked_.find(id);
    if (found == parked_.end()) {
        return;
    }
    Responder responder = found->second.responder;
    timers_.cancel(found->second.timer);
    parked_.erase(found);
    responder.close();
}

}  // namespace kit
