// Draining a socket on an edge-triggered backend; see edge_reads.hpp.
// Lesson: lessons/03-epoll.md, "Edge-triggered: drain until EAGAIN".
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
    char byte = 0;
    ssize_t n = 0;
    do {
        n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n >= 0) {
        return 1;
    }
    return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
}

}  // namespace

void drain_until_eagain(Connection& connection, int fd) {
    while (connection.interest() == Interest::readable) {
        int more = peek_for_more(fd);
        if (more < 0) {
            // Even a peek *consumes* the socket's pending error: the next
            // real read would find a plain EOF. Report it now, or never.
            connection.fail(reason_from_errno(-more));
            return;
        }
        if (more == 0) {
            return;  // empty: epoll-et reports the next bytes when they come
        }
        connection.on_ready();
    }
}

}  // namespace kit
