// Stage 1 exercise: the raw select() event machine. Edit this file (not
// the tests): fill in the TODOs, then run `./kit check 1`; `./kit hint 1`
// gives a hint, `./kit watch 1` re-checks on every save.
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
    // TODO(stage 1): the connect has finished; find out how.
    //   - ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) gives the
    //     connect's errno (0: connected). If getsockopt itself fails, use errno.
    //   - error: finish() with kit::reason_from_errno(error).
    //   - connected: log Milestone::connected, move to State::sending and
    //     call on_writable() right away (a fresh socket is writable).
}

// Readable while receiving: read once; the loop calls again while more is
// there, which keeps one chatty server from starving the others.
void on_readable(Connection& c, kit::FetchLog& log) {
    if (c.stall > milliseconds(0)) {
        // The --stall demo: a handler that blocks stalls every connection.
        std::this_thread::sleep_for(std::exchange(c.stall, milliseconds(0)));
    }
    // TODO(stage 1): one ::recv() into a buffer, then, as in stage 0:
    //   - -1 with EINTR, EAGAIN or EWOULDBLOCK: nothing to read after all; return.
    //   - -1 otherwise: finish() with kit::reason_from_errno(errno).
    //   - 0: the server closed; finish() with c.response.at_eof().
    //   - n > 0: Milestone::first_byte for the first bytes; feed them to
    //     c.response, and finish() with its failure if it returns one.
    // Do not loop until EAGAIN here: return, and select() will call again.
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
        // TODO(stage 1): one turn of the event loop.
        //   1. Build two fd_sets from scratch (FD_ZERO, then FD_SET): a
        //      connection that is receiving wants `readable`; connecting
        //      and sending ones want `writable`; finished ones nothing.
        //      Remember the largest fd.
        //   2. Wait: ::select(max_fd + 1, &readable, &writable, nullptr, &timeout)
        //      with `timeval timeout = time_left(deadline);`, and record the
        //      wait with log.wait(began, Clock::now(), ready).
        //   3. -1 with errno == EINTR: continue (a signal, nothing is ready).
        //   4. Dispatch: for each connection, by its state, if its fd is in
        //      the matching set call on_connected, on_writable or on_readable.
        //      At most one handler per connection per turn.
        break;  // TODO(stage 1): delete this line once the turn is written
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
