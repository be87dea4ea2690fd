// Url: the one URL form the kit's fetch programs accept.
//
// Only `http://host[:port]/path`, because the lessons are about the loop,
// not about HTTP. Anything else is a usage error with a one-line reason,
// which fetch_main() turns into exit status 2 (lesson 00, "the fetch contract").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kit {

/// A parsed `http://host[:port]/path` URL.
struct Url {
    std::string text;         ///< The URL exactly as given; reports print this.
    std::string host;         ///< Host name or dotted IPv4 address.
    std::uint16_t port = 80;  ///< TCP port, 80 when the URL names none.
    /// Request target: the path and query, always starting with '/', never
    /// the URL's fragment (the client's own business, never sent).
    std::string path = "/";
    /// The host's dotted IPv4 address once resolved elsewhere (stage 6
    /// resolves on its thread pool), so the connect need not wait for a
    /// name server; empty until then. The request still names `host`.
    std::string address;
};

/// Parses @p text as `http://host[:port]/path` (the path may be omitted;
/// a query stays in the path, a fragment is dropped from it).
/// @return the URL, or std::nullopt with a one-line reason in @p error.
std::optional<Url> parse_url(std::string_view text, std::string& error);

}  // namespace kit
