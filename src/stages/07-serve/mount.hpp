// Mount: an application, the path it answers, and where it runs.
//
// CppCMS mounts each application on a path, as synchronous or asynchronous
// (the second source text). The kit does the same:
// - a synchronous application is a plain function of the request that
//   returns the response. It runs on the thread pool and may block (a
//   database call, a file, a slow computation); the loop never waits for it.
// - an asynchronous application runs on the loop thread, with a Responder
//   it may answer through at once or later (stage 8's long polling). It must
//   be quick and never block: while it runs, no other client is served.
// A plain function may also be mounted asynchronous: it then runs in the
// loop and answers at once (/hello's fast path; and `--slow-on loop`, the
// mistake the lesson makes on purpose).
// Lesson: lessons/07-serve.md, "Two kinds of application".
//
// Interface rules: Mounts is filled before the service runs and only read
// afterwards (loop thread); a SyncApp may be called from any pool worker at
// once, so it shares nothing unlocked; an AsyncApp runs on the loop thread.
#pragma once

#include "response.hpp"

#include "kit/request_parser.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace kit {

class Responder;

/// Where a mounted application runs.
enum class Mode {
    synchronous,   ///< On a pool worker; may block.
    asynchronous,  ///< On the loop thread; must not block.
};

/// A plain function of the request (synchronous, or asynchronous answering at once).
using SyncApp = std::function<Response(const Request&)>;
/// An asynchronous application: answers through the Responder, now or later.
using AsyncApp = std::function<void(const Request&, Responder)>;

/// One mounted application.
struct Mount {
    std::string path;                  ///< "/hello", or a prefix such as "/files".
    std::vector<std::string> methods;  ///< What it allows; anything else is 405.
    Mode mode = Mode::synchronous;     ///< Where it runs.
    SyncApp function;                  ///< Set for Mode::synchronous.
    AsyncApp asynchronous;             ///< Set for Mode::asynchronous.

    /// Whether @p method is one of methods.
    [[nodiscard]] bool allows(std::string_view method) const;
    /// The methods as an Allow field value, "GET, HEAD".
    [[nodiscard]] std::string allow_field() const;
};

/// The mount table: path -> application.
class Mounts {
public:
    /// Mounts the function @p app on @p path, run as @p mode says (asynchronous:
    /// in the loop, answering at once).
    void mount(std::string path, std::vector<std::string> methods, SyncApp app, Mode mode);

    /// Mounts the asynchronous application @p app on @p path.
    void mount(std::string path, std::vector<std::string> methods, AsyncApp app);

    /// The application for @p target's path (the part before any '?'): a
    /// mount whose path equals it, or is a prefix of it followed by '/'.
    /// @return nullptr when none matches (404).
    [[nodiscard]] const Mount* find(std::string_view target) const;

private:
    std::vector<Mount> mounts_;
};

/// The path part of a request target ("/slow?ms=5" -> "/slow").
std::string_view target_path(std::string_view target);

/// The value of @p name in @p target's query ("/slow?ms=5", "ms" -> "5"), or empty.
std::string_view query_value(std::string_view target, std::string_view name);

}  // namespace kit
