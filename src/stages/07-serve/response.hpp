// Response: what an application answers, and its bytes on the wire.
//
// An application fills in a status, a content type and a body; the server
// adds the framing (Content-Length, Connection) when it writes the answer,
// so no application can get the framing wrong. A HEAD request gets the
// head that GET would have got, without the body (RFC 9110 §9.3.2).
// Lesson: lessons/07-serve.md, "Answers in request order".
//
// Interface rules: plain values, callable from any thread (a synchronous
// application builds its Response on a pool worker).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kit {

/// One answer to one request.
struct Response {
    int status = 200;                                         ///< 200, 404, 503, ...
    std::string content_type = "text/plain";                  ///< The Content-Type field.
    std::vector<std::pair<std::string, std::string>> fields;  ///< More field lines (e.g. Allow).
    std::string body;                                         ///< The content, sent whole.
};

/// A text/plain response with @p status and @p body (a line, usually).
Response text_response(int status, std::string body);

/// The reason phrase of @p status ("Not Found"), or "Unknown".
std::string_view reason_phrase(int status);

/// The bytes of @p response on the wire: status line, fields, Content-Length,
/// `Connection: close` unless @p keep_alive, the blank line, and the body
/// unless @p head_only. A 204 gets neither type nor length nor body.
/// HTTP/1.1 always: a 1.0 client reads it (RFC 9110 §2.5).
std::string serialize(const Response& response, bool keep_alive, bool head_only);

}  // namespace kit
