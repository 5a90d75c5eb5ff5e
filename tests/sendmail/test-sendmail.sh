#!/bin/bash
# tests/sendmail/test-sendmail.sh: liaisond behind a real Sendmail, with
# the INPUT_MAIL_FILTER line of contrib/sendmail.mc (the README's).
#
# Sendmail and Postfix cannot both be installed as Debian packages (each
# is the system's mail-transport-agent), so contrib/install-deps.sh
# unpacks sendmail-bin and sendmail-cf, without installing them, into
# /var/cache/liaisond-tests/sendmail (LIAISON_SENDMAIL_ROOT to override).
# This test builds a private sendmail.cf from that cf/ tree with m4 and
# runs "sendmail -C private.cf -bs": an SMTP session on a pipe (swaks
# --pipe), which calls the milter as a daemon's session would, and
# queues each message in a private queue without delivering it.  Sendmail
# sleeps a minute when the host's name cannot be qualified, so it runs in
# a UTS namespace of its own named mx.sm.test (unshare --uts).  The milter
# socket is under /run: Sendmail refuses a socket whose path has a
# world-writable folder such as /tmp.
#
# It proves, for every corpus message:
#   - the recipients Sendmail queued (qf R lines) are liaisons@ plus
#     exactly the routing in tests/corpus/routing.json;
#   - statements and correspondence carry X-Liaison-ID and the [LS n]
#     subject tag; auto-replies and bounces neither;
#   - the body Sendmail queued (df) is the body sent, byte for byte;
# and that with liaisond down, F=T makes Sendmail answer 451 and queue
# nothing (the sender keeps the message).
#
# Needs root, unshare, m4, swaks, jq and the unpacked Sendmail; skips
# (exit 77) without them.  KEEP=1 keeps the run directory.
set -u
. "$(dirname "$0")/../lib.sh"
. "$SRCDIR/tests/postfix/pf-lib.sh"

SM_ROOT=${LIAISON_SENDMAIL_ROOT:-/var/cache/liaisond-tests/sendmail}
SENDMAIL=$SM_ROOT/usr/libexec/sendmail/sendmail
SM_CF=$SM_ROOT/usr/share/sendmail/cf
[ "$(id -u)" = 0 ] || pf_skip "needs root (sendmail -C as root, unshare)"
for tool in unshare m4 swaks jq python3 sqlite3; do
    command -v "$tool" >/dev/null || pf_skip "$tool not installed"
done
[ -x "$SENDMAIL" ] && [ -f "$SM_CF/m4/cf.m4" ] \
    || pf_skip "no unpacked Sendmail in $SM_ROOT (contrib/install-deps.sh makes it)"
unshare --uts true 2>/dev/null || pf_skip "unshare --uts is not permitted here"
missing=$(ldd "$SENDMAIL" 2>&1 | sed -n 's/^[[:space:]]*\([^ ]*\) => not found.*/\1/p' | paste -sd' ')
[ -z "$missing" ] || pf_skip "the unpacked sendmail lacks libraries: $missing (contrib/install-deps.sh installs them)"

pf_setup sendmail 11210
# The socket under /run (see above), in a folder only liaisond's user writes.
SOCKDIR=$(mktemp -d /run/liaison-sm.XXXXXX)
chmod 755 "$SOCKDIR"; chown "$RUN_USER" "$SOCKDIR"
SOCK=$SOCKDIR/liaisond.sock
t_cleanup 'rm -rf "$SOCKDIR"'
pf_conf

# The filter line as contrib/sendmail.mc gives it, with this test's socket.
filter=$(grep '^INPUT_MAIL_FILTER' "$SRCDIR/contrib/sendmail.mc" | sed "s#unix:[^,]*#unix:$SOCK#")
case $filter in *"unix:$SOCK, F=T,"*) ok "contrib/sendmail.mc's filter line: $filter" ;;
    *) fail "contrib/sendmail.mc's filter line" "'$filter'"; exit 1 ;; esac
mkdir -p "$RUN/mqueue" "$RUN/msp"
chmod 755 "$RUN/mqueue"
cat >"$RUN/test.mc" <<EOF
divert(-1)
divert(0)dnl
include(\`$SM_CF/m4/cf.m4')dnl
VERSIONID(\`liaisond test')dnl
OSTYPE(\`linux')dnl
define(\`QUEUE_DIR', \`$RUN/mqueue')dnl
define(\`MSP_QUEUE_DIR', \`$RUN/msp')dnl
define(\`STATUS_FILE', \`$RUN/statistics')dnl
define(\`ALIAS_FILE', \`')dnl
define(\`HELP_FILE', \`')dnl
define(\`confDOMAIN_NAME', \`mx.sm.test')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`confDELIVERY_MODE', \`queueonly')dnl
define(\`confPID_FILE', \`$RUN/sendmail.pid')dnl
define(\`confSERVICE_SWITCH_FILE', \`$RUN/service.switch')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`promiscuous_relay')dnl
FEATURE(\`accept_unresolvable_domains')dnl
$filter
MAILER(\`smtp')dnl
EOF
printf 'hosts files\naliases files\n' >"$RUN/service.switch"
if m4 "$RUN/test.mc" >"$RUN/test.cf" 2>"$SCRATCH/m4.err" && grep -q '^Xliaisond, S=unix:' "$RUN/test.cf"; then
    ok "a private sendmail.cf with the filter ($(sed -n 's/^DZ//p' "$RUN/test.cf"))"
else
    fail "sendmail.cf" "$(head -3 "$SCRATCH/m4.err")"; exit 1
fi

if start_liaisond; then ok "liaisond starts"
else fail "liaisond starts" "$(tail -5 "$RUN/liaisond.log")"; exit 1; fi

# sm_send FILE SENDER RCPT: one SMTP session with sendmail -bs.
sm_send() {
    swaks --silent 2 --pipe "unshare --uts sh -c 'hostname mx.sm.test && exec $SENDMAIL -C $RUN/test.cf -bs'" \
        -f "$2" -t "$3" --data "@$1" >"$SCRATCH/swaks.out" 2>&1
}

# ---- every corpus message, in order (s09 answers s01) -------------------
send_corpus sm_send sendmail
is "$CORPUS_MESSAGES messages queued" "$CORPUS_MESSAGES" "$(find "$RUN/mqueue" -name 'qf*' | wc -l)"
is "$CORPUS_MESSAGES messages recorded" "$CORPUS_MESSAGES" "$(sql "SELECT count(*) FROM message WHERE direction = 'in'")"

# Each queued message: Message-ID, recipients, X-Liaison-ID, Subject; its
# df file is its body.
python3 - "$RUN/mqueue" >"$SCRATCH/queued" <<'EOF'
import glob, os, re, sys
for qf in sorted(glob.glob(os.path.join(sys.argv[1], "qf*"))):
    rcpts, headers, cur = [], [], None
    for line in open(qf, encoding="latin-1").read().split("\n"):
        if line.startswith("R"):
            m = re.search(r"<([^>]*)>\s*$", line)
            if m:
                rcpts.append(m.group(1).lower())
        elif line.startswith("H"):
            cur = re.sub(r"^H(\?[^?]*\?)?", "", line)
            headers.append(cur)
        elif line.startswith("\t") and headers:
            headers[-1] += "\n" + line
    def get(name):
        for h in headers:
            k, _, v = h.partition(":")
            if k.lower() == name:
                return " ".join(v.split())
        return "-"
    print("\t".join([get("message-id"), " ".join(sorted(set(rcpts))),
                     get("x-liaison-id"), get("subject"), "df" + os.path.basename(qf)[2:]]))
EOF
for f in "$CORPUS"/s*.eml; do
    name=$(basename "$f" .eml)
    mid=$(message_id_of "$f")
    line=$(awk -F'\t' -v m="$mid" '$1 == m' "$SCRATCH/queued")
    [ -n "$line" ] || { fail "$name: queued" "no qf with $mid"; continue; }
    IFS=$'\t' read -r _ rcpts lsid subject df <<<"$line"
    want=$(copies_of "$name" | paste -sd' ')
    is "$name: queued for $want" "$want" "$rcpts"
    # The kind the corpus expects, not the one liaisond recorded.
    kind=$(kind_of "$name")
    is "$name: recorded as $kind" "$kind" \
        "$(sql "SELECT kind FROM message WHERE message_id = '$mid' AND direction = 'in'")"
    sid=$(sql "SELECT coalesce(statement, 0) FROM message WHERE message_id = '$mid' AND direction = 'in'")
    case $kind in
    statement|correspondence)
        is "$name ($kind): X-Liaison-ID" "$sid" "$lsid"
        case $subject in "[LS $sid] "*) ok "$name: subject tagged [LS $sid]" ;;
            *) fail "$name: subject tag" "$subject" ;; esac ;;
    *)
        is "$name ($kind): no X-Liaison-ID" "-" "$lsid"
        case $subject in "[LS "*) fail "$name: subject" "tagged: $subject" ;;
            *) ok "$name ($kind): subject untagged" ;; esac ;;
    esac
    # Trailing newlines aside: swaks ends DATA with a line of its own.
    sed '1,/^\r\{0,1\}$/d' "$f" | tr -d '\r' >"$SCRATCH/body"
    if [ "$(cat "$SCRATCH/body")" = "$(cat "$RUN/mqueue/$df")" ]; then ok "$name: body queued unchanged"
    else fail "$name: body" "$(cmp "$SCRATCH/body" "$RUN/mqueue/$df" 2>&1 | head -1)"; fi
done

# ---- liaisond down: F=T, 451, nothing queued ------------------------------
stop_liaisond
before=$(find "$RUN/mqueue" -name 'qf*' | wc -l)
sm_send "$CORPUS/s04-3gpp-template.eml" kasia.nowicka@3gpp.test liaisons@ietf.test
# 4.3.2 is Sendmail's "filter unavailable, F=T" (milter.c), not a 451
# that it could give for a reason of its own.
has451=$(grep -c '^<\*\* *451 4\.3\.2 ' "$SCRATCH/swaks.out")
[ "$has451" -ge 1 ] && ok "liaisond down: sendmail answers 451 4.3.2 ($(grep -m1 '^<\*\* *451' "$SCRATCH/swaks.out" | sed 's/^<\*\* *//'))" \
    || fail "liaisond down: 451" "$(tail -4 "$SCRATCH/swaks.out")"
is "liaisond down: nothing queued" "$before" "$(find "$RUN/mqueue" -name 'qf*' | wc -l)"
