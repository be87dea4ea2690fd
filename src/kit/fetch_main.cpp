// The shared command line of the fetch programs; see fetch_main.hpp.
#include "kit/fetch_main.hpp"

#include "kit/fd_output.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>

namespace kit {

namespace {

// The longest --timeout accepted: an hour is already far past any lesson.
constexpr double kMaxTimeoutSeconds = 3600;
// The largest --threads: far more than a 2-core machine can use.
constexpr int kMaxThreads = 64;

// {"poll", "select"} -> "poll|select" (with @p separator "|").
std::string names(const std::vector<std::string>& list, std::string_view separator) {
    std::string text;
    for (const std::string& name : list) {
        if (!text.empty()) {
            text += separator;
        }
        text += name;
    }
    return text;
}

void print_usage(std::ostream& out, const FetchProgram& program) {
    out << "usage: fetch";
    if (!program.features.backends.empty()) {
        out << " [--backend " << names(program.features.backends, "|") << "]";
    }
    out << " [--timeout SECONDS] [--trace FILE]"
        << (program.features.stall ? " [--stall SECONDS]" : "")
        << (program.features.connection_timeouts
                ? " [--connect-timeout SECONDS] [--idle-timeout SECONDS]"
                : "")
        << (program.features.pool ? " [--process SECONDS] [--process-on loop|pool] [--threads N]"
                                    " [--slow-resolve SECONDS]"
                                  : "")
        << " URL...\n"
        << "  " << program.description << "\n"
        << "  URL is http://host[:port]/path. Prints one line per target as it finishes:\n"
        << "    ok URL STATUS BYTES MS | fail URL REASON MS, then: total MS ok=N fail=M\n"
        << "  exit status: 0 all ok, 1 some failed, 2 usage error\n";
}

std::optional<std::chrono::milliseconds> parse_seconds(const std::string& text) {
    try {
        std::size_t used = 0;
        double seconds = std::stod(text, &used);
        if (used != text.size() || !(seconds > 0) || seconds > kMaxTimeoutSeconds) {
            return std::nullopt;
        }
        return std::max(std::chrono::milliseconds(1),
                        std::chrono::milliseconds(std::llround(seconds * 1000)));
    } catch (const std::exception&) {  // stod: not a number, or out of range
        return std::nullopt;
    }
}

// Where the value of the duration option @p arg goes, or nullptr when
// @p arg is not one that @p program accepts.
std::chrono::milliseconds* duration_option(const std::string& arg, const FetchProgram& program,
                                           FetchOptions& options) {
    if (arg == "--timeout") {
        return &options.timeout;
    }
    if (arg == "--stall" && program.features.stall) {
        return &options.stall;
    }
    if (program.features.connection_timeouts) {
        if (arg == "--connect-timeout") {
            return &options.connect_timeout.emplace();
        }
        if (arg == "--idle-timeout") {
            return &options.idle_timeout.emplace();
        }
    }
    if (program.features.pool) {
        if (arg == "--process") {
            return &options.process.emplace();
        }
        if (arg == "--slow-resolve") {
            return &options.slow_resolve;
        }
    }
    return nullptr;
}

// Does nothing: its only effect is that a blocked call returns EINTR.
void on_interrupt(int /*signal*/) {}

// A usage error: one line on stderr, exit status 2.
int usage_error(const std::string& message) {
    std::cerr << "fetch: " << message << " (see fetch --help)\n";
    return 2;
}

}  // namespace

int fetch_main(int argc, char** argv, const FetchProgram& program) {
    // A peer that closes while we send would raise SIGPIPE, whose default
    // action kills the process; as EPIPE it is just a `reset` outcome.
    ::signal(SIGPIPE, SIG_IGN);
    // `kill -USR1` interrupts whatever call is blocked (no SA_RESTART), so
    // a test or a curious learner can check that the program retries on
    // EINTR, as every real program with signal handlers must.
    struct sigaction interrupt {};
    interrupt.sa_handler = on_interrupt;
    sigemptyset(&interrupt.sa_mask);
    sigaction(SIGUSR1, &interrupt, nullptr);

    FetchOptions options;
    std::vector<std::string> args(argv + 1, argv + argc);
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string arg = args[i];
        std::string value;
        bool has_value = false;
        if (arg.starts_with("--") && arg.find('=') != std::string::npos) {
            value = arg.substr(arg.find('=') + 1);
            arg = arg.substr(0, arg.find('='));
            has_value = true;
        }
        auto take_value = [&]() -> std::optional<std::string> {
            if (has_value) {
                return value;
            }
            if (i + 1 < args.size()) {
                return args[++i];
            }
            return std::nullopt;
        };

        if (arg == "-h" || arg == "--help") {
            print_usage(std::cout, program);
            return 0;
        }
        if (std::chrono::milliseconds* duration = duration_option(arg, program, options)) {
            std::optional<std::string> text = take_value();
            std::optional<std::chrono::milliseconds> seconds =
                text ? parse_seconds(*text) : std::nullopt;
            if (!seconds) {
                return usage_error(arg +
                                   " needs a number of seconds, more than 0 and at most 3600");
            }
            *duration = *seconds;
        } else if (arg == "--trace") {
            std::optional<std::string> path = take_value();
            if (!path || path->empty()) {
                return usage_error("--trace needs a file name");
            }
            options.trace_path = *path;
        } else if (arg == "--backend" && !program.features.backends.empty()) {
            const std::vector<std::string>& known = program.features.backends;
            std::optional<std::string> name = take_value();
            if (!name || name->empty()) {
                return usage_error("--backend needs a name: " + names(known, ", "));
            }
            if (std::find(known.begin(), known.end(), *name) == known.end()) {
                return usage_error("unknown backend '" + *name + "' (known: " + names(known, ", ") +
                                   ")");
            }
            options.backend = *name;
        } else if (arg == "--process-on" && program.features.pool) {
            std::optional<std::string> where = take_value();
            if (where == "loop" || where == "pool") {
                options.process_on = *where == "loop" ? ProcessOn::loop : ProcessOn::pool;
            } else {
                return usage_error("--process-on needs loop or pool");
            }
        } else if (arg == "--threads" && program.features.pool) {
            std::optional<std::string> text = take_value();
            int threads = 0;
            std::size_t used = 0;
            try {
                threads = text ? std::stoi(*text, &used) : 0;
            } catch (const std::exception&) {  // stoi: not a number, or out of range
                threads = 0;
            }
            if (!text || used != text->size() || threads < 1 || threads > kMaxThreads) {
                return usage_error("--threads needs a whole number from 1 to " +
                                   std::to_string(kMaxThreads));
            }
            options.threads = static_cast<std::size_t>(threads);
        } else if (arg.starts_with("-")) {
            return usage_error("unknown option '" + arg + "'");
        } else {
            std::string why;
            std::optional<Url> url = parse_url(arg, why);
            if (!url) {
                return usage_error("bad URL '" + arg + "': " + why);
            }
            options.targets.push_back(std::move(*url));
        }
    }
    if (options.targets.empty()) {
        return usage_error("no URL given");
    }
    if (options.backend.empty() && !program.features.backends.empty()) {
        options.backend = program.features.backends.front();
    }

    // Open the trace file before fetching anything: a typo in its path is
    // a usage error, and should not cost the whole run first.
    std::ofstream trace;
    if (!options.trace_path.empty()) {
        trace.open(options.trace_path);
        if (!trace) {
            return usage_error("cannot write the trace file '" + options.trace_path + "'");
        }
    }

    // The report goes to stdout through FdOutput, not std::cout: a signal
    // that interrupts a write to a full pipe must not lose a line.
    FdOutput stdout_buffer(STDOUT_FILENO);
    std::ostream report(&stdout_buffer);
    FetchLog log(options.targets, report, trace.is_open());
    program.run(options, log);
    if (!log.all_finished()) {
        std::cerr << "fetch: internal error: the program returned with targets unfinished\n";
        return 1;
    }
    int status = log.summarize();
    if (trace.is_open()) {
        log.write_trace(trace);
        if (!trace.flush()) {
            std::cerr << "fetch: could not write the trace file '" << options.trace_path << "'\n";
            return 1;
        }
    }
    return status;
}

}  // namespace kit
