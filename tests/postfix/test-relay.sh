#!/bin/bash
# tests/postfix/test-relay.sh: relay_starttls, the relay's certificate and
# relay_user against real servers.
#
#   - a private Postfix whose smtpd requires TLS (smtpd_tls_security_level
#     = encrypt) with a certificate for relay.test and 127.0.0.1 signed by
#     a test CA made here, and offering AUTH inside TLS (Cyrus SASL with
#     an empty user database: any AUTH is logged and refused);
#   - relay_starttls = no: it refuses the mail in clear (530 5.7.0), as a
#     relay that requires TLS does;
#   - the certificate refused, each time with the rows deferred, a reason
#     that names the certificate, a TLS session in Postfix's log with no
#     MAIL and no AUTH in it, and no copy delivered:
#       (b) relay_starttls = yes alone: the system's CAs do not include the
#           test CA ("signer not trusted"), with and without relay_user;
#       (c) the test CA in relay_ca_file, relay_tls_name = other.test
#           ("name mismatch");
#     and, to show that Postfix would log an AUTH, relay_tls_verify = no
#     with relay_user: the AUTH reaches it (and fails);
#   - the certificate accepted: (a) relay_ca_file = the test CA and
#     relay_tls_name = relay.test: the notification and acknowledgement of
#     a statement are delivered, every copy arrives and every MAIL was in a
#     session after STARTTLS; the test CA with no relay_tls_name: the
#     certificate's IP address 127.0.0.1 matches relay_host; (d)
#     relay_tls_verify = no with the system's CAs: delivered, with a
#     warning that names what failed;
#   - a server that does not offer STARTTLS (smtp-sink) with relay_starttls
#     = yes: nothing is sent in clear; the rows are deferred with a reason
#     that names STARTTLS and kept for a later try;
#   - AUTH: relay_user and relay_password to smtp-sink on 127.0.0.1 (which
#     offers AUTH PLAIN and LOGIN and logs what it gets): the mail is sent
#     and the sink received AUTH PLAIN with exactly those credentials.
#     (Without TLS only because the relay is on this host: elsewhere the
#     configuration is refused, which tests/cli.sh checks.)
#
# Needs root (Postfix's master runs as root), postfix (with smtp-sink and
# Cyrus SASL), swaks, openssl and sqlite3; skips (exit 77) without them.
# KEEP=1 keeps the run directory.
set -u
. "$(dirname "$0")/../lib.sh"
. "$SRCDIR/tests/postfix/pf-lib.sh"

pf_require openssl smtp-sink swaks
pf_setup relay 11010
SINK=$(free_port $((PORT + 1)))
t_cleanup '[ -n "${SINKPID:-}" ] && kill "$SINKPID" 2>/dev/null'

# conf FILE PORT STARTTLS: liaisonctl's configuration for a relay.
conf() { relay_conf "$1" "$2" "relay_starttls = $3"; }
lctl() { local c=$1; shift; "$CTL" -c "$c" "$@"; }
dbsql() { sqlite3 -cmd '.timeout 5000' "$DB" "$1"; }
# flush_counts CONF: "SENT DEFERRED FAILED" of a flush.  Each flush runs
# five hours after the one before (from a day ahead on), past the longest
# backoff (four hours), so that the rows an earlier case deferred are due
# again; a dozen flushes stay well inside the five days before giving up.
# (A file, not a variable: it is called in $(...).)
flush_counts() {
    local h
    h=$(( $(cat "$RUN/flush.hours" 2>/dev/null || echo 19) + 5 ))
    echo "$h" >"$RUN/flush.hours"
    lctl "$1" flush --now "$(date -u -d "+$h hours" +%Y-%m-%dT%H:%M:%SZ)" 2>>"$RUN/flush.log" |
        sed -n 's/^sent \([0-9]*\), deferred \([0-9]*\), failed \([0-9]*\)$/\1 \2 \3/p'
}

# ---- a relay that requires TLS, with a certificate from a test CA ----------
# The CA signs the relay's certificate: for relay.test and 127.0.0.1, for
# TLS servers.  No system trusts this CA.
mkcerts() {
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=liaisond test CA" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -keyout "$RUN/ca.key" -out "$RUN/ca.pem" &&
    openssl req -newkey rsa:2048 -nodes -subj "/CN=relay.test" \
        -keyout "$RUN/key.pem" -out "$RUN/relay.csr" &&
    printf '%s\n' "basicConstraints = CA:FALSE" \
        "keyUsage = critical, digitalSignature, keyEncipherment" \
        "extendedKeyUsage = serverAuth" \
        "subjectAltName = DNS:relay.test, IP:127.0.0.1" >"$RUN/relay.ext" &&
    openssl x509 -req -in "$RUN/relay.csr" -CA "$RUN/ca.pem" -CAkey "$RUN/ca.key" \
        -CAcreateserial -days 2 -extfile "$RUN/relay.ext" -out "$RUN/cert.pem" &&
    openssl verify -CAfile "$RUN/ca.pem" "$RUN/cert.pem"
}
mkcerts >"$SCRATCH/openssl.out" 2>&1 \
    && ok "a test CA and the relay's certificate it signed (relay.test, 127.0.0.1)" \
    || { fail "openssl" "$(tail -5 "$SCRATCH/openssl.out")"; exit 1; }
chmod 600 "$RUN/key.pem" "$RUN/ca.key"
# AUTH inside TLS only, against an empty SASL database: Postfix logs
# every AUTH it gets and refuses it.
mkdir -p "$RUN/sasl"
printf '%s\n' "pwcheck_method: auxprop" "auxprop_plugin: sasldb" \
    "sasldb_path: $RUN/sasl/sasldb2" "mech_list: PLAIN LOGIN" >"$RUN/sasl/smtpd.conf"
chmod 755 "$RUN/sasl"
# The TLS settings are in main.cf before the first start: no smtpd of this
# instance ever runs without them.
if ! PF_MAIN_CF="smtpd_tls_cert_file = $RUN/cert.pem
smtpd_tls_key_file = $RUN/key.pem
smtpd_tls_security_level = encrypt
smtpd_tls_loglevel = 1
smtpd_tls_auth_only = yes
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $RUN/sasl" "$PF/pf-start" "$RUN/pf" "$PORT" none >"$SCRATCH/pf.out" 2>&1; then
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

# Postfix's log from line MARK on; copies delivered so far.
log_mark() { wc -l <"$RUN/pf/maillog"; }
log_since() { tail -n +"$(( $1 + 1 ))" "$RUN/pf/maillog"; }
inbox() { find "$RUN/pf/mail/inbox/new" "$RUN/pf/mail/inbox/cur" -type f 2>/dev/null | wc -l; }
# Wait (at most 10 s) for smtpd to log the end of a session after MARK:
# postlogd writes a little after the client has gone.
wait_disconnect() {
    for _ in $(seq 1 100); do
        log_since "$1" | grep -q "disconnect from" && return 0
        sleep 0.1
    done
    return 1
}
pending_rows() { dbsql "SELECT count(*) FROM outbox WHERE sent IS NULL AND failed IS NULL"; }
# pending_with TEXT: pending rows whose last_error contains TEXT.
pending_with() {
    dbsql "SELECT count(*) FROM outbox WHERE sent IS NULL AND failed IS NULL
           AND instr(last_error, '$1') > 0"
}

pending_rcpts() {
    dbsql "SELECT group_concat(rcpts, char(10)) FROM outbox WHERE sent IS NULL AND failed IS NULL" | grep -c .
}

# refused NAME CONF REASON [auth]: a flush with CONF, with rows pending,
# defers every one of them with REASON in last_error; Postfix logged a TLS
# handshake, and in that session no MAIL and no copy arrived (without
# "auth"), or no AUTH (with "auth": relay_user is set, and the AUTH would
# otherwise come before any MAIL).
refused() {
    local name=$1 conf=$2 reason=$3 auth=${4:-} mark copies pending got n s
    mark=$(log_mark); copies=$(inbox); pending=$(pending_rows)
    got=$(flush_counts "$conf")
    n=$(pending_with "$reason")
    if [ "$pending" -gt 0 ] && [ "$got" = "0 $pending 0" ] && [ "$n" = "$pending" ]; then
        ok "$name: sent 0, deferred $pending, each with: $(dbsql "SELECT last_error FROM outbox WHERE sent IS NULL AND failed IS NULL LIMIT 1")"
    else
        fail "$name: deferred with '$reason'" "$pending pending; flush gave '$got', wanted '0 $pending 0'; $n with that reason: $(dbsql "SELECT last_error FROM outbox WHERE last_error IS NOT NULL LIMIT 1")"
    fi
    wait_disconnect "$mark"
    s=$(log_since "$mark" | grep "disconnect from")
    if ! log_since "$mark" | grep -q "TLS connection established from" ||
       ! printf '%s\n' "$s" | grep -q "starttls=1"; then
        fail "$name: the TLS handshake was made" "$(log_since "$mark" | grep -E 'TLS|disconnect' | tail -3)"
    elif [ -n "$auth" ]; then
        if ! printf '%s\n' "$s" | grep -q "auth=" && ! log_since "$mark" | grep -qi "sasl"; then
            ok "$name: after the TLS handshake no AUTH reached the relay (${s##*]})"
        else
            fail "$name: no AUTH" "$(log_since "$mark" | grep -iE 'sasl|disconnect' | tail -3)"
        fi
    else
        if ! printf '%s\n' "$s" | grep -q "mail="; then
            ok "$name: after the TLS handshake no MAIL reached the relay (${s##*]})"
        else
            fail "$name: no MAIL" "$s"
        fi
        # A copy that smtpd had taken would be in the queue until delivered.
        "$PF/pf-wait-delivered" "$RUN/pf" empty 10 >/dev/null
        [ "$(inbox)" = "$copies" ] && ok "$name: no copy delivered ($copies before and after)" \
            || fail "$name: no copy" "$copies copies before, $(inbox) after"
    fi
}

conf "$RUN/clear.conf" "$PORT" no
check_exit "s03 ingested: notification and acknowledgement queued" 0 \
    lctl "$RUN/clear.conf" ingest "$CORPUS/s03-itu-template.eml"
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
# (and reports); start the TLS cases from an empty outbox.
dbsql "DELETE FROM outbox"
check_exit "s04 ingested" 0 lctl "$RUN/clear.conf" ingest "$CORPUS/s04-3gpp-template.eml"
pending=$(pending_rows)
prcpts=$(pending_rcpts)

# ---- the relay's certificate refused ----------------------------------------
# (b) The system's CAs (the default): the test CA is not among them.  The
# name is right: 127.0.0.1 is in the certificate.
conf "$RUN/system-auth.conf" "$PORT" yes
printf 'relay_user = liaisons\nrelay_password = s3cret\n' >>"$RUN/system-auth.conf"
refused "(b) system CAs, relay_user" "$RUN/system-auth.conf" \
    "relay certificate: signer not trusted" auth
conf "$RUN/system.conf" "$PORT" yes
refused "(b) system CAs" "$RUN/system.conf" "relay certificate: signer not trusted"
# (c) The right CA, the wrong name.
relay_conf "$RUN/other.conf" "$PORT" "relay_starttls = yes" "relay_ca_file = $RUN/ca.pem" \
    "relay_tls_name = other.test" "relay_user = liaisons" "relay_password = s3cret"
refused "(c) relay_tls_name = other.test" "$RUN/other.conf" \
    "relay certificate: name mismatch: it is for relay.test, 127.0.0.1, not other.test" auth
# What the refusals kept away: with relay_tls_verify = no the same relay
# gets the AUTH (which it refuses: its database is empty).
conf "$RUN/noverify-auth.conf" "$PORT" yes
printf 'relay_tls_verify = no\nrelay_user = liaisons\nrelay_password = s3cret\n' >>"$RUN/noverify-auth.conf"
mark=$(log_mark)
got=$(flush_counts "$RUN/noverify-auth.conf")
wait_disconnect "$mark"
s=$(log_since "$mark" | grep "disconnect from")
case $s in
    *starttls=1*auth=0/1*) ok "relay_tls_verify = no, relay_user: the relay got the AUTH (${s##*]})" ;;
    *) fail "AUTH reaches the relay" "flush '$got'; $(log_since "$mark" | grep -iE 'sasl|disconnect' | tail -3)" ;;
esac

# ---- the relay's certificate accepted ------------------------------------
# (a) The test CA and the name relay.test.
relay_conf "$RUN/tls.conf" "$PORT" "relay_starttls = yes" "relay_ca_file = $RUN/ca.pem" \
    "relay_tls_name = relay.test"
before_tls=$(grep -c "TLS connection established from" "$RUN/pf/maillog")
before_mails=$(sed -n 's/.*disconnect from .* starttls=1 mail=\([0-9]*\).*/\1/p' "$RUN/pf/maillog" |
               awk '{ s += $1 } END { print s + 0 }')
mark=$(log_mark)
got=$(flush_counts "$RUN/tls.conf")
[ "$got" = "$pending 0 0" ] && ok "(a) relay_ca_file, relay_tls_name = relay.test: sent $pending, deferred 0, failed 0" \
    || fail "(a) verified flush" "flush gave '$got', wanted '$pending 0 0'; $(tail -3 "$RUN/flush.log")"
n=$("$PF/pf-wait-delivered" "$RUN/pf" "$prcpts" 30)
[ "$n" = "$prcpts" ] && ok "$n copies delivered (one per recipient)" || fail "delivered" "$n of $prcpts"
tls=$(( $(grep -c "TLS connection established from" "$RUN/pf/maillog") - before_tls ))
[ "$tls" -ge 1 ] && ok "Postfix logged $tls TLS session(s)" \
    || fail "TLS sessions" "none logged"
# Every mail transaction was inside TLS: smtpd counts starttls=1 in the
# session that carried them (one MAIL per recipient).
wait_disconnect "$mark"
mails=$(( $(sed -n 's/.*disconnect from .* starttls=1 mail=\([0-9]*\).*/\1/p' "$RUN/pf/maillog" |
            awk '{ s += $1 } END { print s + 0 }') - before_mails ))
[ "$mails" = "$prcpts" ] && ok "all $mails MAIL transactions in sessions after STARTTLS" \
    || fail "transactions in TLS" "$mails MAIL commands after STARTTLS, wanted $prcpts"

# The test CA and no relay_tls_name: relay_host, 127.0.0.1, is matched
# against the certificate's IP address.
relay_conf "$RUN/ip.conf" "$PORT" "relay_starttls = yes" "relay_ca_file = $RUN/ca.pem"
check_exit "s07 ingested" 0 lctl "$RUN/ip.conf" ingest "$CORPUS/s07-in-response.eml"
pending=$(pending_rows)
want=$(( $(inbox) + $(pending_rcpts) ))
got=$(flush_counts "$RUN/ip.conf")
n=$("$PF/pf-wait-delivered" "$RUN/pf" "$want" 30)
[ "$pending" -gt 0 ] && [ "$got" = "$pending 0 0" ] && [ "$n" = "$want" ] \
    && ok "relay_ca_file, relay_host 127.0.0.1 in the certificate: sent $pending, deferred 0, failed 0; $n copies in all" \
    || fail "IP name" "flush gave '$got', wanted '$pending 0 0'; $n of $want copies; $(tail -3 "$RUN/flush.log")"

# (d) relay_tls_verify = no: the system's CAs do not verify it; sent
# anyway, with a warning.
conf "$RUN/noverify.conf" "$PORT" yes
echo "relay_tls_verify = no" >>"$RUN/noverify.conf"
check_exit "s02 ingested" 0 lctl "$RUN/noverify.conf" ingest "$CORPUS/s02-datatracker-mail.eml"
pending=$(pending_rows)
want=$(( $(inbox) + $(pending_rcpts) ))
: >"$RUN/flush.log"
got=$(flush_counts "$RUN/noverify.conf")
n=$("$PF/pf-wait-delivered" "$RUN/pf" "$want" 30)
[ "$pending" -gt 0 ] && [ "$got" = "$pending 0 0" ] && [ "$n" = "$want" ] \
    && ok "(d) relay_tls_verify = no: sent $pending, deferred 0, failed 0; $n copies in all" \
    || fail "(d) relay_tls_verify = no" "flush gave '$got', wanted '$pending 0 0'; $n of $want copies; $(tail -3 "$RUN/flush.log")"
w=$(grep -c "certificate not verified (relay_tls_verify = no); it would have failed: signer not trusted" "$RUN/flush.log")
[ "$w" = 1 ] && ok "(d) one warning for the one connection: $(grep -o 'certificate not verified.*' "$RUN/flush.log")" \
    || fail "(d) warning" "$w warnings: $(tail -3 "$RUN/flush.log")"

# ---- a server that does not offer STARTTLS --------------------------------------
smtp-sink -u "$RUN_USER" -v "127.0.0.1:$SINK" 10 >"$RUN/sink.log" 2>&1 &
SINKPID=$!
await_listen "$SINKPID" "$SINK" || fail "smtp-sink listening on $SINK" "$(tail -3 "$RUN/sink.log")"
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
