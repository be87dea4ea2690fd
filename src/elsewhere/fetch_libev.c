/* Stage 5's fetch in libev (C): the appendix, lessons/appendix-elsewhere.md.
 *
 * libev hands us readiness, as the kit's Loop does: an ev_io watcher per
 * socket (writable while connecting and sending, readable while
 * receiving), ev_timer watchers for the deadlines, ev_break to stop.
 * ev_prepare and ev_check run just before and after the loop blocks, the
 * hooks the kit's Source copies; here they time the trace's waits.
 * Per-connection context: every watcher's `data` points to its
 * connection (libev's manual, "associating custom data with a watcher").
 * One thread; everything runs inside ev_run. */
#include "contract.h"

#include <ev.h>
#include <stdlib.h>
#include <unistd.h>

enum state { CONNECTING, SENDING, RECEIVING };

struct connection {
    ev_io io;
    ev_timer connect_timer;
    ev_timer idle_timer;
    size_t target;
    enum state state;
};

static struct ev_loop* loop;
static struct connection* connections;

/* Every way a target ends comes here: stop its watchers, close its fd. */
static void close_connection(struct connection* c) {
    ev_io_stop(loop, &c->io);
    ev_timer_stop(loop, &c->connect_timer);
    ev_timer_stop(loop, &c->idle_timer);
    if (c->io.fd >= 0) {
        close(c->io.fd);
        c->io.fd = -1;
    }
    if (contract_all_finished()) {
        ev_break(loop, EVBREAK_ALL);
    }
}

static void on_io(struct ev_loop* l, ev_io* w, int revents) {
    (void)revents;
    struct connection* c = w->data;
    int fd = w->fd;
    if (c->state != CONNECTING && contract_idle_timeout() > 0) {
        /* "Be smart about timeouts" (libev's manual): ev_timer_again
         * restarts the repeating idle timer; no stop, no new watcher. */
        ev_timer_again(l, &c->idle_timer);
    }
    switch (c->state) {
        case CONNECTING: /* writable: the handshake is over, well or badly */
            ev_timer_stop(l, &c->connect_timer);
            if (!contract_connected(c->target, fd)) {
                return close_connection(c);
            }
            c->state = SENDING;
            if (contract_idle_timeout() > 0) {
                ev_timer_again(l, &c->idle_timer);
            }
            /* a fresh socket is writable: send at once */
            /* fall through */
        case SENDING: {
            int sent = contract_send(c->target, fd);
            if (sent < 0) {
                return close_connection(c);
            }
            if (sent == 1) { /* the whole request is out: wait to read */
                c->state = RECEIVING;
                ev_io_stop(l, w); /* an active watcher must not be changed */
                ev_io_set(w, fd, EV_READ);
                ev_io_start(l, w);
            }
            return;
        }
        case RECEIVING:
            if (contract_read(c->target, fd)) {
                close_connection(c);
            }
            return;
    }
}

static void on_timeout(struct ev_loop* l, ev_timer* w, int revents) {
    (void)l, (void)revents;
    struct connection* c = w->data;
    contract_fail(c->target, w == &c->connect_timer ? "connect-timeout" : "idle-timeout");
    close_connection(c);
}

static void on_deadline(struct ev_loop* l, ev_timer* w, int revents) {
    (void)w, (void)revents;
    for (size_t t = 0; t < contract_targets(); ++t) {
        if (!contract_finished(t)) {
            contract_fail(t, "timeout");
            close_connection(&connections[t]);
        }
    }
    ev_break(l, EVBREAK_ALL);
}

static void on_usr1(struct ev_loop* l, ev_signal* w, int revents) {
    (void)l, (void)w, (void)revents; /* libev retries its wait; nothing to do */
}

static void before_wait(struct ev_loop* l, ev_prepare* w, int revents) {
    (void)l, (void)w, (void)revents;
    contract_asleep();
}

static void after_wait(struct ev_loop* l, ev_check* w, int revents) {
    (void)l, (void)w, (void)revents;
    contract_awake();
}

int main(int argc, char** argv) {
    int status = contract_start(argc, argv, "stage 5's fetch in libev (the appendix)");
    if (status >= 0) {
        return status;
    }
    loop = EV_DEFAULT;
    connections = calloc(contract_targets(), sizeof *connections);
    if (connections == NULL) {
        return 1;
    }
    for (size_t t = 0; t < contract_targets(); ++t) {
        struct connection* c = &connections[t];
        c->target = t;
        c->state = CONNECTING;
        ev_io_init(&c->io, on_io, -1, EV_WRITE);
        ev_timer_init(&c->connect_timer, on_timeout, contract_connect_timeout(), 0);
        ev_timer_init(&c->idle_timer, on_timeout, 0, contract_idle_timeout());
        c->io.data = c->connect_timer.data = c->idle_timer.data = c;
        if (contract_finished(t)) {
            continue; /* unresolvable: failed before the loop */
        }
        int fd = contract_connect(t);
        if (fd < 0) {
            continue;
        }
        ev_io_set(&c->io, fd, EV_WRITE);
        ev_io_start(loop, &c->io);
        if (contract_connect_timeout() > 0) {
            /* Timers count from the loop's cached "now", taken when it last
             * woke; before ev_run, connecting the earlier targets took time
             * ("the special problem of time updates", libev's manual). */
            ev_now_update(loop);
            ev_timer_start(loop, &c->connect_timer);
        }
    }

    ev_timer deadline;
    ev_now_update(loop);
    ev_timer_init(&deadline, on_deadline, contract_timeout(), 0);
    ev_timer_start(loop, &deadline);
    ev_signal usr1;
    ev_signal_init(&usr1, on_usr1, SIGUSR1);
    ev_signal_start(loop, &usr1);
    ev_prepare prepare;
    ev_prepare_init(&prepare, before_wait);
    ev_prepare_start(loop, &prepare);
    ev_check check;
    ev_check_init(&check, after_wait);
    ev_check_start(loop, &check);

    if (!contract_all_finished()) {
        ev_run(loop, 0);
    }
    free(connections);
    return contract_end();
}
