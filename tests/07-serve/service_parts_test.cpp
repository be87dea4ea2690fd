// Stage 7's unit tests: the service's pure parts (the mount table, answers
// on the wire, the command line, the sample applications), then the
// Responder on a real Loop: an asynchronous application that keeps it and
// answers later, and one whose parked client goes away (stage 8's long
// polling rests on both). Lesson: lessons/07-serve.md.
#include "apps.hpp"
#include "backends.hpp"
#include "mount.hpp"
#include "responder.hpp"
#include "response.hpp"
#include "serve_options.hpp"
#include "service.hpp"
#include "stage4_backends.hpp"

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using kit::Request;
using kit::Response;

Request get(std::string target) {
    Request request;
    request.method = "GET";
    request.target = std::move(target);
    return request;
}

TEST(Mounts, FindExactPathsAndPrefixesAtASlash) {
    kit::Mounts mounts;
    mounts.mount("/hello", {"GET"}, kit::hello_app, kit::Mode::synchronous);
    mounts.mount("/files", {"GET"}, kit::hello_app, kit::Mode::asynchronous);
    ASSERT_NE(mounts.find("/hello"), nullptr);
    EXPECT_EQ(mounts.find("/hello")->path, "/hello");
    EXPECT_EQ(mounts.find("/hello?x=1")->path, "/hello");
    EXPECT_EQ(mounts.find("/files/a/b")->path, "/files");
    EXPECT_EQ(mounts.find("/files")->mode, kit::Mode::asynchronous);
    EXPECT_EQ(mounts.find("/helloo"), nullptr);
    EXPECT_EQ(mounts.find("/"), nullptr);
    EXPECT_EQ(mounts.find("*"), nullptr);
}

TEST(Mounts, MethodsAndTheAllowField) {
    kit::Mount mount{.path = "/x", .methods = {"GET", "HEAD"}};
    EXPECT_TRUE(mount.allows("HEAD"));
    EXPECT_FALSE(mount.allows("get"));  // methods are case-sensitive (RFC 9110 §9.1)
    EXPECT_EQ(mount.allow_field(), "GET, HEAD");
}

TEST(Mounts, QueryValues) {
    EXPECT_EQ(kit::query_value("/slow?ms=5", "ms"), "5");
    EXPECT_EQ(kit::query_value("/slow?a=1&ms=20&b", "ms"), "20");
    EXPECT_EQ(kit::query_value("/slow?msx=5", "ms"), "");
    EXPECT_EQ(kit::query_value("/slow", "ms"), "");
    EXPECT_EQ(kit::target_path("/slow?ms=5"), "/slow");
}

TEST(Response, OnTheWire) {
    Response response = kit::text_response(404, "none\n");
    response.fields.emplace_back("Allow", "GET");
    EXPECT_EQ(kit::serialize(response, true, false),
              "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nAllow: GET\r\n"
              "Content-Length: 5\r\n\r\nnone\n");
    // HEAD: the same head, Content-Length included, and no body.
    EXPECT_EQ(kit::serialize(response, false, true),
              "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nAllow: GET\r\n"
              "Content-Length: 5\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(kit::reason_phrase(431), "Request Header Fields Too Large");
}

// A 204 has no content: no type, no length, no body, whatever the
// Response holds (RFC 9110 §8.6; stage 8's long-poll timeout answers it).
TEST(Response, NoContentHasNoLengthOrBody) {
    Response response{.status = 204, .fields = {{"Cache-Control", "no-store"}}, .body = "x"};
    EXPECT_EQ(kit::serialize(response, true, false),
              "HTTP/1.1 204 No Content\r\nCache-Control: no-store\r\n\r\n");
    EXPECT_EQ(kit::reason_phrase(202), "Accepted");
    EXPECT_EQ(kit::reason_phrase(415), "Unsupported Media Type");
}

TEST(SampleApps, SumAndSlowRefuseBadInput) {
    Request request = get("/sum");
    request.body = " 1 2\n-3 40 ";
    EXPECT_EQ(kit::sum_app(request).body, "40\n");
    for (const char* bad : {"1 x", "1,2", "9223372036854775807 1", "--1"}) {
        request.body = bad;
        EXPECT_EQ(kit::sum_app(request).status, 400) << bad;
    }
    kit::SyncApp slow = kit::slow_app(100ms);
    EXPECT_EQ(slow(get("/slow?ms=1")).body, "slept 1 ms\n");
    for (const char* bad : {"/slow", "/slow?ms=", "/slow?ms=101", "/slow?ms=-1", "/slow?ms=1x"}) {
        EXPECT_EQ(slow(get(bad)).status, 400) << bad;
    }
}

TEST(ServeOptions, ParsesAndRefuses) {
    const std::vector<std::string> backends{"poll", "epoll"};
    std::string error;
    auto options = kit::parse_serve_options(
        {"--backend", "epoll", "--port", "8080", "--threads", "2", "--head-timeout", "0.5",
         "--slow-on", "loop", "--hello-on", "pool"},
        backends, error);
    ASSERT_TRUE(options) << error;
    EXPECT_EQ(options->backend, "epoll");
    EXPECT_EQ(options->port, 8080);
    EXPECT_EQ(options->threads, 2U);
    EXPECT_EQ(options->head_timeout, std::chrono::duration_cast<kit::Clock::duration>(500ms));
    EXPECT_TRUE(options->slow_on_loop && options->hello_on_pool);
    for (const std::vector<std::string>& bad :
         std::vector<std::vector<std::string>>{{"--port", "65536"},
                                               {"--threads", "0"},
                                               {"--idle-timeout", "nan"},
                                               {"--grace", "0"},
                                               {"--backend", "select"},
                                               {"--bind"},
                                               {"-x"}}) {
        EXPECT_FALSE(kit::parse_serve_options(bad, backends, error)) << bad[0];
        EXPECT_EQ(error.find('\n'), std::string::npos);
    }
}

// A Service on a real Loop, with one end of a socketpair as its connection
// and the other as the client, both watched by the same loop.
class ParkedRequests : public ::testing::Test {
protected:
    ParkedRequests() {
        int fds[2];
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
        server_end_ = kit::UniqueFd(fds[0]);
        client_ = kit::UniqueFd(fds[1]);
        timers_.after(5s, [this] {
            ADD_FAILURE() << "the loop ran for 5 s";
            loop_.stop();
        });
    }

    // Runs the loop until @p done says so (checked every 5 ms).
    void run_until(std::function<bool()> done) {
        kit::TimerId check = timers_.every(5ms, [this, done] {
            if (done()) {
                loop_.stop();
            }
        });
        EXPECT_FALSE(loop_.run());
        timers_.cancel(check);
    }

    void send(std::string_view bytes) {
        ASSERT_EQ(::write(client_.get(), bytes.data(), bytes.size()),
                  static_cast<ssize_t>(bytes.size()));
    }

    std::string received() {
        char buffer[4096];
        ssize_t n = ::read(client_.get(), buffer, sizeof buffer);
        return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
    }

    std::string error_;
    kit::Loop loop_{kit::make_backend("poll", kit::stage4_backends(), error_)};
    kit::TimerQueue timers_;
    bool added_ = (loop_.add_source(timers_), true);
    kit::PostQueue posts_{loop_};
    kit::ServeTrace trace_{false};
    kit::ThreadPool pool_{posts_, 1};
    std::optional<kit::Responder> parked_;  // outlives the service: its context closes first
    kit::Service service_{loop_, timers_, posts_, pool_, trace_, {}};
    kit::UniqueFd server_end_;
    kit::UniqueFd client_;
};

TEST_F(ParkedRequests, AnAsynchronousApplicationAnswersLaterFromTheLoop) {
    service_.mounts().mount("/later", {"GET"},
                            kit::AsyncApp([this](const Request&, const kit::Responder& responder) {
                                parked_ = responder;  // keep it, answer in 50 ms
                                service_.timers().after(50ms, [this] {
                                    EXPECT_TRUE(parked_->waiting());
                                    parked_->respond(kit::text_response(200, "later\n"));
                                });
                            }));
    service_.adopt(std::move(server_end_));
    send("GET /later HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string answer;
    run_until([&] {
        answer += received();
        return answer.ends_with("later\n");
    });
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 200 OK\r\n")) << answer;
    EXPECT_FALSE(parked_->waiting());
    parked_->respond(kit::text_response(500, "twice\n"));  // answered already: nothing happens
    send("GET /later HTTP/1.1\r\nHost: x\r\n\r\n");        // and the connection serves the next one
    answer.clear();
    run_until([&] {
        answer += received();
        return answer.ends_with("later\n");
    });
    EXPECT_EQ(service_.stats().requests, 2U);
}

TEST_F(ParkedRequests, AParkedClientThatGoesAwayIsNoticed) {
    bool gone = false;
    service_.mounts().mount("/park", {"GET"},
                            kit::AsyncApp([&](const Request&, const kit::Responder& responder) {
                                parked_ = responder;  // never answered by itself
                                responder.on_disconnect([&gone] { gone = true; });
                            }));
    service_.adopt(std::move(server_end_));
    send("GET /park HTTP/1.1\r\nHost: x\r\n\r\n");
    run_until([&] { return parked_.has_value(); });
    EXPECT_FALSE(gone);
    client_.reset();  // the client leaves
    run_until([&] { return gone; });
    // A late answer to a client that has gone: no crash, no SIGPIPE, closed.
    parked_->respond(kit::text_response(200, "too late\n"));
    EXPECT_FALSE(parked_->waiting());
    run_until([&] { return service_.stats().open == 0; });
}

}  // namespace
