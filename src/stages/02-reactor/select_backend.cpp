// The select() backend, the worked example of lesson 02 (compare Redis's
// ae_select.c): the interest lives in two fd_sets, each wait hands select()
// copies of them and turns its answer into a ready list.
//
// Notes about this API, its traps:
// - An fd_set is a bitmap of FD_SETSIZE (1024 on Linux) bits. FD_SET on a
//   larger fd writes past its end and silently corrupts memory, so
//   modify() refuses such an fd with SelectError::fd_not_below_fd_setsize
//   before it touches a set. (glibc's FD_SET may abort instead, with
//   _FORTIFY_SOURCE; neither is something a program should rely on.)
// - select() overwrites the sets it is given with its answer. We keep the
//   interest in our own sets and give select() copies: two 128-byte copies
//   per wait, cheaper than rebuilding the sets from a watch list (stage 1).
// - It takes one more than the largest fd, and the kernel checks every fd
//   below that on each call; so does our scan of the answer. O(largest fd)
//   per wait, however few fds are ready: that is what poll() does not fix,
//   and epoll (stage 3) does.
// - A closed fd still in a set makes the whole call fail with EBADF. The
//   Loop's owner must unwatch a closed fd before the next wait.
// - A signal makes select() fail with EINTR; the Loop takes it as "nothing
//   is ready". The timeout is a timeval, in microseconds, and not any
//   timeval: POSIX says one longer than the system's maximum (at least 31
//   days) is cut to it, but macOS fails with EINVAL when tv_sec is above
//   10^8. So we never ask for more than INT_MAX ms, as with poll.
#include "select_backend.hpp"

#include <sys/select.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <string>

namespace kit {

namespace {

class SelectCategory final : public std::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "select"; }
    [[nodiscard]] std::string message(int condition) const override {
        if (static_cast<SelectError>(condition) == SelectError::fd_not_below_fd_setsize) {
            return "fd is not below FD_SETSIZE (" + std::to_string(FD_SETSIZE) +
                   "), select() cannot watch it";
        }
        return "unknown select error";
    }
};

class SelectBackend final : public Backend {
public:
    SelectBackend() {
        FD_ZERO(&read_interest_);
        FD_ZERO(&write_interest_);
    }

    [[nodiscard]] std::string_view name() const override { return "select"; }

    // select() has no separate add and remove: whatever old_interest was,
    // the fd's two bits become new_interest.
    [[nodiscard]] std::error_code modify(int fd, IoEvents /*old_interest*/,
                                         IoEvents new_interest) override {
        if (fd >= FD_SETSIZE) {
            return SelectError::fd_not_below_fd_setsize;
        }
        set_bit(read_interest_, fd, new_interest.readable);
        set_bit(write_interest_, fd, new_interest.writable);
        if (new_interest.any()) {
            max_fd_ = std::max(max_fd_, fd);
        } else if (fd == max_fd_) {
            // The largest fd left: walk down to the next one still wanted.
            // O(n) at worst, but only when the largest fd goes.
            while (max_fd_ >= 0 && !FD_ISSET(max_fd_, &read_interest_) &&
                   !FD_ISSET(max_fd_, &write_interest_)) {
                --max_fd_;
            }
        }
        return {};
    }

    [[nodiscard]] std::error_code wait(std::optional<std::chrono::milliseconds> timeout,
                                       std::vector<ReadyFd>& ready) override {
        ready.clear();
        fd_set readable = read_interest_;  // select() overwrites them with its answer
        fd_set writable = write_interest_;
        timeval limit{};
        if (timeout) {
            // Cut to INT_MAX ms (24.8 days), as poll and epoll must: macOS
            // refuses a tv_sec above 10^8 with EINVAL. The Loop asks again
            // when a cut wait ends with nothing ready.
            const std::chrono::milliseconds::rep ms =
                std::min<std::chrono::milliseconds::rep>(timeout->count(), INT_MAX);
            limit.tv_sec = static_cast<time_t>(ms / 1000);
            limit.tv_usec = static_cast<suseconds_t>(ms % 1000 * 1000);
        }
        int count =
            ::select(max_fd_ + 1, &readable, &writable, nullptr, timeout ? &limit : nullptr);
        if (count < 0) {
            return {errno, std::system_category()};
        }
        // The answer is bits, not a list: test every fd up to the largest.
        for (int fd = 0; fd <= max_fd_; ++fd) {
            IoEvents events{.readable = FD_ISSET(fd, &readable) != 0,
                            .writable = FD_ISSET(fd, &writable) != 0};
            if (events.any()) {
                ready.push_back({fd, events});
            }
        }
        return {};
    }

private:
    static void set_bit(fd_set& set, int fd, bool on) {
        if (on) {
            FD_SET(fd, &set);
        } else {
            FD_CLR(fd, &set);
        }
    }

    fd_set read_interest_;   // fds the Loop wants to hear about when readable
    fd_set write_interest_;  // ... when writable
    int max_fd_ = -1;        // the largest fd in either set, -1 when both are empty
};

}  // namespace

const std::error_category& select_category() {
    static const SelectCategory category;
    return category;
}

std::error_code make_error_code(SelectError error) {
    return {static_cast<int>(error), select_category()};
}

std::unique_ptr<Backend> make_select_backend() {
    return std::make_unique<SelectBackend>();
}

}  // namespace kit
