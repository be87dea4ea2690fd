// The handlers of one fetch target's state machine; see connection.hpp.
// Lesson: lessons/01-select.md, "Never wait inside a handler".
#include "connection.hpp"

#include "kit/net.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <thread>
#include <utility>

namespace kit {

Connection::Connection(std::size_t target, FetchLog& log) : target_(target), log_(log) {}

void Connection::start(const Url& url) {
    std::optional<sockaddr_in> address = resolve_ipv4(url);
    if (!address) {
        return finish(Outcome::failure(Reason::resolve));
    }
    sock_ = open_tcp_socket(Blocking::no);
    if (!sock_) {
        return finish(Outcome::failure(reason_from_errno(errno)));
    }
    request_ = http_get_request(url);
    log_.milestone(target_, Milestone::connect_start);
    // Non-blocking: EINPROGRESS means "started"; the socket turns writable
    // when the handshake is over, and on_connected() finds out how it went.
    if (::connect(sock_.get(), reinterpret_cast<const sockaddr*>(&*address), sizeof *address) !=
            0 &&
        errno != EINPROGRESS) {
        return finish(Outcome::failure(reason_from_errno(errno)));
    }
}

void Connection::on_ready() {
    switch (state_) {
        case State::connecting:
            return on_connected();
        case State::sending:
            return on_writable();
        case State::receiving:
            return on_readable();
        case State::finished:
            return;
    }
}

void Connection::fail(Reason reason) {
    if (!finished()) {
        finish(Outcome::failure(reason));
    }
}

Interest Connection::interest() const {
    switch (state_) {
        case State::connecting:
        case State::sending:
            return Interest::writable;
        case State::receiving:
            return Interest::readable;
        case State::finished:
            return Interest::none;
    }
    return Interest::none;  // unreachable: every state is handled above
}

// Writable while connecting: the connect has finished, well or badly;
// SO_ERROR says which.
void Connection::on_connected() {
    int error = 0;
    socklen_t size = sizeof error;
    if (::getsockopt(sock_.get(), SOL_SOCKET, SO_ERROR, &error, &size) != 0) {
        error = errno;
    }
    if (error != 0) {
        return finish(Outcome::failure(reason_from_errno(error)));
    }
    log_.milestone(target_, Milestone::connected);
    state_ = State::sending;
    on_writable();  // a fresh socket is writable: no need to wait a turn
}

// Writable while sending: write as much of the request as the socket takes.
void Connection::on_writable() {
    while (sent_ < request_.size()) {
        ssize_t n = ::send(sock_.get(), request_.data() + sent_, request_.size() - sent_, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;  // the send buffer is full: wait until writable again
        }
        if (n < 0) {
            return finish(Outcome::failure(reason_from_errno(errno)));
        }
        sent_ += static_cast<std::size_t>(n);
    }
    log_.milestone(target_, Milestone::request_sent);
    state_ = State::receiving;
}

// Readable while receiving: read once; the loop calls again while more is
// there, which keeps one chatty server from starving the others.
void Connection::on_readable() {
    if (stall_ > std::chrono::milliseconds(0)) {
        // The --stall demo: a handler that blocks stalls every connection.
        std::this_thread::sleep_for(std::exchange(stall_, std::chrono::milliseconds(0)));
    }
    char buffer[16 * 1024];
    ssize_t n = ::recv(sock_.get(), buffer, sizeof buffer, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) {
        return;  // nothing after all: wait for the next readiness
    }
    if (n < 0) {
        return finish(Outcome::failure(reason_from_errno(errno)));
    }
    if (n == 0) {
        return finish(response_.at_eof());
    }
    if (response_.bytes_received() == 0) {
        log_.milestone(target_, Milestone::first_byte);
    }
    if (auto failure = response_.feed({buffer, static_cast<std::size_t>(n)})) {
        finish(Outcome::failure(*failure));
    }
}

void Connection::finish(const Outcome& outcome) {
    state_ = State::finished;
    if (before_close_ && sock_) {
        before_close_(sock_.get());  // while the number is still ours
    }
    sock_.reset();  // close now: a finished connection holds no fd
    log_.finish(target_, outcome);
}

}  // namespace kit
