// Unit tests of the request builder and kit::ResponseParser (src/kit/http.hpp).
#include "kit/http.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using kit::Reason;
using kit::ResponseParser;

kit::Url url_for(const char* text) {
    std::string error;
    return *kit::parse_url(text, error);
}

TEST(HttpRequest, IsAnHttp10GetThatAsksTheServerToClose) {
    EXPECT_EQ(kit::http_get_request(url_for("http://example.org/x?y")),
              "GET /x?y HTTP/1.0\r\nHost: example.org\r\nConnection: close\r\n\r\n");
}

TEST(HttpRequest, NamesThePortInHostUnlessItIs80) {
    EXPECT_EQ(kit::http_get_request(url_for("http://example.org:81/x?y")),
              "GET /x?y HTTP/1.0\r\nHost: example.org:81\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(kit::http_get_request(url_for("http://example.org:80/")),
              "GET / HTTP/1.0\r\nHost: example.org\r\nConnection: close\r\n\r\n");
}

TEST(HttpRequest, NeverSendsTheFragment) {
    EXPECT_EQ(kit::http_get_request(url_for("http://example.org/x?y#part-2")),
              "GET /x?y HTTP/1.0\r\nHost: example.org\r\nConnection: close\r\n\r\n");
}

TEST(ResponseParser, CountsBodyBytesAcrossArbitrarySplits) {
    const std::string response = "HTTP/1.0 200 OK\r\nContent-Length: 10\r\n\r\n0123456789";
    for (std::size_t split = 0; split <= response.size(); ++split) {
        ResponseParser parser;
        EXPECT_FALSE(parser.feed(std::string_view(response).substr(0, split)));
        EXPECT_FALSE(parser.feed(std::string_view(response).substr(split)));
        kit::Outcome outcome = parser.at_eof();
        ASSERT_TRUE(outcome.ok) << "split at " << split;
        EXPECT_EQ(outcome.status, 200);
        EXPECT_EQ(outcome.body_bytes, 10U);
        EXPECT_EQ(parser.body(), "0123456789") << "split at " << split;
    }
}

TEST(ResponseParser, AcceptsABodyWithoutContentLength) {
    ResponseParser parser;
    EXPECT_FALSE(parser.feed("HTTP/1.1 404 Not Found\r\nX: y\r\n\r\nabc"));
    kit::Outcome outcome = parser.at_eof();
    ASSERT_TRUE(outcome.ok);
    EXPECT_EQ(outcome.status, 404);
    EXPECT_EQ(outcome.body_bytes, 3U);
}

TEST(ResponseParser, RejectsAMalformedStatusLineAsSoonAsTheHeaderEnds) {
    for (const char* head : {"HTCPCP/9 teapot\r\n\r\n", "HTTP/1.0 2x0 OK\r\n\r\n",
                             "HTTP/1.0 200OK\r\n\r\n", "\r\n\r\n", "HTTP/2 200\r\n\r\n"}) {
        ResponseParser parser;
        EXPECT_EQ(parser.feed(head), Reason::bad_response) << head;
        EXPECT_FALSE(parser.at_eof().ok) << head;
    }
}

// One whole response, fed at once and closed: its outcome.
kit::Outcome outcome_of(std::string_view response) {
    ResponseParser parser;
    if (std::optional<Reason> failure = parser.feed(response)) {
        return kit::Outcome::failure(*failure);
    }
    return parser.at_eof();
}

TEST(ResponseParser, AcceptsStatusCodesFrom100To599Only) {
    EXPECT_EQ(outcome_of("HTTP/1.0 599 Odd\r\n\r\n").status, 599);
    for (const char* head :
         {"HTTP/1.0 999 Nine\r\n\r\n", "HTTP/1.0 600 X\r\n\r\n", "HTTP/1.0 099 X\r\n\r\n"}) {
        EXPECT_EQ(outcome_of(head).reason, Reason::bad_response) << head;
        EXPECT_FALSE(outcome_of(head).ok) << head;
    }
}

TEST(ResponseParser, TakesAContentLengthThatIsDigitsOnly) {
    for (const char* response :
         {"HTTP/1.0 200 OK\r\nContent-Length: 3junk\r\n\r\nabc",
          "HTTP/1.0 200 OK\r\nContent-Length: 5, 9\r\n\r\nhello",
          "HTTP/1.0 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello",
          "HTTP/1.0 200 OK\r\nContent-Length: -5\r\n\r\n",
          "HTTP/1.0 200 OK\r\nContent-Length: +5\r\n\r\nhello",
          "HTTP/1.0 200 OK\r\nContent-Length:\r\n\r\n",
          "HTTP/1.0 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n"}) {
        kit::Outcome outcome = outcome_of(response);
        EXPECT_FALSE(outcome.ok) << response;
        EXPECT_EQ(outcome.reason, Reason::bad_response) << response;
    }
}

TEST(ResponseParser, AllowsTabsAroundTheContentLength) {
    kit::Outcome outcome = outcome_of("HTTP/1.0 200 OK\r\nContent-Length:\t5 \t\r\n\r\nhello");
    ASSERT_TRUE(outcome.ok);
    EXPECT_EQ(outcome.body_bytes, 5U);
}

TEST(ResponseParser, AcceptsARepeatedContentLengthOnlyWhenItIsTheSame) {
    EXPECT_TRUE(
        outcome_of("HTTP/1.0 200 OK\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\nhello").ok);
    kit::Outcome conflict =
        outcome_of("HTTP/1.0 200 OK\r\nContent-Length: 9\r\nContent-Length: 5\r\n\r\nhello");
    EXPECT_EQ(conflict.reason, Reason::bad_response);
    EXPECT_FALSE(conflict.ok);
}

TEST(ResponseParser, SkipsInterimAnswersAcrossArbitrarySplits) {
    const std::string response =
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    for (std::size_t split = 0; split <= response.size(); ++split) {
        ResponseParser parser;
        EXPECT_FALSE(parser.feed(std::string_view(response).substr(0, split)));
        EXPECT_FALSE(parser.feed(std::string_view(response).substr(split)));
        kit::Outcome outcome = parser.at_eof();
        ASSERT_TRUE(outcome.ok) << "split at " << split;
        EXPECT_EQ(outcome.status, 200);
        EXPECT_EQ(outcome.body_bytes, 5U);
    }
}

TEST(ResponseParser, RejectsOnlyInterimAnswersAndSwitchingProtocols) {
    EXPECT_EQ(outcome_of("HTTP/1.1 100 Continue\r\n\r\n").reason, Reason::bad_response);
    EXPECT_FALSE(outcome_of("HTTP/1.1 100 Continue\r\n\r\n").ok);
    EXPECT_EQ(outcome_of("HTTP/1.1 101 Switching Protocols\r\n\r\n").reason, Reason::bad_response);
    EXPECT_FALSE(outcome_of("HTTP/1.1 101 Switching Protocols\r\n\r\n").ok);
}

TEST(ResponseParser, TreatsEarlyEofAsABadResponse) {
    ResponseParser nothing;
    EXPECT_EQ(nothing.at_eof().reason, Reason::bad_response);

    ResponseParser half_header;
    EXPECT_FALSE(half_header.feed("HTTP/1.0 200 OK\r\nContent-"));
    EXPECT_EQ(half_header.at_eof().reason, Reason::bad_response);

    ResponseParser short_body;
    EXPECT_FALSE(short_body.feed("HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nabc"));
    EXPECT_FALSE(short_body.at_eof().ok);
}

TEST(ResponseParser, RejectsMoreThanTheLimitAndStaysRejected) {
    ResponseParser parser;
    EXPECT_FALSE(parser.feed("HTTP/1.0 200 OK\r\n\r\n"));
    std::string chunk(std::size_t{64} * 1024, 'x');
    std::optional<Reason> failure;
    std::size_t fed = 0;
    while (!failure && fed <= kit::kMaxResponseBytes) {
        failure = parser.feed(chunk);
        fed += chunk.size();
    }
    EXPECT_EQ(failure, Reason::too_large);
    EXPECT_GT(parser.bytes_received(), kit::kMaxResponseBytes);
    EXPECT_EQ(parser.feed("more"), Reason::too_large);
    EXPECT_EQ(parser.at_eof().reason, Reason::too_large);
}

TEST(ResponseParser, RejectsAnEndlessHeader) {
    ResponseParser parser;
    std::optional<Reason> failure;
    for (int i = 0; i < 100 && !failure; ++i) {
        failure = parser.feed(std::string(1024, 'h'));
    }
    EXPECT_EQ(failure, Reason::bad_response);
}

}  // namespace
