// The counters as JSON; see stats.hpp.
#include "stats.hpp"

namespace kit {

std::string Stats::to_json() const {
    // Appended one piece at a time: GCC 12 at -O3 warns falsely
    // (-Wrestrict) on `"literal" + std::string`, and the
    // release preset builds with -Werror.
    std::string json = "{";
    auto field = [&json](const char* name, std::uint64_t value) {
        if (json.size() > 1) {
            json += ',';
        }
        json += '"';
        json += name;
        json += "\":";
        json += std::to_string(value);
    };
    field("accepted", accepted);
    field("open", open);
    field("requests", requests);
    field("on_pool", on_pool);
    field("in_loop", in_loop);
    field("rejected", rejected);
    field("head_timeouts", head_timeouts);
    field("idle_timeouts", idle_timeouts);
    field("write_timeouts", write_timeouts);
    field("fd_exhaustions", fd_exhaustions);
    json += "}\n";
    return json;
}

}  // namespace kit
