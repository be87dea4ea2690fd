// Draining a socket on an edge-triggered backend; see
// src/stages/03-epoll/edge_reads.hpp. Lesson: lessons/03-epoll.md,
// "Edge-triggered: drain until EAGAIN". Your part: the two TODOs.
#include "edge_reads.hpp"

#include "kit/net.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace kit {

namespace {

// What a read of @p fd would find now: 0 when it would fail with EAGAIN
// (drained), 1 when there are bytes or EOF, -errno when the socket has an
// error. A peek, so the Connection still does the real read.
int peek_for_more(int fd) {
    // TODO(stage 3): look at the socket without taking anything from it
    //   and without blocking (recv(2): which two flags?). A signal may
    //   interrupt the call. Tell the three answers apart: something to
    //   read (bytes, or the peer's EOF), nothing yet, and an error.
    (void)fd;
    return 0;  // TODO(stage 3): delete
}

}  // namespace

void drain_until_eagain(Connection& connection, int fd) {
    // TODO(stage 3): on_ready() has read once; keep reading while the
    //   connection still waits to read and peek_for_more() says there is
    //   something. Decide what each answer of the peek means here, and
    //   read recv(2) on what a peek does to a pending socket error before
    //   you decide what to do with a negative one.
    (void)connection;
    (void)fd;
}

}  // namespace kit
