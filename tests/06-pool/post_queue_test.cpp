// Stage 6's unit tests of post(): the wake-up fd, then the PostQueue on
// every backend (a Loop over each, as the fetch program runs them).
// Lesson: lessons/06-pool.md.
#include "post_queue.hpp"

#include "backends.hpp"
#include "stage4_backends.hpp"
#include "wakeup.hpp"
#include "watchdog.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using kit::Loop;
using kit::PostQueue;
using stage6_test::Watchdog;

bool readable_now(int fd) {
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    return ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
}

// The open fds of this process, where /proc says (Linux).
std::size_t open_fds() {
    std::size_t count = 0;
    for ([[maybe_unused]] const auto& entry :
         std::filesystem::directory_iterator("/proc/self/fd")) {
        ++count;
    }
    return count;
}

TEST(Wakeup, IsNonBlockingAndCloseOnExec) {
    kit::Wakeup wakeup;
    EXPECT_NE(::fcntl(wakeup.fd(), F_GETFL) & O_NONBLOCK, 0);
    EXPECT_NE(::fcntl(wakeup.fd(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST(Wakeup, ManySignalsAreOneReadableFdAndOneDrainEmptiesIt) {
    kit::Wakeup wakeup;
    EXPECT_FALSE(readable_now(wakeup.fd()));
    for (int i = 0; i < 100000; ++i) {  // more bytes than a pipe holds: signal() never blocks
        wakeup.signal();
    }
    EXPECT_TRUE(readable_now(wakeup.fd()));
    wakeup.drain();
    EXPECT_FALSE(readable_now(wakeup.fd())) << "drain() must empty the fd completely";
    wakeup.drain();  // draining an empty fd is harmless
    EXPECT_FALSE(readable_now(wakeup.fd()));
}

class PostQueueTest : public ::testing::TestWithParam<std::string> {
protected:
    std::unique_ptr<Loop> make_loop() {
        std::string error;
        auto backend = kit::make_backend(GetParam(), kit::stage4_backends(), error);
        if (!backend) {
            ADD_FAILURE() << error;
            return nullptr;
        }
        return std::make_unique<Loop>(std::move(backend));
    }
};

TEST_P(PostQueueTest, EightThreadsPostingLoseNothingAndKeepEachThreadsOrder) {
    constexpr int kThreads = 8;
    constexpr int kEach = 100000;
    auto loop = make_loop();
    ASSERT_TRUE(loop);
    PostQueue posts(*loop);
    std::size_t passes = 0;
    loop->on_wait([&passes](kit::Clock::time_point, kit::Clock::time_point, int) { ++passes; });

    // Touched by the handlers only, on the loop thread: no lock needed.
    std::vector<int> last_seen(kThreads, -1);
    long ran = 0;
    bool in_order = true;
    bool on_loop_thread = true;
    const auto loop_thread = std::this_thread::get_id();

    Watchdog watchdog(*loop);
    posts.hold();  // until the last handler has run
    std::vector<std::thread> posters;
    for (int t = 0; t < kThreads; ++t) {
        posters.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                posts.post([&, t, i] {
                    in_order = in_order && last_seen[t] == i - 1;
                    on_loop_thread = on_loop_thread && std::this_thread::get_id() == loop_thread;
                    last_seen[t] = i;
                    if (++ran == long{kThreads} * kEach) {
                        watchdog.disarm();
                        posts.release();  // nothing else is watched: run() returns
                    }
                });
            }
        });
    }
    std::error_code error = loop->run();
    for (std::thread& poster : posters) {
        poster.join();
    }
    EXPECT_FALSE(error);
    EXPECT_FALSE(watchdog.fired()) << "handlers were lost: the loop never got them all";
    EXPECT_EQ(ran, long{kThreads} * kEach) << "every handler runs exactly once";
    EXPECT_TRUE(in_order) << "each thread's handlers run in the order it posted them";
    EXPECT_TRUE(on_loop_thread);
    // At most one wake-up per time the loop may have slept: they coalesce.
    EXPECT_LE(posts.wakeups(), passes + 1);
    EXPECT_LT(posts.wakeups(), std::uint64_t{kThreads} * kEach / 10)
        << "posts that land while a wake-up is on its way must not write again";
}

// The lost wake-up: a post that lands as the loop goes to sleep. Nothing
// else can wake this loop (no other fd, no timer), so a lost wake-up is a
// hang, which the bounded wait turns into a failure.
TEST_P(PostQueueTest, APostLandingAsTheLoopFallsAsleepStillWakesIt) {
    constexpr int kRounds = 5000;
    auto loop = make_loop();
    ASSERT_TRUE(loop);
    PostQueue posts(*loop);
    std::mutex mutex;
    std::condition_variable ran_cv;
    int ran = 0;  // guarded by mutex
    std::atomic<bool> all_prompt{true};

    Watchdog watchdog(*loop, std::chrono::seconds(60));
    posts.hold();
    std::thread poster([&] {
        for (int i = 1; i <= kRounds && all_prompt; ++i) {
            posts.post([&] {
                std::lock_guard lock(mutex);
                ++ran;
                ran_cv.notify_one();
            });
            std::unique_lock lock(mutex);
            // Seconds, not microseconds: a lost wake-up never comes at all.
            if (!ran_cv.wait_for(lock, 5s, [&] { return ran == i; })) {
                all_prompt = false;
            }
        }
        posts.post([&] {
            watchdog.disarm();
            posts.release();  // lets run() return
        });
    });
    std::error_code error = loop->run();
    poster.join();
    EXPECT_FALSE(error);
    EXPECT_TRUE(all_prompt.load()) << "a post waited 5 s for a loop with nothing else to wake it";
    EXPECT_EQ(ran, kRounds);
}

TEST_P(PostQueueTest, AHandlerPostedDuringAPassRunsInTheNextPass) {
    auto loop = make_loop();
    ASSERT_TRUE(loop);
    PostQueue posts(*loop);
    int waits = 0;
    loop->on_wait([&waits](kit::Clock::time_point, kit::Clock::time_point, int) { ++waits; });
    int first_pass = -1;
    int second_pass = -1;
    Watchdog watchdog(*loop);
    posts.post([&] {
        first_pass = waits;
        posts.post([&] {
            second_pass = waits;
            watchdog.disarm();
        });
    });
    EXPECT_FALSE(loop->run());
    EXPECT_EQ(first_pass, 1);
    EXPECT_EQ(second_pass, 2) << "posting from a handler must not extend the running pass";
}

// A pass that ran handlers is likely followed by more posts: the loop looks
// once more before it sleeps (no lock, no wake-up write). A pass that ran
// none lets it sleep; a queue that always answered "now" would spin.
TEST_P(PostQueueTest, LooksOnceMoreAfterABusyPassThenLetsTheLoopSleep) {
    auto loop = make_loop();
    ASSERT_TRUE(loop);
    PostQueue posts(*loop);
    const auto now = kit::Clock::now();
    const auto zero = kit::Clock::duration::zero();
    EXPECT_EQ(posts.time_to_next(now), std::nullopt) << "nothing queued, nothing run";
    int ran = 0;
    posts.post([&ran] { ++ran; });
    EXPECT_EQ(posts.time_to_next(now), zero) << "a handler is queued";
    posts.dispatch(now);
    EXPECT_EQ(ran, 1);
    EXPECT_EQ(posts.time_to_next(now), zero) << "the pass ran a handler: look once more";
    posts.dispatch(now);
    EXPECT_EQ(posts.time_to_next(now), std::nullopt) << "the pass ran none: the loop may sleep";
}

TEST_P(PostQueueTest, APostToALoopNotRunningRunsWhenItRunsAgain) {
    auto loop = make_loop();
    ASSERT_TRUE(loop);
    PostQueue posts(*loop);
    int ran = 0;
    Watchdog watchdog(*loop);
    std::thread([&] {
        posts.post([&] {
            ++ran;
            watchdog.disarm();
        });
    }).join();
    EXPECT_EQ(ran, 0) << "nothing runs while the loop does not";
    EXPECT_FALSE(loop->run());  // runs the handler, then has nothing to wait for
    EXPECT_EQ(ran, 1);
}

TEST_P(PostQueueTest, HandlersStillQueuedAreDroppedUnrunWithTheQueue) {
    auto loop = make_loop();
    ASSERT_TRUE(loop);
    auto guard = std::make_shared<int>(0);
    std::weak_ptr<int> watcher = guard;
    bool ran = false;
    {
        PostQueue posts(*loop);
        posts.post([&ran, guard = std::move(guard)] { ran = true; });
    }
    EXPECT_FALSE(ran) << "a handler may not run once its queue is gone";
    EXPECT_TRUE(watcher.expired()) << "the dropped handler (and what it holds) is destroyed";
    EXPECT_FALSE(loop->run()) << "the loop no longer knows the queue";
}

TEST_P(PostQueueTest, AnUnheldQueueDoesNotKeepTheLoopRunning) {
    auto loop = make_loop();
    ASSERT_TRUE(loop);
    PostQueue posts(*loop);
    EXPECT_EQ(loop->watch_count(), 0U);
    posts.hold();
    posts.hold();
    EXPECT_EQ(loop->watch_count(), 1U) << "held: the wake-up fd is watched, once";
    posts.release();
    posts.release();
    EXPECT_EQ(loop->watch_count(), 0U);
    EXPECT_FALSE(loop->run()) << "returns at once: nothing is held or watched";
}

TEST_P(PostQueueTest, LeavesNoFdBehind) {
    const std::size_t before = open_fds();
    {
        auto loop = make_loop();
        ASSERT_TRUE(loop);
        PostQueue posts(*loop);
        Watchdog watchdog(*loop);
        posts.hold();
        posts.post([&] {
            watchdog.disarm();
            posts.release();
        });
        EXPECT_FALSE(loop->run());
    }
    EXPECT_EQ(open_fds(), before);
}

std::vector<std::string> backends() {
    std::vector<std::string> names;
    for (const kit::BackendMaker& maker : kit::stage4_backends()) {
        std::error_code error;
        if (maker.make(error)) {  // epoll only where there is one
            names.emplace_back(maker.name);
        }
    }
    return names;
}

INSTANTIATE_TEST_SUITE_P(EveryBackend, PostQueueTest, ::testing::ValuesIn(backends()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                             std::string name = param.param;
                             for (char& c : name) {
                                 c = c == '-' ? '_' : c;
                             }
                             return name;
                         });

}  // namespace
