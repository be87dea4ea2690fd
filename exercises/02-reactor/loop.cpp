// Stage 2 exercise, part 2: the Loop's dispatch step. Edit this file and
// poll_backend.cpp (not the tests; the class is declared in
// src/stages/02-reactor/loop.hpp, which stays as it is). Fill in the TODO
// in dispatch_io(), then run `./kit check 2`.
// Lesson: lessons/02-reactor.md, "run(), step by step".
#include "loop.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace kit {

namespace {

// Misuse of the Loop is a bug in the caller: say which, and stop here.
void require(bool condition, const char* what) {
    if (!condition) {
        std::fprintf(stderr, "kit::Loop: %s\n", what);
        std::abort();
    }
}

}  // namespace

Loop::Loop(std::unique_ptr<Backend> backend)
    : owner_(std::this_thread::get_id()), backend_(std::move(backend)) {
    require(backend_ != nullptr, "constructed without a backend");
}

Loop::~Loop() = default;

std::error_code Loop::watch(int fd, IoEvents interest, Callback callback) {
    require_loop_thread("watch");
    require(fd >= 0, "watch() of a negative fd");
    require(interest.any(), "watch() with an empty interest (to stop watching, unwatch())");
    require(!watches_.contains(fd), "watch() of an fd that is watched already (use modify())");
    if (std::error_code error = backend_->modify(fd, {}, interest)) {
        return error;
    }
    watches_.emplace(fd, Watch{.interest = interest,
                               .generation = next_generation_++,
                               .callback = std::make_shared<const Callback>(std::move(callback))});
    return {};
}

std::error_code Loop::modify(int fd, IoEvents interest) {
    require_loop_thread("modify");
    require(interest.any(), "modify() to an empty interest (to stop watching, unwatch())");
    auto it = watches_.find(fd);
    require(it != watches_.end(), "modify() of an fd that is not watched");
    if (it->second.interest == interest) {
        return {};  // nothing changes: spare the backend the call
    }
    if (std::error_code error = backend_->modify(fd, it->second.interest, interest)) {
        return error;
    }
    it->second.interest = interest;
    return {};
}

void Loop::unwatch(int fd) {
    require_loop_thread("unwatch");
    auto it = watches_.find(fd);
    require(it != watches_.end(), "unwatch() of an fd that is not watched");
    // Removing never fails (Backend::modify()): select and poll keep the
    // interest in our memory, not the kernel's, so even a closed fd is
    // just a bit or an entry to drop.
    require(!backend_->modify(fd, it->second.interest, {}), "the backend failed to remove an fd");
    watches_.erase(it);
}

void Loop::add_source(Source& source) {
    require_loop_thread("add_source");
    sources_.push_back(&source);
}

void Loop::remove_source(Source& source) {
    require_loop_thread("remove_source");
    auto it = std::find(sources_.begin(), sources_.end(), &source);
    require(it != sources_.end(), "remove_source() of a source that was not added");
    sources_.erase(it);
}

void Loop::on_wait(WaitHook hook) {
    require_loop_thread("on_wait");
    on_wait_ = std::move(hook);
}

// One turn: prepare the sources, wait, dispatch I/O, dispatch the sources.
std::error_code Loop::run() {
    require_loop_thread("run");
    std::error_code error;
    while (!stop_requested_) {
        // 1. Prepare: every source says how long the loop may sleep.
        std::optional<std::chrono::milliseconds> timeout = prepare_sources(Clock::now());

        // 2. Alive? Nothing watched and no source waiting for a time:
        //    nothing can ever wake the loop, so the run is over.
        if (watches_.empty() && !timeout) {
            break;
        }

        // 3. Wait in the backend, and tell the hook how it went.
        Clock::time_point began = Clock::now();
        error = backend_->wait(timeout, ready_);
        if (on_wait_) {
            on_wait_(began, Clock::now(), error ? -1 : static_cast<int>(ready_.size()));
        }
        if (error == std::errc::interrupted) {
            error.clear();  // a signal arrived: nothing is ready, go on
        } else if (error) {
            break;
        }

        // 4. Dispatch I/O: the callback of every ready watch.
        dispatch_io();

        // 5. Dispatch the sources: whatever is due now.
        dispatch_sources(Clock::now());
    }
    stop_requested_ = false;
    return error;
}

void Loop::stop() {
    require_loop_thread("stop");
    stop_requested_ = true;
}

std::string_view Loop::backend_name() const {
    require_loop_thread("backend_name");
    return backend_->name();
}

std::size_t Loop::watch_count() const {
    require_loop_thread("watch_count");
    return watches_.size();
}

void Loop::require_loop_thread(const char* call) const {
    if (std::this_thread::get_id() != owner_) {
        std::fprintf(stderr,
                     "kit::Loop::%s() called from a thread that is not the loop's thread (the "
                     "one that constructed it); only the loop thread may use a Loop\n",
                     call);
        std::abort();
    }
}

// The shortest time any source allows, rounded *up* to whole milliseconds:
// rounded down, the wait would end a hair before the source is due, find
// nothing to do, and spin until it is.
std::optional<std::chrono::milliseconds> Loop::prepare_sources(Clock::time_point now) {
    std::optional<Clock::duration> shortest;
    for (Source* source : sources_) {
        std::optional<Clock::duration> wanted = source->time_to_next(now);
        if (wanted && (!shortest || *wanted < *shortest)) {
            shortest = wanted;
        }
    }
    if (!shortest) {
        return std::nullopt;
    }
    return std::max(std::chrono::ceil<std::chrono::milliseconds>(*shortest),
                    std::chrono::milliseconds(0));
}

// The ready list is this turn's answer, but the callbacks change the
// watches while we walk it: one may unwatch an fd whose event comes later
// in the list, or unwatch it and watch a new fd that got the same number.
// So each event is checked against the watch as it is *now*:
// - gone: unwatched meanwhile, skip it;
// - a generation at or above first_new: a watch made by this turn's
//   callbacks, which the wait never asked about; skip it (libuv and libev
//   guard against the same with similar bookkeeping);
// - its interest is ANDed with the event: a modify() meanwhile may have
//   dropped what was ready.
void Loop::dispatch_io() {
    // TODO(stage 2): call the callback of every watch in ready_, safely.
    //   - Remember next_generation_ before the first callback: a watch
    //     whose generation is at or above it was made by a callback of
    //     this very batch, and the wait never asked about it.
    //   - For each ReadyFd: find its watch now; skip it if it is gone or
    //     that new. AND the event with the watch's interest (a modify()
    //     meanwhile may have dropped it); skip it if nothing is left.
    //   - Call the callback through a copy of the shared_ptr, not through
    //     the Watch: the callback may unwatch its own fd.
    stop();  // TODO(stage 2): delete this line: without dispatch the loop would spin
}

void Loop::dispatch_sources(Clock::time_point now) {
    // By index: a source's dispatch() may add another source.
    for (std::size_t i = 0; i < sources_.size(); ++i) {
        sources_[i]->dispatch(now);
    }
}

}  // namespace kit
