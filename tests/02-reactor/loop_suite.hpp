// The Loop's typed test suite: every test runs once per backend.
//
// A stage instantiates it with the backends it brings, each described by a
// small traits type (stage 2's are in loop_test.cpp):
//
//     struct Epoll {
//         static constexpr std::string_view name = "epoll";
//         static constexpr bool limited_to_fd_setsize = false;
//         static std::unique_ptr<kit::Backend> make() { return kit::make_epoll_backend(); }
//     };
//     using Backends = ::testing::Types<Epoll>;
//     INSTANTIATE_TYPED_TEST_SUITE_P(Stage3, LoopTest, Backends);
//
// The tests use socketpairs and pipes, never the network. No test can hang:
// a watchdog source fails the test and stops the loop after a few seconds.
#pragma once

#include "deadline.hpp"
#include "loop.hpp"

#include "kit/net.hpp"
#include "kit/unique_fd.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace kit {
/// How GoogleTest prints an IoEvents: {readable}, {writable}, {readable, writable} or {}.
inline void PrintTo(const IoEvents& events, std::ostream* out) {
    *out << "{" << (events.readable ? "readable" : "")
         << (events.readable && events.writable ? ", " : "") << (events.writable ? "writable" : "")
         << "}";
}
}  // namespace kit

namespace loop_suite {

using namespace std::chrono_literals;
using kit::IoEvents;

inline constexpr IoEvents kReadable{.readable = true};
inline constexpr IoEvents kWritable{.writable = true};
inline constexpr IoEvents kBoth{.readable = true, .writable = true};

/// Two connected, non-blocking Unix stream sockets.
struct SocketPair {
    kit::UniqueFd local;  ///< The end the tests watch.
    kit::UniqueFd peer;   ///< The other end.
};

inline SocketPair socket_pair() {
    int fds[2] = {-1, -1};
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0) << "socketpair()";
    SocketPair pair{kit::UniqueFd(fds[0]), kit::UniqueFd(fds[1])};
    EXPECT_TRUE(kit::set_nonblocking(pair.local.get(), true));
    EXPECT_TRUE(kit::set_nonblocking(pair.peer.get(), true));
    return pair;
}

/// One wait of @p backend with timeout 0: what is ready now.
inline std::vector<kit::ReadyFd> ready_now(kit::Backend& backend) {
    std::vector<kit::ReadyFd> ready;
    EXPECT_FALSE(backend.wait(std::chrono::milliseconds(0), ready));
    return ready;
}

inline void send_byte(const kit::UniqueFd& fd) {
    char byte = 'x';
    ASSERT_EQ(::write(fd.get(), &byte, 1), 1) << "write()";
}

/// Fails the test and stops the loop when a run goes on for too long
/// (only while something is watched: it never keeps an idle loop alive).
class Watchdog final : public kit::Source {
public:
    Watchdog(kit::Loop& loop, kit::Clock::duration limit)
        : loop_(loop), due_(kit::Clock::now() + limit) {}

    std::optional<kit::Clock::duration> time_to_next(kit::Clock::time_point now) override {
        if (fired_ || loop_.watch_count() == 0) {
            return std::nullopt;
        }
        return std::max(due_ - now, kit::Clock::duration::zero());
    }

    void dispatch(kit::Clock::time_point now) override {
        if (!fired_ && now >= due_) {
            fired_ = true;
            ADD_FAILURE() << "the loop ran for too long: a callback that should have run did not";
            loop_.stop();
        }
    }

private:
    kit::Loop& loop_;
    kit::Clock::time_point due_;
    bool fired_ = false;
};

/// The fixture: a Loop on the backend that Traits makes, with a watchdog.
template <class Traits>
class LoopTest : public ::testing::Test {
protected:
    LoopTest() : loop_(Traits::make()), watchdog_(loop_, 5s) { loop_.add_source(watchdog_); }

    kit::Loop& loop() { return loop_; }

    /// Watches @p fd; the test fails, with the backend's reason, if it cannot.
    void watch(int fd, IoEvents interest, kit::Loop::Callback callback) {
        std::error_code error = loop_.watch(fd, interest, std::move(callback));
        EXPECT_FALSE(error) << "watch(" << fd << ") on " << Traits::name << ": " << error.message();
    }

    /// Runs the loop; the run must end without an error.
    void run() { EXPECT_EQ(loop_.run(), std::error_code()) << "run() on " << Traits::name; }

    /// Stops the loop @p after from now (a run with nothing ready then ends).
    void stop_after(kit::Clock::duration after) {
        auto deadline = std::make_unique<kit::Deadline>(loop_, kit::Clock::now() + after, [] {});
        loop_.add_source(*deadline);
        deadlines_.push_back(std::move(deadline));
    }

private:
    kit::Loop loop_;
    Watchdog watchdog_;
    std::vector<std::unique_ptr<kit::Deadline>> deadlines_;
};

TYPED_TEST_SUITE_P(LoopTest);

TYPED_TEST_P(LoopTest, ReportsTheBackendsName) {
    EXPECT_EQ(this->loop().backend_name(), TypeParam::name);
}

TYPED_TEST_P(LoopTest, ReadableOnlyOnceBytesArrive) {
    SocketPair pair = socket_pair();
    std::vector<IoEvents> seen;
    int fd = pair.local.get();
    this->watch(fd, kReadable, [&](IoEvents events) {
        seen.push_back(events);
        this->loop().unwatch(fd);
    });
    this->stop_after(50ms);
    this->run();
    EXPECT_TRUE(seen.empty()) << "expected no callback while nothing was sent";

    send_byte(pair.peer);
    this->run();
    EXPECT_EQ(seen, std::vector<IoEvents>{kReadable});
}

TYPED_TEST_P(LoopTest, WritableWhileTheSendBufferHasRoom) {
    SocketPair pair = socket_pair();
    std::vector<IoEvents> seen;
    int fd = pair.local.get();
    this->watch(fd, kWritable, [&](IoEvents events) {
        seen.push_back(events);
        this->loop().unwatch(fd);
    });
    this->run();
    EXPECT_EQ(seen, std::vector<IoEvents>{kWritable});
}

TYPED_TEST_P(LoopTest, ReportsOnlyWhatTheInterestAsksFor) {
    SocketPair pair = socket_pair();
    send_byte(pair.peer);  // readable and writable now
    std::vector<IoEvents> seen;
    int fd = pair.local.get();
    this->watch(fd, kBoth, [&](IoEvents events) {
        seen.push_back(events);
        this->loop().unwatch(fd);
    });
    this->run();
    EXPECT_EQ(seen, std::vector<IoEvents>{kBoth});
}

TYPED_TEST_P(LoopTest, ModifyChangesWhatIsWaitedFor) {
    SocketPair pair = socket_pair();
    std::vector<IoEvents> seen;
    int fd = pair.local.get();
    this->watch(fd, kWritable, [&](IoEvents events) {
        seen.push_back(events);
        if (seen.size() == 1) {
            // Writable, as asked; now wait for bytes, which come a bit later.
            EXPECT_FALSE(this->loop().modify(fd, kReadable));
            send_byte(pair.peer);
        } else {
            this->loop().unwatch(fd);
        }
    });
    this->run();
    EXPECT_EQ(seen, (std::vector<IoEvents>{kWritable, kReadable}));
}

// The backend itself: modify() replaces the interest, it does not add to
// it. A socket with room to write and nothing to read, watched for
// writable and then for readable only, is not ready. A backend that kept
// the old interest would report it on every wait; the Loop would drop the
// event (it is not in the interest), so every callback would look right,
// and the loop would spin.
TYPED_TEST_P(LoopTest, ModifyReplacesTheInterestInTheBackend) {
    std::unique_ptr<kit::Backend> backend = TypeParam::make();
    SocketPair pair = socket_pair();
    int fd = pair.local.get();
    ASSERT_FALSE(backend->modify(fd, {}, kWritable));
    ASSERT_EQ(ready_now(*backend).size(), 1U) << "a fresh socket is writable";
    ASSERT_FALSE(backend->modify(fd, kWritable, kReadable));
    EXPECT_TRUE(ready_now(*backend).empty())
        << TypeParam::name << ": expected nothing ready (nothing to read, and writable is no "
        << "longer asked for): does modify() keep the old interest?";
    send_byte(pair.peer);
    std::vector<kit::ReadyFd> ready = ready_now(*backend);
    ASSERT_EQ(ready.size(), 1U);
    EXPECT_EQ(ready[0].events, kReadable);
    EXPECT_FALSE(backend->modify(fd, kReadable, {}));
}

TYPED_TEST_P(LoopTest, NoCallbackAfterUnwatch) {
    SocketPair pair = socket_pair();
    send_byte(pair.peer);
    int calls = 0;
    this->watch(pair.local.get(), kReadable, [&](IoEvents) { ++calls; });
    this->loop().unwatch(pair.local.get());
    this->stop_after(50ms);
    this->run();
    EXPECT_EQ(calls, 0) << "expected no callback for an fd unwatched before the wait";
}

// Both fds are ready in the same wait; whichever callback runs first
// unwatches the other, whose event is still in the batch: it must not run.
TYPED_TEST_P(LoopTest, UnwatchInACallbackDropsAnEventOfTheSameBatch) {
    SocketPair first = socket_pair();
    SocketPair second = socket_pair();
    send_byte(first.peer);
    send_byte(second.peer);
    std::vector<int> called;
    int a = first.local.get();
    int b = second.local.get();
    auto unwatch_both = [&](int self, int other) {
        called.push_back(self);
        this->loop().unwatch(other);
        this->loop().unwatch(self);
    };
    this->watch(a, kReadable, [&](IoEvents) { unwatch_both(a, b); });
    this->watch(b, kReadable, [&](IoEvents) { unwatch_both(b, a); });
    this->run();
    EXPECT_EQ(called.size(), 1U) << "expected one callback: the first one unwatched the other fd";
}

// As above, but the first callback also gives the other fd's number to a
// fresh socket with nothing to read, and watches that: the batch's event
// was about the old socket, and must not reach the new watch.
TYPED_TEST_P(LoopTest, AWatchMadeInACallbackGetsNoStaleEventForItsFdNumber) {
    SocketPair first = socket_pair();
    SocketPair second = socket_pair();
    SocketPair fresh = socket_pair();
    send_byte(first.peer);
    send_byte(second.peer);
    int a = first.local.get();
    int b = second.local.get();
    int old_calls = 0;
    int new_calls = 0;
    auto replace_other = [&](int self, int other) {
        ++old_calls;
        this->loop().unwatch(other);
        ASSERT_EQ(::dup2(fresh.local.get(), other), other);  // `other` is now the fresh socket
        this->watch(other, kReadable, [&](IoEvents) { ++new_calls; });
        this->loop().unwatch(self);
    };
    this->watch(a, kReadable, [&](IoEvents) { replace_other(a, b); });
    this->watch(b, kReadable, [&](IoEvents) { replace_other(b, a); });
    this->stop_after(100ms);
    this->run();
    EXPECT_EQ(old_calls, 1);
    EXPECT_EQ(new_calls, 0) << "expected no callback for the new watch: its socket had no bytes";
}

TYPED_TEST_P(LoopTest, ACallbackMayWatchNewFds) {
    SocketPair first = socket_pair();
    SocketPair second = socket_pair();
    send_byte(first.peer);
    send_byte(second.peer);
    int a = first.local.get();
    int b = second.local.get();
    std::vector<int> called;
    this->watch(a, kReadable, [&](IoEvents) {
        called.push_back(a);
        this->loop().unwatch(a);
        this->watch(b, kReadable, [&](IoEvents) {
            called.push_back(b);
            this->loop().unwatch(b);
        });
    });
    this->run();
    EXPECT_EQ(called, (std::vector<int>{a, b}));
}

TYPED_TEST_P(LoopTest, AClosedFdCanBeUnwatched) {
    SocketPair closing = socket_pair();
    SocketPair other = socket_pair();
    send_byte(closing.peer);
    int closed_calls = 0;
    this->watch(closing.local.get(), kReadable, [&](IoEvents) { ++closed_calls; });
    int fd = closing.local.get();
    closing.local.reset();     // closed while watched ...
    this->loop().unwatch(fd);  // ... and unwatched before the next wait
    send_byte(other.peer);
    int other_calls = 0;
    this->watch(other.local.get(), kReadable, [&](IoEvents) {
        ++other_calls;
        this->loop().unwatch(other.local.get());
    });
    this->run();
    EXPECT_EQ(closed_calls, 0);
    EXPECT_EQ(other_calls, 1) << "expected the loop to go on with the other fd";
}

TYPED_TEST_P(LoopTest, APeerThatClosesMakesTheSocketReadable) {
    SocketPair pair = socket_pair();
    pair.peer.reset();
    std::vector<IoEvents> seen;
    int fd = pair.local.get();
    this->watch(fd, kReadable, [&](IoEvents events) {
        seen.push_back(events);
        this->loop().unwatch(fd);
    });
    this->run();
    EXPECT_EQ(seen, std::vector<IoEvents>{kReadable});
    char byte = 0;
    EXPECT_EQ(::read(fd, &byte, 1), 0) << "expected EOF";
}

// A pipe whose writer is gone shows only a hang-up (POLLHUP without
// POLLIN, on Linux): it must still be reported as readable, or the loop
// would spin on an fd that is ready for nothing it was told about.
TYPED_TEST_P(LoopTest, AHangUpWithoutBytesIsReadable) {
    int fds[2] = {-1, -1};
    ASSERT_EQ(::pipe(fds), 0);
    kit::UniqueFd reader(fds[0]);
    kit::UniqueFd writer(fds[1]);
    writer.reset();
    std::vector<IoEvents> seen;
    this->watch(reader.get(), kReadable, [&](IoEvents events) {
        seen.push_back(events);
        this->loop().unwatch(reader.get());
    });
    this->run();
    EXPECT_EQ(seen, std::vector<IoEvents>{kReadable});
}

// Gives this process room for fds far above FD_SETSIZE, or skips.
inline bool raise_fd_limit(rlim_t wanted) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        return false;
    }
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted) {
        if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < wanted) {
            return false;
        }
        limit.rlim_cur = wanted;
        return ::setrlimit(RLIMIT_NOFILE, &limit) == 0;
    }
    return true;
}

TYPED_TEST_P(LoopTest, AnFdAboveFdSetsizeWorksOrIsRefusedClearly) {
    constexpr int kHighFd = 1500;  // FD_SETSIZE is 1024
    if (!raise_fd_limit(kHighFd + 16)) {
        GTEST_SKIP() << "cannot raise RLIMIT_NOFILE above " << kHighFd;
    }
    SocketPair pair = socket_pair();
    kit::UniqueFd high(::fcntl(pair.local.get(), F_DUPFD_CLOEXEC, kHighFd));
    ASSERT_GE(high.get(), kHighFd) << "fcntl(F_DUPFD_CLOEXEC)";
    std::vector<IoEvents> seen;
    std::error_code error = this->loop().watch(high.get(), kReadable, [&](IoEvents events) {
        seen.push_back(events);
        this->loop().unwatch(high.get());
    });
    if (TypeParam::limited_to_fd_setsize) {
        ASSERT_TRUE(error) << "expected " << TypeParam::name << " to refuse fd " << high.get();
        EXPECT_NE(error.message().find("FD_SETSIZE"), std::string::npos)
            << "expected the error to say why, got: " << error.message();
        EXPECT_EQ(this->loop().watch_count(), 0U) << "expected nothing watched after a refusal";
        return;
    }
    ASSERT_FALSE(error) << "expected " << TypeParam::name << " to watch fd " << high.get()
                        << ", got: " << error.message();
    send_byte(pair.peer);
    this->run();
    EXPECT_EQ(seen, std::vector<IoEvents>{kReadable});
}

/// Records the order of the loop's waits and a source's calls.
class RecordingSource final : public kit::Source {
public:
    RecordingSource(std::vector<std::string>& log, kit::Clock::duration wait, int times)
        : log_(log), wait_(wait), times_(times) {}

    std::optional<kit::Clock::duration> time_to_next(kit::Clock::time_point) override {
        log_.emplace_back("prepare");
        if (dispatched_ >= times_) {
            return std::nullopt;  // done: the loop may end
        }
        return wait_;
    }

    void dispatch(kit::Clock::time_point) override {
        log_.emplace_back("dispatch");
        ++dispatched_;
    }

private:
    std::vector<std::string>& log_;
    kit::Clock::duration wait_;
    int times_;
    int dispatched_ = 0;
};

TYPED_TEST_P(LoopTest, ASourceBoundsTheWaitAndDispatchesAfterEachOne) {
    std::vector<std::string> log;
    RecordingSource source(log, 30ms, 3);
    this->loop().add_source(source);
    this->loop().on_wait(
        [&](kit::Clock::time_point began, kit::Clock::time_point ended, int ready) {
            EXPECT_GE(ended - began, 25ms) << "expected the wait to last about the source's 30 ms";
            EXPECT_EQ(ready, 0);
            log.emplace_back("wait");
        });
    kit::Clock::time_point start = kit::Clock::now();
    this->run();  // nothing is watched: the source alone keeps the loop going
    EXPECT_GE(kit::Clock::now() - start, 75ms);
    std::vector<std::string> turn = {"prepare", "wait", "dispatch"};
    std::vector<std::string> expected;
    for (int i = 0; i < 3; ++i) {
        expected.insert(expected.end(), turn.begin(), turn.end());
    }
    expected.emplace_back("prepare");  // the last answer is "no limit": the run ends
    EXPECT_EQ(log, expected);
}

TYPED_TEST_P(LoopTest, StopBeforeRunReturnsAtOnce) {
    SocketPair pair = socket_pair();
    int calls = 0;
    this->watch(pair.local.get(), kWritable, [&](IoEvents) { ++calls; });
    this->loop().stop();
    this->run();
    EXPECT_EQ(calls, 0);
    this->loop().unwatch(pair.local.get());
}

REGISTER_TYPED_TEST_SUITE_P(LoopTest, ReportsTheBackendsName, ReadableOnlyOnceBytesArrive,
                            WritableWhileTheSendBufferHasRoom, ReportsOnlyWhatTheInterestAsksFor,
                            ModifyChangesWhatIsWaitedFor, ModifyReplacesTheInterestInTheBackend,
                            NoCallbackAfterUnwatch, UnwatchInACallbackDropsAnEventOfTheSameBatch,
                            AWatchMadeInACallbackGetsNoStaleEventForItsFdNumber,
                            ACallbackMayWatchNewFds, AClosedFdCanBeUnwatched,
                            APeerThatClosesMakesTheSocketReadable, AHangUpWithoutBytesIsReadable,
                            AnFdAboveFdSetsizeWorksOrIsRefusedClearly,
                            ASourceBoundsTheWaitAndDispatchesAfterEachOne,
                            StopBeforeRunReturnsAtOnce);

}  // namespace loop_suite
