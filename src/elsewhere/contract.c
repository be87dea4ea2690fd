/* The fetch contract for the appendix's C and C++ programs; see contract.h.
 * The same rules as the kit's src/kit/ (lesson 00 states them), written
 * again in plain C so that no appendix program depends on the kit. */
#include "contract.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum {
    MAX_RESPONSE = 8 * 1024 * 1024, /* header and body; more is too-large */
    MAX_HEAD = 64 * 1024,           /* a longer header is bad-response */
    MAX_EVENTS_PER_TARGET = 8,      /* trace: milestones and the span */
};

struct target {
    const char* url;
    char host[256];
    unsigned port;
    char* path;
    struct sockaddr_in address;
    char* request;
    size_t request_length;
    size_t sent;
    /* the response, as it arrives */
    char* head; /* grows as the header arrives, up to MAX_HEAD + 1 bytes */
    size_t head_length, head_capacity;
    int head_complete, status;
    long long content_length; /* -1: no Content-Length */
    size_t body_bytes, received;
    /* the report and the trace */
    int finished, has_started;
    double started_ms;
    const char* milestone_names[MAX_EVENTS_PER_TARGET];
    double milestone_ms[MAX_EVENTS_PER_TARGET];
    int milestones;
    char result[64];
};

struct wait {
    double begin_ms, end_ms;
};

static struct {
    struct target* targets;
    size_t count, ok, failed;
    double timeout, connect_timeout, idle_timeout, stall;
    const char* trace_path;
    FILE* trace;
    struct timespec start;
    struct wait* waits;
    size_t wait_count, wait_capacity;
    double asleep_ms; /* < 0: not asleep */
} c = {.timeout = 10, .asleep_ms = -1};

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - c.start.tv_sec) * 1e3 + (double)(t.tv_nsec - c.start.tv_nsec) / 1e6;
}

static void usage(FILE* out, const char* description) {
    fprintf(out,
            "usage: fetch [--timeout SECONDS] [--trace FILE] [--stall SECONDS] "
            "[--connect-timeout SECONDS] [--idle-timeout SECONDS] URL...\n"
            "  %s\n"
            "  URL is http://host[:port]/path. Prints one line per target as it finishes:\n"
            "    ok URL STATUS BYTES MS | fail URL REASON MS, then: total MS ok=N fail=M\n"
            "  exit status: 0 all ok, 1 some failed, 2 usage error\n",
            description);
}

static int usage_error(const char* what, const char* detail) {
    fprintf(stderr, "fetch: %s%s (see fetch --help)\n", what, detail);
    return 2;
}

/* "0.5" -> 0.5; anything but a number of seconds in (0, 3600] -> -1. */
static double parse_seconds(const char* text) {
    char* end = NULL;
    errno = 0;
    double seconds = strtod(text, &end);
    if (text[0] == '\0' || *end != '\0' || errno != 0 || !(seconds > 0) || seconds > 3600) {
        return -1;
    }
    return seconds;
}

/* http://host[:port]/path, with the kit's rules (src/kit/url.cpp). */
static const char* parse_url(struct target* t, const char* text) {
    const char* scheme = "http://";
    if (strncmp(text, scheme, strlen(scheme)) != 0) {
        return "a URL must start with http://";
    }
    const char* host = text + strlen(scheme);
    size_t host_length = strcspn(host, ":/?#");
    if (host_length == 0 || host_length >= sizeof t->host) {
        return "the URL has no host, or a very long one";
    }
    if (strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") <
        host_length) {
        return "the host may only contain letters, digits, '.' and '-'";
    }
    memcpy(t->host, host, host_length);
    t->host[host_length] = '\0';
    const char* rest = host + host_length;
    t->port = 80;
    if (*rest == ':') {
        size_t digits = strspn(rest + 1, "0123456789");
        long port = digits > 0 && digits < 6 ? strtol(rest + 1, NULL, 10) : 0;
        if (port < 1 || port > 65535 || !strchr("/?#", rest[1 + digits])) {
            return "the port must be a number from 1 to 65535";
        }
        t->port = (unsigned)port;
        rest += 1 + digits;
    }
    for (const char* p = rest; *p; ++p) {
        if (*p <= ' ' || *p >= 127) {
            return "the path may not contain spaces or control characters";
        }
    }
    /* The fragment is the client's own; a path that is only a query gets its "/". */
    size_t length = strcspn(rest, "#");
    t->path = malloc(length + 2);
    if (t->path == NULL) {
        return "out of memory";
    }
    snprintf(t->path, length + 2, "%s%.*s", rest[0] == '/' ? "" : "/", (int)length, rest);
    t->url = text;
    return NULL;
}

static void record(struct target* t, const char* name) {
    double at = now_ms();
    if (!t->has_started) {
        t->has_started = 1;
        t->started_ms = at;
    }
    if (t->milestones < MAX_EVENTS_PER_TARGET) {
        t->milestone_names[t->milestones] = name;
        t->milestone_ms[t->milestones++] = at;
    }
}

static void finish(size_t target, int ok, const char* reason) {
    struct target* t = &c.targets[target];
    if (t->finished) {
        return;
    }
    t->finished = 1;
    record(t, ok ? "done" : "failed");
    double at = t->milestone_ms[t->milestones - 1];
    if (ok) {
        ++c.ok;
        snprintf(t->result, sizeof t->result, "ok %d %zu", t->status, t->body_bytes);
        printf("ok %s %d %zu %lld\n", t->url, t->status, t->body_bytes, (long long)at);
    } else {
        ++c.failed;
        snprintf(t->result, sizeof t->result, "fail %s", reason);
        printf("fail %s %s %lld\n", t->url, reason, (long long)at);
    }
    fflush(stdout); /* a reader sees targets finish as they do */
}

static void on_interrupt(int signal_number) {
    (void)signal_number; /* only to make blocked calls return EINTR */
}

int contract_start(int argc, char** argv, const char* description) {
    /* A peer that closes while we send is a `reset`, not a dead process. */
    signal(SIGPIPE, SIG_IGN);
    /* The stage-1 tests send SIGUSR1 to check that EINTR is survived; the
     * programs also watch it in their library's way, which replaces this. */
    struct sigaction interrupt;
    memset(&interrupt, 0, sizeof interrupt);
    interrupt.sa_handler = on_interrupt;
    sigaction(SIGUSR1, &interrupt, NULL);

    c.targets = calloc((size_t)argc, sizeof *c.targets);
    if (c.targets == NULL) {
        return usage_error("out of memory", "");
    }
    for (int i = 1; i < argc; ++i) {
        char name[32] = "";
        const char* arg = argv[i];
        const char* value = NULL;
        const char* equals = strchr(arg, '=');
        if (strncmp(arg, "--", 2) == 0 && equals != NULL && (size_t)(equals - arg) < sizeof name) {
            memcpy(name, arg, (size_t)(equals - arg));
            arg = name;
            value = equals + 1;
        }
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            usage(stdout, description);
            return 0;
        }
        double* seconds = strcmp(arg, "--timeout") == 0           ? &c.timeout
                          : strcmp(arg, "--connect-timeout") == 0 ? &c.connect_timeout
                          : strcmp(arg, "--idle-timeout") == 0    ? &c.idle_timeout
                          : strcmp(arg, "--stall") == 0           ? &c.stall
                                                                  : NULL;
        if (seconds != NULL || strcmp(arg, "--trace") == 0) {
            if (value == NULL && i + 1 < argc) {
                value = argv[++i];
            }
            if (value == NULL || value[0] == '\0') {
                return usage_error(arg, " needs a value");
            }
            if (seconds != NULL && (*seconds = parse_seconds(value)) < 0) {
                return usage_error(arg, " needs a number of seconds, more than 0 and at most 3600");
            }
            if (seconds == NULL) {
                c.trace_path = value;
            }
        } else if (arg[0] == '-') {
            return usage_error("unknown option ", arg);
        } else {
            const char* why = parse_url(&c.targets[c.count], arg);
            if (why != NULL) {
                return usage_error("bad URL: ", why);
            }
            ++c.count;
        }
    }
    if (c.count == 0) {
        return usage_error("no URL given", "");
    }
    if (c.trace_path != NULL && (c.trace = fopen(c.trace_path, "w")) == NULL) {
        return usage_error("cannot write the trace file ", c.trace_path);
    }

    clock_gettime(CLOCK_MONOTONIC, &c.start);
    for (size_t i = 0; i < c.count; ++i) {
        struct target* t = &c.targets[i];
        t->content_length = -1;
        /* Blocking getaddrinfo, as the kit does: an IP or a name in
         * /etc/hosts answers at once. (libuv's uv_getaddrinfo and Asio's
         * async_resolve would run it on a thread of their own: stage 6.) */
        struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
        struct addrinfo* found = NULL;
        if (getaddrinfo(t->host, NULL, &hints, &found) != 0 || found == NULL) {
            finish(i, 0, "resolve");
            continue;
        }
        memcpy(&t->address, found->ai_addr, sizeof t->address);
        freeaddrinfo(found);
        t->address.sin_port = htons((uint16_t)t->port);
        char port_text[8] = "";
        if (t->port != 80) { /* Host: names the port unless it is the default */
            snprintf(port_text, sizeof port_text, ":%u", t->port);
        }
        size_t size = strlen(t->path) + strlen(t->host) + 64;
        t->request = malloc(size);
        if (t->request == NULL) {
            finish(i, 0, "io");
            continue;
        }
        t->request_length = (size_t)snprintf(
            t->request, size, "GET %s HTTP/1.0\r\nHost: %s%s\r\nConnection: close\r\n\r\n", t->path,
            t->host, port_text);
    }
    return -1;
}

size_t contract_targets(void) {
    return c.count;
}
double contract_timeout(void) {
    return c.timeout;
}
double contract_connect_timeout(void) {
    return c.connect_timeout;
}
double contract_idle_timeout(void) {
    return c.idle_timeout;
}

const struct sockaddr_in* contract_address(size_t target) {
    return &c.targets[target].address;
}

const char* contract_request(size_t target, size_t* length) {
    *length = c.targets[target].request_length;
    return c.targets[target].request;
}

void contract_milestone(size_t target, const char* name) {
    record(&c.targets[target], name);
}

/* "HTTP/1.x NNN" and Content-Length from the complete header; 0 if bad. */
static int parse_head(struct target* t) {
    const char* h = t->head;
    if (strncmp(h, "HTTP/1.0 ", 9) != 0 && strncmp(h, "HTTP/1.1 ", 9) != 0) {
        return 0;
    }
    if (strspn(h + 9, "0123456789") != 3 || (h[12] != ' ' && h[12] != '\r')) {
        return 0;
    }
    t->status = atoi(h + 9);
    if (t->status < 100 || t->status > 599 || t->status == 101) {
        return 0; /* 101: a switch of protocols nobody asked for */
    }
    t->content_length = -1;
    for (const char* line = strstr(h, "\r\n"); line != NULL; line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, "content-length:", 15) == 0) {
            const char* value = line + 17 + strspn(line + 17, " \t");
            size_t digits = strspn(value, "0123456789");
            const char* rest = value + digits + strspn(value + digits, " \t");
            long long length = atoll(value);
            if (digits == 0 || digits > 15 || (*rest != '\r' && *rest != '\0') ||
                (t->content_length >= 0 && t->content_length != length)) {
                return 0; /* junk, a list, or two that disagree */
            }
            t->content_length = length;
        }
    }
    return 1;
}

int contract_received(size_t target, const char* bytes, size_t count);

/* After an interim head: feeds the @p kept bytes that followed it (now at
 * the start of t->head) again, as if they had just arrived. */
static int contract_received_more(size_t target, struct target* t, size_t kept, size_t untaken) {
    char* copy = malloc(kept + 1);
    if (copy == NULL) {
        finish(target, 0, "io");
        return 1;
    }
    memcpy(copy, t->head, kept);
    t->received -= kept;
    int finished = kept > 0 ? contract_received(target, copy, kept) : 0;
    free(copy);
    if (!finished && t->head_complete) {
        t->body_bytes += untaken;
    }
    return finished;
}

int contract_received(size_t target, const char* bytes, size_t count) {
    struct target* t = &c.targets[target];
    if (t->finished) {
        return 1;
    }
    if (target == 0 && c.stall > 0) {
        /* The --stall demo: a handler that blocks stalls every connection. */
        double whole = floor(c.stall);
        struct timespec pause = {(time_t)whole, (long)((c.stall - whole) * 1e9)};
        c.stall = 0;
        while (nanosleep(&pause, &pause) != 0 && errno == EINTR) {
        }
    }
    if (t->received == 0) {
        record(t, "first-byte");
    }
    t->received += count;
    if (t->received > MAX_RESPONSE) {
        finish(target, 0, "too-large");
        return 1;
    }
    if (t->head_complete) {
        t->body_bytes += count;
        return 0;
    }
    size_t room = MAX_HEAD + 1 - t->head_length; /* one byte over the limit tells */
    size_t take = count < room ? count : room;
    if (t->head_length + take + 1 > t->head_capacity) {
        size_t capacity = t->head_capacity ? t->head_capacity : 1024;
        while (capacity < t->head_length + take + 1) {
            capacity *= 2;
        }
        char* bigger = realloc(t->head, capacity);
        if (bigger == NULL) {
            finish(target, 0, "io");
            return 1;
        }
        t->head = bigger;
        t->head_capacity = capacity;
    }
    memcpy(t->head + t->head_length, bytes, take);
    t->head_length += take;
    t->head[t->head_length] = '\0';
    char* end = strstr(t->head, "\r\n\r\n");
    if (end == NULL) {
        if (t->head_length > MAX_HEAD) {
            finish(target, 0, "bad-response");
            return 1;
        }
        return 0;
    }
    size_t head_bytes = (size_t)(end - t->head) + 4;
    end[2] = '\0'; /* keep the last header line's CRLF */
    if (!parse_head(t)) {
        finish(target, 0, "bad-response");
        return 1;
    }
    size_t after = t->head_length - head_bytes;
    if (t->status < 200) { /* an interim answer (100 Continue): the real head follows */
        memmove(t->head, t->head + head_bytes, after);
        t->head_length = 0;
        return contract_received_more(target, t, after, count - take);
    }
    t->head_complete = 1;
    t->body_bytes = after + (count - take);
    return 0;
}

void contract_eof(size_t target) {
    struct target* t = &c.targets[target];
    /* EOF before the header ended, or short of Content-Length: the server
     * closed early, and what we hold is not a whole response. */
    int whole =
        t->head_complete && (t->content_length < 0 || (size_t)t->content_length == t->body_bytes);
    finish(target, whole, "bad-response");
}

void contract_fail(size_t target, const char* reason) {
    finish(target, 0, reason);
}

const char* contract_reason(int error) {
    switch (error) {
        case ECONNREFUSED:
            return "refused";
        case ECONNRESET:
        case EPIPE:
            return "reset";
        case ETIMEDOUT:
            return "timeout";
        case EMFILE:
        case ENFILE:
            return "fd-limit";
        default:
            return "io";
    }
}

int contract_finished(size_t target) {
    return c.targets[target].finished;
}

int contract_all_finished(void) {
    return c.ok + c.failed == c.count;
}

void contract_asleep(void) {
    c.asleep_ms = now_ms();
}

void contract_awake(void) {
    if (c.asleep_ms < 0 || c.trace == NULL) {
        return;
    }
    if (c.wait_count == c.wait_capacity) {
        size_t capacity = c.wait_capacity ? 2 * c.wait_capacity : 256;
        struct wait* more = realloc(c.waits, capacity * sizeof *more);
        if (more == NULL) {
            return; /* a trace without its later waits, not a failed run */
        }
        c.waits = more;
        c.wait_capacity = capacity;
    }
    c.waits[c.wait_count++] = (struct wait){c.asleep_ms, now_ms()};
    c.asleep_ms = -1;
}

int contract_connect(size_t target) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || fcntl(fd, F_SETFL, O_NONBLOCK) != 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
        int error = errno;
        if (fd >= 0) {
            close(fd);
        }
        finish(target, 0, contract_reason(error));
        return -1;
    }
    record(&c.targets[target], "connect-start");
    const struct sockaddr_in* a = &c.targets[target].address;
    if (connect(fd, (const struct sockaddr*)a, sizeof *a) != 0 && errno != EINPROGRESS) {
        finish(target, 0, contract_reason(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int contract_connected(size_t target, int fd) {
    int error = 0;
    socklen_t size = sizeof error;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0) {
        error = errno;
    }
    if (error != 0) {
        finish(target, 0, contract_reason(error));
        return 0;
    }
    record(&c.targets[target], "connected");
    return 1;
}

int contract_send(size_t target, int fd) {
    struct target* t = &c.targets[target];
    while (t->sent < t->request_length) {
        ssize_t n = send(fd, t->request + t->sent, t->request_length - t->sent, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 0;
        }
        if (n < 0) {
            finish(target, 0, contract_reason(errno));
            return -1;
        }
        t->sent += (size_t)n;
    }
    record(t, "request-sent");
    return 1;
}

int contract_read(size_t target, int fd) {
    char buffer[16 * 1024];
    ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) {
        return 0;
    }
    if (n < 0) {
        finish(target, 0, contract_reason(errno));
        return 1;
    }
    if (n == 0) {
        contract_eof(target);
        return 1;
    }
    return contract_received(target, buffer, (size_t)n);
}

/* @p text as the contents of a JSON string: a URL's path may hold '"' or '\\'. */
static void put_json(FILE* f, const char* text) {
    for (; *text; ++text) {
        if (*text == '"' || *text == '\\') {
            fputc('\\', f);
        }
        fputc(*text, f);
    }
}

static void write_trace(void) {
    FILE* f = c.trace;
    fprintf(f, "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n");
    fprintf(f,
            "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":0,"
            "\"args\":{\"name\":\"loop\"}}");
    for (size_t i = 0; i < c.count; ++i) {
        struct target* t = &c.targets[i];
        fprintf(f,
                ",\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":%zu,"
                "\"args\":{\"name\":\"",
                i + 1);
        put_json(f, t->url);
        fputs("\"}}", f);
        for (int m = 0; m < t->milestones; ++m) {
            fprintf(f,
                    ",\n{\"ph\":\"i\",\"cat\":\"milestone\",\"name\":\"%s\",\"pid\":1,"
                    "\"tid\":%zu,\"ts\":%.0f,\"s\":\"t\",\"args\":{}}",
                    t->milestone_names[m], i + 1, t->milestone_ms[m] * 1e3);
        }
        double end = t->milestones ? t->milestone_ms[t->milestones - 1] : 0;
        fputs(",\n{\"ph\":\"X\",\"cat\":\"target\",\"name\":\"", f);
        put_json(f, t->url);
        fprintf(f,
                "\",\"pid\":1,\"tid\":%zu,\"ts\":%.0f,\"dur\":%.0f,\"args\":{\"result\":\"%s\"}}",
                i + 1, t->started_ms * 1e3, (end - t->started_ms) * 1e3, t->result);
    }
    for (size_t w = 0; w < c.wait_count; ++w) {
        fprintf(f,
                ",\n{\"ph\":\"X\",\"cat\":\"loop\",\"name\":\"wait\",\"pid\":1,\"tid\":0,"
                "\"ts\":%.0f,\"dur\":%.0f,\"args\":{}}",
                c.waits[w].begin_ms * 1e3, (c.waits[w].end_ms - c.waits[w].begin_ms) * 1e3);
    }
    fprintf(f, "\n]}\n");
}

int contract_end(void) {
    if (!contract_all_finished()) {
        fprintf(stderr, "fetch: internal error: the loop ended with targets unfinished\n");
        return 1;
    }
    printf("total %lld ok=%zu fail=%zu\n", (long long)now_ms(), c.ok, c.failed);
    fflush(stdout);
    int status = c.failed == 0 ? 0 : 1;
    if (c.trace != NULL) {
        write_trace();
        if (fclose(c.trace) != 0) {
            fprintf(stderr, "fetch: could not write the trace file %s\n", c.trace_path);
            status = 1;
        }
    }
    for (size_t i = 0; i < c.count; ++i) {
        free(c.targets[i].request);
        free(c.targets[i].head);
        free(c.targets[i].path);
    }
    free(c.targets);
    free(c.waits);
    return status;
}
