// fd-scaling: what one event costs as the number of idle fds grows (C10K).
//
// In the manner of libevent's test/bench.c and the libev benchmark: N
// watched fds (the ends of N/2 socketpairs, so that 10000 fit under a
// 20000 open-file limit), A of them active at any time (chain.hpp); for
// every kit backend and for libev, in the same run and interleaved, the
// wall time per delivered event, the median of a few timed runs. select
// only runs where every fd is below FD_SETSIZE. Build it in Release:
//
//     cmake --preset release
//     cmake --build --preset release --target fd_scaling
//     build/release/tools/bench/fd_scaling --json fd-scaling.json
//
// and draw the plot with tools/plot_fd_scaling.py. Lesson: lessons/03-epoll.md.
#include "chain.hpp"
#include "libev_runner.hpp"

#include "backends.hpp"
#include "loop.hpp"
#include "stage4_backends.hpp"

#include "kit/unique_fd.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace bench {

bool Tokens::on_readable(std::size_t j) {
    char buffer[64];
    ssize_t n = ::read(chain->watched[j], buffer, sizeof buffer);  // every token waiting
    if (n <= 0) {
        return false;  // a spurious wakeup: nothing to take
    }
    auto got = static_cast<std::size_t>(n);
    fired += got;
    merged += got - 1;
    std::size_t pass = std::min(got, to_send);
    if (pass > 0) {
        to_send -= pass;
        std::size_t next = j + 1 == chain->watched.size() ? 0 : j + 1;
        if (::write(chain->writer[next], buffer, pass) != static_cast<ssize_t>(pass)) {
            std::perror("fd_scaling: write");  // a socketpair with room: cannot happen
            std::abort();
        }
    }
    return fired >= target;
}

void start(Tokens& tokens, const Chain& chain, std::size_t active, std::size_t target) {
    tokens = {.chain = &chain, .target = target, .fired = 0, .to_send = target - active};
    std::size_t n = chain.watched.size();
    for (std::size_t a = 0; a < active; ++a) {
        char token = 't';
        if (::write(chain.writer[a * n / active], &token, 1) != 1) {
            std::perror("fd_scaling: write");  // a socketpair with room: cannot happen
            std::abort();
        }
    }
}

void drain(const Chain& chain) {
    char buffer[256];
    for (int fd : chain.watched) {
        while (::read(fd, buffer, sizeof buffer) > 0) {
        }
    }
}

}  // namespace bench

namespace {

using bench::Chain;
using bench::Result;

// N/2 non-blocking socketpairs; both ends watched, each written through its peer.
std::optional<Chain> make_chain(std::size_t n, std::vector<kit::UniqueFd>& owner) {
    Chain chain;
    for (std::size_t i = 0; i < n / 2; ++i) {
        int fds[2] = {-1, -1};
        if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) {
            std::fprintf(stderr, "fd_scaling: socketpair() #%zu: %s\n", i,
                         std::error_code(errno, std::system_category()).message().c_str());
            return std::nullopt;
        }
        owner.emplace_back(fds[0]);
        owner.emplace_back(fds[1]);
        for (int fd : fds) {
            ::fcntl(fd, F_SETFL, O_NONBLOCK);  // (SOCK_NONBLOCK is Linux's)
        }
        chain.watched.insert(chain.watched.end(), {fds[0], fds[1]});
        chain.writer.insert(chain.writer.end(), {fds[1], fds[0]});
    }
    return chain;
}

// The kit's Loop over one backend, the same ring and callbacks as libev's.
std::optional<Result> run_kit(std::string_view backend_name, const Chain& chain, std::size_t active,
                              std::size_t target) {
    std::string error;
    std::unique_ptr<kit::Backend> backend =
        kit::make_backend(backend_name, kit::stage4_backends(), error);
    if (!backend) {
        return std::nullopt;
    }
    kit::Loop loop(std::move(backend));
    bench::Tokens tokens;
    for (std::size_t j = 0; j < chain.watched.size(); ++j) {
        std::error_code watched =
            loop.watch(chain.watched[j], {.readable = true}, [&tokens, &loop, j](kit::IoEvents) {
                if (tokens.on_readable(j)) {
                    loop.stop();
                }
            });
        if (watched) {  // select and an fd not below FD_SETSIZE
            for (std::size_t k = 0; k < j; ++k) {
                loop.unwatch(chain.watched[k]);
            }
            return std::nullopt;
        }
    }
    bench::start(tokens, chain, active, target);
    auto began = std::chrono::steady_clock::now();
    std::error_code ran = loop.run();
    auto ended = std::chrono::steady_clock::now();
    for (int fd : chain.watched) {
        loop.unwatch(fd);
    }
    bench::drain(chain);
    if (ran) {
        std::fprintf(stderr, "fd_scaling: %s: %s\n", std::string(backend_name).c_str(),
                     ran.message().c_str());
        return std::nullopt;
    }
    return Result{tokens.fired, tokens.merged, ended - began};
}

struct Contender {
    std::string name;
    std::function<std::optional<Result>(const Chain&, std::size_t active, std::size_t target)> run;
};

std::vector<Contender> contenders() {
    std::vector<Contender> all;
    for (const std::string& name : kit::backend_names(kit::stage4_backends())) {
        all.push_back({name, [name](const Chain& chain, std::size_t active, std::size_t target) {
                           return run_kit(name, chain, active, target);
                       }});
    }
    all.push_back({"libev", [](const Chain& chain, std::size_t active, std::size_t target) {
                       return bench::run_libev(chain, active, target);
                   }});
    return all;
}

double ns_per_event(const Result& result) {
    return static_cast<double>(result.elapsed.count()) /
           static_cast<double>(std::max<std::size_t>(result.events, 1));
}

bool raise_fd_limit(std::size_t wanted) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        return false;
    }
    limit.rlim_cur = limit.rlim_max;  // as many as we may have
    ::setrlimit(RLIMIT_NOFILE, &limit);
    return limit.rlim_max == RLIM_INFINITY || limit.rlim_max >= wanted;
}

struct Options {
    std::vector<std::size_t> sizes{100, 1000, 10000};
    std::vector<std::size_t> actives{1, 100};
    double seconds = 0.15;  // per timed run
    int repeat = 5;
    std::string json;
};

std::vector<std::size_t> parse_list(const char* text) {
    std::vector<std::size_t> values;
    for (const char* p = text; *p != '\0';) {
        char* end = nullptr;
        values.push_back(std::strtoul(p, &end, 10));
        p = *end == ',' ? end + 1 : end;
        if (end == p && *p != '\0') {
            break;
        }
    }
    return values;
}

int usage() {
    std::fprintf(stderr,
                 "usage: fd_scaling [--sizes 100,1000,10000] [--active 1,100] [--seconds S]\n"
                 "                  [--repeat R] [--json FILE]\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (i + 1 >= argc) {
            return usage();
        }
        const char* value = argv[++i];
        if (arg == "--sizes") {
            options.sizes = parse_list(value);
        } else if (arg == "--active") {
            options.actives = parse_list(value);
        } else if (arg == "--seconds") {
            options.seconds = std::atof(value);
        } else if (arg == "--repeat") {
            options.repeat = std::max(1, std::atoi(value));
        } else if (arg == "--json") {
            options.json = value;
        } else {
            return usage();
        }
    }
    std::size_t largest = *std::max_element(options.sizes.begin(), options.sizes.end());
    if (!raise_fd_limit(largest + 64)) {
        std::fprintf(stderr, "fd_scaling: RLIMIT_NOFILE is too low for %zu fds\n", largest);
        return 1;
    }

    std::vector<Contender> all = contenders();
    // cell (N, A) -> contender -> ns/event (median); absent: did not run.
    std::map<std::pair<std::size_t, std::size_t>, std::map<std::string, double>> table;
    std::size_t merged = 0;  // tokens that met another: the workload's own check
    for (std::size_t n : options.sizes) {
        std::vector<kit::UniqueFd> fds;
        std::optional<Chain> chain = make_chain(n, fds);
        if (!chain) {
            return 1;
        }
        for (std::size_t active : options.actives) {
            // At most one token per two fds, so tokens never meet: one
            // event is then one read and one write on every loop, whatever
            // order it runs its callbacks in (libev runs a batch last
            // first, the kit first first; with N = A, tokens would pile
            // up on the kit and travel a hundred per read).
            active = std::min(active, chain->watched.size() / 2);
            // Calibrate each contender, so a timed run lasts about options.seconds.
            std::map<std::string, std::size_t> targets;
            std::map<std::string, std::vector<double>> samples;
            for (const Contender& c : all) {
                std::optional<Result> probe = c.run(*chain, active, 2000);
                if (probe) {
                    double per = ns_per_event(*probe);
                    targets[c.name] = std::clamp<std::size_t>(
                        static_cast<std::size_t>(options.seconds * 1e9 / per), 2000, 5'000'000);
                }
            }
            // Interleaved: every contender once per round, so noise hits all alike.
            for (int round = 0; round < options.repeat; ++round) {
                for (const Contender& c : all) {
                    if (targets.contains(c.name)) {
                        if (std::optional<Result> r = c.run(*chain, active, targets[c.name])) {
                            samples[c.name].push_back(ns_per_event(*r));
                            merged += r->merged;
                        }
                    }
                }
            }
            for (auto& [name, values] : samples) {
                std::sort(values.begin(), values.end());
                table[{n, active}][name] = values[values.size() / 2];
            }
            std::fprintf(stderr, "fd_scaling: N=%zu A=%zu done\n", n, active);
        }
    }

    // The table, in Markdown, with epoll's ratio to libev.
    std::printf("| N | A |");
    for (const Contender& c : all) {
        std::printf(" %s |", c.name.c_str());
    }
    std::printf(" epoll / libev |\n|---|---|");
    for (std::size_t i = 0; i <= all.size(); ++i) {
        std::printf("---|");
    }
    std::printf("\n");
    for (const auto& [cell, row] : table) {
        std::printf("| %zu | %zu |", cell.first, cell.second);
        for (const Contender& c : all) {
            auto it = row.find(c.name);
            if (it == row.end()) {
                std::printf(" — |");
            } else {
                std::printf(" %.0f |", it->second);
            }
        }
        if (row.contains("epoll") && row.contains("libev")) {
            std::printf(" %.2f× |", row.at("epoll") / row.at("libev"));
        } else {
            std::printf(" — |");
        }
        std::printf("\n");
    }
    std::printf(
        "\nns per event, median of %d runs of ~%.2f s each; select only below FD_SETSIZE.\n",
        options.repeat, options.seconds);

    if (!options.json.empty()) {
        FILE* out = std::fopen(options.json.c_str(), "w");
        if (out == nullptr) {
            std::perror(options.json.c_str());
            return 1;
        }
        std::fprintf(out, "[\n");
        bool first = true;
        for (const auto& [cell, row] : table) {
            for (const auto& [name, ns] : row) {
                std::fprintf(out,
                             "%s  {\"n\": %zu, \"active\": %zu, \"backend\": \"%s\", "
                             "\"ns_per_event\": %.1f}",
                             first ? "" : ",\n", cell.first, cell.second, name.c_str(), ns);
                first = false;
            }
        }
        std::fprintf(out, "\n]\n");
        std::fclose(out);
    }
    return 0;
}
