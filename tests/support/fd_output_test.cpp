// Unit tests of kit::write_all and kit::FdOutput (src/kit/fd_output.hpp):
// every byte arrives, even when signals interrupt the writes.
#include "kit/fd_output.hpp"

#include "kit/unique_fd.hpp"

#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <thread>

namespace {

void do_nothing(int /*signal*/) {}

// A pipe whose read end a thread drains slowly, so the writer blocks often.
struct SlowPipe {
    kit::UniqueFd read_end, write_end;
    std::string received;
    std::thread reader;

    SlowPipe() {
        int fds[2];
        EXPECT_EQ(::pipe(fds), 0);
        read_end.reset(fds[0]);
        write_end.reset(fds[1]);
        reader = std::thread([this] {
            // The signals are for the writer: a process-directed signal
            // goes to any thread that does not block it.
            sigset_t alarm;
            sigemptyset(&alarm);
            sigaddset(&alarm, SIGALRM);
            ::pthread_sigmask(SIG_BLOCK, &alarm, nullptr);
            char buffer[4096];
            ssize_t n = 0;
            while ((n = ::read(read_end.get(), buffer, sizeof buffer)) != 0) {
                if (n > 0) {
                    received.append(buffer, static_cast<std::size_t>(n));
                    ::usleep(200);
                }
            }
        });
    }
    // Closes the write end and waits until the reader has everything.
    std::string finish() {
        write_end.reset();
        reader.join();
        return received;
    }
};

// SIGALRM every millisecond, without SA_RESTART, while it lives.
struct SignalStorm {
    struct sigaction old_action {};
    SignalStorm() {
        struct sigaction action {};
        action.sa_handler = do_nothing;
        sigemptyset(&action.sa_mask);
        ::sigaction(SIGALRM, &action, &old_action);
        itimerval every{{0, 1000}, {0, 1000}};
        ::setitimer(ITIMER_REAL, &every, nullptr);
    }
    ~SignalStorm() {
        itimerval off{};
        ::setitimer(ITIMER_REAL, &off, nullptr);
        ::sigaction(SIGALRM, &old_action, nullptr);
    }
};

std::string pattern(std::size_t size) {
    std::string text;
    for (std::size_t i = 0; i < size; ++i) {
        text += static_cast<char>('a' + i % 26);
    }
    return text;
}

TEST(WriteAll, DeliversEveryByteThroughSignals) {
    const std::string data = pattern(std::size_t{1} << 20);
    SlowPipe pipe;
    {
        SignalStorm storm;
        EXPECT_TRUE(kit::write_all(pipe.write_end.get(), data));
    }
    std::string received = pipe.finish();
    EXPECT_EQ(received.size(), data.size());
    EXPECT_TRUE(received == data) << "the bytes arrived changed";
}

TEST(FdOutput, WritesOnFlushOnlyAndLosesNothingToSignals) {
    SlowPipe pipe;
    std::string expected;
    {
        kit::FdOutput buffer(pipe.write_end.get());
        std::ostream out(&buffer);
        SignalStorm storm;
        for (int i = 0; i < 5000; ++i) {
            out << "line " << i << ' ' << pattern(200) << '\n';
            expected += "line " + std::to_string(i) + ' ' + pattern(200) + '\n';
            if (i % 500 == 499) {
                out << std::flush;  // 100 kB at once: more than a pipe holds
            }
        }
        EXPECT_TRUE(out.good());
    }
    std::string received = pipe.finish();
    EXPECT_EQ(received.size(), expected.size());
    EXPECT_TRUE(received == expected) << "the lines arrived changed";
}

TEST(WriteAll, ReportsAWriteThatFails) {
    kit::UniqueFd read_end, write_end;
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    read_end.reset(fds[0]);
    write_end.reset(fds[1]);
    read_end.reset();  // nobody will ever read: EPIPE (SIGPIPE ignored below)
    struct sigaction ignore {
    }, old{};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ignore, &old);
    errno = 0;
    EXPECT_FALSE(kit::write_all(write_end.get(), "x"));
    EXPECT_EQ(errno, EPIPE);
    ::sigaction(SIGPIPE, &old, nullptr);
}

}  // namespace
