// The serve program's command line:
//
//     serve [--backend NAME] [--port N] [--bind ADDR] [--threads N] [--root DIR]
//           [--trace FILE] [--head-timeout S] [--idle-timeout S] [--grace S]
//           [--hello-on loop|pool] [--slow-on pool|loop]
//
// A usage error is one line on stderr and exit status 2, as for fetch.
// A later stage's serve takes more options (stage 8's --poll-timeout):
// it hands them in as MoreOptions, stage 7's parser is not copied.
// Lesson: lessons/07-serve.md.
//
// Interface rules: a pure function of its arguments.
#pragma once

#include "clock.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kit {

/// What the command line asked for.
struct ServeOptions {
    std::string backend = "poll";    ///< --backend NAME.
    std::string bind = "127.0.0.1";  ///< --bind ADDR (dotted IPv4).
    std::uint16_t port = 0;          ///< --port N; 0 picks a free one.
    std::size_t threads = 4;         ///< --threads N: the pool's size.
    std::string root;                ///< --root DIR: /files serves it; empty: no /files.
    std::string trace_path;          ///< --trace FILE, empty when not tracing.
    Clock::duration head_timeout = std::chrono::seconds(10);  ///< --head-timeout S.
    Clock::duration idle_timeout = std::chrono::seconds(30);  ///< --idle-timeout S.
    Clock::duration grace = std::chrono::seconds(5);          ///< --grace S (shutdown).
    bool hello_on_pool = false;  ///< --hello-on pool: /hello is synchronous.
    bool slow_on_loop = false;   ///< --slow-on loop: /slow runs in the loop (the mistake).
    bool help = false;           ///< --help.
};

/// How an option takes its value: false for a bad one.
using OptionTaker = std::function<bool(const std::string& value)>;
/// Options a later stage adds, by name ("--poll-timeout"), each with a value.
using MoreOptions = std::map<std::string, OptionTaker>;

/// The options @p args (without the program's name) ask for; @p backends
/// are the names --backend accepts, @p more the options a later stage adds.
/// @return the options, or std::nullopt with a one-line reason in @p error.
std::optional<ServeOptions> parse_serve_options(const std::vector<std::string>& args,
                                                const std::vector<std::string>& backends,
                                                std::string& error, const MoreOptions& more = {});

/// Seconds as a duration ("0.5"): more than zero, at most a day; else std::nullopt.
std::optional<Clock::duration> parse_seconds(const std::string& text);

/// The --help text.
std::string serve_usage(const std::vector<std::string>& backends);

}  // namespace kit
