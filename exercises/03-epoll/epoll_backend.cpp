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
        // TODO(stage 3): one epoll_ctl() call, its operation derived from the
        //   two interests: old empty -> EPOLL_CTL_ADD, new empty ->
        //   EPOLL_CTL_DEL, else EPOLL_CTL_MOD. The epoll_event carries
        //   epoll_events(new_interest, trigger_) and data.fd = fd (that is
        //   how wait() knows which fd an event is about).
        //   - Success: return {}.
        //   - A failed DEL is done anyway (the fd was closed first: EBADF or
        //     ENOENT); removing never fails, return {}.
        //   - Any other failure: return {errno, std::system_category()}.
        return std::make_error_code(std::errc::function_not_supported);  // TODO(stage 3): delete
    }

    [[nodiscard]] std::error_code wait(std::optional<std::chrono::milliseconds> timeout,
                                       std::vector<ReadyFd>& ready) override {
        ready.clear();
        // TODO(stage 3): one ::epoll_wait() into events_, then the answer.
        //   - The timeout is an int of milliseconds, -1 for "no limit"; cut
        //     a longer one to INT_MAX (the Loop asks again when it wakes).
        //   - -1: return {errno, std::system_category()} (EINTR included).
        //   - Only the first `count` entries are ready: for each, push
        //     {event.data.fd, events}, where EPOLLHUP and EPOLLERR count as
        //     readable *and* writable, EPOLLIN is readable, EPOLLOUT writable.
        //   - When all of events_ was filled, double it (up to kLastBatch).
        return std::make_error_code(std::errc::function_not_supported);  // TODO(stage 3): delete
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
