// The counters as JSON; see stats.hpp.
#include "stats.hpp"

namespace kit {

std::string Stats::to_json() const {
    auto field = [](const char* name, std::uint64_t value) {
        return "\"" + std::string(name) + "\":" + std::to_string(value);
    };
    return "{" + field("accepted", accepted) + "," + field("open", open) + "," +
           field("requests", requests) + "," + field("on_pool", on_pool) + "," +
           field("in_loop", in_loop) + "," + field("rejected", rejected) + "," +
           field("head_timeouts", head_timeouts) + "," + field("idle_timeouts", idle_timeouts) +
           "," + field("write_timeouts", write_timeouts) + "," +
           field("fd_exhaustions", fd_exhaustions) + "}\n";
}

}  // namespace kit
