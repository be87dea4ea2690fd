// Responder: how an asynchronous application answers, now or later.
//
// An asynchronous application (mount.hpp) gets the request and a Responder.
// It may call respond() before it returns (/stats), or keep the Responder
// (it is a cheap copyable handle) and call respond() later from the loop
// thread: when a timer fires, when another request brings news (stage 8's
// long polling), or when a pool job posts its result back. Until then the
// connection waits, parked, and costs the loop nothing.
//
// A parked client may go away. on_disconnect() says so: the reading side
// of the connection has seen the client's EOF or a reset. (EOF may also be
// a half-close by a client still waiting for its answer; the service still
// writes the answer if the socket takes it. An application that parks
// clients for long usually drops them on EOF, as stage 8's chat does:
// close() ends the connection without an answer, so its fd is freed now.)
//
// service() is the way back into the service: its Loop (CppCMS's
// get_io_service()), its timers, post() and the pool.
// Lesson: lessons/07-serve.md, "The context, and answering later".
//
// Interface rules: loop thread only, like the context it names: another
// thread must post() a handler that calls respond(). respond() at most once;
// it does nothing once the connection is closed. The on_disconnect()
// callbacks are forgotten once the answer goes out.
#pragma once

#include "response.hpp"

#include <cstdint>
#include <functional>
#include <memory>

namespace kit {

class HttpContext;
class Service;

/// A handle on one request's connection, to answer it (see the file comment).
class Responder {
public:
    /// A handle on request number @p request of @p context.
    Responder(std::shared_ptr<HttpContext> context, std::uint64_t request);

    /// Sends @p response as the answer to the request (loop thread, once).
    void respond(const Response& response) const;

    /// True while the connection is open and still waits for this answer.
    [[nodiscard]] bool waiting() const;

    /// Calls @p callback (loop thread) when the client's side ends before the
    /// answer: EOF or a reset. Called at once if that has already happened.
    void on_disconnect(std::function<void()> callback) const;

    /// Closes the connection without an answer, if it still waits for this
    /// one: a parked client that went away (loop thread).
    void close() const;

    /// The service the request came to: loop(), timers(), post(), pool().
    [[nodiscard]] Service& service() const;

private:
    std::shared_ptr<HttpContext> context_;
    std::uint64_t request_;
};

}  // namespace kit
