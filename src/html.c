/*
 * html.c: HTML turned into plain text, for a message whose only readable
 * body is text/html.
 *
 * libxml2's HTML parser builds the tree (recovering from any markup) and
 * the tree is walked into lines: block elements and table rows break
 * lines, the cells of a row are joined by a space, what is never shown
 * (script, style, head) is left out, and control characters vanish.
 * A row laid out as "label | value" (the ITU-T and BBF templates, Word's
 * <p class=MsoNormal> in each cell) keeps its value's lines together:
 * the label on one line, the value's first line after it and the later
 * ones indented by a tab, which envelope.c reads as a folded value; a
 * label cell without colon is set off by a tab, and one beside an empty
 * value cell is followed by an empty line, so that the next row is not
 * read as its value.
 * Markup libxml2 gives up on (deeper than 256) is stripped roughly
 * instead, so that no words are lost; a table row in it, which a table
 * letter with a long thread quoted below it has, is parsed on its own
 * and read as the tree's rows are, so that its cells keep their fields.
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

/* A label cell is at most this many bytes of text (envelope.c reads no
 * longer label) and this many nodes of markup; a value cell at most
 * LABEL_VALUE_MAX bytes and LABEL_VALUE_NODES nodes.  A bigger cell is a
 * layout's, holding the letter, and its lines are no field's; the
 * bounds also keep the look at a row's cells linear in the tree. */
#define LABEL_TEXT_MAX      48
#define LABEL_NODES_MAX     32
#define LABEL_VALUE_MAX     1024
#define LABEL_VALUE_NODES   128
/* A value cell holds at most this many lines: a contact's name,
 * organisation, address, country, phones and mail address.  A cell of
 * more is a layout's, the letter beside a short sidebar, whose prose
 * must not continue a field. */
#define LABEL_VALUE_LINES   8

/* The rough strip hands a table row to libxml2 on its own, so that its
 * cells are read as the tree's are (mark_label_row), when the row's
 * markup is at most this long, and for at most this many rows: the
 * envelope's table is at the letter's top, and each row costs a parser. */
#define ROUGH_ROW_BYTES     (64 * 1024)
#define ROUGH_ROWS_MAX      256

/* Marks on the cells of a label row (xmlNode._private, which libxml2
 * leaves to the application). */
enum cell_mark {
    CELL_PLAIN = 0,
    CELL_LABEL,             /* its lines are one line: the label */
    CELL_VALUE,             /* its later lines continue the label's line */
    CELL_VALUE_TAB,         /* a value after a label with no colon */
    CELL_LABEL_ALONE,       /* a label whose value cell is empty */
};

/* State while rendering an HTML tree as lines of text. */
struct render {
    GString *out;
    gboolean nl;            /* a line break is due before the next text */
    gboolean sp;            /* a space is due before the next text */
    gboolean tab;           /* a tab is due: after a label cell without colon */
    int pre;                /* inside <pre>: keep white space */
    int quote;              /* blockquotes open around the text */
    gboolean marked;        /* this line has its quote markers */
    enum cell_mark cell;    /* the mark of the cell the text is in */
    gboolean cell_text;     /* that cell has written text */
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
    } else if (r->tab) {
        if (last != '\n')
            render_put(r, '\t');
    } else if (r->sp) {
        if (last != '\n' && last != ' ')
            render_put(r, ' ');
    }
    /* A value cell's later lines are indented, as a folded value is:
     * envelope.c reads them as the field's, where a line at the margin
     * would end it ("Ann Bee<br>Broadband Forum<br>ann@bbf.test"). */
    if (r->cell == CELL_VALUE && r->cell_text && r->out->len > 0
        && r->out->str[r->out->len - 1] == '\n')
        render_put(r, '\t');
    if (r->cell != CELL_PLAIN)
        r->cell_text = TRUE;
    r->nl = r->sp = r->tab = FALSE;
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

/* Whether n is an element of the given name. */
static gboolean
html_is(xmlNodePtr n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && n->name != NULL
        && g_ascii_strcasecmp((const char *) n->name, name) == 0;
}

/* Whether n is a table cell. */
static gboolean
html_is_cell(xmlNodePtr n)
{
    return html_is(n, "td") || html_is(n, "th");
}

/* What a look at a cell found: its text's length with blank runs as one
 * byte, its lines, whether it has a letter and ends with a colon. */
struct cell_look {
    gsize text;
    int lines;
    gboolean letter;
    gboolean colon;
};

/* Look at the text of a cell, within bounds: FALSE when it holds a
 * table, more than max_nodes nodes or more than max_text bytes, which no
 * label or field value does.  Walked without recursion, as the tree. */
static gboolean
cell_look(xmlNodePtr cell, int max_nodes, gsize max_text, struct cell_look *l)
{
    xmlNodePtr n = cell->children;
    gboolean blank = TRUE, broken = TRUE;
    int nodes = 0;

    memset(l, 0, sizeof *l);
    while (n != NULL) {
        gboolean down = FALSE;

        if (++nodes > max_nodes || html_is(n, "table"))
            return FALSE;
        if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
            for (const unsigned char *p = n->content; p && *p; p++) {
                gboolean space = g_ascii_isspace(*p);

                if (*p == 0xC2 && p[1] == 0xA0) {      /* no-break space */
                    p++;
                    space = TRUE;
                }
                if (space) {
                    blank = TRUE;
                    continue;
                }
                if (broken)
                    l->lines++;
                broken = FALSE;
                l->text += blank && l->text > 0 ? 2 : 1;
                blank = FALSE;
                if (g_ascii_isalpha(*p) || *p >= 0x80)
                    l->letter = TRUE;
                /* ':' or the fullwidth colon, U+FF1A */
                l->colon = *p == ':' || (*p == 0x9A && p >= n->content + 2
                                         && p[-1] == 0xBC && p[-2] == 0xEF);
            }
            if (l->text > max_text)
                return FALSE;
        } else if (n->type == XML_ELEMENT_NODE && n->name != NULL
                   && !html_is_hidden((const char *) n->name)) {
            down = n->children != NULL;
            if (html_is(n, "br") || html_is_block((const char *) n->name))
                broken = TRUE;
        }
        if (down) {
            n = n->children;
            continue;
        }
        /* Up past the nodes done: a block's end breaks a line too. */
        for (;;) {
            if (n != cell && n->type == XML_ELEMENT_NODE && n->name != NULL
                && html_is_block((const char *) n->name))
                broken = TRUE;
            if (n == cell || n->next != NULL)
                break;
            n = n->parent;
        }
        n = n == cell ? NULL : n->next;
    }
    return TRUE;
}

/* Mark the cells of a table row laid out as "label | value", as the
 * ITU-T and BBF templates are (and Word pasted into Outlook renders
 * them): a first cell of a short label and a second, data cell of a
 * short value.  The value's lines are then the field's (its later lines
 * indented, as folded), the label's lines one line, and a label with no
 * colon is set off by a tab, which envelope.c reads as the colon when
 * the words are a label it knows: the tab only when the row has these
 * two cells alone, as a data table's row of headings seldom has.  A
 * label beside an empty cell gets an empty line after it. */
static void
mark_label_row(xmlNodePtr tr)
{
    xmlNodePtr cells[3] = { NULL, NULL, NULL };
    struct cell_look label, value;
    int count = 0;

    for (xmlNodePtr c = tr->children; c != NULL && count < 3; c = c->next)
        if (html_is_cell(c))
            cells[count++] = c;
    if (count < 2 || !html_is(cells[1], "td"))
        return;
    if (!cell_look(cells[0], LABEL_NODES_MAX, LABEL_TEXT_MAX, &label)
        || label.text == 0 || !label.letter)
        return;
    if (!cell_look(cells[1], LABEL_VALUE_NODES, LABEL_VALUE_MAX, &value)
        || value.lines > LABEL_VALUE_LINES)
        return;
    /* "Title:" beside an empty cell (Word's <o:p>&nbsp;</o:p>) has no
     * value, and the next row's "Meeting: Geneva" is none either: the
     * label's line is followed by an empty one, which ends the field in
     * envelope.c.  Only for a label with its colon, which alone reads as
     * a label there, and a row of these two cells alone. */
    if (value.text == 0) {
        if (label.colon && count == 2)
            cells[0]->_private = GINT_TO_POINTER(CELL_LABEL_ALONE);
        return;
    }
    cells[0]->_private = GINT_TO_POINTER(CELL_LABEL);
    cells[1]->_private = GINT_TO_POINTER(
        !label.colon && count == 2 ? CELL_VALUE_TAB : CELL_VALUE);
}

/* A line break due where blocks meet inside the current cell: none in a
 * label cell (one line), nor in a value cell before its first text (it
 * continues the label's line). */
static void
render_break(struct render *r)
{
    if (r->cell == CELL_LABEL || (r->cell == CELL_VALUE && !r->cell_text))
        r->sp = TRUE;
    else
        r->nl = TRUE;
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
        if (r->cell != CELL_PLAIN) {
            /* no empty line inside a field's value: it would end it */
            render_break(r);
        } else {
            render_put(r, '\n');
            r->nl = r->sp = FALSE;
        }
    } else if (html_is_cell(n)) {
        enum cell_mark m = GPOINTER_TO_INT(n->_private);

        r->cell = m == CELL_VALUE_TAB ? CELL_VALUE
                : m == CELL_LABEL_ALONE ? CELL_LABEL : m;
        r->cell_text = FALSE;
        if (m == CELL_VALUE || m == CELL_VALUE_TAB)
            r->nl = FALSE;
        if (m == CELL_VALUE_TAB)
            r->tab = TRUE;
        else
            r->sp = TRUE;
    } else if (html_is_block(name)) {
        if (g_ascii_strcasecmp(name, "tr") == 0)
            mark_label_row(n);
        render_break(r);
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
    if (html_is_cell(n)) {
        if (GPOINTER_TO_INT(n->_private) == CELL_LABEL_ALONE
            && r->cell_text) {
            /* the empty line after a label without value */
            render_put(r, '\n');
            render_put(r, '\n');
        }
        r->sp = TRUE;
        r->cell = CELL_PLAIN;
        r->cell_text = FALSE;
    } else if (html_is_block(name)) {
        render_break(r);
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
        char *l = g_strchomp(lines[i]);
        gboolean indent = FALSE;

        /* A tab at the start is render_flush()'s mark of a field value's
         * later line (text's own tabs are spaces by now): it stays. */
        for (; *l == ' ' || *l == '\t'; l++)
            indent = indent || *l == '\t';
        if (*l == '\0') {
            if (!blank)
                g_string_append_c(out, '\n');
            blank = TRUE;
            continue;
        }
        if (indent)
            g_string_append_c(out, '\t');
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

/* Render a parsed tree into r, walked without recursion. */
static void
render_tree(struct render *r, htmlDocPtr doc)
{
    xmlNodePtr n = doc ? doc->children : NULL;

    while (n != NULL) {
        if (render_enter(r, n) && n->children != NULL) {
            n = n->children;
            continue;
        }
        for (;;) {
            render_leave(r, n);
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
}

/* Parse HTML with libxml2; NULL when there is no tree (no markup), or
 * when libxml2 cannot parse or stops early (a tree deeper than 256):
 * then *halted is set, else cleared. */
static htmlDocPtr
html_parse(const char *html, gsize len, gboolean *halted)
{
    htmlParserCtxtPtr ctxt = htmlNewParserCtxt();
    htmlDocPtr doc = NULL;

    if (len > G_MAXINT)
        len = G_MAXINT;
    if (ctxt != NULL)
        doc = htmlCtxtReadMemory(ctxt, html, (int) len, NULL, "UTF-8",
                                 HTML_PARSE_RECOVER | HTML_PARSE_NOERROR
                                 | HTML_PARSE_NOWARNING | HTML_PARSE_NONET
                                 | HTML_PARSE_IGNORE_ENC);
    *halted = ctxt == NULL || ctxt->disableSAX;
    if (ctxt != NULL)
        htmlFreeParserCtxt(ctxt);
    if (*halted && doc != NULL) {
        xmlFreeDoc(doc);
        doc = NULL;
    }
    return doc;
}

/* The name of the tag at p ('<'): its first bytes and length, after a
 * '/' of a closing tag (*closing set). */
static const char *
rough_tag(const char *p, gsize *nlen, gboolean *closing)
{
    const char *name = p + 1;

    if ((*closing = *name == '/'))
        name++;
    *nlen = 0;
    while (g_ascii_isalnum(name[*nlen]))
        (*nlen)++;
    return name;
}

/* Whether the tag name[0..nlen) is tag. */
static gboolean
rough_is(const char *name, gsize nlen, const char *tag)
{
    return nlen == strlen(tag) && g_ascii_strncasecmp(name, tag, nlen) == 0;
}

/* The end of the table row whose "<tr" is at p: just past its "</tr>".
 * NULL when the row holds a table, another row's start, a blockquote or
 * pre (whose state the rough strip keeps itself), when it has no end
 * tag or is longer than ROUGH_ROW_BYTES: such a row is stripped roughly
 * as before.  Each byte is looked at by one row at most: the look stops
 * at the next "<tr". */
static const char *
rough_row_end(const char *p)
{
    const char *q = p + 1;

    while (*q != '\0' && q - p < ROUGH_ROW_BYTES) {
        gboolean closing;
        const char *name, *gt;
        gsize nlen;

        if (*q != '<') {
            q++;
            continue;
        }
        name = rough_tag(q, &nlen, &closing);
        if (rough_is(name, nlen, "table") || rough_is(name, nlen, "pre")
            || rough_is(name, nlen, "blockquote")
            || (!closing && rough_is(name, nlen, "tr")))
            return NULL;
        if (closing && rough_is(name, nlen, "tr")) {
            /* its '>', within the bound too */
            for (gt = q; *gt != '\0' && *gt != '>'; gt++)
                if (gt - p >= ROUGH_ROW_BYTES)
                    return NULL;
            return *gt == '>' ? gt + 1 : NULL;
        }
        q++;
    }
    return NULL;
}

/* Render one table row's markup, row[0..len), through libxml2 and the
 * tree's rules, on lines of its own: a table letter too deep for the
 * tree (a long thread quoted below it) keeps its label and value cells.
 * FALSE, with nothing written, when libxml2 cannot parse it. */
static gboolean
rough_row(struct render *r, const char *row, gsize len)
{
    GString *html = g_string_new("<table>");
    gboolean halted;
    htmlDocPtr doc;

    g_string_append_len(html, row, (gssize) len);
    g_string_append(html, "</table>");
    doc = html_parse(html->str, html->len, &halted);
    g_string_free(html, TRUE);
    if (doc == NULL)
        return FALSE;
    r->nl = TRUE;
    render_tree(r, doc);
    xmlFreeDoc(doc);
    /* the rough strip writes as it reads: the row's last line ends here */
    if (r->out->len > 0 && r->out->str[r->out->len - 1] != '\n')
        render_put(r, '\n');
    r->nl = r->sp = r->tab = FALSE;
    r->cell = CELL_PLAIN;
    r->cell_text = FALSE;
    return TRUE;
}

/* Text out of HTML the parser gave up on: tags dropped (line-breaking
 * ones turned into newlines), common entities decoded, the lines of a
 * blockquote marked as the tree's are.  Rough, but it keeps the words
 * when the tree is too deep for libxml2, and a quote stays a quote:
 * deep markup is what a long thread of quoted answers makes. */
static char *
html_strip_roughly(const char *html)
{
    struct render r = { .out = g_string_new(NULL) };
    GString *entity = g_string_new(NULL);
    const char *p = html;
    int rows = 0;
    char *text;

    while (*p) {
        if (*p == '<') {
            const char *gt = strchr(p, '>');
            const char *name, *end;
            gboolean closing;
            gsize nlen = 0;
            char *tag;
            if (gt == NULL)
                break;
            name = rough_tag(p, &nlen, &closing);
            if (!closing && rough_is(name, nlen, "tr") && rows < ROUGH_ROWS_MAX
                && (end = rough_row_end(p)) != NULL) {
                rows++;
                if (rough_row(&r, p, (gsize) (end - p))) {
                    p = end;
                    continue;
                }
            }
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
    struct render r = { .out = g_string_new(NULL) };
    htmlDocPtr doc = html_parse(html, len, rough);
    char *text;

    if (*rough) {
        g_string_free(r.out, TRUE);
        return html_strip_roughly(html);
    }
    render_tree(&r, doc);
    if (doc)
        xmlFreeDoc(doc);
    text = tidy_lines(r.out->str);
    g_string_free(r.out, TRUE);
    return text;
}
