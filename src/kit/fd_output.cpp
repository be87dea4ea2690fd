// Writing to a file descriptor through signals; see fd_output.hpp.
#include "kit/fd_output.hpp"

#include <unistd.h>

#include <cerrno>

namespace kit {

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) {
            continue;  // a signal came before anything was written: write again
        }
        if (n < 0) {
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));  // a signal may cut a write short
    }
    return true;
}

FdOutput::int_type FdOutput::overflow(int_type c) {
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
        pending_ += traits_type::to_char_type(c);
    }
    return traits_type::not_eof(c);
}

std::streamsize FdOutput::xsputn(const char* s, std::streamsize n) {
    pending_.append(s, static_cast<std::size_t>(n));
    return n;
}

int FdOutput::sync() {
    bool written = write_all(fd_, pending_);
    pending_.clear();
    return written ? 0 : -1;
}

}  // namespace kit
