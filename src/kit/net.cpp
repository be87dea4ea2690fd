// Socket helpers; see net.hpp.
#include "kit/net.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace kit {

std::optional<sockaddr_in> resolve_ipv4(const Url& url) {
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    // An address resolved already is only parsed: AI_NUMERICHOST asks no
    // name server, so this call cannot wait.
    const std::string& name = url.address.empty() ? url.host : url.address;
    if (!url.address.empty()) {
        hints.ai_flags = AI_NUMERICHOST;
    }
    addrinfo* found = nullptr;
    if (::getaddrinfo(name.c_str(), nullptr, &hints, &found) != 0 || found == nullptr) {
        return std::nullopt;
    }
    sockaddr_in address{};
    std::memcpy(&address, found->ai_addr, sizeof address);
    ::freeaddrinfo(found);
    address.sin_port = htons(url.port);
    return address;
}

std::string ipv4_text(const sockaddr_in& address) {
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &address.sin_addr, text, sizeof text);
    return text;
}

UniqueFd open_tcp_socket(Blocking blocking) {
    // socket() + fcntl() rather than SOCK_NONBLOCK | SOCK_CLOEXEC, which
    // macOS lacks: the kit builds on both.
    UniqueFd fd{::socket(AF_INET, SOCK_STREAM, 0)};
    if (!fd) {
        return fd;
    }
    if (::fcntl(fd.get(), F_SETFD, FD_CLOEXEC) != 0 ||
        !set_nonblocking(fd.get(), blocking == Blocking::no)) {
        int saved = errno;
        fd.reset();
        errno = saved;
    }
    return fd;
}

bool set_nonblocking(int fd, bool nonblocking) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0) {
        return false;
    }
    flags = nonblocking ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    return ::fcntl(fd, F_SETFL, flags) == 0;
}

Reason reason_from_errno(int err) {
    switch (err) {
        case ECONNREFUSED:
            return Reason::refused;
        case ECONNRESET:
        case EPIPE:
            return Reason::reset;
        case ETIMEDOUT:
        case EAGAIN:  // a blocking call that hit SO_RCVTIMEO/SO_SNDTIMEO
            return Reason::timeout;
        case EMFILE:
        case ENFILE:
            return Reason::fd_limit;
        default:
            return Reason::io;
    }
}

}  // namespace kit
