// Stage 4's unit tests: the Loop's typed suite (tests/02-reactor/
// loop_suite.hpp) on kqueue, then what is kqueue's own: two filters merged
// into one ReadyFd, EV_EOF as readable, a failed add that changes nothing.
// On Linux they run on the kit's emulation, on macOS on the real kqueue.
#include "loop_suite.hpp"

#include "kqueue_backend.hpp"
#include "stage4_backends.hpp"

#include <unistd.h>

#include <string>

namespace stage4 {

std::unique_ptr<kit::Backend> make() {
    std::error_code error;
    std::unique_ptr<kit::Backend> backend = kit::make_kqueue_backend(error);
    EXPECT_NE(backend, nullptr) << "make_kqueue_backend(): " << error.message();
    return backend;
}

struct Kqueue {
    static constexpr std::string_view name = "kqueue";
    static constexpr bool limited_to_fd_setsize = false;
    static std::unique_ptr<kit::Backend> make() { return stage4::make(); }
};

using Backends = ::testing::Types<Kqueue>;

}  // namespace stage4

namespace loop_suite {
INSTANTIATE_TYPED_TEST_SUITE_P(Stage4, LoopTest, stage4::Backends);
}  // namespace loop_suite

namespace {

using namespace std::chrono_literals;
using loop_suite::kBoth;
using loop_suite::kReadable;
using loop_suite::kWritable;
using loop_suite::ready_now;

TEST(KqueueFactory, Stage4ListsStage3sBackendsThenKqueue) {
    EXPECT_EQ(kit::backend_names(kit::stage4_backends()),
              (std::vector<std::string>{"select", "poll", "epoll", "epoll-et", "kqueue"}));
    std::string error;
    std::unique_ptr<kit::Backend> backend =
        kit::make_backend("kqueue", kit::stage4_backends(), error);
    ASSERT_NE(backend, nullptr) << error;
    EXPECT_EQ(backend->name(), "kqueue");
}

// Readable and writable are two knotes, two events: one ReadyFd.
TEST(KqueueBackend, MergesBothFiltersOfAnFdIntoOneReadyFd) {
    std::unique_ptr<kit::Backend> backend = stage4::make();
    loop_suite::SocketPair pair = loop_suite::socket_pair();
    loop_suite::send_byte(pair.peer);
    ASSERT_FALSE(backend->modify(pair.local.get(), {}, kBoth));
    std::vector<kit::ReadyFd> ready = ready_now(*backend);
    ASSERT_EQ(ready.size(), 1U);
    EXPECT_EQ(ready[0].events, kBoth);
    // Dropping one filter deletes one knote: only writable is left.
    ASSERT_FALSE(backend->modify(pair.local.get(), kBoth, kWritable));
    ready = ready_now(*backend);
    ASSERT_EQ(ready.size(), 1U);
    EXPECT_EQ(ready[0].events, kWritable);
}

// EV_EOF on the read filter of a socket whose peer is gone: reported as
// readable and writable, as poll reports POLLHUP.
TEST(KqueueBackend, EofIsReportedAsReadableAndWritable) {
    std::unique_ptr<kit::Backend> backend = stage4::make();
    loop_suite::SocketPair pair = loop_suite::socket_pair();
    ASSERT_FALSE(backend->modify(pair.local.get(), {}, kReadable));
    pair.peer.reset();
    std::vector<kit::ReadyFd> ready = ready_now(*backend);
    ASSERT_EQ(ready.size(), 1U);
    EXPECT_EQ(ready[0].events, kBoth);
}

// A closed fd cannot be added; the failed watch leaves nothing behind.
TEST(KqueueBackend, AFailedAddIsAnErrorAndChangesNothing) {
    std::unique_ptr<kit::Backend> backend = stage4::make();
    int closed = ::dup(0);
    ASSERT_GE(closed, 0);
    ::close(closed);
    std::error_code error = backend->modify(closed, {}, kBoth);
    EXPECT_EQ(error, std::errc::bad_file_descriptor) << error.message();
    EXPECT_TRUE(ready_now(*backend).empty());
}

// A timeout far beyond what kevent() takes (macOS: EINVAL above 1e8 s) is
// clamped, as poll's and epoll's backends clamp theirs: the wait works.
TEST(KqueueBackend, AHugeTimeoutIsClampedNotRefused) {
    std::unique_ptr<kit::Backend> backend = stage4::make();
    loop_suite::SocketPair pair = loop_suite::socket_pair();
    ASSERT_FALSE(backend->modify(pair.local.get(), {}, kWritable));  // ready: no wait
    std::vector<kit::ReadyFd> ready;
    std::error_code error = backend->wait(std::chrono::milliseconds::max(), ready);
    ASSERT_FALSE(error) << error.message();
    ASSERT_EQ(ready.size(), 1U);
    EXPECT_EQ(ready[0].events, kWritable);
}

}  // namespace
