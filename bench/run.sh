#!/bin/bash
# bench/run.sh ("make bench"): what liaisond costs a real Postfix, each
# figure measured beside its reference in the same run.  Not a test: it is
# never part of "make check", it takes a few minutes and needs root.
#
#  a) other mail: 2,000 messages of 5 KB over 10 sessions (smtp-source) to
#     someone@ietf.test through Postfix + liaisond, on a unix socket and on
#     TCP, against the same Postfix with no milter.  Target ratio >= 0.9.
#     smtp-source sends one message a connection, so Postfix opens a milter
#     connection for each.  a') the same with smtp-source -d: 200 messages
#     over each of the 10 connections, as a relay with a connection cache
#     sends them, which splits what the milter costs a connection from what
#     it costs a message (no target).  a0) the floor: the same mail through
#     a Postfix whose milter is bench/nullmilter.c, the cheapest libmilter
#     milter (ACCEPT at connect, no other step), on a unix socket: what any
#     milter that Postfix opens per SMTP session costs it, which no milter
#     that must see the recipients can go below (no target).
#  b) intake mail: the corpus (tests/corpus/*.eml, every message, unique
#     Message-IDs per copy) plus 100 KB statements with a PDF attached, to
#     liaisons@ietf.test over 10 sessions, through Postfix + liaisond
#     (unix socket) against Postfix alone.  Target ratio >= 0.5.  Also
#     against Postfix alone delivering the same copies: each message given
#     as RCPT TOs the recipients liaisond routed it to in the same round
#     (bench/copies), so that the two differ by the milter only.  And
#     relayed: the same two Postfix set-ups, with and without liaisond,
#     delivering every recipient by SMTP to one next hop (smtp-sink on
#     loopback, as a front MTA hands mail to its hub), where a message's
#     copies travel in one transaction instead of a file each (and c)
#     the same way, with MIMEDefang relaying).  Latency:
#     the same kind of mix sent one message at a time; a message's latency
#     is its whole SMTP transaction (connect to the reply after the final
#     dot) as the sender sees it; the added latency is liaisond's median
#     (p99) minus Postfix alone's median (p99).
#  c) the intake mix of b) through Postfix + MIMEDefang with its default
#     filter (Debian package), the peer a mail admin would otherwise use:
#     liaisond should beat its throughput.
#  d) one 50 MB attachment to liaisons@: liaisond's peak RSS growth (VmHWM
#     after, with the peak reset through /proc/PID/clear_refs, minus VmRSS
#     before; RssAnon and RssFile sampled meanwhile).  Target < 16 MB.
#
# Throughput is messages over the time from the sender's first connect to
# the last delivered file (the newest mtime in the instance's Maildir, or
# in its smtp-sink's dump folder), so it includes delivery, not only
# smtp-source's exit.  The configurations are interleaved within a round,
# each round starting with the next one in turn, so that a load that comes
# and goes hits them alike.  A throughput is the median of its rounds, and
# a ratio is the median of the rounds' own ratios (liaisond's round against
# the reference's round beside it), which a load that changes between
# rounds moves less than the ratio of two medians.  a) has BENCH_A_ROUNDS
# rounds (default 7: a round is about 20 s), a') BENCH_A2_ROUNDS (default
# 5), b) and c) BENCH_ROUNDS (default 3).
#
# Everything runs on 127.0.0.1: one private Postfix per configuration
# (tests/postfix/pf-start, each with its own directory and high port), every
# address under .test, nothing delivered anywhere but files.  Missing
# packages (postfix, mimedefang, libnet-dns-perl) are installed with
# apt-get: run it as root, as a person, on a machine where that is fine.
#
# Environment: LIAISON_SRCDIR, LIAISON_BUILDDIR (set by "make bench"),
# BENCH_ROUNDS, BENCH_A_ROUNDS, BENCH_A2_ROUNDS, BENCH_DIR (default BUILDDIR/bench-run),
# KEEP=1 keeps it.
# Writes the tables and the machine to BUILDDIR/bench-results.md.
# Per-instance variables (PORT_x, LPID_x, MPIDS_x) are set through eval;
# a measurement's words are split on purpose (set -- $(...)).
# shellcheck disable=SC2034,SC2154,SC2046
set -eu

SRCDIR=${LIAISON_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILDDIR=${LIAISON_BUILDDIR:-$SRCDIR}
BENCH="$SRCDIR/bench"
PF="$SRCDIR/tests/postfix"
CORPUS="$SRCDIR/tests/corpus"
LIAISOND="$BUILDDIR/src/liaisond"
ROUNDS=${BENCH_ROUNDS:-3}
A_ROUNDS=${BENCH_A_ROUNDS:-7}
A2_ROUNDS=${BENCH_A2_ROUNDS:-5}
RUN=${BENCH_DIR:-$BUILDDIR/bench-run}
RESULTS="$BUILDDIR/bench-results.md"
PATH=$PATH:/usr/sbin:/sbin
RUN_USER=nobody

OTHER_MSGS=2000             # a) smtp-source -m
OTHER_LEN=5120              # a) smtp-source -l
SESSIONS=10
MIX_COPIES=20               # b) corpus copies per throughput round
MIX_PDF=70                  # b) 100 KB PDF statements per round
LAT_COPIES=10               # b) latency mix
LAT_PDF=40
BIG_MB=50                   # d)

PIDS=""                     # daemons started here, stopped at exit
INSTANCES=""                # Postfix instances started here

# ---- small helpers ------------------------------------------------------

# A progress line.
say() { printf '[bench %s] %s\n' "$(date +%T)" "$*"; }

# Stop with a reason.
die() { say "error: $*" >&2; exit 1; }

# Floating-point arithmetic: calc 'EXPR' prints the result with 2 decimals.
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }

# rotate R WORD...: the words, starting with word number R (1-based,
# taken modulo the count): round R's order of the configurations.
rotate() {
    local r=$1 n; shift; n=$#
    printf '%s\n' "$@" | awk -v r="$r" -v n="$n" '{ w[NR] = $0 }
        END { for (i = 0; i < n; i++) printf "%s ", w[(r - 1 + i) % n + 1] }'
}

# ratio_median "X1 X2 ..." "Y1 Y2 ...": the median of Xi / Yi.
ratio_median() {
    # shellcheck disable=SC2086
    median $(paste -d' ' <(printf '%s\n' $1) <(printf '%s\n' $2) |
        awk '$2 > 0 { printf "%.4f\n", $1 / $2 }') | awk '{ printf "%.2f", $1 }'
}

# The median of numbers given as arguments.
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# percentile P FILE: nearest-rank percentile of the first column, in ms.
percentile() {
    sort -g -k1,1 "$2" | awk -v p="$1" '{ v[NR] = $1 }
        END { i = int(p / 100 * NR); if (i < p / 100 * NR) i++; if (i < 1) i = 1;
              printf "%.1f", v[i] * 1000 }'
}

# yes or no: is "$1 $2 $3" (a, op, b) true?
met() { awk "BEGIN { print ($1 $2 $3) ? \"yes\" : \"no\" }"; }

# free_port VAR FROM: set VAR to a free TCP port of 127.0.0.1 from FROM
# upwards that was not handed out before.
USED_PORTS=" "
free_port() {
    local p
    for p in $(seq "$2" $(( $2 + 400 ))); do
        case $USED_PORTS in *" $p "*) continue ;; esac
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            USED_PORTS="$USED_PORTS$p "
            eval "$1=$p"
            return 0
        fi
    done
    die "no free port from $2"
}

# ---- packages -----------------------------------------------------------

# Install what the bench needs and the machine lacks (Debian packages).
ensure_packages() {
    local missing="" p
    for p in postfix mimedefang libnet-dns-perl; do
        dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    say "installing$missing (apt-get)"
    # Postfix without a system instance: no main.cf is written, nothing starts.
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing \
        >"$RUN/apt.log" 2>&1 || { tail -5 "$RUN/apt.log" >&2; die "apt-get install$missing failed"; }
}

# ---- daemons --------------------------------------------------------------

# Stop every daemon and Postfix instance started here (by pid, never by name).
cleanup() {
    local pid name i
    set +e
    for name in $INSTANCES; do "$PF/pf-stop" "$RUN/pf-$name" >/dev/null 2>&1; done
    for pid in $PIDS; do kill -TERM "$pid" 2>/dev/null; done
    # libmilter daemons take up to about 10 s to leave after SIGTERM.
    for i in $(seq 1 150); do
        local left=""
        for pid in $PIDS; do kill -0 "$pid" 2>/dev/null && left="$left $pid"; done
        [ -z "$left" ] && break
        sleep 0.1
    done
    for pid in $PIDS; do kill -KILL "$pid" 2>/dev/null; done
    wait 2>/dev/null
    # Keep the logs (liaisond, MIMEDefang, maillogs); drop the mail.
    if [ "${KEEP:-}" != 1 ] && [ -d "$RUN" ]; then
        rm -rf "$RUN"/mix-* "$RUN"/big.msg "$RUN"/pf-*/mail "$RUN"/pf-*/queue "$RUN"/sink-*/ \
            "$RUN"/l-*/db "$RUN"/l-*/spool "$RUN"/md/spool
    fi
}

# start_liaisond NAME SOCKET: a liaisond with its own database and spool
# under RUN/l-NAME, running as RUN_USER; its pid in LPID_NAME.
start_liaisond() {
    local name=$1 sock=$2 d="$RUN/l-$1" pid i
    mkdir -p "$d/db" "$d/spool" "$d/run"
    chown "$RUN_USER" "$d/db" "$d/spool" "$d/run"
    chmod 755 "$d" "$d/run"
    cat > "$d/liaisond.conf" <<EOF
socket = $sock
intake = liaisons@ietf.test
database = $d/db/liaison.db
directory = $CORPUS/directory.json
spool_dir = $d/spool
spool_memory_max = 1M
message_max = 100M
user = $RUN_USER
pidfile = $d/run/liaisond.pid
EOF
    # The outbox sender (mail out) stays off: notifications and
    # acknowledgements are queued by the ingest, and cost what they cost
    # there, but not sent, so that both sides deliver the same kind of mail.
    if "$LIAISOND" -h 2>&1 | grep -q '^  sender '; then
        echo "sender = no" >> "$d/liaisond.conf"
    fi
    "$LIAISOND" -f -c "$d/liaisond.conf" >>"$d/liaisond.log" 2>&1 &
    pid=$!
    PIDS="$PIDS $pid"
    for i in $(seq 1 100); do
        [ -s "$d/run/liaisond.pid" ] && { eval "LPID_$name=$pid"; return 0; }
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    tail -5 "$d/liaisond.log" >&2
    die "liaisond $name did not start"
}

# MIMEDefang with its default filter on RUN/md/md.sock (mode 666).
start_mimedefang() {
    local d="$RUN/md" i
    mkdir -p "$d/spool"
    chown defang "$d" "$d/spool"
    chmod 755 "$d"
    # The Debian defaults (commented in /etc/default/mimedefang): 2 to 10
    # workers.  -F: the rules; its embedded Perl (-E) fails, so none.
    mimedefang-multiplexor -D -U defang -m 2 -x 10 -z "$d/spool" -s "$d/mx.sock" \
        -p "$d/mx.pid" -o "$d/mx.lock" -F /etc/mail/mimedefang-filter \
        >>"$d/md.log" 2>&1 &
    PIDS="$PIDS $!"
    for i in $(seq 1 100); do [ -S "$d/mx.sock" ] && break; sleep 0.1; done
    [ -S "$d/mx.sock" ] || die "mimedefang-multiplexor did not start ($d/md.log)"
    mimedefang -D -U defang -m "$d/mx.sock" -z "$d/spool" -p "unix:$d/md.sock" \
        -P "$d/md.pid" -o "$d/md.lock" >>"$d/md.log" 2>&1 &
    PIDS="$PIDS $!"
    for i in $(seq 1 100); do [ -S "$d/md.sock" ] && break; sleep 0.1; done
    [ -S "$d/md.sock" ] || die "mimedefang did not start ($d/md.log)"
    chmod 666 "$d/md.sock"
    MPIDS_md="$(tr -dc 0-9 < "$d/mx.pid") $(tr -dc 0-9 < "$d/md.pid")"
}

# start_nullmilter: bench/nullmilter.c built into RUN and started on a
# unix socket in RUN/null; its pid in MPIDS_nunix.
start_nullmilter() {
    local d="$RUN/null"
    mkdir -p "$d"
    cc -std=c11 -Wall -Wextra -O2 -o "$d/nullmilter" "$BENCH/nullmilter.c" -lmilter -lpthread ||
        die "cannot build bench/nullmilter.c (libmilter-dev)"
    "$d/nullmilter" "unix:$d/null.sock" >>"$d/null.log" 2>&1 &
    PIDS="$PIDS $!"
    MPIDS_nunix=$!
    for _ in $(seq 1 100); do [ -S "$d/null.sock" ] && return 0; sleep 0.1; done
    die "nullmilter did not start ($d/null.log)"
}

# start_sink NAME PORT: smtp-sink on 127.0.0.1:PORT, the next hop of the
# relaying instance NAME, dumping each transaction to a file in RUN/sink-NAME.
start_sink() {
    mkdir -p "$RUN/sink-$1"
    chown postfix "$RUN/sink-$1"
    smtp-sink -u postfix -d "$RUN/sink-$1/m." "127.0.0.1:$2" 256 >>"$RUN/sink-$1.log" 2>&1 &
    PIDS="$PIDS $!"
    for _ in $(seq 1 50); do
        (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && return 0
        sleep 0.1
    done
    die "smtp-sink for $1 did not start ($RUN/sink-$1.log)"
}

# start_postfix NAME PORT MILTER [MAIN_CF]: a private Postfix (pf-start) in
# RUN/pf-NAME, with MAIN_CF's lines added to its main.cf.
start_postfix() {
    PF_MAIN_CF=${4:-} "$PF/pf-start" "$RUN/pf-$1" "$2" "$3" >"$RUN/pf-$1.start" 2>&1 ||
        { cat "$RUN/pf-$1.start" >&2; die "postfix $1 did not start"; }
    INSTANCES="$INSTANCES $1"
    eval "PORT_$1=$2"
}

# ---- measuring ------------------------------------------------------------

# The folder of instance NAME's delivered files: its Maildir, or the dump
# folder of its smtp-sink when it relays.
delivered_dir() {
    if [ -d "$RUN/sink-$1" ]; then echo "$RUN/sink-$1"; else echo "$RUN/pf-$1/mail/inbox/new"; fi
}

# Remove the delivered files of instance NAME.
clear_inbox() {
    find "$(delivered_dir "$1")" "$RUN/pf-$1/mail/inbox/cur" -type f -delete 2>/dev/null || true
}

# The newest mtime (epoch seconds, fractional) among NAME's delivered files.
last_delivery() {
    perl -MTime::HiRes=stat -e 'my $m = 0; for (glob("$ARGV[0]/*")) {
        my $t = (stat $_)[9]; $m = $t if $t > $m } printf "%.6f\n", $m' "$(delivered_dir "$1")"
}

# wait_delivered NAME N: until N copies are in NAME's Maildir or its queue
# has stayed empty; prints the count.  For a relaying instance, until its
# queue has stayed empty (a dump file is written while its transaction
# runs, so only an empty queue says that every one is complete), then the
# recipients in the dumps.
wait_delivered() {
    if [ ! -d "$RUN/sink-$1" ]; then
        "$PF/pf-wait-delivered" "$RUN/pf-$1" "$2" 300 2>>"$RUN/wait.log" || true
        return
    fi
    "$PF/pf-wait-delivered" "$RUN/pf-$1" empty 300 >/dev/null 2>>"$RUN/wait.log" || true
    find "$RUN/sink-$1" -type f -exec grep -h '^X-Rcpt-Args:' {} + 2>/dev/null | wc -l
}

# CPU seconds used so far by instance NAME's Postfix and its milter.
cpu_of() {
    local pids
    eval "pids=\"\$(tr -dc 0-9 < \"$RUN/pf-$1/queue/pid/master.pid\") \$MPIDS_$1\""
    # shellcheck disable=SC2086
    "$BENCH/cputime" $pids
}

# CPU seconds used so far by instance NAME's milter alone (0 for none).
milter_cpu_of() {
    local pids
    eval "pids=\$MPIDS_$1"
    if [ -z "$pids" ]; then echo 0; return; fi
    # shellcheck disable=SC2086
    "$BENCH/cputime" $pids
}

# other_round NAME [FLAG]: smtp-source through instance NAME, with FLAG
# (-d: keep each connection for the next message) if given; prints
# msgs/s, the CPU milliseconds per message of the instance and its
# milter, and of the milter alone.
other_round() {
    local name=$1 flag=${2:-} port t0 t1 n c0 c1 m0 m1
    eval "port=\$PORT_$name"
    clear_inbox "$name"
    c0=$(cpu_of "$name"); m0=$(milter_cpu_of "$name")
    t0=$(date +%s.%N)
    smtp-source ${flag:+"$flag"} -s "$SESSIONS" -m "$OTHER_MSGS" -l "$OTHER_LEN" -f bench@pf.test \
        -t someone@ietf.test "127.0.0.1:$port" >>"$RUN/smtp-source.log" 2>&1 ||
        say "warning: smtp-source to $name exited non-zero (see $RUN/smtp-source.log)" >&2
    n=$(wait_delivered "$name" "$OTHER_MSGS")
    [ "$n" -ge "$OTHER_MSGS" ] || say "warning: $name delivered only $n of $OTHER_MSGS" >&2
    t1=$(last_delivery "$name")
    c1=$(cpu_of "$name"); m1=$(milter_cpu_of "$name")
    echo "$(calc "$n / ($t1 - $t0)") $(calc "($c1 - $c0) * 1000 / $n") $(calc "($m1 - $m0) * 1000 / $n")"
}

# The number of copies liaisond adds for the log lines after line $2 of $1.
added_since() {
    tail -n "+$(( $2 + 1 ))" "$1" | sed -n 's/.*, \([0-9]*\) recipients\{0,1\} added,.*/\1/p' |
        awk '{ s += $1 } END { print s + 0 }'
}

# intake_round NAME MANIFEST [LIAISOND-LOG]: the manifest's mail through
# instance NAME over SESSIONS sessions; prints msgs/s to the last delivery,
# CPU ms per message, msgs/s to the last reply to the sender, copies
# delivered, and the milter's own CPU ms per message.  The copies expected
# are the messages, the recipients the manifest adds (bench/copies) and
# those liaisond added (its log).
intake_round() {
    local name=$1 manifest=$2 log=${3:-} port out n want lines=0 t0 t1 t2 failed c0 c1 m0 m1
    eval "port=\$PORT_$name"
    clear_inbox "$name"
    c0=$(cpu_of "$name"); m0=$(milter_cpu_of "$name")
    [ -n "$log" ] && lines=$(wc -l < "$log")
    out=$("$BENCH/smtp-send" -p "$port" -s "$SESSIONS" "$manifest") ||
        say "warning: $name: $out" >&2
    n=$(echo "$out" | awk '{ print $4 }')
    failed=$(echo "$out" | awk '{ print $6 }')
    t0=$(echo "$out" | awk '{ print $8 }')
    t2=$(echo "$out" | awk '{ print $10 }')
    want=$(( n + $(awk -F '\t' '{ n += split($3, a, " ") } END { print n + 0 }' "$manifest") ))
    [ -n "$log" ] && want=$(( want + $(added_since "$log" "$lines") ))
    if [ -n "$log" ] && tail -n "+$(( lines + 1 ))" "$log" | grep -q 'seen before'; then
        say "warning: $name: liaisond saw some messages before (deduplicated)" >&2
    fi
    got=$(wait_delivered "$name" "$want")
    [ "$got" -ge "$want" ] || say "warning: $name delivered $got of $want copies" >&2
    [ "$failed" = 0 ] || say "warning: $name refused $failed of $(( n + failed )) messages" >&2
    t1=$(last_delivery "$name")
    c1=$(cpu_of "$name"); m1=$(milter_cpu_of "$name")
    echo "$(calc "$n / ($t1 - $t0)") $(calc "($c1 - $c0) * 1000 / $n") $(calc "$n / ($t2 - $t0)") $got $(calc "($m1 - $m0) * 1000 / $n")"
}

# latency NAME MIXDIR: the mix one message at a time; writes RUN/lat-NAME.
latency() {
    local name=$1 port
    eval "port=\$PORT_$name"
    clear_inbox "$name"
    "$BENCH/smtp-send" -p "$port" -s 1 -o "$RUN/lat-$name" "$2/manifest" >/dev/null ||
        say "warning: $name refused some latency messages" >&2
    wait_delivered "$name" 1000000 >/dev/null
}

# kB of a /proc/PID/status field.
status_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

# ---- the run ----------------------------------------------------------------

[ "$(id -u)" = 0 ] || die "run as root: a private Postfix's master runs as root"
[ -x "$LIAISOND" ] || die "no $LIAISOND: build first (make)"
if [ -d "$RUN" ]; then rm -rf "$RUN"; fi
mkdir -p "$RUN"
chmod 755 "$RUN"
trap cleanup EXIT
trap 'exit 130' INT TERM
ensure_packages
command -v smtp-source >/dev/null || die "smtp-source missing (postfix package)"

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
say "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), Debian $(cat /etc/debian_version), Postfix $(postconf -d -h mail_version), load $(cut -d' ' -f1-3 /proc/loadavg)"

say "building the mail: intake mixes ($MIX_COPIES x corpus + $MIX_PDF PDF statements per round), latency mix, ${BIG_MB} MB message"
for r in $(seq 1 "$ROUNDS"); do
    "$BENCH/mkmix" mix "$CORPUS" "$RUN/mix-$r" "t$r" "$MIX_COPIES" "$MIX_PDF" >/dev/null
done
MIX_N=$(wc -l < "$RUN/mix-1/manifest")
"$BENCH/mkmix" mix "$CORPUS" "$RUN/mix-lat" lat "$LAT_COPIES" "$LAT_PDF" >/dev/null
LAT_N=$(wc -l < "$RUN/mix-lat/manifest")
"$BENCH/mkmix" mix "$CORPUS" "$RUN/mix-warm" warm 1 0 >/dev/null
"$BENCH/mkmix" big "$CORPUS" "$RUN/big.msg" "$BIG_MB" >/dev/null
printf '\t%s\n' "$RUN/big.msg" > "$RUN/big.manifest"
sed -i 's/^/greta.jonsson@itu.test/' "$RUN/big.manifest"
BIG_BYTES=$(stat -c %s "$RUN/big.msg")

say "starting liaisond (unix, TCP, relayed), MIMEDefang, three smtp-sinks and eight private Postfix instances"
free_port MILTER_PORT 10450
start_liaisond unix "unix:$RUN/l-unix/run/liaisond.sock"
start_liaisond tcp "inet:$MILTER_PORT@127.0.0.1"
start_liaisond relay "unix:$RUN/l-relay/run/liaisond.sock"
start_liaisond big "unix:$RUN/l-big/run/liaisond.sock"
start_mimedefang
start_nullmilter
MPIDS_none=""; MPIDS_lunix=$LPID_unix; MPIDS_ltcp=$LPID_tcp; MPIDS_big=$LPID_big
MPIDS_rnone=""; MPIDS_rlia=$LPID_relay; MPIDS_rmd=$MPIDS_md
for name in none lunix ltcp nunix md big rnone rlia rmd; do
    free_port port 10400
    main_cf=""
    case $name in
        none)  milter=none ;;
        lunix) milter="unix:$RUN/l-unix/run/liaisond.sock" ;;
        ltcp)  milter="inet:127.0.0.1:$MILTER_PORT" ;;
        nunix) milter="unix:$RUN/null/null.sock" ;;
        md)    milter="unix:$RUN/md/md.sock" ;;
        big)   milter="unix:$RUN/l-big/run/liaisond.sock" ;;
        rnone) milter=none ;;
        rlia)  milter="unix:$RUN/l-relay/run/liaisond.sock" ;;
        rmd)   milter="unix:$RUN/md/md.sock" ;;
    esac
    case $name in
        r*) # Every recipient by SMTP to the next hop, not into files.
            free_port sink_port 10460
            start_sink "$name" "$sink_port"
            main_cf="virtual_mailbox_domains =
default_transport = smtp
relayhost = [127.0.0.1]:$sink_port" ;;
    esac
    start_postfix "$name" "$port" "$milter" "$main_cf"
done
say "ports: postfix none $PORT_none, liaisond unix $PORT_lunix, liaisond TCP $PORT_ltcp (milter $MILTER_PORT), null milter $PORT_nunix, MIMEDefang $PORT_md, big $PORT_big; relayed: none $PORT_rnone, liaisond $PORT_rlia, MIMEDefang $PORT_rmd"
# One message through each, so that no first-use cost lands in a round.
for name in none lunix ltcp nunix md big rnone rlia rmd; do
    eval "port=\$PORT_$name"
    "$BENCH/smtp-send" -p "$port" "$RUN/mix-warm/manifest" >/dev/null ||
        say "warning: warm-up through $name refused a message" >&2
done
for name in none lunix ltcp nunix md big rnone rlia rmd; do wait_delivered "$name" 1000000 >/dev/null; done

# a) other mail: msgs/s in A_NAME, CPU ms/msg in AC_NAME, one word a round.
for name in none lunix ltcp nunix; do eval "A_$name=; AC_$name=; AM_$name="; done
for r in $(seq 1 "$A_ROUNDS"); do
    for name in $(rotate "$r" none lunix ltcp nunix); do
        set -- $(other_round "$name")
        eval "A_$name=\"\$A_$name $1\"; AC_$name=\"\$AC_$name $2\"; AM_$name=\"\$AM_$name $3\""
        say "a) other mail, round $r/$A_ROUNDS, $name: $1 msgs/s, $2 ms CPU/msg"
    done
done
# a') the same over connections kept for 200 messages each.
for name in none lunix ltcp; do eval "A2_$name=; AC2_$name=; AM2_$name="; done
for r in $(seq 1 "$A2_ROUNDS"); do
    for name in $(rotate "$r" none lunix ltcp); do
        set -- $(other_round "$name" -d)
        eval "A2_$name=\"\$A2_$name $1\"; AC2_$name=\"\$AC2_$name $2\"; AM2_$name=\"\$AM2_$name $3\""
        say "a') other mail, 200 a connection, round $r/$A2_ROUNDS, $name: $1 msgs/s, $2 ms CPU/msg"
    done
done

# b), c) intake mail: msgs/s to the last delivery (B_), CPU ms/msg (BC_),
# msgs/s to the last reply (BA_), copies delivered (BN_).  "copies" is the
# Postfix with no milter again, given the copies that liaisond routed in
# the same round as more RCPT TOs: the same deliveries without the milter,
# so it always comes right after lunix, whose delivered files it reads.
for name in none lunix copies md rnone rlia rmd; do eval "B_$name=; BC_$name=; BA_$name=; BN_$name=; BM_$name="; done
for r in $(seq 1 "$ROUNDS"); do
    for name in $(rotate "$r" none lunix+copies md rnone rlia rmd | sed 's/+/ /'); do
        log=""; inst=$name; manifest="$RUN/mix-$r/manifest"
        case $name in
            lunix) log="$RUN/l-unix/liaisond.log" ;;
            rlia)  log="$RUN/l-relay/liaisond.log" ;;
            copies)
                inst=none; manifest="$RUN/mix-$r/manifest.copies"
                "$BENCH/copies" "$RUN/pf-lunix/mail/inbox/new" "$RUN/mix-$r/manifest" > "$manifest" ;;
        esac
        set -- $(intake_round "$inst" "$manifest" "$log")
        eval "B_$name=\"\$B_$name $1\"; BC_$name=\"\$BC_$name $2\"; BA_$name=\"\$BA_$name $3\"; BN_$name=\"\$BN_$name $4\"; BM_$name=\"\$BM_$name $5\""
        say "b) intake mix ($MIX_N messages), round $r/$ROUNDS, $name: $1 msgs/s ($3 to the last reply), $2 ms CPU/msg, $4 copies delivered"
    done
done
for name in none lunix md; do
    latency "$name" "$RUN/mix-lat"
    say "b) latency, $LAT_N messages one at a time, $name: median $(percentile 50 "$RUN/lat-$name") ms, p99 $(percentile 99 "$RUN/lat-$name") ms"
done

# d) one big attachment
say "d) one ${BIG_MB} MB attachment ($BIG_BYTES bytes of mail) through liaisond"
rss0=$(status_kb "$LPID_big" VmRSS)
anon0=$(status_kb "$LPID_big" RssAnon)
if echo 5 > "/proc/$LPID_big/clear_refs" 2>/dev/null; then hwm_reset=yes; else hwm_reset=no; fi
( peak_anon=0; peak_file=0
  while kill -0 "$LPID_big" 2>/dev/null && [ ! -e "$RUN/big.done" ]; do
      a=$(status_kb "$LPID_big" RssAnon); f=$(status_kb "$LPID_big" RssFile)
      [ "${a:-0}" -gt "$peak_anon" ] && peak_anon=$a
      [ "${f:-0}" -gt "$peak_file" ] && peak_file=$f
      echo "$peak_anon $peak_file" > "$RUN/big.peaks"
      sleep 0.02
  done ) &
sampler=$!
"$BENCH/smtp-send" -p "$PORT_big" -o "$RUN/lat-big" "$RUN/big.manifest" >/dev/null ||
    say "warning: the ${BIG_MB} MB message was refused: $(cat "$RUN/lat-big")" >&2
touch "$RUN/big.done"
wait "$sampler" 2>/dev/null || true
hwm=$(status_kb "$LPID_big" VmHWM)
rss1=$(status_kb "$LPID_big" VmRSS)
read -r peak_anon peak_file < "$RUN/big.peaks" || { peak_anon=0; peak_file=0; }
anon1=$(status_kb "$LPID_big" RssAnon)
big_s=$(awk '{ printf "%.1f", $1 }' "$RUN/lat-big")
big_code=$(awk '{ print $2 }' "$RUN/lat-big")
D_growth=$(calc "($hwm - $rss0) / 1024")
D_met=$(met "$D_growth" '<' 16)
if [ "$big_code" != 250 ]; then
    # Refused: whatever the memory did, the message was not recorded.
    D_growth="$D_growth (refused: $big_code)"; D_met=no
    say "warning: liaisond said: $(grep -E 'temporary failure|refused' "$RUN/l-big/liaisond.log" | tail -1)" >&2
fi
say "d) VmRSS before $rss0 kB, VmHWM after $hwm kB (peak reset: $hwm_reset), VmRSS after $rss1 kB; sampled peaks RssAnon $peak_anon kB, RssFile $peak_file kB; $big_s s"

# ---- the tables -------------------------------------------------------------

# shellcheck disable=SC2086
{
a_none=$(median $A_none); a_lunix=$(median $A_lunix); a_ltcp=$(median $A_ltcp)
ac_none=$(median $AC_none); ac_lunix=$(median $AC_lunix); ac_ltcp=$(median $AC_ltcp)
a_nunix=$(median $A_nunix); ac_nunix=$(median $AC_nunix); am_nunix=$(median $AM_nunix)
a2_none=$(median $A2_none); a2_lunix=$(median $A2_lunix); a2_ltcp=$(median $A2_ltcp)
ac2_none=$(median $AC2_none); ac2_lunix=$(median $AC2_lunix); ac2_ltcp=$(median $AC2_ltcp)
am2_lunix=$(median $AM2_lunix); am2_ltcp=$(median $AM2_ltcp)
am_lunix=$(median $AM_lunix); am_ltcp=$(median $AM_ltcp); bm_lunix=$(median $BM_lunix); bm_md=$(median $BM_md)
b_none=$(median $B_none); b_lunix=$(median $B_lunix); b_md=$(median $B_md)
bc_none=$(median $BC_none); bc_lunix=$(median $BC_lunix); bc_md=$(median $BC_md)
ba_none=$(median $BA_none); ba_lunix=$(median $BA_lunix); ba_md=$(median $BA_md)
bn_none=$(median $BN_none); bn_lunix=$(median $BN_lunix); bn_md=$(median $BN_md)
b_copies=$(median $B_copies); bc_copies=$(median $BC_copies); bn_copies=$(median $BN_copies)
b_rnone=$(median $B_rnone); b_rlia=$(median $B_rlia); bc_rnone=$(median $BC_rnone); bc_rlia=$(median $BC_rlia)
bm_rlia=$(median $BM_rlia); bn_rnone=$(median $BN_rnone); bn_rlia=$(median $BN_rlia)
b_rmd=$(median $B_rmd); bc_rmd=$(median $BC_rmd); bm_rmd=$(median $BM_rmd)
}
r_unix=$(ratio_median "$A_lunix" "$A_none"); r_tcp=$(ratio_median "$A_ltcp" "$A_none")
r_null=$(ratio_median "$A_nunix" "$A_none"); r_unix_null=$(ratio_median "$A_lunix" "$A_nunix")
r2_unix=$(ratio_median "$A2_lunix" "$A2_none"); r2_tcp=$(ratio_median "$A2_ltcp" "$A2_none")
r_intake=$(ratio_median "$B_lunix" "$B_none"); r_relay=$(ratio_median "$B_rlia" "$B_rnone")
r_rmd=$(ratio_median "$B_rlia" "$B_rmd"); r_copies=$(ratio_median "$B_lunix" "$B_copies")
r_md=$(ratio_median "$B_lunix" "$B_md")
l50=$(percentile 50 "$RUN/lat-lunix"); n50=$(percentile 50 "$RUN/lat-none"); m50=$(percentile 50 "$RUN/lat-md")
l99=$(percentile 99 "$RUN/lat-lunix"); n99=$(percentile 99 "$RUN/lat-none"); m99=$(percentile 99 "$RUN/lat-md")
big_mb=$(calc "$BIG_BYTES / 1048576")

{
echo "## make bench, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "Machine: $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)),"
echo "$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) memory, Debian $(cat /etc/debian_version), kernel $(uname -r),"
echo "Postfix $(postconf -d -h mail_version), $(mimedefang-multiplexor -v 2>&1 | head -1),"
echo "liaisond $(git -C "$SRCDIR" describe --always --dirty 2>/dev/null || echo '?') built in $BUILDDIR;"
echo "load average at the start $LOAD0, at the end $(cut -d' ' -f1-3 /proc/loadavg)."
echo "Throughput: from the first connect to the last delivered file, the median of $A_ROUNDS rounds"
echo "for a), $A2_ROUNDS for a') and $ROUNDS for b) and c); a ratio is the median of the rounds' own ratios."
echo
echo "| measurement | liaisond | reference | ratio | target | met? |"
echo "| --- | --- | --- | --- | --- | --- |"
echo "| a) other mail, unix socket (msgs/s) | $a_lunix | $a_none (no milter) | $r_unix | >= 0.9 | $(met "$r_unix" '>=' 0.9) |"
echo "| a) other mail, TCP 127.0.0.1 (msgs/s) | $a_ltcp | $a_none (no milter) | $r_tcp | >= 0.9 | $(met "$r_tcp" '>=' 0.9) |"
echo "| a0) the floor: other mail through the null milter (ACCEPT at connect), unix socket (msgs/s) | $a_nunix | $a_none (no milter) | $r_null | - | - |"
echo "| a) liaisond against that floor, unix socket (msgs/s) | $a_lunix | $a_nunix (null milter) | $r_unix_null | - | - |"
echo "| a') other mail, 200 messages a connection, unix socket (msgs/s) | $a2_lunix | $a2_none (no milter) | $r2_unix | - | - |"
echo "| a') the same, TCP 127.0.0.1 (msgs/s) | $a2_ltcp | $a2_none (no milter) | $r2_tcp | - | - |"
echo "| b) intake mix, $MIX_N msgs (msgs/s) | $b_lunix | $b_none (no milter) | $r_intake | >= 0.5 | $(met "$r_intake" '>=' 0.5) |"
echo "| b) the same, against Postfix delivering the same copies (msgs/s) | $b_lunix | $b_copies (no milter, $bn_copies copies) | $r_copies | - | - |"
echo "| b) the same mix, both relaying to a next hop by SMTP (msgs/s) | $b_rlia | $b_rnone (no milter) | $r_relay | (>= 0.5) | $(met "$r_relay" '>=' 0.5) |"
echo "| b) intake latency, median (ms) | $l50 | $n50 (no milter) | +$(calc "$l50 - $n50") ms | - | - |"
echo "| b) intake latency, p99 (ms) | $l99 | $n99 (no milter) | +$(calc "$l99 - $n99") ms | - | - |"
echo "| c) intake mix vs MIMEDefang (msgs/s) | $b_lunix | $b_md (MIMEDefang) | $r_md | > 1 | $(met "$r_md" '>' 1) |"
echo "| c) the same, both relaying to a next hop by SMTP (msgs/s) | $b_rlia | $b_rmd (MIMEDefang, relayed) | $r_rmd | (> 1) | $(met "$r_rmd" '>' 1) |"
echo "| d) ${BIG_MB} MB attachment, peak RSS growth (MB) | $D_growth | $big_mb (message size) | $(calc "${D_growth%% *} / $big_mb") | < 16 MB | $D_met |"
echo
echo "CPU per message (user + system, ms) of the Postfix instance and its milter,"
echo "which moves less than throughput with the machine's other load:"
echo
echo "| measurement | with the milter | of which the milter | reference | reference / with the milter |"
echo "| --- | --- | --- | --- | --- |"
echo "| a) other mail, unix socket | $ac_lunix | $am_lunix | $ac_none (no milter) | $(calc "$ac_none / $ac_lunix") |"
echo "| a) other mail, TCP | $ac_ltcp | $am_ltcp | $ac_none (no milter) | $(calc "$ac_none / $ac_ltcp") |"
echo "| a0) the null milter, unix socket | $ac_nunix | $am_nunix | $ac_none (no milter) | $(calc "$ac_none / $ac_nunix") |"
echo "| a') 200 messages a connection, unix socket | $ac2_lunix | $am2_lunix | $ac2_none (no milter) | $(calc "$ac2_none / $ac2_lunix") |"
echo "| a') 200 messages a connection, TCP | $ac2_ltcp | $am2_ltcp | $ac2_none (no milter) | $(calc "$ac2_none / $ac2_ltcp") |"
echo "| b) intake mix | $bc_lunix | $bm_lunix | $bc_none (no milter) | $(calc "$bc_none / $bc_lunix") |"
echo "| b) intake mix, the same copies | $bc_lunix | $bm_lunix | $bc_copies (no milter, the copies liaisond routed) | $(calc "$bc_copies / $bc_lunix") |"
echo "| b) intake mix, relayed | $bc_rlia | $bm_rlia | $bc_rnone (no milter, relayed) | $(calc "$bc_rnone / $bc_rlia") |"
echo "| c) intake mix | $bc_lunix | $bm_lunix | $bc_md (MIMEDefang, of which MIMEDefang $bm_md) | $(calc "$bc_md / $bc_lunix") |"
echo "| c) intake mix, relayed | $bc_rlia | $bm_rlia | $bc_rmd (MIMEDefang, relayed, of which MIMEDefang $bm_rmd) | $(calc "$bc_rmd / $bc_rlia") |"
echo
echo "Intake, to the last reply to the sender instead of the last delivery: liaisond $ba_lunix msgs/s,"
echo "no milter $ba_none, MIMEDefang $ba_md; copies delivered per round: liaisond $bn_lunix"
echo "(the intake copy and the routed recipients), no milter $bn_none, MIMEDefang $bn_md;"
echo "Relayed, the last round: liaisond $bn_rlia recipients in $(find "$RUN/sink-rlia" -type f | wc -l) SMTP transactions,"
echo "no milter $bn_rnone in $(find "$RUN/sink-rnone" -type f | wc -l)."
for name in unix tcp relay big; do
    n=$(grep -c 'temporary failure' "$RUN/l-$name/liaisond.log" || true)
    [ "$n" = 0 ] || echo "liaisond ($name) answered $n temporary failure(s), the first: $(grep -m1 'temporary failure' "$RUN/l-$name/liaisond.log" | sed 's/^[^:]*: [^:]*: //')."
done
echo "Latency through MIMEDefang: median $m50 ms, p99 $m99 ms ($LAT_N messages one at a time)."
echo
echo "Rounds, msgs/s: a) none$A_none; unix$A_lunix; tcp$A_ltcp; null milter$A_nunix."
echo "a') none$A2_none; unix$A2_lunix; tcp$A2_ltcp."
echo "b) none$B_none; liaisond$B_lunix; same copies$B_copies; MIMEDefang$B_md;"
echo "relayed none$B_rnone; relayed liaisond$B_rlia; relayed MIMEDefang$B_rmd."
echo "d) VmRSS before $rss0 kB, VmHWM after $hwm kB (peak reset: $hwm_reset), VmRSS after $rss1 kB;"
echo "sampled peaks RssAnon $peak_anon kB, RssFile $peak_file kB (RssAnon $anon0 kB before, $anon1 kB after); ${big_s} s for the transaction."
} > "$RESULTS"
echo
cat "$RESULTS"
echo
say "written to $RESULTS; logs in $RUN"
