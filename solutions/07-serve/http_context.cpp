// HttpContext's reading half: read, parse, dispatch, and the hand-off to
// the pool. The writing half, the timers and closing are given
// (src/stages/07-serve/http_context_io.cpp); http_context.hpp draws the
// state machine. Lesson: lessons/07-serve.md, "The context, step by step".
#include "http_context.hpp"

#include "responder.hpp"
#include "service.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <utility>

namespace kit {

// Reads what the socket has now into the input buffer: once per readiness,
// or until EAGAIN on an edge-triggered backend (which reports only new
// data). The buffer is bounded: full, the context stops reading until the
// requests in it are answered. Then, if the context is between requests,
// parse what came.
void HttpContext::on_readable() {
    const bool until_eagain = service_.options().reads == ReadMode::until_eagain;
    char chunk[16 * 1024];
    while (input_.size() < kMaxBuffered) {
        ssize_t n = ::recv(socket_.get(), chunk, sizeof chunk, 0);
        if (n > 0) {
            input_.append(chunk, static_cast<std::size_t>(n));
            if (!until_eagain) {
                break;
            }
            continue;
        }
        if (n == 0) {
            peer_ended();  // EOF: maybe a half-close, with a request still to answer
            break;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            break;
        }
        close("reset");  // ECONNRESET and the like: nobody to answer
        return;
    }
    if (state_ == State::reading) {
        parse();
    }
    update_interest();
}

// Feeds the buffered bytes to the parser, one request at a time: a complete
// request is dispatched, and the loop goes on only if its answer is out
// already (an asynchronous application that answered at once); otherwise
// the rest of the buffer waits for after_answer(), which keeps the answers
// in request order.
void HttpContext::parse() {
    parsing_ = true;
    while (state_ == State::reading) {
        input_.erase(0, parser_.feed(input_));
        const RequestParser::State parsed = parser_.state();
        if (!head_seen_ &&
            (parsed == RequestParser::State::body || parsed == RequestParser::State::complete)) {
            head_seen_ = true;
            service_.trace().event("head", id_);
        }
        if (parsed == RequestParser::State::complete) {
            arm(Timer::none);  // the request is in: no timer while it is answered
            dispatch(parser_.take());
            continue;
        }
        if (parsed == RequestParser::State::rejected) {
            reject(parser_.status(), parser_.error());
            break;
        }
        // Incomplete. After EOF it never will be; else wait for more bytes,
        // on the head clock once the request has begun.
        if (peer_ended_) {
            close(parsed == RequestParser::State::idle ? "client-done" : "eof-mid-request");
            break;
        }
        if (parsed != RequestParser::State::idle && timer_kind_ == Timer::idle) {
            arm(Timer::head);
        }
        break;
    }
    parsing_ = false;
}

// Finds the application for the request and starts it: 404 and 405 are
// answered here; a synchronous application goes to the pool, an
// asynchronous one runs now, on this thread, with a Responder.
void HttpContext::dispatch(Request request) {
    ++request_;
    ++service_.stats().requests;
    keep_alive_ = request.keep_alive;
    head_only_ = request.method == "HEAD";
    target_ = request.target;
    state_ = State::waiting;
    const Mount* mount = service_.mounts().find(request.target);
    if (mount == nullptr) {
        send(text_response(404, "nothing at " + std::string(target_path(request.target)) + "\n"));
        return;
    }
    if (!mount->allows(request.method)) {
        Response response = text_response(405, "not allowed here: " + request.method + "\n");
        response.fields.emplace_back("Allow", mount->allow_field());
        send(response);
        return;
    }
    if (mount->mode == Mode::synchronous) {
        run_on_pool(*mount, std::move(request));
        return;
    }
    service_.trace().event("dispatched", id_, "\"where\":\"loop\"");
    ++service_.stats().in_loop;
    const Clock::time_point began = Clock::now();
    mount->asynchronous(request, Responder(shared_from_this(), request_));
    service_.trace().app(id_, began, Clock::now(), 0, target_);
}

// The hand-off: the application runs on a worker with its own copy of the
// request, and builds a Response there. It never touches the context or
// the socket; its result comes back through the post queue, and the loop
// thread writes it. The completion holds the context, which may have
// closed meanwhile: respond() then does nothing.
void HttpContext::run_on_pool(const Mount& mount, Request request) {
    struct Job {
        SyncApp app;
        Request request;
        Response response;
        Clock::time_point began;
        Clock::time_point ended;
        std::size_t worker = 0;
    };
    auto job = std::make_shared<Job>(Job{.app = mount.function, .request = std::move(request)});
    service_.trace().event("dispatched", id_, "\"where\":\"pool\"");
    ++service_.stats().on_pool;
    service_.pool().offload(
        [job] {
            job->began = Clock::now();
            job->worker = ThreadPool::worker_number();
            job->response = job->app(job->request);
            job->ended = Clock::now();
        },
        [self = shared_from_this(), job, request = request_](const Completion& completion) {
            Service& service = self->service_;
            --service.stats().on_pool;
            if (completion.ok()) {
                service.trace().app(self->id_, job->began, job->ended, job->worker, self->target_);
                self->respond(request, job->response);
            } else {
                self->respond(request,
                              text_response(completion.cancelled ? 503 : 500,
                                            completion.cancelled ? "shutting down\n"
                                                                 : "the application failed\n"));
            }
        });
}

}  // namespace kit
