// Stage 6: the fetch client with a thread pool beside the loop.
//
// Stage 5's program (every backend, the timers) where what blocks leaves
// the loop: names resolve on the pool, and --process saves every body on
// the pool (or, with --process-on loop, inside the loop, to see it stall
// everything). Lesson: lessons/06-pool.md.
#include "fetch_program.hpp"
#include "fetch_with_pool.hpp"
#include "stage3_backends.hpp"
#include "stage4_backends.hpp"

int main(int argc, char** argv) {
    return kit::fetch_program_main(
        argc, argv,
        {.description = "non-blocking fetch on the Loop with timers and a thread pool: names "
                        "resolve on the pool, and --process saves each body there (stage 6)",
         .makers = kit::stage4_backends(),
         .default_backend = "poll",
         .reads = kit::reads_for_backend,
         .client = kit::fetch_with_pool,
         .connection_timeouts = true,
         .pool = true});
}
