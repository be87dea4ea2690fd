// Loop: the kit's event loop, a reactor over one Backend.
//
// Watch an fd for readability or writability with a callback; run() waits
// (in the backend) until something is ready, and calls the callbacks of
// what is, one at a time, on this thread. Sources (source.hpp) bound each
// wait and get their turn after it. Every later stage builds on this
// class without changing it: epoll and kqueue are new Backends, timers and
// the post queue are new Sources. Lesson: lessons/02-reactor.md.
//
// Interface rules:
// - The loop thread: the thread that constructs a Loop is the only one
//   that may call it. Every call checks, and aborts with a message when
//   called from another thread (stage 6's post() is the one way in).
// - One watch per fd. watch() and modify() need a non-empty interest;
//   unwatch() ends a watch (and must come before the fd is closed or,
//   at the latest, before the loop waits again).
// - A callback may watch, modify and unwatch any fd, its own included,
//   and stop the loop. After unwatch(fd) returns, that watch's callback is
//   never called again, even for an event already in this turn's batch.
// - OS errors come back as std::error_code values; misuse (a second watch
//   of one fd, unwatching an fd not watched) aborts with a message.
#pragma once

#include "backend.hpp"
#include "source.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

namespace kit {

/// An event loop over one Backend (see the file comment for the rules).
class Loop {
public:
    /// Called with what its fd is ready for (never empty, always within the interest).
    using Callback = std::function<void(IoEvents ready)>;
    /// Told about every wait: when it began and ended, and how many fds
    /// were ready (-1 when the wait failed, e.g. with EINTR).
    using WaitHook =
        std::function<void(Clock::time_point began, Clock::time_point ended, int ready)>;

    /// A loop over @p backend, owned by the calling thread from now on.
    explicit Loop(std::unique_ptr<Backend> backend);
    Loop(const Loop&) = delete;
    Loop& operator=(const Loop&) = delete;
    ~Loop();

    /// Starts watching @p fd for @p interest; @p callback runs when it is ready.
    /// @return the backend's error (e.g. select and an fd not below
    ///         FD_SETSIZE), in which case nothing is watched.
    [[nodiscard]] std::error_code watch(int fd, IoEvents interest, Callback callback);

    /// Changes what the watch of @p fd waits for.
    /// @return the backend's error, in which case the interest is unchanged.
    [[nodiscard]] std::error_code modify(int fd, IoEvents interest);

    /// Stops watching @p fd, which may already be closed (see the Backend rules).
    void unwatch(int fd);

    /// Adds @p source; it must stay alive until remove_source() or the Loop's end.
    void add_source(Source& source);

    /// Removes @p source, added before (not from inside a source's dispatch()).
    void remove_source(Source& source);

    /// Calls @p hook after every wait (the fetch programs trace them).
    void on_wait(WaitHook hook);

    /// Runs until stop() is called, or until nothing is watched and no
    /// source wants a time. @return the backend's error if a wait failed
    /// (other than EINTR), which ends the run.
    std::error_code run();

    /// Makes run() return once the current turn is over (from a callback
    /// or a source); called before run(), run() returns at once.
    void stop();

    /// The backend's name, e.g. "poll".
    [[nodiscard]] std::string_view backend_name() const;

    /// The number of fds watched now.
    [[nodiscard]] std::size_t watch_count() const;

private:
    struct Watch {
        IoEvents interest;
        std::uint64_t generation;  // which watch this is: see dispatch_io()
        // Shared so a callback that unwatches its own fd is not destroyed
        // while it runs: dispatch_io() holds a reference meanwhile.
        std::shared_ptr<const Callback> callback;
    };

    void require_loop_thread(const char* call) const;
    std::optional<std::chrono::milliseconds> prepare_sources(Clock::time_point now);
    void dispatch_io();
    void dispatch_sources(Clock::time_point now);

    // All owned by the loop thread.
    std::thread::id owner_;
    std::unique_ptr<Backend> backend_;
    std::unordered_map<int, Watch> watches_;
    std::uint64_t next_generation_ = 0;
    std::vector<Source*> sources_;
    std::vector<ReadyFd> ready_;  // the last wait's answer, reused to save allocations
    WaitHook on_wait_;
    bool stop_requested_ = false;
};

}  // namespace kit
