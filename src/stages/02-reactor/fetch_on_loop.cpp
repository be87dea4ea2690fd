// The fetch client on the Loop; see fetch_on_loop.hpp.
#include "fetch_on_loop.hpp"

#include "deadline.hpp"

#include <cstdio>
#include <string>
#include <type_traits>
#include <utility>

namespace kit {

namespace {

static_assert(std::is_same_v<FetchLog::Clock, Clock>, "the trace and the loop share one clock");

IoEvents events_for(Interest interest) {
    return {.readable = interest == Interest::readable, .writable = interest == Interest::writable};
}

}  // namespace

LoopFetch::LoopFetch(Loop& loop, FetchLog& log, Reads reads, FetchHooks hooks)
    : loop_(loop), log_(log), reads_(std::move(reads)), hooks_(std::move(hooks)) {}

void LoopFetch::start(const Url& url) {
    connect(add(), url);
}

std::size_t LoopFetch::add() {
    const std::size_t target = connections_.size();
    Connection& c = connections_.emplace_back(target, log_);
    watched_.push_back(false);
    ever_watched_.push_back(false);
    // Unwatch before the close, not after: once closed, the number is free,
    // and from stage 6 on a worker thread may open a file that gets it.
    c.before_close([this, target](int fd) {
        if (watched_[target]) {
            watched_[target] = false;
            loop_.unwatch(fd);
        }
    });
    return target;
}

const Connection& LoopFetch::connection(std::size_t target) const {
    return connections_.at(target);
}

void LoopFetch::connect(std::size_t target, const Url& url) {
    Connection& c = connections_.at(target);
    if (c.finished()) {
        return;
    }
    c.start(url);
    if (c.finished()) {
        // Failed at once (an unresolvable host, a refusal): nothing to watch.
        return finished(target);
    }
    int fd = c.fd();
    std::error_code error =
        loop_.watch(fd, events_for(c.interest()), [this, target](IoEvents) { step(target); });
    if (error) {
        // The loop cannot watch this fd (select: not below FD_SETSIZE).
        std::fprintf(stderr, "fetch: %s: cannot watch fd %d with %s: %s\n", url.text.c_str(), fd,
                     std::string(loop_.backend_name()).c_str(), error.message().c_str());
        c.fail(Reason::fd_limit);
        return finished(target);
    }
    watched_[target] = true;
    ever_watched_[target] = true;
    if (hooks_.watched) {
        hooks_.watched(target);
    }
}

void LoopFetch::stall_first_read(std::chrono::milliseconds duration) {
    if (!connections_.empty()) {
        connections_.front().stall_first_read(duration);
    }
}

void LoopFetch::fail(std::size_t target, Reason reason) {
    Connection& c = connections_.at(target);
    if (!c.finished()) {
        c.fail(reason);
        finished(target);
    }
}

void LoopFetch::fail_unfinished(Reason reason) {
    for (std::size_t target = 0; target < connections_.size(); ++target) {
        fail(target, reason);
    }
}

void LoopFetch::run() {
    loop_.on_wait([this](Clock::time_point began, Clock::time_point ended, int ready) {
        log_.wait(began, ended, ready);
    });
    if (!log_.all_finished()) {
        if (std::error_code error = loop_.run()) {
            std::fprintf(stderr, "fetch: waiting with %s failed: %s\n",
                         std::string(loop_.backend_name()).c_str(), error.message().c_str());
            fail_unfinished(Reason::io);
        }
    }
    loop_.on_wait(nullptr);
}

// The connection's fd is ready: one handler, then follow its new interest.
void LoopFetch::step(std::size_t target) {
    Connection& c = connections_[target];
    if (hooks_.ready) {
        hooks_.ready(target);
    }
    int fd = c.fd();  // taken first: a connection that finishes closes it
    c.on_ready();
    if (reads_) {
        reads_(c, fd);  // edge-triggered: read what on_ready() left behind
    }
    if (c.finished()) {
        return finished(target);
    }
    // The same fd with a new interest: select and poll accept it, since
    // they accepted it in watch().
    if (std::error_code error = loop_.modify(fd, events_for(c.interest()))) {
        std::fprintf(stderr, "fetch: cannot change the watch of fd %d: %s\n", fd,
                     error.message().c_str());
        c.fail(Reason::io);
        finished(target);
    }
}

// The connection is finished: its fd was unwatched just before the
// Connection closed it (the before_close hook set in add()). The hooks
// hear only of targets whose fd was ever watched.
void LoopFetch::finished(std::size_t target) {
    if (ever_watched_[target] && hooks_.finished) {
        hooks_.finished(target);
    }
    if (log_.all_finished()) {
        if (hooks_.all_finished) {
            hooks_.all_finished();
        } else {
            loop_.stop();
        }
    }
}

void fetch_on_loop(Loop& loop, const FetchOptions& options, FetchLog& log, Reads reads) {
    LoopFetch fetch(loop, log, std::move(reads));
    for (const Url& url : options.targets) {
        fetch.start(url);
    }
    fetch.stall_first_read(options.stall);

    Deadline deadline(loop, Clock::now() + options.timeout,
                      [&fetch] { fetch.fail_unfinished(Reason::timeout); });
    loop.add_source(deadline);
    fetch.run();
    loop.remove_source(deadline);
}

}  // namespace kit
