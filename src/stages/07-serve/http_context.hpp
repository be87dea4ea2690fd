// HttpContext: one client connection of the service, as a state machine.
//
// Like stage 1's Connection, a context never waits: the loop calls it when
// its socket is ready, and it does what the socket allows now.
//
//                +------------------- keep-alive, next request ---------------+
//                v                                                            |
//   accept --> reading --complete request--> waiting --answer--> writing --all written
//                |   \                        (app on the pool,      |        |
//                |    bad request: 4xx        or parked in the loop) |     close after
//                |         \                                         |        v
//                +-- EOF, timeout, reset --> lingering --EOF/timer--> closed <-+
//
// - reading: bytes go into the parser (kit/request_parser.hpp); the head
//   must be complete within head_timeout (408); between requests the
//   idle_timeout runs instead. Bytes after a complete request stay in the
//   input buffer: they are the next (pipelined) request.
// - waiting: the request is with its application. A synchronous one runs
//   on the pool, and its response is posted back to the loop, which writes
//   it: the socket never leaves the loop thread. An asynchronous one got a
//   Responder (responder.hpp) and answers when it likes. Meanwhile the
//   socket is still read (into the bounded buffer) so that EOF is noticed.
// - writing: the answer goes out as the socket takes it; write interest is
//   on only while bytes wait (left on, a level-triggered loop would wake
//   at once, every turn, with nothing to write).
// - lingering: after a last answer (Connection: close, an error) the
//   context shuts its sending side and reads and drops what the client
//   still sends until its EOF: closing with unread bytes would send a
//   reset that can destroy the answer before the client reads it.
// Answers go out in request order because a context takes one request at
// a time. Lesson: lessons/07-serve.md, "The context, step by step".
//
// The learner writes the reading half (http_context.cpp: read, parse,
// dispatch, the hand-off to the pool); the writing half, the timers and
// closing are given (http_context_io.cpp).
//
// Interface rules: loop thread only. The Service owns each context by a
// shared_ptr; Responders and pool completions hold one too, so a context
// lives until the last of them lets go, long after close() perhaps, but a
// closed context does nothing.
#pragma once

#include "backend.hpp"
#include "mount.hpp"
#include "response.hpp"
#include "timer_queue.hpp"

#include "kit/request_parser.hpp"
#include "kit/unique_fd.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kit {

class Service;

/// One connection of the service (see the file comment).
class HttpContext : public std::enable_shared_from_this<HttpContext> {
public:
    /// At most this many unparsed bytes wait in the input buffer while a
    /// request is being answered; beyond it the context stops reading.
    static constexpr std::size_t kMaxBuffered = std::size_t{64} * 1024;

    /// A context for @p socket (non-blocking, accepted), numbered @p id.
    HttpContext(Service& service, UniqueFd socket, std::uint64_t id);
    HttpContext(const HttpContext&) = delete;
    HttpContext& operator=(const HttpContext&) = delete;
    ~HttpContext();

    /// Starts watching the socket and the head timer. May close at once
    /// (the loop cannot watch the fd).
    void start();

    /// The service is shutting down: close now if no request is in
    /// flight, else after its answer.
    void drain();

    /// Closes the connection now (idempotent); @p why goes to the trace.
    void close(std::string_view why);

    /// The number the Service knows this context by.
    [[nodiscard]] std::uint64_t id() const { return id_; }

    /// Sends @p response as the answer to request number @p request, if the
    /// context is still open and waiting for that answer (Responder::respond()).
    void respond(std::uint64_t request, const Response& response);

    /// True while open and waiting for the answer to request number @p request.
    [[nodiscard]] bool waiting_for(std::uint64_t request) const;

    /// Calls @p callback when the client's side ends (Responder::on_disconnect()).
    void on_disconnect(std::function<void()> callback);

    /// The service this connection belongs to.
    [[nodiscard]] Service& service() { return service_; }

private:
    enum class State { reading, waiting, writing, lingering, closed };
    enum class Timer { none, head, idle, write, linger };

    // The reading half: http_context.cpp, the learner's.
    void on_readable();
    void parse();
    void dispatch(Request request);
    void run_on_pool(const Mount& mount, Request request);

    // The writing half, timers and closing: http_context_io.cpp, given.
    void on_ready(IoEvents events);
    void send(const Response& response);
    void reject(int status, std::string_view why);
    void flush();
    void after_answer();
    void start_lingering();
    void peer_ended();
    void update_interest();
    void arm(Timer timer);
    void on_timer();

    // All owned by the loop thread.
    Service& service_;
    UniqueFd socket_;
    const std::uint64_t id_;
    State state_ = State::reading;
    RequestParser parser_;
    std::string input_;          // received, not yet parsed (the next requests)
    std::string output_;         // the answer being written
    std::size_t written_ = 0;    // bytes of output_ written so far
    bool parsing_ = false;       // parse() is on the stack: don't re-enter it
    bool head_seen_ = false;     // this request's head is parsed (traced once)
    bool peer_ended_ = false;    // EOF or reset seen from the client
    bool watched_ = false;       // the loop watches the socket
    IoEvents interest_;          // what the loop watches it for
    std::uint64_t request_ = 0;  // the number of the request being answered
    bool keep_alive_ = true;     // after this answer, read the next request
    bool head_only_ = false;     // a HEAD request: the answer without its body
    std::string target_;         // of the request being answered (trace)
    Timer timer_kind_ = Timer::none;
    TimerId timer_;
    Clock::time_point last_progress_;  // the last write that moved bytes (write timer)
    std::vector<std::function<void()>> on_disconnect_;
};

}  // namespace kit
