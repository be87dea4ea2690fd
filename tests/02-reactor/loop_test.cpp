// Stage 2's unit tests: the Loop's typed suite (loop_suite.hpp) on the
// select and poll backends, then what is not about one backend: the
// factory, select's own error, and the loop-thread contract.
#include "loop_suite.hpp"

#include "backends.hpp"
#include "poll_backend.hpp"
#include "select_backend.hpp"

#include <sys/select.h>

#include <thread>

// The backends of stage 2, as the typed suite wants them (test names end
// in <stage2::Select> and <stage2::Poll>).
namespace stage2 {

struct Select {
    static constexpr std::string_view name = "select";
    static constexpr bool limited_to_fd_setsize = true;
    static std::unique_ptr<kit::Backend> make() { return kit::make_select_backend(); }
};

struct Poll {
    static constexpr std::string_view name = "poll";
    static constexpr bool limited_to_fd_setsize = false;
    static std::unique_ptr<kit::Backend> make() { return kit::make_poll_backend(); }
};

using Backends = ::testing::Types<Select, Poll>;

}  // namespace stage2

namespace loop_suite {
INSTANTIATE_TYPED_TEST_SUITE_P(Stage2, LoopTest, stage2::Backends);
}  // namespace loop_suite

namespace {

TEST(BackendFactory, MakesEachBackendByName) {
    for (std::string_view name : {"select", "poll"}) {
        std::string error;
        std::unique_ptr<kit::Backend> backend =
            kit::make_backend(name, kit::stage2_backends(), error);
        ASSERT_NE(backend, nullptr) << name << ": " << error;
        EXPECT_EQ(backend->name(), name);
    }
}

TEST(BackendFactory, AnUnknownNameIsAnErrorListingTheKnownOnes) {
    std::string error;
    EXPECT_EQ(kit::make_backend("epool", kit::stage2_backends(), error), nullptr);
    EXPECT_NE(error.find("unknown backend 'epool'"), std::string::npos) << error;
    EXPECT_NE(error.find("select"), std::string::npos) << error;
    EXPECT_NE(error.find("poll"), std::string::npos) << error;
}

TEST(BackendFactory, ALaterStageAppendsItsOwnMakers) {
    std::vector<kit::BackendMaker> makers = kit::stage2_backends();
    makers.push_back({"broken", [](std::error_code& error) -> std::unique_ptr<kit::Backend> {
                          error = std::make_error_code(std::errc::too_many_files_open);
                          return nullptr;
                      }});
    EXPECT_EQ(kit::backend_names(makers), (std::vector<std::string>{"select", "poll", "broken"}));
    std::string error;
    EXPECT_EQ(kit::make_backend("broken", makers, error), nullptr);
    EXPECT_NE(error.find("'broken' is unavailable here"), std::string::npos) << error;
}

TEST(SelectBackend, RefusesAnFdNotBelowFdSetsizeWithItsOwnError) {
    std::unique_ptr<kit::Backend> backend = kit::make_select_backend();
    std::error_code error = backend->modify(FD_SETSIZE, {}, loop_suite::kReadable);
    EXPECT_EQ(error, kit::SelectError::fd_not_below_fd_setsize);
    EXPECT_STREQ(error.category().name(), "select");
    EXPECT_NE(error.message().find("FD_SETSIZE"), std::string::npos) << error.message();
}

// A closed fd left watched is an error on the wait, never a silent spin:
// select() fails with EBADF, and poll() answers POLLNVAL for it at once on
// every call, which the poll backend must turn into the same EBADF.
TEST(SelectAndPollBackends, AClosedFdStillWatchedFailsTheWait) {
    for (auto make : {kit::make_select_backend, kit::make_poll_backend}) {
        std::unique_ptr<kit::Backend> backend = make();
        loop_suite::SocketPair pair = loop_suite::socket_pair();
        int fd = pair.local.get();
        ASSERT_FALSE(backend->modify(fd, {}, loop_suite::kReadable));
        pair.local.reset();  // closed, and still watched
        std::vector<kit::ReadyFd> ready;
        EXPECT_EQ(backend->wait(std::chrono::milliseconds(100), ready),
                  std::errc::bad_file_descriptor)
            << backend->name() << ": expected EBADF for a closed fd left watched";
        EXPECT_TRUE(ready.empty());
        EXPECT_FALSE(backend->modify(fd, loop_suite::kReadable, {}));
    }
}

// The ends of time: a deadline at Clock::time_point::min() is due now, one
// at time_point::max() practically never. With a plain `due - now` both
// overflow (UBSan reports it), and the first makes the loop sleep 292 years.
TEST(Deadline, LongAgoIsNowAndTheEndOfTimeIsNever) {
    using kit::Clock;
    kit::Loop loop(kit::make_select_backend());
    bool fired = false;
    kit::Deadline long_ago(loop, Clock::time_point::min(), [&fired] { fired = true; });
    kit::Deadline never(loop, Clock::time_point::max(), [] {});
    ASSERT_EQ(long_ago.time_to_next(Clock::now()), Clock::duration::zero());
    ASSERT_GT(never.time_to_next(Clock::now()), std::chrono::hours(24 * 365 * 100));
    loop.add_source(never);
    loop.add_source(long_ago);
    EXPECT_FALSE(loop.run());
    EXPECT_TRUE(fired) << "the deadline long ago fires on the first turn, and stops the loop";
    EXPECT_FALSE(never.fired());
}

TEST(LoopThreadDeathTest, ACallFromAnotherThreadAborts) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_DEATH(
        {
            kit::Loop loop(kit::make_poll_backend());
            std::thread other([&loop] { loop.stop(); });
            other.join();
        },
        "Loop::stop\\(\\) called from a thread that is not the loop's thread");
}

}  // namespace
