// Shared HTTP/1.1 syntax: tokens, field lines, Content-Length; see http_syntax.hpp.
#include "kit/http_syntax.hpp"

#include <algorithm>
#include <limits>

namespace kit {

namespace {

constexpr std::string_view kTcharSymbols = "!#$%&'*+-.^_`|~";

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool is_ows(char c) {
    return c == ' ' || c == '\t';
}

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// field-vchar, SP and HTAB (RFC 9110 §5.5): everything but the control
// characters 0x00-0x1F and DEL, except the tab. Bytes from 0x80 on
// (obs-text) pass: they are opaque to HTTP.
bool is_field_value_char(char c) {
    auto byte = static_cast<unsigned char>(c);
    return c == '\t' || (byte >= 0x20 && byte != 0x7f);
}

std::string_view trim_ows(std::string_view text) {
    while (!text.empty() && is_ows(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_ows(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

// 1*DIGIT, saturating at UINT64_MAX instead of wrapping.
std::optional<std::uint64_t> parse_digits(std::string_view text) {
    if (text.empty() || !std::all_of(text.begin(), text.end(), is_digit)) {
        return std::nullopt;
    }
    constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t value = 0;
    for (char c : text) {
        auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (kMax - digit) / 10) {
            return kMax;
        }
        value = value * 10 + digit;
    }
    return value;
}

}  // namespace

bool is_tchar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
           kTcharSymbols.find(c) != std::string_view::npos;
}

bool is_token(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), is_tchar);
}

bool equals_nocase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [](char x, char y) { return lower(x) == lower(y); });
}

std::optional<FieldLine> parse_field_line(std::string_view line) {
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
        return std::nullopt;
    }
    // "Host : x" fails here too: the space makes the name no token
    // (RFC 9112 §5.1 says a server MUST reject it with 400).
    std::string_view name = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    if (!is_token(name) || !std::all_of(value.begin(), value.end(), is_field_value_char)) {
        return std::nullopt;
    }
    return FieldLine{name, trim_ows(value)};
}

std::optional<std::uint64_t> parse_content_length(std::string_view value) {
    std::optional<std::uint64_t> length;
    while (true) {
        std::size_t comma = value.find(',');
        std::optional<std::uint64_t> element = parse_digits(trim_ows(value.substr(0, comma)));
        if (!element || (length && *length != *element)) {
            return std::nullopt;
        }
        length = element;
        if (comma == std::string_view::npos) {
            return length;
        }
        value.remove_prefix(comma + 1);
    }
}

bool list_has_token(std::string_view list, std::string_view token) {
    while (true) {
        std::size_t comma = list.find(',');
        if (equals_nocase(trim_ows(list.substr(0, comma)), token)) {
            return true;
        }
        if (comma == std::string_view::npos) {
            return false;
        }
        list.remove_prefix(comma + 1);
    }
}

}  // namespace kit
