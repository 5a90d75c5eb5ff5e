/*
 * compose.c: the mail the tool sends (notification, acknowledgement,
 * reminder, report, and the response liaisonctl reply sends), built with GMime and written with CRLF line ends,
 * ready for the outbox.
 *
 * Why it is built this way:
 *
 * - Every value that came from incoming mail (titles, bodies' names,
 *   contact names and addresses, the statement's Message-ID) is hostile.
 *   Header values are cleaned here before GMime sees them: any control
 *   character (CR, LF, NUL, TAB, DEL, C1) becomes a space, invalid UTF-8
 *   is repaired, and the length is bounded; GMime then folds long lines
 *   and RFC 2047-encodes non-ASCII text.  So no input can start a header
 *   line of its own.  Addresses are not cleaned but checked: one with a
 *   space, a control, a quote or bracket, or without exactly one '@' is
 *   dropped, never repaired, because a repaired address is somebody else.
 *
 * - Threading: In-Reply-To and References carry the statement's own
 *   Message-ID, so every mail about a statement sits in one thread in the
 *   reader's client, and a reply to one of ours is classified by intake as
 *   correspondence on the statement.  Reply-To is the intake address.
 *
 * - Loops (RFC 3834): Auto-Submitted (auto-replied on the acknowledgement,
 *   auto-generated on the rest but the response, a person's letter) and
 *   X-Liaison-Loop on everything; intake classifies both as automatic and
 *   never answers.
 *
 * - The envelope sender is per recipient (VERP): the outbox sends one SMTP
 *   transaction per recipient with compose_verp_sender(), so a bounce
 *   names the row and, through a hash, the address.  outmail.mail_from is
 *   only the plain bounce address used until the row id is known.
 */
#include "config.h"

#include <string.h>

#include <gmime/gmime.h>

#include "compose.h"
#include "config_file.h"
#include "directory.h"

/* How to give commands by mail (command.c), in the notification and the
 * reminders, whose Reply-To the outbox makes each recipient's own; the
 * commands themselves are the list the answers to commands give too. */
#define COMMANDS_HELP \
    "The assignee, a supervisor or the liaison manager can close it, open\n" \
    "it again, move its deadline or give it to another group, with commands\n" \
    "as the first lines of the answer:\n" \
    COMPOSE_COMMAND_LIST \
    "This message's reply address is yours alone: answer from the address\n" \
    "it was sent to.\n\n"

/* The longest title put into a Subject; the body has it whole. */
#define SUBJECT_TITLE_MAX 300

/* Whether c is an explicit bidirectional formatting character (embeddings,
 * overrides, isolates, marks): in a Subject from a stranger it would make
 * "doc\u202Etxt.exe" read as "docexe.txt". */
gboolean
compose_is_bidi_control(gunichar c)
{
    return c == 0x200e || c == 0x200f || c == 0x061c || (c >= 0x202a && c <= 0x202e)
           || (c >= 0x2066 && c <= 0x2069);
}

/* See compose.h.  g_format_size puts a no-break space (U+00A0) before
 * the unit: a plain one here, for mail in any charset and for scripts
 * that split on spaces. */
char *
compose_size_text(guint64 bytes)
{
    g_autofree char *s = g_format_size(bytes);
    g_auto(GStrv) parts = g_strsplit(s, "\u00a0", -1);

    return g_strjoinv(" ", parts);
}

/* Whether a file name ends in an extension (".pdf", ".docx": one to
 * five letters or digits after a dot that does not begin the name). */
static gboolean
name_has_extension(const char *name)
{
    const char *dot = name != NULL ? strrchr(name, '.') : NULL;
    size_t n;

    if (dot == NULL || dot == name || (n = strlen(dot + 1)) < 1 || n > 5)
        return FALSE;
    for (const char *p = dot + 1; *p != '\0'; p++)
        if (!g_ascii_isalnum(*p))
            return FALSE;
    return TRUE;
}

/* A copy of s fit for a header: valid UTF-8, every control character a
 * space, bidirectional controls dropped, runs of spaces collapsed,
 * trimmed, at most max characters.  NULL in, NULL out. */
static char *
clean_header_value(const char *s, glong max)
{
    g_autofree char *valid = NULL;
    GString *out;
    gboolean space = FALSE;

    if (s == NULL)
        return NULL;
    valid = g_utf8_make_valid(s, -1);
    out = g_string_sized_new(strlen(valid));
    for (const char *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);

        if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)
            || c == 0x2028 || c == 0x2029 || c == ' ') {
            space = out->len > 0;
            continue;
        }
        if (compose_is_bidi_control(c))
            continue;
        if (space)
            g_string_append_c(out, ' ');
        space = FALSE;
        g_string_append_unichar(out, c);
    }
    if (max > 0 && g_utf8_strlen(out->str, -1) > max) {
        char *cut = g_utf8_offset_to_pointer(out->str, max - 1);

        g_string_truncate(out, cut - out->str);
        g_string_append(out, "\u2026");
    }
    return g_string_free(out, FALSE);
}

/* RFC 2047 section 2: an encoded-word is at most 75 characters.
 * "=?UTF-8?B?" and "?=" take 12 of them, leaving 63 for the encoded
 * text: in base64, 15 quanta of 4, which carry 45 bytes. */
#define ENCODED_WORD_MAX 75
#define ENCODED_WORD_TEXT 63
#define ENCODED_WORD_BYTES 45

/* Whether a word of a header value must be encoded: it has non-ASCII
 * bytes, it could be read as an encoded-word itself, or it is too long
 * for a folded line (GMime would break it with a TAB, which the reader
 * would see in the middle of a URL). */
static gboolean
word_needs_encoding(const char *w, size_t n)
{
    if (n > ENCODED_WORD_MAX - 3)
        return TRUE;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char) w[i] >= 0x80 || (w[i] == '=' && i + 1 < n && w[i + 1] == '?'))
            return TRUE;
    return FALSE;
}

/* Append one Q encoded-word (RFC 2047 section 4.2) holding as many whole
 * characters from p (up to end) as fit in 75 characters; returns where it
 * stopped.  Only the characters section 5 allows in a phrase stand for
 * themselves, so that the word serves in a display name too. */
static const char *
append_q_word(GString *out, const char *p, const char *end)
{
    GString *q = g_string_new(NULL);

    while (p < end) {
        const char *next = g_utf8_next_char(p);
        gsize before = q->len;

        for (const char *c = p; c < next; c++) {
            unsigned char b = (unsigned char) *c;

            if (b == ' ')
                g_string_append_c(q, '_');
            else if (g_ascii_isalnum(b) || strchr("!*+-/", b) != NULL)
                g_string_append_c(q, (char) b);
            else
                g_string_append_printf(q, "=%02X", b);
        }
        if (q->len > ENCODED_WORD_TEXT && before > 0) {
            g_string_truncate(q, before);
            break;
        }
        p = next;
    }
    g_string_append_printf(out, "=?UTF-8?Q?%s?=", q->str);
    g_string_free(q, TRUE);
    return p;
}

/* Append run (n bytes of valid UTF-8) to out as UTF-8 encoded-words of
 * at most 75 characters, each holding whole characters (RFC 2047
 * section 5), separated by a space that readers drop between two
 * encoded-words.  They are B words of a multiple of 3 bytes, so that
 * their base64 has no padding, and the last one: GMime joins adjacent
 * encoded-words before decoding them, and a '=' in the middle ended the
 * text there ("=?UTF-8?B?QQ==?= =?UTF-8?B?QkM=?=" read as "A").  Where
 * whole characters allow no such cut (ASCII before 3-byte characters),
 * one Q word takes the characters up to where they do. */
static void
append_encoded_words(GString *out, const char *run, size_t n)
{
    const char *p = run, *end;
    gboolean ascii = TRUE;

    if (run == NULL || n == 0)
        return;
    end = run + n;

    for (size_t i = 0; i < n && ascii; i++)
        ascii = (unsigned char) run[i] < 0x80;
    /* A long ASCII word, or one that looks encoded: Q words keep it
     * readable in the raw header. */
    while (ascii && p < end) {
        if (p > run)
            g_string_append_c(out, ' ');
        p = append_q_word(out, p, end);
    }
    while (p < end) {
        const char *q = p, *cut = NULL;
        g_autofree char *b64 = NULL;

        if (p > run)
            g_string_append_c(out, ' ');
        while (q < end) {
            const char *next = g_utf8_next_char(q);

            if (next - p > ENCODED_WORD_BYTES)
                break;
            q = next;
            if ((q - p) % 3 == 0)
                cut = q;
        }
        /* More to come: cut where the base64 needs no padding, or let
         * a Q word take the characters up to such a place. */
        if (q < end) {
            if (cut == NULL) {
                p = append_q_word(out, p, end);
                continue;
            }
            q = cut;
        }
        b64 = g_base64_encode((const guchar *) p, q - p);
        g_string_append_printf(out, "=?UTF-8?B?%s?=", b64);
        p = q;
    }
}

/* The Subject's value as words and encoded-words: cleaned text (valid
 * UTF-8, no controls) with every run of words that needs encoding, and
 * the spaces inside it, as encoded-words of at most 75 characters; ASCII
 * words stay as they are. */
static char *
encode_subject(const char *text)
{
    GString *out = g_string_new(NULL);
    const char *p = text, *run = NULL, *run_end = NULL;

    while (*p != '\0') {
        const char *w = p, *e;

        while (*w == ' ')
            w++;
        if (*w == '\0')
            break;
        for (e = w; *e != '\0' && *e != ' '; e++)
            ;
        if (word_needs_encoding(w, e - w)) {
            if (run == NULL)
                run = w;
            run_end = e;
        } else {
            if (run != NULL) {
                if (out->len > 0)
                    g_string_append_c(out, ' ');
                append_encoded_words(out, run, run_end - run);
                run = NULL;
            }
            g_string_append_printf(out, "%s%.*s", out->len > 0 ? " " : "", (int) (e - w), w);
        }
        p = e;
    }
    if (run != NULL) {
        if (out->len > 0)
            g_string_append_c(out, ' ');
        append_encoded_words(out, run, run_end - run);
    }
    return g_string_free(out, FALSE);
}

/* Make value, already encoded, what is written for msg's header name
 * (which must be set), folded by GMime: it folds encoded-words without
 * encoding them again. */
static void
set_raw_header(GMimeMessage *msg, const char *name, const char *value)
{
    GMimeHeaderList *list = g_mime_object_get_header_list(GMIME_OBJECT(msg));
    GMimeHeader *h = g_mime_header_list_get_header(list, name);
    g_autofree char *line = NULL, *folded = NULL;

    if (h == NULL)
        return;
    line = g_strconcat(name, ": ", value, NULL);
    folded = g_mime_utils_unstructured_header_fold(NULL, NULL, line);
    g_mime_header_set_raw_value(h, folded + strlen(name) + 1);
}

/* Set msg's Subject to subject (cleaned text).  GMime 3.2 encodes it but
 * cuts a long word after 39 characters, not bytes, so a Japanese title
 * became one encoded-word of 160 characters and more, which strict
 * readers show raw.  So GMime sets the header (and its decoded value),
 * and the raw value written is ours. */
static void
set_subject(GMimeMessage *msg, const char *subject)
{
    g_autofree char *encoded = encode_subject(subject);

    g_mime_message_set_subject(msg, subject, "utf-8");
    set_raw_header(msg, "Subject", encoded);
}

/* Set msg's From to name <addr>.  A name with non-ASCII text is encoded
 * here, whole, for the reason set_subject gives; ASCII names are GMime's
 * to quote. */
static void
set_from(GMimeMessage *msg, const char *name, const char *addr)
{
    g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, name != NULL ? name : "", addr);
    for (const char *p = name; p != NULL && *p != '\0'; p++)
        if ((unsigned char) *p >= 0x80) {
            GString *v = g_string_new(NULL);

            append_encoded_words(v, name, strlen(name));
            g_string_append_printf(v, " <%s>", addr);
            set_raw_header(msg, "From", v->str);
            g_string_free(v, TRUE);
            return;
        }
}

/* A copy of body text fit for a text/plain part: valid UTF-8, LF line
 * ends, no control character but TAB and LF. */
static char *
clean_body_text(const char *s)
{
    g_autofree char *valid = g_utf8_make_valid(s != NULL ? s : "", -1);
    GString *out = g_string_sized_new(strlen(valid));

    for (const char *p = valid; *p != '\0'; p++) {
        unsigned char c = (unsigned char) *p;

        if (c == '\r') {
            if (p[1] != '\n')
                g_string_append_c(out, '\n');
        } else if (c < 0x20 && c != '\n' && c != '\t') {
            g_string_append_c(out, ' ');
        } else if (c == 0x7f) {
            g_string_append_c(out, ' ');
        } else {
            g_string_append_c(out, (char) c);
        }
    }
    return g_string_free(out, FALSE);
}

/* A lower-cased copy of addr when it is a plain, safe mailbox address
 * (local@domain, printable ASCII, no space, quote, bracket, comma or
 * semicolon, one '@', at most 254 characters); NULL otherwise. */
static char *
safe_address(const char *addr)
{
    const char *at;
    size_t n;

    if (addr == NULL)
        return NULL;
    n = strlen(addr);
    if (n < 3 || n > 254)
        return NULL;
    for (const char *p = addr; *p != '\0'; p++) {
        unsigned char c = (unsigned char) *p;

        if (c <= 0x20 || c >= 0x7f || strchr("<>()[]\\,;:\"", c) != NULL)
            return NULL;
    }
    at = strchr(addr, '@');
    if (at == NULL || at == addr || at[1] == '\0' || strchr(at + 1, '@') != NULL
        || at[1] == '.' || addr[n - 1] == '.')
        return NULL;
    return g_ascii_strdown(addr, -1);
}

/* A Message-ID from mail, "<x@y>", when it is safe to repeat in a header
 * (no space, control or special, one pair of angle brackets, one '@'
 * between two non-empty parts); NULL otherwise. */
static char *
safe_message_id(const char *id)
{
    const char *at;
    size_t n;

    if (id == NULL)
        return NULL;
    n = strlen(id);
    if (n < 3 || n > 250 || id[0] != '<' || id[n - 1] != '>')
        return NULL;
    /* RFC 5322 msg-id as readers parse it: id-left "@" id-right, no
     * specials; "<a(b)c@x>" would end GMime's References list there. */
    at = strchr(id, '@');
    if (at == NULL || at != strrchr(id, '@') || at == id + 1 || at == id + n - 2)
        return NULL;
    for (size_t i = 1; i < n - 1; i++) {
        unsigned char c = (unsigned char) id[i];
        /* A domain literal, "<x@[192.0.2.1]>", keeps its brackets. */
        gboolean literal = (c == '[' && id + i == at + 1) || (c == ']' && i == n - 2
                                                               && at[1] == '[');

        if (c <= 0x20 || c >= 0x7f || (!literal && strchr("<>()[]\\,;:\"", c) != NULL))
            return NULL;
    }
    return g_strdup(id);
}

/* The host name for Message-IDs: the setting when it is a safe token,
 * else this host's name, else "localhost". */
static char *
message_id_host(const struct compose_settings *cs)
{
    const char *h = cs->hostname != NULL && *cs->hostname != '\0'
        ? cs->hostname : g_get_host_name();

    for (const char *p = h; *p != '\0'; p++)
        if (!g_ascii_isalnum(*p) && *p != '.' && *p != '-')
            return g_strdup("localhost");
    return g_strdup(*h != '\0' ? h : "localhost");
}

/* Append addr (already safe) to list unless it is there. */
static void
add_unique(GPtrArray *list, const char *addr)
{
    for (guint i = 0; i < list->len; i++)
        if (g_ascii_strcasecmp(g_ptr_array_index(list, i), addr) == 0)
            return;
    g_ptr_array_add(list, g_strdup(addr));
}

/* The local time zone, read once: g_time_zone_new_local() reads and
 * stats /etc/localtime on every call, five system calls for each mail
 * composed, twice per statement in the milter.  A zone file changed
 * under a running daemon shows after its restart, as with syslog's. */
static GTimeZone *
local_zone(void)
{
    static GTimeZone *zone;

    if (g_once_init_enter(&zone))
        g_once_init_leave(&zone, g_time_zone_new_local());
    return zone;
}

/* Whether addr is a plain, safe mailbox address, one the tool writes to. */
gboolean
compose_address_ok(const char *addr)
{
    g_autofree char *a = safe_address(addr);

    return a != NULL;
}

/* Append the safe addresses of want (may be NULL) to list, once each. */
static void
add_safe(GPtrArray *list, const GPtrArray *want)
{
    for (guint i = 0; want != NULL && i < want->len; i++) {
        g_autofree char *a = safe_address(g_ptr_array_index(want, i));

        if (a != NULL)
            add_unique(list, a);
    }
}

/* Whether addr is in list. */
static gboolean
in_list(const GPtrArray *list, const char *addr)
{
    for (guint i = 0; i < list->len; i++)
        if (g_ascii_strcasecmp(g_ptr_array_index(list, i), addr) == 0)
            return TRUE;
    return FALSE;
}

/* Whether role is one of the NULL-terminated roles. */
static gboolean
role_in(const char *role, const char *const *roles)
{
    for (int i = 0; roles[i] != NULL; i++)
        if (role != NULL && strcmp(role, roles[i]) == 0)
            return TRUE;
    return FALSE;
}

/* To = the assignees; Cc = the other routed recipients, minus those with
 * a role in skip (NULL: none).  Only safe addresses survive. */
static void
routed_recipients(const struct statement *s, const char *const *skip,
                  GPtrArray *to, GPtrArray *cc)
{
    static const char *const none[] = { NULL };

    if (skip == NULL)
        skip = none;
    for (guint i = 0; i < s->recipients->len; i++) {
        const struct recipient *r = g_ptr_array_index(s->recipients, i);
        g_autofree char *a = safe_address(r->addr);

        if (a != NULL && r->role != NULL && strcmp(r->role, "assignee") == 0)
            add_unique(to, a);
    }
    if (to->len == 0) {
        g_autofree char *a = safe_address(s->assignee);

        if (a != NULL)
            add_unique(to, a);
    }
    for (guint i = 0; i < s->recipients->len; i++) {
        const struct recipient *r = g_ptr_array_index(s->recipients, i);
        g_autofree char *a = safe_address(r->addr);

        if (a == NULL || (r->role != NULL && strcmp(r->role, "assignee") == 0)
            || role_in(r->role, skip) || in_list(to, a))
            continue;
        add_unique(cc, a);
    }
}

/* How a purpose reads in a letter. */
static const char *
purpose_text(enum purpose p)
{
    switch (p) {
    case PURPOSE_INFORMATION: return "For Information";
    case PURPOSE_COMMENT: return "For Comment";
    case PURPOSE_ACTION: return "For Action";
    case PURPOSE_RESPONSE: return "In Response";
    case PURPOSE_NONE: break;
    }
    return "(not given)";
}

/* The statement's title, cleaned, or a placeholder. */
static char *
title_of(const struct statement *s, glong max)
{
    const char *t = s->env != NULL && s->env->title != NULL ? s->env->title
                  : s->subject;
    char *c = clean_header_value(t, max);

    if (c == NULL || *c == '\0') {
        g_free(c);
        return g_strdup("(no title)");
    }
    return c;
}

/* The statement's page. */
static char *
statement_url(const struct compose_settings *cs, gint64 id)
{
    const char *base = cs->base_url != NULL ? cs->base_url : "";

    return g_strdup_printf("%s%" G_GINT64_FORMAT, base, id);
}

/* The columns s takes on a terminal: two for a wide (East Asian)
 * character, none for a combining mark, one for the rest. */
static glong
columns_of(const char *s)
{
    glong n = 0;

    for (const char *p = s; *p != '\0'; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);

        n += g_unichar_iswide(c) ? 2 : g_unichar_iszerowidth(c) ? 0 : 1;
    }
    return n;
}

/* Append text (words split by single spaces) to t, where the line
 * already holds col columns, breaking lines before width columns with
 * indent starting each new one: a title or a list of addresses that would
 * run past the right edge of an 80-column reader.  A word longer than
 * the line (a URL) is never cut. */
static void
append_wrapped(GString *t, const char *text, glong col, const char *indent, glong width)
{
    g_auto(GStrv) words = g_strsplit(text, " ", -1);
    const glong start = columns_of(indent);
    gboolean first = TRUE;

    for (int i = 0; words[i] != NULL; i++) {
        glong w = columns_of(words[i]);

        if (*words[i] == '\0')
            continue;
        if (!first && col + 1 + w > width) {
            g_string_append_c(t, '\n');
            g_string_append(t, indent);
            col = start;
        } else if (!first) {
            g_string_append_c(t, ' ');
            col++;
        }
        g_string_append(t, words[i]);
        col += w;
        first = FALSE;
    }
}

/* Append "  Label:  value" as a line of the envelope, the value wrapped
 * at 78 columns under itself. */
static void
append_field(GString *t, const char *label, const char *value)
{
    g_string_append_printf(t, "  %-20s", label);
    append_wrapped(t, value, 22, "                      ", 78);
    g_string_append_c(t, '\n');
}

/* Append "Label: a, b" for a contact list (names and addresses cleaned). */
static void
append_contacts(GString *t, const char *label, const GPtrArray *list)
{
    g_string_append_printf(t, "  %-20s", label);
    if (list == NULL || list->len == 0)
        g_string_append(t, "-");
    for (guint i = 0; list != NULL && i < list->len; i++) {
        const struct contact *c = g_ptr_array_index(list, i);
        g_autofree char *name = clean_header_value(c->name, 200);
        g_autofree char *addr = clean_header_value(c->addr, 254);

        /* One a line: a name may hold a comma ("Rapporteur, Q14/15"). */
        if (i > 0)
            g_string_append_printf(t, "\n  %-20s", "");
        if (name != NULL && *name != '\0' && addr != NULL)
            g_string_append_printf(t, "%s <%s>", name, addr);
        else
            g_string_append(t, addr != NULL ? addr : name != NULL ? name : "?");
    }
    g_string_append_c(t, '\n');
}

/* Append the envelope as a person reads it. */
static void
append_envelope(GString *t, const struct statement *s)
{
    const struct envelope *e = s->env;
    g_autofree char *title = title_of(s, 0);
    g_autofree char *from = clean_header_value(e->from_body, 0);
    g_autofree char *to = clean_header_value(e->to_body, 0);

    append_field(t, "Title:", title);
    append_field(t, "From:", from != NULL ? from : "(not given)");
    append_field(t, "To:", to != NULL ? to : "(not given)");
    g_string_append_printf(t, "  %-20s%s\n", "Purpose:", purpose_text(e->purpose));
    g_string_append_printf(t, "  %-20s%s\n", "Deadline:",
                           e->deadline != NULL ? e->deadline : "none");
    append_contacts(t, "Response contacts:", e->response_contacts);
    append_contacts(t, "Technical contacts:", e->technical_contacts);
    g_string_append_printf(t, "  %-20s", "Attachments:");
    if (s->attachments->len == 0)
        g_string_append(t, "none\n");
    for (guint i = 0; i < s->attachments->len; i++) {
        const struct attachment *a = g_ptr_array_index(s->attachments, i);
        g_autofree char *name = clean_header_value(a->name, 200);
        g_autofree char *type = clean_header_value(a->type, 100);

        g_autofree char *size = compose_size_text(a->size);

        /* The extension says what opens it, where the MIME type of an
         * office file is a line long: the type only for a name without
         * one ("LS123"). */
        if (name_has_extension(name))
            g_string_append_printf(t, "%s%s (%s)\n", i > 0 ? "                      " : "",
                                   name, size);
        else
            g_string_append_printf(t, "%s%s (%s, %s)\n", i > 0 ? "                      " : "",
                                   name, type, size);
    }
}

/* The outmail skeleton: kind, recipients, and the message headers every
 * kind carries.  Returns the message; *m gets kind and recipients. */
static GMimeMessage *
start_message(const struct compose_settings *cs, const struct statement *s,
              const char *kind, const char *subject, const GPtrArray *to,
              const GPtrArray *cc, struct outmail **m)
{
    GMimeMessage *msg = g_mime_message_new(TRUE);
    g_autofree char *from_addr = safe_address(cs->from_addr);
    g_autofree char *from_name = clean_header_value(cs->from_name, 200);
    g_autofree char *host = message_id_host(cs);
    g_autofree char *thread = s != NULL ? safe_message_id(s->message_id) : NULL;
    g_autofree char *mid = NULL;
    g_autoptr(GDateTime) now = g_date_time_new_now(local_zone());
    char id[24];

    if (from_addr == NULL)
        from_addr = g_strdup("liaisons@localhost");
    g_snprintf(id, sizeof id, "%" G_GINT64_FORMAT, s != NULL ? s->id : 0);
    mid = g_strdup_printf("liaison-%s-%s-%08x%08x@%s", id, kind,
                          g_random_int(), g_random_int(), host);

    set_from(msg, from_name, from_addr);
    g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_REPLY_TO, NULL, from_addr);
    for (guint i = 0; i < to->len; i++)
        g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, NULL,
                                   g_ptr_array_index(to, i));
    for (guint i = 0; cc != NULL && i < cc->len; i++)
        g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_CC, NULL,
                                   g_ptr_array_index(cc, i));
    set_subject(msg, subject);
    g_mime_message_set_date(msg, now);
    g_mime_message_set_message_id(msg, mid);
    if (thread != NULL) {
        g_mime_object_set_header(GMIME_OBJECT(msg), "In-Reply-To", thread, NULL);
        g_mime_object_set_header(GMIME_OBJECT(msg), "References", thread, NULL);
    }
    /* RFC 3834 section 5: the acknowledgement answers the statement
     * mail, so it is auto-replied; the rest answers no one message; a
     * response is a person's letter, which the other body may answer. */
    if (strcmp(kind, "response") != 0)
        g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted",
                                 strcmp(kind, "acknowledgement") == 0 ? "auto-replied"
                                                                       : "auto-generated", NULL);
    g_mime_object_set_header(GMIME_OBJECT(msg), "X-Liaison-Loop", host, NULL);
    if (s != NULL && s->id > 0)
        g_mime_object_set_header(GMIME_OBJECT(msg), "X-Liaison-ID", id, NULL);

    *m = g_new0(struct outmail, 1);
    (*m)->kind = g_strdup(kind);
    (*m)->message_id = g_strdup_printf("<%s>", mid);
    (*m)->mail_from = g_strdup(from_addr);
    (*m)->rcpts = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < to->len; i++)
        add_unique((*m)->rcpts, g_ptr_array_index(to, i));
    for (guint i = 0; cc != NULL && i < cc->len; i++)
        add_unique((*m)->rcpts, g_ptr_array_index(cc, i));
    return msg;
}

/* Make stream (read from its start) the content of part. */
static void
set_part_content(GMimeTextPart *part, GMimeStream *stream)
{
    GMimeDataWrapper *wrapper =
        g_mime_data_wrapper_new_with_stream(stream, GMIME_CONTENT_ENCODING_DEFAULT);

    g_mime_part_set_content(GMIME_PART(part), wrapper);
    g_object_unref(wrapper);
}

/* Put the text in as a text/plain UTF-8 part, let GMime choose
 * quoted-printable or base64, add the attachments (struct attachment*
 * with bytes; NULL for none) after it in a multipart/mixed, and write the
 * whole message with CRLF. */
static void
finish_message_with(GMimeMessage *msg, const char *text, const GPtrArray *attachments,
                    struct outmail *m)
{
    GMimeTextPart *part = g_mime_text_part_new_with_subtype("plain");
    g_autofree char *clean = clean_body_text(text);
    GMimeFormatOptions *fo = g_mime_format_options_new();
    GMimeStream *mem = g_mime_stream_mem_new();
    GByteArray *bytes;

    GMimeStream *content = g_mime_stream_mem_new_with_buffer(clean, strlen(clean));
    GMimeContentEncoding enc;

    /* Not g_mime_text_part_set_text(): it converts the text to the
     * narrowest charset that fits (ISO-8859-1 for "Réponse"), and a
     * charset label set afterwards would then lie about the bytes.  The
     * text stays UTF-8, labelled as such. */
    set_part_content(part, content);
    g_mime_text_part_set_charset(part, "utf-8");
    enc = g_mime_part_get_best_content_encoding(GMIME_PART(part),
                                                GMIME_ENCODING_CONSTRAINT_7BIT);
    if (enc == GMIME_CONTENT_ENCODING_BASE64) {
        /* Text is encoded in its canonical form, CRLF line ends (RFC 2045
         * section 6.8): the DOS newline format below rewrites only the
         * lines of the encoding, not the text inside the base64. */
        GMimeStream *crlf = g_mime_stream_mem_new();
        GMimeStream *filtered = g_mime_stream_filter_new(crlf);
        GMimeFilter *unix2dos = g_mime_filter_unix2dos_new(FALSE);

        g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), unix2dos);
        g_object_unref(unix2dos);
        g_mime_stream_reset(content);
        g_mime_stream_write_to_stream(content, filtered);
        g_mime_stream_flush(filtered);
        g_object_unref(filtered);
        g_mime_stream_reset(crlf);
        set_part_content(part, crlf);
        g_object_unref(crlf);
    }
    g_object_unref(content);
    g_mime_part_set_content_encoding(GMIME_PART(part), enc);
    if (attachments == NULL || attachments->len == 0) {
        g_mime_message_set_mime_part(msg, GMIME_OBJECT(part));
    } else {
        GMimeMultipart *mixed = g_mime_multipart_new_with_subtype("mixed");

        g_mime_multipart_add(mixed, GMIME_OBJECT(part));
        for (guint i = 0; i < attachments->len; i++) {
            const struct attachment *a = g_ptr_array_index(attachments, i);
            g_auto(GStrv) type = g_strsplit(a->type != NULL ? a->type
                                            : "application/octet-stream", "/", 2);
            GMimePart *file = g_mime_part_new_with_type(type[0], type[1] != NULL
                                                        ? type[1] : "octet-stream");
            gsize len;
            const void *data = a->data != NULL ? g_bytes_get_data(a->data, &len) : "";
            GMimeStream *bytes = g_mime_stream_mem_new_with_buffer(data, a->data != NULL
                                                                   ? len : 0);
            GMimeDataWrapper *w = g_mime_data_wrapper_new_with_stream(
                                      bytes, GMIME_CONTENT_ENCODING_DEFAULT);

            g_mime_part_set_content(file, w);
            g_mime_part_set_content_encoding(file, GMIME_CONTENT_ENCODING_BASE64);
            g_autofree char *name = clean_header_value(a->name, 200);

            /* GMime writes the name RFC 2231-encoded when it needs to. */
            g_mime_part_set_filename(file, name != NULL && *name != '\0' ? name
                                                                       : "attachment");
            if (g_ascii_strcasecmp(type[0], "text") == 0
                && (a->data == NULL || g_utf8_validate(data, (gssize) len, NULL)))
                g_mime_object_set_content_type_parameter(GMIME_OBJECT(file), "charset",
                                                         "utf-8");
            g_mime_object_set_disposition(GMIME_OBJECT(file), GMIME_DISPOSITION_ATTACHMENT);
            g_mime_multipart_add(mixed, GMIME_OBJECT(file));
            g_object_unref(w);
            g_object_unref(bytes);
            g_object_unref(file);
        }
        g_mime_message_set_mime_part(msg, GMIME_OBJECT(mixed));
        g_object_unref(mixed);
    }
    g_object_unref(part);

    g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
    g_mime_object_write_to_stream(GMIME_OBJECT(msg), fo, mem);
    g_mime_stream_flush(mem);
    bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    m->raw = g_bytes_new(bytes->data, bytes->len);
    g_object_unref(mem);
    g_mime_format_options_free(fo);
    g_object_unref(msg);
}

/* finish_message_with no attachment: the kinds the tool writes itself. */
static void
finish_message(GMimeMessage *msg, const char *text, struct outmail *m)
{
    finish_message_with(msg, text, NULL, m);
}

/* The title as a Subject shows it: "Liaison statement:" or "Liaison
 * Statement -" at its start said again what every subject of ours says
 * ("[LS 8] For action: Liaison statement: QUIC"), so it is left out
 * there; the body and the store keep the title whole. */
static const char *
subject_title_start(const char *title)
{
    static const char lead[] = "liaison statement";
    const char *p = title;

    if (g_ascii_strncasecmp(p, lead, sizeof lead - 1) != 0)
        return title;
    p += sizeof lead - 1;
    while (*p == ' ')
        p++;
    if (*p == ':' || *p == '-')
        p++;
    else if (g_str_has_prefix(p, "\u2013") || g_str_has_prefix(p, "\u2014"))
        p += strlen("\u2013");     /* an en or em dash, as a word processor makes one */
    else
        return title;               /* "Liaison statement on ...", "Liaison statements" */
    while (*p == ' ')
        p++;
    return *p != '\0' ? p : title;
}

/* "[LS 42] " + what + ": " + title: what comes first, so that a mailbox
 * list that cuts the subject short still shows what the mail is. */
static char *
subject_for(const struct statement *s, const char *what)
{
    g_autofree char *title = title_of(s, SUBJECT_TITLE_MAX);

    return g_strdup_printf("[LS %" G_GINT64_FORMAT "] %s: %s", s->id, what,
                           subject_title_start(title));
}

/* "Assigned to: a, b" and who is asked to do what, for a mail to the
 * assignees (to) that copies others (cc); the addresses wrapped at 78
 * columns, as a statement to three groups names three of them. */
static void
append_assignees(GString *t, const GPtrArray *to, const GPtrArray *cc)
{
    g_autoptr(GString) list = g_string_new(NULL);

    if (to->len == 0) {
        g_string_append(t, "It has no assignee yet.\n");
        return;
    }
    for (guint i = 0; i < to->len; i++)
        g_string_append_printf(list, "%s%s", i > 0 ? ", " : "",
                               (const char *) g_ptr_array_index(to, i));
    g_string_append(t, "Assigned to: ");
    append_wrapped(t, list->str, 13, "             ", 78);
    g_string_append(t, to->len > 1 ? "\nThe assignees are asked to give it appropriate consideration"
                                   : "\nThe assignee is asked to give it appropriate consideration");
    g_string_append(t, cc->len > 0 ? ";\nthe others are copied for their information.\n"
                                    : ".\n");
}

/* Append what a reader needs first, before the envelope: the statement's
 * page and how to answer and close it by mail, so that they are on the
 * first screen and not below the table and its contacts. */
static void
append_how_to_answer(GString *t, const char *url)
{
    g_string_append_printf(t,
        "\nThe statement, with its attachments: %s\n"
        "To answer, reply to this message.  The assignee can close it by\n"
        "replying with \"close\" as the first line (more commands below).\n\n",
        url);
}

/* The notification's subject: what is asked and by when, then the
 * title ("[LS 8] For action, by 2027-01-15: TITLE"), so that a chair
 * sorting the inbox sees which statements need work; no longer than
 * "Liaison statement received" was. */
static char *
notification_subject(const struct statement *s)
{
    const char *deadline = s->env->deadline;
    const char *what;
    g_autofree char *full = NULL;

    switch (s->env->purpose) {
    case PURPOSE_ACTION: what = "For action"; break;
    case PURPOSE_COMMENT: what = "For comment"; break;
    case PURPOSE_INFORMATION: what = "For information"; deadline = NULL; break;
    case PURPOSE_RESPONSE: what = "Reply to the IETF"; break;
    default: what = "New liaison statement"; deadline = NULL; break;
    }
    if (deadline != NULL)
        full = g_strdup_printf("%s, by %s", what, deadline);
    return subject_for(s, full != NULL ? full : what);
}

/* The notification to the assignee(s), copying the other routed
 * recipients. */
struct outmail *
compose_notification(const struct compose_settings *cs,
                     const struct statement *s)
{
    g_autoptr(GPtrArray) to = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) cc = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *subject = NULL;
    g_autofree char *url = statement_url(cs, s->id);
    GString *t = g_string_new(NULL);
    struct outmail *m;
    GMimeMessage *msg;

    routed_recipients(s, NULL, to, cc);
    if (to->len == 0 && cc->len == 0) {
        g_string_free(t, TRUE);
        return NULL;
    }
    subject = notification_subject(s);
    /* To the assignee, and in copy the contacts, supervisors and lists:
     * the text says whose it is, not "assigned to you" to all. */
    /* What is asked comes first: "for action" or "for information". */
    if (s->env->purpose != PURPOSE_NONE) {
        g_autofree char *asked = g_ascii_strdown(purpose_text(s->env->purpose), -1);

        g_string_append_printf(t, "A liaison statement has arrived, %s.\n", asked);
    } else {
        g_string_append(t, "A liaison statement has arrived.\n");
    }
    append_assignees(t, to, cc);
    if (s->env->deadline != NULL)
        g_string_append_printf(t, "Please reply by %s.\n", s->env->deadline);
    append_how_to_answer(t, url);
    append_envelope(t, s);
    g_string_append_printf(t,
        "\nYour answer is recorded and threaded onto the statement (tracking\n"
        "id LS %" G_GINT64_FORMAT ").\n\n"
        "%s"
        "-- \nThis message was generated automatically.\n",
        s->id, COMMANDS_HELP);
    msg = start_message(cs, s, "notification", subject, to, cc, &m);
    finish_message(msg, t->str, m);
    g_string_free(t, TRUE);
    return m;
}

/* Append text to t as a bullet ("  - "), wrapped at 72 columns with the
 * continuation lines indented under it. */
static void
append_bullet(GString *t, const char *text)
{
    g_string_append(t, "  - ");
    append_wrapped(t, text, 4, "    ", 72);
    g_string_append_c(t, '\n');
}

/* A diagnostic put as a request to the sender. */
static const char *
diagnostic_request(const struct diagnostic *d)
{
    static const struct { const char *code, *text; } requests[] = {
        { "from-missing", "No sending body (From) could be read: please reply "
          "naming the organisation that sends this statement." },
        { "to-missing", "No addressee (To) could be read: please reply naming "
          "the IETF group or groups it is addressed to." },
        { "title-missing", "No title was given: please reply with the "
          "statement's title." },
        { "purpose-missing", "No purpose was given, so it was recorded as For "
          "Information; reply if it needs action or comment." },
        { "deadline-missing", "It asks for action or comment but gives no "
          "deadline: please reply with the date by which you need an answer." },
        { "deadline-on-information", "A deadline was given on a statement For "
          "Information: please reply if you expect action or comment by then." },
        { "response-contact-missing", "No response contact was given, so "
          "answers will go to the address this mail came from; reply if "
          "they should go elsewhere." },
        { "attachment-not-readable-format", "The attachments are only in a "
          "word-processing format: please send a PDF beside the Word file "
          "(RFC 4053, section 2.2.1.2)." },
        { "attachment-tnef", "An attachment arrived as winmail.dat, Outlook's own "
          "wrapper, which other mail readers cannot open: please send the files "
          "again as ordinary attachments (in Outlook, send the mail as HTML or "
          "plain text, not Rich Text)." },
        { "mime-damaged", "Part of the mail could not be read (its MIME "
          "structure is damaged): please check that the attachments arrived "
          "whole, or send them again." },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(requests); i++)
        if (d->code != NULL && strcmp(d->code, requests[i].code) == 0)
            return requests[i].text;
    return NULL;
}

/* For the sender: where the statement went (the assignee addresses, as
 * routing chose them, with the groups they stand for) and that an answer
 * comes by mail, so that the liaison manager knows whom it is with. */
static void
append_passed_to(GString *t, const struct statement *s)
{
    g_autoptr(GPtrArray) to = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) cc = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GString) list = g_string_new(NULL);
    g_autoptr(GString) groups = g_string_new(NULL);

    routed_recipients(s, NULL, to, cc);
    if (to->len == 0) {
        g_string_append(t, "It is not yet passed to an IETF group; that will be done by\n"
                           "hand.  Any answer from the IETF will come by mail.\n\n");
        return;
    }
    for (guint i = 0; i < to->len; i++)
        g_string_append_printf(list, "%s%s", i > 0 ? ", " : "",
                               (const char *) g_ptr_array_index(to, i));
    for (guint i = 0; s->groups != NULL && i < s->groups->len; i++) {
        g_autofree char *g = clean_header_value(g_ptr_array_index(s->groups, i), 64);

        if (g != NULL && *g != '\0')
            g_string_append_printf(groups, "%s%s", groups->len > 0 ? ", " : "", g);
    }
    if (groups->len > 0)
        g_string_append_printf(list, " (%s)", groups->str);
    g_string_append(t, "It has been passed to: ");
    append_wrapped(t, list->str, 23, "  ", 78);
    g_string_append(t, "\nAny answer from the IETF will come by mail.\n\n");
}

/* The acknowledgement to the addresses in want, or to the response
 * contact(s) when want is NULL. */
struct outmail *
compose_acknowledgement(const struct compose_settings *cs,
                        const struct statement *s, const GPtrArray *want)
{
    g_autoptr(GPtrArray) to = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *subject = NULL;
    g_autofree char *url = statement_url(cs, s->id);
    GString *t;
    struct outmail *m;
    GMimeMessage *msg;

    add_safe(to, want);
    for (guint i = 0; want == NULL && s->env->response_contacts != NULL
                      && i < s->env->response_contacts->len; i++) {
        const struct contact *c = g_ptr_array_index(s->env->response_contacts, i);
        g_autofree char *a = safe_address(c->addr);

        if (a != NULL)
            add_unique(to, a);
    }
    if (to->len == 0)
        return NULL;
    subject = subject_for(s, "Acknowledgement");
    t = g_string_new(NULL);
    g_string_append_printf(t,
        "Your liaison statement has been received and recorded.\n\n"
        "Tracking id: LS %" G_GINT64_FORMAT " (please quote [LS %" G_GINT64_FORMAT
        "] in the subject of any mail about it)\n"
        "Its page: %s\n\n",
        s->id, s->id, url);
    append_passed_to(t, s);
    g_string_append(t, "The statement as we understood it:\n\n");
    append_envelope(t, s);
    if (s->diagnostics->len > 0) {
        g_string_append(t, "\nPlease help us complete the record:\n\n");
        for (guint i = 0; i < s->diagnostics->len; i++) {
            const struct diagnostic *d = g_ptr_array_index(s->diagnostics, i);
            const char *req = diagnostic_request(d);
            g_autofree char *own = req == NULL ? clean_body_text(d->text) : NULL;

            append_bullet(t, req != NULL ? req : own);
        }
    }
    g_string_append(t,
        "\nTo add to or correct the statement, reply to this message: the\n"
        "reply is recorded with it.\n\n"
        "-- \nThis message was generated automatically.\n");
    msg = start_message(cs, s, "acknowledgement", subject, to, NULL, &m);
    finish_message(msg, t->str, m);
    g_string_free(t, TRUE);
    return m;
}

/* A tickler reminder to the assignee(s), copying everyone the
 * notification copied except the lists. */
struct outmail *
compose_reminder(const struct compose_settings *cs, const struct statement *s,
                 const char *kind, int days)
{
    static const char *const no_lists[] = { "list", "info-list", NULL };
    g_autoptr(GPtrArray) to = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) cc = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *subject = NULL;
    g_autofree char *what = NULL;
    g_autofree char *url = statement_url(cs, s->id);
    g_autofree char *lead = NULL;
    GString *t;
    struct outmail *m;
    GMimeMessage *msg;

    routed_recipients(s, no_lists, to, cc);
    if (to->len == 0 && cc->len == 0)
        return NULL;
    /* The status first, so that a statement's reminders are told apart
     * in a mailbox list that cuts the subject short. */
    if (kind != NULL && strcmp(kind, "overdue") == 0) {
        what = g_strdup_printf("Overdue by %d day%s", days, days == 1 ? "" : "s");
        lead = g_strdup_printf("The deadline of this liaison statement (%s) passed\n"
                               "%d day%s ago, and no response is recorded.",
                               s->env->deadline != NULL ? s->env->deadline : "?",
                               days, days == 1 ? "" : "s");
    } else if (kind != NULL && strcmp(kind, "no-deadline") == 0) {
        what = g_strdup_printf("No response after %d day%s", days, days == 1 ? "" : "s");
        lead = g_strdup_printf("This liaison statement (%s) arrived %d days ago,\n"
                               "has no deadline, and no response is recorded.",
                               purpose_text(s->env->purpose), days);
    } else {
        what = days == 0 ? g_strdup("Due today")
             : g_strdup_printf("Due in %d day%s", days, days == 1 ? "" : "s");
        lead = g_strdup_printf("The deadline of this liaison statement is %s%s.",
                               s->env->deadline != NULL ? s->env->deadline : "?",
                               days == 0 ? ", today" : "");
    }
    subject = subject_for(s, what);
    t = g_string_new(NULL);
    g_string_append_printf(t, "%s\n", lead);
    append_assignees(t, to, cc);
    append_how_to_answer(t, url);
    append_envelope(t, s);
    g_string_append_printf(t,
        "\nYour answer is recorded and threaded onto statement LS %" G_GINT64_FORMAT ".\n\n"
        "%s"
        "-- \nThis reminder was generated automatically.\n",
        s->id, COMMANDS_HELP);
    msg = start_message(cs, s, "reminder", subject, to, cc, &m);
    finish_message(msg, t->str, m);
    g_string_free(t, TRUE);
    return m;
}

/* A report to the liaison manager (or whoever the caller names). */
struct outmail *
compose_report(const struct compose_settings *cs, const struct statement *s,
               const char *to_addr, const char *subject, const char *text)
{
    g_autoptr(GPtrArray) to = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *addr = safe_address(to_addr);
    g_autofree char *subj = clean_header_value(subject, SUBJECT_TITLE_MAX);
    g_autofree char *full = NULL;
    g_autofree char *title = NULL;
    GString *t;
    struct outmail *m;
    GMimeMessage *msg;

    if (addr == NULL)
        return NULL;
    g_ptr_array_add(to, g_steal_pointer(&addr));
    if (s != NULL) {
        title = title_of(s, 0);
        full = g_strdup_printf("[LS %" G_GINT64_FORMAT "] %s", s->id,
                               subj != NULL ? subj : "Report");
    } else {
        full = g_strdup(subj != NULL ? subj : "Report");
    }
    t = g_string_new(NULL);
    g_string_append(t, text != NULL ? text : "");
    if (t->len > 0 && t->str[t->len - 1] != '\n')
        g_string_append_c(t, '\n');
    if (s != NULL) {
        g_autofree char *url = statement_url(cs, s->id);

        g_string_append_printf(t, "\nStatement LS %" G_GINT64_FORMAT ": %s\n%s\n",
                               s->id, title, url);
    }
    g_string_append(t, "\n-- \nThis report was generated automatically.\n");
    msg = start_message(cs, s, "report", full, to, NULL, &m);
    finish_message(msg, t->str, m);
    g_string_free(t, TRUE);
    return m;
}

/* The answer to commands: a report whose subject names the statement's
 * title after what happened, as the other mails' subjects do. */
struct outmail *
compose_answer(const struct compose_settings *cs, const struct statement *s,
               const char *to_addr, const char *what, const char *text)
{
    g_autofree char *title = title_of(s, SUBJECT_TITLE_MAX);
    g_autofree char *subject = g_strdup_printf("%s: %s", what, subject_title_start(title));
    struct outmail *m = compose_report(cs, s, to_addr, subject, text);

    if (m != NULL) {
        g_free(m->kind);
        m->kind = g_strdup("answer");
    }
    return m;
}

/* The IETF's response to statement s (liaisonctl reply): a person's
 * letter to the addresses in want, copying everyone the notification
 * went to, threaded on the statement. */
struct outmail *
compose_response(const struct compose_settings *cs, const struct statement *s,
                 const GPtrArray *want, const char *text, const GPtrArray *attachments)
{
    g_autoptr(GPtrArray) to = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) assignees = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) cc = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *subject = NULL;
    g_autofree char *title = title_of(s, 0);
    g_autofree char *url = statement_url(cs, s->id);
    g_autofree char *day = g_strndup(s->received != NULL ? s->received : "", 10);
    GString *t;
    struct outmail *m;
    GMimeMessage *msg;

    add_safe(to, want);
    if (to->len == 0)
        return NULL;
    /* In copy: the assignee first, then the others the statement went to. */
    routed_recipients(s, NULL, assignees, cc);
    for (guint i = 0; i < cc->len; i++)
        add_unique(assignees, g_ptr_array_index(cc, i));
    for (guint i = assignees->len; i-- > 0;)
        if (in_list(to, g_ptr_array_index(assignees, i)))
            g_ptr_array_remove_index(assignees, i);
    subject = subject_for(s, "Response");
    t = g_string_new(text != NULL ? text : "");
    if (t->len > 0 && t->str[t->len - 1] != '\n')
        g_string_append_c(t, '\n');
    g_string_append_printf(t, "\n-- \nIn response to liaison statement LS %" G_GINT64_FORMAT
                           " \"%s\"%s%s%s%s\n%s\n", s->id, title,
                           s->env->from_body != NULL ? " from " : "",
                           s->env->from_body != NULL ? s->env->from_body : "",
                           s->received != NULL ? ", received " : "",
                           s->received != NULL ? day : "", url);
    msg = start_message(cs, s, "response", subject, to, assignees, &m);
    finish_message_with(msg, t->str, attachments, m);
    g_string_free(t, TRUE);
    return m;
}

/* Free an outmail; NULL is fine. */
void
outmail_free(struct outmail *m)
{
    if (m == NULL)
        return;
    g_free(m->kind);
    g_free(m->message_id);
    g_free(m->mail_from);
    if (m->rcpts != NULL)
        g_ptr_array_unref(m->rcpts);
    if (m->raw != NULL)
        g_bytes_unref(m->raw);
    g_free(m);
}

/* First 12 hex digits of HMAC-SHA256(secret, "ROW:rcpt"), rcpt as written
 * in the outbox row.  Keyed, so that nobody without the database's secret
 * can make up a bounce address that names a recipient of ours. */
char *
compose_verp_hash(const char *secret, gint64 outbox_id, const char *rcpt)
{
    g_autofree char *msg = g_strdup_printf("%" G_GINT64_FORMAT ":%s", outbox_id,
                                           rcpt != NULL ? rcpt : "");

    return compose_keyed_hash(secret, msg);
}

/* See compose.h. */
char *
compose_keyed_hash(const char *secret, const char *msg)
{
    const char *key = secret != NULL ? secret : "";
    g_autofree char *hex = g_compute_hmac_for_string(G_CHECKSUM_SHA256, (const guchar *) key,
                                                     strlen(key), msg, -1);

    return g_strndup(hex, 12);
}

/* See compose.h. */
gboolean
compose_same_hash(const char *a, const char *b)
{
    unsigned char diff = 0;
    size_t n = strlen(b);

    if (strlen(a) != n)
        return FALSE;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char) (a[i] ^ b[i]);
    return diff == 0;
}

/* bounce_local+b.ROW.HASH@bounce_domain, for one recipient of a row. */
char *
compose_verp_sender(const struct compose_settings *cs, const char *secret,
                    gint64 outbox_id, const char *rcpt)
{
    g_autofree char *hash = compose_verp_hash(secret, outbox_id, rcpt);
    const char *local = cs->bounce_local != NULL && *cs->bounce_local != '\0'
        ? cs->bounce_local : "liaisons";
    const char *domain = cs->bounce_domain != NULL && *cs->bounce_domain != '\0'
        ? cs->bounce_domain : "localhost";

    return g_strdup_printf("%s+b.%" G_GINT64_FORMAT ".%s@%s", local, outbox_id,
                           hash, domain);
}

/* Read a VERP address back: TRUE with the row and the 12-digit hash when
 * addr (with or without <>) has the form LOCAL+b.ROW.HASH@DOMAIN. */
gboolean
compose_verp_parse(const char *addr, gint64 *outbox_id, char hash[13])
{
    const char *p, *at, *dot;
    char *end;
    gint64 row;

    if (addr == NULL)
        return FALSE;
    if (*addr == '<')
        addr++;
    p = strstr(addr, "+b.");
    at = p != NULL ? strchr(p, '@') : NULL;
    if (p == NULL || at == NULL)
        return FALSE;
    p += 3;
    row = g_ascii_strtoll(p, &end, 10);
    if (end == p || *end != '.' || row <= 0)
        return FALSE;
    dot = end + 1;
    if (at - dot != 12)
        return FALSE;
    for (int i = 0; i < 12; i++) {
        if (!g_ascii_isxdigit(dot[i]))
            return FALSE;
        hash[i] = g_ascii_tolower(dot[i]);
    }
    hash[12] = '\0';
    *outbox_id = row;
    return TRUE;
}

/* compose_settings with the strings it owns. */
struct owned_settings {
    struct compose_settings cs; /* first: the pointer handed out */
    char   *from_addr, *from_name, *local, *domain, *base_url, *hostname;
};

/* Settings from the configuration file's mail keys. */
struct compose_settings *
compose_settings_from_config(const struct config *cfg, const struct directory *dir)
{
    struct owned_settings *o = g_new0(struct owned_settings, 1);
    const char *from = cfg->mail_from;
    g_autofree char *bare = NULL;
    const char *at;

    if ((from == NULL || *from == '\0') && cfg->intake != NULL && cfg->intake[0] != NULL) {
        bare = config_bare_address(cfg->intake[0]);     /* "<liaisons@x>" too */
        from = bare;
    }
    /* Intake named only in the directory: answers must still come back
     * there, not to a made-up local address. */
    if (from == NULL || *from == '\0')
        from = directory_first_intake(dir);
    o->from_addr = g_strdup(from != NULL && *from != '\0' ? from : "liaisons@localhost");
    at = strrchr(o->from_addr, '@');
    o->local = at != NULL ? g_strndup(o->from_addr, at - o->from_addr)
                          : g_strdup(o->from_addr);
    o->domain = g_strdup(at != NULL ? at + 1 : "localhost");
    o->from_name = g_strdup(cfg->mail_from_name);
    o->base_url = g_strdup(cfg->base_url);
    o->hostname = g_strdup(cfg->hostname != NULL && *cfg->hostname != '\0'
                           ? cfg->hostname : g_get_host_name());
    o->cs.from_addr = o->from_addr;
    o->cs.from_name = o->from_name;
    o->cs.bounce_local = o->local;
    o->cs.bounce_domain = o->domain;
    o->cs.base_url = o->base_url;
    o->cs.hostname = o->hostname;
    return &o->cs;
}

/* Free settings made by compose_settings_from_config; NULL is fine. */
void
compose_settings_free(struct compose_settings *cs)
{
    struct owned_settings *o = (struct owned_settings *) cs;

    if (o == NULL)
        return;
    g_free(o->from_addr);
    g_free(o->from_name);
    g_free(o->local);
    g_free(o->domain);
    g_free(o->base_url);
    g_free(o->hostname);
    g_free(o);
}
