// The report lines and Chrome Trace Event records; see fetch_log.hpp.
#include "kit/fetch_log.hpp"

#include <cstdio>
#include <cstdlib>
#include <utility>

namespace kit {

namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;

// A usage error in stage code is a bug to fix, not an outcome to report.
void require(bool condition, const char* what) {
    if (!condition) {
        std::fprintf(stderr, "fetch: internal error: %s\n", what);
        std::abort();
    }
}

}  // namespace

std::string json_escape(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned char>(c));
            out += escaped;
        } else {
            out += c;
        }
    }
    return out;
}

std::string_view to_string(Milestone milestone) {
    switch (milestone) {
        case Milestone::connect_start:
            return "connect-start";
        case Milestone::connected:
            return "connected";
        case Milestone::request_sent:
            return "request-sent";
        case Milestone::first_byte:
            return "first-byte";
    }
    return "?";  // unreachable: every enumerator is handled above
}

FetchLog::FetchLog(std::vector<Url> targets, std::ostream& report, bool tracing)
    : start_(Clock::now()), report_(report), tracing_(tracing) {
    for (Url& url : targets) {
        targets_.push_back({.url = std::move(url)});
    }
}

void FetchLog::milestone(std::size_t target, Milestone milestone) {
    require(target < targets_.size(), "milestone() for an unknown target");
    Target& t = targets_[target];
    auto now = Clock::now();
    if (!t.has_started) {
        t.started = now;
        t.has_started = true;
    }
    record({std::string(to_string(milestone)), "milestone", 'i', target + 1, now});
}

void FetchLog::finish(std::size_t target, const Outcome& outcome) {
    require(target < targets_.size(), "finish() for an unknown target");
    Target& t = targets_[target];
    require(!t.finished, "finish() called twice for one target");
    auto now = Clock::now();
    if (outcome.ok && before_ok_ && !t.received) {
        t.received = true;
        if (!t.has_started) {
            t.started = now;
            t.has_started = true;
        }
        record({"received", "milestone", 'i', target + 1, now});
        return before_ok_(target, outcome);
    }
    t.finished = true;
    t.outcome = outcome;
    if (!t.has_started) {
        t.started = now;
    }

    std::string result;
    if (outcome.ok) {
        ++ok_;
        result = "ok " + std::to_string(outcome.status) + " " + std::to_string(outcome.body_bytes);
        report_ << "ok " << t.url.text << ' ' << outcome.status << ' ' << outcome.body_bytes;
    } else {
        ++failed_;
        result = "fail " + std::string(to_string(outcome.reason));
        report_ << "fail " << t.url.text << ' ' << to_string(outcome.reason);
    }
    // Flush each line: a reader (the demo, a test, a person) sees targets
    // finish as they do, not all at exit.
    report_ << ' ' << ms_since_start(now) << std::endl;

    record({outcome.ok ? "done" : "failed", "milestone", 'i', target + 1, now});
    record({json_escape(t.url.text), "target", 'X', target + 1, t.started, now - t.started,
            "\"result\":\"" + result + "\""});
}

void FetchLog::before_ok(OkStep step) {
    before_ok_ = std::move(step);
}

void FetchLog::span(std::size_t target, std::string_view name, Clock::time_point begin,
                    Clock::time_point end, std::string_view thread) {
    require(target < targets_.size(), "span() for an unknown target");
    record({std::string(name), "work", 'X', target + 1, begin, end - begin,
            "\"thread\":\"" + json_escape(thread) + "\""});
}

void FetchLog::wait(Clock::time_point begin, Clock::time_point end, int ready) {
    record({"wait", "loop", 'X', 0, begin, end - begin, "\"ready\":" + std::to_string(ready)});
}

std::optional<Outcome> FetchLog::outcome(std::size_t target) const {
    const Target& t = targets_.at(target);
    return t.finished ? std::optional<Outcome>(t.outcome) : std::nullopt;
}

bool FetchLog::all_finished() const {
    return ok_ + failed_ == static_cast<int>(targets_.size());
}

int FetchLog::summarize() {
    report_ << "total " << ms_since_start(Clock::now()) << " ok=" << ok_ << " fail=" << failed_
            << std::endl;
    return failed_ == 0 ? 0 : 1;
}

void FetchLog::write_trace(std::ostream& out) const {
    out << "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n";
    out << R"({"ph":"M","name":"thread_name","pid":1,"tid":0,"args":{"name":"loop"}})";
    for (std::size_t i = 0; i < targets_.size(); ++i) {
        out << ",\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":" << i + 1
            << ",\"args\":{\"name\":\"" << json_escape(targets_[i].url.text) << "\"}}";
    }
    for (const TraceEvent& e : events_) {
        out << ",\n{\"ph\":\"" << e.phase << "\",\"cat\":\"" << e.category << "\",\"name\":\""
            << e.name << "\",\"pid\":1,\"tid\":" << e.lane
            << ",\"ts\":" << duration_cast<microseconds>(e.at - start_).count();
        if (e.phase == 'X') {
            out << ",\"dur\":" << duration_cast<microseconds>(e.duration).count();
        } else {
            out << R"(,"s":"t")";  // an instant event scoped to its lane
        }
        out << ",\"args\":{" << e.args << "}}";
    }
    out << "\n]}\n";
}

long long FetchLog::ms_since_start(Clock::time_point t) const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t - start_).count();
}

void FetchLog::record(TraceEvent event) {
    if (tracing_) {
        events_.push_back(std::move(event));
    }
}

}  // namespace kit
