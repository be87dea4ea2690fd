// Wakeup on Linux: one eventfd, a 64-bit counter the kernel keeps.
//
// write() adds to the counter and makes the fd readable; one read()
// returns the whole count and sets it back to zero, so draining is always
// one call. Half the fds of a pipe, and no buffer that can fill.
// Lesson: lessons/06-pool.md, "The wake-up fd"; eventfd(2).
#include "wakeup.hpp"

#include <sys/eventfd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace kit {

Wakeup::Wakeup() : read_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (!read_) {
        throw std::system_error(errno, std::generic_category(), "eventfd");
    }
}

void Wakeup::signal() {
    const std::uint64_t one = 1;
    ssize_t n = 0;
    do {
        n = ::write(read_.get(), &one, sizeof one);
    } while (n < 0 && errno == EINTR);
    // EAGAIN only when the counter would pass 2^64 - 2: it is readable anyway.
}

void Wakeup::drain() {
    std::uint64_t count = 0;
    ssize_t n = 0;
    do {
        n = ::read(read_.get(), &count, sizeof count);
    } while (n < 0 && errno == EINTR);
    // EAGAIN: nothing was there (a spurious readiness); one read empties it otherwise.
}

}  // namespace kit
