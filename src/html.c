/*
 * html.c: HTML turned into plain text, for a message whose only readable
 * body is text/html.
 *
 * libxml2's HTML parser builds the tree (recovering from any markup) and
 * the tree is walked into lines: block elements and table rows break
 * lines, the cells of a row are joined by a space, what is never shown
 * (script, style, head) is left out, and control characters vanish.
 * Markup libxml2 gives up on (deeper than 256) is stripped roughly
 * instead, so that no words are lost.
 *
 * A <blockquote> is quoted text, and its lines begin with "> ", one for
 * each level, as the same mailer's plain text would quote them: without
 * the marker a quote whose first line is a command ("close") would read
 * as the answer's own lines when the answer above it is empty, and
 * command.c would run it; envelope.c skips quoted lines too.  Every
 * mailer that quotes in HTML does so with a blockquote (Gmail's
 * blockquote.gmail_quote, Apple Mail's and Thunderbird's type="cite",
 * Roundcube, Yahoo); the attribution line above it ("On ... wrote:",
 * Thunderbird's div.moz-cite-prefix) stays unmarked, as in their plain
 * text.  Outlook quotes nothing: its div#divRplyFwdMsg or border-top
 * block is the original's header ("From: ..."), which is no command and
 * ends them, and the original below it is marked no more than in
 * Outlook's plain text.
 *
 * A module of its own because it knows nothing of MIME or of struct
 * message: message.c hands it UTF-8 already cut to the bound that keeps
 * libxml2's tree small (HTML_TEXT_RATIO there) and says what went wrong;
 * this is the only user of libxml2's HTML parser and tree, and no libxml2
 * object outlives html_to_text().
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "html.h"

/* ---- HTML to text ---------------------------------------------------- */

/* At most this many "> " mark a line however deep its quote: a long
 * thread nests a blockquote per answer, and a marker per level would
 * make each short line of it many times longer than its markup. */
#define QUOTE_MARKS_MAX 8

/* State while rendering an HTML tree as lines of text. */
struct render {
    GString *out;
    gboolean nl;            /* a line break is due before the next text */
    gboolean sp;            /* a space is due before the next text */
    int pre;                /* inside <pre>: keep white space */
    int quote;              /* blockquotes open around the text */
    gboolean marked;        /* this line has its quote markers */
};

/* Append one byte of text; the first that is not blank on a line inside
 * a blockquote gets the line's "> " markers before it, in place of the
 * blanks it follows (which tidy_lines would strip anyway). */
static void
render_put(struct render *r, char c)
{
    if (c == '\n') {
        g_string_append_c(r->out, '\n');
        r->marked = FALSE;
        return;
    }
    if (r->quote > 0 && !r->marked && c != ' ') {
        /* A blockquote starts and ends a line: all the unmarked line
         * holds is blanks. */
        while (r->out->len > 0 && r->out->str[r->out->len - 1] == ' ')
            g_string_truncate(r->out, r->out->len - 1);
        for (int i = 0; i < MIN(r->quote, QUOTE_MARKS_MAX); i++)
            g_string_append(r->out, "> ");
        r->marked = TRUE;
    }
    g_string_append_c(r->out, c);
}

/* Elements that start and end a line of text. */
static gboolean
html_is_block(const char *name)
{
    static const char *const blocks[] = {
        "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6",
        "table", "ul", "ol", "dl", "dt", "dd", "blockquote", "pre", "hr",
        "address", "section", "article", "header", "footer", "nav",
        "form", "fieldset", "caption", "center", "main", "aside",
        "figure", "figcaption", "body", NULL
    };
    for (int i = 0; blocks[i]; i++)
        if (g_ascii_strcasecmp(name, blocks[i]) == 0)
            return TRUE;
    return FALSE;
}

/* Elements whose content is never shown. */
static gboolean
html_is_hidden(const char *name)
{
    return g_ascii_strcasecmp(name, "script") == 0
        || g_ascii_strcasecmp(name, "style") == 0
        || g_ascii_strcasecmp(name, "head") == 0
        || g_ascii_strcasecmp(name, "title") == 0;
}

/* Write the separator that is due, if any, before more text. */
static void
render_flush(struct render *r)
{
    char last = r->out->len ? r->out->str[r->out->len - 1] : '\n';

    if (r->out->len == 0) {
        /* nothing before: no separator */
    } else if (r->nl) {
        if (last != '\n')
            render_put(r, '\n');
    } else if (r->sp) {
        if (last != '\n' && last != ' ')
            render_put(r, ' ');
    }
    r->nl = r->sp = FALSE;
}

/* Append a text node: white space runs become one space outside <pre>,
 * control characters vanish. */
static void
render_text(struct render *r, const char *s)
{
    for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
        gboolean space = FALSE;
        if (*p == 0xC2 && p[1] == 0xA0) {       /* no-break space */
            p++;
            space = TRUE;
        } else if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'
                   || *p == '\f' || *p == '\v') {
            space = TRUE;
        } else if (*p < 0x20 || *p == 0x7F) {
            continue;   /* a control character (&#27;) prints nothing */
        }
        if (r->pre > 0 && (*p == '\n' || *p == '\r')) {
            if (*p == '\n') {
                render_put(r, '\n');
                r->nl = r->sp = FALSE;
            }
            continue;
        }
        if (space && r->pre == 0) {
            r->sp = TRUE;
            continue;
        }
        render_flush(r);
        render_put(r, space ? ' ' : (char) *p);
    }
}

/* Visit a node on the way down; FALSE when its children are skipped. */
static gboolean
render_enter(struct render *r, xmlNodePtr n)
{
    const char *name = (const char *) n->name;

    if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
        if (n->content)
            render_text(r, (const char *) n->content);
        return FALSE;
    }
    if (n->type != XML_ELEMENT_NODE || name == NULL)
        return FALSE;
    if (html_is_hidden(name))
        return FALSE;
    if (g_ascii_strcasecmp(name, "br") == 0) {
        render_put(r, '\n');
        r->nl = r->sp = FALSE;
    } else if (g_ascii_strcasecmp(name, "td") == 0
               || g_ascii_strcasecmp(name, "th") == 0) {
        r->sp = TRUE;
    } else if (html_is_block(name)) {
        r->nl = TRUE;
        if (g_ascii_strcasecmp(name, "pre") == 0)
            r->pre++;
        else if (g_ascii_strcasecmp(name, "blockquote") == 0)
            r->quote++;
    }
    return TRUE;
}

/* Visit a node on the way up. */
static void
render_leave(struct render *r, xmlNodePtr n)
{
    const char *name = (const char *) n->name;

    if (n->type != XML_ELEMENT_NODE || name == NULL)
        return;
    if (g_ascii_strcasecmp(name, "td") == 0
        || g_ascii_strcasecmp(name, "th") == 0)
        r->sp = TRUE;
    else if (html_is_block(name)) {
        r->nl = TRUE;
        if (g_ascii_strcasecmp(name, "pre") == 0 && r->pre > 0)
            r->pre--;
        else if (g_ascii_strcasecmp(name, "blockquote") == 0 && r->quote > 0)
            r->quote--;
    }
}

/* Trim every line and keep at most one empty line in a row. */
static char *
tidy_lines(const char *s)
{
    GString *out = g_string_sized_new(strlen(s));
    char **lines = g_strsplit(s, "\n", -1);
    gboolean blank = TRUE;      /* no leading empty lines */

    for (int i = 0; lines[i]; i++) {
        char *l = g_strstrip(lines[i]);
        if (*l == '\0') {
            if (!blank)
                g_string_append_c(out, '\n');
            blank = TRUE;
            continue;
        }
        g_string_append(out, l);
        g_string_append_c(out, '\n');
        blank = FALSE;
    }
    g_strfreev(lines);
    while (out->len > 0 && out->str[out->len - 1] == '\n')
        g_string_truncate(out, out->len - 1);
    return g_string_free(out, FALSE);
}

/* Decode one character reference or common named entity at p (just after
 * '&'); returns the bytes consumed, 0 when it is not one we know. */
static gsize
decode_entity(const char *p, GString *out)
{
    static const struct { const char *name; const char *text; } named[] = {
        { "amp;", "&" }, { "lt;", "<" }, { "gt;", ">" }, { "quot;", "\"" },
        { "apos;", "'" }, { "nbsp;", " " },
    };
    if (*p == '#') {
        gboolean hex = p[1] == 'x' || p[1] == 'X';
        const char *digits = p + (hex ? 2 : 1);
        char *end;
        gulong c;

        /* strtoul would also take blanks and a sign; "&#7;" has one digit */
        if (!g_ascii_isxdigit(*digits))
            return 0;
        c = strtoul(digits, &end, hex ? 16 : 10);
        if (end == digits || *end != ';')
            return 0;
        if (c == 0 || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            c = 0xFFFD;
        /* Text keeps no control characters: white space ones are white
         * space in HTML, the others are dropped. */
        if (c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v')
            g_string_append_c(out, ' ');
        else if (c >= 0x20 && c != 0x7F)
            g_string_append_unichar(out, (gunichar) c);
        return (gsize) (end - p) + 1;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(named); i++) {
        gsize l = strlen(named[i].name);
        if (strncmp(p, named[i].name, l) == 0) {
            g_string_append(out, named[i].text);
            return l;
        }
    }
    return 0;
}

/* Text out of HTML the parser gave up on: tags dropped (line-breaking
 * ones turned into newlines), common entities decoded, the lines of a
 * blockquote marked as the tree's are.  Rough, but it keeps the words
 * when the tree is too deep for libxml2, and a quote stays a quote:
 * deep markup is what a long thread of quoted answers makes. */
static char *
html_strip_roughly(const char *html)
{
    struct render r = { g_string_new(NULL), FALSE, FALSE, 0, 0, FALSE };
    GString *entity = g_string_new(NULL);
    const char *p = html;
    char *text;

    while (*p) {
        if (*p == '<') {
            const char *gt = strchr(p, '>');
            const char *name = p + 1;
            gboolean closing;
            gsize nlen = 0;
            char *tag;
            if (gt == NULL)
                break;
            if ((closing = *name == '/'))
                name++;
            while (name + nlen < gt && g_ascii_isalnum(name[nlen]))
                nlen++;
            tag = g_strndup(name, nlen);
            if (g_ascii_strcasecmp(tag, "br") == 0 || html_is_block(tag))
                render_put(&r, '\n');
            else if (g_ascii_strcasecmp(tag, "td") == 0
                     || g_ascii_strcasecmp(tag, "th") == 0)
                render_put(&r, ' ');
            if (g_ascii_strcasecmp(tag, "blockquote") == 0) {
                if (!closing)
                    r.quote++;
                else if (r.quote > 0)
                    r.quote--;
            }
            g_free(tag);
            p = gt + 1;
        } else if (*p == '&') {
            gsize used;

            g_string_truncate(entity, 0);
            used = decode_entity(p + 1, entity);
            if (used == 0)
                render_put(&r, '&');
            for (gsize i = 0; i < entity->len; i++)
                render_put(&r, entity->str[i]);
            p += 1 + used;
        } else {
            /* a CR of the markup's line ends is no text either */
            render_put(&r, *p == '\t' || *p == '\r' ? ' ' : *p);
            p++;
        }
    }
    g_string_free(entity, TRUE);
    text = tidy_lines(r.out->str);
    g_string_free(r.out, TRUE);
    return text;
}

/* Render UTF-8 HTML as text lines: block elements and table rows break
 * lines, cells of one row are joined by a space, entities are decoded by
 * libxml2.  The tree is walked without recursion.  When libxml2 stops
 * early (it refuses trees deeper than 256), the text is stripped roughly
 * instead, so no words are lost, and *rough is set (else cleared) so that
 * the caller can say so. */
char *
html_to_text(const char *html, gsize len, gboolean *rough)
{
    struct render r = { g_string_new(NULL), FALSE, FALSE, 0, 0, FALSE };
    htmlParserCtxtPtr ctxt = htmlNewParserCtxt();
    htmlDocPtr doc = NULL;
    gboolean halted;
    xmlNodePtr n;
    char *text;

    if (len > G_MAXINT)
        len = G_MAXINT;
    if (ctxt != NULL)
        doc = htmlCtxtReadMemory(ctxt, html, (int) len, NULL, "UTF-8",
                                 HTML_PARSE_RECOVER | HTML_PARSE_NOERROR
                                 | HTML_PARSE_NOWARNING | HTML_PARSE_NONET
                                 | HTML_PARSE_IGNORE_ENC);
    halted = ctxt == NULL || ctxt->disableSAX;
    if (ctxt != NULL)
        htmlFreeParserCtxt(ctxt);
    *rough = halted;
    if (halted) {
        if (doc)
            xmlFreeDoc(doc);
        g_string_free(r.out, TRUE);
        return html_strip_roughly(html);
    }
    n = doc ? doc->children : NULL;
    while (n != NULL) {
        if (render_enter(&r, n) && n->children != NULL) {
            n = n->children;
            continue;
        }
        for (;;) {
            render_leave(&r, n);
            if (n->next != NULL) {
                n = n->next;
                break;
            }
            n = n->parent;
            if (n == NULL || n == (xmlNodePtr) doc) {
                n = NULL;
                break;
            }
        }
    }
    if (doc)
        xmlFreeDoc(doc);
    text = tidy_lines(r.out->str);
    g_string_free(r.out, TRUE);
    return text;
}
