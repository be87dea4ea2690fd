// Stage 0: the blocking fetch.
//
// Fetches each URL in turn: connect, send the request, read until the
// server closes, close, then the next URL. Every call blocks, so the run
// takes as long as all the servers together, and one silent server holds
// up every target after it. Lesson: lessons/00-blocking.md.
//
// --timeout bounds each connect and each single receive of a target (not
// the whole run): the blocking way to give up is a per-socket time limit.
#include "kit/fetch_main.hpp"
#include "kit/http.hpp"
#include "kit/net.hpp"

#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <string>

namespace {

using std::chrono::milliseconds;

// Makes connect(), send() and recv() on @p fd give up after @p timeout
// (SO_SNDTIMEO also bounds connect() on Linux, not on macOS).
bool set_timeouts(int fd, milliseconds timeout) {
    timeval limit{};
    limit.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    limit.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    return ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit) == 0 &&
           ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit) == 0;
}

// Sends all of @p data: send() may write only part of it.
// @return 0 on success, or the errno of the failed send().
int send_all(int fd, const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
        ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, 0);
        if (n < 0 && errno == EINTR) {
            continue;  // a signal interrupted the call before it sent anything
        }
        if (n < 0) {
            return errno;
        }
        sent += static_cast<std::size_t>(n);
    }
    return 0;
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
    if (!sock || !set_timeouts(sock.get(), timeout)) {
        return kit::Outcome::failure(kit::reason_from_errno(errno));
    }

    log.milestone(target, kit::Milestone::connect_start);
    if (::connect(sock.get(), reinterpret_cast<const sockaddr*>(&*address), sizeof *address) != 0) {
        // A connect() cut short by SO_SNDTIMEO reports EINPROGRESS.
        return kit::Outcome::failure(errno == EINPROGRESS ? kit::Reason::timeout
                                                          : kit::reason_from_errno(errno));
    }
    log.milestone(target, kit::Milestone::connected);

    if (int err = send_all(sock.get(), kit::http_get_request(url)); err != 0) {
        return kit::Outcome::failure(kit::reason_from_errno(err));
    }
    log.milestone(target, kit::Milestone::request_sent);

    kit::ResponseParser response;
    char buffer[16 * 1024];
    for (;;) {
        ssize_t n = ::recv(sock.get(), buffer, sizeof buffer, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
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
