// make_epoll_backend() where there is no epoll (macOS, the BSDs): the build
// compiles this file instead of epoll_backend.cpp, so the factory still
// lists "epoll" and says clearly why it cannot make one here.
#include "epoll_backend.hpp"

namespace kit {

std::unique_ptr<Backend> make_epoll_backend(Trigger /*trigger*/, std::error_code& error) {
    error = std::make_error_code(std::errc::function_not_supported);  // epoll is Linux's
    return nullptr;
}

}  // namespace kit
