// LoopFetch and fetch_on_loop(): the fetch client on the Loop, for any backend.
//
// Stage 1's Connection state machine (src/stages/01-select/connection.hpp,
// unchanged) driven by the Loop instead of a hand-written select() loop:
// each connection's fd is watched for what its interest() asks, its
// callback calls on_ready() and then follows the new interest; the global
// deadline is a Source. Stages 3 and 4 run the very same client on epoll
// and kqueue; stage 5 follows each target through FetchHooks to arm and
// cancel its timers, and stage 8 runs it on a service's loop.
// Lesson: lessons/02-reactor.md, "The fetch client on the Loop".
#pragma once

#include "connection.hpp"
#include "loop.hpp"

#include "kit/fetch_log.hpp"
#include "kit/fetch_main.hpp"
#include "kit/outcome.hpp"
#include "kit/url.hpp"

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>

namespace kit {

/// What a connection's read callback does after the Connection's one read
/// (Connection::on_ready()), given the connection and its socket @p fd.
/// Empty: nothing, one read per readiness, as stage 1; the loop calls again
/// while bytes are left, which keeps one chatty server from starving the
/// others. An edge-triggered backend reports an fd only when new bytes
/// arrive, so its client must read until the socket is empty (stage 3's
/// drain_until_eagain(), lessons/03-epoll.md).
using Reads = std::function<void(Connection& connection, int fd)>;

/// Per-target hooks: how a later stage follows each target without copying
/// the driver (stage 5 arms and cancels its timers here). Each is called
/// with the target's index, on the loop thread, for targets whose fd got
/// watched (one that fails at once never is); any may be left empty.
struct FetchHooks {
    std::function<void(std::size_t)> watched;   ///< Its fd is watched: the connect is under way.
    std::function<void(std::size_t)> ready;     ///< Its fd is ready; its handler runs next.
    std::function<void(std::size_t)> finished;  ///< It is finished, and its fd unwatched.
    /// Every target is finished. Empty: stop the loop, so that run()
    /// returns (a fetch program). Stage 8's aggregator shares the loop with
    /// a service, which must go on: it answers its client here instead.
    /// It may be called from inside start() or fail(): it must not destroy
    /// the LoopFetch.
    std::function<void()> all_finished;
};

/// The targets' connections on one Loop: keeps each one's watch in step
/// with what its connection waits for, and stops the loop when all are done.
class LoopFetch {
public:
    /// A client on @p loop that reports to @p log, reads as @p reads says,
    /// and tells @p hooks what happens to each target.
    LoopFetch(Loop& loop, FetchLog& log, Reads reads = {}, FetchHooks hooks = {});

    /// Starts the next target (targets are numbered in the order started):
    /// connect(add(), url).
    void start(const Url& url);

    /// Adds the next target without starting it, and returns its number
    /// (targets are numbered in the order added). Stage 6 resolves its name
    /// on a thread pool first, then calls connect().
    std::size_t add();

    /// Starts @p target's connect to @p address: its URL, or the same with
    /// the host already resolved to a numeric address. A target finished
    /// meanwhile (a timer failed it) is left alone.
    void connect(std::size_t target, const Url& address);

    /// The connection of @p target (stage 6 reads its response's body).
    [[nodiscard]] const Connection& connection(std::size_t target) const;

    /// The `--stall` demo: the first target's first read sleeps @p duration.
    void stall_first_read(std::chrono::milliseconds duration);

    /// Ends @p target now with @p reason (a timer fired), if unfinished.
    void fail(std::size_t target, Reason reason);

    /// Ends every unfinished target with @p reason.
    void fail_unfinished(Reason reason);

    /// Runs the loop until every target is finished or the loop is
    /// stopped, recording each wait in the log; if waiting fails, the
    /// unfinished targets fail as `io`.
    void run();

private:
    void step(std::size_t target);
    void finished(std::size_t target);

    Loop& loop_;
    FetchLog& log_;
    Reads reads_;
    FetchHooks hooks_;
    std::deque<Connection> connections_;  // a deque never moves its elements
    std::deque<bool> watched_;            // by target: its fd is watched now
    std::deque<bool> ever_watched_;       // by target: the hooks know it
};

/// Fetches options.targets on @p loop, with options.timeout as one global
/// deadline and options.stall as in stage 1, reading as @p reads says;
/// every target is finished in @p log when it returns, and nothing is left
/// watched on @p loop.
void fetch_on_loop(Loop& loop, const FetchOptions& options, FetchLog& log, Reads reads = {});

}  // namespace kit
