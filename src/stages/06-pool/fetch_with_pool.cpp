// The fetch client with a thread pool; see fetch_with_pool.hpp.
// Lesson: lessons/06-pool.md, "Blocking work per target".
#include "fetch_with_pool.hpp"

#include "fetch_with_timers.hpp"
#include "post_queue.hpp"
#include "process_step.hpp"
#include "thread_pool.hpp"

#include "kit/net.hpp"

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>

namespace kit {

namespace {

// The thread running now, as the trace names it.
std::string thread_name() {
    std::size_t worker = ThreadPool::worker_number();
    return worker == 0 ? "loop" : "pool-" + std::to_string(worker);
}

// What a job measured on its thread, for the trace.
struct Span {
    Clock::time_point begin;
    Clock::time_point end;
    std::string thread;
};

// The blocking steps of every target, and where each one runs.
class BlockingSteps {
public:
    BlockingSteps(Loop& loop, ThreadPool& pool, const FetchOptions& options, FetchLog& log)
        : loop_(loop), pool_(pool), options_(options), log_(log) {}

    // StartTargets: each target's name is resolved on the pool; its
    // connect starts on the loop thread when the answer comes back.
    void start(LoopFetch& fetch, const std::vector<Url>& targets) {
        fetch_ = &fetch;
        for (const Url& url : targets) {
            resolve(fetch.add(), url);
        }
    }

    // The log's before_ok() step: a body has arrived whole.
    void process(std::size_t target, const Outcome& outcome) {
        std::string body(fetch_->connection(target).response().body());
        if (options_.process_on == ProcessOn::loop) {
            // Right here, inside the read handler: every connection waits.
            Span span{.begin = Clock::now()};
            std::optional<Outcome> result = outcome;
            try {
                process_body(body, *options_.process);
            } catch (const std::exception&) {
                result = Outcome::failure(Reason::io);
            }
            span.end = Clock::now();
            span.thread = "loop";
            return processed(target, *result, span);
        }
        auto span = std::make_shared<Span>();
        processing_.insert(target);
        pool_.offload(
            [span, body = std::move(body), at_least = *options_.process] {
                span->begin = Clock::now();
                span->thread = thread_name();
                try {
                    process_body(body, at_least);
                } catch (...) {
                    span->end = Clock::now();
                    throw;  // reaches the completion as its error
                }
                span->end = Clock::now();
            },
            [this, target, outcome, span](const Completion& done) {
                processing_.erase(target);
                processed(target, done.ok() ? outcome : Outcome::failure(Reason::io), *span);
            });
    }

    // After the run: a target still being processed when the run ended
    // (the global --timeout) fails as `timeout`; its completion is never run.
    void fail_unprocessed() {
        for (std::size_t target : processing_) {
            log_.finish(target, Outcome::failure(Reason::timeout));
        }
        processing_.clear();
    }

private:
    void resolve(std::size_t target, const Url& url) {
        auto address = std::make_shared<std::optional<sockaddr_in>>();
        auto span = std::make_shared<Span>();
        pool_.offload(
            [address, span, url, slow = options_.slow_resolve] {
                span->begin = Clock::now();
                span->thread = thread_name();
                std::this_thread::sleep_for(slow);  // --slow-resolve: a slow name server
                *address = resolve_ipv4(url);       // getaddrinfo(): may wait for seconds
                span->end = Clock::now();
            },
            [this, target, url, address, span](const Completion& done) {
                log_.span(target, "resolve", span->begin, span->end, span->thread);
                if (!done.ok() || !*address) {
                    return fetch_->fail(target, Reason::resolve);
                }
                Url resolved = url;
                resolved.address = ipv4_text(**address);
                fetch_->connect(target, resolved);
            });
    }

    void processed(std::size_t target, const Outcome& outcome, const Span& span) {
        log_.span(target, "process", span.begin, span.end, span.thread);
        log_.finish(target, outcome);
        if (log_.all_finished()) {
            loop_.stop();
        }
    }

    Loop& loop_;
    ThreadPool& pool_;
    const FetchOptions& options_;
    FetchLog& log_;
    LoopFetch* fetch_ = nullptr;
    std::set<std::size_t> processing_;  // targets whose body is on the pool now
};

}  // namespace

void fetch_with_pool(Loop& loop, const FetchOptions& options, FetchLog& log, Reads reads) {
    // Destroyed in reverse: the steps, then the pool (its workers joined),
    // then the queue, which drops the completions that never ran.
    PostQueue posts(loop);
    ThreadPool pool(posts, options.threads);
    BlockingSteps steps(loop, pool, options, log);
    if (options.process) {
        log.before_ok([&steps](std::size_t target, const Outcome& outcome) {
            steps.process(target, outcome);
        });
    }
    fetch_with_timers_starting(loop, options, log, reads,
                               [&steps](LoopFetch& fetch, const std::vector<Url>& targets) {
                                   steps.start(fetch, targets);
                               });
    steps.fail_unprocessed();
    log.before_ok(nullptr);
    pool.stop();
}

}  // namespace kit
