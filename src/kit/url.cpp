// Parsing of `http://host[:port]/path`; see url.hpp.
#include "kit/url.hpp"

#include <charconv>

namespace kit {

namespace {

bool is_host_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
}

// Printable ASCII without space: a space or a control character would let a
// URL inject extra lines into the request we send.
bool is_path_char(char c) {
    return c > ' ' && c < 127;
}

}  // namespace

std::optional<Url> parse_url(std::string_view text, std::string& error) {
    constexpr std::string_view scheme = "http://";
    if (text.substr(0, scheme.size()) != scheme) {
        error = text.substr(0, 8) == "https://" ? "https is not supported, use http://"
                                                : "a URL must start with http://";
        return std::nullopt;
    }
    std::string_view rest = text.substr(scheme.size());
    std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    std::string_view path = rest.substr(authority.size());

    Url url;
    url.text = std::string(text);
    std::string_view host = authority.substr(0, authority.find(':'));
    if (host.empty()) {
        error = "the URL has no host";
        return std::nullopt;
    }
    for (char c : host) {
        if (!is_host_char(c)) {
            error = "the host may only contain letters, digits, '.' and '-'";
            return std::nullopt;
        }
    }
    url.host = std::string(host);

    if (host.size() < authority.size()) {
        std::string_view digits = authority.substr(host.size() + 1);
        unsigned port = 0;
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
        if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() ||
            port == 0 || port > 65535) {
            error = "the port must be a number from 1 to 65535";
            return std::nullopt;
        }
        url.port = static_cast<std::uint16_t>(port);
    }

    for (char c : path) {
        if (!is_path_char(c)) {
            error = "the path may not contain spaces or control characters";
            return std::nullopt;
        }
    }
    // The #fragment is for the client alone: it is never sent (RFC 9110 4.2.4).
    path = path.substr(0, path.find('#'));
    if (!path.empty()) {
        // Built by appending, not by `"/" + std::string(path)`: gcc 12 at
        // -O3 warns falsely (-Wrestrict) on that operator+, and -Werror
        // would stop the release build.
        url.path.clear();
        if (path.front() != '/') {
            url.path.push_back('/');
        }
        url.path.append(path);
    }
    return url;
}

}  // namespace kit
