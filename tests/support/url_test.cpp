// Unit tests of kit::parse_url (src/kit/url.hpp).
#include "kit/url.hpp"

#include <gtest/gtest.h>

namespace {

TEST(Url, ParsesHostPortAndPath) {
    std::string error;
    auto url = kit::parse_url("http://127.0.0.1:8080/a/b?c=1", error);
    ASSERT_TRUE(url) << error;
    EXPECT_EQ(url->host, "127.0.0.1");
    EXPECT_EQ(url->port, 8080);
    EXPECT_EQ(url->path, "/a/b?c=1");
    EXPECT_EQ(url->text, "http://127.0.0.1:8080/a/b?c=1");
}

TEST(Url, DefaultsToPort80AndRootPath) {
    std::string error;
    auto url = kit::parse_url("http://localhost", error);
    ASSERT_TRUE(url) << error;
    EXPECT_EQ(url->host, "localhost");
    EXPECT_EQ(url->port, 80);
    EXPECT_EQ(url->path, "/");
}

TEST(Url, DropsTheFragmentAndKeepsTheQuery) {
    std::string error;
    for (auto [text, path] : {std::pair{"http://h/a?b#c", "/a?b"}, std::pair{"http://h#c", "/"},
                              std::pair{"http://h:81?q#c", "/?q"}, std::pair{"http://h/#", "/"}}) {
        auto url = kit::parse_url(text, error);
        ASSERT_TRUE(url) << text << ": " << error;
        EXPECT_EQ(url->path, path) << text;
        EXPECT_EQ(url->host, "h") << text;
        EXPECT_EQ(url->text, text);
    }
}

TEST(Url, RejectsWhatTheContractDoesNotAccept) {
    for (const char* text :
         {"", "127.0.0.1:80/", "ftp://host/", "https://host/", "http://", "http://:80/",
          "http://host:/", "http://host:0/", "http://host:65536/", "http://host:80x/",
          "http://ho st/", "http://host/a b", "http://host/\r\nX: y", "http://host:-1/"}) {
        std::string error;
        EXPECT_FALSE(kit::parse_url(text, error)) << "accepted '" << text << "'";
        EXPECT_FALSE(error.empty()) << "no reason given for '" << text << "'";
    }
}

TEST(Url, SaysWhyHttpsIsRefused) {
    std::string error;
    EXPECT_FALSE(kit::parse_url("https://example.com/", error));
    EXPECT_NE(error.find("https"), std::string::npos) << error;
}

}  // namespace
