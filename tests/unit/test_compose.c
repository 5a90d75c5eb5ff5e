/*
 * test_compose.c: unit tests of the mail the tool composes (compose.c)
 * and of queuing it (outbox.c over the store), with cmocka.
 *
 * Each composed message is parsed back with GMime, as a receiving mail
 * client would, and its headers compared with what was meant: the
 * recipients of each kind, threading, the loop and Auto-Submitted
 * headers.  The hostile cases (CR, LF, NUL-like controls, very long and
 * non-ASCII titles, addresses with spaces) must produce exactly the same
 * list of header names as a harmless statement: no input can add a
 * header line.
 */
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <gmime/gmime.h>

#include "command.h"
#include "compose.h"
#include "message.h"
#include "outbox.h"
#include "store.h"
#include "mail_settings.h"

/* A statement as routing leaves it: s03's shape. */
static struct statement *
sample_statement(const char *title)
{
    struct statement *s = statement_new();

    s->id = 42;
    s->message_id = g_strdup("<t25-sg15-ls123@itu.test>");
    s->env->title = g_strdup(title);
    s->env->from_body = g_strdup("ITU-T Study Group 15");
    s->env->to_body = g_strdup("IETF CCAMP WG");
    s->env->purpose = PURPOSE_ACTION;
    s->env->deadline = g_strdup("2027-03-15");
    g_ptr_array_add(s->env->response_contacts, contact_new("ITU-T TSB", "tsbsg15@itu.test"));
    g_ptr_array_add(s->env->technical_contacts, contact_new("Hiroshi Tanabe", "h.tanabe@itu.test"));
    s->assignee = g_strdup("ccamp-chairs@ietf.test");
    g_ptr_array_add(s->groups, g_strdup("ccamp"));
    statement_add_recipient(s, "ccamp-chairs@ietf.test", "assignee");
    statement_add_recipient(s, "h.tanabe@itu.test", "technical");
    statement_add_recipient(s, "rtg-ads@ietf.test", "supervisor");
    statement_add_recipient(s, "itu-t-sg15-manager@ietf.test", "liaison-manager");
    statement_add_recipient(s, "ccamp@ietf.test", "list");
    statement_add_recipient(s, "netmod@ietf.test", "info-list");
    return s;
}

/* Parse a composed message back with GMime. */
static GMimeMessage *
parse(const struct outmail *m)
{
    gsize len;
    const char *raw = g_bytes_get_data(m->raw, &len);
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(raw, len);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);

    g_object_unref(parser);
    g_object_unref(stream);
    assert_non_null(msg);
    return msg;
}

/* The header names of a message and of its body part, in order, as one
 * string "A B C"; *count gets how many. */
static char *
header_names(GMimeMessage *msg, int *count)
{
    GMimeHeaderList *lists[2] = {
        g_mime_object_get_header_list(GMIME_OBJECT(msg)),
        g_mime_object_get_header_list(g_mime_message_get_mime_part(msg)),
    };
    GString *s = g_string_new(NULL);

    *count = 0;
    for (int l = 0; l < 2; l++)
        for (int i = 0; i < g_mime_header_list_get_count(lists[l]); i++, (*count)++)
            g_string_append_printf(s, "%s%s", s->len ? " " : "",
                                   g_mime_header_get_name(g_mime_header_list_get_header_at(lists[l], i)));
    return g_string_free(s, FALSE);
}

/* The addresses of one list ("a,b"), as a string. */
static char *
addresses(GMimeMessage *msg, GMimeAddressType type)
{
    InternetAddressList *l = g_mime_message_get_addresses(msg, type);
    GString *s = g_string_new(NULL);

    for (int i = 0; i < internet_address_list_length(l); i++) {
        InternetAddress *a = internet_address_list_get_address(l, i);

        g_string_append_printf(s, "%s%s", i ? "," : "",
                               internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a)));
    }
    return g_string_free(s, FALSE);
}

/* The envelope recipients, as "a,b". */
static char *
rcpts(const struct outmail *m)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < m->rcpts->len; i++)
        g_string_append_printf(s, "%s%s", i ? "," : "",
                               (const char *) g_ptr_array_index(m->rcpts, i));
    return g_string_free(s, FALSE);
}

/* The raw header block: every line ends CRLF, none is longer than 998,
 * each starts with a name and a colon or with folding white space; the
 * number of header lines that start a field. */
static int
check_raw_headers(const struct outmail *m)
{
    gsize len;
    const char *raw = g_bytes_get_data(m->raw, &len);
    const char *end = g_strstr_len(raw, len, "\r\n\r\n");
    int fields = 0;

    assert_non_null(end);
    for (const char *p = raw; p < end + 2;) {
        const char *eol = g_strstr_len(p, end + 2 - p, "\r\n");

        assert_non_null(eol);
        assert_true(eol - p <= 998);
        for (const char *q = p; q < eol; q++)
            assert_true((unsigned char) *q >= 0x20 || *q == '\t');
        if (*p != ' ' && *p != '\t') {
            const char *colon = memchr(p, ':', eol - p);

            assert_non_null(colon);
            for (const char *q = p; q < colon; q++)
                assert_true(g_ascii_isalnum(*q) || *q == '-');
            fields++;
        }
        p = eol + 2;
    }
    /* No bare LF anywhere in the message. */
    for (gsize i = 0; i < len; i++)
        if (raw[i] == '\n')
            assert_true(i > 0 && raw[i - 1] == '\r');
    return fields;
}

/* Names every message must carry, whatever else it has. */
static void
assert_common(GMimeMessage *msg, const char *kind)
{
    const char *mid = g_mime_message_get_message_id(msg);
    g_autofree char *prefix = g_strdup_printf("liaison-42-%s-", kind);

    /* RFC 3834 section 5: an answer to the statement mail is
     * auto-replied, the rest auto-generated. */
    assert_string_equal(g_mime_object_get_header(GMIME_OBJECT(msg), "Auto-Submitted"),
                        strcmp(kind, "acknowledgement") == 0 ? "auto-replied"
                                                             : "auto-generated");
    assert_string_equal(g_mime_object_get_header(GMIME_OBJECT(msg), "X-Liaison-Loop"),
                        "lt.ietf.test");
    assert_string_equal(g_mime_object_get_header(GMIME_OBJECT(msg), "X-Liaison-ID"), "42");
    assert_string_equal(g_mime_object_get_header(GMIME_OBJECT(msg), "In-Reply-To"),
                        "<t25-sg15-ls123@itu.test>");
    assert_string_equal(g_mime_object_get_header(GMIME_OBJECT(msg), "References"),
                        "<t25-sg15-ls123@itu.test>");
    assert_non_null(mid);
    assert_true(g_str_has_prefix(mid, prefix));
    assert_true(g_str_has_suffix(mid, "@lt.ietf.test"));
    {
        g_autofree char *from = addresses(msg, GMIME_ADDRESS_TYPE_FROM);
        g_autofree char *rt = addresses(msg, GMIME_ADDRESS_TYPE_REPLY_TO);

        assert_string_equal(from, "liaisons@ietf.test");
        assert_string_equal(rt, "liaisons@ietf.test");
    }
}

/* The text names the assignee to all who read it (the copied contacts
 * are not told it is assigned to them), and its lines before the
 * envelope fit 78 characters (RFC 5322 section 2.1.1). */
static void
assert_text_addressed(GMimeMessage *msg)
{
    g_autofree char *text =
        g_mime_text_part_get_text(GMIME_TEXT_PART(g_mime_message_get_mime_part(msg)));
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    int assigned = 0;

    assert_non_null(strstr(text, "the others are copied for their information."));
    assert_null(strstr(text, "assigned to you"));
    for (int i = 0; lines[i] != NULL && strstr(lines[i], "Title:") == NULL; i++) {
        g_strchomp(lines[i]);
        assert_true(g_utf8_strlen(lines[i], -1) <= 78);
        assigned += strcmp(lines[i], "Assigned to: ccamp-chairs@ietf.test") == 0;
    }
    assert_int_equal(assigned, 1);
}

/* The notification: To the assignee, Cc every other routed recipient. */
static void
test_notification(void **state)
{
    struct statement *s = sample_statement("LS on YANG models");
    struct outmail *m;
    GMimeMessage *msg;
    g_autofree char *to = NULL, *cc = NULL, *env = NULL, *text = NULL;
    g_auto(GStrv) lines = NULL;
    int at = -1;

    g_ptr_array_add(s->env->technical_contacts,
                    contact_new("Zoe Muller, Rapporteur Q14/15", "zm@itu.test"));
    {
        g_autofree guint8 *doc = g_malloc0(2052);
        g_autoptr(GBytes) b1 = g_bytes_new(doc, 2052);
        g_autoptr(GBytes) b2 = g_bytes_new("%PDF-1.4", 8);

        g_ptr_array_add(s->attachments, attachment_new(
            "T25-SG15-LS123.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document", b1));
        g_ptr_array_add(s->attachments, attachment_new("LS123", "application/pdf", b2));
    }
    m = compose_notification(&test_mail_settings, s);

    assert_non_null(m);
    assert_string_equal(m->kind, "notification");
    check_raw_headers(m);
    msg = parse(m);
    assert_common(msg, "notification");
    to = addresses(msg, GMIME_ADDRESS_TYPE_TO);
    cc = addresses(msg, GMIME_ADDRESS_TYPE_CC);
    env = rcpts(m);
    assert_string_equal(to, "ccamp-chairs@ietf.test");
    assert_string_equal(cc, "h.tanabe@itu.test,rtg-ads@ietf.test,"
                        "itu-t-sg15-manager@ietf.test,ccamp@ietf.test,netmod@ietf.test");
    assert_string_equal(env, "ccamp-chairs@ietf.test,h.tanabe@itu.test,rtg-ads@ietf.test,"
                        "itu-t-sg15-manager@ietf.test,ccamp@ietf.test,netmod@ietf.test");
    assert_string_equal(g_mime_message_get_subject(msg),
                        "[LS 42] For action, by 2027-03-15: LS on YANG models");
    assert_int_equal(strncmp(m->message_id + 1, g_mime_message_get_message_id(msg),
                             strlen(m->message_id) - 2), 0);
    text = g_mime_text_part_get_text(GMIME_TEXT_PART(g_mime_message_get_mime_part(msg)));
    assert_non_null(strstr(text, "appropriate consideration"));
    assert_text_addressed(msg);
    /* Contacts one a line: a comma in a name does not make two. */
    lines = g_strsplit(text, "\n", -1);
    for (int i = 0; lines[i] != NULL; i++) {
        g_strchomp(lines[i]);
        if (strcmp(lines[i], "  Technical contacts: Hiroshi Tanabe <h.tanabe@itu.test>") == 0)
            at = i;
    }
    assert_true(at >= 0);
    assert_string_equal(lines[at + 1],
                        "                      Zoe Muller, Rapporteur Q14/15 <zm@itu.test>");
    /* Attachments: name and size for a person; the type only where no
     * extension says it. */
    assert_non_null(strstr(text, "\n  Attachments:        T25-SG15-LS123.docx (2.1 kB)\r\n"
                                 "                      LS123 (application/pdf, 8 bytes)\r\n"));
    assert_non_null(strstr(text, "Please reply by 2027-03-15."));
    assert_non_null(strstr(text, "https://datatracker.ietf.test/liaison/42"));
    assert_non_null(strstr(text, "reply to this message"));
    assert_non_null(strstr(text, "For Action"));
    g_object_unref(msg);
    outmail_free(m);
    statement_free(s);
}

/* Non-ASCII text stays UTF-8 and is labelled as such (a title that fits
 * ISO-8859-1 once came out in that charset under a utf-8 label): read back through
 * the part's declared charset, the title is the same characters. */
static void
test_non_ascii_text(void **state)
{
    struct statement *s = sample_statement("Réponse attendue : TR-545, Zoë Müller");
    struct outmail *m = compose_notification(&test_mail_settings, s);
    GMimeMessage *msg = parse(m);
    GMimeObject *part = g_mime_message_get_mime_part(msg);
    g_autofree char *text = g_mime_text_part_get_text(GMIME_TEXT_PART(part));

    assert_string_equal(g_mime_object_get_content_type_parameter(part, "charset"), "utf-8");
    assert_true(g_utf8_validate(text, -1, NULL));
    assert_non_null(strstr(text, "Réponse attendue : TR-545, Zoë Müller"));
    g_object_unref(msg);
    outmail_free(m);
    statement_free(s);
}

/* Text mostly outside ASCII goes out in base64, and base64 text carries
 * CRLF line ends inside it, its canonical form (RFC 2045 section 6.8):
 * the line ends of the message are not those of the text it encodes. */
static void
test_base64_text_crlf(void **state)
{
    GString *title = g_string_new(NULL);
    struct statement *s;
    struct outmail *m;
    gsize len, n;
    const char *raw, *body;
    g_autofree char *b64 = NULL;
    g_autofree guchar *text = NULL;
    int lines = 0;

    for (int i = 0; i < 200; i++)
        g_string_append(title, "光伝送網");
    s = sample_statement(title->str);
    m = compose_notification(&test_mail_settings, s);
    raw = g_bytes_get_data(m->raw, &len);
    assert_non_null(g_strstr_len(raw, len, "Content-Transfer-Encoding: base64\r\n"));
    body = g_strstr_len(raw, len, "\r\n\r\n");
    assert_non_null(body);
    b64 = g_strndup(body + 4, raw + len - (body + 4));
    text = g_base64_decode(b64, &n);
    assert_true(n > 2400);
    for (gsize i = 0; i < n; i++)
        if (text[i] == '\n') {
            assert_true(i > 0 && text[i - 1] == '\r');
            lines++;
        }
    assert_true(lines > 5);
    g_string_free(title, TRUE);
    outmail_free(m);
    statement_free(s);
}

/* The text of a composed mail with LF line ends; the caller frees it. */
static char *
body_of(const struct outmail *m)
{
    GMimeMessage *msg = parse(m);
    g_autofree char *text =
        g_mime_text_part_get_text(GMIME_TEXT_PART(g_mime_message_get_mime_part(msg)));
    g_auto(GStrv) crlf = g_strsplit(text, "\r\n", -1);

    g_object_unref(msg);
    return g_strjoinv("\n", crlf);
}

/* The subject of s's notification; the caller frees it. */
static char *
notification_subject_of(const struct statement *s)
{
    struct outmail *m = compose_notification(&test_mail_settings, s);
    GMimeMessage *msg = parse(m);
    char *subject = g_strdup(g_mime_message_get_subject(msg));

    g_object_unref(msg);
    outmail_free(m);
    return subject;
}

/* The notification's subject says what is asked and by when, then the
 * title; a title that starts "Liaison statement:" loses those words in
 * the subjects ("Liaison statement received: Liaison statement: QUIC"
 * said it twice), not in the body. */
static void
test_subject_purpose_and_title(void **state)
{
    static const struct { const char *title, *shown; } titles[] = {
        { "Liaison statement: QUIC for transport", "QUIC for transport" },
        { "LIAISON STATEMENT:QUIC for transport", "QUIC for transport" },
        { "Liaison Statement - QUIC for transport", "QUIC for transport" },
        { "Liaison statement \u2013 QUIC for transport", "QUIC for transport" },
        /* Not a label: kept as they are. */
        { "Liaison statement on QUIC", "Liaison statement on QUIC" },
        { "Liaison statements: a summary", "Liaison statements: a summary" },
        { "Liaison statement:", "Liaison statement:" },
        { "LS on QUIC", "LS on QUIC" },
    };
    static const struct { enum purpose purpose; const char *deadline, *want; } purposes[] = {
        { PURPOSE_ACTION, "2027-01-15", "[LS 42] For action, by 2027-01-15: QUIC" },
        { PURPOSE_ACTION, NULL, "[LS 42] For action: QUIC" },
        { PURPOSE_COMMENT, "2027-01-15", "[LS 42] For comment, by 2027-01-15: QUIC" },
        { PURPOSE_INFORMATION, NULL, "[LS 42] For information: QUIC" },
        /* A deadline on a statement for information asks nothing. */
        { PURPOSE_INFORMATION, "2027-01-15", "[LS 42] For information: QUIC" },
        { PURPOSE_RESPONSE, NULL, "[LS 42] Reply to the IETF: QUIC" },
        { PURPOSE_NONE, NULL, "[LS 42] New liaison statement: QUIC" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(titles); i++) {
        struct statement *s = sample_statement(titles[i].title);
        g_autofree char *subject = notification_subject_of(s);
        g_autofree char *want = g_strdup_printf("[LS 42] For action, by 2027-03-15: %s",
                                                titles[i].shown);
        struct outmail *m = compose_reminder(&test_mail_settings, s, "due", 7);
        GMimeMessage *msg = parse(m);
        g_autofree char *want_reminder = g_strdup_printf("[LS 42] Due in 7 days: %s",
                                                         titles[i].shown);
        g_autofree char *text = g_mime_text_part_get_text(
                                    GMIME_TEXT_PART(g_mime_message_get_mime_part(msg)));

        assert_string_equal(subject, want);
        assert_string_equal(g_mime_message_get_subject(msg), want_reminder);
        /* The body keeps the title whole. */
        assert_non_null(strstr(text, titles[i].title));
        g_object_unref(msg);
        outmail_free(m);
        statement_free(s);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(purposes); i++) {
        struct statement *s = sample_statement("Liaison statement: QUIC");
        g_autofree char *subject = NULL;

        s->env->purpose = purposes[i].purpose;
        g_free(s->env->deadline);
        s->env->deadline = g_strdup(purposes[i].deadline);
        subject = notification_subject_of(s);
        assert_string_equal(subject, purposes[i].want);
        statement_free(s);
    }
}

/* The help in the notification and the reminders lists every command an
 * answer may give, reopen too, as the answers to commands do. */
static void
test_commands_help(void **state)
{
    struct statement *s = sample_statement("LS on YANG models");
    struct outmail *n = compose_notification(&test_mail_settings, s);
    struct outmail *r = compose_reminder(&test_mail_settings, s, "overdue", 3);
    struct outmail *both[] = { n, r };

    for (size_t i = 0; i < G_N_ELEMENTS(both); i++) {
        g_autofree char *text = body_of(both[i]);

        assert_non_null(strstr(text, "\n  reopen\n  reopen: REASON\n"));
        assert_non_null(strstr(text, COMPOSE_COMMAND_LIST));
        outmail_free(both[i]);
    }
    statement_free(s);
}

/* The acknowledgement names where the statement went: every assignee,
 * with the groups; none yet, it says so. */
static void
test_acknowledgement_passed_to(void **state)
{
    struct statement *s = sample_statement("LS on YANG models");
    struct outmail *m;
    g_autofree char *text = NULL;

    m = compose_acknowledgement(&test_mail_settings, s, NULL);
    text = body_of(m);
    assert_non_null(strstr(text, "\n\nIt has been passed to: ccamp-chairs@ietf.test (ccamp)\n"
                                 "Any answer from the IETF will come by mail.\n\n"));
    outmail_free(m);
    g_clear_pointer(&text, g_free);
    /* Two groups: wrapped at 78 columns. */
    statement_add_recipient(s, "detnet-chairs@ietf.test", "assignee");
    g_ptr_array_add(s->groups, g_strdup("detnet"));
    m = compose_acknowledgement(&test_mail_settings, s, NULL);
    text = body_of(m);
    assert_non_null(strstr(text, "It has been passed to: ccamp-chairs@ietf.test,"
                                 " detnet-chairs@ietf.test (ccamp,\n  detnet)\n"));
    outmail_free(m);
    g_clear_pointer(&text, g_free);
    statement_free(s);

    s = sample_statement("LS on YANG models");
    g_ptr_array_set_size(s->recipients, 0);
    g_ptr_array_set_size(s->groups, 0);
    g_clear_pointer(&s->assignee, g_free);
    m = compose_acknowledgement(&test_mail_settings, s, NULL);
    text = body_of(m);
    assert_non_null(strstr(text, "It is not yet passed to an IETF group"));
    outmail_free(m);
    statement_free(s);
}

/* The acknowledgement: to the response contact; diagnostics as requests. */
static void
test_acknowledgement(void **state)
{
    struct statement *s = sample_statement("LS on YANG models");
    struct outmail *m;
    GMimeMessage *msg;
    g_autofree char *to = NULL, *cc = NULL, *text = NULL;

    statement_add_diagnostic(s, "attachment-not-readable-format", "x");
    statement_add_diagnostic(s, "purpose-missing", "y");
    statement_add_diagnostic(s, "attachment-tnef", "z");
    m = compose_acknowledgement(&test_mail_settings, s, NULL);
    assert_non_null(m);
    check_raw_headers(m);
    msg = parse(m);
    assert_common(msg, "acknowledgement");
    to = addresses(msg, GMIME_ADDRESS_TYPE_TO);
    cc = addresses(msg, GMIME_ADDRESS_TYPE_CC);
    assert_string_equal(to, "tsbsg15@itu.test");
    assert_string_equal(cc, "");
    assert_int_equal(m->rcpts->len, 1);
    assert_true(g_str_has_prefix(g_mime_message_get_subject(msg), "[LS 42] Acknowledgement: "));
    text = g_mime_text_part_get_text(GMIME_TEXT_PART(g_mime_message_get_mime_part(msg)));
    assert_non_null(strstr(text, "Tracking id: LS 42"));
    /* Requests are wrapped at 72 columns: read them unwrapped. */
    {
        g_auto(GStrv) lines = (g_strdelimit(text, "\r", ' '),
                               g_strsplit(text, " \n    ", -1));

        g_free(text);
        text = g_strjoinv(" ", lines);
    }
    assert_non_null(strstr(text, "please send a PDF beside the Word file"));
    assert_non_null(strstr(text, "recorded as For Information"));
    assert_non_null(strstr(text, "send the files again as ordinary attachments"));
    g_object_unref(msg);
    outmail_free(m);
    /* No response contact: no acknowledgement. */
    g_ptr_array_set_size(s->env->response_contacts, 0);
    assert_null(compose_acknowledgement(&test_mail_settings, s, NULL));
    statement_free(s);
}

/* Reminders: to the assignee, copying all but the lists; the subject says
 * how far the deadline is, first, where a mailbox list does not cut it
 * off, then the title. */
static void
test_reminder(void **state)
{
    struct statement *s = sample_statement("LS on YANG models");
    struct outmail *m = compose_reminder(&test_mail_settings, s, "due", 7);
    GMimeMessage *msg;
    g_autofree char *to = NULL, *cc = NULL, *env = NULL;

    assert_non_null(m);
    check_raw_headers(m);
    msg = parse(m);
    assert_common(msg, "reminder");
    to = addresses(msg, GMIME_ADDRESS_TYPE_TO);
    cc = addresses(msg, GMIME_ADDRESS_TYPE_CC);
    env = rcpts(m);
    assert_string_equal(to, "ccamp-chairs@ietf.test");
    assert_string_equal(cc, "h.tanabe@itu.test,rtg-ads@ietf.test,itu-t-sg15-manager@ietf.test");
    assert_string_equal(env, "ccamp-chairs@ietf.test,h.tanabe@itu.test,rtg-ads@ietf.test,"
                        "itu-t-sg15-manager@ietf.test");
    assert_string_equal(g_mime_message_get_subject(msg),
                        "[LS 42] Due in 7 days: LS on YANG models");
    g_object_unref(msg);
    outmail_free(m);

    m = compose_reminder(&test_mail_settings, s, "overdue", 3);
    msg = parse(m);
    assert_string_equal(g_mime_message_get_subject(msg),
                        "[LS 42] Overdue by 3 days: LS on YANG models");
    assert_text_addressed(msg);
    g_object_unref(msg);
    outmail_free(m);
    m = compose_reminder(&test_mail_settings, s, "overdue", 1);
    msg = parse(m);
    assert_string_equal(g_mime_message_get_subject(msg),
                        "[LS 42] Overdue by 1 day: LS on YANG models");
    g_object_unref(msg);
    outmail_free(m);
    m = compose_reminder(&test_mail_settings, s, "no-deadline", 120);
    msg = parse(m);
    assert_string_equal(g_mime_message_get_subject(msg),
                        "[LS 42] No response after 120 days: LS on YANG models");
    assert_text_addressed(msg);
    g_object_unref(msg);
    outmail_free(m);
    m = compose_reminder(&test_mail_settings, s, "due", 0);
    msg = parse(m);
    assert_string_equal(g_mime_message_get_subject(msg),
                        "[LS 42] Due today: LS on YANG models");
    g_object_unref(msg);
    outmail_free(m);
    /* Two assignees: both named, asked in the plural. */
    statement_add_recipient(s, "netmod-chairs@ietf.test", "assignee");
    m = compose_reminder(&test_mail_settings, s, "due", 7);
    msg = parse(m);
    {
        g_autofree char *text =
            g_mime_text_part_get_text(GMIME_TEXT_PART(g_mime_message_get_mime_part(msg)));

        assert_non_null(strstr(text, "Assigned to: ccamp-chairs@ietf.test, netmod-chairs@ietf.test"));
        assert_non_null(strstr(text, "The assignees are asked"));
    }
    g_object_unref(msg);
    outmail_free(m);
    statement_free(s);
}

/* The text of a composed mail as a reader sees it, split into lines
 * (CR dropped). */
static GStrv
text_lines(const struct outmail *m)
{
    GMimeMessage *msg = parse(m);
    g_autofree char *text =
        g_mime_text_part_get_text(GMIME_TEXT_PART(g_mime_message_get_mime_part(msg)));

    g_auto(GStrv) crlf = g_strsplit(text, "\r\n", -1);
    g_autofree char *lf = g_strjoinv("\n", crlf);

    g_object_unref(msg);
    return g_strsplit(lf, "\n", -1);
}

/* The index of the first line holding needle, at most before line stop
 * (-1: anywhere); -1 when none does. */
static int
line_with(GStrv lines, const char *needle, int stop)
{
    for (int i = 0; lines[i] != NULL && (stop < 0 || i < stop); i++)
        if (strstr(lines[i], needle) != NULL)
            return i;
    return -1;
}

/* The first screen of the notification says what is asked, by when,
 * where the statement is and how to answer and close it: all before the
 * envelope table, which with its contacts and attachments used to push
 * the deadline and the page below an 80x24 screen. */
static void
test_notification_first_screen(void **state)
{
    struct statement *s = sample_statement("LS on YANG models");
    struct outmail *m = compose_notification(&test_mail_settings, s);
    g_auto(GStrv) lines = text_lines(m);
    int title = line_with(lines, "  Title:", -1);

    assert_true(title > 0 && title < 14);
    assert_true(line_with(lines, "arrived, for action.", title) >= 0);
    assert_true(line_with(lines, "Please reply by 2027-03-15.", title) >= 0);
    assert_true(line_with(lines, "https://datatracker.ietf.test/liaison/42", title) >= 0);
    assert_true(line_with(lines, "reply to this message", title) >= 0);
    assert_true(line_with(lines, "\"close\"", title) >= 0);
    outmail_free(m);
    /* For information: no deadline asked, and it says so first. */
    s->env->purpose = PURPOSE_INFORMATION;
    g_clear_pointer(&s->env->deadline, g_free);
    m = compose_notification(&test_mail_settings, s);
    {
        g_auto(GStrv) info = text_lines(m);

        assert_string_equal(info[0], "A liaison statement has arrived, for information.");
        assert_int_equal(line_with(info, "Please reply by", -1), -1);
    }
    outmail_free(m);
    statement_free(s);
}

/* A reminder names no internal kind ("due", "overdue", "no-deadline")
 * and has the page and how to answer before the envelope table too. */
static void
test_reminder_plain_words(void **state)
{
    static const char *const kinds[] = { "due", "overdue", "no-deadline" };
    struct statement *s = sample_statement("LS on YANG models");

    for (size_t k = 0; k < G_N_ELEMENTS(kinds); k++) {
        struct outmail *m = compose_reminder(&test_mail_settings, s, kinds[k], 7);
        g_auto(GStrv) lines = text_lines(m);
        g_autofree char *jargon = g_strdup_printf("(%s)", kinds[k]);
        int title = line_with(lines, "  Title:", -1);

        assert_int_equal(line_with(lines, jargon, -1), -1);
        assert_true(line_with(lines, "This reminder was generated automatically.", -1) > title);
        assert_true(line_with(lines, "https://datatracker.ietf.test/liaison/42", title) >= 0);
        assert_true(line_with(lines, "reply to this message", title) >= 0);
        outmail_free(m);
    }
    statement_free(s);
}

/* No line of a notification or an acknowledgement runs past 78 columns
 * (RFC 5322 section 2.1.1) for a long title, a long To and three
 * assignees: the values wrap under themselves, every word kept. */
static void
test_lines_wrapped(void **state)
{
    struct statement *s = sample_statement(
        "Recently published Broadband Forum work items on access network "
        "equipment management and capacity measurement (November 2026)");
    struct outmail *m[2];

    g_free(s->env->to_body);
    s->env->to_body = g_strdup("IETF IPPM WG, IETF NETMOD WG, IETF RTGWG, IETF OPSAWG, "
                               "IETF CCAMP WG");
    statement_add_recipient(s, "netmod-chairs@ietf.test", "assignee");
    statement_add_recipient(s, "rtgwg-chairs@ietf.test", "assignee");
    m[0] = compose_notification(&test_mail_settings, s);
    m[1] = compose_acknowledgement(&test_mail_settings, s, NULL);
    for (int k = 0; k < 2; k++) {
        g_auto(GStrv) lines = text_lines(m[k]);
        int title = line_with(lines, "  Title:", -1);

        for (int i = 0; lines[i] != NULL; i++)
            assert_true(g_utf8_strlen(lines[i], -1) <= 78);
        assert_string_equal(lines[title], "  Title:              Recently published Broadband "
                                          "Forum work items on access");
        assert_string_equal(lines[title + 1], "                      network equipment "
                                              "management and capacity measurement");
        assert_string_equal(lines[title + 2], "                      (November 2026)");
        if (k == 0) {
            int at = line_with(lines, "Assigned to: ", -1);

            assert_string_equal(lines[at], "Assigned to: ccamp-chairs@ietf.test, "
                                           "netmod-chairs@ietf.test,");
            assert_string_equal(lines[at + 1], "             rtgwg-chairs@ietf.test");
        }
        outmail_free(m[k]);
    }
    statement_free(s);
}

/* A report goes to the one address given, and never to a bad one. */
static void
test_report(void **state)
{
    struct statement *s = sample_statement("LS on YANG models");
    struct outmail *m = compose_report(&test_mail_settings, s, "itu-t-sg15-manager@ietf.test",
                                       "Undeliverable mail", "It bounced.");
    GMimeMessage *msg;
    g_autofree char *to = NULL;

    assert_non_null(m);
    assert_string_equal(m->kind, "report");
    msg = parse(m);
    assert_common(msg, "report");
    to = addresses(msg, GMIME_ADDRESS_TYPE_TO);
    assert_string_equal(to, "itu-t-sg15-manager@ietf.test");
    assert_string_equal(g_mime_message_get_subject(msg), "[LS 42] Undeliverable mail");
    g_object_unref(msg);
    outmail_free(m);
    assert_null(compose_report(&test_mail_settings, s, "not an address", "x", "y"));
    assert_null(compose_report(&test_mail_settings, s, "a@b.test\r\nBcc: x@y.test", "x", "y"));
    statement_free(s);
}

/* Compose a notification for title and return its header names and, in
 * *subject, the decoded Subject. */
static char *
names_for_title(const char *title, char **subject)
{
    struct statement *s = sample_statement(title);
    struct outmail *m = compose_notification(&test_mail_settings, s);
    GMimeMessage *msg;
    char *names;
    int fields, parsed;

    assert_non_null(m);
    fields = check_raw_headers(m);
    msg = parse(m);
    names = header_names(msg, &parsed);
    assert_int_equal(fields, parsed);
    /* Non-ASCII text brings a Content-Transfer-Encoding: not a header of
     * the input's making, so leave it out of the comparison. */
    {
        char *cte = strstr(names, " Content-Transfer-Encoding");

        if (cte != NULL)
            *cte = '\0';
    }
    *subject = g_strdup(g_mime_message_get_subject(msg));
    g_object_unref(msg);
    outmail_free(m);
    statement_free(s);
    return names;
}

/* Titles that try to inject headers, long ones and non-ASCII ones give
 * the same header list as a harmless title. */
static void
test_header_injection(void **state)
{
    g_autofree char *plain_subject = NULL;
    g_autofree char *plain = names_for_title("Harmless", &plain_subject);
    GString *longtitle = g_string_new(NULL);
    const char *hostile[] = {
        "Title\r\nBcc: victim@evil.test",
        "Title\nX-Injected: yes",
        "Title\rX-Injected: yes",
        "Title\r\n\r\nbody injected",
        "Title\x01\x02\x1b[31m\x7f end",
        "Title \xc2\x85 NEL \xe2\x80\xa8 LS",
        "Invalid UTF-8 \xff\xfe\xc3 end",
        "Réponse à la déclaration de liaison — 日本語のタイトル",
        NULL,
    };

    for (int i = 0; i < 2000; i++)
        g_string_append_c(longtitle, i % 50 == 49 ? ' ' : 'a' + i % 26);
    for (int i = 0; hostile[i] != NULL; i++) {
        g_autofree char *subject = NULL;
        g_autofree char *names = names_for_title(hostile[i], &subject);

        assert_string_equal(names, plain);
        assert_null(strchr(subject, '\r'));
        assert_null(strchr(subject, '\n'));
    }
    {
        g_autofree char *subject = NULL;
        g_autofree char *names = names_for_title(
            "Réponse à la déclaration de liaison — 日本語のタイトル", &subject);

        assert_string_equal(subject, "[LS 42] For action, by 2027-03-15: "
                            "Réponse à la déclaration de liaison — 日本語のタイトル");
    }
    {
        g_autofree char *subject = NULL;
        g_autofree char *names = names_for_title(longtitle->str, &subject);

        assert_string_equal(names, plain);
        /* Cut to 300 characters with an ellipsis; the body keeps it all. */
        assert_true(g_str_has_suffix(subject, "\u2026"));
        assert_true(g_utf8_strlen(subject, -1) < 400);
    }
    {
        /* One 2,000-character word: GMime must still fold or encode it. */
        g_autofree char *word = g_strnfill(2000, 'x');
        g_autofree char *subject = NULL;
        g_autofree char *names = names_for_title(word, &subject);

        assert_string_equal(names, plain);
    }
    g_string_free(longtitle, TRUE);
}

/* The raw field name of m, folded lines kept: from "Name:" to the CRLF
 * before the next field. */
static char *
raw_field(const struct outmail *m, const char *name)
{
    gsize len;
    const char *raw = g_bytes_get_data(m->raw, &len);
    g_autofree char *key = g_strconcat("\r\n", name, ":", NULL);
    const char *start = g_strstr_len(raw, len, key);
    const char *end;

    assert_non_null(start);
    start += 2;
    for (end = start; (end = g_strstr_len(end, raw + len - end, "\r\n")) != NULL; end += 2)
        if (end[2] != ' ' && end[2] != '\t')
            break;
    assert_non_null(end);
    return g_strndup(start, end - start);
}

/* The bytes of an RFC 2047 Q encoded text: '_' a space, =XX a byte. */
static guchar *
q_decode(const char *text, gsize *n)
{
    GByteArray *b = g_byte_array_new();

    for (const char *p = text; *p != '\0'; p++) {
        guint8 c = (guint8) *p;

        if (*p == '_') {
            c = ' ';
        } else if (*p == '=') {
            assert_true(g_ascii_isxdigit(p[1]) && g_ascii_isxdigit(p[2]));
            c = (guint8) (g_ascii_xdigit_value(p[1]) * 16 + g_ascii_xdigit_value(p[2]));
            p += 2;
        }
        g_byte_array_append(b, &c, 1);
    }
    *n = b->len;
    return g_byte_array_free(b, FALSE);
}

/* Subjects keep RFC 2047's limits whatever the title: every encoded-word
 * at most 75 characters holding whole UTF-8 characters, every line of
 * the field at most 78, and the Subject read back is the title.  GMime
 * alone made one encoded-word of about 170 characters of a long Japanese
 * title.  A title that looks like an encoded-word stays that text. */
static void
test_encoded_words(void **state)
{
    const char *titles[] = {
        "新しい勧告草案に関するリエゾン文書光伝送網の同期に関する作業の進捗についての回答要請",
        "G.8275.1改訂版に関するリエゾン文書：光伝送網の同期 および 周波数配信の作業計画について",
        "Überweisungsträgerverarbeitungsgesetzänderungsverordnungsentwurfsbegründungsanhänge",
        "Emoji 😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀 run",
        "Réponse à la déclaration de liaison — 日本語のタイトル",
        "Literal =?UTF-8?B?SGVsbG8=?= stays",
        "Plain ASCII title about YANG models",
        "See https://www.3gpp.test/ftp/tsg_sa/WG2_Arch/TSGS2_160_Electronic_2023-11/Docs/S2-2311234.zip now",
        NULL,
    };

    for (int i = 0; titles[i] != NULL; i++) {
        struct statement *s = sample_statement(titles[i]);
        struct outmail *m = compose_notification(&test_mail_settings, s);
        g_autofree char *field = raw_field(m, "Subject");
        g_autofree char *want = g_strdup_printf("[LS 42] For action, by 2027-03-15: %s",
                                                titles[i]);
        g_auto(GStrv) lines = g_strsplit(field, "\r\n", -1);
        GMimeMessage *msg;
        int words = 0;

        check_raw_headers(m);
        for (int l = 0; lines[l] != NULL; l++)
            assert_true(strlen(lines[l]) <= 78);
        for (const char *p = field; (p = strstr(p, "=?")) != NULL;) {
            const char *q;
            g_autofree char *b64 = NULL;
            g_autofree guchar *bytes = NULL;
            gsize n;

            assert_true(g_str_has_prefix(p, "=?UTF-8?B?") || g_str_has_prefix(p, "=?UTF-8?Q?"));
            q = strstr(p + 10, "?=");
            assert_non_null(q);
            /* "=?UTF-8?B?" or "=?UTF-8?Q?" ... "?=" */
            assert_true(q + 2 - p <= 75);
            b64 = g_strndup(p + 10, q - (p + 10));
            if (g_str_has_prefix(p, "=?UTF-8?B?")) {
                bytes = g_base64_decode(b64, &n);
                /* Padding only in the last word of a run: GMime joins
                 * adjacent words' base64 before decoding it. */
                if (strchr(b64, '=') != NULL)
                    assert_false(g_str_has_prefix(q + 2, " =?"));
            } else {
                assert_true(g_str_has_prefix(p, "=?UTF-8?Q?"));
                bytes = q_decode(b64, &n);
            }
            assert_true(g_utf8_validate((const char *) bytes, n, NULL));
            words++;
            p = q + 2;
        }
        /* The short ASCII title needs no encoded-word, the others do
         * (the URL is too long for a folded line). */
        assert_true((words == 0) == (i == 6));
        msg = parse(m);
        assert_string_equal(g_mime_message_get_subject(msg), want);
        g_object_unref(msg);
        outmail_free(m);
        statement_free(s);
    }
}

/* The same limits in a display name: a deployment named in Chinese gets
 * a From of encoded-words of at most 75 characters that reads back as its
 * name.  And a title's bidirectional controls never reach the Subject,
 * where "invoice\u202Etxt.exe" would read as "invoiceexe.txt". */
static void
test_from_name_and_bidi(void **state)
{
    static const char name[] = "互联网工程任务组联络声明秘书处自动通知系统";
    struct compose_settings cs = test_mail_settings;
    struct statement *s = sample_statement("invoice\u202Etxt.exe \u2066isolated\u2069 \u200Fmark");
    struct outmail *m;
    GMimeMessage *msg;
    InternetAddressList *from;
    g_autofree char *field = NULL;

    cs.from_name = name;
    m = compose_notification(&cs, s);
    check_raw_headers(m);
    field = raw_field(m, "From");
    for (const char *p = field; (p = strstr(p, "=?")) != NULL;) {
        const char *q = strstr(p + 10, "?=");

        assert_non_null(q);
        assert_true(q + 2 - p <= 75);
        p = q + 2;
    }
    assert_non_null(strstr(field, "<liaisons@ietf.test>"));
    msg = parse(m);
    from = g_mime_message_get_from(msg);
    assert_int_equal(internet_address_list_length(from), 1);
    assert_string_equal(internet_address_get_name(internet_address_list_get_address(from, 0)),
                        name);
    assert_string_equal(g_mime_message_get_subject(msg),
                        "[LS 42] For action, by 2027-03-15: invoicetxt.exe isolated mark");
    g_object_unref(msg);
    outmail_free(m);
    statement_free(s);
}

/* Hostile addresses are dropped, never repaired; a hostile Message-ID is
 * not repeated. */
static void
test_hostile_addresses(void **state)
{
    struct statement *s = sample_statement("T");
    struct outmail *m;
    GMimeMessage *msg;
    g_autofree char *cc = NULL, *env = NULL;

    statement_add_recipient(s, "evil@x.test\r\nBcc: victim@y.test", "technical");
    statement_add_recipient(s, "two words@x.test", "technical");
    statement_add_recipient(s, "noat.x.test", "technical");
    statement_add_recipient(s, "a@b@c.test", "technical");
    statement_add_recipient(s, "\"quoted\"@x.test", "technical");
    statement_add_recipient(s, "Upper@Case.TEST", "technical");
    g_free(s->message_id);
    s->message_id = g_strdup("<a@b.test>\r\nBcc: victim@y.test");
    m = compose_notification(&test_mail_settings, s);
    check_raw_headers(m);
    msg = parse(m);
    cc = addresses(msg, GMIME_ADDRESS_TYPE_CC);
    env = rcpts(m);
    assert_string_equal(cc, "h.tanabe@itu.test,rtg-ads@ietf.test,"
                        "itu-t-sg15-manager@ietf.test,ccamp@ietf.test,netmod@ietf.test,"
                        "upper@case.test");
    assert_null(strstr(env, "victim"));
    assert_null(g_mime_object_get_header(GMIME_OBJECT(msg), "In-Reply-To"));
    assert_null(g_mime_object_get_header(GMIME_OBJECT(msg), "References"));
    assert_null(g_mime_object_get_header(GMIME_OBJECT(msg), "Bcc"));
    g_object_unref(msg);
    outmail_free(m);
    /* Ids a reader would misparse are not repeated either; a plain one is. */
    {
        const char *bad[] = { "<a(b)c@itu.test>", "<garbage(>", "<no-at-sign>", "<@x.test>",
                              "<a@>", "<a@b@c.test>", "<a;b@x.test>", "<a[b@x.test>",
                              "<a@x[1]>", NULL };

        for (int i = 0; bad[i] != NULL; i++) {
            g_free(s->message_id);
            s->message_id = g_strdup(bad[i]);
            m = compose_notification(&test_mail_settings, s);
            msg = parse(m);
            assert_null(g_mime_object_get_header(GMIME_OBJECT(msg), "In-Reply-To"));
            g_object_unref(msg);
            outmail_free(m);
        }
        const char *good[] = { "<ls-7.plain+id@itu.test>", "<x@[192.0.2.1]>", NULL };

        for (int i = 0; good[i] != NULL; i++) {
            g_free(s->message_id);
            s->message_id = g_strdup(good[i]);
            m = compose_notification(&test_mail_settings, s);
            msg = parse(m);
            assert_string_equal(g_mime_object_get_header(GMIME_OBJECT(msg), "In-Reply-To"),
                                good[i]);
            g_object_unref(msg);
            outmail_free(m);
        }
    }
    statement_free(s);
}

/* VERP: the documented form, and read back. */
static void
test_verp(void **state)
{
    g_autofree char *v = compose_verp_sender(&test_mail_settings, "k3y", 17, "ccamp@ietf.test");
    g_autofree char *sum = g_compute_hmac_for_string(G_CHECKSUM_SHA256, (const guchar *) "k3y", 3,
                                                     "17:ccamp@ietf.test", -1);
    g_autofree char *other_key = compose_verp_sender(&test_mail_settings, "other", 17, "ccamp@ietf.test");
    g_autofree char *other_row = compose_verp_sender(&test_mail_settings, "k3y", 18, "ccamp@ietf.test");
    g_autofree char *want = g_strdup_printf("liaisons+b.17.%.12s@ietf.test", sum);
    g_autofree char *bracketed = g_strdup_printf("<%s>", v);
    gint64 row = 0;
    char hash[13];

    assert_string_equal(v, want);
    /* Keyed by the secret and bound to the row: neither can be guessed. */
    assert_string_not_equal(v, other_key);
    assert_string_not_equal(v + 16, other_row + 16);
    assert_true(compose_verp_parse(v, &row, hash));
    assert_int_equal(row, 17);
    assert_memory_equal(hash, sum, 12);
    assert_true(compose_verp_parse(bracketed, &row, hash));
    assert_false(compose_verp_parse("liaisons@ietf.test", &row, hash));
    assert_false(compose_verp_parse("liaisons+b.x.123456789012@ietf.test", &row, hash));
    assert_false(compose_verp_parse("liaisons+b.3.12345@ietf.test", &row, hash));
}

/* Queue, select due, claim once, record recipients, look a bounce up. */
static void
test_outbox_store(void **state)
{
    g_autofree char *dir = g_dir_make_tmp("liaison-compose-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "t.db", NULL);
    GError *err = NULL;
    struct store *st = store_open(path, 1000, &err);
    struct statement *s = sample_statement("T");
    struct outmail *m = compose_notification(&test_mail_settings, s);
    struct store_outbox_row *row;
    gint64 id, got_row = 0, got_st = -1;
    GArray *due;
    gboolean claimed = FALSE;
    char *rcpt = NULL, *secret = NULL;
    g_autofree char *verp = NULL;

    assert_non_null(st);
    s->id = 0;
    assert_true(store_add_statement(st, s, &err) > 0);
    assert_true(store_begin(st, &err));
    id = outbox_queue(st, s->id, m, &err);
    assert_true(id > 0);
    assert_true(store_commit(st, &err));

    due = store_outbox_due(st, "2999-01-01T00:00:00Z", 0, &err);
    assert_non_null(due);
    assert_int_equal(due->len, 1);
    g_array_free(due, TRUE);
    due = store_outbox_due(st, "2000-01-01T00:00:00Z", 0, &err);
    assert_int_equal(due->len, 0);
    g_array_free(due, TRUE);

    /* A row still waiting is never put back (requeue): not queued... */
    {
        gboolean changed = TRUE;

        assert_true(store_outbox_requeue(st, id, "2999-01-01T00:00:00Z", &changed, &err));
        assert_false(changed);
    }
    assert_true(store_outbox_claim(st, id, "2999-01-01T00:00:00Z",
                                   "2999-01-01T00:10:00Z", &claimed, &err));
    assert_true(claimed);
    assert_true(store_outbox_claim(st, id, "2999-01-01T00:00:00Z",
                                   "2999-01-01T00:10:00Z", &claimed, &err));
    assert_false(claimed);
    /* ...nor claimed: moving its next_try would let a second sender in. */
    {
        gboolean changed = TRUE;

        assert_true(store_outbox_requeue(st, id, "2999-01-01T00:00:00Z", &changed, &err));
        assert_false(changed);
        row = store_outbox_get(st, id, &err);
        assert_string_equal(row->next_try, "2999-01-01T00:10:00Z");
        assert_null(row->requeued);
        store_outbox_row_free(row);
    }

    /* The lease is renewed only by its holder; a sender holding an older
     * one (its lease ran out and the row was claimed again) changes
     * nothing, and neither do its final writes. */
    {
        gboolean kept = TRUE;

        assert_true(store_outbox_renew(st, id, "2999-01-01T00:05:00Z",
                                       "2999-01-01T00:20:00Z", &kept, &err));
        assert_false(kept);
        assert_true(store_outbox_renew(st, id, "2999-01-01T00:10:00Z",
                                       "2999-01-01T00:20:00Z", &kept, &err));
        assert_true(kept);
        kept = TRUE;
        assert_true(store_outbox_defer(st, id, "2999-01-01T01:00:00Z", "x",
                                       "2999-01-01T00:10:00Z", &kept, &err));
        assert_false(kept);
        assert_true(store_outbox_mark_sent(st, id, "2999-01-01T00:00:01Z", NULL,
                                           "2999-01-01T00:10:00Z", &kept, &err));
        assert_false(kept);
        row = store_outbox_get(st, id, &err);
        assert_non_null(row);
        assert_string_equal(row->next_try, "2999-01-01T00:20:00Z");
        assert_null(row->sent);
        assert_int_equal(row->attempts, 0);
        store_outbox_row_free(row);
    }

    assert_true(store_outbox_delivered(st, id, "ccamp@ietf.test", &err));
    assert_true(store_outbox_rejected(st, id, "netmod@ietf.test", "550 no", &err));
    row = store_outbox_get(st, id, &err);
    assert_non_null(row);
    assert_string_equal(row->delivered, "ccamp@ietf.test\n");
    assert_string_equal(row->rejected, "netmod@ietf.test\n");
    assert_string_equal(row->kind, "notification");
    assert_int_equal(row->statement, s->id);
    assert_int_equal(g_bytes_get_size(row->raw), g_bytes_get_size(m->raw));
    store_outbox_row_free(row);

    /* Given up with no reason of its own (a sender settling a row whose
     * recipients an earlier run had refused): the reason recorded before
     * is kept, not wiped. */
    {
        gboolean kept = FALSE;

        assert_true(store_outbox_defer(st, id, "2999-01-01T02:00:00Z", "RCPT TO: 550 no",
                                       "2999-01-01T00:20:00Z", &kept, &err));
        assert_true(kept);
        assert_true(store_outbox_fail(st, id, "2999-01-01T02:00:01Z", NULL,
                                      "2999-01-01T02:00:00Z", &kept, &err));
        assert_true(kept);
        row = store_outbox_get(st, id, &err);
        assert_non_null(row);
        assert_string_equal(row->failed, "2999-01-01T02:00:01Z");
        assert_string_equal(row->last_error, "RCPT TO: 550 no");
        store_outbox_row_free(row);
    }

    /* Given up: requeue puts it back, due at once, with the refusals
     * cleared and the deliveries kept, the backoff from scratch, and the
     * reason kept for the record. */
    {
        gboolean changed = FALSE, kept = FALSE;

        assert_true(store_outbox_requeue(st, id, "2999-01-02T00:00:00Z", &changed, &err));
        assert_true(changed);
        row = store_outbox_get(st, id, &err);
        assert_null(row->failed);
        assert_null(row->sent);
        assert_string_equal(row->rejected, "");
        assert_string_equal(row->delivered, "ccamp@ietf.test\n");
        assert_int_equal(row->attempts, 0);
        assert_string_equal(row->next_try, "2999-01-02T00:00:00Z");
        assert_string_equal(row->requeued, "2999-01-02T00:00:00Z");
        assert_string_equal(row->last_error, "RCPT TO: 550 no");
        store_outbox_row_free(row);
        /* Waiting again: a second requeue changes nothing. */
        assert_true(store_outbox_requeue(st, id, "2999-01-03T00:00:00Z", &changed, &err));
        assert_false(changed);
        /* Sent with a recipient refused: put back for that recipient. */
        assert_true(store_outbox_rejected(st, id, "netmod@ietf.test", "550 no", &err));
        assert_true(store_outbox_mark_sent(st, id, "2999-01-02T00:00:01Z", NULL, NULL,
                                           &kept, &err));
        assert_true(store_outbox_requeue(st, id, "2999-01-04T00:00:00Z", &changed, &err));
        assert_true(changed);
        /* Sent to every recipient: nothing to put back. */
        assert_true(store_outbox_mark_sent(st, id, "2999-01-04T00:00:01Z", NULL, NULL,
                                           &kept, &err));
        assert_true(store_outbox_requeue(st, id, "2999-01-05T00:00:00Z", &changed, &err));
        assert_false(changed);
        row = store_outbox_get(st, id, &err);
        assert_string_equal(row->sent, "2999-01-04T00:00:01Z");
        assert_string_equal(row->requeued, "2999-01-04T00:00:00Z");
        store_outbox_row_free(row);
    }

    secret = store_secret(st, &err);
    assert_non_null(secret);
    assert_int_equal(strlen(secret), 64);
    verp = compose_verp_sender(&test_mail_settings, secret, id, "rtg-ads@ietf.test");
    assert_true(outbox_verp_lookup(st, verp, &got_row, &rcpt, &got_st, &err));
    assert_int_equal(got_row, id);
    assert_int_equal(got_st, s->id);
    assert_string_equal(rcpt, "rtg-ads@ietf.test");
    g_free(rcpt);
    g_free(verp);
    verp = compose_verp_sender(&test_mail_settings, secret, id, "stranger@x.test");
    assert_false(outbox_verp_lookup(st, verp, &got_row, &rcpt, NULL, &err));
    g_clear_error(&err);
    g_free(verp);
    /* A forger who knows the row and the address but not the secret: the
     * old unkeyed form of the hash names nothing. */
    {
        g_autofree char *plain = g_compute_checksum_for_string(G_CHECKSUM_SHA256,
                                                               "rtg-ads@ietf.test", -1);

        verp = g_strdup_printf("liaisons+b.%" G_GINT64_FORMAT ".%.12s@ietf.test", id, plain);
    }
    assert_false(outbox_verp_lookup(st, verp, &got_row, &rcpt, NULL, &err));
    g_clear_error(&err);
    g_free(secret);

    /* A row sent is no longer due: a second row, due until marked (the
     * first is failed already, so it says nothing about sending). */
    {
        gint64 id2 = outbox_queue(st, s->id, m, &err);

        assert_true(id2 > id);
        due = store_outbox_due(st, "2999-01-02T00:00:00Z", 0, &err);
        assert_int_equal(due->len, 1);
        assert_int_equal(g_array_index(due, gint64, 0), id2);
        g_array_free(due, TRUE);
        assert_true(store_outbox_mark_sent(st, id2, "2999-01-01T00:00:01Z", NULL, NULL, NULL,
                                           &err));
        row = store_outbox_get(st, id2, &err);
        assert_non_null(row);
        assert_string_equal(row->sent, "2999-01-01T00:00:01Z");
        store_outbox_row_free(row);
        due = store_outbox_due(st, "2999-01-02T00:00:00Z", 0, &err);
        assert_int_equal(due->len, 0);
        g_array_free(due, TRUE);
    }

    outmail_free(m);
    statement_free(s);
    store_close(st);
    {
        g_autofree char *wal = g_strconcat(path, "-wal", NULL);
        g_autofree char *shm = g_strconcat(path, "-shm", NULL);

        g_unlink(path);
        g_unlink(wal);
        g_unlink(shm);
        g_rmdir(dir);
    }
}

/* A relay for outbox_flush on 127.0.0.1, scripted, one connection at a
 * time in a thread of its own: what it answers (250 unless told), and a
 * log of what it was sent, a line per command ("MAIL liaisons+b...",
 * "RCPT a@x", "DOT" for a message accepted, "CONNECT" for a session). */
struct fake_relay {
    int     listen_fd;
    int     port;
    GThread *thread;
    gint    done;
    const char *refuse_rcpt;    /* this RCPT gets 550 */
    const char *greylist_rcpt;  /* this RCPT gets 450 the first time, then 250 */
    int     greylisted;         /* 450s given to greylist_rcpt */
    const char *rset_answer;    /* the answer to RSET; "421 ..." closes */
    gint   *stop_at_dot;        /* set to 1 at the first message's final dot */
    gboolean mute_at_dot;       /* the first message's final dot gets no
                                   answer: the session is closed instead */
    const char *auth_answer;    /* AUTH offered when set: the answer to it,
                                   "close" to close the session instead */
    gboolean starttls;          /* STARTTLS offered, agreed to, and then
                                   answered with no TLS at all */
    const char *drop;           /* after the first message, the session is
                                   dropped: "close" closes it right after
                                   the 250 to the dot; else the next MAIL
                                   gets this answer and the session closes
                                   (a relay's idle timeout) */
    gboolean drop_later;        /* and every MAIL of the later sessions too
                                   gets drop's answer, closing them */
    GMutex  lock;
    GString *log;
    int     dots;               /* messages accepted */
};

/* Append a line to the relay's log. */
static void
fake_log(struct fake_relay *f, const char *what, const char *arg)
{
    g_mutex_lock(&f->lock);
    g_string_append_printf(f->log, "%s%s%s\n", what, arg != NULL ? " " : "",
                           arg != NULL ? arg : "");
    g_mutex_unlock(&f->lock);
}

/* The address inside "CMD:<addr>..." (or the rest of the line). */
static char *
fake_arg(const char *line)
{
    const char *lt = strchr(line, '<'), *gt = lt != NULL ? strchr(lt, '>') : NULL;

    return lt != NULL && gt != NULL ? g_strndup(lt + 1, gt - lt - 1) : g_strdup(line);
}

/* Serve one SMTP session on fd until QUIT, EOF or a closing answer. */
static void
fake_session(struct fake_relay *f, int fd)
{
    FILE   *in = fdopen(dup(fd), "r");
    FILE   *out = fdopen(dup(fd), "w");
    char    line[2048];
    gboolean data = FALSE;
    gboolean dropping = f->drop != NULL && f->drop_later && f->dots > 0;

    fake_log(f, "CONNECT", NULL);
    fputs("220 fake.test ESMTP\r\n", out);
    fflush(out);
    while (fgets(line, sizeof line, in) != NULL) {
        g_strchomp(line);
        if (data) {
            if (strcmp(line, ".") == 0) {
                data = FALSE;
                f->dots++;
                fake_log(f, "DOT", NULL);
                if (f->stop_at_dot != NULL && f->dots == 1)
                    g_atomic_int_set(f->stop_at_dot, 1);
                if (f->mute_at_dot && f->dots == 1) {
                    fake_log(f, "CLOSED", NULL);
                    break;
                }
                fputs("250 2.0.0 queued\r\n", out);
                dropping = dropping || (f->drop != NULL && f->dots == 1);
                if (dropping && strcmp(f->drop, "close") == 0) {
                    fake_log(f, "CLOSED", NULL);
                    break;
                }
            }
        } else if (dropping && g_ascii_strncasecmp(line, "MAIL", 4) == 0) {
            g_autofree char *a = fake_arg(line);

            fake_log(f, "DROPPED", a);
            fprintf(out, "%s\r\n", f->drop);
            break;
        } else if (g_ascii_strncasecmp(line, "EHLO", 4) == 0) {
            fputs(f->starttls ? "250-fake.test\r\n250-STARTTLS\r\n" : "250-fake.test\r\n", out);
            fputs(f->auth_answer != NULL ? "250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"
                                         : "250 8BITMIME\r\n", out);
        } else if (g_ascii_strncasecmp(line, "STARTTLS", 8) == 0 && f->starttls) {
            fake_log(f, "STARTTLS", NULL);
            fputs("220 2.0.0 Ready to start TLS\r\nthis is no TLS handshake\r\n", out);
            break;
        } else if (g_ascii_strncasecmp(line, "AUTH", 4) == 0 && f->auth_answer != NULL) {
            fake_log(f, "AUTH", NULL);
            if (strcmp(f->auth_answer, "close") == 0)
                break;
            fprintf(out, "%s\r\n", f->auth_answer);
        } else if (g_ascii_strncasecmp(line, "MAIL", 4) == 0) {
            g_autofree char *a = fake_arg(line);

            fake_log(f, "MAIL", a);
            fputs("250 2.1.0 ok\r\n", out);
        } else if (g_ascii_strncasecmp(line, "RCPT", 4) == 0) {
            g_autofree char *a = fake_arg(line);

            fake_log(f, "RCPT", a);
            if (g_strcmp0(a, f->greylist_rcpt) == 0 && f->greylisted++ == 0)
                fputs("450 4.7.1 greylisted, try again later\r\n", out);
            else
                fputs(g_strcmp0(a, f->refuse_rcpt) == 0 ? "550 5.1.1 no such user\r\n"
                                                       : "250 2.1.5 ok\r\n", out);
        } else if (g_ascii_strncasecmp(line, "DATA", 4) == 0) {
            data = TRUE;
            fputs("354 go on\r\n", out);
        } else if (g_ascii_strncasecmp(line, "RSET", 4) == 0) {
            const char *a = f->rset_answer != NULL ? f->rset_answer : "250 2.0.0 ok";

            fake_log(f, "RSET", NULL);
            fprintf(out, "%s\r\n", a);
            if (a[0] == '4' && a[1] == '2' && a[2] == '1')
                break;
        } else if (g_ascii_strncasecmp(line, "QUIT", 4) == 0) {
            fputs("221 bye\r\n", out);
            break;
        } else {
            fputs("502 5.5.2 what\r\n", out);
        }
        fflush(out);
    }
    fflush(out);
    fclose(in);
    fclose(out);
    close(fd);
}

/* The relay's thread: sessions one after another until told to end. */
static gpointer
fake_main(gpointer data)
{
    struct fake_relay *f = data;

    while (!g_atomic_int_get(&f->done)) {
        struct pollfd p = { .fd = f->listen_fd, .events = POLLIN };
        int     fd;

        if (poll(&p, 1, 50) <= 0)
            continue;
        fd = accept(f->listen_fd, NULL, NULL);
        if (fd >= 0)
            fake_session(f, fd);
    }
    return NULL;
}

/* Start a fake relay on a free port of 127.0.0.1. */
static struct fake_relay *
fake_start(void)
{
    struct fake_relay *f = g_new0(struct fake_relay, 1);
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t len = sizeof a;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(f->listen_fd >= 0);
    assert_int_equal(bind(f->listen_fd, (struct sockaddr *) &a, sizeof a), 0);
    assert_int_equal(listen(f->listen_fd, 4), 0);
    assert_int_equal(getsockname(f->listen_fd, (struct sockaddr *) &a, &len), 0);
    f->port = ntohs(a.sin_port);
    f->log = g_string_new(NULL);
    g_mutex_init(&f->lock);
    f->thread = g_thread_new("fake-relay", fake_main, f);
    return f;
}

/* Stop the fake relay; its log is returned (g_free). */
static char *
fake_stop(struct fake_relay *f)
{
    char   *log;

    g_atomic_int_set(&f->done, 1);
    g_thread_join(f->thread);
    close(f->listen_fd);
    g_mutex_clear(&f->lock);
    log = g_string_free(f->log, FALSE);
    g_free(f);
    return log;
}

/* How many lines of log start with prefix. */
static int
count_lines(const char *log, const char *prefix)
{
    g_auto(GStrv) lines = g_strsplit(log, "\n", -1);
    int n = 0;

    for (int i = 0; lines[i] != NULL; i++)
        n += g_str_has_prefix(lines[i], prefix);
    return n;
}

/* A relay for outbox_flush pointing at the fake one. */
static void
fake_relay_settings(struct relay *r, const struct fake_relay *f, gint *stop)
{
    memset(r, 0, sizeof *r);
    r->host = "127.0.0.1";
    r->port = f->port;
    r->tls_verify = TRUE;
    r->timeout_s = 10;
    r->stop = stop;
}

/* A flush against the scripted relay, as each case below sets it up: a
 * fresh store in a temporary folder with statement "T" recorded and its
 * notification (six recipients) queued, the relay started, and relay
 * settings pointing at it.  A case sets its script (the fake's fields, r's
 * options), calls flush_run, and asserts on the log, sum and the row. */
struct flush_fixture {
    struct statement *s;
    char   *dir;
    gint64  id;                 /* the notification's outbox row */
    struct store *st;
    struct fake_relay *f;       /* NULL once flush_run has stopped it */
    struct relay r;
    struct flush_summary sum;
    char   *log;                /* the relay's log, after flush_run */
};

static void flush_fixture_free(struct flush_fixture *fx);

/* Set up a new flush_fixture (see there) in *state, in place of the one
 * there if any, and return it.  It is in *state before anything that can
 * fail, so that flush_teardown removes its folder even when an assertion
 * jumps out of the set-up or of the test. */
static struct flush_fixture *
flush_fixture_fresh(void **state)
{
    struct flush_fixture *fx = g_new0(struct flush_fixture, 1);
    GError *err = NULL;
    struct outmail *m;
    g_autofree char *path = NULL;

    if (*state != NULL)
        flush_fixture_free(*state);
    *state = fx;
    fx->s = sample_statement("T");
    fx->dir = g_dir_make_tmp("liaison-flush-XXXXXX", NULL);
    assert_non_null(fx->dir);
    path = g_build_filename(fx->dir, "t.db", NULL);
    fx->st = store_open(path, 1000, &err);
    assert_non_null(fx->st);
    fx->s->id = 0;
    assert_true(store_add_statement(fx->st, fx->s, &err) > 0);
    m = compose_notification(&test_mail_settings, fx->s);
    assert_non_null(m);
    assert_true(store_begin(fx->st, &err));
    fx->id = outbox_queue(fx->st, fx->s->id, m, &err);
    assert_true(fx->id > 0);
    assert_true(store_commit(fx->st, &err));
    outmail_free(m);
    fx->f = fake_start();
    fake_relay_settings(&fx->r, fx->f, NULL);
    return fx;
}

/* One outbox_flush through the fixture's relay, which must not fail on
 * the store; the relay is then stopped and its log kept in fx->log. */
static void
flush_run(struct flush_fixture *fx)
{
    GError *err = NULL;

    assert_true(outbox_flush(fx->st, &fx->r, &test_mail_settings, NULL, 0, &fx->sum, &err));
    g_free(fx->log);
    fx->log = fake_stop(fx->f);
    fx->f = NULL;
}

/* Tear a flush_fixture down, however far its set-up went: the relay if
 * still running, the store and its folder. */
static void
flush_fixture_free(struct flush_fixture *fx)
{
    const char *names[] = { "t.db", "t.db-wal", "t.db-shm", NULL };

    if (fx->f != NULL)
        g_free(fake_stop(fx->f));
    g_free(fx->log);
    if (fx->s != NULL)
        statement_free(fx->s);
    if (fx->st != NULL)
        store_close(fx->st);
    if (fx->dir != NULL) {
        for (int i = 0; names[i] != NULL; i++) {
            g_autofree char *p = g_build_filename(fx->dir, names[i], NULL);

            g_unlink(p);
        }
        g_rmdir(fx->dir);
        g_free(fx->dir);
    }
    g_free(fx);
}

/* cmocka setup: a flush_fixture in *state. */
static int
flush_setup(void **state)
{
    *state = NULL;
    flush_fixture_fresh(state);
    return 0;
}

/* cmocka teardown: the flush_fixture in *state, if any (a case that runs
 * several flushes makes a fresh one for each with flush_fixture_fresh).
 * cmocka runs it after a failed assertion too, which is why the folder is
 * removed here and not at the end of the test. */
static int
flush_teardown(void **state)
{
    if (*state != NULL)
        flush_fixture_free(*state);
    *state = NULL;
    return 0;
}

/* A stop asked for while a row is in hand (liaisond's SIGTERM) starts no
 * further recipient of it: the six recipients of a notification were all
 * sent after the stop, so that the daemon's bounded stop could end it in
 * the window after a final dot (a second copy), and the rest of the row
 * stayed claimed for the whole lease after a restart.  The row is let go
 * at once instead, due again with nothing counted as an attempt, and the
 * next flush sends the others, the first not again. */
static void
test_flush_stop_between_recipients(void **state)
{
    struct flush_fixture *fx = *state;
    gint stop = 0;
    GError *err = NULL;
    struct store_outbox_row *row;
    GArray *due;
    g_autoptr(GDateTime) t = g_date_time_new_now_utc();
    g_autoptr(GDateTime) later = g_date_time_add_seconds(t, 2);
    g_autofree char *later_iso = g_date_time_format(later, "%Y-%m-%dT%H:%M:%SZ");

    fx->f->stop_at_dot = &stop;
    fx->r.stop = &stop;
    flush_run(fx);
    assert_int_equal(count_lines(fx->log, "DOT"), 1);
    assert_int_equal(fx->sum.sent + fx->sum.deferred + fx->sum.failed, 0);
    row = store_outbox_get(fx->st, fx->id, &err);
    assert_non_null(row);
    assert_null(row->sent);
    assert_int_equal(row->attempts, 0);
    assert_string_equal(row->delivered, "ccamp-chairs@ietf.test\n");
    store_outbox_row_free(row);
    /* Due again at once, not after the lease. */
    due = store_outbox_due(fx->st, later_iso, 0, &err);
    assert_non_null(due);
    assert_int_equal(due->len, 1);
    g_array_free(due, TRUE);

    /* The next flush: the five others, once each. */
    fx->f = fake_start();
    stop = 0;
    fake_relay_settings(&fx->r, fx->f, NULL);
    g_usleep(1100 * 1000);      /* next_try has whole seconds */
    flush_run(fx);
    assert_int_equal(count_lines(fx->log, "DOT"), 5);
    assert_int_equal(count_lines(fx->log, "RCPT ccamp-chairs@"), 0);
    assert_int_equal(fx->sum.sent, 1);
    row = store_outbox_get(fx->st, fx->id, &err);
    assert_non_null(row->sent);
    store_outbox_row_free(row);
}

/* A recipient refused in an attempt that does not settle the row for
 * another reason than a deferral (here a stop asked for between two
 * recipients) is still reported, once, with the relay's answer to it:
 * the next attempt, which finds it already refused, does not report it. */
static void
test_flush_report_refused_before_stop(void **state)
{
    struct flush_fixture *fx = *state;
    gint stop = 0;
    GError *err = NULL;
    struct store_outbox_row *row;
    int reports = 0;

    fx->f->refuse_rcpt = "ccamp-chairs@ietf.test";
    fx->f->stop_at_dot = &stop;
    fx->r.stop = &stop;
    flush_run(fx);
    assert_int_equal(count_lines(fx->log, "DOT"), 1);
    /* The next flush: the four others, and the report if it is queued. */
    fx->f = fake_start();
    fx->f->refuse_rcpt = "ccamp-chairs@ietf.test";
    fake_relay_settings(&fx->r, fx->f, NULL);
    g_usleep(1100 * 1000);      /* next_try has whole seconds */
    flush_run(fx);
    assert_int_equal(count_lines(fx->log, "RCPT ccamp-chairs@"), 0);
    row = store_outbox_get(fx->st, fx->id, &err);
    assert_non_null(row->sent);
    assert_string_equal(row->rejected, "ccamp-chairs@ietf.test\n");
    store_outbox_row_free(row);
    for (gint64 id = fx->id + 1; (row = store_outbox_get(fx->st, id, &err)) != NULL; id++) {
        gsize len;
        g_autofree char *raw = NULL;
        const char *data = g_bytes_get_data(row->raw, &len);

        raw = g_strndup(data, len);
        assert_string_equal(row->kind, "report");
        assert_string_equal(row->rcpts, "itu-t-sg15-manager@ietf.test");
        assert_non_null(strstr(raw, "ccamp-chairs@ietf.test"));
        assert_non_null(strstr(raw, "550 5.1.1 no such user"));
        reports++;
        store_outbox_row_free(row);
    }
    g_clear_error(&err);
    assert_int_equal(reports, 1);
}

/* A relay that answers RSET with 421 closes the session (Postfix does
 * so past smtpd_hard_error_limit, each refused recipient an error).
 * libetpan's RSET counts any answer as success, so the next recipient
 * was sent into the closed session and deferred for nothing (a row of
 * six, one refused, came out deferred).  Now the next transaction goes
 * over a new connection: one refused, five delivered, the row sent. */
static void
test_flush_rset_refused(void **state)
{
    struct flush_fixture *fx = *state;
    GError *err = NULL;
    struct store_outbox_row *row;

    fx->f->refuse_rcpt = "h.tanabe@itu.test";
    fx->f->rset_answer = "421 4.7.0 fake.test Error: too many errors";
    flush_run(fx);
    assert_int_equal(count_lines(fx->log, "DOT"), 5);
    assert_int_equal(count_lines(fx->log, "CONNECT"), 2);
    assert_int_equal(fx->sum.deferred, 0);
    assert_int_equal(fx->sum.sent, 1);
    row = store_outbox_get(fx->st, fx->id, &err);
    assert_non_null(row);
    assert_non_null(row->sent);
    assert_string_equal(row->rejected, "h.tanabe@itu.test\n");
    assert_int_equal(row->attempts, 1);
    store_outbox_row_free(row);
}

/* A connection the relay closed while it sat idle between two
 * transactions (an idle timeout, closing silently or with 421 to the
 * next command) was found dead by the next recipient's MAIL, counted as
 * a failed attempt and the row deferred for a minute.  The sender now
 * connects again at once, once: the second copy goes out in the same
 * flush and the row is sent with nothing deferred.  A new connection
 * that fails in its turn is a real failure, not retried again. */
static void
test_flush_relay_closed_idle(void **state)
{
    static const char *const drop[] = {
        "close", "421 4.4.2 fake.test Error: timeout exceeded",
    };

    for (gsize i = 0; i < G_N_ELEMENTS(drop); i++) {
        struct flush_fixture *fx = flush_fixture_fresh(state);
        GError *err = NULL;
        struct store_outbox_row *row;

        fx->f->drop = drop[i];
        flush_run(fx);
        assert_int_equal(count_lines(fx->log, "CONNECT"), 2);
        assert_int_equal(count_lines(fx->log, "DOT"), 6);
        assert_int_equal(count_lines(fx->log, "DROPPED"), i == 0 ? 0 : 1);
        assert_int_equal(fx->sum.sent, 1);
        assert_int_equal(fx->sum.deferred, 0);
        row = store_outbox_get(fx->st, fx->id, &err);
        assert_non_null(row);
        assert_non_null(row->sent);
        assert_null(row->last_error);
        assert_int_equal(row->attempts, 1);
        store_outbox_row_free(row);
    }
}

/* The new connection's MAIL refused too (421 from every session after
 * the first message): one reconnection for that recipient, then a real
 * failure, the row deferred; the recipients after it each get a fresh
 * connection, tried once (never retried: nothing had sat idle). */
static void
test_flush_relay_closed_twice(void **state)
{
    struct flush_fixture *fx = *state;
    GError *err = NULL;
    struct store_outbox_row *row;

    fx->f->drop = "421 4.3.2 fake.test Service shutting down";
    fx->f->drop_later = TRUE;
    flush_run(fx);
    assert_int_equal(count_lines(fx->log, "DOT"), 1);
    /* The first session; the second recipient's reconnection; one each
     * for the four after it. */
    assert_int_equal(count_lines(fx->log, "CONNECT"), 6);
    assert_int_equal(count_lines(fx->log, "DROPPED"), 6);
    assert_int_equal(fx->sum.sent, 0);
    assert_int_equal(fx->sum.deferred, 1);
    row = store_outbox_get(fx->st, fx->id, &err);
    assert_non_null(row);
    assert_null(row->sent);
    assert_string_equal(row->delivered, "ccamp-chairs@ietf.test\n");
    assert_non_null(row->last_error);
    assert_non_null(strstr(row->last_error, "421 4.3.2"));
    store_outbox_row_free(row);
}

/* AUTH failures say what happened: a relay that drops the session in
 * AUTH was reported as AUTH finding no mechanism in common ("are the SASL
 * plugins installed?"), since the check read the answer code 0 of a
 * closed stream as no answer at all; a refused password is reported with
 * the relay's answer.  Either defers the row: nothing was sent. */
static void
test_flush_auth_failures(void **state)
{
    static const struct {
        const char *answer, *want;
    } cases[] = {
        { "close", "AUTH: Stream error" },
        { "535 5.7.8 Error: authentication failed", "AUTH: 535 5.7.8 Error: authentication failed" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        struct flush_fixture *fx = flush_fixture_fresh(state);
        GError *err = NULL;
        struct store_outbox_row *row;

        fx->f->auth_answer = cases[i].answer;
        fx->r.user = "liaisond";
        fx->r.password = "secret";
        flush_run(fx);
        assert_int_equal(count_lines(fx->log, "AUTH"), 1);
        assert_int_equal(count_lines(fx->log, "MAIL"), 0);
        assert_int_equal(fx->sum.deferred, 1);
        row = store_outbox_get(fx->st, fx->id, &err);
        assert_non_null(row);
        assert_non_null(row->last_error);
        if (!g_str_has_prefix(row->last_error, cases[i].want))
            fail_msg("last_error '%s', wanted '%s...'", row->last_error, cases[i].want);
        assert_null(strstr(row->last_error, "SASL"));
        store_outbox_row_free(row);
    }
}

/* A TLS handshake that fails after the relay agreed to STARTTLS was
 * reported with the relay's last answer, "STARTTLS: 220 2.0.0 Ready to
 * start TLS", which reads as success; it says the handshake failed.
 * Nothing is sent, the row is deferred. */
static void
test_flush_starttls_handshake(void **state)
{
    struct flush_fixture *fx = *state;
    GError *err = NULL;
    struct store_outbox_row *row;

    fx->f->starttls = TRUE;
    fx->r.starttls = TRUE;
    flush_run(fx);
    assert_int_equal(count_lines(fx->log, "STARTTLS"), 1);
    assert_int_equal(count_lines(fx->log, "MAIL"), 0);
    assert_int_equal(fx->sum.deferred, 1);
    row = store_outbox_get(fx->st, fx->id, &err);
    assert_non_null(row);
    assert_non_null(row->last_error);
    if (strstr(row->last_error, "handshake") == NULL || strstr(row->last_error, "220") != NULL)
        fail_msg("last_error '%s'", row->last_error);
    store_outbox_row_free(row);
}

/* The report of a refused recipient goes to the liaison manager, else
 * the assignee, never to the address just refused: a notification whose
 * liaison manager's address the relay refused was reported to that same
 * address, refused in its turn, and a failed report is never reported,
 * so nobody heard.  It goes to the assignee now; the assignee refused,
 * to the liaison manager as before. */
static void
test_flush_report_not_to_refused(void **state)
{
    static const char *const refuse[] = { "itu-t-sg15-manager@ietf.test", "ccamp-chairs@ietf.test" };
    static const char *const want[] = { "ccamp-chairs@ietf.test", "itu-t-sg15-manager@ietf.test" };

    for (gsize i = 0; i < G_N_ELEMENTS(refuse); i++) {
        struct flush_fixture *fx = flush_fixture_fresh(state);
        GError *err = NULL;
        struct store_outbox_row *row;

        fx->f->refuse_rcpt = refuse[i];
        flush_run(fx);
        assert_int_equal(fx->sum.sent, 1);
        /* The report is the next row. */
        row = store_outbox_get(fx->st, fx->id + 1, &err);
        assert_non_null(row);
        assert_string_equal(row->kind, "report");
        assert_string_equal(row->rcpts, want[i]);
        store_outbox_row_free(row);
    }
}

/* A relay that closes the connection after the final dot, without
 * answering it, may or may not have the copy: the recipient is not
 * recorded as delivered, the row is deferred (sent again later, as
 * liaisonctl(8) says), and the recipients after it go on a new
 * connection. */
static void
test_flush_no_answer_to_dot(void **state)
{
    struct flush_fixture *fx = *state;
    GError *err = NULL;
    struct store_outbox_row *row;

    fx->f->mute_at_dot = TRUE;
    flush_run(fx);
    assert_int_equal(fx->sum.deferred, 1);
    assert_int_equal(count_lines(fx->log, "DOT"), 6);
    assert_int_equal(count_lines(fx->log, "CONNECT"), 2);
    row = store_outbox_get(fx->st, fx->id, &err);
    assert_non_null(row);
    assert_null(row->sent);
    assert_null(row->failed);
    assert_int_equal(row->attempts, 1);
    assert_null(strstr(row->delivered, "ccamp-chairs@ietf.test"));
    assert_string_equal(row->rejected, "");
    assert_non_null(strstr(row->last_error, "end of DATA"));
    store_outbox_row_free(row);
}

/* One recipient refused for good (550) and another greylisted (450, then
 * taken a minute later): the report on the refused one quoted the
 * row's last error at the time the row was settled, in the second
 * attempt, which was the greylisting's 450 to somebody else, so the
 * liaison manager read "try again later" as the reason a contact was
 * refused.  The attempt that refuses a recipient reports it, with the
 * relay's own answer to it, and the later attempt reports nothing more. */
static void
test_flush_report_own_reason(void **state)
{
    struct flush_fixture *fx = flush_fixture_fresh(state);
    GError *err = NULL;
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autoptr(GDateTime) later = g_date_time_add_minutes(now, 2);
    struct store_outbox_row *row;
    g_autofree char *reports = NULL;
    g_autofree char *log = NULL;
    GString *all = g_string_new(NULL);

    fx->f->refuse_rcpt = "h.tanabe@itu.test";
    fx->f->greylist_rcpt = "rtg-ads@ietf.test";
    assert_true(outbox_flush(fx->st, &fx->r, &test_mail_settings, now, 0, &fx->sum, &err));
    assert_int_equal(fx->sum.deferred, 1);
    assert_true(outbox_flush(fx->st, &fx->r, &test_mail_settings, later, 0, &fx->sum, &err));
    log = fake_stop(fx->f);
    fx->f = NULL;
    /* The notification to the last one, and the report, queued by the
     * first attempt, to the liaison manager. */
    assert_int_equal(fx->sum.sent, 2);
    assert_int_equal(count_lines(log, "DOT"), 6);
    row = store_outbox_get(fx->st, fx->id, &err);
    assert_non_null(row);
    assert_non_null(row->sent);
    assert_string_equal(row->rejected, "h.tanabe@itu.test\n");
    store_outbox_row_free(row);
    /* Every report queued since: one, about the refused contact, with
     * the 550 it got and not the 450 somebody else got. */
    for (gint64 id = fx->id + 1; (row = store_outbox_get(fx->st, id, &err)) != NULL; id++) {
        gsize len;
        const char *raw = g_bytes_get_data(row->raw, &len);

        assert_string_equal(row->kind, "report");
        g_string_append_len(all, raw, (gssize) len);
        g_string_append(all, "\n--next--\n");
        store_outbox_row_free(row);
    }
    g_clear_error(&err);
    reports = g_string_free(all, FALSE);
    assert_non_null(strstr(reports, "h.tanabe@itu.test"));
    assert_non_null(strstr(reports, "550 5.1.1 no such user"));
    assert_null(strstr(reports, "450"));
    assert_null(strstr(strstr(reports, "--next--") + 1, "--next--"));
}

/* A reminder waits in the queue like any mail (a relay down, a
 * backoff), and the statement may be closed, answered or given a new
 * deadline meanwhile.  The sender sent it all the same, telling a chair
 * that a closed or answered statement was overdue.  Now it drops a stale
 * reminder before its first recipient: given up, its last error saying
 * why, an event on the statement, nothing sent.  The statement's
 * notification, queued first, still goes to all six; and a reminder still
 * wanted (open, or reopened, or answered but reopened after the answer)
 * goes to its four. */
static void
test_flush_stale_reminder(void **state)
{
    static const struct {
        const char *change;     /* what happens after it was queued */
        const char *why;        /* the reason recorded; NULL: it is sent */
    } cases[] = {
        { "nothing", NULL },
        { "closed", "closed" },
        { "answered", "answered" },
        { "closed with the answer", "closed" },
        { "deadline", "given a new deadline" },
        { "closed and reopened", NULL },
        { "answered and reopened", NULL },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        struct flush_fixture *fx = flush_fixture_fresh(state);
        struct command_ctx cc = { .store = fx->st };
        struct command_by by = { .actor = "chair@ietf.test", .reason = "test" };
        struct command_change ch = { 0 };
        const char *change = cases[i].change;
        struct outmail *m = compose_reminder(&test_mail_settings, fx->s, "due", 7);
        struct store_outbox_row *row;
        GPtrArray *events;
        GError *err = NULL;
        gint64 rid;
        int dropped_events = 0;

        assert_non_null(m);
        assert_true(store_begin(fx->st, &err));
        rid = outbox_queue(fx->st, fx->s->id, m, &err);
        assert_true(rid > 0);
        assert_true(store_commit(fx->st, &err));
        outmail_free(m);

        assert_true(store_begin(fx->st, &err));
        if (strstr(change, "answer") != NULL) {
            assert_true(store_set_replied(fx->st, fx->s->id, &err));
            assert_true(store_add_event(fx->st, fx->s->id, 0, "replied", by.actor, "x", &err));
        }
        if (g_str_has_prefix(change, "closed")) {
            assert_true(command_set_state(&cc, fx->s->id, "closed", &by, &ch, &err));
            command_change_clear(&ch);
        }
        if (g_str_has_suffix(change, "reopened")) {
            if (!g_str_has_prefix(change, "closed")) {
                assert_true(command_set_state(&cc, fx->s->id, "closed", &by, &ch, &err));
                command_change_clear(&ch);
            }
            assert_true(command_set_state(&cc, fx->s->id, "open", &by, &ch, &err));
            command_change_clear(&ch);
        }
        if (strcmp(change, "deadline") == 0) {
            assert_true(command_set_deadline(&cc, fx->s->id, "2027-03-22", &by, &ch, &err));
            command_change_clear(&ch);
        }
        assert_true(store_commit(fx->st, &err));

        flush_run(fx);
        row = store_outbox_get(fx->st, rid, &err);
        assert_non_null(row);
        events = store_statement_events(fx->st, fx->s->id, &err);
        assert_non_null(events);
        for (guint j = 0; j < events->len; j++) {
            const struct store_event *e = g_ptr_array_index(events, j);

            dropped_events += strcmp(e->what, "mail dropped") == 0;
        }
        if (cases[i].why == NULL) {
            /* Six for the notification, four for the reminder. */
            if (count_lines(fx->log, "DOT") != 10 || row->sent == NULL)
                fail_msg("%s: the reminder was not sent (%d DOT)", change,
                         count_lines(fx->log, "DOT"));
            assert_int_equal(fx->sum.sent, 2);
            assert_int_equal(fx->sum.dropped, 0);
            assert_int_equal(dropped_events, 0);
        } else {
            g_autofree char *want = g_strdup_printf(
                OUTBOX_STALE "a reminder for LS %" G_GINT64_FORMAT ", %s since it was queued",
                fx->s->id, cases[i].why);

            if (count_lines(fx->log, "DOT") != 6 || row->failed == NULL)
                fail_msg("%s: the stale reminder was sent (%d DOT)", change,
                         count_lines(fx->log, "DOT"));
            assert_null(row->sent);
            assert_string_equal(row->delivered, "");
            assert_string_equal(row->last_error, want);
            assert_int_equal(fx->sum.sent, 1);
            assert_int_equal(fx->sum.dropped, 1);
            assert_int_equal(fx->sum.failed, 0);
            assert_int_equal(dropped_events, 1);
            /* No report of it: nothing was refused. */
            {
                struct store_outbox_row *next = store_outbox_get(fx->st, rid + 1, &err);

                assert_null(next);
                g_clear_error(&err);
            }
        }
        /* The notification went either way. */
        store_outbox_row_free(row);
        row = store_outbox_get(fx->st, fx->id, &err);
        assert_non_null(row->sent);
        store_outbox_row_free(row);
        g_ptr_array_unref(events);
    }
}

/* An answer to commands by mail whose recipient the relay refuses is
 * not reported, as a report's own refusal is not: answers have a kind
 * of their own (answer_per_day counts them apart), and it must stay
 * one the sender never reports on, or a refused answer would mail the
 * liaison manager. */
static void
test_flush_answer_not_reported(void **state)
{
    struct flush_fixture *fx = flush_fixture_fresh(state);
    struct outmail *m = compose_report(&test_mail_settings, fx->s, "alice@chairs.test",
                                       "Commands done", "deadline: 2027-02-01: done");
    GError *err = NULL;
    struct store_outbox_row *row;
    gint64 id;

    assert_non_null(m);
    g_free(m->kind);
    m->kind = g_strdup(OUTBOX_KIND_ANSWER);
    assert_true(store_begin(fx->st, &err));
    id = outbox_queue(fx->st, fx->s->id, m, &err);
    assert_true(id > 0);
    assert_true(store_commit(fx->st, &err));
    outmail_free(m);
    fx->f->refuse_rcpt = "alice@chairs.test";
    flush_run(fx);
    assert_int_equal(fx->sum.sent, 1);
    assert_int_equal(fx->sum.failed, 1);
    row = store_outbox_get(fx->st, id, &err);
    assert_non_null(row);
    assert_string_equal(row->kind, "answer");
    assert_non_null(row->failed);
    assert_string_equal(row->rejected, "alice@chairs.test\n");
    store_outbox_row_free(row);
    /* Nothing queued after it. */
    assert_null(store_outbox_get(fx->st, id + 1, &err));
    g_clear_error(&err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notification),
        cmocka_unit_test(test_non_ascii_text),
        cmocka_unit_test(test_base64_text_crlf),
        cmocka_unit_test(test_acknowledgement),
        cmocka_unit_test(test_acknowledgement_passed_to),
        cmocka_unit_test(test_subject_purpose_and_title),
        cmocka_unit_test(test_commands_help),
        cmocka_unit_test(test_reminder),
        cmocka_unit_test(test_report),
        cmocka_unit_test(test_header_injection),
        cmocka_unit_test(test_encoded_words),
        cmocka_unit_test(test_from_name_and_bidi),
        cmocka_unit_test(test_hostile_addresses),
        cmocka_unit_test(test_verp),
        cmocka_unit_test(test_outbox_store),
        cmocka_unit_test_setup_teardown(test_flush_stop_between_recipients, flush_setup, flush_teardown),
        cmocka_unit_test_setup_teardown(test_flush_report_refused_before_stop, flush_setup,
                                        flush_teardown),
        cmocka_unit_test_setup_teardown(test_flush_rset_refused, flush_setup, flush_teardown),
        cmocka_unit_test_setup_teardown(test_flush_relay_closed_idle, NULL, flush_teardown),
        cmocka_unit_test_setup_teardown(test_flush_relay_closed_twice, flush_setup, flush_teardown),
        cmocka_unit_test_setup_teardown(test_flush_auth_failures, NULL, flush_teardown),
        cmocka_unit_test_setup_teardown(test_flush_starttls_handshake, flush_setup, flush_teardown),
        cmocka_unit_test_setup_teardown(test_flush_report_not_to_refused, NULL, flush_teardown),
        cmocka_unit_test_setup_teardown(test_flush_answer_not_reported, NULL, flush_teardown),
        cmocka_unit_test_setup_teardown(test_flush_report_own_reason, NULL, flush_teardown),
        cmocka_unit_test_setup_teardown(test_flush_no_answer_to_dot, flush_setup, flush_teardown),
        cmocka_unit_test_setup_teardown(test_flush_stale_reminder, NULL, flush_teardown),
        cmocka_unit_test(test_notification_first_screen),
        cmocka_unit_test(test_reminder_plain_words),
        cmocka_unit_test(test_lines_wrapped),
    };
    int rc;

    message_library_init();
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    g_mime_shutdown();
    return rc;
}
