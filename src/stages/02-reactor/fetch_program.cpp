// A fetch program over a list of backends; see fetch_program.hpp.
#include "fetch_program.hpp"

#include <cstdio>
#include <memory>
#include <string>
#include <utility>

namespace kit {

int fetch_program_main(int argc, char** argv, FetchProgramSpec spec) {
    // What --backend accepts, the default first (as fetch_main() wants it).
    std::vector<std::string> choices{std::string(spec.default_backend)};
    for (std::string& name : backend_names(spec.makers)) {
        if (name != spec.default_backend) {
            choices.push_back(std::move(name));
        }
    }
    auto fetch_all = [&spec](const FetchOptions& options, FetchLog& log) {
        std::string error;
        std::unique_ptr<Backend> backend = make_backend(options.backend, spec.makers, error);
        if (!backend) {  // fetch_main() knew the name, but its maker failed
            std::fprintf(stderr, "fetch: %s\n", error.c_str());
            for (std::size_t i = 0; i < options.targets.size(); ++i) {
                log.finish(i, Outcome::failure(Reason::io));
            }
            return;
        }
        Loop loop(std::move(backend));
        spec.client(loop, options, log, spec.reads(options.backend));
    };
    return fetch_main(argc, argv,
                      {.description = spec.description,
                       .features = {.backends = std::move(choices),
                                    .stall = true,
                                    .connection_timeouts = spec.connection_timeouts,
                                    .pool = spec.pool},
                       .run = fetch_all});
}

}  // namespace kit
