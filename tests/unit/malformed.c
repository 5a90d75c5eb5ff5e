/*
 * malformed.c: generators of hostile mail for the tests.
 *
 * Each generator writes one message that exercises a known way MIME readers
 * fail: truncation, unbalanced structure, pathological nesting or size,
 * bytes that are not text, names that are paths, headers that smuggle line
 * breaks.  All start with a valid header field, so a parser must accept
 * them (and say what it could not read) rather than refuse them as non-mail.
 */
#include <string.h>

#include "malformed.h"

/* The headers every case starts with, then its own. */
static GString *
start(const char *subject)
{
    GString *s = g_string_new(NULL);

    g_string_append_printf(s,
        "From: Mallory <mallory@hostile.test>\n"
        "To: liaisons@ietf.test\n"
        "Subject: %s\n"
        "Date: Mon, 30 Nov 2026 09:15:00 +0000\n"
        "Message-ID: <%s@hostile.test>\n"
        "MIME-Version: 1.0\n", subject, subject);
    return s;
}

/* Turn a string being built into the GBytes a case returns. */
static GBytes *
finish(GString *s)
{
    return g_string_free_to_bytes(s);
}

/* A multipart cut in the middle of a base64 attachment: no closing
 * boundary, last base64 group incomplete. */
GBytes *
malformed_truncated_mime(void)
{
    GString *s = start("truncated-mime");

    g_string_append(s,
        "Content-Type: multipart/mixed; boundary=\"cut\"\n\n"
        "--cut\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        "The statement text survives the cut.\n"
        "--cut\n"
        "Content-Type: application/pdf\n"
        "Content-Transfer-Encoding: base64\n"
        "Content-Disposition: attachment; filename=\"cut.pdf\"\n\n"
        "JVBERi0xLjQKMSAwIG9iajw8Pj5lbmRvYmoKdHJh\n"
        "aWxlcjw8Pj4KJSVFT0");
    return finish(s);
}

/* Complete parts, but the closing delimiter never comes. */
GBytes *
malformed_missing_closing_boundary(void)
{
    GString *s = start("missing-closing-boundary");

    g_string_append(s,
        "Content-Type: multipart/mixed; boundary=\"open\"\n\n"
        "--open\n"
        "Content-Type: text/plain\n\n"
        "Body text before an attachment that never ends.\n"
        "--open\n"
        "Content-Type: text/csv\n"
        "Content-Disposition: attachment; filename=\"data.csv\"\n\n"
        "a,b\n1,2\n");
    return finish(s);
}

/* Multiparts nested depth times, each opening the next; closed or not. */
static GBytes *
nested(const char *subject, int depth, gboolean close)
{
    GString *s = start(subject);

    for (int i = 0; i < depth; i++)
        g_string_append_printf(s,
            "Content-Type: multipart/mixed; boundary=\"n%d\"\n\n--n%d\n",
            i, i);
    g_string_append(s, "Content-Type: text/plain\n\ndeep inside\n");
    for (int i = depth - 1; close && i >= 0; i--)
        g_string_append_printf(s, "--n%d--\n", i);
    return finish(s);
}

/* 10,000 nested multiparts: a recursive parser overflows its stack. */
GBytes *
malformed_nested_10000(void)
{
    return nested("nested-10000", 10000, FALSE);
}

/* 100 nested multiparts, properly closed: past any sane depth limit but
 * within what GMime itself parses. */
GBytes *
malformed_nested_100(void)
{
    return nested("nested-100", 100, TRUE);
}

/* NUL bytes in a header value and in the body. */
GBytes *
malformed_nul_bytes(void)
{
    static const char head[] =
        "From: Mallory <mallory@hostile.test>\n"
        "To: liaisons@ietf.test\n"
        "Subject: nul\0bytes in the subject\n"
        "X-Other: a\0\0b\n"
        "Message-ID: <nul-bytes@hostile.test>\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        "Body with\0 a NUL and\0\0 more after it.\n";
    return g_bytes_new(head, sizeof head - 1);
}

/* A single Subject line of 512 KB, no folding (half the most header
 * bytes a message may have, so that it is still read). */
GBytes *
malformed_huge_header_line(void)
{
    GString *s = g_string_new(
        "From: Mallory <mallory@hostile.test>\n"
        "To: liaisons@ietf.test\n"
        "Message-ID: <huge-header@hostile.test>\n"
        "Subject: ");

    for (int i = 0; i < 512 * 1024 / 8; i++)
        g_string_append(s, "AAAAAAA ");
    g_string_append(s, "\nContent-Type: text/plain\n\nshort body\n");
    return finish(s);
}

/* A text part in a charset no iconv knows, with 8-bit bytes. */
GBytes *
malformed_unknown_charset(void)
{
    GString *s = start("unknown-charset");

    g_string_append(s,
        "Content-Type: text/plain; charset=\"x-klingon-8\"\n"
        "Content-Transfer-Encoding: 8bit\n\n"
        "Qapla\xE9 \xFF\xFE r\xE9sum\xE9\n");
    return finish(s);
}

/* A base64 attachment full of characters outside the alphabet. */
GBytes *
malformed_base64_garbage(void)
{
    GString *s = start("base64-garbage");

    g_string_append(s,
        "Content-Type: multipart/mixed; boundary=\"g\"\n\n"
        "--g\n"
        "Content-Type: text/plain\n\n"
        "See the attachment.\n"
        "--g\n"
        "Content-Type: application/octet-stream\n"
        "Content-Transfer-Encoding: base64\n"
        "Content-Disposition: attachment; filename=\"garbage.bin\"\n\n");
    for (int i = 0; i < 200; i++)
        g_string_append(s, "!!@@##$$%%^^&&**(()){}[]<>??~~``\xFF\xFE\x01\x02\n");
    g_string_append(s, "--g--\n");
    return finish(s);
}

/* Headers only: no empty line, no body at all. */
GBytes *
malformed_headers_only(void)
{
    GString *s = start("headers-only");

    return finish(s);
}

/* 5,000 sibling parts, past any part limit. */
GBytes *
malformed_many_parts(void)
{
    GString *s = start("many-parts");

    g_string_append(s, "Content-Type: multipart/mixed; boundary=\"m\"\n\n");
    g_string_append(s, "--m\nContent-Type: text/plain\n\nbody\n");
    for (int i = 0; i < 5000; i++)
        g_string_append_printf(s,
            "--m\nContent-Type: application/octet-stream\n"
            "Content-Disposition: attachment; filename=\"p%d.bin\"\n\nx\n", i);
    g_string_append(s, "--m--\n");
    return finish(s);
}

/* 20,000 header fields in the message's own header block: GMime would
 * make objects of them all before any limit could look. */
GBytes *
malformed_header_flood(void)
{
    GString *s = start("header-flood");

    for (int i = 0; i < 20000; i++)
        g_string_append_printf(s, "X-H%d: v\n", i);
    g_string_append(s, "Content-Type: text/plain\n\nTitle: flooded\n");
    return finish(s);
}

/* 20,000 parts of one line each, without headers: 7 bytes a part. */
GBytes *
malformed_parts_flood(void)
{
    GString *s = start("parts-flood");

    g_string_append(s, "Content-Type: multipart/mixed; boundary=B\n\n"
                    "--B\nContent-Type: text/plain\n\nTitle: hi\n");
    for (int i = 0; i < 20000; i++)
        g_string_append(s, "--B\n\nx\n");
    g_string_append(s, "--B--\n");
    return finish(s);
}

/* An HTML-only body with 100,000 nested <div>s and no closing tags. */
GBytes *
malformed_deep_html(void)
{
    GString *s = start("deep-html");

    g_string_append(s, "Content-Type: text/html; charset=utf-8\n\n<html><body>");
    for (int i = 0; i < 100000; i++)
        g_string_append(s, "<div>");
    g_string_append(s, "Title: buried deep</body></html>\n");
    return finish(s);
}

/* A multipart without its boundary parameter. */
GBytes *
malformed_multipart_without_boundary(void)
{
    GString *s = start("multipart-without-boundary");

    g_string_append(s,
        "Content-Type: multipart/mixed\n\n"
        "--x\nContent-Type: text/plain\n\nwhere does this end?\n--x--\n");
    return finish(s);
}

/* Encoded words that decode to CR LF and a new header, in Subject, the
 * From display name and a file name. */
GBytes *
malformed_header_injection(void)
{
    GString *s = g_string_new(
        "From: =?utf-8?q?Eve=0D=0ABcc=3A_victim=40ietf.test?= <eve@hostile.test>\n"
        "To: liaisons@ietf.test\n"
        "Subject: =?utf-8?q?hello=0D=0ABcc:_all@ietf.test=00x?=\n"
        "Message-ID: <injection@hostile.test>\n"
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=\"i\"\n\n"
        "--i\nContent-Type: text/plain\n\ntext\n"
        "--i\nContent-Type: application/pdf\n"
        "Content-Disposition: attachment;\n"
        " filename=\"=?utf-8?q?a=0D=0Ab.pdf?=\"\n\nPDF\n"
        "--i--\n");
    return finish(s);
}

/* Attachment names that are paths, hidden files, control characters and
 * RFC 2231 encoded traversal. */
GBytes *
malformed_hostile_filenames(void)
{
    static const char *const names[] = {
        "filename=\"../../etc/passwd\"",
        "filename=\"C:\\\\x\\\\y.doc\"",
        "filename=\"\x01" "evil.exe\"",
        "filename=\".hidden\"",
        "filename=\"\"",
        "filename*=utf-8''%2E%2E%2F%2E%2E%2Froot%2F.ssh%2Fauthorized_keys",
        "filename*=utf-8''invoice%E2%80%AEfdp.exe",
    };
    GString *s = start("hostile-filenames");

    g_string_append(s, "Content-Type: multipart/mixed; boundary=\"f\"\n\n"
                    "--f\nContent-Type: text/plain\n\nnames\n");
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
        g_string_append_printf(s, "--f\nContent-Type: application/octet-stream\n"
                               "Content-Disposition: attachment; %s\n\n"
                               "data %zu\n", names[i], i);
    g_string_append(s, "--f--\n");
    return finish(s);
}

/* message/rfc822 inside message/rfc822, 2,000 deep. */
GBytes *
malformed_nested_rfc822(void)
{
    GString *s = start("nested-rfc822");

    for (int i = 0; i < 2000; i++)
        g_string_append_printf(s, "Content-Type: message/rfc822\n\n"
                               "From: layer%d@hostile.test\n"
                               "Subject: layer %d\n", i, i);
    g_string_append(s, "Content-Type: text/plain\n\ninnermost\n");
    return finish(s);
}

/* Raw 8-bit bytes that are not UTF-8 in headers and in a text part that
 * claims to be UTF-8. */
GBytes *
malformed_invalid_utf8(void)
{
    GString *s = g_string_new(
        "From: M\xE9lanie \xC3 <melanie@hostile.test>\n"
        "To: liaisons@ietf.test\n"
        "Subject: caf\xE9 \xF0\x28\x8C\x28 overlong \xC0\xAF\n"
        "Message-ID: <invalid-utf8@hostile.test>\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        "caf\xE9 \xED\xA0\x80 surrogate, \xC0\xAF overlong\n");
    return finish(s);
}

/* Bare CR line endings throughout (old Mac style), which some parsers
 * treat as one endless line. */
GBytes *
malformed_bare_cr(void)
{
    GString *s = g_string_new(
        "From: Mallory <mallory@hostile.test>\r"
        "To: liaisons@ietf.test\r"
        "Subject: bare-cr\r"
        "Message-ID: <bare-cr@hostile.test>\r"
        "Content-Type: text/plain\r\r"
        "line one\rline two\r");
    return finish(s);
}

/* A multipart/report whose delivery-status part is garbage and a
 * Final-Recipient without a type, folded, and empty. */
GBytes *
malformed_garbage_dsn(void)
{
    GString *s = start("garbage-dsn");

    g_string_append(s,
        "Content-Type: multipart/report; report-type=delivery-status;"
        " boundary=\"r\"\n\n"
        "--r\nContent-Type: text/plain\n\nbounce\n"
        "--r\nContent-Type: message/delivery-status\n\n"
        "\x01\x02\xFF garbage\n\n"
        "Final-Recipient:\n"
        "Final-Recipient: rfc822;\n <Folded@Hostile.TEST>\n"
        "Final-Recipient: bare@hostile.test\n"
        "--r--\n");
    return finish(s);
}

const struct malformed_case malformed_cases[] = {
    { "truncated-mime", malformed_truncated_mime,
      "multipart cut inside a base64 attachment" },
    { "missing-closing-boundary", malformed_missing_closing_boundary,
      "multipart whose closing delimiter never comes" },
    { "nested-10000", malformed_nested_10000,
      "10,000 nested multiparts" },
    { "nested-100", malformed_nested_100,
      "100 nested multiparts, closed" },
    { "nul-bytes", malformed_nul_bytes,
      "NUL bytes in headers and body" },
    { "huge-header-line", malformed_huge_header_line,
      "a 512 KB Subject line" },
    { "header-flood", malformed_header_flood,
      "20,000 header fields" },
    { "parts-flood", malformed_parts_flood,
      "20,000 parts of one line" },
    { "unknown-charset", malformed_unknown_charset,
      "text in a charset nobody knows" },
    { "base64-garbage", malformed_base64_garbage,
      "base64 attachment full of garbage" },
    { "headers-only", malformed_headers_only,
      "headers without an empty line or body" },
    { "many-parts", malformed_many_parts,
      "5,000 sibling parts" },
    { "deep-html", malformed_deep_html,
      "HTML body with 100,000 nested elements" },
    { "multipart-without-boundary", malformed_multipart_without_boundary,
      "multipart without a boundary parameter" },
    { "header-injection", malformed_header_injection,
      "encoded words that decode to CR LF" },
    { "hostile-filenames", malformed_hostile_filenames,
      "attachment names that are paths" },
    { "nested-rfc822", malformed_nested_rfc822,
      "message/rfc822 nested 2,000 deep" },
    { "invalid-utf8", malformed_invalid_utf8,
      "bytes that are not UTF-8 where UTF-8 is claimed" },
    { "bare-cr", malformed_bare_cr,
      "bare CR line endings" },
    { "garbage-dsn", malformed_garbage_dsn,
      "delivery status with garbage" },
};

const gsize malformed_case_count = G_N_ELEMENTS(malformed_cases);

/* Find a case by name; NULL when there is none. */
const struct malformed_case *
malformed_find(const char *name)
{
    for (gsize i = 0; i < malformed_case_count; i++)
        if (strcmp(malformed_cases[i].name, name) == 0)
            return &malformed_cases[i];
    return NULL;
}
