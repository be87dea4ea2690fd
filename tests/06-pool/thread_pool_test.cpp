// Stage 6's unit tests of the ThreadPool: work on workers, `done` on the
// loop thread, errors and cancellations as completions, signals blocked,
// nothing left running. Lesson: lessons/06-pool.md, "The pool".
#include "thread_pool.hpp"

#include "poll_backend.hpp"
#include "post_queue.hpp"
#include "watchdog.hpp"

#include <gtest/gtest.h>

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using kit::Completion;
using kit::Loop;
using kit::PostQueue;
using kit::ThreadPool;
using stage6_test::Watchdog;

std::size_t entries(const char* dir) {
    std::size_t count = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) {
        ++count;
    }
    return count;
}

// The threads of this process once every runtime helper is up: a
// sanitizer starts a background thread of its own with the first thread
// the program creates, which must not count as a worker left behind.
std::size_t settled_threads() {
    std::thread([] {}).join();
    return entries("/proc/self/task");
}

// Waits (bounded) until @p flag is set by another thread.
bool wait_for(const std::atomic<bool>& flag) {
    for (int i = 0; i < 5000 && !flag; ++i) {
        std::this_thread::sleep_for(1ms);
    }
    return flag;
}

// A loop, its post queue, and a watchdog that a test disarms once every
// `done` it waits for has run (watchdog.hpp).
struct PoolTest : ::testing::Test {
    Loop loop{kit::make_poll_backend()};
    PostQueue posts{loop};
    Watchdog watchdog{loop};
    int dones = 0;

    // Counts one `done`; the @p expected-th disarms the watchdog.
    void count_done(int expected) {
        if (++dones == expected) {
            watchdog.disarm();
        }
    }

    void TearDown() override { EXPECT_FALSE(watchdog.fired()) << "a done never ran"; }
};

TEST_F(PoolTest, WorkRunsOnAWorkerAndDoneOnTheLoopThreadThenRunReturns) {
    ThreadPool pool(posts, 3);
    const auto loop_thread = std::this_thread::get_id();
    std::atomic<int> on_loop_thread_work{0};
    int done_on_loop = 0;
    for (int i = 0; i < 100; ++i) {
        pool.offload(
            [&] {
                if (std::this_thread::get_id() == loop_thread) {
                    ++on_loop_thread_work;
                }
            },
            [&](const Completion& c) {
                EXPECT_TRUE(c.ok());
                done_on_loop += std::this_thread::get_id() == loop_thread ? 1 : 0;
                count_done(100);
            });
    }
    // Nothing is watched but the held wake-up: run() returns once every done has run.
    EXPECT_FALSE(loop.run());
    EXPECT_EQ(on_loop_thread_work, 0);
    EXPECT_EQ(done_on_loop, 100);
    EXPECT_EQ(loop.watch_count(), 0U) << "with no work out, the queue is not watched";
}

TEST_F(PoolTest, AJobThatThrowsReachesItsDoneAsAnErrorAndThePoolGoesOn) {
    ThreadPool pool(posts, 1);
    std::string message;
    bool second_ok = false;
    pool.offload([] { throw std::runtime_error("disk on fire"); },
                 [&](const Completion& c) {
                     ASSERT_TRUE(c.error);
                     EXPECT_FALSE(c.cancelled);
                     try {
                         std::rethrow_exception(c.error);
                     } catch (const std::runtime_error& e) {
                         message = e.what();
                     }
                     count_done(2);
                 });
    pool.offload([] {},
                 [&](const Completion& c) {
                     second_ok = c.ok();
                     count_done(2);
                 });
    EXPECT_FALSE(loop.run());
    EXPECT_EQ(message, "disk on fire");
    EXPECT_TRUE(second_ok) << "the one worker survived the exception";
}

TEST_F(PoolTest, StopLetsTheRunningJobFinishAndCancelsTheQueuedOnesEachOnce) {
    const std::size_t threads_before = settled_threads();
    ThreadPool pool(posts, 1);
    std::atomic<bool> started{false};
    int ok = 0;
    int cancelled = 0;
    int other = 0;
    auto count = [&](const Completion& c) {
        (c.ok() ? ok : c.cancelled ? cancelled : other) += 1;
        count_done(11);
    };
    pool.offload(
        [&] {
            started = true;
            std::this_thread::sleep_for(50ms);  // stop() comes meanwhile
        },
        count);
    std::atomic<int> ran_after_stop{0};
    for (int i = 0; i < 10; ++i) {
        pool.offload([&] { ++ran_after_stop; }, count);
    }
    ASSERT_TRUE(wait_for(started));
    pool.stop();
    EXPECT_EQ(entries("/proc/self/task"), threads_before) << "stop() joins every worker";
    EXPECT_EQ(ok + cancelled, 0) << "completions run on the loop, never inside stop()";
    EXPECT_FALSE(loop.run());
    EXPECT_EQ(ok, 1);
    EXPECT_EQ(cancelled, 10);
    EXPECT_EQ(other, 0);
    EXPECT_EQ(ran_after_stop, 0);

    bool late = false;
    pool.offload([] {},
                 [&](const Completion& c) {
                     late = c.cancelled;
                     count_done(11);
                 });
    EXPECT_FALSE(loop.run());
    EXPECT_TRUE(late) << "offload() after stop() is cancelled, not lost";
}

TEST_F(PoolTest, WorkersBlockEverySignal) {
    ThreadPool pool(posts, 2);
    std::atomic<bool> all_blocked{false};
    pool.offload(
        [&] {
            sigset_t mask;
            pthread_sigmask(SIG_BLOCK, nullptr, &mask);
            all_blocked = sigismember(&mask, SIGINT) == 1 && sigismember(&mask, SIGUSR1) == 1 &&
                          sigismember(&mask, SIGTERM) == 1;
        },
        [&](const Completion&) { count_done(1); });
    EXPECT_FALSE(loop.run());
    EXPECT_TRUE(all_blocked);
    sigset_t mine;
    pthread_sigmask(SIG_BLOCK, nullptr, &mine);
    EXPECT_EQ(sigismember(&mine, SIGINT), 0) << "the loop thread's mask is as it was";
}

TEST_F(PoolTest, ThreadsAndFdsComeAndGoWithThePool) {
    const std::size_t threads_before = settled_threads();
    const std::size_t fds_before = entries("/proc/self/fd");
    {
        ThreadPool pool(posts, 4);
        EXPECT_EQ(entries("/proc/self/task"), threads_before + 4);
        for (int i = 0; i < 20; ++i) {
            pool.offload([] { std::this_thread::sleep_for(1ms); },
                         [&](const Completion&) { count_done(20); });
        }
        EXPECT_FALSE(loop.run());
    }
    EXPECT_EQ(entries("/proc/self/task"), threads_before);
    EXPECT_EQ(entries("/proc/self/fd"), fds_before);
}

TEST_F(PoolTest, DestroyedWithWorkOutTheCompletionsAreDroppedWithTheQueue) {
    // The fetch program's timeout path: the loop never runs again.
    bool ran = false;
    watchdog.disarm();  // the loop never runs here
    {
        ThreadPool pool(posts, 1);
        pool.offload([] { std::this_thread::sleep_for(10ms); },
                     [&](const Completion&) { ran = true; });
        pool.offload([] {}, [&](const Completion&) { ran = true; });
    }
    EXPECT_FALSE(ran);  // and ASan/TSan see no leak or race when the fixture goes
}

using PoolDeathTest = PoolTest;

TEST_F(PoolDeathTest, OffloadFromAWorkerAbortsWithAMessage) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    watchdog.disarm();
    EXPECT_DEATH(
        {
            Loop loop2(kit::make_poll_backend());
            PostQueue posts2(loop2);
            ThreadPool pool(posts2, 1);
            pool.offload([&pool] { pool.offload([] {}, nullptr); }, nullptr);
            (void)loop2.run();
        },
        "offload\\(\\) called from a thread that is not the loop's thread");
}

}  // namespace
