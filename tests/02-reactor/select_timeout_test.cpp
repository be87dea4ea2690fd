// The select backend never asks select() for more than it accepts: a wait
// of Clock::duration::max() must not fail. macOS's select() refuses a
// tv_sec above 10^8 with EINVAL; Linux's takes any, so on Linux this file
// stands in for macOS's select() (the program's own definition comes
// before the C library's) and refuses the same way.
#include "loop_suite.hpp"

#include "select_backend.hpp"

#include <sys/select.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#if defined(__linux__)
// select() as macOS has it: EINVAL for a timeout of more than 10^8 s,
// otherwise the real thing (by way of pselect(), another symbol).
extern "C" int select(int nfds, fd_set* readfds, fd_set* writefds, fd_set* exceptfds,
                      timeval* timeout) {
    constexpr time_t kMacosMaxSeconds = 100'000'000;
    if (timeout != nullptr && timeout->tv_sec > kMacosMaxSeconds) {
        errno = EINVAL;
        return -1;
    }
    timespec limit{};
    if (timeout != nullptr) {
        limit = {.tv_sec = timeout->tv_sec, .tv_nsec = timeout->tv_usec * 1000};
    }
    return ::pselect(nfds, readfds, writefds, exceptfds, timeout != nullptr ? &limit : nullptr,
                     nullptr);
}
#endif

namespace {

TEST(SelectBackend, AWaitAsLongAsTheLoopCanAskIsNotRefused) {
    std::unique_ptr<kit::Backend> backend = kit::make_select_backend();
    loop_suite::SocketPair pair = loop_suite::socket_pair();
    ASSERT_FALSE(backend->modify(pair.local.get(), {}, loop_suite::kReadable));
    loop_suite::send_byte(pair.peer);  // ready now: the wait returns at once
    std::vector<kit::ReadyFd> ready;
    // The longest the Loop asks for: a source answering Clock::duration::max().
    const auto longest = std::chrono::ceil<std::chrono::milliseconds>(kit::Clock::duration::max());
    std::error_code error = backend->wait(longest, ready);
    EXPECT_FALSE(error) << "select() refused the timeout: " << error.message();
    EXPECT_EQ(ready.size(), 1U);
}

}  // namespace
