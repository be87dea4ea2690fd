// The backends of stage 4: stage 3's list, then kqueue.
//
// The same factory as stage 2 (backends.hpp) over a longer list.
// Lesson: lessons/04-kqueue.md.
#pragma once

#include "backends.hpp"

#include <vector>

namespace kit {

/// select, poll, epoll, epoll-et, kqueue: stage3_backends() and kqueue.
std::vector<BackendMaker> stage4_backends();

}  // namespace kit
