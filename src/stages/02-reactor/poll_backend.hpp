// The poll() backend (poll_backend.cpp): select() without FD_SETSIZE.
//
// Only the maker is public: the pollfd array stays inside poll_backend.cpp,
// the only file that includes <poll.h>. Lesson: lessons/02-reactor.md,
// "poll(): what it fixes, and what it does not".
#pragma once

#include "backend.hpp"

#include <memory>

namespace kit {

/// A new poll() backend: any fd the process may open can be watched;
/// a hang-up or an error is reported as readable (and writable).
std::unique_ptr<Backend> make_poll_backend();

}  // namespace kit
