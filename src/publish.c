/*
 * publish.c: the statements as a static web site, the "outstanding liaison
 * statements" display.  liaisonctl publish DIR writes:
 *
 *   index.html        the open statements, the most urgent deadline first,
 *                     then those closed in the last recent_days
 *   ID/index.html     one page per statement, so that base_url + ID (the
 *                     link every notification carries) resolves on any web
 *                     server that serves DIR at base_url
 *   feed.atom         the statements of the index, newest change first
 *   deadlines.ics     their deadlines as a calendar to subscribe to
 *                     (RFC 5545, written by libical): an all-day event on
 *                     the day of each open statement not yet answered
 *   statements.json   the same, for scripts
 *   group/KEY/        index.html, feed.atom and deadlines.ics of the
 *                     statements assigned to a group or area
 *
 * Everything in a statement came from mail and is hostile.  Every string
 * goes through publish_escape (bad UTF-8 replaced, control and bidi
 * override characters removed, markup characters escaped), the pages carry
 * no script and a Content-Security-Policy that forbids any, and only what a
 * statement says of itself is shown: not the mail's From, the routing, the
 * diagnostics or the history, which are for the IETF's own people.
 *
 * Each file is replaced whole (written to .NAME.part beside it, flushed
 * and renamed), so a web server never serves half a page, and a file
 * whose content did not change is not touched, so a publish from cron
 * every few minutes leaves the unchanged pages' times (and caches) alone.
 *
 * A run as root must not write outside the site, whoever can write the
 * site: every folder inside it is opened once, refusing a link in its
 * place (O_DIRECTORY | O_NOFOLLOW, relative to its parent's descriptor),
 * and every file is read, written, renamed and chmodded through those
 * descriptors (openat, renameat, unlinkat, fchmod), never by a path that
 * a link swapped in later would lead elsewhere.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libical/ical.h>

#include "compose.h"
#include "envelope.h"
#include "fdio.h"
#include "log.h"
#include "publish.h"
#include "statement.h"
#include "tickle.h"

/* What the index, the feed and the JSON say of one statement. */
struct entry {
    gint64  id;
    char   *title;
    char   *from_body;
    char   *to_body;
    const char *purpose;        /* purpose_name(): static */
    char   *deadline;
    char   *state;
    char   *received;
    char   *closed;             /* when it was last closed, or NULL */
    char   *updated;            /* its last event, else received */
    char   *replied;            /* when the IETF answered it, or NULL */
    gboolean answered;          /* that answer stands (statement's answered):
                                   not reopened nor re-dated since */
    GPtrArray *groups;          /* char*: the keys it is assigned to */
};

/* A folder of the site, open.  Every write, rename and removal inside
 * the site goes through such a descriptor (openat, renameat, unlinkat),
 * never through a path: a folder swapped for a link between a check and
 * a write by path would have a run as root write wherever it points. */
struct folder {
    int     fd;                 /* O_DIRECTORY; below the top, O_NOFOLLOW */
    char   *path;               /* for messages only */
};

/* The state publish_site carries through store_list. */
struct site {
    struct store *st;
    const struct publish_options *o;
    struct publish_summary *sum;
    char    today[11];
    char   *recent_since;       /* closed at or after this is recent */
    GPtrArray *entries;         /* struct entry*: open and recently closed */
    GPtrArray *keys;            /* char*: the groups and areas with a page,
                                   lower case, sorted */
    GPtrArray *held;            /* char*: every key a statement published
                                   holds, listed or not (its page links
                                   to group/KEY/) */
    GError *err;                /* the first failure inside store_list */
    struct folder *top;         /* the site's folder, open */
    char   *id_domain;          /* the authority of the feeds' tag: ids */
};

/* What one listing (a page and its feed) shows: the whole site, or the
 * part of it one group or area is assigned. */
struct view {
    const char *key;            /* group or area key; NULL: the whole site */
    const char *name;           /* its name in the directory, or NULL */
    const char *top;            /* from the page to the site's top: "" or "../../" */
    const GPtrArray *entries;   /* struct entry*, the site's own */
};

/* The style of every page: inline, since the pages are single files. */
static const char page_style[] =
    "body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:72em;"
    "padding:0 1em;color:#222}"
    "table{border-collapse:collapse;width:100%}"
    "th,td{text-align:left;vertical-align:top;padding:.3em .5em;"
    "border-bottom:1px solid #ddd}"
    "dd.overdue,tr.overdue td.deadline{color:#b00;font-weight:bold}"
    "dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.2em 1em}"
    "dt{font-weight:bold}dd{margin:0}"
    /* The body is what a chair reads: at the size of the page's text,
     * not the 13 px a browser gives "monospace" alone. */
    "pre{white-space:pre-wrap;background:#f6f6f6;padding:1em;"
    "font-family:ui-monospace,monospace;font-size:.9375rem}"
    "td.id,td.deadline time,td.received,td.closed{white-space:nowrap}"
    ".meta{color:#555}"
    /* "(overdue by 67 days)" read as one: broken, a narrow column left
     * "days)" alone on a line under the date. */
    ".due{white-space:nowrap}"
    /* On a phone the page itself never scrolls sideways: a wide table
     * scrolls in its own box (which a keyboard can focus and scroll too:
     * tabindex, a named region), and a long word from mail (an address, a
     * digest, a URL) breaks rather than widening the page. */
    ".scroll{overflow-x:auto}"
    "h1,dd,pre{overflow-wrap:anywhere}"
    /* A statement's title is its page's heading, and a title from mail
     * may run to hundreds of characters: the heading shrinks with the
     * screen, down to a little above the text, so that on a phone it
     * takes a few lines and not several screens. */
    "h1{font-size:clamp(1.125rem,0.8rem + 1.6vw,2rem);line-height:1.25}"
    "@media (max-width:35em){dl{grid-template-columns:minmax(0,1fr)}dd{margin-bottom:.5em}"
    /* A table of seven columns on a phone put the deadline, what a chair
     * looks for, off the screen to the right: there each row is a block,
     * a cell a line that names itself, and the header row is kept for
     * screen readers only. */
    "table,tbody,tr,td{display:block}"
    "thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}"
    "tr{padding:.5em 0;border-bottom:1px solid #ddd}"
    "td{border:0;padding:.1em 0;overflow-wrap:anywhere}"
    "td.id::before{content:\"Statement \"}"
    "td.from::before{content:\"From: \"}"
    "td.to::before{content:\"To: \"}"
    "td.purpose::before{content:\"Purpose: \"}"
    "td.deadline::before{content:\"Deadline: \"}"
    "td.received::before{content:\"Received (UTC): \"}"
    "td.closed::before{content:\"Closed (UTC): \"}"
    "td::before{color:#555}}"
    /* A finger needs a target 44 px high (WCAG 2.5.5): a link's line
     * alone is some 20 px, and the links sit on adjacent lines. */
    "@media (max-width:35em),(pointer:coarse){"
    "a{display:inline-block;box-sizing:border-box;min-height:44px;padding:.6em 0}"
    "td.title a{display:block}span.group{white-space:nowrap}}";

/* Free an entry (a GDestroyNotify). */
static void
entry_free(gpointer p)
{
    struct entry *e = p;

    g_free(e->title);
    g_free(e->from_body);
    g_free(e->to_body);
    g_free(e->deadline);
    g_free(e->state);
    g_free(e->received);
    g_free(e->closed);
    g_free(e->updated);
    g_free(e->replied);
    if (e->groups != NULL)
        g_ptr_array_unref(e->groups);
    g_free(e);
}

/* Text from mail made clean: bad UTF-8 replaced, controls made spaces
 * (but newlines and tabs with lines), bidi overrides removed, and the
 * two non-characters replaced. */
static GString *
clean_text(const char *text, gboolean lines)
{
    GString *clean = g_string_sized_new(text != NULL ? strlen(text) : 0);

    for (const char *p = text != NULL ? text : ""; *p != '\0';) {
        gunichar c = g_utf8_get_char_validated(p, -1);

        if (c == (gunichar) -1 || c == (gunichar) -2) {
            g_string_append_unichar(clean, 0xFFFD);
            p++;
            continue;
        }
        p = g_utf8_next_char(p);
        if (lines && (c == '\n' || c == '\t'))
            g_string_append_c(clean, (char) c);
        else if (c == '\r' && lines)
            continue;                   /* CRLF read as LF */
        else if (g_unichar_iscntrl(c))
            g_string_append_c(clean, ' ');
        else if (compose_is_bidi_control(c))     /* a title made to read otherwise */
            continue;
        else if (c == 0xFFFE || c == 0xFFFF)    /* not characters in XML */
            g_string_append_unichar(clean, 0xFFFD);
        else
            g_string_append_unichar(clean, c);
    }
    return clean;
}

/* Text from mail made safe for HTML and XML 1.0 alike. */
char *
publish_escape(const char *text, gboolean lines)
{
    GString *clean = clean_text(text, lines);
    /* Clean text only: GLib writes controls as &#x1;, which XML 1.0
     * forbids. */
    char   *out = g_markup_escape_text(clean->str, (gssize) clean->len);

    g_string_free(clean, TRUE);
    return out;
}

/* Append text escaped. */
static void
put(GString *out, const char *text)
{
    char   *e = publish_escape(text, FALSE);

    g_string_append(out, e);
    g_free(e);
}

/* How a deadline stands on today. */
char *
publish_due(const char *deadline, const char *today)
{
    int     days;

    if (!tickle_days_until(today, deadline, &days))
        return NULL;
    if (days < 0)
        return g_strdup_printf("overdue by %d day%s", -days, days == -1 ? "" : "s");
    if (days == 0)
        return g_strdup("due today");
    return g_strdup_printf("due in %d day%s", days, days == 1 ? "" : "s");
}

/* The title a statement is shown under. */
static char *
shown_title(const struct statement *s)
{
    if (s->env->title != NULL && *s->env->title != '\0')
        return g_strdup(s->env->title);
    if (s->subject != NULL && *s->subject != '\0')
        return g_strdup(s->subject);
    return g_strdup("(no title)");
}

/* The start of a page, up to <body>: prefix leads from the page to the
 * site's top ("" or "../"). */
static void
page_head(GString *out, const struct publish_options *o, const char *title,
          const char *prefix, const char *feed_title)
{
    g_string_append(out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">\n<title>");
    put(out, title);
    g_string_append(out, " \xe2\x80\x93 ");
    put(out, o->site_name);
    g_string_append_printf(out, "</title>\n<link rel=\"alternate\" "
                           "type=\"application/atom+xml\" href=\"%sfeed.atom\" title=\"",
                           prefix);
    put(out, feed_title);
    g_string_append_printf(out, "\">\n<link rel=\"alternate\" type=\"text/calendar\" "
                           "href=\"%sdeadlines.ics\" title=\"Deadlines\">\n"
                           "<style>%s</style>\n</head>\n<body>\n", prefix, page_style);
}

/* A day (YYYY-MM-DD) as a <time> element, for readers and tools that
 * take dates from the markup. */
static void
put_day(GString *out, const char *day)
{
    g_string_append(out, "<time datetime=\"");
    put(out, day);
    g_string_append(out, "\">");
    put(out, day);
    g_string_append(out, "</time>");
}

/* A cell holding a day as a <time> element. */
static void
day_cell(GString *out, const char *cls, const char *day)
{
    g_string_append_printf(out, "<td class=\"%s\">", cls);
    put_day(out, day);
    g_string_append(out, "</td>");
}

/* A field the statement may not have stated (From, To): said so, since
 * an empty cell reads as a gap in the page (a screen reader says
 * "blank"), and "none" as if nobody had sent it. */
static const char *
stated(const char *text)
{
    return text != NULL && *text != '\0' ? text : "not stated";
}

/* A cell holding text. */
static void
cell(GString *out, const char *cls, const char *text)
{
    g_string_append_printf(out, "<td class=\"%s\">", cls);
    put(out, text != NULL ? text : "");
    g_string_append(out, "</td>");
}

/* A deadline as shown: the date, and how it stands today. */
static void
put_deadline(GString *out, const char *deadline, const char *today, gboolean open)
{
    g_autofree char *due = open ? publish_due(deadline, today) : NULL;

    if (deadline == NULL) {
        g_string_append(out, "none");
        return;
    }
    put_day(out, deadline);
    if (due != NULL) {
        g_string_append(out, " <span class=\"due\">(");
        put(out, due);
        g_string_append(out, ")</span>");
    }
}

/* The first ten characters (the day) of a UTC time. */
static char *
day_of(const char *when)
{
    return g_strndup(when != NULL ? when : "", 10);
}

/* Order of the outstanding table: the earliest deadline first, those
 * without one last; then by id. */
static gint
by_urgency(gconstpointer a, gconstpointer b)
{
    const struct entry *x = *(struct entry *const *) a;
    const struct entry *y = *(struct entry *const *) b;
    int     c;

    if ((x->deadline == NULL) != (y->deadline == NULL))
        return x->deadline == NULL ? 1 : -1;
    if (x->deadline != NULL && (c = strcmp(x->deadline, y->deadline)) != 0)
        return c;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Order of the closed table: the latest closed first. */
static gint
by_closed(gconstpointer a, gconstpointer b)
{
    const struct entry *x = *(struct entry *const *) a;
    const struct entry *y = *(struct entry *const *) b;
    int     c = g_strcmp0(y->closed, x->closed);

    return c != 0 ? c : (x->id < y->id ? -1 : x->id > y->id);
}

/* Order of the feed: the latest change first. */
static gint
by_updated(gconstpointer a, gconstpointer b)
{
    const struct entry *x = *(struct entry *const *) a;
    const struct entry *y = *(struct entry *const *) b;
    int     c = g_strcmp0(y->updated, x->updated);

    return c != 0 ? c : (x->id < y->id) - (x->id > y->id);
}

/* The entries in state ("open" or "closed"), sorted by cmp. */
static GPtrArray *
entries_in(const GPtrArray *all, const char *state, GCompareFunc cmp)
{
    GPtrArray *a = g_ptr_array_new();

    for (guint i = 0; i < all->len; i++) {
        struct entry *e = g_ptr_array_index(all, i);

        if (strcmp(e->state, state) == 0)
            g_ptr_array_add(a, e);
    }
    g_ptr_array_sort(a, cmp);
    return a;
}

/* The cells both tables of the index start a row with: id, the title
 * linking to the statement's page, from, to, purpose. */
static void
row_start(GString *out, const struct entry *e, gboolean overdue, const char *top)
{
    g_string_append_printf(out, "<tr data-id=\"%" G_GINT64_FORMAT "\"%s>"
                           "<td class=\"id\">%" G_GINT64_FORMAT "</td>"
                           "<td class=\"title\"><a href=\"%s%" G_GINT64_FORMAT
                           "/index.html\">",
                           e->id, overdue ? " class=\"overdue\"" : "", e->id, top, e->id);
    put(out, e->title);
    g_string_append(out, "</a></td>");
    cell(out, "from", stated(e->from_body));
    cell(out, "to", stated(e->to_body));
    cell(out, "purpose", e->purpose != NULL ? e->purpose : "not stated");
}

/* What a view lists, in words: "" for the whole site, else ": ccamp
 * (Common Control and Measurement Plane)". */
static char *
view_subject(const struct view *v)
{
    if (v->key == NULL)
        return g_strdup("");
    if (v->name == NULL)
        return g_strdup_printf(": %s", v->key);
    return g_strdup_printf(": %s (%s)", v->key, v->name);
}

/* The title of a view's feed, and of the page's link to it. */
static char *
feed_title(const struct publish_options *o, const struct view *v)
{
    g_autofree char *subject = view_subject(v);

    return g_strdup_printf("%s: outstanding liaison statements%s", o->site_name, subject);
}

/* The listed statements on key's page (struct entry *, not owned): those
 * assigned to the group, or to the area and its groups. */
static GPtrArray *
key_entries(const struct site *site, const char *key)
{
    GPtrArray *mine = g_ptr_array_new();

    for (guint i = 0; i < site->entries->len; i++) {
        struct entry *e = g_ptr_array_index(site->entries, i);

        if (directory_assigns(site->o->directory, e->groups, key))
            g_ptr_array_add(mine, e);
    }
    return mine;
}

/* The group pages the index links to: those with a statement listed,
 * "KEY (N open)" each. */
static void
group_links(GString *out, const struct site *site)
{
    gboolean any = FALSE;

    for (guint i = 0; i < site->keys->len; i++) {
        const char *key = g_ptr_array_index(site->keys, i);
        g_autoptr(GPtrArray) mine = key_entries(site, key);
        guint open = 0;

        for (guint j = 0; j < mine->len; j++) {
            const struct entry *e = g_ptr_array_index(mine, j);

            open += strcmp(e->state, "open") == 0;
        }
        if (mine->len == 0)
            continue;
        g_string_append(out, any ? "&nbsp;\xc2\xb7 " : "<p class=\"groups\">By group or area: ");
        /* A key and its count on one line, though the link is a box. */
        g_string_append_printf(out, "<span class=\"group\"><a href=\"group/%s/index.html\">", key);
        put(out, key);
        g_string_append_printf(out, "</a>&nbsp;(%u&nbsp;open)</span>", open);
        any = TRUE;
    }
    if (any)
        g_string_append(out, "</p>\n");
}

/* index.html, or a group's group/KEY/index.html: the outstanding
 * statements, then the recently closed. */
static GString *
render_listing(const struct site *site, const struct view *v)
{
    const struct publish_options *o = site->o;
    GString *out = g_string_new(NULL);
    g_autoptr(GPtrArray) open = entries_in(v->entries, "open", by_urgency);
    g_autoptr(GPtrArray) closed = entries_in(v->entries, "closed", by_closed);
    g_autofree char *subject = view_subject(v);
    g_autofree char *heading = g_strdup_printf("Outstanding liaison statements%s", subject);
    g_autofree char *feed = feed_title(o, v);

    page_head(out, o, heading, "", feed);
    g_string_append(out, "<h1>");
    put(out, heading);
    g_string_append(out, "</h1>\n<p class=\"meta\">");
    /* The day alone: the page changes at most daily when nothing else
     * does, however often cron publishes. */
    g_string_append_printf(out, "%u open; %u closed in the last %d day%s. "
                           "Published %.10s (UTC). "
                           "<a href=\"feed.atom\">Atom feed</a> \xc2\xb7 "
                           "<a href=\"deadlines.ics\">Deadlines (iCalendar)</a>",
                           open->len, closed->len, o->recent_days,
                           o->recent_days == 1 ? "" : "s", o->now);
    if (v->key == NULL)
        g_string_append(out, " \xc2\xb7 <a href=\"statements.json\">JSON</a></p>\n");
    else
        g_string_append_printf(out, " \xc2\xb7 <a href=\"%sindex.html\">All statements</a></p>\n",
                               v->top);
    if (v->key == NULL)
        group_links(out, site);
    /* An empty table is announced by a screen reader as a table all
     * the same: the page says there is none instead. */
    if (open->len == 0)
        g_string_append(out, "<p id=\"none-outstanding\">No statement is outstanding.</p>\n");
    else
        g_string_append(out, "<div class=\"scroll\" tabindex=\"0\" role=\"region\" "
                        "aria-label=\"Outstanding statements\"><table id=\"outstanding\">\n<thead><tr>"
                        "<th scope=\"col\">ID</th><th scope=\"col\">Title</th>"
                        "<th scope=\"col\">From</th><th scope=\"col\">To</th>"
                        "<th scope=\"col\">Purpose</th><th scope=\"col\">Deadline</th>"
                        "<th scope=\"col\">Received (UTC)</th></tr></thead>\n<tbody>\n");
    for (guint i = 0; i < open->len; i++) {
        const struct entry *e = g_ptr_array_index(open, i);
        int     days;
        /* Answered is not overdue: the IETF has done its part, unless a
         * chair has reopened it or given it a new deadline since. */
        gboolean overdue = !e->answered
                           && tickle_days_until(site->today, e->deadline, &days) && days < 0;
        g_autofree char *received = day_of(e->received);

        row_start(out, e, overdue, v->top);
        g_string_append(out, "<td class=\"deadline\">");
        put_deadline(out, e->deadline, site->today, !e->answered);
        if (e->answered && e->replied != NULL) {
            g_autofree char *answered = day_of(e->replied);

            g_string_append(out, " <span class=\"answered\">(answered ");
            put(out, answered);
            g_string_append(out, ")</span>");
        }
        g_string_append(out, "</td>");
        day_cell(out, "received", received);
        g_string_append(out, "</tr>\n");
    }
    if (open->len > 0)
        g_string_append(out, "</tbody>\n</table></div>\n");

    g_string_append_printf(out, "<h2>Closed in the last %d day%s</h2>\n",
                           o->recent_days, o->recent_days == 1 ? "" : "s");
    if (closed->len == 0)
        g_string_append_printf(out, "<p id=\"none-closed\">None was closed in the last "
                               "%d day%s.</p>\n", o->recent_days,
                               o->recent_days == 1 ? "" : "s");
    else
        g_string_append(out, "<div class=\"scroll\" tabindex=\"0\" role=\"region\" "
                        "aria-label=\"Closed statements\"><table id=\"closed\">\n<thead><tr>"
                        "<th scope=\"col\">ID</th><th scope=\"col\">Title</th>"
                        "<th scope=\"col\">From</th><th scope=\"col\">To</th>"
                        "<th scope=\"col\">Purpose</th><th scope=\"col\">Closed (UTC)</th>"
                        "</tr></thead>\n<tbody>\n");
    for (guint i = 0; i < closed->len; i++) {
        const struct entry *e = g_ptr_array_index(closed, i);
        g_autofree char *when = day_of(e->closed);

        row_start(out, e, FALSE, v->top);
        day_cell(out, "closed", when);
        g_string_append(out, "</tr>\n");
    }
    if (closed->len > 0)
        g_string_append(out, "</tbody>\n</table></div>\n");
    g_string_append(out, "</body>\n</html>\n");
    return out;
}

/* A <dt>/<dd> pair of text, "none" when empty. */
static void
field(GString *out, const char *label, const char *value)
{
    g_string_append_printf(out, "<dt>%s</dt><dd>", label);
    put(out, value != NULL && *value != '\0' ? value : "none");
    g_string_append(out, "</dd>\n");
}

/* A <dt>/<dd> pair for a contact list: "Name <addr>", one a line. */
static void
contacts_field(GString *out, const char *label, const GPtrArray *list)
{
    g_string_append_printf(out, "<dt>%s</dt><dd>", label);
    if (list == NULL || list->len == 0)
        g_string_append(out, "none");
    for (guint i = 0; list != NULL && i < list->len; i++) {
        const struct contact *c = g_ptr_array_index(list, i);

        if (i > 0)
            g_string_append(out, "<br>");
        if (c->name != NULL)
            put(out, c->name);
        if (c->name != NULL && c->addr != NULL)
            g_string_append(out, " ");
        if (c->addr != NULL) {
            g_string_append(out, "&lt;");
            put(out, c->addr);
            g_string_append(out, "&gt;");
        }
    }
    g_string_append(out, "</dd>\n");
}

/* TRUE when key can name a folder of the site: 1 to 64 of [a-z0-9_-],
 * so that no key from the directory file walks out of group/. */
static gboolean
key_names_folder(const char *key)
{
    gsize   n = strlen(key);

    if (n == 0 || n > 64)
        return FALSE;
    for (gsize i = 0; i < n; i++)
        if (!g_ascii_islower(key[i]) && !g_ascii_isdigit(key[i]) && key[i] != '-' && key[i] != '_')
            return FALSE;
    return TRUE;
}

/* The "Assigned to" pair: each group or area a link to its page
 * (group/KEY/), which publish_site writes for every key it holds. */
static void
groups_field(GString *out, const GPtrArray *groups)
{
    g_string_append(out, "<dt>Assigned to</dt><dd>");
    if (groups->len == 0)
        g_string_append(out, "none");
    for (guint i = 0; i < groups->len; i++) {
        g_autofree char *key = g_ascii_strdown(g_ptr_array_index(groups, i), -1);
        gboolean linked = key_names_folder(key);

        if (i > 0)
            g_string_append(out, ", ");
        if (linked)
            g_string_append_printf(out, "<a href=\"../group/%s/index.html\">", key);
        put(out, g_ptr_array_index(groups, i));
        if (linked)
            g_string_append(out, "</a>");
    }
    g_string_append(out, "</dd>\n");
}

/* A <dt>/<dd> pair for a list of words, comma-separated. */
static void
strings_field(GString *out, const char *label, const GPtrArray *list)
{
    g_string_append_printf(out, "<dt>%s</dt><dd>", label);
    if (list == NULL || list->len == 0)
        g_string_append(out, "none");
    for (guint i = 0; list != NULL && i < list->len; i++) {
        if (i > 0)
            g_string_append(out, ", ");
        put(out, g_ptr_array_index(list, i));
    }
    g_string_append(out, "</dd>\n");
}

/* The name attachment i of a statement is published under, or NULL
 * when it is not (with *why).  Documents only, by the name's last
 * extension, since the web server picks the type from the name (an
 * attachment called x.html or x.svg would run its script as the site);
 * and under a name made here, "N-stem.ext" with N its place, the stem of
 * letters, digits, '-' and '_' only and the extension lower case: a server
 * that acts on any extension in a name (Apache's AddHandler on .php or
 * .shtml) finds none in "evil.php.pdf" made "2-evil-php.pdf", and two
 * attachments whose names differ in case alone, or not at all, never
 * share a file. */
static char *
served_name(const struct statement *s, guint i, const char **why)
{
    static const char *const documents[] = {
        "pdf", "txt", "doc", "docx", "xls", "xlsx", "ppt", "pptx",
        "odt", "ods", "odp", "rtf", "zip",
    };
    const struct attachment *a = g_ptr_array_index(s->attachments, i);
    const char *dot = strrchr(a->name, '.');
    const char *ext = NULL;
    GString *name;
    gsize   prefix;

    for (size_t k = 0; dot != NULL && k < G_N_ELEMENTS(documents); k++)
        if (g_ascii_strcasecmp(dot + 1, documents[k]) == 0)
            ext = documents[k];
    if (ext == NULL) {
        *why = "not a document type this site serves (PDF, text, office files, ZIP)";
        return NULL;
    }
    if (a->size == 0) {
        *why = "empty";
        return NULL;
    }
    name = g_string_new(NULL);
    g_string_printf(name, "%u-", i + 1);
    prefix = name->len;
    /* Runs of other characters become one '-'; the prefix ends in one. */
    for (const char *p = a->name; p < dot && name->len < prefix + 60; p++) {
        if (g_ascii_isalnum(*p) || *p == '_')
            g_string_append_c(name, *p);
        else if (name->str[name->len - 1] != '-')
            g_string_append_c(name, '-');
    }
    while (name->len > prefix && name->str[name->len - 1] == '-')
        g_string_truncate(name, name->len - 1);
    if (name->len == prefix)
        g_string_append(name, "attachment");
    g_string_append_printf(name, ".%s", ext);
    return g_string_free(name, FALSE);
}

/* ID/index.html: what the statement says of itself. */
static GString *
render_statement(const struct site *site, const struct statement *s,
                 const struct entry *e)
{
    const struct envelope *env = s->env;
    GString *out = g_string_new(NULL);
    g_autofree char *page_title = g_strdup_printf("Liaison statement %" G_GINT64_FORMAT, s->id);
    const struct view top = { .top = "../" };
    g_autofree char *top_feed = feed_title(site->o, &top);
    g_autofree char *received = day_of(s->received);
    gboolean open = strcmp(e->state, "open") == 0;
    int     days;

    page_head(out, site->o, page_title, "../", top_feed);
    g_string_append(out, "<p class=\"meta\"><a href=\"../index.html\">Outstanding liaison "
                    "statements</a></p>\n<h1 id=\"title\">");
    put(out, e->title);
    g_string_append_printf(out, "</h1>\n<dl id=\"statement\" data-id=\"%" G_GINT64_FORMAT
                           "\">\n", s->id);
    g_string_append_printf(out, "<dt>Statement</dt><dd>%" G_GINT64_FORMAT "</dd>\n", s->id);
    if (open) {
        field(out, "State", "open");
    } else {
        g_autofree char *day = day_of(e->closed);
        g_autofree char *state = e->closed != NULL ? g_strdup_printf("closed on %s", day)
                                                   : g_strdup("closed");

        field(out, "State", state);
    }
    if (s->replied != NULL) {
        g_autofree char *day = day_of(s->replied);
        /* When it was answered stays on the page (history), but an
         * answer reopened or re-dated since no longer ends the matter. */
        g_autofree char *said = s->answered ? g_strdup(day)
                                            : g_strdup_printf("%s (reopened since: a response "
                                                              "is wanted again)", day);

        field(out, "Answered", said);
    }
    field(out, "From", stated(env->from_body));
    field(out, "To", stated(env->to_body));
    strings_field(out, "For information", env->info_to);
    field(out, "Purpose", e->purpose != NULL ? e->purpose : "not stated");
    /* Answered is not overdue, as on the index: no count of days once
     * the IETF has done its part (an answer that stands).  Overdue is
     * marked as the index marks it, so that the page a chair follows
     * from a reminder does not read as calmer than the list. */
    g_string_append_printf(out, "<dt>Deadline</dt><dd class=\"deadline%s\">",
                           open && !s->answered
                           && tickle_days_until(site->today, env->deadline, &days)
                           && days < 0 ? " overdue" : "");
    put_deadline(out, env->deadline, site->today, open && !s->answered);
    g_string_append(out, "</dd>\n");
    contacts_field(out, "Response contacts", env->response_contacts);
    contacts_field(out, "Technical contacts", env->technical_contacts);
    groups_field(out, s->groups);
    strings_field(out, "Other identifiers", env->other_identifiers);
    strings_field(out, "Related", env->related);
    g_string_append(out, "<dt>Received</dt><dd>");
    put_day(out, received);
    g_string_append(out, "</dd>\n");
    g_string_append(out, "<dt>Attachments</dt><dd><ul id=\"attachments\">");
    for (guint i = 0; i < s->attachments->len; i++) {
        const struct attachment *a = g_ptr_array_index(s->attachments, i);
        const char *why = NULL;
        g_autofree char *file = served_name(s, i, &why);

        g_string_append(out, "<li>");
        if (file != NULL) {
            g_string_append(out, "<a href=\"");
            put(out, file);
            g_string_append(out, "\">");
            put(out, a->name);
            g_string_append(out, "</a>");
        } else {
            put(out, a->name);
        }
        g_string_append(out, " (");
        put(out, a->type);
        g_string_append_printf(out, ", %" G_GSIZE_FORMAT " bytes, SHA-256 ", a->size);
        put(out, a->sha256);
        g_string_append(out, ")");
        if (file == NULL) {
            g_string_append(out, " <span class=\"meta\">not published: ");
            put(out, why);
            g_string_append(out, "</span>");
        }
        g_string_append(out, "</li>");
    }
    if (s->attachments->len == 0)
        g_string_append(out, "<li>none</li>");
    g_string_append(out, "</ul></dd>\n</dl>\n");
    if (env->body != NULL && *env->body != '\0') {
        char   *body = publish_escape(env->body, TRUE);

        g_string_append_printf(out, "<h2>Body</h2>\n<pre id=\"body\">%s</pre>\n", body);
        g_free(body);
    }
    g_string_append(out, "</body>\n</html>\n");
    return out;
}

/* A lower-case copy of name when it is a DNS name (labels of letters,
 * digits and inner hyphens, 1 to 63 each, 253 in all), as a tag: URI's
 * authority must be; else NULL. */
static char *
dns_name(const char *name)
{
    gsize   label = 0, n = name != NULL ? strlen(name) : 0;

    if (n == 0 || n > 253)
        return NULL;
    for (gsize i = 0; i <= n; i++) {
        if (i == n || name[i] == '.') {
            if (label == 0 || label > 63 || name[i - 1] == '-')
                return NULL;
            label = 0;
        } else if (g_ascii_isalnum(name[i]) || (name[i] == '-' && label > 0)) {
            label++;
        } else {
            return NULL;
        }
    }
    return g_ascii_strdown(name, -1);
}

/* The domain the feeds' ids are minted in: the one configured, else the
 * host of base_url, else a name of our own. */
static char *
id_domain(const struct publish_options *o)
{
    char   *d = dns_name(o->id_domain);
    g_autoptr(GUri) uri = NULL;

    if (d != NULL)
        return d;
    uri = g_uri_parse(o->base_url, G_URI_FLAGS_NONE, NULL);
    d = uri != NULL ? dns_name(g_uri_get_host(uri)) : NULL;
    return d != NULL ? d : g_strdup("liaisond.invalid");
}

/* A statement's id in the feeds: tag:DOMAIN,DAY:liaison-statement/ID,
 * DAY the one it was received.  A day the domain was the site's, as RFC
 * 4151 asks; and another statement under the same number (a database
 * restored from an older backup) is another entry, not an update. */
static char *
entry_id(const struct site *site, const struct entry *e)
{
    GDate   d;
    g_autofree char *day = day_of(e->received);

    return g_strdup_printf("tag:%s,%s:liaison-statement/%" G_GINT64_FORMAT, site->id_domain,
                           tickle_parse_day(day, &d) ? day : "2026", e->id);
}

/* feed.atom (RFC 4287), or a group's: the listing's statements, the
 * latest change first. */
static GString *
render_feed(const struct site *site, const struct view *v)
{
    const struct publish_options *o = site->o;
    GString *out = g_string_new(NULL);
    g_autoptr(GPtrArray) all = g_ptr_array_new();
    g_autofree char *home = v->key == NULL ? g_strdup(o->base_url)
                            : g_strdup_printf("%sgroup/%s/", o->base_url, v->key);
    /* RFC 4287 wants ids that are absolute IRIs and never change, also
     * when the site moves: tag: URIs (RFC 4151) of the site's domain, not
     * base_url, which may be relative and may change.  The feed's is of a
     * fixed date; see entry_id for an entry's. */
    g_autofree char *feed_id = v->key == NULL
        ? g_strdup_printf("tag:%s,2026:liaison-statements", site->id_domain)
        : g_strdup_printf("tag:%s,2026:liaison-statements/group/%s", site->id_domain, v->key);
    g_autofree char *day = g_strdup_printf("%.10sT00:00:00Z", o->now);
    g_autofree char *title = feed_title(o, v);
    const char *updated = day;

    for (guint i = 0; i < v->entries->len; i++)
        g_ptr_array_add(all, g_ptr_array_index(v->entries, i));
    g_ptr_array_sort(all, by_updated);
    /* The feed changes when a statement does, not at every publish: an
     * empty one (most groups' on most days) carries the site's last change,
     * or for an empty site the day. */
    if (all->len > 0) {
        updated = ((struct entry *) g_ptr_array_index(all, 0))->updated;
    } else {
        for (guint i = 0; i < site->entries->len; i++) {
            const struct entry *e = g_ptr_array_index(site->entries, i);

            if (updated == day || strcmp(e->updated, updated) > 0)
                updated = e->updated;
        }
    }
    g_string_append(out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                    "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n<title>");
    put(out, title);
    g_string_append(out, "</title>\n<id>");
    put(out, feed_id);
    g_string_append(out, "</id>\n<link rel=\"self\" href=\"");
    put(out, home);
    g_string_append(out, "feed.atom\"/>\n<link rel=\"alternate\" type=\"text/html\" href=\"");
    put(out, home);
    g_string_append(out, "\"/>\n<updated>");
    put(out, updated);
    g_string_append(out, "</updated>\n<author><name>");
    put(out, o->site_name);
    g_string_append(out, "</name></author>\n");
    for (guint i = 0; i < all->len; i++) {
        const struct entry *e = g_ptr_array_index(all, i);
        g_autofree char *url = g_strdup_printf("%s%" G_GINT64_FORMAT, o->base_url, e->id);
        g_autofree char *id = entry_id(site, e);
        g_autofree char *due = strcmp(e->state, "open") == 0
                               ? publish_due(e->deadline, site->today) : NULL;
        g_autoptr(GString) summary = g_string_new(NULL);

        g_string_append_printf(summary, "From %s to %s. Purpose: %s. ",
                               e->from_body != NULL ? e->from_body : "(unknown)",
                               e->to_body != NULL ? e->to_body : "(unknown)",
                               e->purpose != NULL ? e->purpose : "not stated");
        if (strcmp(e->state, "open") != 0)
            g_string_append_printf(summary, "Closed on %.10s.", e->closed != NULL ? e->closed : "?");
        else if (e->answered && e->replied != NULL)
            g_string_append_printf(summary, "Answered on %.10s.", e->replied);
        else if (e->deadline != NULL)
            g_string_append_printf(summary, "Deadline %s (%s).", e->deadline, due);
        else
            g_string_append(summary, "No deadline.");
        g_string_append(out, "<entry>\n<title>");
        put(out, e->title);
        g_string_append(out, "</title>\n<id>");
        put(out, id);
        g_string_append(out, "</id>\n<link rel=\"alternate\" type=\"text/html\" href=\"");
        put(out, url);
        g_string_append(out, "\"/>\n<published>");
        put(out, e->received);
        g_string_append(out, "</published>\n<updated>");
        put(out, e->updated);
        g_string_append(out, "</updated>\n");
        if (e->purpose != NULL)
            g_string_append_printf(out, "<category term=\"%s\"/>\n", e->purpose);
        g_string_append(out, "<summary>");
        put(out, summary->str);
        g_string_append(out, "</summary>\n</entry>\n");
    }
    g_string_append(out, "</feed>\n");
    return out;
}

/* Order of entries: the earliest deadline first, then by id. */
static gint
by_deadline(gconstpointer a, gconstpointer b)
{
    const struct entry *x = *(const struct entry *const *) a;
    const struct entry *y = *(const struct entry *const *) b;
    int     c = strcmp(x->deadline, y->deadline);

    return c != 0 ? c : (x->id > y->id) - (x->id < y->id);
}

/* A UTC time "YYYY-MM-DDTHH:MM:SSZ" as libical's; FALSE when it is not one. */
static gboolean
ical_utc(const char *iso, struct icaltimetype *t)
{
    g_autoptr(GDateTime) d = iso != NULL ? g_date_time_new_from_iso8601(iso, NULL) : NULL;
    g_autoptr(GDateTime) u = d != NULL ? g_date_time_to_utc(d) : NULL;

    if (u == NULL)
        return FALSE;
    *t = icaltime_from_timet_with_zone((time_t) g_date_time_to_unix(u), 0,
                                       icaltimezone_get_utc_timezone());
    return TRUE;
}

/* A day "YYYY-MM-DD", plus days, as libical's date; FALSE when not a day. */
static gboolean
ical_day(const char *day, int plus, struct icaltimetype *t)
{
    GDate   d;

    if (!tickle_parse_day(day, &d))
        return FALSE;
    g_date_add_days(&d, (guint) plus);
    *t = icaltime_null_date();
    t->year = g_date_get_year(&d);
    t->month = g_date_get_month(&d);
    t->day = g_date_get_day(&d);
    return TRUE;
}

/* A TEXT property from mail, cleaned, with its newlines kept when lines
 * (libical escapes what RFC 5545 asks: backslash, comma, semicolon,
 * newline, and folds the line). */
static void
ical_add_text(icalcomponent *c, icalproperty *(*make)(const char *), const char *text,
              gboolean lines)
{
    GString *clean = clean_text(text, lines);

    icalcomponent_add_property(c, make(clean->str));
    g_string_free(clean, TRUE);
}

/* What stands for a TEXT value in libical's text until ical_put_marked
 * puts the value there, escaped. */
#define ICAL_MARK "liaisond-value-"

/* A value ical_put_marked writes: the property's name and the text. */
struct ical_marked {
    const char *prop;
    char   *value;
};

/* Free a struct ical_marked. */
static void
ical_marked_free(gpointer data)
{
    struct ical_marked *m = data;

    g_free(m->value);
    g_free(m);
}

/* The mark to give property prop in libical's text for value, which
 * ical_put_marked will write there, escaped; value is kept in marked. */
static char *
ical_mark(GPtrArray *marked, const char *prop, const char *value)
{
    struct ical_marked *m = g_new0(struct ical_marked, 1);

    m->prop = prop;
    m->value = g_strdup(value);
    g_ptr_array_add(marked, m);
    return g_strdup_printf(ICAL_MARK "%u", marked->len - 1);
}

/* Append text escaped as RFC 5545's TEXT (3.3.11): backslash, semicolon,
 * comma and newline. */
static void
ical_escape(GString *out, const char *text)
{
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '\\' || *p == ';' || *p == ',')
            g_string_append_c(out, '\\');
        if (*p == '\n')
            g_string_append(out, "\\n");
        else
            g_string_append_c(out, *p);
    }
}

/* Append a content line folded as RFC 5545 (3.1) asks: no line longer
 * than 75 octets, the next one starting with a space, and no UTF-8
 * character cut in two. */
static void
ical_fold(GString *out, const char *line)
{
    gsize   len = 0;

    for (const char *p = line; *p != '\0';) {
        const char *next = g_utf8_next_char(p);
        gsize   n = (gsize) (next - p);

        if (len + n > 75) {
            g_string_append(out, "\r\n ");
            len = 1;
        }
        g_string_append_len(out, p, (gssize) n);
        len += n;
        p = next;
    }
}

/* libical's text with each marked line (a property's name, ":",
 * ICAL_MARK and a number, i) written with marked[i]'s value, escaped and
 * folded.  libical 3 writes a CATEGORIES value as given, a list of values
 * separated by commas, so that a key holding a comma would be two
 * categories and one holding a semicolon no valid TEXT; it writes an
 * x-property's value (X-WR-CALNAME) with its backslashes and newlines
 * escaped but its commas and semicolons bare; and it escapes the
 * backslash of a value escaped here.  No other line can start so: every
 * line of text from mail is escaped (no line break) or folded (a space
 * first).  The marks are in the order of the text. */
static GString *
ical_put_marked(const char *text, const GPtrArray *marked)
{
    GString *out = g_string_sized_new(strlen(text));
    const char *p = text;

    for (guint i = 0; i < marked->len; i++) {
        const struct ical_marked *m = g_ptr_array_index(marked, i);
        g_autofree char *mark = g_strdup_printf("\r\n%s:" ICAL_MARK "%u\r\n", m->prop, i);
        const char *at = strstr(p, mark);
        g_autoptr(GString) line = g_string_new(m->prop);

        if (at == NULL)
            break;              /* not libical's text as known: as it is */
        g_string_append_c(line, ':');
        ical_escape(line, m->value);
        g_string_append_len(out, p, at - p + 2);
        ical_fold(out, line->str);
        p = at + strlen(mark) - 2;
    }
    g_string_append(out, p);
    return out;
}

/* deadlines.ics (RFC 5545), or a group's: an all-day event on the
 * deadline of each open statement of the listing that is not answered
 * yet, to subscribe to from a calendar.  Deterministic, so that publish
 * rewrites it only when a statement changes: DTSTAMP is the statement's
 * last change, and the UID stays when its deadline moves, so a calendar
 * moves the event instead of adding one. */
static GString *
render_calendar(const struct site *site, const struct view *v)
{
    const struct publish_options *o = site->o;
    g_autoptr(GPtrArray) due = g_ptr_array_new();
    g_autofree char *name = feed_title(o, v);
    g_autofree char *host = NULL;
    g_autoptr(GString) cal_name = clean_text(name, FALSE);
    g_autoptr(GPtrArray) marked = g_ptr_array_new_with_free_func(ical_marked_free);
    g_autofree char *name_mark = NULL;
    icalcomponent *cal = icalcomponent_new_vcalendar();
    icalproperty *p;
    gboolean absolute;
    GString *out;
    char   *text;

    {
        /* The UIDs' domain: the site's host, else a name of our own; and
         * a URL only from a base_url that is one (RFC 5545's URL is a
         * URI, not a reference relative to the page). */
        g_autoptr(GUri) uri = g_uri_parse(o->base_url, G_URI_FLAGS_NONE, NULL);
        const char *h = uri != NULL ? g_uri_get_host(uri) : NULL;

        host = g_strdup(h != NULL && *h != '\0' ? h : "liaisond.invalid");
        absolute = uri != NULL;
    }
    icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
    icalcomponent_add_property(cal, icalproperty_new_prodid("-//liaisond//deadlines " PACKAGE_VERSION "//EN"));
    icalcomponent_add_property(cal, icalproperty_new_calscale("GREGORIAN"));
    /* Its name and how often to look again (RFC 7986), and the same in
     * the older words that Apple's, Google's and Outlook's clients read;
     * the name is configured, and may hold what TEXT escapes. */
    icalcomponent_add_property(cal, icalproperty_new_name(cal_name->str));
    name_mark = ical_mark(marked, "X-WR-CALNAME", cal_name->str);
    p = icalproperty_new_x(name_mark);
    icalproperty_set_x_name(p, "X-WR-CALNAME");
    icalcomponent_add_property(cal, p);
    {
        struct icaldurationtype hour = icaldurationtype_null_duration();

        hour.hours = 1;
        p = icalproperty_new_refreshinterval(hour);
        icalproperty_add_parameter(p, icalparameter_new_value(ICAL_VALUE_DURATION));
        icalcomponent_add_property(cal, p);
        p = icalproperty_new_x("PT1H");
        icalproperty_set_x_name(p, "X-PUBLISHED-TTL");
        icalcomponent_add_property(cal, p);
    }
    for (guint i = 0; i < v->entries->len; i++) {
        struct entry *e = g_ptr_array_index(v->entries, i);

        if (strcmp(e->state, "open") == 0 && !e->answered && e->deadline != NULL)
            g_ptr_array_add(due, e);
    }
    g_ptr_array_sort(due, by_deadline);
    for (guint i = 0; i < due->len; i++) {
        const struct entry *e = g_ptr_array_index(due, i);
        icalcomponent *ev;
        struct icaltimetype start, end, stamp;
        g_autofree char *uid = g_strdup_printf("ls-%" G_GINT64_FORMAT "-deadline@%s", e->id, host);
        g_autofree char *url = g_strdup_printf("%s%" G_GINT64_FORMAT, o->base_url, e->id);
        g_autofree char *summary = g_strdup_printf("[LS %" G_GINT64_FORMAT "] Deadline: %s",
                                                   e->id, e->title);
        g_autoptr(GString) from = clean_text(e->from_body != NULL ? e->from_body : "(unknown)",
                                             FALSE);
        g_autoptr(GString) to = clean_text(e->to_body != NULL ? e->to_body : "(unknown)", FALSE);
        g_autofree char *desc = g_strdup_printf("From %s to %s. Purpose: %s.%s%s", from->str,
                                                to->str,
                                                e->purpose != NULL ? e->purpose : "not stated",
                                                absolute ? "\n" : "", absolute ? url : "");

        /* A deadline store_list gave is a day; one that is not is left out. */
        if (!ical_day(e->deadline, 0, &start) || !ical_day(e->deadline, 1, &end)
            || !ical_utc(e->updated, &stamp))
            continue;
        ev = icalcomponent_new_vevent();
        icalcomponent_add_property(ev, icalproperty_new_uid(uid));
        icalcomponent_add_property(ev, icalproperty_new_dtstamp(stamp));
        icalcomponent_add_property(ev, icalproperty_new_dtstart(start));
        icalcomponent_add_property(ev, icalproperty_new_dtend(end));
        icalcomponent_add_property(ev, icalproperty_new_transp(ICAL_TRANSP_TRANSPARENT));
        ical_add_text(ev, icalproperty_new_summary, summary, FALSE);
        ical_add_text(ev, icalproperty_new_description, desc, TRUE);
        if (absolute)
            icalcomponent_add_property(ev, icalproperty_new_url(url));
        /* A key each, written by ical_put_marked. */
        for (guint j = 0; e->groups != NULL && j < e->groups->len; j++) {
            g_autoptr(GString) key = clean_text(g_ptr_array_index(e->groups, j), FALSE);
            g_autofree char *mark = ical_mark(marked, "CATEGORIES", key->str);

            icalcomponent_add_property(ev, icalproperty_new_categories(mark));
        }
        icalcomponent_add_component(cal, ev);
    }
    /* With no deadline to show, a calendar of no event: RFC 5545's
     * grammar asks for one component at least, but calendar clients take
     * an empty subscription, and a made-up event would be worse. */
    text = icalcomponent_as_ical_string_r(cal);
    out = ical_put_marked(text, marked);
    icalmemory_free_buffer(text);
    icalcomponent_free(cal);
    return out;
}

/* statements.json: the index's statements as an array, in id order. */
static GString *
render_json(const struct site *site)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;
    char   *text;
    GString *out;

    json_builder_begin_array(b);
    for (guint i = 0; i < site->entries->len; i++) {
        const struct entry *e = g_ptr_array_index(site->entries, i);
        g_autofree char *url = g_strdup_printf("%s%" G_GINT64_FORMAT, site->o->base_url, e->id);

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "id");
        json_builder_add_int_value(b, e->id);
        statement_json_string(b, "url", url);
        statement_json_string(b, "title", e->title);
        statement_json_string(b, "from", e->from_body);
        statement_json_string(b, "to", e->to_body);
        statement_json_string(b, "purpose", e->purpose);
        statement_json_string(b, "deadline", e->deadline);
        statement_json_string(b, "state", e->state);
        statement_json_string(b, "received", e->received);
        statement_json_string(b, "closed", e->closed);
        /* When the IETF answered it (history, kept after a reopen), and,
         * added beside it, whether that answer stands: an open statement
         * past its deadline is overdue only without one, as the pages
         * say. */
        statement_json_string(b, "replied", e->replied);
        json_builder_set_member_name(b, "answered");
        json_builder_add_boolean_value(b, e->answered);
        statement_json_string(b, "updated", e->updated);
        statement_json_strings(b, "groups", e->groups);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, TRUE);
    text = json_generator_to_data(gen, NULL);
    out = g_string_new(text);
    g_string_append_c(out, '\n');
    g_free(text);
    return out;
}

/* Give the file or folder open on fd the mode a web server needs to
 * read it, whatever the umask of cron's or systemd's user (0007 in
 * liaisond's units): the site is public by design.  One that has the
 * mode, or that others can read already, is left alone: a site first
 * published by root and then by its owner has files the owner cannot
 * chmod.  Through the descriptor, never the name: between a check and a
 * chmod(2) by name, whoever can write the site could put a link there,
 * and a run as root would make the link's target readable (/etc/shadow).
 * A file with other names (a hard link) is left alone too: its mode is
 * not only the site's. */
static gboolean
make_public_fd(int fd, const char *path, int mode, GError **err)
{
    GStatBuf sb;
    int     others = (mode & S_IXOTH) ? (S_IROTH | S_IXOTH) : S_IROTH;

    if (fstat(fd, &sb) != 0) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot read the mode of %s: %s", path, g_strerror(errno));
        return FALSE;
    }
    if ((int) (sb.st_mode & 07777) == mode || (int) (sb.st_mode & others) == others
        || (!S_ISDIR(sb.st_mode) && sb.st_nlink > 1))
        return TRUE;
    if (!S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode)) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                    "%s is no file or folder: publish changes the mode of its own only", path);
        return FALSE;
    }
    if (fchmod(fd, (mode_t) mode) == 0)
        return TRUE;
    g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
                "cannot make %s readable: %s", path, g_strerror(errno));
    return FALSE;
}

/* Open path to read without following a link in its place (-1 with
 * *err); O_NONBLOCK, so that a FIFO put there does not hang the run. */
static int
open_own(const char *path, GError **err)
{
    int     fd = g_open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0);

    if (fd < 0)
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot open %s%s: %s", path,
                    errno == ELOOP ? ", a link in the place of publish's own" : "",
                    g_strerror(errno));
    return fd;
}

/* make_public_fd of what is at path, a link there refused. */
static gboolean
make_public(const char *path, int mode, GError **err)
{
    int     fd = open_own(path, err);
    gboolean ok;

    if (fd < 0)
        return FALSE;
    ok = make_public_fd(fd, path, mode, err);
    close(fd);
    return ok;
}

/* Close a folder opened by folder_open (fd -1 is fine). */
static void
folder_close(struct folder *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    g_clear_pointer(&f->path, g_free);
}

/* Open (making it, public, when absent) the folder name inside parent,
 * refusing a link or anything but a folder in its place: openat with
 * O_NOFOLLOW, so that what is checked is what is written into. */
static gboolean
folder_open(const struct folder *parent, const char *name, struct folder *out, GError **err)
{
    gboolean made = mkdirat(parent->fd, name, 0755) == 0;
    int     saved = errno;

    out->path = g_build_filename(parent->path, name, NULL);
    out->fd = -1;
    if (!made && saved != EEXIST) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(saved),
                    "cannot make the directory %s: %s", out->path, g_strerror(saved));
        folder_close(out);
        return FALSE;
    }
    out->fd = openat(parent->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (out->fd < 0) {
        saved = errno;
        if (saved == ELOOP || saved == ENOTDIR)
            g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                        "%s is a link or no folder: publish writes only into folders of its own",
                        out->path);
        else
            g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(saved),
                        "cannot open the directory %s: %s", out->path, g_strerror(saved));
        folder_close(out);
        return FALSE;
    }
    /* Only a folder made here: one there already is its owner's to set. */
    if (made && !make_public_fd(out->fd, out->path, 0755, err)) {
        folder_close(out);
        return FALSE;
    }
    return TRUE;
}

/* Open name in folder f to read, a link in its place refused (-1). */
static int
open_in(const struct folder *f, const char *name)
{
    return openat(f->fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
}

/* Create part in folder f afresh to write, mode 0644 before the umask
 * (-1 with *err).  What a killed run left there is removed first, and a
 * link or file that appears meanwhile is refused (O_EXCL), never written
 * through: runs take turns on the site's lock, so only someone else's
 * doing can be in the way. */
static int
part_create(const struct folder *f, const char *part, GError **err)
{
    int     fd;

    if (unlinkat(f->fd, part, 0) != 0 && errno != ENOENT) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot remove %s/%s: %s", f->path, part, g_strerror(errno));
        return -1;
    }
    fd = openat(f->fd, part, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot create %s/%s: %s", f->path, part, g_strerror(errno));
    return fd;
}

/* Flush the part on fd to disk, make it public and rename it to name in
 * folder f; the part is closed, and removed on failure. */
static gboolean
part_commit(const struct folder *f, int fd, const char *part, const char *name,
            GError **err)
{
    g_autofree char *path = g_build_filename(f->path, part, NULL);
    gboolean ok = TRUE;

    if (fsync(fd) != 0) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot flush %s to disk: %s", path, g_strerror(errno));
        ok = FALSE;
    }
    ok = ok && make_public_fd(fd, path, 0644, err);
    if (close(fd) != 0 && ok) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot write %s: %s", path, g_strerror(errno));
        ok = FALSE;
    }
    if (ok && renameat(f->fd, part, f->fd, name) != 0) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot rename %s to %s/%s: %s", path, f->path, name, g_strerror(errno));
        ok = FALSE;
    }
    if (!ok)
        unlinkat(f->fd, part, 0);
    return ok;
}

/* TRUE when the regular file on fd holds content exactly.  Read, not
 * mapped: a file truncated meanwhile would end the run with SIGBUS. */
static gboolean
holds(int fd, const GString *content)
{
    GStatBuf sb;
    g_autofree char *old = NULL;
    gsize   got = 0;
    gssize  n = 1;

    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (gsize) sb.st_size != content->len)
        return FALSE;
    /* One byte more than wanted, so that a file grown since shows. */
    old = g_malloc(content->len + 1);
    while (got < content->len + 1
           && ((n = read(fd, old + got, content->len + 1 - got)) > 0
               || (n < 0 && errno == EINTR)))
        got += n > 0 ? (gsize) n : 0;
    return n >= 0 && got == content->len && memcmp(old, content->str, got) == 0;
}

/* Replace name in folder f with content unless it holds that already:
 * written to .NAME.part, flushed, made public and renamed, so that a
 * reader never sees half of it. */
static gboolean
write_file(const struct site *site, const struct folder *f, const char *name,
           const GString *content, GError **err)
{
    g_autofree char *part = g_strdup_printf(".%s.part", name);
    g_autofree char *path = g_build_filename(f->path, name, NULL);
    /* A link in the file's place is replaced by the rename, never read
     * through or chmodded. */
    int     fd = open_in(f, name);

    if (fd >= 0 && holds(fd, content)) {
        gboolean ok = make_public_fd(fd, path, 0644, err);

        close(fd);
        site->sum->unchanged++;
        return ok;
    }
    if (fd >= 0)
        close(fd);
    if ((fd = part_create(f, part, err)) < 0)
        return FALSE;
    if (!fdio_write_all(fd, content->str, content->len)) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot write %s/%s: %s", f->path, part, g_strerror(errno));
        close(fd);
        unlinkat(f->fd, part, 0);
        return FALSE;
    }
    if (!part_commit(f, fd, part, name, err))
        return FALSE;
    site->sum->written++;
    return TRUE;
}

/* Make dir (and its parents) when absent; each folder made here is
 * public, whatever the umask.  By path: the site's top and the folders
 * above it are the administrator's, named on the command line; those
 * inside are made by folder_open. */
static gboolean
make_dir(const char *dir, GError **err)
{
    g_autofree char *parent = NULL;

    if (g_file_test(dir, G_FILE_TEST_IS_DIR))
        return TRUE;
    parent = g_path_get_dirname(dir);
    if (strcmp(parent, dir) != 0 && !make_dir(parent, err))
        return FALSE;
    /* EEXIST for a folder made meanwhile; a file of that name is ENOTDIR. */
    if (g_mkdir(dir, 0755) != 0 && (errno != EEXIST || !g_file_test(dir, G_FILE_TEST_IS_DIR))) {
        int     saved = errno == EEXIST ? ENOTDIR : errno;

        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(saved),
                    "cannot make the directory %s: %s", dir, g_strerror(saved));
        return FALSE;
    }
    return make_public(dir, 0755, err);
}

/* An output stream onto a descriptor that also takes the SHA-256 of
 * what goes through it (fd -1: only the digest).  store_attachment_write
 * wants a GOutputStream, and the build has no gio-unix; the digest
 * compares an attachment the store keeps none for. */
typedef struct {
    GOutputStream parent;
    int     fd;                 /* not owned */
    GChecksum *sum;
} PublishFdStream;

typedef struct {
    GOutputStreamClass parent_class;
} PublishFdStreamClass;

G_DEFINE_TYPE(PublishFdStream, publish_fd_stream, G_TYPE_OUTPUT_STREAM)

/* GOutputStream's write_fn: to the descriptor, and into the digest. */
static gssize
publish_fd_stream_write(GOutputStream *os, const void *buf, gsize count,
                        GCancellable *cancellable, GError **err)
{
    PublishFdStream *s = (PublishFdStream *) os;

    if (s->fd >= 0 && !fdio_write_all(s->fd, buf, count)) {
        g_set_error(err, G_IO_ERROR, g_io_error_from_errno(errno), "%s", g_strerror(errno));
        return -1;
    }
    g_checksum_update(s->sum, buf, (gssize) count);
    return (gssize) count;
}

/* GObject's finalize. */
static void
publish_fd_stream_finalize(GObject *o)
{
    g_checksum_free(((PublishFdStream *) o)->sum);
    G_OBJECT_CLASS(publish_fd_stream_parent_class)->finalize(o);
}

/* The class: write_fn and finalize. */
static void
publish_fd_stream_class_init(PublishFdStreamClass *c)
{
    G_OUTPUT_STREAM_CLASS(c)->write_fn = publish_fd_stream_write;
    G_OBJECT_CLASS(c)->finalize = publish_fd_stream_finalize;
}

/* An instance: no descriptor yet, an empty digest. */
static void
publish_fd_stream_init(PublishFdStream *s)
{
    s->fd = -1;
    s->sum = g_checksum_new(G_CHECKSUM_SHA256);
}

/* A stream onto fd (-1: the digest only). */
static PublishFdStream *
fd_stream_new(int fd)
{
    PublishFdStream *s = g_object_new(publish_fd_stream_get_type(), NULL);

    s->fd = fd;
    return s;
}

/* The SHA-256 (hex) of the regular file on fd, read to its end, or NULL
 * when it cannot be read. */
static char *
file_digest(int fd)
{
    GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
    char   *buf = g_malloc(65536), *hex = NULL;
    ssize_t n;

    while ((n = read(fd, buf, 65536)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0)
            g_checksum_update(sum, (const guchar *) buf, n);
    if (n == 0)
        hex = g_strdup(g_checksum_get_string(sum));
    g_checksum_free(sum);
    g_free(buf);
    return hex;
}

/* The SHA-256 (hex) of attachment i of statement id as the store holds
 * it, for one recorded without its digest. */
static char *
stored_digest(struct store *st, gint64 id, guint i, GError **err)
{
    PublishFdStream *s = fd_stream_new(-1);
    char   *hex = NULL;

    if (store_attachment_write(st, id, i, G_OUTPUT_STREAM(s), err))
        hex = g_strdup(g_checksum_get_string(s->sum));
    g_object_unref(s);
    return hex;
}

/* TRUE when name in folder f is a regular file holding attachment i's
 * bytes (FALSE with *err only for the store's failure); made public then.
 * Compared by content, not size: a database restored from an older
 * backup reuses ids, and another statement's attachment of the same name
 * and size under the same id must not stay published.  By the digest the
 * store keeps, else by the digest of the stored bytes. */
static gboolean
attachment_there(struct site *site, const struct statement *s, guint i,
                 const struct folder *f, const char *name, GError **err)
{
    const struct attachment *a = g_ptr_array_index(s->attachments, i);
    g_autofree char *path = g_build_filename(f->path, name, NULL);
    g_autofree char *have = NULL, *want = NULL;
    GStatBuf sb;
    gboolean same;
    /* O_NOFOLLOW: a link of the right size is replaced, never followed. */
    int     fd = open_in(f, name);

    if (fd < 0)
        return FALSE;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (gsize) sb.st_size != a->size
        || (have = file_digest(fd)) == NULL) {
        close(fd);
        return FALSE;
    }
    want = a->sha256[0] != '\0' ? g_ascii_strdown(a->sha256, -1)
                                : stored_digest(site->st, s->id, i, err);
    same = want != NULL && strcmp(have, want) == 0;
    if (same && !make_public_fd(fd, path, 0644, err))
        same = FALSE;
    close(fd);
    return same;
}

/* Write the attachments the page links to into folder f, each unless it
 * holds those bytes already (attachment_there).  Each is copied to
 * .NAME.part, flushed to disk and renamed when whole, so a reader never
 * gets half of one, nor a crash a file of the right size with the wrong
 * bytes. */
static gboolean
write_attachments(struct site *site, const struct statement *s, const struct folder *f,
                  GError **err)
{
    for (guint i = 0; i < s->attachments->len; i++) {
        const char *why;
        g_autofree char *name = served_name(s, i, &why);
        g_autofree char *part = NULL;
        PublishFdStream *os;
        gboolean ok;
        int     fd;

        if (name == NULL)
            continue;
        if (attachment_there(site, s, i, f, name, err)) {
            site->sum->unchanged++;
            continue;
        }
        if (err != NULL && *err != NULL)
            return FALSE;
        part = g_strdup_printf(".%s.part", name);
        if ((fd = part_create(f, part, err)) < 0)
            return FALSE;
        os = fd_stream_new(fd);
        ok = store_attachment_write(site->st, s->id, i, G_OUTPUT_STREAM(os), err);
        g_object_unref(os);
        /* The stream's messages do not say which file. */
        if (!ok && err != NULL && *err != NULL && (*err)->domain == G_IO_ERROR)
            g_prefix_error(err, "%s/%s: ", f->path, part);
        if (!ok) {
            close(fd);
            unlinkat(f->fd, part, 0);
            return FALSE;
        }
        if (!part_commit(f, fd, part, name, err))
            return FALSE;
        site->sum->written++;
    }
    return TRUE;
}

/* Whether an event changes what a statement's page shows: the feed's
 * entry is updated for those, not for a reminder queued or a mail sent. */
static gboolean
shows_on_page(const char *what)
{
    static const char *const shown[] = {
        "received", "closed", "reopened", "deadline changed", "reassigned", "replied",
    };

    for (size_t i = 0; i < G_N_ELEMENTS(shown); i++)
        if (strcmp(what, shown[i]) == 0)
            return TRUE;
    return FALSE;
}

/* When the statement last changed (its last event that shows), and, for one closed
 * before the store kept the time, when it was last closed (its last
 * "closed" event: closing and reopening are events). */
static gboolean
read_history(struct store *st, const struct statement *s, struct entry *e, GError **err)
{
    g_autoptr(GPtrArray) events = store_statement_events(st, s->id, err);
    gboolean legacy = e->closed == NULL && strcmp(e->state, "closed") == 0;

    if (events == NULL)
        return FALSE;
    for (guint i = 0; i < events->len; i++) {
        const struct store_event *ev = g_ptr_array_index(events, i);

        if (legacy && strcmp(ev->what, "closed") == 0) {
            g_free(e->closed);
            e->closed = g_strdup(ev->at);
        }
        if (shows_on_page(ev->what) && g_strcmp0(ev->at, e->updated) > 0) {
            g_free(e->updated);
            e->updated = g_strdup(ev->at);
        }
    }
    return TRUE;
}

/* store_list's callback: write the statement's page; keep it for the
 * index when it is open or closed recently. */
static gboolean
publish_one(const struct statement *s, gpointer data)
{
    struct site *site = data;
    struct entry *e = g_new0(struct entry, 1);
    g_autofree char *dirname = g_strdup_printf("%" G_GINT64_FORMAT, s->id);
    struct folder sub = { .fd = -1 };
    GString *html;
    gboolean ok, listed;

    e->id = s->id;
    e->title = shown_title(s);
    e->from_body = g_strdup(s->env->from_body);
    e->to_body = g_strdup(s->env->to_body);
    e->purpose = purpose_name(s->env->purpose);
    e->deadline = g_strdup(s->env->deadline);
    e->state = g_strdup(s->state != NULL ? s->state : "open");
    e->received = g_strdup(s->received != NULL ? s->received : site->o->now);
    e->closed = g_strcmp0(e->state, "closed") == 0 ? g_strdup(s->closed) : NULL;
    e->replied = g_strdup(s->replied);
    e->answered = s->answered;
    e->updated = g_strdup(e->received);
    e->groups = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < s->groups->len; i++) {
        char   *key = g_ascii_strdown(g_ptr_array_index(s->groups, i), -1);

        g_ptr_array_add(e->groups, key);
        g_ptr_array_add(site->held, g_strdup(key));
    }
    if (!read_history(site->st, s, e, &site->err)) {
        entry_free(e);
        return FALSE;
    }
    html = render_statement(site, s, e);
    ok = folder_open(site->top, dirname, &sub, &site->err)
         && write_attachments(site, s, &sub, &site->err)
         && write_file(site, &sub, "index.html", html, &site->err);
    folder_close(&sub);
    g_string_free(html, TRUE);
    if (!ok) {
        entry_free(e);
        return FALSE;
    }
    site->sum->statements++;
    if (strcmp(e->state, "open") == 0) {
        site->sum->outstanding++;
        listed = TRUE;
    } else {
        listed = e->closed != NULL && strcmp(e->closed, site->recent_since) >= 0;
        if (listed)
            site->sum->closed_recently++;
    }
    if (listed)
        g_ptr_array_add(site->entries, e);
    else
        entry_free(e);
    return TRUE;
}

/* Order of strings in a GPtrArray. */
static gint
by_text(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The keys that get a page, lower case, sorted, each once: every group and
 * area of the directory, so that a group's page is there (and current)
 * whether or not it has a statement now, the IESG, and any other key a
 * listed statement is assigned to.  A key that cannot name a folder gets
 * no page, and a warning. */
static GPtrArray *
site_keys(const struct site *site, const struct folder *group)
{
    g_autoptr(GPtrArray) all = g_ptr_array_new();
    GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);

    if (site->o->directory != NULL)
        directory_keys(site->o->directory, all);
    g_ptr_array_add(all, "iesg");
    g_autoptr(GPtrArray) warned = g_ptr_array_new_with_free_func(g_free);
    /* Its own descriptor: closedir closes it, the group folder stays. */
    int     dfd = openat(group->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR    *made = dfd >= 0 ? fdopendir(dfd) : NULL;
    g_autoptr(GPtrArray) folders = g_ptr_array_new_with_free_func(g_free);
    struct dirent *de;

    for (guint i = 0; i < site->held->len; i++)
        g_ptr_array_add(all, g_ptr_array_index(site->held, i));
    /* A page made by an earlier run, for a group since gone from the
     * directory and from every statement listed: made again, so that its
     * bookmark shows what is so now (nothing), not what was. */
    if (made == NULL) {
        log_msg(LOG_WARNING, NULL, "publish: cannot read %s: %s", group->path,
                g_strerror(errno));
        if (dfd >= 0)
            close(dfd);
    }
    while (made != NULL && (de = readdir(made)) != NULL) {
        struct stat sb;

        /* Folders only, links not followed: a file or a link someone put
         * there is none of publish's.  ("." and ".." name no key.) */
        if (key_names_folder(de->d_name)
            && fstatat(group->fd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0
            && S_ISDIR(sb.st_mode))
            g_ptr_array_add(folders, g_strdup(de->d_name));     /* lasts one read */
    }
    if (made != NULL)
        closedir(made);
    for (guint i = 0; i < folders->len; i++)
        g_ptr_array_add(all, g_ptr_array_index(folders, i));
    for (guint i = 0; i < all->len; i++) {
        char   *key = g_ascii_strdown(g_ptr_array_index(all, i), -1);

        if (!key_names_folder(key)) {
            if (!g_ptr_array_find_with_equal_func(warned, key, g_str_equal, NULL)) {
                log_msg(LOG_WARNING, NULL, "publish: no page for the group \"%s\": only a"
                        " key of 1 to 64 of a-z, 0-9, - and _ can name its folder",
                        (const char *) g_ptr_array_index(all, i));
                g_ptr_array_add(warned, key);
            } else {
                g_free(key);
            }
        } else if (g_ptr_array_find_with_equal_func(keys, key, g_str_equal, NULL)) {
            g_free(key);
        } else {
            g_ptr_array_add(keys, key);
        }
    }
    g_ptr_array_sort(keys, by_text);
    return keys;
}

/* The name the directory gives a group or area, or NULL. */
static const char *
key_name(const struct directory *d, const char *key)
{
    const struct dir_group *g = d != NULL ? directory_group(d, key) : NULL;
    const struct dir_area *a = d != NULL && g == NULL ? directory_area(d, key) : NULL;

    return g != NULL ? g->name : a != NULL ? a->name : NULL;
}

/* Write a view's page, feed and calendar into folder f (the site's top,
 * or group/KEY/). */
static gboolean
write_view(struct site *site, const struct view *v, const struct folder *f, GError **err)
{
    GString *html = render_listing(site, v);
    GString *atom = render_feed(site, v);
    GString *calendar = render_calendar(site, v);
    gboolean ok = write_file(site, f, "index.html", html, err)
                  && write_file(site, f, "feed.atom", atom, err)
                  && write_file(site, f, "deadlines.ics", calendar, err);

    g_string_free(html, TRUE);
    g_string_free(atom, TRUE);
    g_string_free(calendar, TRUE);
    return ok;
}

/* group/KEY/index.html, feed.atom and deadlines.ics for every key, in
 * the folder group open: the statements assigned to the group, or to the
 * area and its groups. */
static gboolean
write_groups(struct site *site, const struct folder *group, GError **err)
{
    for (guint i = 0; i < site->keys->len; i++) {
        const char *key = g_ptr_array_index(site->keys, i);
        g_autoptr(GPtrArray) mine = key_entries(site, key);
        struct folder f = { .fd = -1 };
        struct view v = { .key = key, .name = key_name(site->o->directory, key),
                          .top = "../../", .entries = mine };
        gboolean ok = folder_open(group, key, &f, err) && write_view(site, &v, &f, err);

        folder_close(&f);
        if (!ok)
            return FALSE;
        site->sum->groups++;
    }
    return TRUE;
}

/* Open dir, the site's top, and hold a lock on it until the descriptor
 * returned is closed (-1 with *err): a run from cron that overlaps a slow
 * one waits for it, instead of both writing the same .part files.  The
 * folder, not a file in it, so that no mode or owner of a lock file left
 * by another user (root by hand, say) can stop the next run.  The same
 * descriptor is the top every folder inside is opened from; dir itself
 * is the administrator's to name, a link or not. */
static int
lock_site(const char *dir, GError **err)
{
    int     fd = g_open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    int     saved;

    if (fd >= 0 && flock(fd, LOCK_EX) == 0)
        return fd;
    saved = errno;
    g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(saved),
                "cannot lock %s: %s", dir, g_strerror(saved));
    if (fd >= 0)
        close(fd);
    return -1;
}

/* Write the site. */
gboolean
publish_site(struct store *st, const struct publish_options *o,
             struct publish_summary *sum, GError **err)
{
    struct site site = { .st = st, .o = o, .sum = sum };
    g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
    g_autoptr(GDateTime) now = g_date_time_new_from_iso8601(o->now, utc);
    g_autoptr(GDateTime) since = NULL;
    struct view top = { .top = "" };
    struct folder root = { .fd = -1 }, group = { .fd = -1 };
    gboolean ok;

    memset(sum, 0, sizeof *sum);
    if (now == NULL || o->recent_days < 0) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "publish: \"%s\" is not a UTC time, or %d not a number of days",
                    o->now, o->recent_days);
        return FALSE;
    }
    since = g_date_time_add_days(now, -o->recent_days);
    site.recent_since = g_date_time_format(since, "%Y-%m-%dT%H:%M:%SZ");
    g_strlcpy(site.today, o->now, sizeof site.today);
    site.entries = g_ptr_array_new_with_free_func(entry_free);
    site.held = g_ptr_array_new_with_free_func(g_free);
    ok = make_dir(o->dir, err) && (root.fd = lock_site(o->dir, err)) >= 0;
    root.path = g_strdup(o->dir);
    site.top = &root;
    site.id_domain = id_domain(o);
    if (ok && !store_list(st, publish_one, &site, err))
        ok = FALSE;
    if (ok && site.err != NULL) {
        g_propagate_error(err, site.err);
        site.err = NULL;
        ok = FALSE;
    }
    /* After the pages, which the listings link to. */
    if (ok) {
        GString *json = render_json(&site);

        top.entries = site.entries;
        ok = folder_open(&root, "group", &group, err)
             && (site.keys = site_keys(&site, &group)) != NULL
             && write_groups(&site, &group, err) && write_view(&site, &top, &root, err)
             && write_file(&site, &root, "statements.json", json, err);
        g_string_free(json, TRUE);
    }
    folder_close(&group);
    folder_close(&root);                /* and the lock with it */
    g_clear_error(&site.err);
    g_ptr_array_free(site.entries, TRUE);
    if (site.keys != NULL)
        g_ptr_array_unref(site.keys);
    g_ptr_array_unref(site.held);
    g_free(site.recent_since);
    g_free(site.id_domain);
    return ok;
}
