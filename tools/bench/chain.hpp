// The fd-scaling benchmark's workload, in the manner of libevent's
// test/bench.c: N watched fds in a ring, A tokens (bytes) travelling
// round it. Each readiness callback takes the tokens waiting on its fd and
// passes them to the next fd of the ring, so A fds are ready at any time
// while the other N - A sit idle: exactly what makes select and poll pay
// for N, and epoll or kqueue only for A. See fd_scaling.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <vector>

namespace bench {

/// The ring: watched[j] becomes readable when a byte is written to writer[j].
struct Chain {
    std::vector<int> watched;  ///< The N fds the loop watches.
    std::vector<int> writer;   ///< writer[j]: the fd whose peer is watched[j].
};

/// One timed run: how many tokens were delivered, in how long.
struct Result {
    std::size_t events = 0;               ///< Tokens read by callbacks.
    std::size_t merged = 0;               ///< Of those, read along with another.
    std::chrono::nanoseconds elapsed{0};  ///< Wall time of the loop's run.
};

/// The state every loop's callback shares: the same logic for the kit's
/// backends and for libev, so that only the loops differ.
struct Tokens {
    const Chain* chain = nullptr;
    std::size_t target = 0;   ///< Stop once this many tokens were read.
    std::size_t fired = 0;    ///< Tokens read so far.
    std::size_t to_send = 0;  ///< Tokens still to pass on.
    std::size_t merged = 0;   ///< Tokens that were read together with another (should be 0).

    /// watched[j] is readable: read its tokens, pass them on. @return true when done.
    bool on_readable(std::size_t j);
};

/// Puts @p active tokens on the ring, evenly spaced, and sets the target.
void start(Tokens& tokens, const Chain& chain, std::size_t active, std::size_t target);

/// Reads every token left on the ring, so the next run starts clean.
void drain(const Chain& chain);

}  // namespace bench
