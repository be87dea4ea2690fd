// The chat's state and applications; see chat_room.hpp.
// Lesson: lessons/08-async.md, "The chat, step by step".
#include "chat_room.hpp"

#include "responder.hpp"

#include "kit/http_syntax.hpp"
#include "kit_embedded/chat_page.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <string_view>
#include <utility>

namespace kit {

namespace {

using nlohmann::json;

// The longest index /chat/get/ takes: nine digits, so it fits any size_t.
constexpr std::size_t kMaxIndexDigits = 9;

// Every answer of the chat: never cached, since /chat/get/3 is a question
// about now (and a 204 today is a message tomorrow).
Response json_response(int status, const json& body) {
    // error_handler_t::replace: a byte that is not UTF-8 cannot get in
    // (the parser refuses it), but dump() must never throw in the loop.
    return {.status = status,
            .content_type = "application/json",
            .fields = {{"Cache-Control", "no-store"}},
            .body = body.dump(-1, ' ', false, json::error_handler_t::replace)};
}

Response error_response(int status, const std::string& what) {
    return json_response(status, json{{"error", what}});
}

Response message_response(std::size_t id, const std::string& text) {
    return json_response(200, json{{"id", id}, {"message", text}});
}

// The message a POST /chat/post body carries, or why there is none.
struct Parsed {
    std::string message;
    std::string error;  // empty when message is good
};

Parsed read_message(std::string_view body) {
    // No exceptions: a malformed body is an ordinary event, not an error of
    // the server. parse() with allow_exceptions = false gives a discarded
    // value instead; it also refuses bytes that are not UTF-8 and lone
    // surrogates (\ud800), which are not text.
    const json value = json::parse(body, nullptr, false);
    if (value.is_discarded()) {
        return {.error = "malformed JSON (or not UTF-8)"};
    }
    if (!value.is_object()) {
        return {.error = "the body is not a JSON object"};
    }
    auto message = value.find("message");
    if (message == value.end()) {
        return {.error = "'message' is missing"};
    }
    if (!message->is_string()) {
        return {.error = "'message' is not a string"};
    }
    std::string text = message->get<std::string>();
    if (text.empty()) {
        return {.error = "'message' is empty"};
    }
    if (text.size() > ChatRoom::kMaxMessageBytes) {
        return {.error = "'message' is longer than " + std::to_string(ChatRoom::kMaxMessageBytes) +
                         " bytes"};
    }
    return {.message = std::move(text)};
}

// "application/json; charset=utf-8" -> true. Requiring JSON keeps a
// cross-site form from posting: a browser sends application/json to
// another site only after asking it first (a CORS preflight).
bool is_json(const Request& request) {
    std::string_view type = request.field("Content-Type").value_or("");
    type = type.substr(0, type.find(';'));
    while (!type.empty() && type.back() == ' ') {
        type.remove_suffix(1);
    }
    return equals_nocase(type, "application/json");
}

}  // namespace

ChatRoom::ChatRoom(Service& service, Clock::duration poll_timeout)
    : timers_(service.timers()), waiters_(service.timers(), poll_timeout) {
    // Shutting down: the parked clients need not wait out the grace period.
    service.on_shutdown([this] {
        waiters_.answer_all({.status = 204, .fields = {{"Cache-Control", "no-store"}}});
    });
}

std::size_t ChatRoom::add(std::string message) {
    const std::size_t id = messages_.size();
    // Appended first: a waiter answered below may ask for the next message
    // at once (a pipelined request), and must find itself parked on id + 1.
    messages_.push_back(std::move(message));
    waiters_.answer_all(message_response(id, messages_.back()));
    return id;
}

void ChatRoom::post(const Request& request, const Responder& responder) {
    if (!is_json(request)) {
        responder.respond(error_response(415, "Content-Type must be application/json"));
        return;
    }
    if (request.body.size() > kMaxBodyBytes) {
        responder.respond(error_response(
            413, "the body is larger than " + std::to_string(kMaxBodyBytes) + " bytes"));
        return;
    }
    Parsed parsed = read_message(request.body);
    if (!parsed.error.empty()) {
        responder.respond(error_response(400, parsed.error));
        return;
    }
    const std::size_t id = add(std::move(parsed.message));
    responder.respond(json_response(200, json{{"id", id}}));
}

void ChatRoom::get(const Request& request, const Responder& responder) {
    std::string_view digits = target_path(request.target);
    digits.remove_prefix(std::string_view("/chat/get/").size());
    std::size_t id = 0;
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
    // from_chars takes no sign and no spaces: "-1", "+1", " 1" are refused.
    if (digits.empty() || digits.size() > kMaxIndexDigits || error != std::errc{} ||
        end != digits.data() + digits.size()) {
        // Appended, not a chain of operator+: gcc 12's -O3 warns falsely
        // (-Wrestrict) on the chain, as in src/kit/url.cpp.
        std::string what = "'";
        what.append(digits);
        what += "' is not a message index (0 to 999999999)";
        responder.respond(error_response(400, what));
        return;
    }
    if (id < messages_.size()) {
        responder.respond(message_response(id, messages_[id]));
    } else if (id == messages_.size()) {
        waiters_.park(responder);  // answered by add(), or 204 on the timeout
    } else {
        responder.respond(error_response(404, "no message " + std::to_string(id) +
                                                  " yet; next is " +
                                                  std::to_string(messages_.size())));
    }
}

void ChatRoom::stats(const Request& /*request*/, const Responder& responder) const {
    // "timers": every timer armed on the loop, the service's own included:
    // a test sees it come back down once parked clients are answered.
    responder.respond(json_response(200, json{{"messages", messages_.size()},
                                              {"parked", waiters_.size()},
                                              {"timers", timers_.size()}}));
}

void mount_chat(Mounts& mounts, const std::shared_ptr<ChatRoom>& room) {
    const std::vector<std::string> get{"GET"};
    mounts.mount("/chat/post", {"POST"},
                 [room](const Request& request, const Responder& responder) {
                     room->post(request, responder);
                 });
    mounts.mount("/chat/get", get, [room](const Request& request, const Responder& responder) {
        room->get(request, responder);
    });
    mounts.mount("/chat/stats", get, [room](const Request& request, const Responder& responder) {
        room->stats(request, responder);
    });
    // The page, compiled in (kit_embed_file() in CMakeLists.txt): the
    // program serves exactly the file in the repository.
    mounts.mount("/chat", {"GET", "HEAD"}, [](const Request& request, const Responder& responder) {
        const std::string_view path = target_path(request.target);
        if (path != "/chat/" && path != "/chat") {
            responder.respond(error_response(404, "no such page: " + std::string(path)));
            return;
        }
        responder.respond({.content_type = "text/html; charset=utf-8",
                           .fields = {{"Cache-Control", "no-store"}},
                           .body = std::string(embedded::chat_page)});
    });
}

}  // namespace kit
