// Stage 3: the fetch client on the Loop, now with epoll too.
//
// Stage 2's program over a longer list: select, poll, epoll (the default)
// and epoll-et. The client is stage 2's fetch_on_loop(); on the
// edge-triggered backend each read callback drains its socket
// (drain_until_eagain(), the stage's second exercise). Lesson: lessons/03-epoll.md.
#include "fetch_program.hpp"
#include "stage3_backends.hpp"

int main(int argc, char** argv) {
    return kit::fetch_program_main(
        argc, argv,
        {.description = "non-blocking fetch of all targets at once on the Loop, over select(), "
                        "poll() or epoll (stage 3)",
         .makers = kit::stage3_backends(),
         // The default: O(ready) per wait, with the Loop's own level-triggered contract.
         .default_backend = "epoll",
         .reads = kit::reads_for_backend});
}
