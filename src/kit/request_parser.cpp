// The incremental HTTP/1.1 request parser; see request_parser.hpp.
#include "kit/request_parser.hpp"

#include "kit/http_syntax.hpp"

#include <algorithm>
#include <cassert>
#include <cstdint>

namespace kit {

namespace {

constexpr std::string_view kCrlf = "\r\n";

// The request target as sent (RFC 9112 §3.2): any visible ASCII character;
// whitespace, controls and bytes from 0x80 on have no place in a URI.
bool is_target_char(char c) {
    return c > ' ' && c < '\x7f';
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

}  // namespace

std::optional<std::string_view> Request::field(std::string_view name) const {
    for (const Field& each : fields) {
        if (equals_nocase(each.name, name)) {
            return each.value;
        }
    }
    return std::nullopt;
}

std::size_t RequestParser::feed(std::string_view bytes) {
    std::size_t taken = 0;
    while (taken < bytes.size() &&
           (state_ == State::idle || state_ == State::head || state_ == State::body)) {
        std::string_view rest = bytes.substr(taken);
        taken += state_ == State::body ? take_body(rest) : take_head(rest);
    }
    return taken;
}

Request RequestParser::take() {
    assert(state_ == State::complete && "take() needs a complete request");
    Request request = std::move(request_);
    request_ = Request{};
    have_request_line_ = false;
    head_bytes_ = 0;
    state_ = State::idle;
    return request;
}

// Takes the head's bytes up to the end of the next line, or all of them if
// the line goes on; a complete line is parsed at once.
std::size_t RequestParser::take_head(std::string_view bytes) {
    state_ = State::head;
    std::size_t newline = bytes.find('\n');
    std::size_t length = newline == std::string_view::npos ? bytes.size() : newline + 1;
    // Checked before a byte is stored, so head_bytes_ <= max_head_bytes always
    // holds and the subtraction cannot wrap (a sum could, with huge limits).
    if (length > limits_.max_head_bytes - head_bytes_) {
        reject(have_request_line_ ? 431 : 414,
               have_request_line_ ? "header fields too large" : "request line too long");
        return length;
    }
    head_bytes_ += length;
    std::string_view piece = bytes.substr(0, length);
    if (newline == std::string_view::npos) {
        line_.append(piece);
        return length;
    }
    // Most lines arrive whole, in one read: parse them where they are; a line
    // that came in pieces is parsed from line_.
    if (line_.empty()) {
        end_line(piece);
    } else {
        line_.append(piece);
        end_line(line_);
        line_.clear();
    }
    return length;
}

std::size_t RequestParser::take_body(std::string_view bytes) {
    std::size_t length = std::min(bytes.size(), body_left_);
    request_.body.append(bytes.substr(0, length));
    body_left_ -= length;
    if (body_left_ == 0) {
        state_ = State::complete;
    }
    return length;
}

// One line of the head, its LF included.
void RequestParser::end_line(std::string_view line) {
    if (!line.ends_with(kCrlf)) {
        reject(400, "line ends in a bare LF");
        return;
    }
    line.remove_suffix(kCrlf.size());
    if (!have_request_line_) {
        if (!line.empty()) {  // empty lines before a request are skipped (RFC 9112 §2.2)
            parse_request_line(line);
        }
    } else if (line.empty()) {
        end_head();
    } else if (std::optional<FieldLine> field = parse_field_line(line)) {
        request_.fields.push_back(Field{std::string(field->name), std::string(field->value)});
    } else {
        reject(400, "malformed field line");
    }
}

// method SP request-target SP HTTP-version (RFC 9112 §3).
void RequestParser::parse_request_line(std::string_view line) {
    have_request_line_ = true;
    constexpr std::size_t npos = std::string_view::npos;
    std::size_t first_space = line.find(' ');
    std::size_t second_space = first_space == npos ? npos : line.find(' ', first_space + 1);
    if (second_space == npos) {
        reject(400, "malformed request line");
        return;
    }
    std::string_view method = line.substr(0, first_space);
    std::string_view target = line.substr(first_space + 1, second_space - first_space - 1);
    std::string_view version = line.substr(second_space + 1);
    if (!is_token(method) || target.empty() ||
        !std::all_of(target.begin(), target.end(), is_target_char)) {
        reject(400, "malformed request line");
        return;
    }
    // "HTTP/" DIGIT "." DIGIT, case-sensitive (RFC 9112 §2.3).
    if (version.size() != 8 || !version.starts_with("HTTP/") || !is_digit(version[5]) ||
        version[6] != '.' || !is_digit(version[7])) {
        reject(400, "malformed HTTP version");
        return;
    }
    if (version[5] != '1') {
        reject(505, "HTTP version not supported");
        return;
    }
    request_.method = method;
    request_.target = target;
    request_.minor_version = version[7] == '0' ? 0 : 1;
}

// The blank line: the fields are all here, so the framing can be decided.
void RequestParser::end_head() {
    std::optional<std::uint64_t> content_length;
    bool transfer_encoding = false;
    int hosts = 0;
    bool close = false;
    bool keep_alive = false;
    for (const Field& field : request_.fields) {
        if (equals_nocase(field.name, "Content-Length")) {
            std::optional<std::uint64_t> length = parse_content_length(field.value);
            // Two different lengths: which one a proxy used is anybody's guess.
            if (!length || (content_length && *content_length != *length)) {
                reject(400, "bad Content-Length");
                return;
            }
            content_length = length;
        } else if (equals_nocase(field.name, "Transfer-Encoding")) {
            transfer_encoding = true;
        } else if (equals_nocase(field.name, "Host")) {
            ++hosts;
        } else if (equals_nocase(field.name, "Connection")) {
            close = close || list_has_token(field.value, "close");
            keep_alive = keep_alive || list_has_token(field.value, "keep-alive");
        }
    }
    bool http10 = request_.minor_version == 0;
    if (transfer_encoding) {
        reject(http10 ? 400 : 501, "Transfer-Encoding is not supported");
        return;
    }
    if (hosts > 1 || (!http10 && hosts == 0)) {
        reject(400, "an HTTP/1.1 request needs exactly one Host");
        return;
    }
    if (content_length.value_or(0) > limits_.max_body_bytes) {
        reject(413, "body too large");
        return;
    }
    request_.keep_alive = !close && (!http10 || keep_alive);
    // No reserve(Content-Length): a client that promises a large body and
    // sends nothing must not cost that memory. The body grows as it arrives.
    body_left_ = static_cast<std::size_t>(content_length.value_or(0));
    state_ = body_left_ == 0 ? State::complete : State::body;
}

void RequestParser::reject(int status, std::string_view error) {
    state_ = State::rejected;
    status_ = status;
    error_ = error;
    line_.clear();
}

}  // namespace kit
