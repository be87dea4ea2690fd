#!/usr/bin/env perl
# Stage 5's fetch in AnyEvent: the appendix, lessons/appendix-elsewhere.md.
#
# AnyEvent is one interface over whichever event loop is loaded (EV here,
# if installed; else Event, POE, ... or its own pure-Perl loop). A watcher
# is a guard: AE::io, AE::timer and AE::signal return an object that
# watches until it is destroyed, so "cancel" is undef, and "re-arm" is
# replacing it with a new one. There is no "run the loop" either: a
# condition variable ($done) is waited for with recv, which runs the loop
# until send; begin/end count the connections still open. AnyEvent has no
# hook around the wait, so the trace's waits are the gaps between our
# handlers ($c->handler). FetchContract.pm does the contract.
use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use AnyEvent;
use FetchContract;

my $c = FetchContract->new("stage 5's fetch in AnyEvent (the appendix)");
my $done = AE::cv;  # sent when the last connection ends
my @connections;    # by target: { fh, io, connect_timer, idle_timer }

# Every way a target ends comes here: dropping the guards stops them.
sub close_connection {
    my ($t) = @_;
    delete $connections[$t] or return;
    $done->end;
}

sub fail {
    my ($t, $reason) = @_;
    $c->fail($t, $reason);
    close_connection($t);
}

sub start {
    my ($t) = @_;
    # Loops such as EV time timers from a "now" cached when they last woke
    # (before the first run: when they were loaded); update it, or the
    # connect timer fires early by the start-up time.
    AnyEvent->now_update;
    my $fh = $c->start_connect($t) or return;
    $done->begin;
    my $conn = $connections[$t] = { fh => $fh };
    $conn->{io} = AE::io $fh, 1, $c->handler(sub { on_connected($t) });  # 1: writable
    $conn->{connect_timer} = AE::timer $c->{connect_timeout}, 0,
        $c->handler(sub { fail($t, 'connect-timeout') }) if $c->{connect_timeout};
}

# A new guard replaces the old one, which stops as it is destroyed.
sub push_back_idle_timer {
    my ($t) = @_;
    $connections[$t]{idle_timer} = AE::timer $c->{idle_timeout}, 0,
        $c->handler(sub { fail($t, 'idle-timeout') }) if $c->{idle_timeout};
}

# Writable while connecting: the handshake is over, well or badly.
sub on_connected {
    my ($t) = @_;
    my $conn = $connections[$t];
    delete $conn->{connect_timer};
    return close_connection($t) unless $c->connected($t, $conn->{fh});
    push_back_idle_timer($t);
    $conn->{io} = AE::io $conn->{fh}, 1, $c->handler(sub { on_writable($t) });
    on_writable($t);  # a fresh socket is writable: send at once
}

sub on_writable {
    my ($t) = @_;
    my $conn = $connections[$t];
    my $sent = $c->send_some($t, $conn->{fh});
    return close_connection($t) if $sent < 0;
    $conn->{io} = AE::io $conn->{fh}, 0, $c->handler(sub { on_readable($t) }) if $sent;  # 0: readable
}

sub on_readable {
    my ($t) = @_;
    push_back_idle_timer($t);
    close_connection($t) if $c->read_some($t, $connections[$t]{fh});
}

$done->begin;  # held until every connection has started
start($_) for grep { !$c->finished($_) } 0 .. $c->targets - 1;
AnyEvent->now_update;  # as in start()
my $deadline = AE::timer $c->{timeout}, 0, $c->handler(sub {
    fail($_, 'timeout') for grep { !$c->finished($_) } 0 .. $c->targets - 1;
});
my $usr1 = AE::signal USR1 => sub { };  # the loop retries its wait; nothing to do
$done->end;

$c->asleep;
$done->recv;
exit $c->end;
