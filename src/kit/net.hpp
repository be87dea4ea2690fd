// Socket helpers that no lesson asks the learner to write.
//
// Name resolution, opening a TCP socket with the right flags on every
// platform, and translating errno into the fetch contract's Reason. The
// calls that *are* the lesson (connect, send, recv, select) stay in the
// stage code, where the learner writes them.
#pragma once

#include "kit/outcome.hpp"
#include "kit/unique_fd.hpp"
#include "kit/url.hpp"

#include <netinet/in.h>

#include <optional>
#include <string>

namespace kit {

/// Resolves @p url's host to an IPv4 address with @p url's port.
/// Blocks in getaddrinfo() (a name server may take seconds), unless
/// url.address holds the address already: stage 6 resolves on its pool.
/// @return the address, or std::nullopt when the name does not resolve.
std::optional<sockaddr_in> resolve_ipv4(const Url& url);

/// Whether a new socket's calls block or return EAGAIN/EINPROGRESS at once.
enum class Blocking { yes, no };

/// Opens an IPv4 TCP socket, close-on-exec, blocking or not.
/// @return the socket, or an empty UniqueFd with errno telling why.
UniqueFd open_tcp_socket(Blocking blocking);

/// The dotted form of @p address's IPv4 address, e.g. "127.0.0.1".
std::string ipv4_text(const sockaddr_in& address);

/// Sets or clears O_NONBLOCK on @p fd. @return false (errno set) on failure.
bool set_nonblocking(int fd, bool nonblocking);

/// The contract's Reason for a connect/send/recv that failed with errno @p err.
Reason reason_from_errno(int err);

}  // namespace kit
