// The backends of stage 3: stage 2's list, then epoll, level and edge.
//
// The same factory as stage 2 (backends.hpp) over a longer list; stage 4
// appends kqueue to this one. Lesson: lessons/03-epoll.md.
#pragma once

#include "backends.hpp"
#include "fetch_on_loop.hpp"

#include <string_view>
#include <vector>

namespace kit {

/// select, poll, epoll, epoll-et: stage2_backends() and the epoll ones.
std::vector<BackendMaker> stage3_backends();

/// How the fetch client must read on the backend called @p name: until
/// EAGAIN on an edge-triggered one ("epoll-et": drain_until_eagain()),
/// else once per readiness (no Reads).
Reads reads_for_backend(std::string_view name);

}  // namespace kit
