// The serve program's command line; see serve_options.hpp.
#include "serve_options.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <map>

namespace kit {

// Seconds as a duration: more than zero, at most a day, not NaN.
std::optional<Clock::duration> parse_seconds(const std::string& text) {
    double seconds = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size() ||
        !(seconds > 0) || seconds > 86400) {
        return std::nullopt;
    }
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

namespace {

std::optional<unsigned long> parse_count(const std::string& text, unsigned long most) {
    unsigned long value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size() || value > most) {
        return std::nullopt;
    }
    return value;
}

std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& name : names) {
        out += (out.empty() ? "" : "|") + name;
    }
    return out;
}

}  // namespace

std::optional<ServeOptions> parse_serve_options(const std::vector<std::string>& args,
                                                const std::vector<std::string>& backends,
                                                std::string& error, const MoreOptions& more) {
    ServeOptions options;
    // Each option with a value: how to take it; false means a bad value.
    using Taker = OptionTaker;
    auto seconds_into = [](Clock::duration& into) {
        return Taker([&into](const std::string& text) {
            std::optional<Clock::duration> d = parse_seconds(text);
            return d ? (into = *d, true) : false;
        });
    };
    auto choice_into = [](bool& into, const char* no, const char* yes) {
        return Taker([&into, no, yes](const std::string& text) {
            return text == no ? (into = false, true) : text == yes ? (into = true, true) : false;
        });
    };
    std::map<std::string, Taker> takers = {
        {"--backend",
         [&](const std::string& text) {
             options.backend = text;
             return std::find(backends.begin(), backends.end(), text) != backends.end();
         }},
        {"--port",
         [&](const std::string& text) {
             auto n = parse_count(text, 65535);
             return n ? (options.port = static_cast<std::uint16_t>(*n), true) : false;
         }},
        {"--bind", [&](const std::string& text) { return options.bind = text, !text.empty(); }},
        {"--threads",
         [&](const std::string& text) {
             auto n = parse_count(text, 256);
             return n && *n > 0 ? (options.threads = *n, true) : false;
         }},
        {"--root", [&](const std::string& text) { return options.root = text, !text.empty(); }},
        {"--trace",
         [&](const std::string& text) { return options.trace_path = text, !text.empty(); }},
        {"--head-timeout", seconds_into(options.head_timeout)},
        {"--idle-timeout", seconds_into(options.idle_timeout)},
        {"--grace", seconds_into(options.grace)},
        {"--hello-on", choice_into(options.hello_on_pool, "loop", "pool")},
        {"--slow-on", choice_into(options.slow_on_loop, "pool", "loop")},
    };
    takers.insert(more.begin(), more.end());  // a later stage's; stage 7's names win
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--help" || arg == "-h") {
            options.help = true;
            continue;
        }
        auto taker = takers.find(arg);
        if (taker == takers.end()) {
            error = "unknown option " + arg + " (see --help)";
            return std::nullopt;
        }
        if (i + 1 == args.size()) {
            error = arg + " needs a value (see --help)";
            return std::nullopt;
        }
        if (!taker->second(args[++i])) {
            error = "bad value for " + arg + ": '" + args[i] + "' (see --help)";
            if (arg == "--backend") {
                error = "unknown backend '" + args[i] + "' (known: " + join(backends) + ")";
            }
            return std::nullopt;
        }
    }
    return options;
}

std::string serve_usage(const std::vector<std::string>& backends) {
    return "usage: serve [--backend " + join(backends) +
           "] [--port N] [--bind ADDR] [--threads N]\n"
           "             [--root DIR] [--trace FILE] [--head-timeout S] [--idle-timeout S]\n"
           "             [--grace S] [--hello-on loop|pool] [--slow-on pool|loop]\n"
           "The CppCMS-style service of stage 7: one loop accepts and parses every request;\n"
           "synchronous applications run on a pool of --threads workers. Applications:\n"
           "/hello, /stats, /slow?ms=N, /sum (POST), /files/... (with --root).\n"
           "SIGINT or SIGTERM shut it down gracefully (exit 0).\n";
}

}  // namespace kit
