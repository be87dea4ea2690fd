// Unit tests of the shared HTTP/1.1 syntax (src/kit/http_syntax.hpp).
#include "kit/http_syntax.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace {

using namespace std::string_view_literals;

TEST(HttpSyntax, TokensAreTcharsOnly) {
    for (std::string_view token : {"GET"sv, "Content-Length"sv, "x!#$%&'*+-.^_`|~9"sv}) {
        EXPECT_TRUE(kit::is_token(token)) << token;
    }
    for (std::string_view not_token :
         {""sv, "Host "sv, "a b"sv, "a:b"sv, "(comment)"sv, "\"q\""sv, "caf\xc3\xa9"sv, "a\0b"sv}) {
        EXPECT_FALSE(kit::is_token(not_token)) << not_token;
    }
}

TEST(HttpSyntax, EqualsNocaseIgnoresAsciiCaseOnly) {
    EXPECT_TRUE(kit::equals_nocase("Content-Length", "content-LENGTH"));
    EXPECT_FALSE(kit::equals_nocase("Content-Length", "Content-Lengths"));
    EXPECT_FALSE(kit::equals_nocase("a", "\xc1"));  // 'A' + 0x80 is not 'a'
}

TEST(HttpSyntax, FieldLineSplitsNameAndTrimmedValue) {
    std::optional<kit::FieldLine> field = kit::parse_field_line("Host: \t example.org \t");
    ASSERT_TRUE(field);
    EXPECT_EQ(field->name, "Host");
    EXPECT_EQ(field->value, "example.org");

    field = kit::parse_field_line("X-Empty:");
    ASSERT_TRUE(field);
    EXPECT_EQ(field->value, "");

    field = kit::parse_field_line("X:a:b  c\t\xff");  // colons, inner spaces, obs-text
    ASSERT_TRUE(field);
    EXPECT_EQ(field->name, "X");
    EXPECT_EQ(field->value, "a:b  c\t\xff");
}

TEST(HttpSyntax, FieldLineRejectsWhatASmugglerWouldTry) {
    for (std::string_view line : {
             "Host : x"sv,     // whitespace before the colon (RFC 9112 §5.1)
             " Host: x"sv,     // an obsolete folded line
             "\tcontinued"sv,  // the same with a tab
             "no colon"sv,     //
             ": no name"sv,    //
             "X: a\rb"sv,      // a bare CR inside the value
             "X: a\0b"sv,      // NUL
             "X: a\x7f"sv,     // DEL
             "X: a\x01"sv,     // another control character
             "X\xc3\xa9: non-token"sv,
         }) {
        EXPECT_FALSE(kit::parse_field_line(line)) << line;
    }
}

TEST(HttpSyntax, ContentLengthIsDigitsOrAListOfEqualDigits) {
    EXPECT_EQ(kit::parse_content_length("0"), 0U);
    EXPECT_EQ(kit::parse_content_length("0042"), 42U);
    EXPECT_EQ(kit::parse_content_length("5, 5"), 5U);
    EXPECT_EQ(kit::parse_content_length("5,5 ,\t5"), 5U);
    for (std::string_view bad : {""sv, " "sv, "+5"sv, "-1"sv, "0x10"sv, "5 5"sv, "5,6"sv, "5,"sv,
                                 ",5"sv, "5,,5"sv, "1e3"sv, "٣"sv}) {
        EXPECT_FALSE(kit::parse_content_length(bad)) << bad;
    }
}

TEST(HttpSyntax, ContentLengthSaturatesInsteadOfWrapping) {
    constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
    EXPECT_EQ(kit::parse_content_length("18446744073709551615"), kMax);
    // 2^64 + 5 would wrap to 5 in plain 64-bit arithmetic.
    EXPECT_EQ(kit::parse_content_length("18446744073709551621"), kMax);
    EXPECT_EQ(kit::parse_content_length(std::string(400, '9')), kMax);
}

TEST(HttpSyntax, ListHasTokenFindsWholeElementsIgnoringCase) {
    EXPECT_TRUE(kit::list_has_token("close", "close"));
    EXPECT_TRUE(kit::list_has_token("Upgrade, CLOSE", "close"));
    EXPECT_TRUE(kit::list_has_token(" keep-alive ,x", "keep-alive"));
    EXPECT_FALSE(kit::list_has_token("closed", "close"));
    EXPECT_FALSE(kit::list_has_token("not-close, x", "close"));
    EXPECT_FALSE(kit::list_has_token("", "close"));
}

}  // namespace
