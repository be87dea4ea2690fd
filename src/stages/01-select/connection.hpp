// Connection: one fetch target as a non-blocking state machine.
//
//     connecting --writable--> sending --all sent--> receiving --EOF--> finished
//
// A Connection never waits. Whoever runs the loop asks interest() what to
// wait for, waits (for this and every other connection at once), and calls
// on_ready() when it has come; the handler does what the socket allows now
// and returns. Stage 1 drives it from a raw select() loop; later stages
// drive the very same class from the Loop. Lesson: lessons/01-select.md.
//
// Interface rules: call start() once, then on_ready() only when interest()
// is ready; once finished() the connection holds no fd, and the log has
// its report line.
#pragma once

#include "kit/fetch_log.hpp"
#include "kit/http.hpp"
#include "kit/outcome.hpp"
#include "kit/unique_fd.hpp"
#include "kit/url.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <utility>

namespace kit {

/// What a connection waits for next.
enum class Interest {
    none,      ///< Nothing: the connection is finished.
    readable,  ///< The socket has bytes to read, or EOF.
    writable,  ///< The connect has completed, or the socket takes more bytes.
};

/// One fetch target's non-blocking connection and how far it has got.
class Connection {
public:
    /// A connection for target number @p target (its index on the command
    /// line) that reports to @p log.
    Connection(std::size_t target, FetchLog& log);

    /// Opens a non-blocking socket and starts connecting to @p url. The
    /// connection may be finished at once (unresolvable host, refused).
    void start(const Url& url);

    /// The readiness that interest() asked for has come: take the next step.
    void on_ready();

    /// Ends the connection now with @p reason: a deadline has passed, or
    /// the loop cannot watch its fd.
    void fail(Reason reason);

    /// What to wait for: readable while receiving, writable while
    /// connecting or sending, none once finished.
    [[nodiscard]] Interest interest() const;

    /// The socket (-1 once finished).
    [[nodiscard]] int fd() const { return sock_.get(); }

    /// The response as received so far (stage 6 processes its body).
    [[nodiscard]] const ResponseParser& response() const { return response_; }

    /// True once the outcome is reported.
    [[nodiscard]] bool finished() const { return state_ == State::finished; }

    /// Calls @p hook with the socket just before the connection closes it.
    /// A loop unwatches the fd there: once closed, its number may be
    /// reused at once by another thread's open() (stage 6's workers).
    void before_close(std::function<void(int fd)> hook) { before_close_ = std::move(hook); }

    /// The `--stall` demo: the first read handler sleeps @p duration first.
    void stall_first_read(std::chrono::milliseconds duration) { stall_ = duration; }

private:
    enum class State { connecting, sending, receiving, finished };

    void on_connected();
    void on_writable();
    void on_readable();
    void finish(const Outcome& outcome);

    std::size_t target_;
    FetchLog& log_;
    State state_ = State::connecting;
    UniqueFd sock_;
    std::string request_;
    std::size_t sent_ = 0;  // request bytes written so far
    ResponseParser response_;
    std::chrono::milliseconds stall_{0};
    std::function<void(int fd)> before_close_;
};

}  // namespace kit
