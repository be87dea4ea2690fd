// The fetch client with per-connection timers; see fetch_with_timers.hpp.
#include "fetch_with_timers.hpp"

#include "connection.hpp"
#include "timer_queue.hpp"

#include <cstdio>
#include <deque>
#include <optional>
#include <string>

namespace kit {

namespace {

IoEvents events_for(Interest interest) {
    return {.readable = interest == Interest::readable, .writable = interest == Interest::writable};
}

// One target: its connection, and the timers that guard it.
struct Target {
    Target(std::size_t index, FetchLog& log) : connection(index, log) {}

    Connection connection;
    // The first readiness of a connecting socket is the end of the
    // handshake, well or badly; so the driver knows "connected" without
    // asking the Connection, whose class stage 1 wrote and we keep as is.
    bool connect_over = false;
    Clock::time_point last_activity;  // the last readiness handled, for the idle timer
    TimerId connect_timer;
    TimerId idle_timer;
};

// The targets on one Loop and one TimerQueue: keeps each watch in step with
// what its connection waits for, and each connection's timers with its state.
class TimedFetch {
public:
    TimedFetch(Loop& loop, TimerQueue& timers, const FetchOptions& options, FetchLog& log)
        : loop_(loop), timers_(timers), options_(options), log_(log) {}

    void start(const Url& url) {
        Target& t = targets_.emplace_back(targets_.size(), log_);
        Connection& c = t.connection;
        c.start(url);
        if (c.finished()) {
            return;  // failed at once (an unresolvable host): nothing to watch
        }
        int fd = c.fd();
        if (std::error_code error =
                loop_.watch(fd, events_for(c.interest()), [this, &t](IoEvents) { step(t); })) {
            std::fprintf(stderr, "fetch: %s: cannot watch fd %d with %s: %s\n", url.text.c_str(),
                         fd, std::string(loop_.backend_name()).c_str(), error.message().c_str());
            c.fail(Reason::fd_limit);
            return;
        }
        if (options_.connect_timeout) {
            t.connect_timer = timers_.after(*options_.connect_timeout,
                                            [this, &t] { expire(t, Reason::connect_timeout); });
        }
    }

    void stall_first_read(std::chrono::milliseconds duration) {
        if (!targets_.empty()) {
            targets_.front().connection.stall_first_read(duration);
        }
    }

    // Ends every unfinished connection with @p reason.
    void fail_unfinished(Reason reason) {
        for (Target& t : targets_) {
            if (!t.connection.finished()) {
                int fd = t.connection.fd();
                t.connection.fail(reason);
                loop_.unwatch(fd);
                cancel_timers(t);
            }
        }
    }

private:
    // The connection's fd is ready: note the activity, one handler, then
    // follow its new interest.
    void step(Target& t) {
        Connection& c = t.connection;
        int fd = c.fd();  // taken first: a connection that finishes closes it
        if (!t.connect_over) {
            t.connect_over = true;
            timers_.cancel(t.connect_timer);
            if (options_.idle_timeout) {
                t.idle_timer = timers_.after(*options_.idle_timeout, [this, &t] { on_idle(t); });
            }
        }
        t.last_activity = Clock::now();
        c.on_ready();
        if (c.finished()) {
            loop_.unwatch(fd);  // closed already: fine for every backend (see stage 2)
            finished(t);
            return;
        }
        if (std::error_code error = loop_.modify(fd, events_for(c.interest()))) {
            std::fprintf(stderr, "fetch: cannot change the watch of fd %d: %s\n", fd,
                         error.message().c_str());
            c.fail(Reason::io);
            loop_.unwatch(fd);
            finished(t);
        }
    }

    // The idle timer is not re-armed on every read (a cancel and a push
    // per chunk); step() only notes the time, and when the timer fires it
    // checks: if something came meanwhile, it sleeps again until
    // last_activity + idle. One timer operation per idle period instead of
    // one per read: libev's manual calls this "be smart about timeouts".
    void on_idle(Target& t) {
        Clock::time_point due = t.last_activity + *options_.idle_timeout;
        if (Clock::now() < due) {
            t.idle_timer = timers_.at(due, [this, &t] { on_idle(t); });
            return;
        }
        expire(t, Reason::idle_timeout);
    }

    // A per-connection timer fired: this connection fails alone.
    void expire(Target& t, Reason reason) {
        int fd = t.connection.fd();
        t.connection.fail(reason);
        loop_.unwatch(fd);
        finished(t);
    }

    void finished(Target& t) {
        cancel_timers(t);
        if (log_.all_finished()) {
            loop_.stop();
        }
    }

    // Cancelling a timer that has fired, or the one running now, is safe
    // and returns false (timer_queue.hpp).
    void cancel_timers(Target& t) {
        timers_.cancel(t.connect_timer);
        timers_.cancel(t.idle_timer);
    }

    Loop& loop_;
    TimerQueue& timers_;
    const FetchOptions& options_;
    FetchLog& log_;
    std::deque<Target> targets_;  // a deque never moves its elements: callbacks hold references
};

}  // namespace

void fetch_with_timers(Loop& loop, const FetchOptions& options, FetchLog& log) {
    TimerQueue timers;
    loop.add_source(timers);
    TimedFetch fetch(loop, timers, options, log);
    for (const Url& url : options.targets) {
        fetch.start(url);
    }
    fetch.stall_first_read(options.stall);

    // The global deadline, stage 2's Deadline source, is now just a timer.
    timers.after(options.timeout, [&fetch, &loop] {
        fetch.fail_unfinished(Reason::timeout);
        loop.stop();
    });
    loop.on_wait([&log](Clock::time_point began, Clock::time_point ended, int ready) {
        log.wait(began, ended, ready);
    });

    if (!log.all_finished()) {
        if (std::error_code error = loop.run()) {
            std::fprintf(stderr, "fetch: waiting with %s failed: %s\n",
                         std::string(loop.backend_name()).c_str(), error.message().c_str());
            fetch.fail_unfinished(Reason::io);
        }
    }
    loop.on_wait(nullptr);
    loop.remove_source(timers);
}

}  // namespace kit
