/*
 * text.c: bytes and header values from mail made into clean UTF-8.
 *
 * All text is converted to valid UTF-8 here (with iconv and a
 * byte-by-byte Windows-1252 fallback) instead of by
 * g_mime_text_part_get_text(), which returns the raw bytes unchanged when
 * a charset is unknown and stops at the first NUL.  Header values that
 * leave never contain CR, LF, NUL or other control characters, and are
 * bounded in length.
 *
 * A module of its own because it is the one place where hostile bytes
 * become text, with a narrow interface (bytes and a charset name in, a
 * string and problem sentences out) and no state: it knows nothing of
 * MIME structure, GMime objects or struct message, and message.c's walk
 * over the MIME tree only calls it.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <gmime/gmime.h>

#include "problems.h"
#include "text.h"

/* A header value longer than this is cut: no legitimate Subject or To
 * needs more, and downstream code puts these into HTML and log lines. */
#define HEADER_VALUE_MAX    16384
/* Longest charset name quoted back in a problem sentence. */
#define CHARSET_SHOWN_MAX   40
/* Longest charset name handed to GMime: registered names are under 45
 * bytes, and GMime copies a name onto the stack (alloca) and keeps every
 * name it is given in a table for the life of the process. */
#define CHARSET_NAME_MAX    64

/* Cut a UTF-8 string in place to at most max bytes, on a character
 * boundary; TRUE when something was cut. */
gboolean
text_utf8_cut(char *s, gsize max)
{
    gsize len = strlen(s);

    if (len <= max)
        return FALSE;
    while (max > 0 && ((unsigned char) s[max] & 0xC0) == 0x80)
        max--;
    s[max] = '\0';
    return TRUE;
}

/* Windows-1252's characters for the bytes 0x80 to 0x9F, where ISO-8859-1
 * has only C1 controls; 0 for the five bytes Windows-1252 leaves
 * undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D).  A table and not iconv: the
 * same mapping is needed for header text, which GMime hands over already
 * decoded (code points U+0080 to U+009F, not bytes), and it cannot fail
 * to open, which the last resort for text in no usable charset must not. */
static const gunichar cp1252_high[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
    0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,
};

/* The character a byte 0x80-0x9F stands for in Windows-1252 (c may also
 * be the C1 control U+0080-U+009F that byte became as ISO-8859-1).  The
 * five undefined bytes become U+FFFD rather than stay C1 controls: no
 * text has them, and U+0090 and U+009D open a DCS and an OSC sequence on
 * a terminal, as ESC P and ESC ] do. */
static gunichar
cp1252_char(gunichar c)
{
    gunichar u = cp1252_high[c - 0x80];

    return u != 0 ? u : 0xFFFD;
}

/* Copy a header value as valid UTF-8 without control characters (a tab
 * becomes a space, CR/LF/NUL and the rest vanish, a C1 control becomes
 * its Windows-1252 character), trimmed; NULL stays NULL.  This is the one
 * gate through which header text leaves. */
char *
text_clean_value(GPtrArray *problems, const char *value, const char *what)
{
    GString *out;
    char *valid, *res;

    if (value == NULL)
        return NULL;
    /* Raw ISO-2022-JP (older Japanese mailers put it in headers without
     * RFC 2047) is 7-bit, so GMime hands it on as ASCII with its escape
     * sequences, which would vanish below and leave "$B%j%(...(B". */
    valid = strstr(value, "\x1b$B") != NULL || strstr(value, "\x1b$@") != NULL
            ? g_convert(value, -1, "UTF-8", "ISO-2022-JP", NULL, NULL, NULL) : NULL;
    if (valid == NULL)
        valid = g_utf8_make_valid(value, -1);
    out = g_string_sized_new(strlen(valid));
    for (const char *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (c == '\t')
            g_string_append_c(out, ' ');
        else if (c >= 0x80 && c <= 0x9F) {
            /* GMime decodes an RFC 2047 word labelled ISO-8859-1 as
             * ISO-8859-1, so Outlook's =?iso-8859-1?Q?=93?= arrives as
             * U+0093; the sender meant Windows-1252, as for raw 8-bit
             * headers (see gmime_parse in message.c). */
            g_string_append_unichar(out, cp1252_char(c));
        } else if (c >= 0x20 && c != 0x7F)
            g_string_append_len(out, p, g_utf8_next_char(p) - p);
    }
    g_free(valid);
    res = g_strstrip(g_string_free(out, FALSE));
    if (text_utf8_cut(res, HEADER_VALUE_MAX) && problems != NULL
        && what != NULL)
        problems_add(problems,
                     "The %s header is longer than %d bytes and was cut.",
                     what, HEADER_VALUE_MAX);
    return res;
}

/* A charset name as it may appear in a problem sentence; only its start
 * is looked at, as the name may be megabytes long. */
static char *
shown_charset(const char *charset)
{
    char *head = g_strndup(charset, CHARSET_SHOWN_MAX * 4);
    char *s = text_clean_value(NULL, head, NULL);

    g_free(head);
    text_utf8_cut(s, CHARSET_SHOWN_MAX);
    return s;
}

/* TRUE when s is a MIME token (RFC 2045: printable ASCII but tspecials)
 * of 1 to max bytes.  GMime passes the 8-bit bytes and controls of a
 * damaged header through in the names it parses. */
gboolean
text_token_ok(const char *s, gsize max)
{
    static const char tspecials[] = "()<>@,;:\\\"/[]?=";
    gsize n = 0;

    for (const char *p = s; *p != '\0'; p++, n++)
        if (n >= max || !g_ascii_isgraph(*p) || strchr(tspecials, *p) != NULL)
            return FALSE;
    return n > 0;
}

/* TRUE when a declared charset may be given to GMime and iconv: a token
 * of at most CHARSET_NAME_MAX bytes.  Anything else is unknown without
 * asking, so that a hostile name can neither overflow the stack nor grow
 * GMime's table of names. */
static gboolean
charset_name_ok(const char *charset)
{
    return text_token_ok(charset, CHARSET_NAME_MAX);
}

/* Bytes of data that are not part of valid UTF-8, NULs aside (they are
 * removed later): 0 when the bytes are UTF-8.  Each such byte is what
 * g_utf8_make_valid() replaces with one U+FFFD. */
static gsize
utf8_invalid_bytes(const guint8 *data, gsize len)
{
    const char *p = (const char *) data, *end;
    gsize n = 0;

    if (len == 0)
        return 0;               /* data may be NULL: no NULL + 0 */
    end = p + len;
    while (p < end) {
        const char *stop;
        /* g_utf8_validate_len refuses NUL too; that is no invalid byte. */
        if (g_utf8_validate_len(p, (gsize) (end - p), &stop))
            break;
        if (*stop != '\0')
            n++;
        p = stop + 1;
    }
    return n;
}

/* The length of data without the UTF-8 sequence its end cuts short, if
 * any: text read up to a size bound may stop in the middle of a
 * character, and those bytes are the start of a character, not an
 * invalid one. */
static gsize
utf8_whole_len(const guint8 *data, gsize len)
{
    /* A sequence is at most 4 bytes, so a cut one has at most 3. */
    for (gsize back = 1; back <= 3 && back <= len; back++) {
        const char *p = (const char *) data + len - back;
        if (((guint8) *p & 0xC0) == 0x80)
            continue;           /* a continuation byte: look further back */
        if (g_utf8_get_char_validated(p, (gssize) back) == (gunichar) -2)
            return len - back;  /* a valid start the end cuts short */
        break;
    }
    return len;
}

/* Remove every U+FEFF from valid UTF-8 in place.  As the first character
 * it is a byte-order mark (Notepad writes one at the start of every UTF-8
 * file), elsewhere a zero-width no-break space that a joined file left in
 * the middle; either way it shows nothing, and before "From:" it keeps the
 * line scanner from seeing the label. */
static void
drop_bom(char *s)
{
    static const char bom[] = "\xEF\xBB\xBF";
    char *r = strstr(s, bom), *w = r;

    if (r == NULL)
        return;
    /* In valid UTF-8 these three bytes are always that one character. */
    while (*r != '\0') {
        if (strncmp(r, bom, sizeof bom - 1) == 0)
            r += sizeof bom - 1;
        else
            *w++ = *r++;
    }
    *w = '\0';
}

/* Remove NULs, turn CRLF, lone CR, VT and FF into LF, remove the other
 * control characters but TAB (C0 and DEL), make the result valid UTF-8
 * (*invalid counts the bytes replaced) and drop U+FEFF; takes ownership
 * of buf.  Text handed to PCRE2 and SQLite must be a C string, line-based
 * scanners want one line ending, and the text is shown on terminals and
 * pages, where ESC, BEL and backspace act instead of printing. */
static char *
finish_text(GByteArray *buf, unsigned *nuls, unsigned *ctls, unsigned *invalid)
{
    gsize j = 0, bad;
    char *s, *valid;

    for (gsize i = 0; i < buf->len; i++) {
        guint8 c = buf->data[i];
        if (c == '\0') {
            (*nuls)++;
            continue;
        }
        if (c == '\r') {
            if (i + 1 < buf->len && buf->data[i + 1] == '\n')
                continue;
            c = '\n';
        } else if (c == '\v' || c == '\f') {
            c = '\n';          /* a line or page break (Word writes VT) */
        } else if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F) {
            (*ctls)++;
            continue;
        }
        buf->data[j++] = c;
    }
    g_byte_array_set_size(buf, j);
    g_byte_array_append(buf, (const guint8 *) "", 1);
    s = (char *) g_byte_array_free(buf, FALSE);
    bad = utf8_invalid_bytes((const guint8 *) s, j);
    if (bad > 0) {
        *invalid += (unsigned) MIN(bad, G_MAXUINT);
        valid = g_utf8_make_valid(s, -1);
        g_free(s);
        s = valid;
    }
    drop_bom(s);
    return s;
}

/* Bytes as Windows-1252, which 8-bit mail labelled ISO-8859-1 or US-ASCII,
 * or not labelled at all, is written in (Word's quotes, dashes and euro
 * sign are 0x80-0x9F), as every mail client reads it; every byte sequence
 * converts.  *undefined counts the bytes that became U+FFFD. */
static GByteArray *
cp1252_to_utf8(const guint8 *data, gsize len, unsigned *undefined)
{
    GByteArray *out = g_byte_array_sized_new(len + len / 8 + 1);

    for (gsize i = 0; i < len; i++) {
        gunichar c = data[i];
        gchar u[6];

        if (c < 0x80) {
            g_byte_array_append(out, &data[i], 1);
            continue;
        }
        if (c <= 0x9F && (c = cp1252_char(c)) == 0xFFFD)
            (*undefined)++;
        g_byte_array_append(out, (guint8 *) u, (guint) g_unichar_to_utf8(c, u));
    }
    return out;
}

/* Convert with iconv; a byte that is not valid in the charset becomes
 * U+FFFD and conversion goes on.  NULL when iconv does not know the
 * charset.  When the bytes were cut at a size bound (cut), a sequence
 * cut short at their end is dropped: it is no error in the text. */
static GByteArray *
iconv_to_utf8(const char *iconv_name, const guint8 *data, gsize len,
              gboolean cut, unsigned *bad)
{
    static const guint8 replacement[] = { 0xEF, 0xBF, 0xBD };
    GIConv cd = g_iconv_open("UTF-8", iconv_name);
    GByteArray *out;
    gchar *in = (gchar *) data;
    gsize inleft = len;
    char chunk[4096];

    if (cd == (GIConv) -1)
        return NULL;
    out = g_byte_array_sized_new(len + 16);
    while (inleft > 0) {
        gchar *o = chunk;
        gsize oleft = sizeof chunk;
        gsize r = g_iconv(cd, &in, &inleft, &o, &oleft);
        int e = errno;
        g_byte_array_append(out, (guint8 *) chunk, sizeof chunk - oleft);
        if (r != (gsize) -1)
            break;
        if (e == E2BIG)
            continue;
        /* EILSEQ, or EINVAL for a sequence cut at the end: in bytes cut
         * at a size bound, the character the cut split. */
        if (e != EILSEQ && cut)
            break;
        g_byte_array_append(out, replacement, sizeof replacement);
        (*bad)++;
        if (e != EILSEQ)
            break;
        in++;
        inleft--;
    }
    {
        gchar *o = chunk;
        gsize oleft = sizeof chunk;
        g_iconv(cd, NULL, NULL, &o, &oleft);
        g_byte_array_append(out, (guint8 *) chunk, sizeof chunk - oleft);
    }
    g_iconv_close(cd);
    return out;
}

/* How the bytes of a text part are read, from its declared charset. */
enum text_charset {
    TEXT_GUESS,         /* none usable, or US-ASCII: UTF-8 when the bytes
                           are valid UTF-8, else Windows-1252 */
    TEXT_UTF8,          /* UTF-8: invalid bytes become U+FFFD, one each */
    TEXT_CP1252,        /* ISO-8859-1 (any alias) or Windows-1252 */
    TEXT_ICONV,         /* any other charset, converted by iconv */
};

/* TRUE when name is one of names, ignoring case. */
gboolean
text_name_in(const char *name, const char *const *names)
{
    for (; *names != NULL; names++)
        if (g_ascii_strcasecmp(name, *names) == 0)
            return TRUE;
    return FALSE;
}

/* How text is read whose charset GMime names iname (from
 * g_mime_charset_iconv_name, which unifies the spellings of ISO names
 * but passes other aliases through). */
static enum text_charset
text_charset(const char *iname)
{
    static const char *const utf8[] = { "UTF-8", "utf8", NULL };
    /* US-ASCII text with 8-bit bytes has the wrong label, most often on
     * UTF-8 or Windows-1252 text: what the bytes are decides. */
    static const char *const ascii[] = { "US-ASCII", "ASCII",
        "ANSI_X3.4-1968", "ISO646-US", "csASCII", "us", NULL };
    /* Bytes 0x80-0x9F are C1 controls in ISO-8859-1, which no text
     * holds; in mail they are Windows-1252, as in every mail client. */
    static const char *const cp1252[] = { "iso-8859-1", "latin1", "l1",
        "cp819", "IBM819", "iso-ir-100", "csISOLatin1", "CP1252",
        "windows-1252", "x-cp1252", NULL };

    if (text_name_in(iname, utf8))
        return TEXT_UTF8;
    if (text_name_in(iname, ascii))
        return TEXT_GUESS;
    if (text_name_in(iname, cp1252))
        return TEXT_CP1252;
    return TEXT_ICONV;
}

/* Decoded text bytes in the declared charset to a clean UTF-8 string;
 * cut tells that the bytes stop at a size bound, not at the end of the
 * text; what names the part in problem sentences. */
char *
text_to_utf8(GPtrArray *problems, const guint8 *data, gsize len,
             const char *charset, gboolean cut, const char *what)
{
    GByteArray *buf = NULL;
    const char *iname = NULL;
    enum text_charset how = TEXT_GUESS;
    unsigned bad = 0, undefined = 0, invalid = 0, nuls = 0, ctls = 0;
    gboolean noted = FALSE;     /* the charset problem is already said */
    /* Read as UTF-8, a character the cut split is left out, not
     * replaced nor taken as proof that the text is no UTF-8. */
    gsize whole = cut ? utf8_whole_len(data, len) : len;
    char *text;

    if (charset != NULL && *charset != '\0' && !charset_name_ok(charset)) {
        char *cs = shown_charset(charset);
        problems_add(problems,
                     "The %s declares the charset \"%s\", which is not a "
                     "charset name (longer than %d bytes, or characters a "
                     "name cannot have); it was read as UTF-8 where valid, "
                     "else as Windows-1252.", what, cs, CHARSET_NAME_MAX);
        g_free(cs);
        noted = TRUE;
    } else if (charset != NULL && *charset != '\0') {
        iname = g_mime_charset_iconv_name(charset);
        how = text_charset(iname);
    }
    if (how == TEXT_UTF8) {
        buf = g_byte_array_sized_new(whole + 1);
        g_byte_array_append(buf, data, (guint) whole);
    } else if (how == TEXT_CP1252) {
        buf = cp1252_to_utf8(data, len, &undefined);
    } else if (how == TEXT_ICONV) {
        if ((buf = iconv_to_utf8(iname, data, len, cut, &bad)) == NULL) {
            char *cs = shown_charset(charset);
            problems_add(problems,
                         "The %s declares the unknown charset \"%s\"; it "
                         "was read as UTF-8 where valid, else as "
                         "Windows-1252.", what, cs);
            g_free(cs);
            noted = TRUE;
        } else if (bad > 0) {
            char *cs = shown_charset(charset);
            problems_add(problems,
                         "The %s contains %u byte sequences that are not "
                         "valid %s; they were replaced.", what, bad, cs);
            g_free(cs);
        }
    }
    if (buf == NULL) {
        if (utf8_invalid_bytes(data, whole) == 0) {
            buf = g_byte_array_sized_new(whole + 1);
            g_byte_array_append(buf, data, (guint) whole);
        } else {
            if (!noted && iname != NULL) {
                char *cs = shown_charset(charset);
                problems_add(problems,
                             "The %s declares the charset \"%s\" but has "
                             "8-bit bytes that are not UTF-8; it was read as "
                             "Windows-1252.", what, cs);
                g_free(cs);
            } else if (!noted) {
                problems_add(problems,
                             "The %s is not valid UTF-8 and declares no "
                             "charset; it was read as Windows-1252.", what);
            }
            buf = cp1252_to_utf8(data, len, &undefined);
        }
    }
    text = finish_text(buf, &nuls, &ctls, &invalid);
    if (invalid > 0)
        problems_add(problems,
                     "The %s declares UTF-8 but contains %u bytes that are "
                     "not valid UTF-8; they were replaced.", what, invalid);
    if (undefined > 0)
        problems_add(problems,
                     "The %s contains %u bytes that are not characters in "
                     "Windows-1252, as which it was read; they were "
                     "replaced.", what, undefined);
    if (nuls > 0)
        problems_add(problems,
                     "The %s contains %u NUL bytes; they were removed.",
                     what, nuls);
    if (ctls > 0)
        problems_add(problems,
                     "The %s contains %u control characters; they were "
                     "removed.", what, ctls);
    return text;
}

/* Undo the soft line breaks of format=flowed text (RFC 3676 section 4.2)
 * in s, finished text with LF line ends, in place (the text only gets
 * shorter).  Thunderbird and Apple Mail send flowed text by default and
 * wrap it at about 72 columns, a trailing space marking each wrap; line
 * scanners would take a label's value to end there.  One pass: each line
 * is read once and written at most once, so the work is linear. */
void
text_unflow(char *s, gboolean delsp)
{
    char *r = s, *w = s;
    gboolean joining = FALSE;   /* the line written last was flowed */
    gsize open = 0;             /* and this was its quote depth */

    while (*r != '\0') {
        char *nl = strchr(r, '\n');
        gsize len = nl != NULL ? (gsize) (nl - r) : strlen(r);
        gsize depth = 0, skip, start;
        gboolean flowed;

        while (depth < len && r[depth] == '>')
            depth++;
        /* One space after the quote marks is stuffing (section 4.4), which
         * the sender put before a leading space, "From " or ">". */
        skip = depth < len && r[depth] == ' ' ? depth + 1 : depth;
        /* A trailing space marks a soft break, except in the signature
         * separator "-- ", which must stay a line of its own. */
        flowed = len > skip && r[len - 1] == ' '
                 && !(len - skip == 3 && memcmp(r + skip, "-- ", 3) == 0);
        if (joining && depth == open) {
            /* With delsp=yes the space only marked the break (text in
             * languages that put no spaces between words). */
            if (delsp)
                w--;
            start = skip;
        } else {
            /* A soft break before a change of quote depth joins nothing
             * (section 4.5): the flowed line ends there. */
            if (joining)
                *w++ = '\n';
            /* A quoted line keeps its quote marks and the space after
             * them, so it still reads as quoted; unquoted, the stuffing
             * goes. */
            start = depth > 0 ? 0 : skip;
        }
        memmove(w, r + start, len - start);
        w += len - start;
        if (nl == NULL)
            break;
        /* A soft break at the very end has no line to join. */
        joining = flowed && nl[1] != '\0';
        open = depth;
        if (!joining)
            *w++ = '\n';
        r = nl + 1;
    }
    *w = '\0';
}
