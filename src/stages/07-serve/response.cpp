// Responses on the wire; see response.hpp.
#include "response.hpp"

namespace kit {

Response text_response(int status, std::string body) {
    return {.status = status, .body = std::move(body)};
}

std::string_view reason_phrase(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 202:
            return "Accepted";
        case 204:
            return "No Content";
        case 400:
            return "Bad Request";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 408:
            return "Request Timeout";
        case 413:
            return "Content Too Large";
        case 414:
            return "URI Too Long";
        case 415:
            return "Unsupported Media Type";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 501:
            return "Not Implemented";
        case 503:
            return "Service Unavailable";
        case 505:
            return "HTTP Version Not Supported";
        default:
            return "Unknown";
    }
}

std::string serialize(const Response& response, bool keep_alive, bool head_only) {
    std::string out;
    out.reserve(128 + (head_only ? 0 : response.body.size()));
    out += "HTTP/1.1 ";
    out += std::to_string(response.status);
    out += ' ';
    out += reason_phrase(response.status);
    // A 204 has no content, so neither a type nor a length (RFC 9110
    // §8.6: a server must not send Content-Length in a 204).
    const bool no_content = response.status == 204;
    if (!no_content) {
        out += "\r\nContent-Type: ";
        out += response.content_type;
    }
    for (const auto& [name, value] : response.fields) {
        out += "\r\n";
        out += name;
        out += ": ";
        out += value;
    }
    if (!no_content) {
        out += "\r\nContent-Length: ";
        out += std::to_string(response.body.size());
    }
    if (!keep_alive) {
        out += "\r\nConnection: close";
    }
    out += "\r\n\r\n";
    if (!head_only && !no_content) {
        out += response.body;
    }
    return out;
}

}  // namespace kit
