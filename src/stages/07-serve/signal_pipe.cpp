// The self-pipe trick; see signal_pipe.hpp.
#include "signal_pipe.hpp"

#include "kit/net.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <system_error>

namespace kit {

namespace {

// The pipe's write end, for the handler; -1 when no SignalPipe exists.
volatile sig_atomic_t signal_write_fd = -1;

// Async-signal-safe: write() and errno only. A full pipe (EAGAIN) means
// bytes are waiting already, and the loop will read them.
void on_signal_write(int signal) {
    const int saved = errno;
    const unsigned char byte = static_cast<unsigned char>(signal);
    [[maybe_unused]] ssize_t n = ::write(signal_write_fd, &byte, 1);
    errno = saved;
}

void install(void (*handler)(int)) {
    struct sigaction action {};
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;  // other calls go on; the loop's wait returns EINTR anyway
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
}

}  // namespace

SignalPipe::SignalPipe(Loop& loop, std::function<void(int)> on_signal)
    : loop_(loop), on_signal_(std::move(on_signal)) {
    int fds[2];
    if (::pipe(fds) != 0) {
        throw std::system_error(errno, std::generic_category(), "pipe");
    }
    read_.reset(fds[0]);
    write_.reset(fds[1]);
    for (int fd : fds) {
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        set_nonblocking(fd, true);
    }
    if (loop_.watch(read_.get(), {.readable = true}, [this](IoEvents) { drain(); })) {
        std::fprintf(stderr, "kit::SignalPipe: cannot watch the pipe\n");
        std::abort();  // a fresh, low fd: no backend refuses it
    }
    signal_write_fd = write_.get();
    install(on_signal_write);
}

SignalPipe::~SignalPipe() {
    install(SIG_DFL);
    signal_write_fd = -1;
    loop_.unwatch(read_.get());
}

void SignalPipe::drain() {
    unsigned char signals[16];
    ssize_t n = 0;
    while ((n = ::read(read_.get(), signals, sizeof signals)) > 0) {
        for (ssize_t i = 0; i < n; ++i) {
            on_signal_(signals[i]);
        }
    }
}

}  // namespace kit
