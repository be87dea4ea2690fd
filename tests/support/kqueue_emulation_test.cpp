// kqueue(2), as the man page describes it, for the subset the kit uses.
//
// Written against <sys/event.h> only: on Linux these tests check the kit's
// emulation (src/kqueue_emulation/), on macOS and the BSDs the same tests
// run against the real kqueue, which keeps the emulation honest.
#include <sys/event.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "kit/unique_fd.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <limits>
#include <string>
#include <thread>
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

// A change to the EVFILT_USER knote `ident`, with its fflags.
struct kevent user(uintptr_t ident, uint16_t flags, uint32_t fflags, void* udata = nullptr) {
    struct kevent ev {};
    EV_SET(&ev, ident, EVFILT_USER, flags, fflags, 0, udata);
    return ev;
}

// Closes fd and puts a new socket at its number (as the next socket() would).
Fd reuse_number(Fd& fd, const Fd& other_file) {
    int number = fd.get();
    fd.reset();
    EXPECT_EQ(::dup2(other_file.get(), number), number);
    return Fd(number);
}

// The one change's errno (0: applied), with no eventlist.
int change_error(int kq, struct kevent one) {
    return ::kevent(kq, &one, 1, nullptr, 0, nullptr) == 0 ? 0 : errno;
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
    // Every change sets udata (FreeBSD's and macOS's kqueue_register), so pass it again.
    apply({change(pair.local.get(), EVFILT_READ, EV_DISABLE, &cookie)});
    send_bytes(pair.peer, 1);
    EXPECT_TRUE(poll_now().empty());
    apply({change(pair.local.get(), EVFILT_READ, EV_ENABLE, &cookie)});
    std::vector<struct kevent> events = poll_now();
    ASSERT_EQ(events.size(), 1U);
    EXPECT_EQ(events[0].udata, &cookie) << "the knote was kept while disabled";
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

// EV_ADD on a knote that exists changes its udata, not its mode or its
// enabled state: only EV_ENABLE enables (FreeBSD's kqueue_register).
TEST_F(Kqueue, AddingAgainKeepsADisabledKnoteDisabled) {
    Pair pair = socket_pair();
    apply({change(pair.local.get(), EVFILT_WRITE, EV_ADD | EV_DISABLE)});
    apply({change(pair.local.get(), EVFILT_WRITE, EV_ADD)});
    EXPECT_TRUE(poll_now().empty()) << "EV_ADD is not EV_ENABLE";
    apply({change(pair.local.get(), EVFILT_WRITE, EV_ENABLE)});
    EXPECT_EQ(poll_now().size(), 1U);
}

TEST_F(Kqueue, AddingAgainKeepsTheKnotesMode) {
    Pair pair = socket_pair();
    apply({change(pair.local.get(), EVFILT_READ, EV_ADD)});
    apply({change(pair.local.get(), EVFILT_READ, EV_ADD | EV_CLEAR)});  // EV_CLEAR is ignored
    send_bytes(pair.peer, 1);
    EXPECT_EQ(poll_now().size(), 1U);
    EXPECT_EQ(poll_now().size(), 1U) << "still level-triggered: reported again while readable";
}

// EV_CLEAR on the write filter reports a change of the *write* side only.
TEST_F(Kqueue, AClearWriteKnoteIsNotReportedAgainWhenBytesArrive) {
    Pair pair = socket_pair();
    apply({change(pair.local.get(), EVFILT_READ, EV_ADD | EV_CLEAR),
           change(pair.local.get(), EVFILT_WRITE, EV_ADD | EV_CLEAR)});
    std::vector<struct kevent> events = poll_now();
    ASSERT_EQ(events.size(), 1U);
    EXPECT_EQ(events[0].filter, EVFILT_WRITE);
    send_bytes(pair.peer, 10);
    events = poll_now();
    ASSERT_EQ(events.size(), 1U) << "bytes to read change nothing for the write filter";
    EXPECT_EQ(events[0].filter, EVFILT_READ);
}

// kqueue(2): "Calling close() on a file descriptor will remove any kevents
// that reference the descriptor." A new file that gets the same number
// starts with no knotes.
TEST_F(Kqueue, AClosedFdsKnotesDoNotPassToTheNextFileWithItsNumber) {
    Pair first = socket_pair();
    Pair second = socket_pair();
    int old_cookie = 1;
    int new_cookie = 2;
    apply({change(first.local.get(), EVFILT_READ, EV_ADD, &old_cookie),
           change(first.local.get(), EVFILT_WRITE, EV_ADD, &old_cookie)});
    Fd reused = reuse_number(first.local, second.local);
    apply({change(reused.get(), EVFILT_READ, EV_ADD, &new_cookie)});
    EXPECT_TRUE(poll_now().empty()) << "the old file's WRITE knote must be gone";
    EXPECT_EQ(change_error(kq_.get(), change(reused.get(), EVFILT_WRITE, EV_DELETE)), ENOENT);
    send_bytes(second.peer, 1);
    std::vector<struct kevent> events = poll_now();
    ASSERT_EQ(events.size(), 1U);
    EXPECT_EQ(events[0].udata, &new_cookie);
}

TEST_F(Kqueue, AReportedLevelKnoteIsNotReportedForTheNextFileWithItsNumber) {
    Pair first = socket_pair();
    Pair second = socket_pair();
    apply({change(first.local.get(), EVFILT_WRITE, EV_ADD)});
    EXPECT_EQ(poll_now().size(), 1U);
    Fd reused = reuse_number(first.local, second.local);  // writable, never registered
    EXPECT_TRUE(poll_now().empty());
    EXPECT_TRUE(poll_now().empty());
}

// EV_EOF depends on the filter: on EVFILT_READ the peer shut its write
// side (Linux's EPOLLRDHUP); the socket can still be written.
TEST_F(Kqueue, EofOnReadMeansThePeerStoppedSendingNotThatWritingFails) {
    Pair pair = socket_pair();
    apply({change(pair.local.get(), EVFILT_READ, EV_ADD),
           change(pair.local.get(), EVFILT_WRITE, EV_ADD)});
    ASSERT_EQ(::shutdown(pair.peer.get(), SHUT_WR), 0);
    std::vector<struct kevent> events = poll_now();
    ASSERT_EQ(events.size(), 2U);
    for (const struct kevent& event : events) {
        if (event.filter == EVFILT_READ) {
            EXPECT_NE(event.flags & EV_EOF, 0) << "the peer will send no more";
        } else {
            EXPECT_EQ(event.flags & EV_EOF, 0) << "but it still reads what we write";
        }
    }
}

// macOS refuses a timeout above 1e8 seconds (EINVAL); the emulation does
// the same, so a program tested on Linux does not fail there.
TEST_F(Kqueue, ATimeoutAboveOneHundredMillionSecondsIsEinval) {
    Pair pair = socket_pair();
    apply({change(pair.local.get(), EVFILT_WRITE, EV_ADD)});  // ready: no wait either way
    struct kevent out {};
    timespec at_limit{100'000'000, 0};
    EXPECT_EQ(::kevent(kq_.get(), nullptr, 0, &out, 1, &at_limit), 1);
    timespec beyond{100'000'001, 0};
    EXPECT_EQ(::kevent(kq_.get(), nullptr, 0, &out, 1, &beyond), -1);
    EXPECT_EQ(errno, EINVAL);
    timespec huge{std::numeric_limits<time_t>::max(), 999'999'999};
    EXPECT_EQ(::kevent(kq_.get(), nullptr, 0, &out, 1, &huge), -1);
    EXPECT_EQ(errno, EINVAL);
}

// kqueue(2): "The queue is not inherited by a child created with fork(2)."
TEST_F(Kqueue, AChildCreatedWithForkDoesNotInheritTheQueue) {
    Pair pair = socket_pair();
    apply({change(pair.local.get(), EVFILT_WRITE, EV_ADD)});
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        struct kevent out {};
        bool gone = ::kevent(kq_.get(), nullptr, 0, &out, 1, &kNoWait) == -1 && errno == EBADF &&
                    ::fcntl(kq_.get(), F_GETFD) == -1;
        ::_exit(gone ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "the child could still use the parent's kqueue";
    EXPECT_EQ(poll_now().size(), 1U) << "the parent's queue is untouched";
}

// EVFILT_USER, from kqueue(2): "a user event identified by ident which is
// not associated with any kernel mechanism but is triggered by user level
// code"; NOTE_TRIGGER triggers it, the lower 24 bits of fflags are the
// user's (NOTE_FFNOP, NOTE_FFAND, NOTE_FFOR, NOTE_FFCOPY).
TEST_F(Kqueue, AUserEventIsReportedOnceTriggered) {
    int cookie = 5;
    apply({user(1, EV_ADD | EV_CLEAR, 0, &cookie)});
    EXPECT_TRUE(poll_now().empty()) << "not triggered yet";
    apply({user(1, 0, NOTE_TRIGGER, &cookie)});
    std::vector<struct kevent> events = poll_now();
    ASSERT_EQ(events.size(), 1U);
    EXPECT_EQ(events[0].ident, 1U);
    EXPECT_EQ(events[0].filter, EVFILT_USER);
    EXPECT_EQ(events[0].udata, &cookie);
    EXPECT_TRUE(poll_now().empty()) << "EV_CLEAR: reset once retrieved";
    apply({user(1, 0, NOTE_TRIGGER, &cookie)});
    EXPECT_EQ(poll_now().size(), 1U) << "and it can be triggered again";
}

TEST_F(Kqueue, AUserEventWithoutClearStaysTriggered) {
    apply({user(2, EV_ADD, 0)});
    apply({user(2, 0, NOTE_TRIGGER)});
    EXPECT_EQ(poll_now().size(), 1U);
    EXPECT_EQ(poll_now().size(), 1U) << "no EV_CLEAR: its state is not reset";
}

TEST_F(Kqueue, AUserEventsFflagsFollowTheControlBits) {
    apply({user(3, EV_ADD | EV_CLEAR, 0)});
    auto trigger = [&](uint32_t fflags) {
        apply({user(3, 0, NOTE_TRIGGER | fflags)});
        std::vector<struct kevent> events = poll_now();
        EXPECT_EQ(events.size(), 1U);
        return events.empty() ? 0xdeadU : events[0].fflags & NOTE_FFLAGSMASK;
    };
    EXPECT_EQ(trigger(NOTE_FFCOPY | 0x11), 0x11U);
    EXPECT_EQ(trigger(NOTE_FFOR | 0x100), 0x111U);
    EXPECT_EQ(trigger(NOTE_FFAND | 0x101), 0x101U);
    EXPECT_EQ(trigger(NOTE_FFNOP | 0xfff), 0x101U) << "NOTE_FFNOP ignores the input fflags";
}

TEST_F(Kqueue, ADisabledUserEventWaitsForEnable) {
    apply({user(4, EV_ADD | EV_CLEAR | EV_DISABLE, 0)});
    apply({user(4, 0, NOTE_TRIGGER)});
    EXPECT_TRUE(poll_now().empty());
    apply({user(4, EV_ENABLE, 0)});
    EXPECT_EQ(poll_now().size(), 1U) << "still triggered when enabled";
}

TEST_F(Kqueue, AOneshotUserEventIsDeletedAfterItsEvent) {
    apply({user(5, EV_ADD | EV_ONESHOT, 0)});
    apply({user(5, 0, NOTE_TRIGGER)});
    EXPECT_EQ(poll_now().size(), 1U);
    EXPECT_EQ(change_error(kq_.get(), user(5, 0, NOTE_TRIGGER)), ENOENT);
}

TEST_F(Kqueue, TriggeringAUserEventThatWasNeverAddedIsEnoent) {
    EXPECT_EQ(change_error(kq_.get(), user(6, 0, NOTE_TRIGGER)), ENOENT);
    apply({user(6, EV_ADD, 0)});
    apply({user(6, EV_DELETE, 0)});
    EXPECT_EQ(change_error(kq_.get(), user(6, 0, NOTE_TRIGGER)), ENOENT) << "deleted";
}

// A kqueue is an fd that poll() reports readable while it holds an event:
// so a loop can wait on it, and a trigger wakes that wait too.
TEST_F(Kqueue, ATriggeredUserEventMakesTheKqueueFdReadable) {
    pollfd p{.fd = kq_.get(), .events = POLLIN, .revents = 0};
    apply({user(7, EV_ADD | EV_CLEAR, 0)});
    EXPECT_EQ(::poll(&p, 1, 0), 0);
    apply({user(7, 0, NOTE_TRIGGER)});
    EXPECT_EQ(::poll(&p, 1, 0), 1);
    EXPECT_EQ(poll_now().size(), 1U);
    EXPECT_EQ(::poll(&p, 1, 0), 0) << "retrieved: nothing left";
}

// The reason EVFILT_USER exists: another thread wakes a kevent() that
// waits (libuv's and the kit's stage 6 wake-up on kqueue). Run under TSan.
TEST_F(Kqueue, ATriggerFromAnotherThreadWakesAWaitingKevent) {
    apply({user(8, EV_ADD | EV_CLEAR, 0)});
    auto start = std::chrono::steady_clock::now();
    std::thread other([kq = kq_.get()] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        struct kevent trigger = user(8, 0, NOTE_TRIGGER);
        EXPECT_EQ(::kevent(kq, &trigger, 1, nullptr, 0, nullptr), 0);
    });
    timespec ten_seconds{10, 0};
    std::vector<struct kevent> events = poll_now(&ten_seconds);
    other.join();
    ASSERT_EQ(events.size(), 1U);
    EXPECT_EQ(events[0].ident, 8U);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5))
        << "woken by the trigger, not by the timeout";
}

// The fds open now, among the first 4096.
int open_fds() {
    int count = 0;
    for (int fd = 0; fd < 4096; ++fd) {
        count += ::fcntl(fd, F_GETFD) != -1 ? 1 : 0;
    }
    return count;
}

// A queue may hold more than its own fd (the emulation's helpers); closing
// it must not leave them piling up, queue after queue.
TEST(KqueueFd, ClosedQueuesDoNotPileUpFds) {
    int before = open_fds();
    for (int i = 0; i < 100; ++i) {
        Fd kq(::kqueue());
        ASSERT_TRUE(kq);
        struct kevent add = user(1, EV_ADD, 0);
        ASSERT_EQ(::kevent(kq.get(), &add, 1, nullptr, 0, nullptr), 0);
    }
    EXPECT_LE(open_fds() - before, 3) << "at most one closed queue's helpers may wait";
}

TEST(KqueueFd, IsAnFdThatCloseEnds) {
    int kq = ::kqueue();
    ASSERT_GE(kq, 0);
    ASSERT_EQ(::close(kq), 0);
    EXPECT_EQ(::fcntl(kq, F_GETFD), -1) << "the number is free";
    // (The socketpair below may well get the queue's old number.)
    struct kevent out {};
    EXPECT_EQ(::kevent(kq, nullptr, 0, &out, 1, &kNoWait), -1);
    EXPECT_EQ(errno, EBADF) << "a closed queue cannot be waited on";
    Pair pair = socket_pair();
    struct kevent add = change(pair.local.get(), EVFILT_READ, EV_ADD);
    EXPECT_EQ(::kevent(kq, &add, 1, nullptr, 0, nullptr), -1);
    EXPECT_EQ(errno, EBADF) << "nor changed";
}

}  // namespace
