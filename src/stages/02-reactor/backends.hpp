// The backend factory: a backend chosen by name, from a table of makers.
//
// Each stage lists the backends it brings (stage2_backends(): select and
// poll); a later stage appends its own to that list and passes the longer
// list to the same make_backend(), without editing this stage's files.
// Lesson: lessons/02-reactor.md, "Choosing a backend by name".
//
// Interface rules: names are unique within a list; a maker that cannot
// build its backend here returns nullptr and says why in its error_code.
#pragma once

#include "backend.hpp"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace kit {

/// One entry of the factory's table: a backend's name and how to make one.
struct BackendMaker {
    std::string_view name;  ///< What --backend calls it, e.g. "poll".
    /// Makes the backend, or returns nullptr with the reason in its argument.
    std::function<std::unique_ptr<Backend>(std::error_code& error)> make;
};

/// The backends of stage 2, simplest first: select, then poll.
std::vector<BackendMaker> stage2_backends();

/// The names in @p makers, in order, e.g. {"select", "poll"}.
std::vector<std::string> backend_names(const std::vector<BackendMaker>& makers);

/// Makes the backend called @p name from @p makers.
/// @return the backend, or nullptr with a one-line reason in @p error: the
///         name is unknown (the reason lists the known ones), or its maker failed.
std::unique_ptr<Backend> make_backend(std::string_view name,
                                      const std::vector<BackendMaker>& makers, std::string& error);

}  // namespace kit
