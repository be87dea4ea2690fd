// kqueue(2), as the man page describes it, for the subset the kit uses.
//
// Written against <sys/event.h> only: on Linux these tests check the kit's
// emulation (src/kqueue_emulation/), on macOS and the BSDs the same tests
// run against the real kqueue, which keeps the emulation honest.
#include <sys/event.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "kit/unique_fd.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

namespace {

using Fd = kit::UniqueFd;

struct Pair {
    Fd local;
    Fd peer;
};

Pair socket_pair() {
    int fds[2] = {-1, -1};
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
    ::fcntl(fds[1], F_SETFL, O_NONBLOCK);
    return {Fd(fds[0]), Fd(fds[1])};
}

void send_bytes(const Fd& fd, std::size_t count) {
    std::string bytes(count, 'x');
    ASSERT_EQ(::write(fd.get(), bytes.data(), count), static_cast<ssize_t>(count));
}

struct kevent change(int fd, int16_t filter, uint16_t flags, void* udata = nullptr) {
    struct kevent ev {};
    EV_SET(&ev, static_cast<uintptr_t>(fd), filter, flags, 0, 0, udata);
    return ev;
}

constexpr timespec kNoWait{0, 0};

class Kqueue : public ::testing::Test {
protected:
    Kqueue() : kq_(::kqueue()) { EXPECT_GE(kq_.get(), 0) << "kqueue()"; }

    // Applies the changes; every one must succeed.
    void apply(std::vector<struct kevent> changes) {
        ASSERT_EQ(::kevent(kq_.get(), changes.data(), static_cast<int>(changes.size()), nullptr, 0,
                           nullptr),
                  0)
            << "errno " << errno;
    }

    // The events ready now (up to 16), without waiting.
    std::vector<struct kevent> poll_now(const timespec* timeout = &kNoWait) {
        std::vector<struct kevent> events(16);
        int n = ::kevent(kq_.get(), nullptr, 0, events.data(), 16, timeout);
        EXPECT_GE(n, 0) << "errno " << errno;
        events.resize(static_cast<std::size_t>(std::max(n, 0)));
        return events;
    }

    Fd kq_;
};

TEST_F(Kqueue, NothingReadyMeansZeroEventsAfterTheTimeout) {
    Pair pair = socket_pair();
    apply({change(pair.local.get(), EVFILT_READ, EV_ADD)});
    timespec timeout{0, 50'000'000};  // 50 ms
    auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(poll_now(&timeout).empty());
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(45));
}

TEST_F(Kqueue, ReadReportsTheBytesAvailableInDataAndReturnsUdata) {
    Pair pair = socket_pair();
    int cookie = 42;
    apply({change(pair.local.get(), EVFILT_READ, EV_ADD, &cookie)});
    send_bytes(pair.peer, 100);
    std::vector<struct kevent> events = poll_now();
    ASSERT_EQ(events.size(), 1U);
    EXPECT_EQ(events[0].ident, static_cast<uintptr_t>(pair.local.get()));
    EXPECT_EQ(events[0].filter, EVFILT_READ);
    EXPECT_EQ(events[0].data, 100);
    EXPECT_EQ(events[0].udata, &cookie);
    EXPECT_EQ(events[0].flags & (EV_EOF | EV_ERROR), 0);
}

TEST_F(Kqueue, ReadAndWriteAreSeparateFiltersWithSeparateEvents) {
    Pair pair = socket_pair();
    apply({change(pair.local.get(), EVFILT_READ, EV_ADD),
           change(pair.local.get(), EVFILT_WRITE, EV_ADD)});
    send_bytes(pair.peer, 1);
    std::vector<struct kevent> events = poll_now();
    ASSERT_EQ(events.size(), 2U) << "one event per filter, not one per fd";
    EXPECT_NE(events[0].filter, events[1].filter);
}

TEST_F(Kqueue, TheChangelistIsAppliedBeforeWaiting) {
    Pair pair = socket_pair();
    send_bytes(pair.peer, 3);
    struct kevent add = change(pair.local.get(), EVFILT_READ, EV_ADD);
    struct kevent out {};
    ASSERT_EQ(::kevent(kq_.get(), &add, 1, &out, 1, nullptr), 1)  // NULL: would wait forever
        << "expected the new knote's event from the same call";
    EXPECT_EQ(out.data, 3);
}

TEST_F(Kqueue, LevelTriggeredByDefaultReportsAgainWhileReady) {
    Pair pair = socket_pair();
    apply({change(pair.local.get(), EVFILT_READ, EV_ADD)});
    send_bytes(pair.peer, 10);
    EXPECT_EQ(poll_now().size(), 1U);
    EXPECT_EQ(poll_now().size(), 1U) << "still readable: reported again";
    char buffer[10];
    ASSERT_EQ(::read(pair.local.get(), buffer, sizeof buffer), 10);
    EXPECT_TRUE(poll_now().empty()) << "drained: no more";
}

TEST_F(Kqueue, ClearReportsOnceUntilTheStateChanges) {
    Pair pair = socket_pair();
    apply({change(pair.local.get(), EVFILT_READ, EV_ADD | EV_CLEAR)});
    send_bytes(pair.peer, 10);
    std::vector<struct kevent> events = poll_now();
    ASSERT_EQ(events.size(), 1U);
    EXPECT_EQ(events[0].data, 10);
    EXPECT_TRUE(poll_now().empty()) << "EV_CLEAR: reset once reported, though bytes are left";
    send_bytes(pair.peer, 5);
    events = poll_now();
    ASSERT_EQ(events.size(), 1U) << "new bytes: reported again";
    EXPECT_EQ(events[0].data, 15);
}

TEST_F(Kqueue, OneshotIsDeletedAfterItsFirstEvent) {
    Pair pair = socket_pair();
    apply({change(pair.local.get(), EVFILT_READ, EV_ADD | EV_ONESHOT)});
    send_bytes(pair.peer, 1);
    EXPECT_EQ(poll_now().size(), 1U);
    send_bytes(pair.peer, 1);
    EXPECT_TRUE(poll_now().empty());
    struct kevent del = change(pair.local.get(), EVFILT_READ, EV_DELETE);
    EXPECT_EQ(::kevent(kq_.get(), &del, 1, nullptr, 0, nullptr), -1);
    EXPECT_EQ(errno, ENOENT) << "the knote is gone already";
}

TEST_F(Kqueue, DisableKeepsTheKnoteAndEnableBringsItsEventsBack) {
    Pair pair = socket_pair();
    int cookie = 7;
    apply({change(pair.local.get(), EVFILT_READ, EV_ADD, &cookie)});
    apply({change(pair.local.get(), EVFILT_READ, EV_DISABLE)});
    send_bytes(pair.peer, 1);
    EXPECT_TRUE(poll_now().empty());
    apply({change(pair.local.get(), EVFILT_READ, EV_ENABLE)});
    std::vector<struct kevent> events = poll_now();
    ASSERT_EQ(events.size(), 1U);
    EXPECT_EQ(events[0].udata, &cookie) << "the knote kept its udata while disabled";
}

TEST_F(Kqueue, AddWithDisableAddsADisabledKnote) {
    Pair pair = socket_pair();
    apply({change(pair.local.get(), EVFILT_WRITE, EV_ADD | EV_DISABLE)});
    EXPECT_TRUE(poll_now().empty());
    apply({change(pair.local.get(), EVFILT_WRITE, EV_ENABLE)});
    EXPECT_EQ(poll_now().size(), 1U);
}

TEST_F(Kqueue, AddingAgainChangesTheKnoteInsteadOfDuplicatingIt) {
    Pair pair = socket_pair();
    int first = 1;
    int second = 2;
    apply({change(pair.local.get(), EVFILT_WRITE, EV_ADD, &first)});
    apply({change(pair.local.get(), EVFILT_WRITE, EV_ADD, &second)});
    std::vector<struct kevent> events = poll_now();
    ASSERT_EQ(events.size(), 1U);
    EXPECT_EQ(events[0].udata, &second);
}

TEST_F(Kqueue, DeleteStopsTheEvents) {
    Pair pair = socket_pair();
    apply({change(pair.local.get(), EVFILT_WRITE, EV_ADD)});
    EXPECT_EQ(poll_now().size(), 1U);
    apply({change(pair.local.get(), EVFILT_WRITE, EV_DELETE)});
    EXPECT_TRUE(poll_now().empty());
}

TEST_F(Kqueue, EofIsFlaggedWithTheBytesStillToRead) {
    Pair pair = socket_pair();
    apply({change(pair.local.get(), EVFILT_READ, EV_ADD)});
    send_bytes(pair.peer, 4);
    pair.peer.reset();
    std::vector<struct kevent> events = poll_now();
    ASSERT_EQ(events.size(), 1U);
    EXPECT_NE(events[0].flags & EV_EOF, 0) << "the peer hung up";
    EXPECT_EQ(events[0].data, 4) << "and 4 bytes are still there to read";
}

TEST_F(Kqueue, AFailedChangeIsAnErrorEventWhenThereIsRoom) {
    Pair pair = socket_pair();
    std::vector<struct kevent> changes = {
        change(pair.local.get(), EVFILT_READ, EV_DELETE),  // never added: ENOENT
        change(pair.local.get(), EVFILT_WRITE, EV_ADD),    // fine
    };
    std::vector<struct kevent> out(4);
    int n = ::kevent(kq_.get(), changes.data(), 2, out.data(), 4, &kNoWait);
    ASSERT_EQ(n, 1) << "the error alone comes back, at once";
    EXPECT_NE(out[0].flags & EV_ERROR, 0);
    EXPECT_EQ(out[0].data, ENOENT);
    EXPECT_EQ(out[0].filter, EVFILT_READ);
    EXPECT_EQ(poll_now().size(), 1U) << "the change after the failed one was applied";
}

TEST_F(Kqueue, AFailedChangeWithNoRoomFailsTheCallWithErrno) {
    Fd closed(::dup(0));
    int number = closed.get();
    closed.reset();
    struct kevent add = change(number, EVFILT_READ, EV_ADD);
    EXPECT_EQ(::kevent(kq_.get(), &add, 1, nullptr, 0, nullptr), -1);
    EXPECT_EQ(errno, EBADF);
}

TEST_F(Kqueue, AnUnknownFilterIsEinval) {
    Pair pair = socket_pair();
    struct kevent bad = change(pair.local.get(), 99, EV_ADD);
    EXPECT_EQ(::kevent(kq_.get(), &bad, 1, nullptr, 0, nullptr), -1);
    EXPECT_EQ(errno, EINVAL);
}

TEST_F(Kqueue, EventsThatDoNotFitComeWithTheNextCall) {
    std::vector<Pair> pairs;
    for (int i = 0; i < 5; ++i) {
        pairs.push_back(socket_pair());
        apply({change(pairs.back().local.get(), EVFILT_WRITE, EV_ADD | EV_CLEAR)});
    }
    struct kevent out[2];
    std::vector<uintptr_t> seen;
    for (int call = 0; call < 3; ++call) {
        int n = ::kevent(kq_.get(), nullptr, 0, out, 2, &kNoWait);
        ASSERT_GE(n, 0);
        for (int i = 0; i < n; ++i) {
            seen.push_back(out[i].ident);
        }
    }
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen.size(), 5U) << "each EV_CLEAR event once, over three calls of two";
    EXPECT_EQ(std::unique(seen.begin(), seen.end()), seen.end());
}

TEST(KqueueFd, IsAnFdThatCloseEnds) {
    int kq = ::kqueue();
    ASSERT_GE(kq, 0);
    EXPECT_EQ(::close(kq), 0);
}

}  // namespace
