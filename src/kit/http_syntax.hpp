// The pieces of HTTP/1.1 syntax that requests and responses share: tokens,
// field lines, Content-Length and comma-separated lists (RFC 9110 §5,
// §5.6, §8.6; RFC 9112 §5, §6.3).
//
// Strict on purpose. A server and a proxy in front of it must agree on where
// one message ends and the next begins; every leniency ("5, 6" read as 5, a
// space before the colon, a "+5") is a place where two parsers can disagree,
// which is how request smuggling works. Lesson 7 reads this file next to the
// request parser (request_parser.hpp).
//
// Interface rules: pure functions of their arguments, callable from any
// thread; every string_view they return points into the argument.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace kit {

/// Whether @p c may appear in a token (`tchar`, RFC 9110 §5.6.2): letters,
/// digits and ``!#$%&'*+-.^_`|~``.
bool is_tchar(char c);

/// Whether @p text is a token: one or more tchars. Methods and field names are tokens.
bool is_token(std::string_view text);

/// Whether @p a and @p b are equal, ignoring ASCII case (field names, tokens in lists).
bool equals_nocase(std::string_view a, std::string_view b);

/// A field line split into its name and its value, as views into the line.
struct FieldLine {
    std::string_view name;   ///< A token, exactly as received.
    std::string_view value;  ///< Without the whitespace around it; may be empty.
};

/// Splits one field line (`name: value`, without its CRLF) per RFC 9112 §5.
/// The name must be a token followed at once by the colon (whitespace there is
/// an error a server must reject); the value may hold visible characters,
/// spaces, tabs and bytes from 0x80 on, but no other control character: a CR,
/// LF or NUL inside a value is how header injection gets through.
/// @return the name and trimmed value, or std::nullopt if the line is malformed
///         (this also rejects an obsolete folded line, which starts with whitespace).
std::optional<FieldLine> parse_field_line(std::string_view line);

/// Reads a Content-Length value (RFC 9110 §8.6): decimal digits only, or a
/// list of equal ones (`5, 5`, the result of a duplicated field line). No
/// sign, no hexadecimal, no empty element. A number too large for 64 bits
/// saturates to UINT64_MAX, so it is still "more than any limit", never wrapped.
/// @return the length, or std::nullopt if the value is malformed or lists different numbers.
std::optional<std::uint64_t> parse_content_length(std::string_view value);

/// Whether the comma-separated @p list (a Connection value, say) holds
/// @p token, ignoring case and the whitespace around elements.
bool list_has_token(std::string_view list, std::string_view token);

}  // namespace kit
