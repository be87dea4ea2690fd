// FdOutput: an output stream buffer that writes to a file descriptor and
// survives signals.
//
// The fetch programs' SIGUSR1 handler has no SA_RESTART (lesson 00), so a
// write() to a full stdout pipe fails with EINTR when a signal arrives.
// C stdio (and so std::cout) gives up there and drops the line; FdOutput
// writes again until every byte is out, as send_all() does for a socket.
//
// Interface rules: one thread; text is held until flush() (std::endl),
// then written whole; a write error other than EINTR sets the stream's badbit.
#pragma once

#include <streambuf>
#include <string>
#include <string_view>

namespace kit {

/// Writes all of @p data to @p fd, retrying after EINTR and partial writes.
/// @return false, with errno set, when a write() fails for another reason.
bool write_all(int fd, std::string_view data);

/// A std::streambuf that writes to a file descriptor with write_all():
/// `FdOutput out(STDOUT_FILENO); std::ostream report(&out);`.
class FdOutput : public std::streambuf {
public:
    /// Writes to @p fd, which stays open and owned by the caller.
    explicit FdOutput(int fd) : fd_(fd) {}

protected:
    /// Holds one more character.
    int_type overflow(int_type c) override;
    /// Holds @p n more characters.
    std::streamsize xsputn(const char* s, std::streamsize n) override;
    /// Writes what is held. @return 0, or -1 when the write failed.
    int sync() override;

private:
    int fd_;
    std::string pending_;
};

}  // namespace kit
