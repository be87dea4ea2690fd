// Stage 5: the fetch client on the Loop with timers.
//
// Stage 4's program (every backend: select, poll, epoll, epoll-et,
// kqueue) with a TimerQueue as a Source: the global --timeout is a timer,
// and --connect-timeout and --idle-timeout give every connection timers of
// its own (fetch_with_timers.cpp). Lesson: lessons/05-timers.md.
#include "fetch_program.hpp"
#include "fetch_with_timers.hpp"
#include "stage3_backends.hpp"
#include "stage4_backends.hpp"

int main(int argc, char** argv) {
    return kit::fetch_program_main(
        argc, argv,
        {.description = "non-blocking fetch on the Loop with timers: a global deadline, and "
                        "connect and idle timeouts per connection (stage 5)",
         .makers = kit::stage4_backends(),
         .default_backend = "poll",
         .reads = kit::reads_for_backend,
         .client = kit::fetch_with_timers,
         .connection_timeouts = true});
}
