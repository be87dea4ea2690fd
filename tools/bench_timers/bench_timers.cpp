// bench-timers: the kit's TimerQueue against libev and libuv, in one run.
//
//     cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release
//     cmake --build build/release --target bench-timers
//     build/release/tools/bench_timers/bench-timers [--timers N] [--spread-ms MS]
//
// Three measurements, each on its own fresh loop, the same random numbers
// for all three libraries:
// - add+fire: arm N one-shot timers with random delays of 0..10 ms, run the
//   loop until all have fired; wall time per timer.
// - add+cancel: arm N timers due in 10..20 s, cancel them all in a random
//   order; wall time per timer.
// - lateness: N timers due evenly over MS milliseconds (starting 0.5 s
//   after arming, so arming is not counted); the latest any fires past
//   its deadline, by the steady clock read in its callback.
// libev and libuv keep their timers in the caller's memory (intrusive), so
// their watcher arrays are allocated before the clock starts; the kit's
// queue allocates its own. Only a smoke run (1000 timers) is a test.
#include "loop.hpp"
#include "poll_backend.hpp"
#include "timer_queue.hpp"

#include <ev.h>
#include <uv.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::duration;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;

struct Workload {
    std::size_t timers = 1'000'000;
    milliseconds spread{1000};
    std::vector<microseconds> fire_delays;    // 0..10 ms
    std::vector<microseconds> cancel_delays;  // 10..20 s
    std::vector<std::size_t> cancel_order;    // a permutation
};

struct Result {
    double add_fire_ns = 0;
    double add_cancel_ns = 0;
    double max_late_us = 0;
};

double ns_per(Clock::duration elapsed, std::size_t count) {
    return static_cast<double>(std::chrono::duration_cast<nanoseconds>(elapsed).count()) /
           static_cast<double>(count);
}

// Timer i of the lateness run is due at start + offset(i): evenly spread.
Clock::duration offset(const Workload& w, std::size_t i) {
    return milliseconds(500) +
           w.spread * static_cast<std::int64_t>(i) / static_cast<std::int64_t>(w.timers);
}

// The latest lateness seen, shared by every callback of one run.
struct Lateness {
    Clock::duration worst = Clock::duration::min();
    void saw(Clock::time_point deadline) { worst = std::max(worst, Clock::now() - deadline); }
    [[nodiscard]] double us() const { return duration<double, std::micro>(worst).count(); }
};

// --- the kit -------------------------------------------------------------------

Result bench_kit(const Workload& w) {
    Result result;
    {
        kit::Loop loop(kit::make_poll_backend());
        kit::TimerQueue timers;
        loop.add_source(timers);
        std::size_t fired = 0;
        Clock::time_point start = Clock::now();
        for (microseconds delay : w.fire_delays) {
            timers.after(delay, [&fired] { ++fired; });
        }
        (void)loop.run();  // returns when no timer is left
        result.add_fire_ns = ns_per(Clock::now() - start, w.timers);
        loop.remove_source(timers);
        if (fired != w.timers) {
            throw std::runtime_error("kit: only " + std::to_string(fired) + " timers fired");
        }
    }
    {
        kit::TimerQueue timers;
        std::vector<kit::TimerId> ids(w.timers);
        Clock::time_point start = Clock::now();
        for (std::size_t i = 0; i < w.timers; ++i) {
            ids[i] = timers.after(w.cancel_delays[i], [] {});
        }
        for (std::size_t i : w.cancel_order) {
            timers.cancel(ids[i]);
        }
        result.add_cancel_ns = ns_per(Clock::now() - start, w.timers);
    }
    {
        kit::Loop loop(kit::make_poll_backend());
        kit::TimerQueue timers;
        loop.add_source(timers);
        std::vector<Clock::time_point> deadlines(w.timers);
        Lateness late;
        Clock::time_point start = Clock::now();
        for (std::size_t i = 0; i < w.timers; ++i) {
            deadlines[i] = start + offset(w, i);
            const Clock::time_point* deadline = &deadlines[i];
            timers.at(*deadline, [&late, deadline] { late.saw(*deadline); });
        }
        (void)loop.run();
        loop.remove_source(timers);
        result.max_late_us = late.us();
    }
    return result;
}

// --- libev ---------------------------------------------------------------------

struct EvTimer {
    ev_timer watcher;  // first: the callback casts the watcher back to this
    Clock::time_point deadline;
    Lateness* late;
    std::size_t* fired;
};

void ev_count(struct ev_loop* /*loop*/, ev_timer* watcher, int /*events*/) {
    ++*reinterpret_cast<EvTimer*>(watcher)->fired;
}

void ev_late(struct ev_loop* /*loop*/, ev_timer* watcher, int /*events*/) {
    auto* timer = reinterpret_cast<EvTimer*>(watcher);
    timer->late->saw(timer->deadline);
}

double seconds(Clock::duration d) {
    return duration<double>(d).count();
}

Result bench_libev(const Workload& w) {
    Result result;
    struct ev_loop* loop = ev_loop_new(EVFLAG_AUTO);
    std::vector<EvTimer> timers(w.timers);
    {
        std::size_t fired = 0;
        Clock::time_point start = Clock::now();
        ev_now_update(loop);
        for (std::size_t i = 0; i < w.timers; ++i) {
            timers[i].fired = &fired;
            ev_timer_init(&timers[i].watcher, ev_count, seconds(w.fire_delays[i]), 0.);
            ev_timer_start(loop, &timers[i].watcher);
        }
        ev_run(loop, 0);  // returns when no watcher is active
        result.add_fire_ns = ns_per(Clock::now() - start, w.timers);
        if (fired != w.timers) {
            throw std::runtime_error("libev: only " + std::to_string(fired) + " timers fired");
        }
    }
    {
        Clock::time_point start = Clock::now();
        for (std::size_t i = 0; i < w.timers; ++i) {
            ev_timer_init(&timers[i].watcher, ev_count, seconds(w.cancel_delays[i]), 0.);
            ev_timer_start(loop, &timers[i].watcher);
        }
        for (std::size_t i : w.cancel_order) {
            ev_timer_stop(loop, &timers[i].watcher);
        }
        result.add_cancel_ns = ns_per(Clock::now() - start, w.timers);
    }
    {
        Lateness late;
        ev_now_update(loop);
        Clock::time_point start = Clock::now();  // libev's monotonic time is this clock
        for (std::size_t i = 0; i < w.timers; ++i) {
            timers[i].deadline = start + offset(w, i);
            timers[i].late = &late;
            ev_timer_init(&timers[i].watcher, ev_late, seconds(offset(w, i)), 0.);
            ev_timer_start(loop, &timers[i].watcher);
        }
        ev_run(loop, 0);
        result.max_late_us = late.us();
    }
    ev_loop_destroy(loop);
    return result;
}

// --- libuv ---------------------------------------------------------------------

struct UvTimer {
    uv_timer_t handle;  // first: the callback casts the handle back to this
    Clock::time_point deadline;
    Lateness* late;
    std::size_t* fired;
};

void uv_count(uv_timer_t* handle) {
    ++*reinterpret_cast<UvTimer*>(handle)->fired;
}

void uv_late(uv_timer_t* handle) {
    auto* timer = reinterpret_cast<UvTimer*>(handle);
    timer->late->saw(timer->deadline);
}

std::uint64_t whole_ms(Clock::duration d) {
    return static_cast<std::uint64_t>(std::chrono::ceil<milliseconds>(d).count());
}

Result bench_libuv(const Workload& w) {
    Result result;
    uv_loop_t loop;
    uv_loop_init(&loop);
    std::vector<UvTimer> timers(w.timers);
    for (UvTimer& timer : timers) {
        uv_timer_init(&loop, &timer.handle);
    }
    {
        std::size_t fired = 0;
        Clock::time_point start = Clock::now();
        uv_update_time(&loop);
        for (std::size_t i = 0; i < w.timers; ++i) {
            timers[i].fired = &fired;
            uv_timer_start(&timers[i].handle, uv_count, whole_ms(w.fire_delays[i]), 0);
        }
        uv_run(&loop, UV_RUN_DEFAULT);  // returns when no timer is active
        result.add_fire_ns = ns_per(Clock::now() - start, w.timers);
        if (fired != w.timers) {
            throw std::runtime_error("libuv: only " + std::to_string(fired) + " timers fired");
        }
    }
    {
        Clock::time_point start = Clock::now();
        for (std::size_t i = 0; i < w.timers; ++i) {
            uv_timer_start(&timers[i].handle, uv_count, whole_ms(w.cancel_delays[i]), 0);
        }
        for (std::size_t i : w.cancel_order) {
            uv_timer_stop(&timers[i].handle);
        }
        result.add_cancel_ns = ns_per(Clock::now() - start, w.timers);
    }
    {
        Lateness late;
        uv_update_time(&loop);
        // libuv's loop time is in whole ms from its own (possibly coarse)
        // clock: each deadline is what libuv was asked for, from now.
        Clock::time_point start = Clock::now();
        for (std::size_t i = 0; i < w.timers; ++i) {
            std::uint64_t ms = whole_ms(offset(w, i));
            timers[i].deadline = start + milliseconds(ms);
            timers[i].late = &late;
            uv_timer_start(&timers[i].handle, uv_late, ms, 0);
        }
        uv_run(&loop, UV_RUN_DEFAULT);
        result.max_late_us = late.us();
    }
    for (UvTimer& timer : timers) {
        uv_close(reinterpret_cast<uv_handle_t*>(&timer.handle), nullptr);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return result;
}

Workload make_workload(std::size_t timers, milliseconds spread) {
    Workload w{.timers = timers, .spread = spread};
    std::mt19937_64 random(2026);
    std::uniform_int_distribution<std::int64_t> fire_us(0, 10'000);
    std::uniform_int_distribution<std::int64_t> cancel_us(10'000'000, 20'000'000);
    for (std::size_t i = 0; i < timers; ++i) {
        w.fire_delays.emplace_back(fire_us(random));
        w.cancel_delays.emplace_back(cancel_us(random));
    }
    w.cancel_order.resize(timers);
    std::iota(w.cancel_order.begin(), w.cancel_order.end(), std::size_t{0});
    std::shuffle(w.cancel_order.begin(), w.cancel_order.end(), random);
    return w;
}

int usage() {
    std::fprintf(stderr, "usage: bench-timers [--timers N] [--spread-ms MS]\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t timers = 1'000'000;
    long spread_ms = 1000;
    for (int i = 1; i < argc; ++i) {
        if (i + 1 < argc && std::strcmp(argv[i], "--timers") == 0) {
            timers = std::strtoul(argv[++i], nullptr, 10);
        } else if (i + 1 < argc && std::strcmp(argv[i], "--spread-ms") == 0) {
            spread_ms = std::strtol(argv[++i], nullptr, 10);
        } else {
            return usage();
        }
    }
    if (timers == 0 || spread_ms <= 0) {
        return usage();
    }
    const Workload w = make_workload(timers, milliseconds(spread_ms));
    Result kit;
    Result ev;
    Result uv;
    try {
        kit = bench_kit(w);
        ev = bench_libev(w);
        uv = bench_libuv(w);
    } catch (const std::exception& error) {
        std::fprintf(stderr, "bench-timers: %s\n", error.what());
        return 1;
    }

#ifdef NDEBUG
    const char* build = "optimized";
#else
    const char* build = "DEBUG build: numbers mean little, use a Release build";
#endif
    std::printf("bench-timers: %zu timers (%s); libev %d.%d, libuv %s\n\n", timers, build,
                ev_version_major(), ev_version_minor(), uv_version_string());
    std::printf("%-44s %10s %10s %10s %10s %10s\n", "", "kit", "libev", "libuv", "kit/libev",
                "kit/libuv");
    auto row = [](const char* name, double k, double e, double u) {
        std::printf("%-44s %10.1f %10.1f %10.1f %10.2f %10.2f\n", name, k, e, u, k / e, k / u);
    };
    row("add+fire, ns per timer", kit.add_fire_ns, ev.add_fire_ns, uv.add_fire_ns);
    row("add+cancel, ns per timer", kit.add_cancel_ns, ev.add_cancel_ns, uv.add_cancel_ns);
    char lateness[64];
    std::snprintf(lateness, sizeof lateness, "max lateness, spread over %ld ms, us", spread_ms);
    row(lateness, kit.max_late_us, ev.max_late_us, uv.max_late_us);
    std::printf("\nbar (kit at or below libev): add+fire %s, add+cancel %s\n",
                kit.add_fire_ns <= ev.add_fire_ns ? "met" : "NOT met",
                kit.add_cancel_ns <= ev.add_cancel_ns ? "met" : "NOT met");
    return 0;
}
