#!/bin/bash
# tests/publish.sh: liaisonctl publish as cron runs it, and the pages as a
# reader's browser shows them: the corpus and a hostile statement are
# ingested, one statement closed, the site published, then read by headless
# Chromium (the DOM it built, not our bytes) from the files and through a
# web server on 127.0.0.1 at base_url; the Atom feed is checked by xmllint,
# the attachments byte for byte; then the failures: no database, bad
# options, an unwritable directory, a full file system (a tmpfs the test
# mounts) that leaves every file whole.
. "$(dirname "$0")/lib.sh"

CHROMIUM=$(command -v chromium-headless-shell || command -v chromium || true)
if [ -z "$CHROMIUM" ]; then
    echo "SKIP: no headless Chromium (contrib/install-deps.sh installs chromium-headless-shell)"
    exit 77
fi
if ! /usr/bin/python3 -c 'import icalendar' 2>/dev/null; then
    echo "SKIP: no python3-icalendar to read the calendars (contrib/install-deps.sh installs it)"
    exit 77
fi

DB="$SCRATCH/liaison.db"
SITE="$SCRATCH/site"
CONF="$SCRATCH/liaisond.conf"
BASE_PATH=/liaison/
cat >"$CONF" <<EOF
database = $DB
directory = $CORPUS/directory.json
intake = liaisons@ietf.test
base_url = https://lt.ietf.test$BASE_PATH
mail_from_name = IETF Liaison Statements
EOF
ctl() { "$CTL" -c "$CONF" "$@"; }

# dom FILE-OR-URL OUT: the DOM Chromium built for the page, serialized.
dom() {
    "$CHROMIUM" --headless --no-sandbox --disable-gpu --user-data-dir="$SCRATCH/chromium" \
        --dump-dom "$1" >"$2" 2>"$SCRATCH/chromium.err"
}

# facts DOM-FILE: what a reader sees on a page, as JSON: the ids of the
# rows of each table in order, the overdue ones, link targets, the title,
# the text of each cell by id, and how many elements of a kind exist.
facts() {
    python3 - "$1" <<'EOF'
import json, sys
from html.parser import HTMLParser

class Facts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables, self.table = {}, None
        self.overdue, self.links, self.tags = [], [], {}
        self.stack, self.text = [], {}
        self.row = None
        self.attrs_seen = set()
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for k in a:
            self.attrs_seen.add(k)
        if tag == "table":
            self.table = a.get("id")
            self.tables[self.table] = []
        if tag == "tr" and "data-id" in a and self.table:
            self.tables[self.table].append(int(a["data-id"]))
            self.row = a["data-id"]
            if a.get("class") == "overdue":
                self.overdue.append(int(a["data-id"]))
        if tag == "a":
            self.links.append(a.get("href"))
        key = a.get("id") or (self.row and a.get("class") and self.row + "." + a["class"])
        self.stack.append(key)
        if key:
            self.text.setdefault(key, "")
    def handle_endtag(self, tag):
        if self.stack:
            self.stack.pop()
        if tag == "tr":
            self.row = None
    def handle_data(self, d):
        for key in self.stack:
            if key:
                self.text[key] += d

p = Facts()
p.feed(open(sys.argv[1], encoding="utf-8").read())
print(json.dumps({"tables": p.tables, "overdue": p.overdue, "links": p.links,
                  "tags": p.tags, "text": p.text, "attrs": sorted(p.attrs_seen)}))
EOF
}

# --- a site from the corpus, a hostile statement and a closed one --------
for f in "$CORPUS"/s*.eml; do ctl ingest "$f" >/dev/null 2>&1; done
# A title and names that are markup, an attachment that is a web page with
# script, and a PDF.
cat >"$SCRATCH/hostile.eml" <<'EOF'
From: Mallory <mallory@evil.test>
To: liaisons@ietf.test
Subject: LS hostile
Message-ID: <hostile-1@evil.test>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8

Title: <img src=x onerror="document.body.setAttribute('data-pwned','1')"> & <script>document.body.setAttribute('data-pwned','2')</script>
From: ITU-T SG15 </td></tr></table><h1 id=fake>spoof</h1>
To: IETF CCAMP WG
Purpose: For action
Deadline: 2027-01-10
Response Contact: "<b>bold</b>" <x@evil.test>

Body: </pre><script>document.body.setAttribute('data-pwned','3')</script>
--b1
Content-Type: text/html; name="page.html"
Content-Disposition: attachment; filename="page.html"

<script>document.body.setAttribute('data-pwned','4')</script>
--b1
Content-Type: application/pdf; name="LS-hostile.pdf"
Content-Disposition: attachment; filename="LS-hostile.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQKJcOkw7zDtsOfCjEgMCBvYmoKPDwvVHlwZS9DYXRhbG9nPj4KZW5kb2JqCg==
--b1--
EOF
check_exit "ingest the hostile statement" 0 ctl ingest --json "$SCRATCH/hostile.eml"
H=$(jq -r .id "$SCRATCH/out")
# A title of 200 characters, as some liaison statements have: its page's
# heading must still fit a phone's screen.
LONG_TITLE=$(printf 'Liaison statement on the Applicability of Optical Transport Network Beyond 100G Interfaces and Flexible Ethernet Client Mapping to Segment Routing and %.0s' 1 2 | cut -c1-200)
printf 'From: Greta <greta@itu.test>\nTo: liaisons@ietf.test\nSubject: LS long\nMessage-ID: <long-1@itu.test>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\nTitle: %s\nFrom: ITU-T SG15\nTo: IETF CCAMP WG\nPurpose: For information\n\nBody: text\n' \
    "$LONG_TITLE" >"$SCRATCH/long.eml"
check_exit "ingest a statement titled with 200 characters" 0 ctl ingest --json "$SCRATCH/long.eml"
L=$(jq -r .id "$SCRATCH/out")
is "its title, 200 characters" "200" "$(jq -r '.title | length' "$SCRATCH/out")"
check_exit "close 2" 0 ctl close --reason "answered" 2
# The site is published as at 2027-03-08, when several deadlines have
# passed; one of those statements is answered, which is no longer overdue.
NOW=2027-03-08
TODAY=$(date -u +%Y-%m-%d)
check_exit "list --json before the reply" 0 ctl list --json
R=$(jq --arg now "$NOW" --argjson h "$H" '[.[] | select(.state == "open" and .deadline != null and .deadline < $now and .id != $h and .id != 2 and .id != 3)][0].id' "$SCRATCH/out")
check "a statement overdue on $NOW to answer ($R)" test "$R" -gt 0
printf 'Dear colleagues,\n\nOur answer.\n' >"$SCRATCH/letter.txt"
check_exit "reply to $R (the IETF's response)" 0 ctl reply --to liaison@3gpp.test "$R" "$SCRATCH/letter.txt"
check "the store records when 2 was closed" test -n "$(sqlite3 "$DB" "SELECT closed FROM statement WHERE id = 2")"
check_exit "reopen 3 after closing it" 0 sh -c '"$1" -c "$2" close 3 && "$1" -c "$2" reopen 3' _ "$CTL" "$CONF"
check "a reopened statement has no closed time" test -z "$(sqlite3 "$DB" "SELECT closed FROM statement WHERE id = 3")"

check_exit "list --json" 0 ctl list --json
cp "$SCRATCH/out" "$SCRATCH/list.json"
N=$(jq length "$SCRATCH/list.json")
check "at least 10 statements" test "$N" -ge 10
# Under the umask of liaisond's systemd units (0007): a site a web
# server can still read.
check_exit "publish" 0 sh -c 'umask 077 && exec "$@"' _ "$CTL" -c "$CONF" publish --days 3650 --now "$NOW" "$SITE"
is "publish: the site's folders and files readable by a web server" "755 755 644 644 644 644" \
    "$(stat -c %a "$SITE" "$SITE/1" "$SITE/index.html" "$SITE/1/index.html" "$SITE/feed.atom" "$SITE/$H/2-LS-hostile.pdf" | xargs)"
check_grep "publish: a summary" "^published $N statements to .*: $((N - 1)) outstanding, 1 closed in the last 3650 days; [0-9]+ group and area pages; [0-9]+ files written, 0 unchanged$" "$SCRATCH/out"
check_exit "publish into a folder whose parents are missing, umask 077" 0 \
    sh -c 'umask 077 && exec "$@"' _ "$CTL" -c "$CONF" publish --days 3650 --now "$NOW" "$SCRATCH/deep/www/site"
is "publish: the parent folders it made are readable too" "755 755 755" \
    "$(stat -c %a "$SCRATCH/deep" "$SCRATCH/deep/www" "$SCRATCH/deep/www/site" | xargs)"
check_exit "publish again" 0 ctl publish --days 3650 --now "$NOW" "$SITE"
check_grep "publish again: nothing written" "^published $N statements .* 0 files written, [0-9]+ unchanged$" "$SCRATCH/out"
# Reminders queued are no change a reader sees: the feed and the index
# stay as they were.
check_exit "tickle (reminders queued, events recorded)" 0 ctl tickle --now 2027-01-03
check_grep "tickle queued reminders" "; [1-9][0-9]* reminders? queued" "$SCRATCH/out"
check_exit "publish after the tickle" 0 ctl publish --days 3650 --now "$NOW" "$SITE"
check_grep "publish after the tickle: nothing written" "^published $N statements .* 0 files written, [0-9]+ unchanged$" "$SCRATCH/out"

# --- the index as Chromium builds it ----------------------------------------
check "Chromium renders index.html" dom "file://$SITE/index.html" "$SCRATCH/index.dom"
facts "$SCRATCH/index.dom" >"$SCRATCH/index.json"
# Open statements, nearest deadline first, those without one last (by id):
# the order the store's own data gives.
want_open=$(jq -c '[.[] | select(.state == "open")] | sort_by([(.deadline == null), .deadline, .id]) | map(.id)' "$SCRATCH/list.json")
is "index: the open statements, nearest deadline first" "$want_open" "$(jq -c '.tables.outstanding' "$SCRATCH/index.json")"
is "index: the closed one in its own table" "[2]" "$(jq -c '.tables.closed' "$SCRATCH/index.json")"
want_overdue=$(jq -c --arg now "$NOW" '[.[] | select(.state == "open" and (.answered | not) and .deadline != null and .deadline < $now)] | sort_by([.deadline, .id]) | map(.id)' "$SCRATCH/list.json")
check "index: some statements overdue on $NOW ($want_overdue)" test "$want_overdue" != "[]"
is "index: overdue rows marked, the answered one not" "$want_overdue" "$(jq -c '.overdue' "$SCRATCH/index.json")"
# The page a chair reads and the list an admin runs agree on the day of
# publishing: the same statements overdue, each by the days from its
# deadline (a day, no time zone) to that day.
check_exit "list --overdue --now $NOW" 0 ctl list --overdue --now "$NOW" --json
is "index: overdue as list --overdue has it on $NOW" \
    "$(jq -c 'map(.id) | sort' "$SCRATCH/out")" "$(jq -c '.overdue | sort' "$SCRATCH/index.json")"
is "index: overdue by the days from each deadline to $NOW" \
    "$(jq -r --arg now "$NOW" '.[] | "\(.id) \((($now + "T00:00:00Z" | fromdate) - (.deadline + "T00:00:00Z" | fromdate)) / 86400)"' "$SCRATCH/out" | sort -n | xargs)" \
    "$(jq -r '.overdue[] as $i | "\($i) \(.text["\($i).deadline"] | capture("overdue by (?<n>[0-9]+) day").n)"' "$SCRATCH/index.json" | sort -n | xargs)"
check "index: the answered one says so in its deadline" jq -e --arg r "$R" --arg today "$TODAY" \
    '.text[$r + ".deadline"] | contains("(answered " + $today + ")")' "$SCRATCH/index.json"
check "index: the hostile title is text, as written" jq -e --argjson h "$H" \
    '.text[($h | tostring) + ".title"] | startswith("<img src=x onerror=")' "$SCRATCH/index.json"
check "index: no element came from mail (no img, script, h1 beyond the page's one)" jq -e \
    '(.tags.img // 0) == 0 and (.tags.script // 0) == 0 and .tags.h1 == 1 and (.tags.b // 0) == 0' "$SCRATCH/index.json"
check "index: nothing ran (no data-pwned)" jq -e '.attrs | index("data-pwned") == null' "$SCRATCH/index.json"
check "index: links to every listed statement's page" jq -e \
    '((.tables.outstanding + .tables.closed) | map("\(.)/index.html")) as $want
     | [.links[] | select(test("^[0-9]+/index.html$"))] == $want' "$SCRATCH/index.json"
check_grep "index: a Content-Security-Policy forbidding script" "default-src 'none'" "$SITE/index.html"

# --- on a phone: 375 px wide -------------------------------------------------
# A page of the test's own (the site's forbid script) frames each page at
# 375 px, the width of a small phone, and notes how wide the page's
# content is against its viewport: a wide table scrolls in its own box, a
# long word (an address, an attachment's SHA-256) breaks, and the page
# itself never scrolls sideways.  It notes too how many lines the <h1>
# takes (its height over that of a one-line heading styled the same, since
# line-height may be "normal"), how many tables scroll in their box, and
# the height of its lowest link, how many "(due in N days)" break, and
# the size of a statement's body.
cat >"$SCRATCH/narrow.html" <<'HTML'
<!DOCTYPE html><html><body><pre id="out"></pre><script>
location.hash.slice(1).split(",").forEach(function (page) {
  var f = document.createElement("iframe");
  f.style.cssText = "width:375px;height:800px;border:0";
  f.onload = function () {
    var doc = f.contentDocument, d = doc.documentElement;
    var h1 = doc.querySelector("h1"), one = h1.cloneNode(false);
    one.textContent = "x";
    h1.parentNode.insertBefore(one, h1);
    var lines = Math.round(h1.getBoundingClientRect().height / one.getBoundingClientRect().height);
    one.remove();
    var link = Infinity;
    doc.querySelectorAll("a").forEach(function (a) { link = Math.min(link, a.getBoundingClientRect().height); });
    var pre = doc.querySelector("pre"), prepx = pre ? parseFloat(getComputedStyle(pre).fontSize) : 0;
    var broken = 0;
    doc.querySelectorAll(".due").forEach(function (e) { broken += e.getClientRects().length > 1; });
    var boxes = 0;
    doc.querySelectorAll(".scroll").forEach(function (b) { boxes += b.scrollWidth > b.clientWidth; });
    document.getElementById("out").textContent += page + " " + d.scrollWidth + " " + d.clientWidth
      + " h1-lines=" + lines + " boxes-scrolling=" + boxes
      + " link-height-min=" + Math.floor(link) + " due-broken=" + broken
      + " body-px=" + prepx + "\n";
  };
  f.src = page;
  document.body.appendChild(f);
});
</script></body></html>
HTML
narrow_pages="site/index.html site/group/rtg/index.html site/1/index.html site/$H/index.html site/$L/index.html"
check "Chromium frames the pages at 375 px" sh -c '"$1" --headless --no-sandbox --disable-gpu \
    --user-data-dir="$2/chromium" --allow-file-access-from-files --virtual-time-budget=10000 \
    --dump-dom "file://$2/narrow.html#$3" >"$2/narrow.dom" 2>"$2/chromium.err"' \
    _ "$CHROMIUM" "$SCRATCH" "$(echo $narrow_pages | tr ' ' ,)"
grep -oE 'site/[^ <]+ [0-9]+ [0-9]+ [^<]*' "$SCRATCH/narrow.dom" >"$SCRATCH/narrow.txt"
is "375 px: every page measured" "$(echo $narrow_pages | wc -w)" "$(wc -l <"$SCRATCH/narrow.txt")"
is "375 px: no page wider than the screen (page, content width, viewport)" "" \
    "$(awk '$2 > $3' "$SCRATCH/narrow.txt" | xargs)"
# At the default 2em a 200-character title took 14 lines, more than a
# screen: 8 at most.
is "375 px: the 200-character title's heading takes 8 lines or fewer" "" \
    "$(awk -v p="site/$L/index.html" '$1 == p { split($4, a, "="); if (a[2] + 0 > 8 || a[2] + 0 < 1) print }' "$SCRATCH/narrow.txt")"
# Nor does a table: on a phone each row is a block whose cells name
# themselves, so that the deadline is on the screen, not to the right of it.
is "375 px: no table scrolls sideways (the deadline in view)" "" \
    "$(awk '$5 != "boxes-scrolling=0"' "$SCRATCH/narrow.txt" | xargs)"
# Every link is a target a finger hits: 44 px high or more (WCAG 2.5.5).
is "375 px: every link 44 px high or more" "" \
    "$(awk '{ split($6, a, "="); if (a[2] + 0 < 44) print }' "$SCRATCH/narrow.txt" | xargs)"
# How a deadline stands is read as one: "(overdue by 67 days)" on one
# line, never "days)" alone under it.
is "375 px: no \"(overdue by N days)\" broken over lines" "" \
    "$(awk '$7 != "due-broken=0"' "$SCRATCH/narrow.txt" | xargs)"
# A statement's body (a <pre>) is read at nearly the size of the page's
# text (16 px), not at the 13 px browsers give monospace.
is "375 px: a statement's body in 15 px or more" "" \
    "$(awk '{ split($8, a, "="); if (a[2] != 0 && a[2] + 0 < 15) print }' "$SCRATCH/narrow.txt" | xargs)"
check "375 px: the statements' pages have a body measured" test \
    "$(awk '$1 ~ /^site\/[0-9]+\// && $8 != "body-px=0"' "$SCRATCH/narrow.txt" | wc -l)" -eq 3
# Overdue is said in words ("overdue by N days"), not by colour alone, and
# its colour, taken from the page's CSS, reads on white (WCAG AA: 4.5:1).
check "index: overdue rows say so in words" jq -e \
    '[.overdue[] as $i | .text["\($i).deadline"] | test("overdue by [0-9]+ days?")] | all' "$SCRATCH/index.json"
check "index: the overdue colour has a contrast of 4.5:1 or more on white" python3 - "$SITE/index.html" <<'PY'
import re, sys
css = re.search(r"<style>(.*?)</style>", open(sys.argv[1], encoding="utf-8").read(), re.S).group(1)
hexc = re.search(r"tr\.overdue td\.deadline\{[^}]*color:#([0-9a-fA-F]{3,6})", css).group(1)
if len(hexc) == 3:
    hexc = "".join(c * 2 for c in hexc)
def lin(c):
    c /= 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
r, g, b = (lin(int(hexc[i:i + 2], 16)) for i in (0, 2, 4))
ratio = 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)
print("overdue #%s: %.2f:1" % (hexc, ratio))
sys.exit(0 if ratio >= 4.5 else 1)
PY

# --- a page and a feed per group and area --------------------------------------
# Which statements each group's page should list comes from the store's
# own data (list --json: every statement is listed, --days 3650) and the
# directory (an area's page takes in its groups' statements); with
# "open", the open ones only.
expect_groups() {
    python3 - "$SCRATCH/list.json" "$CORPUS/directory.json" "${1:-}" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
if sys.argv[3] == "open":
    rows = [r for r in rows if r["state"] == "open"]
d = json.load(open(sys.argv[2]))
area = {k: v.get("area") for k, v in d["groups"].items()}
keys = sorted(set(list(d["groups"]) + list(d.get("areas", {})) + ["iesg"]
                  + [g for r in rows for g in r["groups"]]))
print(json.dumps({k: sorted(r["id"] for r in rows
                            if any(g == k or area.get(g) == k for g in r["groups"]))
                  for k in keys}))
PY
}
expect_groups >"$SCRATCH/groups.json"
expect_groups open >"$SCRATCH/groups-open.json"
is "group/: a folder for every group and area of the directory, and the IESG" \
    "$(jq -r 'keys | join(" ")' "$SCRATCH/groups.json")" "$(ls "$SITE/group" | xargs)"
check "some group lists more than one statement, an area those of its groups" \
    jq -e '.rtg | length > 1' "$SCRATCH/groups.json"
bad=""
for key in $(jq -r 'keys[]' "$SCRATCH/groups.json"); do
    facts "$SITE/group/$key/index.html" >"$SCRATCH/g.json"
    want=$(jq -c --arg k "$key" '.[$k]' "$SCRATCH/groups.json")
    got=$(jq -c '((.tables.outstanding // []) + (.tables.closed // [])) | sort' "$SCRATCH/g.json")
    feed=$(xmllint --xpath '//*[local-name()="entry"]/*[local-name()="id"]/text()' "$SITE/group/$key/feed.atom" 2>/dev/null \
        | grep -oE '[0-9]+$' | sort -n | jq -cs .)
    [ "$got" = "$want" ] && [ "$feed" = "$want" ] || bad="$bad $key(page $got, feed $feed, want $want)"
done
if [ -z "$bad" ]; then ok "each group's page and feed list the statements assigned to it (an area's, its groups' too)"
else fail "group pages" "differ:$bad"; fi
# deadlines.ics, the site's and each group's: an all-day event on the
# deadline of each open statement not yet answered (RFC 5545), read back
# with python3-icalendar, another implementation than libical's, which
# writes it.
ics_events() {
    /usr/bin/python3 - "$1" <<'PY'
import icalendar, json, re, sys
cal = icalendar.Calendar.from_ical(open(sys.argv[1], "rb").read())
out = []
for ev in cal.walk("VEVENT"):
    m = re.fullmatch(r"ls-(\d+)-deadline@lt\.ietf\.test", str(ev["UID"]))
    assert str(ev["SUMMARY"]).startswith("[LS %s] Deadline: " % m.group(1)), ev["SUMMARY"]
    assert str(ev["URL"]) == "https://lt.ietf.test/liaison/" + m.group(1), ev["URL"]
    start, end = ev.decoded("DTSTART"), ev.decoded("DTEND")
    assert not hasattr(start, "hour") and (end - start).days == 1, (start, end)
    out.append([int(m.group(1)), start.isoformat()])
print(json.dumps(sorted(out), separators=(",", ":")))
PY
}
# want_ics IDS: [id, deadline] of the open, unanswered ones among IDS.
want_ics() {
    jq -c --argjson ids "$1" '[.[] | select(.state == "open" and (.answered | not) and .deadline != null
        and (.id as $i | $ids | index($i))) | [.id, .deadline]] | sort' "$SCRATCH/list.json"
}
is "deadlines.ics: an event on the deadline of each open statement not answered" \
    "$(want_ics "$(jq -c 'map(.id)' "$SCRATCH/list.json")")" "$(ics_events "$SITE/deadlines.ics")"
check "deadlines.ics: more than one event" jq -e 'length > 1' <(ics_events "$SITE/deadlines.ics")
bad=""
for key in $(jq -r 'keys[]' "$SCRATCH/groups.json"); do
    got=$(ics_events "$SITE/group/$key/deadlines.ics" 2>&1)
    want=$(want_ics "$(jq -c --arg k "$key" '.[$k]' "$SCRATCH/groups.json")")
    [ "$got" = "$want" ] || bad="$bad $key(got $got, want $want)"
done
if [ -z "$bad" ]; then ok "each group's deadlines.ics: the deadlines of its open statements not answered"
else fail "group calendars" "differ:$bad"; fi
check "the index and a group's page link to their calendar" sh -c \
    'grep -q "<a href=\"deadlines.ics\">Deadlines (iCalendar)</a>" "$1" && grep -q "type=\"text/calendar\" href=\"deadlines.ics\"" "$2"' \
    _ "$SITE/index.html" "$SITE/group/rtg/index.html"
check "Chromium renders the RTG area's page" dom "file://$SITE/group/rtg/index.html" "$SCRATCH/rtg.dom"
facts "$SCRATCH/rtg.dom" >"$SCRATCH/rtg.json"
is "rtg: the open ones nearest deadline first, as on the index" \
    "$(jq -c --argjson ids "$(jq -c .rtg "$SCRATCH/groups.json")" '[.[] | select(.state == "open" and (.id as $i | $ids | index($i)))] | sort_by([(.deadline == null), .deadline, .id]) | map(.id)' "$SCRATCH/list.json")" \
    "$(jq -c '.tables.outstanding' "$SCRATCH/rtg.json")"
check "rtg: its rows link to the statements' own pages, which are there" sh -c '
    for l in $(jq -r ".links[] | select(test(\"^\\\\.\\\\./\\\\.\\\\./[0-9]+/index.html$\"))" "$1"); do
        test -f "$2/group/rtg/$l" || exit 1; n=$((n + 1))
    done; test "${n:-0}" -ge 2' _ "$SCRATCH/rtg.json" "$SITE"
check "rtg: no element came from mail, nothing ran" jq -e \
    '(.tags.img // 0) == 0 and (.tags.script // 0) == 0 and .tags.h1 == 1 and (.attrs | index("data-pwned")) == null' "$SCRATCH/rtg.json"
check "rtg: its feed is well-formed, and says whose it is" sh -c \
    'xmllint --noout "$1" && grep -q "<id>tag:ietf.test,2026:liaison-statements/group/rtg</id>" "$1"' _ "$SITE/group/rtg/feed.atom"
is "index: links to the groups and areas with a statement listed" \
    "$(jq -r 'to_entries | map(select(.value | length > 0) | "group/\(.key)/index.html") | join(" ")' "$SCRATCH/groups.json")" \
    "$(jq -r '[.links[] | select(startswith("group/"))] | join(" ")' "$SCRATCH/index.json")"
is "index: each group's link says how many of its statements are open" \
    "$(jq -r --slurpfile all "$SCRATCH/groups.json" 'to_entries | map(select(($all[0][.key] | length) > 0) | "\(.key) \(.value | length)") | join(",")' "$SCRATCH/groups-open.json")" \
    "$(grep -oE 'group/[a-z0-9_-]+/index.html">[^<]*</a>&nbsp;\([0-9]+&nbsp;open\)' "$SITE/index.html" | sed -E 's|group/([^/]*)/.*\(([0-9]+)&nbsp;open\)|\1 \2|' | paste -sd,)"
# A directory whose group keys would walk out of group/ (or name DIR
# itself): no page, a warning each; and a group with no statement.  (A
# key of punctuation alone, "..", is refused when the directory loads.)
jq '.groups["../../escape"] = .groups.ccamp | .groups["x/../.."] = .groups.ccamp
    | .groups.emptywg = .groups.ccamp' "$CORPUS/directory.json" >"$SCRATCH/escape.json"
jq '.groups[".."] = .groups.ccamp' "$CORPUS/directory.json" >"$SCRATCH/dotdot.json"
cp "$DB" "$SCRATCH/esc.db"
esc() { "$CTL" -c "$CONF" -d "$SCRATCH/esc.db" "$@"; }
check_exit "publish with a group keyed '..': the directory is refused (78)" 78 esc -D "$SCRATCH/dotdot.json" publish --days 3650 --now "$NOW" "$SCRATCH/esc/site"
check_grep "publish with '..': says which key" 'the key "\.\." has no letter or digit' "$SCRATCH/err"
check "publish with '..': nothing written" test ! -e "$SCRATCH/esc"
check_exit "publish with keys that are no folder names" 0 esc -D "$SCRATCH/escape.json" publish --days 3650 --now "$NOW" "$SCRATCH/esc/site"
check_grep "publish: warns of ../../escape" 'no page for the group "\.\./\.\./escape"' "$SCRATCH/err"
check_grep "publish: warns of x/../.." 'no page for the group "x/\.\./\.\."' "$SCRATCH/err"
is "publish: nothing written beside the site" "site" "$(ls "$SCRATCH/esc" | xargs)"
check "publish: no folder for them under group/, the top index still the site's" sh -c \
    '! find "$1/group" -name "*escape*" | grep -q . && test ! -e "$1/group/index.html" && grep -q "By group or area" "$1/index.html"' _ "$SCRATCH/esc/site"
facts "$SCRATCH/esc/site/group/emptywg/index.html" >"$SCRATCH/emptywg.json"
check "a group with no statement has its page, saying so, with no empty table" \
    jq -e '.tables == {} and .text["none-outstanding"] == "No statement is outstanding."
           and .text["none-closed"] == "None was closed in the last 3650 days."' "$SCRATCH/emptywg.json"
check_exit "publish again an hour later" 0 esc -D "$SCRATCH/escape.json" publish --days 3650 --now "${NOW}T01:00:00Z" "$SCRATCH/esc/site"
check_grep "an hour later: nothing written (an empty group's feed too)" " 0 files written," "$SCRATCH/out"
is "an empty group's feed is as new as the site's last change" \
    "$(jq -r 'map(.updated) | max' "$SCRATCH/esc/site/statements.json")" \
    "$(xmllint --xpath '/*[local-name()="feed"]/*[local-name()="updated"]/text()' "$SCRATCH/esc/site/group/emptywg/feed.atom")"
is "a group's feed is titled with its key and name, as is the page's link to it" \
    "IETF Liaison Statements: outstanding liaison statements: rtg (Routing Area)|IETF Liaison Statements: outstanding liaison statements: rtg (Routing Area)" \
    "$(xmllint --xpath '/*[local-name()="feed"]/*[local-name()="title"]/text()' "$SCRATCH/esc/site/group/rtg/feed.atom")|$(sed -n 's/.*type="application\/atom+xml" href="feed.atom" title="\([^"]*\)".*/\1/p' "$SCRATCH/esc/site/group/rtg/index.html")"
# A page made once is kept current: the DMM statement reassigned and
# dmm gone from the directory, group/dmm/ is written again, listing none.
D=$(jq '[.[] | select(.groups == ["dmm"])][0].id' "$SCRATCH/list.json")
check "a statement assigned to DMM ($D)" test "$D" -gt 0
check "its page lists it" sh -c 'grep -q "data-id=\"$1\"" "$2"' _ "$D" "$SCRATCH/esc/site/group/dmm/index.html"
check_exit "reassign it to QUIC" 0 esc -D "$CORPUS/directory.json" reassign "$D" quic
jq 'del(.groups.dmm)' "$CORPUS/directory.json" >"$SCRATCH/no-dmm.json"
check_exit "publish with dmm gone from the directory" 0 esc -D "$SCRATCH/no-dmm.json" publish --days 3650 --now "$NOW" "$SCRATCH/esc/site"
check "group/dmm/ now lists nothing" sh -c 'test -f "$1" && ! grep -q "data-id=" "$1"' _ "$SCRATCH/esc/site/group/dmm/index.html"
check "group/quic/ lists it" grep -q "data-id=\"$D\"" "$SCRATCH/esc/site/group/quic/index.html"
# A statement not listed (closed long ago) still has its page, and its
# group's page is there for its link, though the directory lost the group.
T=$(jq '[.[] | select(.groups == ["detnet"])][0].id' "$SCRATCH/list.json")
check_exit "close $T, a DetNet statement" 0 esc close "$T"
jq 'del(.groups.detnet)' "$CORPUS/directory.json" >"$SCRATCH/no-detnet.json"
check_exit "publish with no closed one listed and detnet gone" 0 esc -D "$SCRATCH/no-detnet.json" publish --days 0 --now "$NOW" "$SCRATCH/esc2/site"
check "its page links to group/detnet/, which is there" sh -c \
    'grep -q "href=\"../group/detnet/index.html\"" "$1/$2/index.html" && test -f "$1/group/detnet/index.html"' _ "$SCRATCH/esc2/site" "$T"
# What someone else put in group/ is none of publish's: a file and links
# are not followed, chmodded or written through; a link in a group's
# own place stops the run (73), before anything is written through it.
mkdir -p "$SCRATCH/outside"
echo secret >"$SCRATCH/victim" && chmod 600 "$SCRATCH/victim"
echo notes >"$SCRATCH/esc2/site/group/notes" && chmod 600 "$SCRATCH/esc2/site/group/notes"
ln -s "$SCRATCH/outside" "$SCRATCH/esc2/site/group/elsewhere"
ln -s "$SCRATCH/victim" "$SCRATCH/esc2/site/group/victim"
check_exit "publish beside a file and links in group/" 0 esc -D "$SCRATCH/no-detnet.json" publish --days 0 --now "$NOW" "$SCRATCH/esc2/site"
is "nothing written through the links, nothing chmodded" "0 600 600" \
    "$(ls -A "$SCRATCH/outside" | wc -l) $(stat -c %a "$SCRATCH/victim") $(stat -c %a "$SCRATCH/esc2/site/group/notes")"
rm -r "$SCRATCH/esc2/site/group/quic"
ln -s "$SCRATCH/outside" "$SCRATCH/esc2/site/group/quic"
check_exit "publish with a link as a group's folder: 73" 73 esc -D "$SCRATCH/no-detnet.json" publish --days 0 --now "$NOW" "$SCRATCH/esc2/site"
check_grep "says which" "group/quic is a link or no folder" "$SCRATCH/err"
is "nothing written through it" "0" "$(ls -A "$SCRATCH/outside" | wc -l)"

# --- a statement's page -------------------------------------------------------
check "Chromium renders statement $R's page" dom "file://$SITE/$R/index.html" "$SCRATCH/four.dom"
facts "$SCRATCH/four.dom" >"$SCRATCH/four.json"
check "page: an answered statement says when" jq -e --arg today "$TODAY" \
    '.text.statement | contains("Answered" + $today)' "$SCRATCH/four.json"
is "page: each group it is assigned to links to the group's page" \
    "$(jq -r --argjson id "$R" '.[] | select(.id == $id) | .groups | map("../group/\(.)/index.html") | join(" ")' "$SCRATCH/list.json")" \
    "$(jq -r '[.links[] | select(startswith("../group/"))] | join(" ")' "$SCRATCH/four.json")"
check "page: those group pages are there" sh -c 'for l in $(jq -r ".links[] | select(startswith(\"../group/\"))" "$1"); do test -f "$2/$l" || exit 1; done' \
    _ "$SCRATCH/four.json" "$SITE/$R"
check "Chromium renders the hostile statement's page" dom "file://$SITE/$H/index.html" "$SCRATCH/h.dom"
facts "$SCRATCH/h.dom" >"$SCRATCH/h.json"
check "page: one not answered does not say so" jq -e '.text.statement | contains("Answered") | not' "$SCRATCH/h.json"
# Overdue looks overdue on a statement's page as on the index: the colour
# the index gives its overdue rows (tested for contrast above), as
# Chromium computes it, on the hostile one (past 2027-01-10, not
# answered), and not on the answered one's.
cat >"$SCRATCH/colour.html" <<'HTML'
<!DOCTYPE html><html><body><pre id="out"></pre><script>
location.hash.slice(1).split(",").forEach(function (page) {
  var f = document.createElement("iframe");
  f.onload = function () {
    var dd = f.contentDocument.querySelector("dd.deadline");
    document.getElementById("out").textContent += page + " " + getComputedStyle(dd).color.replace(/ /g, "") + "\n";
  };
  f.src = page;
  document.body.appendChild(f);
});
</script></body></html>
HTML
check "Chromium computes the deadline's colour on two statements' pages" sh -c '"$1" --headless --no-sandbox --disable-gpu \
    --user-data-dir="$2/chromium" --allow-file-access-from-files --virtual-time-budget=10000 \
    --dump-dom "file://$2/colour.html#site/$3/index.html,site/$4/index.html" >"$2/colour.dom" 2>"$2/chromium.err"' \
    _ "$CHROMIUM" "$SCRATCH" "$H" "$R"
is "page: an overdue deadline in the index's overdue colour, an answered one not" \
    "site/$H/index.html rgb(187,0,0) site/$R/index.html rgb(34,34,34)" \
    "$(grep -oE 'site/[0-9]+/index.html rgb\([0-9,]+\)' "$SCRATCH/colour.dom" | awk -v h="site/$H/index.html" '$1 == h { a = $0 } $1 != h { b = $0 } END { print a, b }')"

# --- an answered statement reopened: outstanding again, as the tickler has it
# A copy of the store with $R (answered, past its deadline on $NOW)
# reopened by its chair: overdue again on the index and its page, which
# still say when it was answered; back in the calendar; no "Answered on"
# in the feed; statements.json says answered beside replied.
RA="$SCRATCH/reopened-answered.db"
sqlite3 "$DB" ".backup '$RA'"
check_exit "reopen the answered statement $R in a copy" 0 ctl -d "$RA" reopen --reason "more is wanted" "$R"
check_exit "publish the copy" 0 ctl -d "$RA" publish --days 3650 --now "$NOW" "$SCRATCH/ra-site"
check "statements.json: $R answered, before the reopen" jq -e --argjson r "$R" \
    '.[] | select(.id == $r) | .answered == true and .replied != null' "$SITE/statements.json"
check "statements.json: $R not answered after it, replied kept" jq -e --argjson r "$R" \
    '.[] | select(.id == $r) | .answered == false and .replied != null' "$SCRATCH/ra-site/statements.json"
check_grep "index: the reopened answered one is marked overdue" \
    "<tr data-id=\"$R\" class=\"overdue\">" "$SCRATCH/ra-site/index.html"
check "index: nor does it say answered" sh -c '! grep "<tr data-id=\"$1\"" "$2" | grep -q "class=\"answered\""' \
    _ "$R" "$SCRATCH/ra-site/index.html"
check_grep "page: still says when it was answered, and that it was reopened since" \
    "<dt>Answered</dt><dd>$TODAY \(reopened since: a response is wanted again\)</dd>" "$SCRATCH/ra-site/$R/index.html"
check "page: its deadline counts the days overdue" sh -c 'grep "class=\"deadline[^\"]*\"" "$1" | grep -q "overdue"' \
    _ "$SCRATCH/ra-site/$R/index.html"
check "page: the answered one's deadline, before the reopen, does not" sh -c '! grep "class=\"deadline[^\"]*\"" "$1" | grep -q "overdue"' \
    _ "$SITE/$R/index.html"
check_grep "deadlines.ics: the reopened answered one is back in the calendar" \
    "^UID:ls-$R-deadline@" "$SCRATCH/ra-site/deadlines.ics"
check "deadlines.ics: not before the reopen" sh -c '! grep -q "^UID:ls-$1-deadline@" "$2"' _ "$R" "$SITE/deadlines.ics"
check "feed: no 'Answered on' for it any more" sh -c '[ "$(grep -c "Answered on" "$1")" -gt "$(grep -c "Answered on" "$2")" ]' \
    _ "$SITE/feed.atom" "$SCRATCH/ra-site/feed.atom"
check_exit "show --json the hostile statement" 0 ctl show --json "$H"
title=$(jq -r .title "$SCRATCH/out")
is "page: the title, as recorded" "$title" "$(jq -r '.text.title' "$SCRATCH/h.json")"
check "page: no element came from mail" jq -e \
    '(.tags.img // 0) == 0 and (.tags.script // 0) == 0 and .tags.h1 == 1 and (.tags.b // 0) == 0 and (.attrs | index("data-pwned")) == null' "$SCRATCH/h.json"
check "page: the body as text" jq -e '.text.body | contains("</pre><script>")' "$SCRATCH/h.json"
# (Its other pages: the index, and the group pages of "Assigned to".)
check "page: the PDF linked, the web page not" jq -e \
    '(.links | index("2-LS-hostile.pdf")) != null and (.links | map(select(. != null and test("html$") and . != "../index.html" and (test("^\\.\\./group/[a-z0-9_-]+/index\\.html$") | not))) | length) == 0' "$SCRATCH/h.json"
is "page.html not published: the folder holds the page and the PDF" "2-LS-hostile.pdf index.html" "$(ls "$SITE/$H" | xargs)"
pdf_sha=$(jq -r '.attachments[] | select(.name == "LS-hostile.pdf") | .sha256' "$SCRATCH/out")
is "the published PDF is the one received, byte for byte" "$pdf_sha" "$(sha256sum "$SITE/$H/2-LS-hostile.pdf" | cut -d' ' -f1)"

# --- the feed and the JSON ------------------------------------------------------
check "feed.atom is well-formed XML" xmllint --noout "$SITE/feed.atom"
entries=$(xmllint --xpath 'count(//*[local-name()="entry"])' "$SITE/feed.atom")
is "feed: an entry per listed statement" "$N" "$entries"
# Ids that stay when base_url moves (RFC 4287): tag: URIs of the mail
# domain (intake's here), the day received and the number; links base_url + id.
is "feed: entry 1's id is a tag: URI of the mail domain and the day it came" \
    "tag:ietf.test,$(jq -r '.[] | select(.id == 1) | .received[0:10]' "$SCRATCH/list.json"):liaison-statement/1" \
    "$(xmllint --xpath '//*[local-name()="entry"]/*[local-name()="id"]/text()' "$SITE/feed.atom" | grep 'liaison-statement/1$')"
check "feed: entry links are base_url + id" grep -q '<link rel="alternate" type="text/html" href="https://lt.ietf.test/liaison/1"/>' "$SITE/feed.atom"
check "statements.json: the listed statements" jq -e --argjson n "$N" \
    'length == $n and (map(select(.id == 2))[0].state == "closed") and all(.[]; .url | startswith("https://lt.ietf.test/liaison/"))' "$SITE/statements.json"
is "statements.json: replied, as list --json has it, for each listed statement" \
    "$(jq -c '[.[] | select(.state == "open") | [.id, .replied]] | sort' "$SCRATCH/list.json")" \
    "$(jq -c '[.[] | select(.state == "open") | [.id, .replied]] | sort' "$SITE/statements.json")"
check "statements.json: the answered statement $R says when" \
    jq -e --argjson r "$R" 'map(select(.id == $r))[0].replied | type == "string"' "$SITE/statements.json"

# --- base_url + id through a web server, as a notification's link ----------
PORT=$(free_port 18480) || PORT=""
if [ -n "$PORT" ]; then
    mkdir -p "$SCRATCH/www"
    ln -s "$SITE" "$SCRATCH/www${BASE_PATH%/}"
    (cd "$SCRATCH/www" && exec python3 -m http.server --bind 127.0.0.1 "$PORT") >/dev/null 2>&1 &
    WWW=$!
    t_cleanup "kill $WWW 2>/dev/null"
    if await_listen "$WWW" "$PORT"; then
        check "Chromium follows base_url + 1 to the statement's page" \
            dom "http://127.0.0.1:$PORT${BASE_PATH}1" "$SCRATCH/one.dom"
        facts "$SCRATCH/one.dom" >"$SCRATCH/one.json"
        is "base_url + 1: statement 1's title" "$(jq -r '.[0].title' "$SCRATCH/list.json")" \
            "$(jq -r '.text.title' "$SCRATCH/one.json")"
    else
        fail "web server on 127.0.0.1:$PORT" "python3 -m http.server did not listen"
    fi
else
    fail "web server" "no free port from 18480"
fi

# --- usage and failures ---------------------------------------------------------
check_exit "publish without DIR: 64" 64 ctl publish
check_exit "publish --now tomorrow: 64" 64 ctl publish --now tomorrow "$SITE"
check_exit "publish --days -1: 64" 64 ctl publish --days -1 "$SITE"
check_exit "publish with no database: 66" 66 "$CTL" -c "$CONF" -d "$SCRATCH/none.db" publish "$SITE"
echo x >"$SCRATCH/plain"
chmod 600 "$SCRATCH/plain"
check_exit "publish under a plain file: 73" 73 ctl publish "$SCRATCH/plain/site"
check_grep "publish under a plain file: names it" "/plain: Not a directory" "$SCRATCH/err"
is "publish under a plain file: the file left as it was" "600" "$(stat -c %a "$SCRATCH/plain")"

# A full file system: a tmpfs too small for the site, mounted by the test.
if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: the full disk case needs root (mount)"
    exit 77
fi
# A site published by root, then by its owner from cron: the files root
# left cannot be chmod'ed by the owner, and need not be.
SHARED=$(mktemp -d /tmp/liaison-publish-shared.XXXXXX)
t_cleanup "rm -rf '$SHARED'"
chmod 755 "$SHARED"
check "shared: a database others may read" sh -c 'cp "$1" "$2/db" && sqlite3 "$2/db" "PRAGMA journal_mode" >/dev/null && chmod 644 "$2"/db*' _ "$DB" "$SHARED"
# The program, its configuration and directory where nobody can read
# them (a clone under /root is not).
cp "$CTL" "$CORPUS/directory.json" "$SHARED/"
printf 'database = %s/db\ndirectory = %s/directory.json\nbase_url = https://lt.ietf.test/liaison/\n' \
    "$SHARED" "$SHARED" >"$SHARED/liaisond.conf"
chmod 644 "$SHARED/liaisond.conf" "$SHARED/directory.json"
# Cron's environment: the configuration's directory, not the tests'
# LIAISON_DIRECTORY (under the clone).
check_exit "shared: root publishes first" 0 env -u LIAISON_DIRECTORY "$SHARED/liaisonctl" -c "$SHARED/liaisond.conf" publish --days 3650 --now "$NOW" "$SHARED/site"
chown nobody "$SHARED/site"
check_exit "shared: then its owner, from cron: 0" 0 runuser -u nobody -- env -u LIAISON_DIRECTORY "$SHARED/liaisonctl" -c "$SHARED/liaisond.conf" publish --days 3650 --now "$NOW" "$SHARED/site"
check_grep "shared: nothing to write" "; 0 files written," "$SCRATCH/out"

FULL="$SCRATCH/full"
mkdir -p "$FULL"
if mount -t tmpfs -o size=512k tmpfs "$FULL"; then
    t_cleanup "umount -l '$FULL' 2>/dev/null"
    # A large PDF that cannot fit.
    python3 - "$SCRATCH/big.eml" <<'EOF'
import base64, sys
data = bytes(range(256)) * 4096    # 1 MiB
with open(sys.argv[1], "w") as f:
    f.write("From: Greta <greta@itu.test>\nTo: liaisons@ietf.test\nSubject: LS big\n"
            "Message-ID: <big-1@itu.test>\nMIME-Version: 1.0\n"
            "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
            "Content-Type: text/plain\n\nTitle: Big one\nTo: IETF CCAMP WG\n"
            "Purpose: For information\n\n--b\nContent-Type: application/pdf\n"
            "Content-Disposition: attachment; filename=\"big.pdf\"\n"
            "Content-Transfer-Encoding: base64\n\n")
    b = base64.b64encode(data).decode()
    f.write("\n".join(b[i:i + 76] for i in range(0, len(b), 76)))
    f.write("\n--b--\n")
EOF
    check_exit "ingest a statement with a 1 MiB PDF" 0 ctl ingest --json "$SCRATCH/big.eml"
    B=$(jq -r .id "$SCRATCH/out")
    check_exit "publish to a full file system: 73" 73 ctl publish "$FULL/site"
    check_grep "full: the error names the attachment and the cause" "big\.pdf.*No space left on device" "$SCRATCH/err"
    check "full: no half-written attachment is left" sh -c '! ls -A "$1/site/$2" 2>/dev/null | grep -q "big.pdf"' _ "$FULL" "$B"
    check "full: every page written is whole (ends with </html>)" sh -c '
        for f in "$1"/site/*/index.html; do [ -e "$f" ] || continue; tail -n 1 "$f" | grep -q "^</html>$" || exit 1; done' _ "$FULL"
    check "room again (the tmpfs grown to 8 MiB)" mount -o remount,size=8m "$FULL"
    check_exit "publish again: 0" 0 ctl publish "$FULL/site"
    big_sha=$(sqlite3 "$DB" "SELECT sha256 FROM attachment WHERE statement = $B AND name = 'big.pdf'")
    is "the big PDF, whole now" "$big_sha" "$(sha256sum "$FULL/site/$B/1-big.pdf" | cut -d' ' -f1)"
    check "no .part file left anywhere" sh -c '! find "$1" -name "*.part" | grep -q .' _ "$FULL"
    umount "$FULL"
else
    fail "full disk case" "cannot mount a tmpfs"
fi
