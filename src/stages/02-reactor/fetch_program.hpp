// fetch_program_main(): a fetch program over a list of backends.
//
// Stage 2's fetch program, written once over any list of backends, so that
// stage 3 (epoll), stage 4 (kqueue) and stage 5 (timers) each pass their
// longer list, and their own client, instead of copying the program: it
// makes the backend that --backend names, runs the client on a Loop over
// it, and reads the way that backend needs. Lessons: lessons/02-reactor.md
// and lessons/03-epoll.md.
#pragma once

#include "backends.hpp"
#include "fetch_on_loop.hpp"
#include "loop.hpp"

#include "kit/fetch_log.hpp"
#include "kit/fetch_main.hpp"

#include <functional>
#include <string_view>
#include <vector>

namespace kit {

/// What a fetch program built on fetch_program_main() is.
struct FetchProgramSpec {
    std::string_view description;      ///< One line for --help.
    std::vector<BackendMaker> makers;  ///< What --backend may name.
    std::string_view default_backend;  ///< One of the makers' names.
    /// How the client must read on the backend of that name: once per
    /// readiness (no Reads), unless an edge-triggered backend needs
    /// draining (stage 3's reads_for_backend()).
    std::function<Reads(std::string_view backend)> reads = [](std::string_view) { return Reads{}; };
    /// The client run on the Loop: fetch_on_loop(), unless a later stage
    /// brings its own (stage 5: fetch_with_timers()).
    std::function<void(Loop&, const FetchOptions&, FetchLog&, Reads)> client = fetch_on_loop;
    bool connection_timeouts = false;  ///< Accepts --connect-timeout and --idle-timeout.
    /// Accepts --process, --process-on, --threads and --slow-resolve (stage 6).
    bool pool = false;
};

/// Runs the fetch program @p spec describes: parses @p argv as fetch_main()
/// does, and returns its exit status.
int fetch_program_main(int argc, char** argv, FetchProgramSpec spec);

}  // namespace kit
