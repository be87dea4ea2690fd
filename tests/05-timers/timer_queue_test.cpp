// Stage 5's unit tests: the TimerQueue (timer_queue.hpp) on a fake clock,
// against the O(n) TimerList as the reference, and one periodic timer on a
// real Loop. No test asserts a real time except the drift test, which has
// wide margins.
#include "timer_queue.hpp"
#include "timer_list.hpp"

#include "loop.hpp"
#include "poll_backend.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;
using kit::Clock;
using kit::TimerId;
using kit::TimerQueue;

// A clock the test moves by hand: the queue reads it when arming.
struct FakeClock {
    Clock::time_point now = Clock::time_point{} + 1h;
    TimerQueue queue() {
        return TimerQueue([this] { return now; });
    }
};

TEST(TimerQueue, EqualDeadlinesFireInArmingOrder) {
    FakeClock clock;
    TimerQueue timers = clock.queue();
    std::vector<int> fired;
    for (int i = 0; i < 8; ++i) {
        timers.after(10ms, [&fired, i] { fired.push_back(i); });
    }
    timers.dispatch(clock.now + 10ms);
    EXPECT_EQ(fired, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}))
        << "timers with one deadline must fire in the order they were armed";
}

TEST(TimerQueue, AZeroDelayTimerArmedInACallbackRunsInALaterPass) {
    FakeClock clock;
    TimerQueue timers = clock.queue();
    std::vector<std::string> fired;
    timers.after(0ms, [&] {
        fired.push_back("outer");
        timers.after(0ms, [&] { fired.push_back("inner"); });
    });
    timers.dispatch(clock.now);
    EXPECT_EQ(fired, std::vector<std::string>{"outer"})
        << "a timer armed by a callback must wait for the next dispatch()";
    EXPECT_EQ(timers.time_to_next(clock.now), Clock::duration::zero())
        << "the inner timer is due: the loop must not sleep";
    timers.dispatch(clock.now);
    EXPECT_EQ(fired, (std::vector<std::string>{"outer", "inner"}));
}

TEST(TimerQueue, ACancelledTimerNeverFires) {
    FakeClock clock;
    TimerQueue timers = clock.queue();
    bool fired = false;
    TimerId id = timers.after(10ms, [&fired] { fired = true; });
    EXPECT_TRUE(timers.cancel(id)) << "cancel() of an armed timer";
    EXPECT_FALSE(timers.cancel(id)) << "a second cancel() of the same timer";
    EXPECT_FALSE(timers.cancel(TimerId{})) << "cancel() of an id that names no timer";
    EXPECT_EQ(timers.size(), 0U);
    EXPECT_EQ(timers.time_to_next(clock.now), std::nullopt)
        << "no timer armed: no limit on the loop's sleep";
    timers.dispatch(clock.now + 1s);
    EXPECT_FALSE(fired) << "a cancelled timer must never fire";
}

TEST(TimerQueue, TimeToNextIsTheEarliestDeadline) {
    FakeClock clock;
    TimerQueue timers = clock.queue();
    timers.after(30ms, [] {});
    TimerId early = timers.after(10ms, [] {});
    timers.after(20ms, [] {});
    EXPECT_EQ(timers.time_to_next(clock.now), Clock::duration(10ms));
    EXPECT_TRUE(timers.cancel(early));
    EXPECT_EQ(timers.time_to_next(clock.now), Clock::duration(20ms));
    EXPECT_EQ(timers.time_to_next(clock.now + 1s), Clock::duration::zero()) << "overdue: zero";
}

TEST(TimerQueue, AOneShotCallbackCancellingItselfIsHarmless) {
    FakeClock clock;
    TimerQueue timers = clock.queue();
    TimerId self;
    int runs = 0;
    bool cancelled = true;
    self = timers.after(0ms, [&] {
        ++runs;
        cancelled = timers.cancel(self);
    });
    timers.dispatch(clock.now);
    EXPECT_EQ(runs, 1);
    EXPECT_FALSE(cancelled) << "a one-shot timer is no longer armed while it runs";
}

TEST(TimerQueue, APeriodicCallbackCancellingItselfStops) {
    FakeClock clock;
    TimerQueue timers = clock.queue();
    TimerId self;
    int runs = 0;
    self = timers.every(10ms, [&] {
        ++runs;
        EXPECT_TRUE(timers.cancel(self)) << "a periodic timer stays armed while it runs";
    });
    for (int i = 1; i <= 5; ++i) {
        timers.dispatch(clock.now + i * 10ms);
    }
    EXPECT_EQ(runs, 1) << "a periodic timer cancelled from its own callback must not tick again";
    EXPECT_EQ(timers.size(), 0U);
}

TEST(TimerQueue, ACallbackCanCancelAnotherTimerDueInTheSamePass) {
    FakeClock clock;
    TimerQueue timers = clock.queue();
    std::vector<std::string> fired;
    TimerId second;
    bool cancelled = false;
    timers.after(5ms, [&] {
        fired.push_back("first");
        cancelled = timers.cancel(second);
        // The freed slot may be reused at once: the new timer must not
        // be mistaken for the cancelled one, nor run in this pass.
        timers.after(0ms, [&] { fired.push_back("new"); });
    });
    second = timers.after(5ms, [&] { fired.push_back("second"); });
    timers.every(5ms, [&] { fired.push_back("periodic"); });
    timers.dispatch(clock.now + 5ms);
    EXPECT_TRUE(cancelled) << "a collected timer that has not run yet is still armed";
    EXPECT_EQ(fired, (std::vector<std::string>{"first", "periodic"}))
        << "a timer cancelled by an earlier callback of the same pass must not run";
    timers.dispatch(clock.now + 5ms);
    EXPECT_EQ(fired, (std::vector<std::string>{"first", "periodic", "new"}));
}

TEST(TimerQueue, APeriodicTimerSkipsTheTicksItMissedAndStaysOnItsGrid) {
    FakeClock clock;
    TimerQueue timers = clock.queue();
    int runs = 0;
    timers.every(10ms, [&runs] { ++runs; });
    timers.dispatch(clock.now + 35ms);  // the loop was busy: ticks 10, 20, 30 were due
    EXPECT_EQ(runs, 1) << "missed ticks are skipped, not run in a burst";
    EXPECT_EQ(timers.time_to_next(clock.now + 35ms), Clock::duration(5ms))
        << "the next tick is the next one on the grid (40 ms), not 35 + 10 ms";
}

// 100,000 timers with random deadlines, dispatched at random times: they
// fire in (deadline, arming) order, none before its deadline.
TEST(TimerQueue, ManyTimersFireInDeadlineOrder) {
    FakeClock clock;
    const Clock::time_point start = clock.now;
    TimerQueue timers = clock.queue();
    std::mt19937_64 random(5);
    std::uniform_int_distribution<std::int64_t> delay_us(0, 10'000'000);
    constexpr std::size_t kTimers = 100'000;
    struct Fired {
        Clock::time_point deadline;
        std::size_t armed;
        Clock::time_point at;
    };
    std::vector<Fired> fired;
    fired.reserve(kTimers);
    Clock::time_point dispatch_now = start;
    for (std::size_t i = 0; i < kTimers; ++i) {
        Clock::time_point deadline = start + std::chrono::microseconds(delay_us(random));
        timers.after(deadline - start, [&fired, &dispatch_now, deadline, i] {
            fired.push_back({deadline, i, dispatch_now});
        });
    }
    std::uniform_int_distribution<std::int64_t> step_us(0, 20'000);
    while (timers.size() > 0) {
        dispatch_now += std::chrono::microseconds(step_us(random));
        timers.dispatch(dispatch_now);
    }
    ASSERT_EQ(fired.size(), kTimers);
    for (std::size_t i = 0; i < fired.size(); ++i) {
        ASSERT_GE(fired[i].at, fired[i].deadline) << "timer " << fired[i].armed << " fired early";
        if (i > 0) {
            const Fired& a = fired[i - 1];
            const Fired& b = fired[i];
            ASSERT_TRUE(a.deadline < b.deadline || (a.deadline == b.deadline && a.armed < b.armed))
                << "out of order at position " << i;
        }
    }
}

// The heap and the O(n) list agree, operation by operation: what fires,
// in which order, what cancel() answers and how long the loop may sleep.
TEST(TimerQueue, AgreesWithTheListOnRandomOperations) {
    FakeClock clock;
    TimerQueue heap = clock.queue();
    kit::TimerList list([&clock] { return clock.now; });
    std::vector<int> heap_fired;
    std::vector<int> list_fired;
    std::vector<std::pair<TimerId, kit::TimerList::Id>> ids;  // by tag
    std::mt19937 random(42);
    auto chance = [&random](int percent) {
        return std::uniform_int_distribution<int>(0, 99)(random) < percent;
    };
    for (int op = 0; op < 20'000; ++op) {
        const int tag = static_cast<int>(ids.size());
        const auto delay =
            std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 50)(random));
        if (chance(35)) {
            // Some callbacks cancel another timer: the same one in both.
            const int victim =
                tag > 0 && chance(20) ? std::uniform_int_distribution<int>(0, tag - 1)(random) : -1;
            ids.emplace_back(
                heap.after(delay,
                           [&, tag, victim] {
                               heap_fired.push_back(tag);
                               if (victim >= 0) {
                                   heap.cancel(ids[static_cast<std::size_t>(victim)].first);
                               }
                           }),
                list.after(delay, [&, tag, victim] {
                    list_fired.push_back(tag);
                    if (victim >= 0) {
                        list.cancel(ids[static_cast<std::size_t>(victim)].second);
                    }
                }));
        } else if (chance(5)) {
            const auto period = std::max(delay, std::chrono::milliseconds(1));
            ids.emplace_back(heap.every(period, [&, tag] { heap_fired.push_back(tag); }),
                             list.every(period, [&, tag] { list_fired.push_back(tag); }));
        } else if (chance(50) && !ids.empty()) {
            auto& [heap_id, list_id] =
                ids[std::uniform_int_distribution<std::size_t>(0, ids.size() - 1)(random)];
            ASSERT_EQ(heap.cancel(heap_id), list.cancel(list_id)) << "cancel() at operation " << op;
        } else {
            clock.now +=
                std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 20)(random));
            ASSERT_EQ(heap.time_to_next(clock.now), list.time_to_next(clock.now))
                << "time_to_next() at operation " << op;
            heap.dispatch(clock.now);
            list.dispatch(clock.now);
            ASSERT_EQ(heap_fired, list_fired) << "what fired, by operation " << op;
        }
    }
    EXPECT_GT(heap_fired.size(), 1000U) << "the test should fire many timers";
}

// On a real Loop and the real clock: tick n of a 20 ms timer lands near
// n × 20 ms, though each callback takes 10 ms. A timer re-armed from "now"
// would drift by at least 10 ms a tick (190 ms by tick 20).
TEST(TimerQueue, APeriodicTimerDoesNotDrift) {
    constexpr auto kPeriod = 20ms;
    constexpr auto kSlack = 100ms;  // wide: these machines are noisy
    constexpr int kTicks = 20;
    kit::Loop loop(kit::make_poll_backend());
    TimerQueue timers;
    loop.add_source(timers);
    std::vector<Clock::duration> ticks;
    const Clock::time_point start = Clock::now();
    TimerId id = timers.every(kPeriod, [&] {
        ticks.push_back(Clock::now() - start);
        std::this_thread::sleep_for(10ms);  // the callback's own work
        if (ticks.size() == kTicks) {
            loop.stop();
        }
    });
    ASSERT_FALSE(loop.run());
    timers.cancel(id);
    loop.remove_source(timers);
    ASSERT_EQ(ticks.size(), static_cast<std::size_t>(kTicks));
    for (int n = 1; n <= kTicks; ++n) {
        const Clock::duration tick = ticks[static_cast<std::size_t>(n - 1)];
        EXPECT_GE(tick, n * kPeriod) << "tick " << n << " came early";
        EXPECT_LE(tick, n * kPeriod + kSlack)
            << "tick " << n << " came "
            << std::chrono::duration_cast<std::chrono::milliseconds>(tick - n * kPeriod).count()
            << " ms late: does the timer drift (re-armed from now, not from its deadline)?";
    }
}

// The ends of time: "never" (Clock::duration::max()) and "long ago"
// (Clock::time_point::min()) must stay what they say. Computed with a
// plain + and -, both overflow (UBSan reports it) and wrap around: the
// timer for "never" fires at once, the one "long ago" makes the loop sleep
// for 292 years.
constexpr auto kCentury = std::chrono::hours(24 * 365 * 100);

TEST(TimerQueue, NeverIsNeverAndLongAgoIsNow) {
    FakeClock clock;
    TimerQueue timers = clock.queue();
    std::vector<std::string> fired;
    timers.after(Clock::duration::max(), [&] { fired.push_back("after(max)"); });
    timers.every(Clock::duration::max(), [&] { fired.push_back("every(max)"); });
    EXPECT_GT(timers.time_to_next(clock.now), kCentury)
        << "a timer due after Clock::duration::max() is due (practically) never";
    timers.at(Clock::time_point::min(), [&] { fired.push_back("at(min)"); });
    EXPECT_EQ(timers.time_to_next(clock.now), Clock::duration::zero())
        << "a timer due at Clock::time_point::min() is due now: the loop must not sleep";
    timers.dispatch(clock.now);
    timers.dispatch(clock.now + kCentury);
    EXPECT_EQ(fired, std::vector<std::string>{"at(min)"});
    EXPECT_EQ(timers.size(), 2U);
}

// A periodic timer whose next tick would be past the end of time stays
// at the end: no overflow, no tick "long ago".
TEST(TimerQueue, APeriodicTimerNearTheEndOfTimeStaysThere) {
    FakeClock clock;
    clock.now = Clock::time_point::max() - 30min;
    TimerQueue timers = clock.queue();
    int runs = 0;
    timers.every(1h, [&runs] { ++runs; });
    EXPECT_EQ(timers.time_to_next(clock.now), Clock::duration(30min));
    timers.dispatch(clock.now);
    EXPECT_EQ(runs, 0) << "not due for another 30 minutes";
    timers.dispatch(Clock::time_point::max());
    EXPECT_EQ(runs, 1);
    EXPECT_EQ(timers.time_to_next(clock.now), Clock::duration(30min))
        << "the next tick is the end of time, not a time long ago";
}

TEST(TimerList, NeverIsNever) {
    FakeClock clock;
    kit::TimerList timers([&clock] { return clock.now; });
    int runs = 0;
    timers.after(Clock::duration::max(), [&runs] { ++runs; });
    timers.every(Clock::duration::max(), [&runs] { ++runs; });
    EXPECT_GT(timers.time_to_next(clock.now), kCentury);
    timers.dispatch(clock.now + kCentury);
    EXPECT_EQ(runs, 0);
}

TEST(TimerQueueDeathTest, APeriodOfZeroIsMisuse) {
    TimerQueue timers;
    EXPECT_DEATH(timers.every(0ms, [] {}), "every\\(\\) needs a period of more than zero");
}

}  // namespace
