// The server's trace; see serve_trace.hpp.
#include "serve_trace.hpp"

#include <cstdio>
#include <utility>

namespace kit {

namespace {

long long microseconds(Clock::duration d) {
    return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
}

}  // namespace


ServeTrace::ServeTrace(bool enabled) : enabled_(enabled), start_(Clock::now()) {}

void ServeTrace::event(std::string_view name, std::uint64_t conn, std::string_view args) {
    if (!enabled_) {
        return;
    }
    std::string all = "\"conn\":" + std::to_string(conn);
    if (!args.empty()) {
        all += ",";
        all += args;
    }
    record({std::string(name), "conn", 'i', 0, Clock::now(), {}, std::move(all)});
}

void ServeTrace::app(std::uint64_t conn, Clock::time_point begin, Clock::time_point end,
                     std::size_t worker, std::string_view target) {
    if (!enabled_) {
        return;
    }
    std::string thread = worker == 0 ? "loop" : "pool-" + std::to_string(worker);
    record({"app", "work", 'X', worker, begin, end - begin,
            "\"conn\":" + std::to_string(conn) + ",\"thread\":\"" + thread + "\",\"target\":\"" +
                json_escape(target) + "\""});
}

void ServeTrace::wait(Clock::time_point begin, Clock::time_point end, int ready) {
    if (enabled_) {
        record({"wait", "loop", 'X', 0, begin, end - begin, "\"ready\":" + std::to_string(ready)});
    }
}

void ServeTrace::write(std::ostream& out, std::size_t workers) const {
    out << "{\"displayTimeUnit\":\"ms\",\"dropped\":" << dropped_ << ",\"traceEvents\":[\n";
    out << R"({"ph":"M","name":"thread_name","pid":1,"tid":0,"args":{"name":"loop"}})";
    for (std::size_t i = 1; i <= workers; ++i) {
        out << ",\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":" << i
            << ",\"args\":{\"name\":\"pool-" << i << "\"}}";
    }
    for (const Event& e : events_) {
        out << ",\n{\"ph\":\"" << e.phase << "\",\"cat\":\"" << e.category << "\",\"name\":\""
            << e.name << "\",\"pid\":1,\"tid\":" << e.lane
            << ",\"ts\":" << microseconds(e.at - start_);
        if (e.phase == 'X') {
            out << ",\"dur\":" << microseconds(e.duration);
        } else {
            out << R"(,"s":"t")";
        }
        out << ",\"args\":{" << e.args << "}}";
    }
    out << "\n]}\n";
}

void ServeTrace::record(Event event) {
    if (events_.size() >= kMaxEvents) {
        ++dropped_;
        return;
    }
    events_.push_back(std::move(event));
}

}  // namespace kit
