// The epoll backend (compare Redis's ae_epoll.c, libev's ev_epoll.c, mio's
// selector/epoll.rs): the interest lives in the kernel, in an epoll
// instance; each wait returns only the fds that are ready.
//
// Notes about this API, its traps:
// - O(ready) per wait, not O(watched): epoll_ctl() registers an fd once,
//   the kernel keeps a ready list, epoll_wait() copies out only that. The
//   price is a system call for every change of interest, where select and
//   poll change a bit in our memory (libev batches them; we do not).
// - The set holds *open file descriptions*, not fd numbers. close(fd)
//   removes the registration only when it was the last fd referring to
//   the file: a dup() (or a fork()ed child) keeps it alive, and the kernel
//   goes on reporting it under the old number, while EPOLL_CTL_DEL on the
//   closed number fails with EBADF and *cannot* remove it. So: unwatch
//   before close, always; the Loop's contract already says so. Removing
//   after the close is taken as done (EBADF: the number is closed; ENOENT:
//   the kernel dropped the registration, or the number now names another
//   file), since the Backend contract says removing never fails.
// - EPOLLHUP and EPOLLERR are reported whether asked for or not, and a
//   hung-up peer may show nothing else. As with poll, we report them as
//   readable and writable, so the read or write that follows finds out.
// - Edge-triggered (EPOLLET): an fd is reported when it *becomes* ready
//   (on Linux: when new bytes arrive, or room frees up), not while it is.
//   A callback that reads once and leaves bytes behind is never told
//   again, unless more arrive: the connection starves, and can hang for
//   good when the peer is waiting for us (a full TCP window). So under ET
//   every callback must drain until EAGAIN. Draining is also unfair: one
//   fire-hose fd can keep its callback busy while the others wait; a loop
//   that cares keeps its own list of "still ready" fds and takes a bounded
//   bite from each per turn (mio leaves that to the caller, libuv's
//   uv__read() stops after 32 reads).
// - epoll refuses regular files and directories (EPERM), which select and
//   poll report as always ready; ADD of an fd already in the set is
//   EEXIST, MOD or DEL of one not in it ENOENT.
// - A signal makes epoll_wait() fail with EINTR; the Loop takes it as
//   "nothing is ready". The timeout is an int of milliseconds, -1 for none.
#include "epoll_backend.hpp"

#include "kit/unique_fd.hpp"

#include <sys/epoll.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace kit {

namespace {

std::uint32_t epoll_events(IoEvents interest, Trigger trigger) {
    return (interest.readable ? EPOLLIN : 0U) | (interest.writable ? EPOLLOUT : 0U) |
           (trigger == Trigger::edge ? static_cast<std::uint32_t>(EPOLLET) : 0U);
}

class EpollBackend final : public Backend {
public:
    EpollBackend(UniqueFd epoll_fd, Trigger trigger)
        : epoll_fd_(std::move(epoll_fd)), trigger_(trigger), events_(kFirstBatch) {}

    [[nodiscard]] std::string_view name() const override {
        return trigger_ == Trigger::edge ? "epoll-et" : "epoll";
    }

    // The kernel keeps the interest: add, change and remove are three
    // epoll_ctl() operations, chosen from the two interests as libev does.
    [[nodiscard]] std::error_code modify(int fd, IoEvents old_interest,
                                         IoEvents new_interest) override {
        int op = !old_interest.any()   ? EPOLL_CTL_ADD
                 : !new_interest.any() ? EPOLL_CTL_DEL
                                       : EPOLL_CTL_MOD;
        // data.fd comes back with every event: the only bookkeeping we need.
        // (DEL ignores the event, but kernels before 2.6.9 want one anyway.)
        epoll_event event{.events = epoll_events(new_interest, trigger_), .data = {.fd = fd}};
        if (::epoll_ctl(epoll_fd_.get(), op, fd, &event) == 0) {
            return {};
        }
        if (op == EPOLL_CTL_DEL) {
            // Closed before it was unwatched: EBADF or ENOENT. Done either
            // way, and nothing better is possible (see the notes above).
            return {};
        }
        return {errno, std::system_category()};
    }

    [[nodiscard]] std::error_code wait(std::optional<std::chrono::milliseconds> timeout,
                                       std::vector<ReadyFd>& ready) override {
        ready.clear();
        int limit = timeout ? static_cast<int>(std::min<std::chrono::milliseconds::rep>(
                                  timeout->count(), INT_MAX))
                            : -1;
        int count =
            ::epoll_wait(epoll_fd_.get(), events_.data(), static_cast<int>(events_.size()), limit);
        if (count < 0) {
            return {errno, std::system_category()};
        }
        // Only the ready fds come back: no scan of the watched ones.
        for (const epoll_event& event :
             std::span(events_.data(), static_cast<std::size_t>(count))) {
            bool broken = (event.events & (EPOLLHUP | EPOLLERR)) != 0;
            ready.push_back({event.data.fd,
                             {.readable = broken || (event.events & EPOLLIN) != 0,
                              .writable = broken || (event.events & EPOLLOUT) != 0}});
        }
        // A full buffer may have left ready fds for the next wait (the
        // kernel rotates them, so none starves): make room for more, as
        // libev does, up to a bound.
        if (static_cast<std::size_t>(count) == events_.size() && events_.size() < kLastBatch) {
            events_.resize(events_.size() * 2);
        }
        return {};
    }

private:
    static constexpr std::size_t kFirstBatch = 64;
    static constexpr std::size_t kLastBatch = 4096;

    UniqueFd epoll_fd_;
    Trigger trigger_;
    std::vector<epoll_event> events_;  // epoll_wait()'s answer, reused
};

}  // namespace

std::unique_ptr<Backend> make_epoll_backend(Trigger trigger, std::error_code& error) {
    // Close-on-exec: a child must not inherit (and keep alive) our set.
    UniqueFd epoll_fd(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_fd) {
        error = {errno, std::system_category()};
        return nullptr;
    }
    return std::make_unique<EpollBackend>(std::move(epoll_fd), trigger);
}

}  // namespace kit
