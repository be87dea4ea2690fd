// bench-timers: the kit's TimerQueue against libev and libuv, in one run.
//
//     cmake --preset release
//     cmake --build --preset release --target bench-timers
//     build/release/tools/bench_timers/bench-timers [--timers N] [--spread-ms MS] [--rounds R]
//
// Three measurements, the same random numbers for all three libraries:
// - add+fire: arm N one-shot timers with random delays of 0..10 ms, run the
//   loop until all have fired; wall time per timer.
// - add+cancel: arm N timers due in 10..20 s, cancel them all in a random
//   order; wall time per timer.
// - lateness: N timers due evenly over MS milliseconds (starting 0.5 s
//   after arming, so arming is not counted); how late each fires past
//   its deadline, by the steady clock read in its callback.
// Each library keeps one loop for the whole run, as a server does. Round 0
// warms it up (its arrays grow, their pages are touched) and is not
// counted; then the libraries take turns, round after round, so a noisy
// second hits all three alike, and each figure is the median over rounds.
// libev and libuv keep their timers in the caller's memory (intrusive):
// those arrays are allocated once, outside the clock.
// A last table sets the heaps alone side by side, without any timer
// around them: push N keys, pop them all, with a binary heap
// (std::priority_queue) and the stretch exercise's 4-ary QuadHeap
// (solution). Only a smoke run (1000 timers) is a test.
#include "loop.hpp"
#include "poll_backend.hpp"
#include "quad_heap.hpp"
#include "timer_queue.hpp"

#include <ev.h>
#include <uv.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <queue>
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

// One round's figures for one library.
struct Result {
    double add_fire_ns = 0;
    double add_cancel_ns = 0;
    double late_median_us = 0;
    double late_p999_us = 0;
    double late_max_us = 0;
    double binary_heap_ns = 0;  // the heaps alone: push + pop, ns per key
    double quad_heap_ns = 0;
};

double ns_per(Clock::duration elapsed, std::size_t count) {
    return static_cast<double>(std::chrono::duration_cast<nanoseconds>(elapsed).count()) /
           static_cast<double>(count);
}

double seconds(Clock::duration d) {
    return duration<double>(d).count();
}

// Timer i of the lateness run is due at start + offset(i): evenly spread.
Clock::duration offset(const Workload& w, std::size_t i) {
    return milliseconds(500) +
           w.spread * static_cast<std::int64_t>(i) / static_cast<std::int64_t>(w.timers);
}

// How late each timer of a lateness run fired: one slot per timer, filled
// by its callback (a store, so the callbacks cost the same everywhere).
struct Lateness {
    std::vector<Clock::time_point> deadlines;
    std::vector<Clock::duration> late;

    explicit Lateness(std::size_t timers) : deadlines(timers), late(timers) {}
    void fired(std::size_t i) { late[i] = Clock::now() - deadlines[i]; }

    void summarize(Result& result) {
        std::sort(late.begin(), late.end());
        auto us = [](Clock::duration d) { return duration<double, std::micro>(d).count(); };
        result.late_median_us = us(late[late.size() / 2]);
        result.late_p999_us = us(late[late.size() * 999 / 1000]);
        result.late_max_us = us(late.back());
    }
};

// --- the kit -------------------------------------------------------------------

class KitBench {
public:
    explicit KitBench(std::size_t timers) : ids_(timers) { loop_.add_source(timers_); }
    KitBench(const KitBench&) = delete;
    KitBench& operator=(const KitBench&) = delete;
    ~KitBench() { loop_.remove_source(timers_); }

    void run(const Workload& w, Result& result) {
        std::size_t fired = 0;
        Clock::time_point start = Clock::now();
        for (microseconds delay : w.fire_delays) {
            timers_.after(delay, [&fired] { ++fired; });
        }
        (void)loop_.run();  // returns when no timer is left
        result.add_fire_ns = ns_per(Clock::now() - start, w.timers);
        if (fired != w.timers) {
            throw std::runtime_error("kit: only " + std::to_string(fired) + " timers fired");
        }

        start = Clock::now();
        for (std::size_t i = 0; i < w.timers; ++i) {
            ids_[i] = timers_.after(w.cancel_delays[i], [] {});
        }
        for (std::size_t i : w.cancel_order) {
            timers_.cancel(ids_[i]);
        }
        result.add_cancel_ns = ns_per(Clock::now() - start, w.timers);

        Lateness lateness(w.timers);
        start = Clock::now();
        for (std::size_t i = 0; i < w.timers; ++i) {
            lateness.deadlines[i] = start + offset(w, i);
            timers_.at(lateness.deadlines[i], [&lateness, i] { lateness.fired(i); });
        }
        (void)loop_.run();
        lateness.summarize(result);
    }

private:
    kit::Loop loop_{kit::make_poll_backend()};
    kit::TimerQueue timers_;
    std::vector<kit::TimerId> ids_;
};

// --- libev ---------------------------------------------------------------------

struct EvTimer {
    ev_timer watcher;  // first: the callbacks cast the watcher back to this
    std::size_t index = 0;
    Lateness* lateness = nullptr;
    std::size_t* fired = nullptr;
};

void ev_count(struct ev_loop* /*loop*/, ev_timer* watcher, int /*events*/) {
    ++*reinterpret_cast<EvTimer*>(watcher)->fired;
}

void ev_late(struct ev_loop* /*loop*/, ev_timer* watcher, int /*events*/) {
    auto* timer = reinterpret_cast<EvTimer*>(watcher);
    timer->lateness->fired(timer->index);
}

class EvBench {
public:
    explicit EvBench(std::size_t timers) : loop_(ev_loop_new(EVFLAG_AUTO)), timers_(timers) {
        for (std::size_t i = 0; i < timers; ++i) {
            timers_[i].index = i;
        }
    }
    EvBench(const EvBench&) = delete;
    EvBench& operator=(const EvBench&) = delete;
    ~EvBench() { ev_loop_destroy(loop_); }

    void run(const Workload& w, Result& result) {
        std::size_t fired = 0;
        Clock::time_point start = Clock::now();
        ev_now_update(loop_);
        for (std::size_t i = 0; i < w.timers; ++i) {
            timers_[i].fired = &fired;
            ev_timer_init(&timers_[i].watcher, ev_count, seconds(w.fire_delays[i]), 0.);
            ev_timer_start(loop_, &timers_[i].watcher);
        }
        ev_run(loop_, 0);  // returns when no watcher is active
        result.add_fire_ns = ns_per(Clock::now() - start, w.timers);
        if (fired != w.timers) {
            throw std::runtime_error("libev: only " + std::to_string(fired) + " timers fired");
        }

        start = Clock::now();
        for (std::size_t i = 0; i < w.timers; ++i) {
            ev_timer_init(&timers_[i].watcher, ev_count, seconds(w.cancel_delays[i]), 0.);
            ev_timer_start(loop_, &timers_[i].watcher);
        }
        for (std::size_t i : w.cancel_order) {
            ev_timer_stop(loop_, &timers_[i].watcher);
        }
        result.add_cancel_ns = ns_per(Clock::now() - start, w.timers);

        Lateness lateness(w.timers);
        ev_now_update(loop_);
        start = Clock::now();  // libev's monotonic time is this clock
        for (std::size_t i = 0; i < w.timers; ++i) {
            lateness.deadlines[i] = start + offset(w, i);
            timers_[i].lateness = &lateness;
            ev_timer_init(&timers_[i].watcher, ev_late, seconds(offset(w, i)), 0.);
            ev_timer_start(loop_, &timers_[i].watcher);
        }
        ev_run(loop_, 0);
        lateness.summarize(result);
    }

private:
    struct ev_loop* loop_;
    std::vector<EvTimer> timers_;
};

// --- libuv ---------------------------------------------------------------------

struct UvTimer {
    uv_timer_t handle;  // first: the callbacks cast the handle back to this
    std::size_t index = 0;
    Lateness* lateness = nullptr;
    std::size_t* fired = nullptr;
};

void uv_count(uv_timer_t* handle) {
    ++*reinterpret_cast<UvTimer*>(handle)->fired;
}

void uv_late(uv_timer_t* handle) {
    auto* timer = reinterpret_cast<UvTimer*>(handle);
    timer->lateness->fired(timer->index);
}

std::uint64_t whole_ms(Clock::duration d) {
    return static_cast<std::uint64_t>(std::chrono::ceil<milliseconds>(d).count());
}

class UvBench {
public:
    explicit UvBench(std::size_t timers) : timers_(timers) {
        uv_loop_init(&loop_);
        for (std::size_t i = 0; i < timers; ++i) {
            timers_[i].index = i;
            uv_timer_init(&loop_, &timers_[i].handle);
        }
    }
    UvBench(const UvBench&) = delete;
    UvBench& operator=(const UvBench&) = delete;
    ~UvBench() {
        for (UvTimer& timer : timers_) {
            uv_close(reinterpret_cast<uv_handle_t*>(&timer.handle), nullptr);
        }
        uv_run(&loop_, UV_RUN_DEFAULT);
        uv_loop_close(&loop_);
    }

    void run(const Workload& w, Result& result) {
        std::size_t fired = 0;
        Clock::time_point start = Clock::now();
        uv_update_time(&loop_);
        for (std::size_t i = 0; i < w.timers; ++i) {
            timers_[i].fired = &fired;
            uv_timer_start(&timers_[i].handle, uv_count, whole_ms(w.fire_delays[i]), 0);
        }
        uv_run(&loop_, UV_RUN_DEFAULT);  // returns when no timer is active
        result.add_fire_ns = ns_per(Clock::now() - start, w.timers);
        if (fired != w.timers) {
            throw std::runtime_error("libuv: only " + std::to_string(fired) + " timers fired");
        }

        start = Clock::now();
        for (std::size_t i = 0; i < w.timers; ++i) {
            uv_timer_start(&timers_[i].handle, uv_count, whole_ms(w.cancel_delays[i]), 0);
        }
        for (std::size_t i : w.cancel_order) {
            uv_timer_stop(&timers_[i].handle);
        }
        result.add_cancel_ns = ns_per(Clock::now() - start, w.timers);

        Lateness lateness(w.timers);
        uv_update_time(&loop_);
        // libuv's loop time is in whole ms from its own (possibly coarse)
        // clock: each deadline is what libuv was asked for, from now.
        start = Clock::now();
        for (std::size_t i = 0; i < w.timers; ++i) {
            std::uint64_t ms = whole_ms(offset(w, i));
            lateness.deadlines[i] = start + milliseconds(ms);
            timers_[i].lateness = &lateness;
            uv_timer_start(&timers_[i].handle, uv_late, ms, 0);
        }
        uv_run(&loop_, UV_RUN_DEFAULT);
        lateness.summarize(result);
    }

private:
    uv_loop_t loop_{};
    std::vector<UvTimer> timers_;
};

// --- the heaps alone -----------------------------------------------------------

// Push every key, then pop them all, earliest first; ns per key. The
// keys' deadlines are the add+fire delays, so ties are common.
template <typename Heap>
double push_pop_ns(const Workload& w, Heap& heap) {
    const Clock::time_point base{};
    Clock::time_point start = Clock::now();
    std::uint64_t sequence = 0;
    for (microseconds delay : w.fire_delays) {
        heap.push(kit::TimerKey{.deadline = base + delay, .sequence = sequence++});
    }
    kit::TimerKey previous;
    while (!heap.empty()) {
        const kit::TimerKey key = heap.top();
        heap.pop();
        if (key < previous) {
            throw std::runtime_error("a heap popped its keys out of order");
        }
        previous = key;
    }
    return ns_per(Clock::now() - start, w.timers);
}

// Both heaps live as long as the loops above, so their arrays have grown
// in round 0 too.
class HeapBench {
public:
    void run(const Workload& w, Result& result) {
        result.binary_heap_ns = push_pop_ns(w, binary_);
        result.quad_heap_ns = push_pop_ns(w, quad_);
    }

private:
    struct Later {
        bool operator()(const kit::TimerKey& a, const kit::TimerKey& b) const { return b < a; }
    };
    std::priority_queue<kit::TimerKey, std::vector<kit::TimerKey>, Later> binary_;
    kit::QuadHeap quad_;
};

// --- the run -------------------------------------------------------------------

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

// The median of one figure over the counted rounds.
double median(const std::vector<Result>& rounds, double Result::*figure) {
    std::vector<double> values(rounds.size());
    std::transform(rounds.begin(), rounds.end(), values.begin(),
                   [figure](const Result& r) { return r.*figure; });
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

int usage() {
    std::fprintf(stderr, "usage: bench-timers [--timers N] [--spread-ms MS] [--rounds R]\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t timers = 1'000'000;
    long spread_ms = 1000;
    long rounds = 5;
    for (int i = 1; i < argc; ++i) {
        if (i + 1 < argc && std::strcmp(argv[i], "--timers") == 0) {
            timers = std::strtoul(argv[++i], nullptr, 10);
        } else if (i + 1 < argc && std::strcmp(argv[i], "--spread-ms") == 0) {
            spread_ms = std::strtol(argv[++i], nullptr, 10);
        } else if (i + 1 < argc && std::strcmp(argv[i], "--rounds") == 0) {
            rounds = std::strtol(argv[++i], nullptr, 10);
        } else {
            return usage();
        }
    }
    if (timers == 0 || spread_ms <= 0 || rounds <= 0 || rounds > 100) {
        return usage();
    }
    const Workload w = make_workload(timers, milliseconds(spread_ms));
    std::vector<Result> kit;
    std::vector<Result> ev;
    std::vector<Result> uv;
    try {
        KitBench kit_bench(timers);
        EvBench ev_bench(timers);
        UvBench uv_bench(timers);
        HeapBench heap_bench;
        for (long round = 0; round <= rounds; ++round) {
            Result k;
            Result e;
            Result u;
            kit_bench.run(w, k);
            ev_bench.run(w, e);
            uv_bench.run(w, u);
            heap_bench.run(w, k);  // the heaps' figures go with the kit's
            if (round > 0) {       // round 0 only warms the loops up
                kit.push_back(k);
                ev.push_back(e);
                uv.push_back(u);
            }
        }
    } catch (const std::exception& error) {
        std::fprintf(stderr, "bench-timers: %s\n", error.what());
        return 1;
    }

#ifdef NDEBUG
    const char* build = "optimized";
#else
    const char* build = "DEBUG build: numbers mean little, use a Release build";
#endif
    std::printf("bench-timers: %zu timers, median of %ld round%s (%s); libev %d.%d, libuv %s\n\n",
                timers, rounds, rounds == 1 ? "" : "s", build, ev_version_major(),
                ev_version_minor(), uv_version_string());
    std::printf("%-40s %10s %10s %10s %10s %10s\n", "", "kit", "libev", "libuv", "kit/libev",
                "kit/libuv");
    auto row = [&](const char* name, double Result::*figure) {
        double k = median(kit, figure);
        double e = median(ev, figure);
        double u = median(uv, figure);
        std::printf("%-40s %10.1f %10.1f %10.1f %10.2f %10.2f\n", name, k, e, u, k / e, k / u);
    };
    row("add+fire, ns per timer", &Result::add_fire_ns);
    row("add+cancel, ns per timer", &Result::add_cancel_ns);
    std::printf("lateness, %ld ms spread:\n", spread_ms);
    row("  median, us", &Result::late_median_us);
    row("  99.9th percentile, us", &Result::late_p999_us);
    row("  latest, us", &Result::late_max_us);
    std::printf("\n%-40s %10s %10s %10s\n", "the heaps alone, push + pop", "binary", "4-ary",
                "4-ary/bin");
    double binary = median(kit, &Result::binary_heap_ns);
    double quad = median(kit, &Result::quad_heap_ns);
    std::printf("%-40s %10.1f %10.1f %10.2f\n", "  ns per key", binary, quad, quad / binary);
    auto bar = [&](double Result::*figure) {
        return median(kit, figure) <= median(ev, figure) ? "met" : "NOT met";
    };
    std::printf("\nbar (kit at or below libev): add+fire %s, add+cancel %s\n",
                bar(&Result::add_fire_ns), bar(&Result::add_cancel_ns));
    return 0;
}
