// The poll() backend (compare libev's ev_poll.c): the interest is an array
// of struct pollfd, one per watched fd, that the kernel reads and answers
// in place.
//
// Notes about this API, its traps:
// - No FD_SETSIZE: a pollfd names its fd, so any fd works. The array holds
//   only the watched fds, and it is kept between waits: poll() writes its
//   answer into a separate field, revents, and leaves the interest alone.
// - Still O(n) per wait: the whole array is copied into the kernel and
//   checked on every call, and we scan every revents for the answer, even
//   when one fd out of ten thousand is ready. epoll (stage 3) fixes that.
// - POLLHUP and POLLERR come whether asked for or not, and they are not
//   POLLIN. A peer that hung up, or a connect() that failed, may show only
//   these; reported as nothing, the fd would stay ready and the loop would
//   spin. Like select() (and libev), we report them as readable and
//   writable, and let the read or write that follows find out what it is.
// - POLLNVAL: the fd is not open (closed while still watched). select()
//   fails the whole call with EBADF then; we do the same, so a closed fd
//   left in the set is an error on both, never a silent spin.
// - A signal makes poll() fail with EINTR; the Loop takes it as "nothing
//   is ready". The timeout is an int of milliseconds, -1 for none.
#include "poll_backend.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <limits>

namespace kit {

namespace {

short poll_events(IoEvents interest) {
    return static_cast<short>((interest.readable ? POLLIN : 0) | (interest.writable ? POLLOUT : 0));
}

class PollBackend final : public Backend {
public:
    [[nodiscard]] std::string_view name() const override { return "poll"; }

    [[nodiscard]] std::error_code modify(int fd, IoEvents old_interest,
                                         IoEvents new_interest) override {
        if (!old_interest.any()) {  // add: a new entry at the end
            if (static_cast<std::size_t>(fd) >= slot_of_fd_.size()) {
                slot_of_fd_.resize(static_cast<std::size_t>(fd) + 1, kNoSlot);
            }
            slot_of_fd_[static_cast<std::size_t>(fd)] = fds_.size();
            fds_.push_back({.fd = fd, .events = poll_events(new_interest), .revents = 0});
        } else if (!new_interest.any()) {  // remove: the last entry takes its slot, O(1)
            std::size_t slot = slot_of_fd_[static_cast<std::size_t>(fd)];
            fds_[slot] = fds_.back();
            slot_of_fd_[static_cast<std::size_t>(fds_[slot].fd)] = slot;
            fds_.pop_back();
            slot_of_fd_[static_cast<std::size_t>(fd)] = kNoSlot;
        } else {  // change: in place
            fds_[slot_of_fd_[static_cast<std::size_t>(fd)]].events = poll_events(new_interest);
        }
        return {};
    }

    [[nodiscard]] std::error_code wait(std::optional<std::chrono::milliseconds> timeout,
                                       std::vector<ReadyFd>& ready) override {
        ready.clear();
        // A longer timeout than an int holds is cut short; the Loop simply
        // asks again when it wakes.
        int limit = timeout ? static_cast<int>(std::min<std::chrono::milliseconds::rep>(
                                  timeout->count(), INT_MAX))
                            : -1;
        int count = ::poll(fds_.data(), static_cast<nfds_t>(fds_.size()), limit);
        if (count < 0) {
            return {errno, std::system_category()};
        }
        // The answer is in every entry's revents: scan them all.
        for (const pollfd& entry : fds_) {
            if ((entry.revents & POLLNVAL) != 0) {
                ready.clear();
                return std::make_error_code(std::errc::bad_file_descriptor);
            }
            bool broken = (entry.revents & (POLLHUP | POLLERR)) != 0;
            IoEvents events{.readable = broken || (entry.revents & POLLIN) != 0,
                            .writable = broken || (entry.revents & POLLOUT) != 0};
            if (events.any()) {
                ready.push_back({entry.fd, events});
            }
        }
        return {};
    }

private:
    static constexpr std::size_t kNoSlot = std::numeric_limits<std::size_t>::max();

    std::vector<pollfd> fds_;  // the watched fds, in no particular order
    // fd -> its index in fds_ (kNoSlot: not watched). The kernel hands out
    // the lowest free fd, so fds are small and a vector is a compact map.
    std::vector<std::size_t> slot_of_fd_;
};

}  // namespace

std::unique_ptr<Backend> make_poll_backend() {
    return std::make_unique<PollBackend>();
}

}  // namespace kit
