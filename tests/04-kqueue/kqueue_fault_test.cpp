// Stage 4's kqueue backend, watched through its kevent() calls: on Linux
// the link wraps the emulation's kevent() (-Wl,--wrap=kevent), and this
// file's __wrap_kevent() counts the calls and can inject an EV_ERROR event.
// - Batching: the changes of fds that stay watched ride on the next
//   wait's one kevent() call, not one call each; a removal goes in at
//   once and takes the fd's pending changes along (the fd may be closed
//   right after).
// - An EV_ERROR event in a wait (a pending change that failed) fails the
//   wait, and the next one must be whole (the merge table left clean).
#include "kqueue_backend.hpp"

#include "kit/unique_fd.hpp"

#include <sys/event.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <vector>

// NOLINTBEGIN(bugprone-reserved-identifier,readability-identifier-naming): the linker's names
extern "C" int __real_kevent(int kq, const struct kevent* changelist, int nchanges,
                             struct kevent* eventlist, int nevents, const struct timespec* timeout);

namespace {
bool inject_error = false;  // the next wait gets an EV_ERROR event after its real ones
int calls = 0;              // kevent() calls so far
}  // namespace

extern "C" int __wrap_kevent(int kq, const struct kevent* changelist, int nchanges,
                             struct kevent* eventlist, int nevents,
                             const struct timespec* timeout) {
    ++calls;
    int count = __real_kevent(kq, changelist, nchanges, eventlist, nevents, timeout);
    if (inject_error && count >= 0 && count < nevents) {
        inject_error = false;
        EV_SET(&eventlist[count], 0, EVFILT_READ, EV_ERROR, 0, EIO, nullptr);
        return count + 1;
    }
    return count;
}
// NOLINTEND(bugprone-reserved-identifier,readability-identifier-naming)

namespace {

constexpr kit::IoEvents kReadable{.readable = true};
constexpr kit::IoEvents kWritable{.writable = true};

struct Pair {
    kit::UniqueFd local;
    kit::UniqueFd peer;
};

Pair socket_pair() {
    int fds[2] = {-1, -1};
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    return {kit::UniqueFd(fds[0]), kit::UniqueFd(fds[1])};
}

std::unique_ptr<kit::Backend> make_backend() {
    std::error_code error;
    std::unique_ptr<kit::Backend> backend = kit::make_kqueue_backend(error);
    EXPECT_NE(backend, nullptr) << error.message();
    return backend;
}

// The fetch client's pattern, eight times over: each connection is
// watched for writable, then switched to readable. The switches (two
// changes each: delete the write filter, add the read one) wait for the
// next wait, which makes them and waits in one kevent() call.
TEST(KqueueBackend, ChangesOfWatchedFdsRideOnTheNextWait) {
    std::unique_ptr<kit::Backend> backend = make_backend();
    ASSERT_NE(backend, nullptr);
    std::vector<Pair> pairs;
    for (int i = 0; i < 8; ++i) {
        pairs.push_back(socket_pair());
        ASSERT_FALSE(backend->modify(pairs.back().local.get(), {}, kWritable));
    }
    calls = 0;
    for (Pair& pair : pairs) {
        ASSERT_FALSE(backend->modify(pair.local.get(), kWritable, kReadable));
        ASSERT_EQ(::write(pair.peer.get(), "x", 1), 1);
    }
    EXPECT_EQ(calls, 0) << "expected the 8 switches (16 changes) to wait for the next wait, "
                           "but modify() called kevent() "
                        << calls << " times";
    std::vector<kit::ReadyFd> ready;
    calls = 0;
    ASSERT_FALSE(backend->wait(std::chrono::milliseconds(1000), ready));
    EXPECT_EQ(calls, 1) << "expected one kevent() call to apply the changes and wait";
    ASSERT_EQ(ready.size(), pairs.size()) << "expected every fd readable (and not writable)";
    for (const kit::ReadyFd& r : ready) {
        EXPECT_EQ(r.events, kReadable) << "fd " << r.fd;
    }
}

// A removal cannot wait: the Loop's caller may close the fd at once. It
// takes the fd's pending changes along, so no knote is left behind.
TEST(KqueueBackend, ARemovalGoesInAtOnceWithTheFdsPendingChanges) {
    std::unique_ptr<kit::Backend> backend = make_backend();
    ASSERT_NE(backend, nullptr);
    Pair kept = socket_pair();  // still open after the removal
    ASSERT_FALSE(backend->modify(kept.local.get(), {}, kWritable));
    ASSERT_FALSE(backend->modify(kept.local.get(), kWritable, kReadable));  // pending
    ASSERT_FALSE(backend->modify(kept.local.get(), kReadable, {}));
    Pair closed = socket_pair();  // closed right after its removal
    ASSERT_FALSE(backend->modify(closed.local.get(), {}, kWritable));
    ASSERT_FALSE(backend->modify(closed.local.get(), kWritable, kReadable));  // pending
    ASSERT_FALSE(backend->modify(closed.local.get(), kReadable, {}));
    closed.local.reset();
    ASSERT_EQ(::write(kept.peer.get(), "x", 1), 1);  // readable, and writable all along
    std::vector<kit::ReadyFd> ready;
    std::error_code error = backend->wait(std::chrono::milliseconds(0), ready);
    EXPECT_FALSE(error) << "expected nothing left to fail after the removals, got "
                        << error.message();
    EXPECT_TRUE(ready.empty()) << "expected no knote left for a removed fd, got fd "
                               << ready.front().fd;
}

TEST(KqueueBackend, AnErrorEventFailsTheWaitAndLeavesTheNextWaitWhole) {
    std::error_code error;
    std::unique_ptr<kit::Backend> backend = kit::make_kqueue_backend(error);
    ASSERT_NE(backend, nullptr) << error.message();
    int fds[2] = {-1, -1};
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    kit::UniqueFd local(fds[0]);
    kit::UniqueFd peer(fds[1]);
    ASSERT_FALSE(backend->modify(local.get(), {}, kWritable));
    std::vector<kit::ReadyFd> ready;
    inject_error = true;
    error = backend->wait(std::chrono::milliseconds(0), ready);
    EXPECT_EQ(error, std::errc::io_error) << error.message();
    EXPECT_TRUE(ready.empty());
    error = backend->wait(std::chrono::milliseconds(0), ready);
    ASSERT_FALSE(error) << error.message();
    ASSERT_EQ(ready.size(), 1U) << "the fd seen before the error must count again";
    EXPECT_EQ(ready[0].fd, local.get());
    EXPECT_EQ(ready[0].events, kWritable);
}

}  // namespace
