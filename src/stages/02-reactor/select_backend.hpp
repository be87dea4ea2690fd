// The select() backend: the first and shortest (select_backend.cpp).
//
// Only the maker and the one error of its own are public: the fd_sets stay
// inside select_backend.cpp, the only file that includes <sys/select.h>.
// Lesson: lessons/02-reactor.md, "select() behind the interface".
#pragma once

#include "backend.hpp"

#include <memory>
#include <system_error>
#include <type_traits>

namespace kit {

/// The errors of the select backend beyond the OS's own.
enum class SelectError {
    /// An fd_set has FD_SETSIZE bits: a larger fd cannot be watched.
    fd_not_below_fd_setsize = 1,
};

/// The category of SelectError codes (its name is "select").
const std::error_category& select_category();

/// The std::error_code of @p error, so SelectError values compare with codes.
std::error_code make_error_code(SelectError error);

/// A new select() backend; select() cannot watch an fd >= FD_SETSIZE.
std::unique_ptr<Backend> make_select_backend();

}  // namespace kit

/// @cond
// Lets a kit::SelectError convert to, and compare with, a std::error_code.
template <>
struct std::is_error_code_enum<kit::SelectError> : std::true_type {};
/// @endcond
