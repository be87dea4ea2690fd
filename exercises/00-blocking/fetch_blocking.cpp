// Stage 0 exercise: the blocking fetch. Edit this file (not the tests).
//
// Fill in the two TODOs below, then run `./kit check 0`; `./kit hint 0`
// gives a hint, `./kit watch 0` re-checks on every save.
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
    // TODO(stage 0): call ::send() until every byte of `data` is sent.
    //   - send() returns how many bytes it wrote; it may be fewer than asked.
    //   - -1 with errno == EINTR: a signal interrupted it; just try again.
    //   - -1 with any other errno: return that errno.
    return ENOSYS;
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

    // TODO(stage 0): fetch `url` over `sock`, telling `log` each milestone.
    //   1. log.milestone(target, kit::Milestone::connect_start), then
    //      ::connect() to *address. On failure return
    //      kit::Outcome::failure(kit::reason_from_errno(errno)) -- but a
    //      connect() cut short by the timeout reports EINPROGRESS: that is
    //      kit::Reason::timeout. On success: Milestone::connected.
    //   2. send_all() the request kit::http_get_request(url); then
    //      Milestone::request_sent.
    //   3. ::recv() into a buffer until it returns 0 (the server closed):
    //      feed every chunk to a kit::ResponseParser (a failure it returns
    //      ends the target), log Milestone::first_byte for the first chunk,
    //      retry on EINTR, and at EOF return the parser's at_eof().
    return kit::Outcome::failure(kit::Reason::io);
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
