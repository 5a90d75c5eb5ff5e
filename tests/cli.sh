#!/bin/bash
# tests/cli.sh: liaisonctl as an admin and an MTA use it: ingest, list,
# show, their exit codes, and the failures that must lose nothing (a locked
# database, a read-only one, a full disk), each caused on purpose.
. "$(dirname "$0")/lib.sh"

DB="$SCRATCH/liaison.db"
ctl() { "$CTL" -d "$DB" "$@"; }

# --- the issue's own example: ingest the ITU-T template, show it ---------
check_exit "ingest s03 exits 0" 0 ctl ingest "$CORPUS/s03-itu-template.eml"
check_grep "ingest prints the recorded statement" "^recorded statement 1: LS on YANG models" "$SCRATCH/out"
check_exit "show 1 exits 0" 0 ctl show 1
check_grep "show: purpose action" "^Purpose: +action$" "$SCRATCH/out"
check_grep "show: deadline 2027-03-15" "^Deadline: +2027-03-15$" "$SCRATCH/out"
check_grep "show: group ccamp" "^Groups: +ccamp$" "$SCRATCH/out"
check_grep "show: for information netmod" "^For information: +netmod$" "$SCRATCH/out"
check_grep "show: peer itu-t-sg15" "^Peer: +itu-t-sg15$" "$SCRATCH/out"
check_grep "show: assignee" "^Assignee: +ccamp-chairs@ietf.test$" "$SCRATCH/out"

check_exit "show --json 1" 0 ctl show --json 1
check "show --json: fields" jq -e '.purpose == "action" and .deadline == "2027-03-15"
    and .groups == ["ccamp"] and .peer == "itu-t-sg15" and .state == "open"
    and (.attachments | length) == 2' "$SCRATCH/out"

check_exit "ingest --json s01" 0 ctl ingest --json "$CORPUS/s01-appendix-a.eml"
check "ingest --json: kind, id and statement fields" jq -e '.kind == "statement" and .id == 2
    and .title == "LS on OTN beyond-400G control plane extensions"
    and (.add_recipients | map(.addr) | index("ccamp@ietf.test")) != null' "$SCRATCH/out"

check_exit "ingest from standard input" 0 ctl ingest - < "$CORPUS/s05-html-only.eml"
check_grep "stdin: statement 3" "^recorded statement 3" "$SCRATCH/out"

check_exit "list" 0 ctl list
check_grep "list: header" "^ID +RECEIVED \(UTC\) +FROM +TO +PURPOSE +DEADLINE +STATE" "$SCRATCH/out"
check_grep "list: row for 1" "^1 .*ITU-T Study Group 15 +IETF CCAMP WG +action +2027-03-15 +open" "$SCRATCH/out"
check_grep "list: summary" "^\(3 statements\)$" "$SCRATCH/out"
check_exit "list --json" 0 ctl list --json
check "list --json: three statements" jq -e 'length == 3 and .[2].from == "IEEE 802.1 Working Group"' "$SCRATCH/out"

# --- the same message twice is recorded once -------------------------------
check_exit "ingest s03 again" 0 ctl ingest "$CORPUS/s03-itu-template.eml"
check_grep "duplicate recognised" "^already recorded: statement 1" "$SCRATCH/out"
check "still three statements" test "$(count_rows "$DB" statement)" = 3

# --- show's history: what happened to a statement, oldest first ------------
check_exit "show 1" 0 ctl show 1
check_grep "show: history starts with its arrival" "^History: +[0-9T:Z-]+  received by " "$SCRATCH/out"
check_grep "show: history has its routing" "^ +[0-9T:Z-]+  routed by liaisond: ccamp-chairs@ietf.test \(assignee\)" "$SCRATCH/out"
check_exit "show --json 1 (history)" 0 ctl show --json 1
check "show --json: history, oldest first" jq -e '.history[0].what == "received"
    and (.history | map(.what) | index("routed")) != null' "$SCRATCH/out"

# --- show and list: no control character from mail reaches the terminal ----
# U+009B is a terminal's CSI, U+009D its OSC, U+202E a right-to-left
# override: in the Title (also the "received" event's detail) and the body.
printf 'From: Greta <greta@itu.test>\nTo: liaisons@ietf.test\nSubject: LS c1\nMessage-ID: <c1-1@itu.test>\nContent-Type: text/plain; charset=utf-8\n\nTitle: Evil \xc2\x9b31mRED\xc2\x9b0m \xe2\x80\xaeeltit\nFrom: ITU-T \xe2\x80\xae\xe2\x80\xae\xe2\x80\xaeSG15\nTo: IETF CCAMP WG\nPurpose: For information\n\nBody with \xc2\x9d0;pwned \xe2\x80\xaedne.\n' > "$SCRATCH/c1.eml"
check_exit "ingest a Title with C1 controls" 0 ctl ingest --json "$SCRATCH/c1.eml"
c1id=$(jq -r .id "$SCRATCH/out")
# no_controls FILE: no C0 or C1 control but line ends and tabs, and no
# bidirectional control, in FILE.
no_controls() {
    python3 -c '
import sys
t = open(sys.argv[1], encoding="utf-8").read()
bidi = set("\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
sys.exit(1 if any((ord(c) < 32 and c not in "\n\t") or 127 <= ord(c) < 160 or c in bidi for c in t) else 0)' "$1"
}
check_exit "show it" 0 ctl show "$c1id"
check "show: no C0, C1 or bidi control but line ends" no_controls "$SCRATCH/out"
check_exit "list it" 0 ctl list
check_grep "list: its title is there" "Evil .*RED" "$SCRATCH/out"
check "list: no C0, C1 or bidi control but line ends" no_controls "$SCRATCH/out"

# --- list: columns by terminal width, ids never cut --------------------------
printf 'From: Li Wei <li@ccsa.test>\nTo: liaisons@ietf.test\nSubject: LS wide names\nMessage-ID: <cjk-1@ccsa.test>\nContent-Type: text/plain; charset=utf-8\n\nFrom: 中国通信标准化协会第五技术委员会\nTo: IETF CCAMP WG\nPurpose: For information\n' > "$SCRATCH/cjk.eml"
check_exit "ingest a statement from a body named in Chinese" 0 ctl ingest "$SCRATCH/cjk.eml"
check_exit "list with a wide name" 0 ctl list
# The TO column starts at the same terminal column on every row (the
# statement with bidi controls in its From body included: each is printed
# as a space, and counted so).
check "list: a wide name keeps the columns aligned" python3 -c '
import sys, unicodedata
cols = set()
for line in open(sys.argv[1], encoding="utf-8"):
    i = line.find("IETF CCAMP WG")
    if i > 0:
        cols.add(sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line[:i]))
sys.exit(0 if len(cols) == 1 else 1)' "$SCRATCH/out"

# --- close and reopen: the tickler reminds open statements only -----------
# As if they had arrived on 2026-11-20, as tests/tickle.sh does: ingest
# stamps the real time, and the tickler counts only the schedule points
# after arrival, so from 2027-03-08 on nothing would be reminded.
check "statements dated 2026-11-20" sqlite3 "$DB" "UPDATE statement SET received = '2026-11-20T09:00:00Z'"
check_exit "tickle before close: statement 1 is reminded" 0 ctl tickle --dry-run --now 2027-03-08
check_grep "tickle before close: a line for statement 1" "^statement 1: due in 7 days" "$SCRATCH/out"
check_exit "close 1" 0 env SUDO_USER=chair "$CTL" -d "$DB" close --reason "answered by LS 57" 1
check_grep "close 1: says so" "^statement 1 closed$" "$SCRATCH/out"
check "close 1: state closed" test "$(sqlite3 "$DB" "SELECT state FROM statement WHERE id = 1")" = closed
check "close 1: an event says who and why" test "$(sqlite3 "$DB" \
    "SELECT actor || '|' || detail FROM event WHERE statement = 1 AND what = 'closed'")" = "liaisonctl (chair)|answered by LS 57"
check_exit "tickle after close: runs" 0 ctl tickle --dry-run --now 2027-03-08
check "tickle after close: statement 1 not reminded" sh -c '! grep -q "^statement 1:" "$1"' sh "$SCRATCH/out"
check_exit "close 1 again: 0" 0 ctl close 1
check_grep "close 1 again: already closed" "^statement 1 is already closed$" "$SCRATCH/out"
check "close 1 again: no second event" test "$(sqlite3 "$DB" "SELECT count(*) FROM event WHERE statement = 1 AND what = 'closed'")" = 1
check_exit "close 99: 1" 1 ctl close 99
check_exit "close x: 64" 64 ctl close x
check_exit "reopen 1" 0 ctl reopen 1
check_exit "tickle after reopen" 0 ctl tickle --dry-run --now 2027-03-08
check_grep "tickle after reopen: statement 1 reminded again" "^statement 1: due in 7 days" "$SCRATCH/out"
# Moving the deadline: recorded with who and why; the reminders follow it.
check_exit "deadline 1 2027-04-15" 0 env SUDO_USER=chair "$CTL" -d "$DB" deadline --reason "extended at SG15's request" 1 2027-04-15
check_grep "deadline 1: says so" "^statement 1 deadline 2027-04-15 \\(was 2027-03-15\\)$" "$SCRATCH/out"
check "deadline 1: moved" test "$(sqlite3 "$DB" "SELECT deadline FROM statement WHERE id = 1")" = 2027-04-15
check "deadline 1: an event says who, the dates and why" test "$(sqlite3 "$DB" \
    "SELECT actor || ' | ' || detail FROM event WHERE statement = 1 AND what = 'deadline changed'")" = \
    "liaisonctl (chair) | 2027-03-15 -> 2027-04-15: extended at SG15's request"
check_exit "tickle after the move" 0 ctl tickle --dry-run --now 2027-03-08
check "tickle after the move: nothing due for statement 1 on 2027-03-08" \
    bash -c '! grep -q "^statement 1:" "$1"' _ "$SCRATCH/out"
check_exit "tickle a week before the new date" 0 ctl tickle --dry-run --now 2027-04-08
check_grep "tickle a week before the new date: due in 7 days" "^statement 1: due in 7 days" "$SCRATCH/out"
check_exit "deadline 1, the same date: 0" 0 ctl deadline 1 2027-04-15
check_grep "deadline 1, the same date: already" "^statement 1's deadline is already 2027-04-15$" "$SCRATCH/out"
check "deadline 1, the same date: no second event" test "$(sqlite3 "$DB" "SELECT count(*) FROM event WHERE statement = 1 AND what = 'deadline changed'")" = 1
check_exit "deadline 1 2027-02-30: 64" 64 ctl deadline 1 2027-02-30
check_exit "deadline 1 'next week': 64" 64 ctl deadline 1 "next week"
check_exit "deadline 1 2100-01-01: 64" 64 ctl deadline 1 2100-01-01
check_grep "deadline 1 2100-01-01: names the years taken" "in the years 2000 to 2099" "$SCRATCH/err"
check_exit "deadline 99: 1" 1 ctl deadline 99 2027-04-15
check_exit "deadline 1 (no date): 64" 64 ctl deadline 1

# --- correspondence and bounces --------------------------------------------
check_exit "reply threads onto s01" 0 ctl ingest "$CORPUS/s09-assignee-reply.eml"
check_grep "correspondence on statement 2" "^recorded correspondence on statement 2" "$SCRATCH/out"
# An out-of-office reply with the null sender, as RFC 3834 asks responders
# to send it, is auto mail: no delivery failed.
check_exit "a responder's reply with the null sender" 0 ctl ingest -f '<>' --json "$CORPUS/s10-auto-reply.eml"
check "a responder's reply is auto mail, not a bounce" jq -e '.kind == "auto"' "$SCRATCH/out"

# --- no Message-ID: the same body from two senders is two statements --------
for who in alice:ccamp bob:netmod; do
    printf 'From: %s <%s@itu.test>\nTo: liaisons@ietf.test\nSubject: LS for %s\n\nTo: IETF %s WG\nPlease see the attached liaison statement.\n' \
        "${who%%:*}" "${who%%:*}" "${who#*:}" "${who#*:}" > "$SCRATCH/nomid-${who%%:*}.eml"
done
before=$(count_rows "$DB" statement)
check_exit "no Message-ID, first sender" 0 ctl ingest "$SCRATCH/nomid-alice.eml"
check_exit "no Message-ID, second sender, same body" 0 ctl ingest "$SCRATCH/nomid-bob.eml"
check_grep "second sender: a statement of its own" "^recorded statement" "$SCRATCH/out"
check "no Message-ID: two statements" test "$(count_rows "$DB" statement)" = $((before + 2))
check_exit "no Message-ID, the same mail again" 0 ctl ingest "$SCRATCH/nomid-bob.eml"
check_grep "the same mail again: recognised" "^already recorded" "$SCRATCH/out"

# --- a bounce offered twice stays a bounce, routed to no one -------------------
printf 'From: postmaster@itu.test\nTo: liaisons@ietf.test\nSubject: failure notice\nMessage-ID: <plain-bounce@itu.test>\n\nTo: IETF CCAMP WG\nSorry, your message could not be delivered.\n' > "$SCRATCH/plain-bounce.eml"
check_exit "plain bounce, null sender" 0 ctl ingest -f '<>' --json "$SCRATCH/plain-bounce.eml"
check "plain bounce: kind bounce" jq -e '.kind == "bounce"' "$SCRATCH/out"
check_exit "the same bounce again (an MTA retry)" 0 ctl ingest -f '<>' --json "$SCRATCH/plain-bounce.eml"
check "retried bounce: still a bounce, duplicate, nobody added" \
    jq -e '.kind == "bounce" and .duplicate and (.add_recipients | length) == 0' "$SCRATCH/out"

# --- input over 256 MiB: 74, refused whole, not truncated -------------------
msgs=$(count_rows "$DB" "message WHERE direction = 'in'")
truncate -s $((256 * 1024 * 1024 + 1)) "$SCRATCH/huge.eml"
check_exit "input over 256 MiB: 74" 74 ctl ingest - < "$SCRATCH/huge.eml"
check_grep "input over 256 MiB: says so" "larger than 268435456 bytes; not read" "$SCRATCH/err"
check "input over 256 MiB: nothing recorded" test "$(count_rows "$DB" "message WHERE direction = 'in'")" = "$msgs"
rm -f "$SCRATCH/huge.eml"

# --- input that is not mail: 65, nothing written ----------------------------
msgs=$(count_rows "$DB" "message WHERE direction = 'in'")
printf 'hello, this is not mail\n' > "$SCRATCH/notmail"
check_exit "not mail exits 65" 65 ctl ingest "$SCRATCH/notmail"
check_grep "not mail: says why" "not a mail message" "$SCRATCH/err"
check "not mail: nothing recorded" test "$(count_rows "$DB" "message WHERE direction = 'in'")" = "$msgs"
# A compressed message is not mail either (65, as ingest's man page has
# it), said as import says it: what it is, and the command that undoes
# it; from a file or standard input, and no database made for it.
python3 - "$CORPUS/s03-itu-template.eml" "$SCRATCH/zm" <<'PYEND'
import bz2, gzip, lzma, sys
data = open(sys.argv[1], "rb").read()
for ext, f in (("gz", gzip.compress), ("bz2", bz2.compress), ("xz", lzma.compress)):
    open(sys.argv[2] + "." + ext, "wb").write(f(data))
PYEND
printf '\x28\xb5\x2f\xfd\x04\x58\x91\x00\x00From: a@b.test\n\nx\n\xd3\xc9\xdf\xde' >"$SCRATCH/zm.zst"
for c in gz:gzip:gunzip bz2:bzip2:bunzip2 xz:xz:unxz zst:zstd:unzstd; do
    IFS=: read -r ext kind undo <<<"$c"
    check_exit "ingest a $kind-compressed message: 65" 65 ctl ingest "$SCRATCH/zm.$ext"
    check_grep "ingest $kind: says what it is and to decompress it" "^liaisonctl: error: .*/zm\.$ext: $kind-compressed, not mail; decompress it first \($undo\)$" "$SCRATCH/err"
done
check_exit "ingest a gzip-compressed message from standard input: 65" 65 bash -c '"$1" -d "$2" ingest <"$3"' _ "$CTL" "$DB" "$SCRATCH/zm.gz"
check_grep "ingest from standard input: gzip, said so" "stdin: gzip-compressed, not mail; decompress it first \(gunzip\)" "$SCRATCH/err"
check "compressed: nothing recorded" test "$(count_rows "$DB" "message WHERE direction = 'in'")" = "$msgs"
check_exit "ingest compressed, no database: 65" 65 "$CTL" -d "$SCRATCH/zm.db" ingest "$SCRATCH/zm.xz"
check "ingest compressed: no database made for it" test ! -e "$SCRATCH/zm.db"

# --- usage ------------------------------------------------------------------
check_exit "no command: 64" 64 "$CTL"
check "no command: says so in three lines, not the whole help" \
    sh -c 'grep -q "no command given" "$1" && [ "$(wc -l < "$1")" -le 3 ]' sh "$SCRATCH/err"
check_exit "an unknown global option: 64" 64 "$CTL" -x list
check "an unknown global option: getopt's word stays on screen (at most 3 lines)" \
    sh -c 'grep -q "invalid option" "$1" && [ "$(wc -l < "$1")" -le 3 ]' sh "$SCRATCH/err"
check_exit "unknown command: 64" 64 "$CTL" frobnicate
check_grep "unknown command named" 'unknown command "frobnicate"' "$SCRATCH/err"
check_exit "show without id: 64" 64 ctl show
check_exit "show abc: 64" 64 ctl show abc
check_exit "show 99: 1" 1 ctl show 99
check_grep "show 99 says so" "no statement 99" "$SCRATCH/err"
# An id is digits as list prints them: no blank, sign or leading zero, and
# none too long for 64 bits, which strtoll made the largest (exit 1).
for bad in " 1" "+1" "01" "1 " "99999999999999999999" "1000000000000000000"; do
    check_exit "show \"$bad\": 64" 64 ctl show "$bad"
    check_grep "show \"$bad\": not a statement id" "is not a statement id" "$SCRATCH/err"
done
check_exit "close \"+1\": 64" 64 ctl close "+1"
check_exit "show 999999999999999999 (18 digits): 1" 1 ctl show 999999999999999999
check_exit "missing file: 66" 66 ctl ingest "$SCRATCH/nonexistent.eml"
# A mistyped command line in master.cf must keep the mail queued, not
# bounce it: 75, with the usage on standard error and nothing recorded.
n0=$(count_rows "$DB" message)
check_exit "ingest with an unknown option: 75, not 64" 75 ctl ingest --sendr x "$CORPUS/s04-3gpp-template.eml"
check_grep "ingest with an unknown option: its usage on standard error" "^usage: liaisonctl ingest " "$SCRATCH/err"
check_exit "ingest with two files: 75, not 64" 75 ctl ingest "$CORPUS/s04-3gpp-template.eml" "$CORPUS/s02-datatracker-mail.eml"
is "ingest's usage errors: nothing recorded" "$n0" "$(count_rows "$DB" message)"
check_exit "list with an unknown option: still 64" 64 ctl list --bogus
check_exit "an unknown global option before ingest: 75, not 64" 75 "$CTL" -x ingest "$CORPUS/s04-3gpp-template.eml"
check_exit "an unknown global option before list: 64" 64 "$CTL" -x list
check_exit "a configuration named ingest is no ingest command: 64" 64 "$CTL" -x -c ingest list
check_exit "--help exits 0" 0 "$CTL" --help
check_exit "--version exits 0" 0 "$CTL" --version
check_grep "--version names the program" "^liaisonctl [0-9]" "$SCRATCH/out"
check_exit "-h lists commands" 0 "$CTL" -h
check_grep "-h: ingest" "^  ingest " "$SCRATCH/out"

# --- help: every command's --help, -h and 'help COMMAND' print the same
# text on standard output and exit 0: the usage line liaisonctl --help
# lists for it, its options and its exit codes.  They read no
# configuration, so a broken one does not change them.
COMMANDS="ingest import export list stats show close reopen deadline reassign queue requeue flush reply tickle publish backup help"
"$CTL" --help >"$SCRATCH/help.out" 2>/dev/null
# usage_of CMD: what follows CMD in the Commands list of liaisonctl --help.
usage_of() { sed -n '/^Commands:/,/^$/p' "$SCRATCH/help.out" | sed -n "s/^  $1  *//p"; }
# long_opts FILE: the long options, one a line, sorted, but --help.
long_opts() { grep -oE -- '--[a-z][a-z-]*' "$1" | grep -vx -- '--help' | sort -u; }
printf 'no_such_key = 1\n' >"$SCRATCH/help-bad.conf"
for cmd in $COMMANDS; do
    line="usage: liaisonctl $cmd $(usage_of "$cmd")"
    "$CTL" "$cmd" --help >"$SCRATCH/h-$cmd" 2>"$SCRATCH/err"; rc=$?
    if [ "$rc" = 0 ] && [ ! -s "$SCRATCH/err" ] && grep -qFx -- "$line" "$SCRATCH/h-$cmd" \
        && grep -q '^  -h, --help ' "$SCRATCH/h-$cmd" && grep -q '^Exit status: 0 ' "$SCRATCH/h-$cmd"; then
        ok "$cmd --help: exit 0; its usage line, options and exit codes on stdout"
    else
        fail "$cmd --help" "exit $rc (want 0); want on stdout \"$line\", \"  -h, --help\" and \"Exit status: 0\": $(head -c 300 "$SCRATCH/h-$cmd" "$SCRATCH/err")"
    fi
    # Every long option of the usage line is described (help has none).
    printf '%s\n' "$line" >"$SCRATCH/line"
    grep '^  -' "$SCRATCH/h-$cmd" | sed 's/^  -., //; s/^  //; s/ .*//' >"$SCRATCH/described"
    if [ "$cmd" = help ]; then
        :
    elif [ -z "$(comm -23 <(long_opts "$SCRATCH/line") <(long_opts "$SCRATCH/described"))" ]; then
        ok "$cmd --help: each option of the usage line is described"
    else
        fail "$cmd --help: options" "undescribed: $(comm -23 <(long_opts "$SCRATCH/line") <(long_opts "$SCRATCH/described") | tr '\n' ' ')"
    fi
    "$CTL" help "$cmd" >"$SCRATCH/h2" 2>"$SCRATCH/err"; rc=$?
    "$CTL" "$cmd" -h >"$SCRATCH/h3" 2>>"$SCRATCH/err"; rc3=$?
    if [ "$rc" = 0 ] && [ "$rc3" = 0 ] && cmp -s "$SCRATCH/h-$cmd" "$SCRATCH/h2" && cmp -s "$SCRATCH/h-$cmd" "$SCRATCH/h3"; then
        ok "help $cmd and $cmd -h: exit 0, the same text as $cmd --help"
    else
        fail "help $cmd and $cmd -h" "exit $rc and $rc3; differs from $cmd --help: $(diff "$SCRATCH/h-$cmd" "$SCRATCH/h2" | head -c 300)"
    fi
    "$CTL" -c "$SCRATCH/help-bad.conf" "$cmd" --help >"$SCRATCH/h4" 2>"$SCRATCH/err"; rc=$?
    if [ "$rc" = 0 ] && cmp -s "$SCRATCH/h-$cmd" "$SCRATCH/h4"; then
        ok "$cmd --help with a broken configuration: 0, the same text"
    else
        fail "$cmd --help with a broken configuration" "exit $rc: $(head -c 300 "$SCRATCH/err")"
    fi
done
check_exit "help bogus: 64" 64 "$CTL" help bogus
check "help bogus: the error names bogus, nothing on stdout" \
    bash -c '[ ! -s "$1" ] && grep -q "unknown command \"bogus\"" "$2"' _ "$SCRATCH/out" "$SCRATCH/err"
bad=""
for cmd in $COMMANDS; do
    "$CTL" "$cmd" --bogus-option >"$SCRATCH/out" 2>"$SCRATCH/err"; rc=$?
    want=64; [ "$cmd" = ingest ] && want=75       # a pipe must keep the mail
    [ "$rc" = "$want" ] && [ ! -s "$SCRATCH/out" ] && grep -qFx -- "usage: liaisonctl $cmd $(usage_of "$cmd")" "$SCRATCH/err" \
        || bad="$bad $cmd(exit $rc, wanted $want)"
done
if [ -z "$bad" ]; then ok "an unknown option: 64 (ingest 75) and the command's usage line on stderr, for every command"
else fail "an unknown option" "wrong for$bad"; fi

# --- liaisonctl(8) says what --help says --------------------------------------
# Rendered wide, with no adjustment or hyphenation, so that each .TP tag
# is one line, 7 columns in; a command's own options are tags 14 in.
MAN="$SRCDIR/doc/liaisonctl.8"
if command -v groff >/dev/null; then
    groff -man -Tascii -P-cbou -rLL=300n -rHY=0 -dAD=l "$MAN" >"$SCRATCH/man.txt" 2>/dev/null
    # man_section NAME: the rendered lines of section NAME.
    man_section() { awk -v s="$1" '/^[A-Z]/ { on = ($0 == s) ; next } on' "$SCRATCH/man.txt"; }
    # man_command CMD: the rendered lines of command CMD's entry.
    man_command() {
        man_section COMMANDS | awk -v c="$1" '/^       [^ ]/ { on = ($1 == c) } on'
    }
    groff -man -Tutf8 -ww "$MAN" 2>"$SCRATCH/groff.err" >/dev/null
    unbalanced=$( { man_section OPTIONS; man_section COMMANDS; } | grep '^       [^ ]' | awk '{
        d = 0; bad = 0
        for (i = 1; i <= length($0); i++) {
            ch = substr($0, i, 1)
            if (ch == "[") d++
            if (ch == "]" && --d < 0) bad = 1
        }
        if (d != 0 || bad) print }')
    if [ ! -s "$SCRATCH/groff.err" ] && [ -z "$unbalanced" ]; then
        ok "liaisonctl(8): groff -ww quiet; no .TP tag with an unbalanced ["
    else
        fail "liaisonctl(8) tags" "$(head -c 200 "$SCRATCH/groff.err") unbalanced:$unbalanced"
    fi
    # A macro line with a third argument (".BR tickle ).  An") glues the
    # next sentence on without a space, which groff -ww does not report.
    glued=""
    for page in liaisonctl.8 liaisond.8 liaisond.conf.5; do
        groff -man -Tascii -P-cbou -rLL=300n -rHY=0 -dAD=l "$SRCDIR/doc/$page" 2>/dev/null \
            | grep -E '[a-z][).;:,]+[A-Z][a-z]' | grep -vE 'e\.g\.|i\.e\.|https?:|@' >"$SCRATCH/glued" \
            && glued="$glued $page: $(head -c 120 "$SCRATCH/glued")"
    done
    if [ -z "$glued" ]; then ok "man pages: no sentence glued to the word before it"
    else fail "man pages: glued sentences" "$glued"; fi
    bad=""
    for cmd in $COMMANDS; do
        man_command "$cmd" | head -1 | sed 's/^ *//' >"$SCRATCH/tag"
        printf '%s %s\n' "$cmd" "$(usage_of "$cmd")" | grep -qixFf "$SCRATCH/tag" \
            || bad="$bad [$(cat "$SCRATCH/tag")]"
    done
    if [ -z "$bad" ]; then ok "liaisonctl(8): each command's tag is its usage from --help"
    else fail "liaisonctl(8): command tags" "differ from --help:$bad"; fi
    bad=""
    for cmd in $COMMANDS; do
        man_command "$cmd" | grep -E '^ {14}-' >"$SCRATCH/man-opts"
        grep '^  -' "$SCRATCH/h-$cmd" >"$SCRATCH/help-opts"
        [ "$(long_opts "$SCRATCH/man-opts")" = "$(long_opts "$SCRATCH/help-opts")" ] \
            && [ "$(man_command "$cmd" | grep -oE -- ' -[a-zA-Z],' | sort)" = "$(grep -oE -- ' -[a-zA-Z],' "$SCRATCH/help-opts" | grep -v -- '-h,' | sort)" ] \
            || bad="$bad $cmd"
    done
    if [ -z "$bad" ]; then ok "liaisonctl(8): each command's options are those of its --help"
    else fail "liaisonctl(8): options" "differ from --help for$bad"; fi
    # Each command's exit codes: those of its --help are those of its
    # entry's "Exit" paragraph, and every command that reads the
    # configuration and compiles the envelope patterns (all but help, and
    # ingest, which answers 75 instead) can exit 70.
    # exit_codes: the codes of an "Exit ..." text on stdin, one line.
    exit_codes() { tr '\n' ' ' | tr -s ' ' | grep -oE '(Exit( status:)? |; )[0-9]+\b' | grep -oE '[0-9]+$' | sort -un | tr '\n' ' '; }
    bad=""
    for cmd in $COMMANDS; do
        h=$(sed -n '/^Exit status:/,$p' "$SCRATCH/h-$cmd" | sed '/^The global options/,$d' | exit_codes)
        m=$(man_command "$cmd" | tr '\n' ' ' | tr -s ' ' | grep -oE 'Exit [0-9].*' | exit_codes)
        [ -n "$h" ] && [ "$h" = "$m" ] || bad="$bad $cmd(help: $h; man: $m)"
        case $cmd in ingest|help) ;; *) case " $h" in *" 70 "*) ;; *) bad="$bad $cmd(no 70)" ;; esac ;; esac
    done
    if [ -z "$bad" ]; then ok "liaisonctl(8): each command's exit codes are those of its --help, 70 included"
    else fail "liaisonctl(8): command exit codes" "differ:$bad"; fi
    man_section "EXIT STATUS" | grep -oE '^       [0-9]+ ' | tr -d ' ' >"$SCRATCH/man-codes"
    sed -n '/^Exit status:/,$p' "$SCRATCH/help.out" | grep -oE '^  [0-9]+ ' | tr -d ' ' >"$SCRATCH/help-codes"
    if [ -s "$SCRATCH/help-codes" ] && cmp -s "$SCRATCH/man-codes" "$SCRATCH/help-codes"; then
        ok "liaisonctl(8): EXIT STATUS lists the codes of --help ($(tr '\n' ' ' <"$SCRATCH/man-codes"))"
    else
        fail "liaisonctl(8): exit codes" "man: $(tr '\n' ' ' <"$SCRATCH/man-codes"); --help: $(tr '\n' ' ' <"$SCRATCH/help-codes")"
    fi
    bad=""
    for v in $(grep -oE '\$LIAISON_[A-Z]+' "$SCRATCH/help.out" | sort -u); do
        man_section ENVIRONMENT | grep -qx "       ${v#\$}" || bad="$bad $v"
    done
    # -c: $LIAISON_CONF, then the installed file; -d: the configuration's database.
    opt_c=$(man_section OPTIONS | awk '/^       -c /,/^$/' | tr -s ' \n' ' ')
    opt_d=$(man_section OPTIONS | awk '/^       -d /,/^$/' | tr -s ' \n' ' ')
    case $opt_c in *'$LIAISON_CONF when it is set; else SYSCONFDIR/liaisond/liaisond.conf when that file exists'*) ;; *) bad="$bad -c" ;; esac
    case $opt_d in *"the configuration's database"*) ;; *) bad="$bad -d" ;; esac
    if [ -z "$bad" ]; then ok "liaisonctl(8): the variables of --help in ENVIRONMENT; -c and -d give the defaults"
    else fail "liaisonctl(8): defaults" "missing:$bad"; fi
    # The cron lines the README and liaisonctl(8) give for publish and
    # backup are those of contrib/liaisond.cron (uncommented, as installed
    # with --sysconfdir=/etc): an admin who copies one and uncomments the
    # other gets one user, one folder owner and one file name.
    CRON_IN="$SRCDIR/contrib/liaisond.cron.in"
    bad=""
    for what in publish backup; do
        want=$(sed -n "s|^#\(.*liaisonctl .* $what .*\)|\1|p" "$CRON_IN" | sed 's|@sysconfdir@|/etc|g')
        [ -n "$want" ] || bad="$bad [no $what line in liaisond.cron.in]"
        for got in "$(grep -E "^ +[^ ].*liaisonctl .*$what /" "$SRCDIR/README" | sed 's/^ *//')" \
                   "$(grep -E "^ +[^ ].*liaisonctl .*$what /" "$SCRATCH/man.txt" | sed 's/^ *//')"; do
            [ -z "$got" ] || [ "$got" = "$want" ] || bad="$bad [$got]"
        done
    done
    if [ -z "$bad" ]; then ok "README, liaisonctl(8): the publish and backup cron lines are contrib/liaisond.cron's"
    else fail "cron lines" "differ from contrib/liaisond.cron:$bad"; fi
    # cron mails a job's output to the job's user unless MAILTO says
    # otherwise: the README says a failed tickle or flush is mailed to
    # root, and the liaisond user's mailbox is read by nobody.
    if grep -q '^MAILTO=root$' "$CRON_IN" && grep -q 'cron mails root' "$SRCDIR/README"; then
        ok "contrib/liaisond.cron mails its failures to root, as the README says"
    else fail "liaisond.cron MAILTO" "no MAILTO=root in liaisond.cron.in, or the README does not say who is mailed"; fi
else
    echo "skip - liaisonctl(8) checks need groff"
fi

# --- the MTA snippets, the sample configuration and the unit agree ----------
# Postfix names the socket relative to its queue directory; Sendmail and
# the README name /run/liaisond's; the unit may write both folders, and
# every folder the README makes has the mode the unit and snippets say.
qdir=/var/spool/postfix
sock=$(sed -n "s|^socket = unix:@postfixqueuedir@/||p" "$SRCDIR/conf/liaisond.conf.in")
pf=$(sed -n 's|^smtpd_milters = unix:||p' "$SRCDIR/contrib/postfix-main.cf")
sm=$(grep -oE 'S=unix:[^,]+' "$SRCDIR/contrib/sendmail.mc" | sed 's/^S=unix://')
bad=""
[ -n "$sock" ] && [ "$sock" = "$pf" ] || bad="$bad [liaisond.conf $sock, main.cf $pf]"
grep -qF "INPUT_MAIL_FILTER(\`liaisond', \`S=unix:$sm," "$SRCDIR/README" || bad="$bad [README's INPUT_MAIL_FILTER is not sendmail.mc's]"
grep -qF "socket = unix:$sm\`" "$SRCDIR/README" || bad="$bad [README's Sendmail socket is not $sm]"
grep -qE "^    smtpd_milters = unix:$pf\$" "$SRCDIR/README" || bad="$bad [README's smtpd_milters is not main.cf's]"
rw=$(sed -n 's/^ReadWritePaths=//p' "$SRCDIR/contrib/liaisond.service.in")
case " $rw " in *" -@postfixqueuedir@/$(dirname "$pf") "*) ;; *) bad="$bad [unit cannot write the Postfix socket's folder]" ;; esac
case " $rw " in *" $(dirname "$sm") "*) ;; *) bad="$bad [unit cannot write $(dirname "$sm")]" ;; esac
pfmk="install -d -o liaisond -g postfix -m 750 $qdir/$(dirname "$pf")"
smmk="install -d -o liaisond -g liaisond -m 750 $(dirname "$sm")"
for f in README contrib/postfix-main.cf; do grep -qF "$pfmk" "$SRCDIR/$f" || bad="$bad [$f lacks: $pfmk]"; done
for f in README contrib/sendmail.mc; do grep -qF "$smmk" "$SRCDIR/$f" || bad="$bad [$f lacks: $smmk]"; done
grep -q '^RuntimeDirectoryMode=0750$' "$SRCDIR/contrib/liaisond.service.in" || bad="$bad [unit's /run/liaisond is not 0750]"
if [ -z "$bad" ]; then ok "MTA snippets, liaisond.conf, the unit and the README name the same sockets and folder modes"
else fail "MTA snippets" "disagree:$bad"; fi

# --- the configuration file: its database and directory, or a clear error ---
cat > "$SCRATCH/l.conf" <<CONF
database = $SCRATCH/from-conf.db
directory = $CORPUS/directory.json
CONF
check_exit "-c: ingest into the configured database" 0 env -u LIAISON_DIRECTORY "$CTL" -c "$SCRATCH/l.conf" ingest "$CORPUS/s04-3gpp-template.eml"
check "-c: the configured database was written" test "$(count_rows "$SCRATCH/from-conf.db" statement)" = 1
# An empty database path is SQLite's private temporary database: what was
# "recorded" there would be gone at exit.  Refused wherever it comes from.
printf 'database =\ndirectory = %s\n' "$CORPUS/directory.json" > "$SCRATCH/empty-db.conf"
check_exit "database = (empty): 78" 78 "$CTL" -c "$SCRATCH/empty-db.conf" list
check_grep "database = (empty): a path is required, with file and line" "empty-db.conf:1: database = : a path is required" "$SCRATCH/err"
check_exit "database = (empty), ingest: 75" 75 "$CTL" -c "$SCRATCH/empty-db.conf" ingest "$CORPUS/s04-3gpp-template.eml"
check_exit "-d '': 78" 78 "$CTL" -d '' -D "$CORPUS/directory.json" list
check_grep "-d '': the database path is empty" "the database path is empty" "$SCRATCH/err"
check_exit "LIAISON_DB set empty, ingest: 75" 75 env LIAISON_DB= "$CTL" -D "$CORPUS/directory.json" ingest "$CORPUS/s04-3gpp-template.eml"
check_grep "LIAISON_DB set empty: the database path is empty" "the database path is empty" "$SCRATCH/err"
# list and show only read: a mistyped path is an error, not "0 statements",
# and never a new database (made by root, liaisond's user could not write it).
# The folder exists, so that SQLite could make the file there.
mkdir -p "$SCRATCH/none"
check_exit "list, no database there: 66" 66 "$CTL" -d "$SCRATCH/none/liaison.db" list
check_grep "list, no database: says so" "no database at $SCRATCH/none/liaison.db" "$SCRATCH/err"
check_exit "show, no database there: 66" 66 "$CTL" -d "$SCRATCH/none/liaison.db" show 1
check_exit "queue, no database there: 66" 66 "$CTL" -d "$SCRATCH/none/liaison.db" queue
check_exit "tickle, no database there: 66" 66 "$CTL" -d "$SCRATCH/none/liaison.db" tickle --now 2027-03-15
check_exit "flush, no database there: 66" 66 "$CTL" -d "$SCRATCH/none/liaison.db" flush
check_grep "flush, no database: says so" "no database at $SCRATCH/none/liaison.db" "$SCRATCH/err"
check "list, show, queue, tickle and flush made no database" test -z "$(ls -A "$SCRATCH/none")"
# ingest and import make a database, but not its folder: one that does
# not exist is no temporary failure.  import exits 73, as backup and
# export do for a FILE in no folder; ingest keeps the message (75), for
# an MTA bounces anything else; both say which folder.
check_exit "import, the database's folder not there: 73" 73 "$CTL" -d "$SCRATCH/no-folder/liaison.db" import "$CORPUS/s04-3gpp-template.eml"
check_grep "import, no folder: says which" "cannot create the database $SCRATCH/no-folder/liaison.db: the folder $SCRATCH/no-folder does not exist" "$SCRATCH/err"
check_exit "ingest, the database's folder not there: 75" 75 "$CTL" -d "$SCRATCH/no-folder/liaison.db" ingest "$CORPUS/s04-3gpp-template.eml"
check_grep "ingest, no folder: says which" "cannot create the database $SCRATCH/no-folder/liaison.db: the folder $SCRATCH/no-folder does not exist" "$SCRATCH/err"
check_grep "ingest, no folder: exit 75 explained" "nothing recorded: exit 75, not 73, so that an MTA keeps the message" "$SCRATCH/err"
check_exit "import, the database's folder a file: 73" 73 "$CTL" -d "$CORPUS/s04-3gpp-template.eml/liaison.db" import "$CORPUS/s04-3gpp-template.eml"
check "no folder made" test ! -e "$SCRATCH/no-folder"
check_exit "queue with an operand: 64" 64 ctl queue 1
check_exit "queue: 0" 0 ctl queue
check_grep "queue: the mail ingest queued, none tried" "^\($(sqlite3 "$DB" "SELECT count(*) FROM outbox") queued, 0 deferred, 0 given up\)$" "$SCRATCH/out"
# A relay's answer may be any bytes: a C1 CSI, a right-to-left override, a
# UTF-8 character cut short (as rows kept it before smtp_answer made it
# valid).  For a moment the first row holds one.
sqlite3 "$DB" "UPDATE outbox SET attempts = 1, last_error = CAST(x'3435312063c29b33316d20e280ae6b6f20c3' AS TEXT) WHERE id = (SELECT min(id) FROM outbox)"
check_exit "queue with a hostile relay answer" 0 ctl queue
check_grep "queue: the answer is shown" "^ +last error: 451 c" "$SCRATCH/out"
check "queue: no C0, C1 or bidi control reaches the terminal" no_controls "$SCRATCH/out"
check_exit "queue --json with it" 0 ctl queue --json
check "queue --json: valid UTF-8, the cut character replaced" python3 -c '
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
sys.exit(0 if r[0]["last_error"].startswith("451 c") and r[0]["last_error"].endswith("\ufffd") else 1)' "$SCRATCH/out"
# A statement number is never cut short: LS 12345 is not "123…".
ls0=$(sqlite3 "$DB" "SELECT statement FROM outbox WHERE id = (SELECT min(id) FROM outbox)")
sqlite3 "$DB" "UPDATE outbox SET statement = 12345 WHERE id = (SELECT min(id) FROM outbox)"
check_exit "queue with a five-digit statement number" 0 ctl queue
check_grep "queue: LS 12345 whole, the columns after it in place" " 12345  1 +deferred " "$SCRATCH/out"
sqlite3 "$DB" "UPDATE outbox SET statement = $ls0 WHERE id = (SELECT min(id) FROM outbox)"
sqlite3 "$DB" "UPDATE outbox SET attempts = 0, last_error = NULL WHERE id = (SELECT min(id) FROM outbox)"
# mail_from must be an address; with neither it nor intake set, the
# directory's intake address is the From (not liaisons@localhost).
printf 'mail_from = secretariat at ietf\n' > "$SCRATCH/mf-bad.conf"
check_exit "mail_from that is not an address: 78" 78 "$CTL" -c "$SCRATCH/mf-bad.conf" list
check_grep "mail_from: says what was expected" "mail_from = secretariat at ietf: not an address" "$SCRATCH/err"
# Forms a header cannot carry as they are: refused, not sent as
# liaisons@localhost.
for mf in 'liaisons@ietf.test.' '"ls"@ietf.test' 'liaisons@[192.0.2.1]' 'liaisons+b.x@ietf.test'; do
    printf 'intake = liaisons@ietf.test\nmail_from = %s\n' "$mf" > "$SCRATCH/mf-bad.conf"
    check_exit "mail_from = $mf: 78" 78 "$CTL" -c "$SCRATCH/mf-bad.conf" list
    check "mail_from = $mf: says why" grep -Fq "mail_from = $mf: not an address" "$SCRATCH/err"
done
# Replies and bounces go to mail_from: it must be an intake address.
printf 'intake = liaisons@ietf.test\nmail_from = noreply@ietf.test\n' > "$SCRATCH/mf-bad.conf"
check_exit "mail_from outside intake: 78" 78 "$CTL" -c "$SCRATCH/mf-bad.conf" list
check_grep "mail_from outside intake: says why" "mail_from = noreply@ietf.test: not an intake address" "$SCRATCH/err"
for id in 'mx.ietf.test 1' 'mx;x' 'mx(c)'; do
    printf 'authserv_id = %s\n' "$id" > "$SCRATCH/as-bad.conf"
    check_exit "authserv_id = $id: 78" 78 "$CTL" -c "$SCRATCH/as-bad.conf" list
    check "authserv_id = $id: says why" grep -Fq "authserv_id = $id: not an authserv-id" "$SCRATCH/err"
done
printf 'intake = liaisons@ietf.test\nmail_from = Liaisons@IETF.test\n' > "$SCRATCH/mf-case.conf"
check_exit "mail_from, intake in other case: accepted" 66 "$CTL" -c "$SCRATCH/mf-case.conf" -d "$SCRATCH/none/liaison.db" list
printf 'database = %s\ndirectory = %s\n' "$SCRATCH/mf.db" "$CORPUS/directory.json" > "$SCRATCH/mf.conf"
check_exit "no mail_from, no intake: ingest" 0 "$CTL" -c "$SCRATCH/mf.conf" ingest "$CORPUS/s03-itu-template.eml"
# An intake written in brackets is still the From, without them.
printf 'database = %s\ndirectory = %s\nintake = <Liaisons@ietf.test>\n' "$SCRATCH/mfb.db" "$CORPUS/directory.json" > "$SCRATCH/mfb.conf"
check_exit "intake in brackets: ingest" 0 "$CTL" -c "$SCRATCH/mfb.conf" ingest "$CORPUS/s03-itu-template.eml"
check "intake in brackets: the notification comes from liaisons@ietf.test" \
    test "$(sqlite3 "$SCRATCH/mfb.db" "SELECT group_concat(DISTINCT mail_from) FROM outbox WHERE kind = 'notification'")" = "liaisons@ietf.test"
want=$(jq -r '.intake[0]' "$CORPUS/directory.json")
check "no mail_from, no intake: the notification comes from the directory's intake ($want)" \
    test "$(sqlite3 "$SCRATCH/mf.db" "SELECT group_concat(DISTINCT mail_from) FROM outbox WHERE kind = 'notification'")" = "$want"
# A stranger's statement naming 61 response contacts elsewhere: its Title
# goes back to the stranger alone, not to the addresses it names.
{
    printf 'From: x@spam.test\nTo: liaisons@ietf.test\nSubject: LS BUY CHEAP PILLS\n'
    printf 'Message-ID: <spam-1@spam.test>\n\nTitle: BUY CHEAP PILLS AT pills.spam.test NOW\n'
    printf 'Purpose: For information\nResponse Contact: '
    for i in $(seq 1 61); do printf 'v%d@victim%d.test, ' "$i" "$i"; done
    printf 'last@victim.test\n'
} > "$SCRATCH/spam.eml"
check_exit "a statement naming 62 response contacts elsewhere: recorded" 0 ctl ingest "$SCRATCH/spam.eml"
# ack_rcpts MID: the recipients of the acknowledgement of the statement
# that the message MID made, comma-separated.
ack_rcpts() {
    sqlite3 "$DB" "SELECT group_concat(rcpts, ',') FROM outbox WHERE kind = 'acknowledgement'
        AND statement = (SELECT statement FROM message WHERE message_id = '$1')"
}
check "its acknowledgement goes to its sender only" test "$(ack_rcpts '<spam-1@spam.test>')" = "x@spam.test"
# A stranger's bare forward of a message "from" our own domain that names
# contacts at a peer: the attached message's From is the stranger's to
# write, so the acknowledgement goes back to the stranger.
printf 'From: x@spam.test\nTo: liaisons@ietf.test\nSubject: Fwd: LS\nMessage-ID: <spam-3@spam.test>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="f"\n\n--f\nContent-Type: text/plain\n\nFYI\n--f\nContent-Type: message/rfc822\n\nFrom: IETF Tool <noreply@ietf.test>\nTo: liaisons@ietf.test\nSubject: LS BUY NOW\nMessage-ID: <spam-3-inner@ietf.test>\n\nTitle: BUY NOW\nFrom: ITU-T Study Group 15\nTo: IETF CCAMP WG\nPurpose: For information\nResponse Contact: a@itu.test, b@itu.test\n--f--\n' > "$SCRATCH/spam3.eml"
check_exit "a stranger's forward of a message from our own domain: recorded" 0 ctl ingest "$SCRATCH/spam3.eml"
check "its acknowledgement goes back to the stranger" test "$(ack_rcpts '<spam-3@spam.test>')" = "x@spam.test"
# An address inside the display name is not the From's address.
printf 'From: "Support <victim@victim.test>" <me@spam.test>\nTo: liaisons@ietf.test\nSubject: LS display\nMessage-ID: <spam-2@spam.test>\n\nTitle: BUY NOW\nPurpose: For information\nResponse Contact: v@victim.test\n' > "$SCRATCH/spam2.eml"
check_exit "a From with an address in its display name: recorded" 0 ctl ingest "$SCRATCH/spam2.eml"
check "its acknowledgement goes to the From's own address" test "$(ack_rcpts '<spam-2@spam.test>')" = "me@spam.test"
# flush --relay: an empty host or port is a usage error, not a deferral of
# every due row; IPv6 bare, or in brackets with a port.  The accepted ones
# run on a database with nothing due (a bounce recorded: nothing queued),
# so that nothing connects anywhere.
"$CTL" -d "$SCRATCH/nothing-due.db" ingest "$CORPUS/s11-bounce.eml" >/dev/null
for r in ':25' 'relay.test:' '[::1]x' 'relay.test:0' 'relay::25' 'relay:25:' 'fe80::1%nosuchif0'; do
    check_exit "flush --relay '$r': 64" 64 ctl flush --relay "$r"
done
# --max: digits only; "-1" was taken as the largest number, no limit.
for m in -1 '' ' 3' 4294967296; do
    check_exit "flush --max '$m': 64" 64 ctl flush --max "$m"
done
for r in '::1' '[::1]:2525' '[::1]' 'relay.test:2525' 'fe80::1%lo'; do
    check_exit "flush --relay '$r': accepted" 0 "$CTL" -d "$SCRATCH/nothing-due.db" flush --relay "$r"
    check_grep "flush --relay '$r': nothing sent" "^sent 0, deferred 0, failed 0" "$SCRATCH/out"
done
# flush and tickle with the From to come from a directory that does not
# load: an error, not mail from liaisons@localhost.  (A database with
# nothing due, so that a flush that went on would connect nowhere.)
printf 'database = %s\ndirectory = %s/no-such-directory.json\n' "$SCRATCH/nodir.db" "$SCRATCH" > "$SCRATCH/nodir.conf"
check_exit "flush, From from a directory that does not load: 78" 78 env -u LIAISON_DIRECTORY "$CTL" -c "$SCRATCH/nodir.conf" flush
check_grep "flush: says why the directory matters" "neither mail_from nor intake is set" "$SCRATCH/err"
check_exit "tickle, the same: 78" 78 env -u LIAISON_DIRECTORY "$CTL" -c "$SCRATCH/nodir.conf" tickle --dry-run
# A directory that parses but says what cannot be meant (a peer owning a
# whole top-level domain, a group named by punctuation): liaisond -n and
# liaisonctl refuse it with 78, naming the entry.
jq '.peers.bbf.domains = ["bbf.test", "com"]' "$CORPUS/directory.json" > "$SCRATCH/tld.json"
printf 'database = %s\ndirectory = %s\n' "$DB" "$SCRATCH/tld.json" > "$SCRATCH/tld.conf"
check_exit "liaisond -n, a peer domain that is a top-level domain: 78" 78 "$BUILDDIR/src/liaisond" -n -c "$SCRATCH/tld.conf"
check_grep "liaisond -n: names the entry" 'peers\.bbf\.domains\[1\]: "com" is a top-level domain' "$SCRATCH/err"
# A bad -p or -d: the error names the option, not only the key, since
# the file's socket or database line is not where the value is.
printf 'intake = liaisons@ietf.test\ndatabase = %s\ndirectory = %s\n' "$DB" "$CORPUS/directory.json" > "$SCRATCH/opt.conf"
check_exit "liaisond -n -p with no @HOST: 78" 78 "$BUILDDIR/src/liaisond" -n -c "$SCRATCH/opt.conf" -p inet:10025
check_grep "liaisond -n -p: names the option" '^liaisond: error: -p inet:10025: socket = inet:10025: no @HOST' "$SCRATCH/err"
check_exit "liaisond -n -d '': 78" 78 "$BUILDDIR/src/liaisond" -n -c "$SCRATCH/opt.conf" -d ''
check_grep "liaisond -n -d: names the option" "^liaisond: error: -d '': database = : a path is required" "$SCRATCH/err"
jq '.groups["-"] = {"chairs": "x@ietf.test"}' "$CORPUS/directory.json" > "$SCRATCH/punct.json"
check_exit "list --group, a group key of punctuation only: 78" 78 "$CTL" -d "$DB" -D "$SCRATCH/punct.json" list --group ccamp
check_grep "list --group: names the entry" 'groups\.-: the key "-" has no letter or digit' "$SCRATCH/err"
printf 'sender_interval = 0\n' > "$SCRATCH/si.conf"
check_exit "sender_interval = 0 (was taken as 60 without a word): 78" 78 "$CTL" -c "$SCRATCH/si.conf" list
check_grep "sender_interval = 0: says the range" "sender_interval = 0: must be 1 to 86400" "$SCRATCH/err"
printf 'no_such_key = 1\n' > "$SCRATCH/bad.conf"
check_exit "-c with an unknown key: 78" 78 "$CTL" -c "$SCRATCH/bad.conf" list
check_grep "-c: error names file and line" "bad.conf:1" "$SCRATCH/err"
# ingest, which an MTA runs as a pipe, answers 75 instead: the MTA bounces
# anything else, and the configuration is the site's fault, not the mail's.
printf 'database = %s\nno_such_key = 1\n' "$SCRATCH/bad-conf.db" > "$SCRATCH/bad2.conf"
check_exit "ingest with a bad configuration: 75, not 78" 75 "$CTL" -c "$SCRATCH/bad2.conf" ingest "$CORPUS/s04-3gpp-template.eml"
check_grep "ingest with a bad configuration: says why and that nothing was recorded" "bad2.conf:2.*no_such_key" "$SCRATCH/err"
check_grep "ingest with a bad configuration: exit 75 explained" "nothing recorded: exit 75" "$SCRATCH/err"
check "ingest with a bad configuration: no database made" test ! -e "$SCRATCH/bad-conf.db"
check_exit "ingest of input that cannot be read (a folder): 75" 75 sh -c '"$1" -d "$2" ingest < "$3"' sh "$CTL" "$SCRATCH/unread.db" "$SCRATCH"
check_grep "ingest of unreadable input: the read error named" "read error: Is a directory" "$SCRATCH/err"
# AUTH's password never goes to a relay over the network without TLS.
printf 'relay_host = mx.ietf.test\nrelay_user = liaisons\nrelay_password = s3cret\n' > "$SCRATCH/auth.conf"
check_exit "-c: relay_user without relay_starttls to a remote relay: 78" 78 "$CTL" -c "$SCRATCH/auth.conf" list
check_grep "-c: the error says the password would go in clear" "password in clear to mx.ietf.test" "$SCRATCH/err"
printf 'relay_host = 127.evil.example\nrelay_user = liaisons\n' > "$SCRATCH/auth2.conf"
check_exit "-c: a relay name that starts with 127. is still remote: 78" 78 "$CTL" -c "$SCRATCH/auth2.conf" list
printf 'relay_host = 127.0.0.2\nrelay_user = liaisons\n' > "$SCRATCH/auth3.conf"
check_exit "-c: AUTH without TLS to 127.0.0.2 (this host) is accepted" 0 "$CTL" -c "$SCRATCH/auth3.conf" -d "$SCRATCH/auth.db" ingest "$CORPUS/s04-3gpp-template.eml"
printf 'relay_starttls = yes\n' >> "$SCRATCH/auth.conf"
check_exit "-c: the same with relay_starttls = yes is accepted" 0 "$CTL" -c "$SCRATCH/auth.conf" -d "$SCRATCH/auth.db" ingest "$CORPUS/s04-3gpp-template.eml"
# A CA or a name for the relay's certificate means TLS is wanted: without
# relay_starttls the configuration is refused (exit 78, saying why).
for k in "relay_ca_file = ca.pem" "relay_tls_name = relay.test"; do
    printf '%s\n' "$k" > "$SCRATCH/tlskey.conf"
    "$CTL" -c "$SCRATCH/tlskey.conf" list >/dev/null 2>"$SCRATCH/err"; rc=$?
    if [ "$rc" = 78 ] && grep -q "${k%% *} is set but relay_starttls is not" "$SCRATCH/err"; then
        ok "-c: ${k%% *} without relay_starttls: 78, and the error says so"
    else
        fail "-c: ${k%% *} without relay_starttls" "exit $rc: $(head -c 300 "$SCRATCH/err")"
    fi
done
printf 'relay_ca_file = ca.pem\nrelay_tls_name = relay.test\nrelay_tls_verify = no\n' >> "$SCRATCH/auth.conf"
check_exit "-c: relay_ca_file, relay_tls_name and relay_tls_verify with relay_starttls are accepted" 0 \
    "$CTL" -c "$SCRATCH/auth.conf" -d "$SCRATCH/auth.db" list

# --- automatic mail that is a statement, and mail that is not -------------
# The datatracker marks all its mail "Auto-Submitted: auto-generated" and
# "Precedence: bulk", its liaison statements too: a statement, routed,
# but not answered (RFC 3834).
dt() {  # dt FILE MESSAGE-ID HEADER...: s02 with a new Message-ID and headers
    local f=$1 mid=$2; shift 2
    { printf '%s\n' "$@"; sed "s/^Message-ID: .*/Message-ID: $mid/" "$CORPUS/s02-datatracker-mail.eml"; } > "$f"
}
dt "$SCRATCH/dt-auto.eml" '<dt-auto@datatracker.ietf.test>' 'Auto-Submitted: auto-generated' 'Precedence: bulk'
check_exit "the datatracker's statement, auto-generated and bulk" 0 ctl ingest --json "$SCRATCH/dt-auto.eml"
check "it is a statement, routed to the IPPM chairs" \
    jq -e '.kind == "statement" and (.add_recipients | map(.addr) | index("ippm-chairs@ietf.test")) != null' "$SCRATCH/out"
dtid=$(jq -r .id "$SCRATCH/out")
check "its notification is queued" \
    test "$(count_rows "$DB" "outbox WHERE statement = ${dtid:-0} AND kind = 'notification'")" = 1
check "no acknowledgement answers it" test -z "$(ack_rcpts '<dt-auto@datatracker.ietf.test>')"
check_exit "show ${dtid:-0}" 0 ctl show "${dtid:-0}"
check_grep "its history says why" "acknowledgement withheld.*automatic mail" "$SCRATCH/out"
# The same text as a responder's reply, or a list's copy, is no statement.
dt "$SCRATCH/dt-replied.eml" '<dt-replied@datatracker.ietf.test>' 'Auto-Submitted: auto-replied'
check_exit "the same text, Auto-Submitted: auto-replied" 0 ctl ingest --json "$SCRATCH/dt-replied.eml"
check "a responder's mail stays auto mail" jq -e '.kind == "auto" and (.add_recipients | length) == 0' "$SCRATCH/out"
dt "$SCRATCH/dt-list.eml" '<dt-list@datatracker.ietf.test>' 'List-Id: <ippm.ietf.test>' 'Precedence: list'
check_exit "the same text from a list" 0 ctl ingest --json "$SCRATCH/dt-list.eml"
check "a list's copy stays auto mail" jq -e '.kind == "auto" and (.add_recipients | length) == 0' "$SCRATCH/out"
# The datatracker's deadline reminder carries the same envelope, marked the
# same way: auto mail, not a second statement.
{ printf 'Auto-Submitted: auto-generated\nPrecedence: bulk\n'
  sed -e 's/^Message-ID: .*/Message-ID: <dt-rem@datatracker.ietf.test>/' \
      -e '/^Subject:/,/^[^ ]/{/^Subject:/s/.*/Subject: [Liaison deadline in one week] Broadband Forum interest/;/^ /d}' \
      "$CORPUS/s02-datatracker-mail.eml"; } > "$SCRATCH/dt-rem.eml"
n=$(count_rows "$DB" statement)
check_exit "the datatracker's deadline reminder" 0 ctl ingest --json "$SCRATCH/dt-rem.eml"
check "a reminder is auto mail, routed to no one" jq -e '.kind == "auto" and (.add_recipients | length) == 0' "$SCRATCH/out"
check "no statement made of it" test "$(count_rows "$DB" statement)" = "$n"
# A list's copy marked only "Precedence: bulk" (no List-Id), of a statement
# recorded already: auto mail, not routed back to anyone.
{ printf 'Precedence: bulk\nSender: owner-ccamp@ietf.test\n'
  sed 's/^Message-ID: .*/Message-ID: <bulk-copy@itu.test>/' "$CORPUS/s03-itu-template.eml"
  printf '\n--\nccamp mailing list\n'; } > "$SCRATCH/bulk-copy.eml"
check_exit "a list's copy with Precedence: bulk only" 0 ctl ingest --json "$SCRATCH/bulk-copy.eml"
check "it is auto mail, routed to no one" jq -e '.kind == "auto" and (.add_recipients | length) == 0' "$SCRATCH/out"
# Its request for approval of a statement says the same with more words.
dt "$SCRATCH/dt-approve.eml" '<dt-approve@datatracker.ietf.test>' 'Auto-Submitted: auto-generated' 'Precedence: bulk'
sed -i '/^Subject:/,/^[^ ]/{/^Subject:/s/.*/Subject: New Liaison Statement, "Broadband Forum interest" needs your approval/;/^ /d}' "$SCRATCH/dt-approve.eml"
check_exit "the datatracker's request for approval" 0 ctl ingest --json "$SCRATCH/dt-approve.eml"
check "a request for approval is auto mail" jq -e '.kind == "auto" and (.add_recipients | length) == 0' "$SCRATCH/out"
# Auto-generated mail without an envelope of its own is auto mail.
printf 'From: robot@itu.test\nTo: liaisons@ietf.test\nSubject: Your subscription\nMessage-ID: <robot-1@itu.test>\nAuto-Submitted: auto-generated\n\nYour subscription is confirmed.\n' > "$SCRATCH/robot.eml"
check_exit "an auto-generated notice" 0 ctl ingest --json "$SCRATCH/robot.eml"
check "an auto-generated notice is auto mail" jq -e '.kind == "auto"' "$SCRATCH/out"

# A responder's reply to a notification's VERP sender, with the null
# sender: no failure, so the assignee is not marked failing nor reported.
nrow=$(sqlite3 "$DB" "SELECT id FROM outbox WHERE statement = 1 AND kind = 'notification'")
# The secret is made when mail is first sent; nothing was sent here.
sqlite3 "$DB" "INSERT OR IGNORE INTO meta (key, value) VALUES ('secret', '$(printf 'cli%.0s' 1 2 3 4)')"
secret=$(sqlite3 "$DB" "SELECT value FROM meta WHERE key = 'secret'")
hash=$(python3 -c 'import hmac, hashlib, sys; print(hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.sha256).hexdigest()[:12])' \
    "$secret" "$nrow:ccamp-chairs@ietf.test")
reports=$(count_rows "$DB" "outbox WHERE kind = 'report'")
printf 'From: CCAMP Chairs <ccamp-chairs@ietf.test>\nTo: liaisons+b.%s.%s@ietf.test\nSubject: Automatic reply: LS 1\nMessage-ID: <ooo-verp@ietf.test>\nAuto-Submitted: auto-replied\n\nI am out of the office until Monday.\n' \
    "$nrow" "$hash" > "$SCRATCH/ooo-verp.eml"
check_exit "an out-of-office reply to a VERP sender, null sender" 0 ctl ingest -f '<>' --json "$SCRATCH/ooo-verp.eml"
check "it is auto mail" jq -e '.kind == "auto"' "$SCRATCH/out"
check "the assignee is not marked failing" \
    test "$(count_rows "$DB" "failing_address WHERE addr = 'ccamp-chairs@ietf.test'")" = 0
check "no report is queued" test "$(count_rows "$DB" "outbox WHERE kind = 'report'")" = "$reports"
# A bounce without a report from a postmaster, with the null sender, is a
# bounce though it says Auto-Submitted: auto-replied.
printf 'From: postmaster@itu.test\nTo: liaisons@ietf.test\nSubject: Undeliverable\nMessage-ID: <pm-bounce@itu.test>\nAuto-Submitted: auto-replied\n\nYour message could not be delivered.\n' > "$SCRATCH/pm-bounce.eml"
check_exit "a postmaster's plain bounce, auto-replied" 0 ctl ingest -f '<>' --json "$SCRATCH/pm-bounce.eml"
check "it is a bounce" jq -e '.kind == "bounce"' "$SCRATCH/out"
# The same VERP address in a real bounce marks it: the address was right.
printf 'From: postmaster@ietf.test\nTo: liaisons+b.%s.%s@ietf.test\nSubject: Undelivered Mail\nMessage-ID: <bounce-verp@ietf.test>\n\nccamp-chairs@ietf.test: mailbox full\n' \
    "$nrow" "$hash" > "$SCRATCH/bounce-verp.eml"
check_exit "a bounce to the same VERP sender" 0 ctl ingest -f '<>' --json "$SCRATCH/bounce-verp.eml"
check "it is a bounce" jq -e '.kind == "bounce"' "$SCRATCH/out"
check "the assignee is marked failing" \
    test "$(count_rows "$DB" "failing_address WHERE addr = 'ccamp-chairs@ietf.test'")" = 1

# --- a statement to two groups: answers go to both chairs ---------------------
printf 'From: SG15 <tsbsg15@itu.test>\nTo: liaisons@ietf.test\nSubject: LS to two groups\nMessage-ID: <two-1@itu.test>\n\nTitle: LS to two groups\nFrom: ITU-T Study Group 15\nTo: IETF CCAMP and DetNet WGs\nPurpose: For action\nDeadline: 1 June 2027\n' > "$SCRATCH/two.eml"
check_exit "a statement to IETF CCAMP and DetNet WGs" 0 ctl ingest --json "$SCRATCH/two.eml"
check "both groups' chairs assigned" jq -e '([.add_recipients[] | select(.role == "assignee") | .addr] | sort)
    == ["ccamp-chairs@ietf.test", "detnet-chairs@ietf.test"]' "$SCRATCH/out"
printf 'From: Greta <greta.jonsson@itu.test>\nTo: liaisons@ietf.test\nSubject: Re: LS to two groups\nMessage-ID: <two-2@itu.test>\nIn-Reply-To: <two-1@itu.test>\n\nA correction.\n' > "$SCRATCH/two-re.eml"
check_exit "an answer on it" 0 ctl ingest --json "$SCRATCH/two-re.eml"
check "the answer goes to both chairs" jq -e '.kind == "correspondence" and ([.add_recipients[].addr] | sort)
    == ["ccamp-chairs@ietf.test", "detnet-chairs@ietf.test"]' "$SCRATCH/out"
printf 'From: CCAMP chairs <ccamp-chairs@ietf.test>\nTo: liaisons@ietf.test\nSubject: Re: LS to two groups\nMessage-ID: <two-3@ietf.test>\nIn-Reply-To: <two-1@itu.test>\n\nWe take it.\n' > "$SCRATCH/two-re2.eml"
check_exit "an answer from one of the chairs" 0 ctl ingest --json "$SCRATCH/two-re2.eml"
check "it goes to the other chairs only" jq -e '[.add_recipients[].addr] == ["detnet-chairs@ietf.test"]' "$SCRATCH/out"

# --- threading that strangers cannot steer -----------------------------------
# Mail that reuses statement B's Message-ID while replying to A is recorded
# on A; B's answers still thread onto B.
hj() {  # hj FILE MESSAGE-ID TITLE TO
    printf 'From: SG15 <tsbsg15@itu.test>\nTo: liaisons@ietf.test\nSubject: %s\nMessage-ID: %s\n\nTitle: %s\nFrom: ITU-T Study Group 15\nTo: %s\nPurpose: For information\n' \
        "$3" "$2" "$3" "$4" > "$1"
}
hj "$SCRATCH/hj-a.eml" '<hj-a@itu.test>' 'LS one' 'IETF CCAMP WG'
hj "$SCRATCH/hj-b.eml" '<hj-b@itu.test>' 'LS two' 'IETF NETMOD WG'
check_exit "statement A" 0 ctl ingest --json "$SCRATCH/hj-a.eml"
ida=$(jq -r .id "$SCRATCH/out")
check_exit "statement B" 0 ctl ingest --json "$SCRATCH/hj-b.eml"
idb=$(jq -r .id "$SCRATCH/out")
printf 'From: mallory@spam.test\nTo: liaisons@ietf.test\nSubject: Re: LS one\nMessage-ID: <hj-b@itu.test>\nIn-Reply-To: <hj-a@itu.test>\n\nhello\n' > "$SCRATCH/hj-m.eml"
check_exit "B's Message-ID reused in a reply to A" 0 ctl ingest --json "$SCRATCH/hj-m.eml"
check "it is recorded on A" jq -e ".kind == \"correspondence\" and .id == ${ida:-0}" "$SCRATCH/out"
printf 'From: Chair <netmod-chairs@ietf.test>\nTo: liaisons@ietf.test\nSubject: Re: LS two\nMessage-ID: <hj-r@ietf.test>\nIn-Reply-To: <hj-b@itu.test>\n\nWe will answer.\n' > "$SCRATCH/hj-r.eml"
check_exit "the answer to B" 0 ctl ingest --json "$SCRATCH/hj-r.eml"
check "it threads onto B, not A" jq -e ".kind == \"correspondence\" and .id == ${idb:-0}" "$SCRATCH/out"

# A statement that arrives again, directly after its forward (or the other
# way round), is the statement recorded, not a second one.
awk '/^Content-Type: message\/rfc822/ { p = 1; next } p == 1 && /^$/ { p = 2; next }
     p == 2 && /^--=====/ { exit } p == 2' "$CORPUS/s14-forwarded-rfc822.eml" > "$SCRATCH/s14-inner.eml"
check_exit "s14, the secretariat's forward" 0 ctl ingest --json "$CORPUS/s14-forwarded-rfc822.eml"
idf=$(jq -r .id "$SCRATCH/out")
n=$(count_rows "$DB" statement)
check_exit "the statement it forwards, sent directly" 0 ctl ingest --json "$SCRATCH/s14-inner.eml"
check "recorded on the forward's statement" jq -e ".kind == \"correspondence\" and .id == ${idf:-0}" "$SCRATCH/out"
check "no second statement" test "$(count_rows "$DB" statement)" = "$n"

# "[LS n]" in a Subject, as the acknowledgement asks, from one of the
# statement's own people threads onto it; from a stranger it does not.
printf 'From: Hiroshi Tanabe <H.Tanabe@itu.test>\nTo: liaisons@ietf.test\nSubject: [LS 1] corrected attachment\nMessage-ID: <tag-1@itu.test>\n\nPlease use the attached revision.\n' > "$SCRATCH/tag-contact.eml"
check_exit "[LS 1] from its technical contact" 0 ctl ingest --json "$SCRATCH/tag-contact.eml"
check "correspondence on statement 1" jq -e '.kind == "correspondence" and .id == 1' "$SCRATCH/out"
printf 'From: x@spam.test\nTo: liaisons@ietf.test\nSubject: [LS 1] read this\nMessage-ID: <tag-2@spam.test>\n\nBuy now.\n' > "$SCRATCH/tag-stranger.eml"
check_exit "[LS 1] from a stranger" 0 ctl ingest --json "$SCRATCH/tag-stranger.eml"
check "a statement of its own, not on statement 1" jq -e '.kind == "statement" and .id != 1' "$SCRATCH/out"
# A new statement from statement 1's contact that cites its tag, with a
# Title, From and To of its own: a statement, not correspondence.
printf 'From: Hiroshi Tanabe <h.tanabe@itu.test>\nTo: liaisons@ietf.test\nSubject: New LS (follows up [LS 1])\nMessage-ID: <tag-3@itu.test>\n\nTitle: LS on OTN topology, part 2\nFrom: ITU-T Study Group 15\nTo: IETF CCAMP WG\nPurpose: For action\nDeadline: 1 February 2028\n' > "$SCRATCH/tag-new.eml"
check_exit "a new statement citing [LS 1] from its contact" 0 ctl ingest --json "$SCRATCH/tag-new.eml"
check "it is a statement, with its own deadline" \
    jq -e '.kind == "statement" and .id != 1 and .deadline == "2028-02-01"' "$SCRATCH/out"

# --- list's filters: each shows what the unfiltered JSON says it should ----
# The corpus in a database of its own, one statement answered (reply) and
# one closed; the expected ids come from `list --json` read by Python.
LF="$SCRATCH/filters.db"
lf() { "$CTL" -d "$LF" -D "$CORPUS/directory.json" "$@"; }
for f in "$CORPUS"/*.eml; do lf ingest "$f" >/dev/null 2>&1; done
mapfile -t dated < <(lf list --json | jq -r '.[] | select(.deadline != null) | .id')
check "list filters: the corpus has four statements with deadlines" test "${#dated[@]}" -ge 4
printf 'The IETF thanks you.\n' >"$SCRATCH/lf-letter.txt"
check_exit "list filters: answer ${dated[0]}" 0 lf reply "${dated[0]}" "$SCRATCH/lf-letter.txt"
check_exit "list filters: close ${dated[1]}" 0 lf close "${dated[1]}"
# One more, due on a day the filters count from, with a word its Subject
# alone holds and an accented one in its Title and Body.
printf 'From: Greta <greta@itu.test>\nTo: liaisons@ietf.test\nSubject: LS resent: Zanzibar\nMessage-ID: <lf-subject-1@itu.test>\nContent-Type: text/plain; charset=utf-8\n\nTitle: Working methods of the Comit\xc3\xa9\nFrom: ITU-T Study Group 15\nTo: IETF CCAMP WG\nPurpose: For action\nDeadline: 2027-02-01\n\nBody: The Comit\xc3\xa9 asks for views.\n' >"$SCRATCH/lf-subject.eml"
check_exit "list filters: one more statement" 0 lf ingest "$SCRATCH/lf-subject.eml"
lf list --json >"$SCRATCH/all.json"
# expect ARGS...: the ids list ARGS should show, from all.json.
expect() {
    python3 - "$SCRATCH/all.json" "$CORPUS/directory.json" "$@" <<'PY'
import datetime, json, sys, unicodedata
rows = json.load(open(sys.argv[1]))
groups = json.load(open(sys.argv[2]))["groups"]
args, i, f = sys.argv[3:], 0, {}
while i < len(args):
    if args[i] in ("--open", "--closed", "--overdue"):
        f[args[i]] = True; i += 1
    else:
        f[args[i]] = args[i + 1]; i += 2
today = datetime.date.fromisoformat(f.get("--now", datetime.date.today().isoformat()))
fold = lambda s: unicodedata.normalize("NFKC", s).casefold()
holds = lambda field, text: field is not None and fold(text) in fold(field)
def wants(s):
    if f.get("--open") and s["state"] != "open": return False
    if f.get("--closed") and s["state"] != "closed": return False
    if f.get("--overdue") or "--due" in f:
        if s["state"] != "open" or s["answered"] or not s["deadline"]: return False
        days = (datetime.date.fromisoformat(s["deadline"]) - today).days
        if f.get("--overdue") and days >= 0: return False
        if "--due" in f and days > int(f["--due"]): return False
    if "--group" in f:
        g = f["--group"].lower()
        if not any(k == g or groups.get(k, {}).get("area") == g for k in s["groups"]): return False
    if "--from" in f and not holds(s["from"], f["--from"]): return False
    if "--search" in f and not any(holds(s[k], f["--search"]) for k in ("title", "subject", "body")):
        return False
    return True
print(" ".join(str(s["id"]) for s in rows if wants(s)))
PY
}
total=$(jq length "$SCRATCH/all.json")
# list_filter ARGS...: the table and the JSON show expect's ids, neither
# none nor all of them (so that the filter is seen to work), and the
# table ends "(N of M statements)".
list_filter() {
    local want got_json got_table n
    want=$(expect "$@")
    lf list --json "$@" >"$SCRATCH/lf.json" 2>"$SCRATCH/err"
    got_json=$(jq -r '[.[].id] | join(" ")' "$SCRATCH/lf.json")
    lf list "$@" >"$SCRATCH/lf.txt" 2>>"$SCRATCH/err"
    got_table=$(awk '$1 ~ /^[0-9]+$/ { printf "%s%s", sep, $1; sep = " " }' "$SCRATCH/lf.txt")
    n=$(wc -w <<<"$want")
    if [ -n "$want" ] && [ "$n" -lt "$total" ] && [ "$got_json" = "$want" ] && [ "$got_table" = "$want" ] \
        && grep -qx "($n of $total statements)" "$SCRATCH/lf.txt"; then
        ok "list $*: $want"
    else
        fail "list $*" "want [$want] of $total; JSON [$got_json], table [$got_table]: $(tail -1 "$SCRATCH/lf.txt") $(head -c 200 "$SCRATCH/err")"
    fi
}
list_filter --open
list_filter --closed
list_filter --overdue --now 2027-02-01
list_filter --due 30 --now 2027-02-01
list_filter --due 0 --now 2027-03-15
list_filter --group rtg
list_filter --group CCAMP
list_filter --group iesg
list_filter --from itu-t
list_filter --from "ＩＴＵ－Ｔ"
list_filter --search "OTN"
list_filter --search zanzibar
list_filter --search "$(printf 'comite\xcc\x81')"
list_filter --overdue --now 2027-02-02
list_filter --group rtg --open --due 60 --now 2027-02-01
# The facts behind them, by hand: the answered one is past its deadline
# yet not overdue; an area gives its groups' statements.
check "list --overdue: the answered statement is past its deadline" \
    jq -e --arg id "${dated[0]}" '.[] | select(.id == ($id | tonumber)) | .replied != null and .deadline < "2027-04-01"' "$SCRATCH/all.json"
check_exit "list --overdue as at 2027-04-01" 0 lf list --overdue --now 2027-04-01
check "list --overdue: not the answered one" sh -c '! grep -q "^$1 " "$2"' _ "${dated[0]}" "$SCRATCH/out"
# An answered statement that a chair reopens is outstanding again: the
# reopen is recorded though it was open, and list, show and stats then
# count it as the tickler does (a copy, so that the figures below keep
# the answer).
RA="$SCRATCH/reopen-answered.db"
sqlite3 "$LF" ".backup '$RA'"
ra() { "$CTL" -d "$RA" -D "$CORPUS/directory.json" "$@"; }
A0=${dated[0]}
check "answered: list --json says it stands, replied beside it" \
    jq -e --argjson id "$A0" '.[] | select(.id == $id) | .answered == true and .replied != null' "$SCRATCH/all.json"
ra stats --now 2027-04-01 --json >"$SCRATCH/ra-before.json"
check_exit "reopen an answered statement that is open: 0" 0 ra reopen --reason "their answer asks for more" "$A0"
check_grep "reopen: says it was reopened" "^statement $A0 reopened$" "$SCRATCH/out"
check "reopen: the event recorded, the answer kept as history" test \
    "$(sqlite3 "$RA" "SELECT (SELECT count(*) FROM event WHERE statement = $A0 AND what = 'reopened' AND detail = 'their answer asks for more') || '|' || state || '|' || (replied IS NOT NULL) FROM statement WHERE id = $A0")" = "1|open|1"
check_exit "reopen it again: nothing to do" 0 ra reopen "$A0"
check_grep "reopen again: already open" "^statement $A0 is already open$" "$SCRATCH/out"
check "reopen again: no second event" test "$(sqlite3 "$RA" "SELECT count(*) FROM event WHERE statement = $A0 AND what = 'reopened'")" = 1
check_exit "list --overdue as at 2027-04-01, the answer reopened" 0 ra list --overdue --now 2027-04-01
check_grep "list --overdue: the reopened answered one is overdue" "^$A0 " "$SCRATCH/out"
check "list --json: answered false, replied kept" \
    bash -c '"$@" list --json | jq -e --argjson id '"$A0"' ".[] | select(.id == \$id) | .answered == false and .replied != null"' _ "$CTL" -d "$RA"
check_exit "show the reopened answered one" 0 ra show "$A0"
check_grep "show: when it was answered, and that it is outstanding again" \
    "^Answered: +20[0-9-]+T[0-9:]+Z \(reopened or given a new deadline since: outstanding again\)$" "$SCRATCH/out"
check_exit "stats after the reopen: 0" 0 ra stats --now 2027-04-01 --json
check "stats: one answer fewer, one overdue more" python3 -c '
import json, sys
a, b = json.load(open(sys.argv[1]))[-1], json.load(open(sys.argv[2]))[-1]
sys.exit(0 if b["answered"] == a["answered"] - 1 and b["overdue"] == a["overdue"] + 1 else 1)' \
    "$SCRATCH/ra-before.json" "$SCRATCH/out"
check_exit "list --group rtg" 0 lf list --group rtg
check_grep "list --group rtg: a CCAMP statement (an RTG group)" "IETF CCAMP WG" "$SCRATCH/out"
check_exit "list --group nosuch: 64" 64 lf list --group nosuch
check_grep "list --group nosuch: says so" 'no group or area "nosuch"' "$SCRATCH/err"
check_exit "list --open --closed: 64" 64 lf list --open --closed
check_exit "list --due -1: 64" 64 lf list --due -1
check_exit "list --due x: 64" 64 lf list --due x
check_exit "list --now 2027-13-01: 64" 64 lf list --overdue --now 2027-13-01
# --- stats: each figure as a Python reading of list --json has it ---------
# The filters' database, copied, with two answers dated: one by its
# deadline after 18 days, one after it after 10.
ST="$SCRATCH/stats.db"
sqlite3 "$LF" ".backup '$ST'"
sqlite3 "$ST" "UPDATE statement SET received = '2027-01-02T10:00:00Z', replied = '2027-01-20T09:00:00Z', deadline = '2027-01-25' WHERE id = ${dated[0]};
               UPDATE statement SET received = '2027-01-05T23:30:00Z', replied = '2027-01-15T00:10:00Z', deadline = '2027-01-10' WHERE id = ${dated[2]}"
st() { "$CTL" -d "$ST" "$@"; }
# Two without a deadline: one answered a day before its recorded arrival
# (a clock set back) in a group with no other answer, one assigned to no
# group at all.
mapfile -t undated < <(st list --json | jq -r --argjson a "$(st list --json | jq -c --argjson d "[${dated[0]}, ${dated[2]}]" '[.[] | select(.id as $i | $d | index($i)) | .groups[]]')" \
    '.[] | select(.deadline == null and (.groups | length) == 1 and (.groups[0] as $g | $a | index($g) | not)) | .id')
check "stats: two statements with no deadline, in groups answered nowhere else" test "${#undated[@]}" -ge 2
sqlite3 "$ST" "UPDATE statement SET received = '2027-01-04T08:00:00Z', replied = '2027-01-03T09:00:00Z' WHERE id = ${undated[0]};
               UPDATE statement SET received = '2027-02-14T12:00:00Z' WHERE id = ${undated[1]};
               DELETE FROM statement_item WHERE statement = ${undated[1]} AND kind = 'group'"
NODL_GROUP=$(st show --json "${undated[0]}" | jq -r '.groups[0]')
st list --json >"$SCRATCH/stats-list.json"
check "stats: the group-less one has no group now" jq -e --argjson i "${undated[1]}" '.[] | select(.id == $i) | .groups == []' "$SCRATCH/stats-list.json"
# expect_stats TODAY SINCE UNTIL: stats --json as list --json says it should be.
expect_stats() {
    python3 - "$SCRATCH/stats-list.json" "$@" <<'PY'
import json, statistics, sys
from datetime import date
rows = json.load(open(sys.argv[1]))
today, since, until = sys.argv[2], sys.argv[3] or None, sys.argv[4] or None
d = lambda t: date.fromisoformat(t[:10])
out = {}
def count(key, r):
    o = out.setdefault(key, dict(group=key, received=0, open=0, closed=0, answered=0,
                                 on_time=0, late=0, overdue=0, days=[]))
    o["received"] += 1
    is_open = r["state"] == "open"
    o["open" if is_open else "closed"] += 1
    if r["answered"]:
        o["answered"] += 1
        if r["deadline"]:
            o["on_time" if d(r["replied"]) <= d(r["deadline"]) else "late"] += 1
        o["days"].append((d(r["replied"]) - d(r["received"])).days)
    elif is_open and r["deadline"] and d(r["deadline"]) < d(today):
        o["overdue"] += 1
for r in rows:
    if (since and r["received"][:10] < since) or (until and r["received"][:10] > until):
        continue
    count(None, r)
    for g in set(x.lower() for x in r["groups"]):
        count(g, r)
res = []
for k in sorted(k for k in out if k is not None) + [None]:
    o = out[k]
    days = o.pop("days")
    o["median_days_to_answer"] = float(statistics.median(days)) if days else None
    res.append(o)
print(json.dumps(res, sort_keys=True))
PY
}
norm() { python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))'; }
check_exit "stats --json: 0" 0 st stats --now 2027-03-08 --json
is "stats: every group and all, as list --json says" \
    "$(expect_stats 2027-03-08 "" "")" "$(norm <"$SCRATCH/out")"
check "stats: three answers, one on time, one late, one with no deadline; median 10 days" jq -e \
    '.[-1] | .group == null and .answered == 3 and .on_time == 1 and .late == 1 and .median_days_to_answer == 10 and .overdue > 0 and .closed == 1' "$SCRATCH/out"
check "stats: the answer before its arrival, in neither on time nor late, a median of -1" jq -e --arg g "$NODL_GROUP" \
    '.[] | select(.group == $g) | .answered == 1 and .on_time == 0 and .late == 0 and .median_days_to_answer == -1' "$SCRATCH/out"
check_exit "stats on the group-less one's day alone: 0" 0 st stats --since 2027-02-14 --until 2027-02-14 --json
check "stats: the group-less one counts in all alone" jq -e 'length == 1 and .[0].group == null and .[0].received == 1' "$SCRATCH/out"
check_exit "stats --since --until --json: 0" 0 st stats --now 2027-03-08 --since 2027-01-03 --until 2027-01-31 --json
is "stats --since 2027-01-03 --until 2027-01-31: as list --json says" \
    "$(expect_stats 2027-03-08 2027-01-03 2027-01-31)" "$(norm <"$SCRATCH/out")"
check "stats --since 2027-01-03 --until 2027-01-31: two, 10 and -1 days" jq -e '.[-1] | .received == 2 and .median_days_to_answer == 4.5' "$SCRATCH/out"
check_exit "stats --since 2027-01-02 --until 2027-01-05 --json: 0" 0 st stats --now 2027-03-08 --since 2027-01-02 --until 2027-01-05 --json
check "stats: both ends of the window count" jq -e '.[-1] | .received == 3 and .answered == 3' "$SCRATCH/out"
check_exit "stats: the table" 0 st stats --now 2027-03-08
check_grep "stats: the table's last row, whole" \
    "^\(all\) +$(jq length "$SCRATCH/stats-list.json") +[0-9]+ +1 +3 +1 +1 +[0-9]+ +10\.0$" "$SCRATCH/out"
check_exit "stats --since after --until: 64" 64 st stats --since 2027-02-01 --until 2027-01-01
check_exit "stats --since 2027-02-30: 64" 64 st stats --since 2027-02-30
check_exit "stats --until x: 64" 64 st stats --until x
check_exit "stats with an operand: 64" 64 st stats 1
check_exit "stats, no database there: 66" 66 "$CTL" -d "$SCRATCH/none/liaison.db" stats
# A key of wide characters (the directory's keys are free text) is never
# cut either: its column as wide as its terminal columns, not its characters.
cp "$ST" "$SCRATCH/stats-wide.db"
sqlite3 "$SCRATCH/stats-wide.db" "UPDATE statement_item SET value = '情報通信標準化グループ' WHERE kind = 'group' AND statement = (SELECT min(statement) FROM statement_item WHERE kind = 'group')"
check_exit "stats with a key of wide characters" 0 "$CTL" -d "$SCRATCH/stats-wide.db" stats --now 2027-03-08
check_grep "stats: the wide key whole, its figures in their column" "^情報通信標準化グループ  +[0-9]+  " "$SCRATCH/out"
check "stats: every row's RECEIVED column ends where the header's does" python3 -c '
import re, sys, unicodedata
cols = lambda t: sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in t)
ends = {cols(l[:re.match(r"\S+\s+\S+", l).end()]) for l in open(sys.argv[1], encoding="utf-8").read().splitlines()}
sys.exit(0 if len(ends) == 1 else 1)' "$SCRATCH/out"

# flush and publish read --now alike (ctl_parse_time): a day or an ISO 8601 time.
check_exit "flush --now 2027-13-01: 64" 64 "$CTL" flush --now 2027-13-01
check_grep "flush --now 2027-13-01: says what it wants" '^liaisonctl: flush: --now "2027-13-01" is not a day \(2027-01-15\) or an ISO 8601 time' "$SCRATCH/err"
check_exit "publish --now 2027-13-01: 64" 64 "$CTL" publish --now 2027-13-01 "$SCRATCH/no-site"
check_grep "publish --now 2027-13-01: says what it wants" '^liaisonctl: publish: --now "2027-13-01" is not a day \(2027-01-15\) or an ISO 8601 time' "$SCRATCH/err"
check_exit "list a filter that passes none: 0" 0 lf list --search "no statement says this"
check_grep "list none: (0 of N statements)" "^\(0 of $total statements\)$" "$SCRATCH/out"
check_exit "list --search comite: not Comité" 0 lf list --search comite
check_grep "list --search comite: none" "^\(0 of $total statements\)$" "$SCRATCH/out"
check_exit "list a filter that passes all: 0" 0 lf list --search ""
check_grep "list all through a filter: (N of N statements)" "^\($total of $total statements\)$" "$SCRATCH/out"

# --- reassign: on a database of its own -------------------------------------
rctl() { "$CTL" -d "$SCRATCH/ra.db" "$@"; }
check_exit "reassign: ingest s03" 0 rctl ingest "$CORPUS/s03-itu-template.eml"
# Reassigning: the new group's chairs, area ADs and list; contacts stay;
# the notification queued to them.
check_exit "reassign 1 netmod" 0 env SUDO_USER=chair "$CTL" -d "$SCRATCH/ra.db" reassign --reason "YANG, not OTN" 1 netmod
check_grep "reassign 1: says so" "^statement 1 reassigned to netmod-chairs@ietf.test \\(was ccamp-chairs@ietf.test\\)$" "$SCRATCH/out"
check "reassign 1: the new routing" test "$(sqlite3 "$SCRATCH/ra.db" "SELECT group_concat(role || ':' || addr, ' ') FROM (SELECT role, addr FROM recipient WHERE statement = 1 ORDER BY position)")" = \
    "assignee:netmod-chairs@ietf.test technical:h.tanabe@itu.test supervisor:ops-ads@ietf.test liaison-manager:itu-t-sg15-manager@ietf.test list:netmod@ietf.test"
check "reassign 1: an event says who, from whom to whom, and why" test "$(sqlite3 "$SCRATCH/ra.db" \
    "SELECT actor || ' | ' || detail FROM event WHERE statement = 1 AND what = 'reassigned'")" = \
    "liaisonctl (chair) | ccamp-chairs@ietf.test -> netmod-chairs@ietf.test (netmod): YANG, not OTN"
check "reassign 1: the new assignee is notified" test "$(sqlite3 "$SCRATCH/ra.db" \
    "SELECT count(*) FROM outbox WHERE statement = 1 AND kind = 'notification' AND rcpts LIKE 'netmod-chairs@ietf.test%'")" = 1
check_exit "reassign 1 netmod again: 0" 0 rctl reassign 1 NETMOD
check_grep "reassign 1 netmod again: already" "^statement 1 is assigned to netmod-chairs@ietf.test already$" "$SCRATCH/out"
check_exit "reassign 1 nosuchwg: 64" 64 rctl reassign 1 nosuchwg
check_grep "reassign 1 nosuchwg: says why" 'no group or area "nosuchwg"' "$SCRATCH/err"
check_exit "reassign 99: 1" 1 rctl reassign 99 netmod
# A statement addressed to three groups, given to one of them, is that
# group's alone: not "assigned already" with the other two kept.
check_exit "reassign: ingest s12 (IPPM, NETMOD and RTGWG)" 0 rctl ingest "$CORPUS/s12-multi-to-folded.eml"
S12=$(sqlite3 "$SCRATCH/ra.db" "SELECT id FROM statement WHERE message_id = '<bbf-nov26@bbf.test>'")
check "s12: three assignees" test "$(sqlite3 "$SCRATCH/ra.db" "SELECT count(*) FROM recipient WHERE statement = '$S12' AND role = 'assignee'")" = 3
check_exit "reassign s12 ippm: 0" 0 rctl reassign "$S12" ippm
check_grep "reassign s12 ippm: says so, naming all three it was" \
    "^statement $S12 reassigned to ippm-chairs@ietf.test \\(was ippm-chairs@ietf.test, netmod-chairs@ietf.test, rtgwg-chairs@ietf.test\\)$" "$SCRATCH/out"
is "reassign s12 ippm: IPPM's alone (group, assignee, list)" "ippm|assignee:ippm-chairs@ietf.test list:ippm@ietf.test" \
    "$(sqlite3 "$SCRATCH/ra.db" "SELECT (SELECT group_concat(value) FROM statement_item WHERE statement = $S12 AND kind = 'group') || '|' || (SELECT group_concat(role || ':' || addr, ' ') FROM (SELECT role, addr FROM recipient WHERE statement = $S12 AND role IN ('assignee', 'list') ORDER BY position))")"
check "reassign s12 ippm: one event" test "$(sqlite3 "$SCRATCH/ra.db" "SELECT count(*) FROM event WHERE statement = $S12 AND what = 'reassigned'")" = 1
check_exit "reassign s12 ippm again: 0" 0 rctl reassign "$S12" ippm
check_grep "reassign s12 ippm again: already" "^statement $S12 is assigned to ippm-chairs@ietf.test already$" "$SCRATCH/out"

# --- reply: the IETF's response queued, the statement answered --------------
# Statement 1 of ra.db (s03): its response contact is at the sender's domain.
printf 'Dear colleagues,\n\nNETMOD thanks SG15.\n' >"$SCRATCH/letter.txt"
printf '%%PDF-1.4 the letter\n' >"$SCRATCH/letter.pdf"
check_exit "reply --dry-run 1: 0" 0 rctl reply --dry-run --attach "$SCRATCH/letter.pdf" 1 "$SCRATCH/letter.txt"
check_grep "reply --dry-run: to whom" "^statement 1: the response would go to tsbsg15@itu.test, netmod-chairs@ietf.test.*nothing queued" "$SCRATCH/out"
check_grep "reply --dry-run: the letter itself" "^Subject: \\[LS 1\\] Response: " "$SCRATCH/out"
check "reply --dry-run: nothing queued, not answered" test \
    "$(sqlite3 "$SCRATCH/ra.db" "SELECT (SELECT count(*) FROM outbox WHERE kind = 'response') || (SELECT replied IS NULL FROM statement WHERE id = 1)")" = 01
# A dry run only reads: while another process (liaisond) holds the write
# lock it answers at once; the reply itself still waits, then fails (75).
printf 'busy_timeout_ms = 500\n' >"$SCRATCH/ra-short.conf"
if db_lock "$SCRATCH/ra.db"; then
    ok "reply under a lock: another process holds the write lock"
    check_exit "reply --dry-run under a lock: 0" 0 "$CTL" -c "$SCRATCH/ra-short.conf" -d "$SCRATCH/ra.db" reply --dry-run 1 "$SCRATCH/letter.txt"
    check_grep "reply --dry-run under a lock: to whom" "^statement 1: the response would go to tsbsg15@itu.test" "$SCRATCH/out"
    check_exit "reply under a lock: 75" 75 "$CTL" -c "$SCRATCH/ra-short.conf" -d "$SCRATCH/ra.db" reply 1 "$SCRATCH/letter.txt"
    check_grep "reply under a lock: says why" "lock|busy" "$SCRATCH/err"
    db_unlock
else
    fail "reply under a lock" "another process could not take the write lock"
fi
check_exit "reply 1: 0" 0 rctl reply --attach "$SCRATCH/letter.pdf" 1 "$SCRATCH/letter.txt"
check_grep "reply 1: says to whom" "^statement 1: response queued to tsbsg15@itu.test, netmod-chairs@ietf.test" "$SCRATCH/out"
check "reply 1: one response queued, to the contact and the notification's people" test \
    "$(sqlite3 "$SCRATCH/ra.db" "SELECT count(*), replace(min(rcpts), char(10), ' ') FROM outbox WHERE statement = 1 AND kind = 'response'")" = \
    "1|tsbsg15@itu.test netmod-chairs@ietf.test h.tanabe@itu.test ops-ads@ietf.test itu-t-sg15-manager@ietf.test netmod@ietf.test"
check_exit "show 1 after the reply" 0 rctl show 1
check_grep "show: when it was answered" "^Answered: +20[0-9-]+T[0-9:]+Z$" "$SCRATCH/out"
check_exit "show --json 1 after the reply" 0 rctl show --json 1
check "show --json: replied, not closed" jq -e '(.replied | test("^20")) and .closed == null' "$SCRATCH/out"
check "reply 1: answered, with an event, still open" test \
    "$(sqlite3 "$SCRATCH/ra.db" "SELECT replied IS NOT NULL, state, (SELECT count(*) FROM event WHERE statement = 1 AND what = 'replied') FROM statement WHERE id = 1")" = "1|open|1"
sqlite3 "$SCRATCH/ra.db" "UPDATE statement SET received = '2026-11-20T09:00:00Z'"
check_exit "tickle after the reply" 0 rctl tickle --dry-run --now 2027-03-08
check "tickle after the reply: statement 1 not reminded" sh -c '! grep -q "^statement 1:" "$1"' _ "$SCRATCH/out"
check_exit "reply --close --to: 0" 0 rctl reply --close --to other@itu.test 1 - <"$SCRATCH/letter.txt"
check_grep "reply --close: says it closed" "^statement 1: response queued to other@itu.test, .*; statement closed$" "$SCRATCH/out"
check "reply --close: closed, because replied" test \
    "$(sqlite3 "$SCRATCH/ra.db" "SELECT state || ' ' || (SELECT detail FROM event WHERE statement = 1 AND what = 'closed') FROM statement WHERE id = 1")" = "closed replied"
check_exit "reply to no statement: 1" 1 rctl reply 99 "$SCRATCH/letter.txt"
printf '\xff\xfe\x00binary' >"$SCRATCH/binary.txt"
check_exit "reply with a text that is not text: 65" 65 rctl reply 1 "$SCRATCH/binary.txt"
printf ' \n\t\n' >"$SCRATCH/blank.txt"
check_exit "reply with a blank text: 65" 65 rctl reply 1 "$SCRATCH/blank.txt"
check_exit "reply with no such text file: 66" 66 rctl reply 1 "$SCRATCH/none.txt"
check_exit "reply with no such attachment: 66" 66 rctl reply --attach "$SCRATCH/none.pdf" 1 "$SCRATCH/letter.txt"
check_exit "reply without the text: 64" 64 rctl reply 1
check_exit "reply --to a name and address: 64" 64 rctl reply --to "Greta <g@itu.test>" 1 "$SCRATCH/letter.txt"
check_grep "reply --to a name and address: says which" '"Greta <g@itu.test>" is not an address' "$SCRATCH/err"
check_exit "reply --to with a line break: 64" 64 rctl reply --to "$(printf 'x@y.test\r\nBcc: z@w.test')" 1 "$SCRATCH/letter.txt"
truncate -s 8M "$SCRATCH/big.pdf"
check_exit "reply with 8 MiB of attachments: 65" 65 rctl reply --attach "$SCRATCH/big.pdf" 1 "$SCRATCH/letter.txt"
check_grep "reply with 8 MiB of attachments: says why" "exceed 7 MiB" "$SCRATCH/err"
check_exit "reply --attach /dev/zero: 66, not read" 66 rctl reply --attach /dev/zero 1 "$SCRATCH/letter.txt"
# A text that does not end (here a FIFO whose writer sent 2 MiB and stays)
# is refused once it is past 1 MiB, not read to its end (/dev/zero would
# fill the memory).  timeout only keeps a regression from hanging the run.
mkfifo "$SCRATCH/endless.txt"
{ head -c 2097152 /dev/zero | tr '\0' a; exec sleep 60; } > "$SCRATCH/endless.txt" &
endless_writer=$!
check_exit "reply with a text that does not end: 65" 65 timeout 30 "$CTL" -d "$SCRATCH/ra.db" reply 1 "$SCRATCH/endless.txt"
check_grep "reply with a text that does not end: says why" "at most 1024 KiB" "$SCRATCH/err"
kill "$endless_writer" 2>/dev/null; wait "$endless_writer" 2>/dev/null
check_exit "reply with standard input that fails: 66" 66 sh -c '"$1" -d "$2" reply 1 - < "$3"' _ "$CTL" "$SCRATCH/ra.db" "$SCRATCH"
check "the refused replies queued nothing" test \
    "$(sqlite3 "$SCRATCH/ra.db" "SELECT count(*) FROM outbox WHERE kind = 'response'")" = 2
# An attachment's name with a line break and bytes that are not UTF-8:
# the part's headers stay whole, the name readable.
NL="$SCRATCH/$(printf 'a\nBcc: evil@x.test caf\xe9.txt')"
printf 'plain text\n' >"$NL"
check_exit "reply with an attachment named with a line break: 0" 0 rctl reply --to other@itu.test --attach "$NL" 1 "$SCRATCH/letter.txt"
sqlite3 "$SCRATCH/ra.db" "SELECT writefile('$SCRATCH/nl.eml', raw) FROM outbox WHERE kind = 'response' ORDER BY id DESC LIMIT 1" >/dev/null
check "the attachment's headers whole, its name cleaned, its text labelled UTF-8" python3 - "$SCRATCH/nl.eml" <<'PY'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
att = list(m.iter_attachments())
ok = (not m.defects and len(att) == 1 and not att[0].defects
      and att[0].get_filename().startswith("a Bcc: evil@x.test caf")
      and att[0].get_content_charset() == "utf-8"
      and att[0].get_content() == "plain text\n" and m["Bcc"] is None)
sys.exit(0 if ok else 1)
PY

# A forward from a stranger: the response goes where the acknowledgement
# went (the forwarder), not to the attached message's own contacts.
sed '1,/^From: /s/^From: .*/From: Mallory <mallory@evil.test>/' "$CORPUS/s14-forwarded-rfc822.eml" >"$SCRATCH/fwd.eml"
check_exit "a stranger's forward: recorded" 0 "$CTL" -d "$SCRATCH/fwd.db" ingest --json "$SCRATCH/fwd.eml"
fid=$(jq -r .id "$SCRATCH/out")
check_exit "reply to the forward: 0" 0 "$CTL" -d "$SCRATCH/fwd.db" reply "$fid" "$SCRATCH/letter.txt"
check "reply to the forward: To as the acknowledgement" test \
    "$(sqlite3 "$SCRATCH/fwd.db" "SELECT (SELECT rcpts FROM outbox WHERE kind = 'acknowledgement') = substr(rcpts, 1, instr(rcpts || char(10), char(10)) - 1) FROM outbox WHERE kind = 'response'")" = 1

# --- a failure after rows are written: 75, and none of them kept -------------
# A trigger makes the outbox refuse the notification, the last write of an
# ingest: the statement, its message, contacts and events are written by
# then, and must all be rolled back (SQLite undoes nothing by itself here).
RB="$SCRATCH/rollback.db"
check_exit "rollback: a first statement" 0 "$CTL" -d "$RB" ingest "$CORPUS/s03-itu-template.eml"
sqlite3 "$RB" "CREATE TRIGGER refuse_outbox BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'injected outbox failure'); END;"
rb_counts() {
    local t out=
    for t in statement message statement_contact statement_item recipient attachment event outbox; do
        out="$out $t=$(count_rows "$RB" "$t")"
    done
    echo "$out"
}
before=$(rb_counts)
check_exit "rollback: the outbox fails mid-ingest: 75" 75 "$CTL" -d "$RB" ingest "$CORPUS/s01-appendix-a.eml"
check_grep "rollback: the reason" "injected outbox failure" "$SCRATCH/err"
check "rollback: no row of it kept ($before)" test "$(rb_counts)" = "$before"
sqlite3 "$RB" "DROP TRIGGER refuse_outbox"
check_exit "rollback: the retry records it" 0 "$CTL" -d "$RB" ingest "$CORPUS/s01-appendix-a.eml"
check_grep "rollback: as a new statement, once" "^recorded statement 2" "$SCRATCH/out"

# --- requeue, with the rows left as a sender leaves them ----------------------
# (mailout.sh puts mail back through a real relay; here the choices.)
R1=$(sqlite3 "$DB" "SELECT min(id) FROM outbox")
R2=$(sqlite3 "$DB" "SELECT min(id) FROM outbox WHERE id > $R1")
LS1=$(sqlite3 "$DB" "SELECT statement FROM outbox WHERE id = $R1")
KIND1=$(sqlite3 "$DB" "SELECT kind FROM outbox WHERE id = $R1")
ROW2=$(sqlite3 "$DB" "SELECT kind || '|' || statement FROM outbox WHERE id = $R2")
sqlite3 "$DB" "UPDATE outbox SET attempts = 3, failed = '2026-01-01T00:00:00Z', last_error = '550 5.1.1 no such user' WHERE id = $R1"
# A mail id is digits as queue prints them: " $R1" or "+$R1" puts nothing back.
check_exit "requeue \"+$R1\": 64" 64 ctl requeue "+$R1"
check_exit "requeue \" $R1\": 64" 64 ctl requeue " $R1"
check_grep "requeue \" $R1\": not a mail id" "is not a mail id" "$SCRATCH/err"
check "requeue with a bad id: the mail still given up" test "$(sqlite3 "$DB" "SELECT failed IS NOT NULL FROM outbox WHERE id = $R1")" = 1
check_exit "requeue a given-up mail, one that names none, the first again: 1" 1 ctl requeue "$R1" 999999 "$R1"
check_grep "requeue: the given-up one put back" "^requeued $R1: $KIND1 for LS $LS1 to " "$SCRATCH/out"
check "requeue: once, though named twice" test "$(grep -c '^requeued' "$SCRATCH/out")" = 1
check_grep "requeue: the one that names none, said" "^liaisonctl: requeue: no mail 999999 in the outbox" "$SCRATCH/err"
check_grep "requeue: logged for the record, with the attempts and the answer" "outbox $R1: requeued by .*after 3 attempts: 550 5.1.1 no such user" "$SCRATCH/err"
check "requeue: the row waits again" test "$(sqlite3 "$DB" "SELECT failed IS NULL AND attempts = 0 AND requeued IS NOT NULL FROM outbox WHERE id = $R1")" = 1
# --all: what five days of temporary failures ended, not a refusal (5xx),
# which would be refused and reported again.
sqlite3 "$DB" "UPDATE outbox SET failed = '2026-01-01T00:00:00Z', last_error = '550 5.1.1 no such user' WHERE id = $R1;
               UPDATE outbox SET failed = '2026-01-01T00:00:00Z', last_error = 'gave up after five days: connect to 127.0.0.1:25: Connection refused' WHERE id = $R2"
check_exit "requeue --all: 0" 0 ctl requeue --all
check "requeue --all: the five-day one alone" test "$(grep '^requeued' "$SCRATCH/out" | cut -d: -f1 | tr '\n' ' ')" = "requeued $R2 "
check "requeue --all: the refusal stays given up" test "$(sqlite3 "$DB" "SELECT failed IS NOT NULL FROM outbox WHERE id = $R1")" = 1
# Sent to some, the rest given up after five days: --all takes that too.
sqlite3 "$DB" "UPDATE outbox SET sent = '2026-01-01T00:00:00Z', delivered = 'other@ietf.test' || char(10), rejected = rcpts, last_error = 'gave up after five days: timeout' WHERE id = $R2"
check_exit "requeue --all, a mail some got: 0" 0 ctl requeue --all
check "requeue --all: the mail sent to some, put back for the rest" test \
    "$(grep '^requeued' "$SCRATCH/out" | cut -d: -f1)|$(sqlite3 "$DB" "SELECT sent IS NULL AND rejected = '' AND delivered = 'other@ietf.test' || char(10) FROM outbox WHERE id = $R2")" = "requeued $R2|1"
# A reminder whose statement was closed since would be stale: not sent.
sqlite3 "$DB" "UPDATE outbox SET kind = 'reminder', last_error = 'gave up after five days: timeout' WHERE id = $R1"
ctl close "$LS1" >/dev/null 2>&1
check_exit "requeue --all, the reminder's statement closed: 0" 0 ctl requeue --all
check_grep "requeue --all: the stale reminder, said" "^liaisonctl: requeue: mail $R1 is a reminder for LS $LS1, closed since: not sent" "$SCRATCH/err"
check_grep "requeue --all: none requeued" "^\(0 requeued\)$" "$SCRATCH/out"
check_exit "requeue the stale reminder by its id: 1" 1 ctl requeue "$R1"
check "requeue: the stale reminder stays given up" test "$(sqlite3 "$DB" "SELECT failed IS NOT NULL FROM outbox WHERE id = $R1")" = 1
# A reminder of that statement still waiting is said to be waiting.
sqlite3 "$DB" "UPDATE outbox SET kind = 'reminder', statement = $LS1 WHERE id = $R2"
check_exit "requeue a waiting reminder of the closed statement: 1" 1 ctl requeue "$R2"
check_grep "requeue: it is still in the queue" "^liaisonctl: requeue: mail $R2 is still in the queue" "$SCRATCH/err"
ctl reopen "$LS1" >/dev/null 2>&1
# requeue asks the sender's own rules (tickle_reminder_stale): a reminder
# of a statement answered since is stale; reopened after the answer it is
# wanted again; given a new deadline after it was queued, stale again.
NOW_UTC=$(date -u +%Y-%m-%dT%H:%M:%SZ)
sqlite3 "$DB" "UPDATE statement SET replied = '$NOW_UTC' WHERE id = $LS1;
               INSERT INTO event (statement, what, actor) VALUES ($LS1, 'replied', 'cli.sh')"
check_exit "requeue the reminder of an answered statement: 1" 1 ctl requeue "$R1"
check_grep "requeue: answered since, said" "^liaisonctl: requeue: mail $R1 is a reminder for LS $LS1, answered since: not sent" "$SCRATCH/err"
check_exit "reopen the answered statement, open already" 0 ctl reopen "$LS1"
check_exit "requeue the reminder once the answered statement is reopened: 0" 0 ctl requeue "$R1"
check_grep "requeue: the reminder put back after answer and reopen" "^requeued $R1: reminder for LS $LS1 to " "$SCRATCH/out"
sqlite3 "$DB" "UPDATE outbox SET failed = '2026-01-01T00:00:00Z', last_error = 'gave up after five days: timeout' WHERE id = $R1;
               INSERT INTO event (statement, what, actor, detail) VALUES ($LS1, 'queued reminder', 'cli.sh', 'outbox $R1 to someone@ietf.test')"
DL1=$(sqlite3 "$DB" "SELECT ifnull(deadline, '2030-01-01') FROM statement WHERE id = $LS1")
ctl deadline "$LS1" 2031-06-30 >/dev/null 2>&1
check_exit "requeue a reminder queued before the deadline moved: 1" 1 ctl requeue "$R1"
check_grep "requeue: given a new deadline since, said" "^liaisonctl: requeue: mail $R1 is a reminder for LS $LS1, given a new deadline since: not sent" "$SCRATCH/err"
ctl deadline "$LS1" "$DL1" >/dev/null 2>&1

# --- a locked database: 75 after the busy timeout, nothing written -----------
msgs=$(count_rows "$DB" "message WHERE direction = 'in'")
check "another process holds the write lock" db_lock "$DB"
check_exit "locked database: 75" 75 ctl ingest "$CORPUS/s06-latin1-qp.eml"
check_grep "locked database: reason logged" "lock|busy" "$SCRATCH/err"
check_exit "locked database: requeue 75" 75 ctl requeue "$R1"
check_grep "locked database: requeue says why, and that none was put back" "requeue $R1: .*(lock|busy)" "$SCRATCH/err"
check_grep "locked database: requeue's count" "^\(0 requeued\)$" "$SCRATCH/out"
db_unlock
check "locked database: the mail still given up" test "$(sqlite3 "$DB" "SELECT failed IS NOT NULL FROM outbox WHERE id = $R1")" = 1
sqlite3 "$DB" "UPDATE outbox SET kind = '$KIND1', failed = NULL, attempts = 0, last_error = NULL WHERE id = $R1;
               UPDATE outbox SET kind = '${ROW2%|*}', statement = ${ROW2#*|} WHERE id = $R2"
check "locked database: nothing written" test "$(count_rows "$DB" "message WHERE direction = 'in'")" = "$msgs"
check_exit "after the lock: 0" 0 ctl ingest "$CORPUS/s06-latin1-qp.eml"

# --- backup: a consistent, single-file copy of the live database -------------
# Of the corpus database (LF): liaisonctl reads the same from the copy as
# from the original; before anything opens it, the copy is one file in
# rollback-journal mode (no -wal beside it), sound, and mode 0600.
BK="$SCRATCH/backups"
mkdir -p "$BK"
bk_st=$(count_rows "$LF" statement)
bk_msg=$(count_rows "$LF" message)
check_exit "backup: 0" 0 lf backup "$BK/corpus.db"
check_grep "backup: its summary counts the statements and messages" \
    "^backed up $bk_st statements, $bk_msg messages \([0-9.]+ (bytes|kB|MB)\) to $BK/corpus.db$" "$SCRATCH/out"
check "backup: no -wal or -shm file beside the copy" bash -c '[ ! -e "$1-wal" ] && [ ! -e "$1-shm" ]' _ "$BK/corpus.db"
is "backup: no temporary file left in its folder" "corpus.db" "$(ls -A "$BK")"
# journal_mode and integrity_check as SQLite itself reads the file, with
# neither liaisonctl (which would put it in WAL mode) nor the sqlite3 shell.
bk_pragmas() {
    python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(c.execute("PRAGMA journal_mode").fetchone()[0], c.execute("PRAGMA integrity_check").fetchone()[0])' "$1" 2>&1
}
is "backup: journal mode delete, integrity ok" "delete ok" "$(bk_pragmas "$BK/corpus.db")"
is "backup: mode 0600 (mail and the secret)" 600 "$(stat -c %a "$BK/corpus.db")"
# The size as g_format_size writes it: SI units, one decimal.
bk_size=$(python3 -c 'import os, sys
n = os.stat(sys.argv[1]).st_size
print("%d bytes" % n if n < 1000 else "%.1f kB" % (n / 1e3) if n < 1e6 else "%.1f MB" % (n / 1e6))' "$BK/corpus.db")
check_grep "backup: the summary's size is the copy's ($bk_size)" "\($bk_size\) to " "$SCRATCH/out"
lf list --json >"$SCRATCH/bk-orig.json"
"$CTL" -d "$BK/corpus.db" list --json >"$SCRATCH/bk-copy.json" 2>"$SCRATCH/err"
check "backup: list --json of the copy is the original's ($bk_st statements)" \
    bash -c 'jq -e "length == $3" "$1" >/dev/null && cmp -s "$1" "$2"' _ "$SCRATCH/bk-orig.json" "$SCRATCH/bk-copy.json" "$bk_st"
lf show --json "${dated[0]}" >"$SCRATCH/bk-orig.json"
"$CTL" -d "$BK/corpus.db" show --json "${dated[0]}" >"$SCRATCH/bk-copy.json" 2>"$SCRATCH/err"
check "backup: show --json ${dated[0]} of the copy is the original's (answered, with attachments and history)" \
    bash -c 'jq -e ".replied != null and (.attachments | length) > 0 and (.history | length) > 2" "$1" >/dev/null && cmp -s "$1" "$2"' _ "$SCRATCH/bk-orig.json" "$SCRATCH/bk-copy.json"
is "backup: list and show only read the copy, still in journal mode delete" "delete ok" "$(bk_pragmas "$BK/corpus.db")"

# Taken while another process holds a write transaction with a change not
# committed (pages of it spilled to the -wal file): no wait, and not in the
# copy.  The same backup after the commit has it: the check can tell.
# The copy in WAL mode first, as liaisond puts a restored one.
BKL="$BK/corpus.db"
sqlite3 "$BKL" "PRAGMA journal_mode = WAL" >/dev/null
# bk_hold PROGRAM ARG...: python3 runs PROGRAM (a file, or -c TEXT) with
# the ARGs and a ready file, its standard input a FIFO on fd 8, in the
# background; 0 once it has made the ready file (holding what it holds
# until bk_release), 1 when it ends first or never does.
bk_hold() {
    rm -f "$SCRATCH/bk-fifo" "$SCRATCH/bk-ready"
    mkfifo "$SCRATCH/bk-fifo"
    python3 "$@" "$SCRATCH/bk-ready" <"$SCRATCH/bk-fifo" >"$SCRATCH/bk-holder.out" 2>&1 &
    BKW=$!
    exec 8>"$SCRATCH/bk-fifo"
    t_cleanup "exec 8>&- 2>/dev/null; kill $BKW 2>/dev/null"
    for _ in $(seq 1 100); do
        [ -e "$SCRATCH/bk-ready" ] && return 0
        kill -0 "$BKW" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
# bk_release [LINE]: the holder reads LINE (default "done") and ends.
bk_release() { echo "${1:-done}" >&8; exec 8>&-; wait "$BKW"; }
cat >"$SCRATCH/bk-writer.py" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("PRAGMA cache_size = 1")      # spill the change to the -wal file
c.execute("BEGIN IMMEDIATE")
c.execute("UPDATE statement SET title = 'UNCOMMITTED-MARK' WHERE id = (SELECT min(id) FROM statement)")
c.execute("INSERT INTO meta (key, value) VALUES ('bk-filler', ?)", ("x" * 300000,))
open(sys.argv[2], "w").close()
c.execute("COMMIT" if sys.stdin.readline().strip() == "commit" else "ROLLBACK")
PY
bk_hold "$SCRATCH/bk-writer.py" "$BKL"
check "backup under a writer: another process holds an uncommitted change" test -e "$SCRATCH/bk-ready"
# That it does not wait is told by its exit, not by time (a bound of 4 s
# failed an ASan build on a loaded machine): the writer holds its lock
# until the backup has ended, so a backup that waited for it would give
# up after busy_timeout_ms (75).  timeout only keeps a regression that
# waits for ever from hanging the run.
printf 'busy_timeout_ms = 300\n' >"$SCRATCH/bk-wait.conf"
check_exit "backup under a writer: 0, without waiting for it" 0 \
    timeout 60 "$CTL" -c "$SCRATCH/bk-wait.conf" -d "$BKL" backup "$BK/during.db"
check "backup under a writer: the writer still holds its change" kill -0 "$BKW"
bk_release commit
is "backup under a writer: the copy lacks the uncommitted change" 0 \
    "$(count_rows "$BK/during.db" "statement WHERE title = 'UNCOMMITTED-MARK'")"
is "backup under a writer: the copy is sound" "delete ok" "$(bk_pragmas "$BK/during.db")"
check_exit "backup after the commit: 0" 0 "$CTL" -d "$BKL" backup "$BK/after.db"
is "backup after the commit: the change is in it" 1 \
    "$(count_rows "$BK/after.db" "statement WHERE title = 'UNCOMMITTED-MARK'")"

# An existing FILE is replaced whole (a new file renamed over it, none of
# the old bytes left); FILE that is the database, a folder, or in a folder
# that does not exist: 73, nothing written.
head -c 3000000 /dev/urandom >"$BK/old.db"
bk_ino=$(stat -c %i "$BK/old.db")
check_exit "backup over an existing file: 0" 0 "$CTL" -d "$BKL" backup "$BK/old.db"
check "backup over an existing file: a new file, exactly the database's pages, sound" python3 -c '
import os, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
size = c.execute("PRAGMA page_size").fetchone()[0] * c.execute("PRAGMA page_count").fetchone()[0]
ok = c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
sys.exit(0 if ok and os.stat(sys.argv[1]).st_size == size and os.stat(sys.argv[1]).st_ino != int(sys.argv[2]) else 1)' "$BK/old.db" "$bk_ino"
bk_ino=$(stat -c %i "$BKL")
"$CTL" -d "$BKL" list --json >"$SCRATCH/bk-orig.json" 2>/dev/null
check_exit "backup to the database itself: 73" 73 "$CTL" -d "$BKL" backup "$BKL"
check_grep "backup to the database itself: says so" "is the database" "$SCRATCH/err"
check_exit "backup to the database's -wal file: 73" 73 "$CTL" -d "$BKL" backup "$BKL-wal"
"$CTL" -d "$BKL" list --json >"$SCRATCH/bk-copy.json" 2>/dev/null
check "backup to the database itself: the same file, still WAL, the same statements" bash -c \
    '[ "$(stat -c %i "$1")" = "$2" ] && [ "$(sqlite3 "$1" "PRAGMA journal_mode")" = wal ] && [ -s "$3" ] && cmp -s "$3" "$4"' \
    _ "$BKL" "$bk_ino" "$SCRATCH/bk-orig.json" "$SCRATCH/bk-copy.json"
ln -s "$BKL" "$SCRATCH/bk-link.db"
check_exit "backup to a link to the database: 73" 73 "$CTL" -d "$BKL" backup "$SCRATCH/bk-link.db"
check_exit "backup to a folder: 73" 73 "$CTL" -d "$BKL" backup "$BK"
check_grep "backup to a folder: says so" "is a folder" "$SCRATCH/err"
mkfifo "$SCRATCH/bk-fifo"
ln -sf /dev/null "$SCRATCH/bk-null"
# A backup that opened the FIFO would wait for a reader for ever: no
# event tells that it will not, so a bound, generous for an ASan build on
# a loaded machine (5 s was not).
check_exit "backup to a FIFO: 73, nothing waits on it" 73 timeout 60 "$CTL" -d "$BKL" backup "$SCRATCH/bk-fifo"
check_grep "backup to a FIFO: says it is no file" "bk-fifo is not a file" "$SCRATCH/err"
check "backup to a FIFO: still a FIFO" test -p "$SCRATCH/bk-fifo"
check_exit "backup to a link to a device: 73" 73 "$CTL" -d "$BKL" backup "$SCRATCH/bk-null"
check "backup to a link to a device: the link and /dev/null kept" \
    bash -c '[ "$(readlink "$1")" = /dev/null ] && [ -c /dev/null ]' _ "$SCRATCH/bk-null"
rm -f "$SCRATCH/bk-fifo" "$SCRATCH/bk-null"
check_exit "backup into a missing folder: 73" 73 "$CTL" -d "$BKL" backup "$SCRATCH/nowhere/x.db"
check_grep "backup into a missing folder: says so" "the folder .*/nowhere does not exist" "$SCRATCH/err"
# (corpus.db's -wal and -shm, which come and go with who opened it last,
# are the database's, not a backup's.)
is "backup: none of the refused ones left a file" "after.db corpus.db during.db old.db" \
    "$(ls -A "$BK" | grep -v '^corpus\.db-\(wal\|shm\)$' | sort | tr '\n' ' ' | sed 's/ $//')"
check_exit "backup with no database: 66" 66 "$CTL" -d "$SCRATCH/no-such.db" backup "$BK/none.db"
check "backup with no database: none created, no copy written" bash -c '[ ! -e "$1" ] && [ ! -e "$2" ]' _ "$SCRATCH/no-such.db" "$BK/none.db"
check_exit "backup without FILE: 64" 64 "$CTL" -d "$BKL" backup
check_grep "backup without FILE: its usage" "^usage: liaisonctl backup FILE$" "$SCRATCH/err"
check_exit "backup with two FILEs: 64" 64 "$CTL" -d "$BKL" backup "$BK/a.db" "$BK/b.db"
check_exit "backup to an empty name: 64" 64 "$CTL" -d "$BKL" backup ""
check "backup's usage errors: no file written" bash -c '[ ! -e "$1" ] && [ ! -e "$2" ]' _ "$BK/a.db" "$BK/b.db"
# A database with a damaged page (an index's, which liaisonctl opens
# without reading): the copy fails its check, 74, and nothing is written.
cp "$BK/after.db" "$SCRATCH/bk-bad.db"
python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
size = c.execute("PRAGMA page_size").fetchone()[0]
page = c.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", ("statement_state_deadline",)).fetchone()[0]
c.close()
with open(sys.argv[1], "r+b") as f:
    f.seek((page - 1) * size)
    f.write(b"\x42" * 64)' "$SCRATCH/bk-bad.db"
check_exit "backup of a damaged database: 74" 74 "$CTL" -d "$SCRATCH/bk-bad.db" backup "$BK/bad.db"
check_grep "backup of a damaged database: the check's finding" "failed its check: .*Page [0-9]+" "$SCRATCH/err"
check "backup of a damaged database: no copy, no temporary file" bash -c \
    '[ ! -e "$1/bad.db" ] && ! ls -A "$1" | grep -q "^\.liaison-backup-"' _ "$BK"
# A database locked past the busy timeout (another connection in
# exclusive locking mode, which stops readers too): 75.
printf 'busy_timeout_ms = 300\n' >"$SCRATCH/bk-short.conf"
bk_hold -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("PRAGMA locking_mode = EXCLUSIVE")
c.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
sys.stdin.readline()
c.execute("ROLLBACK")' "$BKL"
check_exit "backup of a database locked past the busy timeout: 75" 75 "$CTL" -c "$SCRATCH/bk-short.conf" -d "$BKL" backup "$BK/locked.db"
check_grep "backup of a locked database: says why" "locked|busy" "$SCRATCH/err"
bk_release
check "backup of a locked database: no file written" bash -c \
    '[ ! -e "$1/locked.db" ] && ! ls -A "$1" | grep -q "^\.liaison-backup-"' _ "$BK"

# A backup killed part-way leaves its temporary copy: the next one in
# that folder removes it (and what SQLite left beside it), but never one
# that a backup at work holds (its flock).
mkdir -p "$SCRATCH/bk-stale"
head -c 100000 /dev/urandom >"$SCRATCH/bk-stale/.liaison-backup-AbC123"
: >"$SCRATCH/bk-stale/.liaison-backup-AbC123-journal"
head -c 100000 /dev/urandom >"$SCRATCH/bk-stale/.liaison-backup-HeLd99"
bk_hold -c 'import fcntl, sys
f = open(sys.argv[1], "rb")
fcntl.flock(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
sys.stdin.readline()' "$SCRATCH/bk-stale/.liaison-backup-HeLd99"
check_exit "backup beside a killed backup's leftovers: 0" 0 "$CTL" -d "$BKL" backup "$SCRATCH/bk-stale/new.db"
is "backup: the leftovers removed, the copy held by another kept" ".liaison-backup-HeLd99 new.db" \
    "$(ls -A "$SCRATCH/bk-stale" | sort | tr '\n' ' ' | sed 's/ $//')"
bk_release
# The same with a backup really killed, at its fsync (the copy made):
# SQLite opens the copy by name, so it has one (no O_TMPFILE), and it is
# left until the next backup into that folder.
if command -v strace >/dev/null; then
    mkdir -p "$SCRATCH/bk-kill"
    (strace -o /dev/null -e trace=fsync -e inject=fsync:signal=KILL \
        "$CTL" -d "$BKL" backup "$SCRATCH/bk-kill/k.db" >/dev/null 2>&1; exit $?) 2>/dev/null
    is "backup killed at its fsync: 137" "137" "$?"
    check "backup killed: its copy left, and no k.db" bash -c \
        '[ ! -e "$1/k.db" ] && ls -A "$1" | grep -q "^\.liaison-backup-"' _ "$SCRATCH/bk-kill"
    check_exit "the next backup there: 0" 0 "$CTL" -d "$BKL" backup "$SCRATCH/bk-kill/k.db"
    is "the next backup: the killed one's copy removed" "k.db" "$(ls -A "$SCRATCH/bk-kill")"
else
    fail "a killed backup" "no strace(1) to kill it at its fsync"
fi

# A name as long as a file name may be: the temporary copy's name is
# our own, short, whatever FILE's length.
long=$(printf 'b%.0s' $(seq 1 250)).db
check_exit "backup to a 253-character name: 0" 0 "$CTL" -d "$BKL" backup "$SCRATCH/bk-stale/$long"
check_exit "backup into a path through a file: 73" 73 "$CTL" -d "$BKL" backup "$SCRATCH/bk-stale/new.db/x.db"
check_grep "backup through a file: says it is no folder" "new.db is not a folder" "$SCRATCH/err"

# A database of an older schema (as before an upgrade, the new liaisonctl
# installed and liaisond not yet restarted) is copied as it is, not
# migrated first.
cp "$BKL" "$SCRATCH/bk-v6.db"
sqlite3 "$SCRATCH/bk-v6.db" "PRAGMA user_version = 6"
check_exit "backup of a database of the schema before: 0" 0 "$CTL" -d "$SCRATCH/bk-v6.db" backup "$SCRATCH/bk-stale/v6.db"
is "schema before: the database and its copy both still at version 6" "6 6" \
    "$(sqlite3 "$SCRATCH/bk-v6.db" "PRAGMA user_version") $(sqlite3 "$SCRATCH/bk-stale/v6.db" "PRAGMA user_version")"

# The commands that only read never write, so never migrate: a newer
# liaisonctl run against the database an older liaisond still uses says
# so (75) and leaves it as it is.  A real schema 6 (7 added
# outbox.requeued), which store_open would migrate.
sqlite3 "$SCRATCH/bk-v6.db" "ALTER TABLE outbox DROP COLUMN requeued"
v6_sum=$(sha256sum <"$SCRATCH/bk-v6.db")
for rd in list "show ${dated[0]}" "export $SCRATCH/v6.mbox" stats queue "tickle --dry-run"; do
    # shellcheck disable=SC2086  # rd is a command and its operands
    check_exit "schema 6: $rd: 75" 75 "$CTL" -d "$SCRATCH/bk-v6.db" $rd
    check_grep "schema 6: $rd says which versions, and who migrates" \
        "schema version 6 is older than this program's 7, and a reader does not migrate it; liaisond migrates it when it starts" "$SCRATCH/err"
done
is "schema 6: the readers left it as it was, version 6" "$v6_sum 6" \
    "$(sha256sum <"$SCRATCH/bk-v6.db") $(sqlite3 "$SCRATCH/bk-v6.db" "PRAGMA user_version")"
check "schema 6: export wrote nothing" test ! -e "$SCRATCH/v6.mbox"

# A database its reader may not write (mode 444 in a folder of mode 555;
# as root, read as nobody, whom the modes bind) is read all the same.
RDO=$(mktemp -d /tmp/liaison-cli-ro.XXXXXX)
t_cleanup "chmod -R u+w '$RDO'; rm -rf '$RDO'"
cp "$CTL" "$CORPUS/directory.json" "$RDO/"
"$RDO/liaisonctl" -d "$RDO/l.db" ingest "$CORPUS/s03-itu-template.eml" >/dev/null
chmod 444 "$RDO"/l.db*
chmod 555 "$RDO"
rdo() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u nobody -- "$RDO/liaisonctl" -d "$RDO/l.db" -D "$RDO/directory.json" "$@"
    else "$RDO/liaisonctl" -d "$RDO/l.db" -D "$RDO/directory.json" "$@"; fi
}
ro_sum=$(sha256sum <"$RDO/l.db")
check_exit "read-only database: list 0" 0 rdo list
check_grep "read-only database: listed" "^\(1 statement\)$" "$SCRATCH/out"
check_exit "read-only database: show 0" 0 rdo show 1
check_exit "read-only database: export to standard output 0" 0 rdo export -
check_grep "read-only database: the mail exported" "^Subject: .*YANG" "$SCRATCH/out"
is "read-only database: unchanged" "$ro_sum" "$(sha256sum <"$RDO/l.db")"

# --- read-only and full file systems (need mount, so root) -------------------
# Without root these cases do not run, and must not look passed: exit 77
# makes automake report the script as SKIP, not PASS.  t_exit turns the 77
# into 1 when a check above failed, so a skip never hides a failure; the
# checks above still count as passed in run-all.sh's tally.
if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: the read-only and full disk cases need root (mount)"
    exit 77
fi

RO="$SCRATCH/ro"
mkdir -p "$RO"
if mount -t tmpfs -o size=8m tmpfs "$RO"; then
    t_cleanup "umount -l '$RO' 2>/dev/null"
    "$CTL" -d "$RO/l.db" ingest "$CORPUS/s01-appendix-a.eml" >/dev/null
    # A mail given up on, for requeue to fail to put back.
    GONE=$(sqlite3 "$RO/l.db" "UPDATE outbox SET failed = '2026-01-01T00:00:00Z' WHERE id = (SELECT min(id) FROM outbox) RETURNING id")
    # The sqlite3 shell removes the -wal and -shm files as it closes; a
    # liaisonctl open (persistent WAL) puts them back, as liaisond leaves them.
    "$CTL" -d "$RO/l.db" queue >/dev/null
    mount -o remount,ro "$RO"
    check_exit "read-only database: 75" 75 "$CTL" -d "$RO/l.db" ingest "$CORPUS/s02-datatracker-mail.eml"
    check_grep "read-only: reason logged" "read-only|readonly|unable to open|attempt to write" "$SCRATCH/err"
    check_exit "read-only database: requeue 75" 75 "$CTL" -d "$RO/l.db" requeue "${GONE:-1}"
    check "read-only: requeue says nothing was put back, and why" \
        bash -c '! grep -q "^requeued" "$1" && grep -Eq "requeue ${2}: .*(read-only|readonly|attempt to write)" "$3"' _ "$SCRATCH/out" "${GONE:-1}" "$SCRATCH/err"
    mount -o remount,rw "$RO"
    check "read-only: nothing written" test "$(count_rows "$RO/l.db" "message WHERE direction = 'in'")" = 1
    check "read-only: the mail still given up" test "$(count_rows "$RO/l.db" "outbox WHERE failed IS NOT NULL AND requeued IS NULL")" = 1
    check_exit "writable again: 0" 0 "$CTL" -d "$RO/l.db" ingest "$CORPUS/s02-datatracker-mail.eml"
    umount "$RO"
else
    fail "read-only case" "cannot mount a tmpfs"
fi

# A statement with a 1 MB attachment, for a disk with no room for it and a
# file size limit it is over.
{
    printf 'From: Big Sender <big@itu.test>\nTo: liaisons@ietf.test\nSubject: LS with a large annex\n'
    printf 'Message-ID: <big-1@itu.test>\nMIME-Version: 1.0\n'
    printf 'Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\n'
    printf 'From: ITU-T Study Group 15\nTo: IETF CCAMP WG\nPurpose: For Information\n\n'
    printf -- '--b\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n'
    printf 'Content-Disposition: attachment; filename="annex.pdf"\n\n'
    head -c 1048576 /dev/urandom | base64
    printf -- '--b--\n'
} > "$SCRATCH/big.eml"
FULL="$SCRATCH/full"
mkdir -p "$FULL"
if mount -t tmpfs -o size=16m tmpfs "$FULL"; then
    t_cleanup "umount -l '$FULL' 2>/dev/null"
    "$CTL" -d "$FULL/l.db" ingest "$CORPUS/s01-appendix-a.eml" >/dev/null
    dd if=/dev/zero of="$FULL/filler" bs=64k 2>/dev/null
    check_exit "full disk: 75" 75 "$CTL" -d "$FULL/l.db" ingest "$SCRATCH/big.eml"
    # SQLite's own words: "full" alone would match the folder's name.
    check_grep "full disk: reason logged" "database or disk is full|No space left" "$SCRATCH/err"
    rm -f "$FULL/filler"
    check "full disk: database intact" test "$(sqlite3 "$FULL/l.db" 'PRAGMA integrity_check')" = ok
    check "full disk: nothing written" test "$(count_rows "$FULL/l.db" "message WHERE direction = 'in'")" = 1
    check_exit "room again: 0" 0 "$CTL" -d "$FULL/l.db" ingest "$SCRATCH/big.eml"
    check "big statement recorded" test "$(count_rows "$FULL/l.db" "message WHERE direction = 'in'")" = 2
    umount "$FULL"
else
    fail "full disk case" "cannot mount a tmpfs"
fi

# The same statement over a file size limit (ulimit -f, systemd's
# LimitFSIZE): the write fails with EFBIG, said as what it is where it was
# a bare "disk I/O error", and nothing is lost, as on a full disk.  SIGXFSZ
# is put back to its default for the run, whatever the caller left it at:
# liaisonctl ignores it itself, else the kernel killed it (exit 153) at the
# write, which an MTA does not read as "keep the message".
FSZ="$SCRATCH/fsize.db"
"$CTL" -d "$FSZ" ingest "$CORPUS/s01-appendix-a.eml" >/dev/null
check "file size limit: the database starts under it" test "$(stat -c %s "$FSZ")" -lt $((1024 * 1024))
check_exit "file size limit: 75" 75 env --default-signal=XFSZ \
    bash -c 'ulimit -f 1024 && exec "$@"' _ "$CTL" -d "$FSZ" ingest "$SCRATCH/big.eml"
check_grep "file size limit: reason logged" \
    "cannot record the message: .*File too large: a write would take a file past this process's file size limit \(RLIMIT_FSIZE, ulimit -f\) of 1048576 bytes" "$SCRATCH/err"
check "file size limit: database intact" test "$(sqlite3 "$FSZ" 'PRAGMA integrity_check')" = ok
check "file size limit: nothing written" test "$(count_rows "$FSZ" "message WHERE direction = 'in'")" = 1
check_exit "no limit again: 0" 0 "$CTL" -d "$FSZ" ingest "$SCRATCH/big.eml"
check "file size limit: big statement recorded" test "$(count_rows "$FSZ" "message WHERE direction = 'in'")" = 2

# --- backup to a read-only and to a full file system -------------------------
BKRO="$SCRATCH/bk-ro"
mkdir -p "$BKRO"
if mount -t tmpfs -o size=4m tmpfs "$BKRO"; then
    t_cleanup "umount -l '$BKRO' 2>/dev/null"
    mount -o remount,ro "$BKRO"
    check_exit "backup into a read-only folder: 73" 73 "$CTL" -d "$BKL" backup "$BKRO/liaison.db"
    check_grep "backup into a read-only folder: says why" "Read-only file system" "$SCRATCH/err"
    is "backup into a read-only folder: no file, temporary or not" "" "$(ls -A "$BKRO")"
    umount "$BKRO"
else
    fail "backup read-only case" "cannot mount a tmpfs"
fi

# A previous backup (of a small database) on a file system too small for
# the next: 74, no temporary file left, the previous backup whole.
BKF="$SCRATCH/bk-full"
mkdir -p "$BKF"
if mount -t tmpfs -o size=2m tmpfs "$BKF"; then
    t_cleanup "umount -l '$BKF' 2>/dev/null"
    "$CTL" -d "$SCRATCH/bk-small.db" ingest "$CORPUS/s04-3gpp-template.eml" >/dev/null 2>&1
    check_exit "backup of a small database onto a small disk: 0" 0 "$CTL" -d "$SCRATCH/bk-small.db" backup "$BKF/liaison.db"
    bk_sum=$(sha256sum <"$BKF/liaison.db")
    # Fill the disk, then free 128 KiB: the copy starts, and runs out of room.
    dd if=/dev/zero of="$BKF/filler" bs=4k 2>/dev/null
    truncate -s -128K "$BKF/filler"
    check "backup onto a full disk: the database is larger than the room left" \
        test "$(stat -c %s "$BKL")" -gt $((128 * 1024))
    check_exit "backup onto a full disk: 74" 74 "$CTL" -d "$BKL" backup "$BKF/liaison.db"
    check_grep "backup onto a full disk: says why" "database or disk is full|No space left" "$SCRATCH/err"
    is "backup onto a full disk: no temporary file left" "filler liaison.db" "$(ls -A "$BKF" | sort | tr '\n' ' ' | sed 's/ $//')"
    is "backup onto a full disk: the previous backup untouched" "$bk_sum" "$(sha256sum <"$BKF/liaison.db")"
    is "backup onto a full disk: the previous backup still sound" "delete ok" "$(bk_pragmas "$BKF/liaison.db")"
    rm -f "$BKF/filler"
    check_exit "backup with room again: 0" 0 "$CTL" -d "$BKL" backup "$BKF/liaison.db"
    is "backup with room again: the new one in place" "$(count_rows "$BKL" statement)" "$(count_rows "$BKF/liaison.db" statement)"
    umount "$BKF"
else
    fail "backup full disk case" "cannot mount a tmpfs"
fi
