// ThreadPool: a fixed number of worker threads for the work that blocks.
//
// Everything on the loop thread must be quick; a call that waits (a file
// written and fsync()ed, getaddrinfo(), a slow library) stalls every
// connection (lessons/01-select.md). offload(work, done) runs `work` on a
// worker and then `done` back on the loop thread, through the PostQueue:
// workers never touch the loop, they only post. CppCMS's
// thread_pool::post, libuv's uv_queue_work, Asio's post to a thread_pool.
//
// Every job ends in exactly one call of its `done`, with a Completion:
// - ok: `work` returned;
// - error: `work` threw; the exception is in Completion::error, and the
//   worker goes on with the next job;
// - cancelled: the pool was stopped before a worker took the job (libuv's
//   UV_ECANCELED, booster's "canceled"). Nothing is dropped silently.
// `done` always runs from the queue, never inline, even when cancelled.
//
// Each job holds the PostQueue (post_queue.hpp) from offload() until its
// `done` has run, so Loop::run() does not return while work is out.
// Workers block every signal: signals go to the loop thread, where
// handlers and EINTR are already dealt with.
// Lesson: lessons/06-pool.md, "The pool".
//
// Interface rules: construct, offload() and stop() on the loop thread (the
// one that owns the PostQueue's Loop); another thread aborts with a
// message. Destroy the pool before the PostQueue.
#pragma once

#include "post_queue.hpp"

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kit {

/// How a job ended, as its `done` learns it.
struct Completion {
    bool cancelled = false;    ///< The pool stopped before the job ran.
    std::exception_ptr error;  ///< What `work` threw, if it threw.

    /// True when `work` ran and returned.
    [[nodiscard]] bool ok() const { return !cancelled && !error; }
};

/// A fixed pool of worker threads that report back through a PostQueue.
class ThreadPool {
public:
    /// What runs on a worker. It must not touch the loop or its objects.
    using Work = std::function<void()>;
    /// What runs on the loop thread once the job is over.
    using Done = std::function<void(const Completion&)>;

    /// Starts @p threads workers (at least one) that post into @p posts.
    ThreadPool(PostQueue& posts, std::size_t threads);
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;
    /// stop().
    ~ThreadPool();

    /// Queues @p work for a worker; @p done runs on the loop thread after it.
    void offload(Work work, Done done);

    /// Lets the running jobs finish, cancels the queued ones (their `done`
    /// is posted with Completion::cancelled) and joins every worker.
    /// offload() after stop() cancels at once. Calling it again does nothing.
    void stop();

    /// The number of workers started.
    [[nodiscard]] std::size_t size() const { return size_; }

    /// On a pool's worker, its number (1 to size()); elsewhere 0. For traces.
    [[nodiscard]] static std::size_t worker_number();

private:
    struct Job {
        Work work;
        Done done;
    };

    void require_owner(const char* call) const;
    void run_worker(std::size_t number);
    void complete(Done done, Completion completion);

    // Set at construction, read by any thread.
    PostQueue& posts_;
    const std::thread::id owner_;
    const std::size_t size_;

    // Shared with the workers, guarded by mutex_.
    std::mutex mutex_;
    std::condition_variable job_or_stop_;
    std::deque<Job> jobs_;
    bool stopping_ = false;

    // Owned by the loop thread.
    std::vector<std::thread> workers_;
};

}  // namespace kit
