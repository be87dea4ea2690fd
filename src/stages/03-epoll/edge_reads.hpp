// drain_until_eagain(): how the fetch client reads on an edge-triggered backend.
//
// epoll-et reports a socket when new bytes *arrive*, not while bytes are
// waiting; a read callback that reads once and leaves bytes behind is not
// told about them again, and the connection stalls. So on epoll-et the
// client's read callback (stage 2's LoopFetch, through its Reads) goes on
// reading until the socket is empty. You write it, in
// exercises/03-epoll/edge_reads.cpp. Lesson: lessons/03-epoll.md,
// "Edge-triggered: drain until EAGAIN". Loop thread only.
#pragma once

#include "connection.hpp"

namespace kit {

/// Called after @p connection's one read (Connection::on_ready()) on an
/// edge-triggered backend: reads on, one on_ready() at a time, while the
/// connection still waits to read and its socket @p fd has bytes (or EOF)
/// for it. Returns when the socket is empty (a read would fail with EAGAIN)
/// or the connection is finished. A socket error found on the way (e.g.
/// ECONNRESET) ends the connection with that error's reason.
void drain_until_eagain(Connection& connection, int fd);

}  // namespace kit
