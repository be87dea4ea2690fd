// The sample applications: the lesson's cast.
//
// - hello: "hello\n" at once. Quick enough for the loop (asynchronous);
//   `--hello-on pool` mounts it synchronous, to measure the pool's cost.
// - slow: sleeps ?ms=N milliseconds, a blocking database call's stand-in.
//   Synchronous; `--slow-on loop` mounts it asynchronous on purpose: then it
//   sleeps in the loop, and every other client waits.
// - sum: the integers of a POST body, added up (a body read in the loop).
// - files: a file under a root directory; `..` and anything outside the
//   root is refused (403), a missing file is 404. Synchronous: open() and
//   read() of a disk may block.
// - stats: the service's counters (asynchronous: they live in the loop).
// Lesson: lessons/07-serve.md, "The cast".
//
// Interface rules: the SyncApps may run on any worker, several at once.
#pragma once

#include "mount.hpp"
#include "service.hpp"

#include <chrono>
#include <string>

namespace kit {

/// /hello: a constant greeting.
Response hello_app(const Request& request);

/// /slow?ms=N: sleeps N ms (at most @p most), then says so; 400 for a bad N.
SyncApp slow_app(std::chrono::milliseconds most);

/// /sum: the sum of the whitespace-separated integers in the body; 400 if
/// the body is anything else.
Response sum_app(const Request& request);

/// /files/PATH: the file PATH under @p root (a directory).
SyncApp files_app(std::string root);

/// /stats: @p service's counters as JSON, answered in the loop.
AsyncApp stats_app();

}  // namespace kit
