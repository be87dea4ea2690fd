// Stage 1 exercise, part 2: the raw select() event machine. Edit this file
// and connection.cpp (not the tests): fill in the TODOs, then run
// `./kit check 1`; `./kit hint 1` gives a hint, `./kit watch 1` re-checks
// on every save.
//
// Every target is a Connection (connection.hpp), a small non-blocking
// state machine, and one select() loop waits until some socket is ready,
// then runs that connection's handler. A handler does only what it can do
// without blocking and returns to the loop, so all targets progress at
// once: the run takes as long as the slowest server, not the sum of them
// all. One global deadline (--timeout) ends whatever is still unfinished.
// Lesson: lessons/01-select.md. Stage 2 turns this loop into a reusable Loop.
#include "connection.hpp"

#include "kit/fetch_main.hpp"

#include <sys/select.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <deque>

namespace {

using Clock = kit::FetchLog::Clock;

// The time left until @p deadline as select() wants it, rounded up so the
// loop never wakes a hair early and spins.
timeval time_left(Clock::time_point deadline) {
    auto left = std::chrono::ceil<std::chrono::microseconds>(deadline - Clock::now());
    left = std::max(left, std::chrono::microseconds(0));
    return {.tv_sec = static_cast<time_t>(left.count() / 1'000'000),
            .tv_usec = static_cast<suseconds_t>(left.count() % 1'000'000)};
}

// fd_set is a bitmap of FD_SETSIZE bits: FD_SET on a larger fd writes past
// its end. select() simply cannot watch such an fd (stage 2's poll can).
void refuse_fds_select_cannot_watch(kit::Connection& c, const kit::Url& url) {
    if (!c.finished() && c.fd() >= FD_SETSIZE) {
        std::fprintf(stderr,
                     "fetch: %s: fd %d is not below FD_SETSIZE (%d), select() cannot watch it\n",
                     url.text.c_str(), c.fd(), FD_SETSIZE);
        c.fail(kit::Reason::fd_limit);
    }
}

// The event loop: build the interest sets, wait, dispatch; until every
// target is finished or the deadline passes.
void fetch_all(const kit::FetchOptions& options, kit::FetchLog& log) {
    const Clock::time_point deadline = Clock::now() + options.timeout;
    std::deque<kit::Connection> connections;  // a deque never moves its elements
    for (std::size_t i = 0; i < options.targets.size(); ++i) {
        kit::Connection& c = connections.emplace_back(i, log);
        c.start(options.targets[i]);
        refuse_fds_select_cannot_watch(c, options.targets[i]);
    }
    connections.front().stall_first_read(options.stall);

    while (!log.all_finished() && Clock::now() < deadline) {
        // TODO(stage 1): one turn of the event loop.
        //   1. Build two fd_sets from scratch (FD_ZERO, then FD_SET): each
        //      unfinished connection goes in `readable` or `writable`, as
        //      its interest() says. Remember the largest fd.
        //   2. Wait: ::select(max_fd + 1, &readable, &writable, nullptr, &timeout)
        //      with `timeval timeout = time_left(deadline);`, and record the
        //      wait with log.wait(began, Clock::now(), ready).
        //   3. -1 with errno == EINTR: continue (a signal, nothing is ready).
        //   4. Dispatch: for each unfinished connection whose fd is in the
        //      set of its interest(), call on_ready(). Read the sets, never
        //      change them.
        break;  // TODO(stage 1): delete this line once the turn is written
    }

    for (kit::Connection& c : connections) {
        c.fail(kit::Reason::timeout);  // whatever is unfinished at the deadline
    }
}

}  // namespace

int main(int argc, char** argv) {
    return kit::fetch_main(argc, argv,
                           {.description = "non-blocking fetch of all targets at once in one "
                                           "select() loop (stage 1)",
                            .features = {.stall = true},
                            .run = fetch_all});
}
