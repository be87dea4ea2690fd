// HTTP/1.0 request building and response checking; see http.hpp.
#include "kit/http.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace kit {

namespace {

// A header longer than this is not a response the kit's servers would send.
constexpr std::size_t kMaxHeadBytes = std::size_t{64} * 1024;
constexpr std::string_view kHeadEnd = "\r\n\r\n";

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) ==
                      std::tolower(static_cast<unsigned char>(b));
           });
}

// "HTTP/1.0 200 OK" or "HTTP/1.1 404" -> 200 / 404; anything else -> nullopt.
std::optional<int> parse_status_line(std::string_view line) {
    if (line.size() < 12 || !(line.starts_with("HTTP/1.0 ") || line.starts_with("HTTP/1.1 "))) {
        return std::nullopt;
    }
    std::string_view code = line.substr(9, 3);
    int status = 0;
    auto [end, ec] = std::from_chars(code.data(), code.data() + code.size(), status);
    // Three digits from 100 to 599 (RFC 9110 15); a reason phrase may follow a space.
    if (ec != std::errc{} || end != code.data() + 3 || status < 100 || status > 599 ||
        (line.size() > 12 && line[12] != ' ')) {
        return std::nullopt;
    }
    return status;
}

// A field value without the optional whitespace around it: spaces and
// tabs (RFC 9110 5.6.3).
std::string_view trim_whitespace(std::string_view value) {
    constexpr std::string_view whitespace = " \t";
    std::size_t first = value.find_first_not_of(whitespace);
    if (first == std::string_view::npos) {
        return {};
    }
    return value.substr(first, value.find_last_not_of(whitespace) - first + 1);
}

// A Content-Length value: digits and nothing else (RFC 9110 8.6), so
// "3junk" and the list "5, 9" are no length at all; nullopt for those.
std::optional<std::size_t> parse_content_length(std::string_view value) {
    std::size_t length = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
    if (value.empty() || ec != std::errc{} || end != value.data() + value.size()) {
        return std::nullopt;
    }
    return length;
}

// 1xx answers other than 101 are interim: the final response follows them
// on the same connection (RFC 9110 15.2). 101 switches protocols, which a
// plain GET never asks for, so parse_head() rejects it.
bool is_interim(int status) {
    return status >= 100 && status < 200;
}

}  // namespace

std::string http_get_request(const Url& url) {
    // Host names the port too unless it is the default (RFC 9110 7.2): a
    // server with several sites on several ports tells them apart by it.
    std::string host = url.port == 80 ? url.host : url.host + ":" + std::to_string(url.port);
    return "GET " + url.path + " HTTP/1.0\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
}

std::optional<Reason> ResponseParser::feed(std::string_view bytes) {
    if (failure_) {
        return failure_;
    }
    received_ += bytes.size();
    if (received_ > kMaxResponseBytes) {
        return failure_ = Reason::too_large;
    }
    if (head_complete_) {
        body_bytes_ += bytes.size();
        body_.append(bytes);
        return std::nullopt;
    }
    head_.append(bytes);
    for (;;) {
        std::size_t end = head_.find(kHeadEnd);
        if (end == std::string::npos) {
            if (head_.size() > kMaxHeadBytes) {
                return failure_ = Reason::bad_response;
            }
            return std::nullopt;
        }
        std::string after = head_.substr(end + kHeadEnd.size());
        head_.resize(end + 2);  // keep the last header line's CRLF
        if (std::optional<Reason> failure = parse_head()) {
            return failure_ = failure;
        }
        if (!is_interim(status_)) {
            head_complete_ = true;
            body_bytes_ = after.size();
            body_ = std::move(after);
            return std::nullopt;
        }
        head_ = std::move(after);  // an interim answer: the real head follows
    }
}

// Reads the status code and Content-Length from the complete header.
std::optional<Reason> ResponseParser::parse_head() {
    std::string_view head = head_;
    std::size_t line_end = head.find("\r\n");
    std::optional<int> status = parse_status_line(head.substr(0, line_end));
    if (!status) {
        return Reason::bad_response;
    }
    status_ = *status;
    if (status_ == 101) {
        return Reason::bad_response;  // a switch of protocols nobody asked for
    }
    content_length_.reset();
    for (std::size_t at = line_end + 2; at < head.size();) {
        std::size_t next = head.find("\r\n", at);
        std::string_view line = head.substr(at, next - at);
        constexpr std::string_view name = "content-length:";
        if (starts_with_nocase(line, name)) {
            std::optional<std::size_t> length =
                parse_content_length(trim_whitespace(line.substr(name.size())));
            // Two lengths that differ: which body is the real one? (RFC 9112 6.3)
            if (!length || (content_length_ && *content_length_ != *length)) {
                return Reason::bad_response;
            }
            content_length_ = length;
        }
        at = next + 2;
    }
    return std::nullopt;
}

Outcome ResponseParser::at_eof() const {
    if (failure_) {
        return Outcome::failure(*failure_);
    }
    // EOF before the header ended, or before Content-Length bytes of body:
    // the server closed early, so what we hold is not a whole response.
    if (!head_complete_ || (content_length_ && body_bytes_ != *content_length_)) {
        return Outcome::failure(Reason::bad_response);
    }
    return Outcome::success(status_, body_bytes_);
}

}  // namespace kit
