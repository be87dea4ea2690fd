// Stage 7 exercise: the context's reading half. Read, parse, dispatch, and
// the hand-off to the pool: four functions with TODOs. The writing half,
// the timers and closing are given (src/stages/07-serve/http_context_io.cpp,
// read it first: your code calls it); http_context.hpp draws the state
// machine and lists the members. Lesson: lessons/07-serve.md, "The
// context, step by step". Check with `./kit check 7`; `./kit hint 7` helps.
#include "http_context.hpp"

#include "responder.hpp"
#include "service.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace kit {

// Called by on_ready() when the socket is readable (and the context is not
// lingering).
void HttpContext::on_readable() {
    // TODO(stage 7): recv() from socket_ into a buffer on the stack and
    // append what came to input_, as long as input_ is under kMaxBuffered.
    // Read once per call, or until EAGAIN when the options' reads say
    // ReadMode::until_eagain (an edge-triggered backend reports only new data).
    // - 0 bytes is the client's EOF: call peer_ended() (it may be a
    //   half-close with a request still to answer: do not close here);
    // - EINTR: read again; EAGAIN or EWOULDBLOCK: nothing more for now;
    // - any other error: close() with a reason, and return at once.
    // After the loop, set unread_ when reading until EAGAIN stopped at the
    // bound instead (bytes may be left that no edge will report again).
    // Then, if the context is reading (between requests), parse() what
    // came; whatever the state, end with update_interest().
    // TODO(stage 7): delete these two lines.
    std::fprintf(stderr, "kit::HttpContext::on_readable() is still a TODO in exercises/07-serve\n");
    std::abort();
}

// Feeds input_ to the parser while the context is reading.
void HttpContext::parse() {
    // TODO(stage 7): set parsing_ while you work (after_answer() checks it),
    // and loop while state_ is State::reading:
    // - feed input_ to parser_ and erase from input_ what it took;
    // - the first time this request's head is parsed (the parser is in its
    //   body or complete state), set head_seen_ and record a "head" trace
    //   event for id_;
    // - complete: stop the timer (arm(Timer::none)), dispatch() what
    //   take() hands over, and go round again: dispatch() leaves the state
    //   reading only when the answer is already written;
    // - rejected: reject() with the parser's status and error, and stop;
    // - incomplete: after the client's EOF it never will be, so close();
    //   else, if the request has begun while the idle timer runs, switch
    //   to the head timer. Either way, stop: wait for more bytes.
}

// A complete request: find its application and start it.
void HttpContext::dispatch(Request request) {
    // TODO(stage 7): a new request: count it (request_, and the service's
    // stats().requests), remember what the answer needs (keep_alive_,
    // head_only_ for a HEAD, target_ for the trace) and enter State::waiting.
    // Find the mount for the target in the service's mounts():
    // - none: send() a 404;
    // - the mount does not allow the method: send() a 405 with an Allow field;
    // - synchronous: run_on_pool();
    // - asynchronous: record "dispatched" (where: loop), count stats().in_loop,
    //   and call the application here, on the loop thread, with the request
    //   and a Responder for this context and this request's number; record
    //   its "app" span (worker 0) around the call.
    (void)request;
}

// A synchronous application: on a pool worker, never on the loop thread.
void HttpContext::run_on_pool(const Mount& mount, Request request) {
    // TODO(stage 7): offload() to the service's pool a job that calls the
    // mount's function with the request and keeps the Response it returns
    // (and, for the trace, when it began and ended and ThreadPool::
    // worker_number()). The job must not touch this context or its socket:
    // give it its own copies in a shared struct both lambdas hold.
    // The `done` lambda runs on the loop thread: keep the context alive
    // there (shared_from_this()), count stats().on_pool back down, record
    // the "app" span, and respond() with this request's number: the
    // response, or a 503 (cancelled: the pool stopped) or 500 (the
    // application threw). respond() does nothing if the context has closed.
    // Record "dispatched" (where: pool) and count stats().on_pool up.
    (void)mount;
    (void)request;
}

}  // namespace kit
