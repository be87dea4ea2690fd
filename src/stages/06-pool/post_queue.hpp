// PostQueue: post() a handler into the loop from any thread.
//
// The Loop and everything it owns belong to one thread; another thread
// may not touch them, not even under a mutex, since the loop thread does
// not take that mutex (it sleeps in the kernel). What another thread may
// do is hand the loop a function to run: post(). The queue is a mutex and
// a vector; the loop swaps the whole vector out and runs it unlocked; a
// Wakeup fd, watched like any socket, ends the loop's sleep when it must.
// It is a Source (source.hpp), so the Loop does not change for it:
//
// - time_to_next(): "now" when the last pass ran handlers (more are
//   likely on their way: look once more before sleeping) or handlers are
//   queued; else it notes that the loop may sleep (under the lock) and
//   sets no limit;
// - post(): pushes under the lock and writes the wake-up only if the loop
//   may sleep and no wake-up is on its way (one write wakes it; more would
//   be wasted system calls: they coalesce);
// - dispatch(): takes everything queued (under the lock), runs it unlocked.
//   Handlers posted while a pass runs wait for the next pass, so posting
//   cannot starve I/O.
//
// Liveness: a watched fd keeps Loop::run() going, and a queue that any
// thread *might* post to must not keep it going for ever (libuv's
// uv_unref). So the wake-up fd is watched only while someone holds the
// queue: hold() when work is out that will post back (the thread pool
// does it per job), release() when it has. Unheld, a post still lands in
// the queue and runs at the loop's next pass, whatever wakes it.
//
// A handler posted while the loop is not running runs when it runs again;
// handlers still queued when the PostQueue is destroyed are destroyed
// without running. Lesson: lessons/06-pool.md.
//
// Interface rules: post() and wakeups() from any thread; everything else
// on the loop thread. The Loop must outlive the PostQueue, and the
// PostQueue every thread that may post. Handlers must not throw.
#pragma once

#include "loop.hpp"
#include "source.hpp"
#include "wakeup.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

namespace kit {

/// A queue of handlers that any thread may post into a Loop (see the file comment).
class PostQueue final : public Source {
public:
    /// A function posted to run on the loop thread.
    using Handler = std::function<void()>;

    /// A queue into @p loop, added to it as a Source (from the loop thread).
    explicit PostQueue(Loop& loop);
    PostQueue(const PostQueue&) = delete;
    PostQueue& operator=(const PostQueue&) = delete;
    /// Removes the queue from the loop; handlers not yet run are destroyed unrun.
    ~PostQueue() override;

    /// Queues @p handler to run on the loop thread (any thread may call it).
    void post(Handler handler);

    /// Keeps the loop running (its wake-up fd watched) until the matching
    /// release(): work is out that will post back.
    void hold();

    /// Ends one hold(); with none left, the queue no longer keeps the loop running.
    void release();

    /// How many times post() has written the wake-up fd (any thread; for tests
    /// and the lesson: posts coalesce, so usually far fewer than posts).
    [[nodiscard]] std::uint64_t wakeups() const;

    /// Source: zero while handlers are queued or the last pass ran some;
    /// otherwise notes that the loop may sleep.
    [[nodiscard]] std::optional<Clock::duration> time_to_next(Clock::time_point now) override;

    /// Source: runs every handler queued before this call, in the order posted.
    void dispatch(Clock::time_point now) override;

private:
    // Owned by the loop thread.
    Loop& loop_;
    Wakeup wakeup_;
    std::size_t holds_ = 0;
    std::vector<Handler> running_;  // the pass being run; its capacity is reused
    bool ran_any_ = false;          // the last dispatch() ran handlers

    // Shared with the posting threads, guarded by mutex_.
    mutable std::mutex mutex_;
    std::vector<Handler> queued_;
    bool may_sleep_ = false;  // the loop may be asleep, and no wake-up is on its way
    std::uint64_t wakeups_ = 0;
};

}  // namespace kit
