// aggregate: the first source text's fetch, inside the second's service.
//
// GET /aggregate?url=U1&url=U2... fetches every URL with the kit's own
// fetch client (stage 2's LoopFetch, with stage 5's timeouts per
// connection) on the service's own loop, the one every client's
// connection lives on (CppCMS's get_io_service()). No thread is added: the
// upstream connections are watched by the same loop as the clients', and
// the application answers when every upstream is done, or failed, or the
// deadline has passed, with each one's outcome as JSON:
//
//     {"ms": 812, "upstreams": [
//       {"url": "http://127.0.0.1:4001/", "ok": true, "status": 200,
//        "bytes": 1000, "body": "abcd..."},
//       {"url": "http://127.0.0.1:4002/", "ok": false, "error": "idle-timeout"}]}
//
// Meanwhile every other client is served, since nothing here waits. A
// client that leaves before the answer ends its upstream connections at
// once. Lesson: lessons/08-async.md, "The full circle: fetching inside the service".
//
// Interface rules: the application runs on the loop thread.
#pragma once

#include "clock.hpp"
#include "mount.hpp"

#include <cstddef>

namespace kit {

/// The aggregator's limits.
struct AggregateOptions {
    /// The whole request: unfinished upstreams fail as `timeout` after this.
    Clock::duration deadline = std::chrono::seconds(5);
    /// Each upstream's connect, and its silence once connected
    /// (`connect-timeout`, `idle-timeout`).
    Clock::duration per_upstream = std::chrono::seconds(2);
    /// The most url= parameters one request may carry.
    std::size_t most_upstreams = 16;
    /// The most bytes of each upstream's body quoted in the answer.
    std::size_t body_excerpt = 256;
};

/// GET /aggregate: the application (see the file comment); 400 for no
/// url=, too many, or one that is not an http:// URL with a numeric IPv4
/// host (a name would be resolved, blocking, in the loop).
AsyncApp aggregate_app(AggregateOptions options);

}  // namespace kit
