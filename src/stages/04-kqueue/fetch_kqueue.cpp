// Stage 4: the fetch client on the Loop, now with kqueue too.
//
// Stage 3's program over a longer list: select, poll, epoll, epoll-et and
// kqueue (the default here: on Linux the kit's emulation runs it).
// Lesson: lessons/04-kqueue.md.
#include "fetch_program.hpp"
#include "stage3_backends.hpp"
#include "stage4_backends.hpp"

int main(int argc, char** argv) {
    return kit::fetch_program_main(
        argc, argv,
        {.description = "non-blocking fetch of all targets at once on the Loop, over select(), "
                        "poll(), epoll or kqueue (stage 4)",
         .makers = kit::stage4_backends(),
         .default_backend = "kqueue",
         .reads = kit::reads_for_backend});
}
