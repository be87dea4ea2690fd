// serve (stage 8): stage 7's service with asynchronous applications.
//
// The same program as stage 7's (serve_program.hpp), not a copy: it passes
// a ServeExtension with four more options and mounts, beside stage 7's
// applications, the chat (chat_room.hpp, with its page), the slowbot
// (slowbot.hpp) and the aggregator (aggregate.hpp):
//
//     serve [stage 7's options] [--poll-timeout S] [--slowbot-think S]
//           [--aggregate-timeout S] [--upstream-timeout S]
//
// Lesson: lessons/08-async.md.
#include "aggregate.hpp"
#include "chat_room.hpp"
#include "serve_options.hpp"
#include "serve_program.hpp"
#include "slowbot.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace {

// An option that takes seconds into @p into (serve_options.hpp's rules).
kit::OptionTaker seconds_into(kit::Clock::duration& into) {
    return [&into](const std::string& text) {
        std::optional<kit::Clock::duration> seconds = kit::parse_seconds(text);
        return seconds ? (into = *seconds, true) : false;
    };
}

}  // namespace

int main(int argc, char** argv) {
    kit::Clock::duration poll_timeout = std::chrono::seconds(10);
    kit::Clock::duration slowbot_think = std::chrono::seconds(1);
    kit::AggregateOptions aggregate;
    const kit::ServeExtension extension{
        .description =
            "Stage 8 adds asynchronous applications: the long-polling chat (/chat/, its page;\n"
            "/chat/post, /chat/get/N, /chat/stats), /chat/slowbot (POST; on the pool, then\n"
            "post()s into the chat) and /aggregate?url=U&url=U (fetches on the service's loop).",
        .options = {{"--poll-timeout", seconds_into(poll_timeout)},
                    {"--slowbot-think", seconds_into(slowbot_think)},
                    {"--aggregate-timeout", seconds_into(aggregate.deadline)},
                    {"--upstream-timeout", seconds_into(aggregate.per_upstream)}},
        .usage =
            "       [--poll-timeout S (10)] [--slowbot-think S (1)]\n"
            "       [--aggregate-timeout S (5)] [--upstream-timeout S (2)]\n",
        .mount =
            [&](kit::Service& service) {
                auto room = std::make_shared<kit::ChatRoom>(service, poll_timeout);
                kit::Mounts& mounts = service.mounts();
                // Before the chat's page, which answers everything else under /chat.
                mounts.mount("/chat/slowbot", {"POST"},
                             kit::slowbot_app(service, room,
                                              std::chrono::duration_cast<std::chrono::milliseconds>(
                                                  slowbot_think)),
                             kit::Mode::synchronous);
                kit::mount_chat(mounts, room);
                mounts.mount("/aggregate", {"GET"}, kit::aggregate_app(aggregate));
            },
    };
    return kit::serve_main(argc, argv, extension);
}
