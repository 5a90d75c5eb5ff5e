/*
 * test_publish.c: unit tests of the static site (cmocka): the escaping of
 * text from mail, how a deadline stands, and publish_site on a real
 * SQLite store in a directory made for the test: which files it writes,
 * that attachments come out byte for byte (one larger than what the store
 * loads into memory), which attachments it refuses to serve, the closed
 * window, and that a second run changes nothing.  tests/publish.sh looks
 * at the pages through headless Chromium.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <libical/ical.h>
#include <sqlite3.h>

#include "envelope.h"
#include "publish.h"
#include "statement.h"
#include "store.h"

/* publish_escape of text, compared with want. */
static void
assert_escape(const char *text, gboolean lines, const char *want)
{
    g_autofree char *got = publish_escape(text, lines);

    assert_string_equal(got, want);
}

/* Markup characters, controls, bidi overrides, bad UTF-8, XML's
 * non-characters: what comes out is text in HTML and XML 1.0 alike. */
static void
test_escape(void **state)
{
    (void) state;
    assert_escape("<img src=x onerror=\"alert(1)\">", FALSE,
                  "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
    assert_escape("R&D's \"plan\"", FALSE, "R&amp;D&apos;s &quot;plan&quot;");
    assert_escape("a\x01" "b\x1b[31mc", FALSE, "a b [31mc");
    assert_escape("C1 \xc2\x9b" "31m", FALSE, "C1  31m");
    assert_escape("line\r\nnext\tcol", FALSE, "line  next col");
    assert_escape("line\r\nnext\tcol", TRUE, "line\nnext\tcol");
    assert_escape("evil \xe2\x80\xae" "fdp.exe", FALSE, "evil fdp.exe");
    assert_escape("bad \xff\xfe bytes", FALSE, "bad \xef\xbf\xbd\xef\xbf\xbd bytes");
    assert_escape("nonchar \xef\xbf\xbe", FALSE, "nonchar \xef\xbf\xbd");
    assert_escape("光ネットワーク — résumé", FALSE, "光ネットワーク — résumé");
    assert_escape(NULL, FALSE, "");
}

/* Due, due today, overdue, singular and plural, across a month; NULL for
 * what is not a day. */
static void
test_due(void **state)
{
    static const struct {
        const char *deadline, *today, *want;
    } cases[] = {
        { "2027-03-15", "2027-03-08", "due in 7 days" },
        { "2027-03-09", "2027-03-08", "due in 1 day" },
        { "2027-03-08", "2027-03-08", "due today" },
        { "2027-03-07", "2027-03-08", "overdue by 1 day" },
        { "2027-02-27", "2027-03-08", "overdue by 9 days" },
        { "2028-03-01", "2028-02-28", "due in 2 days" },
    };

    (void) state;
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *got = publish_due(cases[i].deadline, cases[i].today);

        assert_non_null(got);
        assert_string_equal(got, cases[i].want);
    }
    assert_null(publish_due(NULL, "2027-03-08"));
    assert_null(publish_due("2027-02-30", "2027-03-08"));
    assert_null(publish_due("soon", "2027-03-08"));
}

/* A scratch directory with a store in it. */
struct fixture {
    char   *dir;
    char   *site;
    struct store *st;
};

/* Remove path and everything under it. */
static void
remove_tree(const char *path)
{
    GDir   *d = g_dir_open(path, 0, NULL);
    const char *name;

    while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
        g_autofree char *p = g_build_filename(path, name, NULL);

        if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
            remove_tree(p);
        else
            g_unlink(p);
    }
    if (d != NULL)
        g_dir_close(d);
    g_rmdir(path);
}

static int
setup(void **state)
{
    struct fixture *f = g_new0(struct fixture, 1);
    g_autofree char *db = NULL;
    GError *err = NULL;

    f->dir = g_dir_make_tmp("test_publish-XXXXXX", NULL);
    assert_non_null(f->dir);
    db = g_build_filename(f->dir, "liaison.db", NULL);
    f->site = g_build_filename(f->dir, "site", NULL);
    f->st = store_open(db, 2000, &err);
    if (f->st == NULL)
        fail_msg("store_open: %s", err->message);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    store_close(f->st);
    remove_tree(f->dir);
    g_free(f->dir);
    g_free(f->site);
    g_free(f);
    return 0;
}

/* Bytes of n with every value, so that a chunk boundary shows. */
static GBytes *
pattern(gsize n)
{
    guint8 *p = g_malloc(n);

    for (gsize i = 0; i < n; i++)
        p[i] = (guint8) ((i * 7 + i / 65536) & 0xff);
    return g_bytes_new_take(p, n);
}

/* Add an attachment of bytes b. */
static void
attach(struct statement *s, const char *name, const char *type, GBytes *b)
{
    g_ptr_array_add(s->attachments, attachment_new(name, type, b));
}

/* Record a statement with a title, deadline and state. */
static gint64
add(struct store *st, const char *title, const char *deadline,
    void (*more)(struct statement *))
{
    struct statement *s = statement_new();
    GError *err = NULL;
    gint64 id;

    s->received = g_strdup("2027-01-10T08:00:00Z");
    s->message_id = g_strdup_printf("<%s@sg15.test>", title);
    s->env->title = g_strdup(title);
    s->env->from_body = g_strdup("ITU-T Study Group 15");
    s->env->to_body = g_strdup("IETF CCAMP WG");
    s->env->purpose = PURPOSE_ACTION;
    s->env->deadline = g_strdup(deadline);
    if (more != NULL)
        more(s);
    id = store_add_statement(st, s, &err);
    if (id == 0)
        fail_msg("store_add_statement: %s", err->message);
    statement_free(s);
    return id;
}

/* Attachments: a 3 MiB PDF (more than the store loads into memory), a
 * page that would run script on the site, two of one name, one with two
 * extensions, and names of other characters. */
static void
with_attachments(struct statement *s)
{
    g_autoptr(GBytes) big = pattern(3 * 1024 * 1024 + 17);
    g_autoptr(GBytes) html = g_bytes_new_static("<script>alert(1)</script>", 25);
    g_autoptr(GBytes) one = g_bytes_new_static("first", 5);
    g_autoptr(GBytes) two = g_bytes_new_static("second!", 7);

    attach(s, "LS-big.PDF", "application/pdf", big);
    attach(s, "evil.html", "text/html", html);
    attach(s, "same.txt", "text/plain", one);
    attach(s, "same.txt", "text/plain", two);
    attach(s, "evil.php.pdf", "application/pdf", one);
    attach(s, "(draft) v2.pdf", "application/pdf", one);
    attach(s, "\xe2\x80\xa6.pdf", "application/pdf", one);
}

/* One small PDF attachment. */
static void
with_one_pdf(struct statement *s)
{
    g_autoptr(GBytes) b = g_bytes_new_static("%PDF-1.4 one", 12);

    attach(s, "one.pdf", "application/pdf", b);
}

/* The contents of site/name, or NULL. */
static char *
site_file(const struct fixture *f, const char *name, gsize *len)
{
    g_autofree char *p = g_build_filename(f->site, name, NULL);
    char   *text = NULL;

    if (!g_file_get_contents(p, &text, len, NULL))
        return NULL;
    return text;
}

/* The whole site: files, bytes, refusals, order, escaping, the closed
 * window, and a second run that writes nothing. */
static void
test_site(void **state)
{
    struct fixture *f = *state;
    /* Closing is dated by the real clock: the site is published as at
     * now, and the deadlines are set from today. */
    g_autoptr(GDateTime) t = g_date_time_new_now_utc();
    g_autoptr(GDateTime) t_past = g_date_time_add_days(t, -7);
    g_autoptr(GDateTime) t_future = g_date_time_add_days(t, 24);
    g_autoptr(GDateTime) t_later = g_date_time_add_days(t, 400);
    g_autofree char *now = g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ");
    g_autofree char *past = g_date_time_format(t_past, "%Y-%m-%d");
    g_autofree char *future = g_date_time_format(t_future, "%Y-%m-%d");
    g_autofree char *later = g_date_time_format(t_later, "%Y-%m-%dT%H:%M:%SZ");
    struct publish_options o = {
        .dir = f->site, .now = now, .recent_days = 90,
        .base_url = "https://lt.ietf.test/liaison/", .site_name = "IETF Liaison Statements",
    };
    struct publish_summary sum;
    GError *err = NULL;
    gint64 a, b, c, d;
    gsize len;
    g_autoptr(GBytes) big = pattern(3 * 1024 * 1024 + 17);
    g_autofree char *index = NULL, *page = NULL;
    g_autofree char *feed = NULL;
    const char *p1, *p2;

    a = add(f->st, "Later deadline", future, NULL);
    b = add(f->st, "<script>alert('t')</script> overdue", past, with_attachments);
    c = add(f->st, "Closed one", NULL, NULL);
    d = add(f->st, "No deadline", NULL, NULL);
    assert_true(store_set_state(f->st, c, "closed", &err));

    if (!publish_site(f->st, &o, &sum, &err))
        fail_msg("publish_site: %s", err->message);
    assert_int_equal(sum.statements, 4);
    assert_int_equal(sum.outstanding, 3);
    assert_int_equal(sum.closed_recently, 1);
    /* 4 pages, index, feed, calendar, JSON, and 6 attachments: all but
     * the page; with no directory and no group on the statements, one
     * group page, feed and calendar, the IESG's, which always has its own. */
    assert_int_equal(sum.groups, 1);
    assert_int_equal(sum.written, 4 + 4 + 6 + 3);
    assert_int_equal(sum.unchanged, 0);

    /* The large attachment, byte for byte, under a name made here; the
     * page not served; two of one name two files; no second extension
     * left for a web server to act on. */
    {
        static const char *const files[] = {
            "1-LS-big.pdf", "3-same.txt", "4-same.txt", "5-evil-php.pdf",
            "6-draft-v2.pdf", "7-attachment.pdf",
        };
        static const gsize sizes[] = { 3 * 1024 * 1024 + 17, 5, 7, 5, 5, 5 };
        g_autofree char *pn = g_strdup_printf("%" G_GINT64_FORMAT "/index.html", b);

        for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
            g_autofree char *name = g_strdup_printf("%" G_GINT64_FORMAT "/%s", b, files[i]);
            g_autofree char *bytes = site_file(f, name, &len);

            if (bytes == NULL)
                fail_msg("%s not published", files[i]);
            assert_int_equal(len, sizes[i]);
            if (i == 0)
                assert_memory_equal(bytes, g_bytes_get_data(big, NULL), len);
        }
        {
            g_autofree char *evil = g_strdup_printf("%" G_GINT64_FORMAT "/2-evil.html", b);
            g_autofree char *evil_text = site_file(f, evil, &len);

            assert_null(evil_text);
        }
        page = site_file(f, pn, &len);
        assert_non_null(page);
        assert_non_null(strstr(page, "<a href=\"1-LS-big.pdf\">LS-big.PDF</a>"));
        assert_non_null(strstr(page, "<a href=\"5-evil-php.pdf\">evil.php.pdf</a>"));
        assert_null(strstr(page, "<a href=\"2-"));
        assert_non_null(strstr(page, "evil.html (text/html, 25 bytes"));
        assert_non_null(strstr(page, "not published: not a document type"));
        assert_null(strstr(page, "<script>"));
        assert_non_null(strstr(page, "&lt;script&gt;alert(&apos;t&apos;)&lt;/script&gt; overdue"));
    }

    /* The index: the overdue one first and marked, then by deadline, the
     * one without a deadline last; the closed one in its own table. */
    index = site_file(f, "index.html", &len);
    assert_non_null(index);
    assert_null(strstr(index, "<script>"));
    {
        g_autofree char *rb = g_strdup_printf("<tr data-id=\"%" G_GINT64_FORMAT
                                              "\" class=\"overdue\">", b);
        g_autofree char *ra = g_strdup_printf("<tr data-id=\"%" G_GINT64_FORMAT "\">", a);
        g_autofree char *rd = g_strdup_printf("<tr data-id=\"%" G_GINT64_FORMAT "\">", d);
        g_autofree char *rc = g_strdup_printf("<tr data-id=\"%" G_GINT64_FORMAT "\">", c);
        const char *closed_table = strstr(index, "<table id=\"closed\">");

        p1 = strstr(index, rb);
        p2 = strstr(index, ra);
        assert_non_null(p1);
        assert_non_null(p2);
        assert_true(p1 < p2);
        assert_non_null(strstr(index, rd));
        assert_true(p2 < strstr(index, rd));
        assert_non_null(closed_table);
        assert_true(strstr(index, rd) < closed_table);
        assert_non_null(strstr(closed_table, rc));
        assert_non_null(strstr(index, "overdue by 7 days"));
        assert_non_null(strstr(index, "due in 24 days"));
    }
    feed = site_file(f, "feed.atom", &len);
    assert_non_null(feed);
    /* Ids of base_url's host when no domain is given; links base_url + ID. */
    assert_non_null(strstr(feed, "<id>tag:lt.ietf.test,2027-01-10:liaison-statement/1</id>"));
    assert_non_null(strstr(feed, "<link rel=\"alternate\" type=\"text/html\" "
                           "href=\"https://lt.ietf.test/liaison/1\"/>"));
    /* The calendar: the two open ones with a deadline, the overdue one
     * first, each an all-day event on its day; the closed one and the one
     * without a deadline have none. */
    {
        g_autofree char *ics = site_file(f, "deadlines.ics", &len);
        g_autofree char *ua = g_strdup_printf("ls-%" G_GINT64_FORMAT "-deadline@lt.ietf.test", a);
        g_autofree char *ub = g_strdup_printf("ls-%" G_GINT64_FORMAT "-deadline@lt.ietf.test", b);
        icalcomponent *cal = icalparser_parse_string(ics);
        icalcomponent *ev;

        assert_non_null(cal);
        assert_int_equal(icalcomponent_count_components(cal, ICAL_VEVENT_COMPONENT), 2);
        ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
        assert_string_equal(icalcomponent_get_uid(ev), ub);
        assert_true(icalcomponent_get_dtstart(ev).is_date);
        {
            g_autofree char *day = g_strdup_printf("%.4s%.2s%.2s", past, past + 5, past + 8);

            assert_string_equal(icaltime_as_ical_string(icalcomponent_get_dtstart(ev)), day);
        }
        assert_non_null(strstr(icalcomponent_get_summary(ev),
                               "] Deadline: <script>alert('t')</script> overdue"));
        ev = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT);
        assert_string_equal(icalcomponent_get_uid(ev), ua);
        icalcomponent_free(cal);
    }

    /* Again: nothing changed, nothing written. */
    if (!publish_site(f->st, &o, &sum, &err))
        fail_msg("publish_site again: %s", err->message);
    assert_int_equal(sum.written, 0);
    assert_int_equal(sum.unchanged, 4 + 4 + 6 + 3);

    /* Answered: its deadline leaves the calendar (and the IESG's). */
    assert_true(store_set_replied(f->st, a, &err));
    if (!publish_site(f->st, &o, &sum, &err))
        fail_msg("publish_site after an answer: %s", err->message);
    {
        g_autofree char *ics = site_file(f, "deadlines.ics", &len);
        icalcomponent *cal = icalparser_parse_string(ics);

        assert_non_null(cal);
        assert_int_equal(icalcomponent_count_components(cal, ICAL_VEVENT_COMPONENT), 1);
        icalcomponent_free(cal);
    }

    /* A year on, the closed statement has left the index. */
    o.now = later;
    if (!publish_site(f->st, &o, &sum, &err))
        fail_msg("publish_site a year on: %s", err->message);
    assert_int_equal(sum.closed_recently, 0);
    g_free(index);
    index = site_file(f, "index.html", &len);
    {
        g_autofree char *rc = g_strdup_printf("<tr data-id=\"%" G_GINT64_FORMAT "\">", c);

        assert_null(strstr(index, rc));
    }
}

/* The calendar of a site whose base_url is no absolute URI: no URL (RFC
 * 5545 wants a URI), a UID of a domain of our own; a title's commas,
 * semicolons, backslashes and line breaks read back as they were meant. */
static void
test_calendar_relative(void **state)
{
    struct fixture *f = *state;
    struct publish_options o = {
        .dir = f->site, .now = "2027-03-08T12:00:00Z", .recent_days = 90,
        .base_url = "/liaison/", .site_name = "x",
    };
    struct publish_summary sum;
    GError *err = NULL;
    gsize len;
    gint64 id = add(f->st, "A, B; C\\D\nE", "2027-03-20", NULL);
    g_autofree char *uid = g_strdup_printf("ls-%" G_GINT64_FORMAT "-deadline@liaisond.invalid", id);
    g_autofree char *summary = g_strdup_printf("[LS %" G_GINT64_FORMAT "] Deadline: A, B; C\\D E",
                                               id);
    g_autofree char *ics = NULL;
    icalcomponent *cal, *ev;

    if (!publish_site(f->st, &o, &sum, &err))
        fail_msg("publish_site: %s", err->message);
    ics = site_file(f, "deadlines.ics", &len);
    assert_non_null(ics);
    assert_non_null(strstr(ics, "\r\nNAME:x: outstanding liaison statements\r\n"));
    assert_non_null(strstr(ics, "\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n"));
    cal = icalparser_parse_string(ics);
    assert_non_null(cal);
    ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
    assert_non_null(ev);
    assert_string_equal(icalcomponent_get_uid(ev), uid);
    assert_string_equal(icalcomponent_get_summary(ev), summary);
    assert_null(icalcomponent_get_first_property(ev, ICAL_URL_PROPERTY));
    assert_string_equal(icaltime_as_ical_string(icalcomponent_get_dtstart(ev)), "20270320");
    assert_string_equal(icaltime_as_ical_string(icalcomponent_get_dtend(ev)), "20270321");
    icalcomponent_free(cal);
}

/* Keys with the characters RFC 5545 TEXT escapes, and one longer than a
 * line, of two-octet characters. */
static void
with_odd_keys(struct statement *s)
{
    GString *long_key = g_string_new("wg-");

    for (int i = 0; i < 40; i++)
        g_string_append(long_key, "\xc3\xa9");      /* é */
    g_ptr_array_add(s->groups, g_strdup("sg15;q12,wp3"));
    g_ptr_array_add(s->groups, g_strdup("a\\b"));
    g_ptr_array_add(s->groups, g_string_free(long_key, FALSE));
}

/* A statement's keys are one CATEGORIES each, escaped as RFC 5545 TEXT:
 * libical wrote them as given, so "sg15;q12,wp3" came out as
 * CATEGORIES:sg15;q12,wp3, two categories ("sg15;q12", "wp3") of which
 * one holds a bare semicolon.  The bytes, the folding of a long one (no
 * line over 75 octets, no character cut), and what libical reads back. */
static void
test_calendar_categories(void **state)
{
    struct fixture *f = *state;
    struct publish_options o = {
        .dir = f->site, .now = "2027-03-08T12:00:00Z", .recent_days = 90,
        .base_url = "https://lt.ietf.test/liaison/", .site_name = "x",
    };
    struct publish_summary sum;
    GError *err = NULL;
    gsize len;
    g_autofree char *ics = NULL;
    g_auto(GStrv) lines = NULL;
    GString *long_key = g_string_new("wg-");
    const char *want[3] = { "sg15;q12,wp3", "a\\b", NULL };
    icalcomponent *cal, *ev;
    icalproperty *p;
    guint n = 0;

    for (int i = 0; i < 40; i++)
        g_string_append(long_key, "\xc3\xa9");
    want[2] = long_key->str;
    add(f->st, "Odd keys", "2027-03-20", with_odd_keys);
    if (!publish_site(f->st, &o, &sum, &err))
        fail_msg("publish_site: %s", err->message);
    ics = site_file(f, "deadlines.ics", &len);
    assert_non_null(ics);
    assert_non_null(strstr(ics, "\r\nCATEGORIES:sg15\\;q12\\,wp3\r\n"));
    assert_non_null(strstr(ics, "\r\nCATEGORIES:a\\\\b\r\n"));
    lines = g_strsplit(ics, "\r\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) {
        assert_true(strlen(lines[i]) <= 75);
        assert_true(g_utf8_validate(lines[i], -1, NULL));
    }
    cal = icalparser_parse_string(ics);
    assert_non_null(cal);
    ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
    assert_non_null(ev);
    for (p = icalcomponent_get_first_property(ev, ICAL_CATEGORIES_PROPERTY); p != NULL;
         p = icalcomponent_get_next_property(ev, ICAL_CATEGORIES_PROPERTY)) {
        assert_true(n < 3);
        assert_string_equal(icalproperty_get_categories(p), want[n]);
        n++;
    }
    assert_int_equal(n, 3);
    icalcomponent_free(cal);
    g_string_free(long_key, TRUE);
}

/* The calendar's name, which comes from configuration, is RFC 5545 TEXT
 * in X-WR-CALNAME as in NAME: libical 3 wrote an x-property's value with
 * its commas and semicolons bare, so "IETF; liaisons, outstanding" came
 * out as X-WR-CALNAME:IETF; liaisons, outstanding, no valid TEXT and
 * three values to a client that splits on commas.  The bytes (unfolded),
 * and what libical reads back: one value, the name (a newline cleaned to
 * a space, as everywhere a line is one). */
static void
test_calendar_name(void **state)
{
    struct fixture *f = *state;
    struct publish_options o = {
        .dir = f->site, .now = "2027-03-08T12:00:00Z", .recent_days = 90,
        .base_url = "https://lt.ietf.test/liaison/",
        .site_name = "IETF; liaisons, outstanding\\n\nend",
    };
    const char *want = "IETF; liaisons, outstanding\\n end: outstanding liaison statements";
    struct publish_summary sum;
    GError *err = NULL;
    gsize len;
    g_autofree char *ics = NULL, *unfolded = NULL;
    icalcomponent *cal;
    icalproperty *p;
    guint n = 0;

    add(f->st, "One", "2027-03-20", NULL);
    if (!publish_site(f->st, &o, &sum, &err))
        fail_msg("publish_site: %s", err->message);
    ics = site_file(f, "deadlines.ics", &len);
    assert_non_null(ics);
    {
        g_auto(GStrv) parts = g_strsplit(ics, "\r\n ", -1);

        unfolded = g_strjoinv("", parts);
    }
    assert_non_null(strstr(unfolded, "\r\nNAME:IETF\\; liaisons\\, outstanding\\\\n end: "
                                     "outstanding liaison statements\r\n"));
    assert_non_null(strstr(unfolded, "\r\nX-WR-CALNAME:IETF\\; liaisons\\, outstanding\\\\n end: "
                                     "outstanding liaison statements\r\n"));
    cal = icalparser_parse_string(ics);
    assert_non_null(cal);
    p = icalcomponent_get_first_property(cal, ICAL_NAME_PROPERTY);
    assert_non_null(p);
    assert_string_equal(icalproperty_get_name(p), want);
    for (p = icalcomponent_get_first_property(cal, ICAL_X_PROPERTY); p != NULL;
         p = icalcomponent_get_next_property(cal, ICAL_X_PROPERTY)) {
        if (strcmp(icalproperty_get_x_name(p), "X-WR-CALNAME") != 0)
            continue;
        assert_string_equal(icalproperty_get_x(p), want);
        n++;
    }
    assert_int_equal(n, 1);
    icalcomponent_free(cal);
}

/* The <id> elements of site/name, one a line. */
static char *
feed_ids(const struct fixture *f, const char *name)
{
    gsize   len;
    g_autofree char *feed = site_file(f, name, &len);
    GString *ids = g_string_new(NULL);

    assert_non_null(feed);
    for (const char *p = feed; (p = strstr(p, "<id>")) != NULL; p += 4) {
        const char *end = strstr(p, "</id>");

        assert_non_null(end);
        g_string_append_len(ids, p + 4, end - p - 4);
        g_string_append_c(ids, '\n');
    }
    return g_string_free(ids, FALSE);
}

/* The feeds' ids are absolute IRIs (RFC 4287), whatever base_url is, and
 * stay when it changes: tag: URIs (RFC 4151) of the domain given, the
 * day a statement was received and its number.  They used to be base_url
 * + ID, so a relative base_url ("/liaison/") gave relative ids, and a
 * moved site new ones.  With no domain and a relative base_url, a name of
 * our own. */
static void
test_feed_ids(void **state)
{
    struct fixture *f = *state;
    struct publish_options o = {
        .dir = f->site, .now = "2027-03-08T12:00:00Z", .recent_days = 90,
        .base_url = "/liaison/", .site_name = "x", .id_domain = "IETF.test",
    };
    struct publish_summary sum;
    GError *err = NULL;
    gint64 a = add(f->st, "One", "2027-03-20", NULL);
    gint64 b = add(f->st, "Two", NULL, NULL);
    g_autofree char *want = g_strdup_printf(
        "tag:ietf.test,2026:liaison-statements\n"
        "tag:ietf.test,2027-01-10:liaison-statement/%" G_GINT64_FORMAT "\n"
        "tag:ietf.test,2027-01-10:liaison-statement/%" G_GINT64_FORMAT "\n", b, a);
    g_autofree char *relative = NULL, *group = NULL, *moved = NULL, *none = NULL;

    if (!publish_site(f->st, &o, &sum, &err))
        fail_msg("publish_site: %s", err->message);
    relative = feed_ids(f, "feed.atom");
    assert_string_equal(relative, want);
    group = feed_ids(f, "group/iesg/feed.atom");
    assert_string_equal(group, "tag:ietf.test,2026:liaison-statements/group/iesg\n");
    /* The site moved: the same ids. */
    o.base_url = "https://elsewhere.test/ls/";
    if (!publish_site(f->st, &o, &sum, &err))
        fail_msg("publish_site moved: %s", err->message);
    moved = feed_ids(f, "feed.atom");
    assert_string_equal(moved, want);
    /* Neither a domain nor a host: still absolute. */
    o.base_url = "/liaison/";
    o.id_domain = "not a domain";
    if (!publish_site(f->st, &o, &sum, &err))
        fail_msg("publish_site without a domain: %s", err->message);
    none = feed_ids(f, "feed.atom");
    assert_true(g_str_has_prefix(none, "tag:liaisond.invalid,2026:liaison-statements\n"));
}

/* An open statement the IETF answered after its deadline: neither its
 * index row nor its own page calls it overdue (the page used to count
 * the days past the deadline while the index said "answered"). */
static void
test_answered_not_overdue(void **state)
{
    struct fixture *f = *state;
    struct publish_options o = {
        .dir = f->site, .now = "2027-03-08T12:00:00Z", .recent_days = 90,
        .base_url = "https://lt.ietf.test/liaison/", .site_name = "x",
    };
    struct publish_summary sum;
    GError *err = NULL;
    gsize len;
    gint64 id = add(f->st, "Answered late", "2027-03-01", NULL);
    g_autofree char *name = g_strdup_printf("%" G_GINT64_FORMAT "/index.html", id);
    g_autofree char *row = g_strdup_printf("<tr data-id=\"%" G_GINT64_FORMAT "\">", id);
    g_autofree char *page = NULL, *index = NULL;

    assert_true(store_set_replied(f->st, id, &err));
    if (!publish_site(f->st, &o, &sum, &err))
        fail_msg("publish_site: %s", err->message);
    index = site_file(f, "index.html", &len);
    assert_non_null(index);
    assert_non_null(strstr(index, row));
    assert_null(strstr(index, "overdue by"));
    page = site_file(f, name, &len);
    assert_non_null(page);
    assert_non_null(strstr(page, "<dt>Answered</dt>"));
    assert_non_null(strstr(page, "<time datetime=\"2027-03-01\">2027-03-01</time>"));
    assert_null(strstr(page, "overdue by"));
}

/* A statement that names neither its sender nor its addressees. */
static void
without_from_to(struct statement *s)
{
    g_clear_pointer(&s->env->from_body, g_free);
    g_clear_pointer(&s->env->to_body, g_free);
}

/* What a reader and a screen reader need of a listing: column headers
 * that say they head columns, dates in <time>, and, where nothing is
 * listed, a sentence that says so rather than an empty table (a screen
 * reader announces "table, 7 columns" with nothing in it). */
static void
test_accessible(void **state)
{
    struct fixture *f = *state;
    struct publish_options o = {
        .dir = f->site, .now = "2027-03-08T12:00:00Z", .recent_days = 30,
        .base_url = "https://lt.ietf.test/liaison/", .site_name = "x",
    };
    struct publish_summary sum;
    GError *err = NULL;
    gsize len;
    g_autofree char *empty = NULL, *index = NULL, *page = NULL;
    gint64 id;

    /* No statement at all. */
    if (!publish_site(f->st, &o, &sum, &err))
        fail_msg("publish_site: %s", err->message);
    empty = site_file(f, "index.html", &len);
    assert_non_null(empty);
    assert_null(strstr(empty, "<table"));
    assert_non_null(strstr(empty, "<p id=\"none-outstanding\">No statement is outstanding.</p>"));
    assert_non_null(strstr(empty, "<p id=\"none-closed\">None was closed in the last 30 days.</p>"));

    /* One open. */
    id = add(f->st, "Open one", "2027-03-01", without_from_to);
    if (!publish_site(f->st, &o, &sum, &err))
        fail_msg("publish_site: %s", err->message);
    index = site_file(f, "index.html", &len);
    assert_non_null(index);
    /* The table's scroll box: a keyboard reaches it, a screen reader
     * names it. */
    assert_non_null(strstr(index, "<div class=\"scroll\" tabindex=\"0\" role=\"region\" "
                           "aria-label=\"Outstanding statements\"><table id=\"outstanding\">"));
    assert_non_null(strstr(index, "<th scope=\"col\">Deadline</th>"));
    /* The day received is UTC's, as liaisonctl list says: a chair far
     * from UTC may see another day than the local one. */
    assert_non_null(strstr(index, "<th scope=\"col\">Received (UTC)</th>"));
    /* And so does the label a phone shows in place of the heading. */
    assert_non_null(strstr(index, "td.received::before{content:\"Received (UTC): \"}"));
    assert_non_null(strstr(index, "td.closed::before{content:\"Closed (UTC): \"}"));
    assert_null(strstr(index, "<th>"));
    assert_non_null(strstr(index, "<td class=\"received\"><time datetime=\"2027-01-10\">"
                           "2027-01-10</time></td>"));
    assert_null(strstr(index, "No statement is outstanding."));
    assert_non_null(strstr(index, "None was closed in the last 30 days."));
    /* A From and To not stated say so, in the row and on the page,
     * rather than leave an empty cell. */
    assert_null(strstr(index, "<td class=\"from\"></td>"));
    assert_non_null(strstr(index, "<td class=\"from\">not stated</td><td class=\"to\">"
                           "not stated</td>"));
    {
        g_autofree char *name = g_strdup_printf("%" G_GINT64_FORMAT "/index.html", id);

        page = site_file(f, name, &len);
        assert_non_null(page);
        assert_non_null(strstr(page, "<dt>Received</dt><dd><time datetime=\"2027-01-10\">"
                               "2027-01-10</time></dd>"));
        assert_non_null(strstr(page, "<dt>From</dt><dd>not stated</dd>\n"
                               "<dt>To</dt><dd>not stated</dd>"));
    }
}

/* Another small PDF of the same name and size as with_one_pdf's. */
static void
with_other_pdf(struct statement *s)
{
    g_autoptr(GBytes) b = g_bytes_new_static("%PDF-1.4 two", 12);

    attach(s, "one.pdf", "application/pdf", b);
}

/* site/ID/1-one.pdf holds want (12 bytes). */
static void
assert_attachment(const struct fixture *f, gint64 id, const char *want)
{
    g_autofree char *name = g_strdup_printf("%" G_GINT64_FORMAT "/1-one.pdf", id);
    gsize   len = 0;
    g_autofree char *got = site_file(f, name, &len);

    assert_non_null(got);
    assert_int_equal(len, 12);
    assert_memory_equal(got, want, 12);
}

/* A published attachment is replaced when its bytes differ, whatever its
 * size: publish used to skip one of the same size, so a database
 * restored from an older backup, whose statement 1 is another with an
 * attachment of the same name and size, left the other's bytes
 * published.  Compared by the store's digest, and by the stored bytes
 * for a row without one; left alone when the bytes are the same. */
static void
test_attachment_replaced(void **state)
{
    struct fixture *f = *state;
    g_autofree char *other_db = g_build_filename(f->dir, "other.db", NULL);
    g_autofree char *db = g_build_filename(f->dir, "liaison.db", NULL);
    struct publish_options o = {
        .dir = f->site, .now = "2027-03-08T12:00:00Z", .recent_days = 90,
        .base_url = "https://lt.ietf.test/liaison/", .site_name = "x",
    };
    struct publish_summary sum;
    GError *err = NULL;
    struct store *other = store_open(other_db, 2000, &err);
    gint64 id;
    sqlite3 *sql = NULL;

    if (other == NULL)
        fail_msg("store_open: %s", err->message);
    /* The site as the later database made it. */
    id = add(other, "Later", "2027-03-20", with_other_pdf);
    if (!publish_site(other, &o, &sum, &err))
        fail_msg("publish_site: %s", err->message);
    store_close(other);
    assert_attachment(f, id, "%PDF-1.4 two");
    /* The restored one: the same id, another attachment of that size. */
    assert_int_equal(add(f->st, "Earlier", "2027-03-20", with_one_pdf), id);
    if (!publish_site(f->st, &o, &sum, &err))
        fail_msg("publish_site restored: %s", err->message);
    assert_attachment(f, id, "%PDF-1.4 one");
    /* The same bytes: nothing written. */
    if (!publish_site(f->st, &o, &sum, &err))
        fail_msg("publish_site again: %s", err->message);
    assert_int_equal(sum.written, 0);
    /* A row without a digest: the stored bytes decide. */
    assert_int_equal(sqlite3_open(db, &sql), SQLITE_OK);
    assert_int_equal(sqlite3_exec(sql, "UPDATE attachment SET sha256 = NULL", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(sql);
    {
        g_autofree char *path = g_strdup_printf("%s/%" G_GINT64_FORMAT "/1-one.pdf", f->site, id);

        assert_true(g_file_set_contents(path, "%PDF-1.4 two", 12, NULL));
    }
    if (!publish_site(f->st, &o, &sum, &err))
        fail_msg("publish_site without a digest: %s", err->message);
    assert_attachment(f, id, "%PDF-1.4 one");
    /* The attachment, and the page, which shows no digest now. */
    assert_int_equal(sum.written, 2);
    if (!publish_site(f->st, &o, &sum, &err))
        fail_msg("publish_site without a digest again: %s", err->message);
    assert_int_equal(sum.written, 0);
}

/* A race between publish and a thread that swaps what is in the site, as
 * whoever can write the site could while a run as root is at work. */
struct race {
    void  (*prepare)(gpointer data);    /* after the first run: or NULL */
    void  (*swap)(gpointer data);       /* one round of swapping */
    char *(*broken)(gpointer data);     /* what a run broke, or NULL */
    gpointer data;
    gint    stop;
};

/* The swapping thread: rounds of r->swap until told to stop.  It yields
 * after each: under valgrind, which runs one thread at a time, a loop of
 * nothing but renames kept the publishing thread from running at all,
 * and the test never ended. */
static gpointer
race_swap(gpointer data)
{
    struct race *r = data;

    while (!g_atomic_int_get(&r->stop)) {
        r->swap(r->data);
        g_thread_yield();
    }
    return NULL;
}

/* Publish f's store once, then again and again for 3 s while r's thread
 * swaps, until a run breaks something (r->broken): that fails the test.
 * (A run may fail meanwhile, having found a link where it wrote: that is
 * the point.) */
static void
race_publish(const struct fixture *f, struct race *r)
{
    struct publish_options o = {
        .dir = f->site, .now = "2027-03-08T12:00:00Z", .recent_days = 90,
        .base_url = "https://lt.ietf.test/liaison/", .site_name = "x",
    };
    struct publish_summary sum;
    g_autofree char *why = NULL;
    GThread *t;
    gint64 end;
    unsigned runs = 0;

    if (!publish_site(f->st, &o, &sum, NULL))
        fail_msg("publish_site failed");
    if (r->prepare != NULL)
        r->prepare(r->data);
    t = g_thread_new("swap", race_swap, r);
    end = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;
    while (g_get_monotonic_time() < end && why == NULL) {
        GError *err = NULL;

        if (!publish_site(f->st, &o, &sum, &err))
            g_clear_error(&err);
        runs++;
        why = r->broken(r->data);
    }
    g_atomic_int_set(&r->stop, 1);
    g_thread_join(t);
    if (why != NULL)
        fail_msg("after %u runs %s", runs, why);
}

/* What test_link_race swaps: site/index.html, and a file outside. */
struct link_race {
    const char *site;           /* the site's folder */
    const char *victim;         /* a file outside it */
};

/* Put a link to the victim in the place of site/index.html, then a
 * regular file. */
static void
swap_links(gpointer data)
{
    struct link_race *r = data;
    g_autofree char *page = g_build_filename(r->site, "index.html", NULL);
    g_autofree char *link = g_build_filename(r->site, ".swap-link", NULL);
    g_autofree char *file = g_build_filename(r->site, ".swap-file", NULL);

    g_unlink(link);
    if (symlink(r->victim, link) == 0)
        g_rename(link, page);
    g_file_set_contents(file, "x", 1, NULL);
    g_chmod(file, 0600);
    g_rename(file, page);
}

/* The victim's mode, if a run changed it. */
static char *
victim_broken(gpointer data)
{
    struct link_race *r = data;
    GStatBuf sb;

    assert_int_equal(g_stat(r->victim, &sb), 0);
    if ((sb.st_mode & 07777) == 0600)
        return NULL;
    return g_strdup_printf("the file outside the site is mode %o",
                           (unsigned) (sb.st_mode & 07777));
}

/* A link put in a file's place while publish runs is never followed by
 * a chmod: a run as root used to check the name, then chmod(2) it, so a
 * link put there in between made its target (/etc/shadow) readable by
 * all.  A thread swaps site/index.html between a link to a 0600 file
 * outside the site and a 0600 file for a few seconds of runs; the file
 * outside keeps its mode. */
static void
test_link_race(void **state)
{
    struct fixture *f = *state;
    g_autofree char *victim = g_build_filename(f->dir, "victim", NULL);
    struct link_race lr = { .site = f->site, .victim = victim };
    struct race r = { .swap = swap_links, .broken = victim_broken, .data = &lr };

    add(f->st, "One", "2027-03-20", NULL);
    assert_true(g_file_set_contents(victim, "secret", 6, NULL));
    assert_int_equal(g_chmod(victim, 0600), 0);
    race_publish(f, &r);
}

/* What test_folder_race swaps: two folders of the site, each with a link
 * beside it to a folder outside. */
struct folder_race {
    const char *outside;        /* the folder outside it */
    char   *pairs[2][2];        /* a folder of the site, a link beside it */
};

/* Make the links beside the folders, once the first run made those. */
static void
folder_links(gpointer data)
{
    struct folder_race *r = data;

    for (size_t i = 0; i < G_N_ELEMENTS(r->pairs); i++)
        assert_int_equal(symlink(r->outside, r->pairs[i][1]), 0);
}

/* Exchange each folder of the site with its link, and back
 * (renameat2's RENAME_EXCHANGE: one or the other is always there). */
static void
swap_folders(gpointer data)
{
    struct folder_race *r = data;

    for (size_t i = 0; i < G_N_ELEMENTS(r->pairs); i++)
        renameat2(AT_FDCWD, r->pairs[i][0], AT_FDCWD, r->pairs[i][1], RENAME_EXCHANGE);
}

/* The number of entries in the folder outside, if a run wrote there. */
static char *
outside_broken(gpointer data)
{
    struct folder_race *r = data;
    g_autoptr(GDir) d = g_dir_open(r->outside, 0, NULL);
    guint n = 0;

    while (d != NULL && g_dir_read_name(d) != NULL)
        n++;
    return n == 0 ? NULL : g_strdup_printf("the folder outside the site holds %u entries", n);
}

/* A folder of the site swapped for a link while publish runs is never
 * written through: a run as root used to check a folder (ID/, group/)
 * with lstat, then write by path, so a link put there in between had it
 * write pages, attachments and group folders into the link's target.  A
 * thread exchanges site/ID and site/group with links to a folder outside
 * the site for a few seconds of runs; that folder stays empty. */
static void
test_folder_race(void **state)
{
    struct fixture *f = *state;
    g_autofree char *outside = g_build_filename(f->dir, "outside", NULL);
    gint64 id = add(f->st, "One", "2027-03-20", with_one_pdf);
    g_autofree char *folder = g_strdup_printf("%" G_GINT64_FORMAT, id);
    const char *const names[2][2] = { { folder, ".link-id" }, { "group", ".link-group" } };
    struct folder_race fr = { .outside = outside };
    struct race r = {
        .prepare = folder_links, .swap = swap_folders, .broken = outside_broken, .data = &fr,
    };

    assert_int_equal(g_mkdir(outside, 0755), 0);
    for (size_t i = 0; i < 2; i++) {
        fr.pairs[i][0] = g_build_filename(f->site, names[i][0], NULL);
        fr.pairs[i][1] = g_build_filename(f->site, names[i][1], NULL);
    }
    race_publish(f, &r);
    for (size_t i = 0; i < 2; i++) {
        g_free(fr.pairs[i][0]);
        g_free(fr.pairs[i][1]);
    }
}

/* A site directory that cannot be made: a file error that names it, and
 * nothing else happens. */
static void
test_unwritable(void **state)
{
    struct fixture *f = *state;
    g_autofree char *file = g_build_filename(f->dir, "plain-file", NULL);
    g_autofree char *under = g_build_filename(file, "site", NULL);
    struct publish_options o = {
        .dir = under, .now = "2027-03-08T12:00:00Z", .recent_days = 90,
        .base_url = "", .site_name = "x",
    };
    struct publish_summary sum;
    GError *err = NULL;

    add(f->st, "One", NULL, NULL);
    assert_true(g_file_set_contents(file, "x", 1, NULL));
    assert_int_equal(g_chmod(file, 0600), 0);
    assert_false(publish_site(f->st, &o, &sum, &err));
    assert_non_null(err);
    assert_true(g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOTDIR));
    /* The file in the way is named, and left as it was (not made 0755). */
    assert_non_null(strstr(err->message, file));
    {
        GStatBuf sb;

        assert_int_equal(g_stat(file, &sb), 0);
        assert_int_equal(sb.st_mode & 07777, 0600);
    }
    g_error_free(err);
    err = NULL;

    o.dir = f->site;
    o.now = "yesterday";
    assert_false(publish_site(f->st, &o, &sum, &err));
    assert_non_null(err);
    g_error_free(err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_due),
        cmocka_unit_test_setup_teardown(test_site, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_calendar_relative, setup, teardown),
        cmocka_unit_test_setup_teardown(test_calendar_categories, setup, teardown),
        cmocka_unit_test_setup_teardown(test_calendar_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_feed_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_answered_not_overdue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_accessible, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_race, setup, teardown),
        cmocka_unit_test_setup_teardown(test_folder_race, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attachment_replaced, setup, teardown),
    };

    envelope_init(NULL);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
