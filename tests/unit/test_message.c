/*
 * test_message.c: message_parse() against the shared corpus and against
 * hostile mail.
 *
 * The corpus checks come in two layers: a table-driven pass over
 * tests/corpus/expected.json (attachments by name, type and size, a body
 * phrase, forwarding) so that a new corpus file is covered without code,
 * and hand-written tests for the fields expected.json does not describe
 * (decoded headers, threading, classification inputs).  Every case of
 * malformed.c must parse without crash or leak; valgrind runs this binary.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <gmime/gmime.h>
#include <json-glib/json-glib.h>

#include "envelope.h"
#include "message.h"
#include "malformed.h"

#define CORPUS SRCDIR "/tests/corpus/"

/* Parse a corpus file with the default limits; the test fails on error. */
static struct message *
parse_file(const char *name)
{
    char *path = g_strconcat(CORPUS, name, NULL);
    char *raw = NULL;
    gsize len = 0;
    GError *err = NULL;
    struct message *m;

    assert_true(g_file_get_contents(path, &raw, &len, NULL));
    m = message_parse(raw, len, NULL, &err);
    if (m == NULL)
        fail_msg("%s: %s", name, err ? err->message : "?");
    g_free(raw);
    g_free(path);
    return m;
}

/* Parse a string with the default limits. */
static struct message *
parse_str(const char *raw)
{
    GError *err = NULL;
    struct message *m = message_parse(raw, strlen(raw), NULL, &err);

    if (m == NULL)
        fail_msg("parse: %s", err ? err->message : "?");
    return m;
}

/* TRUE when some problem sentence contains word. */
static gboolean
has_problem(const struct message *m, const char *word)
{
    for (guint i = 0; i < m->problems->len; i++)
        if (strstr(g_ptr_array_index(m->problems, i), word))
            return TRUE;
    return FALSE;
}

/* The attachment at index i. */
static const struct attachment *
att(const struct message *m, guint i)
{
    assert_true(i < m->attachments->len);
    return g_ptr_array_index(m->attachments, i);
}

/* A header value must never carry a line break or NUL-cut surprise. */
static void
assert_header_safe(const char *v)
{
    if (v == NULL)
        return;
    assert_null(strchr(v, '\r'));
    assert_null(strchr(v, '\n'));
    assert_true(g_utf8_validate(v, -1, NULL));
}

/* ---- corpus, table-driven --------------------------------------------- */

/* Every entry of expected.json: attachments, body phrase, forwarding, and
 * no problems on well-formed mail. */
static void
test_corpus_expected(void **state)
{
    JsonParser *parser = json_parser_new();
    GError *err = NULL;
    JsonArray *entries;

    (void) state;
    assert_true(json_parser_load_from_file(parser, CORPUS "expected.json", &err));
    entries = json_node_get_array(json_parser_get_root(parser));
    assert_true(json_array_get_length(entries) >= 14);
    for (guint i = 0; i < json_array_get_length(entries); i++) {
        JsonObject *e = json_array_get_object_element(entries, i);
        const char *file = json_object_get_string_member(e, "file");
        struct message *m = parse_file(file);

        print_message("checking %s\n", file);
        assert_non_null(m->text);
        assert_int_equal(m->problems->len, 0);
        assert_non_null(m->message_id);
        assert_non_null(m->outer_message_id);
        if (json_object_has_member(e, "attachments")) {
            JsonArray *as = json_object_get_array_member(e, "attachments");
            assert_int_equal(m->attachments->len, json_array_get_length(as));
            for (guint j = 0; j < json_array_get_length(as); j++) {
                JsonObject *a = json_array_get_object_element(as, j);
                const struct attachment *got = att(m, j);
                assert_string_equal(got->name,
                                    json_object_get_string_member(a, "name"));
                assert_string_equal(got->type,
                                    json_object_get_string_member(a, "type"));
                assert_int_equal(got->size,
                                 json_object_get_int_member(a, "size"));
                assert_int_equal(g_bytes_get_size(got->data), got->size);
                assert_int_equal(strlen(got->sha256), 64);
            }
        }
        if (json_object_has_member(e, "body_contains")) {
            const char *phrase = json_object_get_string_member(e, "body_contains");
            gboolean found = strstr(m->text, phrase) != NULL;
            for (guint j = 0; !found && j < m->text_attachments->len; j++)
                found = strstr(g_ptr_array_index(m->text_attachments, j),
                               phrase) != NULL;
            if (!found)
                fail_msg("%s: \"%s\" not in the text", file, phrase);
        }
        if (json_object_has_member(e, "forwarded_by"))
            assert_string_equal(m->forwarded_by,
                json_object_get_string_member(e, "forwarded_by"));
        else
            assert_null(m->forwarded_by);
        if (json_object_has_member(e, "message_id"))
            assert_string_equal(m->message_id,
                json_object_get_string_member(e, "message_id"));
        message_free(m);
    }
    g_object_unref(parser);
}

/* ---- corpus, by hand -------------------------------------------------- */

/* s01: headers, base64 body, the PDF's digest. */
static void
test_s01_headers(void **state)
{
    struct message *m = parse_file("s01-appendix-a.eml");

    (void) state;
    assert_string_equal(m->from, "Greta Jonsson <greta.jonsson@itu.test>");
    assert_string_equal(m->from_name, "Greta Jonsson");
    assert_string_equal(m->from_addr, "greta.jonsson@itu.test");
    assert_string_equal(m->to, "liaisons@ietf.test");
    assert_string_equal(m->subject,
                        "LS on OTN beyond-400G control plane extensions");
    assert_string_equal(m->date, "Mon, 02 Nov 2026 09:15:00 +0000");
    assert_string_equal(m->message_id, "<sg15-ls-0412@itu.test>");
    assert_string_equal(m->outer_message_id, "<sg15-ls-0412@itu.test>");
    assert_null(m->in_reply_to);
    assert_int_equal(m->references->len, 0);
    assert_null(m->auto_submitted);
    assert_false(m->is_report);
    assert_non_null(strstr(m->text, "GMPLS signalling extensions"));
    assert_non_null(strstr(m->text, "Title: LS on OTN beyond-400G"));
    assert_string_equal(att(m, 0)->sha256,
        "5a838678058f6de375e8635b5f2fea47a4e5f07cb1a882a44b10f39abc6f34ff");
    assert_memory_equal(g_bytes_get_data(att(m, 0)->data, NULL), "%PDF-1.4", 8);
    message_free(m);
}

/* s02: a folded Subject is unfolded. */
static void
test_s02_folded_subject(void **state)
{
    struct message *m = parse_file("s02-datatracker-mail.eml");

    (void) state;
    assert_string_equal(m->subject, "New Liaison Statement, \"Broadband Forum "
                        "interest in draft-ietf-ippm-capacity-metric-method\"");
    assert_string_equal(m->from_addr, "statements@ietf.test");
    /* quoted-printable soft line break joined */
    assert_non_null(strstr(m->text, "bbf-ippm-attachment-1.pdf"));
    message_free(m);
}

/* s05: HTML rendered to lines, table cells joined, entities decoded. */
static void
test_s05_html(void **state)
{
    struct message *m = parse_file("s05-html-only.eml");
    char **lines;
    int found = 0;

    (void) state;
    lines = g_strsplit(m->text, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        if (strcmp(lines[i], "From: IEEE 802.1 Working Group") == 0
            || strcmp(lines[i], "To: IETF DetNet WG") == 0
            || strcmp(lines[i], "Title: Status of P802.1DP & TSN profile for aerospace") == 0
            || strcmp(lines[i], "Technical Contact: J\xC3\xA1nos Farkas <jfarkas@ieee.test>") == 0
            || strcmp(lines[i], "Purpose: For Information") == 0)
            found++;
    }
    g_strfreev(lines);
    assert_int_equal(found, 5);
    assert_null(strchr(m->text, '\r'));
    assert_non_null(strstr(m->text, "sponsor ballot"));
    assert_null(strstr(m->text, "<td>"));
    assert_int_equal(m->attachments->len, 0);
    message_free(m);
}

/* s06: ISO-8859-1 quoted-printable body and RFC 2047 headers. */
static void
test_s06_latin1(void **state)
{
    struct message *m = parse_file("s06-latin1-qp.eml");

    (void) state;
    assert_string_equal(m->from, "Zo\xC3\xAB M\xC3\xBCller <zmuller@bbf.test>");
    assert_string_equal(m->from_name, "Zo\xC3\xAB M\xC3\xBCller");
    assert_string_equal(m->subject,
        "R\xC3\xA9ponse attendue : TR-545 segment routing profile");
    assert_non_null(strstr(m->text, "Le r\xC3\xA9sum\xC3\xA9"));
    assert_non_null(strstr(m->text,
        "Technical Contact: Zo\xC3\xAB M\xC3\xBCller <zmuller@bbf.test>"));
    message_free(m);
}

/* s09: threading headers. */
static void
test_s09_threading(void **state)
{
    struct message *m = parse_file("s09-assignee-reply.eml");

    (void) state;
    assert_string_equal(m->in_reply_to, "<sg15-ls-0412@itu.test>");
    assert_int_equal(m->references->len, 1);
    assert_string_equal(g_ptr_array_index(m->references, 0),
                        "<sg15-ls-0412@itu.test>");
    message_free(m);
}

/* s10: Auto-Submitted is passed on raw. */
static void
test_s10_auto(void **state)
{
    struct message *m = parse_file("s10-auto-reply.eml");

    (void) state;
    assert_string_equal(m->auto_submitted, "auto-replied");
    assert_false(m->is_report);
    message_free(m);
}

/* s11: a DSN: report, failed recipient, the status part is no attachment. */
static void
test_s11_bounce(void **state)
{
    struct message *m = parse_file("s11-bounce.eml");

    (void) state;
    assert_true(m->is_report);
    assert_int_equal(m->failed_recipients->len, 1);
    assert_string_equal(g_ptr_array_index(m->failed_recipients, 0),
                        "old-chair@ietf.test");
    assert_string_equal(m->from_addr, "mailer-daemon@mx.ietf.test");
    assert_null(m->forwarded_by);
    assert_int_equal(m->attachments->len, 0);
    message_free(m);
}

/* s13: the text of an attached .txt is kept. */
static void
test_s13_text_attachment(void **state)
{
    struct message *m = parse_file("s13-fields-in-text-attachment.eml");

    (void) state;
    assert_int_equal(m->text_attachments->len, 1);
    assert_non_null(strstr(g_ptr_array_index(m->text_attachments, 0),
                           "Title: LS on clock synchronisation over packet networks"));
    assert_non_null(strstr(m->text, "Please find attached"));
    message_free(m);
}

/* s14: the forwarded statement comes from the inner message. */
static void
test_s14_forwarded(void **state)
{
    struct message *m = parse_file("s14-forwarded-rfc822.eml");

    (void) state;
    assert_string_equal(m->forwarded_by, "statements@ietf.test");
    assert_string_equal(m->message_id, "<C4-2611020@3gpp.test>");
    assert_string_equal(m->outer_message_id, "<fwd-c4-2611020@ietf.test>");
    assert_string_equal(m->from_addr, "kasia.nowicka@3gpp.test");
    assert_string_equal(m->to, "statements@ietf.test");
    assert_string_equal(m->subject,
        "LS on QUIC-based transport for the service based architecture");
    assert_string_equal(m->date, "Fri, 20 Nov 2026 09:15:00 +0000");
    assert_non_null(strstr(m->text, "QUIC streams"));
    assert_null(strstr(m->text, "Forwarding the statement below"));
    assert_int_equal(m->attachments->len, 0);
    message_free(m);
}

/* ---- features beyond the corpus --------------------------------------- */

/* RFC 2231 file names: charset, percent-encoding, continuations; and an
 * RFC 2047 encoded name as some clients send. */
static void
test_rfc2231_filename(void **state)
{
    struct message *m = parse_str(
        "From: a@example.test\n"
        "Subject: names\n"
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=\"b\"\n\n"
        "--b\nContent-Type: text/plain\n\nbody\n"
        "--b\nContent-Type: application/pdf\n"
        "Content-Disposition: attachment;\n"
        " filename*=utf-8''R%C3%A9ponse%20%C3%A0%20SG15.pdf\n\nA\n"
        "--b\nContent-Type: application/pdf\n"
        "Content-Disposition: attachment;\n"
        " filename*0*=iso-8859-1''Zo%EB-;\n"
        " filename*1=\"part two.pdf\"\n\nB\n"
        "--b\nContent-Type: application/msword;\n"
        " name=\"=?utf-8?q?M=C3=BCller=2Edoc?=\"\n\nC\n"
        "--b--\n");

    (void) state;
    assert_int_equal(m->attachments->len, 3);
    assert_string_equal(att(m, 0)->name, "R\xC3\xA9ponse \xC3\xA0 SG15.pdf");
    assert_string_equal(att(m, 1)->name, "Zo\xC3\xAB-part two.pdf");
    assert_string_equal(att(m, 2)->name, "M\xC3\xBCller.doc");
    assert_string_equal(att(m, 2)->type, "application/msword");
    message_free(m);
}

/* message_safe_filename: never a path, never hidden, never empty. */
static void
test_safe_filename(void **state)
{
    static const struct { const char *in, *out; } cases[] = {
        { "../../etc/passwd", "passwd" },
        { "C:\\x\\y.doc", "y.doc" },
        { "\x01" "evil", "evil" },
        { ".hidden", "hidden" },
        { "", "attachment" },
        { "..", "attachment" },
        { "dir/", "attachment" },
        { "  spaced name.pdf  ", "spaced name.pdf" },
        { "a\tb\nc.txt", "abc.txt" },
        { "invoice\xE2\x80\xAE" "fdp.exe", "invoicefdp.exe" },
        { "MEC(26)000318.docx", "MEC(26)000318.docx" },
        { "caf\xE9.txt", "caf\xEF\xBF\xBD.txt" },
    };
    char *s;
    GString *longname = g_string_new(NULL);

    (void) state;
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        s = message_safe_filename(cases[i].in);
        assert_string_equal(s, cases[i].out);
        g_free(s);
    }
    s = message_safe_filename(NULL);
    assert_string_equal(s, "attachment");
    g_free(s);
    /* long names keep their extension and stay within 200 bytes */
    for (int i = 0; i < 300; i++)
        g_string_append(longname, "\xC3\xA9");
    g_string_append(longname, ".pdf");
    s = message_safe_filename(longname->str);
    assert_true(strlen(s) <= 200);
    assert_true(g_str_has_suffix(s, ".pdf"));
    assert_true(g_utf8_validate(s, -1, NULL));
    g_free(s);
    g_string_free(longname, TRUE);
}

/* A stream that fails to read (a spool file opened the wrong way, a disk
 * error) is an I/O error, which the milter answers with TEMPFAIL, not
 * "empty" mail, which it would pass on unrecorded. */
static void
test_unreadable_stream(void **state)
{
    static const char text[] = "From: a@b.test\nSubject: x\n\nbody\n";
    char path[] = "/tmp/test_message.XXXXXX";
    GError *err = NULL;
    GMimeStream *s;
    struct message *m;
    int fd;

    (void) state;
    fd = g_mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, sizeof text - 1), (int) sizeof text - 1);
    close(fd);
    /* Write-only: its length and seeks work, every read fails (EBADF). */
    fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    unlink(path);
    s = g_mime_stream_fs_new(fd);
    m = message_parse_stream(s, NULL, &err);
    assert_null(m);
    assert_non_null(err);
    if (!g_error_matches(err, MESSAGE_ERROR, MESSAGE_ERROR_IO))
        fail_msg("want an I/O error, got %d: %s", err->code, err->message);
    g_clear_error(&err);
    g_object_unref(s);
}

/* Raw ISO-2022-JP in the headers switches character sets with ESC several
 * times a line: that is mail, not binary data, and its text is read. */
static void
test_raw_iso2022_headers(void **state)
{
    GString *s = g_string_new("From: Taro Yamada <t.yamada@ttc.test>\nSubject: ");
    GError *err = NULL;
    struct message *m;

    (void) state;
    for (int i = 0; i < 30; i++)
        g_string_append(s, "\x1b$B%j%(%>%s\x1b(B ");
    g_string_append(s, "\nTo: liaisons@ietf.test\n\nbody\n");
    m = message_parse(s->str, s->len, NULL, &err);
    if (m == NULL)
        fail_msg("refused: %s", err != NULL ? err->message : "?");
    /* ESC $ B %j%(%>%s ESC ( B is "リエゾン" (liaison) in JIS X 0208. */
    if (m->subject == NULL || !g_str_has_prefix(m->subject, "リエゾン リエゾン "))
        fail_msg("Subject: \"%.40s\"", m->subject != NULL ? m->subject : "(none)");
    message_free(m);
    g_string_free(s, TRUE);
}

/* What is not mail is refused with a reason. */
static void
test_not_mail(void **state)
{
    static const char binary[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    const char *texts[] = { "", "hello world\n", "\n\nFrom: a@b\n",
                            ": no name\n", "Bad Name: x\n" };
    GError *err = NULL;
    struct message *m;

    (void) state;
    for (gsize i = 0; i < G_N_ELEMENTS(texts); i++) {
        m = message_parse(texts[i], strlen(texts[i]), NULL, &err);
        assert_null(m);
        assert_non_null(err);
        assert_true(g_error_matches(err, MESSAGE_ERROR, MESSAGE_ERROR_NOT_MAIL));
        g_clear_error(&err);
    }
    m = message_parse(binary, sizeof binary - 1, NULL, &err);
    assert_null(m);
    assert_non_null(err);
    g_clear_error(&err);
    m = message_parse(NULL, 0, NULL, &err);
    assert_null(m);
    assert_non_null(strstr(err->message, "empty"));
    g_clear_error(&err);
    /* binary after a plausible first line */
    {
        GString *s = g_string_new("X: y\n");
        for (int i = 0; i < 2000; i++)
            g_string_append_c(s, (char) (i % 32 == 10 ? 1 : i % 32));
        m = message_parse(s->str, s->len, NULL, &err);
        assert_null(m);
        assert_non_null(err);
        g_clear_error(&err);
        g_string_free(s, TRUE);
    }
}

/* multipart/alternative: plain is the text, the HTML is no attachment;
 * when only HTML is there it is rendered. */
static void
test_alternative(void **state)
{
    struct message *m = parse_str(
        "From: a@example.test\nSubject: alt\nMIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=\"out\"\n\n"
        "--out\nContent-Type: multipart/alternative; boundary=\"alt\"\n\n"
        "--alt\nContent-Type: text/html\n\n<p>html version</p>\n"
        "--alt\nContent-Type: text/plain\n\nplain version\n"
        "--alt--\n"
        "--out\nContent-Type: image/png\n\nPNG\n"
        "--out\nContent-Type: text/plain\n\nsecond text\n"
        "--out--\n");

    (void) state;
    assert_string_equal(m->text, "plain version");
    assert_int_equal(m->attachments->len, 2);
    assert_string_equal(att(m, 0)->type, "image/png");
    assert_string_equal(att(m, 0)->name, "attachment");
    assert_string_equal(att(m, 1)->type, "text/plain");
    assert_string_equal(att(m, 1)->name, "attachment.txt");
    assert_int_equal(m->text_attachments->len, 1);
    message_free(m);

    m = parse_str(
        "From: a@example.test\nSubject: alt\nMIME-Version: 1.0\n"
        "Content-Type: multipart/alternative; boundary=\"alt\"\n\n"
        "--alt\nContent-Type: text/html; charset=iso-8859-1\n\n"
        "<html><head><title>t</title><style>p{}</style></head><body>"
        "<h1>Caf\xE9</h1><p>a&nbsp;b<br>c</p><ul><li>one<li>two</ul>"
        "<pre>x   y</pre></body></html>\n"
        "--alt--\n");
    assert_string_equal(m->text, "Caf\xC3\xA9\na b\nc\none\ntwo\nx   y");
    assert_int_equal(m->attachments->len, 0);
    message_free(m);
}

/* A plain rendering with nothing in it (as some web mailers and mail
 * merges send beside the letter) is no reading of the letter: the HTML
 * rendering of the same alternative is, and the blank part is no
 * attachment.  A plain part with words stays the one read. */
static void
test_alternative_blank_plain(void **state)
{
    struct message *m = parse_str(
        "From: a@example.test\nSubject: blank\nMIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=\"out\"\n\n"
        "--out\nContent-Type: multipart/alternative; boundary=\"alt\"\n\n"
        "--alt\nContent-Type: text/plain; charset=utf-8\n\n"
        " \r\n\xC2\xA0\n\n"
        "--alt\nContent-Type: multipart/related; boundary=\"rel\"\n\n"
        "--rel\nContent-Type: text/html\n\n"
        "<table><tr><td>Title:</td><td>LS on TR-471</td></tr></table>\n"
        "--rel\nContent-Type: image/png; name=\"logo.png\"\n"
        "Content-ID: <logo>\n\nPNG\n"
        "--rel--\n"
        "--alt--\n"
        "--out\nContent-Type: application/pdf; name=\"LS.pdf\"\n"
        "Content-Disposition: attachment; filename=\"LS.pdf\"\n\nPDF\n"
        "--out--\n");

    (void) state;
    assert_string_equal(m->text, "Title: LS on TR-471");
    assert_int_equal(m->attachments->len, 2);
    assert_string_equal(att(m, 0)->name, "logo.png");
    assert_string_equal(att(m, 1)->name, "LS.pdf");
    assert_int_equal(m->text_attachments->len, 0);
    message_free(m);

    m = parse_str(
        "From: a@example.test\nSubject: words\nMIME-Version: 1.0\n"
        "Content-Type: multipart/alternative; boundary=\"alt\"\n\n"
        "--alt\nContent-Type: text/plain\n\n.\n"
        "--alt\nContent-Type: text/html\n\n<p>html version</p>\n"
        "--alt--\n");
    assert_string_equal(m->text, ".");
    assert_int_equal(m->attachments->len, 0);
    message_free(m);
}

/* The envelope read out of an HTML-only letter. */
static struct envelope *
html_envelope(const char *html)
{
    GString *raw = g_string_new(
        "From: Ann Bee <ann@bbf.test>\nTo: statements@ietf.test\n"
        "Subject: New liaison statement\nMIME-Version: 1.0\n"
        "Content-Type: text/html; charset=utf-8\n\n");
    struct message *m;
    struct envelope *env = envelope_new();

    g_string_append(raw, html);
    m = parse_str(raw->str);
    envelope_scan(env, m->text);
    message_free(m);
    g_string_free(raw, TRUE);
    return env;
}

/* The ITU-T and BBF Word templates pasted into Outlook: a table of
 * label cell and value cell, each line a <p class=MsoNormal>, and the
 * letter's prose after the table, which is no field's. */
static const char outlook_table[] =
    "<html><head><style>p.MsoNormal{margin:0cm}</style></head>"
    "<body lang=EN-US><div class=WordSection1>"
    "<table class=MsoTableGrid border=1 cellspacing=0 cellpadding=0>\n"
    "<tr><td width=180 valign=top><p class=MsoNormal><b>Title:</b><o:p></o:p></p></td>\n"
    "<td width=420 valign=top><p class=MsoNormal>LS on TR-471 IP capacity "
    "measurement<o:p></o:p></p><p class=MsoNormal>and its YANG module<o:p></o:p></p>"
    "</td></tr>\n"
    "<tr><td width=180 valign=top><p class=MsoNormal><b>From:</b></p></td>\n"
    "<td width=420 valign=top><p class=MsoNormal>Broadband Forum</p></td></tr>\n"
    "<tr><td width=180 valign=top><p class=MsoNormal><b>To:</b></p></td>\n"
    "<td width=420 valign=top><p class=MsoNormal>IETF IPPM WG</p></td></tr>\n"
    "<tr><td width=180 valign=top><p class=MsoNormal><b>Purpose</b></p></td>\n"
    "<td width=420 valign=top><p class=MsoNormal>For action</p></td></tr>\n"
    "<tr><td width=180 valign=top><p class=MsoNormal><b>Deadline</b></p></td>\n"
    "<td width=420 valign=top><p class=MsoNormal>15 January 2027</p></td></tr>\n"
    "<tr><td width=180 valign=top><p class=MsoNormal><b>Response Contact:</b></p></td>\n"
    "<td width=420 valign=top><p class=MsoNormal>Lin Lavalle<br>Broadband Forum"
    "<br>ll@bbf.test</p></td></tr>\n"
    "<tr><td width=180 valign=top><p class=MsoNormal><b>Technical Contact:</b></p></td>\n"
    "<td width=420 valign=top><p class=MsoNormal>Ann Bee</p>"
    "<p class=MsoNormal>Broadband Forum</p><p class=MsoNormal>Tel: +1 555 0100</p>"
    "<p class=MsoNormal><a href=\"mailto:ann@bbf.test\">ann@bbf.test</a></p>"
    "</td></tr>\n"
    "</table>\n"
    "<p class=MsoNormal><o:p>&nbsp;</o:p></p>"
    "<p class=MsoNormal>Dear colleagues,</p>"
    "<p class=MsoNormal>Please send comments to office@bbf.test by then.</p>"
    "<p class=MsoNormal>Kind regards,<br>Carl Dee<br>+41 22 730 0000</p>"
    "</div></body></html>\n";

/* The same layout with plain cells and <br> line breaks. */
static const char plain_table[] =
    "<table><tr><td><b>Title</b></td><td>LS on G.8275.1<br>timing profiles</td></tr>"
    "<tr><td><b>Deadline</b></td><td>15 January 2027</td></tr>"
    "<tr><td>Purpose</td><td>For comment</td></tr>"
    "<tr><th>Contact</th><td>Carl Dee<br>cd@itu.test<br>+41 22 730 0000</td></tr>"
    "</table><p>Dear colleagues,</p><p>Kind regards,<br>Carl Dee<br>Rapporteur Q13/15</p>";

/* Assert a contact list of one person. */
static void
assert_one_contact(GPtrArray *list, const char *name, const char *addr)
{
    const struct contact *c;

    assert_int_equal(list->len, 1);
    c = g_ptr_array_index(list, 0);
    assert_non_null(c->name);
    assert_non_null(c->addr);
    assert_string_equal(c->name, name);
    assert_string_equal(c->addr, addr);
}

/* A Word table (class MsoTableGrid) of the given rows. */
#define WORD_TABLE(rows) \
    "<table class=MsoTableGrid border=1 cellspacing=0 cellpadding=0>\n" \
    rows "</table>\n"

/* One row of a Word table: a bold label cell and a value cell. */
#define WORD_ROW(label, value) \
    "<tr><td width=180 valign=top><p class=MsoNormal><b>" label \
    "</b></p></td>\n<td width=420 valign=top>" value "</td></tr>\n"

/* A Word table whose first row is column headings, shaded and bold as
 * Word's "Header Row" style makes it, above a From, Title and To row. */
#define HEADING_TABLE(head1, head2) \
    "<div class=WordSection1><table class=MsoTableGrid border=1 " \
    "cellspacing=0 cellpadding=0>\n" \
    "<tr><td width=180 valign=top style='background:#D9D9D9'>" \
    "<p class=MsoNormal><b>" head1 "<o:p></o:p></b></p></td>\n" \
    "<td width=420 valign=top style='background:#D9D9D9'>" \
    "<p class=MsoNormal><b>" head2 "<o:p></o:p></b></p></td></tr>\n" \
    WORD_ROW("From:", "<p class=MsoNormal>ITU-T Study Group 15</p>") \
    WORD_ROW("Title:", "<p class=MsoNormal>LS on OTN YANG models</p>") \
    WORD_ROW("To:", "<p class=MsoNormal>IETF CCAMP WG</p>") \
    "</table></div>\n"

/* A Word table whose To cell is the given lines, beside a two-line For
 * information cell and a two-line Title cell. */
#define TO_LINES_TABLE(to_cell) \
    WORD_TABLE( \
        WORD_ROW("To:", to_cell) \
        WORD_ROW("For information to:", \
                 "<p class=MsoNormal>IETF TEAS WG<br>IETF OPSAWG</p>") \
        WORD_ROW("Title:", "<p class=MsoNormal>LS on OTN YANG models</p>" \
                 "<p class=MsoNormal>and their alignment</p>"))

/* In a row's field: that field must be empty. */
static const char NOTHING[] = "(nothing)";

/* One HTML-only letter and the envelope fields read out of it that must
 * be the row's.  A field left out is not checked; NOTHING asks for an
 * empty one.  A list ends at its first NULL; a contact is one
 * name/address pair. */
struct html_row {
    const char *name;
    const char *html;
    const char *title, *from_body, *to_body, *deadline;
    const char *purpose;        /* purpose_name() of the purpose */
    const char *to_list[4], *info_to[4];
    const char *resp[2], *tech[2];
};

/* Fail, naming the row and the field, when a string is not the row's. */
static void
check_str(const struct html_row *r, const char *field, const char *got,
          const char *want)
{
    if (want == NULL)
        return;
    if (want == NOTHING)
        want = NULL;
    if (g_strcmp0(got, want) != 0)
        fail_msg("%s: %s got \"%s\" want \"%s\"", r->name, field,
                 got ? got : "(null)", want ? want : "(null)");
}

/* Fail, naming the row and the field, when a list of strings is not the
 * row's (want holds at most 4 entries and ends at its first NULL). */
static void
check_strv(const struct html_row *r, const char *field, GPtrArray *got,
           const char *const want[4])
{
    guint n = 0;

    if (want[0] == NULL)
        return;
    while (n < 4 && want[n] != NULL && want[n] != NOTHING)
        n++;
    if (got->len != n)
        fail_msg("%s: %s got %u entries (first \"%s\") want %u", r->name,
                 field, got->len,
                 got->len ? (const char *) g_ptr_array_index(got, 0) : "-", n);
    for (guint i = 0; i < n; i++)
        if (g_strcmp0(g_ptr_array_index(got, i), want[i]) != 0)
            fail_msg("%s: %s[%u] got \"%s\" want \"%s\"", r->name, field, i,
                     (const char *) g_ptr_array_index(got, i), want[i]);
}

/* Fail, naming the row and the field, unless the list is the row's one
 * contact with both a name and an address. */
static void
check_contact(const struct html_row *r, const char *field, GPtrArray *got,
              const char *const want[2])
{
    const struct contact *c;

    if (want[0] == NULL)
        return;
    if (got->len != 1)
        fail_msg("%s: %s got %u contacts want 1", r->name, field, got->len);
    c = g_ptr_array_index(got, 0);
    if (c->name == NULL || c->addr == NULL ||
        strcmp(c->name, want[0]) != 0 || strcmp(c->addr, want[1]) != 0)
        fail_msg("%s: %s got %s <%s> want %s <%s>", r->name, field,
                 c->name ? c->name : "-", c->addr ? c->addr : "-",
                 want[0], want[1]);
}

/* Word and plain HTML tables of label and value cells, each a letter's
 * whole text, and what the envelope must read out of them.  The comment
 * above a row, or beside a field, says which fault the case caught. */
static const struct html_row html_rows[] = {
    {
        .name = "outlook table",
        .html = outlook_table,
        /* A Title cell of two lines (two <p>, or a <br>) kept its first
         * only. */
        .title = "LS on TR-471 IP capacity measurement and its YANG module",
        .from_body = "Broadband Forum",
        .to_body = "IETF IPPM WG",
        /* A contact cell of name, organisation (and phone) and address
         * lost the address: the organisation's line ended the contact. */
        .resp = { "Lin Lavalle", "ll@bbf.test" },
        .tech = { "Ann Bee", "ann@bbf.test" },
        /* A label cell with no colon ("<td><b>Deadline</b></td>") was no
         * label. */
        .purpose = "action",
        .deadline = "2027-01-15",
    },
    {
        .name = "plain table",
        .html = plain_table,
        .title = "LS on G.8275.1 timing profiles",
        /* The phone line after the address is no second contact. */
        .tech = { "Carl Dee", "cd@itu.test" },
        .purpose = "comment",
        .deadline = "2027-01-15",
    },

    /* A Word table whose first row is column headings: "Title |
     * Description" read as a Title of "Description", and the real Title
     * row below lost (the first value wins). */
    {
        .name = "heading row Title | Description",
        .html = HEADING_TABLE("Title", "Description"),
        .title = "LS on OTN YANG models",
        .from_body = "ITU-T Study Group 15",
        .to_body = "IETF CCAMP WG",
        .to_list = { "IETF CCAMP WG" },
    },
    {
        .name = "heading row Title: | Description:",
        .html = HEADING_TABLE("Title:", "Description:"),
        .title = "LS on OTN YANG models",
        .from_body = "ITU-T Study Group 15",
        .to_body = "IETF CCAMP WG",
        .to_list = { "IETF CCAMP WG" },
    },
    {
        .name = "heading row Field | Value",
        .html = HEADING_TABLE("Field", "Value"),
        .title = "LS on OTN YANG models",
        .from_body = "ITU-T Study Group 15",
        .to_body = "IETF CCAMP WG",
        .to_list = { "IETF CCAMP WG" },
    },
    {
        .name = "heading row Item | Content",
        .html = HEADING_TABLE("Item", "Content"),
        .title = "LS on OTN YANG models",
        .from_body = "ITU-T Study Group 15",
        .to_body = "IETF CCAMP WG",
        .to_list = { "IETF CCAMP WG" },
    },
    {
        .name = "heading row To | Contents",
        .html = HEADING_TABLE("To", "Contents"),
        .title = "LS on OTN YANG models",
        .from_body = "ITU-T Study Group 15",
        .to_body = "IETF CCAMP WG",
        .to_list = { "IETF CCAMP WG" },
    },

    /* A label row whose value cell is empty (Word's "<o:p>&nbsp;</o:p>"):
     * the next row, label and all, was read as its value, a Title of
     * "Meeting: Geneva, 16-27 March 2027". */
    {
        .name = "empty title cell",
        .html =
            "<table class=MsoTableGrid border=1 cellspacing=0 cellpadding=0>\n"
            "<tr><td width=180 valign=top><p class=MsoNormal><b>Title:</b></p></td>\n"
            "<td width=420 valign=top><p class=MsoNormal><o:p>&nbsp;</o:p></p></td></tr>\n"
            "<tr><td width=180 valign=top><p class=MsoNormal><b>Meeting:</b></p></td>\n"
            "<td width=420 valign=top><p class=MsoNormal>Geneva, 16-27 March 2027</p>"
            "</td></tr>\n"
            "<tr><td width=180 valign=top><p class=MsoNormal><b>From:</b></p></td>\n"
            "<td width=420 valign=top><p class=MsoNormal>ITU-T Study Group 15</p></td></tr>\n"
            "<tr><td width=180 valign=top><p class=MsoNormal><b>To:</b></p></td>\n"
            "<td width=420 valign=top></td></tr>\n"
            "<tr><td width=180 valign=top><p class=MsoNormal><b>Document:</b></p></td>\n"
            "<td width=420 valign=top><p class=MsoNormal>SG15-LS123</p></td></tr>\n"
            "</table>\n",
        .title = NOTHING,
        .to_body = NOTHING,
        .to_list = { NOTHING },
        .from_body = "ITU-T Study Group 15",
    },
    {
        /* The 3GPP form as a table: "Contact Person:" beside an empty
         * cell, then its "Name:" and "E-mail Address:" rows, is still a
         * block. */
        .name = "empty contact person cell",
        .html =
            "<table class=MsoTableGrid border=1 cellspacing=0 cellpadding=0>\n"
            "<tr><td width=180 valign=top><p class=MsoNormal><b>Title:</b></p></td>\n"
            "<td width=420 valign=top><p class=MsoNormal>LS on QoS monitoring</p>"
            "</td></tr>\n"
            "<tr><td width=180 valign=top><p class=MsoNormal><b>Contact Person:</b>"
            "</p></td>\n"
            "<td width=420 valign=top><p class=MsoNormal><o:p>&nbsp;</o:p></p></td></tr>\n"
            "<tr><td width=180 valign=top><p class=MsoNormal>Name:</p></td>\n"
            "<td width=420 valign=top><p class=MsoNormal>Ann Bee</p></td></tr>\n"
            "<tr><td width=180 valign=top><p class=MsoNormal>E-mail Address:</p></td>\n"
            "<td width=420 valign=top><p class=MsoNormal>ann@bbf.test</p></td></tr>\n"
            "</table>\n",
        .title = "LS on QoS monitoring",
        .tech = { "Ann Bee", "ann@bbf.test" },
    },

    /* A To cell of several bodies, a line each (two <p>, or a <br>): they
     * were run together with blanks into one addressee, "ITU-T SG15 IETF
     * CCAMP WG", which no group in the directory matches as a whole.  A
     * title's lines stay one title. */
    {
        .name = "to cell of two <p>",
        .html = TO_LINES_TABLE("<p class=MsoNormal>ITU-T SG15<o:p></o:p></p>"
                               "<p class=MsoNormal>IETF CCAMP WG<o:p></o:p></p>"),
        .to_body = "ITU-T SG15, IETF CCAMP WG",
        .to_list = { "ITU-T SG15", "IETF CCAMP WG" },
        .info_to = { "IETF TEAS WG", "IETF OPSAWG" },
        .title = "LS on OTN YANG models and their alignment",
    },
    {
        .name = "to cell with <br>",
        .html = TO_LINES_TABLE("<p class=MsoNormal>ITU-T SG15<br>IETF CCAMP WG<o:p></o:p></p>"),
        .to_body = "ITU-T SG15, IETF CCAMP WG",
        .to_list = { "ITU-T SG15", "IETF CCAMP WG" },
        .info_to = { "IETF TEAS WG", "IETF OPSAWG" },
        .title = "LS on OTN YANG models and their alignment",
    },
};

/* Read each row's letter and check the row's fields; every failure
 * names the row. */
static void
test_html_cells(void **state)
{
    (void) state;
    for (gsize i = 0; i < G_N_ELEMENTS(html_rows); i++) {
        const struct html_row *r = &html_rows[i];
        struct envelope *env = html_envelope(r->html);

        check_str(r, "title", env->title, r->title);
        check_str(r, "from_body", env->from_body, r->from_body);
        check_str(r, "to_body", env->to_body, r->to_body);
        check_str(r, "deadline", env->deadline, r->deadline);
        check_str(r, "purpose", purpose_name(env->purpose), r->purpose);
        check_strv(r, "to_list", env->to_list, r->to_list);
        check_strv(r, "info_to", env->info_to, r->info_to);
        check_contact(r, "response_contacts", env->response_contacts, r->resp);
        check_contact(r, "technical_contacts", env->technical_contacts, r->tech);
        envelope_free(env);
    }
}

/* The Outlook table of a letter whose markup is too deep for libxml2
 * (a long thread quoted below it), so stripped roughly: the rough strip
 * wrote each <p> and each line of the markup as a line of its own, with
 * empty ones between, and read no field at all. */
static void
test_html_cell_rough(void **state)
{
    GString *raw = g_string_new(
        "From: Ann Bee <ann@bbf.test>\nTo: statements@ietf.test\n"
        "Subject: New liaison statement\nMIME-Version: 1.0\n"
        "Content-Type: text/html; charset=utf-8\n\n");
    const char *end = strstr(outlook_table, "</div></body>");
    struct envelope *env = envelope_new();
    struct message *m;

    (void) state;
    g_string_append_len(raw, outlook_table, end - outlook_table);
    for (int i = 0; i < 300; i++)
        g_string_append(raw, "<div>");
    g_string_append(raw, "<p>Earlier mail, quoted.</p>");
    for (int i = 0; i < 300; i++)
        g_string_append(raw, "</div>");
    g_string_append(raw, end);
    m = parse_str(raw->str);
    assert_true(has_problem(m, "extracted roughly"));
    envelope_scan(env, m->text);
    assert_non_null(env->title);
    assert_string_equal(env->title,
                        "LS on TR-471 IP capacity measurement and its YANG module");
    assert_string_equal(env->from_body, "Broadband Forum");
    assert_string_equal(env->to_body, "IETF IPPM WG");
    assert_int_equal(env->purpose, PURPOSE_ACTION);
    assert_non_null(env->deadline);
    assert_string_equal(env->deadline, "2027-01-15");
    assert_one_contact(env->response_contacts, "Lin Lavalle", "ll@bbf.test");
    assert_one_contact(env->technical_contacts, "Ann Bee", "ann@bbf.test");
    /* the words after the table are kept, roughly */
    assert_non_null(strstr(m->text, "Earlier mail, quoted."));
    assert_non_null(strstr(m->text, "Dear colleagues,"));
    envelope_free(env);
    message_free(m);
    g_string_free(raw, TRUE);
}

/* A plain rendering that is only a stub, "This message is in HTML
 * format" as list gateways and bulk mailers write it beside the letter,
 * says none of the envelope's labels while the HTML rendering has them:
 * the letter is read from the HTML, and what was wrong with the stub
 * (an unknown charset here) is no problem of the message.  A plain
 * rendering with a label stays the one read, and so does one beside an
 * HTML rendering with no label either (an informal letter). */
static void
test_alternative_stub_plain(void **state)
{
    static const char *const stubs[] = {
        /* Content-Transfer-Encoding, stub, as the gateways write them */
        "7bit", "This message is in HTML format. Please use an "
        "HTML-capable reader.\n",
        "7bit", "Your mail client does not support HTML\r\n",
        "quoted-printable", "[This message contains HTML content]=0A",
        "7bit", "This is an HTML message. To read it, switch your mail "
        "program to HTML view.\n\n-- \nSent by the liaison list gateway\n",
    };
    const char *html =
        "<html><head><style>p{margin:0}</style></head><body>\n"
        "<table border=1>\n"
        "<tr><td><b>From:</b></td><td>ITU-T Study Group 15</td></tr>\n"
        "<tr><td><b>To:</b></td><td>IETF CCAMP Working Group</td></tr>\n"
        "<tr><td><b>Title:</b></td><td>LS on OTN YANG models</td></tr>\n"
        "<tr><td><b>Purpose:</b></td><td>For action</td></tr>\n"
        "<tr><td><b>Deadline:</b></td><td>15 March 2027</td></tr>\n"
        "</table>\n<p>Dear colleagues,</p></body></html>\n";

    (void) state;
    for (gsize i = 0; i < G_N_ELEMENTS(stubs); i += 2) {
        char *raw = g_strconcat(
            "From: \"ITU-T SG15 Secretariat\" <tsbsg15@itu.test>\n"
            "To: liaisons@ietf.test\nSubject: LS on OTN YANG models\n"
            "Message-ID: <stub@itu.test>\nMIME-Version: 1.0\n"
            "Content-Type: multipart/mixed; boundary=\"mix\"\n\n"
            "This is a multi-part message in MIME format.\n"
            "--mix\nContent-Type: multipart/alternative; boundary=\"alt\"\n\n"
            "--alt\nContent-Type: text/plain; charset=\"x-gateway\"\n"
            "Content-Transfer-Encoding: ", stubs[i], "\n\n", stubs[i + 1],
            "\n--alt\nContent-Type: multipart/related; boundary=\"rel\"\n\n"
            "--rel\nContent-Type: text/html; charset=\"utf-8\"\n\n", html,
            "--rel\nContent-Type: image/png; name=\"logo.png\"\n"
            "Content-ID: <logo>\n\nPNG\n--rel--\n--alt--\n"
            "--mix\nContent-Type: application/pdf; name=\"LS.pdf\"\n"
            "Content-Disposition: attachment; filename=\"LS.pdf\"\n\nPDF\n"
            "--mix--\n", NULL);
        struct message *m = parse_str(raw);
        struct envelope *env = envelope_new();

        envelope_scan(env, m->text);
        if (env->title == NULL)
            fail_msg("stub %zu read: \"%s\"", i / 2, m->text);
        assert_string_equal(env->title, "LS on OTN YANG models");
        assert_string_equal(env->from_body, "ITU-T Study Group 15");
        assert_string_equal(env->deadline, "2027-03-15");
        assert_null(strstr(m->text, "HTML"));
        assert_false(has_problem(m, "x-gateway"));
        assert_int_equal(m->attachments->len, 2);
        assert_string_equal(att(m, 0)->name, "logo.png");
        assert_string_equal(att(m, 1)->name, "LS.pdf");
        assert_int_equal(m->text_attachments->len, 0);
        envelope_free(env);
        message_free(m);
        g_free(raw);
    }

    /* A plain rendering with a label is the letter, whatever the HTML. */
    {
        struct message *m = parse_str(
            "From: a@example.test\nSubject: plain\nMIME-Version: 1.0\n"
            "Content-Type: multipart/alternative; boundary=\"alt\"\n\n"
            "--alt\nContent-Type: text/plain\n\nTitle: LS on X\n"
            "--alt\nContent-Type: text/html\n\n"
            "<p>Title: LS on Y</p><p>From: ITU-T SG15</p>\n"
            "--alt--\n");

        assert_string_equal(m->text, "Title: LS on X");
        message_free(m);
    }
    /* No label on either side: the plain rendering stays. */
    {
        struct message *m = parse_str(
            "From: a@example.test\nSubject: informal\nMIME-Version: 1.0\n"
            "Content-Type: multipart/alternative; boundary=\"alt\"\n\n"
            "--alt\nContent-Type: text/plain\n\nDear colleagues, see the "
            "attached LS.\n"
            "--alt\nContent-Type: text/html\n\n<p>Dear colleagues, see "
            "the <b>attached</b> LS.</p>\n"
            "--alt--\n");

        assert_string_equal(m->text, "Dear colleagues, see the attached LS.");
        assert_int_equal(m->attachments->len, 0);
        message_free(m);
    }
}

/* Apple Mail's alternative{plain, mixed{html, pdf, html}}: the PDF of
 * the HTML rendering is an attachment, its HTML is not; a file in two
 * renderings is recorded once. */
static void
test_alternative_attachments(void **state)
{
    struct message *m = parse_str(
        "From: a@example.test\nSubject: apple\nMIME-Version: 1.0\n"
        "Content-Type: multipart/alternative; boundary=\"alt\"\n\n"
        "--alt\nContent-Type: text/plain\n\nplain version\n"
        "--alt\nContent-Type: multipart/mixed; boundary=\"mix\"\n\n"
        "--mix\nContent-Type: text/html\n\n<p>html version</p>\n"
        "--mix\nContent-Type: application/pdf; name=\"LS.pdf\"\n"
        "Content-Disposition: inline; filename=\"LS.pdf\"\n"
        "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n"
        "--mix\nContent-Type: text/html\n\n<p>after the file</p>\n"
        "--mix--\n"
        "--alt--\n");

    (void) state;
    assert_string_equal(m->text, "plain version");
    assert_int_equal(m->attachments->len, 1);
    assert_string_equal(att(m, 0)->name, "LS.pdf");
    assert_string_equal(att(m, 0)->type, "application/pdf");
    assert_int_equal(att(m, 0)->size, 9);
    assert_int_equal(m->text_attachments->len, 0);
    assert_int_equal(m->problems->len, 0);
    message_free(m);

    /* Both renderings carry the same file, and the HTML one another. */
    m = parse_str(
        "From: a@example.test\nSubject: twice\nMIME-Version: 1.0\n"
        "Content-Type: multipart/alternative; boundary=\"alt\"\n\n"
        "--alt\nContent-Type: multipart/mixed; boundary=\"m1\"\n\n"
        "--m1\nContent-Type: text/plain\n\nplain version\n"
        "--m1\nContent-Type: application/pdf\n"
        "Content-Disposition: attachment; filename=\"LS.pdf\"\n\nPDF bytes\n"
        "--m1--\n"
        "--alt\nContent-Type: multipart/related; boundary=\"m2\"\n\n"
        "--m2\nContent-Type: text/html\n\n<p>html version</p>\n"
        "--m2\nContent-Type: application/pdf\n"
        "Content-Disposition: attachment; filename=\"copy.pdf\"\n\nPDF bytes\n"
        "--m2\nContent-Type: text/plain\n"
        "Content-Disposition: attachment; filename=\"notes.txt\"\n\nnotes\n"
        "--m2--\n"
        "--alt--\n");
    assert_string_equal(m->text, "plain version");
    assert_int_equal(m->attachments->len, 2);
    assert_string_equal(att(m, 0)->name, "LS.pdf");
    assert_string_equal(att(m, 1)->name, "notes.txt");
    assert_int_equal(m->text_attachments->len, 1);
    assert_string_equal(g_ptr_array_index(m->text_attachments, 0), "notes");
    message_free(m);
}

/* CRLF mail (as it comes off SMTP), an mbox From_ line, a group address,
 * classification headers and a Message-ID-less message. */
static void
test_crlf_and_headers(void **state)
{
    struct message *m = parse_str(
        "From sender@example.test Mon Nov 30 09:15:00 2026\r\n"
        "From: Team: Alice <ALICE@Example.TEST>;\r\n"
        "To: x@example.test\r\n"
        "Subject: crlf\r\n"
        "Precedence: bulk\r\n"
        "List-Id: <ccamp.ietf.test>\r\n"
        "X-Liaison-Loop: liaisons@ietf.test\r\n"
        "References: <a@x> junk <b@y>\r\n"
        "\r\n"
        "line one\r\nline two\r\n");

    (void) state;
    assert_string_equal(m->from_addr, "alice@example.test");
    assert_string_equal(m->from, "Alice <alice@example.test>");
    assert_string_equal(m->precedence, "bulk");
    assert_string_equal(m->list_id, "<ccamp.ietf.test>");
    assert_string_equal(m->loop, "liaisons@ietf.test");
    assert_null(m->message_id);
    assert_null(m->outer_message_id);
    assert_int_equal(m->references->len, 2);
    assert_string_equal(g_ptr_array_index(m->references, 0), "<a@x>");
    assert_string_equal(g_ptr_array_index(m->references, 1), "<b@y>");
    assert_string_equal(m->text, "line one\nline two\n");
    message_free(m);
}

/* The limits are honoured: text cut, parts and depth bounded. */
static void
test_limits(void **state)
{
    struct message_limits lim;
    GError *err = NULL;
    const char *raw =
        "From: a@example.test\nSubject: l\nMIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=\"a\"\n\n"
        "--a\nContent-Type: text/plain\n\n\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9 long text\n"
        "--a\nContent-Type: multipart/mixed; boundary=\"b\"\n\n"
        "--b\nContent-Type: application/pdf\n\nP\n--b--\n"
        "--a\nContent-Type: application/zip\n\nZ\n"
        "--a--\n";
    struct message *m;

    (void) state;
    message_limits_default(&lim);
    assert_int_equal(lim.max_parts, 1000);
    assert_int_equal(lim.max_depth, 32);
    assert_int_equal(lim.max_text, 1024 * 1024);
    lim.max_text = 5;
    m = message_parse(raw, strlen(raw), &lim, &err);
    assert_non_null(m);
    assert_string_equal(m->text, "\xC3\xA9\xC3\xA9");     /* cut on a character */
    assert_true(has_problem(m, "cut"));
    assert_int_equal(m->attachments->len, 2);
    message_free(m);

    message_limits_default(&lim);
    lim.max_depth = 1;     /* only the top multipart and its children */
    m = message_parse(raw, strlen(raw), &lim, &err);
    assert_non_null(m);
    assert_true(has_problem(m, "nest"));
    message_free(m);

    message_limits_default(&lim);
    lim.max_parts = 3;
    m = message_parse(raw, strlen(raw), &lim, &err);
    assert_non_null(m);
    assert_true(has_problem(m, "more than 3 MIME parts"));
    assert_true(m->attachments->len < 2);
    message_free(m);
}

/* An HTML body is rendered up to twice max_text, no further: libxml2's
 * tree costs many times the markup. */
static void
test_html_render_bound(void **state)
{
    struct message_limits lim;
    GError *err = NULL;
    GString *raw = g_string_new("From: a@itu.test\nSubject: html\nMIME-Version: 1.0\n"
                                "Content-Type: text/html; charset=utf-8\n\n"
                                "<html><body><p>early words</p>");
    struct message *m;

    (void) state;
    while (raw->len < 2500)
        g_string_append(raw, "<p>filler filler filler</p>\n");
    g_string_append(raw, "<p>late words</p></body></html>\n");
    message_limits_default(&lim);
    lim.max_text = 1000;
    m = message_parse(raw->str, raw->len, &lim, &err);
    assert_non_null(m);
    assert_true(has_problem(m, "The HTML body is longer than 2000 bytes; only its "
                            "beginning was rendered."));
    assert_non_null(strstr(m->text, "early words"));
    assert_null(strstr(m->text, "late words"));
    message_free(m);
    g_string_free(raw, TRUE);
}

/* An answer that attaches the statement it answers is not a forward. */
static void
test_reply_with_attached_message(void **state)
{
    struct message *m = parse_str(
        "From: Chair <chair@ietf.test>\nSubject: Re: LS\n"
        "Message-ID: <answer@ietf.test>\nIn-Reply-To: <ls@itu.test>\n"
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=\"r\"\n\n"
        "--r\nContent-Type: text/plain\n\nWe agree.\n"
        "--r\nContent-Type: message/rfc822\n\n"
        "From: a@itu.test\nSubject: LS on things\nMessage-ID: <ls@itu.test>\n\n"
        "the statement\n"
        "--r--\n");

    (void) state;
    assert_null(m->forwarded_by);
    assert_string_equal(m->message_id, "<answer@ietf.test>");
    assert_string_equal(m->in_reply_to, "<ls@itu.test>");
    assert_string_equal(m->text, "We agree.");
    assert_int_equal(m->attachments->len, 1);
    assert_string_equal(att(m, 0)->type, "message/rfc822");
    assert_string_equal(att(m, 0)->name, "LS on things.eml");
    message_free(m);
}

/* The earlier statement attached: "LS on things", as an attached message. */
#define EARLIER_LS \
    "Content-Type: message/rfc822\n\n" \
    "From: a@itu.test\nSubject: LS on things\nMessage-ID: <ls@itu.test>\n" \
    "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"i\"\n\n" \
    "--i\nContent-Type: text/plain\n\nthe earlier statement\n" \
    "--i\nContent-Type: application/pdf\n" \
    "Content-Disposition: attachment; filename=\"earlier.pdf\"\n\nEARLIER\n" \
    "--i--\n"

/* Only a bare forward is unwrapped: a statement of its own (an envelope
 * in its text, a document of its own, a long text) that attaches an
 * earlier one keeps it as an attachment; a forward keeps the forwarder's
 * files besides the statement's. */
static void
test_attached_message_not_forward(void **state)
{
    struct message *m = parse_str(
        "From: Chair <chair@itu.test>\nSubject: Reply LS on things\n"
        "Message-ID: <reply@itu.test>\nMIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=\"r\"\n\n"
        "--r\nContent-Type: text/plain\n\n"
        "Title: Reply LS on things\nFrom: ITU-T SG15\nTo: IETF CCAMP\n"
        "Purpose: For information\n\nWe agree.\n"
        "--r\n" EARLIER_LS
        "--r--\n");
    GString *long_note;

    (void) state;
    assert_null(m->forwarded_by);
    assert_string_equal(m->message_id, "<reply@itu.test>");
    assert_string_equal(m->subject, "Reply LS on things");
    assert_non_null(strstr(m->text, "We agree."));
    assert_int_equal(m->attachments->len, 1);
    assert_string_equal(att(m, 0)->type, "message/rfc822");
    assert_string_equal(att(m, 0)->name, "LS on things.eml");
    message_free(m);

    /* A short text, but a document of its own beside the message. */
    m = parse_str(
        "From: Chair <chair@itu.test>\nSubject: Reply LS\nMIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=\"r\"\n\n"
        "--r\nContent-Type: text/plain\n\nPlease find our reply attached.\n"
        "--r\nContent-Type: application/pdf\n"
        "Content-Disposition: attachment; filename=\"reply.pdf\"\n\nREPLY\n"
        "--r\n" EARLIER_LS
        "--r--\n");
    assert_null(m->forwarded_by);
    assert_string_equal(m->text, "Please find our reply attached.");
    assert_int_equal(m->attachments->len, 2);
    assert_string_equal(att(m, 0)->name, "reply.pdf");
    assert_string_equal(att(m, 1)->name, "LS on things.eml");
    message_free(m);

    /* A long text without labels (over 2000 bytes) is a letter, not a
     * forwarding note. */
    long_note = g_string_new(
        "From: Chair <chair@itu.test>\nSubject: Reply LS\nMIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=\"r\"\n\n"
        "--r\nContent-Type: text/plain\n\n");
    for (int i = 0; i < 60; i++)
        g_string_append(long_note, "We considered your statement with care.\n");
    g_string_append(long_note, "--r\n" EARLIER_LS "--r--\n");
    m = parse_str(long_note->str);
    assert_null(m->forwarded_by);
    assert_non_null(strstr(m->text, "with care"));
    assert_int_equal(m->attachments->len, 1);
    message_free(m);
    g_string_free(long_note, TRUE);

    /* A bare forward: a note with a signature, a logo, an empty text
     * part after the message (Apple Mail); the statement is the inner
     * message, with its own file and the forwarder's. */
    m = parse_str(
        "From: Secretariat <statements@ietf.test>\nSubject: Fwd: LS on things\n"
        "Message-ID: <fwd@ietf.test>\nMIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=\"r\"\n\n"
        "--r\nContent-Type: multipart/related; boundary=\"rel\"\n\n"
        "--rel\nContent-Type: text/plain\n\nFYI.\n-- \nIETF Secretariat\n"
        "From: statements@ietf.test\n"
        "--rel\nContent-Type: image/png\nContent-ID: <logo>\n\nPNG\n"
        "--rel--\n"
        "--r\n" EARLIER_LS
        "--r\nContent-Type: text/plain\n\n\n"
        "--r--\n");
    assert_string_equal(m->forwarded_by, "statements@ietf.test");
    assert_string_equal(m->message_id, "<ls@itu.test>");
    assert_string_equal(m->outer_message_id, "<fwd@ietf.test>");
    assert_string_equal(m->text, "the earlier statement");
    /* The forwarder's logo is not the statement's. */
    assert_int_equal(m->attachments->len, 1);
    assert_string_equal(att(m, 0)->name, "earlier.pdf");
    message_free(m);

    /* A covering note with a word that looks like a label and a company
     * signature Outlook writes without "-- " (1500 bytes): still a note. */
    long_note = g_string_new(
        "From: Secretariat <statements@ietf.test>\nSubject: FW: LS on things\n"
        "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"r\"\n\n"
        "--r\nContent-Type: text/plain\n\nAction: please see the statement below.\n\n"
        "Best regards\nIETF Secretariat\n");
    for (int i = 0; i < 30; i++)
        g_string_append(long_note, "This e-mail and any attachment are confidential.\n");
    g_string_append(long_note, "--r\n" EARLIER_LS "--r--\n");
    m = parse_str(long_note->str);
    assert_string_equal(m->forwarded_by, "statements@ietf.test");
    assert_string_equal(m->message_id, "<ls@itu.test>");
    message_free(m);
    g_string_free(long_note, TRUE);
}

/* A letter that quotes many MIME headers is not a deep structure. */
static void
test_quoted_boundaries(void **state)
{
    GString *s = g_string_new("From: a@example.test\nSubject: MIME lesson\n"
                              "Content-Type: text/plain\n\n");
    struct message *m;

    (void) state;
    for (int i = 0; i < 100; i++)
        g_string_append_printf(s, "Content-Type: multipart/mixed; "
                               "boundary=\"q%d\"\n\n", i);
    g_string_append(s, "-- \nsignature\n");
    m = parse_str(s->str);
    assert_int_equal(m->problems->len, 0);
    assert_non_null(strstr(m->text, "boundary=\"q99\""));
    message_free(m);
    g_string_free(s, TRUE);
}

/* An empty delivery-status part (found by fuzzing) is no crash. */
static void
test_empty_dsn(void **state)
{
    struct message *m = parse_str(
        "From: MAILER-DAEMON@example.test\nSubject: x\nMIME-Version: 1.0\n"
        "Content-Type: multipart/report; boundary=\"e\"\n\n"
        "--e\nContent-Type: message/delivery-status\n\n"
        "--e--\n");

    (void) state;
    assert_true(m->is_report);
    assert_int_equal(m->failed_recipients->len, 0);
    message_free(m);
}

/* Each recipient of a DSN comes with its group's Action and Status; only
 * a failed one (or one without an Action) is a failed recipient. */
static void
test_dsn_actions(void **state)
{
    struct message *m = parse_str(
        "From: MAILER-DAEMON@example.test\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status;"
        " boundary=\"e\"\r\n\r\n"
        "--e\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.test\r\n\r\n"
        "Original-Recipient: rfc822;late@example.test\r\n"
        "Final-Recipient: rfc822;Late@Example.TEST\r\n"
        "Action: Delayed\r\n"
        "Status: 4.4.7 (delivery time expired)\r\n\r\n"
        "Final-Recipient: rfc822;\r\n <gone@example.test>\r\n"
        "Status: 5.1.1\r\n"
        "Action: FAILED\r\n\r\n"
        "Final-Recipient: rfc822; quiet@example.test\r\n"
        "--e--\r\n");
    const struct dsn_recipient *r;

    (void) state;
    assert_int_equal(m->dsn_recipients->len, 3);
    r = g_ptr_array_index(m->dsn_recipients, 0);
    assert_string_equal(r->addr, "late@example.test");
    assert_string_equal(r->action, "delayed");
    assert_string_equal(r->status, "4.4.7");
    r = g_ptr_array_index(m->dsn_recipients, 1);
    assert_string_equal(r->addr, "gone@example.test");
    assert_string_equal(r->action, "failed");
    assert_string_equal(r->status, "5.1.1");
    r = g_ptr_array_index(m->dsn_recipients, 2);
    assert_string_equal(r->addr, "quiet@example.test");
    assert_null(r->action);
    assert_null(r->status);
    assert_int_equal(m->failed_recipients->len, 2);
    assert_string_equal(g_ptr_array_index(m->failed_recipients, 0), "gone@example.test");
    assert_string_equal(g_ptr_array_index(m->failed_recipients, 1), "quiet@example.test");
    message_free(m);
}

/* ---- hostile mail ------------------------------------------------------ */

/* Cases that must report at least one problem. */
static const char *const expect_problems[] = {
    "truncated-mime", "missing-closing-boundary", "nested-10000",
    "nested-100", "nul-bytes", "huge-header-line", "unknown-charset",
    "base64-garbage", "many-parts", "header-flood", "parts-flood", "deep-html",
    "multipart-without-boundary", "nested-rfc822", "invalid-utf8",
    "bare-cr",
};

/* Every malformed case parses, with safe headers and names. */
static void
test_malformed_all(void **state)
{
    (void) state;
    for (gsize i = 0; i < malformed_case_count; i++) {
        GBytes *b = malformed_cases[i].make();
        gsize len;
        const char *raw = g_bytes_get_data(b, &len);
        GError *err = NULL;
        struct message *m = message_parse(raw, len, NULL, &err);
        gboolean want = FALSE;

        print_message("malformed %s\n", malformed_cases[i].name);
        if (m == NULL)
            fail_msg("%s refused: %s", malformed_cases[i].name, err->message);
        assert_non_null(m->text);
        assert_true(g_utf8_validate(m->text, -1, NULL));
        assert_true(strlen(m->text) <= 1024 * 1024);
        assert_header_safe(m->from);
        assert_header_safe(m->from_name);
        assert_header_safe(m->from_addr);
        assert_header_safe(m->to);
        assert_header_safe(m->subject);
        assert_header_safe(m->date);
        assert_header_safe(m->message_id);
        for (guint j = 0; j < m->attachments->len; j++) {
            const struct attachment *a = att(m, j);
            assert_null(strchr(a->name, '/'));
            assert_null(strchr(a->name, '\\'));
            assert_true(a->name[0] != '.' && a->name[0] != '\0');
            assert_header_safe(a->name);
            assert_int_equal(g_bytes_get_size(a->data), a->size);
        }
        assert_true(m->attachments->len <= 1000);
        for (gsize j = 0; j < G_N_ELEMENTS(expect_problems); j++)
            if (strcmp(expect_problems[j], malformed_cases[i].name) == 0)
                want = TRUE;
        if (want && m->problems->len == 0)
            fail_msg("%s: no problem recorded", malformed_cases[i].name);
        message_free(m);
        g_bytes_unref(b);
    }
}

/* A parse run on a thread of its own. */
struct parse_job {
    GBytes *raw;
    struct message *m;
};

/* Thread body: parse job->raw with the default limits. */
static void *
parse_job_run(void *arg)
{
    struct parse_job *job = arg;
    gsize len;
    const char *raw = g_bytes_get_data(job->raw, &len);

    job->m = message_parse(raw, len, NULL, NULL);
    return NULL;
}

/* Parse raw on a thread with a stack of stack_size bytes, as a milter
 * worker thread may have: whatever the message, the parse must not need
 * stack in proportion to it. */
static struct message *
parse_on_small_stack(GBytes *raw, size_t stack_size)
{
    struct parse_job job = { raw, NULL };
    pthread_attr_t attr;
    pthread_t t;

    assert_int_equal(pthread_attr_init(&attr), 0);
    assert_int_equal(pthread_attr_setstacksize(&attr, stack_size), 0);
    assert_int_equal(pthread_create(&t, &attr, parse_job_run, &job), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    pthread_attr_destroy(&attr);
    assert_non_null(job.m);
    return job.m;
}

/* A message whose one attachment has the Content-Type ctype (a header
 * value, taken as it is, bytes and all). */
static struct message *
parse_with_attachment_type(const char *ctype)
{
    g_autofree char *raw = g_strdup_printf(
        "From: a@example.test\nSubject: t\nMIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=\"b\"\n\n"
        "--b\nContent-Type: text/plain\n\nhello\n"
        "--b\nContent-Type: %s\n"
        "Content-Disposition: attachment; filename=\"a.zip\"\n\nPK\n--b--\n", ctype);
    struct message *m = parse_str(raw);

    assert_int_equal(m->attachments->len, 1);
    return m;
}

/* That one attachment. */
static const struct attachment *
only_attachment(const struct message *m)
{
    return g_ptr_array_index(m->attachments, 0);
}

/* An attachment whose Content-Type holds 8-bit bytes (found by
 * fuzz_message): its type is application/octet-stream, valid UTF-8, and
 * its bytes are kept. */
static void
test_damaged_content_type(void **state)
{
    struct message *m;

    (void) state;
    m = parse_with_attachment_type("application/zip\xf6\xb2\xb6\xaf" "E-Version: 1.0");
    assert_string_equal(only_attachment(m)->type, "application/octet-stream");
    assert_true(g_utf8_validate(only_attachment(m)->type, -1, NULL));
    assert_true(only_attachment(m)->size > 0);
    message_free(m);
    /* An empty half is no token either. */
    m = parse_with_attachment_type("/zip");
    assert_string_equal(only_attachment(m)->type, "application/octet-stream");
    message_free(m);
    /* A well-formed type stays as it is, lower-cased. */
    m = parse_with_attachment_type("Application/VND.ms-Word");
    assert_string_equal(only_attachment(m)->type, "application/vnd.ms-word");
    message_free(m);
}

/* A charset parameter of 600 KB (GMime would copy it onto the stack, and
 * crashed on the 9 MB one a reviewer sent) or one that is no name at all
 * is an unknown charset, said so, and the text is still read. */
static void
test_hostile_charset(void **state)
{
    GString *s = g_string_new("From: a@example.test\nSubject: cs\n"
                              "MIME-Version: 1.0\n"
                              "Content-Type: text/plain; charset=\"x");
    GBytes *b;
    struct message *m;

    (void) state;
    for (int i = 0; i < 600 * 1000; i++)
        g_string_append_c(s, 'a');
    g_string_append(s, "\"\n\nTitle: caf\xC3\xA9 au lait\n");
    b = g_string_free_to_bytes(s);
    m = parse_on_small_stack(b, 256 * 1024);
    assert_true(has_problem(m, "declares the charset \"xaaaa"));
    assert_true(has_problem(m, "not a charset name"));
    assert_string_equal(m->text, "Title: caf\xC3\xA9 au lait\n");
    message_free(m);
    g_bytes_unref(b);

    m = parse_str("From: a@example.test\nSubject: cs\nMIME-Version: 1.0\n"
                  "Content-Type: text/plain; charset=\"iso 8859-1\"\n\n"
                  "r\xE9sum\xE9\n");
    assert_true(has_problem(m, "\"iso 8859-1\", which is not a charset name"));
    assert_string_equal(m->text, "r\xC3\xA9sum\xC3\xA9\n");
    message_free(m);
}

/* Parse raw with lim; the test fails when it is refused. */
static struct message *
parse_lim(const GString *raw, const struct message_limits *lim)
{
    GError *err = NULL;
    struct message *m = message_parse(raw->str, raw->len, lim, &err);

    if (m == NULL)
        fail_msg("parse: %s", err ? err->message : "?");
    return m;
}

/* The end every message of the limit tests below has: a multipart without
 * boundary, which GMime reports if it reads that far.  Past a limit it
 * must not: what lies beyond is never handed to GMime. */
#define BEYOND "--B\nContent-Type: multipart/mixed\n\nbeyond\n--B--\n"

/* A message of a text part "Title: kept" then what middle makes, all in
 * a multipart with boundary B, then BEYOND. */
static GString *
limit_message(const char *middle)
{
    GString *s = g_string_new("From: a@example.test\nSubject: limits\n"
                              "MIME-Version: 1.0\n"
                              "Content-Type: multipart/mixed; boundary=B\n\n"
                              "--B\nContent-Type: text/plain\n\nTitle: kept\n");

    g_string_append(s, middle);
    g_string_append(s, BEYOND);
    return s;
}

/* More header fields or header bytes than GMime may be given: in the
 * message's own block, nothing but a diagnostic (the raw message is kept
 * by the caller); in a part or an attached message, the parts before are
 * read and nothing from there on. */
static void
test_header_limits(void **state)
{
    GString *s = g_string_new("From: a@example.test\nSubject: flood\n");
    GString *mid;
    struct message *m;

    (void) state;
    /* 10,001 fields in the message's own header block. */
    for (int i = 0; i < 9999; i++)
        g_string_append_printf(s, "X-H%d: v\n", i);
    g_string_append(s, "\nTitle: body\n");
    m = parse_lim(s, NULL);
    assert_true(has_problem(m, "header block has more than 10000 fields and "
                            "addresses or 1048576 bytes; the message was "
                            "kept as it arrived but not read"));
    assert_int_equal(m->problems->len, 1);
    assert_null(m->from);
    assert_null(m->subject);
    assert_string_equal(m->text, "");
    message_free(m);

    /* 10,000 fields are fine. */
    g_string_assign(s, "From: a@example.test\n");
    for (int i = 0; i < 9999; i++)
        g_string_append_printf(s, "X-H%d: v\n", i);
    g_string_append(s, "\nTitle: body\n");
    m = parse_lim(s, NULL);
    assert_int_equal(m->problems->len, 0);
    assert_string_equal(m->from, "a@example.test");
    message_free(m);

    /* Addresses count as fields: 10,000 of them in 20 KB took GMime's
     * address parser seconds, and a megabyte of them minutes. */
    g_string_assign(s, "From: a@example.test\nSubject: to\nCc: a");
    for (int i = 0; i < 10000; i++)
        g_string_append(s, ",a");
    g_string_append(s, "\n\nTitle: body\n");
    m = parse_lim(s, NULL);
    assert_true(has_problem(m, "header block has more than 10000 fields and "
                            "addresses"));
    message_free(m);

    /* A To of 100,000 addresses, 1.2 MB folded over lines. */
    g_string_assign(s, "From: a@example.test\nSubject: to\nTo: u0@d.test");
    for (int i = 1; i < 100000; i++)
        g_string_append_printf(s, ",\n u%d@d.test", i);
    g_string_append(s, "\n\nTitle: body\n");
    assert_true(s->len > 1024 * 1024);
    m = parse_lim(s, NULL);
    assert_true(has_problem(m, "header block has more than"));
    assert_null(m->to);
    message_free(m);
    g_string_free(s, TRUE);

    /* 10,001 fields in a part's header block. */
    mid = g_string_new("--B\nContent-Type: application/pdf\n");
    for (int i = 0; i < 10000; i++)
        g_string_append_printf(mid, "X-P%d: v\n", i);
    g_string_append(mid, "\n%PDF\n");
    s = limit_message(mid->str);
    m = parse_lim(s, NULL);
    assert_true(has_problem(m, "headers of the message and its parts have "
                            "more than 10000 fields and addresses"));
    assert_false(has_problem(m, "no boundary parameter"));
    assert_false(has_problem(m, "truncated"));
    assert_string_equal(m->text, "Title: kept");
    message_free(m);
    g_string_free(s, TRUE);
    g_string_free(mid, TRUE);

    /* 1 MB of header fields in a message attached as message/rfc822. */
    mid = g_string_new("--B\nContent-Type: message/rfc822\n\n"
                       "From: b@example.test\nReferences: <r0@x>");
    for (int i = 1; i < 100000; i++)
        g_string_append_printf(mid, "\n <r%d@x>", i);
    g_string_append(mid, "\nSubject: inner\n\ninner text\n");
    s = limit_message(mid->str);
    /* A bare forward: a note without an envelope of its own, as long. */
    memcpy(strstr(s->str, "Title: kept"), "FYI, below.", 11);
    m = parse_lim(s, NULL);
    assert_true(has_problem(m, "headers of the message and its parts have "
                            "more than"));
    assert_false(has_problem(m, "no boundary parameter"));
    /* The attached message is still the statement, read up to the cut. */
    assert_string_equal(m->forwarded_by, "a@example.test");
    assert_string_equal(m->from_addr, "b@example.test");
    assert_null(strstr(m->text, "inner text"));
    message_free(m);
    g_string_free(s, TRUE);
    g_string_free(mid, TRUE);
}

/* Parts past max_parts are never handed to GMime, however the multiparts
 * that hold them name their boundaries. */
static void
test_parts_limits(void **state)
{
    char *lb = g_strnfill(300, 'L');
    char *lhead = g_strdup_printf("--B\nContent-Type: multipart/mixed; "
                                  "boundary=\"%s\"\n\n", lb);
    /* A head opening a multipart with the boundary, whose 200 parts
     * follow, and what closes the head after them. */
    const struct { const char *head, *boundary, *tail; } shapes[] = {
        /* parts without headers, 7 bytes each */
        { "", "B", "" },
        /* a boundary used before, closed, then declared again */
        { "--B\nContent-Type: multipart/mixed; boundary=C\n\n"
          "--C\n\nx\n--C--\n"
          "--B\nContent-Type: multipart/mixed; boundary=C\n\n", "C", "--C--\n" },
        /* RFC 2231 continuations: the boundary is "C1C2" */
        { "--B\nContent-Type: multipart/mixed;\n boundary*0=\"C1\";\n"
          " boundary*1=\"C2\"\n\n", "C1C2", "--C1C2--\n" },
        /* a boundary of 300 bytes */
        { lhead, lb, "" },
        /* a digest, whose parts are messages: here one, a multipart */
        { "--B\nContent-Type: multipart/digest; boundary=D\n\n"
          "--D\n\nContent-Type: multipart/mixed; boundary=E\n\n", "E",
          "--E--\n--D--\n" },
    };
    struct message_limits lim;

    (void) state;
    message_limits_default(&lim);
    lim.max_parts = 20;
    for (gsize i = 0; i < G_N_ELEMENTS(shapes); i++) {
        GString *mid = g_string_new(shapes[i].head);
        GString *s;
        struct message *m;

        for (int j = 0; j < 200; j++)
            g_string_append_printf(mid, "--%s\n\nx\n", shapes[i].boundary);
        g_string_append(mid, shapes[i].tail);
        s = limit_message(mid->str);
        m = parse_lim(s, &lim);
        print_message("shape %zu\n", i);
        assert_true(has_problem(m, "more than 20 MIME parts"));
        assert_false(has_problem(m, "no boundary parameter"));
        assert_false(has_problem(m, "truncated"));
        assert_true(m->attachments->len < 20);
        message_free(m);
        g_string_free(s, TRUE);
        g_string_free(mid, TRUE);
    }
    g_free(lhead);
    g_free(lb);
}

/* TRUE when s holds a C0 control character or DEL other than LF and TAB. */
static gboolean
text_has_control(const char *s)
{
    for (; *s; s++)
        if (((unsigned char) *s < 0x20 && *s != '\n' && *s != '\t') || *s == 0x7F)
            return TRUE;
    return FALSE;
}

/* The text keeps no control character but LF and TAB, whether it came
 * as plain text, as HTML (character references included) or as HTML too
 * deep for libxml2 (stripped roughly): ESC and BEL would act on the
 * terminal that shows it. */
static void
test_control_characters(void **state)
{
    GString *s;
    struct message *m;

    (void) state;
    m = parse_str("From: a@example.test\nSubject: ctl\n"
                  "Content-Type: text/plain\n\n"
                  "Title: a\x1b]0;pwn\x07\x1b[2Jb\n"
                  "line\x0btwo\x0cthree\r\n\tend\x7f\x08\n");
    assert_string_equal(m->text, "Title: a]0;pwn[2Jb\nline\ntwo\nthree\n"
                                 "\tend\n");
    assert_true(has_problem(m, "body text contains 5 control characters"));
    message_free(m);

    m = parse_str("From: a@example.test\nSubject: ctl\n"
                  "Content-Type: text/html\n\n"
                  "<p>Title: a&#27;]0;pwn&#7;b&#13;c&#x7f;d\x1b[2J</p>\n");
    assert_false(text_has_control(m->text));
    assert_non_null(strstr(m->text, "Title: a]0;pwnb"));
    message_free(m);

    s = g_string_new("From: a@example.test\nSubject: ctl\n"
                     "Content-Type: text/html\n\n");
    for (int i = 0; i < 100000; i++)
        g_string_append(s, "<div>");
    g_string_append(s, "Title: a&#27;]0;pwn&#7;b&#13;c&#x7f;d</div>\n");
    m = parse_lim(s, NULL);
    assert_true(has_problem(m, "extracted roughly"));
    assert_false(text_has_control(m->text));
    assert_non_null(strstr(m->text, "Title: a]0;pwnb c"));
    message_free(m);
    g_string_free(s, TRUE);
}

/* A message that must be repaired (a NUL in its headers) and is too
 * large to repair in memory, with nowhere to put the repaired copy: a
 * temporary failure, and nothing leaks on the way (valgrind). */
static void
test_repair_spool_failure(void **state)
{
    GString *s = g_string_new("From: a@example.test\nSubject: n");
    struct message_limits lim;
    GError *err = NULL;
    char *big = g_strnfill(2 * 1024 * 1024, 'x');

    (void) state;
    g_string_append_c(s, '\0');
    g_string_append_printf(s, "ul\n\n%s\n", big);
    message_limits_default(&lim);
    lim.spool_dir = "/nonexistent/liaison-spool";
    assert_null(message_parse(s->str, s->len, &lim, &err));
    assert_true(g_error_matches(err, MESSAGE_ERROR, MESSAGE_ERROR_IO));
    g_error_free(err);
    g_string_free(s, TRUE);
    g_free(big);
}

/* The number of descriptors this process has open. */
static guint
open_fds(void)
{
    GDir *d = g_dir_open("/proc/self/fd", 0, NULL);
    guint n = 0;

    assert_non_null(d);
    while (g_dir_read_name(d) != NULL)
        n++;
    g_dir_close(d);
    return n;
}

/* All the bytes of an attachment kept in a file, read back. */
static GByteArray *
file_bytes(const struct attachment *a)
{
    GByteArray *ba = g_byte_array_new();
    char buf[4096];
    gssize n;

    assert_int_equal(g_mime_stream_length(a->file), a->size);
    assert_int_equal(g_mime_stream_reset(a->file), 0);
    while (ba->len < a->size
           && (n = g_mime_stream_read(a->file, buf, sizeof buf)) > 0)
        g_byte_array_append(ba, (const guint8 *) buf, (guint) n);
    return ba;
}

/* Past the memory budget of attachments (8 x 256 KB), hundreds of small
 * attachments are all kept, exactly, and share one temporary file: the
 * descriptors open grow by a handful, not by one per attachment (which
 * ran out of descriptors under ulimit -n 900). */
static void
test_many_small_attachments(void **state)
{
    GString *s = g_string_new("From: a@example.test\nSubject: many\n"
                              "MIME-Version: 1.0\n"
                              "Content-Type: multipart/mixed; boundary=B\n\n"
                              "--B\nContent-Type: text/plain\n\nTitle: many\n");
    char *big = g_strnfill(256 * 1024, 'A');
    char *large = g_strnfill(300 * 1024, 'L');
    guint before, during;
    struct message *m;

    (void) state;
    for (int i = 0; i < 8; i++)
        g_string_append_printf(s, "--B\nContent-Type: application/octet-stream;"
                               " name=big%d.bin\n\n%s\n", i, big);
    for (int i = 0; i < 500; i++) {
        /* Every 50th is text, which is read back from the file between
         * the writes of the others. */
        if (i % 50 == 0)
            g_string_append_printf(s, "--B\nContent-Type: text/plain\n"
                                   "Content-Disposition: attachment; "
                                   "filename=n%d.txt\n\nnote %d\n", i, i);
        else
            g_string_append_printf(s, "--B\nContent-Type: application/"
                                   "octet-stream; name=s%d.bin\n\n%c\n",
                                   i, 'a' + i % 26);
    }
    g_string_append_printf(s, "--B\nContent-Type: application/octet-stream;"
                           " name=large.bin\n\n%s\n--B--\n", large);
    before = open_fds();
    m = parse_lim(s, NULL);
    during = open_fds();
    assert_true(during <= before + 3);
    assert_int_equal(m->problems->len, 0);
    assert_int_equal(m->attachments->len, 8 + 500 + 1);
    for (guint i = 0; i < m->attachments->len; i++) {
        const struct attachment *a = att(m, i);
        GByteArray *ba;
        char *want, *sum;

        if (i < 8)
            want = g_strdup(big);
        else if (i == 508)
            want = g_strdup(large);
        else if ((i - 8) % 50 == 0)
            want = g_strdup_printf("note %u", i - 8);
        else
            want = g_strdup_printf("%c", 'a' + (i - 8) % 26);
        if (a->data != NULL) {
            ba = g_byte_array_new();
            g_byte_array_append(ba, g_bytes_get_data(a->data, NULL),
                                (guint) g_bytes_get_size(a->data));
        } else {
            assert_true(i >= 8);        /* the first 8 fill the budget */
            ba = file_bytes(a);
        }
        assert_int_equal(ba->len, strlen(want));
        assert_memory_equal(ba->data, want, ba->len);
        sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, ba->data, ba->len);
        assert_string_equal(a->sha256, sum);
        g_free(sum);
        g_free(want);
        g_byte_array_free(ba, TRUE);
    }
    assert_int_equal(m->text_attachments->len, 10);
    assert_string_equal(g_ptr_array_index(m->text_attachments, 9), "note 450");
    message_free(m);
    assert_int_equal(open_fds(), before);
    g_string_free(s, TRUE);
    g_free(big);
    g_free(large);
}

/* Parse one named case; the test fails when it is refused. */
static struct message *
parse_case(const char *name)
{
    const struct malformed_case *c = malformed_find(name);
    GBytes *b;
    gsize len;
    const char *raw;
    struct message *m;

    assert_non_null(c);
    b = c->make();
    raw = g_bytes_get_data(b, &len);
    m = message_parse(raw, len, NULL, NULL);
    g_bytes_unref(b);
    assert_non_null(m);
    return m;
}

/* What each hostile case yields, beyond not crashing. */
static void
test_malformed_details(void **state)
{
    struct message *m;

    (void) state;
    m = parse_case("truncated-mime");
    assert_string_equal(m->text, "The statement text survives the cut.");
    assert_int_equal(m->attachments->len, 1);
    assert_string_equal(att(m, 0)->name, "cut.pdf");
    assert_true(has_problem(m, "never closed"));
    message_free(m);

    m = parse_case("missing-closing-boundary");
    assert_int_equal(m->attachments->len, 1);
    assert_string_equal(att(m, 0)->type, "text/csv");
    assert_true(has_problem(m, "never closed"));
    message_free(m);

    m = parse_case("nested-10000");
    assert_string_equal(m->subject, "nested-10000");
    assert_true(has_problem(m, "nest more than 32 deep"));
    assert_non_null(strstr(m->text, "deep inside"));
    message_free(m);

    m = parse_case("nul-bytes");
    assert_string_equal(m->subject, "nulbytes in the subject");
    assert_string_equal(m->text, "Body with a NUL and more after it.\n");
    assert_true(has_problem(m, "NUL"));
    message_free(m);

    m = parse_case("huge-header-line");
    assert_true(strlen(m->subject) <= 16384);
    assert_string_equal(m->text, "short body\n");
    assert_true(has_problem(m, "Subject header is longer"));
    message_free(m);

    m = parse_case("unknown-charset");
    assert_non_null(strstr(m->text, "r\xC3\xA9sum\xC3\xA9"));
    assert_true(has_problem(m, "x-klingon-8"));
    message_free(m);

    m = parse_case("base64-garbage");
    assert_int_equal(m->attachments->len, 1);
    assert_string_equal(att(m, 0)->name, "garbage.bin");
    assert_true(has_problem(m, "outside the base64 alphabet"));
    message_free(m);

    m = parse_case("many-parts");
    assert_string_equal(m->text, "body");
    assert_true(has_problem(m, "more than 1000 MIME parts"));
    message_free(m);

    m = parse_case("header-flood");
    assert_true(has_problem(m, "header block has more than 10000 fields"));
    assert_null(m->subject);
    assert_string_equal(m->text, "");
    message_free(m);

    m = parse_case("parts-flood");
    assert_string_equal(m->text, "Title: hi");
    assert_true(has_problem(m, "more than 1000 MIME parts"));
    assert_true(m->attachments->len < 1000);
    message_free(m);

    m = parse_case("deep-html");
    assert_non_null(strstr(m->text, "Title: buried deep"));
    message_free(m);

    m = parse_case("multipart-without-boundary");
    assert_non_null(strstr(m->text, "where does this end?"));
    message_free(m);

    m = parse_case("header-injection");
    assert_non_null(strstr(m->subject, "hello"));
    assert_string_equal(m->from_addr, "eve@hostile.test");
    message_free(m);

    m = parse_case("hostile-filenames");
    {
        static const char *const want[] = {
            "passwd", "y.doc", "evil.exe", "hidden", "attachment",
            "authorized_keys", "invoicefdp.exe" };
        assert_int_equal(m->attachments->len, G_N_ELEMENTS(want));
        for (gsize i = 0; i < G_N_ELEMENTS(want); i++)
            assert_string_equal(att(m, i)->name, want[i]);
    }
    message_free(m);

    m = parse_case("bare-cr");
    assert_string_equal(m->subject, "bare-cr");
    assert_string_equal(m->text, "line one\nline two\n");
    message_free(m);

    m = parse_case("garbage-dsn");
    assert_true(m->is_report);
    assert_int_equal(m->failed_recipients->len, 2);
    assert_string_equal(g_ptr_array_index(m->failed_recipients, 0),
                        "folded@hostile.test");
    assert_string_equal(g_ptr_array_index(m->failed_recipients, 1),
                        "bare@hostile.test");
    message_free(m);
}

/* TRUE when s holds a C1 control character (U+0080 to U+009F), which is
 * what Windows-1252 punctuation becomes when it is read as ISO-8859-1. */
static gboolean
has_c1(const char *s)
{
    for (const char *p = s; p != NULL && *p != '\0'; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (c >= 0x80 && c <= 0x9F)
            return TRUE;
    }
    return FALSE;
}

/* A part that declares UTF-8 and has one stray byte keeps its correct
 * characters: only that byte is replaced, and the problem counts the bad
 * bytes instead of calling the charset unusable.  Text cut at the text
 * limit in the middle of a character stays UTF-8 as well. */
static void
test_utf8_damaged(void **state)
{
    struct message_limits lim;
    GError *err = NULL;
    struct message *m;
    /* "a" then five e-acute: 11 bytes, cut at 2 * max_text = 10, which
     * splits the last character. */
    const char *cut =
        "From: a@example.test\nSubject: cut\nMIME-Version: 1.0\n"
        "Content-Type: text/plain%s\n\n"
        "a\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9";

    (void) state;
    m = parse_str("From: a@example.test\nSubject: utf8\nMIME-Version: 1.0\n"
                  "Content-Type: text/plain; charset=utf-8\n\n"
                  "Title: Profil de routage \xC3\xA9tendu\n"
                  "Contact: Andr\xC3\xA9 \x96 Z\xC3\xBCrich\n");
    assert_string_equal(m->text, "Title: Profil de routage \xC3\xA9tendu\n"
                        "Contact: Andr\xC3\xA9 \xEF\xBF\xBD Z\xC3\xBCrich\n");
    assert_true(has_problem(m, "1 bytes that are not valid UTF-8"));
    assert_false(has_problem(m, "no usable charset"));
    assert_false(has_problem(m, "ISO-8859-1"));
    message_free(m);

    message_limits_default(&lim);
    lim.max_text = 5;
    for (int declared = 0; declared < 2; declared++) {
        char *raw = g_strdup_printf(cut, declared ? "; charset=UTF-8" : "");

        m = message_parse(raw, strlen(raw), &lim, &err);
        assert_non_null(m);
        assert_string_equal(m->text, "a\xC3\xA9\xC3\xA9");
        assert_true(has_problem(m, "was cut"));
        assert_false(has_problem(m, "not valid UTF-8"));
        message_free(m);
        g_free(raw);
    }
}

/* A byte-order mark (Notepad starts every UTF-8 file with one) is no
 * text: at the start of the body it would hide the first label, and
 * within the text it is dropped as well. */
static void
test_byte_order_mark(void **state)
{
    struct message *m;

    (void) state;
    m = parse_str("From: a@example.test\nSubject: bom\nMIME-Version: 1.0\n"
                  "Content-Type: text/plain; charset=utf-8\n\n"
                  "\xEF\xBB\xBF" "From: ITU-T SG15\n"
                  "Title: Profil \xEF\xBB\xBF" "\xC3\xA9tendu\n");
    assert_string_equal(m->text, "From: ITU-T SG15\nTitle: Profil \xC3\xA9tendu\n");
    assert_int_equal(m->problems->len, 0);
    message_free(m);

    m = parse_str("From: a@example.test\nSubject: bom\nMIME-Version: 1.0\n"
                  "Content-Type: multipart/mixed; boundary=\"b\"\n\n"
                  "--b\nContent-Type: text/plain\n\nSee the attached statement.\n"
                  "--b\nContent-Type: text/plain; name=\"ls.txt\"\n"
                  "Content-Disposition: attachment; filename=\"ls.txt\"\n"
                  "Content-Transfer-Encoding: base64\n\n"
                  /* BOM "From: ITU-T SG15\r\nTitle: x\r\n" */
                  "77u/RnJvbTogSVRVLVQgU0cxNQ0KVGl0bGU6IHgNCg==\n"
                  "--b--\n");
    assert_int_equal(m->text_attachments->len, 1);
    assert_string_equal(g_ptr_array_index(m->text_attachments, 0),
                        "From: ITU-T SG15\nTitle: x\n");
    message_free(m);
}

/* Text labelled ISO-8859-1 or US-ASCII, or not labelled at all, is
 * written in Windows-1252 by Word and Outlook: 0x93 0x94 0x96 0x80 are
 * quotes, a dash and the euro sign, never C1 controls, in the body, in
 * RFC 2047 words and in raw 8-bit headers alike. */
static void
test_windows_1252(void **state)
{
    static const char *const labels[] = {
        "; charset=iso-8859-1", "; charset=\"ISO-8859-1\"", "; charset=latin1",
        "; charset=us-ascii", "",
    };
    struct message *m;

    (void) state;
    for (gsize i = 0; i < G_N_ELEMENTS(labels); i++) {
        char *raw = g_strdup_printf(
            "From: =?iso-8859-1?Q?Jos=E9_=93Pepe=94_Garc=EDa?= <jose@itu.test>\n"
            "Subject: =?iso-8859-1?Q?LS_on_=93flex_grid=94_=96_10_=80?=\n"
            "MIME-Version: 1.0\nContent-Type: text/plain%s\n"
            "Content-Transfer-Encoding: 8bit\n\n"
            "Title: \x93" "flex grid\x94 \x96 co\xFBt 10 \x80\n", labels[i]);

        m = parse_str(raw);
        assert_string_equal(m->subject, "LS on \xE2\x80\x9C" "flex grid"
                            "\xE2\x80\x9D \xE2\x80\x93 10 \xE2\x82\xAC");
        assert_string_equal(m->from_name, "Jos\xC3\xA9 \xE2\x80\x9CPepe"
                            "\xE2\x80\x9D Garc\xC3\xAD" "a");
        assert_string_equal(m->text, "Title: \xE2\x80\x9C" "flex grid"
                            "\xE2\x80\x9D \xE2\x80\x93 co\xC3\xBBt 10 "
                            "\xE2\x82\xAC\n");
        assert_false(has_problem(m, "ISO-8859-1"));
        message_free(m);
        g_free(raw);
    }

    /* Raw 8-bit in headers, and the bytes Windows-1252 leaves undefined
     * (0x81 and 0x9D, OSC on a terminal): U+FFFD, no C1 control left. */
    m = parse_str("From: Jos\xE9 \x93Pepe\x94 <jose@itu.test>\n"
                  "Subject: \x93" "flex grid\x94 \x96 10 \x80 \x81\x9D\n"
                  "MIME-Version: 1.0\n"
                  "Content-Type: text/plain; charset=iso-8859-1\n\n"
                  "Title: \x93" "flex\x94 \x81\x9D\n");
    assert_string_equal(m->subject, "\xE2\x80\x9C" "flex grid\xE2\x80\x9D "
                        "\xE2\x80\x93 10 \xE2\x82\xAC \xEF\xBF\xBD\xEF\xBF\xBD");
    assert_string_equal(m->from_name, "Jos\xC3\xA9 \xE2\x80\x9CPepe\xE2\x80\x9D");
    assert_string_equal(m->text, "Title: \xE2\x80\x9C" "flex\xE2\x80\x9D "
                        "\xEF\xBF\xBD\xEF\xBF\xBD\n");
    assert_true(has_problem(m, "2 bytes that are not characters"));
    assert_false(has_c1(m->subject) || has_c1(m->from) || has_c1(m->text));
    message_free(m);
}

/* The reviewer's statement as Thunderbird sends it: two envelope lines
 * soft-wrapped at about 72 columns, each first line ending in a space. */
#define FLOWED_BODY \
    "Title: LS on the alignment of oneM2M semantic interoperability with CoRE \r\n" \
    "and the IETF's work on it\r\n" \
    "Deadline: requested by 15 \r\n" \
    "March 2027\r\n"

/* format=flowed (RFC 3676): soft line breaks are undone in the body and
 * in a text attachment, so the envelope reader sees whole values. */
static void
test_format_flowed(void **state)
{
    GError *err = NULL;
    struct message *m;
    struct envelope *env;
    static const char joined[] =
        "Title: LS on the alignment of oneM2M semantic interoperability with "
        "CoRE and the IETF's work on it\n"
        "Deadline: requested by 15 March 2027\n";

    (void) state;
    assert_true(envelope_init(&err));
    m = parse_str("From: a@onem2m.test\r\n"
                  "Subject: LS\r\n"
                  "MIME-Version: 1.0\r\n"
                  "Content-Type: text/plain; charset=utf-8; format=flowed\r\n"
                  "\r\n" FLOWED_BODY);
    assert_string_equal(m->text, joined);
    env = envelope_new();
    envelope_scan(env, m->text);
    assert_string_equal(env->title, "LS on the alignment of oneM2M semantic "
                        "interoperability with CoRE and the IETF's work on it");
    assert_string_equal(env->deadline, "2027-03-15");
    envelope_free(env);
    message_free(m);

    /* The same text in an attachment, quoted-printable, with the
     * parameters quoted and in capitals. */
    m = parse_str("From: a@onem2m.test\r\n"
                  "Subject: LS\r\n"
                  "MIME-Version: 1.0\r\n"
                  "Content-Type: multipart/mixed; boundary=b\r\n"
                  "\r\n"
                  "--b\r\n"
                  "Content-Type: text/plain\r\n"
                  "\r\n"
                  "Please find the statement attached.\r\n"
                  "--b\r\n"
                  "Content-Type: text/plain; charset=\"UTF-8\"; Format=\"Flowed\"\r\n"
                  "Content-Disposition: attachment; filename=ls.txt\r\n"
                  "Content-Transfer-Encoding: quoted-printable\r\n"
                  "\r\n"
                  "Title: LS on the alignment of oneM2M semantic interoperabili=\r\n"
                  "ty with CoRE=20\r\n"
                  "and the IETF's work on it\r\n"
                  "Deadline: requested by 15=20\r\n"
                  "March 2027\r\n"
                  "--b--\r\n");
    /* The line end before a boundary belongs to the boundary. */
    assert_int_equal(m->text_attachments->len, 1);
    assert_int_equal(strlen(g_ptr_array_index(m->text_attachments, 0)),
                     strlen(joined) - 1);
    assert_memory_equal(g_ptr_array_index(m->text_attachments, 0), joined,
                        strlen(joined) - 1);
    assert_string_equal(m->text, "Please find the statement attached.");
    message_free(m);
}

/* delsp=yes: the space that marks the soft break is no part of the text
 * (written so for languages without spaces between words); a space that
 * is part of it comes before that one. */
static void
test_format_flowed_delsp(void **state)
{
    struct message *m;

    (void) state;
    m = parse_str("From: a@itu.test\r\n"
                  "MIME-Version: 1.0\r\n"
                  "Content-Type: text/plain; charset=utf-8; format=flowed; "
                  "delsp=yes\r\n"
                  "\r\n"
                  "Title: LS on inter \r\n"
                  "working of  \r\n"
                  "\xE6\x99\x82\xE5\x88\xBB \r\n"
                  "\xE5\x90\x8C\xE6\x9C\x9F\r\n"
                  "Deadline: 15 March 2027 \r\n");
    assert_string_equal(m->text, "Title: LS on interworking of "
                        "\xE6\x99\x82\xE5\x88\xBB\xE5\x90\x8C\xE6\x9C\x9F\n"
                        "Deadline: 15 March 2027 \n");
    message_free(m);
}

/* Space-stuffing is removed; quoted lines join only at the same depth;
 * the signature separator "-- " is no soft break. */
static void
test_format_flowed_stuffing(void **state)
{
    struct message *m;

    (void) state;
    m = parse_str("From: a@itu.test\r\n"
                  "MIME-Version: 1.0\r\n"
                  "Content-Type: text/plain; charset=utf-8; format=flowed\r\n"
                  "\r\n"
                  " From the meeting of \r\n"
                  "SG15\r\n"
                  " >not a quote\r\n"
                  "  indented\r\n"
                  "> quoted and \r\n"
                  "> flowed\r\n"
                  ">> deeper \r\n"
                  "> shallower\r\n"
                  "-- \r\n"
                  "Kasia\r\n");
    assert_string_equal(m->text, "From the meeting of SG15\n"
                        ">not a quote\n"
                        " indented\n"
                        "> quoted and flowed\n"
                        ">> deeper \n"
                        "> shallower\n"
                        "-- \n"
                        "Kasia\n");
    message_free(m);
}

/* Without format=flowed (or with format=fixed) the lines stay as sent,
 * trailing and leading spaces included. */
static void
test_format_fixed(void **state)
{
    static const char *const types[] = {
        "text/plain; charset=utf-8",
        "text/plain; charset=utf-8; format=fixed; delsp=yes",
    };

    (void) state;
    for (size_t i = 0; i < G_N_ELEMENTS(types); i++) {
        char *raw = g_strdup_printf("From: a@itu.test\r\n"
                                    "MIME-Version: 1.0\r\n"
                                    "Content-Type: %s\r\n"
                                    "\r\n" FLOWED_BODY " From here \r\n",
                                    types[i]);
        struct message *m = parse_str(raw);

        assert_string_equal(m->text,
            "Title: LS on the alignment of oneM2M semantic interoperability "
            "with CoRE \nand the IETF's work on it\n"
            "Deadline: requested by 15 \nMarch 2027\n From here \n");
        message_free(m);
        g_free(raw);
    }
}

/* Initialise GMime and libxml2 once for the group. */
static int
setup(void **state)
{
    (void) state;
    message_library_init();
    return 0;
}

/* message_from_address reads a From as message.c writes it: the final
 * <...>, whatever the name before holds. */
static void
test_from_address(void **state)
{
    static const struct {
        const char *from, *want;
    } cases[] = {
        { "Greta Jonsson <Greta@ITU.test>", "greta@itu.test" },
        { "greta@itu.test", "greta@itu.test" },
        { "\"a>b <c@d>\" <real@itu.test>", "real@itu.test" },
        { "Jonsson, Greta <g@itu.test>", "g@itu.test" },
        { "undisclosed recipients", NULL },
        { "", NULL },
    };

    (void) state;
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *got = message_from_address(cases[i].from);

        if (cases[i].want == NULL)
            assert_null(got);
        else
            assert_string_equal(got, cases[i].want);
    }
    assert_null(message_from_address(NULL));
}

/* message_raw_from reads the From field of raw mail as an mbox's From_
 * line needs it: the first mailbox's address, one word, from the header
 * block only, folded or encoded. */
static void
test_raw_from(void **state)
{
    static const struct {
        const char *raw, *want;
    } cases[] = {
        { "From: Greta Jonsson <Greta@ITU.test>\nTo: x@y.test\n\nbody\n", "greta@itu.test" },
        { "Subject: s\r\nFROM :\r\n =?UTF-8?Q?J=C3=B6nsson?=\r\n <g@itu.test>\r\n\r\n", "g@itu.test" },
        { "To: x@y.test\nFrom: a@b.test, c@d.test\n\n", "a@b.test" },
        { "From: Friends: a@b.test;\n\n", NULL },
        { "From: \"a b\"@b.test\n\n", NULL },
        { "To: x@y.test\n\nFrom: body@not.test\n", NULL },
        { "Fromage: cheese@not.test\n\n", NULL },
        { "", NULL },
    };

    (void) state;
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *got = message_raw_from(cases[i].raw, strlen(cases[i].raw));

        if (cases[i].want == NULL)
            assert_null(got);
        else
            assert_string_equal(got, cases[i].want);
    }
}

/* Release them at the end, so valgrind sees no leak from them. */
static int
teardown(void **state)
{
    (void) state;
    message_library_shutdown();
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_expected),
        cmocka_unit_test(test_s01_headers),
        cmocka_unit_test(test_s02_folded_subject),
        cmocka_unit_test(test_s05_html),
        cmocka_unit_test(test_s06_latin1),
        cmocka_unit_test(test_s09_threading),
        cmocka_unit_test(test_s10_auto),
        cmocka_unit_test(test_s11_bounce),
        cmocka_unit_test(test_s13_text_attachment),
        cmocka_unit_test(test_s14_forwarded),
        cmocka_unit_test(test_rfc2231_filename),
        cmocka_unit_test(test_safe_filename),
        cmocka_unit_test(test_not_mail),
        cmocka_unit_test(test_unreadable_stream),
        cmocka_unit_test(test_raw_iso2022_headers),
        cmocka_unit_test(test_alternative),
        cmocka_unit_test(test_alternative_attachments),
        cmocka_unit_test(test_alternative_blank_plain),
        cmocka_unit_test(test_alternative_stub_plain),
        cmocka_unit_test(test_html_cells),
        cmocka_unit_test(test_html_cell_rough),
        cmocka_unit_test(test_crlf_and_headers),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_reply_with_attached_message),
        cmocka_unit_test(test_attached_message_not_forward),
        cmocka_unit_test(test_quoted_boundaries),
        cmocka_unit_test(test_empty_dsn),
        cmocka_unit_test(test_dsn_actions),
        cmocka_unit_test(test_malformed_all),
        cmocka_unit_test(test_malformed_details),
        cmocka_unit_test(test_hostile_charset),
        cmocka_unit_test(test_damaged_content_type),
        cmocka_unit_test(test_header_limits),
        cmocka_unit_test(test_parts_limits),
        cmocka_unit_test(test_many_small_attachments),
        cmocka_unit_test(test_control_characters),
        cmocka_unit_test(test_repair_spool_failure),
        cmocka_unit_test(test_html_render_bound),
        cmocka_unit_test(test_utf8_damaged),
        cmocka_unit_test(test_byte_order_mark),
        cmocka_unit_test(test_windows_1252),
        cmocka_unit_test(test_format_flowed),
        cmocka_unit_test(test_format_flowed_delsp),
        cmocka_unit_test(test_format_flowed_stuffing),
        cmocka_unit_test(test_format_fixed),
        cmocka_unit_test(test_from_address),
        cmocka_unit_test(test_raw_from),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
