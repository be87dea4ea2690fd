// Stage 4's kqueue backend when kevent() answers a wait with an EV_ERROR
// event. With no changes passed it cannot, so the test injects one: on
// Linux the link wraps the emulation's kevent() (-Wl,--wrap=kevent), and
// this file's __wrap_kevent() adds the error after the real events. The
// wait must fail, and the next one must be whole (the backend's merge
// table left clean).
#include "kqueue_backend.hpp"

#include "kit/unique_fd.hpp"

#include <sys/event.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <vector>

// NOLINTBEGIN(bugprone-reserved-identifier,readability-identifier-naming): the linker's names
extern "C" int __real_kevent(int kq, const struct kevent* changelist, int nchanges,
                             struct kevent* eventlist, int nevents, const struct timespec* timeout);

namespace {
bool inject_error = false;  // the next wait gets an EV_ERROR event after its real ones
}  // namespace

extern "C" int __wrap_kevent(int kq, const struct kevent* changelist, int nchanges,
                             struct kevent* eventlist, int nevents,
                             const struct timespec* timeout) {
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

constexpr kit::IoEvents kWritable{.writable = true};

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
