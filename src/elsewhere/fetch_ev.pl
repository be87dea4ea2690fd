#!/usr/bin/env perl
# Stage 5's fetch in EV, Perl's binding of libev: the appendix,
# lessons/appendix-elsewhere.md.
#
# EV's watchers are objects: EV::io, EV::timer and EV::signal return one,
# and it watches as long as we hold it; dropping the last reference stops
# it. So a connection is a hash of its watchers and its socket, and
# closing it is deleting that hash. Readiness, as in the kit: the io
# watcher waits for WRITE while connecting and sending, then is set() to
# READ. The idle timeout is a repeating timer that each read pushes back
# with again(), libev's "be smart about timeouts". EV::prepare and
# EV::check run just before and after the loop blocks: the trace's waits.
# FetchContract.pm does the contract (command line, sockets, report).
use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use EV;
use FetchContract;

my $c = FetchContract->new("stage 5's fetch in EV (the appendix)");
my @connections;  # by target: { fh, io, connect_timer, idle_timer }

# Every way a target ends comes here: its watchers and socket go with it.
sub close_connection {
    my ($t) = @_;
    delete $connections[$t];
    EV::break(EV::BREAK_ALL) if $c->all_finished;
}

sub start {
    my ($t) = @_;
    # libev times timers from the loop's cached "now", taken when it last
    # woke (before the first run: when EV was loaded). Update it first, or
    # the connect timer fires early by the start-up time (libev's manual:
    # "the special problem of time updates").
    EV::now_update;
    my $fh = $c->start_connect($t) or return;
    my $conn = $connections[$t] = { fh => $fh };
    $conn->{io} = EV::io $fh, EV::WRITE, sub { on_connected($t) };
    $conn->{connect_timer} = EV::timer $c->{connect_timeout}, 0, sub {
        $c->fail($t, 'connect-timeout');
        close_connection($t);
    } if $c->{connect_timeout};
}

# Writable while connecting: the handshake is over, well or badly.
sub on_connected {
    my ($t) = @_;
    my $conn = $connections[$t];
    delete $conn->{connect_timer};
    return close_connection($t) unless $c->connected($t, $conn->{fh});
    if ($c->{idle_timeout}) {
        # Not started (timer_ns); again() starts it with the repeat value.
        $conn->{idle_timer} = EV::timer_ns 0, $c->{idle_timeout}, sub {
            $c->fail($t, 'idle-timeout');
            close_connection($t);
        };
        $conn->{idle_timer}->again;
    }
    $conn->{io}->cb(sub { on_writable($t) });
    on_writable($t);  # a fresh socket is writable: send at once
}

sub on_writable {
    my ($t) = @_;
    my $conn = $connections[$t];
    my $sent = $c->send_some($t, $conn->{fh});
    return close_connection($t) if $sent < 0;
    return unless $sent;
    $conn->{io}->set($conn->{fh}, EV::READ);  # the request is out: now read
    $conn->{io}->cb(sub { on_readable($t) });
}

sub on_readable {
    my ($t) = @_;
    my $conn = $connections[$t];
    $conn->{idle_timer}->again if $conn->{idle_timer};
    close_connection($t) if $c->read_some($t, $conn->{fh});
}

start($_) for grep { !$c->finished($_) } 0 .. $c->targets - 1;

EV::now_update;  # as in start()
my $deadline = EV::timer $c->{timeout}, 0, sub {
    for my $t (grep { !$c->finished($_) } 0 .. $c->targets - 1) {
        $c->fail($t, 'timeout');
        close_connection($t);
    }
};
my $usr1 = EV::signal 'USR1', sub { };  # libev retries its wait; nothing to do
my $prepare = EV::prepare sub { $c->asleep };
my $check = EV::check sub { $c->awake };

EV::run unless $c->all_finished;
exit $c->end;
