// The blocking step per body; see process_step.hpp.
#include "process_step.hpp"

#include "kit/unique_fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <thread>

namespace kit {

namespace {

[[noreturn]] void fail(const char* call) {
    throw std::system_error(errno, std::generic_category(), call);
}

// 64-bit FNV-1a: one multiply per byte, enough to tell bodies apart.
std::uint64_t fnv1a(std::string_view bytes, std::uint64_t hash) {
    for (char c : bytes) {
        hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    }
    return hash;
}

}  // namespace

std::uint64_t process_body(std::string_view body, std::chrono::milliseconds at_least) {
    const auto started = std::chrono::steady_clock::now();
    std::string path = (std::filesystem::temp_directory_path() / "kit-body-XXXXXX").string();
    UniqueFd file(::mkstemp(path.data()));
    if (!file) {
        fail("mkstemp");
    }
    ::unlink(path.c_str());  // the open fd keeps the file until it is closed
    if (::fcntl(file.get(), F_SETFD, FD_CLOEXEC) != 0) {
        fail("fcntl");
    }
    for (std::size_t written = 0; written < body.size();) {
        ssize_t n = ::write(file.get(), body.data() + written, body.size() - written);
        if (n < 0 && errno != EINTR) {
            fail("write");
        }
        written += n > 0 ? static_cast<std::size_t>(n) : 0;
    }
    if (::fsync(file.get()) != 0) {
        fail("fsync");
    }
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    char buffer[16 * 1024];
    for (off_t at = 0;;) {
        ssize_t n = ::pread(file.get(), buffer, sizeof buffer, at);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            fail("pread");
        }
        if (n == 0) {
            break;
        }
        hash = fnv1a({buffer, static_cast<std::size_t>(n)}, hash);
        at += n;
    }
    std::this_thread::sleep_until(started + at_least);
    return hash;
}

}  // namespace kit
