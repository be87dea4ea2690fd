// The serve program, written once; see serve_program.hpp (and
// serve_main.cpp for stage 7's main()).
//
// Builds the pieces and runs the loop: a Loop over the backend --backend
// names, stage 5's timers and stage 6's post queue as its Sources, a
// thread pool, the Service with the sample applications mounted (and a
// later stage's), the Acceptor and the SignalPipe.
// Lesson: lessons/07-serve.md.
#include "serve_program.hpp"

#include "acceptor.hpp"
#include "apps.hpp"
#include "loop.hpp"
#include "post_queue.hpp"
#include "serve_trace.hpp"
#include "signal_pipe.hpp"
#include "stage3_backends.hpp"
#include "stage4_backends.hpp"
#include "thread_pool.hpp"
#include "timer_queue.hpp"

#include "kit/fd_output.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace {

// The longest /slow may sleep.
constexpr std::chrono::milliseconds kMostSlow{60'000};

void mount_apps(kit::Mounts& mounts, const kit::ServeOptions& options) {
    using kit::Mode;
    const std::vector<std::string> get{"GET", "HEAD"};
    mounts.mount("/hello", get, kit::hello_app,
                 options.hello_on_pool ? Mode::synchronous : Mode::asynchronous);
    mounts.mount("/stats", get, kit::stats_app());
    mounts.mount("/slow", get, kit::slow_app(kMostSlow),
                 options.slow_on_loop ? Mode::asynchronous : Mode::synchronous);
    mounts.mount("/sum", {"POST"}, kit::sum_app, Mode::synchronous);
    if (!options.root.empty()) {
        mounts.mount("/files", get, kit::files_app(options.root), Mode::synchronous);
    }
}

int serve(const kit::ServeOptions& options, const std::vector<kit::BackendMaker>& makers,
          const kit::ServeExtension& extension) {
    std::string error;
    std::unique_ptr<kit::Backend> backend = kit::make_backend(options.backend, makers, error);
    if (!backend) {
        std::fprintf(stderr, "serve: %s\n", error.c_str());
        return 1;
    }
    std::ofstream trace_file;
    if (!options.trace_path.empty()) {
        trace_file.open(options.trace_path);
        if (!trace_file) {
            std::fprintf(stderr, "serve: cannot write the trace to %s\n",
                         options.trace_path.c_str());
            return 2;
        }
    }

    kit::Loop loop(std::move(backend));
    kit::ServeTrace trace(trace_file.is_open());
    if (trace.enabled()) {
        loop.on_wait([&trace](kit::Clock::time_point began, kit::Clock::time_point ended,
                              int ready) { trace.wait(began, ended, ready); });
    }
    kit::TimerQueue timers;
    loop.add_source(timers);
    kit::PostQueue posts(loop);
    const kit::ReadMode reads = kit::read_mode_for_backend(options.backend);
    int status = 0;
    {
        kit::ThreadPool pool(posts, options.threads);
        kit::Service service(loop, timers, posts, pool, trace,
                             {.head_timeout = options.head_timeout,
                              .idle_timeout = options.idle_timeout,
                              .grace = options.grace,
                              .reads = reads});
        mount_apps(service.mounts(), options);
        if (extension.mount) {
            extension.mount(service);
        }
        kit::Acceptor acceptor(
            loop, timers, reads,
            [&service](kit::UniqueFd socket) { service.adopt(std::move(socket)); },
            [&service] { ++service.stats().fd_exhaustions; });
        if (std::error_code listen_error = acceptor.listen(options.bind, options.port)) {
            std::fprintf(stderr, "serve: cannot listen on %s port %u: %s\n", options.bind.c_str(),
                         options.port, listen_error.message().c_str());
            return 1;
        }
        kit::SignalPipe signals(loop, [&](int) {
            acceptor.close();  // no new connections; those open finish
            service.shutdown([&loop] { loop.stop(); });
        });
        kit::write_all(STDOUT_FILENO, "listening on http://" + options.bind + ":" +
                                          std::to_string(acceptor.port()) + "/\n");
        if (std::error_code run_error = loop.run()) {
            std::fprintf(stderr, "serve: the loop failed: %s\n", run_error.message().c_str());
            status = 1;
        }
        pool.stop();  // joins the workers (a job still running finishes first)
    }
    if (trace.enabled()) {
        trace.write(trace_file, options.threads);
    }
    return status;
}

}  // namespace

namespace kit {

int serve_main(int argc, char** argv, const ServeExtension& extension) {
    const std::vector<BackendMaker> makers = stage4_backends();
    const std::vector<std::string> names = backend_names(makers);
    std::string error;
    std::optional<ServeOptions> options = parse_serve_options(
        std::vector<std::string>(argv + 1, argv + argc), names, error, extension.options);
    if (!options) {
        std::fprintf(stderr, "serve: %s\n", error.c_str());
        return 2;
    }
    if (options->help) {
        std::string usage = serve_usage(names) + extension.usage;
        if (!extension.description.empty()) {
            usage += extension.description + "\n";
        }
        std::fputs(usage.c_str(), stdout);
        return 0;
    }
    return serve(*options, makers, extension);
}

}  // namespace kit
