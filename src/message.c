/*
 * message.c: a raw RFC 5322 message turned into struct message with GMime.
 *
 * Every message that reaches liaisons@ is hostile input, so this file is
 * written around bounds rather than around the happy path:
 *
 *  - Before GMime sees the bytes, a cheap linear scan (mime_scan.c)
 *    counts what the parse would cost, and GMime is never given more
 *    than the limits: a message that nests too deeply is parsed for its
 *    top-level headers only and its body kept as opaque text; past the
 *    parts or header limits GMime reads only up to the line where the
 *    limit was passed; and a message whose own header block is over the
 *    header limits is not parsed at all (the caller still keeps it
 *    verbatim).
 *  - HTML is rendered to text by html.c, given no more markup than the
 *    text limit can use.
 *  - The MIME tree is then walked with explicit depth and part-count limits.
 *  - All text is converted to valid UTF-8 by text.c (with iconv and a
 *    byte-by-byte fallback) instead of g_mime_text_part_get_text(), which
 *    returns the raw bytes unchanged when a charset is unknown and stops at
 *    the first NUL.
 *  - Header values returned to the rest of the program pass through
 *    text_clean_value(): they never contain CR, LF, NUL or other control
 *    characters, and are bounded in length.
 *
 * A statement forwarded by a secretariat as an attached message/rfc822 is
 * read from the inner message; the outer one only supplies forwarded_by,
 * outer_message_id and the classification headers.  A message that has
 * In-Reply-To is an answer in a thread and is never unwrapped this way,
 * so an assignee who attaches the statement he answers stays
 * correspondence.
 *
 * Size: the message is read from a seekable stream (the milter's spool
 * file, or bytes in memory read in place); the scans read it in chunks,
 * GMime keeps part contents as ranges of it (persist_stream), text is
 * decoded only as far as the text limit can use, and attachments larger
 * than attachment_memory_max (or past ATTACHMENT_MEMORY_TOTAL) are
 * decoded into the message's one unlinked temporary file, each a range
 * of it.
 *
 * What could not be read is described in m->problems as plain sentences;
 * only input that is not mail at all is refused.  No GMime or libxml2
 * object outlives message_parse().
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include <gmime/gmime.h>
#include <libxml/parser.h>

#include "envelope.h"
#include "html.h"
#include "message.h"
#include "mime_scan.h"
#include "problems.h"
#include "text.h"

/* References, failed recipients: lists taken from one header or part. */
#define LIST_MAX            256
/* To and Cc addresses, and Authentication-Results fields, kept of a message. */
#define REPLY_RCPTS_MAX     64
#define AUTH_RESULTS_MAX    16
/* How much of the header block the "is this binary?" test looks at. */
#define SNIFF_MAX           65536
/* HTML rendered per byte of text kept (limits->max_text).  libxml2's tree
 * costs about 45 times the markup: 8 MB of HTML peaked at 375 MB; 2 MB
 * (the default max_text of 1 MB, twice) stays under 100 MB and renders
 * more text than a statement has. */
#define HTML_TEXT_RATIO     2
/* Longest safe file name, in bytes. */
#define FILENAME_MAX_BYTES  200
/* Extensions up to this long survive truncation of a long file name. */
#define EXTENSION_KEEP_MAX  16
/* A repaired copy of a message this small is made in memory. */
#define REPAIR_MEMORY_MAX   (1024 * 1024)
/* Default of limits->attachment_memory_max. */
#define ATTACHMENT_MEMORY_DEFAULT   (256 * 1024)
/* All the attachments of one message kept in memory, in units of
 * attachment_memory_max: past this, even small ones go to the temporary
 * file, so that a thousand parts of 200 KB cost no more memory than one. */
#define ATTACHMENT_MEMORY_TOTAL     8
/* Decoded text read from a large text attachment, per byte of the text
 * budget still left (charset conversion and NUL removal change sizes). */
#define TEXT_READ_RATIO     2
/* The longest note (in bytes, without its signature) a bare forward's
 * own text may be. */
#define FORWARD_NOTE_MAX    1000
/* The longest covering note (signature and disclaimer included) of a
 * forward that is unwrapped. */
#define FORWARD_NOTE_TEXT_MAX 2000

/* What the walk over one message's MIME tree carries along. */
struct walk {
    const struct message_limits *lim;
    struct message *m;
    unsigned visited;               /* MIME objects looked at so far */
    gboolean parts_noted;           /* "too many parts" already said */
    gboolean depth_noted;           /* "too deep" already said */
    GMimeObject *body;              /* the leaf chosen as readable text */
    GPtrArray *body_alts;           /* pairs: each multipart/alternative
                                       on the way to the body, then its
                                       child leading to it; NULL in a walk
                                       that chooses no body */
    gsize text_att_bytes;           /* text_attachments total so far */
    gsize mem_bytes;                /* attachment bytes kept in memory */
    GMimeStream *spool;             /* the unlinked temporary file that holds
                                       every attachment not kept in memory,
                                       one after the other; NULL until the
                                       first one */
    GError *io_error;               /* a temporary file failed */
};

static GMimeStream *message_temp_stream(const char *dir, GError **err);

/* The error domain for input that is not mail. */
GQuark
message_error_quark(void)
{
    return g_quark_from_static_string("message-error");
}

/* ---- problems ------------------------------------------------------- */

/* Record a problem sentence about m (problems.c keeps the list bounded
 * and without repeats). */
static void G_GNUC_PRINTF(2, 3)
add_problem(struct message *m, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    problems_addv(m->problems, fmt, ap);
    va_end(ap);
}

/* ---- input checks ---------------------------------------------------- */

/* Up to n bytes of s from start, in memory; *failed (may be NULL) says
 * whether the stream failed before them. */
static GByteArray *
read_range(GMimeStream *s, gint64 start, gint64 end, gsize n, gboolean *failed)
{
    GByteArray *out = g_byte_array_new();
    struct mime_scan_reader r;

    mime_scan_reader_init(&r, s, start, end);
    while (out->len < n && mime_scan_reader_fill(&r)) {
        gsize take = MIN(n - out->len, r.len - r.off);

        g_byte_array_append(out, (const guint8 *) r.buf + r.off, (guint) take);
        r.off += take;
    }
    if (failed != NULL)
        *failed = r.failed;
    mime_scan_reader_clear(&r);
    return out;
}

/* What the checks need to know about the first line, read whole. */
struct first_line {
    gboolean nul;               /* a NUL byte in it */
    gboolean bare_cr;           /* a CR in it that does not end it */
};

/* Length of the first line (without its line ending). */
static gsize
first_line_len(const char *s, size_t len)
{
    const char *nl = memchr(s, '\n', len);
    gsize l = nl ? (gsize) (nl - s) : len;

    if (l > 0 && s[l - 1] == '\r')
        l--;
    return l;
}

/* Read the first line of the range, however long, for NULs and bare CRs
 * (a CR other than the one before its LF: old Mac line ends). */
static void
scan_first_line(GMimeStream *s, gint64 start, gint64 end, struct first_line *fl)
{
    struct mime_scan_reader r;
    gint64 first_cr = -1, len = 0;
    gboolean cr_last = FALSE;

    fl->nul = fl->bare_cr = FALSE;
    mime_scan_reader_init(&r, s, start, end);
    while (mime_scan_reader_fill(&r)) {
        const char *p = r.buf + r.off;
        gsize avail = r.len - r.off;
        const char *nl = memchr(p, '\n', avail);
        gsize seg = nl ? (gsize) (nl - p) : avail;
        const char *cr = first_cr < 0 ? memchr(p, '\r', seg) : NULL;

        if (memchr(p, '\0', seg) != NULL)
            fl->nul = TRUE;
        if (cr != NULL)
            first_cr = len + (cr - p);
        if (seg > 0)
            cr_last = p[seg - 1] == '\r';
        len += (gint64) seg;
        r.off += seg;
        if (nl)
            break;
    }
    mime_scan_reader_clear(&r);
    /* The line without a final CR is [0, len - cr_last). */
    fl->bare_cr = first_cr >= 0 && first_cr < len - (cr_last ? 1 : 0);
}

/* TRUE when the line is a syntactically valid header field: a name of
 * printable ASCII without ':', optional blanks, ':'. */
static gboolean
is_header_field(const char *line, gsize len)
{
    gsize i = 0;

    while (i < len && (unsigned char) line[i] > 32
           && (unsigned char) line[i] < 127 && line[i] != ':')
        i++;
    if (i == 0)
        return FALSE;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    return i < len && line[i] == ':';
}

/* Where the header block ends in a buffer: the offset of the empty line,
 * or len. */
static size_t
header_block_end(const char *raw, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (raw[i] != '\n')
            continue;
        if (i + 1 < len && raw[i + 1] == '\n')
            return i + 1;
        if (i + 2 < len && raw[i + 1] == '\r' && raw[i + 2] == '\n')
            return i + 1;
    }
    return len;
}

/* Where the header block ends in the stream (the offset of the empty
 * line, or end), and whether a NUL comes before it. */
static gint64
scan_header_block(GMimeStream *s, gint64 start, gint64 end, gboolean *nul)
{
    enum { NONE, AFTER_LF, AFTER_LF_CR } st = NONE;
    struct mime_scan_reader r;
    gint64 found = end;

    *nul = FALSE;
    mime_scan_reader_init(&r, s, start, end);
    while (found == end && mime_scan_reader_fill(&r)) {
        for (; r.off < r.len; r.off++) {
            char c = r.buf[r.off];

            if (st == AFTER_LF && c == '\n') {
                found = mime_scan_reader_offset(&r);
                break;
            }
            if (st == AFTER_LF_CR && c == '\n') {
                found = mime_scan_reader_offset(&r) - 1;
                break;
            }
            if (c == '\0')
                *nul = TRUE;
            st = c == '\n' ? AFTER_LF : (st == AFTER_LF && c == '\r') ? AFTER_LF_CR : NONE;
        }
    }
    mime_scan_reader_clear(&r);
    return found;
}

/* Refuse what is not mail; sets *err and returns FALSE.  head is the
 * first SNIFF_MAX bytes (or all) of a message of len bytes. */
static gboolean
check_is_mail(const char *head, size_t hlen, const struct first_line *fl,
              GError **err)
{
    gsize l, ctl = 0, n;

    if (hlen == 0) {
        g_set_error(err, MESSAGE_ERROR, MESSAGE_ERROR_NOT_MAIL,
                    "The input is empty.");
        return FALSE;
    }
    l = first_line_len(head, hlen);
    if (fl->nul || !is_header_field(head, l)) {
        g_set_error(err, MESSAGE_ERROR, MESSAGE_ERROR_NOT_MAIL,
                    "The input is not mail: its first line is not a header "
                    "field \"Name: value\".");
        return FALSE;
    }
    /* Binary data may happen to start like a header; mail headers carry
     * almost no control characters.  ESC is not one of them here: raw
     * ISO-2022-JP headers, as older Japanese mailers send, switch
     * character sets with it several times a line. */
    n = header_block_end(head, hlen);
    for (gsize i = 0; i < n; i++) {
        unsigned char c = (unsigned char) head[i];
        if ((c < 32 && c != '\t' && c != '\r' && c != '\n' && c != 0x1b) || c == 127)
            ctl++;
    }
    if (ctl > 16 && ctl * 10 > n) {
        g_set_error(err, MESSAGE_ERROR, MESSAGE_ERROR_NOT_MAIL,
                    "The input is not mail: its header block is binary data.");
        return FALSE;
    }
    return TRUE;
}

/* Repair what would make GMime misread the headers, in a copy: NUL bytes
 * in the header block (GMime's header values are C strings, so a NUL
 * would silently cut them) are removed, and a message whose lines end in
 * bare CR (old Mac mail, which GMime reads as one endless header line)
 * gets LF line ends.  The copy is in memory when small, else in a
 * temporary file; NULL with *err when that file fails. */
static GMimeStream *
prepare_input(struct message *m, GMimeStream *s, gint64 start, gint64 end,
              gint64 hdr_end, gboolean bare_cr, const struct message_limits *lim,
              GError **err)
{
    GMimeStream *out;
    GByteArray *chunk;
    gboolean cr_pending = FALSE, ok = TRUE;
    unsigned nuls = 0;
    struct mime_scan_reader r;

    if (end - start <= REPAIR_MEMORY_MAX)
        out = g_mime_stream_mem_new();
    else if ((out = message_temp_stream(lim->spool_dir, err)) == NULL)
        return NULL;
    chunk = g_byte_array_sized_new(MIME_SCAN_READ_CHUNK);
    mime_scan_reader_init(&r, s, start, end);
    while (ok && mime_scan_reader_fill(&r)) {
        g_byte_array_set_size(chunk, 0);
        for (; r.off < r.len; r.off++) {
            guint8 c = (guint8) r.buf[r.off];

            if (bare_cr) {
                /* A CR is held until the next byte says whether it
                 * ends a CRLF. */
                if (cr_pending) {
                    guint8 was = c == '\n' ? '\r' : '\n';
                    g_byte_array_append(chunk, &was, 1);
                    cr_pending = FALSE;
                }
                if (c == '\r') {
                    cr_pending = TRUE;
                    continue;
                }
            } else if (c == '\0' && mime_scan_reader_offset(&r) < hdr_end) {
                nuls++;
                continue;
            }
            g_byte_array_append(chunk, &c, 1);
        }
        ok = g_mime_stream_write(out, (const char *) chunk->data, chunk->len)
             == (gssize) chunk->len;
    }
    if (ok && cr_pending)
        ok = g_mime_stream_write(out, "\n", 1) == 1;
    mime_scan_reader_clear(&r);
    g_byte_array_free(chunk, TRUE);
    if (!ok) {
        g_set_error(err, MESSAGE_ERROR, MESSAGE_ERROR_IO,
                    "writing a repaired copy of the message: %s", g_strerror(errno));
        g_object_unref(out);
        return NULL;
    }
    g_mime_stream_reset(out);
    if (bare_cr)
        add_problem(m, "The message ends its lines with bare CR characters; "
                    "they were read as line ends.");
    if (nuls > 0)
        add_problem(m, "The headers contain %u NUL bytes; they were removed.",
                    nuls);
    return out;
}

/* ---- GMime helpers --------------------------------------------------- */

/* What parser_warning() reports to. */
struct warn_ctx {
    struct message *m;
    gboolean cut;               /* GMime reads only up to a limit: its end
                                   is ours, not the sender's truncation */
};

/* Parser warnings that mean content may be missing, as sentences. */
static void
parser_warning(gint64 offset, GMimeParserWarning code, const gchar *item,
               gpointer user_data)
{
    const struct warn_ctx *wc = user_data;
    struct message *m = wc->m;

    (void) offset;
    (void) item;
    switch (code) {
    case GMIME_WARN_TRUNCATED_MESSAGE:
        if (!wc->cut)
            add_problem(m, "The message is truncated: a MIME part ends early.");
        break;
    case GMIME_WARN_MALFORMED_MULTIPART:
        add_problem(m, "A multipart has no parts inside it.");
        break;
    case GMIME_WARN_MALFORMED_MESSAGE:
        add_problem(m, "The message structure is malformed.");
        break;
    case GMIME_WARN_INVALID_CONTENT_TYPE:
        add_problem(m, "A Content-Type is invalid; the part was read as "
                    "application/octet-stream.");
        break;
    case GMIME_CRIT_INVALID_HEADER_NAME:
        add_problem(m, "A header line has an invalid name; some headers or "
                    "parts may have been skipped.");
        break;
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
        add_problem(m, "A multipart has no boundary parameter; its content "
                    "was read as one part.");
        break;
    case GMIME_CRIT_NESTING_OVERFLOW:
        add_problem(m, "MIME parts nest deeper than the parser allows; the "
                    "innermost were not read.");
        break;
    case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
        add_problem(m, "A MIME part has neither headers nor content.");
        break;
    default:
        /* duplicated headers, 8-bit headers...: readable as they are */
        break;
    }
}

/* Lower-case "type/subtype" of a MIME object; application/octet-stream
 * when it has none, or when either half is not a MIME token (a damaged
 * header): the type is stored, shown and written into JSON as text. */
static char *
object_mime_type(GMimeObject *obj)
{
    GMimeContentType *ct = g_mime_object_get_content_type(obj);
    const char *type = ct ? g_mime_content_type_get_media_type(ct) : NULL;
    const char *sub = ct ? g_mime_content_type_get_media_subtype(ct) : NULL;
    g_autofree char *t = NULL;

    if (type == NULL || sub == NULL || !text_token_ok(type, G_MAXSIZE)
        || !text_token_ok(sub, G_MAXSIZE))
        return g_strdup("application/octet-stream");
    t = g_strdup_printf("%s/%s", type, sub);
    return g_ascii_strdown(t, -1);
}

/* TRUE when the object's type is type/subtype (case-insensitive). */
static gboolean
is_type(GMimeObject *obj, const char *type, const char *subtype)
{
    GMimeContentType *ct = g_mime_object_get_content_type(obj);

    return ct != NULL && g_mime_content_type_is_type(ct, type, subtype);
}

/* TRUE when Content-Disposition says attachment. */
static gboolean
is_attachment_disposition(GMimeObject *obj)
{
    GMimeContentDisposition *d = g_mime_object_get_content_disposition(obj);

    return d != NULL && g_mime_content_disposition_is_attachment(d);
}

/* Report base64 content that GMime will silently skip over: characters
 * outside the alphabet, or a last group cut short (truncation). */
static void
check_base64(struct message *m, GMimePart *part, const char *what)
{
    GMimeDataWrapper *dw = g_mime_part_get_content(part);
    GMimeStream *s;
    char buf[4096];
    gssize n;
    guint64 bad = 0, sym = 0;

    if (g_mime_part_get_content_encoding(part) != GMIME_CONTENT_ENCODING_BASE64
        || dw == NULL || (s = g_mime_data_wrapper_get_stream(dw)) == NULL)
        return;
    if (g_mime_stream_reset(s) == -1)
        return;
    while ((n = g_mime_stream_read(s, buf, sizeof buf)) > 0) {
        for (gssize i = 0; i < n; i++) {
            unsigned char c = (unsigned char) buf[i];
            if (g_ascii_isalnum(c) || c == '+' || c == '/' || c == '=')
                sym++;
            else if (!g_ascii_isspace(c))
                bad++;
        }
    }
    g_mime_stream_reset(s);
    if (bad > 0)
        add_problem(m, "The base64 content of the %s has %" G_GUINT64_FORMAT
                    " characters outside the base64 alphabet; they were "
                    "skipped.", what, bad);
    else if (sym % 4 != 0)
        add_problem(m, "The base64 content of the %s ends in the middle of "
                    "a group; it may be truncated.", what);
}

/* Decoded bytes of a leaf part (transfer encoding undone). */
static GByteArray *
part_bytes(struct message *m, GMimePart *part)
{
    GMimeDataWrapper *dw = g_mime_part_get_content(part);
    GMimeStream *mem = g_mime_stream_mem_new();
    GByteArray *ba;

    if (dw != NULL && g_mime_data_wrapper_write_to_stream(dw, mem) == -1)
        add_problem(m, "The content of a MIME part could not be decoded.");
    ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
    g_object_unref(mem);
    return ba;
}

/* The bytes of any MIME object as it would be written out. */
static GByteArray *
object_bytes(GMimeObject *obj)
{
    GMimeStream *mem = g_mime_stream_mem_new();
    GByteArray *ba;

    g_mime_object_write_to_stream(obj, NULL, mem);
    ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
    g_object_unref(mem);
    return ba;
}

/* The decoded content of a leaf part as a stream read from its start
 * (transfer encoding undone as g_mime_data_wrapper_write_to_stream does),
 * or NULL when it has none. */
static GMimeStream *
decoded_stream(GMimePart *part)
{
    GMimeDataWrapper *dw = g_mime_part_get_content(part);
    GMimeStream *f;
    GMimeFilter *dec;

    if (dw == NULL || dw->stream == NULL)
        return NULL;
    g_mime_stream_reset(dw->stream);
    f = g_mime_stream_filter_new(dw->stream);
    switch (dw->encoding) {
    case GMIME_CONTENT_ENCODING_BASE64:
    case GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE:
    case GMIME_CONTENT_ENCODING_UUENCODE:
        dec = g_mime_filter_basic_new(dw->encoding, FALSE);
        g_mime_stream_filter_add(GMIME_STREAM_FILTER(f), dec);
        g_object_unref(dec);
        break;
    default:
        break;
    }
    return f;
}

/* The first max decoded bytes of a leaf part; *cut is TRUE when there
 * were more.  Text is read this way so that a huge text part costs no
 * more memory than the text that is kept of it. */
static GByteArray *
part_bytes_max(GMimePart *part, gsize max, gboolean *cut)
{
    GByteArray *ba = g_byte_array_new();
    GMimeStream *s = decoded_stream(part);
    char buf[4096];
    gssize n;

    *cut = FALSE;
    if (s == NULL)
        return ba;
    while ((n = g_mime_stream_read(s, buf, sizeof buf)) > 0) {
        if (ba->len + (gsize) n > max) {
            g_byte_array_append(ba, (const guint8 *) buf, (guint) (max - ba->len));
            *cut = TRUE;
            break;
        }
        g_byte_array_append(ba, (const guint8 *) buf, (guint) n);
    }
    g_object_unref(s);
    return ba;
}

/* The first max bytes of a stream, from its start. */
static GByteArray *
stream_prefix(GMimeStream *s, gsize max)
{
    GByteArray *ba = g_byte_array_new();
    char buf[4096];
    gssize n;

    g_mime_stream_reset(s);
    while (ba->len < max
           && (n = g_mime_stream_read(s, buf, MIN(sizeof buf, max - ba->len))) > 0)
        g_byte_array_append(ba, (const guint8 *) buf, (guint) n);
    g_mime_stream_reset(s);
    return ba;
}

/* The size of a MIME object as it would be written out, without keeping
 * the bytes. */
static gsize
object_size(GMimeObject *obj)
{
    GMimeStream *null = g_mime_stream_null_new();
    gsize n;

    g_mime_object_write_to_stream(obj, NULL, null);
    n = GMIME_STREAM_NULL(null)->written;
    g_object_unref(null);
    return n;
}

/* ---- headers ---------------------------------------------------------- */

/* A Message-ID style value as "<id>", or NULL. */
static char *
bracket_id(struct message *m, const char *id, const char *what)
{
    char *clean, *res;

    if (id == NULL || *id == '\0')
        return NULL;
    clean = text_clean_value(m->problems, id, what);
    if (*clean == '\0') {
        g_free(clean);
        return NULL;
    }
    if (clean[0] == '<')
        return clean;
    res = g_strdup_printf("<%s>", clean);
    g_free(clean);
    return res;
}

/* Message-IDs out of a References or In-Reply-To value, as "<id>". */
static GPtrArray *
parse_ids(struct message *m, const char *value, const char *what)
{
    GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
    GMimeReferences *refs;

    if (value == NULL)
        return ids;
    refs = g_mime_references_parse(NULL, value);
    if (refs == NULL)
        return ids;
    for (int i = 0; i < g_mime_references_length(refs); i++) {
        char *id;
        if (ids->len >= LIST_MAX) {
            add_problem(m, "The %s header lists more than %d message "
                        "identifiers; the rest were ignored.", what, LIST_MAX);
            break;
        }
        id = bracket_id(m, g_mime_references_get_message_id(refs, i), what);
        if (id)
            g_ptr_array_add(ids, id);
    }
    g_mime_references_free(refs);
    return ids;
}

/* The first mailbox of an address list, looking into groups. */
static InternetAddressMailbox *
first_mailbox(InternetAddressList *list)
{
    if (list == NULL)
        return NULL;
    for (int i = 0; i < internet_address_list_length(list); i++) {
        InternetAddress *a = internet_address_list_get_address(list, i);
        if (INTERNET_ADDRESS_IS_MAILBOX(a))
            return INTERNET_ADDRESS_MAILBOX(a);
        if (INTERNET_ADDRESS_IS_GROUP(a)) {
            InternetAddressList *mem =
                internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a));
            for (int j = 0; mem && j < internet_address_list_length(mem); j++) {
                InternetAddress *b = internet_address_list_get_address(mem, j);
                if (INTERNET_ADDRESS_IS_MAILBOX(b))
                    return INTERNET_ADDRESS_MAILBOX(b);
            }
        }
    }
    return NULL;
}

/* Lower-case address of the first From mailbox, or NULL. */
static char *
from_address(struct message *m, GMimeMessage *msg)
{
    InternetAddressMailbox *mb = first_mailbox(g_mime_message_get_from(msg));
    const char *addr = mb ? internet_address_mailbox_get_addr(mb) : NULL;
    char *clean, *low;

    if (addr == NULL || *addr == '\0')
        return NULL;
    clean = text_clean_value(m->problems, addr, "From");
    low = g_utf8_strdown(clean, -1);
    g_free(clean);
    return low;
}

/* Fill the statement's headers from msg. */
static void
read_headers(struct message *m, GMimeMessage *msg)
{
    GMimeObject *obj = GMIME_OBJECT(msg);
    InternetAddressMailbox *mb = first_mailbox(g_mime_message_get_from(msg));
    InternetAddressList *to = g_mime_message_get_to(msg);
    const char *name;
    GPtrArray *ids;

    m->from_addr = from_address(m, msg);
    name = mb ? internet_address_get_name(INTERNET_ADDRESS(mb)) : NULL;
    m->from_name = text_clean_value(m->problems, name, "From");
    if (m->from_name && *m->from_name == '\0') {
        g_free(m->from_name);
        m->from_name = NULL;
    }
    if (m->from_addr && m->from_name)
        m->from = g_strdup_printf("%s <%s>", m->from_name, m->from_addr);
    else if (m->from_addr)
        m->from = g_strdup(m->from_addr);
    else
        m->from = text_clean_value(m->problems,
                                   g_mime_object_get_header(obj, "From"), "From");

    if (to && internet_address_list_length(to) > 0) {
        char *s = internet_address_list_to_string(to, NULL, FALSE);
        m->to = text_clean_value(m->problems, s, "To");
        g_free(s);
    } else {
        m->to = text_clean_value(m->problems,
                                 g_mime_object_get_header(obj, "To"), "To");
    }
    m->subject = text_clean_value(m->problems, g_mime_message_get_subject(msg),
                                  "Subject");
    m->date = text_clean_value(m->problems,
                               g_mime_object_get_header(obj, "Date"), "Date");
    m->message_id = bracket_id(m, g_mime_message_get_message_id(msg),
                               "Message-ID");

    ids = parse_ids(m, g_mime_object_get_header(obj, "In-Reply-To"),
                    "In-Reply-To");
    if (ids->len > 0)
        m->in_reply_to = g_strdup(g_ptr_array_index(ids, 0));
    g_ptr_array_free(ids, TRUE);
    g_ptr_array_free(m->references, TRUE);
    m->references = parse_ids(m, g_mime_object_get_header(obj, "References"),
                              "References");
}

/* ---- the MIME walk ---------------------------------------------------- */

/* Count one visited object against the limits; FALSE when over. */
static gboolean
walk_admit(struct walk *w, unsigned depth)
{
    if (depth > w->lim->max_depth) {
        if (!w->depth_noted)
            add_problem(w->m, "MIME parts nest deeper than %u levels; the "
                        "deeper parts were not read.", w->lim->max_depth);
        w->depth_noted = TRUE;
        return FALSE;
    }
    if (w->visited >= w->lim->max_parts) {
        if (!w->parts_noted)
            add_problem(w->m, "The message has more than %u MIME parts; the "
                        "rest were not read.", w->lim->max_parts);
        w->parts_noted = TRUE;
        return FALSE;
    }
    w->visited++;
    return TRUE;
}

/* First non-attachment text/<subtype> leaf in document order, not looking
 * inside attached messages; records in w->body_alts, on the way back, each
 * multipart/alternative holding it and its rendering that does.  Bounded
 * by the same limits as the main walk. */
static GMimeObject *
find_text(struct walk *w, GMimeObject *obj, unsigned depth, const char *subtype)
{
    if (!walk_admit(w, depth))
        return NULL;
    if (GMIME_IS_MULTIPART(obj)) {
        GMimeMultipart *mp = GMIME_MULTIPART(obj);
        for (int i = 0; i < g_mime_multipart_get_count(mp); i++) {
            GMimeObject *child = g_mime_multipart_get_part(mp, i);
            GMimeObject *r = find_text(w, child, depth + 1, subtype);
            if (r) {
                if (is_type(obj, "multipart", "alternative")) {
                    g_ptr_array_add(w->body_alts, obj);
                    g_ptr_array_add(w->body_alts, child);
                }
                return r;
            }
        }
        return NULL;
    }
    if (GMIME_IS_PART(obj) && is_type(obj, "text", subtype)
        && !is_attachment_disposition(obj))
        return obj;
    return NULL;
}

/* The child of obj that leads to the body when obj is a
 * multipart/alternative on the body's way, else NULL. */
static GMimeObject *
body_rendering(const struct walk *w, GMimeObject *obj)
{
    for (guint i = 0; w->body_alts != NULL && i + 1 < w->body_alts->len; i += 2)
        if (g_ptr_array_index(w->body_alts, i) == obj)
            return g_ptr_array_index(w->body_alts, i + 1);
    return NULL;
}

/* The value of the delivery status field name (without its colon) at
 * lines[*i], folded lines joined, with *i moved to its last line; NULL
 * when the line is another field. */
static char *
dsn_field(char **lines, int *i, const char *name)
{
    const char *v = mime_scan_field_value(lines[*i], strlen(lines[*i]), name);
    GString *s;

    if (v == NULL)
        return NULL;
    s = g_string_new(v);
    while (lines[*i + 1] && (lines[*i + 1][0] == ' ' || lines[*i + 1][0] == '\t'))
        g_string_append(s, lines[++*i]);
    return g_string_free(s, FALSE);
}

/* The leading token of an Action or Status value, lower case ("failed"
 * out of " Failed (comment)", "4.4.7" out of "4.4.7 (delayed)"), or
 * NULL when there is none. */
static char *
dsn_token(const char *value)
{
    gsize n = 0;

    while (g_ascii_isspace(*value))
        value++;
    while (n < 32 && (g_ascii_isalnum(value[n]) || value[n] == '.'
                      || value[n] == '-'))
        n++;
    return n > 0 ? g_ascii_strdown(value, (gssize) n) : NULL;
}

/* The address of a Final-Recipient value, lower case, or NULL when it
 * has none. */
static char *
dsn_address(struct message *m, const char *value)
{
    /* "rfc822; addr" (or "utf-8; addr", RFC 6533): the address type
     * goes, the address stays. */
    const char *semi = strchr(value, ';');
    char *v = g_strdup(semi ? semi + 1 : value);
    char *addr = g_strstrip(v), *low, *clean;

    if (*addr == '<') {
        char *gt = strchr(addr, '>');
        addr++;
        if (gt)
            *gt = '\0';
    }
    low = g_utf8_strdown(addr, -1);
    g_free(v);
    clean = text_clean_value(m->problems, low, "Final-Recipient");
    g_free(low);
    if (*clean == '\0') {
        g_free(clean);
        return NULL;
    }
    return clean;
}

/* Record the Final-Recipients of one group of a delivery status (addrs,
 * emptied) with the group's Action and Status. */
static void
dsn_group_end(struct message *m, GPtrArray *addrs, const char *action,
              const char *status)
{
    for (guint i = 0; i < addrs->len; i++) {
        const char *addr = g_ptr_array_index(addrs, i);
        gboolean seen = FALSE;

        if (m->dsn_recipients->len < LIST_MAX) {
            struct dsn_recipient *r = g_new0(struct dsn_recipient, 1);

            r->addr = g_strdup(addr);
            r->action = g_strdup(action);
            r->status = g_strdup(status);
            g_ptr_array_add(m->dsn_recipients, r);
        }
        /* A recipient without an Action counts as failed, as every
         * Final-Recipient did before Actions were read: a bare DSN is
         * a failure report.  Delayed, delivered, relayed and expanded
         * are not: that mail may still arrive, or did. */
        if (action != NULL && strcmp(action, "failed") != 0)
            continue;
        for (guint j = 0; j < m->failed_recipients->len && !seen; j++)
            seen = strcmp(g_ptr_array_index(m->failed_recipients, j), addr) == 0;
        if (!seen && m->failed_recipients->len < LIST_MAX)
            g_ptr_array_add(m->failed_recipients, g_strdup(addr));
    }
    g_ptr_array_set_size(addrs, 0);
}

/* Read the recipients of a delivery-status body: header-like groups
 * separated by blank lines, maybe folded, each recipient's Final-Recipient
 * with the Action and Status of its group. */
static void
scan_dsn(struct message *m, const guint8 *data, gsize len)
{
    GPtrArray *addrs;
    char *text, **lines, *action = NULL, *status = NULL;

    if (data == NULL || len == 0)
        return;
    addrs = g_ptr_array_new_with_free_func(g_free);
    text = g_strndup((const char *) data, len);
    lines = g_strsplit(text, "\n", -1);

    for (int i = 0; ; i++) {
        const char *p = lines[i];
        char *v;

        while (p != NULL && g_ascii_isspace(*p))
            p++;
        if (p == NULL || *p == '\0') {
            /* A blank line (or the end) closes a group. */
            dsn_group_end(m, addrs, action, status);
            g_clear_pointer(&action, g_free);
            g_clear_pointer(&status, g_free);
            if (p == NULL)
                break;
        } else if ((v = dsn_field(lines, &i, "Final-Recipient")) != NULL) {
            char *addr = dsn_address(m, v);

            if (addr != NULL)
                g_ptr_array_add(addrs, addr);
            g_free(v);
        } else if ((v = dsn_field(lines, &i, "Action")) != NULL) {
            if (action == NULL)
                action = dsn_token(v);
            g_free(v);
        } else if ((v = dsn_field(lines, &i, "Status")) != NULL) {
            if (status == NULL)
                status = dsn_token(v);
            g_free(v);
        }
    }
    g_ptr_array_free(addrs, TRUE);
    g_strfreev(lines);
    g_free(text);
}

/* A default name for a part that has none, by type. */
static const char *
default_name(const char *type)
{
    if (strcmp(type, "text/plain") == 0)
        return "attachment.txt";
    if (strcmp(type, "text/html") == 0)
        return "attachment.html";
    if (strcmp(type, "message/rfc822") == 0)
        return "message.eml";
    return "attachment";
}

/* The most attachment bytes kept in memory for one part. */
static gsize
attachment_memory_max(const struct message_limits *lim)
{
    return lim->attachment_memory_max > 0 ? lim->attachment_memory_max
                                          : ATTACHMENT_MEMORY_DEFAULT;
}

/* TRUE when an attachment of at most n bytes is kept in memory (and then
 * counted), FALSE when it goes to a temporary file: too large by itself,
 * or the message already holds its share of attachment bytes. */
static gboolean
keep_in_memory(struct walk *w, gint64 n)
{
    gsize max = attachment_memory_max(w->lim);

    if (n < 0 || (guint64) n > max
        || w->mem_bytes + (gsize) n > max * ATTACHMENT_MEMORY_TOTAL)
        return FALSE;
    w->mem_bytes += (gsize) n;
    return TRUE;
}

/* Append an attachment made of name, type and bytes (all taken over). */
static struct attachment *
add_attachment(struct message *m, char *name, char *type, GByteArray *ba)
{
    struct attachment *a = g_new0(struct attachment, 1);
    char *sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, ba->data,
                                            ba->len);

    a->name = message_safe_filename(name);
    g_free(name);
    a->type = type;
    a->size = ba->len;
    a->data = g_byte_array_free_to_bytes(ba);
    g_strlcpy(a->sha256, sum, sizeof a->sha256);
    g_free(sum);
    g_ptr_array_add(m->attachments, a);
    return a;
}

/* Append an attachment whose bytes are written into the message's spool
 * file as they are decoded (from dw) or serialised (obj), with their
 * SHA-256 computed on the way, so that they are never all in memory; the
 * attachment's stream is its range of the spool.  One file serves every
 * attachment of the message, so that a thousand small ones past the
 * memory budget cost one descriptor, not a thousand (the ranges hold the
 * file open until the last of them is freed).  name and type are taken
 * over.  NULL, with w->io_error set, when the file cannot be made or
 * written (a full spool): the caller must try again later. */
static struct attachment *
add_file_attachment(struct walk *w, char *name, char *type,
                    GMimeDataWrapper *dw, GMimeObject *obj)
{
    GMimeStream *f;
    GMimeFilter *sum;
    struct attachment *a;
    gint64 start, end, n;
    char *hex;

    if (w->spool == NULL && w->io_error == NULL)
        w->spool = message_temp_stream(w->lim->spool_dir, &w->io_error);
    if (w->io_error != NULL) {
        g_free(name);
        g_free(type);
        return NULL;
    }
    errno = 0;
    start = g_mime_stream_seek(w->spool, 0, GMIME_STREAM_SEEK_END);
    f = g_mime_stream_filter_new(w->spool);
    sum = g_mime_filter_checksum_new(G_CHECKSUM_SHA256);
    g_mime_stream_filter_add(GMIME_STREAM_FILTER(f), sum);
    n = start < 0 ? -1
        : dw != NULL ? g_mime_data_wrapper_write_to_stream(dw, f)
                     : g_mime_object_write_to_stream(obj, NULL, f);
    g_object_unref(f);
    end = n < 0 ? -1 : g_mime_stream_tell(w->spool);
    if (end < start) {
        g_set_error(&w->io_error, MESSAGE_ERROR, MESSAGE_ERROR_IO,
                    "writing an attachment to a temporary file: %s",
                    errno != 0 ? g_strerror(errno) : "failed");
        g_object_unref(sum);
        g_free(name);
        g_free(type);
        return NULL;
    }
    hex = g_mime_filter_checksum_get_string(GMIME_FILTER_CHECKSUM(sum));
    g_object_unref(sum);
    a = g_new0(struct attachment, 1);
    a->name = message_safe_filename(name);
    g_free(name);
    a->type = type;
    a->size = (gsize) (end - start);
    /* The range holds a reference to the spool, which owns the
     * descriptor; reads seek first, so ranges never disturb each other. */
    a->file = g_mime_stream_substream(w->spool, start, end);
    g_strlcpy(a->sha256, hex, sizeof a->sha256);
    g_free(hex);
    g_ptr_array_add(w->m->attachments, a);
    return a;
}

/* The readable text of a text leaf, the body or a text attachment: the
 * decoded bytes (cut as for text_to_utf8) in the declared charset, to
 * UTF-8, and for format=flowed the soft line breaks undone. */
static char *
part_text(struct message *m, GMimeObject *obj, const guint8 *data, gsize len,
          gboolean cut, const char *what)
{
    const char *format = g_mime_object_get_content_type_parameter(obj, "format");
    const char *delsp = g_mime_object_get_content_type_parameter(obj, "delsp");
    char *text = text_to_utf8(m->problems, data, len,
        g_mime_object_get_content_type_parameter(obj, "charset"), cut, what);

    /* RFC 3676 defines the parameters for text/plain alone; their values
     * are case-insensitive.  The breaks are undone after the charset, as
     * the space and line end they are made of are characters, not bytes. */
    if (is_type(obj, "text", "plain") && format != NULL
        && g_ascii_strcasecmp(format, "flowed") == 0)
        text_unflow(text, delsp != NULL && g_ascii_strcasecmp(delsp, "yes") == 0);
    return text;
}

/* Keep the UTF-8 text of a text/plain attachment, within the text budget;
 * of an attachment in a file, only as much is read as the budget can
 * use. */
static void
keep_attachment_text(struct walk *w, GMimeObject *obj, const struct attachment *a)
{
    GByteArray *prefix = NULL;
    gboolean partial = FALSE;
    const guint8 *d;
    gsize len, tlen;
    char *text;

    if (a->data != NULL) {
        d = g_bytes_get_data(a->data, &len);
    } else {
        gsize room = w->text_att_bytes < w->lim->max_text
                     ? w->lim->max_text - w->text_att_bytes : 0;
        prefix = stream_prefix(a->file, room * TEXT_READ_RATIO);
        partial = prefix->len < a->size;
        d = prefix->data;
        len = prefix->len;
    }
    text = part_text(w->m, obj, d, len, partial, "text attachment");
    if (prefix != NULL)
        g_byte_array_free(prefix, TRUE);
    tlen = strlen(text);
    if (w->text_att_bytes >= w->lim->max_text) {
        add_problem(w->m, "The text of some attachments was not kept: the "
                    "text limit was reached.");
        g_free(text);
        return;
    }
    if (w->text_att_bytes + tlen > w->lim->max_text) {
        text_utf8_cut(text, w->lim->max_text - w->text_att_bytes);
        add_problem(w->m, "The text of an attachment was cut at the text "
                    "limit.");
        tlen = strlen(text);
    } else if (partial) {
        add_problem(w->m, "The text of an attachment was cut at the text "
                    "limit.");
    }
    w->text_att_bytes += tlen;
    g_ptr_array_add(w->m->text_attachments, text);
}

/* TRUE for a delivery status type. */
static gboolean
is_dsn_type(const char *type)
{
    return strcmp(type, "message/delivery-status") == 0
        || strcmp(type, "message/global-delivery-status") == 0;
}

/* TRUE when the attachment a, the last one recorded, has the bytes of
 * one recorded before it; a is then dropped. */
static gboolean
drop_duplicate(struct message *m, const struct attachment *a)
{
    for (guint i = 0; i + 1 < m->attachments->len; i++) {
        const struct attachment *b = g_ptr_array_index(m->attachments, i);

        if (b->size == a->size && strcmp(b->sha256, a->sha256) == 0) {
            g_ptr_array_remove_index(m->attachments, m->attachments->len - 1);
            return TRUE;
        }
    }
    return FALSE;
}

/* A leaf part other than the body: an attachment, or a delivery status.
 * dedupe: the part is inside a multipart/alternative on the body's way,
 * whose renderings may each carry the same file. */
static void
walk_leaf(struct walk *w, GMimeObject *obj, gboolean dedupe)
{
    GMimePart *part = GMIME_PART(obj);
    GMimeDataWrapper *dw = g_mime_part_get_content(part);
    char *type = object_mime_type(obj);
    const char *fname = g_mime_part_get_filename(part);
    char *name;
    struct attachment *a;

    check_base64(w->m, part, "attachment");
    if (is_dsn_type(type)) {
        gboolean cut;
        GByteArray *ba = part_bytes_max(part, w->lim->max_text, &cut);

        if (cut)
            add_problem(w->m, "A delivery status is longer than %zu bytes; "
                        "only its beginning was read.", w->lim->max_text);
        scan_dsn(w->m, ba->data, ba->len);
        g_byte_array_free(ba, TRUE);
        g_free(type);
        return;
    }
    name = g_strdup(fname ? fname : default_name(type));
    /* Decoding never makes content larger, so the encoded length bounds
     * what memory the decoded bytes would take. */
    if (dw == NULL || dw->stream == NULL
        || keep_in_memory(w, g_mime_stream_length(dw->stream)))
        a = add_attachment(w->m, name, type, part_bytes(w->m, part));
    else
        a = add_file_attachment(w, name, type, dw, NULL);
    if (a != NULL && dedupe && drop_duplicate(w->m, a))
        return;
    if (a != NULL && strcmp(a->type, "text/plain") == 0)
        keep_attachment_text(w, obj, a);
}

/* A message part met inside the walk: an attached message is kept whole
 * as an attachment (dedupe as for walk_leaf); a delivery status (which
 * some GMime versions parse as a message part) is scanned for failed
 * recipients. */
static void
walk_message_part(struct walk *w, GMimeObject *obj, gboolean dedupe)
{
    GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
    char *type = object_mime_type(obj);
    const char *fname;
    char *name;
    GByteArray *ba;
    struct attachment *a;

    if (is_dsn_type(type)) {
        if (object_size(obj) > w->lim->max_text) {
            add_problem(w->m, "A delivery status is longer than %zu bytes and "
                        "was not read.", w->lim->max_text);
        } else {
            ba = object_bytes(obj);
            scan_dsn(w->m, ba->data, ba->len);
            g_byte_array_free(ba, TRUE);
        }
        g_free(type);
        return;
    }
    if (inner == NULL) {
        add_problem(w->m, "An attached message is empty.");
        g_free(type);
        return;
    }
    fname = g_mime_object_get_content_disposition_parameter(obj, "filename");
    if (fname == NULL)
        fname = g_mime_object_get_content_type_parameter(obj, "name");
    if (fname == NULL && g_mime_message_get_subject(inner) != NULL)
        name = g_strdup_printf("%s.eml", g_mime_message_get_subject(inner));
    else
        name = g_strdup(fname ? fname : default_name(type));
    if (keep_in_memory(w, (gint64) object_size(GMIME_OBJECT(inner))))
        a = add_attachment(w->m, name, type, object_bytes(GMIME_OBJECT(inner)));
    else
        a = add_file_attachment(w, name, type, NULL, GMIME_OBJECT(inner));
    if (a != NULL && dedupe)
        (void) drop_duplicate(w->m, a);
}

/* How walk_tree reads a subtree. */
enum walk_flags {
    WALK_ALTERNATIVE = 1 << 0,      /* inside a multipart/alternative on the
                                       body's way: the same file may come
                                       in more than one rendering */
    WALK_OTHER_RENDERING = 1 << 1,  /* inside a rendering of the body other
                                       than the one read, or a forwarder's
                                       mail: its text is no file */
};

/* TRUE for a text leaf that is a rendering of the message, not a file:
 * no attachment disposition, no file name. */
static gboolean
is_rendering_text(GMimeObject *obj)
{
    return is_type(obj, "text", "*") && !is_attachment_disposition(obj)
        && g_mime_part_get_filename(GMIME_PART(obj)) == NULL;
}

/* Visit the tree for attachments and delivery status, depth-first with
 * the limits; the body leaf and the text of its other renderings are
 * skipped. */
static void
walk_tree(struct walk *w, GMimeObject *obj, unsigned depth, unsigned flags)
{
    if (obj == w->body || w->io_error != NULL
        || !walk_admit(w, depth))
        return;
    if (GMIME_IS_MULTIPART(obj)) {
        GMimeMultipart *mp = GMIME_MULTIPART(obj);
        GMimeObject *chosen = body_rendering(w, obj);

        for (int i = 0; i < g_mime_multipart_get_count(mp); i++) {
            GMimeObject *child = g_mime_multipart_get_part(mp, i);
            unsigned f = flags;

            if (chosen != NULL)
                f |= WALK_ALTERNATIVE
                     | (child != chosen ? WALK_OTHER_RENDERING : 0);
            walk_tree(w, child, depth + 1, f);
        }
    } else if (GMIME_IS_MESSAGE_PART(obj)) {
        walk_message_part(w, obj, (flags & WALK_ALTERNATIVE) != 0);
    } else if (GMIME_IS_PART(obj)) {
        /* The other renderings' text is the body again, but what they
         * carry besides is not: Apple Mail sends the attachments of an
         * HTML body inside its alternative, as
         * alternative{plain, mixed{html, pdf, html}}. */
        if ((flags & WALK_OTHER_RENDERING) && is_rendering_text(obj))
            return;
        walk_leaf(w, obj, (flags & WALK_ALTERNATIVE) != 0);
    }
}

/* Set m->text from the chosen body leaf, HTML rendered, within max_text. */
static void
read_body(struct walk *w)
{
    GMimePart *part = GMIME_PART(w->body);
    gboolean html = is_type(w->body, "text", "html");
    GByteArray *ba;
    char *text;
    gboolean cut;
    /* Markup costs memory in libxml2's tree many times its size;
     * more HTML than this renders to more text than is kept anyway. */
    gsize html_max = w->lim->max_text > G_MAXSIZE / HTML_TEXT_RATIO
                     ? G_MAXSIZE : w->lim->max_text * HTML_TEXT_RATIO;
    /* Decoded bytes read: what can make the text kept, and no more, so a
     * huge body costs no more memory than a long one. */
    gsize read_max = html ? html_max
                     : w->lim->max_text > G_MAXSIZE / TEXT_READ_RATIO
                     ? G_MAXSIZE : w->lim->max_text * TEXT_READ_RATIO;

    check_base64(w->m, part, "body text");
    ba = part_bytes_max(part, read_max, &cut);
    text = part_text(w->m, w->body, ba->data, ba->len, cut, "body text");
    g_byte_array_free(ba, TRUE);
    if (html) {
        char *plain;
        gboolean rough;
        if (text_utf8_cut(text, html_max) || cut)
            add_problem(w->m, "The HTML body is longer than %zu bytes; only "
                        "its beginning was rendered.", html_max);
        plain = html_to_text(text, strlen(text), &rough);
        if (rough)
            add_problem(w->m, "The HTML body could not be parsed completely "
                        "(it may nest too deeply); its text was extracted "
                        "roughly.");
        g_free(text);
        text = plain;
    }
    if (text_utf8_cut(text, w->lim->max_text) || (cut && !html))
        add_problem(w->m, "The body text is longer than %zu bytes and was "
                    "cut.", w->lim->max_text);
    g_free(w->m->text);
    w->m->text = text;
}

/* TRUE for a leaf whose content is white space only, as the text part
 * Apple Mail adds after an attachment at the end of a mail, or the empty
 * plain rendering some senders put beside an HTML letter: ASCII blanks,
 * no-break spaces (UTF-8 or Latin-1) and byte-order marks. */
static gboolean
is_blank_part(GMimeObject *obj)
{
    gboolean cut, blank = TRUE;
    GByteArray *ba = part_bytes_max(GMIME_PART(obj), FORWARD_NOTE_MAX, &cut);
    const guint8 *d = ba->data;

    for (guint i = 0; i < ba->len && blank; i++) {
        if (g_ascii_isspace(d[i]) || d[i] == 0xA0)
            continue;
        if (d[i] == 0xC2 && i + 1 < ba->len && d[i + 1] == 0xA0)
            i++;
        else if (d[i] == 0xEF && i + 2 < ba->len && d[i + 1] == 0xBB
                 && d[i + 2] == 0xBF)
            i += 2;
        else
            blank = FALSE;
    }
    g_byte_array_free(ba, TRUE);
    return blank && !cut;
}

/* Move w->body, a plain rendering, to the HTML rendering of the
 * innermost alternative holding it, w->body_alts leading there; FALSE,
 * and w->body and w->body_alts as find_body() left them, when that
 * alternative has no HTML rendering. */
static gboolean
body_to_html(struct walk *w, GMimeObject *top)
{
    /* The innermost alternative is the first recorded; the pairs after
     * it lead to it, and so to its HTML rendering too. */
    GMimeObject *alt = g_ptr_array_index(w->body_alts, 0);
    GPtrArray *outer = g_ptr_array_new();
    GMimeObject *html;

    for (guint i = 2; i < w->body_alts->len; i++)
        g_ptr_array_add(outer, g_ptr_array_index(w->body_alts, i));
    g_ptr_array_set_size(w->body_alts, 0);
    w->visited = 0;
    html = find_text(w, alt, 1, "html");
    if (html != NULL) {
        w->body = html;
        for (guint i = 0; i < outer->len; i++)
            g_ptr_array_add(w->body_alts, g_ptr_array_index(outer, i));
    } else {
        g_ptr_array_set_size(w->body_alts, 0);
        w->visited = 0;
        w->body = find_text(w, top, 1, "plain");
    }
    g_ptr_array_free(outer, TRUE);
    return html != NULL;
}

/* Choose the body leaf of top, plain text preferred, else HTML: into
 * w->body, the alternatives on its way into w->body_alts.  A blank plain
 * rendering of an alternative (some web mailers and mail merges send
 * one beside the letter) gives way to the HTML rendering of the same
 * alternative, which the letter is then read from: the fields were lost
 * with the plain one.  The blank part is a rendering, no file, so it is
 * no attachment either.  (A plain rendering with words but no letter in
 * them is read_letter()'s to settle: it takes reading both.) */
static void
find_body(struct walk *w, GMimeObject *top)
{
    g_ptr_array_set_size(w->body_alts, 0);
    w->visited = 0;
    w->body = find_text(w, top, 1, "plain");
    /* No HTML beside it: the plain part stays, as before. */
    if (w->body != NULL && w->body_alts->len >= 2
        && is_blank_part(w->body))
        (void) body_to_html(w, top);
    if (w->body == NULL) {
        w->visited = 0;
        w->body = find_text(w, top, 1, "html");
    }
}

/* Defined with the public functions, below. */
static struct message *message_new(void);

/* How many envelope labels text holds (envelope_scan). */
static int
envelope_labels(const char *text)
{
    struct envelope *env = envelope_new();
    int n = envelope_scan(env, text);

    envelope_free(env);
    return n;
}

/* Read the body leaf find_body() chose into w->m->text (read_body).  A
 * plain rendering that says none of the envelope's labels while the HTML
 * rendering beside it does gives way to the HTML one: a list gateway or
 * bulk mailer's stub ("This message is in HTML format. Please use an
 * HTML-capable reader.", in any wording or language), or a plain
 * rendering that lost the table's labels, is no reading of the letter.
 * A rule of labels found, not a list of stub phrases.  The HTML is
 * rendered only for a plain rendering without labels, into a scratch
 * message: when it has no label either, the plain text stays, problems
 * and all. */
static void
read_letter(struct walk *w, GMimeObject *top)
{
    struct message *m = w->m, *scratch;
    guint problems = m->problems->len;

    read_body(w);
    if (!is_type(w->body, "text", "plain") || w->body_alts->len < 2
        || envelope_labels(m->text) > 0 || !body_to_html(w, top))
        return;
    scratch = message_new();
    w->m = scratch;
    read_body(w);
    w->m = m;
    if (envelope_labels(scratch->text) > 0) {
        /* What was wrong with the stub is no problem of the letter. */
        g_ptr_array_set_size(m->problems, problems);
        for (guint i = 0; i < scratch->problems->len; i++)
            add_problem(m, "%s", (const char *) g_ptr_array_index(scratch->problems, i));
        g_free(m->text);
        m->text = scratch->text;
        scratch->text = NULL;
    } else {
        /* Back to the plain rendering, which stays the one read. */
        g_ptr_array_set_size(w->body_alts, 0);
        w->visited = 0;
        w->body = find_text(w, top, 1, "plain");
    }
    message_free(scratch);
}

/* Walk top for attachments with flags, counting its parts afresh. */
static void
walk_attachments(struct walk *w, GMimeObject *top, unsigned flags)
{
    w->visited = 0;
    w->parts_noted = w->depth_noted = FALSE;
    walk_tree(w, top, 1, flags);
}

/* Read text and attachments of one message (the statement; for a bare
 * forward, the forwarded message: its wrapper holds nothing else of the
 * statement's).  FALSE with *err when an attachment could not be written
 * to its temporary file. */
static gboolean
read_content(struct message *m, GMimeMessage *msg, const struct message_limits *lim,
             GError **err)
{
    struct walk w = { .lim = lim, .m = m };
    GMimeObject *top = g_mime_message_get_mime_part(msg);

    if (top == NULL)
        return TRUE;
    w.body_alts = g_ptr_array_new();
    find_body(&w, top);
    if (w.body != NULL) {
        read_letter(&w, top);
    } else if (GMIME_IS_MULTIPART(top)
               && g_mime_multipart_get_count(GMIME_MULTIPART(top)) == 0
               && g_mime_multipart_get_prologue(GMIME_MULTIPART(top)) != NULL) {
        /* A multipart GMime could not split (no boundary, say): its
         * whole content ended up in the prologue; keep it as text. */
        const char *pro = g_mime_multipart_get_prologue(GMIME_MULTIPART(top));
        /* Convert no more than the text limit can keep: the prologue may
         * be the whole message, and a conversion copies (and may widen)
         * all it is given. */
        gsize plen = strnlen(pro, lim->max_text <= G_MAXSIZE / TEXT_READ_RATIO
                                  ? lim->max_text * TEXT_READ_RATIO : G_MAXSIZE);

        g_free(m->text);
        m->text = text_to_utf8(m->problems, (const guint8 *) pro, plen, NULL,
                               pro[plen] != '\0', "unsplit multipart");
        if (text_utf8_cut(m->text, lim->max_text))
            add_problem(m, "The body text is longer than %zu bytes and was "
                        "cut.", lim->max_text);
    }
    walk_attachments(&w, top, 0);
    g_ptr_array_free(w.body_alts, TRUE);
    /* The attachments' ranges keep the spool open as long as they live. */
    g_clear_object(&w.spool);
    if (w.io_error != NULL) {
        g_propagate_error(err, w.io_error);
        return FALSE;
    }
    return TRUE;
}

/* The first attached message/rfc822 in the top-level structure (not
 * inside other attached messages), bounded like the walk: its part. */
static GMimeObject *
find_forwarded(struct walk *w, GMimeObject *obj, unsigned depth)
{
    if (!walk_admit(w, depth))
        return NULL;
    if (GMIME_IS_MULTIPART(obj)) {
        GMimeMultipart *mp = GMIME_MULTIPART(obj);
        for (int i = 0; i < g_mime_multipart_get_count(mp); i++) {
            GMimeObject *r = find_forwarded(w, g_mime_multipart_get_part(mp, i),
                                            depth + 1);
            if (r)
                return r;
        }
        return NULL;
    }
    if (GMIME_IS_MESSAGE_PART(obj)
        && (is_type(obj, "message", "rfc822") || is_type(obj, "message", "global"))
        && g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj)) != NULL)
        return obj;
    return NULL;
}

/* TRUE for a part that goes with any mail rather than saying something:
 * an inline image (a logo in a signature), a signature, a business card. */
static gboolean
is_decoration(GMimeObject *obj)
{
    static const char *const types[] = {
        "application/pkcs7-signature", "application/x-pkcs7-signature",
        "application/pgp-signature", "text/vcard", "text/x-vcard", NULL,
    };
    g_autofree char *type = object_mime_type(obj);

    return (g_str_has_prefix(type, "image/") && !is_attachment_disposition(obj))
           || text_name_in(type, types);
}

/* TRUE when the part obj of a forwarder's mail says something of its own:
 * another message, a document, a text other than the note (w->body) and
 * its renderings; fwd, the forwarded message, does not count.  A structure
 * past the limits counts as something. */
static gboolean
has_own_content(struct walk *w, GMimeObject *obj, GMimeObject *fwd,
                unsigned depth, gboolean other_rendering)
{
    if (obj == w->body || obj == fwd)
        return FALSE;
    if (!walk_admit(w, depth))
        return TRUE;
    if (GMIME_IS_MULTIPART(obj)) {
        GMimeMultipart *mp = GMIME_MULTIPART(obj);
        GMimeObject *chosen = body_rendering(w, obj);

        for (int i = 0; i < g_mime_multipart_get_count(mp); i++) {
            GMimeObject *child = g_mime_multipart_get_part(mp, i);

            if (has_own_content(w, child, fwd, depth + 1, other_rendering
                                || (chosen != NULL && child != chosen)))
                return TRUE;
        }
        return FALSE;
    }
    if (GMIME_IS_PART(obj) && is_rendering_text(obj)
        && (other_rendering || is_blank_part(obj)))
        return FALSE;
    return !GMIME_IS_PART(obj) || !is_decoration(obj);
}

/* The part holding the statement when outer is a bare forward, else NULL.
 * A secretariat forwards a statement as an attached message, and the
 * statement is the inner one.  But a sender may as well attach the earlier
 * statement they answer to their own: only a mail whose one attached
 * message is all it says is a forward, its own text at most a short note
 * that gives no Title, From or To of its own (envelope_scan). */
static GMimeObject *
bare_forward(GMimeMessage *outer, const struct message_limits *lim)
{
    /* The note is read into a scratch message: what is wrong with it is
     * no problem of the statement's. */
    struct message *note = message_new();
    struct message_limits nl = *lim;
    struct walk w = { .lim = &nl, .m = note };
    GMimeObject *top = g_mime_message_get_mime_part(outer), *fwd;
    gboolean bare = FALSE;

    /* Text past a short note and its signature is no note: not read. */
    nl.max_text = MIN(lim->max_text, FORWARD_NOTE_MAX * 64);
    w.body_alts = g_ptr_array_new();
    fwd = find_forwarded(&w, top, 1);
    if (fwd != NULL) {
        find_body(&w, top);
        w.visited = 0;
        bare = !has_own_content(&w, top, fwd, 1, FALSE);
    }
    if (bare && w.body != NULL) {
        struct envelope *env = envelope_new();
        char *sig;

        read_letter(&w, top);
        /* The note ends at its signature, which may be long. */
        if ((sig = strstr(note->text, "\n-- \n")) != NULL)
            *sig = '\0';
        /* A note says who it is from and what it is about only when it is
         * a statement of its own: a word such as "Action:" in a covering
         * note, or a company signature that Outlook writes without "-- ",
         * does not make it one, and the forwarded statement would be lost
         * inside an attachment nobody reads. */
        envelope_scan(env, note->text);
        bare = strlen(g_strstrip(note->text)) <= FORWARD_NOTE_TEXT_MAX
               && env->title == NULL && env->from_body == NULL && env->to_body == NULL;
        envelope_free(env);
    }
    g_ptr_array_free(w.body_alts, TRUE);
    message_free(note);
    return bare ? fwd : NULL;
}

/* ---- public ------------------------------------------------------------ */

/* The address of a From as m->from has it ("Name <addr>", or "addr"):
 * the final <...> holds it, and the name before may hold anything, '<'
 * and '>' included, so the last '<' is where it starts. */
char *
message_from_address(const char *from)
{
    const char *lt;
    size_t  n;

    if (from == NULL || (n = strlen(from)) == 0)
        return NULL;
    if (from[n - 1] == '>' && (lt = strrchr(from, '<')) != NULL)
        return g_ascii_strdown(lt + 1, (gssize) (from + n - 1 - (lt + 1)));
    if (strchr(from, '@') != NULL && strpbrk(from, " <>") == NULL)
        return g_ascii_strdown(from, -1);
    return NULL;
}

/* The address (lower case) of the first mailbox of the From field in the
 * header block of a raw message, which an mbox's From_ line names as its
 * sender; NULL when there is none, or when it is not one word. */
char *
message_raw_from(const char *raw, gsize len)
{
    const char *p = raw, *end = raw + len;
    GString *value = NULL;
    char   *addr = NULL;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t) (end - p));
        const char *next = nl != NULL ? nl + 1 : end;
        gsize   n = (gsize) ((nl != NULL ? nl : end) - p);
        const char *v;

        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (n == 0)
            break;              /* the blank line that ends the header */
        if (value != NULL) {
            if (*p != ' ' && *p != '\t')
                break;          /* the next field: From is whole */
            g_string_append_len(value, p, (gssize) n);
        } else if ((v = mime_scan_field_value(p, n, "From")) != NULL) {
            value = g_string_new_len(v, (gssize) (p + n - v));
        }
        p = next;
    }
    if (value != NULL) {
        InternetAddressList *l = internet_address_list_parse(NULL, value->str);
        InternetAddress *a = l != NULL && internet_address_list_length(l) > 0
                             ? internet_address_list_get_address(l, 0) : NULL;
        const char *s = a != NULL && INTERNET_ADDRESS_IS_MAILBOX(a)
                        ? internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a)) : NULL;
        gboolean word = s != NULL && *s != '\0';

        for (const char *c = s; word && *c != '\0'; c++)
            word = (guchar) *c > ' ' && *c != 0x7f;
        if (word)
            addr = g_ascii_strdown(s, -1);
        if (l != NULL)
            g_object_unref(l);
        g_string_free(value, TRUE);
    }
    return addr;
}

/* Call g_mime_init() and libxml2's initialisation once. */
void
message_library_init(void)
{
    static gsize done = 0;

    if (g_once_init_enter(&done)) {
        g_mime_init();
        xmlInitParser();
        g_once_init_leave(&done, 1);
    }
}

/* Release GMime's and libxml2's global state at program end. */
void
message_library_shutdown(void)
{
    g_mime_shutdown();
    xmlCleanupParser();
}

/* Fill limits with the defaults. */
void
message_limits_default(struct message_limits *lim)
{
    lim->max_parts = 1000;
    lim->max_depth = 32;
    lim->max_text = 1024 * 1024;
    lim->attachment_memory_max = ATTACHMENT_MEMORY_DEFAULT;
    lim->spool_dir = NULL;
}

/* A new unlinked temporary file in dir (NULL: g_get_tmp_dir()) as a
 * GMimeStream owning its descriptor (NULL with *err, MESSAGE_ERROR_IO):
 * the bytes live only as long as the stream, and a crash leaves nothing
 * behind. */
static GMimeStream *
message_temp_stream(const char *dir, GError **err)
{
    char *tmpl = g_build_filename(dir != NULL ? dir : g_get_tmp_dir(),
                                  "liaison-XXXXXX", NULL);
    int fd = g_mkstemp_full(tmpl, O_RDWR | O_CLOEXEC, 0600);

    if (fd < 0) {
        g_set_error(err, MESSAGE_ERROR, MESSAGE_ERROR_IO,
                    "cannot make a temporary file in %s: %s",
                    dir != NULL ? dir : g_get_tmp_dir(), g_strerror(errno));
        g_free(tmpl);
        return NULL;
    }
    (void) unlink(tmpl);
    g_free(tmpl);
    return g_mime_stream_fs_new(fd);
}

/* Free one attachment. */
static void
attachment_free(gpointer p)
{
    struct attachment *a = p;

    if (a == NULL)
        return;
    g_free(a->name);
    g_free(a->type);
    if (a->data)
        g_bytes_unref(a->data);
    if (a->file)
        g_object_unref(a->file);
    g_free(a);
}

/* Free a struct dsn_recipient. */
static void
dsn_recipient_free(gpointer p)
{
    struct dsn_recipient *r = p;

    g_free(r->addr);
    g_free(r->action);
    g_free(r->status);
    g_free(r);
}

/* A message with its arrays allocated and text empty. */
static struct message *
message_new(void)
{
    struct message *m = g_new0(struct message, 1);

    m->references = g_ptr_array_new_with_free_func(g_free);
    m->failed_recipients = g_ptr_array_new_with_free_func(g_free);
    m->reply_rcpts = g_ptr_array_new_with_free_func(g_free);
    m->auth_results = g_ptr_array_new_with_free_func(g_free);
    m->dsn_recipients = g_ptr_array_new_with_free_func(dsn_recipient_free);
    m->text_attachments = g_ptr_array_new_with_free_func(g_free);
    m->attachments = g_ptr_array_new_with_free_func(attachment_free);
    m->problems = g_ptr_array_new_with_free_func(g_free);
    m->text = g_strdup("");
    return m;
}

/* Parse the range [start, end) of a stream into a GMime message with our
 * own parser options, so that warnings go to wc (unless NULL) without
 * touching the global defaults other threads use.  GMime's objects keep
 * a copy of the options, so wc must outlive the message returned.  The
 * parser persists the stream: leaf contents stay ranges of it instead of
 * copies, which is what keeps a large message out of memory. */
static GMimeMessage *
gmime_parse(struct warn_ctx *wc, GMimeStream *s, gint64 start, gint64 end)
{
    GMimeStream *sub = g_mime_stream_substream(s, start, end);
    GMimeParser *parser = g_mime_parser_new_with_stream(sub);
    GMimeParserOptions *opts = g_mime_parser_options_new();
    GMimeMessage *msg;

    /* Raw 8-bit header text that is not UTF-8 is Windows-1252, what
     * Outlook and Word write.  ISO-8859-1 comes last because every byte
     * sequence is valid in it, so that GMime never falls back to '?'
     * marks or to the process's locale: when a byte Windows-1252 leaves
     * undefined (0x81, say) makes it fail, the C1 controls ISO-8859-1
     * gives are mapped by text_clean_value like those of RFC 2047 words. */
    static const char *fallback[] = { "UTF-8", "windows-1252", "iso-8859-1",
                                      NULL };

    g_mime_parser_options_set_fallback_charsets(opts, fallback);
    if (wc != NULL)
        g_mime_parser_options_set_warning_callback(opts, parser_warning, wc);
    g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
    g_mime_parser_set_persist_stream(parser, TRUE);
    msg = g_mime_parser_construct_message(parser, opts);
    g_mime_parser_options_free(opts);
    g_object_unref(parser);
    g_object_unref(sub);
    return msg;
}

/* Free a GByteArray wrapper without the bytes it points to. */
static void
free_array_only(gpointer ba)
{
    (void) g_byte_array_free(ba, FALSE);
}

/* A stream reading len bytes at raw in place, without copying them; the
 * caller keeps them alive and unchanged while the stream (and any GMime
 * object parsed from it) lives. */
GMimeStream *
message_stream_for_bytes(const char *raw, size_t len)
{
    /* GMime's memory stream reads a GByteArray; this one points at the
     * caller's bytes and the stream does not own them. */
    GByteArray *ba = g_byte_array_new_take((guint8 *) raw, raw != NULL ? len : 0);
    GMimeStream *s = g_mime_stream_mem_new_with_byte_array(ba);

    g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(s), FALSE);
    g_object_set_data_full(G_OBJECT(s), "liaison-bytes", ba, free_array_only);
    return s;
}

/* Parse a raw message in memory, read in place through a stream. */
struct message *
message_parse(const char *raw, size_t len, const struct message_limits *lim,
              GError **err)
{
    GMimeStream *s;
    struct message *m;

    if (raw == NULL || len == 0 || len > G_MAXUINT) {
        g_set_error(err, MESSAGE_ERROR, MESSAGE_ERROR_NOT_MAIL,
                    len == 0 ? "The input is empty." : "The input is too large.");
        return NULL;
    }
    s = message_stream_for_bytes(raw, len);
    m = message_parse_stream(s, lim, err);
    g_object_unref(s);
    return m;
}

/* The outer message's To and Cc addresses and Authentication-Results
 * values, which a reply's commands are checked against (command.c).
 * Bounded: the address a reply was sent to is among the first few. */
static void
read_reply_fields(struct message *m, GMimeMessage *outer)
{
    static const GMimeAddressType types[] = { GMIME_ADDRESS_TYPE_TO, GMIME_ADDRESS_TYPE_CC };
    GMimeHeaderList *list = g_mime_object_get_header_list(GMIME_OBJECT(outer));

    for (size_t t = 0; t < G_N_ELEMENTS(types); t++) {
        InternetAddressList *l = g_mime_message_get_addresses(outer, types[t]);

        for (int i = 0; l != NULL && i < internet_address_list_length(l)
             && m->reply_rcpts->len < REPLY_RCPTS_MAX; i++) {
            InternetAddress *a = internet_address_list_get_address(l, i);
            const char *addr;

            if (!INTERNET_ADDRESS_IS_MAILBOX(a))
                continue;
            addr = internet_address_mailbox_get_idn_addr(INTERNET_ADDRESS_MAILBOX(a));
            if (addr != NULL && g_utf8_validate(addr, -1, NULL))
                g_ptr_array_add(m->reply_rcpts, g_utf8_strdown(addr, -1));
        }
    }
    for (int i = 0; i < g_mime_header_list_get_count(list)
         && m->auth_results->len < AUTH_RESULTS_MAX; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
        char   *v;

        if (g_ascii_strcasecmp(g_mime_header_get_name(h), "Authentication-Results") != 0)
            continue;
        v = text_clean_value(m->problems, g_mime_header_get_value(h),
                             "Authentication-Results");
        if (v != NULL)
            g_ptr_array_add(m->auth_results, v);
    }
}

/* Parse a raw message read from a seekable stream, from its start to its
 * end: the checks and the structure scan read it a chunk at a time, GMime
 * keeps ranges of it, and only headers, the text kept and small
 * attachments are ever copied into memory. */
struct message *
message_parse_stream(GMimeStream *raw, const struct message_limits *lim,
                     GError **err)
{
    struct message_limits defaults;
    struct message *m;
    struct first_line fl;
    struct mime_scan sc;
    struct warn_ctx wc;         /* outlives every GMime object made here */
    GMimeMessage *outer, *stmt;
    GMimeObject *top, *fwd = NULL;
    gboolean opaque = FALSE, hdr_nul, unreadable;
    GMimeStream *fixed = NULL, *s = raw;
    GByteArray *head;
    gint64 start, end, hdr_end;

    if (lim == NULL) {
        message_limits_default(&defaults);
        lim = &defaults;
    }
    g_mime_stream_reset(raw);
    start = g_mime_stream_tell(raw);
    end = g_mime_stream_length(raw);
    end = end < 0 ? start : start + end;
    head = read_range(s, start, end, SNIFF_MAX, &unreadable);
    /* An mbox "From " line, as a pipe from the MTA may prepend, is not
     * part of the message. */
    if (head->len > 5 && memcmp(head->data, "From ", 5) == 0) {
        gsize total;
        gboolean sp;
        struct mime_scan_reader r;

        mime_scan_reader_init(&r, s, start, end);
        (void) mime_scan_reader_line(&r, head, 0, &total, &sp);
        start = mime_scan_reader_offset(&r);
        mime_scan_reader_clear(&r);
        g_byte_array_free(head, TRUE);
        head = read_range(s, start, end, SNIFF_MAX, &unreadable);
    }
    if (unreadable) {
        /* The MTA's spool file, not the sender's mail, is at fault:
         * "the input is empty" would refuse mail that a retry reads. */
        g_set_error(err, MESSAGE_ERROR, MESSAGE_ERROR_IO,
                    "The message cannot be read: its stream failed at the start.");
        g_byte_array_free(head, TRUE);
        return NULL;
    }
    scan_first_line(s, start, end, &fl);
    if (!check_is_mail((const char *) head->data, head->len, &fl, err)) {
        g_byte_array_free(head, TRUE);
        return NULL;
    }
    g_byte_array_free(head, TRUE);

    m = message_new();
    hdr_end = scan_header_block(s, start, end, &hdr_nul);
    if (fl.bare_cr || hdr_nul) {
        fixed = prepare_input(m, s, start, end, hdr_end, fl.bare_cr, lim, err);
        if (fixed == NULL) {
            message_free(m);
            return NULL;
        }
        s = fixed;
        start = g_mime_stream_tell(s);
        end = start + g_mime_stream_length(s);
        hdr_end = scan_header_block(s, start, end, &hdr_nul);
    }
    mime_scan_structure(s, start, end, lim, &sc);
    for (guint i = 0; i < sc.unclosed->len; i++) {
        char *b = text_clean_value(NULL, g_ptr_array_index(sc.unclosed, i),
                                   NULL);
        text_utf8_cut(b, 80);
        add_problem(m, "The multipart with boundary \"%s\" is never "
                    "closed; the message may be truncated.", b);
        g_free(b);
    }
    g_ptr_array_free(sc.unclosed, TRUE);
    switch (sc.over) {
    case MIME_SCAN_OVER_NONE:
        break;
    case MIME_SCAN_OVER_DEPTH:
        add_problem(m, "Multiparts nest more than %u deep, the limit; only "
                    "the headers were read and the body was kept as plain "
                    "text.", lim->max_depth);
        opaque = TRUE;
        break;
    case MIME_SCAN_OVER_PARTS:
        /* The sentence the walk uses for the same limit (walk_admit). */
        add_problem(m, "The message has more than %u MIME parts; the rest "
                    "were not read.", lim->max_parts);
        break;
    case MIME_SCAN_OVER_HEADERS:
        if (sc.cut_in_top) {
            /* Not even the headers can be read within the bounds; the
             * message is still recorded as it came. */
            add_problem(m, "The header block has more than %d fields and "
                        "addresses or %d bytes; the message was kept as it "
                        "arrived but not read.",
                        MIME_SCAN_HEADER_FIELDS_MAX, MIME_SCAN_HEADER_BYTES_MAX);
            if (fixed != NULL)
                g_object_unref(fixed);
            return m;
        }
        add_problem(m, "The headers of the message and its parts have more "
                    "than %d fields and addresses or %d bytes in all; the "
                    "parts from there on were not read.",
                    MIME_SCAN_HEADER_FIELDS_MAX, MIME_SCAN_HEADER_BYTES_MAX);
        break;
    }

    /* GMime reads no further than the scan's cut: what lies beyond a
     * limit never becomes objects in memory. */
    wc.m = m;
    wc.cut = sc.over != MIME_SCAN_OVER_NONE;
    outer = opaque ? gmime_parse(NULL, s, start, hdr_end)
                   : gmime_parse(&wc, s, start, sc.cut);
    if (outer == NULL) {
        add_problem(m, "The message could not be parsed as MIME; the body "
                    "was kept as plain text.");
        opaque = TRUE;
        outer = gmime_parse(NULL, s, start, hdr_end);
    }

    if (outer != NULL) {
        GObject *o = G_OBJECT(outer);
        GMimeObject *obj = GMIME_OBJECT(outer);
        gboolean ok = TRUE;
        m->auto_submitted = text_clean_value(m->problems,
                g_mime_object_get_header(obj, "Auto-Submitted"), "Auto-Submitted");
        m->precedence = text_clean_value(m->problems,
                g_mime_object_get_header(obj, "Precedence"), "Precedence");
        m->list_id = text_clean_value(m->problems,
                g_mime_object_get_header(obj, "List-Id"), "List-Id");
        m->loop = text_clean_value(m->problems,
                g_mime_object_get_header(obj, "X-Liaison-Loop"), "X-Liaison-Loop");
        m->outer_message_id = bracket_id(m,
                              g_mime_message_get_message_id(outer), "Message-ID");
        read_reply_fields(m, outer);
        top = g_mime_message_get_mime_part(outer);
        m->is_report = top != NULL && is_type(top, "multipart", "report");

        /* A secretariat forwards a statement as an attached message and
         * the statement is the inner one.  An answer in a thread (it has
         * In-Reply-To) that attaches the message it answers is
         * correspondence, and its own headers are what thread it. */
        stmt = outer;
        if (!opaque && !m->is_report && top != NULL
            && g_mime_object_get_header(obj, "In-Reply-To") == NULL
            && (fwd = bare_forward(outer, lim)) != NULL) {
            m->forwarded_by = from_address(m, outer);
            stmt = g_mime_message_part_get_message(GMIME_MESSAGE_PART(fwd));
        }
        read_headers(m, stmt);
        if (!opaque)
            ok = read_content(m, stmt, lim, err);
        g_object_unref(o);
        if (!ok) {
            if (fixed != NULL)
                g_object_unref(fixed);
            message_free(m);
            return NULL;
        }
    }
    if (opaque) {
        /* The body starts after the empty line that ends the headers. */
        gint64 body = hdr_end;
        GByteArray *two = read_range(s, body, end, 2, NULL), *text;
        guint i = 0;

        if (i < two->len && two->data[i] == '\r')
            i++;
        if (i < two->len && two->data[i] == '\n')
            i++;
        body += i;
        g_byte_array_free(two, TRUE);
        text = read_range(s, body, end, lim->max_text, NULL);
        g_free(m->text);
        m->text = text_to_utf8(m->problems, text->data, text->len, NULL,
                               end - body > (gint64) text->len, "body text");
        g_byte_array_free(text, TRUE);
        text_utf8_cut(m->text, lim->max_text);
    }
    if (fixed != NULL)
        g_object_unref(fixed);
    return m;
}

/* Free a parsed message; NULL is fine. */
void
message_free(struct message *m)
{
    if (m == NULL)
        return;
    g_free(m->from);
    g_free(m->from_name);
    g_free(m->from_addr);
    g_free(m->to);
    g_free(m->subject);
    g_free(m->date);
    g_free(m->message_id);
    g_free(m->in_reply_to);
    g_ptr_array_free(m->references, TRUE);
    g_free(m->outer_message_id);
    g_free(m->forwarded_by);
    g_free(m->auto_submitted);
    g_free(m->precedence);
    g_free(m->list_id);
    g_free(m->loop);
    g_ptr_array_free(m->failed_recipients, TRUE);
    g_ptr_array_free(m->reply_rcpts, TRUE);
    g_ptr_array_free(m->auth_results, TRUE);
    g_ptr_array_free(m->dsn_recipients, TRUE);
    g_free(m->text);
    g_ptr_array_free(m->text_attachments, TRUE);
    g_ptr_array_free(m->attachments, TRUE);
    g_ptr_array_free(m->problems, TRUE);
    g_free(m);
}

/* TRUE for characters a file name must not carry: controls (C0, DEL,
 * C1) and the invisible direction marks used to disguise extensions. */
static gboolean
filename_char_banned(gunichar c)
{
    return c < 0x20 || (c >= 0x7F && c <= 0x9F)
        || c == 0x200E || c == 0x200F
        || (c >= 0x202A && c <= 0x202E)
        || (c >= 0x2066 && c <= 0x2069)
        || c == 0xFEFF;
}

/* Make a file name safe: last path component only, no control characters,
 * no leading dots, bounded length; "attachment" when nothing is left. */
char *
message_safe_filename(const char *name)
{
    char *valid, *base, *res;
    const char *slash;
    GString *out;

    if (name == NULL)
        return g_strdup("attachment");
    valid = g_utf8_make_valid(name, -1);
    /* Both separators, whatever system wrote the name. */
    base = valid;
    if ((slash = strrchr(base, '/')) != NULL)
        base = (char *) slash + 1;
    if ((slash = strrchr(base, '\\')) != NULL)
        base = (char *) slash + 1;

    out = g_string_new(NULL);
    for (const char *p = base; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (filename_char_banned(c))
            continue;
        if (out->len == 0 && (c == '.' || g_unichar_isspace(c)))
            continue;           /* no hidden files, no "..", no blanks */
        g_string_append_unichar(out, c);
    }
    g_free(valid);
    while (out->len > 0 && (out->str[out->len - 1] == ' '
                            || out->str[out->len - 1] == '.'))
        g_string_truncate(out, out->len - 1);
    if (out->len == 0) {
        g_string_free(out, TRUE);
        return g_strdup("attachment");
    }
    res = g_string_free(out, FALSE);
    if (strlen(res) > FILENAME_MAX_BYTES) {
        /* Keep a short extension so the file still opens as what it is. */
        const char *dot = strrchr(res, '.');
        gsize elen = dot ? strlen(dot) : 0;
        if (dot && elen <= EXTENSION_KEEP_MAX && dot != res) {
            char *ext = g_strdup(dot);
            text_utf8_cut(res, FILENAME_MAX_BYTES - elen);
            char *joined = g_strconcat(res, ext, NULL);
            g_free(ext);
            g_free(res);
            res = joined;
        } else {
            text_utf8_cut(res, FILENAME_MAX_BYTES);
        }
    }
    return res;
}
