#!/usr/bin/env perl
# Stage 5's fetch in POE: the appendix, lessons/appendix-elsewhere.md.
#
# POE's unit is the session: a small state machine whose states are named
# events, with a HEAP for its own data. Each connection is a session; the
# kernel sends it `connected`, `writable` and `readable` when its socket
# is ready (select_write, select_read), and named alarms (`delay`) for its
# timeouts; setting a delay again moves it, setting it with no time
# removes it. A session that has nothing left to wait for ends by itself,
# and the kernel's run() returns when no session is left: there is no
# "stop". The `fetch` session is their parent: it holds the global
# deadline and SIGUSR1, and hears each child end (_child). POE has no
# hook around its wait, so the trace's waits are the gaps between states
# ($c->handler). FetchContract.pm does the contract.
use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use FetchContract;
use POE;

my $c = FetchContract->new("stage 5's fetch in POE (the appendix)");

# Every state runs inside $c->handler, which ends the trace's wait.
sub states {
    my (%states) = @_;
    return { map { $_ => $c->handler($states{$_}) } keys %states };
}

# Every way a connection ends comes here: with no socket to watch and no
# alarm left, the session ends.
sub finish {
    my ($kernel, $heap) = @_;
    $kernel->select($heap->{fh}) if $heap->{fh};
    delete $heap->{fh};
    $kernel->alarm_remove_all;
}

sub fail {
    my ($kernel, $heap, $reason) = @_;
    $c->fail($heap->{target}, $reason);
    finish($kernel, $heap);
}

sub connection_session {
    my ($t) = @_;
    return POE::Session->create(
        heap => { target => $t },
        inline_states => states(
            _start => sub {
                my ($kernel, $heap) = @_[KERNEL, HEAP];
                $heap->{fh} = $c->start_connect($t) or return;
                $kernel->select_write($heap->{fh}, 'connected');
                $kernel->delay(connect_timeout => $c->{connect_timeout}) if $c->{connect_timeout};
            },
            # Writable while connecting: the handshake is over, well or badly.
            connected => sub {
                my ($kernel, $heap) = @_[KERNEL, HEAP];
                $kernel->delay('connect_timeout');  # no time: remove the alarm
                return finish($kernel, $heap) unless $c->connected($t, $heap->{fh});
                $kernel->delay(idle_timeout => $c->{idle_timeout}) if $c->{idle_timeout};
                $kernel->select_write($heap->{fh}, 'writable');
                $kernel->call($_[SESSION], 'writable');  # a fresh socket is writable
            },
            writable => sub {
                my ($kernel, $heap) = @_[KERNEL, HEAP];
                return unless $heap->{fh};
                my $sent = $c->send_some($t, $heap->{fh});
                return finish($kernel, $heap) if $sent < 0;
                return unless $sent;
                $kernel->select_write($heap->{fh});  # the request is out: now read
                $kernel->select_read($heap->{fh}, 'readable');
            },
            readable => sub {
                my ($kernel, $heap) = @_[KERNEL, HEAP];
                $kernel->delay(idle_timeout => $c->{idle_timeout}) if $c->{idle_timeout};
                finish($kernel, $heap) if $c->read_some($t, $heap->{fh});
            },
            connect_timeout => sub { fail(@_[KERNEL, HEAP], 'connect-timeout') },
            idle_timeout => sub { fail(@_[KERNEL, HEAP], 'idle-timeout') },
            deadline => sub { fail(@_[KERNEL, HEAP], 'timeout') if $_[HEAP]{fh} },
        ),
    )->ID;
}

POE::Session->create(
    inline_states => states(
        _start => sub {
            my ($kernel, $heap) = @_[KERNEL, HEAP];
            $heap->{children} = [ map { connection_session($_) }
                                  grep { !$c->finished($_) } 0 .. $c->targets - 1 ];
            return if $c->all_finished;
            $kernel->delay(deadline => $c->{timeout});
            $kernel->sig(USR1 => 'usr1');
        },
        deadline => sub {
            $_[KERNEL]->call($_, 'deadline') for @{ $_[HEAP]{children} };
        },
        usr1 => sub { $_[KERNEL]->sig_handled },  # POE retries its wait
        _child => sub {
            my ($kernel, $why) = @_[KERNEL, ARG0];
            return unless $why eq 'lose' && $c->all_finished;
            $kernel->delay('deadline');  # nothing left: let run() return
            $kernel->sig('USR1');
        },
    ),
);

$c->asleep;
POE::Kernel->run;
exit $c->end;
