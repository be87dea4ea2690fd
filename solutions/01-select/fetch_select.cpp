// Stage 1: the raw select() event machine.
//
// Every target gets a non-blocking socket and a small state machine,
//
//     connecting --writable--> sending --all sent--> receiving --EOF--> finished
//
// and one select() loop waits until some socket is ready, then runs that
// connection's handler. A handler does only what it can do without
// blocking and returns to the loop, so all targets progress at once: the
// run takes as long as the slowest server, not the sum of them all.
// One global deadline (--timeout) ends whatever is still unfinished.
// Lesson: lessons/01-select.md. Stage 2 turns this loop into a reusable Loop.
#include "kit/fetch_main.hpp"
#include "kit/http.hpp"
#include "kit/net.hpp"

#include <sys/select.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using Clock = kit::FetchLog::Clock;
using std::chrono::milliseconds;

enum class State { connecting, sending, receiving, finished };

// One target's connection and how far it has got.
struct Connection {
    std::size_t target = 0;  // index on the command line, as the log names it
    State state = State::connecting;
    kit::UniqueFd sock;
    std::string request;
    std::size_t sent = 0;  // request bytes written so far
    kit::ResponseParser response;
    milliseconds stall{0};  // --stall: the first read handler sleeps this long
};

void finish(Connection& c, const kit::Outcome& outcome, kit::FetchLog& log) {
    c.state = State::finished;
    c.sock.reset();  // close now: a finished connection holds no fd
    log.finish(c.target, outcome);
}

// Opens a non-blocking socket and starts connecting; the connect completes
// later, when select() reports the socket writable.
void start(Connection& c, const kit::Url& url, kit::FetchLog& log) {
    std::optional<sockaddr_in> address = kit::resolve_ipv4(url);
    if (!address) {
        return finish(c, kit::Outcome::failure(kit::Reason::resolve), log);
    }
    c.sock = kit::open_tcp_socket(kit::Blocking::no);
    if (!c.sock) {
        return finish(c, kit::Outcome::failure(kit::reason_from_errno(errno)), log);
    }
    // fd_set is a bitmap of FD_SETSIZE bits: FD_SET on a larger fd writes
    // past its end. select() simply cannot watch such an fd (stage 2's poll can).
    if (c.sock.get() >= FD_SETSIZE) {
        std::fprintf(stderr,
                     "fetch: %s: fd %d is not below FD_SETSIZE (%d), select() cannot watch it\n",
                     url.text.c_str(), c.sock.get(), FD_SETSIZE);
        return finish(c, kit::Outcome::failure(kit::Reason::fd_limit), log);
    }
    c.request = kit::http_get_request(url);
    log.milestone(c.target, kit::Milestone::connect_start);
    if (::connect(c.sock.get(), reinterpret_cast<const sockaddr*>(&*address), sizeof *address) !=
            0 &&
        errno != EINPROGRESS) {
        return finish(c, kit::Outcome::failure(kit::reason_from_errno(errno)), log);
    }
}

// Writable while sending: write as much of the request as the socket takes.
void on_writable(Connection& c, kit::FetchLog& log) {
    while (c.sent < c.request.size()) {
        ssize_t n = ::send(c.sock.get(), c.request.data() + c.sent, c.request.size() - c.sent, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;  // the send buffer is full: wait until writable again
        }
        if (n < 0) {
            return finish(c, kit::Outcome::failure(kit::reason_from_errno(errno)), log);
        }
        c.sent += static_cast<std::size_t>(n);
    }
    log.milestone(c.target, kit::Milestone::request_sent);
    c.state = State::receiving;
}

// Writable while connecting: the connect has finished, well or badly;
// SO_ERROR says which.
void on_connected(Connection& c, kit::FetchLog& log) {
    int error = 0;
    socklen_t size = sizeof error;
    if (::getsockopt(c.sock.get(), SOL_SOCKET, SO_ERROR, &error, &size) != 0) {
        error = errno;
    }
    if (error != 0) {
        return finish(c, kit::Outcome::failure(kit::reason_from_errno(error)), log);
    }
    log.milestone(c.target, kit::Milestone::connected);
    c.state = State::sending;
    on_writable(c, log);  // a fresh socket is writable: no need to wait a turn
}

// Readable while receiving: read once; the loop calls again while more is
// there, which keeps one chatty server from starving the others.
void on_readable(Connection& c, kit::FetchLog& log) {
    if (c.stall > milliseconds(0)) {
        // The --stall demo: a handler that blocks stalls every connection.
        std::this_thread::sleep_for(std::exchange(c.stall, milliseconds(0)));
    }
    char buffer[16 * 1024];
    ssize_t n = ::recv(c.sock.get(), buffer, sizeof buffer, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) {
        return;  // nothing after all: wait for the next readiness
    }
    if (n < 0) {
        return finish(c, kit::Outcome::failure(kit::reason_from_errno(errno)), log);
    }
    if (n == 0) {
        return finish(c, c.response.at_eof(), log);
    }
    if (c.response.bytes_received() == 0) {
        log.milestone(c.target, kit::Milestone::first_byte);
    }
    if (auto failure = c.response.feed({buffer, static_cast<std::size_t>(n)})) {
        finish(c, kit::Outcome::failure(*failure), log);
    }
}

// The time left until @p deadline as select() wants it, rounded up so the
// loop never wakes a hair early and spins.
timeval time_left(Clock::time_point deadline) {
    auto left = std::chrono::ceil<std::chrono::microseconds>(deadline - Clock::now());
    left = std::max(left, std::chrono::microseconds(0));
    return {.tv_sec = static_cast<time_t>(left.count() / 1'000'000),
            .tv_usec = static_cast<suseconds_t>(left.count() % 1'000'000)};
}

// The event loop: build the interest sets, wait, dispatch; until every
// target is finished or the deadline passes.
void fetch_all(const kit::FetchOptions& options, kit::FetchLog& log) {
    const Clock::time_point deadline = Clock::now() + options.timeout;
    std::vector<Connection> connections(options.targets.size());
    for (std::size_t i = 0; i < connections.size(); ++i) {
        connections[i].target = i;
        start(connections[i], options.targets[i], log);
    }
    connections.front().stall = options.stall;

    while (!log.all_finished() && Clock::now() < deadline) {
        // Rebuilt on every turn, because select() overwrites the sets with
        // its answer: what we want to know is input, what is ready is output.
        fd_set readable;
        fd_set writable;
        FD_ZERO(&readable);
        FD_ZERO(&writable);
        int max_fd = -1;
        for (const Connection& c : connections) {
            if (c.state == State::finished) {
                continue;
            }
            FD_SET(c.sock.get(), c.state == State::receiving ? &readable : &writable);
            max_fd = std::max(max_fd, c.sock.get());
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

        // Dispatch. Each connection runs at most one handler per turn, chosen
        // by the state it had when the sets were built (a handler changes only
        // its own connection's state), so no handler sees another's stale event.
        for (Connection& c : connections) {
            switch (c.state) {
                case State::connecting:
                    if (FD_ISSET(c.sock.get(), &writable)) {
                        on_connected(c, log);
                    }
                    break;
                case State::sending:
                    if (FD_ISSET(c.sock.get(), &writable)) {
                        on_writable(c, log);
                    }
                    break;
                case State::receiving:
                    if (FD_ISSET(c.sock.get(), &readable)) {
                        on_readable(c, log);
                    }
                    break;
                case State::finished:
                    break;
            }
        }
    }

    for (Connection& c : connections) {
        if (c.state != State::finished) {
            finish(c, kit::Outcome::failure(kit::Reason::timeout), log);
        }
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
