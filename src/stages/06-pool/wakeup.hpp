// Wakeup: one fd that another thread can make readable, to end a wait.
//
// The loop sleeps in the kernel (select, poll, epoll_wait, kevent); a
// mutex or a condition variable cannot reach it there, only an fd can. A
// Wakeup is that fd: signal() makes it readable from any thread, the loop
// watches it like any socket, and drain() empties it. A wake-up carries no
// data: ten signals before the loop looks are one readable fd, which is
// why the queue of work lives beside it (post_queue.hpp), not inside it.
// Linux uses an eventfd (eventfd_wakeup.cpp), elsewhere a self-pipe
// (pipe_wakeup.cpp); the build chooses the file, the header is the same.
// Lesson: lessons/06-pool.md, "The wake-up fd".
//
// Interface rules: created once, non-blocking and close-on-exec; signal()
// may be called from any thread, fd() and drain() from the loop thread.
#pragma once

#include "kit/unique_fd.hpp"

namespace kit {

/// An fd that any thread can make readable (see the file comment).
class Wakeup {
public:
    /// Opens the fd(s). @throws std::system_error when the process has no
    /// fd left: a loop that cannot be woken cannot be built.
    Wakeup();

    /// The fd to watch for readability.
    [[nodiscard]] int fd() const { return read_.get(); }

    /// Makes fd() readable (any thread). When it is readable already the
    /// write may find no room (a full pipe); that is fine, and ignored.
    void signal();

    /// Reads fd() until it is empty, so it is not readable again until
    /// the next signal().
    void drain();

private:
    UniqueFd read_;
    UniqueFd write_;  // the pipe's write end; empty for an eventfd (read_ is both)
};

}  // namespace kit
