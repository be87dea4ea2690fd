// Stage 0: the blocking fetch.
//
// Fetches each URL in turn: connect, send the request, read until the
// server closes, close, then the next URL. Every call blocks, so the run
// takes as long as all the servers together, and one silent server holds
// up every target after it. Lesson: lessons/00-blocking.md.
//
// --timeout bounds each wait of a target (the connect, and every send and
// receive until some bytes move), not the whole run: the blocking way to
// give up is a time limit on the socket. A signal ends no wait and does
// not restart its limit: a retry gets only what is left of it.
#include "kit/fetch_main.hpp"
#include "kit/http.hpp"
#include "kit/net.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <chrono>
#include <string_view>

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::microseconds;
using std::chrono::milliseconds;

// The moment a wait that starts now must give up.
Clock::time_point deadline_after(milliseconds timeout) {
    return Clock::now() + timeout;
}

// Makes the next blocking call on @p fd give up at @p deadline: @p option
// is SO_RCVTIMEO for recv(), SO_SNDTIMEO for send() and connect() (Linux
// only for connect(); macOS ignores it there). Set before every call, so a
// call retried after EINTR waits only for what is left, not a fresh limit.
// @return false with errno set: EAGAIN (a `timeout`) when nothing is left.
bool limit_wait(int fd, int option, Clock::time_point deadline) {
    microseconds left = std::chrono::ceil<microseconds>(deadline - Clock::now());
    if (left <= microseconds::zero()) {
        errno = EAGAIN;  // and never a zero timeval: it means "no limit at all"
        return false;
    }
    timeval limit{};
    limit.tv_sec = static_cast<time_t>(left.count() / 1'000'000);
    limit.tv_usec = static_cast<suseconds_t>(left.count() % 1'000'000);
    return ::setsockopt(fd, SOL_SOCKET, option, &limit, sizeof limit) == 0;
}

// Waits until the connect() that a signal interrupted on @p fd is done.
// The handshake goes on in the kernel after EINTR, so calling connect()
// again is wrong (EALREADY; Linux says so only after a fresh full limit);
// POSIX says: wait until the socket is writable, then read SO_ERROR.
// Stage 1 does this for every socket.
// @return 0 when connected, else the errno (ETIMEDOUT at @p deadline).
int finish_interrupted_connect(int fd, Clock::time_point deadline) {
    pollfd writable{.fd = fd, .events = POLLOUT, .revents = 0};
    for (;;) {
        milliseconds left = std::chrono::ceil<milliseconds>(deadline - Clock::now());
        if (left <= milliseconds::zero()) {
            return ETIMEDOUT;
        }
        int ready = ::poll(&writable, 1, static_cast<int>(left.count()));
        if (ready > 0) {
            break;
        }
        if (ready < 0 && errno != EINTR) {
            return errno;
        }  // 0 (time is up) or EINTR: the loop works out what is left
    }
    int error = 0;
    socklen_t size = sizeof error;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0) {
        return errno;
    }
    return error;  // 0: connected; else why the handshake failed (ECONNREFUSED...)
}

// Connects @p fd to @p address, giving up after @p timeout.
// @return 0 on success, or the errno of the failure.
int connect_to(int fd, const sockaddr_in& address, milliseconds timeout) {
    Clock::time_point deadline = deadline_after(timeout);
    if (!limit_wait(fd, SO_SNDTIMEO, deadline)) {
        return errno;
    }
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
        return 0;
    }
    if (errno == EINPROGRESS) {
        return EAGAIN;  // SO_SNDTIMEO cut the handshake short: a `timeout`
    }
    if (errno == EINTR) {
        return finish_interrupted_connect(fd, deadline);
    }
    return errno;
}

// Sends all of @p data: send() may write only part of it. Each wait may
// last @p timeout; a send() that moves some bytes starts a new wait.
// @return 0 on success, or the errno of the failure.
int send_all(int fd, std::string_view data, milliseconds timeout) {
    Clock::time_point deadline = deadline_after(timeout);
    while (!data.empty()) {
        if (!limit_wait(fd, SO_SNDTIMEO, deadline)) {
            return errno;
        }
        ssize_t n = ::send(fd, data.data(), data.size(), 0);
        if (n < 0 && errno == EINTR) {
            continue;  // interrupted before a byte left: the same wait goes on
        }
        if (n < 0) {
            return errno;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
        deadline = deadline_after(timeout);
    }
    return 0;
}

// One recv() into @p buffer that gives up at @p deadline, however many
// signals interrupt it. @return what recv() returned (errno set on -1).
ssize_t receive_until(int fd, char* buffer, std::size_t size, Clock::time_point deadline) {
    for (;;) {
        if (!limit_wait(fd, SO_RCVTIMEO, deadline)) {
            return -1;
        }
        ssize_t n = ::recv(fd, buffer, size, 0);
        if (n >= 0 || errno != EINTR) {
            return n;
        }
    }
}

// Fetches one target from start to finish, blocking at every step.
kit::Outcome fetch_one(const kit::Url& url, std::size_t target, milliseconds timeout,
                       kit::FetchLog& log) {
    std::optional<sockaddr_in> address = kit::resolve_ipv4(url);
    if (!address) {
        return kit::Outcome::failure(kit::Reason::resolve);
    }
    // A UniqueFd: the socket is closed on every return below.
    kit::UniqueFd sock = kit::open_tcp_socket(kit::Blocking::yes);
    if (!sock) {
        return kit::Outcome::failure(kit::reason_from_errno(errno));
    }

    log.milestone(target, kit::Milestone::connect_start);
    if (int err = connect_to(sock.get(), *address, timeout); err != 0) {
        return kit::Outcome::failure(kit::reason_from_errno(err));
    }
    log.milestone(target, kit::Milestone::connected);

    if (int err = send_all(sock.get(), kit::http_get_request(url), timeout); err != 0) {
        return kit::Outcome::failure(kit::reason_from_errno(err));
    }
    log.milestone(target, kit::Milestone::request_sent);

    kit::ResponseParser response;
    char buffer[16 * 1024];
    for (;;) {
        ssize_t n = receive_until(sock.get(), buffer, sizeof buffer, deadline_after(timeout));
        if (n < 0) {
            return kit::Outcome::failure(kit::reason_from_errno(errno));
        }
        if (n == 0) {
            return response.at_eof();  // the server closed: the response is complete
        }
        if (response.bytes_received() == 0) {
            log.milestone(target, kit::Milestone::first_byte);
        }
        if (auto failure = response.feed({buffer, static_cast<std::size_t>(n)})) {
            return kit::Outcome::failure(*failure);
        }
    }
}

// The whole program: one target after the other.
void fetch_in_turn(const kit::FetchOptions& options, kit::FetchLog& log) {
    for (std::size_t i = 0; i < options.targets.size(); ++i) {
        log.finish(i, fetch_one(options.targets[i], i, options.timeout, log));
    }
}

}  // namespace

int main(int argc, char** argv) {
    return kit::fetch_main(argc, argv,
                           {.description = "blocking fetch, one target after another (stage 0)",
                            .run = fetch_in_turn});
}
