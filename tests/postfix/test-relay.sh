#!/bin/bash
# tests/postfix/test-relay.sh: relay_starttls and relay_user against real
# servers.
#
#   - a private Postfix whose smtpd requires TLS (smtpd_tls_security_level
#     = encrypt, a self-signed certificate made here): liaisonctl flush with
#     relay_starttls = yes delivers the notification and acknowledgement of
#     a statement; Postfix logs the TLS session for each delivery and every
#     copy arrives;
#   - the same Postfix with relay_starttls = no: it refuses the mail in
#     clear (530 5.7.0), as a relay that requires TLS does;
#   - a server that does not offer STARTTLS (smtp-sink) with relay_starttls
#     = yes: nothing is sent in clear; the rows are deferred with a reason
#     that names STARTTLS and kept for a later try;
#   - AUTH: relay_user and relay_password to smtp-sink on 127.0.0.1 (which
#     offers AUTH PLAIN and LOGIN and logs what it gets): the mail is sent
#     and the sink received AUTH PLAIN with exactly those credentials.
#     (Without TLS only because the relay is on this host: elsewhere the
#     configuration is refused, which tests/cli.sh checks.)
#
# Needs root (Postfix's master runs as root), postfix (with smtp-sink),
# swaks, openssl and sqlite3; skips (exit 77) without them.  KEEP=1 keeps the run
# directory.
set -u
if [ -z "${LIAISON_SRCDIR:-}" ]; then
    LIAISON_SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
fi
export LIAISON_SRCDIR
. "$LIAISON_SRCDIR/tests/lib.sh"
. "$LIAISON_SRCDIR/tests/postfix/pf-lib.sh"

pf_require openssl smtp-sink swaks
pf_setup relay 11010
SINK=
for p in $(seq $((PORT + 1)) $((PORT + 99))); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then SINK=$p; break; fi
done
t_cleanup '[ -n "${SINKPID:-}" ] && kill "$SINKPID" 2>/dev/null'

# conf FILE PORT STARTTLS: liaisonctl's configuration for a relay.
conf() { relay_conf "$1" "$2" "relay_starttls = $3"; }
lctl() { local c=$1; shift; "$CTL" -c "$c" "$@"; }
dbsql() { sqlite3 -cmd '.timeout 5000' "$DB" "$1"; }
flush_counts() {
    lctl "$1" flush --now "$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)" 2>>"$RUN/flush.log" |
        sed -n 's/^sent \([0-9]*\), deferred \([0-9]*\), failed \([0-9]*\)$/\1 \2 \3/p'
}

# ---- a relay that requires TLS --------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
    -keyout "$RUN/key.pem" -out "$RUN/cert.pem" >"$SCRATCH/openssl.out" 2>&1 \
    && ok "a self-signed certificate" || { fail "openssl" "$(cat "$SCRATCH/openssl.out")"; exit 1; }
chmod 600 "$RUN/key.pem"
# The TLS settings are in main.cf before the first start: no smtpd of this
# instance ever runs without them.
if ! PF_MAIN_CF="smtpd_tls_cert_file = $RUN/cert.pem
smtpd_tls_key_file = $RUN/key.pem
smtpd_tls_security_level = encrypt
smtpd_tls_loglevel = 1" "$PF/pf-start" "$RUN/pf" "$PORT" none >"$SCRATCH/pf.out" 2>&1; then
    fail "pf-start" "$(cat "$SCRATCH/pf.out")"; exit 1
fi
# What a client in clear sees: STARTTLS offered, MAIL refused without it.
swaks --server "127.0.0.1:$PORT" --quit-after MAIL -f probe@pf.test -t a@ietf.test \
    >"$SCRATCH/probe.out" 2>&1
if grep -q "250-STARTTLS" "$SCRATCH/probe.out" && grep -q "^<\*\* *530" "$SCRATCH/probe.out"; then
    ok "private Postfix on 127.0.0.1:$PORT offers STARTTLS and refuses MAIL in clear (530)"
else
    fail "the relay requires TLS" "$(grep -E '^(<|->)' "$SCRATCH/probe.out" | tail -6)"
fi

conf "$RUN/tls.conf" "$PORT" yes
conf "$RUN/clear.conf" "$PORT" no
check_exit "s03 ingested: notification and acknowledgement queued" 0 \
    lctl "$RUN/tls.conf" ingest "$CORPUS/s03-itu-template.eml"
queued=$(dbsql "SELECT count(*) FROM outbox")
rcpts=$(dbsql "SELECT group_concat(rcpts, char(10)) FROM outbox" | grep -c .)
[ "$queued" -ge 2 ] && ok "$queued rows, $rcpts recipients queued" || fail "queued" "$queued rows"

# In clear first: the relay refuses, nothing is delivered.
got=$(flush_counts "$RUN/clear.conf")
sent=${got%% *}
[ "${sent:-x}" = 0 ] && ok "relay_starttls = no: nothing accepted in clear ($got)" \
    || fail "in clear" "flush gave '$got'"
why=$(dbsql "SELECT last_error FROM outbox WHERE last_error IS NOT NULL LIMIT 1")
case $why in
    *530*STARTTLS*) ok "the relay's answer is recorded: $why" ;;
    *) fail "530 recorded" "last_error '$why'" ;;
esac
# The refusal was a 5xx, which the outbox records as refused for good
# (and reports); start the TLS case from an empty outbox.
dbsql "DELETE FROM outbox"
before_tls=$(grep -c "TLS connection established from" "$RUN/pf/maillog")
check_exit "s04 ingested" 0 lctl "$RUN/tls.conf" ingest "$CORPUS/s04-3gpp-template.eml"
pending=$(dbsql "SELECT count(*) FROM outbox WHERE sent IS NULL AND failed IS NULL")
prcpts=$(dbsql "SELECT group_concat(rcpts, char(10)) FROM outbox WHERE sent IS NULL AND failed IS NULL" | grep -c .)

got=$(flush_counts "$RUN/tls.conf")
[ "$got" = "$pending 0 0" ] && ok "relay_starttls = yes: sent $pending, deferred 0, failed 0" \
    || fail "STARTTLS flush" "flush gave '$got', wanted '$pending 0 0'; $(tail -3 "$RUN/flush.log")"
n=$("$PF/pf-wait-delivered" "$RUN/pf" "$prcpts" 30)
[ "$n" = "$prcpts" ] && ok "$n copies delivered (one per recipient)" || fail "delivered" "$n of $prcpts"
tls=$(( $(grep -c "TLS connection established from" "$RUN/pf/maillog") - before_tls ))
[ "$tls" -ge 1 ] && ok "Postfix logged $tls TLS session(s)" \
    || fail "TLS sessions" "none logged"
# Every mail transaction was inside TLS: smtpd counts starttls=1 in the
# session that carried them (one MAIL per recipient).
mails=$(sed -n 's/.*disconnect from .* starttls=1 mail=\([0-9]*\).*/\1/p' "$RUN/pf/maillog" |
        awk '{ s += $1 } END { print s + 0 }')
[ "$mails" = "$prcpts" ] && ok "all $mails MAIL transactions in sessions after STARTTLS" \
    || fail "transactions in TLS" "$mails MAIL commands after STARTTLS, wanted $prcpts"

# ---- a server that does not offer STARTTLS --------------------------------------
smtp-sink -u "$RUN_USER" -v "127.0.0.1:$SINK" 10 >"$RUN/sink.log" 2>&1 &
SINKPID=$!
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$SINK") 2>/dev/null && break; sleep 0.1; done
conf "$RUN/sink.conf" "$SINK" yes
dbsql "DELETE FROM outbox"
check_exit "s12 ingested" 0 lctl "$RUN/sink.conf" ingest "$CORPUS/s12-multi-to-folded.eml"
pending=$(dbsql "SELECT count(*) FROM outbox WHERE sent IS NULL AND failed IS NULL")
got=$(flush_counts "$RUN/sink.conf")
[ "$got" = "0 $pending 0" ] && ok "no STARTTLS offered: sent 0, deferred $pending" \
    || fail "no STARTTLS" "flush gave '$got', wanted '0 $pending 0'"
why=$(dbsql "SELECT last_error FROM outbox WHERE sent IS NULL AND failed IS NULL LIMIT 1")
case $why in
    *"STARTTLS: the relay does not offer it"*) ok "deferred with the reason: $why" ;;
    *) fail "reason" "'$why'" ;;
esac
[ "$(dbsql "SELECT count(*) FROM outbox WHERE sent IS NULL AND failed IS NULL")" = "$pending" ] \
    && ok "the rows are kept for a later try" || fail "kept" "rows changed"

# ---- AUTH -------------------------------------------------------------------
conf "$RUN/auth.conf" "$SINK" no
printf 'relay_user = liaisons\nrelay_password = s3cret\n' >>"$RUN/auth.conf"
dbsql "DELETE FROM outbox"
check_exit "s01 ingested" 0 lctl "$RUN/auth.conf" ingest "$CORPUS/s01-appendix-a.eml"
pending=$(dbsql "SELECT count(*) FROM outbox WHERE sent IS NULL AND failed IS NULL")
got=$(flush_counts "$RUN/auth.conf")
[ "$pending" -gt 0 ] && [ "$got" = "$pending 0 0" ] && ok "AUTH: sent $pending, deferred 0, failed 0" \
    || fail "AUTH flush" "flush gave '$got', wanted '$pending 0 0'; $(tail -3 "$RUN/flush.log")"
# AUTH PLAIN's argument is base64 of "authzid NUL authcid NUL password";
# the authorisation id may be empty or the user itself.
plain=$(sed -n 's/.*AUTH PLAIN \([A-Za-z0-9+\/=]*\).*/\1/p' "$RUN/sink.log" | head -1)
fields=$(printf '%s' "$plain" | base64 -d 2>/dev/null | tr '\0' '|')
case $fields in
    "|liaisons|s3cret"|"liaisons|liaisons|s3cret")
        ok "the relay got AUTH PLAIN with relay_user and relay_password ($fields)" ;;
    *) fail "AUTH PLAIN" "got '$fields' from: $(grep -i auth "$RUN/sink.log" | head -3)" ;;
esac
