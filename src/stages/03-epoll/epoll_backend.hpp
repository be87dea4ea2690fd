// The epoll backend (epoll_backend.cpp): readiness in O(ready), not O(watched).
//
// Only the makers are public: the epoll fd and its event buffer stay inside
// epoll_backend.cpp, the only file that includes <sys/epoll.h>. Linux only.
// Lesson: lessons/03-epoll.md.
//
// Interface rules: as for every Backend (backend.hpp). The edge-triggered
// variant adds one for the Loop's callbacks: each must read (or write)
// until EAGAIN before it returns, or it is not told about that fd again
// (see "Edge-triggered" in the lesson, and edge_reads.hpp).
#pragma once

#include "backend.hpp"

#include <memory>
#include <system_error>

namespace kit {

/// When epoll reports an fd.
enum class Trigger {
    level,  ///< On every wait while it is ready (like select and poll): "epoll".
    edge,   ///< Only when it becomes ready again (EPOLLET): "epoll-et".
};

/// A new epoll backend, named "epoll" (level) or "epoll-et" (edge);
/// nullptr, with the reason in @p error, when epoll_create1() fails
/// (e.g. EMFILE: no fd left for the epoll instance itself).
std::unique_ptr<Backend> make_epoll_backend(Trigger trigger, std::error_code& error);

}  // namespace kit
