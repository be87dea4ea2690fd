// ReadMode: how the service reads a socket the loop says is ready.
//
// A level-triggered backend reports a socket again while bytes wait, so
// the service reads once per readiness and lets the others have their
// turn. An edge-triggered one (epoll-et) reports only new bytes: a reader
// that leaves some behind is never told again, so it reads until EAGAIN.
// The fetch client says the same with its Reads hook (stage 3's
// drain_until_eagain()); the service, which reads its own sockets, needs
// only the choice. Lesson: lessons/07-serve.md, "Accepting".
//
// Interface rules: plain values.
#pragma once

#include "stage3_backends.hpp"

#include <string_view>

namespace kit {

/// How a ready socket is read (see the file comment).
enum class ReadMode {
    once_per_readiness,  ///< One read; the loop reports the socket again.
    until_eagain,        ///< Until EAGAIN: an edge-triggered backend.
};

/// The ReadMode the backend called @p backend needs: until EAGAIN where its
/// fetch client must drain (stage 3's reads_for_backend()).
inline ReadMode read_mode_for_backend(std::string_view backend) {
    return reads_for_backend(backend) ? ReadMode::until_eagain : ReadMode::once_per_readiness;
}

}  // namespace kit
