// slowbot: a synchronous application that speaks in the chat.
//
// POST /chat/slowbot runs on the thread pool, like any synchronous
// application: it blocks (a second by default, a slow model's or a slow
// database's stand-in), then has something to say in the chat. It must not
// say it itself: the chat's messages and waiters belong to the loop
// thread, and a worker that appended to them would race with the loop
// (ThreadSanitizer reports it: tests/08-async/chat_race.cpp does it on
// purpose). So it post()s a handler into the loop, and the loop thread
// appends the message and answers the waiters: CppCMS's service::post(),
// "especially important when you integrate synchronous and asynchronous
// applications". Then it answers its own client, 202 Accepted.
// Lesson: lessons/08-async.md, "Synchronous meets asynchronous".
//
// Interface rules: the application runs on any pool worker; it touches
// the room only through Service::post().
#pragma once

#include "chat_room.hpp"
#include "mount.hpp"
#include "service.hpp"

#include <chrono>
#include <memory>

namespace kit {

/// POST /chat/slowbot: blocks for @p think, then posts a "slowbot: ..."
/// message into @p room through @p service's post(); answers 202. A room
/// gone meanwhile (the service shut down) hears nothing.
SyncApp slowbot_app(Service& service, std::weak_ptr<ChatRoom> room,
                    std::chrono::milliseconds think);

}  // namespace kit
