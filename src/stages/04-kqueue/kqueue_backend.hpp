// The kqueue backend (kqueue_backend.cpp): the BSDs' and macOS's answer to
// epoll, with changes and waits in one call.
//
// Only the maker is public: the kqueue fd and the kevent buffers stay in
// kqueue_backend.cpp, the only file that includes <sys/event.h>. On
// macOS and the BSDs that is the system's header; on Linux the build puts
// the kit's emulation (src/kqueue_emulation/) in its place, so the source
// is the same on both. Lesson: lessons/04-kqueue.md.
#pragma once

#include "backend.hpp"

#include <memory>
#include <system_error>

namespace kit {

/// A new kqueue backend, named "kqueue", level-triggered; nullptr, with
/// the reason in @p error, when kqueue() fails.
std::unique_ptr<Backend> make_kqueue_backend(std::error_code& error);

}  // namespace kit
