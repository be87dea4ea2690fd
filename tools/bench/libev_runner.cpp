// libev on the benchmark's ring; see libev_runner.hpp. One ev_io per fd,
// as libev's own benchmark does; libev is built with its defaults.
#include "libev_runner.hpp"

#include <ev.h>

#include <vector>

namespace bench {

namespace {

struct Watcher {
    ev_io io;  // first member: the callback gets &io back and casts
    std::size_t index;
    Tokens* tokens;
};

void on_io(struct ev_loop* loop, ev_io* io, int /*revents*/) {
    auto* watcher = reinterpret_cast<Watcher*>(io);
    if (watcher->tokens->on_readable(watcher->index)) {
        ev_break(loop, EVBREAK_ALL);
    }
}

}  // namespace

std::optional<Result> run_libev(const Chain& chain, std::size_t active, std::size_t target) {
    // (Two unnamed enums in ev.h: combined as plain unsigned ints.)
    struct ev_loop* loop =
        ev_loop_new(static_cast<unsigned>(EVBACKEND_EPOLL) | static_cast<unsigned>(EVFLAG_NOENV));
    Tokens tokens;
    std::vector<Watcher> watchers(chain.watched.size());
    for (std::size_t j = 0; j < watchers.size(); ++j) {
        watchers[j].index = j;
        watchers[j].tokens = &tokens;
        ev_io_init(&watchers[j].io, on_io, chain.watched[j], EV_READ);
        ev_io_start(loop, &watchers[j].io);
    }
    ev_run(loop, EVRUN_NOWAIT);  // let libev apply the registrations, untimed
    start(tokens, chain, active, target);
    auto began = std::chrono::steady_clock::now();
    ev_run(loop, 0);
    auto ended = std::chrono::steady_clock::now();
    for (Watcher& watcher : watchers) {
        ev_io_stop(loop, &watcher.io);
    }
    ev_loop_destroy(loop);
    drain(chain);
    return Result{tokens.fired, tokens.merged, ended - began};
}

}  // namespace bench
