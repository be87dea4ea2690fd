// Stage 3's unit tests: the Loop's typed suite (tests/02-reactor/
// loop_suite.hpp) on epoll, level- and edge-triggered, then the traps the
// epoll backend's file opens with, each shown on real fds: leftover bytes
// under EPOLLET, a hang-up or error with no interest in it, and a closed
// fd that a dup() keeps in the set.
#include "loop_suite.hpp"

#include "epoll_backend.hpp"
#include "stage3_backends.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>

namespace stage3 {

std::unique_ptr<kit::Backend> make(kit::Trigger trigger) {
    std::error_code error;
    std::unique_ptr<kit::Backend> backend = kit::make_epoll_backend(trigger, error);
    EXPECT_NE(backend, nullptr) << "make_epoll_backend(): " << error.message();
    return backend;
}

struct Epoll {
    static constexpr std::string_view name = "epoll";
    static constexpr bool limited_to_fd_setsize = false;
    static std::unique_ptr<kit::Backend> make() { return stage3::make(kit::Trigger::level); }
};

struct EpollEt {
    static constexpr std::string_view name = "epoll-et";
    static constexpr bool limited_to_fd_setsize = false;
    static std::unique_ptr<kit::Backend> make() { return stage3::make(kit::Trigger::edge); }
};

using Backends = ::testing::Types<Epoll, EpollEt>;

}  // namespace stage3

namespace loop_suite {
INSTANTIATE_TYPED_TEST_SUITE_P(Stage3, LoopTest, stage3::Backends);
}  // namespace loop_suite

namespace {

using namespace std::chrono_literals;
using loop_suite::kBoth;
using loop_suite::kReadable;
using loop_suite::kWritable;
using loop_suite::ready_now;
using loop_suite::socket_pair;

void send_bytes(const kit::UniqueFd& fd, std::size_t count) {
    std::string bytes(count, 'x');
    ASSERT_EQ(::write(fd.get(), bytes.data(), bytes.size()), static_cast<ssize_t>(count));
}

void read_bytes(int fd, std::size_t count) {
    std::string buffer(count, '\0');
    ASSERT_EQ(::read(fd, buffer.data(), count), static_cast<ssize_t>(count));
}

TEST(EpollFactory, Stage3ListsStage2sBackendsThenEpoll) {
    EXPECT_EQ(kit::backend_names(kit::stage3_backends()),
              (std::vector<std::string>{"select", "poll", "epoll", "epoll-et"}));
    for (std::string_view name : {"epoll", "epoll-et"}) {
        std::string error;
        std::unique_ptr<kit::Backend> backend =
            kit::make_backend(name, kit::stage3_backends(), error);
        ASSERT_NE(backend, nullptr) << error;
        EXPECT_EQ(backend->name(), name);
    }
    EXPECT_TRUE(kit::reads_for_backend("epoll-et")) << "epoll-et must drain";
    EXPECT_FALSE(kit::reads_for_backend("epoll")) << "level-triggered epoll reads once";
}

// The ET trap: bytes left behind are not reported again until new ones
// arrive. Level-triggered reports them on every wait.
TEST(EpollTrap, EdgeTriggeredDoesNotReportBytesLeftBehind) {
    for (kit::Trigger trigger : {kit::Trigger::level, kit::Trigger::edge}) {
        std::unique_ptr<kit::Backend> backend = stage3::make(trigger);
        loop_suite::SocketPair pair = socket_pair();
        int fd = pair.local.get();
        ASSERT_FALSE(backend->modify(fd, {}, kReadable));
        send_bytes(pair.peer, 100);
        ASSERT_EQ(ready_now(*backend).size(), 1U) << backend->name();
        read_bytes(fd, 1);  // 99 bytes left
        std::size_t again = ready_now(*backend).size();
        if (trigger == kit::Trigger::level) {
            EXPECT_EQ(again, 1U) << "level-triggered: still readable, so reported again";
        } else {
            EXPECT_EQ(again, 0U) << "edge-triggered: no new bytes, no new report";
            send_bytes(pair.peer, 1);
            EXPECT_EQ(ready_now(*backend).size(), 1U) << "a new byte is a new edge";
        }
    }
}

// The same trap on a Loop: a callback that reads once per call (as the
// fetch Connection does) starves its own connection under ET, while it
// gets every byte under LT. Draining until EAGAIN is the fix.
TEST(EpollTrap, UnderEdgeTriggerAReadOnceCallbackStarvesAndADrainingOneDoesNot) {
    constexpr std::size_t kSent = 64UL * 1024;
    constexpr std::size_t kChunk = 4UL * 1024;
    struct Case {
        kit::Trigger trigger;
        bool drain;
        bool expect_all;
    };
    for (Case c : {Case{kit::Trigger::level, false, true}, Case{kit::Trigger::edge, false, false},
                   Case{kit::Trigger::edge, true, true}}) {
        kit::Loop loop(stage3::make(c.trigger));
        loop_suite::SocketPair pair = socket_pair();
        send_bytes(pair.peer, kSent);
        int fd = pair.local.get();
        std::size_t received = 0;
        ASSERT_FALSE(loop.watch(fd, kReadable, [&](kit::IoEvents) {
            std::string buffer(kChunk, '\0');
            ssize_t n = 0;
            do {
                n = ::read(fd, buffer.data(), buffer.size());
                received += n > 0 ? static_cast<std::size_t>(n) : 0;
            } while (c.drain && n > 0);
            if (received == kSent) {
                loop.unwatch(fd);
            }
        }));
        kit::Deadline give_up(loop, kit::Clock::now() + 100ms, [&] {
            if (loop.watch_count() > 0) {
                loop.unwatch(fd);
            }
        });
        loop.add_source(give_up);
        EXPECT_FALSE(loop.run());
        loop.remove_source(give_up);
        if (c.expect_all) {
            EXPECT_EQ(received, kSent) << loop.backend_name() << (c.drain ? ", draining" : "");
        } else {
            EXPECT_EQ(received, kChunk)
                << loop.backend_name() << ": expected one read, then no report of the rest";
        }
    }
}

// EPOLLHUP and EPOLLERR come without being asked for: reported as
// readable and writable, whatever the interest.
TEST(EpollTrap, HangUpAndErrorAreReportedWhateverTheInterest) {
    std::unique_ptr<kit::Backend> backend = stage3::make(kit::Trigger::level);
    int fds[2] = {-1, -1};
    ASSERT_EQ(::pipe2(fds, O_NONBLOCK), 0);
    kit::UniqueFd reader(fds[0]);
    kit::UniqueFd writer(fds[1]);
    ASSERT_FALSE(backend->modify(reader.get(), {}, kWritable));  // a reader never is
    writer.reset();                                              // EPOLLHUP on the reader
    std::vector<kit::ReadyFd> ready = ready_now(*backend);
    ASSERT_EQ(ready.size(), 1U);
    EXPECT_EQ(ready[0].events, kBoth);

    ASSERT_EQ(::pipe2(fds, O_NONBLOCK), 0);
    kit::UniqueFd reader2(fds[0]);
    kit::UniqueFd writer2(fds[1]);
    EXPECT_FALSE(backend->modify(reader.get(), kWritable, {}));
    ASSERT_FALSE(backend->modify(writer2.get(), {}, kReadable));  // a writer never is
    reader2.reset();                                              // EPOLLERR on the writer
    ready = ready_now(*backend);
    ASSERT_EQ(ready.size(), 1U);
    EXPECT_EQ(ready[0].fd, writer2.get());
    EXPECT_EQ(ready[0].events, kBoth);
}

// The set holds the open file, not the number: a dup() keeps the
// registration alive after close(fd), events keep coming under the old
// number, and removing by that number cannot reach it.
TEST(EpollTrap, ADupKeepsAClosedFdInTheSet) {
    std::unique_ptr<kit::Backend> backend = stage3::make(kit::Trigger::level);
    loop_suite::SocketPair pair = socket_pair();
    int fd = pair.local.get();
    ASSERT_FALSE(backend->modify(fd, {}, kReadable));
    kit::UniqueFd keeper(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
    ASSERT_TRUE(keeper);
    pair.local.reset();  // closed, but `keeper` still refers to the socket
    EXPECT_FALSE(backend->modify(fd, kReadable, {}))
        << "removing a closed fd must count as done (EBADF)";
    send_bytes(pair.peer, 1);
    std::vector<kit::ReadyFd> ready = ready_now(*backend);
    ASSERT_EQ(ready.size(), 1U) << "expected the ghost registration to be reported";
    EXPECT_EQ(ready[0].fd, fd) << "under the number that is closed now";

    // Without the dup, close() takes the registration with it: a socket
    // watched for writable (ready at once) is reported no more.
    std::unique_ptr<kit::Backend> clean = stage3::make(kit::Trigger::level);
    loop_suite::SocketPair other = socket_pair();
    int other_fd = other.local.get();
    ASSERT_FALSE(clean->modify(other_fd, {}, kWritable));
    ASSERT_EQ(ready_now(*clean).size(), 1U);
    other.local.reset();
    EXPECT_TRUE(ready_now(*clean).empty());
    EXPECT_FALSE(clean->modify(other_fd, kWritable, {}));
}

// epoll_ctl() says no, and the backend passes it on: epoll refuses a
// regular file (EPERM), so a watch() of one is an error and nothing is
// watched; a change of an fd the kernel does not hold is ENOENT.
TEST(EpollBackend, WhatEpollRefusesIsAnError) {
    for (kit::Trigger trigger : {kit::Trigger::level, kit::Trigger::edge}) {
        kit::Loop loop(stage3::make(trigger));
        std::FILE* file = std::tmpfile();
        ASSERT_NE(file, nullptr);
        std::error_code error = loop.watch(::fileno(file), kReadable, [](kit::IoEvents) {});
        EXPECT_EQ(error, std::errc::operation_not_permitted)
            << loop.backend_name() << ": expected watch() of a regular file to fail with EPERM";
        EXPECT_EQ(loop.watch_count(), 0U);
        std::fclose(file);

        std::unique_ptr<kit::Backend> backend = stage3::make(trigger);
        loop_suite::SocketPair pair = socket_pair();
        EXPECT_EQ(backend->modify(pair.local.get(), kReadable, kWritable),
                  std::errc::no_such_file_or_directory)
            << backend->name() << ": expected a change of an fd never added to fail with ENOENT";
    }
}

// A wait whose buffer came back full gets a bigger one (64, 128, 256, ...):
// 200 ready fds come in three waits, not in one wait per 64 for ever.
TEST(EpollBackend, AFullEventBufferGrows) {
    std::unique_ptr<kit::Backend> backend = stage3::make(kit::Trigger::level);
    std::vector<loop_suite::SocketPair> pairs;
    for (int i = 0; i < 200; ++i) {
        pairs.push_back(socket_pair());
        ASSERT_FALSE(backend->modify(pairs.back().local.get(), {}, kWritable));
    }
    std::vector<std::size_t> sizes;
    for (int turn = 0; turn < 4; ++turn) {
        sizes.push_back(ready_now(*backend).size());
    }
    EXPECT_EQ(*std::max_element(sizes.begin(), sizes.end()), pairs.size())
        << "expected all 200 ready fds in one of the first 4 waits; got waits of "
        << ::testing::PrintToString(sizes) << ": does the buffer grow when a wait fills it?";
}

TEST(EpollBackend, ManyReadyFdsAreAllReportedAcrossWaits) {
    std::unique_ptr<kit::Backend> backend = stage3::make(kit::Trigger::level);
    std::vector<loop_suite::SocketPair> pairs;
    for (int i = 0; i < 200; ++i) {  // more than the first batch of 64
        pairs.push_back(socket_pair());
        ASSERT_FALSE(backend->modify(pairs.back().local.get(), {}, kWritable));
    }
    std::set<int> seen;
    for (int turn = 0; turn < 8 && seen.size() < pairs.size(); ++turn) {
        for (const kit::ReadyFd& ready : ready_now(*backend)) {
            seen.insert(ready.fd);
        }
    }
    EXPECT_EQ(seen.size(), pairs.size());
}

}  // namespace
