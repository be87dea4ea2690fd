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
    if (ec != std::errc{} || end != code.data() + 3 || status < 100 ||
        (line.size() > 12 && line[12] != ' ')) {
        return std::nullopt;
    }
    return status;
}

}  // namespace

std::string http_get_request(const Url& url) {
    return "GET " + url.path + " HTTP/1.0\r\nHost: " + url.host + "\r\nConnection: close\r\n\r\n";
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
    std::size_t end = head_.find(kHeadEnd);
    if (end == std::string::npos) {
        if (head_.size() > kMaxHeadBytes) {
            return failure_ = Reason::bad_response;
        }
        return std::nullopt;
    }
    body_bytes_ = head_.size() - (end + kHeadEnd.size());
    body_.assign(head_, end + kHeadEnd.size());
    head_.resize(end + 2);  // keep the last header line's CRLF
    head_complete_ = true;
    return failure_ = parse_head();
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
    for (std::size_t at = line_end + 2; at < head.size();) {
        std::size_t next = head.find("\r\n", at);
        std::string_view line = head.substr(at, next - at);
        constexpr std::string_view name = "content-length:";
        if (starts_with_nocase(line, name)) {
            std::string_view value = line.substr(name.size());
            value.remove_prefix(std::min(value.find_first_not_of(' '), value.size()));
            std::size_t length = 0;
            auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
            if (ec != std::errc{} || value.empty()) {
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
