// FetchLog: the report and the trace of one fetch program run.
//
// Stage code tells the log what happens to each target (by its index on the
// command line); the log prints the contract's report lines as targets
// finish and, with --trace, keeps Chrome Trace Event records that tests,
// the demo and chrome://tracing or Perfetto read. Lesson 00 lists the
// event names; lesson 01 adds the loop's waits.
//
// Interface rules: every target is finished exactly once; times are taken
// from one steady clock, measured from the log's creation.
#pragma once

#include "kit/outcome.hpp"
#include "kit/url.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace kit {

/// A step of one target's life, recorded in the trace under its name.
enum class Milestone {
    connect_start,  ///< "connect-start": connect() is called.
    connected,      ///< "connected": the TCP connection is established.
    request_sent,   ///< "request-sent": the last request byte is written.
    first_byte,     ///< "first-byte": the first response byte is read.
};

/// The trace event name of @p milestone, e.g. "first-byte".
std::string_view to_string(Milestone milestone);

/// Collects the report and the trace of one run of a fetch program.
class FetchLog {
public:
    /// The clock every time in the report and the trace comes from.
    using Clock = std::chrono::steady_clock;

    /// Starts the clock. @p targets are the URLs in command-line order;
    /// report lines go to @p report; trace events are kept only if @p tracing.
    FetchLog(std::vector<Url> targets, std::ostream& report, bool tracing);

    /// Records that @p target reached @p milestone now.
    void milestone(std::size_t target, Milestone milestone);

    /// Prints @p target's report line now and ends its span in the trace;
    /// with a before_ok() step set, an ok outcome goes to that step first.
    void finish(std::size_t target, const Outcome& outcome);

    /// A step between a good response and its report (stage 6's
    /// --process): called with the target and its ok outcome.
    using OkStep = std::function<void(std::size_t target, const Outcome& outcome)>;

    /// From now on the first finish() of an ok outcome records a
    /// "received" milestone and calls @p step instead of reporting; the
    /// target is finished when the step (now or later) calls finish()
    /// again, with the outcome to report.
    void before_ok(OkStep step);

    /// Records a span of work done for @p target, e.g. "process", from
    /// @p begin to @p end on the thread named @p thread ("loop", "pool-2").
    void span(std::size_t target, std::string_view name, Clock::time_point begin,
              Clock::time_point end, std::string_view thread);

    /// Records one wait of an event loop: from @p begin to @p end, after
    /// which @p ready file descriptors were ready.
    void wait(Clock::time_point begin, Clock::time_point end, int ready);

    /// How @p target ended, once it is finished (std::nullopt before):
    /// stage 8's aggregator answers with every target's outcome.
    [[nodiscard]] std::optional<Outcome> outcome(std::size_t target) const;

    /// True once every target is finished.
    [[nodiscard]] bool all_finished() const;

    /// Prints the `total MS ok=N fail=M` line.
    /// @return the exit status: 0 when every target is ok, 1 otherwise.
    int summarize();

    /// Writes the trace as Chrome Trace Event Format JSON to @p out.
    void write_trace(std::ostream& out) const;

private:
    struct Target {
        Url url;
        Clock::time_point started;  // first milestone, or the finish time
        bool has_started = false;
        bool received = false;  // its ok outcome went to the before_ok() step
        bool finished = false;
        Outcome outcome;  // once finished
    };
    struct TraceEvent {
        std::string name;
        std::string_view category;
        char phase;        // 'X' complete (has a duration), 'i' instant
        std::size_t lane;  // Chrome's "tid": 0 is the loop, i + 1 is target i
        Clock::time_point at;
        Clock::duration duration{};
        std::string args;  // a JSON object body, possibly empty
    };

    [[nodiscard]] long long ms_since_start(Clock::time_point t) const;
    void record(TraceEvent event);

    Clock::time_point start_;
    std::vector<Target> targets_;
    std::ostream& report_;
    bool tracing_;
    std::vector<TraceEvent> events_;
    OkStep before_ok_;
    int ok_ = 0;
    int failed_ = 0;
};

/// A string as the contents of a JSON string (quotes, backslashes and
/// control characters escaped): the traces' names, URLs and reasons.
std::string json_escape(std::string_view text);

}  // namespace kit
