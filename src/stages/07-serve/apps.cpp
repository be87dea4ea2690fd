// The sample applications; see apps.hpp.
#include "apps.hpp"

#include "responder.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <string_view>
#include <thread>

namespace kit {

namespace {

// The largest file answered whole (the kit's answers are one buffer).
constexpr std::size_t kMaxFileBytes = std::size_t{16} * 1024 * 1024;

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

}  // namespace

Response hello_app(const Request& /*request*/) {
    return text_response(200, "hello\n");
}

SyncApp slow_app(std::chrono::milliseconds most) {
    return [most](const Request& request) {
        std::string_view text = query_value(request.target, "ms");
        long long ms = 0;
        auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), ms);
        if (text.empty() || error != std::errc{} || end != text.data() + text.size() || ms < 0 ||
            ms > most.count()) {
            return text_response(400, "ms must be 0 to " + std::to_string(most.count()) + "\n");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
        return text_response(200, "slept " + std::to_string(ms) + " ms\n");
    };
}

Response sum_app(const Request& request) {
    std::string_view body = request.body;
    std::int64_t sum = 0;
    while (!body.empty()) {
        if (is_space(body.front())) {
            body.remove_prefix(1);
            continue;
        }
        std::int64_t value = 0;
        auto [end, error] = std::from_chars(body.data(), body.data() + body.size(), value);
        if (error != std::errc{} || (end != body.data() + body.size() && !is_space(*end)) ||
            __builtin_add_overflow(sum, value, &sum)) {
            return text_response(400, "the body must be integers separated by spaces\n");
        }
        body.remove_prefix(static_cast<std::size_t>(end - body.data()));
    }
    return text_response(200, std::to_string(sum) + "\n");
}

SyncApp files_app(std::string root) {
    return [root = std::move(root)](const Request& request) {
        std::string_view path = target_path(request.target);
        path.remove_prefix(std::min(path.size(), std::string_view("/files").size()));
        // Refused, not resolved: no "..", no "%" escapes (which could hide
        // one), no empty path. What is left names a file under the root.
        if (path.size() < 2 || path.find("..") != std::string_view::npos ||
            path.find('%') != std::string_view::npos || path.find('\\') != std::string_view::npos) {
            return text_response(403, "refused\n");
        }
        UniqueFd file(::open((root + std::string(path)).c_str(), O_RDONLY | O_CLOEXEC));
        struct stat info {};
        if (!file || ::fstat(file.get(), &info) != 0 || !S_ISREG(info.st_mode)) {
            return text_response(errno == EMFILE || errno == ENFILE ? 503 : 404, "not found\n");
        }
        if (static_cast<std::uint64_t>(info.st_size) > kMaxFileBytes) {
            return text_response(403, "too large to serve\n");
        }
        Response response{.content_type = "application/octet-stream"};
        response.body.resize(static_cast<std::size_t>(info.st_size));
        std::size_t got = 0;
        while (got < response.body.size()) {
            ssize_t n = ::read(file.get(), response.body.data() + got, response.body.size() - got);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                break;
            }
            got += static_cast<std::size_t>(n);
        }
        response.body.resize(got);  // a file that shrank meanwhile
        return response;
    };
}

AsyncApp stats_app() {
    return [](const Request& /*request*/, const Responder& responder) {
        Response response{.content_type = "application/json"};
        response.body = responder.service().stats().to_json();
        responder.respond(response);
    };
}

}  // namespace kit
