// A fetch program over a list of backends; see fetch_program.hpp.
#include "fetch_program.hpp"

#include "stage3_backends.hpp"

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
    auto fetch_all = [&makers = spec.makers, &client = spec.client](const FetchOptions& options,
                                                                    FetchLog& log) {
        std::string error;
        std::unique_ptr<Backend> backend = make_backend(options.backend, makers, error);
        if (!backend) {  // fetch_main() knew the name, but its maker failed
            std::fprintf(stderr, "fetch: %s\n", error.c_str());
            for (std::size_t i = 0; i < options.targets.size(); ++i) {
                log.finish(i, Outcome::failure(Reason::io));
            }
            return;
        }
        Loop loop(std::move(backend));
        client(loop, options, log, reads_for_backend(options.backend));
    };
    return fetch_main(argc, argv,
                      {.description = spec.description,
                       .features = {.backends = std::move(choices),
                                    .stall = true,
                                    .connection_timeouts = spec.connection_timeouts},
                       .run = fetch_all});
}

}  // namespace kit
