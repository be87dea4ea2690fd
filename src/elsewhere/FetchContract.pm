# FetchContract: the fetch contract, once, for the appendix's Perl programs
# (fetch_anyevent.pl, fetch_ev.pl, fetch_event.pl, fetch_poe.pl; lesson
# lessons/appendix-elsewhere.md). The same job as contract.c for the C ones:
# the command line, the URLs, the non-blocking socket steps, the HTTP
# check, the report lines, the trace and the exit status, so that each
# program shows only its event library. It uses nothing of the kit.
#
#   my $c = FetchContract->new('stage 5 in X');  # parses @ARGV, may exit
#   $c->{timeout}, $c->{connect_timeout}, $c->{idle_timeout}  # seconds, 0: none
#   for my $t (0 .. $c->targets - 1) { my $fh = $c->start_connect($t) ... }
#   $c->connected($t, $fh); $c->send_some($t, $fh); $c->read_some($t, $fh);
#   $c->fail($t, 'idle-timeout'); $c->finished($t); $c->all_finished;
#   $c->asleep; $c->awake;       # the trace's waits
#   exit $c->end;
#
# Interface rules: one thread; targets are numbered in command-line order;
# each is finished once (later calls for it are ignored). The socket steps
# return what happened and finish the target themselves on failure.
package FetchContract;

use strict;
use warnings;

use Errno qw(EAGAIN EWOULDBLOCK EINTR EINPROGRESS ECONNREFUSED ECONNRESET EPIPE ETIMEDOUT
             EMFILE ENFILE);
use Fcntl qw(F_GETFL F_SETFL O_NONBLOCK);
use IO::Handle;
use Socket qw(AF_INET SOCK_STREAM SOL_SOCKET SO_ERROR getaddrinfo unpack_sockaddr_in
              pack_sockaddr_in);
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);

use constant { MAX_RESPONSE => 8 * 1024 * 1024, MAX_HEAD => 64 * 1024, READ_SIZE => 16 * 1024 };

my %REASON_OF_ERRNO = (
    ECONNREFUSED() => 'refused', ECONNRESET() => 'reset', EPIPE() => 'reset',
    ETIMEDOUT() => 'timeout', EMFILE() => 'fd-limit', ENFILE() => 'fd-limit',
);

sub usage_error {
    print STDERR "fetch: $_[0] (see fetch --help)\n";
    exit 2;
}

sub seconds {
    my ($option, $text) = @_;
    usage_error("$option needs a number of seconds, more than 0 and at most 3600")
        unless defined $text && $text =~ /\A(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\z/
            && $text > 0 && $text <= 3600;
    return $text + 0;
}

# http://host[:port]/path, with the kit's rules (src/kit/url.cpp).
sub parse_url {
    my ($text) = @_;
    usage_error("bad URL '$text': a URL must start with http://") unless $text =~ m{\Ahttp://};
    my ($host, $port, $path) = $text =~ m{\Ahttp://([^:/?#]*)(?::([^/?#]*))?(.*)\z}s;
    usage_error("bad URL '$text': the host may only contain letters, digits, '.' and '-'")
        unless $host =~ /\A[A-Za-z0-9.-]+\z/;
    usage_error("bad URL '$text': the port must be a number from 1 to 65535")
        if defined $port && !($port =~ /\A\d{1,5}\z/ && $port >= 1 && $port <= 65535);
    usage_error("bad URL '$text': the path may not contain spaces or control characters")
        if $path =~ /[^\x21-\x7e]/;
    $path =~ s/#.*//s;  # the fragment is the client's own
    $path = "/$path" unless $path =~ m{\A/};  # a path that is only a query gets its "/"
    return { url => $text, host => $host, port => $port // 80, path => $path };
}

sub help {
    my ($description) = @_;
    print "usage: fetch [--timeout SECONDS] [--trace FILE] [--stall SECONDS] "
        . "[--connect-timeout SECONDS] [--idle-timeout SECONDS] URL...\n"
        . "  $description\n"
        . "  URL is http://host[:port]/path. Prints one line per target as it finishes:\n"
        . "    ok URL STATUS BYTES MS | fail URL REASON MS, then: total MS ok=N fail=M\n"
        . "  exit status: 0 all ok, 1 some failed, 2 usage error\n";
    exit 0;
}

sub new {
    my ($class, $description) = @_;
    # A peer that closes while we send is a `reset`, not a dead process.
    $SIG{PIPE} = 'IGNORE';
    my $self = bless { timeout => 10, connect_timeout => 0, idle_timeout => 0, stall => 0,
                       targets => [], waits => [], ok => 0, failed => 0 }, $class;
    my @args = @ARGV;
    while (@args) {
        my $arg = shift @args;
        my $value;
        ($arg, $value) = ($1, $2) if $arg =~ /\A(--[^=]+)=(.*)\z/s;
        help($description) if $arg eq '-h' || $arg eq '--help';
        if ($arg =~ /\A--(timeout|connect-timeout|idle-timeout|stall|trace)\z/) {
            (my $key = $1) =~ tr/-/_/;
            $value = shift @args unless defined $value;
            if ($key eq 'trace') {
                usage_error('--trace needs a file name') unless defined $value && $value ne '';
                $self->{trace_path} = $value;
            } else {
                $self->{$key} = seconds($arg, $value);
            }
        } elsif ($arg =~ /\A-/) {
            usage_error("unknown option '$arg'");
        } else {
            push @{ $self->{targets} }, parse_url($arg);
        }
    }
    usage_error('no URL given') unless @{ $self->{targets} };
    if (defined $self->{trace_path}) {
        open($self->{trace}, '>', $self->{trace_path})
            or usage_error("cannot write the trace file '$self->{trace_path}'");
    }
    STDOUT->autoflush(1);  # a reader sees targets finish as they do

    $self->{start} = clock_gettime(CLOCK_MONOTONIC);
    for my $i (0 .. $#{ $self->{targets} }) {
        my $t = $self->{targets}[$i];
        # Blocking getaddrinfo, as the kit does: an IP answers at once.
        my ($error, @found) = getaddrinfo($t->{host}, undef,
                                          { family => AF_INET, socktype => SOCK_STREAM });
        if ($error || !@found) {
            $self->finish($i, 'fail', 'resolve');
            next;
        }
        my (undef, $ip) = unpack_sockaddr_in($found[0]{addr});
        $t->{address} = pack_sockaddr_in($t->{port}, $ip);
        my $host = $t->{port} == 80 ? $t->{host} : "$t->{host}:$t->{port}";
        $t->{request} = "GET $t->{path} HTTP/1.0\r\nHost: $host\r\nConnection: close\r\n\r\n";
        $t->{sent} = 0;
        $t->{head} = '';
        $t->{received} = 0;
    }
    return $self;
}

sub targets { scalar @{ $_[0]{targets} } }
sub finished { $_[0]{targets}[ $_[1] ]{finished} }
sub all_finished { $_[0]{ok} + $_[0]{failed} == $_[0]->targets }
sub now_ms { (clock_gettime(CLOCK_MONOTONIC) - $_[0]{start}) * 1000 }

sub milestone {
    my ($self, $i, $name) = @_;
    my $t = $self->{targets}[$i];
    my $at = $self->now_ms;
    $t->{started} //= $at;
    push @{ $t->{milestones} }, [ $name, $at ];
    return $at;
}

sub finish {
    my ($self, $i, $kind, $reason) = @_;
    my $t = $self->{targets}[$i];
    return if $t->{finished}++;
    my $at = $self->milestone($i, $kind eq 'ok' ? 'done' : 'failed');
    if ($kind eq 'ok') {
        $self->{ok}++;
        $t->{result} = "ok $t->{status} $t->{body_bytes}";
        printf "ok %s %d %d %d\n", $t->{url}, $t->{status}, $t->{body_bytes}, $at;
    } else {
        $self->{failed}++;
        $t->{result} = "fail $reason";
        printf "fail %s %s %d\n", $t->{url}, $reason, $at;
    }
}

sub fail { $_[0]->finish($_[1], 'fail', $_[2]) }
sub reason { $REASON_OF_ERRNO{ $_[1] + 0 } // 'io' }

# The trace's `wait` events: asleep just before the library blocks, awake
# just after; where a library has no such hook, around every handler.
sub asleep { $_[0]{asleep} = $_[0]->now_ms }

sub awake {
    my ($self) = @_;
    my $began = delete $self->{asleep};
    push @{ $self->{waits} }, [ $began, $self->now_ms ] if defined $began && $self->{trace};
}

# A callback that marks the trace's wait as over while it runs.
sub handler {
    my ($self, $callback) = @_;
    return sub { $self->awake; my @r = $callback->(@_); $self->asleep; @r };
}

# Starts a non-blocking connect; returns the socket, or undef (finished).
sub start_connect {
    my ($self, $i) = @_;
    my $t = $self->{targets}[$i];
    my $fh;
    unless (socket($fh, AF_INET, SOCK_STREAM, 0) && $fh->blocking(0)) {
        $self->fail($i, $self->reason($!));
        return undef;
    }
    $self->milestone($i, 'connect-start');
    unless (connect($fh, $t->{address}) || $! == EINPROGRESS) {
        $self->fail($i, $self->reason($!));
        return undef;
    }
    return $fh;
}

# Writable while connecting: the handshake is over; SO_ERROR says how.
sub connected {
    my ($self, $i, $fh) = @_;
    my $error = unpack('i', getsockopt($fh, SOL_SOCKET, SO_ERROR) // pack('i', $! + 0));
    if ($error) {
        $self->fail($i, $self->reason($error));
        return 0;
    }
    $self->milestone($i, 'connected');
    return 1;
}

# Writes what the socket takes: 1 all sent, 0 not yet, -1 finished.
sub send_some {
    my ($self, $i, $fh) = @_;
    my $t = $self->{targets}[$i];
    while ($t->{sent} < length $t->{request}) {
        my $n = syswrite($fh, $t->{request}, length($t->{request}) - $t->{sent}, $t->{sent});
        if (!defined $n) {
            next if $! == EINTR;
            return 0 if $! == EAGAIN || $! == EWOULDBLOCK;
            $self->fail($i, $self->reason($!));
            return -1;
        }
        $t->{sent} += $n;
    }
    $self->milestone($i, 'request-sent');
    return 1;
}

# Reads once: 1 when the target is finished (EOF, error, bad response).
sub read_some {
    my ($self, $i, $fh) = @_;
    my $n = sysread($fh, my $buffer, READ_SIZE);
    if (!defined $n) {
        return 0 if $! == EINTR || $! == EAGAIN || $! == EWOULDBLOCK;
        $self->fail($i, $self->reason($!));
        return 1;
    }
    if ($n == 0) {
        $self->at_eof($i);
        return 1;
    }
    return $self->received($i, $buffer);
}

# Takes bytes of the response; 1 when that finished the target. The
# --stall demo sleeps here, in the handler, once, on target 0's first bytes.
sub received {
    my ($self, $i, $bytes) = @_;
    my $t = $self->{targets}[$i];
    return 1 if $t->{finished};
    if ($i == 0 && $self->{stall}) {
        my $until = clock_gettime(CLOCK_MONOTONIC) + delete $self->{stall};
        Time::HiRes::sleep($until - clock_gettime(CLOCK_MONOTONIC))
            while clock_gettime(CLOCK_MONOTONIC) < $until;  # a signal cuts a sleep short
    }
    $self->milestone($i, 'first-byte') if $t->{received} == 0;
    $t->{received} += length $bytes;
    if ($t->{received} > MAX_RESPONSE) {
        $self->fail($i, 'too-large');
        return 1;
    }
    if (defined $t->{body_bytes}) {
        $t->{body_bytes} += length $bytes;
        return 0;
    }
    $t->{head} .= $bytes;
    while ((my $end = index($t->{head}, "\r\n\r\n")) >= 0) {
        my $head = substr($t->{head}, 0, $end + 2);
        my $after = substr($t->{head}, $end + 4);
        my $status = parse_head($t, $head);
        unless (defined $status && $status != 101) {  # 101: a switch nobody asked for
            $self->fail($i, 'bad-response');
            return 1;
        }
        if ($status >= 200) {
            $t->{status} = $status;
            $t->{body_bytes} = length $after;
            return 0;
        }
        $t->{head} = $after;  # an interim answer (100 Continue): the real head follows
    }
    return 0 if length $t->{head} <= MAX_HEAD;
    $self->fail($i, 'bad-response');
    return 1;
}

# The status of a complete head, with its Content-Length in $t; undef if bad
# (junk, a list, or two lengths that disagree).
sub parse_head {
    my ($t, $head) = @_;
    return undef unless $head =~ m{\AHTTP/1\.[01] (\d{3})(?: |\r\n)} && $1 >= 100 && $1 <= 599;
    my $status = $1;
    delete $t->{content_length};
    while ($head =~ /\r\ncontent-length:[ \t]*([^\r]*?)[ \t]*\r\n/gi) {
        my $length = $1;
        return undef unless $length =~ /\A\d{1,15}\z/;
        return undef if defined $t->{content_length} && $t->{content_length} != $length;
        $t->{content_length} = $length + 0;
        pos($head) -= 2;  # the CRLF that ended this line starts the next
    }
    return $status;
}

# The server closed: ok if the response is whole, else bad-response.
sub at_eof {
    my ($self, $i) = @_;
    my $t = $self->{targets}[$i];
    my $whole = defined $t->{body_bytes}
        && (!defined $t->{content_length} || $t->{content_length} == $t->{body_bytes});
    $self->finish($i, $whole ? 'ok' : 'fail', 'bad-response');
}

sub json { my $s = shift; $s =~ s/(["\\])/\\$1/g; return $s }

sub end {
    my ($self) = @_;
    unless ($self->all_finished) {
        print STDERR "fetch: internal error: the loop ended with targets unfinished\n";
        return 1;
    }
    printf "total %d ok=%d fail=%d\n", $self->now_ms, $self->{ok}, $self->{failed};
    my $status = $self->{failed} ? 1 : 0;
    my $out = $self->{trace} or return $status;
    my @events = ('{"ph":"M","name":"thread_name","pid":1,"tid":0,"args":{"name":"loop"}}');
    my $lane = 0;
    for my $t (@{ $self->{targets} }) {
        $lane++;
        my $url = json($t->{url});
        push @events, qq({"ph":"M","name":"thread_name","pid":1,"tid":$lane,)
            . qq("args":{"name":"$url"}});
        for my $m (@{ $t->{milestones} }) {
            push @events, sprintf('{"ph":"i","cat":"milestone","name":"%s","pid":1,"tid":%d,'
                . '"ts":%.0f,"s":"t","args":{}}', $m->[0], $lane, $m->[1] * 1000);
        }
        my $end = $t->{milestones}[-1][1];
        push @events, sprintf('{"ph":"X","cat":"target","name":"%s","pid":1,"tid":%d,"ts":%.0f,'
            . '"dur":%.0f,"args":{"result":"%s"}}', $url, $lane, $t->{started} * 1000,
            ($end - $t->{started}) * 1000, $t->{result});
    }
    for my $w (@{ $self->{waits} }) {
        push @events, sprintf('{"ph":"X","cat":"loop","name":"wait","pid":1,"tid":0,"ts":%.0f,'
            . '"dur":%.0f,"args":{}}', $w->[0] * 1000, ($w->[1] - $w->[0]) * 1000);
    }
    print $out qq({"displayTimeUnit":"ms","traceEvents":[\n), join(",\n", @events), "\n]}\n";
    unless (close $out) {
        print STDERR "fetch: could not write the trace file '$self->{trace_path}'\n";
        return 1;
    }
    return $status;
}

1;
