// HttpContext's given half: writing the answer, the timers, lingering and
// closing. The reading half (read, parse, dispatch) is the learner's, in
// http_context.cpp. See http_context.hpp for the state machine.
// Lesson: lessons/07-serve.md, "Writing: interest on, interest off".
#include "http_context.hpp"

#include "service.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <utility>

namespace kit {

namespace {

// send() on a socket whose reader has gone raises SIGPIPE, whose default
// action ends the process: one client that disconnects mid-answer would
// kill the server. MSG_NOSIGNAL makes it an EPIPE error instead (Linux;
// macOS has the socket option SO_NOSIGPIPE for the same).
#ifdef MSG_NOSIGNAL
constexpr int kSendFlags = MSG_NOSIGNAL;
#else
constexpr int kSendFlags = 0;
#endif

// How long a lingering close waits for the client's EOF, at most.
constexpr Clock::duration kLingerTimeout = std::chrono::seconds(2);

// An answer buffer bigger than this is freed once written, not kept for
// the next answer: a connection that sent one large file must not hold
// its memory while it idles.
constexpr std::size_t kKeptOutputCapacity = std::size_t{64} * 1024;

}  // namespace

HttpContext::HttpContext(Service& service, UniqueFd socket, std::uint64_t id)
    : service_(service), socket_(std::move(socket)), id_(id), parser_(service.options().limits) {
#ifdef SO_NOSIGPIPE
    int on = 1;
    ::setsockopt(socket_.get(), SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on);
#endif
}

// A context is closed before the Service lets go of it; what is left here
// (a Responder's or a completion's last reference) has no fd and no timer.
HttpContext::~HttpContext() = default;

void HttpContext::start() {
    service_.trace().event("accepted", id_);
    arm(Timer::head);  // the first request's head runs from the accept
    update_interest();
}

void HttpContext::drain() {
    switch (state_) {
        case State::reading:  // no request in flight (at most a part of one)
            close("shutdown");
            return;
        case State::waiting:
        case State::writing:
            keep_alive_ = false;  // answered, then closed (after_answer() checks too)
            return;
        case State::lingering:
        case State::closed:
            return;
    }
}

void HttpContext::close(std::string_view why) {
    if (state_ == State::closed) {
        return;
    }
    arm(Timer::none);
    // Unwatch before the close: the fd's number may be reused at once (a
    // worker opening a file), and the loop must not watch the new one.
    if (watched_) {
        service_.loop().unwatch(socket_.get());
        watched_ = false;
    }
    socket_.reset();
    state_ = State::closed;
    input_ = std::string();
    output_ = std::string();
    --service_.stats().open;
    service_.trace().event("closed", id_, "\"why\":\"" + json_escape(why) + "\"");
    for (std::function<void()>& callback : std::exchange(on_disconnect_, {})) {
        callback();
    }
    service_.forget(id_);  // the caller still holds a reference to this
}

void HttpContext::respond(std::uint64_t request, const Response& response) {
    if (waiting_for(request)) {
        send(response);
    }
}

bool HttpContext::waiting_for(std::uint64_t request) const {
    return state_ == State::waiting && request_ == request;
}

void HttpContext::on_disconnect(std::function<void()> callback) {
    if (peer_ended_ || state_ == State::closed) {
        callback();
        return;
    }
    on_disconnect_.push_back(std::move(callback));
}

void HttpContext::on_ready(IoEvents events) {
    if (events.writable && state_ == State::writing) {
        flush();
    }
    if (!events.readable || state_ == State::closed) {
        return;
    }
    if (state_ != State::lingering) {
        on_readable();
        return;
    }
    // Lingering: read and drop until the client's EOF (a bounded number of
    // reads per readiness, so a client that floods cannot hold the loop).
    char sink[4096];
    for (int reads = 0; reads < 16; ++reads) {
        ssize_t n = ::recv(socket_.get(), sink, sizeof sink, 0);
        if (n > 0) {
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        }
        close(n == 0 ? "answered" : "reset");
        return;
    }
}

void HttpContext::send(const Response& response) {
    // The callbacks were for a client that leaves before its answer; it is
    // going out now. Kept, they would pile up on a keep-alive connection
    // that parks one request after another (and one could run in the middle
    // of an application's loop over its waiters, should the write fail).
    on_disconnect_.clear();
    keep_alive_ = keep_alive_ && !service_.shutting_down();
    service_.trace().event("answer", id_, "\"status\":" + std::to_string(response.status));
    output_ = serialize(response, keep_alive_, head_only_);
    written_ = 0;
    state_ = State::writing;
    flush();
}

void HttpContext::reject(int status, std::string_view why) {
    ++service_.stats().rejected;
    service_.trace().event("rejected", id_, "\"why\":\"" + json_escape(why) + "\"");
    keep_alive_ = false;  // where the next request would start is unknown
    head_only_ = false;
    state_ = State::waiting;
    send(text_response(status, std::string(reason_phrase(status)) + "\n"));
}

// Writes as much of the answer as the socket takes now. The first try
// comes straight from send(): most answers fit in the socket buffer, and
// need no write interest at all. Only when the kernel says EAGAIN does
// the loop watch for writability, and flush() goes on from there.
void HttpContext::flush() {
    while (written_ < output_.size()) {
        ssize_t n =
            ::send(socket_.get(), output_.data() + written_, output_.size() - written_, kSendFlags);
        if (n > 0) {
            written_ += static_cast<std::size_t>(n);
            last_progress_ = Clock::now();
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (timer_kind_ != Timer::write) {
                arm(Timer::write);
            }
            update_interest();  // write interest on: the socket will say when it has room
            return;
        }
        close("write-failed");  // EPIPE, ECONNRESET: the client has gone
        return;
    }
    service_.trace().event("written", id_);
    if (output_.capacity() > kKeptOutputCapacity) {
        output_ = std::string();
    } else {
        output_.clear();
    }
    written_ = 0;
    after_answer();
}

// The answer is out: read the next request, or close.
void HttpContext::after_answer() {
    if (!keep_alive_ || service_.shutting_down()) {
        start_lingering();
        return;
    }
    state_ = State::reading;
    head_seen_ = false;
    // Bytes already here are the next request's: its head clock runs.
    arm(input_.empty() ? Timer::idle : Timer::head);
    if (!parsing_) {
        parse();
    }
    update_interest();  // write interest off (and reading again, if it had paused)
}

void HttpContext::start_lingering() {
    if (peer_ended_) {
        close("answered");
        return;
    }
    ::shutdown(socket_.get(), SHUT_WR);  // the client reads EOF after the answer
    state_ = State::lingering;
    input_ = std::string();
    arm(Timer::linger);
    update_interest();
}

void HttpContext::peer_ended() {
    peer_ended_ = true;
    service_.trace().event("peer-eof", id_);
    for (std::function<void()>& callback : std::exchange(on_disconnect_, {})) {
        callback();
    }
}

// What the loop watches the socket for follows from the state alone:
// readable until the client's EOF and while the input buffer has room;
// writable only while answer bytes wait. With neither, no watch at all.
void HttpContext::update_interest() {
    if (state_ == State::closed) {
        return;
    }
    const IoEvents wanted{.readable = !peer_ended_ && input_.size() < kMaxBuffered,
                          .writable = written_ < output_.size()};
    Loop& loop = service_.loop();
    std::error_code error;
    if (!wanted.any()) {
        if (watched_) {
            loop.unwatch(socket_.get());
            watched_ = false;
        }
        return;
    }
    if (!watched_) {
        // A weak reference: the watch must not keep a closed context alive,
        // and a callback that closes its own context must not destroy it
        // while it runs (the locked reference lasts the call).
        error = loop.watch(socket_.get(), wanted, [weak = weak_from_this()](IoEvents ready) {
            if (std::shared_ptr<HttpContext> self = weak.lock()) {
                self->on_ready(ready);
            }
        });
        watched_ = !error;
    } else if (!(wanted == interest_)) {
        error = loop.modify(socket_.get(), wanted);
    }
    if (error) {
        close("cannot-watch");  // select and an fd past FD_SETSIZE
        return;
    }
    interest_ = wanted;
}

// One timer per context, whichever its state needs: arming one cancels the
// other. An O(log n) heap operation per request.
void HttpContext::arm(Timer timer) {
    TimerQueue& timers = service_.timers();
    if (timer_kind_ != Timer::none) {
        timers.cancel(timer_);
    }
    timer_kind_ = timer;
    const ServiceOptions& options = service_.options();
    Clock::duration delay{};
    switch (timer) {
        case Timer::none:
            return;
        case Timer::head:
            delay = options.head_timeout;
            break;
        case Timer::idle:
        case Timer::write:
            delay = options.idle_timeout;
            break;
        case Timer::linger:
            delay = std::min(kLingerTimeout, options.head_timeout);
            break;
    }
    timer_ = timers.after(delay, [weak = weak_from_this()] {
        if (std::shared_ptr<HttpContext> self = weak.lock()) {
            self->on_timer();
        }
    });
}

void HttpContext::on_timer() {
    const Timer fired = std::exchange(timer_kind_, Timer::none);
    Stats& stats = service_.stats();
    switch (fired) {
        case Timer::none:
            return;
        case Timer::head:
            ++stats.head_timeouts;
            reject(408, "head-timeout");
            return;
        case Timer::idle:
            ++stats.idle_timeouts;
            close("idle-timeout");
            return;
        case Timer::write: {
            // "Be smart about timeouts" (libev's manual): each write that
            // moves bytes only notes the time; the timer, when it fires,
            // re-arms itself for what is left instead of being re-armed by
            // every write.
            const Clock::time_point due = last_progress_ + service_.options().idle_timeout;
            if (due > Clock::now()) {
                timer_kind_ = Timer::write;
                timer_ = service_.timers().at(due, [weak = weak_from_this()] {
                    if (std::shared_ptr<HttpContext> self = weak.lock()) {
                        self->on_timer();
                    }
                });
                return;
            }
            ++stats.write_timeouts;
            close("write-timeout");
            return;
        }
        case Timer::linger:
            close("linger-timeout");
            return;
    }
}

}  // namespace kit
