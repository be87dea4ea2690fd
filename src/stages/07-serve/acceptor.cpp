// Accepting, and surviving the end of fds; see acceptor.hpp.
#include "acceptor.hpp"

#include "kit/net.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>

namespace kit {

namespace {

// An accepted socket, non-blocking and close-on-exec. accept4() sets both
// in the same call on Linux; elsewhere two fcntl()s follow (no other
// thread forks here, so the close-on-exec gap does not matter).
int accept_nonblocking(int listener) {
#ifdef SOCK_NONBLOCK
    return ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
    int fd = ::accept(listener, nullptr, nullptr);
    if (fd >= 0 && (::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 || !set_nonblocking(fd, true))) {
        int saved = errno;
        ::close(fd);
        errno = saved;
        return -1;
    }
    return fd;
#endif
}

UniqueFd open_reserve() {
    return UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
}

}  // namespace

Acceptor::Acceptor(Loop& loop, TimerQueue& timers, ReadMode reads, OnAccept on_accept,
                   OnExhausted on_exhausted)
    : loop_(loop),
      timers_(timers),
      reads_(reads),
      on_accept_(std::move(on_accept)),
      on_exhausted_(std::move(on_exhausted)) {}

Acceptor::~Acceptor() {
    close();
}

std::error_code Acceptor::listen(const std::string& address, std::uint16_t port) {
    auto os_error = [] { return std::error_code(errno, std::generic_category()); };
    sockaddr_in where{};
    where.sin_family = AF_INET;
    where.sin_port = htons(port);
    if (::inet_pton(AF_INET, address.c_str(), &where.sin_addr) != 1) {
        return std::make_error_code(std::errc::invalid_argument);
    }
    listener_ = open_tcp_socket(Blocking::no);
    if (!listener_) {
        return os_error();
    }
    // A restarted server can bind its port at once, though connections of
    // its previous run are still in TIME_WAIT.
    int on = 1;
    ::setsockopt(listener_.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (::bind(listener_.get(), reinterpret_cast<const sockaddr*>(&where), sizeof where) != 0 ||
        ::listen(listener_.get(), SOMAXCONN) != 0) {
        std::error_code error = os_error();
        listener_.reset();
        return error;
    }
    socklen_t length = sizeof where;
    ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&where), &length);
    port_ = ntohs(where.sin_port);
    reserve_ = open_reserve();
    resume();
    return {};
}

void Acceptor::close() {
    timers_.cancel(timer_);
    if (watched_) {
        loop_.unwatch(listener_.get());
        watched_ = false;
    }
    listener_.reset();
    reserve_.reset();
}

void Acceptor::accept_some() {
    for (int i = 0; i < kAcceptsPerTurn; ++i) {
        UniqueFd socket(accept_nonblocking(listener_.get()));
        if (socket) {
            on_accept_(std::move(socket));
            continue;
        }
        switch (errno) {
            case EAGAIN:
#if EAGAIN != EWOULDBLOCK
            case EWOULDBLOCK:
#endif
                return;  // the queue is empty
            case EINTR:
            case ECONNABORTED:  // the client gave up while queued: next one
                continue;
            case EMFILE:
            case ENFILE:
                on_out_of_fds();
                if (!watched_) {
                    return;  // paused
                }
                continue;
            default:  // ENOBUFS, ENOMEM: the kernel is short; give it a moment
                pause();
                return;
        }
    }
    // The bound was reached and more may be queued. A level-triggered
    // backend says so again at the next wait; an edge-triggered one will
    // not, so a zero timer comes back for the rest, after the other fds'
    // callbacks have had their turn.
    if (reads_ == ReadMode::until_eagain) {
        timers_.cancel(timer_);
        timer_ = timers_.after(Clock::duration::zero(), [this] { accept_some(); });
    }
}

void Acceptor::on_out_of_fds() {
    if (on_exhausted_) {
        on_exhausted_();
    }
    if (!reserve_) {
        pause();
        return;
    }
    reserve_.reset();
    UniqueFd dropped(::accept(listener_.get(), nullptr, nullptr));
    dropped.reset();  // the client sees its connection end, not hang
    reserve_ = open_reserve();
    if (!reserve_ || !dropped) {
        pause();  // someone else took the fd meanwhile: wait for fds to free
    }
}

void Acceptor::pause() {
    if (watched_) {
        loop_.unwatch(listener_.get());
        watched_ = false;
    }
    timers_.cancel(timer_);
    timer_ = timers_.after(kPause, [this] {
        if (!reserve_) {
            reserve_ = open_reserve();
        }
        resume();
    });
}

void Acceptor::resume() {
    if (watched_ || !listener_) {
        return;
    }
    std::error_code error =
        loop_.watch(listener_.get(), {.readable = true}, [this](IoEvents) { accept_some(); });
    watched_ = !error;
}

}  // namespace kit
