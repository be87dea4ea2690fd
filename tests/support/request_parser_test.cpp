// Unit tests of kit::RequestParser (src/kit/request_parser.hpp), fed the way
// a server's loop feeds it: whatever one read returned, remainders kept.
#include "kit/request_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using kit::Request;
using kit::RequestLimits;
using kit::RequestParser;
using State = RequestParser::State;
using namespace std::string_view_literals;

// What a connection made of a stream: its requests in order, then the
// status it was rejected with (0 if it was not).
struct Parsed {
    std::vector<Request> requests;
    int status = 0;
};

// Feeds @p stream in reads of @p chunk bytes, keeping what the parser did
// not take for the next call, as the server does with pipelined requests.
Parsed parse(std::string_view stream, std::size_t chunk = 1U << 20, RequestLimits limits = {}) {
    Parsed parsed;
    RequestParser parser(limits);
    std::string pending;
    for (std::size_t at = 0; at < stream.size(); at += chunk) {
        pending.append(stream.substr(at, chunk));
        while (true) {
            std::size_t taken = parser.feed(pending);
            EXPECT_LE(taken, pending.size());
            pending.erase(0, taken);
            if (parser.state() == State::complete) {
                parsed.requests.push_back(parser.take());
            } else if (parser.state() == State::rejected) {
                EXPECT_FALSE(parser.error().empty()) << "a rejection says why";
                parsed.status = parser.status();
                return parsed;
            } else {
                EXPECT_EQ(parser.status(), 0);
                EXPECT_TRUE(pending.empty()) << "an incomplete request takes every byte";
                break;
            }
        }
    }
    return parsed;
}

int status_of(std::string_view stream, RequestLimits limits = {}) {
    return parse(stream, 1U << 20, limits).status;
}

TEST(RequestParser, ReadsAGetRequest) {
    Parsed parsed = parse("GET /hello?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAccept: */*\r\n\r\n");
    ASSERT_EQ(parsed.status, 0);
    ASSERT_EQ(parsed.requests.size(), 1U);
    const Request& request = parsed.requests[0];
    EXPECT_EQ(request.method, "GET");
    EXPECT_EQ(request.target, "/hello?x=1");
    EXPECT_EQ(request.minor_version, 1);
    ASSERT_EQ(request.fields.size(), 2U);
    EXPECT_EQ(request.fields[0], (kit::Field{"Host", "127.0.0.1:8080"}));
    EXPECT_EQ(request.field("accept"), "*/*");
    EXPECT_FALSE(request.field("Cookie"));
    EXPECT_EQ(request.body, "");
    EXPECT_TRUE(request.keep_alive);
}

TEST(RequestParser, GivesTheSameRequestsHoweverTheBytesAreSplit) {
    const std::string stream =
        "\r\nPOST /sum HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n1 2 3 4 5 6"
        "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
        "GET /b HTTP/1.0\r\n\r\n";
    Parsed whole = parse(stream);
    ASSERT_EQ(whole.status, 0);
    ASSERT_EQ(whole.requests.size(), 3U);
    EXPECT_EQ(whole.requests[0].body, "1 2 3 4 5 6");
    EXPECT_EQ(whole.requests[1].target, "/a");
    EXPECT_EQ(whole.requests[2].target, "/b");
    for (std::size_t chunk = 1; chunk <= stream.size(); ++chunk) {
        Parsed split = parse(stream, chunk);
        EXPECT_EQ(split.status, 0) << "reads of " << chunk;
        EXPECT_EQ(split.requests, whole.requests) << "reads of " << chunk;
    }
}

TEST(RequestParser, StopsAtTheEndOfARequestSoPipelinedBytesWait) {
    const std::string first = "POST /sum HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n1 2";
    const std::string second = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
    RequestParser parser;
    EXPECT_EQ(parser.feed(first + second), first.size());
    EXPECT_EQ(parser.state(), State::complete);
    EXPECT_EQ(parser.feed(second), 0U) << "nothing more until take()";
    EXPECT_EQ(parser.take().body, "1 2");
    EXPECT_EQ(parser.state(), State::idle);
    EXPECT_EQ(parser.feed(second), second.size());
    EXPECT_EQ(parser.take().method, "GET");
}

TEST(RequestParser, ShowsTheHeadWhileTheBodyIsStillComing) {
    RequestParser parser;
    EXPECT_EQ(parser.state(), State::idle);
    parser.feed("PUT /f HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n");
    EXPECT_EQ(parser.state(), State::head);
    parser.feed("Content-Length: 4\r\n\r\nab");
    EXPECT_EQ(parser.state(), State::body);
    EXPECT_EQ(parser.request().field("Expect"), "100-continue");
    parser.feed("cd");
    EXPECT_EQ(parser.state(), State::complete);
}

TEST(RequestParser, RejectsBareLineFeedsAndCarriageReturns) {
    EXPECT_EQ(status_of("GET / HTTP/1.1\nHost: h\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: h\n\r\n"), 400);
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: h\r\n\n"), 400);
    EXPECT_EQ(status_of("\n"), 400) << "a line of one byte";
    EXPECT_EQ(status_of("\nGET / HTTP/1.0\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET /\r HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n"), 400);
}

TEST(RequestParser, RejectsMalformedRequestLines) {
    for (const char* line : {
             "GET\r\n",                        // HTTP/0.9 style
             "GET /\r\n",                      //
             "GET  / HTTP/1.1\r\n",            // two spaces
             "GET / HTTP/1.1 \r\n",            // trailing space
             "GET\t/ HTTP/1.1\r\n",            // tab instead of space
             "G(T / HTTP/1.1\r\n",             // method not a token
             " GET / HTTP/1.1\r\n",            // leading space
             "GET /caf\xc3\xa9 HTTP/1.1\r\n",  // a non-ASCII target
             "GET /a\x7f HTTP/1.1\r\n",        //
             "GET / http/1.1\r\n",             // the version is case-sensitive
             "GET / HTTP/1.10\r\n",            //
             "GET / HTTP/1\r\n",               //
             "GET / HTTP/a.1\r\n",             //
         }) {
        std::string request = std::string(line) + "Host: h\r\n\r\n";
        EXPECT_EQ(status_of(request), 400) << line;
    }
}

TEST(RequestParser, SpeaksHttp10And11AndReadsLater1xAs11) {
    EXPECT_EQ(parse("GET / HTTP/1.0\r\n\r\n").requests.at(0).minor_version, 0);
    EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\n\r\n").requests.at(0).minor_version, 1);
    EXPECT_EQ(parse("GET / HTTP/1.9\r\nHost: h\r\n\r\n").requests.at(0).minor_version, 1);
    EXPECT_EQ(status_of("GET / HTTP/2.0\r\nHost: h\r\n\r\n"), 505);
    EXPECT_EQ(status_of("GET / HTTP/0.9\r\n\r\n"), 505);
}

TEST(RequestParser, RejectsFieldLinesASmugglerWouldTry) {
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost : h\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n  folded\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\n Host: h\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n"sv), 400);
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: h\r\nX: a\x01\r\n\r\n"), 400);
}

TEST(RequestParser, NeedsExactlyOneHostInHttp11) {
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
    EXPECT_EQ(status_of("GET / HTTP/1.0\r\n\r\n"), 0);
}

TEST(RequestParser, FramesBodiesByContentLengthOnly) {
    EXPECT_EQ(
        parse("POST / HTTP/1.1\r\nHost: h\r\ncontent-length: 2\r\n\r\nab").requests.at(0).body,
        "ab");
    EXPECT_EQ(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 2, 2"
                    "\r\n\r\nab")
                  .requests.at(0)
                  .body,
              "ab");
    EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n"
                        "Content-Length: 3\r\n\r\nabc"),
              400);
    EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +2\r\n\r\nab"), 400);
    EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"), 501);
    EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n"),
              501);
    EXPECT_EQ(status_of("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
}

TEST(RequestParser, RejectsATooLargeBodyBeforeItArrives) {
    RequestLimits limits{.max_body_bytes = 10};
    EXPECT_EQ(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789", 1U << 20,
                    limits)
                  .requests.size(),
              1U);
    RequestParser parser(limits);
    parser.feed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n");
    EXPECT_EQ(parser.state(), State::rejected);
    EXPECT_EQ(parser.status(), 413);
    EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999"
                        "\r\n\r\n"),
              413)
        << "a length past 2^64 saturates; it must not wrap to a small one";
}

TEST(RequestParser, LimitsTheHeadTo8KiB) {
    const std::string request_line = "GET / HTTP/1.1\r\n";
    const std::string host = "Host: h\r\n";
    auto filler = [](std::size_t length) {  // one field line of exactly `length` bytes
        return "X: " + std::string(length - 5, 'x') + "\r\n";
    };
    std::size_t room = 8192 - request_line.size() - host.size() - 2;
    EXPECT_EQ(status_of(request_line + host + filler(room) + "\r\n"), 0) << "exactly 8 KiB";
    EXPECT_EQ(status_of(request_line + host + filler(room + 1) + "\r\n"), 431);

    std::string long_target = "GET /" + std::string(8192, 'a') + " HTTP/1.1\r\n";
    EXPECT_EQ(status_of(long_target + host + "\r\n"), 414);
}

TEST(RequestParser, HoldsBoundedMemoryWhateverTheInput) {
    RequestParser parser;
    std::string endless_line(4096, 'a');  // no LF, ever
    std::size_t fed = 0;
    while (parser.state() != State::rejected && fed < 1U << 20) {
        parser.feed(endless_line);
        fed += endless_line.size();
    }
    EXPECT_EQ(parser.status(), 414);
    EXPECT_LE(fed, 8192U + endless_line.size()) << "rejected as soon as the limit is passed";
    EXPECT_EQ(parser.feed(endless_line), 0U) << "a rejected parser takes nothing more";
}

TEST(RequestParser, KeepsTheConnectionAsHttp10And11AndConnectionSay) {
    struct Case {
        const char* head;
        bool keep_alive;
    };
    for (Case c : {
             Case{"GET / HTTP/1.1\r\nHost: h\r\n\r\n", true},
             Case{"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false},
             Case{"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, CLOSE\r\n\r\n", false},
             Case{"GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n"
                  "Connection: close\r\n\r\n",
                  false},
             Case{"GET / HTTP/1.0\r\n\r\n", false},
             Case{"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
             Case{"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false},
             Case{"GET / HTTP/1.0\r\nKeep-Alive: 5\r\n\r\n", false},
         }) {
        Parsed parsed = parse(c.head);
        ASSERT_EQ(parsed.requests.size(), 1U) << c.head;
        EXPECT_EQ(parsed.requests[0].keep_alive, c.keep_alive) << c.head;
    }
}

TEST(RequestParser, SkipsEmptyLinesBeforeARequest) {
    Parsed parsed = parse("\r\n\r\nGET / HTTP/1.0\r\n\r\n\r\nGET /2 HTTP/1.0\r\n\r\n");
    ASSERT_EQ(parsed.requests.size(), 2U);
    EXPECT_EQ(parsed.requests[1].target, "/2");
}

}  // namespace
