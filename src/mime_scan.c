/*
 * mime_scan.c: the cheap linear scans of a raw message before GMime
 * parses it.
 *
 * Before GMime sees the bytes, the structure scan follows them as
 * GMime's parser will (header blocks, boundaries, delimiters) and counts
 * what the parse would cost: how deeply multiparts nest, how many MIME
 * entities there are, how many header fields and addresses and how many
 * header bytes.  GMime builds its whole tree before we can look at it,
 * recursing once per level and checking every line against every open
 * boundary, so message.c never gives it more than the limits: it reads
 * where the scan stopped (struct mime_scan) and decides what GMime is
 * given.
 *
 * A module of its own because it parses nothing and keeps nothing: it
 * models GMime's parser line by line over a stream that may be far
 * larger than the memory a message may cost, read a chunk at a time by
 * the reader here (which message.c's input checks read with too), and
 * knows nothing of struct message.
 */
#include "config.h"

#include <string.h>

#include <gmime/gmime.h>

#include "message.h"
#include "mime_scan.h"

/* Bytes of one line the structure scan keeps (see mime_scan_structure). */
#define SCAN_LINE_MAX       (1024 * 1024)

/* ---- reading the raw stream ------------------------------------------ */

/* Start reading s from start to end (absolute stream offsets). */
void
mime_scan_reader_init(struct mime_scan_reader *r, GMimeStream *s,
                      gint64 start, gint64 end)
{
    r->s = s;
    r->pos = start;
    r->end = end;
    r->buf = g_malloc(MIME_SCAN_READ_CHUNK);
    r->len = r->off = 0;
    r->failed = FALSE;
}

/* Release the reader's buffer. */
void
mime_scan_reader_clear(struct mime_scan_reader *r)
{
    g_free(r->buf);
    r->buf = NULL;
}

/* Make sure a byte is buffered; FALSE at the end of the range, or when
 * the stream cannot be read, which ends the scan the same way but sets
 * r->failed (a spool file that fails must not pass for an empty one). */
gboolean
mime_scan_reader_fill(struct mime_scan_reader *r)
{
    gssize n;

    if (r->off < r->len)
        return TRUE;
    if (r->pos >= r->end)
        return FALSE;
    if (g_mime_stream_seek(r->s, r->pos, GMIME_STREAM_SEEK_SET) != r->pos) {
        r->failed = TRUE;
        return FALSE;
    }
    n = g_mime_stream_read(r->s, r->buf, (size_t) MIN((gint64) MIME_SCAN_READ_CHUNK,
                                                      r->end - r->pos));
    if (n <= 0) {
        /* Short of the length the stream gave: an error, not the end. */
        r->failed = TRUE;
        return FALSE;
    }
    r->pos += n;
    r->len = (gsize) n;
    r->off = 0;
    return TRUE;
}

/* The offset in the stream of the next byte the reader hands out. */
gint64
mime_scan_reader_offset(const struct mime_scan_reader *r)
{
    return r->pos - (gint64) (r->len - r->off);
}

/* The next line without its LF: its first keep bytes into line, its whole
 * length in *total, and in *tail_space whether the bytes past keep are
 * all white space.  FALSE when no bytes are left. */
gboolean
mime_scan_reader_line(struct mime_scan_reader *r, GByteArray *line, gsize keep,
                      gsize *total, gboolean *tail_space)
{
    gboolean any = FALSE;

    g_byte_array_set_size(line, 0);
    *total = 0;
    *tail_space = TRUE;
    while (mime_scan_reader_fill(r)) {
        const char *p = r->buf + r->off;
        gsize avail = r->len - r->off;
        const char *nl = memchr(p, '\n', avail);
        gsize seg = nl ? (gsize) (nl - p) : avail;
        gsize take = line->len < keep ? MIN(seg, keep - line->len) : 0;

        any = TRUE;
        g_byte_array_append(line, (const guint8 *) p, (guint) take);
        for (gsize i = take; i < seg && *tail_space; i++)
            if (!g_ascii_isspace(p[i]))
                *tail_space = FALSE;
        *total += seg;
        r->off += seg;
        if (nl) {
            r->off++;
            return TRUE;
        }
    }
    return any;
}

/* ---- structure scan before parsing ----------------------------------- */

/* A multipart the structure scan holds open, as GMime's parser would. */
struct scan_open {
    char   *boundary;
    gboolean digest;            /* multipart/digest: a part without a
                                   Content-Type is a message/rfc822 */
    gboolean used;              /* a delimiter line of it was seen */
};

/* Free a struct scan_open. */
static void
scan_open_free(gpointer p)
{
    struct scan_open *o = p;

    g_free(o->boundary);
    g_free(o);
}

/* The structure scan's model of GMime's parse: which lines are header
 * fields and which multiparts are open, line by line. */
struct model {
    const struct message_limits *lim;
    struct mime_scan *sc;
    GPtrArray *open;            /* struct scan_open*, innermost last */
    gboolean in_headers;        /* reading a header block */
    gboolean top;               /* ... the message's own */
    gboolean digest_part;       /* the block heads a part of a digest */
    GString *ctype;             /* the block's last Content-Type value */
    GString *cte;               /* its first Content-Transfer-Encoding */
    GString *field;             /* ctype, cte or NULL: where the field
                                   being read (and its folded lines) goes */
    gboolean addresses;         /* the field being read is an address list */
    gboolean cte_seen;
    unsigned entities;          /* header blocks begun: MIME entities */
    unsigned fields;            /* header fields, all blocks together */
    gint64 header_bytes;        /* their bytes */
};

/* Stop the scan: GMime is to read no further than at. */
static void
model_stop(struct model *md, enum mime_scan_over over, gint64 at)
{
    md->sc->over = over;
    md->sc->cut = at;
    md->sc->cut_in_top = md->top && md->in_headers;
}

/* Begin a header block at offset at: a part after a delimiter line, or
 * the message inside a message/rfc822 part.  FALSE (the scan stops there)
 * when it is one entity more than the parts limit. */
static gboolean
model_begin_block(struct model *md, gboolean digest_part, gint64 at)
{
    if (++md->entities > md->lim->max_parts) {
        model_stop(md, MIME_SCAN_OVER_PARTS, at);
        return FALSE;
    }
    md->in_headers = TRUE;
    md->top = FALSE;
    md->digest_part = digest_part;
    g_string_truncate(md->ctype, 0);
    g_string_truncate(md->cte, 0);
    md->field = NULL;
    md->addresses = FALSE;
    md->cte_seen = FALSE;
    return TRUE;
}

/* The value of a header field line when its name is name (any case,
 * blanks allowed before the colon, as GMime reads it), else NULL. */
const char *
mime_scan_field_value(const char *line, gsize len, const char *name)
{
    gsize n = strlen(name), i;

    if (len < n + 1 || g_ascii_strncasecmp(line, name, n) != 0)
        return NULL;
    for (i = n; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
        ;
    return i < len && line[i] == ':' ? line + i + 1 : NULL;
}

/* TRUE when a header field line is one of the address fields GMime
 * parses into objects, one per address. */
static gboolean
is_address_field(const char *line, gsize len)
{
    static const char *const names[] = {
        "From", "Sender", "Reply-To", "To", "Cc", "Bcc",
    };

    for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
        if (mime_scan_field_value(line, len, names[i]) != NULL)
            return TRUE;
    return FALSE;
}

/* How many addresses, at most, a piece of an address list holds: every
 * address or group but the first needs one of these marks.  Addresses
 * cost GMime an object each, and its parser takes time quadratic in
 * their number when they lack a domain ("a,a,a..."), so they count as
 * header fields. */
static unsigned
address_marks(const char *s, gsize len)
{
    unsigned n = 0;

    for (gsize i = 0; i < len; i++)
        if (s[i] == ',' || s[i] == ';' || s[i] == ':' || s[i] == '<')
            n++;
    return n;
}

/* Read one line of a header block: count its fields (and addresses), and
 * keep the values that decide what follows the block (Content-Type,
 * Content-Transfer-Encoding) with their folded lines. */
static void
model_header_line(struct model *md, const char *line, gsize len)
{
    const char *v;

    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len > 0 && (line[0] == ' ' || line[0] == '\t')) {
        if (md->addresses)
            md->fields += address_marks(line, len);
        if (md->field != NULL) {
            g_string_append_c(md->field, '\n');
            g_string_append_len(md->field, line, (gssize) len);
        }
        return;
    }
    md->fields++;
    md->field = NULL;
    md->addresses = is_address_field(line, len);
    if (md->addresses) {
        v = memchr(line, ':', len);
        md->fields += address_marks(v + 1, len - (gsize) (v + 1 - line));
    }
    /* GMime keeps the last Content-Type of a block, and decides whether
     * a message/rfc822 part is encoded by the first transfer encoding. */
    if ((v = mime_scan_field_value(line, len, "Content-Type")) != NULL) {
        md->field = md->ctype;
    } else if (!md->cte_seen
               && (v = mime_scan_field_value(line, len,
                                             "Content-Transfer-Encoding")) != NULL) {
        md->cte_seen = TRUE;
        md->field = md->cte;
    }
    if (md->field != NULL) {
        g_string_truncate(md->field, 0);
        g_string_append_len(md->field, v, (gssize) (len - (gsize) (v - line)));
    }
}

/* TRUE for the message types GMime parses as a message inside a part. */
static gboolean
is_message_type(GMimeContentType *ct)
{
    return g_mime_content_type_is_type(ct, "message", "rfc822")
        || g_mime_content_type_is_type(ct, "message", "rfc2822")
        || g_mime_content_type_is_type(ct, "message", "global")
        || g_mime_content_type_is_type(ct, "message", "news");
}

/* The empty line ending a header block: open the multipart it declares,
 * or begin the header block of the message it holds (at next); FALSE
 * when the scan stops there.  The Content-Type is read by GMime's own
 * parser, so RFC 2231 continuations, quoting and folding give the same
 * boundary GMime will use. */
static gboolean
model_end_block(struct model *md, gint64 next)
{
    GMimeContentType *ct = NULL;
    gboolean message;

    md->in_headers = FALSE;
    md->top = FALSE;
    md->field = NULL;
    if (md->ctype->len > 0)
        ct = g_mime_content_type_parse(NULL, md->ctype->str);
    if (ct != NULL && g_mime_content_type_is_type(ct, "multipart", "*")) {
        const char *b = g_mime_content_type_get_parameter(ct, "boundary");

        if (b != NULL) {
            struct scan_open *o = g_new0(struct scan_open, 1);

            o->boundary = g_strdup(b);
            o->digest = g_mime_content_type_is_type(ct, "multipart", "digest");
            g_ptr_array_add(md->open, o);
        }
        message = FALSE;
    } else {
        /* A part of a digest without a type is a message, and so is one
         * whose type GMime cannot read (which reads as octet-stream). */
        message = ct != NULL
                  ? is_message_type(ct)
                    || (md->digest_part && g_mime_content_type_is_type(ct,
                                               "application", "octet-stream"))
                  : md->digest_part;
        if (message && md->cte_seen) {
            switch (g_mime_content_encoding_from_string(md->cte->str)) {
            case GMIME_CONTENT_ENCODING_BASE64:
            case GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE:
            case GMIME_CONTENT_ENCODING_UUENCODE:
                message = FALSE;        /* GMime keeps it as a leaf */
                break;
            default:
                break;
            }
        }
    }
    if (ct != NULL)
        g_object_unref(ct);
    return !message || model_begin_block(md, FALSE, next);
}

/* TRUE when a line (its first llen of total bytes kept; tail_space: the
 * rest is white space) is "--boundary", or "--boundary--" when closing,
 * followed by white space only: how GMime matches a delimiter. */
static gboolean
is_delimiter(const char *line, gsize llen, gsize total, gboolean tail_space,
             const char *boundary, gboolean closing)
{
    gsize blen = strlen(boundary), i = 2 + blen + (closing ? 2 : 0);

    if (llen < i || memcmp(line + 2, boundary, blen) != 0
        || (closing && memcmp(line + 2 + blen, "--", 2) != 0))
        return FALSE;
    for (; i < llen; i++)
        if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
            return FALSE;
    return llen == total || tail_space;
}

/* A line starting with "--": when it is a delimiter of an open multipart
 * (the innermost first, as GMime looks), close what it closes and begin
 * the part it opens; TRUE when it was one.  The scan may stop here. */
static gboolean
model_delimiter(struct model *md, const char *line, gsize llen, gsize total,
                gboolean tail_space, gint64 at)
{
    for (guint i = md->open->len; i > 0; i--) {
        struct scan_open *o = g_ptr_array_index(md->open, i - 1);
        gboolean closing = is_delimiter(line, llen, total, tail_space,
                                        o->boundary, TRUE);
        unsigned depth = 0;

        if (!closing && !is_delimiter(line, llen, total, tail_space,
                                      o->boundary, FALSE))
            continue;
        /* A delimiter of an outer multipart ends every inner one, and
         * ends a header block it interrupts (GMime 3.2 does the same). */
        g_ptr_array_set_size(md->open, closing ? i - 1 : i);
        md->in_headers = FALSE;
        md->field = NULL;
        if (closing)
            return TRUE;
        o->used = TRUE;
        for (guint j = 0; j < md->open->len; j++)
            if (((struct scan_open *) g_ptr_array_index(md->open, j))->used)
                depth++;
        if (depth > md->lim->max_depth)
            model_stop(md, MIME_SCAN_OVER_DEPTH, at);
        else
            (void) model_begin_block(md, o->digest, at);
        return TRUE;
    }
    return FALSE;
}

/* Walk the raw bytes once as GMime's parser will, before it does, and
 * find where it must stop: GMime builds the whole tree, every header
 * field and every part an object, before any limit of ours can look at
 * it, so a message of 10 MB in tiny parts or header lines would cost it
 * gigabytes.  The model knows which lines are header fields (the
 * message's own block, each part's after its delimiter line, the block of
 * a message inside a message/rfc822 part) and which multiparts are open
 * (a Content-Type read in a header block, by GMime's own parser; closed
 * by its close delimiter or an outer delimiter).  It counts entities,
 * header fields and their bytes over the whole message, and how deeply
 * used multiparts nest; the first limit passed stops the scan and sets
 * sc->cut there.  Quoted MIME in a letter's body declares nothing, so it
 * is not taken for structure.
 *
 * Lines are read from the stream and only their first SCAN_LINE_MAX
 * bytes are kept: a longer delimiter line can only match when the rest is
 * white space, which is all that is remembered of it, and a longer header
 * line is over MIME_SCAN_HEADER_BYTES_MAX anyway. */
void
mime_scan_structure(GMimeStream *s, gint64 start, gint64 end,
                    const struct message_limits *lim, struct mime_scan *sc)
{
    struct model md = {
        .lim = lim, .sc = sc, .open = g_ptr_array_new_with_free_func(scan_open_free),
        .in_headers = TRUE, .top = TRUE, .ctype = g_string_new(NULL),
        .cte = g_string_new(NULL), .entities = 1,
    };
    GByteArray *lb = g_byte_array_new();
    gboolean tail_space;
    gsize total;
    struct mime_scan_reader r;

    sc->unclosed = g_ptr_array_new_with_free_func(g_free);
    sc->over = MIME_SCAN_OVER_NONE;
    sc->cut = end;
    sc->cut_in_top = FALSE;
    mime_scan_reader_init(&r, s, start, end);
    while (sc->over == MIME_SCAN_OVER_NONE) {
        gint64 at = mime_scan_reader_offset(&r);
        const char *line;
        gsize llen;

        if (!mime_scan_reader_line(&r, lb, SCAN_LINE_MAX, &total, &tail_space))
            break;
        line = (const char *) lb->data;
        llen = lb->len;
        if (total >= 2 && line[0] == '-' && line[1] == '-'
            && model_delimiter(&md, line, llen, total, tail_space, at))
            continue;
        if (!md.in_headers)
            continue;
        if (total == 0 || (total == 1 && line[0] == '\r')) {
            (void) model_end_block(&md, mime_scan_reader_offset(&r));
            continue;
        }
        md.header_bytes += (gint64) total + 1;
        model_header_line(&md, line, llen);
        if (md.fields > MIME_SCAN_HEADER_FIELDS_MAX
            || md.header_bytes > MIME_SCAN_HEADER_BYTES_MAX)
            model_stop(&md, MIME_SCAN_OVER_HEADERS, at);
    }
    mime_scan_reader_clear(&r);
    g_byte_array_free(lb, TRUE);
    /* Past a limit the rest is not read: nothing is known to be unclosed. */
    for (guint i = 0; sc->over == MIME_SCAN_OVER_NONE && i < md.open->len
                      && sc->unclosed->len < 8; i++) {
        struct scan_open *o = g_ptr_array_index(md.open, i);
        if (o->used)
            g_ptr_array_add(sc->unclosed, g_strdup(o->boundary));
    }
    g_ptr_array_free(md.open, TRUE);
    g_string_free(md.ctype, TRUE);
    g_string_free(md.cte, TRUE);
}
