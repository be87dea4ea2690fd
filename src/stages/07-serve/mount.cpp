// The mount table; see mount.hpp.
#include "mount.hpp"

#include "responder.hpp"

#include <algorithm>
#include <utility>

namespace kit {

bool Mount::allows(std::string_view method) const {
    return std::find(methods.begin(), methods.end(), method) != methods.end();
}

std::string Mount::allow_field() const {
    std::string out;
    for (const std::string& method : methods) {
        out += out.empty() ? "" : ", ";
        out += method;
    }
    return out;
}

void Mounts::mount(std::string path, std::vector<std::string> methods, SyncApp app, Mode mode) {
    if (mode == Mode::synchronous) {
        mounts_.push_back({.path = std::move(path),
                           .methods = std::move(methods),
                           .mode = mode,
                           .function = std::move(app)});
        return;
    }
    // A function in the loop is an asynchronous application that answers at once.
    mount(std::move(path), std::move(methods),
          AsyncApp([app = std::move(app)](const Request& request, const Responder& responder) {
              responder.respond(app(request));
          }));
}

void Mounts::mount(std::string path, std::vector<std::string> methods, AsyncApp app) {
    mounts_.push_back({.path = std::move(path),
                       .methods = std::move(methods),
                       .mode = Mode::asynchronous,
                       .asynchronous = std::move(app)});
}

const Mount* Mounts::find(std::string_view target) const {
    std::string_view path = target_path(target);
    for (const Mount& mount : mounts_) {
        if (path == mount.path ||
            (path.starts_with(mount.path) && path.size() > mount.path.size() &&
             path[mount.path.size()] == '/')) {
            return &mount;
        }
    }
    return nullptr;
}

std::string_view target_path(std::string_view target) {
    return target.substr(0, target.find('?'));
}

std::string_view query_value(std::string_view target, std::string_view name) {
    std::size_t question = target.find('?');
    if (question == std::string_view::npos) {
        return {};
    }
    std::string_view query = target.substr(question + 1);
    while (!query.empty()) {
        std::size_t amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        std::size_t equals = pair.find('=');
        if (pair.substr(0, equals) == name) {
            return equals == std::string_view::npos ? std::string_view{} : pair.substr(equals + 1);
        }
        if (amp == std::string_view::npos) {
            break;
        }
        query.remove_prefix(amp + 1);
    }
    return {};
}

}  // namespace kit
