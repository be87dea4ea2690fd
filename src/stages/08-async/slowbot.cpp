// The slowbot; see slowbot.hpp. Lesson: lessons/08-async.md,
// "Synchronous meets asynchronous".
#include "slowbot.hpp"

#include "thread_pool.hpp"

#include <string>
#include <thread>
#include <utility>

namespace kit {

SyncApp slowbot_app(Service& service, std::weak_ptr<ChatRoom> room,
                    std::chrono::milliseconds think) {
    return [&service, room = std::move(room), think](const Request& /*request*/) {
        // On a pool worker: blocking is allowed here, and only here.
        std::this_thread::sleep_for(think);
        std::string message = "slowbot: I thought for " + std::to_string(think.count()) +
                              " ms on pool worker " + std::to_string(ThreadPool::worker_number());
        // Into the loop; the handler runs there, after this worker lets go.
        // The 202 below is posted after it (by the pool's completion), so
        // the client reads it once the message is in the chat.
        service.post([room, message = std::move(message)]() mutable {
            if (std::shared_ptr<ChatRoom> alive = room.lock()) {
                alive->add(std::move(message));
            }
        });
        return Response{.status = 202,
                        .content_type = "application/json",
                        .fields = {{"Cache-Control", "no-store"}},
                        .body = R"({"accepted":"slowbot will speak"})"};
    };
}

}  // namespace kit
