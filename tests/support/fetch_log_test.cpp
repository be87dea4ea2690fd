// Unit tests of kit::FetchLog (src/kit/fetch_log.hpp): the report lines and
// the trace every stage's tests and the demo rely on.
#include "kit/fetch_log.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace {

std::vector<kit::Url> two_targets() {
    std::string error;
    return {*kit::parse_url("http://a/", error), *kit::parse_url("http://b:81/x", error)};
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

TEST(FetchLog, PrintsOneLinePerTargetInFinishingOrderThenTheTotal) {
    std::ostringstream report;
    kit::FetchLog log(two_targets(), report, false);
    log.finish(1, kit::Outcome::failure(kit::Reason::bad_response));
    EXPECT_FALSE(log.all_finished());
    log.finish(0, kit::Outcome::success(200, 42));
    EXPECT_TRUE(log.all_finished());
    EXPECT_EQ(log.summarize(), 1);

    std::vector<std::string> lines = lines_of(report.str());
    ASSERT_EQ(lines.size(), 3U) << report.str();
    EXPECT_TRUE(lines[0].starts_with("fail http://b:81/x bad-response ")) << lines[0];
    EXPECT_TRUE(lines[1].starts_with("ok http://a/ 200 42 ")) << lines[1];
    EXPECT_TRUE(lines[2].starts_with("total ")) << lines[2];
    EXPECT_TRUE(lines[2].ends_with(" ok=1 fail=1")) << lines[2];
}

TEST(FetchLog, ExitStatusIsZeroOnlyWhenAllAreOk) {
    std::ostringstream report;
    kit::FetchLog log(two_targets(), report, false);
    log.finish(0, kit::Outcome::success(200, 1));
    log.finish(1, kit::Outcome::success(404, 0));
    EXPECT_EQ(log.summarize(), 0);
}

TEST(FetchLog, TraceHasLanesSpansMilestonesAndWaits) {
    std::ostringstream report;
    kit::FetchLog log(two_targets(), report, true);
    log.milestone(0, kit::Milestone::connect_start);
    log.milestone(0, kit::Milestone::first_byte);
    auto now = kit::FetchLog::Clock::now();
    log.wait(now, now + std::chrono::milliseconds(3), 2);
    log.finish(0, kit::Outcome::success(200, 5));
    log.finish(1, kit::Outcome::failure(kit::Reason::timeout));

    std::ostringstream trace;
    log.write_trace(trace);
    const std::string json = trace.str();
    for (const char* expected :
         {R"("name":"thread_name","pid":1,"tid":1,"args":{"name":"http://a/"})",
          R"("name":"thread_name","pid":1,"tid":2,"args":{"name":"http://b:81/x"})",
          R"("cat":"milestone","name":"connect-start","pid":1,"tid":1)",
          R"("cat":"milestone","name":"first-byte","pid":1,"tid":1)",
          R"("cat":"milestone","name":"done","pid":1,"tid":1)",
          R"("cat":"milestone","name":"failed","pid":1,"tid":2)",
          R"("cat":"loop","name":"wait","pid":1,"tid":0)", R"("dur":3000,"args":{"ready":2})",
          R"("args":{"result":"ok 200 5"})", R"("args":{"result":"fail timeout"})"}) {
        EXPECT_NE(json.find(expected), std::string::npos) << "missing " << expected << " in\n"
                                                          << json;
    }
}

TEST(FetchLog, KeepsNoTraceUnlessAsked) {
    std::ostringstream report;
    kit::FetchLog log(two_targets(), report, false);
    log.milestone(0, kit::Milestone::connect_start);
    log.finish(0, kit::Outcome::success(200, 5));
    std::ostringstream trace;
    log.write_trace(trace);
    EXPECT_EQ(trace.str().find("connect-start"), std::string::npos);
}

TEST(FetchLogDeathTest, FinishingATargetTwiceIsABug) {
    std::ostringstream report;
    kit::FetchLog log(two_targets(), report, false);
    log.finish(0, kit::Outcome::success(200, 1));
    EXPECT_DEATH(log.finish(0, kit::Outcome::success(200, 1)), "finish\\(\\) called twice");
}

}  // namespace
