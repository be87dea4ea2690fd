// Stage 2: the fetch client on the reactor, with a choice of backend.
//
// The same Connection state machine as stage 1, driven by the Loop
// (fetch_on_loop.cpp) over the backend named by --backend: select, or poll
// (the default, which has no FD_SETSIZE limit). Same contract, same trace.
// Lesson: lessons/02-reactor.md.
#include "backends.hpp"
#include "fetch_on_loop.hpp"
#include "loop.hpp"

#include "kit/fetch_main.hpp"

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

void fetch_all(const kit::FetchOptions& options, kit::FetchLog& log) {
    std::string error;
    std::unique_ptr<kit::Backend> backend =
        kit::make_backend(options.backend, kit::stage2_backends(), error);
    if (!backend) {  // fetch_main() knew the name, but its maker failed
        std::fprintf(stderr, "fetch: %s\n", error.c_str());
        for (std::size_t i = 0; i < options.targets.size(); ++i) {
            log.finish(i, kit::Outcome::failure(kit::Reason::io));
        }
        return;
    }
    kit::Loop loop(std::move(backend));
    kit::fetch_on_loop(loop, options, log);
}

// The default: the backend without FD_SETSIZE's limit.
constexpr std::string_view kDefaultBackend = "poll";

// What --backend accepts, the default first (as fetch_main() wants it).
std::vector<std::string> backend_choices() {
    std::vector<std::string> choices{std::string(kDefaultBackend)};
    for (std::string& name : kit::backend_names(kit::stage2_backends())) {
        if (name != kDefaultBackend) {
            choices.push_back(std::move(name));
        }
    }
    return choices;
}

}  // namespace

int main(int argc, char** argv) {
    return kit::fetch_main(argc, argv,
                           {.description = "non-blocking fetch of all targets at once on the "
                                           "Loop, over select() or poll() (stage 2)",
                            .features = {.backends = backend_choices(), .stall = true},
                            .run = fetch_all});
}
