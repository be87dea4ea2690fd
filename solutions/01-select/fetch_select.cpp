// Stage 1: the raw select() event machine.
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
        // Rebuilt on every turn, because select() overwrites the sets with
        // its answer: what we want to know is input, what is ready is output.
        fd_set readable;
        fd_set writable;
        FD_ZERO(&readable);
        FD_ZERO(&writable);
        int max_fd = -1;
        for (const kit::Connection& c : connections) {
            if (c.finished()) {
                continue;
            }
            FD_SET(c.fd(), c.interest() == kit::Interest::readable ? &readable : &writable);
            max_fd = std::max(max_fd, c.fd());
        }

        timeval timeout = time_left(deadline);
        Clock::time_point wait_began = Clock::now();
        int ready = ::select(max_fd + 1, &readable, &writable, nullptr, &timeout);
        log.wait(wait_began, Clock::now(), ready);
        if (ready < 0 && errno == EINTR) {
            continue;  // a signal arrived: nothing is ready, just wait again
        }
        if (ready < 0) {
            std::perror("fetch: select");  // EBADF or EINVAL: a bug in this loop
            std::abort();
        }

        // Dispatch. The sets are this turn's answer: read them, never change
        // them. Each connection gets at most one handler per turn, checked
        // against the set it was put in (a handler changes its connection's
        // interest, and must not be handed an event meant for the old one).
        for (kit::Connection& c : connections) {
            if (c.finished()) {
                continue;
            }
            const fd_set& answer = c.interest() == kit::Interest::readable ? readable : writable;
            if (FD_ISSET(c.fd(), &answer)) {
                c.on_ready();
            }
        }
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
