// The counters as JSON; see stats.hpp.
#include "stats.hpp"

#include <initializer_list>
#include <utility>

namespace kit {

std::string Stats::to_json() const {
    const std::initializer_list<std::pair<const char*, std::uint64_t>> fields = {
        {"accepted", accepted},
        {"open", open},
        {"requests", requests},
        {"on_pool", on_pool},
        {"in_loop", in_loop},
        {"rejected", rejected},
        {"head_timeouts", head_timeouts},
        {"idle_timeouts", idle_timeouts},
        {"write_timeouts", write_timeouts},
        {"fd_exhaustions", fd_exhaustions},
    };
    // Appended piece by piece: gcc 12's -O3 warns falsely (-Wrestrict) on
    // a long chain of string operator+ (as in src/kit/url.cpp).
    std::string json = "{";
    for (const auto& [name, value] : fields) {
        if (json.size() > 1) {
            json += ',';
        }
        json += '"';
        json += name;
        json += "\":";
        json += std::to_string(value);
    }
    json += "}\n";
    return json;
}

}  // namespace kit
