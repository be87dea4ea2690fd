// UniqueFd: owns one file descriptor and closes it exactly once.
//
// Every socket in the kit lives in a UniqueFd, so an early return can never
// leak a descriptor; a process only has RLIMIT_NOFILE of them (lesson 00).
//
// Interface rules: move-only; get() borrows the fd, release() gives up
// ownership, reset() closes the old fd at once.
#pragma once

#include <unistd.h>

#include <utility>

/// The support code that every stage shares (src/kit/, see README.md).
namespace kit {

/// Owns a file descriptor and closes it when destroyed (RAII for fds).
class UniqueFd {
public:
    /// An empty owner (holds no fd).
    UniqueFd() = default;
    /// Takes ownership of @p fd; -1 means "no fd", as returned by a failed call.
    explicit UniqueFd(int fd) noexcept : fd_(fd) {}
    /// Takes the fd from @p other, which is left empty.
    UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
    /// Closes the fd held now, then takes the fd from @p other.
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        reset(other.release());
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    /// The fd, still owned by this object (-1 when empty).
    [[nodiscard]] int get() const noexcept { return fd_; }
    /// True when an fd is held.
    explicit operator bool() const noexcept { return fd_ >= 0; }

    /// Gives up ownership and returns the fd; the caller must close it.
    [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }

    /// Closes the fd held now (if any) and takes @p fd instead.
    void reset(int fd = -1) noexcept {
        if (fd_ >= 0) {
            // Never retry close() on EINTR: on Linux the fd is already gone,
            // and a retry could close an fd another thread just opened.
            ::close(fd_);
        }
        fd_ = fd;
    }

private:
    int fd_ = -1;
};

}  // namespace kit
