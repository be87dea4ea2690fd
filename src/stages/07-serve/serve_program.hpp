// serve_main(): the serve program, written once, that later stages extend.
//
// Stage 7's program builds the pieces and runs the loop (serve_main.cpp
// says how). A later stage's serve is the same program with more: more
// options on the command line, more applications mounted on the same
// Service. It passes a ServeExtension instead of copying this one, as
// stages 3 to 6 pass a FetchProgramSpec to stage 2's fetch program.
// Lessons: lessons/07-serve.md and lessons/08-async.md.
//
// Interface rules: call from main(), once.
#pragma once

#include "serve_options.hpp"
#include "service.hpp"

#include <functional>
#include <string>

namespace kit {

/// What a later stage adds to stage 7's serve (see the file comment).
struct ServeExtension {
    /// The first line of --help, e.g. "The chat of stage 8: ...".
    std::string description;
    /// More options, each with a value (stage 8: --poll-timeout S).
    MoreOptions options;
    /// More --help text, one line per option or application.
    std::string usage;
    /// Mounts more applications on @p service once it exists, before the
    /// loop runs (loop thread). What they share lives in their closures,
    /// so it ends with the Service, before the loop's timers and queue.
    std::function<void(Service& service)> mount;
};

/// The serve program: parses @p argv (stage 7's options and @p extension's),
/// builds the service on the --backend's Loop, mounts stage 7's
/// applications and then @p extension's, prints `listening on
/// http://ADDR:PORT/`, and runs until SIGINT or SIGTERM. @return the exit
/// status: 0, 1 if it could not listen, 2 for a usage error.
int serve_main(int argc, char** argv, const ServeExtension& extension = {});

}  // namespace kit
