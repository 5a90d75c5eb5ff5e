#!/bin/bash
# tests/postfix/test-size.sh: message_max on a real Postfix.  With
# message_max = 64k in liaisond's configuration (Postfix's own
# message_size_limit is 100 MB):
#   - an intake message of about 100 KB is refused with 552 5.3.4, the
#     reason is logged, nothing is recorded and nothing delivered;
#   - the same 100 KB message to another address passes (message_max is
#     for intake mail only) and is delivered untouched;
#   - an intake statement of about 40 KB, under the limit, is recorded and
#     routed as usual.
# The messages are s12 (a plain-text statement) with padding lines added
# to its body and a Message-ID of their own.
#
# Needs root (Postfix's master runs as root), postfix, swaks and sqlite3;
# skips (exit 77) without them.  KEEP=1 keeps the run directory.
set -u
. "$(dirname "$0")/../lib.sh"
. "$SRCDIR/tests/postfix/pf-lib.sh"

pf_require swaks
pf_setup size 10810
# A small spool_memory_max too, so that the large message spills to a file
# on its way to the limit.
pf_conf "message_max = 64k" "spool_memory_max = 16k"
check "liaisond -n: message_max = 64k" sh -c \
    "'$LIAISOND' -n -c '$RUN/liaisond.conf' | grep -Eq '^message_max *= *(64k|65536)'"
if start_liaisond; then ok "liaisond starts"
else fail "liaisond starts" "$(tail -5 "$RUN/liaisond.log")"; exit 1; fi
pf_start

# padded MESSAGE-ID BYTES: s12 with that Message-ID and padding to BYTES.
padded() {
    sed -e "s/^Message-ID: .*/Message-ID: $1/" "$CORPUS/s12-multi-to-folded.eml"
    local i=0 size line
    size=$(stat -c %s "$CORPUS/s12-multi-to-folded.eml")
    while [ "$size" -lt "$2" ]; do
        i=$((i + 1))
        line=$(printf 'Annex line %05d: the work item list continues with details of no consequence.' "$i")
        printf '%s\n' "$line"
        size=$((size + ${#line} + 1))
    done
}
BIG_MID="<size-big.$$@bbf.test>"
SMALL_MID="<size-small.$$@bbf.test>"
OTHER_MID="<size-other.$$@bbf.test>"
padded "$BIG_MID" 100000 >"$RUN/big.eml"
padded "$SMALL_MID" 40000 >"$RUN/small.eml"
padded "$OTHER_MID" 100000 >"$RUN/other.eml"
echo "info: messages of $(stat -c %s "$RUN/big.eml") and $(stat -c %s "$RUN/small.eml") bytes; message_max 65536"
delivered() { find "$RUN/pf/mail/inbox/new" "$RUN/pf/mail/inbox/cur" -type f 2>/dev/null | wc -l; }

# ---- over message_max: 552 5.3.4, nothing recorded ------------------------
send "$RUN/big.eml" llavalle@bbf.test liaisons@ietf.test
rc=$?
reply=$(grep -E '^<\*\* ' "$SCRATCH/swaks.out" | tail -1)
if [ "$rc" != 0 ] && printf '%s\n' "$reply" | grep -q '552 5\.3\.4'; then
    ok "100 KB intake message refused: ${reply#<\*\* }"
else
    fail "over message_max" "swaks exit $rc: $(grep -E '^<' "$SCRATCH/swaks.out" | tail -2)"
fi
grep -q "refused: intake message over message_max (65536 bytes)" "$RUN/liaisond.log" \
    && ok "reason logged" || fail "reason" "$(tail -3 "$RUN/liaisond.log")"
[ "$(sql "SELECT count(*) FROM message")" = 0 ] && ok "nothing recorded" \
    || fail "recorded" "$(sql "SELECT count(*) FROM message") message rows"
grep -q "milter-reject: END-OF-MESSAGE.*5\.3\.4 liaisond: message too large" "$RUN/pf/maillog" \
    && ok "postfix: milter-reject 5.3.4 logged" || fail "postfix log" "no milter-reject"

# ---- the same size to another address passes --------------------------------
send "$RUN/other.eml" llavalle@bbf.test other@ietf.test \
    && ok "100 KB message to other@ accepted" || fail "other mail" "$(grep -E '^<' "$SCRATCH/swaks.out" | tail -2)"
"$PF/pf-wait-delivered" "$RUN/pf" 1 30 >/dev/null
"$PF/pf-who" -t "$RUN/pf" >"$RUN/who.tsv"
f=$(grep -l "^Message-ID: $OTHER_MID" "$RUN"/pf/mail/inbox/new/* 2>/dev/null | head -1)
if [ -n "$f" ] && [ "$(awk -F'\t' -v m="$OTHER_MID" '$4 == m { print $1 "|" $2 }' "$RUN/who.tsv")" = "other@ietf.test|-" ]; then
    ok "delivered to other@ only, no X-Liaison-ID ($(stat -c %s "$f") bytes)"
else
    fail "other mail delivered" "$(cat "$RUN/who.tsv")"
fi
[ "$(sql "SELECT count(*) FROM message")" = 0 ] && ok "other mail not recorded" \
    || fail "other mail" "recorded"

# ---- under message_max: recorded and routed -----------------------------------
before=$(delivered)
send "$RUN/small.eml" llavalle@bbf.test liaisons@ietf.test \
    && ok "40 KB intake message accepted" || fail "under message_max" "$(grep -E '^<' "$SCRATCH/swaks.out" | tail -2)"
sid=$(sql "SELECT coalesce(statement, 0) FROM message WHERE message_id = '$SMALL_MID' AND direction = 'in'")
[ -n "$sid" ] && [ "$sid" != 0 ] && ok "40 KB message recorded as statement $sid" \
    || fail "40 KB recorded" "no statement"
# s12's copies as routing.json (worked by hand) has them.
copies_of s12-multi-to-folded >"$SCRATCH/want"
nrcpt=$(( $(wc -l <"$SCRATCH/want") - 1 ))
want=$((before + 1 + nrcpt))
got=$("$PF/pf-wait-delivered" "$RUN/pf" "$want" 30)
"$PF/pf-who" -t "$RUN/pf" >"$RUN/who.tsv"
awk -F'\t' -v m="$SMALL_MID" -v s="$sid" '$4 == m && $2 == s { print $1 }' "$RUN/who.tsv" | sort >"$SCRATCH/got"
cmp -s "$SCRATCH/got" "$SCRATCH/want" && [ "$got" = "$want" ] \
    && ok "40 KB message: liaisons@ and $nrcpt routed recipients, each with X-Liaison-ID $sid" \
    || fail "40 KB routed" "$(paste -sd' ' "$SCRATCH/got") with X-Liaison-ID $sid, wanted $(paste -sd' ' "$SCRATCH/want") ($got delivered in all, wanted $want)"

# ---- the refused message left nothing behind ------------------------------------
[ -z "$(awk -F'\t' -v m="$BIG_MID" '$4 == m' "$RUN/who.tsv")" ] && ok "refused message delivered to no one" \
    || fail "refused message" "delivered"
[ -z "$(ls -A "$RUN/spool")" ] && ok "spool: empty" || fail "spool" "$(ls "$RUN/spool" | head -3)"
