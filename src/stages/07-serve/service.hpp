// Service: the CppCMS-style HTTP service around one Loop.
//
// One loop thread accepts every connection and reads and parses every
// request (the second source text); each connection is an HttpContext
// (http_context.hpp). A complete request goes to the application mounted
// on its path: a synchronous one on the ThreadPool, an asynchronous one in
// the loop. The Service owns the mount table, the live contexts, the
// counters and the trace, and is what an application reaches to get back
// in: loop() (CppCMS's service::get_io_service()), timers(), and post(),
// the one call any thread may make (CppCMS's service::post()).
//
// Shutdown is graceful: shutdown() closes the connections that wait for a
// request, lets each request in flight get its answer (then closes its
// connection), and closes what is left when the grace period ends; then it
// calls its `done`. Nothing accepted is left half-answered.
// Lesson: lessons/07-serve.md, "The CppCMS design, step by step".
//
// Interface rules: loop thread only, except post(). Mount before adopt().
// The Loop, TimerQueue, PostQueue and ThreadPool outlive the Service.
#pragma once

#include "loop.hpp"
#include "mount.hpp"
#include "post_queue.hpp"
#include "read_mode.hpp"
#include "serve_trace.hpp"
#include "stats.hpp"
#include "thread_pool.hpp"
#include "timer_queue.hpp"

#include "kit/request_parser.hpp"
#include "kit/unique_fd.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

namespace kit {

class HttpContext;

/// The settings every connection shares.
struct ServiceOptions {
    RequestLimits limits;  ///< Head and body sizes (431/414, 413 beyond them).
    /// A request head (and body) must arrive within this from its first byte
    /// (from the accept for the first request): else 408 and close. Slowloris.
    Clock::duration head_timeout = std::chrono::seconds(10);
    /// A keep-alive connection with no request closes after this long; so
    /// does one whose client stops reading its answer for this long.
    Clock::duration idle_timeout = std::chrono::seconds(30);
    /// How long shutdown() lets the requests in flight finish.
    Clock::duration grace = std::chrono::seconds(5);
    /// ReadMode::until_eagain on an edge-triggered backend.
    ReadMode reads = ReadMode::once_per_readiness;
};

/// One loop's HTTP service (see the file comment).
class Service {
public:
    /// A service on @p loop, its @p timers (a Source of the loop), its
    /// @p posts and @p pool, recording into @p trace.
    Service(Loop& loop, TimerQueue& timers, PostQueue& posts, ThreadPool& pool, ServeTrace& trace,
            ServiceOptions options);
    Service(const Service&) = delete;
    Service& operator=(const Service&) = delete;
    /// Closes every connection still open.
    ~Service();

    /// The mount table, to mount applications before the service runs.
    Mounts& mounts() { return mounts_; }

    /// Takes over a freshly accepted connection.
    void adopt(UniqueFd socket);

    /// Calls @p callback when shutdown() begins, before the connections are
    /// drained: an application that parks clients answers them there (stage
    /// 8's chat), so that they need not wait for the grace period.
    void on_shutdown(std::function<void()> callback) {
        on_shutdown_.push_back(std::move(callback));
    }

    /// Starts the graceful shutdown (see the file comment); @p done runs on
    /// the loop thread once every connection is closed.
    void shutdown(std::function<void()> done);

    /// The loop every connection lives on (CppCMS's get_io_service()).
    [[nodiscard]] Loop& loop() { return loop_; }
    /// The loop's timers.
    [[nodiscard]] TimerQueue& timers() { return timers_; }
    /// The pool that runs synchronous applications.
    [[nodiscard]] ThreadPool& pool() { return pool_; }
    /// Runs @p handler on the loop thread; callable from any thread (CppCMS's service::post()).
    void post(PostQueue::Handler handler) { posts_.post(std::move(handler)); }

    /// The counters (/stats reads them).
    [[nodiscard]] Stats& stats() { return stats_; }
    /// The trace.
    [[nodiscard]] ServeTrace& trace() { return trace_; }
    /// The settings.
    [[nodiscard]] const ServiceOptions& options() const { return options_; }
    /// True once shutdown() has begun: answers close their connections.
    [[nodiscard]] bool shutting_down() const { return shutting_down_; }

    /// A context has closed: forget it (HttpContext::close() calls this).
    void forget(std::uint64_t id);

private:
    void finish_shutdown_if_done();

    // All owned by the loop thread.
    Loop& loop_;
    TimerQueue& timers_;
    PostQueue& posts_;
    ThreadPool& pool_;
    ServeTrace& trace_;
    ServiceOptions options_;
    Mounts mounts_;
    Stats stats_;
    std::unordered_map<std::uint64_t, std::shared_ptr<HttpContext>> contexts_;
    std::uint64_t next_id_ = 1;
    bool shutting_down_ = false;
    std::function<void()> shutdown_done_;
    std::vector<std::function<void()>> on_shutdown_;
    TimerId grace_timer_;
};

}  // namespace kit
