/*
 * test_command.c: reply-by-mail commands (command.c), with cmocka.
 *
 * The pure parts first: which lines of an answer are commands, the
 * per-person token and reply address, Authentication-Results, and the
 * personal copy the outbox sends.  Then whole answers through
 * ingest_message() on a real SQLite file, after a corpus statement: who
 * may close or re-date it and who may not (a forged From, a copied
 * contact with a token of their own, the assignee without a token),
 * what is recorded, the answer queued, a retry that runs nothing again,
 * and authserv_id; how many answers one address gets in a day, and, on
 * the same fixture, whom a limited acknowledgement names; and answers as
 * Gmail, Outlook, Apple Mail, Thunderbird and mobile clients write them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <gmime/gmime.h>
#include <sqlite3.h>

#include "command.h"
#include "directory.h"
#include "envelope.h"
#include "html.h"
#include "ingest.h"
#include "message.h"
#include "outbox.h"
#include "store.h"
#include "tickle.h"
#include "mail_settings.h"

/* The verbs and arguments of the commands in text, as "verb:arg|...". */
static char *
parsed(const char *text)
{
    g_autoptr(GPtrArray) cmds = command_parse(text);
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < cmds->len; i++) {
        const struct command_line *c = g_ptr_array_index(cmds, i);
        static const char *const verbs[] = { "close", "deadline", "bad", "reassign",
                                             "reopen" };

        g_string_append_printf(s, "%s%s:%s", i > 0 ? "|" : "", verbs[c->verb],
                               c->arg != NULL ? c->arg : "");
    }
    return g_string_free(s, FALSE);
}

/* Commands are lines of their own above the quote; prose and quoted or
 * signed-off lines are not. */
static void
test_parse(void **state)
{
    static const struct { const char *text, *want; } cases[] = {
        { "close\n", "close:" },
        { "Close: answered in LS 7\r\n\nThanks.\nBest, A.\n", "close:answered in LS 7" },
        { "\n\n  DEADLINE: 2027-06-30  \n", "deadline:2027-06-30" },
        { "deadline 2027-06-30\n", "deadline:2027-06-30" },
        { "close\n\ndeadline: 2027-07-01\nThanks.\nclose: later\n", "close:|deadline:2027-07-01" },
        { "deadline: 2027-02-30\n", "bad:" },
        { "deadline: next week\n", "bad:" },
        { "deadline: +027-01-01\n", "bad:" },
        { "deadline: 2027-06- 1\n", "bad:" },
        { "deadline: 1999-01-01\n", "bad:" },
        /* Commands open the answer; the first other line ends them. */
        { "Thanks.\nclose\n", "" },
        { "Please close the loop on this.\nclose the statement\n", "" },
        { "closed\n", "" },
        { "close\n>quoted\ndeadline: 2030-01-01\n", "close:" },
        /* Outlook quotes with no '>': our own help text below the answer. */
        { "Thanks, we will discuss this and answer later.\n\nFrom: IETF Liaison Statements\n"
          "Sent: Monday\n  close\n  close: REASON\n  deadline: YYYY-MM-DD\n", "" },
        { "\n> close\n", "" },
        { "Reassign: NETMOD\n", "reassign:netmod" },
        { "reassign netmod ops\n", "bad:" },
        { "reassign:\n", "bad:" },
        { "REOPEN\n", "reopen:" },
        { "Reopen: the answer went astray\nclose:later\n", "reopen:the answer went astray|close:later" },
        { "reopened\n", "" },
        { "reopen the statement\n", "" },
        { "closes\n", "" },
        /* Blanks a chair cannot see: a no-break space (an HTML editor's
         * &nbsp;, windows-1252's 0xA0), a zero width space, a byte order
         * mark, around a command, its argument or on a line of their own. */
        { "\xc2\xa0" "close\xc2\xa0\n", "close:" },
        { "\xe2\x80\x8b" "close\n", "close:" },
        { "\xef\xbb\xbf" "Close\n", "close:" },
        { "close\n\xc2\xa0\ndeadline:\xc2\xa0" "2027-06-30\xe2\x80\x8b\n",
          "close:|deadline:2027-06-30" },
        { "close:\xc2\xa0" "answered\xc2\xa0\n", "close:answered" },
        { "reassign:\xc2\xa0NETMOD\n", "reassign:netmod" },
        /* A word alone with a full stop is the command; with more after
         * the stop it is prose. */
        { "Close.\n", "close:" },
        { "REOPEN.\n", "reopen:" },
        { "close. We answered in LS 9.\n", "" },
        { "close..\n", "" },
        /* A plain rendering's bold or italic around the whole line. */
        { "*close*\n", "close:" },
        { "_close: answered_\n", "close:answered" },
        { "*deadline: 2027-06-30*\n", "deadline:2027-06-30" },
        { "*close\n", "" },
        { "**\n", "" },
        { "close to done, will answer next week\n", "" },
        { "", "" },
    };
    GString *many = g_string_new(NULL);
    g_autofree char *nine = NULL;

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *got = parsed(cases[i].text);

        if (strcmp(got, cases[i].want) != 0)
            fail_msg("case %zu: got '%s', wanted '%s'", i, got, cases[i].want);
    }
    for (int i = 0; i < 20; i++)
        g_string_append(many, "close\n");
    {
        g_autoptr(GPtrArray) cmds = command_parse(many->str);

        assert_int_equal(cmds->len, COMMAND_MAX);
    }
    g_string_free(many, TRUE);
}

/* An HTML-only answer's quote, as mailers write one, is no line of the
 * answer's own: rendered (html.c) with "> " before each line, so that
 * command_parse stops at it even when the answer above it is empty or
 * blank, and the text stays readable.  The shapes are those of Gmail,
 * Outlook (web and desktop), Apple Mail and Thunderbird; the quote with
 * no attribution line above it ("On ... wrote:" deleted, or a mailer set
 * to write none) read "close" as the answer's own before. */
static void
test_html_quote(void **state)
{
    static const struct { const char *html, *want, *line; } cases[] = {
        /* Gmail, its "On ... wrote:" deleted, nothing written above. */
        { "<div dir=\"ltr\"><br></div><br><div class=\"gmail_quote\">"
          "<blockquote class=\"gmail_quote\" style=\"margin:0px 0px 0px 0.8ex;"
          "border-left:1px solid rgb(204,204,204);padding-left:1ex\">"
          "<div dir=\"ltr\">close: answered in LS 9<br>Regards, Alice</div></blockquote></div>",
          "", "> close: answered in LS 9" },
        /* The same with only blanks above it. */
        { "<div dir=\"ltr\">&nbsp; <br>&#160;</div><div class=\"gmail_quote\">"
          "<blockquote class=\"gmail_quote\">deadline: 2027-06-30</blockquote></div>",
          "", "> deadline: 2027-06-30" },
        /* Gmail as it sends: a command of the answer's own, the
         * attribution, the quote, a quote in it. */
        { "<div dir=\"ltr\">deadline: 2027-06-30<div><br></div></div><br>"
          "<div class=\"gmail_quote\"><div dir=\"ltr\" class=\"gmail_attr\">On Mon, 11 Jan 2027 "
          "at 10:00, IETF Liaison Statements &lt;<a href=\"mailto:liaisons@ietf.test\">"
          "liaisons@ietf.test</a>&gt; wrote:<br></div><blockquote class=\"gmail_quote\" "
          "style=\"margin:0px 0px 0px 0.8ex\">close<br><blockquote class=\"gmail_quote\">"
          "reopen</blockquote></blockquote></div>",
          "deadline:2027-06-30", "> > reopen" },
        /* Outlook on the web: nothing quoted, the original's header
         * (div#divRplyFwdMsg) above it ends the commands. */
        { "<html><head><style>p {margin:0}</style></head><body dir=\"ltr\">"
          "<div style=\"font-family: Calibri, Arial, Helvetica, sans-serif; font-size: 12pt;\">"
          "&nbsp;</div><div id=\"appendonsend\"></div><hr style=\"display:inline-block;"
          "width:98%\" tabindex=\"-1\"><div id=\"divRplyFwdMsg\" dir=\"ltr\"><font face=\"Calibri,"
          " sans-serif\" style=\"font-size:11pt\" color=\"#000000\"><b>From:</b> IETF Liaison "
          "Statements &lt;liaisons@ietf.test&gt;<br><b>Sent:</b> Monday, January 11, 2027 10:00"
          "<br><b>To:</b> ccamp-chairs@ietf.test<br><b>Subject:</b> [LS 1] x</font>"
          "<div>&nbsp;</div></div><div><p>close</p><p>deadline: YYYY-MM-DD</p></div>"
          "</body></html>",
          "", "From: IETF Liaison Statements <liaisons@ietf.test>" },
        /* Outlook on the desktop: the header in a border-top block. */
        { "<html><body lang=EN-US><div class=WordSection1><p class=MsoNormal><o:p>&nbsp;</o:p>"
          "</p><div style='border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm "
          "0cm'><p class=MsoNormal><b>From:</b> IETF Liaison Statements &lt;liaisons@ietf.test"
          "&gt; <br><b>Sent:</b> Monday, January 11, 2027 10:00<br><b>Subject:</b> [LS 1] x"
          "<o:p></o:p></p></div><p class=MsoNormal><o:p>&nbsp;</o:p></p><p class=MsoNormal>"
          "close<o:p></o:p></p></div></body></html>",
          "", "Sent: Monday, January 11, 2027 10:00" },
        /* Apple Mail: its attribution is inside a blockquote type=cite. */
        { "<html><body style=\"overflow-wrap: break-word;\"><br id=\"lineBreakAtBeginningOf"
          "Message\"><div><br><blockquote type=\"cite\"><div>On 11 Jan 2027, at 10:00, IETF "
          "Liaison Statements &lt;liaisons@ietf.test&gt; wrote:</div><br class=\"Apple-"
          "interchange-newline\"><div><div>close</div></div></blockquote></div><br></body></html>",
          "", "> close" },
        /* Thunderbird: div.moz-cite-prefix, then the quote in a pre. */
        { "<html><body><p><br></p><div class=\"moz-cite-prefix\">On 11/01/2027 10:00, IETF "
          "Liaison Statements wrote:<br></div><blockquote type=\"cite\" cite=\"mid:n1@ietf.test\">"
          "<pre class=\"moz-quote-pre\" wrap=\"\">close\nreopen\n</pre></blockquote></body></html>",
          "", "> reopen" },
        /* Thunderbird with no reply header: the quote alone. */
        { "<html><body><p><br></p><blockquote type=\"cite\" cite=\"mid:n1@ietf.test\">"
          "<pre class=\"moz-quote-pre\" wrap=\"\">close\n</pre></blockquote></body></html>",
          "", "> close" },
    };

    (void) state;
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        gboolean rough;
        g_autofree char *text = html_to_text(cases[i].html, strlen(cases[i].html), &rough);
        g_autofree char *got = parsed(text);
        g_autofree char *line = g_strconcat("\n", cases[i].line, "\n", NULL);
        g_autofree char *framed = g_strconcat("\n", text, "\n", NULL);

        if (strcmp(got, cases[i].want) != 0)
            fail_msg("case %zu: got '%s', wanted '%s' from:\n%s", i, got, cases[i].want, text);
        if (strstr(framed, line) == NULL)
            fail_msg("case %zu: no line '%s' in:\n%s", i, cases[i].line, text);
        assert_false(rough);
    }
    /* Markup too deep for libxml2 is stripped roughly: its quote is
     * still one. */
    {
        GString *deep = g_string_new("<div>&nbsp;</div><blockquote type=\"cite\">close<br>");
        gboolean rough;
        g_autofree char *text = NULL, *got = NULL;

        for (int i = 0; i < 300; i++)
            g_string_append(deep, "<div>");
        g_string_append(deep, "deadline: 2027-06-30");
        for (int i = 0; i < 300; i++)
            g_string_append(deep, "</div>");
        g_string_append(deep, "</blockquote>after");
        text = html_to_text(deep->str, deep->len, &rough);
        got = parsed(text);
        assert_true(rough);
        assert_string_equal(got, "");
        assert_non_null(strstr(text, "> close\n"));
        assert_non_null(strstr(text, "> deadline: 2027-06-30\n"));
        assert_non_null(strstr(text, "\nafter"));
        g_string_free(deep, TRUE);
    }
}

/* The token is per statement and per person, and the reply address
 * carries it and reads back; other addresses do not read as one. */
static void
test_token_and_address(void **state)
{
    const struct compose_settings *cs = &test_mail_settings;
    g_autofree char *t1 = command_token("s3cret", 1, "ccamp-chairs@ietf.test");
    g_autofree char *t2 = command_token("s3cret", 2, "ccamp-chairs@ietf.test");
    g_autofree char *t3 = command_token("s3cret", 1, "h.tanabe@itu.test");
    g_autofree char *t4 = command_token("other", 1, "ccamp-chairs@ietf.test");
    g_autofree char *addr = command_reply_address(cs, "s3cret", 1, "CCAMP-Chairs@ietf.test");
    g_autofree char *want = g_strdup_printf("liaisons+c.1.%s@ietf.test", t1);
    g_autofree char *tok = NULL;
    gint64 id = 0;
    const char *not_ours[] = {
        "liaisons@ietf.test", "liaisons+b.1.0123456789ab@ietf.test",
        "liaisons+c.1.0123456789ab@other.test", "other+c.1.0123456789ab@ietf.test",
        "liaisons+c.x.0123456789ab@ietf.test", "liaisons+c.1.0123456789a@ietf.test",
        "liaisons+c.1.0123456789abc@ietf.test", "liaisons+c.1.0123456789ag@ietf.test",
        "liaisons+c.0.0123456789ab@ietf.test",
        /* One spelling of an id: no sign, blank or leading zero, and
         * nothing strtoll would clamp. */
        "liaisons+c.+1.0123456789ab@ietf.test", "liaisons+c. 1.0123456789ab@ietf.test",
        "liaisons+c.01.0123456789ab@ietf.test", "liaisons+c.-1.0123456789ab@ietf.test",
        "liaisons+c.99999999999999999999.0123456789ab@ietf.test",
        "liaisons+c.9223372036854775808.0123456789ab@ietf.test", NULL,
    };

    assert_int_equal(strlen(t1), 12);
    assert_string_not_equal(t1, t2);
    assert_string_not_equal(t1, t3);
    assert_string_not_equal(t1, t4);
    assert_string_equal(addr, want);
    assert_true(command_reply_address_parse(cs, "LIAISONS+c.1.ABCDEF012345@IETF.test", &id, &tok));
    assert_int_equal(id, 1);
    assert_string_equal(tok, "abcdef012345");
    for (int i = 0; not_ours[i] != NULL; i++) {
        g_autofree char *t = NULL;

        assert_false(command_reply_address_parse(cs, not_ours[i], &id, &t));
    }
}

/* A message with From from and Authentication-Results fields ar. */
static struct message *
with_auth(const char *from, const char *const *ar)
{
    GString *raw = g_string_new(NULL);
    struct message *m;
    GError *err = NULL;
    struct message_limits lim;

    for (int i = 0; ar[i] != NULL; i++)
        g_string_append_printf(raw, "Authentication-Results: %s\n", ar[i]);
    g_string_append_printf(raw, "From: %s\nTo: liaisons@ietf.test\nSubject: x\n\nclose\n", from);
    message_limits_default(&lim);
    m = message_parse(raw->str, raw->len, &lim, &err);
    assert_non_null(m);
    g_string_free(raw, TRUE);
    return m;
}

/* Authentication-Results count only from the configured server, and only
 * for the From's own domain. */
static void
test_authenticated(void **state)
{
    static const struct {
        const char *ar[3];
        gboolean want;
    } cases[] = {
        { { "mx.ietf.test; dmarc=pass header.from=ietf.test", NULL }, TRUE },
        { { "mx.ietf.test 1; dmarc=pass (p=reject) header.from=ietf.test", NULL }, TRUE },
        { { "mx.ietf.test; dmarc=pass", NULL }, FALSE },
        /* OpenDMARC's field and OpenDKIM's, both of our server. */
        { { "mx.ietf.test; dmarc=none header.from=ietf.test",
            "mx.ietf.test; dkim=pass header.d=ietf.test", NULL }, TRUE },
        { { "mx.ietf.test; dmarc=pass\theader.from=ietf.test", NULL }, TRUE },
        { { "MX.IETF.TEST; spf=pass smtp.mailfrom=x; dkim=pass header.d=ietf.test", NULL }, TRUE },
        { { "mx.ietf.test; dkim=pass header.i=@ietf.test", NULL }, TRUE },
        { { "evil.test; dmarc=pass header.from=ietf.test", NULL }, FALSE },
        { { "mx.ietf.test; dmarc=pass header.from=evil.test", NULL }, FALSE },
        { { "mx.ietf.test; dkim=pass header.d=evil.test", NULL }, FALSE },
        { { "mx.ietf.test; dmarc=fail header.from=ietf.test", NULL }, FALSE },
        { { "mx.ietf.test; dmarc=passed header.from=ietf.test", NULL }, FALSE },
        { { "mx.ietf.test; (dmarc=pass header.from=ietf.test) dmarc=none", NULL }, FALSE },
        { { "evil.test; dmarc=fail", "mx.ietf.test; dmarc=pass header.from=ietf.test", NULL },
          TRUE },
        /* Quoted strings are values, never syntax: an SPF result's
         * quoted local part that reads as a DMARC pass, or a quoted '('
         * that would hide the real pass behind it. */
        { { "mx.ietf.test; spf=pass smtp.mailfrom=\"x;dmarc=pass header.from=ietf.test x\"@evil.test",
            NULL }, FALSE },
        { { "mx.ietf.test; dkim=fail header.b=\"(x\"; dmarc=pass header.from=ietf.test", NULL },
          TRUE },
        /* Comments end where RFC 8601 says, quoted pairs and nesting
         * included: what is inside one never counts. */
        { { "mx.ietf.test; spf=pass (a \\); dmarc=pass header.from=ietf.test (b)) "
            "smtp.mailfrom=evil.test", NULL }, FALSE },
        { { "mx.ietf.test; dmarc=pass (p=reject (nested) dis=none) header.from=ietf.test", NULL },
          TRUE },
        { { "mx.ietf.test; dmarc=pass header.from=\"ietf.test\"", NULL }, TRUE },
        { { "mx.ietf.test; dkim=pass header.d=evil.test header.i=@ietf.test", NULL }, FALSE },
        /* Unterminated: not read at all. */
        { { "mx.ietf.test; dmarc=pass header.from=ietf.test (x", NULL }, FALSE },
        /* The authserv-id quoted or behind a comment is not trusted:
         * the MTA's removal of outside fields may not know it. */
        { { "\"mx.ietf.test\"; dmarc=pass header.from=ietf.test", NULL }, FALSE },
        { { "(x) mx.ietf.test; dmarc=pass header.from=ietf.test", NULL }, FALSE },
        { { "mx.ietf.test.evil; dmarc=pass header.from=ietf.test", NULL }, FALSE },
        /* A value with no authserv-id at all: no crash, no pass. */
        { { "(comment only)", NULL }, FALSE },
        { { "", NULL }, FALSE },
        { { NULL }, FALSE },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        struct message *m = with_auth("Chair <ccamp-chairs@ietf.test>", cases[i].ar);

        if (command_authenticated(m, "mx.ietf.test") != cases[i].want)
            fail_msg("case %zu: wanted %d", i, cases[i].want);
        assert_false(command_authenticated(m, ""));
        message_free(m);
    }
}

/* The personal copy differs from the queued bytes in its Reply-To only,
 * folded or not. */
static void
test_personal_copy(void **state)
{
    static const char raw[] = "From: IETF <liaisons@ietf.test>\r\nReply-To: liaisons@ietf.test\r\n"
                              "Subject: [LS 3] x\r\n\r\nReply-To: body line\r\n";
    static const char folded[] = "From: liaisons@ietf.test\r\nReply-To:\r\n liaisons@ietf.test\r\n"
                                 "Subject: y\r\n\r\nbody\r\n";
    g_autoptr(GBytes) in = g_bytes_new_static(raw, strlen(raw));
    g_autoptr(GBytes) in2 = g_bytes_new_static(folded, strlen(folded));
    g_autoptr(GBytes) none = g_bytes_new_static("From: a@b.test\r\n\r\nx\r\n", 20);
    g_autoptr(GBytes) out = command_personal_copy(&test_mail_settings, "k", 3, "h.tanabe@itu.test", in);
    g_autoptr(GBytes) out2 = command_personal_copy(&test_mail_settings, "k", 3, "a@b.test", in2);
    g_autofree char *addr = command_reply_address(&test_mail_settings, "k", 3, "h.tanabe@itu.test");
    g_autofree char *addr2 = command_reply_address(&test_mail_settings, "k", 3, "a@b.test");
    g_autofree char *want = g_strdup_printf("From: IETF <liaisons@ietf.test>\r\nReply-To: %s\r\n"
                                            "Subject: [LS 3] x\r\n\r\nReply-To: body line\r\n", addr);
    g_autofree char *want2 = g_strdup_printf("From: liaisons@ietf.test\r\nReply-To: %s\r\n"
                                             "Subject: y\r\n\r\nbody\r\n", addr2);
    gsize n;
    const char *got;

    assert_non_null(out);
    got = g_bytes_get_data(out, &n);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(got, want, n);
    got = g_bytes_get_data(out2, &n);
    assert_int_equal(n, strlen(want2));
    assert_memory_equal(got, want2, n);
    assert_null(command_personal_copy(&test_mail_settings, "k", 3, "a@b.test", none));
}

/* ---- whole answers through ingest ----------------------------------- */

static struct {
    char   *tmpdir;
    char   *dbpath;
    struct store *store;
    struct directory *dir;
    struct ingest_ctx ctx;
    char   *secret;
} t;

/* A fresh database with s01 (LS 1: assignee ccamp-chairs@ietf.test,
 * supervisor rtg-ads@ietf.test, technical greta.jonsson@itu.test). */
static int
setup_store(void **state)
{
    GError *err = NULL;
    g_autofree char *dirpath = g_build_filename(SRCDIR, "tests", "corpus", "directory.json", NULL);
    g_autofree char *s01 = g_build_filename(SRCDIR, "tests", "corpus", "s01-appendix-a.eml", NULL);
    g_autofree char *raw = NULL;
    gsize len;
    struct decision d;

    t.tmpdir = g_dir_make_tmp("liaison-command-XXXXXX", &err);
    assert_non_null(t.tmpdir);
    t.dbpath = g_build_filename(t.tmpdir, "liaison.db", NULL);
    t.store = store_open(t.dbpath, 1000, &err);
    assert_non_null(t.store);
    t.dir = directory_load(dirpath, &err);
    assert_non_null(t.dir);
    memset(&t.ctx, 0, sizeof t.ctx);
    t.ctx.store = t.store;
    t.ctx.dir = t.dir;
    message_limits_default(&t.ctx.limits);
    t.ctx.mail = &test_mail_settings;
    t.ctx.notify = TRUE;
    t.ctx.acknowledge = TRUE;
    t.ctx.ack_per_day = 5;
    t.ctx.answer_per_day = 50;
    assert_true(g_file_get_contents(s01, &raw, &len, NULL));
    assert_int_equal(ingest_message(&t.ctx, raw, len, NULL, &d), INGEST_OK);
    assert_int_equal(d.kind, KIND_STATEMENT);
    assert_int_equal(d.statement_id, 1);
    decision_clear(&d);
    t.secret = store_secret(t.store, &err);
    assert_non_null(t.secret);
    return 0;
}

/* Close and remove the database. */
static int
teardown_store(void **state)
{
    static const char *const suffix[] = { "", "-wal", "-shm" };

    store_close(t.store);
    directory_free(t.dir);
    for (size_t i = 0; i < G_N_ELEMENTS(suffix); i++) {
        g_autofree char *p = g_strconcat(t.dbpath, suffix[i], NULL);

        g_unlink(p);
    }
    g_rmdir(t.tmpdir);
    g_free(t.tmpdir);
    g_free(t.dbpath);
    g_free(t.secret);
    return 0;
}

/* One number out of the database through a connection of its own. */
static char *
query(const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    char   *v = NULL;

    if (sqlite3_open_v2(t.dbpath, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK
        && sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK
        && sqlite3_step(q) == SQLITE_ROW)
        v = g_strdup(sqlite3_column_text(q, 0) != NULL
                     ? (const char *) sqlite3_column_text(q, 0) : "");
    sqlite3_finalize(q);
    sqlite3_close(db);
    assert_non_null(v);
    return v;
}

/* Fail unless sql's one value is want. */
static void
query_is(const char *sql, const char *want)
{
    g_autofree char *v = query(sql);

    assert_string_equal(v, want);
}

/* An answer to LS 1's mail from from, sent to to, with body, headers
 * extra before it; ingested; returns its decision kind. */
static enum message_kind
answer(const char *from, const char *to, const char *extra, const char *body)
{
    static int n;
    g_autofree char *raw = g_strdup_printf("%sFrom: %s\nTo: %s\nSubject: Re: [LS 1] x\n"
                                           "Message-ID: <answer-%d@test.test>\n"
                                           "In-Reply-To: <sg15-ls-0412@itu.test>\n\n%s",
                                           extra != NULL ? extra : "", from, to, ++n, body);
    struct decision d;
    enum message_kind k;

    assert_int_equal(ingest_message(&t.ctx, raw, strlen(raw), NULL, &d), INGEST_OK);
    assert_int_equal(d.statement_id, 1);
    k = d.kind;
    decision_clear(&d);
    return k;
}

/* addr's own reply address for LS 1. */
static char *
own(const char *addr)
{
    return command_reply_address(&test_mail_settings, t.secret, 1, addr);
}

/* Who may not: a forged From with the assignee's token, a copied contact
 * with a token of their own, a supervisor with the assignee's token, the
 * assignee without a token, a bad date, the list's reply address (forged
 * or a chair's answer to the list's copy).
 * Each is refused with an event and an answer; nothing changes. */
static void
test_refused(void **state)
{
    g_autofree char *chair = own("ccamp-chairs@ietf.test");
    g_autofree char *greta = own("greta.jonsson@itu.test");
    g_autofree char *state_now = NULL, *deadline = NULL, *refusals = NULL, *answers = NULL;

    assert_int_equal(answer("Mallory <mallory@evil.test>", chair, NULL, "close\n"),
                     KIND_CORRESPONDENCE);
    assert_int_equal(answer("Mallory <ccamp-chairs@ietf.test>", "liaisons@ietf.test", NULL,
                            "close\n"), KIND_CORRESPONDENCE);
    assert_int_equal(answer("Greta <greta.jonsson@itu.test>", greta, NULL, "close\n"),
                     KIND_CORRESPONDENCE);
    /* A supervisor, who may decide, with the assignee's token: the token
     * is the person's, not the statement's. */
    assert_int_equal(answer("AD <rtg-ads@ietf.test>", chair, NULL, "close\n"),
                     KIND_CORRESPONDENCE);
    assert_int_equal(answer("Chair <ccamp-chairs@ietf.test>", chair, NULL,
                            "deadline: 2027-13-01\n"), KIND_CORRESPONDENCE);
    /* Auto mail with a command line runs nothing and answers nothing. */
    assert_int_equal(answer("Chair <ccamp-chairs@ietf.test>", chair,
                            "Auto-Submitted: auto-replied\n", "close\n"), KIND_AUTO);
    /* A forward carrying the chair's command: the attached From is
     * anyone's to write. */
    {
        g_autofree char *fwd = g_strdup_printf(
            "Content-Type: multipart/mixed; boundary=\"b\"\nMIME-Version: 1.0\n"
            "From: Intern <intern@ietf.test>\nTo: %s\nSubject: Fwd\n"
            "Message-ID: <fwd-cmd@ietf.test>\n\n--b\nContent-Type: message/rfc822\n\n"
            "From: Chair <ccamp-chairs@ietf.test>\nTo: %s\nSubject: Re: x\n"
            "Message-ID: <answer-old@ietf.test>\nIn-Reply-To: <sg15-ls-0412@itu.test>\n\n"
            "close\n\n--b--\n", chair, chair);
        struct decision d;

        assert_int_equal(ingest_message(&t.ctx, fwd, strlen(fwd), NULL, &d), INGEST_OK);
        decision_clear(&d);
    }
    /* The list's reply address (every member has it): refused, and no
     * mail to the list. */
    {
        g_autofree char *list = own("ccamp@ietf.test");

        assert_int_equal(answer("CCAMP <ccamp@ietf.test>", list, NULL, "close\n"),
                         KIND_CORRESPONDENCE);
        /* A chair answering the list's copy: refused, and told why. */
        assert_int_equal(answer("Alice <alice@chairs.test>", list, NULL, "close\n"),
                         KIND_CORRESPONDENCE);
    }
    state_now = query("SELECT state FROM statement WHERE id = 1");
    deadline = query("SELECT deadline FROM statement WHERE id = 1");
    refusals = query("SELECT count(*) FROM event WHERE statement = 1 AND what = 'command refused'");
    answers = query("SELECT group_concat(rcpts, ' ') FROM (SELECT rcpts FROM outbox"
                    " WHERE statement = 1 AND kind = 'answer'"
                    " AND instr(CAST(raw AS TEXT), '] Command refused: ') > 0 ORDER BY id)");
    assert_string_equal(state_now, "open");
    assert_string_equal(deadline, "2027-01-15");
    /* Mallory, Greta, the AD, the bad date and the two on the list's
     * address: six refusals.  Answers go to the people the reply
     * addresses were given to and to the statement's deciders (the AD,
     * the chair), never to an address a stranger wrote into From nor to
     * the list.  The command to no reply address, and the forward, are
     * text. */
    assert_string_equal(refusals, "6");
    assert_string_equal(answers, "greta.jonsson@itu.test rtg-ads@ietf.test ccamp-chairs@ietf.test "
                        "alice@chairs.test");
    {
        g_autofree char *why = query("SELECT detail FROM event WHERE what = 'command refused'"
                                     " AND actor = 'alice@chairs.test'");

        assert_non_null(strstr(why, "the list's reply address"));
    }
    {
        g_autofree char *why = query("SELECT detail FROM event WHERE what = 'command refused'"
                                     " AND actor = 'greta.jonsson@itu.test'");

        assert_non_null(strstr(why, "only the assignee, a supervisor or the liaison manager"));
    }
}

/* Who may: the assignee closes, a supervisor moves the deadline (the
 * reminders start again), each recorded with the From as actor and
 * answered; a retry of the same answer runs nothing again. */
static void
test_done(void **state)
{
    g_autofree char *chair = own("ccamp-chairs@ietf.test");
    g_autofree char *ad = own("rtg-ads@ietf.test");
    g_autofree char *to = g_strdup_printf("liaisons@ietf.test, %s", ad);
    g_autofree char *raw = NULL;
    struct decision d;

    assert_true(store_begin(t.store, NULL));
    assert_true(store_add_event(t.store, 1, 0, "tickled", "liaisonctl", "before-7", NULL));
    assert_true(store_commit(t.store, NULL));
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(t.dbpath, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "INSERT INTO reminder (statement, point, kind, day)"
                                  " VALUES (1, 'before-7', 'due', '2027-01-08')", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);

    assert_int_equal(answer("AD <rtg-ads@ietf.test>", to, NULL,
                            "deadline: 2027-06-30\nMoving it.\nclose\n\n> close\n"),
                     KIND_CORRESPONDENCE);
    query_is("SELECT deadline || ' ' || state FROM statement WHERE id = 1", "2027-06-30 open");
    /* The old date's reminder keys are retired, the rows kept. */
    query_is("SELECT count(*) || ' ' || sum(instr(point, '@') = 0) FROM reminder WHERE statement = 1",
             "1 0");
    query_is("SELECT actor || ' ' || detail FROM event WHERE what = 'deadline changed'",
             "rtg-ads@ietf.test 2027-01-15 -> 2027-06-30");

    /* One of the chairs, from her own address, answers the copy the
     * chairs' alias received: the directory lists her for it. */
    raw = g_strdup_printf("From: Alice <alice@chairs.test>\nTo: %s\nSubject: Re: x\n"
                          "Message-ID: <close-1@chairs.test>\nIn-Reply-To: <sg15-ls-0412@itu.test>\n\n"
                          "close: answered in our LS\n", chair);
    assert_int_equal(ingest_message(&t.ctx, raw, strlen(raw), NULL, &d), INGEST_OK);
    assert_int_equal(d.kind, KIND_CORRESPONDENCE);
    decision_clear(&d);
    query_is("SELECT state FROM statement WHERE id = 1", "closed");
    query_is("SELECT actor || ' ' || detail FROM event WHERE what = 'closed'",
             "alice@chairs.test answered in our LS");
    query_is("SELECT count(*) FROM outbox WHERE kind = 'answer' AND rcpts = 'alice@chairs.test'"
             " AND instr(CAST(raw AS TEXT), 'Subject: [LS 1] Closed: ') > 0", "1");
    /* The same answer again (an MTA's retry): nothing runs twice. */
    assert_int_equal(ingest_message(&t.ctx, raw, strlen(raw), NULL, &d), INGEST_OK);
    assert_true(d.duplicate);
    decision_clear(&d);
    query_is("SELECT count(*) FROM event WHERE what = 'closed'", "1");
    query_is("SELECT count(*) FROM outbox WHERE kind = 'answer' AND rcpts = 'alice@chairs.test'",
             "1");
    /* Closed already: said so, nothing recorded. */
    assert_int_equal(answer("Chair <ccamp-chairs@ietf.test>", chair, NULL, "close\n"),
                     KIND_CORRESPONDENCE);
    query_is("SELECT count(*) FROM event WHERE what = 'closed'", "1");
    /* A stranger cannot open it again; the chair can, with a reason, and
     * a second reopen changes nothing. */
    assert_int_equal(answer("Mallory <mallory@evil.test>", chair, NULL, "reopen\n"),
                     KIND_CORRESPONDENCE);
    query_is("SELECT state FROM statement WHERE id = 1", "closed");
    assert_int_equal(answer("Alice <alice@chairs.test>", chair, NULL,
                            "Reopen: closed by mistake\n"), KIND_CORRESPONDENCE);
    query_is("SELECT state FROM statement WHERE id = 1", "open");
    query_is("SELECT actor || ' ' || detail FROM event WHERE what = 'reopened'",
             "alice@chairs.test closed by mistake");
    query_is("SELECT count(*) FROM outbox WHERE kind = 'answer' AND rcpts = 'alice@chairs.test'"
             " AND instr(CAST(raw AS TEXT), 'reopened: the reminders start again') > 0", "1");
    assert_int_equal(answer("Chair <ccamp-chairs@ietf.test>", chair, NULL, "reopen\n"),
                     KIND_CORRESPONDENCE);
    query_is("SELECT count(*) FROM event WHERE what = 'reopened'", "1");
    query_is("SELECT count(*) FROM outbox WHERE kind = 'answer' AND rcpts = 'ccamp-chairs@ietf.test'"
             " AND instr(CAST(raw AS TEXT), 'open already: nothing done') > 0", "1");
    /* Open but answered (liaisonctl reply): not outstanding, so a chair
     * who says "reopen" wants it outstanding again; the reopen is
     * recorded, and the answer no longer stands. */
    assert_true(store_begin(t.store, NULL));
    assert_true(store_set_replied(t.store, 1, NULL));
    assert_true(store_add_event(t.store, 1, 0, "replied", "liaisonctl", "<r@ietf.test>", NULL));
    assert_true(store_commit(t.store, NULL));
    {
        struct store_tickle_facts f;

        assert_true(store_tickle_facts(t.store, 1, &f, NULL));
        assert_true(f.answered);
        store_tickle_facts_clear(&f);
    }
    assert_int_equal(answer("Chair <ccamp-chairs@ietf.test>", chair, NULL,
                            "reopen: their answer asks for more\n"), KIND_CORRESPONDENCE);
    query_is("SELECT count(*) || ' ' || max(detail) FROM event WHERE what = 'reopened'"
             " AND actor = 'ccamp-chairs@ietf.test'", "1 their answer asks for more");
    query_is("SELECT count(*) FROM outbox WHERE kind = 'answer' AND rcpts = 'ccamp-chairs@ietf.test'"
             " AND instr(CAST(raw AS TEXT), 'reopened: the reminders start again') > 0", "1");
    query_is("SELECT state || ' ' || (replied IS NOT NULL) FROM statement WHERE id = 1", "open 1");
    {
        struct store_tickle_facts f;

        assert_true(store_tickle_facts(t.store, 1, &f, NULL));
        assert_false(f.answered);
        store_tickle_facts_clear(&f);
    }
}

/* The liaison manager's alias has a person behind it (the directory's
 * people of the peer): he may move the deadline from his own address;
 * another at the same domain may not. */
static void
test_manager_people(void **state)
{
    g_autofree char *manager = own("itu-t-sg15-manager@ietf.test");

    (void) state;
    assert_int_equal(answer("Mallory <mallory@managers.test>", manager, NULL,
                            "deadline: 2027-08-31\n"), KIND_CORRESPONDENCE);
    query_is("SELECT deadline FROM statement WHERE id = 1", "2027-01-15");
    query_is("SELECT count(*) FROM event WHERE what = 'command refused'"
             " AND actor = 'mallory@managers.test'", "1");
    assert_int_equal(answer("Scott <scott@managers.test>", manager, NULL,
                            "deadline: 2027-07-31\n"), KIND_CORRESPONDENCE);
    query_is("SELECT deadline FROM statement WHERE id = 1", "2027-07-31");
    query_is("SELECT actor || ' ' || detail FROM event WHERE what = 'deadline changed'",
             "scott@managers.test 2027-01-15 -> 2027-07-31");
}

/* With authserv_id, the token is not enough: the server's
 * Authentication-Results must pass the From; another server's do not. */
static void
test_authserv(void **state)
{
    g_autofree char *chair = own("ccamp-chairs@ietf.test");

    t.ctx.authserv_id = "mx.ietf.test";
    assert_int_equal(answer("Chair <ccamp-chairs@ietf.test>", chair,
                            "Authentication-Results: evil.test; dmarc=pass header.from=ietf.test\n",
                            "deadline: 2027-08-01\n"), KIND_CORRESPONDENCE);
    query_is("SELECT deadline FROM statement WHERE id = 1", "2027-01-15");
    assert_int_equal(answer("Chair <ccamp-chairs@ietf.test>", chair,
                            "Authentication-Results: mx.ietf.test; dmarc=pass header.from=ietf.test\n",
                            "deadline: 2027-08-01\n"), KIND_CORRESPONDENCE);
    query_is("SELECT deadline FROM statement WHERE id = 1", "2027-08-01");
    t.ctx.authserv_id = NULL;
}

/* The list's copy of an answer (reply-all) recorded first is auto mail
 * and runs nothing; the direct copy then runs the commands. */
static void
test_list_copy_first(void **state)
{
    g_autofree char *chair = own("ccamp-chairs@ietf.test");
    g_autofree char *body = g_strdup_printf("From: Bob <bob@chairs.test>\nTo: %s\n"
                                            "Cc: ccamp@ietf.test\nSubject: Re: x\n"
                                            "Message-ID: <bob-1@chairs.test>\n"
                                            "In-Reply-To: <sg15-ls-0412@itu.test>\n\n"
                                            "deadline: 2027-05-01\n", chair);
    g_autofree char *listed = g_strconcat("List-Id: <ccamp.ietf.test>\nPrecedence: list\n",
                                          body, NULL);
    struct decision d;

    assert_int_equal(ingest_message(&t.ctx, listed, strlen(listed), NULL, &d), INGEST_OK);
    assert_int_equal(d.kind, KIND_AUTO);
    decision_clear(&d);
    query_is("SELECT deadline FROM statement WHERE id = 1", "2027-01-15");
    assert_int_equal(ingest_message(&t.ctx, body, strlen(body), NULL, &d), INGEST_OK);
    assert_int_equal(d.kind, KIND_CORRESPONDENCE);
    decision_clear(&d);
    query_is("SELECT deadline FROM statement WHERE id = 1", "2027-05-01");
    /* The same date again: nothing moves, the reminders stay. */
    assert_int_equal(answer("Bob <bob@chairs.test>", chair, NULL, "deadline: 2027-05-01\n"),
                     KIND_CORRESPONDENCE);
    query_is("SELECT count(*) FROM event WHERE what = 'deadline changed'", "1");
}

/* A deadline moved on a day the statement was reminded frees the new
 * date's points, but no second reminder goes out that day, nor a "due
 * in 7 days" the next day that the old date's sent the day before; a
 * deadline moved by a month gets its own. */
static void
test_one_reminder_a_day(void **state)
{
    g_autofree char *chair = own("ccamp-chairs@ietf.test");
    struct tickle_policy p;
    struct tickle_summary sum = { 0 };
    GDate day;
    FILE *devnull = fopen("/dev/null", "w");

    tickle_policy_default(&p);
    /* LS 1 is due 2027-01-15: on 2027-01-08, "due in 7 days". */
    assert_true(tickle_parse_day("2027-01-08", &day));
    assert_true(tickle_run(t.store, &test_mail_settings, &p, &day, FALSE, devnull, &sum, NULL));
    assert_int_equal(sum.due, 1);
    assert_int_equal(answer("Chair <ccamp-chairs@ietf.test>", chair, NULL,
                            "deadline: 2027-01-16\n"), KIND_CORRESPONDENCE);
    memset(&sum, 0, sizeof sum);
    assert_true(tickle_run(t.store, &test_mail_settings, &p, &day, FALSE, devnull, &sum, NULL));
    assert_int_equal(sum.due, 0);
    assert_int_equal(sum.already, 1);
    /* The next day is the new date's "due in 7 days", which the old date's
     * said yesterday: not again. */
    assert_true(tickle_parse_day("2027-01-09", &day));
    memset(&sum, 0, sizeof sum);
    assert_true(tickle_run(t.store, &test_mail_settings, &p, &day, FALSE, devnull, &sum, NULL));
    assert_int_equal(sum.due, 0);
    assert_int_equal(sum.already, 0);
    query_is("SELECT count(*) FROM outbox WHERE statement = 1 AND kind = 'reminder'", "1");
    /* Its "due in 3 days" is news. */
    assert_true(tickle_parse_day("2027-01-13", &day));
    memset(&sum, 0, sizeof sum);
    assert_true(tickle_run(t.store, &test_mail_settings, &p, &day, FALSE, devnull, &sum, NULL));
    assert_int_equal(sum.due, 1);
    query_is("SELECT count(*) FROM outbox WHERE statement = 1 AND kind = 'reminder'", "2");
    /* Moved by a month: the new date's "due in 7 days" comes 30 days
     * after the old one's, and is sent. */
    assert_int_equal(answer("Chair <ccamp-chairs@ietf.test>", chair, NULL,
                            "deadline: 2027-02-15\n"), KIND_CORRESPONDENCE);
    assert_true(tickle_parse_day("2027-02-08", &day));
    memset(&sum, 0, sizeof sum);
    assert_true(tickle_run(t.store, &test_mail_settings, &p, &day, FALSE, devnull, &sum, NULL));
    assert_int_equal(sum.due, 1);
    query_is("SELECT count(*) FROM outbox WHERE statement = 1 AND kind = 'reminder'", "3");
    fclose(devnull);
}

/* An answer to two reply addresses of the statement counts by the one
 * its From speaks for, whichever comes first. */
static void
test_two_reply_addresses(void **state)
{
    g_autofree char *greta = own("greta.jonsson@itu.test");
    g_autofree char *chair = own("ccamp-chairs@ietf.test");
    g_autofree char *to = g_strdup_printf("%s, %s", greta, chair);

    assert_int_equal(answer("Alice <alice@chairs.test>", to, NULL, "close\n"), KIND_CORRESPONDENCE);
    query_is("SELECT state FROM statement WHERE id = 1", "closed");
}

/* The answer to commands, some run and some refused: its subject says
 * what happened and then the title, as the other mails' subjects do
 * ("Commands refused" said nothing was done when the close had run), and
 * its text gives each command with its outcome, and the same commands
 * as the notification's help. */
static void
test_answer_subject(void **state)
{
    g_autofree char *chair = own("ccamp-chairs@ietf.test");
    g_autofree char *raw = NULL, *title = NULL, *want = NULL, *text = NULL;
    g_auto(GStrv) crlf = NULL, words = NULL;

    assert_int_equal(answer("Chair <ccamp-chairs@ietf.test>", chair, NULL,
                            "close\nreassign: nosuchwg\n"), KIND_CORRESPONDENCE);
    query_is("SELECT state FROM statement WHERE id = 1", "closed");
    raw = query("SELECT CAST(raw AS TEXT) FROM outbox WHERE kind = 'answer'");
    crlf = g_strsplit(raw, "\r\n", -1);
    text = g_strjoinv("\n", crlf);
    /* The title's first word on the subject's first line (GMime folds). */
    title = query("SELECT title FROM statement WHERE id = 1");
    words = g_strsplit(title, " ", 2);
    want = g_strdup_printf("Subject: [LS 1] Closed; 1 command refused: %s", words[0]);
    assert_non_null(strstr(text, want));
    assert_non_null(strstr(text, "  close\n    closed: no more reminders"));
    assert_non_null(strstr(text, "  reassign: nosuchwg\n    refused: the directory has no such"
                                 " group or area"));
    assert_non_null(strstr(text, COMPOSE_COMMAND_LIST));

    /* Every command refused, and every one run with nothing to change. */
    assert_int_equal(answer("Chair <ccamp-chairs@ietf.test>", chair, NULL,
                            "reassign: nosuchwg\ndeadline: 2027-13-01\n"), KIND_CORRESPONDENCE);
    query_is("SELECT count(*) FROM outbox WHERE kind = 'answer'"
             " AND instr(CAST(raw AS TEXT), 'Subject: [LS 1] Commands refused: ') > 0", "1");
    assert_int_equal(answer("Chair <ccamp-chairs@ietf.test>", chair, NULL, "close\n"),
                     KIND_CORRESPONDENCE);
    query_is("SELECT count(*) FROM outbox WHERE kind = 'answer'"
             " AND instr(CAST(raw AS TEXT), 'Subject: [LS 1] No change: ') > 0", "1");
}

/* The supervisor gives the statement to another group: its chairs become
 * the assignee, its area's ADs the supervisor and its list the list; the
 * technical contacts and the liaison manager stay; the new assignee is
 * notified; a group the directory does not know is refused. */
static void
test_reassign(void **state)
{
    g_autofree char *ad = own("rtg-ads@ietf.test");
    g_autofree char *v = NULL;

    assert_int_equal(answer("Deb <deb@ads.test>", ad, NULL, "reassign: nosuchwg\n"),
                     KIND_CORRESPONDENCE);
    query_is("SELECT assignee FROM statement WHERE id = 1", "ccamp-chairs@ietf.test");
    v = query("SELECT detail FROM event WHERE what = 'command refused'");
    assert_non_null(strstr(v, "no such group or area"));
    g_clear_pointer(&v, g_free);

    assert_int_equal(answer("Deb <deb@ads.test>", ad, NULL, "reassign: NETMOD\n"),
                     KIND_CORRESPONDENCE);
    query_is("SELECT assignee FROM statement WHERE id = 1", "netmod-chairs@ietf.test");
    v = query("SELECT group_concat(role || ':' || addr, ' ') FROM"
              " (SELECT role, addr FROM recipient WHERE statement = 1 ORDER BY position)");
    assert_string_equal(v, "assignee:netmod-chairs@ietf.test technical:greta.jonsson@itu.test "
                        "technical:m.betts@itu.test supervisor:ops-ads@ietf.test "
                        "liaison-manager:itu-t-sg15-manager@ietf.test list:netmod@ietf.test");
    g_clear_pointer(&v, g_free);
    query_is("SELECT group_concat(value) FROM statement_item WHERE statement = 1 AND kind = 'group'",
             "netmod");
    query_is("SELECT actor || ' ' || detail FROM event WHERE what = 'reassigned'",
             "deb@ads.test ccamp-chairs@ietf.test -> netmod-chairs@ietf.test (netmod)");
    query_is("SELECT count(*) FROM outbox WHERE statement = 1 AND kind = 'notification'"
             " AND instr(rcpts, 'netmod-chairs@ietf.test') > 0 AND instr(rcpts, 'ccamp') = 0", "1");
    /* With notify = no, the new assignee is not mailed. */
    t.ctx.notify = FALSE;
    {
        g_autofree char *ops = own("ops-ads@ietf.test");

        assert_int_equal(answer("Ops ADs <ops-ads@ietf.test>", ops, NULL, "reassign: ops\n"),
                         KIND_CORRESPONDENCE);
    }
    t.ctx.notify = TRUE;
    query_is("SELECT assignee FROM statement WHERE id = 1", "ops-ads@ietf.test");
    query_is("SELECT count(*) FROM outbox WHERE statement = 1 AND kind = 'notification'"
             " AND rcpts LIKE 'ops-ads@ietf.test%'", "0");
    /* The old supervisor's reply address no longer decides: rtg-ads is no
     * longer routed on it. */
    assert_int_equal(answer("Deb <deb@ads.test>", ad, NULL, "close\n"), KIND_CORRESPONDENCE);
    query_is("SELECT state FROM statement WHERE id = 1", "open");
}

/* A Message-ID liaisond made is the statement's it was made for: a
 * stranger's statement (or any other mail) that takes the id of LS 1's
 * notification, which every list member and the list's archive see,
 * does not draw the answers to that notification, and their commands,
 * away to itself. */
static void
test_our_message_id_kept(void **state)
{
    g_autofree char *chair = own("ccamp-chairs@ietf.test");
    g_autofree char *notif = query("SELECT message_id FROM outbox WHERE statement = 1"
                                   " AND kind = 'notification'");
    g_autofree char *fake = g_strdup_printf(
        "From: Mallory <mallory@evil.test>\nTo: IETF CCAMP WG <ccamp@ietf.test>\n"
        "Subject: Liaison statement on nothing\nMessage-ID: %s\n\nWe write about nothing.\n",
        notif);
    g_autofree char *reply = g_strdup_printf(
        "From: Alice <alice@chairs.test>\nTo: %s\nSubject: Re: [LS 1] x\n"
        "Message-ID: <alice-2@chairs.test>\nIn-Reply-To: %s\n"
        "References: <sg15-ls-0412@itu.test> %s\n\nclose\n", chair, notif, notif);
    struct decision d;

    (void) state;
    assert_int_equal(ingest_message(&t.ctx, fake, strlen(fake), NULL, &d), INGEST_OK);
    assert_int_equal(d.kind, KIND_STATEMENT);
    assert_int_equal(d.statement_id, 2);
    decision_clear(&d);
    assert_int_equal(ingest_message(&t.ctx, reply, strlen(reply), NULL, &d), INGEST_OK);
    assert_int_equal(d.kind, KIND_CORRESPONDENCE);
    assert_int_equal(d.statement_id, 1);
    decision_clear(&d);
    query_is("SELECT state FROM statement WHERE id = 1", "closed");
}

/* Of two messages that share a Message-ID, the first recorded says where
 * answers to it go: a stranger's copy of the id of an answer on LS 2,
 * threaded onto the older LS 1, does not draw the next answer to it
 * there. */
static void
test_first_message_id_kept(void **state)
{
    g_autofree char *s02 = g_build_filename(SRCDIR, "tests", "corpus",
                                            "s02-datatracker-mail.eml", NULL);
    g_autofree char *raw = NULL;
    static const char ans2[] =
        "From: Bob <bob@chairs.test>\nTo: liaisons@ietf.test\nSubject: Re: LS 2\n"
        "Message-ID: <bob-ls2@chairs.test>\nIn-Reply-To: <dt-2101@datatracker.ietf.test>\n\n"
        "We look at it.\n";
    static const char copy[] =
        "From: Mallory <mallory@evil.test>\nTo: liaisons@ietf.test\nSubject: Re: LS 1\n"
        "Message-ID: <bob-ls2@chairs.test>\nIn-Reply-To: <sg15-ls-0412@itu.test>\n\n"
        "Something else.\n";
    static const char next[] =
        "From: Bob <bob@chairs.test>\nTo: liaisons@ietf.test\nSubject: Re: LS 2\n"
        "Message-ID: <bob-ls2-2@chairs.test>\nIn-Reply-To: <bob-ls2@chairs.test>\n\n"
        "And we answer.\n";
    gsize len;
    struct decision d;

    (void) state;
    assert_true(g_file_get_contents(s02, &raw, &len, NULL));
    assert_int_equal(ingest_message(&t.ctx, raw, len, NULL, &d), INGEST_OK);
    assert_int_equal(d.kind, KIND_STATEMENT);
    assert_int_equal(d.statement_id, 2);
    decision_clear(&d);
    assert_int_equal(ingest_message(&t.ctx, ans2, strlen(ans2), NULL, &d), INGEST_OK);
    assert_int_equal(d.kind, KIND_CORRESPONDENCE);
    assert_int_equal(d.statement_id, 2);
    decision_clear(&d);
    assert_int_equal(ingest_message(&t.ctx, copy, strlen(copy), NULL, &d), INGEST_OK);
    assert_int_equal(d.statement_id, 1);
    decision_clear(&d);
    assert_int_equal(ingest_message(&t.ctx, next, strlen(next), NULL, &d), INGEST_OK);
    assert_int_equal(d.kind, KIND_CORRESPONDENCE);
    assert_int_equal(d.statement_id, 2);
    decision_clear(&d);
}

/* An answer sent to a reply address of LS 1 is about LS 1 even when the
 * mailer kept no In-Reply-To or References (a new mail to the address,
 * a client that drops them): one of the chairs, from her own address
 * behind the chairs' alias, which no [LS n] tag would vouch for, closes
 * it rather than making a new statement of her answer.  A reply address
 * whose token is nobody's on the statement threads nothing. */
static void
test_unthreaded_reply(void **state)
{
    g_autofree char *chair = own("ccamp-chairs@ietf.test");
    g_autofree char *forged = g_strdup_printf("liaisons+c.1.%s@ietf.test", "0123456789ab");
    g_autofree char *bad = g_strdup_printf(
        "From: Alice <alice@chairs.test>\nTo: %s\nSubject: about LS 1\n"
        "Message-ID: <alice-3@chairs.test>\n\nclose\n", forged);
    g_autofree char *raw = g_strdup_printf(
        "From: Alice <alice@chairs.test>\nTo: %s\nSubject: Re: [LS 1] x\n"
        "Message-ID: <alice-4@chairs.test>\n\nclose\n", chair);
    struct decision d;

    (void) state;
    assert_int_equal(ingest_message(&t.ctx, bad, strlen(bad), NULL, &d), INGEST_OK);
    assert_int_equal(d.kind, KIND_STATEMENT);
    decision_clear(&d);
    assert_int_equal(ingest_message(&t.ctx, raw, strlen(raw), NULL, &d), INGEST_OK);
    assert_int_equal(d.kind, KIND_CORRESPONDENCE);
    assert_int_equal(d.statement_id, 1);
    decision_clear(&d);
    query_is("SELECT state FROM statement WHERE id = 1", "closed");
}

/* An HTML-only answer from the chair, to her own reply address, that
 * writes nothing above Gmail's quote of a mail opening with "close"
 * runs nothing; one with a command of its own above the quote runs that
 * one and not the quoted "close". */
static void
test_html_answer(void **state)
{
    g_autofree char *chair = own("ccamp-chairs@ietf.test");
    static const char html[] = "MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n";

    (void) state;
    assert_int_equal(answer("Chair <ccamp-chairs@ietf.test>", chair, html,
                            "<div dir=\"ltr\"><br></div><div class=\"gmail_quote\">"
                            "<blockquote class=\"gmail_quote\" style=\"margin:0px 0px 0px 0.8ex;"
                            "border-left:1px solid rgb(204,204,204);padding-left:1ex\">"
                            "close: we answered in LS 9<br>Alice</blockquote></div>\n"),
                     KIND_CORRESPONDENCE);
    query_is("SELECT state FROM statement WHERE id = 1", "open");
    query_is("SELECT count(*) FROM event WHERE what IN ('closed', 'command refused')", "0");
    query_is("SELECT count(*) FROM outbox WHERE kind = 'answer'", "0");
    assert_int_equal(answer("Chair <ccamp-chairs@ietf.test>", chair, html,
                            "<div dir=\"ltr\">deadline: 2027-06-30</div><br><div class=\"gmail_"
                            "quote\"><blockquote class=\"gmail_quote\">close</blockquote></div>\n"),
                     KIND_CORRESPONDENCE);
    query_is("SELECT deadline || ' ' || state FROM statement WHERE id = 1", "2027-06-30 open");
}

/* An answer threaded onto LS 2 (In-Reply-To its mail) but sent to the
 * chairs' reply address for LS 1: which statement its "close" was meant
 * for cannot be told, so it runs on neither; the refusal is recorded on
 * LS 2, where the answer is, and the chair the reply address was given
 * to is told which statement and why.  A stranger's From with the same
 * reply address is recorded, not answered; a reply address whose token
 * is nobody's leaves the lines text, as before. */
static void
test_mixed_signals(void **state)
{
    g_autofree char *s02 = g_build_filename(SRCDIR, "tests", "corpus",
                                            "s02-datatracker-mail.eml", NULL);
    g_autofree char *raw = NULL, *mine = NULL, *forged = NULL, *mallory = NULL;
    g_autofree char *chair = own("ccamp-chairs@ietf.test");
    g_autofree char *why = NULL, *report = NULL;
    gsize len;
    struct decision d;
    static const char fmt[] =
        "From: %s\nTo: %s\nSubject: Re: New Liaison Statement\nMessage-ID: <%s@test.test>\n"
        "In-Reply-To: <dt-2101@datatracker.ietf.test>\n\nclose\ndeadline: 2027-09-01\n";

    (void) state;
    assert_true(g_file_get_contents(s02, &raw, &len, NULL));
    assert_int_equal(ingest_message(&t.ctx, raw, len, NULL, &d), INGEST_OK);
    assert_int_equal(d.statement_id, 2);
    decision_clear(&d);

    mine = g_strdup_printf(fmt, "Alice <alice@chairs.test>", chair, "mixed-1");
    assert_int_equal(ingest_message(&t.ctx, mine, strlen(mine), NULL, &d), INGEST_OK);
    assert_int_equal(d.kind, KIND_CORRESPONDENCE);
    assert_int_equal(d.statement_id, 2);
    decision_clear(&d);
    query_is("SELECT group_concat(state || ' ' || deadline, ', ') FROM"
             " (SELECT state, deadline FROM statement ORDER BY id)",
             "open 2027-01-15, open 2026-12-20");
    query_is("SELECT count(*) FROM event WHERE what IN ('closed', 'deadline changed')", "0");
    query_is("SELECT group_concat(statement || ' ' || actor, ', ') FROM event"
             " WHERE what = 'command refused'", "2 alice@chairs.test, 2 alice@chairs.test");
    why = query("SELECT detail FROM event WHERE what = 'command refused' ORDER BY id LIMIT 1");
    assert_string_equal(why, "close: sent to a reply address for LS 1, but it answers mail of "
                        "LS 2: run on neither");
    query_is("SELECT statement || ' ' || rcpts FROM outbox WHERE kind = 'answer'"
             " AND instr(CAST(raw AS TEXT), 'Commands not run') > 0", "2 alice@chairs.test");
    report = query("SELECT CAST(raw AS TEXT) FROM outbox WHERE kind = 'answer'");
    assert_non_null(strstr(report, "LS 1"));
    assert_non_null(strstr(report, "deadline: 2027-09-01"));

    /* A stranger's From with the chair's reply address: recorded, and
     * nobody is written to. */
    mallory = g_strdup_printf(fmt, "Mallory <mallory@evil.test>", chair, "mixed-2");
    assert_int_equal(ingest_message(&t.ctx, mallory, strlen(mallory), NULL, &d), INGEST_OK);
    assert_int_equal(d.statement_id, 2);
    decision_clear(&d);
    query_is("SELECT count(*) FROM event WHERE what = 'command refused'"
             " AND actor = 'mallory@evil.test'", "2");
    query_is("SELECT count(*) FROM outbox WHERE kind = 'answer'", "1");

    /* A token that is nobody's: text. */
    forged = g_strdup_printf(fmt, "Alice <alice@chairs.test>", "liaisons+c.1.0123456789ab@ietf.test",
                             "mixed-3");
    assert_int_equal(ingest_message(&t.ctx, forged, strlen(forged), NULL, &d), INGEST_OK);
    assert_int_equal(d.statement_id, 2);
    decision_clear(&d);
    query_is("SELECT count(*) FROM event WHERE what = 'command refused'", "4");
    query_is("SELECT count(*) FROM outbox WHERE kind = 'answer'", "1");
    query_is("SELECT group_concat(state, ' ') FROM statement", "open open");
}

/* N+1 answers with commands from one chair within a day: each command
 * runs, but only N answers go back (the acknowledgements' limit); the
 * last is withheld with an event, so a forged From cannot make liaisond
 * mail a chair once per forged mail. */
static void
test_answers_per_day(void **state)
{
    g_autofree char *chair = own("ccamp-chairs@ietf.test");
    static const char *const dates[] = { "2027-02-01", "2027-03-01", "2027-04-01" };

    t.ctx.answer_per_day = 2;
    for (size_t i = 0; i < G_N_ELEMENTS(dates); i++) {
        g_autofree char *body = g_strdup_printf("deadline: %s\n", dates[i]);

        assert_int_equal(answer("Chair <ccamp-chairs@ietf.test>", chair, NULL, body),
                         KIND_CORRESPONDENCE);
    }
    /* The third ran all the same. */
    query_is("SELECT deadline FROM statement WHERE id = 1", "2027-04-01");
    query_is("SELECT count(*) FROM event WHERE what = 'deadline changed'", "3");
    query_is("SELECT count(*) FROM outbox WHERE kind = 'answer'"
             " AND rcpts = 'ccamp-chairs@ietf.test'", "2");
    query_is("SELECT count(*) || ' ' || min(actor) || ' ' || (min(message) > 0)"
             " FROM event WHERE what = 'answer withheld'", "1 liaisond 1");
    query_is("SELECT instr(detail, 'ccamp-chairs@ietf.test: 2 answers') > 0"
             " FROM event WHERE what = 'answer withheld'", "1");
}

/* Order two char* elements of a GPtrArray (the sort passes pointers to them). */
static gint
cmp_strp(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(char *const *) a, *(char *const *) b);
}

/* The addresses of one address header of raw mail, lower case, sorted,
 * joined with spaces; "" for none. */
static char *
header_addresses(const char *raw, GMimeAddressType type)
{
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(raw, strlen(raw));
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
    InternetAddressList *list;
    g_autoptr(GPtrArray) v = g_ptr_array_new_with_free_func(g_free);

    assert_non_null(msg);
    list = g_mime_message_get_addresses(msg, type);
    for (int i = 0; list != NULL && i < internet_address_list_length(list); i++) {
        InternetAddress *a = internet_address_list_get_address(list, i);

        assert_true(INTERNET_ADDRESS_IS_MAILBOX(a));
        g_ptr_array_add(v, g_ascii_strdown(
            internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a)), -1));
    }
    g_object_unref(msg);
    g_object_unref(parser);
    g_object_unref(stream);
    g_ptr_array_sort(v, cmp_strp);
    g_ptr_array_add(v, NULL);
    return g_strjoinv(" ", (char **) v->pdata);
}

/* A statement with two response contacts, one of whom had the day's
 * acknowledgements: the acknowledgement goes to the other, and its To
 * and Cc name only that one, not an address it never went to. */
static void
test_ack_limit_header(void **state)
{
    static const char raw[] =
        "From: Greta Jonsson <greta.jonsson@itu.test>\nTo: liaisons@ietf.test\n"
        "Subject: LS on OTN management\nMessage-ID: <sg15-ls-0413@itu.test>\n\n"
        "From: ITU-T Study Group 15\nTo: IETF CCAMP WG\nTitle: LS on OTN management\n"
        "Response Contact: Greta Jonsson <greta.jonsson@itu.test>,"
        " Malcolm Betts <m.betts@itu.test>\n"
        "Technical Contact: Malcolm Betts <m.betts@itu.test>\n"
        "Purpose: For Information\n\nBody:\nFor your information.\n";
    g_autofree char *mail = NULL, *to = NULL, *cc = NULL;
    struct decision d;

    /* Greta had LS 1's acknowledgement (the fixture): one a day. */
    query_is("SELECT rcpts FROM outbox WHERE kind = 'acknowledgement'",
             "greta.jonsson@itu.test");
    t.ctx.ack_per_day = 1;
    assert_int_equal(ingest_message(&t.ctx, raw, strlen(raw), NULL, &d), INGEST_OK);
    assert_int_equal(d.kind, KIND_STATEMENT);
    assert_int_equal(d.statement_id, 2);
    decision_clear(&d);
    query_is("SELECT rcpts FROM outbox WHERE kind = 'acknowledgement' AND statement = 2",
             "m.betts@itu.test");
    query_is("SELECT count(*) FROM event WHERE statement = 2"
             " AND what = 'acknowledgement withheld'", "1");
    mail = query("SELECT CAST(raw AS TEXT) FROM outbox WHERE kind = 'acknowledgement'"
                 " AND statement = 2");
    to = header_addresses(mail, GMIME_ADDRESS_TYPE_TO);
    cc = header_addresses(mail, GMIME_ADDRESS_TYPE_CC);
    assert_string_equal(to, "m.betts@itu.test");
    assert_string_equal(cc, "");
    /* Nowhere in the header (the text restates the envelope, contacts
     * included, as the acknowledgement always did). */
    *strstr(mail, "\r\n\r\n") = '\0';
    assert_null(strstr(mail, "greta.jonsson@itu.test"));

    /* Both over the limit now: nothing queued. */
    {
        g_autofree char *again = g_strdup(raw);
        char *id = strstr(again, "0413");

        memcpy(id, "0414", 4);
        assert_int_equal(ingest_message(&t.ctx, again, strlen(again), NULL, &d), INGEST_OK);
        assert_int_equal(d.statement_id, 3);
        decision_clear(&d);
    }
    query_is("SELECT count(*) FROM outbox WHERE kind = 'acknowledgement' AND statement = 3",
             "0");
    query_is("SELECT count(*) FROM event WHERE statement = 3"
             " AND what = 'acknowledgement withheld'", "2");
}

/* Queue n mail of LS 1 to addr, each in its own transaction: reports of
 * undeliverable mail and notifications, as a busy day brings them. */
static void
queue_others(const char *addr, int n)
{
    struct statement *s = store_get_statement_meta(t.store, 1, NULL);

    assert_non_null(s);
    for (int i = 0; i < n; i++) {
        struct outmail *report = compose_report(&test_mail_settings, s, addr,
                                                "Undeliverable mail", "A relay refused it.");
        struct outmail *note = compose_notification(&test_mail_settings, s);

        assert_non_null(report);
        assert_non_null(note);
        assert_true(store_begin(t.store, NULL));
        assert_true(outbox_queue(t.store, 1, report, NULL) > 0);
        assert_true(outbox_queue(t.store, 1, note, NULL) > 0);
        assert_true(store_commit(t.store, NULL));
        outmail_free(report);
        outmail_free(note);
    }
    statement_free(s);
}

/* answer_per_day counts answers only: an AD sent answer_per_day reports
 * (relays refusing a recipient) and as many notifications in a day still
 * gets the answer to a command; past answer_per_day answers the next is
 * withheld, as before.  The reports keep their own kind. */
static void
test_answers_own_count(void **state)
{
    g_autofree char *ad = own("rtg-ads@ietf.test");

    queue_others("rtg-ads@ietf.test", t.ctx.answer_per_day);
    assert_int_equal(answer("AD <rtg-ads@ietf.test>", ad, NULL, "deadline: 2027-02-01\n"),
                     KIND_CORRESPONDENCE);
    query_is("SELECT deadline FROM statement WHERE id = 1", "2027-02-01");
    query_is("SELECT count(*) FROM event WHERE what = 'answer withheld'", "0");
    query_is("SELECT count(*) FROM outbox WHERE rcpts = 'rtg-ads@ietf.test'"
             " AND instr(CAST(raw AS TEXT), 'Subject: [LS 1] Deadline moved: ') > 0", "1");
    query_is("SELECT kind FROM outbox WHERE rcpts = 'rtg-ads@ietf.test'"
             " AND instr(CAST(raw AS TEXT), 'Subject: [LS 1] Deadline moved: ') > 0", "answer");
    query_is("SELECT count(*) FROM outbox WHERE kind = 'report' AND rcpts = 'rtg-ads@ietf.test'",
             "50");

    /* One answer a day now: the next one is withheld, the reports
     * still not counted ("1 answers"). */
    t.ctx.answer_per_day = 1;
    assert_int_equal(answer("AD <rtg-ads@ietf.test>", ad, NULL, "deadline: 2027-03-01\n"),
                     KIND_CORRESPONDENCE);
    query_is("SELECT deadline FROM statement WHERE id = 1", "2027-03-01");
    query_is("SELECT count(*) FROM outbox WHERE kind = 'answer'", "1");
    query_is("SELECT instr(detail, 'rtg-ads@ietf.test: 1 answers already sent') > 0"
             " FROM event WHERE what = 'answer withheld'", "1");
}

/* Acknowledgements and answers do not share a count: Greta, who had LS
 * 1's acknowledgement, is answered with answer_per_day 1, and after
 * three answers still gets the next statement's acknowledgement with
 * ack_per_day 2. */
static void
test_ack_answer_apart(void **state)
{
    static const char raw[] =
        "From: Greta Jonsson <greta.jonsson@itu.test>\nTo: liaisons@ietf.test\n"
        "Subject: LS on OTN management\nMessage-ID: <sg15-ls-0413@itu.test>\n\n"
        "From: ITU-T Study Group 15\nTo: IETF CCAMP WG\nTitle: LS on OTN management\n"
        "Response Contact: Greta Jonsson <greta.jonsson@itu.test>\n"
        "Purpose: For Information\n\nBody:\nFor your information.\n";
    g_autofree char *greta = own("greta.jonsson@itu.test");
    struct decision d;

    query_is("SELECT rcpts FROM outbox WHERE kind = 'acknowledgement'",
             "greta.jonsson@itu.test");
    t.ctx.answer_per_day = 1;
    /* A copied contact's command is refused, and she is told so. */
    assert_int_equal(answer("Greta <greta.jonsson@itu.test>", greta, NULL, "close\n"),
                     KIND_CORRESPONDENCE);
    query_is("SELECT count(*) FROM outbox WHERE kind = 'answer'"
             " AND rcpts = 'greta.jonsson@itu.test'", "1");
    query_is("SELECT count(*) FROM event WHERE what = 'answer withheld'", "0");
    t.ctx.answer_per_day = 3;
    for (int i = 0; i < 2; i++)
        assert_int_equal(answer("Greta <greta.jonsson@itu.test>", greta, NULL, "close\n"),
                         KIND_CORRESPONDENCE);
    query_is("SELECT count(*) FROM outbox WHERE kind = 'answer'"
             " AND rcpts = 'greta.jonsson@itu.test'", "3");

    t.ctx.ack_per_day = 2;
    assert_int_equal(ingest_message(&t.ctx, raw, strlen(raw), NULL, &d), INGEST_OK);
    assert_int_equal(d.kind, KIND_STATEMENT);
    assert_int_equal(d.statement_id, 2);
    decision_clear(&d);
    query_is("SELECT rcpts FROM outbox WHERE kind = 'acknowledgement' AND statement = 2",
             "greta.jonsson@itu.test");
    query_is("SELECT count(*) FROM event WHERE what = 'acknowledgement withheld'", "0");
}

/* An answer that bounces (a DSN to its VERP sender) marks its address
 * failing but is never reported, as a report's bounce is not: no loop
 * of reports about mail about mail. */
static void
test_answer_bounce_unreported(void **state)
{
    g_autofree char *chair = own("ccamp-chairs@ietf.test");
    g_autofree char *row = NULL, *verp = NULL, *dsn = NULL;
    struct decision d;

    assert_int_equal(answer("Chair <ccamp-chairs@ietf.test>", chair, NULL, "deadline: 2027-02-01\n"),
                     KIND_CORRESPONDENCE);
    row = query("SELECT id FROM outbox WHERE kind = 'answer' AND rcpts = 'ccamp-chairs@ietf.test'");
    verp = compose_verp_sender(&test_mail_settings, t.secret, g_ascii_strtoll(row, NULL, 10),
                               "ccamp-chairs@ietf.test");
    dsn = g_strdup_printf(
        "From: Mail Delivery System <MAILER-DAEMON@mx.ietf.test>\nTo: %s\n"
        "Subject: Undelivered Mail Returned to Sender\nMessage-ID: <dsn-answer@mx.ietf.test>\n"
        "Auto-Submitted: auto-replied\nMIME-Version: 1.0\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=\"d\"\n\n"
        "--d\nContent-Type: text/plain\n\nThe mail could not be delivered.\n"
        "--d\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.ietf.test\n\n"
        "Final-Recipient: rfc822; ccamp-chairs@ietf.test\nAction: failed\nStatus: 5.1.1\n\n"
        "--d--\n", verp);
    assert_int_equal(ingest_message(&t.ctx, dsn, strlen(dsn), "", &d), INGEST_OK);
    assert_int_equal(d.kind, KIND_BOUNCE);
    assert_int_equal(d.statement_id, 1);
    decision_clear(&d);
    query_is("SELECT addr FROM failing_address", "ccamp-chairs@ietf.test");
    query_is("SELECT count(*) FROM outbox WHERE kind = 'report'", "0");
}

/* The text of LS 1's notification to the chairs, as their mailer shows
 * it: what every answer below quotes (its commands help included). */
static char *
notification_text(void)
{
    g_autofree char *id = query("SELECT id FROM outbox WHERE kind = 'notification'"
                                " AND instr(rcpts, 'ccamp-chairs@ietf.test') > 0");
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    struct message *m;
    char   *text;

    assert_int_equal(sqlite3_open_v2(t.dbpath, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT raw FROM outbox WHERE id = ?", -1, &q, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(q, 1, g_ascii_strtoll(id, NULL, 10));
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    m = message_parse(sqlite3_column_blob(q, 0), (size_t) sqlite3_column_bytes(q, 0),
                      &t.ctx.limits, NULL);
    assert_non_null(m);
    sqlite3_finalize(q);
    sqlite3_close(db);
    assert_non_null(strstr(m->text, "close: REASON"));
    text = g_strdup(m->text);
    message_free(m);
    return text;
}

/* text with each line behind prefix, and an empty line's prefix
 * trimmed as mailers write it (">" for "> "). */
static char *
quoted(const char *text, const char *prefix)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    GString *s = g_string_new(NULL);
    g_autofree char *bare = g_strchomp(g_strdup(prefix));

    for (guint i = 0; lines[i] != NULL; i++)
        g_string_append_printf(s, "%s%s\r\n", *lines[i] != '\0' ? prefix : bare, lines[i]);
    return g_string_free(s, FALSE);
}

/* text as HTML, each line a paragraph open opens and close ends. */
static char *
html_lines(const char *text, const char *open, const char *close)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    GString *s = g_string_new(NULL);

    for (guint i = 0; lines[i] != NULL; i++) {
        g_autofree char *e = g_markup_escape_text(lines[i], -1);

        g_string_append_printf(s, "%s%s%s\r\n", open, *e != '\0' ? e : "&nbsp;", close);
    }
    return g_string_free(s, FALSE);
}

/* bytes in base64 lines of 76, as a MIME body. */
static char *
base64_lines(const char *bytes)
{
    g_autofree char *b = g_base64_encode((const guchar *) bytes, strlen(bytes));
    GString *s = g_string_new(NULL);

    for (size_t i = 0, n = strlen(b); i < n; i += 76)
        g_string_append_printf(s, "%.*s\r\n", (int) MIN((size_t) 76, n - i), b + i);
    return g_string_free(s, FALSE);
}

/* One client's answer: its name, whether the statement is to close
 * (and with what reason), and the MIME headers and body after the
 * common ones. */
struct client_answer {
    const char *name;
    gboolean    closes;
    const char *reason;
    char       *head;
    char       *body;
};

/* Answers to LS 1's notification as real mailers write them, each from
 * one of the chairs to the chairs' own reply address: Gmail, Outlook,
 * Apple Mail, Thunderbird, a mobile client's base64, quoted-printable
 * with soft breaks, the command in the HTML part only, the blanks and
 * marks a top line may carry, and prose that starts with the word.  A
 * command closes the statement and is answered; everything else leaves
 * it open and unanswered.  Each is checked through ingest, then the
 * statement is opened again by mail. */
static void
test_mail_clients(void **state)
{
    g_autofree char *chair = own("ccamp-chairs@ietf.test");
    g_autofree char *orig = notification_text();
    g_autofree char *gt = quoted(orig, "> ");
    g_autofree char *bare = quoted(orig, "");
    g_autofree char *gmail_html = html_lines(orig, "", "<br>");
    g_autofree char *word_html = html_lines(orig, "<p class=MsoNormal>", "<o:p></o:p></p>");
    static const char attribution[] =
        "On Mon, 1 Dec 2026 at 10:00, IETF Liaison Statements <liaisons@ietf.test> wrote:";
    static const char outlook_head[] =
        "From: IETF Liaison Statements <liaisons@ietf.test> \r\n"
        "Sent: Monday, December 1, 2026 10:00 AM\r\n"
        "To: ccamp-chairs@ietf.test\r\n"
        "Subject: [LS 1] For action, by 2027-01-15: x\r\n";
    static const char outlook_html_head[] =
        "<div style='border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0in 0in 0in'>"
        "<p class=MsoNormal><b>From:</b> IETF Liaison Statements &lt;liaisons@ietf.test&gt; "
        "<br><b>Sent:</b> Monday, December 1, 2026 10:00 AM<br><b>To:</b> "
        "ccamp-chairs@ietf.test<br><b>Subject:</b> [LS 1] For action, by 2027-01-15: x"
        "<o:p></o:p></p></div><p class=MsoNormal><o:p>&nbsp;</o:p></p>\r\n";
    static const char word_open[] =
        "<html xmlns:v=\"urn:schemas-microsoft-com:vml\" xmlns:o=\"urn:schemas-microsoft-com:"
        "office:office\" xmlns:w=\"urn:schemas-microsoft-com:office:word\"><head><meta "
        "http-equiv=Content-Type content=\"text/html; charset=us-ascii\"><meta name=Generator "
        "content=\"Microsoft Word 15 (filtered medium)\"><style><!--\r\np.MsoNormal {margin:0in;"
        "font-size:11.0pt;font-family:\"Calibri\",sans-serif;}\r\n--></style></head>"
        "<body lang=EN-US link=\"#0563C1\" vlink=\"#954F72\" style='word-wrap:break-word'>"
        "<div class=WordSection1>\r\n";
    struct client_answer c[] = {
        { "Gmail, multipart/alternative", TRUE, NULL,
          g_strdup("Content-Type: multipart/alternative; boundary=\"000000000000a1b2c3\"\r\n"),
          g_strdup_printf(
              "--000000000000a1b2c3\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n\r\n"
              "close\r\n\r\n%s\r\n\r\n%s\r\n"
              "--000000000000a1b2c3\r\nContent-Type: text/html; charset=\"UTF-8\"\r\n\r\n"
              "<div dir=\"ltr\">close</div><br><div class=\"gmail_quote\"><div dir=\"ltr\" "
              "class=\"gmail_attr\">On Mon, 1 Dec 2026 at 10:00, IETF Liaison Statements &lt;"
              "<a href=\"mailto:liaisons@ietf.test\">liaisons@ietf.test</a>&gt; wrote:<br></div>"
              "<blockquote class=\"gmail_quote\" style=\"margin:0px 0px 0px 0.8ex;border-left:"
              "1px solid rgb(204,204,204);padding-left:1ex\">%s</blockquote></div>\r\n"
              "--000000000000a1b2c3--\r\n", attribution, gt, gmail_html) },
        { "Gmail, nothing written above the quote", FALSE, NULL,
          g_strdup("Content-Type: multipart/alternative; boundary=\"000000000000d4e5f6\"\r\n"),
          g_strdup_printf(
              "--000000000000d4e5f6\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n\r\n"
              "\r\n\r\n%s\r\n\r\n%s\r\n"
              "--000000000000d4e5f6\r\nContent-Type: text/html; charset=\"UTF-8\"\r\n\r\n"
              "<div dir=\"ltr\"><br></div><br><div class=\"gmail_quote\"><div dir=\"ltr\" "
              "class=\"gmail_attr\">On Mon, 1 Dec 2026 at 10:00, IETF Liaison Statements "
              "&lt;liaisons@ietf.test&gt; wrote:<br></div><blockquote class=\"gmail_quote\">"
              "%s</blockquote></div>\r\n--000000000000d4e5f6--\r\n",
              attribution, gt, gmail_html) },
        { "Outlook (Windows), HTML only", TRUE, NULL,
          g_strdup("Content-Type: text/html; charset=\"us-ascii\"\r\n"
                   "Content-Transfer-Encoding: quoted-printable\r\n"),
          g_strdup_printf("%s<p class=MsoNormal>close<o:p></o:p></p>\r\n"
                          "<p class=MsoNormal><o:p>&nbsp;</o:p></p>\r\n%s%s</div></body></html>\r\n",
                          word_open, outlook_html_head, word_html) },
        { "Outlook (Windows), multipart/alternative", TRUE, NULL,
          g_strdup("Content-Type: multipart/alternative;\r\n\tboundary=\"_000_DM6PR_\"\r\n"),
          g_strdup_printf(
              "--_000_DM6PR_\r\nContent-Type: text/plain; charset=\"us-ascii\"\r\n"
              "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
              "close\r\n\r\n%s\r\n%s\r\n"
              "--_000_DM6PR_\r\nContent-Type: text/html; charset=\"us-ascii\"\r\n"
              "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
              "%s<p class=3DMsoNormal>close<o:p></o:p></p>\r\n%s%s</div></body></html>\r\n"
              "--_000_DM6PR_--\r\n", outlook_head, bare, word_open, outlook_html_head,
              word_html) },
        { "Outlook (Windows), nothing written above the original", FALSE, NULL,
          g_strdup("Content-Type: text/plain; charset=\"us-ascii\"\r\n"),
          g_strdup_printf("\r\n%s\r\n%s", outlook_head, bare) },
        { "Apple Mail (iPhone), format=flowed", TRUE, "answered in our LS",
          g_strdup("Content-Type: text/plain; charset=utf-8; format=flowed\r\n"
                   "Content-Transfer-Encoding: quoted-printable\r\n"
                   "X-Mailer: iPhone Mail (22B91)\r\n"),
          g_strdup_printf("close: answered in our LS\r\n\r\nSent from my iPhone\r\n\r\n"
                          "> On 1 Dec 2026, at 10:00, IETF Liaison Statements "
                          "<liaisons@ietf.test> wrote:\r\n>\r\n%s", gt) },
        { "Apple Mail, flowed reason over two lines", TRUE,
          "answered in our LS of 30 November, which covers every question the statement asks",
          g_strdup("Content-Type: text/plain; charset=utf-8; format=flowed\r\n"
                   "X-Mailer: iPhone Mail (22B91)\r\n"),
          g_strdup_printf("close: answered in our LS of 30 November, which covers every \r\n"
                          "question the statement asks\r\n\r\nSent from my iPhone\r\n\r\n"
                          "> On 1 Dec 2026, at 10:00, IETF Liaison Statements "
                          "<liaisons@ietf.test> wrote:\r\n>\r\n%s", gt) },
        { "Thunderbird, signature above the quote", TRUE, NULL,
          g_strdup("Content-Type: text/plain; charset=UTF-8; format=flowed\r\n"
                   "Content-Transfer-Encoding: 7bit\r\n"
                   "User-Agent: Mozilla Thunderbird\r\n"),
          g_strdup_printf("close\r\n\r\n-- \r\nJane\r\n\r\nOn 01/12/2026 10:00, IETF Liaison "
                          "Statements wrote:\r\n%s", gt) },
        { "Thunderbird, answer below the quote", FALSE, NULL,
          g_strdup("Content-Type: text/plain; charset=UTF-8; format=flowed\r\n"
                   "User-Agent: Mozilla Thunderbird\r\n"),
          g_strdup_printf("On 01/12/2026 10:00, IETF Liaison Statements wrote:\r\n%s\r\n"
                          "close\r\n\r\n-- \r\nJane\r\n", gt) },
        { "leading spaces", TRUE, NULL, g_strdup(""), g_strdup("   close\r\n") },
        { "leading no-break space", TRUE, NULL, g_strdup("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"),
          g_strdup("\xc2\xa0" "close\r\n") },
        { "trailing no-break space", TRUE, NULL, g_strdup("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"),
          g_strdup("close\xc2\xa0\r\n") },
        { "leading zero-width space", TRUE, NULL, g_strdup("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"),
          g_strdup("\xe2\x80\x8b" "close\r\n") },
        { "leading byte order mark", TRUE, NULL, g_strdup("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"),
          g_strdup("\xef\xbb\xbf" "close\r\n") },
        { "Close", TRUE, NULL, g_strdup(""), g_strdup("Close\r\n\r\nJane\r\n") },
        { "close.", TRUE, NULL, g_strdup(""), g_strdup("close.\r\n\r\nJane\r\n") },
        { "CLOSE", TRUE, NULL, g_strdup(""), g_strdup("CLOSE\r\n") },
        { "prose starting with the word", FALSE, NULL, g_strdup(""),
          g_strdup_printf("close to done, will answer next week\r\n\r\n%s\r\n%s",
                          attribution, gt) },
        { "prose: close.  We answered.", FALSE, NULL, g_strdup(""),
          g_strdup("close. We answered in LS 9.\r\n") },
        { "base64 plain part (mobile)", TRUE, "answered",
          g_strdup("Content-Type: text/plain; charset=utf-8\r\n"
                   "Content-Transfer-Encoding: base64\r\n"),
          NULL },
        { "quoted-printable, soft line breaks", TRUE,
          "answered in our LS of 30 November, which covers every question the statement asks",
          g_strdup("Content-Type: text/plain; charset=\"us-ascii\"\r\n"
                   "Content-Transfer-Encoding: quoted-printable\r\n"),
          g_strdup("close: answered in our LS of 30 November, which covers every question t=\r\n"
                   "he statement asks\r\n\r\nJane\r\n") },
        { "command in the HTML part, plain part empty", TRUE, NULL,
          g_strdup("Content-Type: multipart/alternative; boundary=\"alt\"\r\n"),
          g_strdup("--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\r\n"
                   "--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
                   "<div>close</div><div><br></div>\r\n--alt--\r\n") },
        { "command in the HTML part, no plain part", TRUE, NULL,
          g_strdup("Content-Type: text/html; charset=utf-8\r\n"),
          g_strdup("<html><body><div>close</div><div><br></div></body></html>\r\n") },
        { "Gmail, the command in bold", TRUE, NULL,
          g_strdup("Content-Type: multipart/alternative; boundary=\"000000000000b0b0\"\r\n"),
          g_strdup_printf(
              "--000000000000b0b0\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n\r\n"
              "*close*\r\n\r\n%s\r\n\r\n%s\r\n"
              "--000000000000b0b0\r\nContent-Type: text/html; charset=\"UTF-8\"\r\n\r\n"
              "<div dir=\"ltr\"><b>close</b></div><br><div class=\"gmail_quote\">"
              "<blockquote class=\"gmail_quote\">%s</blockquote></div>\r\n"
              "--000000000000b0b0--\r\n", attribution, gt, gmail_html) },
        { "Outlook, windows-1252 no-break space (=A0)", TRUE, NULL,
          g_strdup("Content-Type: text/plain; charset=\"Windows-1252\"\r\n"
                   "Content-Transfer-Encoding: quoted-printable\r\n"),
          g_strdup_printf("=A0close\r\n\r\n%s\r\n%s", outlook_head, bare) },
        { "Outlook, signature image (multipart/related)", TRUE, NULL,
          g_strdup("Content-Type: multipart/related;\r\n\tboundary=\"_004_rel_\";\r\n"
                   "\ttype=\"multipart/alternative\"\r\n"),
          g_strdup_printf(
              "--_004_rel_\r\nContent-Type: multipart/alternative; boundary=\"_000_alt_\"\r\n\r\n"
              "--_000_alt_\r\nContent-Type: text/plain; charset=\"us-ascii\"\r\n\r\n"
              "close\r\n\r\nJane Doe\r\n[cid:image001.png@01DB4]\r\n\r\n%s\r\n%s\r\n"
              "--_000_alt_\r\nContent-Type: text/html; charset=\"us-ascii\"\r\n\r\n"
              "%s<p class=MsoNormal>close<o:p></o:p></p><p class=MsoNormal>Jane Doe<img "
              "src=\"cid:image001.png@01DB4\"></p>\r\n%s%s</div></body></html>\r\n"
              "--_000_alt_--\r\n\r\n--_004_rel_\r\nContent-Type: image/png; name=\"image001.png\"\r\n"
              "Content-ID: <image001.png@01DB4>\r\nContent-Transfer-Encoding: base64\r\n\r\n"
              "iVBORw0KGgo=\r\n--_004_rel_--\r\n", outlook_head, bare, word_open,
              outlook_html_head, word_html) },
        { "Apple Mail, S/MIME signed", TRUE, NULL,
          g_strdup("Content-Type: multipart/signed; boundary=\"Apple-Mail-5A\"; "
                   "protocol=\"application/pkcs7-signature\"; micalg=sha-256\r\n"),
          g_strdup_printf(
              "--Apple-Mail-5A\r\nContent-Transfer-Encoding: 7bit\r\n"
              "Content-Type: text/plain; charset=us-ascii\r\n\r\nclose\r\n\r\n"
              "> On 1 Dec 2026, at 10:00, IETF Liaison Statements <liaisons@ietf.test> wrote:"
              "\r\n>\r\n%s\r\n--Apple-Mail-5A\r\nContent-Disposition: attachment; "
              "filename=smime.p7s\r\nContent-Type: application/pkcs7-signature; name=smime.p7s"
              "\r\nContent-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHAqCAMIACAQE=\r\n"
              "--Apple-Mail-5A--\r\n", gt) },
        { "HTML with &nbsp; before the command", TRUE, NULL,
          g_strdup("Content-Type: text/html; charset=utf-8\r\n"),
          g_strdup("<html><body><div>&nbsp;close&nbsp;</div></body></html>\r\n") },
    };
    GString *table = g_string_new(NULL);
    guint wrong = 0;

    (void) state;
    for (size_t i = 0; i < G_N_ELEMENTS(c); i++) {
        g_autofree char *raw = NULL, *answers = NULL, *answers_after = NULL, *got = NULL;
        g_autofree char *body = c[i].body != NULL ? c[i].body
                                : base64_lines("close: answered\r\n\r\nSent from my Galaxy\r\n\r\n"
                                               "-------- Original message --------\r\n"
                                               "From: IETF Liaison Statements "
                                               "<liaisons@ietf.test>\r\n");
        g_autofree char *head = c[i].head;
        g_autofree char *reason = NULL;
        struct decision d;
        gboolean closed;

        raw = g_strdup_printf("From: Alice <alice@chairs.test>\r\nTo: %s\r\n"
                              "Subject: Re: [LS 1] For action, by 2027-01-15: x\r\n"
                              "Date: Mon, 1 Dec 2026 11:00:00 +0100\r\n"
                              "Message-ID: <client-%zu@chairs.test>\r\n"
                              "In-Reply-To: <sg15-ls-0412@itu.test>\r\n"
                              "References: <sg15-ls-0412@itu.test>\r\n"
                              "MIME-Version: 1.0\r\n%s\r\n%s",
                              chair, i, head, body);
        answers = query("SELECT count(*) FROM outbox WHERE kind = 'answer'");
        assert_int_equal(ingest_message(&t.ctx, raw, strlen(raw), NULL, &d), INGEST_OK);
        assert_int_equal(d.kind, KIND_CORRESPONDENCE);
        assert_int_equal(d.statement_id, 1);
        decision_clear(&d);
        answers_after = query("SELECT count(*) FROM outbox WHERE kind = 'answer'");
        got = query("SELECT state FROM statement WHERE id = 1");
        closed = strcmp(got, "closed") == 0;
        if (closed)
            reason = query("SELECT coalesce(detail, '') FROM event WHERE what = 'closed'"
                           " ORDER BY id DESC LIMIT 1");
        g_string_append_printf(table, "%-55s want %-6s got %s%s%s%s\n", c[i].name,
                               c[i].closes ? "closed" : "open", got,
                               reason != NULL && *reason != '\0' ? " (" : "",
                               reason != NULL ? reason : "",
                               reason != NULL && *reason != '\0' ? ")" : "");
        if (closed != c[i].closes
            || (strcmp(answers, answers_after) != 0) != c[i].closes
            || (c[i].reason != NULL && closed && strcmp(reason, c[i].reason) != 0))
            wrong++;
        if (closed) {
            assert_int_equal(answer("Chair <ccamp-chairs@ietf.test>", chair, NULL, "reopen\n"),
                             KIND_CORRESPONDENCE);
            query_is("SELECT state FROM statement WHERE id = 1", "open");
        }
    }
    if (wrong > 0) {
        fprintf(stderr, "%s", table->str);
        fail_msg("%u of %zu answers read wrongly (above)", wrong, G_N_ELEMENTS(c));
    }
    g_string_free(table, TRUE);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_html_quote),
        cmocka_unit_test(test_token_and_address),
        cmocka_unit_test(test_authenticated),
        cmocka_unit_test(test_personal_copy),
        cmocka_unit_test_setup_teardown(test_refused, setup_store, teardown_store),
        cmocka_unit_test_setup_teardown(test_done, setup_store, teardown_store),
        cmocka_unit_test_setup_teardown(test_manager_people, setup_store, teardown_store),
        cmocka_unit_test_setup_teardown(test_authserv, setup_store, teardown_store),
        cmocka_unit_test_setup_teardown(test_list_copy_first, setup_store, teardown_store),
        cmocka_unit_test_setup_teardown(test_one_reminder_a_day, setup_store, teardown_store),
        cmocka_unit_test_setup_teardown(test_reassign, setup_store, teardown_store),
        cmocka_unit_test_setup_teardown(test_answer_subject, setup_store, teardown_store),
        cmocka_unit_test_setup_teardown(test_two_reply_addresses, setup_store, teardown_store),
        cmocka_unit_test_setup_teardown(test_our_message_id_kept, setup_store, teardown_store),
        cmocka_unit_test_setup_teardown(test_first_message_id_kept, setup_store, teardown_store),
        cmocka_unit_test_setup_teardown(test_unthreaded_reply, setup_store, teardown_store),
        cmocka_unit_test_setup_teardown(test_html_answer, setup_store, teardown_store),
        cmocka_unit_test_setup_teardown(test_mixed_signals, setup_store, teardown_store),
        cmocka_unit_test_setup_teardown(test_answers_per_day, setup_store, teardown_store),
        cmocka_unit_test_setup_teardown(test_ack_limit_header, setup_store, teardown_store),
        cmocka_unit_test_setup_teardown(test_answers_own_count, setup_store, teardown_store),
        cmocka_unit_test_setup_teardown(test_ack_answer_apart, setup_store, teardown_store),
        cmocka_unit_test_setup_teardown(test_answer_bounce_unreported, setup_store,
                                        teardown_store),
        cmocka_unit_test_setup_teardown(test_mail_clients, setup_store, teardown_store),
    };
    GError *err = NULL;
    int rc;

    message_library_init();
    if (!envelope_init(&err)) {
        fprintf(stderr, "envelope_init: %s\n", err->message);
        return 1;
    }
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    message_library_shutdown();
    return rc;
}
