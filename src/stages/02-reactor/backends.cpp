// The backend factory; see backends.hpp.
#include "backends.hpp"

#include "poll_backend.hpp"
#include "select_backend.hpp"

namespace kit {

std::vector<BackendMaker> stage2_backends() {
    return {
        {"select", [](std::error_code& /*error*/) { return make_select_backend(); }},
        {"poll", [](std::error_code& /*error*/) { return make_poll_backend(); }},
    };
}

std::vector<std::string> backend_names(const std::vector<BackendMaker>& makers) {
    std::vector<std::string> names;
    names.reserve(makers.size());
    for (const BackendMaker& maker : makers) {
        names.emplace_back(maker.name);
    }
    return names;
}

std::unique_ptr<Backend> make_backend(std::string_view name,
                                      const std::vector<BackendMaker>& makers, std::string& error) {
    for (const BackendMaker& maker : makers) {
        if (maker.name != name) {
            continue;
        }
        std::error_code why;
        std::unique_ptr<Backend> backend = maker.make(why);
        if (!backend) {
            error = "backend '" + std::string(name) + "' is unavailable here: " + why.message();
        }
        return backend;
    }
    error = "unknown backend '" + std::string(name) + "' (known:";
    for (const std::string& known : backend_names(makers)) {
        error += " " + known;
    }
    error += ")";
    return nullptr;
}

}  // namespace kit
