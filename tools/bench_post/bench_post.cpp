// bench-post: post() into a running loop, the kit against libuv, libev and
// Boost.Asio, in one run.
//
//     cmake --preset release
//     cmake --build --preset release --target bench-post
//     build/release/tools/bench_post/bench-post [--posts N] [--wakes W] [--rounds R]
//                                                [--only kit|libuv|libev|asio]
//
// Two measurements, each library on epoll (the kit's "epoll" backend):
// - throughput: one producer thread posts N tiny handlers (each captures
//   one pointer and adds one to a counter: see Tally) into a loop running
//   on the main thread; wall time from the first post to the last
//   handler, per handler. libuv and libev have no queue of their own:
//   each gets the usual one, a mutex-guarded vector of std::function
//   swapped out by the uv_async_t / ev_async callback (the kit's queue
//   has the same shape), and the library's coalescing send
//   (uv_async_send, ev_async_send). Asio's io_context has its own queue:
//   asio::post.
// - wake-up latency: the loop is asleep; the producer reads the clock,
//   posts one handler that reads it again, waits until it has run, sleeps
//   200 us so the loop falls asleep again, W times; median and 99th
//   percentile.
// Round 0 warms up and is not counted; then the libraries take turns,
// round after round, and each figure is the median over rounds. --only
// runs one library alone (for a profiler: perf record). Only a smoke run
// is a test. Lesson: lessons/06-pool.md, "What it costs".
#include "backends.hpp"
#include "loop.hpp"
#include "post_queue.hpp"
#include "stage3_backends.hpp"

#include <ev.h>
#include <uv.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct Options {
    long posts = 1'000'000;
    int wakes = 10'000;
    int rounds = 5;
    std::string only;  // one library's name, to profile it alone; empty: all
};

// One library's two runs: N posts (returns seconds), W wake-ups (returns
// each latency in microseconds).
struct Library {
    const char* name;
    std::function<double(long)> throughput;
    std::function<std::vector<double>(int)> latency;
};

// What every throughput handler does: count itself, and let the last one
// end the run. A handler captures only a pointer to the Tally: 8 bytes,
// which std::function keeps inline (libstdc++ stores a trivially copyable
// callable of up to 16 bytes without allocating). A capture of three
// references (24 bytes) would cost every side but Asio a malloc in the
// producer and a free in the loop thread per post, and that cross-thread
// malloc was most of what this benchmark measured.
struct Tally {
    long posts;
    std::function<void()> last;  // ends the run
    long count = 0;

    void count_one() {
        if (++count == posts) {
            last();
        }
    }
};

// The producer side of a latency run, the same for every library: post
// one handler with @p post, wait for it, let the loop fall asleep again.
std::vector<double> measure_wakes(int wakes,
                                  const std::function<void(std::function<void()>)>& post) {
    std::vector<double> micros;
    micros.reserve(static_cast<std::size_t>(wakes));
    std::atomic<bool> ran{false};
    Clock::time_point handled;
    for (int i = 0; i < wakes; ++i) {
        std::this_thread::sleep_for(200us);
        ran = false;
        const Clock::time_point sent = Clock::now();
        post([&] {
            handled = Clock::now();
            ran.store(true, std::memory_order_release);
        });
        while (!ran.load(std::memory_order_acquire)) {
            std::this_thread::yield();
        }
        micros.push_back(std::chrono::duration<double, std::micro>(handled - sent).count());
    }
    return micros;
}

// ---- the kit: PostQueue on a Loop over epoll --------------------------------

std::unique_ptr<kit::Loop> kit_loop() {
    std::string error;
    auto backend = kit::make_backend("epoll", kit::stage3_backends(), error);
    if (!backend) {  // the build compiles this benchmark only where epoll is
        std::fprintf(stderr, "bench-post: %s\n", error.c_str());
        std::abort();
    }
    return std::make_unique<kit::Loop>(std::move(backend));
}

// How many times post() wrote the wake-up fd in the last throughput run
// (the lesson's point: posts coalesce, so far fewer writes than posts).
std::uint64_t kit_wakeups = 0;

double kit_throughput(long posts) {
    auto loop = kit_loop();
    kit::PostQueue queue(*loop);
    Tally tally{posts, [&] { queue.release(); }};
    queue.hold();
    const Clock::time_point start = Clock::now();
    std::thread producer([&] {
        for (long i = 0; i < posts; ++i) {
            queue.post([&tally] { tally.count_one(); });
        }
    });
    (void)loop->run();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    producer.join();
    kit_wakeups = queue.wakeups();
    return seconds;
}

std::vector<double> kit_latency(int wakes) {
    auto loop = kit_loop();
    kit::PostQueue queue(*loop);
    queue.hold();
    std::vector<double> micros;
    std::thread producer([&] {
        micros = measure_wakes(wakes, [&](std::function<void()> f) { queue.post(std::move(f)); });
        queue.post([&] { queue.release(); });
    });
    (void)loop->run();
    producer.join();
    return micros;
}

// ---- libuv and libev: a locked vector beside the library's async ----------

// The queue that libuv and libev leave to their users.
struct LockedQueue {
    std::mutex mutex;
    std::vector<std::function<void()>> queued;
    std::vector<std::function<void()>> running;

    void push(std::function<void()> f) {
        std::lock_guard lock(mutex);
        queued.push_back(std::move(f));
    }
    void run_all() {
        {
            std::lock_guard lock(mutex);
            running.swap(queued);
        }
        for (auto& f : running) {
            f();
        }
        running.clear();
    }
};

struct UvBench {
    uv_loop_t loop{};
    uv_async_t async{};
    LockedQueue queue;

    UvBench() {
        uv_loop_init(&loop);
        async.data = this;
        uv_async_init(&loop, &async,
                      [](uv_async_t* a) { static_cast<UvBench*>(a->data)->queue.run_all(); });
    }
    ~UvBench() { uv_loop_close(&loop); }
    void post(std::function<void()> f) {
        queue.push(std::move(f));
        uv_async_send(&async);
    }
    void close() { uv_close(reinterpret_cast<uv_handle_t*>(&async), nullptr); }
};

double uv_throughput(long posts) {
    UvBench b;
    Tally tally{posts, [&] { b.close(); }};
    const Clock::time_point start = Clock::now();
    std::thread producer([&] {
        for (long i = 0; i < posts; ++i) {
            b.post([&tally] { tally.count_one(); });
        }
    });
    uv_run(&b.loop, UV_RUN_DEFAULT);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    producer.join();
    return seconds;
}

std::vector<double> uv_latency(int wakes) {
    UvBench b;
    std::vector<double> micros;
    std::thread producer([&] {
        micros = measure_wakes(wakes, [&](std::function<void()> f) { b.post(std::move(f)); });
        b.post([&] { b.close(); });
    });
    uv_run(&b.loop, UV_RUN_DEFAULT);
    producer.join();
    return micros;
}

struct EvBench {
    struct ev_loop* loop = ev_loop_new(EVBACKEND_EPOLL);
    ev_async async{};
    LockedQueue queue;

    EvBench() {
        ev_async_init(&async, [](struct ev_loop*, ev_async* a, int) {
            static_cast<EvBench*>(a->data)->queue.run_all();
        });
        async.data = this;
        ev_async_start(loop, &async);
    }
    ~EvBench() { ev_loop_destroy(loop); }
    void post(std::function<void()> f) {
        queue.push(std::move(f));
        ev_async_send(loop, &async);
    }
    void close() { ev_async_stop(loop, &async); }
};

double ev_throughput(long posts) {
    EvBench b;
    Tally tally{posts, [&] { b.close(); }};
    const Clock::time_point start = Clock::now();
    std::thread producer([&] {
        for (long i = 0; i < posts; ++i) {
            b.post([&tally] { tally.count_one(); });
        }
    });
    ev_run(b.loop, 0);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    producer.join();
    return seconds;
}

std::vector<double> ev_latency(int wakes) {
    EvBench b;
    std::vector<double> micros;
    std::thread producer([&] {
        micros = measure_wakes(wakes, [&](std::function<void()> f) { b.post(std::move(f)); });
        b.post([&] { b.close(); });
    });
    ev_run(b.loop, 0);
    producer.join();
    return micros;
}

// ---- Boost.Asio: io_context's own queue ------------------------------------

double asio_throughput(long posts) {
    boost::asio::io_context context(1);
    auto guard = boost::asio::make_work_guard(context);
    Tally tally{posts, [&] { guard.reset(); }};
    const Clock::time_point start = Clock::now();
    std::thread producer([&] {
        for (long i = 0; i < posts; ++i) {
            boost::asio::post(context, [&tally] { tally.count_one(); });
        }
    });
    context.run();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    producer.join();
    return seconds;
}

std::vector<double> asio_latency(int wakes) {
    boost::asio::io_context context(1);
    auto guard = boost::asio::make_work_guard(context);
    std::vector<double> micros;
    std::thread producer([&] {
        micros = measure_wakes(
            wakes, [&](std::function<void()> f) { boost::asio::post(context, std::move(f)); });
        boost::asio::post(context, [&] { guard.reset(); });
    });
    context.run();
    producer.join();
    return micros;
}

// ---- the table ---------------------------------------------------------------

double percentile(std::vector<double> values, double p) {
    std::sort(values.begin(), values.end());
    const auto at = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1));
    return values[at];
}

double median(std::vector<double> values) {
    return percentile(std::move(values), 0.5);
}

std::nullopt_t usage() {
    std::fprintf(stderr,
                 "usage: bench-post [--posts N] [--wakes W] [--rounds R] "
                 "[--only kit|libuv|libev|asio]\n");
    return std::nullopt;
}

// The options, or nothing after a message on stderr.
std::optional<Options> parse(int argc, char** argv) {
    Options options;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string arg = argv[i];
        if (arg == "--only") {
            options.only = argv[i + 1];
            continue;
        }
        const long value = std::atol(argv[i + 1]);
        if (value <= 0) {
            std::fprintf(stderr, "bench-post: %s needs a positive number\n", arg.c_str());
            return std::nullopt;
        }
        if (arg == "--posts") {
            options.posts = value;
        } else if (arg == "--wakes") {
            options.wakes = static_cast<int>(value);
        } else if (arg == "--rounds") {
            options.rounds = static_cast<int>(value);
        } else {
            return usage();
        }
    }
    if (argc % 2 == 0) {
        return usage();
    }
    return options;
}

}  // namespace

int main(int argc, char** argv) {
    const std::optional<Options> parsed = parse(argc, argv);
    if (!parsed) {
        return 2;
    }
    const Options& options = *parsed;
    const std::vector<Library> libraries = {
        {"kit", kit_throughput, kit_latency},
        {"libuv", uv_throughput, uv_latency},
        {"libev", ev_throughput, ev_latency},
        {"asio", asio_throughput, asio_latency},
    };
    if (!options.only.empty() &&
        std::none_of(libraries.begin(), libraries.end(),
                     [&](const Library& library) { return options.only == library.name; })) {
        std::fprintf(stderr, "bench-post: --only %s: no such library (kit, libuv, libev, asio)\n",
                     options.only.c_str());
        return 2;
    }
    std::vector<std::vector<double>> ns_per_post(libraries.size());
    std::vector<std::vector<double>> wake_median(libraries.size());
    std::vector<std::vector<double>> wake_p99(libraries.size());
    for (int round = 0; round <= options.rounds; ++round) {
        for (std::size_t i = 0; i < libraries.size(); ++i) {
            if (!options.only.empty() && options.only != libraries[i].name) {
                continue;
            }
            const double seconds = libraries[i].throughput(options.posts);
            const std::vector<double> micros = libraries[i].latency(options.wakes);
            if (round == 0) {
                continue;  // warm-up
            }
            ns_per_post[i].push_back(seconds * 1e9 / static_cast<double>(options.posts));
            wake_median[i].push_back(median(micros));
            wake_p99[i].push_back(percentile(micros, 0.99));
        }
    }
    std::printf("post() from one thread into a running loop (epoll), medians of %d rounds\n",
                options.rounds);
    std::printf("%-8s %14s %18s %16s\n", "library", "ns per post", "wake median us",
                "wake 99th us");
    for (std::size_t i = 0; i < libraries.size(); ++i) {
        if (ns_per_post[i].empty()) {
            continue;
        }
        std::printf("%-8s %14.0f %18.1f %16.1f\n", libraries[i].name, median(ns_per_post[i]),
                    median(wake_median[i]), median(wake_p99[i]));
    }
    if (!ns_per_post[0].empty()) {
        std::printf("kit: %llu wake-up writes for the last %ld posts\n",
                    static_cast<unsigned long long>(kit_wakeups), options.posts);
    }
    return 0;
}
