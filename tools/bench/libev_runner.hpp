// The libev side of the fd-scaling benchmark (libev_runner.cpp): the same
// ring and callback logic on an ev_loop with the epoll backend.
#pragma once

#include "chain.hpp"

#include <optional>

namespace bench {

/// Runs @p target token deliveries with @p active tokens on libev's epoll
/// backend (kqueue where there is no epoll); nullopt if libev has neither.
std::optional<Result> run_libev(const Chain& chain, std::size_t active, std::size_t target);

}  // namespace bench
