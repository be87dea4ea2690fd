/* contract.h: the fetch contract, once, for the C and C++ programs of the
 * appendix (lessons/appendix-elsewhere.md): fetch_libev.c, fetch_libuv.c
 * and fetch_asio.cpp.
 *
 * It is the part of stage 5's program that is not about the event loop:
 * the command line, the URLs, the HTTP check, the report lines, the trace
 * and the exit status, so that each program shows only its library's
 * idiom. It does not use the kit (src/kit/): the appendix programs stand
 * alone, as a reader of libev or libuv would write them.
 *
 *     fetch-X [--timeout S] [--connect-timeout S] [--idle-timeout S]
 *             [--stall S] [--trace FILE] URL...
 *
 * Interface rules: one thread (the loop's) calls everything; targets are
 * numbered 0 .. contract_targets()-1 in command-line order; each target is
 * finished exactly once (contract_fail, contract_eof, or a failing
 * contract_received/contract_read), later calls for it are ignored. */
#ifndef ELSEWHERE_CONTRACT_H
#define ELSEWHERE_CONTRACT_H

#include <netinet/in.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Parses the command line, ignores SIGPIPE, starts the clock and resolves
 * every host (an unresolvable one is finished as `resolve` at once).
 * Returns -1 to go on, or the exit status for main() (0 after --help,
 * 2 after a usage error, which printed one line on stderr). */
int contract_start(int argc, char** argv, const char* description);

/* Prints the total line, writes the trace; returns main()'s exit status. */
int contract_end(void);

size_t contract_targets(void);
double contract_timeout(void);         /* --timeout, seconds (10 by default) */
double contract_connect_timeout(void); /* --connect-timeout, 0 when not given */
double contract_idle_timeout(void);    /* --idle-timeout, 0 when not given */

/* The target's address; call only while it is unfinished. */
const struct sockaddr_in* contract_address(size_t target);
/* The GET request to send, and its length in *length. */
const char* contract_request(size_t target, size_t* length);

/* "connect-start", "connected", "request-sent" (first-byte and done/failed
 * are recorded by contract_received and the finishers). */
void contract_milestone(size_t target, const char* name);

/* Takes bytes of the response; returns 1 when that finished the target
 * (too-large, bad-response). The --stall demo sleeps here, in the handler,
 * once, on target 0's first bytes. */
int contract_received(size_t target, const char* bytes, size_t count);
/* The server closed: ok, or bad-response if the response is not whole. */
void contract_eof(size_t target);
/* Fails the target with a REASON of the contract ("timeout", ...). */
void contract_fail(size_t target, const char* reason);
/* The REASON for an errno value (ECONNREFUSED -> "refused", ...). */
const char* contract_reason(int error);
int contract_finished(size_t target);
int contract_all_finished(void);

/* The trace's `wait` events: call asleep just before the library blocks,
 * awake just after (or, where the library has no such hook, at the end
 * and start of every handler). */
void contract_asleep(void);
void contract_awake(void);

/* Non-blocking socket steps, for the programs that are handed readiness
 * (libev): each returns what happened and finishes the target on failure.
 * contract_connect returns the connecting socket, or -1 (finished). */
int contract_connect(size_t target);
/* The socket turned writable while connecting: 1 connected, 0 finished. */
int contract_connected(size_t target, int fd);
/* Writes what the socket takes: 1 all sent, 0 not yet, -1 finished. */
int contract_send(size_t target, int fd);
/* Reads once: 1 when the target is finished (EOF, error), else 0. */
int contract_read(size_t target, int fd);

#ifdef __cplusplus
}
#endif

#endif
