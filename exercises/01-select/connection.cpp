// Stage 1 exercise, part 1: the handlers of one fetch target's state
// machine. Edit this file and fetch_select.cpp (not the tests); the class
// is declared in src/stages/01-select/connection.hpp, which stays as it is.
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
    // TODO(stage 1): the connect has finished; find out how.
    //   - ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) gives the
    //     connect's errno (0: connected). If getsockopt itself fails, use errno.
    //   - error: finish() with reason_from_errno(error).
    //   - connected: log Milestone::connected, move to State::sending and
    //     call on_writable() right away (a fresh socket is writable).
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
    // TODO(stage 1): one ::recv() into a buffer, then, as in stage 0:
    //   - -1 with EINTR, EAGAIN or EWOULDBLOCK: nothing to read after all; return.
    //   - -1 otherwise: finish() with reason_from_errno(errno).
    //   - 0: the server closed; finish() with response_.at_eof().
    //   - n > 0: Milestone::first_byte for the first bytes; feed them to
    //     response_, and finish() with its failure if it returns one.
    // Do not loop until EAGAIN here: return, and the loop will call again.
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
