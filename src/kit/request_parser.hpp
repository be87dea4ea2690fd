// RequestParser: an incremental HTTP/1.1 request parser for the stage 7 server.
//
// The server's loop reads whatever bytes have arrived and hands them to
// feed(); the parser keeps what it needs and says how much it took. It never
// waits, never reads the socket itself, and never holds more than the limits:
// a request head of at most RequestLimits::max_head_bytes (8 KiB) and a body of
// at most RequestLimits::max_body_bytes, whatever a client sends. Lesson 7
// explains it as a state machine, like stage 1's Connection:
//
//     idle --first byte--> head --blank line--> body --Content-Length bytes--> complete
//                           |                    |                               |
//                           +-- bad input, over a limit --> rejected        take() -> idle
//
// What it accepts (RFC 9112, strictly; every choice below closes a gap
// that request smuggling or header injection uses):
// - Lines end in CRLF. A bare LF is 400 (RFC 9112 §2.2 lets a recipient accept
//   it; picohttpparser and nginx do, llhttp in strict mode does not), and so is a
//   CR anywhere else. Empty lines before the request line are skipped (§2.2).
// - Request line: `method SP target SP HTTP/x.y`, single spaces. The method is
//   a token (which methods a path allows is the server's 405); the target is
//   visible ASCII. HTTP/1.0 and 1.1 are spoken, a later 1.x is read as 1.1
//   (RFC 9110 §6.2), any other major version is 505.
// - Field lines per parse_field_line(); an obsolete folded line is 400 (§5.2
//   allows rejecting it; CppCMS unfolds it instead).
// - Framing: Content-Length only (parse_content_length(): digits, duplicates
//   only if equal), and a body longer than the limit is 413 as soon as the head
//   says so, before any of it arrives. Transfer-Encoding is 501 in HTTP/1.1 (no
//   chunked bodies here) and 400 in HTTP/1.0, where it cannot occur (§6.1).
// - An HTTP/1.1 request without exactly one Host field is 400 (RFC 9112 §3.2).
// - Limits: a head longer than max_head_bytes is 414 while the request line is
//   still arriving, 431 once the fields are.
// - Keep-alive (RFC 9112 §9.3): HTTP/1.1 keeps the connection unless
//   `Connection: close`; HTTP/1.0 closes it unless `Connection: keep-alive`.
//
// Pipelining: feed() stops taking bytes at the end of a complete request.
// What it did not take belongs to the next request: keep it and feed it again
// after take(). A rejected parser takes nothing more; the server answers
// status() and closes the connection, since it cannot know where the next
// request would start.
//
// Interface rules: one parser per connection, used by one thread (the loop's).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kit {

/// The sizes a RequestParser accepts; more is an error status, never more memory.
struct RequestLimits {
    /// Request line, field lines and their CRLFs, and the blank line that ends them.
    std::size_t max_head_bytes = std::size_t{8} * 1024;
    /// The body's Content-Length.
    std::size_t max_body_bytes = std::size_t{1024} * 1024;
};

/// One field line of a request, name and value as received (value trimmed).
struct Field {
    std::string name;   ///< A token, in the client's spelling (compare with equals_nocase()).
    std::string value;  ///< Without surrounding whitespace; may be empty.
    /// Fields are equal when their name and value are byte for byte.
    friend bool operator==(const Field&, const Field&) = default;
};

/// A complete request, as RequestParser::take() hands it over.
struct Request {
    std::string method;         ///< A token, case-sensitive: "GET", "POST", ...
    std::string target;         ///< The request target as sent: "/sum?x=1", "*", ...
    int minor_version = 1;      ///< 0 for HTTP/1.0, 1 for HTTP/1.1 (and later 1.x).
    std::vector<Field> fields;  ///< Every field line, in order, duplicates included.
    std::string body;           ///< Exactly Content-Length bytes (empty without one).
    bool keep_alive = true;  ///< Whether the client lets the connection stay open after the answer.

    /// The value of the first field named @p name (ignoring case), if any.
    [[nodiscard]] std::optional<std::string_view> field(std::string_view name) const;

    /// Requests are equal when every member is.
    friend bool operator==(const Request&, const Request&) = default;
};

/// Reads requests from a connection's byte stream, one after another.
class RequestParser {
public:
    /// Where the parser is in the stream (see the diagram at the top of this file).
    enum class State {
        idle,      ///< Between requests: no byte of the next one yet.
        head,      ///< Reading the request line and field lines.
        body,      ///< Reading Content-Length bytes of body; request() shows the head.
        complete,  ///< A whole request is ready: take() it.
        rejected,  ///< The input is bad or over a limit: answer status() and close.
    };

    /// A parser that enforces @p limits.
    explicit RequestParser(RequestLimits limits = {}) : limits_(limits) {}

    /// Takes bytes from the front of @p bytes, the next ones of the stream.
    /// @return how many it took: all of them while the request is still
    ///         incomplete; fewer once it is complete (the rest starts the next
    ///         request) or rejected; none in those two states.
    std::size_t feed(std::string_view bytes);

    /// The current state.
    [[nodiscard]] State state() const { return state_; }

    /// The request so far: its request line and fields once the head is read
    /// (State::body, e.g. to see `Expect: 100-continue`), all of it when complete.
    [[nodiscard]] const Request& request() const { return request_; }

    /// Hands over the complete request and starts on the next one (State::idle).
    /// Only in State::complete.
    Request take();

    /// The status to answer a rejected request with: 400, 413, 414, 431, 501
    /// or 505; 0 unless State::rejected.
    [[nodiscard]] int status() const { return status_; }

    /// Why the request was rejected, in a few words for a log line; empty unless rejected.
    [[nodiscard]] std::string_view error() const { return error_; }

private:
    std::size_t take_head(std::string_view bytes);
    std::size_t take_body(std::string_view bytes);
    void end_line(std::string_view line);
    void parse_request_line(std::string_view line);
    void end_head();
    void reject(int status, std::string_view error);

    RequestLimits limits_;
    State state_ = State::idle;
    Request request_;
    bool have_request_line_ = false;
    std::size_t head_bytes_ = 0;  // of this request's head so far, <= limits_.max_head_bytes
    std::string line_;            // a line that arrived in pieces, until its LF
    std::size_t body_left_ = 0;   // Content-Length bytes still to come
    int status_ = 0;
    std::string_view error_;  // always a string literal
};

}  // namespace kit
