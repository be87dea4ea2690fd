// SignalPipe: SIGINT and SIGTERM delivered to the loop as readable bytes.
//
// A signal handler may call only async-signal-safe functions (signal-
// safety(7)): not malloc, not a mutex, none of the loop's calls. So the
// handler does the one thing it safely can: write() the signal's number
// into a non-blocking pipe (the self-pipe trick). The loop watches the
// read end like any socket, and the callback runs on the loop thread, in
// an ordinary turn, where it may do anything. The pool's workers block
// every signal (thread_pool.hpp), so the handler runs on the loop thread
// and interrupts its wait (EINTR), which the Loop takes in its stride.
// Lesson: lessons/07-serve.md, "Shutting down".
//
// Interface rules: one SignalPipe per process (the handler finds the pipe
// through a global, the one thing a handler can reach); loop thread only.
// The handlers are put back to SIG_DFL when it is destroyed.
#pragma once

#include "loop.hpp"

#include "kit/unique_fd.hpp"

#include <functional>

namespace kit {

/// SIGINT and SIGTERM as callbacks on the loop thread (see the file comment).
class SignalPipe {
public:
    /// Installs the handlers; @p on_signal runs on @p loop's thread with the
    /// signal's number. @throws std::system_error when the pipe cannot be made.
    SignalPipe(Loop& loop, std::function<void(int signal)> on_signal);
    SignalPipe(const SignalPipe&) = delete;
    SignalPipe& operator=(const SignalPipe&) = delete;
    /// Restores the default handlers and stops watching.
    ~SignalPipe();

private:
    void drain();

    Loop& loop_;
    std::function<void(int)> on_signal_;
    UniqueFd read_;
    UniqueFd write_;
};

}  // namespace kit
