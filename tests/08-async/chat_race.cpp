// chat_race: the slowbot's mistake, made on purpose, for ThreadSanitizer.
//
//     chat_race wrong    a pool worker appends to the chat itself
//     chat_race right    it post()s the append into the loop (slowbot.hpp)
//
// The chat's messages belong to the loop thread. Here the loop thread
// appends one message 20 ms after handing a job to the pool, and the job
// appends one 100 ms in. "wrong" touches the room from the worker: no lock
// and no post orders the two appends, and TSan reports a data race (the
// CTest test stage08.race.wrong passes only when it does). "right" posts
// the append: the post queue's lock orders it after everything the loop
// did before, and TSan is silent (stage08.race.right). Built in the tsan
// preset only. Lesson: lessons/08-async.md, "Synchronous meets asynchronous".
#include "chat_room.hpp"
#include "loop.hpp"
#include "post_queue.hpp"
#include "serve_trace.hpp"
#include "service.hpp"
#include "thread_pool.hpp"
#include "timer_queue.hpp"

#include "kit/unique_fd.hpp"

#include <chrono>
#include <cstdio>
#include <memory>
#include <string_view>
#include <thread>

int main(int argc, char** argv) {
    const std::string_view mode = argc == 2 ? argv[1] : "";
    if (mode != "wrong" && mode != "right") {
        std::fputs("usage: chat_race wrong|right\n", stderr);
        return 2;
    }
    std::string error;
    std::unique_ptr<kit::Backend> backend =
        kit::make_backend("poll", kit::stage2_backends(), error);
    if (!backend) {
        std::fprintf(stderr, "chat_race: %s\n", error.c_str());
        return 1;
    }
    kit::Loop loop(std::move(backend));
    kit::TimerQueue timers;
    loop.add_source(timers);
    kit::PostQueue posts(loop);
    kit::ServeTrace trace(false);
    std::size_t messages = 0;
    {
        kit::ThreadPool pool(posts, 1);
        kit::Service service(loop, timers, posts, pool, trace, {});
        kit::ChatRoom room(service, std::chrono::seconds(10));

        pool.offload(
            [&] {
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
                if (mode == "wrong") {
                    room.add("from the worker");  // the data race
                } else {
                    service.post([&room] { room.add("from the worker, through post()"); });
                }
            },
            [&](const kit::Completion&) {
                // Posted after the worker's own post: the room has both now.
                messages = room.size();
                loop.stop();
            });
        timers.after(std::chrono::milliseconds(20), [&room] { room.add("from the loop"); });
        if (std::error_code run_error = loop.run()) {
            std::fprintf(stderr, "chat_race: %s\n", run_error.message().c_str());
            return 1;
        }
        pool.stop();
    }
    std::printf("%s: %zu messages\n", std::string(mode).c_str(), messages);
    return messages == 2 ? 0 : 1;
}
