// Backend: the one small interface every readiness API hides behind.
//
// A backend keeps the set of fds the Loop is interested in, and waits until
// some of them are ready. It knows nothing of callbacks, sources or
// connections: that is the Loop's job (loop.hpp). One file per backend,
// the same two operations in the same order in each (compare Redis's
// ae_select.c / ae_epoll.c, libev's ev_poll.c): select_backend.cpp first,
// the shortest, then poll_backend.cpp; stages 3 and 4 add epoll and kqueue.
// Each backend translates its kernel's flags into IoEvents at the edge, so
// nothing above it ever sees an fd_set or a pollfd. Lesson: lessons/02-reactor.md.
//
// Interface rules: only the Loop calls a backend, and only on the loop's
// thread. The Loop remembers each fd's interest and passes the old one to
// modify() with the new one; the backend derives add / change / remove
// from the two (as libev does). OS errors come back as std::error_code
// values, never as exceptions; EINTR from wait() is one of them, which the
// Loop takes as "nothing is ready".
#pragma once

#include <chrono>
#include <optional>
#include <string_view>
#include <system_error>
#include <vector>

namespace kit {

/// Readiness of one fd, or interest in it: readable, writable, or both.
struct IoEvents {
    bool readable = false;  ///< Bytes (or EOF, or an error) to read.
    bool writable = false;  ///< Room to write, or a connect() has finished.

    /// True when either flag is set.
    [[nodiscard]] constexpr bool any() const { return readable || writable; }

    /// The flags set in both @p a and @p b (what is ready and still wanted).
    friend constexpr IoEvents operator&(IoEvents a, IoEvents b) {
        return {.readable = a.readable && b.readable, .writable = a.writable && b.writable};
    }

    /// Equal when both flags are.
    friend bool operator==(const IoEvents&, const IoEvents&) = default;
};

/// One fd that a wait found ready, and for what.
struct ReadyFd {
    int fd;           ///< The ready fd.
    IoEvents events;  ///< What it is ready for (never empty).
};

/// One readiness API (select, poll, ...) behind the Loop.
class Backend {
public:
    Backend() = default;
    Backend(const Backend&) = delete;
    Backend& operator=(const Backend&) = delete;
    virtual ~Backend() = default;

    /// The name the factory knows it by ("select", "poll"), so tests and
    /// programs can say which one ran.
    [[nodiscard]] virtual std::string_view name() const = 0;

    /// Changes the interest in @p fd from @p old_interest to @p new_interest:
    /// empty to non-empty adds the fd, non-empty to empty removes it,
    /// anything else changes it.
    /// Removing never fails (a backend whose kernel has already dropped a
    /// closed fd takes that as done), so the Loop can always unwatch.
    /// @return an error when the fd cannot be watched (e.g. select and an
    ///         fd not below FD_SETSIZE); the interest is then unchanged.
    [[nodiscard]] virtual std::error_code modify(int fd, IoEvents old_interest,
                                                 IoEvents new_interest) = 0;

    /// Waits until some fd is ready or @p timeout has passed (std::nullopt:
    /// no limit), and replaces the contents of @p ready with the ready fds,
    /// each once. A @p timeout longer than INT_MAX ms (about 24.8 days) is
    /// cut to that, which every readiness API accepts: the wait may end
    /// early with nothing ready, and the Loop asks its sources again.
    /// @return an OS error, with @p ready empty; EINTR (a signal
    /// arrived) is one, and means only that nothing is ready yet.
    [[nodiscard]] virtual std::error_code wait(std::optional<std::chrono::milliseconds> timeout,
                                               std::vector<ReadyFd>& ready) = 0;
};

}  // namespace kit
