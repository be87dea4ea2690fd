// Stage 6 exercise, part 2: the pool's worker loop; the class is declared
// in src/stages/06-pool/thread_pool.hpp. Lesson: lessons/06-pool.md, "The
// pool". Your part: run_worker(); offload(), stop() and complete() are given.
#include "thread_pool.hpp"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace kit {

namespace {

// Blocks every signal in this thread while it lives, then restores the
// mask: threads started meanwhile inherit the full block from birth, so no
// signal can land in a worker even for an instant.
class BlockAllSignals {
public:
    BlockAllSignals() {
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &saved_);
    }
    BlockAllSignals(const BlockAllSignals&) = delete;
    BlockAllSignals& operator=(const BlockAllSignals&) = delete;
    ~BlockAllSignals() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }

private:
    sigset_t saved_{};
};

// Which worker this thread is (1-based), 0 on any other thread.
thread_local std::size_t this_worker = 0;

}  // namespace

ThreadPool::ThreadPool(PostQueue& posts, std::size_t threads)
    : posts_(posts), owner_(std::this_thread::get_id()), size_(std::max<std::size_t>(threads, 1)) {
    BlockAllSignals blocked;
    workers_.reserve(size_);
    for (std::size_t i = 0; i < size_; ++i) {
        workers_.emplace_back([this, i] { run_worker(i + 1); });
    }
}

ThreadPool::~ThreadPool() {
    stop();
}

void ThreadPool::offload(Work work, Done done) {
    require_owner("offload");
    posts_.hold();  // released by the completion, on the loop thread
    {
        std::lock_guard lock(mutex_);
        if (!stopping_) {
            jobs_.push_back({std::move(work), std::move(done)});
            job_or_stop_.notify_one();
            return;
        }
    }
    complete(std::move(done), {.cancelled = true});
}

void ThreadPool::stop() {
    require_owner("stop");
    std::deque<Job> cancelled;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        cancelled.swap(jobs_);
    }
    job_or_stop_.notify_all();
    for (std::thread& worker : workers_) {
        worker.join();
    }
    workers_.clear();
    for (Job& job : cancelled) {
        complete(std::move(job.done), {.cancelled = true});
    }
}

// A worker, numbered @p number.
void ThreadPool::run_worker(std::size_t number) {
    this_worker = number;
    // TODO(stage 6): for ever: wait on job_or_stop_ (with mutex_ held)
    // until there is a job or the pool is stopping; with no job left,
    // return. Otherwise take the oldest job, and with the lock released
    // run its work, catching whatever it throws into a Completion, and
    // hand the completion to complete().
    std::fprintf(stderr, "kit::ThreadPool::run_worker() is still a TODO in exercises/06-pool\n");
    std::abort();
}

// From any thread: `done` runs on the loop thread, then the job's hold ends.
void ThreadPool::complete(Done done, Completion completion) {
    PostQueue& posts = posts_;
    posts.post([&posts, done = std::move(done), completion = std::move(completion)] {
        if (done) {
            done(completion);
        }
        posts.release();
    });
}

std::size_t ThreadPool::worker_number() {
    return this_worker;
}

void ThreadPool::require_owner(const char* call) const {
    if (std::this_thread::get_id() != owner_) {
        std::fprintf(stderr,
                     "kit::ThreadPool::%s() called from a thread that is not the loop's thread "
                     "(a worker posts back with PostQueue::post() instead)\n",
                     call);
        std::abort();
    }
}

}  // namespace kit
