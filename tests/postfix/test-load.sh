#!/bin/bash
# tests/postfix/test-load.sh: 500 intake messages over 10 parallel SMTP
# sessions through a private Postfix with liaisond attached: each message
# recorded exactly once, each routed, and no client sees a 4xx or 5xx.
#
# The messages are the corpus's new statements (s01..s08, s12, s13; not
# the correspondence, auto-reply and bounce, which would thread on or skip
# a statement, nor the forward s14, whose statement is its inner message),
# each made unique: Message-ID <load-N.PID@load.test> and " (load N)" at the
# end of the Subject.  They go out from 10 background loops of swaks, 50
# each, one SMTP session per message, so that 10 sessions are open at any
# time (smtp-source cannot send distinct messages).  Every reply the
# clients saw is kept and checked.
#
# Then: 500 message rows with 500 distinct Message-IDs and 500 statements
# in the database; for every message, the copies delivered (pf-who -t) are
# exactly liaisons@ plus what corpus/routing.json routes its corpus
# statement to, one copy each, all with X-Liaison-ID = the statement it was
# recorded as; per X-Liaison-ID the count of copies is 1 + those.  Not timed: the elapsed time is
# printed for information only (bench/ measures throughput).
#
# Needs root (Postfix's master runs as root), postfix, swaks, sqlite3 and
# python3; skips (exit 77) without them.  KEEP=1 keeps the run directory.
# LOAD_MESSAGES and LOAD_SESSIONS change the figures (default 500 and 10).
set -u
. "$(dirname "$0")/../lib.sh"
. "$SRCDIR/tests/postfix/pf-lib.sh"

N=${LOAD_MESSAGES:-500}
S=${LOAD_SESSIONS:-10}
pf_require swaks python3
pf_setup load 10710
pf_conf

if start_liaisond; then ok "liaisond starts"
else fail "liaisond starts" "$(tail -5 "$RUN/liaisond.log")"; exit 1; fi
pf_start

# ---- N unique messages from the corpus statements -------------------------
mkdir -p "$RUN/load"
python3 - "$CORPUS" "$RUN/load" "$N" "$$" <<'EOF'
import email.utils, os, re, sys
corpus, out, n, pid = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
names = ["s01-appendix-a", "s02-datatracker-mail", "s03-itu-template",
         "s04-3gpp-template", "s05-html-only", "s06-latin1-qp", "s07-in-response",
         "s08-informal-word-only", "s12-multi-to-folded", "s13-fields-in-text-attachment"]
srcs = []
for name in names:
    raw = open(os.path.join(corpus, name + ".eml"), "rb").read().decode("latin-1")
    head, body = raw.split("\n\n", 1)
    fields = []                         # each field with its continuation lines
    for line in head.split("\n"):
        if line[:1] in (" ", "\t") and fields:
            fields[-1].append(line)
        else:
            fields.append([line])
    frm = next(f for f in fields if f[0].lower().startswith("from:"))
    sender = email.utils.parseaddr(" ".join(frm)[5:])[1]
    srcs.append((name, fields, body, sender))
with open(os.path.join(out, "index"), "w") as idx:
    for i in range(1, n + 1):
        name, fields, body, sender = srcs[(i - 1) % len(srcs)]
        mid = "<load-%d.%s@load.test>" % (i, pid)
        lines = []
        for f in fields:
            key = f[0].split(":", 1)[0].lower()
            if key == "message-id":
                f = ["Message-ID: " + mid]
            elif key == "subject":
                f = f[:-1] + [f[-1].rstrip() + " (load %d)" % i]
            lines.extend(f)
        path = os.path.join(out, "m%04d.eml" % i)
        with open(path, "wb") as fh:
            fh.write(("\n".join(lines) + "\n\n" + body).encode("latin-1"))
        idx.write("%s\t%s\t%s\t%s\n" % (path, sender, mid, name))
EOF
[ "$(wc -l <"$RUN/load/index")" = "$N" ] && ok "$N unique messages built from 10 corpus statements" \
    || { fail "messages" "$(wc -l <"$RUN/load/index") built"; exit 1; }
[ "$(cut -f3 "$RUN/load/index" | sort -u | wc -l)" = "$N" ] && ok "$N distinct Message-IDs" \
    || fail "Message-IDs" "not distinct"

# ---- S loops of swaks in parallel ------------------------------------------
# Loop k sends messages k, k+S, k+2S...; each reply it sees goes to its log,
# the exit status of each swaks to its status file.
sender_loop() {
    local k=$1 line path from mid name rc
    awk -F'\t' -v k="$k" -v s="$S" '(NR - k) % s == 0' "$RUN/load/index" |
    while IFS=$'\t' read -r path from mid name; do
        swaks -s 127.0.0.1 -p "$PORT" -f "$from" -t liaisons@ietf.test --data "@$path" \
            </dev/null >>"$RUN/load/swaks-$k.log" 2>&1
        rc=$?
        echo "$rc $mid" >>"$RUN/load/status-$k"
    done
}
start=$(date +%s%N)
pids=
for k in $(seq 1 "$S"); do
    sender_loop "$k" &
    pids="$pids $!"
done
# shellcheck disable=SC2086
wait $pids
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
sent=$(cat "$RUN"/load/status-* | wc -l)
good=$(cat "$RUN"/load/status-* | awk '$1 == 0' | wc -l)
queued=$(cat "$RUN"/load/swaks-*.log | grep -c '^<- *250 .*queued as')
bad=$(cat "$RUN"/load/swaks-*.log | grep -E '^<(\*\*|-) *[45][0-9][0-9]' | sort | uniq -c | sort -rn | head -5)
echo "info: $sent messages over $S parallel sessions sent in $((elapsed / 1000)).$(printf %03d $((elapsed % 1000))) s (for information; not a benchmark)"
[ "$sent" = "$N" ] && [ "$good" = "$N" ] && ok "swaks: $N sent, every one exited 0" \
    || fail "swaks" "$sent sent, $good exited 0"
[ "$queued" = "$N" ] && ok "clients: $N times 250 queued" || fail "clients: 250" "$queued"
[ -z "$bad" ] && ok "clients: no 4xx or 5xx reply at all" || fail "clients: 4xx/5xx" "$bad"

# ---- recorded exactly once ----------------------------------------------------
msgs=$(sql "SELECT count(*) FROM message WHERE direction = 'in'")
mids=$(sql "SELECT count(DISTINCT message_id) FROM message WHERE direction = 'in'")
dups=$(sql "SELECT count(*) FROM (SELECT message_id FROM message GROUP BY message_id HAVING count(*) > 1)")
stmts=$(sql "SELECT count(*) FROM statement")
kinds=$(sql "SELECT kind || ' ' || count(*) FROM message GROUP BY kind" | paste -sd,)
[ "$msgs" = "$N" ] && ok "db: $N messages recorded" || fail "db: messages" "$msgs"
[ "$mids" = "$N" ] && [ "$dups" = 0 ] && ok "db: $N distinct Message-IDs, no duplicate" \
    || fail "db: duplicates" "$mids distinct, $dups Message-IDs recorded more than once"
[ "$stmts" = "$N" ] && ok "db: $N statements ($kinds)" || fail "db: statements" "$stmts ($kinds)"
[ "$(sql "SELECT count(DISTINCT statement) FROM message WHERE kind = 'statement'")" = "$N" ] \
    && ok "db: one statement per message" || fail "db: statement per message" "shared"
# Every Message-ID that was sent is there.
cut -f3 "$RUN/load/index" | sort >"$SCRATCH/sent-mids"
sql "SELECT message_id FROM message WHERE direction = 'in'" | sort >"$SCRATCH/db-mids"
cmp -s "$SCRATCH/sent-mids" "$SCRATCH/db-mids" && ok "db: the Message-IDs are exactly the ones sent" \
    || fail "db: Message-IDs" "$(comm -3 "$SCRATCH/sent-mids" "$SCRATCH/db-mids" | head -3)"

# ---- each routed ---------------------------------------------------------------
# What each message should reach is what routing.json (worked by hand)
# says for the corpus statement it was made from, never liaisond's rows.
nrcpt=0
for name in $(cut -f4 "$RUN/load/index" | sort -u); do
    nrcpt=$(( nrcpt + $(grep -c "	$name\$" "$RUN/load/index") * $(routed_of "$name" | wc -l) ))
done
want=$((N + nrcpt))
got=$("$PF/pf-wait-delivered" "$RUN/pf" "$want" 180)
[ "$got" = "$want" ] && ok "delivered: $want copies ($N to liaisons@, $nrcpt routed)" \
    || fail "delivered" "$got copies, wanted $want"
"$PF/pf-who" -t "$RUN/pf" >"$RUN/who.tsv"
sql "SELECT message_id, statement FROM message WHERE direction = 'in'" >"$RUN/recorded.txt"
python3 - "$RUN/who.tsv" "$RUN/recorded.txt" "$RUN/load/index" "$CORPUS/routing.json" \
    >"$SCRATCH/route-check" <<'EOF'
import collections, json, sys
who, recorded, index, routing = sys.argv[1:5]
routing = json.load(open(routing))
want = {}                                    # Message-ID -> addresses
for line in open(index):
    path, sender, mid, name = line.rstrip("\n").split("\t")
    want[mid] = {a.lower() for a, role in routing[name + ".eml"]} | {"liaisons@ietf.test"}
sid_of = dict(line.rstrip("\n").split("|") for line in open(recorded))
got = collections.defaultdict(list)          # Message-ID -> addresses, as delivered
ids = collections.defaultdict(set)           # Message-ID -> X-Liaison-IDs seen
per_id = collections.Counter()               # X-Liaison-ID -> copies
for line in open(who):
    rcpt, lid, subj, mid = line.rstrip("\n").split("\t")
    got[mid].append(rcpt.lower())
    ids[mid].add(lid)
    per_id[lid] += 1
sent = [l.split("\t")[2] for l in open(index)]
bad_rcpt = bad_dup = bad_id = bad_count = 0
for mid in sent:
    w = want[mid]
    g = got[mid]
    if set(g) != w:
        bad_rcpt += 1
        if bad_rcpt <= 3:
            print("# %s: got %s, wanted %s" % (mid, sorted(set(g)), sorted(w)))
    if len(g) != len(set(g)):
        bad_dup += 1
    if ids[mid] != {sid_of.get(mid)}:
        bad_id += 1
    if per_id[sid_of.get(mid)] != len(w):
        bad_count += 1
print("recipients", bad_rcpt)
print("duplicates", bad_dup)
print("xid", bad_id)
print("per_id", bad_count)
print("ids", len([k for k in per_id if k != "-"]))
print("untagged", per_id["-"])
EOF
grep '^#' "$SCRATCH/route-check"
val() { awk -v k="$1" '$1 == k { print $2 }' "$SCRATCH/route-check"; }
[ "$(val recipients)" = 0 ] && ok "routed: every message to liaisons@ plus exactly routing.json's recipients" \
    || fail "routed" "$(val recipients) messages with other recipients"
[ "$(val duplicates)" = 0 ] && ok "routed: no recipient got a message twice" \
    || fail "routed: duplicates" "$(val duplicates) messages"
[ "$(val xid)" = 0 ] && ok "X-Liaison-ID: every copy carries its own statement's id" \
    || fail "X-Liaison-ID" "$(val xid) messages with a wrong or missing id"
[ "$(val ids)" = "$N" ] && [ "$(val per_id)" = 0 ] && [ "$(val untagged)" = 0 ] \
    && ok "pf-who: $N X-Liaison-IDs, each with 1 + its routed recipients' copies" \
    || fail "per X-Liaison-ID" "$(val ids) ids, $(val per_id) with a wrong count, $(val untagged) untagged"

# ---- nothing left over ------------------------------------------------------------
[ -z "$(ls -A "$RUN/spool")" ] && ok "spool: empty" || fail "spool" "$(ls "$RUN/spool" | head -3)"
errs=$(grep -cE "temporary failure|error:" "$RUN/liaisond.log")
[ "$errs" = 0 ] && ok "liaisond log: no temporary failure or error" \
    || fail "liaisond log" "$(grep -E "temporary failure|error:" "$RUN/liaisond.log" | head -2)"
if grep -Eq "(fatal|panic|warning: milter)" "$RUN/pf/maillog"; then
    fail "postfix log" "$(grep -E "(fatal|panic|warning: milter)" "$RUN/pf/maillog" | head -2)"
else
    ok "postfix log: no fatal, panic or milter warning"
fi
