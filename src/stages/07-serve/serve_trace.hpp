// ServeTrace: what the server did when, for tests, demos and timelines.
//
// The same Chrome Trace Event Format as the fetch programs' trace
// (kit/fetch_log.hpp), with the server's lanes: lane 0 is the loop thread,
// lane N the pool's worker N. Events (category "conn", args.conn names the
// connection): accepted, head (a request head is parsed), dispatched
// (args.where: "loop" or "pool"), written (a whole answer is out,
// args.status), closed (args.why). Spans: "app" (category "work", an
// application running, on the lane of its thread, args.thread "loop" or
// "pool-N") and "wait" (category "loop", the loop asleep in its backend).
// Open the file in chrome://tracing or Perfetto to see the lanes.
// Lesson: lessons/07-serve.md.
//
// Interface rules: loop thread only. A worker does not record: it measures
// its span's times, and the loop records them when the result comes back.
// At most kMaxEvents are kept; later ones are counted and dropped.
#pragma once

#include "clock.hpp"

#include "kit/fetch_log.hpp"  // json_escape()

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace kit {

/// The server's trace (see the file comment).
class ServeTrace {
public:
    /// Events beyond this many are dropped (a long run must not grow without bound).
    static constexpr std::size_t kMaxEvents = 1'000'000;

    /// Starts the clock; records nothing unless @p enabled.
    explicit ServeTrace(bool enabled);

    /// Whether events are recorded.
    [[nodiscard]] bool enabled() const { return enabled_; }

    /// An instant @p name on the loop's lane for connection @p conn, with
    /// @p args (a JSON object body such as `"status":200`, or empty).
    void event(std::string_view name, std::uint64_t conn, std::string_view args = {});

    /// An application's run for connection @p conn from @p begin to @p end on
    /// @p worker's lane (0: the loop thread), serving @p target.
    void app(std::uint64_t conn, Clock::time_point begin, Clock::time_point end, std::size_t worker,
             std::string_view target);

    /// One wait of the loop: from @p begin to @p end, then @p ready fds ready.
    void wait(Clock::time_point begin, Clock::time_point end, int ready);

    /// Writes the trace as JSON, lanes named for @p workers pool threads.
    void write(std::ostream& out, std::size_t workers) const;

private:
    struct Event {
        std::string name;
        std::string_view category;
        char phase;  // 'X' complete, 'i' instant
        std::size_t lane;
        Clock::time_point at;
        Clock::duration duration{};
        std::string args;
    };
    void record(Event event);

    bool enabled_;
    Clock::time_point start_;
    std::vector<Event> events_;
    std::uint64_t dropped_ = 0;
};

}  // namespace kit
