// thread-fetch: the obvious alternative to an event loop, one thread per target.
//
// Each target gets a thread of its own that fetches it the blocking way, as
// stage 0 does for all of them in turn: connect, send, read until the server
// closes. The threads wait in parallel, so the run takes about as long as
// the slowest server, as stage 1's select() loop does; what differs is what
// the waiting costs. Lesson 1 measures both on the same servers
// (tools/bench_threads.py): wall and CPU time, memory, threads.
//
// It is a measuring tool, not a stage: no exercise, no trace milestones. The
// fetch of one target is stage 0's, in its shortest form (stage 0 keeps its
// own private to its exercise). The report is the fetch contract's, so its
// output can be checked like any stage's; FetchLog is not thread-safe, so
// every call to it is made under one mutex.
#include "kit/fetch_main.hpp"
#include "kit/http.hpp"
#include "kit/net.hpp"

#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstdio>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace {

using std::chrono::milliseconds;

// Bounds connect(), send() and recv() on @p fd by @p timeout, as stage 0 does.
bool set_timeouts(int fd, milliseconds timeout) {
    timeval limit{.tv_sec = static_cast<time_t>(timeout.count() / 1000),
                  .tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    return ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit) == 0 &&
           ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit) == 0;
}

// Fetches one target, blocking at every step; runs on that target's thread.
kit::Outcome fetch_one(const kit::Url& url, milliseconds timeout) {
    std::optional<sockaddr_in> address = kit::resolve_ipv4(url);
    if (!address) {
        return kit::Outcome::failure(kit::Reason::resolve);
    }
    kit::UniqueFd sock = kit::open_tcp_socket(kit::Blocking::yes);
    if (!sock || !set_timeouts(sock.get(), timeout)) {
        return kit::Outcome::failure(kit::reason_from_errno(errno));
    }
    if (::connect(sock.get(), reinterpret_cast<const sockaddr*>(&*address), sizeof *address) != 0) {
        return kit::Outcome::failure(errno == EINPROGRESS ? kit::Reason::timeout
                                                          : kit::reason_from_errno(errno));
    }
    const std::string request = kit::http_get_request(url);
    for (std::size_t sent = 0; sent < request.size();) {
        ssize_t n = ::send(sock.get(), request.data() + sent, request.size() - sent, 0);
        if (n < 0 && errno != EINTR) {
            return kit::Outcome::failure(kit::reason_from_errno(errno));
        }
        sent += n > 0 ? static_cast<std::size_t>(n) : 0;
    }
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
            return response.at_eof();
        }
        if (auto failure = response.feed({buffer, static_cast<std::size_t>(n)})) {
            return kit::Outcome::failure(*failure);
        }
    }
}

// The whole program: start a thread per target, then wait for all of them.
void fetch_with_threads(const kit::FetchOptions& options, kit::FetchLog& log) {
    std::mutex log_mutex;  // guards log: every thread reports through it
    std::vector<std::thread> threads;
    threads.reserve(options.targets.size());
    for (std::size_t i = 0; i < options.targets.size(); ++i) {
        try {
            threads.emplace_back([&, i] {
                kit::Outcome outcome = fetch_one(options.targets[i], options.timeout);
                std::lock_guard lock(log_mutex);
                log.finish(i, outcome);
            });
        } catch (const std::system_error& e) {
            // Out of threads (EAGAIN): the limit of this design, reported per target.
            std::lock_guard lock(log_mutex);
            std::fprintf(stderr, "thread-fetch: no thread for target %zu: %s\n", i, e.what());
            log.finish(i, kit::Outcome::failure(kit::Reason::io));
        }
    }
    for (std::thread& thread : threads) {
        thread.join();  // before log_mutex and log go away
    }
}

}  // namespace

int main(int argc, char** argv) {
    return kit::fetch_main(argc, argv,
                           {.description = "one thread per target, each blocking (lesson 1)",
                            .run = fetch_with_threads});
}
