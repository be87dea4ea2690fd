// Stage 5: the fetch client on the Loop with timers.
//
// Stage 2's program (any backend of the list, --backend) with a TimerQueue
// as a Source: the global --timeout is a timer, and --connect-timeout and
// --idle-timeout give every connection timers of its own
// (fetch_with_timers.cpp). Lesson: lessons/05-timers.md.
#include "backends.hpp"
#include "fetch_with_timers.hpp"
#include "loop.hpp"

#include "kit/fetch_main.hpp"

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

// The backends this stage runs on (later stages' lists add epoll, kqueue).
std::vector<kit::BackendMaker> backends() {
    return kit::stage2_backends();
}

void fetch_all(const kit::FetchOptions& options, kit::FetchLog& log) {
    std::string error;
    std::unique_ptr<kit::Backend> backend = kit::make_backend(options.backend, backends(), error);
    if (!backend) {  // fetch_main() knew the name, but its maker failed
        std::fprintf(stderr, "fetch: %s\n", error.c_str());
        for (std::size_t i = 0; i < options.targets.size(); ++i) {
            log.finish(i, kit::Outcome::failure(kit::Reason::io));
        }
        return;
    }
    kit::Loop loop(std::move(backend));
    kit::fetch_with_timers(loop, options, log);
}

// What --backend accepts, the default (poll: no FD_SETSIZE limit) first.
std::vector<std::string> backend_choices() {
    constexpr std::string_view kDefault = "poll";
    std::vector<std::string> choices{std::string(kDefault)};
    for (std::string& name : kit::backend_names(backends())) {
        if (name != kDefault) {
            choices.push_back(std::move(name));
        }
    }
    return choices;
}

}  // namespace

int main(int argc, char** argv) {
    return kit::fetch_main(
        argc, argv,
        {.description = "non-blocking fetch on the Loop with timers: a global deadline, and "
                        "connect and idle timeouts per connection (stage 5)",
         .features = {.backends = backend_choices(), .stall = true, .connection_timeouts = true},
         .run = fetch_all});
}
