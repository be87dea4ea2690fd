#!/usr/bin/env perl
# Stage 5's fetch in Event, Perl's oldest event loop: the appendix,
# lessons/appendix-elsewhere.md.
#
# Event's watchers carry attributes you can change while they run: an io
# watcher has `poll` ('w' or 'r') and a `timeout`, which fires its
# timeout_cb when no I/O came for that long. So each connection needs
# one watcher, no timers: its timeout is the connect timeout while
# connecting and the idle timeout after. Every watcher has a priority
# (`prio`; lower runs first): the deadline is PRIO_HIGH, so when it falls
# due together with I/O it runs first and the I/O finds its target done.
# Event::loop runs until unloop. The prepare and check hooks run just
# before and after the loop blocks: the trace's waits.
# FetchContract.pm does the contract (command line, sockets, report).
use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Event qw(loop unloop);
use FetchContract;

my $c = FetchContract->new("stage 5's fetch in Event (the appendix)");
my @connections;  # by target: { fh, io }

# Every way a target ends comes here: cancel its watcher, drop its socket.
sub close_connection {
    my ($t) = @_;
    my $conn = delete $connections[$t] or return;
    $conn->{io}->cancel;
    unloop(0) if $c->all_finished;
}

sub fail_on_timeout {
    my ($t, $reason) = @_;
    return sub {
        $c->fail($t, $reason);
        close_connection($t);
    };
}

sub start {
    my ($t) = @_;
    my $fh = $c->start_connect($t) or return;
    $connections[$t] = {
        fh => $fh,
        io => Event->io(fd => $fh, poll => 'w', cb => sub { on_connected($t) },
                        $c->{connect_timeout}
                            ? (timeout => $c->{connect_timeout},
                               timeout_cb => fail_on_timeout($t, 'connect-timeout'))
                            : ()),
    };
}

# Writable while connecting: the handshake is over, well or badly.
sub on_connected {
    my ($t) = @_;
    my $conn = $connections[$t];
    my $io = $conn->{io};
    return close_connection($t) unless $c->connected($t, $conn->{fh});
    $io->timeout(undef);
    if ($c->{idle_timeout}) {
        $io->timeout($c->{idle_timeout});
        $io->timeout_cb(fail_on_timeout($t, 'idle-timeout'));
    }
    $io->cb(sub { on_writable($t) });
    on_writable($t);  # a fresh socket is writable: send at once
}

sub on_writable {
    my ($t) = @_;
    my $conn = $connections[$t];
    my $sent = $c->send_some($t, $conn->{fh});
    return close_connection($t) if $sent < 0;
    return unless $sent;
    $conn->{io}->poll('r');  # the request is out: now read
    $conn->{io}->cb(sub { on_readable($t) });
}

sub on_readable {
    my ($t) = @_;
    my $conn = $connections[$t] or return;  # finished by a higher priority
    close_connection($t) if $c->read_some($t, $conn->{fh});
}

start($_) for grep { !$c->finished($_) } 0 .. $c->targets - 1;

my $deadline = Event->timer(after => $c->{timeout}, prio => Event::PRIO_HIGH(), cb => sub {
    for my $t (grep { !$c->finished($_) } 0 .. $c->targets - 1) {
        $c->fail($t, 'timeout');
        close_connection($t);
    }
});
my $usr1 = Event->signal(signal => 'USR1', cb => sub { });  # Event retries its wait
# prepare returns how long the loop may block at most: no limit of ours.
Event::add_hooks(prepare => sub { $c->asleep; 3600 }, check => sub { $c->awake });

loop() unless $c->all_finished;
$_->cancel for $deadline, $usr1;
exit $c->end;
