// The libFuzzer target for kit::RequestParser (src/kit/request_parser.hpp).
//
// Each input is a byte stream as a client might send it on one connection.
// The target parses it as the server would and checks what must hold for
// every stream, not just for the ones a test author thought of:
// - feed() takes at most what it was given, and all of it while the request
//   is incomplete (so the server never loses or holds back a byte);
// - reading the stream whole, one byte at a time, or in reads of
//   pseudo-random sizes gives the same requests, ending at the same bytes,
//   and the same rejection status: the parser does not depend on how TCP
//   happened to cut the stream;
// - every request it accepts is well-formed (tokens, no control characters
//   in values, one Host in HTTP/1.1, no Transfer-Encoding), within its
//   limits, and carries exactly the body an independent reading of its
//   Content-Length asks for;
// - an accepted request, written back out in its plainest form, parses
//   again to the same request.
// Out-of-bounds reads, leaks and undefined behaviour are left to ASan and
// UBSan, which this target is built with; the whole-stream pass feeds views
// of libFuzzer's own buffer, so a read past its end is caught.
//
// Built with clang++ -fsanitize=fuzzer (tests/fuzz/CMakeLists.txt); run
// briefly as the test fuzz.request_parser, at length as the target
// fuzz-request-parser-long.
#include "kit/http_syntax.hpp"
#include "kit/request_parser.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using kit::Request;
using kit::RequestLimits;
using kit::RequestParser;
using State = RequestParser::State;

void require(bool holds, const char* what) {
    if (!holds) {
        std::fprintf(stderr, "request_parser_fuzz: invariant broken: %s\n", what);
        std::abort();
    }
}

// What one connection made of a stream.
struct Parsed {
    std::vector<Request> requests;
    std::vector<std::size_t> ends;  // where each request ended in the stream
    State last_state = State::idle;
    int status = 0;
    friend bool operator==(const Parsed&, const Parsed&) = default;
};

// Parses @p stream in reads whose sizes next_read() gives, as a server's
// loop would: what a feed() did not take stays for the next call. The
// bytes not yet taken are always a contiguous part of @p stream, so every
// feed() sees a view of the caller's buffer and nothing else.
Parsed parse(std::string_view stream, RequestLimits limits,
             const std::function<std::size_t()>& next_read) {
    Parsed parsed;
    RequestParser parser(limits);
    std::size_t taken_to = 0;
    std::size_t read_to = 0;
    while (read_to < stream.size()) {
        read_to += std::min(next_read(), stream.size() - read_to);
        while (true) {
            std::string_view pending = stream.substr(taken_to, read_to - taken_to);
            std::size_t taken = parser.feed(pending);
            require(taken <= pending.size(), "feed() took more than it was given");
            taken_to += taken;
            if (parser.state() == State::complete) {
                parsed.requests.push_back(parser.take());
                parsed.ends.push_back(taken_to);
            } else if (parser.state() == State::rejected) {
                require(taken_to <= read_to, "rejected past the end");
                parsed.status = parser.status();
                parsed.last_state = State::rejected;
                return parsed;
            } else {
                require(taken_to == read_to, "an incomplete request left bytes untaken");
                break;
            }
        }
    }
    parsed.last_state = parser.state();
    return parsed;
}

bool is_ows(char c) {
    return c == ' ' || c == '\t';
}

bool is_value_char(char c) {
    auto byte = static_cast<unsigned char>(c);
    return c == '\t' || (byte >= 0x20 && byte != 0x7f);
}

// Content-Length read another way than parse_content_length(): every comma
// element through std::from_chars. nullopt if absent; "too large" and
// "malformed" both end up as a value no accepted request can have.
std::optional<std::uint64_t> reference_content_length(const Request& request) {
    std::optional<std::uint64_t> length;
    for (const kit::Field& field : request.fields) {
        if (!kit::equals_nocase(field.name, "content-length")) {
            continue;
        }
        std::string_view rest = field.value;
        while (true) {
            std::size_t comma = rest.find(',');
            std::string_view element = rest.substr(0, comma);
            while (!element.empty() && is_ows(element.front())) {
                element.remove_prefix(1);
            }
            while (!element.empty() && is_ows(element.back())) {
                element.remove_suffix(1);
            }
            std::uint64_t value = 0;
            auto [end, error] =
                std::from_chars(element.data(), element.data() + element.size(), value);
            bool whole = error == std::errc{} && end == element.data() + element.size() &&
                         !element.empty() && element.front() != '-' && element.front() != '+';
            require(whole, "accepted a Content-Length that is not one number");
            require(!length || *length == value, "accepted two different Content-Lengths");
            length = value;
            if (comma == std::string_view::npos) {
                break;
            }
            rest.remove_prefix(comma + 1);
        }
    }
    return length;
}

void check_request(const Request& request, std::size_t request_bytes, RequestLimits limits) {
    require(kit::is_token(request.method), "method is not a token");
    require(!request.target.empty() && std::all_of(request.target.begin(), request.target.end(),
                                                   [](char c) { return c > ' ' && c < '\x7f'; }),
            "target holds a space, a control or a non-ASCII byte");
    require(request.minor_version == 0 || request.minor_version == 1, "version is not 1.0 or 1.1");
    int hosts = 0;
    for (const kit::Field& field : request.fields) {
        require(kit::is_token(field.name), "field name is not a token");
        require(std::all_of(field.value.begin(), field.value.end(), is_value_char),
                "field value holds a control character");
        require(
            field.value.empty() || (!is_ows(field.value.front()) && !is_ows(field.value.back())),
            "field value is not trimmed");
        require(!kit::equals_nocase(field.name, "transfer-encoding"),
                "accepted a Transfer-Encoding");
        hosts += kit::equals_nocase(field.name, "host") ? 1 : 0;
    }
    require(hosts <= 1 && (request.minor_version == 0 || hosts == 1), "wrong number of Hosts");
    require(request.body.size() <= limits.max_body_bytes, "body over the limit");
    require(request.body.size() == reference_content_length(request).value_or(0),
            "body length differs from Content-Length");
    require(request_bytes - request.body.size() <= limits.max_head_bytes, "head over the limit");
    require(request.keep_alive || request.minor_version == 0 || request.field("connection"),
            "an HTTP/1.1 request without Connection closes");
}

// The request in its plainest form: no leading empty lines, no whitespace
// around values, "HTTP/1.x" for any later 1.x. Never longer than what was read.
std::string write_out(const Request& request) {
    std::string text = request.method + " " + request.target + " HTTP/1." +
                       std::to_string(request.minor_version) + "\r\n";
    for (const kit::Field& field : request.fields) {
        text += field.name + ":" + field.value + "\r\n";
    }
    return text + "\r\n" + request.body;
}

void check_round_trip(const Request& request, RequestLimits limits) {
    std::string text = write_out(request);
    Parsed again = parse(text, limits, [&] { return text.size(); });
    require(again.status == 0 && again.requests.size() == 1 && again.last_state == State::idle,
            "a request written back out is not one request");
    require(again.requests[0] == request, "a request written back out reads differently");
}

// A small xorshift generator, seeded from the input, for the read sizes.
std::uint64_t seed_of(std::string_view bytes) {
    std::uint64_t hash = 1469598103934665603U;  // FNV-1a
    for (char c : bytes) {
        hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211U;
    }
    return hash | 1U;
}

void check_stream(std::string_view stream, RequestLimits limits) {
    Parsed whole = parse(stream, limits, [&] { return stream.size(); });
    std::size_t start = 0;
    for (std::size_t i = 0; i < whole.requests.size(); ++i) {
        check_request(whole.requests[i], whole.ends[i] - start, limits);
        check_round_trip(whole.requests[i], limits);
        start = whole.ends[i];
    }
    require(parse(stream, limits, [] { return std::size_t{1}; }) == whole,
            "one byte at a time differs from the whole stream");
    std::uint64_t state = seed_of(stream);
    auto random_read = [&state] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return static_cast<std::size_t>(state % 64) + 1;
    };
    require(parse(stream, limits, random_read) == whole,
            "reads of random sizes differ from the whole stream");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view stream(reinterpret_cast<const char*>(data), size);
    // The server's limits, and tiny ones so that inputs of a few hundred
    // bytes reach 413, 414 and 431 and the edges of each.
    check_stream(stream, RequestLimits{});
    check_stream(stream, RequestLimits{.max_head_bytes = 64, .max_body_bytes = 16});
    return 0;
}
