// The parked clients; read src/stages/08-async/waiters.hpp first, then
// lessons/08-async.md, "The waiters". Fill in the TODOs; `./kit check 8`
// tells you how far you are, `./kit hint 8` gives a hint.
#include "waiters.hpp"

#include <utility>

namespace kit {

Waiters::Waiters(TimerQueue& timers, Clock::duration timeout)
    : timers_(timers), timeout_(timeout) {}

Waiters::~Waiters() {
    // TODO: a parked client's timer must not fire once the Waiters are gone
    // (its callback names them). The clients themselves need nothing: the
    // Service closes their connections.
}

void Waiters::park(const Responder& responder) {
    // TODO: park the client, so that exactly one of three things ends its wait:
    // - answer_all() answers it (a message came);
    // - its timer fires after timeout_ and release() answers 204;
    // - its client goes away first (Responder::on_disconnect) and drop()
    //   forgets it and closes its connection.
    // Each waiter needs a name of its own that the timer and the disconnect
    // callback can look it up by (next_id_). Mind the order: on_disconnect()
    // calls back at once when the client has already gone.
    (void)responder;
}

std::size_t Waiters::answer_all(const Response& response) {
    // TODO: answer every parked client with `response`, now, in this call,
    // and make sure no timer of theirs fires later. Answering one may park
    // another (its next request, already received): that one waits for the
    // next message and must not be answered by this loop.
    (void)response;
    return 0;
}

void Waiters::release(std::uint64_t id) {
    // TODO: the timer of waiter `id` fired: if it is still parked, forget it
    // and answer 204 No Content (with "Cache-Control: no-store"), so its
    // client asks again.
    (void)id;
}

void Waiters::drop(std::uint64_t id) {
    // TODO: the client of waiter `id` went away: if it is still parked,
    // forget it, cancel its timer, and close its connection (no answer).
    (void)id;
}

}  // namespace kit
