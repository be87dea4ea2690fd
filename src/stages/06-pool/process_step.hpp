// process_body(): the blocking step the fetch program runs on every body.
//
// "Fetch the data, then save or process it": the first source text's
// example. Saving is a real blocking step: the body is written to a
// temporary file, fsync()ed (the call waits for the disk), read back and
// checksummed; then it sleeps until the step has lasted `at_least`, so
// the effect is the same size on every machine. Where it runs is the
// lesson: on the loop thread it stalls every connection; on a pool worker
// it stalls nothing. Lesson: lessons/06-pool.md, "Blocking work per target".
//
// Interface rules: any thread; no state is shared between calls.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

namespace kit {

/// Saves @p body to a temporary file (removed again), with fsync(), and
/// returns its checksum (64-bit FNV-1a of the bytes read back); takes at
/// least @p at_least. @throws std::system_error when a file call fails.
std::uint64_t process_body(std::string_view body, std::chrono::milliseconds at_least);

}  // namespace kit
