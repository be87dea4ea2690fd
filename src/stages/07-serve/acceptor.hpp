// Acceptor: the listening socket, watched by the loop.
//
// On each readiness it accepts what has queued, up to kAcceptsPerTurn:
// a flood of connections must not starve the ones already open (an
// edge-triggered backend reports no new edge for what is left, so a zero
// timer comes back for it). Each accepted socket is non-blocking and
// close-on-exec from birth and goes to the `on_accept` callback.
//
// The special problem of accept() out of fds (libev's manual): when the
// process has no fd left, accept() fails with EMFILE (ENFILE: the whole
// system) and leaves the connection queued, so the listening socket stays
// readable, and a level-triggered loop would spin on it at full speed.
// The Acceptor keeps one spare fd (the reserve): it closes it, accepts the
// connection, closes that at once (the client sees the connection end
// rather than hang), and reopens the spare. When even that fails it stops
// watching the socket for kPause and then tries again. Either way the
// server survives, and accepts again once fds are free.
// Lesson: lessons/07-serve.md, "Accepting".
//
// Interface rules: loop thread only; the Loop and TimerQueue outlive it.
#pragma once

#include "loop.hpp"
#include "read_mode.hpp"
#include "timer_queue.hpp"

#include "kit/unique_fd.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <system_error>

namespace kit {

/// Accepts connections on a listening socket (see the file comment).
class Acceptor {
public:
    /// What gets each accepted connection.
    using OnAccept = std::function<void(UniqueFd socket)>;
    /// What hears of each accept() that failed for want of an fd.
    using OnExhausted = std::function<void()>;

    /// The most connections accepted in one readiness.
    static constexpr int kAcceptsPerTurn = 64;
    /// How long accepting pauses when not even the reserve fd can be had.
    static constexpr Clock::duration kPause = std::chrono::milliseconds(100);

    /// An acceptor on @p loop that hands connections to @p on_accept;
    /// @p reads says whether the backend is edge-triggered.
    Acceptor(Loop& loop, TimerQueue& timers, ReadMode reads, OnAccept on_accept,
             OnExhausted on_exhausted);
    Acceptor(const Acceptor&) = delete;
    Acceptor& operator=(const Acceptor&) = delete;
    /// close().
    ~Acceptor();

    /// Binds @p address (dotted IPv4) and @p port (0: any free one), listens,
    /// and starts accepting. @return the OS error, or a bad address.
    [[nodiscard]] std::error_code listen(const std::string& address, std::uint16_t port);

    /// The port listened on (after listen()).
    [[nodiscard]] std::uint16_t port() const { return port_; }

    /// Stops accepting and closes the listening socket (idempotent).
    void close();

private:
    void accept_some();
    void on_out_of_fds();
    void pause();
    void resume();

    // All owned by the loop thread.
    Loop& loop_;
    TimerQueue& timers_;
    ReadMode reads_;
    OnAccept on_accept_;
    OnExhausted on_exhausted_;
    UniqueFd listener_;
    UniqueFd reserve_;  // a spare fd, given up to accept-and-drop when out of fds
    std::uint16_t port_ = 0;
    bool watched_ = false;
    TimerId timer_;  // the pause, or the rest of an edge-triggered turn
};

}  // namespace kit
