// The aggregator; see aggregate.hpp. Lesson: lessons/08-async.md,
// "The full circle: fetching inside the service".
#include "aggregate.hpp"

#include "connection_timers.hpp"
#include "fetch_on_loop.hpp"
#include "responder.hpp"
#include "service.hpp"
#include "stage3_backends.hpp"

#include "kit/fetch_log.hpp"
#include "kit/url.hpp"

#include <nlohmann/json.hpp>

#include <arpa/inet.h>

#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kit {

namespace {

using nlohmann::json;

Response json_response(int status, const json& body) {
    return {.status = status,
            .content_type = "application/json",
            .fields = {{"Cache-Control", "no-store"}},
            .body = body.dump(-1, ' ', false, json::error_handler_t::replace)};
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

// A query value with its %XX escapes (and '+' for a space) decoded, or
// std::nullopt for a broken escape.
std::optional<std::string> percent_decoded(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '+') {
            out += ' ';
        } else if (text[i] != '%') {
            out += text[i];
        } else if (i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 &&
                   hex_digit(text[i + 2]) >= 0) {
            out += static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
            i += 2;
        } else {
            return std::nullopt;
        }
    }
    return out;
}

// Every url= value of @p target's query, decoded.
std::vector<std::optional<std::string>> url_parameters(std::string_view target) {
    std::vector<std::optional<std::string>> values;
    const std::size_t question = target.find('?');
    if (question == std::string_view::npos) {
        return values;
    }
    std::string_view query = target.substr(question + 1);
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        if (pair.starts_with("url=")) {
            values.push_back(percent_decoded(pair.substr(4)));
        }
        if (amp == std::string_view::npos) {
            break;
        }
        query.remove_prefix(amp + 1);
    }
    return values;
}

// One /aggregate request in flight: its fetch client, its timers, and the
// Responder to answer through. It keeps itself alive (keep_) until it has
// answered, and is destroyed one loop turn later, off the LoopFetch's stack.
class Aggregation : public std::enable_shared_from_this<Aggregation> {
public:
    Aggregation(Responder responder, std::vector<Url> targets, const AggregateOptions& limits)
        : responder_(std::move(responder)),
          service_(responder_.service()),
          limits_(limits),
          options_{
              .targets = std::move(targets),
              .connect_timeout = std::chrono::ceil<std::chrono::milliseconds>(limits.per_upstream),
              .idle_timeout = std::chrono::ceil<std::chrono::milliseconds>(limits.per_upstream)},
          log_(options_.targets, report_, false),
          guards_(service_.timers(), options_),
          fetch_(service_.loop(), log_, reads_for_backend(service_.loop().backend_name()), hooks()),
          began_(Clock::now()) {
        guards_.fail_through(fetch_);
    }

    void start() {
        keep_ = shared_from_this();
        // A client that leaves takes its upstream connections with it.
        responder_.on_disconnect([this] {
            responder_.close();
            fetch_.fail_unfinished(Reason::io);
        });
        deadline_ = service_.timers().after(limits_.deadline,
                                            [this] { fetch_.fail_unfinished(Reason::timeout); });
        for (const Url& url : options_.targets) {
            if (answered_) {
                break;  // the client went away meanwhile
            }
            fetch_.start(url);  // may finish at once: refused, say
        }
    }

private:
    FetchHooks hooks() {
        FetchHooks hooks = guards_.hooks();
        hooks.all_finished = [this] { answer(); };
        return hooks;
    }

    // Every upstream is finished: answer with each outcome.
    void answer() {
        answered_ = true;
        service_.timers().cancel(deadline_);
        json upstreams = json::array();
        for (std::size_t target = 0; target < options_.targets.size(); ++target) {
            const Outcome outcome = log_.outcome(target).value_or(Outcome::failure(Reason::io));
            json one{{"url", options_.targets[target].text}, {"ok", outcome.ok}};
            if (outcome.ok) {
                const std::string_view body = fetch_.connection(target).response().body();
                one["status"] = outcome.status;
                one["bytes"] = outcome.body_bytes;
                one["body"] = std::string(body.substr(0, limits_.body_excerpt));
            } else {
                one["error"] = std::string(to_string(outcome.reason));
            }
            upstreams.push_back(std::move(one));
        }
        const auto ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - began_).count();
        responder_.respond(json_response(200, json{{"ms", ms}, {"upstreams", upstreams}}));
        // We may be deep inside fetch_ (its last target just finished):
        // let go of ourselves on the next turn of the loop, not here.
        service_.post([self = std::move(keep_)] {});
    }

    Responder responder_;
    Service& service_;
    const AggregateOptions limits_;
    FetchOptions options_;
    std::ostringstream report_;  // the fetch contract's report lines, unused
    FetchLog log_;
    ConnectionTimers guards_;
    LoopFetch fetch_;
    Clock::time_point began_;
    TimerId deadline_;
    bool answered_ = false;
    std::shared_ptr<Aggregation> keep_;
};

}  // namespace

AsyncApp aggregate_app(AggregateOptions options) {
    return [options](const Request& request, Responder responder) {
        auto refuse = [&responder](const std::string& why) {
            responder.respond(json_response(400, json{{"error", why}}));
        };
        std::vector<std::optional<std::string>> texts = url_parameters(request.target);
        if (texts.empty()) {
            return refuse("give one or more url= parameters");
        }
        if (texts.size() > options.most_upstreams) {
            return refuse("at most " + std::to_string(options.most_upstreams) + " url= parameters");
        }
        std::vector<Url> targets;
        for (const std::optional<std::string>& text : texts) {
            std::string error;
            std::optional<Url> url = text ? parse_url(*text, error) : std::nullopt;
            if (!url) {
                return refuse(text ? "bad url '" + *text + "': " + error
                                   : std::string("a url= parameter has a broken %-escape"));
            }
            // A name would be resolved by getaddrinfo() in the loop thread,
            // which may block for seconds (stage 6 resolves on the pool).
            in_addr numeric{};
            if (::inet_pton(AF_INET, url->host.c_str(), &numeric) != 1) {
                return refuse("bad url '" + *text +
                              "': give a numeric IPv4 address (resolving a name would block the "
                              "loop)");
            }
            targets.push_back(std::move(*url));
        }
        std::make_shared<Aggregation>(std::move(responder), std::move(targets), options)->start();
    };
}

}  // namespace kit
