// fetch_main(): the command line every stage's fetch program shares.
//
// Each stage writes only how its targets are fetched (a FetchProgram's
// run function); parsing the command line, the report, the trace file and
// the exit status are the same for all, so they live here once. Lesson 00
// states this "fetch contract"; the tests of every stage rely on it:
//
//     fetch [--backend NAME] [--timeout SECONDS] [--trace FILE] URL...
//
// (stage 5 on, also [--connect-timeout SECONDS] [--idle-timeout SECONDS];
// stage 6 on, [--process SECONDS] [--process-on loop|pool] [--threads N]
// [--slow-resolve SECONDS]).
//
// Exit status: 0 when every target is ok, 1 when any failed, 2 for a usage
// error (one line on stderr).
//
// Signals: SIGPIPE is ignored (a closed peer is an EPIPE outcome, not a
// crash); SIGUSR1 has a do-nothing handler without SA_RESTART, so sending
// it makes a blocked call fail with EINTR, which stage code must retry.
#pragma once

#include "kit/fetch_log.hpp"
#include "kit/url.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kit {

/// Where stage 6's --process step runs.
enum class ProcessOn {
    pool,  ///< On a worker of the thread pool (the default).
    loop,  ///< On the loop thread, inside the read handler: it stalls every connection.
};

/// What the command line asked for.
struct FetchOptions {
    std::vector<Url> targets;                  ///< The URLs, in command-line order.
    std::chrono::milliseconds timeout{10000};  ///< --timeout (the stage says what it bounds).
    std::string trace_path;                    ///< --trace FILE, empty when not tracing.
    std::string backend;                       ///< --backend NAME, else the default (stage 2 on).
    std::chrono::milliseconds stall{0};  ///< --stall (stage 1 demo): a handler sleeps this long.
    /// --connect-timeout (stage 5): how long each connect may take; none when not given.
    std::optional<std::chrono::milliseconds> connect_timeout;
    /// --idle-timeout (stage 5): how long each connection may go without
    /// receiving anything once connected; none when not given.
    std::optional<std::chrono::milliseconds> idle_timeout;
    /// --process (stage 6): every body received is saved and checksummed,
    /// a blocking step padded to this long; none when not given.
    std::optional<std::chrono::milliseconds> process;
    ProcessOn process_on = ProcessOn::pool;  ///< --process-on loop|pool (stage 6).
    std::size_t threads = 4;                 ///< --threads N (stage 6): the pool's size.
    /// --slow-resolve (stage 6): every name resolution waits this long
    /// first, a stand-in for a slow name server (these machines have no network).
    std::chrono::milliseconds slow_resolve{0};
};

/// The options a program accepts beyond --timeout and --trace.
struct FetchFeatures {
    /// The names --backend accepts, default first; empty: no --backend option.
    std::vector<std::string> backends;
    bool stall = false;  ///< Accepts --stall SECONDS.
    /// Accepts --connect-timeout SECONDS and --idle-timeout SECONDS (stage 5 on).
    bool connection_timeouts = false;
    /// Accepts --process, --process-on, --threads and --slow-resolve (stage 6 on).
    bool pool = false;
};

/// A stage's fetch program, as fetch_main() runs it.
struct FetchProgram {
    std::string_view description;  ///< One line for --help, e.g. "blocking fetch (stage 0)".
    FetchFeatures features;        ///< Which optional options it accepts.
    /// Fetches options.targets, calling log.finish() once for each target.
    std::function<void(const FetchOptions& options, FetchLog& log)> run;
};

/// Parses the command line, runs @p program, prints the report, writes the
/// trace. @return the process exit status (0, 1 or 2, see above).
int fetch_main(int argc, char** argv, const FetchProgram& program);

}  // namespace kit
