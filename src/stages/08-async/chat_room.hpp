// ChatRoom: the long-polling chat CppCMS ships, on the kit's service.
//
// The messages and the waiters (waiters.hpp) live in the loop thread, and
// every application of the chat is asynchronous: it runs in the loop,
// quick, and answers at once or parks. No lock anywhere: nothing but the
// loop thread touches the room. A pool worker that has something to say
// (slowbot.hpp) posts it into the loop, where add() runs.
//
//   POST /chat/post    {"message": "..."} -> {"id": N}; every waiter answered
//   GET  /chat/get/N   message N at once, or parked until it exists (204 on
//                      the poll timeout), 404 beyond it, 400 for a bad N
//   GET  /chat/stats   {"messages": COUNT, "parked": P, "timers": T}
//   GET  /chat/        the page (chat.html, compiled in)
//
// The contract, word for word, is src/stages/08-async/CHAT_API.md; JSON
// goes in and out through nlohmann::json, never a hand-written parser.
// Lesson: lessons/08-async.md, "The chat, step by step".
//
// Interface rules: loop thread only. The Service's TimerQueue outlives it.
#pragma once

#include "mount.hpp"
#include "service.hpp"
#include "waiters.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace kit {

/// The chat's state and its applications (see the file comment).
class ChatRoom {
public:
    /// The longest message, in bytes of UTF-8.
    static constexpr std::size_t kMaxMessageBytes = 1000;
    /// The largest POST body: room for any good message, escaped (6 bytes
    /// per character written as \\uXXXX), and no more; a larger one is 413.
    static constexpr std::size_t kMaxBodyBytes = std::size_t{8} * 1024;

    /// A room whose parked clients are released after @p poll_timeout, with
    /// their timers on @p service's TimerQueue; when @p service shuts down,
    /// they are released at once.
    ChatRoom(Service& service, Clock::duration poll_timeout);

    /// Appends @p message and answers every parked client with it, in this
    /// call. @return the message's id (0, 1, ...).
    std::size_t add(std::string message);

    /// How many messages there are.
    [[nodiscard]] std::size_t size() const { return messages_.size(); }

    /// POST /chat/post.
    void post(const Request& request, const Responder& responder);
    /// GET /chat/get/N.
    void get(const Request& request, const Responder& responder);
    /// GET /chat/stats.
    void stats(const Request& request, const Responder& responder) const;

private:
    TimerQueue& timers_;
    std::vector<std::string> messages_;
    Waiters waiters_;  // all parked on message number messages_.size()
};

/// Mounts @p room's applications, and the page, under /chat/ on @p mounts.
/// The applications share the room: it lives as long as the mounts.
void mount_chat(Mounts& mounts, const std::shared_ptr<ChatRoom>& room);

}  // namespace kit
