// The report words for each failure Reason; see outcome.hpp.
#include "kit/outcome.hpp"

namespace kit {

std::string_view to_string(Reason reason) {
    switch (reason) {
        case Reason::refused:
            return "refused";
        case Reason::timeout:
            return "timeout";
        case Reason::reset:
            return "reset";
        case Reason::bad_response:
            return "bad-response";
        case Reason::too_large:
            return "too-large";
        case Reason::resolve:
            return "resolve";
        case Reason::io:
            return "io";
        case Reason::fd_limit:
            return "fd-limit";
        case Reason::connect_timeout:
            return "connect-timeout";
        case Reason::idle_timeout:
            return "idle-timeout";
    }
    return "io";  // unreachable: every enumerator is handled above
}

}  // namespace kit
