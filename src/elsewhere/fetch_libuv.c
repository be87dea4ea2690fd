/* Stage 5's fetch in libuv (C): the appendix, lessons/appendix-elsewhere.md.
 *
 * libuv does the I/O for us, where the kit and libev only say "ready":
 * handles are long-lived objects (a uv_tcp_t per connection, uv_timer_t
 * for the deadlines), requests are one operation each (uv_connect_t,
 * uv_write_t), and a callback says how the operation ended. Reading is
 * a stream: uv_read_start calls us with each chunk and UV_EOF at the end.
 * A handle is closed with uv_close, which finishes on a later turn of the
 * loop (its pending requests get UV_ECANCELED); uv_run returns by itself
 * when no handle is left active. uv_prepare and uv_check run just before
 * and after the loop blocks; here they time the trace's waits. One thread:
 * we never call uv_getaddrinfo or uv_queue_work, which use libuv's pool. */
#include "contract.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <uv.h>

struct connection {
    uv_tcp_t tcp;
    uv_connect_t connect;
    uv_write_t write;
    uv_timer_t connect_timer;
    uv_timer_t idle_timer;
    size_t target;
    int open; /* handles initialized and not yet closed */
};

static uv_loop_t* loop;
static struct connection* connections;
static uv_timer_t deadline;
static uv_signal_t usr1;
static uv_prepare_t prepare;
static uv_check_t check;

/* The last target finished: close the loop's own handles, and uv_run ends. */
static void stop_when_done(void) {
    if (contract_all_finished() && !uv_is_closing((uv_handle_t*)&deadline)) {
        uv_close((uv_handle_t*)&deadline, NULL);
        uv_close((uv_handle_t*)&usr1, NULL);
        uv_close((uv_handle_t*)&prepare, NULL);
        uv_close((uv_handle_t*)&check, NULL);
    }
}

/* Every way a target ends comes here: close its handles (later, by libuv). */
static void close_connection(struct connection* c) {
    if (c->open) {
        c->open = 0;
        uv_close((uv_handle_t*)&c->tcp, NULL);
        uv_close((uv_handle_t*)&c->connect_timer, NULL);
        uv_close((uv_handle_t*)&c->idle_timer, NULL);
    }
    stop_when_done();
}

static void fail(struct connection* c, const char* reason) {
    contract_fail(c->target, reason);
    close_connection(c);
}

static void on_idle_timeout(uv_timer_t* timer) {
    fail(timer->data, "idle-timeout");
}

static void on_connect_timeout(uv_timer_t* timer) {
    fail(timer->data, "connect-timeout");
}

/* One buffer for every read: the callback consumes it before the next. */
static void allocate(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) {
    static char buffer[16 * 1024];
    (void)handle, (void)suggested;
    *buf = uv_buf_init(buffer, sizeof buffer);
}

/* The error a socket holds and no read has taken yet (0: none). */
static int pending_error(struct connection* c) {
    uv_os_fd_t fd;
    int error = 0;
    socklen_t size = sizeof error;
    if (uv_fileno((uv_handle_t*)&c->tcp, &fd) != 0 ||
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0) {
        return 0;
    }
    return error;
}

static void on_read(uv_stream_t* stream, ssize_t count, const uv_buf_t* buf) {
    struct connection* c = stream->data;
    if (count == UV_EOF) {
        /* libuv says UV_EOF for a hang-up (POLLHUP) that follows a short
         * read, without reading on (src/unix/stream.c, uv__stream_io): a
         * reset then looks like an end. The socket still holds the error. */
        int error = pending_error(c);
        if (error != 0) {
            return fail(c, contract_reason(error));
        }
        contract_eof(c->target);
        return close_connection(c);
    }
    if (count < 0) {
        return fail(c, contract_reason((int)-count)); /* libuv's codes are -errno */
    }
    if (contract_idle_timeout() > 0) { /* restarting an active timer moves it */
        uv_timer_start(&c->idle_timer, on_idle_timeout, (uint64_t)(contract_idle_timeout() * 1e3),
                       0);
    }
    if (count > 0 && contract_received(c->target, buf->base, (size_t)count)) {
        close_connection(c);
    }
}

static void on_written(uv_write_t* request, int status) {
    struct connection* c = request->data;
    if (status == UV_ECANCELED) {
        return; /* closed meanwhile: the target has finished already */
    }
    if (status < 0) {
        return fail(c, contract_reason(-status));
    }
    contract_milestone(c->target, "request-sent");
    uv_read_start((uv_stream_t*)&c->tcp, allocate, on_read);
}

static void on_connected(uv_connect_t* request, int status) {
    struct connection* c = request->data;
    if (status == UV_ECANCELED) {
        return;
    }
    uv_timer_stop(&c->connect_timer);
    if (status < 0) {
        return fail(c, contract_reason(-status));
    }
    contract_milestone(c->target, "connected");
    if (contract_idle_timeout() > 0) {
        uv_timer_start(&c->idle_timer, on_idle_timeout, (uint64_t)(contract_idle_timeout() * 1e3),
                       0);
    }
    size_t length = 0;
    const char* request_text = contract_request(c->target, &length);
    uv_buf_t buf = uv_buf_init((char*)request_text, (unsigned)length);
    int error = uv_write(&c->write, (uv_stream_t*)&c->tcp, &buf, 1, on_written);
    if (error < 0) {
        fail(c, contract_reason(-error));
    }
}

static void on_deadline(uv_timer_t* timer) {
    (void)timer;
    for (size_t t = 0; t < contract_targets(); ++t) {
        if (!contract_finished(t)) {
            fail(&connections[t], "timeout");
        }
    }
}

static void on_usr1(uv_signal_t* handle, int signal_number) {
    (void)handle, (void)signal_number; /* libuv retries its wait; nothing to do */
}

static void before_wait(uv_prepare_t* handle) {
    (void)handle;
    contract_asleep();
}

static void after_wait(uv_check_t* handle) {
    (void)handle;
    contract_awake();
}

static void start(struct connection* c) {
    c->tcp.data = c->connect.data = c->write.data = c;
    c->connect_timer.data = c->idle_timer.data = c;
    uv_tcp_init(loop, &c->tcp);
    uv_timer_init(loop, &c->connect_timer);
    uv_timer_init(loop, &c->idle_timer);
    c->open = 1;
    contract_milestone(c->target, "connect-start");
    int error = uv_tcp_connect(&c->connect, &c->tcp,
                               (const struct sockaddr*)contract_address(c->target), on_connected);
    if (error < 0) {
        return fail(c, contract_reason(-error));
    }
    if (contract_connect_timeout() > 0) {
        /* Timers count from the loop's cached "now" (uv_now), taken when it
         * last woke; connecting the earlier targets took time since. */
        uv_update_time(loop);
        uv_timer_start(&c->connect_timer, on_connect_timeout,
                       (uint64_t)(contract_connect_timeout() * 1e3), 0);
    }
}

int main(int argc, char** argv) {
    int status = contract_start(argc, argv, "stage 5's fetch in libuv (the appendix)");
    if (status >= 0) {
        return status;
    }
    loop = uv_default_loop();
    connections = calloc(contract_targets(), sizeof *connections);
    if (connections == NULL) {
        return 1;
    }
    uv_timer_init(loop, &deadline);
    uv_timer_start(&deadline, on_deadline, (uint64_t)(contract_timeout() * 1e3), 0);
    uv_signal_init(loop, &usr1);
    uv_signal_start(&usr1, on_usr1, SIGUSR1);
    uv_prepare_init(loop, &prepare);
    uv_prepare_start(&prepare, before_wait);
    uv_check_init(loop, &check);
    uv_check_start(&check, after_wait);
    for (size_t t = 0; t < contract_targets(); ++t) {
        connections[t].target = t;
        if (!contract_finished(t)) { /* unresolvable ones failed already */
            start(&connections[t]);
        }
    }
    stop_when_done();

    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    free(connections);
    return contract_end();
}
