/*
 * envelope.c: the liaison envelope (From, To, Title, contacts, Purpose,
 * Deadline, Body) read out of decoded text.
 *
 * Senders fill the same RFC 4053 form in several layouts: Appendix A labels,
 * the datatracker's notification mail, the ITU-T and 3GPP templates, HTML
 * tables rendered one row per line (html.c indents a value cell's later
 * lines by a tab and sets off a label cell without colon by one).  Rather than one pattern per layout, the
 * text is read line by line: a line is "Label: value" when a generic label
 * pattern matches, and a table maps the normalised label to the field it
 * fills.  Folded lines continue the previous value; a few layout quirks
 * (ITU "For action to:", 3GPP "Contact Person:" blocks and "ACTION:"
 * sentences, datatracker "Please reply by") get their own small rules.
 *
 * All mail is hostile: lines longer than LINE_MAX_LABEL are never labels,
 * every value, list and body is bounded, and every pattern is anchored or
 * starts with a fixed prefix so that a match costs time linear in the line.
 * The patterns are compiled once (PCRE2 native API) and shared read-only;
 * match data is allocated per call, so envelope_scan() is thread-safe.
 */
#include "config.h"

#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "envelope.h"

/* Lines longer than this are never read as labels: no form field is that
 * long, and it bounds the cost of every per-line match. */
#define LINE_MAX_LABEL  4096
/* A folded value (To, contacts, ACTION sentence) stops growing here. */
#define VALUE_MAX       8192
/* The Body: text is kept up to this many bytes. */
#define BODY_MAX        (1024 * 1024)
/* No list in an envelope legitimately holds more entries than this. */
#define LIST_MAX        64

/* ---- patterns ------------------------------------------------------- */

enum pattern {
    PAT_LABEL,          /* "  Label words: value" */
    PAT_CELL,           /* "Label words<TAB>value": a table row, no colon */
    PAT_REPLY_BY,       /* datatracker "Please reply by 2026-12-20" */
    PAT_FORWARD,        /* start of an inline forwarded/original header block */
    PAT_RULE,           /* Outlook's "_____" rule above a forwarded header */
    PAT_DATE,           /* a date in any layout, searched inside a value */
    PAT_ADDR,           /* an e-mail address, optionally after "mailto:" */
    PAT_ROLE,           /* an office or body, not a person: "Chair SG15" */
    PAT_SUBLABEL,       /* "E-mail:", "Tel:" inside a contact value */
    PAT_URL,
    PAT_TDOC,           /* 3GPP document numbers: S2-2611873, CP-263001 */
    PAT_DRAFT,          /* draft-ietf-foo-bar */
    PAT_TR,             /* Broadband Forum TR-471 */
    PAT_COUNT
};

#define MONTHS \
    "(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?" \
    "|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?" \
    "|dec(?:ember)?)\\.?(?![a-z])"

/* Where a day number may start: not glued to a word or number before it
 * (the 15 of "SG15" or "Q4/15", the 1 of "802.1", the 15 of "SA2#15"),
 * and not as the second day of a range "16-27" (a hyphen or an en dash,
 * with a blank on either side or none): a range is read from its first
 * day (DAY_RANGE), or not at all.  Each branch of a lookbehind must have
 * a fixed length in PCRE2, hence one per spelling. */
#define DAY_START \
    "(?<![a-z0-9./#])" \
    "(?<![0-9]-|[0-9][ \\t]-|[0-9]-[ \\t]|[0-9][ \\t]-[ \\t]" \
    "|[0-9]\xE2\x80\x93|[0-9][ \\t]\xE2\x80\x93|[0-9]\xE2\x80\x93[ \\t]" \
    "|[0-9][ \\t]\xE2\x80\x93[ \\t])"
/* The rest of a range of days after its first: "-27", " - 12", or with an
 * en dash.  A range gives its first day, the earlier and safe side: a
 * reply due by the start of a meeting is in time for all of it, while its
 * last day is a deadline that the reply may miss. */
#define DAY_RANGE \
    "(?:[ \\t]?(?:-|\xE2\x80\x93)[ \\t]?[0-9]{1,2}(?:st|nd|rd|th)?" \
    "(?![0-9]))?"
/* A range that crosses a month: "28 February - 3 March", or "February 28 -
 * March 3" (RANGE_TO_MONTH_DAY).  Its one capture is the second month, so
 * that "28 December - 3 January 2027" starts in the year before. */
#define RANGE_TO_DAY_MONTH \
    "(?:[ \\t]{0,2}(?:-|\xE2\x80\x93)[ \\t]{0,2}[0-9]{1,2}(?:st|nd|rd|th)?" \
    "[ \\t.,/-]{0,3}" MONTHS ")?"
#define RANGE_TO_MONTH_DAY \
    "(?:[ \\t]{0,2}(?:-|\xE2\x80\x93)[ \\t]{0,2}" MONTHS \
    "[ \\t.,/-]{0,3}[0-9]{1,2}(?:st|nd|rd|th)?(?![0-9]))?"

/* The characters of an address's local part: RFC 5322 atext and dots,
 * and, for internationalised addresses (RFC 6531), letters, combining marks
 * and digits of any script.  Not Unicode spaces, punctuation or symbols, so
 * that an address still ends at a no-break space or a curly quote. */
#define ADDR_LOCAL  "a-z0-9._%+=!#$&'*/?^`{|}~\\p{L}\\p{M}\\p{Nd}-"
/* The characters of a domain label, internationalised ones as written. */
#define ADDR_LABEL  "a-z0-9\\p{L}\\p{M}\\p{Nd}-"

/* Words naming an office ("Vice-Chair", "Associate Rapporteur") and
 * designations of ITU and IEEE bodies ("SG15", "Q4/15", "WP3", "WG"):
 * what senders put after a person's name, never a person. */
#define ROLE_WORD \
    "(?:(?:vice|co|deputy|associate|acting|interim)[ -]?)?" \
    "(?:chair(?:man|woman|person)?|rapporteur|editor|conven(?:or|er)|secretary)s?"
#define ROLE_GROUP  "(?:sg|wg|wp|q)[0-9]{0,3}(?:/[0-9]{1,3})?"
#define ROLE_FILLER "(?:itu(?:-[tr])?|of|the|for|and|&|/|-|" ROLE_GROUP ")"

static const char *const pattern_source[PAT_COUNT] = {
    /* The label is short, starts with a letter and may hold the words and
     * punctuation real labels use ("Response Contact(s)", "E-mail Address",
     * "Tel. Number"); "://" is a URL, not a label.  Emphasis markers may
     * stand around it ("*Title:*", "*Title*:", "_Deadline:_"): Gmail and
     * Thunderbird write bold and underlined text so in the plain
     * rendering of an HTML letter; unemphasise() settles the ones left
     * around the value.  Before the colon, French typography's no-break
     * space (U+00A0, or the narrow U+202F); for the colon, the fullwidth
     * one (U+FF1A) a Chinese or Japanese input method types. */
    [PAT_LABEL] = "^[ \\t]*[*_]{0,2}([a-z][a-z0-9 ()/&.'-]{0,47}?)[*_]{0,2}"
                  "(?:[ \\t]|\xC2\xA0|\xE2\x80\xAF){0,16}"
                  "(?::|\xEF\xBC\x9A)(?!//)[ \\t]*(.*)$",
    /* A table row whose label cell has no colon ("<td>Purpose</td>
     * <td>For action</td>"): html.c sets the cells off by a tab, and so
     * does a mailer's plain rendering of a table.  At the margin only (an
     * indented line continues a value) and with a value; read as a label
     * only when the words are a field's label (field_line()). */
    [PAT_CELL] = "^[*_]{0,2}([a-z][a-z0-9 ()/&.'-]{0,47}?)[*_]{0,2} {0,16}"
                 "\t[ \t]*([^ \t].*)$",
    [PAT_REPLY_BY] = "^[ \\t]*please[ \\t]+(?:reply|respond)[ \\t]+"
                     "(?:by|before)[ \\t]+(.+)$",
    [PAT_FORWARD] = "^[ \\t]*(?:-{2,}[ \\t]*(?:original|forwarded)[ \\t]+message"
                    "[ \\t]*-{2,}|begin forwarded message:)",
    /* Outlook draws 32 underscores; a rule is never longer than a line
     * that is read at all, and possessive, so a near miss is not retried
     * at every length. */
    [PAT_RULE] = "^[ \\t]{0,16}_{10,4096}+[ \\t]{0,16}$",
    /* Alternatives: ISO y-m-d; d Month y (British "15th of January"
     * too); Month d, y; d.m.y or d/m/y;
     * a day may be the first of a range (DAY_RANGE).  Every quantifier
     * is bounded, so a match attempt costs O(1). */
    [PAT_DATE] = "(?<![0-9])(?:"
                 "([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})(?![0-9])"
                 "|" DAY_START "([0-9]{1,2})(?:st|nd|rd|th)?" DAY_RANGE
                 "[ \\t.,/-]{0,3}(?:of[ \\t]{1,3})?" MONTHS RANGE_TO_DAY_MONTH
                 "[ \\t.,/-]{0,3}([0-9]{4})(?![0-9])"
                 "|(?<![a-z])" MONTHS "[ \\t.,/-]{0,3}([0-9]{1,2})"
                 "(?:st|nd|rd|th)?" DAY_RANGE RANGE_TO_MONTH_DAY
                 "[ \\t.,/-]{0,3}([0-9]{4})(?![0-9])"
                 "|" DAY_START "([0-9]{1,2})([./])([0-9]{1,2})[./]([0-9]{4})"
                 "(?![0-9])"
                 ")",
    /* The lookbehind keeps starts at token boundaries, so a long run of
     * address characters (letters of any script too) is not rescanned from
     * every offset; but an address may be glued to the domain of the one
     * before by "&" or "/" ("a@x.test&b@y.test"), which no domain holds. */
    [PAT_ADDR] = "(?:(?<![" ADDR_LOCAL "])|(?<=[a-z0-9][&/]))(?:mailto:)?"
                 "([" ADDR_LOCAL "]{1,64}@[" ADDR_LABEL "]{1,63}"
                 "(?:\\.[" ADDR_LABEL "]{1,63}){1,8})",
    /* A whole contact name (collapsed, so single spaces) that is an office
     * or a body: it starts with an office ("Chair of ITU-T SG15"), ends
     * with one after designations only ("Q4/15 Rapporteur"), or is
     * designations only ("SG15", "ITU-T Q4/15").  Not "TSG CT WG4": a
     * name that is not all designations is someone's. */
    [PAT_ROLE] = "^(?:" ROLE_WORD "(?![a-z0-9])"
                 "|(?:" ROLE_FILLER " ){0,8}+" ROLE_WORD "$"
                 "|(?:itu(?:-[tr])? )?" ROLE_GROUP "(?: " ROLE_FILLER "){0,8}+$)",
    [PAT_SUBLABEL] = "(?:e-?mail(?:[ \\t]+address)?|tel(?:ephone)?\\.?"
                     "(?:[ \\t]+(?:no\\.?|number))?|phone|fax|mobile)[ \\t]*:",
    [PAT_URL] = "https?://[^\\s<>()\"'\\[\\]{}]+",
    [PAT_TDOC] = "(?<![A-Za-z0-9-])[SRC][0-6P]-[0-9]{6,7}(?![0-9A-Za-z])",
    [PAT_DRAFT] = "(?<![A-Za-z0-9-])draft-[a-z0-9]+(?:-[a-z0-9]+)*",
    [PAT_TR] = "(?<![A-Za-z0-9-])TR-[0-9]{1,5}(?![0-9])",
};

/* Only the patterns that read words people type ignore case; document
 * numbers have a fixed spelling. */
static const guint32 pattern_caseless =
    (1u << PAT_LABEL) | (1u << PAT_CELL) | (1u << PAT_REPLY_BY) | (1u << PAT_FORWARD) |
    (1u << PAT_DATE) | (1u << PAT_ADDR) | (1u << PAT_ROLE) |
    (1u << PAT_SUBLABEL) | (1u << PAT_URL);

/* The address pattern reads UTF-8, for the letters of internationalised
 * addresses; PCRE2_MATCH_INVALID_UTF because a line of mail may hold a bad
 * byte, which then matches nothing rather than failing the whole match.
 * The other patterns read bytes. */
static const guint32 pattern_utf = 1u << PAT_ADDR;

static pcre2_code *patterns[PAT_COUNT];
/* Shared read-only by every match: a second bound, should a pattern ever
 * be edited into one that backtracks. */
static pcre2_match_context *match_limits;
static gsize init_done;
static gboolean init_ok;
static char *init_error;

/* ---- labels ---------------------------------------------------------- */

enum field {
    F_NONE = 0,
    F_IGNORED,          /* a known label that fills nothing */
    F_FROM,
    F_TO,
    F_FOR_ACTION,
    F_FOR_COMMENT,
    F_FOR_INFO,
    F_TITLE,
    F_SUBJECT,          /* a letter's "Subject:": the title, unless a Title says */
    F_RESPONSE,
    F_TECHNICAL,
    F_PURPOSE,
    F_DEADLINE,
    F_REPLY_BY,
    F_BODY,
    F_ATTACHMENTS,
    F_CC,
    F_RELATED,
    F_ACTION,
};

/* Labels after normalise_label(): lower case, single spaces, "(s)" gone. */
static const struct label {
    const char *name;
    enum field field;
} labels[] = {
    { "from", F_FROM },
    { "source", F_FROM },
    { "to", F_TO },
    { "for action to", F_FOR_ACTION },
    { "for comment to", F_FOR_COMMENT },
    { "for comments to", F_FOR_COMMENT },
    { "for information to", F_FOR_INFO },
    { "for info to", F_FOR_INFO },
    { "title", F_TITLE },
    { "ls title", F_TITLE },
    { "subject", F_SUBJECT },
    { "response contact", F_RESPONSE },
    { "response contacts", F_RESPONSE },
    { "send any reply ls to", F_RESPONSE },
    { "send any reply to", F_RESPONSE },
    { "send reply to", F_RESPONSE },
    { "technical contact", F_TECHNICAL },
    { "technical contacts", F_TECHNICAL },
    { "contact", F_TECHNICAL },
    { "contacts", F_TECHNICAL },
    { "contact person", F_TECHNICAL },
    { "contact persons", F_TECHNICAL },
    { "purpose", F_PURPOSE },
    { "deadline", F_DEADLINE },
    { "response deadline", F_DEADLINE },
    { "reply deadline", F_DEADLINE },
    /* The other ways templates name it.  Each says a reply is due, so a
     * date in it is the deadline; a value without a date (a body that
     * asked for the reply) gives none.  Not "Response date" nor "Reply
     * date", which may date a response itself, nor "Date". */
    { "response requested by", F_DEADLINE },
    { "reply requested by", F_DEADLINE },
    { "reply by", F_DEADLINE },
    { "respond by", F_DEADLINE },
    { "response by", F_DEADLINE },
    { "date of response requested", F_DEADLINE },
    { "requested response date", F_DEADLINE },
    { "requested reply date", F_DEADLINE },
    { "response due date", F_DEADLINE },
    { "response due", F_DEADLINE },
    { "reply due", F_DEADLINE },
    { "deadline for reply", F_DEADLINE },
    { "deadline for response", F_DEADLINE },
    { "deadline for responses", F_DEADLINE },
    { "deadline for comments", F_DEADLINE },
    { "action deadline", F_DEADLINE },
    { "due date", F_DEADLINE },
    { "please reply by", F_REPLY_BY },
    { "body", F_BODY },
    { "attachment", F_ATTACHMENTS },
    { "attachments", F_ATTACHMENTS },
    { "cc", F_CC },
    { "copy to", F_CC },
    { "referenced liaison", F_RELATED },
    { "referenced liaisons", F_RELATED },
    { "related liaison", F_RELATED },
    { "related liaisons", F_RELATED },
    { "response to", F_RELATED },
    { "in response to", F_RELATED },
    { "action", F_ACTION },
    { "submission date", F_IGNORED },
};

/* Lines inside a 3GPP "Contact Person:" block. */
enum sublabel { SUB_NONE = 0, SUB_NAME, SUB_ADDR, SUB_OTHER };

static const struct sub {
    const char *name;
    enum sublabel sub;
} sublabels[] = {
    { "name", SUB_NAME },
    { "contact name", SUB_NAME },
    { "e-mail address", SUB_ADDR },
    { "e-mail", SUB_ADDR },
    { "email", SUB_ADDR },
    { "email address", SUB_ADDR },
    { "mail", SUB_ADDR },
    { "tel", SUB_OTHER },
    { "tel.", SUB_OTHER },
    { "tel. number", SUB_OTHER },
    { "tel. no.", SUB_OTHER },
    { "telephone", SUB_OTHER },
    { "phone", SUB_OTHER },
    { "fax", SUB_OTHER },
    { "mobile", SUB_OTHER },
    { "organization", SUB_OTHER },
    { "organisation", SUB_OTHER },
    { "company", SUB_OTHER },
    { "affiliation", SUB_OTHER },
};

/* The mail header lines of an inline forwarded header ("From:", "Sent:",
 * "To:", "Subject:"), as bits: which of them a block holds tells a
 * forwarded header from a liaison form, which has From and To too. */
enum {
    HDR_FROM = 1 << 0,
    HDR_SENT = 1 << 1,
    HDR_DATE = 1 << 2,
    HDR_SUBJECT = 1 << 3,
    HDR_OTHER = 1 << 4,
    HDR_MAILBOX = 1 << 5,       /* not a line: the From line names an address */
    HDR_CLOCK = 1 << 6,         /* not a line: the Date line gives a time of day */
};

static const struct header {
    const char *name;
    unsigned bit;
} headers[] = {
    { "from", HDR_FROM },
    { "sent", HDR_SENT },
    { "date", HDR_DATE },
    { "subject", HDR_SUBJECT },
    { "to", HDR_OTHER },
    { "cc", HDR_OTHER },
    { "bcc", HDR_OTHER },
    { "reply-to", HDR_OTHER },
    { "importance", HDR_OTHER },
    { "attachments", HDR_OTHER },
};

/* A forwarded header is never longer than this many lines; the bound
 * keeps the look-ahead for one short. */
#define HEADER_LINES    16

/* ---- small helpers ---------------------------------------------------- */

/* Match pattern p against s[0..len) from offset start; TRUE on a match. */
static gboolean
match_at(enum pattern p, const char *s, size_t len, size_t start,
         pcre2_match_data *md)
{
    int rc = pcre2_match(patterns[p], (PCRE2_SPTR) s, len, start, 0, md,
                         match_limits);

    return rc > 0;
}

/* Offsets of capture group g of the last match; FALSE if it did not take
 * part in the match. */
static gboolean
group(pcre2_match_data *md, unsigned g, size_t *so, size_t *eo)
{
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);

    *so = *eo = 0;
    if (g >= pcre2_get_ovector_count(md) || ov[2 * g] == PCRE2_UNSET)
        return FALSE;
    *so = ov[2 * g];
    *eo = ov[2 * g + 1];
    return TRUE;
}

/* Whitespace as rendered HTML and word processors produce it: ASCII blanks
 * and U+00A0 NO-BREAK SPACE; returns its length in bytes, 0 if none. */
static size_t
space_len(const char *s, size_t n)
{
    if (n >= 1 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\r' ||
                   s[0] == '\n' || s[0] == '\f' || s[0] == '\v'))
        return 1;
    if (n >= 2 && (unsigned char) s[0] == 0xc2 && (unsigned char) s[1] == 0xa0)
        return 2;
    return 0;
}

/* TRUE for a control character (C0 or DEL) that is not white space:
 * ESC, BEL, backspace... act on the terminal or page that shows a field
 * instead of printing. */
static gboolean
is_control(char c)
{
    return ((unsigned char) c < 0x20 || c == 0x7F) && space_len(&c, 1) == 0;
}

/* A copy of s[0..n) with runs of whitespace made one space and control
 * characters removed, trimmed; NULL when nothing is left.  Every
 * one-line field passes here, so none holds a control character. */
static char *
collapse(const char *s, size_t n)
{
    GString *out = g_string_sized_new(n);
    gboolean pending_space = FALSE;
    size_t i = 0, k;

    while (i < n) {
        if ((k = space_len(s + i, n - i)) > 0) {
            pending_space = out->len > 0;
            i += k;
            continue;
        }
        if (is_control(s[i])) {
            i++;
            continue;
        }
        if (pending_space)
            g_string_append_c(out, ' ');
        pending_space = FALSE;
        g_string_append_c(out, s[i++]);
    }
    if (out->len == 0) {
        g_string_free(out, TRUE);
        return NULL;
    }
    return g_string_free(out, FALSE);
}

/* Values that senders write to say "no value". */
static gboolean
is_nothing(const char *s)
{
    static const char *const none[] = { "-", "--", "none", "n/a", "na", "nil",
                                        "void", "tbd", "(none)", "." };

    size_t n;

    if (s == NULL || *s == '\0')
        return TRUE;
    /* "None." ends a 3GPP ACTION sentence that asks for nothing. */
    n = strlen(s);
    if (n > 1 && s[n - 1] == '.')
        n--;
    for (size_t i = 0; i < G_N_ELEMENTS(none); i++)
        if (strlen(none[i]) == n && g_ascii_strncasecmp(s, none[i], n) == 0)
            return TRUE;
    return FALSE;
}

/* TRUE when the string array already holds s. */
static gboolean
strv_has(GPtrArray *a, const char *s)
{
    for (guint i = 0; i < a->len; i++)
        if (strcmp(g_ptr_array_index(a, i), s) == 0)
            return TRUE;
    return FALSE;
}

/* Append a copy of s[0..n) to a string list unless present or full. */
static void
strv_add(GPtrArray *a, const char *s, size_t n)
{
    char *v = collapse(s, n);

    if (v == NULL || a->len >= LIST_MAX || strv_has(a, v))
        g_free(v);
    else
        g_ptr_array_add(a, v);
}

/* Length of the list separator at p, or 0: ',' or ';', or the comma and
 * semicolon of Chinese and Japanese text (U+3001 ideographic comma,
 * U+FF0C fullwidth comma, U+FF1B fullwidth semicolon), which an IME
 * types between names. */
static size_t
item_separator(const char *p)
{
    static const char *const wide[] = { "\xE3\x80\x81", "\xEF\xBC\x8C",
        "\xEF\xBC\x9B" };

    if (*p == ',' || *p == ';')
        return 1;
    for (size_t i = 0; i < G_N_ELEMENTS(wide); i++)
        if (strncmp(p, wide[i], 3) == 0)
            return 3;
    return 0;
}

/* Call fn on each item of a list separated by ',' or ';' (or their CJK
 * forms) outside quotes, angle brackets and parentheses, so that
 * "\"Doe, J\" <j@x>" is one item. */
static void
split_items(const char *s, void (*fn)(const char *, size_t, void *), void *arg)
{
    const char *start = s;
    gboolean quoted = FALSE;
    int angle = 0, paren = 0;
    size_t sep;

    for (const char *p = s;; p++) {
        sep = 0;
        if (*p == '\0' || (!quoted && angle == 0 && paren == 0 &&
                           (sep = item_separator(p)) > 0)) {
            fn(start, (size_t) (p - start), arg);
            if (*p == '\0')
                break;
            p += sep - 1;
            start = p + 1;
            continue;
        }
        if (*p == '\\' && quoted && p[1] != '\0')
            p++;
        else if (*p == '"')
            quoted = !quoted;
        else if (!quoted && *p == '<')
            angle++;
        else if (!quoted && *p == '>' && angle > 0)
            angle--;
        else if (!quoted && *p == '(')
            paren++;
        else if (!quoted && *p == ')' && paren > 0)
            paren--;
        /* The fullwidth parentheses of Chinese and Japanese text
         * (U+FF08, U+FF09), around an affiliation that may hold an
         * ideographic comma. */
        else if (!quoted && strncmp(p, "\xEF\xBC\x88", 3) == 0) {
            paren++;
            p += 2;
        } else if (!quoted && strncmp(p, "\xEF\xBC\x89", 3) == 0 && paren > 0) {
            paren--;
            p += 2;
        }
    }
}

/* split_items() callback adding each item to a string list. */
static void
add_item(const char *s, size_t n, void *arg)
{
    strv_add(arg, s, n);
}

/* Lower-case label words with single spaces and no "(s)", for lookup. */
static char *
normalise_label(const char *s, size_t n)
{
    char *c = collapse(s, n);
    char *p;

    if (c == NULL)
        return g_strdup("");
    while ((p = strstr(c, "(s)")) != NULL || (p = strstr(c, "(S)")) != NULL)
        memmove(p, p + 3, strlen(p + 3) + 1);
    g_strchomp(c);
    for (p = c; *p; p++)
        *p = g_ascii_tolower(*p);
    return c;
}

/* The field a normalised label fills, F_NONE when unknown. */
static enum field
label_field(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(labels); i++)
        if (strcmp(labels[i].name, name) == 0)
            return labels[i].field;
    return F_NONE;
}

/* The contact-block role of a normalised label. */
static enum sublabel
label_sub(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(sublabels); i++)
        if (strcmp(sublabels[i].name, name) == 0)
            return sublabels[i].sub;
    return SUB_NONE;
}

/* ---- init ------------------------------------------------------------- */

/* Compile every pattern; on failure remember why for envelope_init(). */
static gboolean
compile_all(void)
{
    for (int p = 0; p < PAT_COUNT; p++) {
        int code;
        PCRE2_SIZE off;
        guint32 opt = (pattern_caseless & (1u << p)) ? PCRE2_CASELESS : 0;

        if (pattern_utf & (1u << p))
            opt |= PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;

        patterns[p] = pcre2_compile((PCRE2_SPTR) pattern_source[p],
                                    PCRE2_ZERO_TERMINATED, opt, &code, &off,
                                    NULL);
        if (patterns[p] == NULL) {
            PCRE2_UCHAR msg[256];

            pcre2_get_error_message(code, msg, sizeof msg);
            init_error = g_strdup_printf("envelope pattern %d at %zu: %s",
                                         p, (size_t) off, (char *) msg);
            return FALSE;
        }
    }
    match_limits = pcre2_match_context_create(NULL);
    if (match_limits == NULL) {
        init_error = g_strdup("envelope: out of memory");
        return FALSE;
    }
    pcre2_set_match_limit(match_limits, 1000000);
    pcre2_set_depth_limit(match_limits, 10000);
    return TRUE;
}

/* Compile the patterns once; safe to call again and from any thread. */
gboolean
envelope_init(GError **err)
{
    if (g_once_init_enter(&init_done)) {
        init_ok = compile_all();
        g_once_init_leave(&init_done, 1);
    }
    if (!init_ok)
        g_set_error(err, g_quark_from_static_string("envelope"), 1, "%s",
                    init_error);
    return init_ok;
}

/* ---- objects ---------------------------------------------------------- */

/* Allocate an empty envelope whose lists own their elements. */
struct envelope *
envelope_new(void)
{
    struct envelope *env = g_new0(struct envelope, 1);

    env->to_list = g_ptr_array_new_with_free_func(g_free);
    env->info_to = g_ptr_array_new_with_free_func(g_free);
    env->cc = g_ptr_array_new_with_free_func(contact_free);
    env->response_contacts = g_ptr_array_new_with_free_func(contact_free);
    env->technical_contacts = g_ptr_array_new_with_free_func(contact_free);
    env->other_identifiers = g_ptr_array_new_with_free_func(g_free);
    env->related = g_ptr_array_new_with_free_func(g_free);
    env->references = g_ptr_array_new_with_free_func(g_free);
    return env;
}

/* Free an envelope and everything it holds. */
void
envelope_free(struct envelope *env)
{
    if (env == NULL)
        return;
    g_free(env->title);
    g_free(env->from_body);
    g_free(env->to_body);
    g_free(env->deadline);
    g_free(env->body);
    g_ptr_array_unref(env->to_list);
    g_ptr_array_unref(env->info_to);
    g_ptr_array_unref(env->cc);
    g_ptr_array_unref(env->response_contacts);
    g_ptr_array_unref(env->technical_contacts);
    g_ptr_array_unref(env->other_identifiers);
    g_ptr_array_unref(env->related);
    g_ptr_array_unref(env->references);
    g_free(env);
}

/* A new contact; the address is lower-cased. */
struct contact *
contact_new(const char *name, const char *addr)
{
    struct contact *c = g_new0(struct contact, 1);

    c->name = name && *name ? g_strdup(name) : NULL;
    /* Lower case in UTF-8 where it is valid: "ZOË@X" and "zoë@x" are one
     * contact. */
    c->addr = addr && *addr ? (g_utf8_validate(addr, -1, NULL) ? g_utf8_strdown(addr, -1)
                                                                : g_ascii_strdown(addr, -1))
                            : NULL;
    return c;
}

/* Free a contact (a GDestroyNotify for the contact lists). */
void
contact_free(gpointer p)
{
    struct contact *c = p;

    if (c == NULL)
        return;
    g_free(c->name);
    g_free(c->addr);
    g_free(c);
}

/* ---- purpose ---------------------------------------------------------- */

/* The name stored and shown for a purpose. */
const char *
purpose_name(enum purpose p)
{
    switch (p) {
    case PURPOSE_INFORMATION: return "information";
    case PURPOSE_COMMENT:     return "comment";
    case PURPOSE_ACTION:      return "action";
    case PURPOSE_RESPONSE:    return "response";
    case PURPOSE_NONE:        break;
    }
    return NULL;
}

/* Whether the word w[0..n) is one of a list, ignoring case. */
static gboolean
word_in(const char *w, size_t n, const char *const *list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (strlen(list[i]) == n && g_ascii_strncasecmp(w, list[i], n) == 0)
            return TRUE;
    return FALSE;
}

/* A purpose is a few words; later words are prose, not the purpose. */
#define PURPOSE_WORDS   8

/* Read a purpose as written.  Every word that names one counts unless a
 * negation comes a word or two before it ("No action required, for
 * information only", "Not for action; for information"), and of those
 * left the one that asks most of us wins, so that an action request is
 * tickled however it is phrased ("For information and action"): action,
 * then comment, then a response (tickled only with a deadline), then
 * information.  "Response requested" asks for action; a response is only
 * "In Response (to)", "Response to" or the word alone. */
enum purpose
purpose_parse(const char *s)
{
    static const struct {
        const char *word;
        enum purpose p;
    } words[] = {
        { "action", PURPOSE_ACTION },
        { "actions", PURPOSE_ACTION },
        { "comment", PURPOSE_COMMENT },
        { "comments", PURPOSE_COMMENT },
        { "information", PURPOSE_INFORMATION },
        { "info", PURPOSE_INFORMATION },
        { "informational", PURPOSE_INFORMATION },
        { "informative", PURPOSE_INFORMATION },
        { "response", PURPOSE_RESPONSE },
        { "reply", PURPOSE_RESPONSE },
    };
    static const char *const negations[] = { "no", "not", "without", "none" };
    static const char *const requested[] = { "requested", "required",
                                             "expected" };
    static const char *const either[] = { "or", "nor" };
    static const char *const copulas[] = { "is", "are" };
    static const int rank[] = {
        [PURPOSE_NONE] = 0, [PURPOSE_INFORMATION] = 1,
        [PURPOSE_RESPONSE] = 2, [PURPOSE_COMMENT] = 3, [PURPOSE_ACTION] = 4,
    };
    /* One more word than is read, to see what follows "response". */
    struct {
        const char *s;
        size_t n;
        gboolean clause;        /* sentence punctuation before it */
        gboolean slash;         /* "action/comment": a slash before it */
    } w[PURPOSE_WORDS + 1];
    enum purpose best = PURPOSE_NONE;
    const char *p = s;
    size_t nw = 0;
    int reach = 0;              /* words a negation still reaches */
    gboolean denied = FALSE;    /* the previous word was a negated purpose */

    if (s == NULL)
        return PURPOSE_NONE;
    while (*p && nw < G_N_ELEMENTS(w)) {
        gboolean clause = FALSE, slash = FALSE;

        /* Digits ("3GPP"), hyphens and slashes join words of a clause;
         * sentence punctuation ends it. */
        while (*p && !g_ascii_isalpha(*p)) {
            if (strchr(",;:.!?()[]", *p) != NULL)
                clause = TRUE;
            slash |= *p == '/';
            p++;
        }
        w[nw].s = p;
        while (g_ascii_isalpha(*p))
            p++;
        w[nw].n = (size_t) (p - w[nw].s);
        w[nw].clause = clause;
        w[nw].slash = slash;
        if (w[nw].n == 0)
            break;
        nw++;
    }

    for (size_t i = 0; i < nw && i < PURPOSE_WORDS; i++) {
        enum purpose found = PURPOSE_NONE;

        /* "No action required, for information": a negation does not
         * reach past punctuation into the next clause. */
        if (w[i].clause)
            reach = 0;
        else if (denied && w[i].slash)
            reach = 1;          /* "No action/comment": a slash is "or" */
        if (word_in(w[i].s, w[i].n, negations, G_N_ELEMENTS(negations))) {
            reach = 2;
            denied = FALSE;
            continue;
        }
        for (size_t k = 0; k < G_N_ELEMENTS(words); k++)
            if (strlen(words[k].word) == w[i].n &&
                g_ascii_strncasecmp(w[i].s, words[k].word, w[i].n) == 0)
                found = words[k].p;
        if (found == PURPOSE_NONE) {
            /* "No action or comment": the negation runs on over "or". */
            if (denied && !w[i].clause &&
                word_in(w[i].s, w[i].n, either, G_N_ELEMENTS(either)))
                reach = 2;
            else if (reach > 0)
                reach--;
            denied = FALSE;
            continue;
        }
        if (reach > 0) {
            reach = 0;
            denied = TRUE;
            continue;
        }
        denied = FALSE;
        /* "Action not required", "Response is not expected": a negation
         * right after the word, in the same clause, denies it too. */
        {
            size_t j = i + 1;

            if (j < nw && !w[j].clause && word_in(w[j].s, w[j].n, copulas, G_N_ELEMENTS(copulas)))
                j++;
            if (j < nw && !w[j].clause
                && word_in(w[j].s, w[j].n, negations, G_N_ELEMENTS(negations)))
                continue;
        }
        if (found == PURPOSE_RESPONSE && i + 1 < nw && !w[i + 1].clause &&
            word_in(w[i + 1].s, w[i + 1].n, requested, G_N_ELEMENTS(requested)))
            found = PURPOSE_ACTION;
        if (rank[found] > rank[best])
            best = found;
    }
    return best;
}

/* ---- dates ------------------------------------------------------------ */

/* Month number from a name or abbreviation ("Sept.", "March"). */
static int
month_number(const char *s, size_t n)
{
    static const char *const names[] = { "jan", "feb", "mar", "apr", "may",
        "jun", "jul", "aug", "sep", "oct", "nov", "dec" };

    if (n < 3)
        return 0;
    for (int i = 0; i < 12; i++)
        if (g_ascii_strncasecmp(s, names[i], 3) == 0)
            return i + 1;
    return 0;
}

/* Integer value of the decimal digits s[so..eo). */
static int
number(const char *s, size_t so, size_t eo)
{
    int v = 0;

    for (size_t i = so; i < eo && v < 100000; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* Find the first valid date in s[0..len); writes "YYYY-MM-DD". */
static gboolean
find_date(const char *s, size_t len, char out[11], pcre2_match_data *md)
{
    size_t start = 0;

    while (start < len && match_at(PAT_DATE, s, len, start, md)) {
        size_t so, eo, so2, eo2;
        int d = 0, m = 0, m2 = 0, y = 0;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);

        if (group(md, 1, &so, &eo)) {
            y = number(s, so, eo);
            group(md, 2, &so, &eo);
            m = number(s, so, eo);
            group(md, 3, &so, &eo);
            d = number(s, so, eo);
        } else if (group(md, 4, &so, &eo)) {
            d = number(s, so, eo);
            group(md, 5, &so, &eo);
            m = month_number(s + so, eo - so);
            if (group(md, 6, &so2, &eo2))
                m2 = month_number(s + so2, eo2 - so2);
            group(md, 7, &so, &eo);
            y = number(s, so, eo);
        } else if (group(md, 8, &so, &eo)) {
            m = month_number(s + so, eo - so);
            group(md, 9, &so, &eo);
            d = number(s, so, eo);
            if (group(md, 10, &so2, &eo2))
                m2 = month_number(s + so2, eo2 - so2);
            group(md, 11, &so, &eo);
            y = number(s, so, eo);
        } else if (group(md, 12, &so, &eo) && group(md, 14, &so2, &eo2)) {
            int a = number(s, so, eo), b = number(s, so2, eo2);
            size_t sep, sepe;

            group(md, 13, &sep, &sepe);
            group(md, 15, &so, &eo);
            y = number(s, so, eo);
            /* Dots are day-first everywhere; with slashes only an
             * unambiguous order is trusted, a wrong deadline being worse
             * than a missing one. */
            if (s[sep] == '.' || a > 12) {
                d = a;
                m = b;
            } else if (b > 12) {
                m = a;
                d = b;
            }
        }
        /* The year written is the range's last day's: a range from
         * December into January starts in the year before.  Any other
         * range that ends before it starts is a slip, and no date. */
        if (m2 != 0 && m2 < m) {
            if (m == 12 && m2 == 1)
                y--;
            else
                m = 0;
        }
        if (y >= 1900 && y <= 2200 && m >= 1 && m <= 12 && d >= 1 &&
            d <= 31 && g_date_valid_dmy((GDateDay) d, (GDateMonth) m,
                                        (GDateYear) y)) {
            g_snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
            return TRUE;
        }
        /* Retry past the start of this match: a later date may be valid. */
        start = ov[0] + 1;
    }
    return FALSE;
}

/* Parse a date in any layout senders use into "YYYY-MM-DD". */
gboolean
envelope_parse_date(const char *s, char out[11])
{
    pcre2_match_data *md;
    gboolean ok;
    size_t len;

    if (s == NULL || !envelope_init(NULL))
        return FALSE;
    len = strlen(s);
    if (len > LINE_MAX_LABEL)
        return FALSE;
    md = pcre2_match_data_create(16, NULL);
    ok = find_date(s, len, out, md);
    pcre2_match_data_free(md);
    return ok;
}

/* ---- contacts --------------------------------------------------------- */

struct contact_split {
    GPtrArray *out;
    pcre2_match_data *md;
    GPtrArray *pending;         /* char*: items without an address yet */
    guint added;
};

/* Add a contact unless the list already has it (same address, or same
 * name when there is no address) or is full. */
static void
contact_add(struct contact_split *cs, const char *name, const char *addr)
{
    struct contact *n;

    if (cs->added >= LIST_MAX || (name == NULL && addr == NULL))
        return;
    n = contact_new(name, addr);        /* its address lower-cased, to compare */
    for (guint i = 0; i < cs->out->len; i++) {
        struct contact *c = g_ptr_array_index(cs->out, i);

        if ((n->addr && c->addr && strcmp(n->addr, c->addr) == 0)
            || (!n->addr && !c->addr && name && c->name && strcmp(name, c->name) == 0)) {
            contact_free(n);
            return;
        }
    }
    g_ptr_array_add(cs->out, n);
    cs->added++;
}

/* Whether a contact name is an office or a body ("Chair SG15", "Q4/15
 * Rapporteur", "SG15"), not a person. */
static gboolean
is_role(const char *name, pcre2_match_data *md)
{
    return name != NULL && match_at(PAT_ROLE, name, strlen(name), 0, md);
}

/* Whether a name is a single word that may be half of an unquoted "Last,
 * First": no blank, no digit ("3GPP", "SG15"), no office ("Editor"). */
static gboolean
one_word(const char *name, pcre2_match_data *md)
{
    for (const char *p = name; *p != '\0'; p++)
        if (*p == ' ' || g_ascii_isdigit(*p))
            return FALSE;
    return !is_role(name, md);
}

/* Make pending address-less items contacts of their own ("TSG CT WG4"). */
static void
flush_pending(struct contact_split *cs)
{
    for (guint i = 0; i < cs->pending->len; i++)
        contact_add(cs, g_ptr_array_index(cs->pending, i), NULL);
    g_ptr_array_set_size(cs->pending, 0);
}

/* The pending item that names an address given without a name of its own
 * (ITU "Name, Org, Country, E-mail: addr"): the first, which is the name,
 * unless it is an office ("Chair SG15, Greta Jonsson, E-mail: addr"). */
static const char *
pending_name(struct contact_split *cs)
{
    for (guint i = 0; i < cs->pending->len; i++)
        if (!is_role(g_ptr_array_index(cs->pending, i), cs->md))
            return g_ptr_array_index(cs->pending, i);
    return g_ptr_array_index(cs->pending, 0);
}

/* Whether UTF-8 text holds a letter of any script: a name does, a phone
 * number ("+41 22 730 0000", a contact cell's line of its own) does not. */
static gboolean
has_letter(const char *s)
{
    if (!g_utf8_validate(s, -1, NULL)) {
        for (; *s; s++)
            if (g_ascii_isalpha(*s) || (unsigned char) *s >= 0x80)
                return TRUE;
        return FALSE;
    }
    for (; *s; s = g_utf8_next_char(s))
        if (g_unichar_isalpha(g_utf8_get_char(s)))
            return TRUE;
    return FALSE;
}

/* A display name out of s[0..n): quotes and brackets dropped, cut at the
 * first "E-mail:"/"Tel:" sub-label (*cut says whether there was one); NULL
 * unless it looks like a name. */
static char *
clean_name_cut(const char *s, size_t n, pcre2_match_data *md, gboolean *cut)
{
    /* Word processors' quotes, which are never part of a name either. */
    static const char *const quotes[] = { "\xE2\x80\x9C", "\xE2\x80\x9D",
                                          "\xE2\x80\x9E", "\xC2\xAB",
                                          "\xC2\xBB" };
    char *c, *p;

    *cut = FALSE;
    if (match_at(PAT_SUBLABEL, s, n, 0, md)) {
        size_t so, eo;

        group(md, 0, &so, &eo);
        n = so;
        *cut = TRUE;
    }
    c = collapse(s, n);
    if (c == NULL)
        return NULL;
    for (p = c; *p; p++) {
        if (*p == '"' || *p == '<' || *p == '>' || *p == '(' || *p == ')') {
            *p = ' ';
            continue;
        }
        for (size_t q = 0; q < G_N_ELEMENTS(quotes); q++) {
            size_t k = strlen(quotes[q]);

            if (strncmp(p, quotes[q], k) == 0) {
                memset(p, ' ', k);
                p += k - 1;
                break;
            }
        }
    }
    p = collapse(c, strlen(c));
    g_free(c);
    if (p == NULL)
        return NULL;
    /* Trailing separators left by "Name," or "Name -". */
    for (size_t k = strlen(p); k > 0 && strchr(",;:-", p[k - 1]); k--)
        p[k - 1] = '\0';
    g_strchomp(p);
    if (*p == '\0' || strchr(p, '@') || strchr(p, ':') || !has_letter(p)) {
        g_free(p);
        return NULL;
    }
    return p;
}

/* clean_name_cut() for text where a sub-label does not matter. */
static char *
clean_name(const char *s, size_t n, pcre2_match_data *md)
{
    gboolean cut;

    return clean_name_cut(s, n, md, &cut);
}

/* Whether c is a blank in a contact list. */
static gboolean
list_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Cut the text between two addresses of one item, s[from..to), into the
 * first person's and the second's: *end is where the first's ends, *next
 * where the second's starts.  " and ", "&" or "/" outside brackets and
 * quotes separates them and belongs to neither ("A (a@x) and B (b@y)",
 * "a@x / b@y"); without one, the first keeps its closing bracket and a
 * "(Name)" after it ("A <a@x> B <b@y>", "a@x (A) b@y (B)"). */
static void
cut_between(const char *s, size_t from, size_t to, size_t *end, size_t *next)
{
    gboolean quoted = FALSE;
    int depth = 0;
    size_t i;

    for (i = from; i < to; i++) {
        char c = s[i];

        if (c == '"')
            quoted = !quoted;
        else if (quoted)
            continue;
        else if (c == '<' || c == '(' || c == '[')
            depth++;
        else if (c == '>' || c == ')' || c == ']')
            depth = depth > 0 ? depth - 1 : 0;  /* the first address's own */
        else if (depth > 0)
            continue;
        else if (c == '&' || c == '/') {
            *end = i;
            *next = i + 1;
            return;
        } else if (i > from && list_blank(s[i - 1]) && i + 3 < to &&
                   g_ascii_strncasecmp(s + i, "and", 3) == 0 &&
                   list_blank(s[i + 3])) {
            *end = i;
            *next = i + 3;
            return;
        }
    }
    i = from;
    while (i < to && (list_blank(s[i]) || s[i] == '>' || s[i] == ')' ||
                      s[i] == ']'))
        i++;
    if (i < to && s[i] == '(') {
        const char *close = memchr(s + i, ')', to - i);

        if (close != NULL)
            i = (size_t) (close + 1 - s);
    }
    *end = *next = i;
}

/* Add the contact of one address, s[aso..aeo) (its match, with any
 * "mailto:", is s[so..eo)), named by the text of s[0..n), which is its
 * own: the part of an item that is this person's. */
static void
address_contact(struct contact_split *cs, const char *s, size_t n,
                size_t so, size_t eo, size_t aso, size_t aeo)
{
    pcre2_match_data *md = cs->md;
    const char *lt, *gt;
    char *addr, *name = NULL;

    addr = g_strndup(s + aso, aeo - aso);
    /* "Name <addr>": the item carries its own name, so earlier address-less
     * items were names of their own. */
    lt = memchr(s, '<', n);
    gt = lt ? memchr(lt, '>', n - (size_t) (lt - s)) : NULL;
    if (lt && gt && (size_t) (lt - s) <= so && (size_t) (gt - s) >= eo) {
        name = clean_name(s, (size_t) (lt - s), md);
        if (name == NULL)
            name = clean_name(gt + 1, n - (size_t) (gt + 1 - s), md);
    } else {
        /* "Name addr", "addr (Name)", "E-mail: addr" after "Name, Org".
         * Words before "Tel:"/"E-mail:" that follow "Name, Org," are the
         * country, not the name. */
        gboolean cut;

        name = clean_name_cut(s, so, md, &cut);
        if (cut && cs->pending->len > 0)
            g_clear_pointer(&name, g_free);
        else if (name == NULL && !cut)
            name = clean_name(s + eo, n - eo, md);
    }
    if (name != NULL) {
        guint last = cs->pending->len;

        /* An unquoted "Jonsson, Greta <addr>" was split at its comma: a
         * single word just before a single-word name is the surname. */
        if (last > 0 && one_word(name, md) &&
            one_word(g_ptr_array_index(cs->pending, last - 1), md)) {
            char *whole = g_strconcat(g_ptr_array_index(cs->pending, last - 1),
                                      ", ", name, NULL);

            g_free(name);
            name = whole;
            g_ptr_array_remove_index(cs->pending, last - 1);
        }
        flush_pending(cs);
    } else if (cs->pending->len > 0) {
        /* ITU "Name, Org, Country, E-mail: addr": the name comes first,
         * the rest describes the person. */
        name = g_strdup(pending_name(cs));
        g_ptr_array_set_size(cs->pending, 0);
    }
    contact_add(cs, name, addr);
    g_free(name);
    g_free(addr);
}

/* split_items() callback: one item of a contact list.  An item may name
 * several people ("A (a@x) and B (b@y)", "a@x / b@y"): each address is a
 * contact, named by the text before (or after) it that is its own. */
static void
contact_item(const char *s, size_t n, void *arg)
{
    struct contact_split *cs = arg;
    struct {
        size_t so, eo, aso, aeo;
    } at[LIST_MAX];
    guint count = 0;
    size_t start = 0, seg = 0;

    if (n > LINE_MAX_LABEL)
        return;
    /* Every address first: naming them reuses the match data. */
    while (count < LIST_MAX && start < n &&
           match_at(PAT_ADDR, s, n, start, cs->md)) {
        group(cs->md, 0, &at[count].so, &at[count].eo);
        group(cs->md, 1, &at[count].aso, &at[count].aeo);
        start = at[count++].eo;
    }
    if (count == 0) {
        char *item = clean_name(s, n, cs->md);

        if (item && cs->pending->len < LIST_MAX)
            g_ptr_array_add(cs->pending, item);
        else
            g_free(item);
        return;
    }
    for (guint i = 0; i < count; i++) {
        size_t end = n, next = n;

        if (i + 1 < count)
            cut_between(s, at[i].eo, at[i + 1].so, &end, &next);
        address_contact(cs, s + seg, end - seg, at[i].so - seg,
                        at[i].eo - seg, at[i].aso - seg, at[i].aeo - seg);
        seg = next;
    }
}

/* Contact list parser sharing the caller's match data.  A list of people
 * (response and technical contacts, not a Cc, where an office such as "IAB
 * Chair" is an addressee) drops the offices without an address that
 * describe someone it names: "Greta Jonsson <addr>, Chair SG15".  An
 * office that is all the list holds is kept: it is all the sender gave. */
static void
parse_contacts(const char *s, GPtrArray *out, pcre2_match_data *md,
               gboolean people)
{
    struct contact_split cs = { out, md, NULL, 0 };
    guint first = out->len;
    gboolean someone = FALSE;

    if (s == NULL)
        return;
    cs.pending = g_ptr_array_new_with_free_func(g_free);
    split_items(s, contact_item, &cs);
    flush_pending(&cs);
    g_ptr_array_unref(cs.pending);
    if (!people)
        return;
    for (guint i = first; i < out->len && !someone; i++) {
        struct contact *c = g_ptr_array_index(out, i);

        someone = c->addr != NULL || !is_role(c->name, md);
    }
    for (guint i = out->len; someone && i > first; i--) {
        struct contact *c = g_ptr_array_index(out, i - 1);

        if (c->addr == NULL && is_role(c->name, md))
            g_ptr_array_remove_index(out, i - 1);
    }
}

/* Split a contact list ("A <a@x>, B <b@y>; c@z") into struct contact*. */
void
envelope_parse_contacts(const char *s, GPtrArray *out)
{
    pcre2_match_data *md;

    if (s == NULL || out == NULL || !envelope_init(NULL))
        return;
    md = pcre2_match_data_create(16, NULL);
    parse_contacts(s, out, md, TRUE);
    pcre2_match_data_free(md);
}

/* ---- scanning --------------------------------------------------------- */

enum mode {
    MODE_FIELDS,        /* reading labels */
    MODE_BODY,          /* after "Body:", until "Attachments:" */
    MODE_ATTACH,        /* the attachment list: indented or blank lines */
    MODE_SKIP,          /* an inline forwarded header block, until blank */
};

struct scan {
    struct envelope *env;
    pcre2_match_data *md;
    int labels;
    enum mode mode;

    /* List fields are filled only when empty as the scan began; scalar
     * fields are checked for NULL as they are set, so the first wins. */
    gboolean want_to_list, want_info, want_cc, want_response, want_technical,
             want_ids, want_related, want_refs;

    /* The value being read, possibly over folded lines. */
    enum field pending;
    GString *value;

    /* A 3GPP "Contact Person:" block of "Name:" / "E-mail Address:" lines. */
    enum field block;           /* F_NONE, F_TECHNICAL or F_RESPONSE */
    /* A contact label without value that an empty line ended: html.c's
     * rendering of "Contact Person:" beside an empty cell, whose block
     * of "Name:" rows may follow (F_NONE, F_TECHNICAL or F_RESPONSE). */
    enum field open_contact;
    char *block_name;
    char *block_addr;

    GString *body;
    gboolean saw_to;            /* an explicit "To:" label */
    GString *for_action, *for_comment, *for_info;

    /* Lines before this one were looked at as a possible forwarded header
     * (forward_header()) and are not looked at again. */
    const char *examined;

    /* Several lines can state a purpose or deadline; the strongest wins. */
    enum purpose purpose_label, purpose_for, purpose_action;
    char deadline[11];
    int deadline_rank;          /* 3 label, 2 "Please reply by", 1 ACTION */
    /* The first "Subject:", the title when no "Title:" follows it. */
    char *subject;
};

/* Offer a deadline found with the given rank of trust. */
static void
offer_deadline(struct scan *sc, const char *date, int rank)
{
    if (rank > sc->deadline_rank) {
        memcpy(sc->deadline, date, 11);
        sc->deadline_rank = rank;
    }
}

/* Keep every URL of a related-liaison value, or the text if it has none. */
static void
add_related(struct scan *sc, const char *v)
{
    size_t len = strlen(v), start = 0, so, eo;
    gboolean any = FALSE;

    while (start < len && match_at(PAT_URL, v, len, start, sc->md)) {
        group(sc->md, 0, &so, &eo);
        start = eo;
        /* Sentence punctuation after a URL is not part of it. */
        while (eo > so && strchr(".,;:!?", v[eo - 1]))
            eo--;
        strv_add(sc->env->related, v + so, eo - so);
        any = TRUE;
    }
    if (!any)
        strv_add(sc->env->related, v, len);
}

/* Append the entries of an addressee list to a string list. */
static void
add_addressees(GPtrArray *list, const char *v)
{
    split_items(v, add_item, list);
}

/* Append ", "-joined text to an accumulator. */
static void
join(GString *acc, const char *v)
{
    if (acc->len + strlen(v) + 2 >= VALUE_MAX)
        return;
    if (acc->len > 0)
        g_string_append(acc, ", ");
    g_string_append(acc, v);
}

/* Store the value read for the pending field, now that it is complete. */
static void
commit_pending(struct scan *sc)
{
    struct envelope *env = sc->env;
    enum field f = sc->pending;
    char date[11];
    char *v;

    sc->pending = F_NONE;
    if (f == F_NONE)
        return;
    v = collapse(sc->value->str, sc->value->len);
    g_string_truncate(sc->value, 0);
    /* A list cut short ("To: A WG," then a quote) keeps no dangling comma. */
    if (v != NULL) {
        size_t k = strlen(v);

        while (k > 0 && (v[k - 1] == ',' || v[k - 1] == ';' || v[k - 1] == ' '))
            v[--k] = '\0';
    }
    if (v == NULL || is_nothing(v)) {
        g_free(v);
        return;
    }
    switch (f) {
    case F_TITLE:
        if (env->title == NULL)
            env->title = g_steal_pointer(&v);
        break;
    case F_SUBJECT:
        if (sc->subject == NULL)
            sc->subject = g_steal_pointer(&v);
        break;
    case F_FROM:
        if (env->from_body == NULL)
            env->from_body = g_steal_pointer(&v);
        break;
    case F_TO:
        sc->saw_to = TRUE;
        if (sc->want_to_list)
            add_addressees(env->to_list, v);
        if (env->to_body == NULL)
            env->to_body = g_steal_pointer(&v);
        break;
    case F_FOR_ACTION:
        join(sc->for_action, v);
        break;
    case F_FOR_COMMENT:
        join(sc->for_comment, v);
        break;
    case F_FOR_INFO:
        join(sc->for_info, v);
        break;
    case F_CC:
        if (sc->want_cc)
            parse_contacts(v, env->cc, sc->md, FALSE);
        break;
    case F_RESPONSE:
        if (sc->want_response)
            parse_contacts(v, env->response_contacts, sc->md, TRUE);
        break;
    case F_TECHNICAL:
        if (sc->want_technical)
            parse_contacts(v, env->technical_contacts, sc->md, TRUE);
        break;
    case F_PURPOSE:
        if (sc->purpose_label == PURPOSE_NONE)
            sc->purpose_label = purpose_parse(v);
        break;
    case F_DEADLINE:
        if (find_date(v, strlen(v), date, sc->md))
            offer_deadline(sc, date, 3);
        break;
    case F_REPLY_BY:
        if (find_date(v, strlen(v), date, sc->md))
            offer_deadline(sc, date, 2);
        break;
    case F_ACTION:
        sc->purpose_action = PURPOSE_ACTION;
        if (find_date(v, strlen(v), date, sc->md))
            offer_deadline(sc, date, 1);
        break;
    case F_RELATED:
        if (sc->want_related)
            add_related(sc, v);
        break;
    case F_NONE:
    case F_IGNORED:
    case F_BODY:
    case F_ATTACHMENTS:
        break;
    }
    g_free(v);
}

/* Emit the contact of a finished "Contact Person:" block. */
static void
commit_block(struct scan *sc)
{
    GPtrArray *list = NULL;

    if (sc->block == F_TECHNICAL && sc->want_technical)
        list = sc->env->technical_contacts;
    else if (sc->block == F_RESPONSE && sc->want_response)
        list = sc->env->response_contacts;
    if (list && (sc->block_name || sc->block_addr) && list->len < LIST_MAX)
        g_ptr_array_add(list, contact_new(sc->block_name, sc->block_addr));
    g_clear_pointer(&sc->block_name, g_free);
    g_clear_pointer(&sc->block_addr, g_free);
    sc->block = F_NONE;
}

/* Handle one line of a contact block; FALSE if the line ends the block. */
static gboolean
block_line(struct scan *sc, enum sublabel sub, const char *v, size_t vn)
{
    size_t so, eo;

    switch (sub) {
    case SUB_NAME:
        /* A second person starts after the first one is complete. */
        if (sc->block_name && sc->block_addr) {
            enum field f = sc->block;

            commit_block(sc);
            sc->block = f;
        }
        if (sc->block_name == NULL)
            sc->block_name = collapse(v, vn);
        return TRUE;
    case SUB_ADDR:
        if (sc->block_addr == NULL && match_at(PAT_ADDR, v, vn, 0, sc->md)) {
            group(sc->md, 1, &so, &eo);
            sc->block_addr = g_utf8_validate(v + so, (gssize) (eo - so), NULL)
                ? g_utf8_strdown(v + so, (gssize) (eo - so))
                : g_ascii_strdown(v + so, (gssize) (eo - so));
        }
        return TRUE;
    case SUB_OTHER:
        return TRUE;
    case SUB_NONE:
        break;
    }
    return FALSE;
}

/* Add the document names and identifiers a line mentions. */
static void
scan_names(struct scan *sc, const char *line, size_t len, gboolean ids)
{
    static const enum pattern ref_patterns[] = { PAT_DRAFT, PAT_TR };
    size_t next_so[G_N_ELEMENTS(ref_patterns)], next_eo[G_N_ELEMENTS(ref_patterns)];
    size_t start, so, eo;

    if (sc->want_refs && sc->env->references->len < LIST_MAX) {
        /* Merge the matches of both patterns in order of appearance; each
         * pattern's next match is remembered so that no part of the line
         * is searched twice by the same pattern. */
        for (size_t i = 0; i < G_N_ELEMENTS(ref_patterns); i++) {
            next_so[i] = next_eo[i] = len;
            if (match_at(ref_patterns[i], line, len, 0, sc->md))
                group(sc->md, 0, &next_so[i], &next_eo[i]);
        }
        for (;;) {
            size_t best = 0;

            for (size_t i = 1; i < G_N_ELEMENTS(ref_patterns); i++)
                if (next_so[i] < next_so[best])
                    best = i;
            if (next_so[best] >= len ||
                sc->env->references->len >= LIST_MAX)
                break;
            strv_add(sc->env->references, line + next_so[best],
                     next_eo[best] - next_so[best]);
            start = next_eo[best];
            next_so[best] = next_eo[best] = len;
            if (start < len &&
                match_at(ref_patterns[best], line, len, start, sc->md))
                group(sc->md, 0, &next_so[best], &next_eo[best]);
        }
    }
    if (ids && sc->want_ids) {
        start = 0;
        while (start < len && sc->env->other_identifiers->len < LIST_MAX &&
               match_at(PAT_TDOC, line, len, start, sc->md)) {
            group(sc->md, 0, &so, &eo);
            strv_add(sc->env->other_identifiers, line + so, eo - so);
            start = eo;
        }
    }
}

/* Start reading a recognised label's value. */
static void
start_label(struct scan *sc, enum field f, const char *v, size_t vn)
{
    sc->labels++;
    switch (f) {
    case F_BODY:
        sc->mode = MODE_BODY;
        g_string_truncate(sc->body, 0);
        if (vn > 0)
            g_string_append_len(sc->body, v, (gssize) vn);
        return;
    case F_ATTACHMENTS:
        sc->mode = MODE_ATTACH;
        return;
    case F_IGNORED:
        return;
    default:
        sc->pending = f;
        g_string_assign(sc->value, "");
        g_string_append_len(sc->value, v, (gssize) MIN(vn, VALUE_MAX));
        return;
    }
}

/* Whether a line starts with a blank (a folded continuation). */
static gboolean
indented(const char *line, size_t len)
{
    return space_len(line, len) > 0;
}

/* Whether a line holds nothing but whitespace. */
static gboolean
blank(const char *line, size_t len)
{
    size_t i = 0, k;

    while (i < len && (k = space_len(line + i, len - i)) > 0)
        i += k;
    return i == len;
}

/* Whether a line is quoted reply text ("> From: ..."). */
static gboolean
quoted(const char *line, size_t len)
{
    size_t i = 0;

    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    return i < len && line[i] == '>';
}

/* The start of the line after line[0..len), a line of the NUL-terminated
 * text being scanned (len excludes its CR LF or LF). */
static const char *
next_line(const char *line, size_t len)
{
    const char *p = line + len;

    if (*p == '\r')
        p++;
    if (*p == '\n')
        p++;
    return p;
}

/* The header bit of a "Name: value" line, 0 when it is no mail header. */
static unsigned
header_line(struct scan *sc, const char *line, size_t len)
{
    size_t so, eo;
    unsigned bit = 0;
    char *name;

    if (len > LINE_MAX_LABEL || !match_at(PAT_LABEL, line, len, 0, sc->md))
        return 0;
    group(sc->md, 1, &so, &eo);
    name = normalise_label(line + so, eo - so);
    for (size_t i = 0; i < G_N_ELEMENTS(headers); i++)
        if (strcmp(headers[i].name, name) == 0)
            bit = headers[i].bit;
    g_free(name);
    return bit;
}

/* Whether line[0..len) holds a time of day ("10:00", "9:05"): a mail
 * header's Date always gives one, a letter's date never does. */
static gboolean
clock_time(const char *line, size_t len)
{
    for (size_t i = 0; i + 3 < len; i++)
        if (g_ascii_isdigit(line[i]) && line[i + 1] == ':' &&
            g_ascii_isdigit(line[i + 2]) && g_ascii_isdigit(line[i + 3]))
            return TRUE;
    return FALSE;
}

/* Whether the lines from p on are a forwarded header as Outlook writes it
 * inline: mail header lines, up to the first that is none.  Sent is in no
 * liaison form, but From, Date, Subject and To are in a letter that heads
 * itself as a memo does ("From: ITU-T Study Group 15", "Date: 2026-10-01");
 * without Sent, the header is told by its From naming a mailbox, as every
 * mailer writes it, where a letter names the sending body, or by its Date
 * giving a time of day (Outlook names an Exchange sender without an
 * address), where a letter gives a day. */
static gboolean
header_block(struct scan *sc, const char *p, gboolean after_rule)
{
    unsigned seen = 0;

    for (int lines = 0; *p != '\0' && lines < HEADER_LINES; lines++) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t) (nl - p) : strlen(p);
        size_t n = len > 0 && p[len - 1] == '\r' ? len - 1 : len;
        unsigned bit = header_line(sc, p, n);

        /* A long To folded onto an indented line stays in the block. */
        if (bit == 0 && (lines == 0 || blank(p, n) || !indented(p, n)))
            break;
        if (bit == HDR_FROM && match_at(PAT_ADDR, p, n, 0, sc->md))
            bit |= HDR_MAILBOX;
        if (bit == HDR_DATE && clock_time(p, n))
            bit |= HDR_CLOCK;
        seen |= bit;
        p = next_line(p, n);
    }
    /* A later line of a block that is no forwarded header starts a block
     * holding fewer header lines, no forwarded header either: the lines
     * read here are not read again from there. */
    if (p > sc->examined)
        sc->examined = p;
    /* Outlook's own pair; Sent with Subject is Outlook's too, its From
     * line folded or lost in the rendering. */
    if ((seen & (HDR_FROM | HDR_SENT)) == (HDR_FROM | HDR_SENT) ||
        (seen & (HDR_SENT | HDR_SUBJECT)) == (HDR_SENT | HDR_SUBJECT))
        return TRUE;
    if (!(seen & HDR_MAILBOX) && (seen & (HDR_FROM | HDR_CLOCK)) != (HDR_FROM | HDR_CLOCK))
        return FALSE;
    /* Outlook for Mac and the new Outlook write Date, not Sent, and the
     * rule is lost when the HTML is rendered: Date and Subject both; under
     * the rule, one of them will do. */
    if ((seen & (HDR_DATE | HDR_SUBJECT)) == (HDR_DATE | HDR_SUBJECT))
        return TRUE;
    return after_rule && (seen & (HDR_DATE | HDR_SUBJECT));
}

/* Whether a line starts an inline forwarded header that has no
 * "-----Original Message-----" line: Outlook's rule of underscores over
 * From/Sent/To/Subject, or (rendered from HTML, where the rule is a
 * border) those lines alone.  The forwarder's From and To are not the
 * statement's. */
static gboolean
forward_header(struct scan *sc, const char *line, size_t len)
{
    if (match_at(PAT_RULE, line, len, 0, sc->md))
        return header_block(sc, next_line(line, len), TRUE);
    if (line < sc->examined || header_line(sc, line, len) == 0)
        return FALSE;
    return header_block(sc, line, FALSE);
}

/* Whether a line is one mailbox and nothing else: an address alone
 * ("ann@bbf.test", "<ann@bbf.test>", "mailto:ann@bbf.test") or a short
 * name before one in angle brackets ("Carl Dee <cd@bbf.test>"), maybe
 * with a list separator after it.  An HTML table cell's lines come so
 * under a contact label; prose that names an address is none of these. */
static gboolean
mailbox_line(struct scan *sc, const char *line, size_t len)
{
    size_t b = 0, e = len, so, eo;

    while (b < e && (line[b] == ' ' || line[b] == '\t'))
        b++;
    while (e > b && (line[e - 1] == ' ' || line[e - 1] == '\t' ||
                     line[e - 1] == ',' || line[e - 1] == ';'))
        e--;
    if (b == e || !match_at(PAT_ADDR, line, e, b, sc->md))
        return FALSE;
    group(sc->md, 0, &so, &eo);
    if (so > b && eo < e && line[so - 1] == '<' && line[eo] == '>') {
        /* "<addr>" alone, or after a name of a few words. */
        so--;
        eo++;
        if (so > b + 64 || memchr(line + b, '@', so - b) != NULL ||
            memchr(line + b, ':', so - b) != NULL)
            return FALSE;
        return eo == e;
    }
    return so == b && eo == e;
}

/* Whether text[0..n), the start of an addressee's name, is cut in the
 * middle of a phrase that next (the following line, blanks first) goes
 * on with: it ends with a joining word or mark ("and", "of", "&", "-"),
 * or next starts in lower case. */
static gboolean
continues_phrase(const char *text, size_t n, const char *next)
{
    static const char *const joins[] = { "and", "of", "for", "the", "on", "to", "&", "-", "/" };
    size_t w = n;

    while (*next == ' ' || *next == '\t')
        next++;
    if (g_ascii_islower(*next))
        return TRUE;
    while (w > 0 && text[w - 1] != ' ' && text[w - 1] != '\t')
        w--;
    for (size_t i = 0; i < G_N_ELEMENTS(joins); i++)
        if (strlen(joins[i]) == n - w && g_ascii_strncasecmp(text + w, joins[i], n - w) == 0)
            return TRUE;
    return FALSE;
}

/* Whether a line continuing the pending value is an item of its own: a
 * later line of a contact, Cc or addressee table cell, which html.c (and
 * a mailer's plain rendering of a table) indents with a tab.  The lines
 * of a contact cell are a person's name, organisation, phone and address
 * ("Ann Bee<br>Broadband Forum<br>ann@bbf.test"): run together with
 * blanks, the organisation would read as part of the name.  Those of a
 * To cell ("ITU-T SG15<br>IETF CCAMP WG") are bodies, one a line, as
 * the entries of a To folded after a comma are.  A line folded with
 * spaces stays a fold ("Greta\n   Jonsson <gj@x>", "IETF Operations
 * and\n   Management Area"), and a Title's lines stay one title. */
static gboolean
cell_item(struct scan *sc, const char *line)
{
    size_t n = sc->value->len;

    if (line[0] != '\t')
        return FALSE;
    switch (sc->pending) {
    case F_TECHNICAL: case F_RESPONSE: case F_CC:
    case F_TO: case F_FOR_ACTION: case F_FOR_COMMENT: case F_FOR_INFO:
        break;
    default:
        return FALSE;
    }
    while (n > 0 && (sc->value->str[n - 1] == ' ' ||
                     sc->value->str[n - 1] == '\t'))
        n--;
    /* Nothing yet, or a separator already there. */
    if (n == 0 || sc->value->str[n - 1] == ',' || sc->value->str[n - 1] == ';')
        return FALSE;
    /* An addressee's name wrapped in a tab-aligned plain letter ("To:\tIETF
     * Operations and\n\tManagement Area") goes on from a word no body's
     * name ends with, or on a word in lower case: one addressee. */
    if (sc->pending != F_TECHNICAL && sc->pending != F_RESPONSE && sc->pending != F_CC)
        return !continues_phrase(sc->value->str, n, line + 1);
    return TRUE;
}

/* Whether a label line's value, v[0..vn), is a column's heading: the
 * first row of a table laid out as "Title | Description", "Title |
 * Subject" or "Field | Value" (Word's header row), which is no field's
 * label and whose words are no field's value.  The whole value is the one word, in emphasis
 * markers or with a colon at most; words no field holds alone. */
static gboolean
column_heading(const char *v, size_t vn)
{
    static const char *const heads[] = { "description", "value", "values",
        "content", "contents", "details", "subject" };
    size_t b = 0;

    while (vn > 0 && (v[vn - 1] == ' ' || v[vn - 1] == '\t' ||
                      v[vn - 1] == '*' || v[vn - 1] == '_' || v[vn - 1] == ':'))
        vn--;
    while (b < vn && (v[b] == '*' || v[b] == '_'))
        b++;
    for (size_t i = 0; i < G_N_ELEMENTS(heads); i++)
        if (strlen(heads[i]) == vn - b &&
            g_ascii_strncasecmp(v + b, heads[i], vn - b) == 0)
            return TRUE;
    return FALSE;
}

/* Drop the emphasis markers of a label line's value, *v[0..*vn), that
 * belong to the label: "*Title: *LS on X" (the bold run took the blank
 * after the colon) and "*Title: LS on X*" (the whole line bold).  Only
 * when a marker opens the line before the label (label_so) and none
 * closed it before the value; a value's own markers ("Title: *Urgent*")
 * are the sender's text. */
static void
unemphasise(const char *line, size_t label_so, size_t label_eo,
            const char **v, size_t *vn)
{
    char mark;
    size_t n = *vn;

    if (label_so == 0 || (line[label_so - 1] != '*' && line[label_so - 1] != '_'))
        return;
    mark = line[label_so - 1];
    /* Closed between the label and the value: "*Title:*", "*Title*:". */
    if (memchr(line + label_eo, mark, (size_t) (*v - (line + label_eo))) != NULL)
        return;
    if (n > 0 && **v == mark) {
        size_t k = 0;

        while (k < n && k < 2 && (*v)[k] == mark)
            k++;
        while (k < n && ((*v)[k] == ' ' || (*v)[k] == '\t'))
            k++;
        *v += k;
        *vn = n - k;
        return;
    }
    while (n > 0 && ((*v)[n - 1] == ' ' || (*v)[n - 1] == '\t'))
        n--;
    for (int k = 0; k < 2 && n > 0 && (*v)[n - 1] == mark; k++)
        n--;
    *vn = n;
}

/* Read one line in field mode; returns FALSE when its document identifiers
 * are not the statement's own (attachment names, referenced liaisons). */
static gboolean
field_line(struct scan *sc, const char *line, size_t len)
{
    enum field f = F_NONE;
    enum sublabel sub = SUB_NONE;
    gboolean is_label = FALSE;
    const char *v = NULL;
    size_t vn = 0, so, eo;
    enum field open = sc->open_contact;

    sc->open_contact = F_NONE;
    if (len > LINE_MAX_LABEL || blank(line, len) || quoted(line, len)) {
        if ((sc->pending == F_TECHNICAL || sc->pending == F_RESPONSE) &&
            blank(line, len) && blank(sc->value->str, sc->value->len))
            sc->open_contact = sc->pending;
        commit_pending(sc);
        commit_block(sc);
        return !quoted(line, len);
    }
    if (match_at(PAT_FORWARD, line, len, 0, sc->md) ||
        forward_header(sc, line, len)) {
        commit_pending(sc);
        commit_block(sc);
        sc->mode = MODE_SKIP;
        return FALSE;
    }
    if (match_at(PAT_LABEL, line, len, 0, sc->md)) {
        char *name;

        size_t lso, leo;

        group(sc->md, 1, &lso, &leo);
        name = normalise_label(line + lso, leo - lso);
        f = label_field(name);
        sub = label_sub(name);
        g_free(name);
        group(sc->md, 2, &so, &eo);
        v = line + so;
        vn = eo - so;
        unemphasise(line, lso, leo, &v, &vn);
        is_label = TRUE;
    } else if (len <= LINE_MAX_LABEL &&
               match_at(PAT_CELL, line, len, 0, sc->md)) {
        char *name;

        group(sc->md, 1, &so, &eo);
        name = normalise_label(line + so, eo - so);
        f = label_field(name);
        g_free(name);
        if (f != F_NONE) {
            group(sc->md, 2, &so, &eo);
            v = line + so;
            vn = eo - so;
            is_label = TRUE;
        }
    }
    /* A table's row of column headings ends the value before it and
     * is otherwise passed over: the field's own row comes later. */
    if (is_label && column_heading(v, vn)) {
        commit_pending(sc);
        commit_block(sc);
        return TRUE;
    }
    /* "Please reply by 10:00 UTC, 2027-01-15" also looks like a label. */
    if (f == F_NONE && sub == SUB_NONE &&
        match_at(PAT_REPLY_BY, line, len, 0, sc->md)) {
        group(sc->md, 1, &so, &eo);
        f = F_REPLY_BY;
        v = line + so;
        vn = eo - so;
    }

    /* An empty contact label followed by "Name:" lines is a block, an
     * empty line between them or not. */
    if ((sc->pending == F_TECHNICAL || sc->pending == F_RESPONSE) &&
        sub != SUB_NONE && blank(sc->value->str, sc->value->len)) {
        sc->block = sc->pending;
        sc->pending = F_NONE;
    } else if (open != F_NONE && sub != SUB_NONE && sc->pending == F_NONE &&
               sc->block == F_NONE) {
        sc->block = open;
    }
    if (sc->block != F_NONE) {
        if (f == F_NONE && block_line(sc, sub, v, vn))
            return TRUE;
        commit_block(sc);
    }

    if (sc->pending != F_NONE && f == F_NONE) {
        gboolean more;

        if (sc->pending == F_ACTION)
            more = TRUE;        /* a sentence runs on to the blank line */
        else if ((sc->pending == F_TECHNICAL || sc->pending == F_RESPONSE) &&
                 (sub == SUB_ADDR || sub == SUB_OTHER))
            more = TRUE;        /* ITU "Contact: Name, Org" then "E-mail:" */
        else if ((sc->pending == F_TECHNICAL || sc->pending == F_RESPONSE ||
                  sc->pending == F_CC) && mailbox_line(sc, line, len))
            /* A table cell's "Ann Bee<br>ann@bbf.test", or one person a
             * line: HTML rendered keeps no indent to fold by.  As for
             * "mailto:ann@x", which reads as a label of its own. */
            more = TRUE;
        else if (indented(line, len))
            more = TRUE;        /* RFC 5322 style folding */
        else if (sub == SUB_NONE && blank(sc->value->str, sc->value->len)
                 && (!is_label || sc->pending == F_TITLE
                     || sc->pending == F_SUBJECT))
            /* A label with its value on the next line.  A title (or a
             * letter's subject) may hold a colon ("LS on MEC: edge
             * APIs"): unless what comes before
             * it is a known label or sub-label, it is the value.  Any
             * other empty field ("Response to:" left blank) stops at a
             * line that reads as a label of its own ("Release: Rel-19"). */
            more = TRUE;
        else {
            /* "A <a@x>,\nB <b@y>": a trailing separator promises more. */
            size_t n = sc->value->len;

            while (n > 0 && (sc->value->str[n - 1] == ' ' ||
                             sc->value->str[n - 1] == '\t'))
                n--;
            more = !is_label && n > 0 && (sc->value->str[n - 1] == ',' ||
                                          sc->value->str[n - 1] == ';');
        }
        if (more) {
            enum field p = sc->pending;

            if (sc->value->len + len + 1 < VALUE_MAX) {
                g_string_append_c(sc->value, cell_item(sc, line) ? ',' : ' ');
                g_string_append_len(sc->value, line, (gssize) len);
            }
            return p != F_RELATED;
        }
    }
    commit_pending(sc);
    if (f != F_NONE) {
        start_label(sc, f, v, vn);
        return f != F_RELATED && f != F_ATTACHMENTS;
    }
    return TRUE;
}

/* Whether a line is the "Attachments:" label that ends a Body. */
static gboolean
attachments_label(struct scan *sc, const char *line, size_t len)
{
    size_t so, eo;
    char *name;
    gboolean yes;

    if (len > LINE_MAX_LABEL || !match_at(PAT_LABEL, line, len, 0, sc->md))
        return FALSE;
    group(sc->md, 1, &so, &eo);
    name = normalise_label(line + so, eo - so);
    yes = label_field(name) == F_ATTACHMENTS;
    g_free(name);
    return yes;
}

/* Store the Body: text, without its leading and trailing blank lines,
 * nor any control character but LF and TAB. */
static void
commit_body(struct scan *sc)
{
    char *b;
    size_t j = 0;

    if (sc->env->body != NULL || sc->body->len == 0)
        return;
    b = g_malloc(sc->body->len + 1);
    for (size_t i = 0; i < sc->body->len; i++) {
        char c = sc->body->str[i];

        if (c == '\n' || c == '\t' || ((unsigned char) c >= 0x20 && c != 0x7F))
            b[j++] = c;
    }
    b[j] = '\0';
    g_strstrip(b);
    if (*b)
        sc->env->body = b;
    else
        g_free(b);
    g_string_truncate(sc->body, 0);
}

/* Read one line in whatever mode the scan is in. */
static void
scan_line(struct scan *sc, const char *line, size_t len)
{
    gboolean ids = TRUE;

    switch (sc->mode) {
    case MODE_BODY:
        if (attachments_label(sc, line, len)) {
            commit_body(sc);
            sc->labels++;
            sc->mode = MODE_ATTACH;
            ids = FALSE;
            break;
        }
        if (sc->body->len + len + 1 <= BODY_MAX) {
            if (sc->body->len > 0)
                g_string_append_c(sc->body, '\n');
            g_string_append_len(sc->body, line, (gssize) len);
        }
        break;
    case MODE_ATTACH:
        /* The list runs over indented and blank lines; anything at the
         * margin is the letter again. */
        if (blank(line, len) || indented(line, len)) {
            ids = FALSE;
            break;
        }
        sc->mode = MODE_FIELDS;
        ids = field_line(sc, line, len);
        break;
    case MODE_SKIP:
        if (blank(line, len))
            sc->mode = MODE_FIELDS;
        return;
    case MODE_FIELDS:
        ids = field_line(sc, line, len);
        if (sc->mode == MODE_SKIP || quoted(line, len))
            return;
        break;
    }
    if (len <= LINE_MAX_LABEL)
        scan_names(sc, line, len, ids);
}

/* Settle To, purpose and deadline once every line has been read: several
 * lines may speak of them and the most explicit one wins. */
static void
finish(struct scan *sc)
{
    struct envelope *env = sc->env;
    enum purpose p;

    commit_pending(sc);
    commit_block(sc);
    if (sc->mode == MODE_BODY)
        commit_body(sc);

    /* ITU template: action/comment addressees are the To; information
     * addressees are copies, unless they are the only addressees. */
    if (sc->for_action->len > 0 || sc->for_comment->len > 0) {
        GString *to = g_string_new(sc->for_action->str);

        if (sc->for_comment->len > 0)
            join(to, sc->for_comment->str);
        if (sc->want_to_list)
            add_addressees(env->to_list, to->str);
        if (env->to_body == NULL)
            env->to_body = g_strdup(to->str);
        g_string_free(to, TRUE);
        sc->purpose_for = sc->for_action->len > 0 ? PURPOSE_ACTION
                                                  : PURPOSE_COMMENT;
        if (sc->want_info && sc->for_info->len > 0)
            add_addressees(env->info_to, sc->for_info->str);
    } else if (sc->for_info->len > 0) {
        if (sc->saw_to) {
            if (sc->want_info)
                add_addressees(env->info_to, sc->for_info->str);
        } else {
            if (sc->want_to_list)
                add_addressees(env->to_list, sc->for_info->str);
            if (env->to_body == NULL)
                env->to_body = g_strdup(sc->for_info->str);
        }
        sc->purpose_for = PURPOSE_INFORMATION;
    }

    p = sc->purpose_label ? sc->purpose_label
      : sc->purpose_for ? sc->purpose_for : sc->purpose_action;
    if (env->purpose == PURPOSE_NONE)
        env->purpose = p;
    if (env->deadline == NULL && sc->deadline_rank > 0)
        env->deadline = g_strdup(sc->deadline);
    /* A Title wins over a Subject wherever it stands. */
    if (env->title == NULL)
        env->title = g_steal_pointer(&sc->subject);
}

/* Read envelope fields out of UTF-8 text, filling only unset fields. */
int
envelope_scan(struct envelope *env, const char *text)
{
    struct scan sc;
    const char *p;

    if (env == NULL || text == NULL || !envelope_init(NULL))
        return 0;
    memset(&sc, 0, sizeof sc);
    sc.env = env;
    sc.md = pcre2_match_data_create(16, NULL);
    sc.mode = MODE_FIELDS;
    sc.examined = text;
    sc.want_to_list = env->to_list->len == 0;
    sc.want_info = env->info_to->len == 0;
    sc.want_cc = env->cc->len == 0;
    sc.want_response = env->response_contacts->len == 0;
    sc.want_technical = env->technical_contacts->len == 0;
    sc.want_ids = env->other_identifiers->len == 0;
    sc.want_related = env->related->len == 0;
    sc.want_refs = env->references->len == 0;
    sc.value = g_string_new(NULL);
    sc.body = g_string_new(NULL);
    sc.for_action = g_string_new(NULL);
    sc.for_comment = g_string_new(NULL);
    sc.for_info = g_string_new(NULL);

    for (p = text; *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t) (nl - p) : strlen(p);
        size_t n = len;

        if (n > 0 && p[n - 1] == '\r')
            n--;
        scan_line(&sc, p, n);
        p += len;
        if (*p == '\n')
            p++;
    }
    finish(&sc);
    /* The statement row keeps the count, over every text scanned in. */
    env->labels += sc.labels;

    pcre2_match_data_free(sc.md);
    g_string_free(sc.value, TRUE);
    g_string_free(sc.body, TRUE);
    g_string_free(sc.for_action, TRUE);
    g_string_free(sc.for_comment, TRUE);
    g_string_free(sc.for_info, TRUE);
    g_free(sc.subject);
    return sc.labels;
}
