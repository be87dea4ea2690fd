// Wakeup where there is no eventfd (macOS, the BSDs): the self-pipe.
//
// A byte written into the pipe makes its read end readable. Both ends are
// non-blocking: a signal() into a full pipe must not block the poster (the
// pipe is readable already, so nothing is lost), and drain() reads until
// EAGAIN, however many bytes piled up. pipe() and then fcntl(), since
// pipe2() is not everywhere. Lesson: lessons/06-pool.md, "The wake-up fd".
#include "wakeup.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace kit {

namespace {

bool set_flags(int fd) {
    int flags = ::fcntl(fd, F_GETFL);
    return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 &&
           ::fcntl(fd, F_SETFD, FD_CLOEXEC) == 0;
}

}  // namespace

Wakeup::Wakeup() {
    int ends[2] = {-1, -1};
    if (::pipe(ends) != 0) {
        throw std::system_error(errno, std::generic_category(), "pipe");
    }
    read_ = UniqueFd(ends[0]);
    write_ = UniqueFd(ends[1]);
    if (!set_flags(read_.get()) || !set_flags(write_.get())) {
        throw std::system_error(errno, std::generic_category(), "fcntl on the wake-up pipe");
    }
}

void Wakeup::signal() {
    const char byte = 1;
    ssize_t n = 0;
    do {
        n = ::write(write_.get(), &byte, 1);
    } while (n < 0 && errno == EINTR);
    // EAGAIN: the pipe is full, so it is readable already.
}

void Wakeup::drain() {
    char buffer[256];
    ssize_t n = 0;
    do {
        n = ::read(read_.get(), buffer, sizeof buffer);
    } while (n > 0 || (n < 0 && errno == EINTR));
}

}  // namespace kit
