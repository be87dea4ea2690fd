// Stage 2 exercise, part 1: the poll() backend. Edit this file and loop.cpp
// (not the tests, not the headers in src/stages/02-reactor/): fill in the
// TODOs, then run `./kit check 2`; `./kit hint 2` gives a hint. The select
// backend, src/stages/02-reactor/select_backend.cpp, is the worked example:
// the same two operations, in the same order.
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
        // TODO(stage 2): derive the change from the two interests.
        //   - old empty: add. Remember the new entry's index in slot_of_fd_
        //     (resize it first if fd is past its end), then push a pollfd
        //     {fd, poll_events(new_interest), 0} onto fds_.
        //   - new empty: remove in O(1): move the last entry into this
        //     fd's slot, update the moved fd's slot_of_fd_, pop_back, and
        //     mark this fd kNoSlot.
        //   - otherwise: change the entry's events in place.
        // It never fails: return {}.
        return std::make_error_code(std::errc::function_not_supported);  // TODO(stage 2): delete
    }

    [[nodiscard]] std::error_code wait(std::optional<std::chrono::milliseconds> timeout,
                                       std::vector<ReadyFd>& ready) override {
        ready.clear();
        // TODO(stage 2): one ::poll() over fds_, then the answer.
        //   - The timeout is an int of milliseconds, -1 for "no limit"; cut
        //     a longer one to INT_MAX (the Loop asks again when it wakes).
        //   - -1: return {errno, std::system_category()} (EINTR included).
        //   - Scan every entry's revents: POLLNVAL means a closed fd is still
        //     watched: clear `ready`, return std::errc::bad_file_descriptor.
        //     POLLHUP and POLLERR count as readable *and* writable; POLLIN
        //     is readable, POLLOUT writable. Push {fd, events} for each entry
        //     with any event.
        return std::make_error_code(std::errc::function_not_supported);  // TODO(stage 2): delete
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
