// The fetch client with per-connection timers; see fetch_with_timers.hpp.
// Lesson: lessons/05-timers.md, "Timeouts per connection".
#include "fetch_with_timers.hpp"

#include "connection_timers.hpp"
#include "timer_queue.hpp"

namespace kit {

void fetch_with_timers(Loop& loop, const FetchOptions& options, FetchLog& log, Reads reads) {
    fetch_with_timers_starting(loop, options, log, reads,
                               [](LoopFetch& fetch, const std::vector<Url>& targets) {
                                   for (const Url& url : targets) {
                                       fetch.start(url);
                                   }
                               });
}

void fetch_with_timers_starting(Loop& loop, const FetchOptions& options, FetchLog& log, Reads reads,
                                const StartTargets& start) {
    TimerQueue timers;
    loop.add_source(timers);
    ConnectionTimers guards(timers, options);
    LoopFetch fetch(loop, log, reads, guards.hooks());
    guards.fail_through(fetch);
    start(fetch, options.targets);
    fetch.stall_first_read(options.stall);

    // The global deadline, stage 2's Deadline source, is now just a timer.
    timers.after(options.timeout, [&fetch, &loop] {
        fetch.fail_unfinished(Reason::timeout);
        loop.stop();
    });
    fetch.run();
    loop.remove_source(timers);
}

}  // namespace kit
