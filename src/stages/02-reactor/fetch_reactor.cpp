// Stage 2: the fetch client on the reactor, with a choice of backend.
//
// The same Connection state machine as stage 1, driven by the Loop
// (fetch_on_loop.cpp) over the backend named by --backend: select, or poll
// (the default, which has no FD_SETSIZE limit). Same contract, same trace.
// Lesson: lessons/02-reactor.md.
#include "backends.hpp"
#include "fetch_program.hpp"

int main(int argc, char** argv) {
    return kit::fetch_program_main(
        argc, argv,
        {.description = "non-blocking fetch of all targets at once on the Loop, over select() or "
                        "poll() (stage 2)",
         .makers = kit::stage2_backends(),
         // The default: the backend without FD_SETSIZE's limit.
         .default_backend = "poll"});
}
