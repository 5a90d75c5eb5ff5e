#!/bin/bash
# tests/postfix/test-pipe.sh: liaisonctl ingest behind Postfix's pipe(8),
# set up as the README's "Without a milter" section says, on a private
# Postfix:
#
#   - master.cf: a "liaisond" pipe service that runs liaisonctl ingest as
#     an unprivileged user (user=), with the envelope sender (-f, the null
#     sender passed as an empty argument: null_sender=);
#   - transport_maps (hash:, made with postmap) sends liaisons-ingest@ to
#     it, one recipient per delivery; virtual_alias_maps makes liaisons@
#     both itself (the mailbox keeps its copy) and liaisons-ingest@, and
#     liaisons-ingest@ itself (no catch-all or delimiter takes it);
#
# and proves, through real SMTP sessions:
#
#   - a statement sent to liaisons@ is recorded, by the pipe's user (who
#     owns the new database), and the mailbox copy is delivered too;
#   - liaisons+TAG@ reaches the pipe as well (recipient_delimiter);
#   - a plain statement sent with the null sender is recorded as a bounce
#     (the envelope sender came through, as an empty argument);
#   - the database read-only: liaisonctl exits 75, Postfix defers the pipe
#     delivery (the message stays queued, nothing is recorded) and logs
#     the reason, which names the file that cannot be written: the
#     database, then, once its mode is put back, the -shm file that SQLite
#     made meanwhile with the database's mode; once both are writable a
#     queue flush delivers the message and it is recorded exactly once.
#
# Needs root, postfix (postmap) and swaks; skips (exit 77) without them.
# KEEP=1 keeps the run directory.
set -u
. "$(dirname "$0")/../lib.sh"
. "$SRCDIR/tests/postfix/pf-lib.sh"

pf_require swaks postmap
pf_setup pipe 11110
pf_conf
ETC=$RUN/pf/etc

# The pipe runs liaisonctl as RUN_USER, who cannot reach a build tree
# under /root: a copy, as make install would put it.
install -d -m 755 "$RUN/bin"
install -m 755 "$BUILDDIR/src/liaisonctl" "$RUN/bin/liaisonctl"

# The maps, as the README writes them; postmap needs a main.cf to read.
install -d -m 755 "$RUN/maps"
printf 'compatibility_level = 3.6\n' >"$RUN/maps/main.cf"
printf 'liaisons-ingest@ietf.test  liaisond:\n' >"$RUN/maps/transport"
printf 'liaisons@ietf.test  liaisons@ietf.test, liaisons-ingest@ietf.test\nliaisons-ingest@ietf.test  liaisons-ingest@ietf.test\n' >"$RUN/maps/virtual"
for m in transport virtual; do
    postmap -c "$RUN/maps" "hash:$RUN/maps/$m" || { fail "postmap $m" "exit $?"; exit 1; }
done

if PF_MAIN_CF="recipient_delimiter = +
virtual_alias_maps = hash:$RUN/maps/virtual
transport_maps = hash:$RUN/maps/transport
liaisond_destination_recipient_limit = 1" \
   PF_MASTER_CF="liaisond  unix  -  n  n  -  4  pipe
  user=$RUN_USER null_sender= argv=$RUN/bin/liaisonctl -c $RUN/liaisond.conf ingest -f \${sender}" \
   "$PF/pf-start" "$RUN/pf" "$PORT" none >"$SCRATCH/pf.out" 2>&1; then
    ok "private postfix on 127.0.0.1:$PORT with the liaisond pipe service"
else
    fail "private postfix starts" "$(cat "$SCRATCH/pf.out")"; exit 1
fi

ctl() { runuser -u "$RUN_USER" -- "$RUN/bin/liaisonctl" -c "$RUN/liaisond.conf" "$@"; }
# pipe_log STATUS: Postfix's log lines of deliveries by the liaisond
# service that ended status=STATUS (sent, deferred).
pipe_log() { grep "relay=liaisond, .*status=$1" "$RUN/pf/maillog"; }
# pipe_logged STATUS N: wait (bounded) until there are N such lines.
pipe_logged() {
    for _ in $(seq 1 150); do
        [ "$(pipe_log "$1" | wc -l)" -ge "$2" ] && return 0
        sleep 0.2
    done
    return 1
}
in_mailbox() { grep -l "^Delivered-To: $1" "$RUN/pf/mail/inbox/new/"* 2>/dev/null | wc -l; }
# queued DIR N: wait (bounded) until Postfix's queue folder DIR holds N
# files: qmgr moves or removes the queue file after the agent's log line.
queued() {
    for _ in $(seq 1 150); do
        [ "$(find "$RUN/pf/queue/$1" -type f | wc -l)" = "$2" ] && break
        sleep 0.2
    done
    find "$RUN/pf/queue/$1" -type f | wc -l
}

# 1. A statement to liaisons@: the pipe records it, as RUN_USER.
send "$CORPUS/s03-itu-template.eml" h.tanabe@itu.test liaisons@ietf.test
is "s03 accepted by smtpd" 0 $?
if pipe_logged sent 1; then ok "the liaisond pipe delivered s03"
else fail "the liaisond pipe delivered s03" "$(grep -E 'liaisond|error|fatal' "$RUN/pf/maillog" | tail -5)"; fi
# Before any sql call here, which runs as the same user and could make it.
is "the database was made by the pipe's user" "$RUN_USER" "$(stat -c %U "$DB" 2>&1)"
is "s03 recorded as statement 1" \
    "1 $(message_id_of "$CORPUS/s03-itu-template.eml")" \
    "$(sql "SELECT id, message_id FROM statement" | tr '|' ' ')"
has "liaisonctl show 1: purpose action" "Purpose: *action" "$(ctl show 1 2>&1)"
"$PF/pf-wait-delivered" "$RUN/pf" 1 30 >/dev/null
is "the liaisons@ mailbox keeps its copy" 1 "$(in_mailbox liaisons@ietf.test)"

# 2. liaisons+TAG@ goes through the same pipe.
send "$CORPUS/s04-3gpp-template.eml" kasia.nowicka@3gpp.test liaisons+sa2@ietf.test
is "s04 to liaisons+sa2@ accepted" 0 $?
pipe_logged sent 2 || fail "the pipe delivered s04" "$(grep liaisond "$RUN/pf/maillog" | tail -3)"
is "s04 (to liaisons+sa2@) recorded as statement 2" \
    "$(message_id_of "$CORPUS/s04-3gpp-template.eml")" \
    "$(sql "SELECT message_id FROM statement WHERE id = 2")"

# 3. The null sender reaches liaisonctl as the null sender: a plain
#    statement (no report, no MAILER-DAEMON) that only its envelope makes
#    a bounce.
sed 's/^Message-ID: <[^>]*>/Message-ID: <null-sender.s12@itu.test>/' \
    "$CORPUS/s12-multi-to-folded.eml" >"$SCRATCH/null.eml"
send "$SCRATCH/null.eml" '<>' liaisons@ietf.test
is "a statement from the null sender accepted" 0 $?
pipe_logged sent 3 || fail "the pipe delivered it" "$(grep liaisond "$RUN/pf/maillog" | tail -3)"
is "from the null sender: recorded as a bounce" bounce \
    "$(sql "SELECT kind FROM message WHERE message_id = '<null-sender.s12@itu.test>'")"

# 4. The database read-only: 75, deferred, kept; then delivered once.
# The last connection (sql above) took the WAL files with it: the -shm
# file below is the one that liaisonctl makes while the database is 0444.
is "no -shm file before the database is made read-only" absent \
    "$([ -e "$DB-shm" ] && echo present || echo absent)"
chmod 444 "$DB"
send "$CORPUS/s01-appendix-a.eml" greta.jonsson@itu.test liaisons@ietf.test
is "s01 accepted while the database is read-only" 0 $?
if pipe_logged deferred 1; then ok "the pipe delivery deferred"
else fail "the pipe delivery deferred" "$(grep liaisond "$RUN/pf/maillog" | tail -3)"; fi
# liaisonctl's own words: Postfix adds "temporary failure" to any exit 75.
has "Postfix logs liaisonctl's reason" \
    "status=deferred.*liaisonctl: error: stdin: cannot start a transaction: .*/liaison\.db: " \
    "$(pipe_log deferred | head -1)"
is "the message stays queued" 1 "$(queued deferred 1)"
S01_ID=$(message_id_of "$CORPUS/s01-appendix-a.eml")
is "nothing recorded while read-only" 0 \
    "$(sql "SELECT count(*) FROM message WHERE message_id = '$S01_ID'")"

# SQLite made the -shm file while the database was read-only, with its
# mode: putting the database's mode back is not enough, and the reason
# Postfix logs says so, naming the file.
chmod 644 "$DB"
n_def=$(pipe_log deferred | wc -l)
postqueue -c "$ETC" -f
# Waits for the next deferral; the check below says what is missing.
pipe_logged deferred $((n_def + 1))
has "the next reason names the read-only -shm file" \
    "status=deferred .*liaison\.db-shm cannot be written by uid [0-9]+ \(Permission denied; mode 0444" \
    "$(pipe_log deferred | tail -1)"
has "the first reason named the database itself" \
    "status=deferred .*liaison\.db cannot be written by uid [0-9]+ \(Permission denied; mode 0444" \
    "$(pipe_log deferred | head -1)"
chmod 644 "$DB-shm"
postqueue -c "$ETC" -f
if pipe_logged sent 4; then ok "after the flush the pipe delivered s01"
else fail "after the flush the pipe delivered s01" "$(grep liaisond "$RUN/pf/maillog" | tail -3)"; fi
is "s01 recorded exactly once" 1 \
    "$(sql "SELECT count(*) FROM message WHERE message_id = '$S01_ID'")"
is "3 statements in all" 3 "$(sql "SELECT count(*) FROM statement")"
is "the queue is empty" "0 0" "$(queued deferred 0) $(queued active 0)"

