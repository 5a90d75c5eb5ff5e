/*
 * test_envelope.c: unit tests for envelope.c, the reading of liaison
 * envelope fields out of text.
 *
 * Each layout row holds the decoded text of a corpus message (the text
 * message.c hands over: MIME decoded, HTML rendered one table row per line)
 * and every field it must give, so a change in one layout rule that breaks
 * another layout shows here before it shows in the corpus golden files.
 * The reading rules and edge cases that scan one text are rows of the same
 * kind, which name only the fields they decide; each failure names its
 * row.  Tables then cover dates, contacts and purposes one case per row,
 * and the remaining functions cover what a row cannot say (several scans
 * into one envelope, generated texts, hostile sizes, threads).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib.h>

#include "envelope.h"

/* ---- helpers ---------------------------------------------------------- */

/* Compare a possibly NULL string. */
#define assert_str(got, want) assert_str_at((got), (want), __FILE__, __LINE__)

/* assert_str with the caller's position in the failure message. */
static void
assert_str_at(const char *got, const char *want, const char *file, int line)
{
    if (g_strcmp0(got, want) != 0) {
        print_error("%s:%d: got \"%s\", want \"%s\"\n", file, line,
                    got ? got : "(null)", want ? want : "(null)");
        fail();
    }
}

/* Check a list of strings against a NULL-terminated expectation. */
static void
assert_strv(GPtrArray *a, const char *const *want)
{
    guint n = 0;

    while (want[n] != NULL)
        n++;
    if (a->len != n) {
        print_error("list has %u entries, want %u\n", a->len, n);
        for (guint i = 0; i < a->len; i++)
            print_error("  [%s]\n", (char *) g_ptr_array_index(a, i));
    }
    assert_int_equal(a->len, n);
    for (guint i = 0; i < n; i++)
        assert_str(g_ptr_array_index(a, i), want[i]);
}

/* Check a contact list against name/address pairs (NULL for none). */
static void
assert_contacts(GPtrArray *a, guint n, const char *const pairs[][2])
{
    if (a->len != n) {
        print_error("contact list has %u entries, want %u\n", a->len, n);
        for (guint i = 0; i < a->len; i++) {
            struct contact *c = g_ptr_array_index(a, i);

            print_error("  [%s|%s]\n", c->name ? c->name : "-",
                        c->addr ? c->addr : "-");
        }
    }
    assert_int_equal(a->len, n);
    for (guint i = 0; i < n; i++) {
        struct contact *c = g_ptr_array_index(a, i);

        assert_str(c->name, pairs[i][0]);
        assert_str(c->addr, pairs[i][1]);
    }
}

/* Scan one text into a new envelope, checking the label count. */
static struct envelope *
scan(const char *text, int want_labels)
{
    struct envelope *env = envelope_new();
    int labels = envelope_scan(env, text);

    if (want_labels >= 0)
        assert_int_equal(labels, want_labels);
    return env;
}

/* Assert that nothing at all was filled in. */
static void
assert_empty(struct envelope *env)
{
    assert_null(env->title);
    assert_null(env->from_body);
    assert_null(env->to_body);
    assert_null(env->deadline);
    assert_null(env->body);
    assert_int_equal(env->purpose, PURPOSE_NONE);
    assert_int_equal(env->to_list->len, 0);
    assert_int_equal(env->info_to->len, 0);
    assert_int_equal(env->cc->len, 0);
    assert_int_equal(env->response_contacts->len, 0);
    assert_int_equal(env->technical_contacts->len, 0);
    assert_int_equal(env->other_identifiers->len, 0);
    assert_int_equal(env->related->len, 0);
    assert_int_equal(env->references->len, 0);
}

/* ---- corpus layouts ----------------------------------------------------- */

/* The 3GPP template of s04, shared with the thread test. */
#define S04_TEXT \
    "3GPP TSG SA WG2 Meeting #172                          S2-2611873\n" \
    "Seoul, Korea, 16 - 20 November 2026\n" \
    "\n" \
    "Title:             LS on user plane path management for distributed anchors\n" \
    "Response to:       -\n" \
    "Release:           Rel-20\n" \
    "Work Item:         FS_UPEAS\n" \
    "\n" \
    "Source:            TSG SA WG2\n" \
    "To:                IETF DMM WG\n" \
    "Cc:                TSG CT WG4\n" \
    "\n" \
    "Contact Person:\n" \
    "   Name:           Kasia Nowicka\n" \
    "   E-mail Address: kasia.nowicka@3gpp.test\n" \
    "\n" \
    "Send any reply LS to:   3GPP Liaisons Coordinator, mailto:3gppliaison@3gpp.test\n" \
    "\n" \
    "Attachments:       S2-2610544\n" \
    "\n" \
    "1. Overall Description:\n" \
    "SA2 is studying user plane path management with distributed anchors and\n" \
    "would like to understand the status of the DMM work on this topic.\n" \
    "\n" \
    "2. Actions:\n" \
    "To IETF DMM WG.\n" \
    "ACTION: SA2 asks IETF DMM to provide information on the expected timeline\n" \
    "of its mobility anchor documents.\n" \
    "\n" \
    "3. Date of Next TSG SA WG2 Meetings:\n" \
    "SA2#173    8 - 12 February 2027    Athens, Greece\n" \
    "\n"

static const char s04_text[] = S04_TEXT;

/* One text to scan, the number of labels it holds and the envelope fields
 * it must give.  In a row marked every, each field is checked and one left
 * out must be empty; in other rows only the fields given are checked, and
 * NOTHING asks for an empty one.  A list ends at its first NULL; a contact
 * is a name/address pair, and a pair of two NULLs ends the list. */
struct scan_row {
    const char *name;
    const char *text;
    int labels;                 /* ANY_LABELS: not checked */
    gboolean every;             /* every field is checked */
    gboolean empty;             /* nothing at all is filled in */
    const char *from_body, *to_body, *title, *deadline, *body;
    const char *purpose;        /* purpose_name() of the purpose */
    const char *to_list[4], *info_to[4];
    const char *cc[3][2], *resp[3][2], *tech[3][2];
    const char *ids[4], *related[4], *refs[4];
};

#define ANY_LABELS (-1)

/* In a row's field: that field must be empty. */
static const char NOTHING[] = "(nothing)";

/* Fail, naming the row and the field, when a string is not the row's;
 * skip a field the row leaves out, unless it checks every field. */
static void
check_str(const struct scan_row *r, const char *field, const char *got,
          const char *want)
{
    if (want == NULL && !r->every)
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
check_strv(const struct scan_row *r, const char *field, GPtrArray *got,
           const char *const want[4])
{
    guint n = 0;

    if (want[0] == NULL && !r->every)
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

/* Fail, naming the row and the field, when a contact list is not the
 * row's (name/address pairs, ended by a pair of NULLs or after 3). */
static void
check_contacts(const struct scan_row *r, const char *field, GPtrArray *got,
               const char *const want[3][2])
{
    guint n = 0;

    if (want[0][0] == NULL && want[0][1] == NULL && !r->every)
        return;
    while (n < 3 && (want[n][0] != NULL || want[n][1] != NULL) &&
           want[n][0] != NOTHING)
        n++;
    if (got->len != n)
        fail_msg("%s: %s got %u contacts want %u", r->name, field, got->len, n);
    for (guint i = 0; i < n; i++) {
        const struct contact *c = g_ptr_array_index(got, i);

        if (g_strcmp0(c->name, want[i][0]) != 0 ||
            g_strcmp0(c->addr, want[i][1]) != 0)
            fail_msg("%s: %s[%u] got %s <%s> want %s <%s>", r->name, field, i,
                     c->name ? c->name : "-", c->addr ? c->addr : "-",
                     want[i][0] ? want[i][0] : "-",
                     want[i][1] ? want[i][1] : "-");
    }
}

/* Fail, naming the row, when anything at all was filled in. */
static void
check_empty(const struct scan_row *r, struct envelope *env)
{
    static const struct scan_row none = { .every = TRUE };
    struct scan_row named = none;

    named.name = r->name;
    check_str(&named, "from_body", env->from_body, NULL);
    check_str(&named, "to_body", env->to_body, NULL);
    check_str(&named, "title", env->title, NULL);
    check_str(&named, "deadline", env->deadline, NULL);
    check_str(&named, "body", env->body, NULL);
    check_str(&named, "purpose", purpose_name(env->purpose), NULL);
    check_strv(&named, "to_list", env->to_list, none.to_list);
    check_strv(&named, "info_to", env->info_to, none.info_to);
    check_contacts(&named, "cc", env->cc, none.cc);
    check_contacts(&named, "response_contacts", env->response_contacts, none.resp);
    check_contacts(&named, "technical_contacts", env->technical_contacts, none.tech);
    check_strv(&named, "other_identifiers", env->other_identifiers, none.ids);
    check_strv(&named, "related", env->related, none.related);
    check_strv(&named, "references", env->references, none.refs);
}

/* Scan each row's text into a new envelope and check the row's fields;
 * every failure names the row. */
static void
run_scan_rows(const struct scan_row *rows, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const struct scan_row *r = &rows[i];
        struct envelope *env = envelope_new();
        int labels = envelope_scan(env, r->text);

        if (r->labels != ANY_LABELS && labels != r->labels)
            fail_msg("%s: labels got %d want %d", r->name, labels, r->labels);
        if (r->empty)
            check_empty(r, env);
        check_str(r, "from_body", env->from_body, r->from_body);
        check_str(r, "to_body", env->to_body, r->to_body);
        check_str(r, "title", env->title, r->title);
        check_str(r, "deadline", env->deadline, r->deadline);
        check_str(r, "body", env->body, r->body);
        check_str(r, "purpose", purpose_name(env->purpose), r->purpose);
        check_strv(r, "to_list", env->to_list, r->to_list);
        check_strv(r, "info_to", env->info_to, r->info_to);
        check_contacts(r, "cc", env->cc, r->cc);
        check_contacts(r, "response_contacts", env->response_contacts, r->resp);
        check_contacts(r, "technical_contacts", env->technical_contacts, r->tech);
        check_strv(r, "other_identifiers", env->other_identifiers, r->ids);
        check_strv(r, "related", env->related, r->related);
        check_strv(r, "references", env->references, r->refs);
        envelope_free(env);
    }
}

/* The decoded text of each layout of the corpus (the text message.c hands
 * over) and every field it must give. */
static const struct scan_row layout_rows[] = {
    {
        .name = "s01 RFC 4053 Appendix A labels",
        .text =
            "From: ITU-T Study Group 15\n"
            "To: IETF CCAMP WG\n"
            "Title: LS on OTN beyond-400G control plane extensions\n"
            "Response Contact: Greta Jonsson <greta.jonsson@itu.test>\n"
            "Technical Contact: Greta Jonsson <greta.jonsson@itu.test>, Malcolm Betts <m.betts@itu.test>\n"
            "Purpose: For Action\n"
            "Deadline: 2027-01-15\n"
            "\n"
            "Body:\n"
            "ITU-T SG15 has progressed its work on OTN interfaces beyond 400G and asks\n"
            "the CCAMP working group to review the attached draft and to advise whether\n"
            "the GMPLS signalling extensions in RFC 7139 need updating.\n"
            "\n"
            "We would appreciate a response before our January 2027 plenary.\n"
            "\n"
            "Attachments:\n"
            "  SG15-LS-0412.pdf\n",
        .every = TRUE,
        .labels = 9,
        .from_body = "ITU-T Study Group 15",
        .to_body = "IETF CCAMP WG",
        .to_list = { "IETF CCAMP WG" },
        .title = "LS on OTN beyond-400G control plane extensions",
        .resp = { { "Greta Jonsson", "greta.jonsson@itu.test" } },
        .tech = { { "Greta Jonsson", "greta.jonsson@itu.test" },
                  { "Malcolm Betts", "m.betts@itu.test" } },
        .purpose = "action",
        .deadline = "2027-01-15",
        .body =
            "ITU-T SG15 has progressed its work on OTN interfaces beyond 400G and asks\n"
            "the CCAMP working group to review the attached draft and to advise whether\n"
            "the GMPLS signalling extensions in RFC 7139 need updating.\n"
            "\n"
            "We would appreciate a response before our January 2027 plenary.",
    },
    {
        /* "Please reply by" has no colon. */
        .name = "s02 datatracker notification",
        .text =
            "Title: Broadband Forum interest in draft-ietf-ippm-capacity-metric-method\n"
            "Submission Date: 2026-11-20\n"
            "URL of the IETF Web page: https://datatracker.ietf.test/liaison/2101/\n"
            "Please reply by 2026-12-20\n"
            "From: Lincoln Lavalle <llavalle@bbf.test>\n"
            "To: Lars Ekberg <lars@ietf.test>, Tommy Paulsen <tpaulsen@ietf.test>\n"
            "Cc: IP Performance Measurement Discussion List <ippm@ietf.test>\n"
            "Response Contacts: Broadband Forum Liaisons <liaisons@bbf.test>\n"
            "Technical Contacts: Lincoln Lavalle <llavalle@bbf.test>\n"
            "Purpose: For comment\n"
            "\n"
            "Body: The Broadband Forum thanks the IPPM working group for its work on\n"
            "the capacity metric and asks for comments on how TR-471 should reference\n"
            "draft-ietf-ippm-capacity-metric-method once it is published as an RFC.\n"
            "Attachments:\n"
            "\n"
            "    LIAISE-481 IPPM capacity metric\n"
            "    https://www.ietf.test/lib/dt/documents/LIAISON/liaison-2026-11-20-bbf-ippm-attachment-1.pdf\n"
            "\n",
        .every = TRUE,
        .labels = 11,
        .title = "Broadband Forum interest in draft-ietf-ippm-capacity-metric-method",
        .from_body = "Lincoln Lavalle <llavalle@bbf.test>",
        .to_body = "Lars Ekberg <lars@ietf.test>, Tommy Paulsen <tpaulsen@ietf.test>",
        .to_list = { "Lars Ekberg <lars@ietf.test>",
                     "Tommy Paulsen <tpaulsen@ietf.test>" },
        .cc = { { "IP Performance Measurement Discussion List", "ippm@ietf.test" } },
        .resp = { { "Broadband Forum Liaisons", "liaisons@bbf.test" } },
        .tech = { { "Lincoln Lavalle", "llavalle@bbf.test" } },
        .purpose = "comment",
        /* The submission date must not be taken for the deadline. */
        .deadline = "2026-12-20",
        .body =
            "The Broadband Forum thanks the IPPM working group for its work on\n"
            "the capacity metric and asks for comments on how TR-471 should reference\n"
            "draft-ietf-ippm-capacity-metric-method once it is published as an RFC.",
        .refs = { "draft-ietf-ippm-capacity-metric-method", "TR-471" },
    },
    {
        .name = "s03 ITU-T template",
        .text =
            "INTERNATIONAL TELECOMMUNICATION UNION\n"
            "TELECOMMUNICATION STANDARDIZATION SECTOR\n"
            "STUDY PERIOD 2025-2028\n"
            "\n"
            "Question(s): 12/15          Meeting, date: Geneva, 9-20 November 2026\n"
            "Study Group: 15             Working Party: 3\n"
            "Source: ITU-T Study Group 15\n"
            "Title: LS on YANG models for optical transport network topology\n"
            "\n"
            "LIAISON STATEMENT\n"
            "\n"
            "For action to: IETF CCAMP WG\n"
            "For information to: IETF NETMOD WG\n"
            "Approval: Agreed to at SG15 meeting (Geneva, 20 November 2026)\n"
            "Deadline: 15 March 2027\n"
            "Contact: Hiroshi Tanabe, NTT, Japan, E-mail: h.tanabe@itu.test\n"
            "\n"
            "SG15 thanks CCAMP for its YANG models for OTN topology and asks CCAMP to\n"
            "align the attributes listed in the attachment with G.874.1.\n"
            "\n",
        .every = TRUE,
        .labels = 6,
        .from_body = "ITU-T Study Group 15",
        .title = "LS on YANG models for optical transport network topology",
        .to_body = "IETF CCAMP WG",
        .to_list = { "IETF CCAMP WG" },
        .info_to = { "IETF NETMOD WG" },
        .purpose = "action",
        .deadline = "2027-03-15",
        .tech = { { "Hiroshi Tanabe", "h.tanabe@itu.test" } },
    },
    {
        .name = "s04 3GPP template",
        .text = S04_TEXT,
        .every = TRUE,
        .labels = 9,
        .title = "LS on user plane path management for distributed anchors",
        .from_body = "TSG SA WG2",
        .to_body = "IETF DMM WG",
        .to_list = { "IETF DMM WG" },
        .cc = { { "TSG CT WG4", NULL } },
        .tech = { { "Kasia Nowicka", "kasia.nowicka@3gpp.test" } },
        .resp = { { "3GPP Liaisons Coordinator", "3gppliaison@3gpp.test" } },
        .purpose = "action",
        /* Neither the meeting dates nor the next meeting are a deadline. */
        .deadline = NULL,
        /* The attachment's tdoc number is not the statement's own. */
        .ids = { "S2-2611873" },
        /* "Response to: -" means none. */
        .related = { NULL },
    },
    {
        .name = "s05 HTML table rendered one row per line",
        .text =
            "Dear IETF DetNet chairs,\n"
            "\n"
            "From: IEEE 802.1 Working Group\n"
            "To: IETF DetNet WG\n"
            "Title: Status of P802.1DP & TSN profile for aerospace\n"
            "Response Contact: Glen Parsons <gparsons@ieee.test>\n"
            "Technical Contact: J\xc3\xa1nos Farkas <jfarkas@ieee.test>\n"
            "Purpose: For Information\n"
            "\n"
            "IEEE 802.1 informs DetNet that P802.1DP has completed its sponsor ballot.\n",
        .every = TRUE,
        .labels = 6,
        .from_body = "IEEE 802.1 Working Group",
        .to_body = "IETF DetNet WG",
        .to_list = { "IETF DetNet WG" },
        .title = "Status of P802.1DP & TSN profile for aerospace",
        .resp = { { "Glen Parsons", "gparsons@ieee.test" } },
        .tech = { { "J\xc3\xa1nos Farkas", "jfarkas@ieee.test" } },
        .purpose = "information",
    },
    {
        /* Decoded from Latin-1. */
        .name = "s06 no title label, US date, non-ASCII name",
        .text =
            "From: Broadband Forum\n"
            "To: IETF Routing Area\n"
            "Technical Contact: Zo\xc3\xab M\xc3\xbcller <zmuller@bbf.test>\n"
            "Purpose: For Comment\n"
            "Deadline: December 31, 2026\n"
            "\n"
            "The Broadband Forum asks the Routing Area for comments on its draft TR-545,\n"
            "which profiles segment routing for access networks. Le r\xc3\xa9sum\xc3\xa9 is attached.\n",
        .every = TRUE,
        .labels = 5,
        .title = NULL,
        .from_body = "Broadband Forum",
        .to_body = "IETF Routing Area",
        .to_list = { "IETF Routing Area" },
        .tech = { { "Zo\xc3\xab M\xc3\xbcller", "zmuller@bbf.test" } },
        .purpose = "comment",
        .deadline = "2026-12-31",
        .refs = { "TR-545" },
    },
    {
        .name = "s07 In Response, with the referenced liaison's URL",
        .text =
            "From: 3GPP TSG SA\n"
            "To: IETF\n"
            "Title: Reply LS on support for defining next generation protocols\n"
            "Response Contact: Georg Maier <gmaier@3gpp.test>\n"
            "Technical Contact: Georg Maier <gmaier@3gpp.test>\n"
            "Purpose: In Response\n"
            "Referenced liaison: LS on next generation protocols (https://datatracker.ietf.test/liaison/1499/)\n"
            "\n"
            "Body:\n"
            "3GPP TSG SA thanks the IETF for its liaison and confirms it will keep the\n"
            "IETF informed of its Release 21 planning.\n",
        .every = TRUE,
        .labels = 8,
        .from_body = "3GPP TSG SA",
        .to_body = "IETF",
        .to_list = { "IETF" },
        .title = "Reply LS on support for defining next generation protocols",
        .resp = { { "Georg Maier", "gmaier@3gpp.test" } },
        .tech = { { "Georg Maier", "gmaier@3gpp.test" } },
        .purpose = "response",
        .related = { "https://datatracker.ietf.test/liaison/1499/" },
        .body =
            "3GPP TSG SA thanks the IETF for its liaison and confirms it will keep the\n"
            "IETF informed of its Release 21 planning.",
    },
    {
        /* An informal letter has no envelope at all. */
        .name = "s08 informal letter",
        .text =
            "Dear IETF,\n"
            "\n"
            "Please find attached our liaison statement regarding QUIC multipath\n"
            "deployment in enterprise networks. We would be glad to hear from you.\n"
            "\n"
            "Best regards,\n"
            "Ana Lima\n"
            "ETSI ISG MEC\n",
        .every = TRUE,
        .labels = 0,
    },
    {
        .name = "s12 several addressees, folded lines, ';'-separated contacts",
        .text =
            "From: Broadband Forum\n"
            "To: IETF IPPM WG, IETF NETMOD WG,\n"
            "    IETF RTGWG\n"
            "Title: Recently published Broadband Forum work items (November 2026)\n"
            "Response Contact: Liaisons at BBF <liaisons@bbf.test>\n"
            "Technical Contacts: Lincoln Lavalle <llavalle@bbf.test>;\n"
            "    Dana Okafor <dokafor@bbf.test>\n"
            "Purpose: For Information\n"
            "\n"
            "Body:\n"
            "The Broadband Forum informs the IETF of the following newly published\n"
            "work items: TR-471 Issue 4, TR-181 Issue 2 Amendment 19.\n",
        .every = TRUE,
        .labels = 7,
        .from_body = "Broadband Forum",
        .to_body = "IETF IPPM WG, IETF NETMOD WG, IETF RTGWG",
        .to_list = { "IETF IPPM WG", "IETF NETMOD WG", "IETF RTGWG" },
        .title = "Recently published Broadband Forum work items (November 2026)",
        .resp = { { "Liaisons at BBF", "liaisons@bbf.test" } },
        .tech = { { "Lincoln Lavalle", "llavalle@bbf.test" },
                  { "Dana Okafor", "dokafor@bbf.test" } },
        .purpose = "information",
        .refs = { "TR-471", "TR-181" },
        .body =
            "The Broadband Forum informs the IETF of the following newly published\n"
            "work items: TR-471 Issue 4, TR-181 Issue 2 Amendment 19.",
    },
    {
        /* The 3GPP template inside a forwarded message; the ACTION
         * sentence gives the purpose and, with its "by" date, the
         * deadline. */
        .name = "s14 3GPP ACTION sentence with deadline",
        .text =
            "Title: LS on QUIC-based transport for the service based architecture\n"
            "Source: TSG CT WG4\n"
            "To: IETF QUIC WG\n"
            "Contact Person:\n"
            "   Name: Kasia Nowicka\n"
            "   E-mail Address: kasia.nowicka@3gpp.test\n"
            "Send any reply LS to: 3GPP Liaisons Coordinator, mailto:3gppliaison@3gpp.test\n"
            "\n"
            "2. Actions:\n"
            "To IETF QUIC WG.\n"
            "ACTION: CT4 asks QUIC to comment on the suitability of QUIC streams for the\n"
            "service based interfaces, by 1 March 2027.\n",
        .every = TRUE,
        .labels = 6,
        .title = "LS on QUIC-based transport for the service based architecture",
        .from_body = "TSG CT WG4",
        .to_body = "IETF QUIC WG",
        .to_list = { "IETF QUIC WG" },
        .tech = { { "Kasia Nowicka", "kasia.nowicka@3gpp.test" } },
        .resp = { { "3GPP Liaisons Coordinator", "3gppliaison@3gpp.test" } },
        /* "asks QUIC to comment" is still an ACTION. */
        .purpose = "action",
        .deadline = "2027-03-01",
    },
};

/* Scan every layout and check every field, naming the row on failure. */
static void
test_layouts(void **state)
{
    (void) state;
    run_scan_rows(layout_rows, G_N_ELEMENTS(layout_rows));
}

/* s13: the body says nothing, the text attachment holds the envelope. */
static void
test_s13_attachment(void **state)
{
    static const char body[] =
        "Please find attached a liaison statement from ITU-T SG15.\n";
    static const char attachment[] =
        "From: ITU-T Study Group 15\n"
        "To: IETF CCAMP WG\n"
        "Title: LS on clock synchronisation over packet networks\n"
        "Response Contact: Stefano Ruffini <sruffini@itu.test>\n"
        "Technical Contact: Stefano Ruffini <sruffini@itu.test>\n"
        "Purpose: For Comment\n"
        "Deadline: 2027-02-28\n"
        "\n"
        "Body:\n"
        "SG15 invites comments from CCAMP on the synchronisation aspects of the\n"
        "attached draft Recommendation G.8275.3.\n";
    static const char *const sr[][2] = {
        { "Stefano Ruffini", "sruffini@itu.test" } };
    struct envelope *env = envelope_new();

    assert_int_equal(envelope_scan(env, body), 0);
    assert_empty(env);
    assert_int_equal(envelope_scan(env, attachment), 8);
    assert_str(env->from_body, "ITU-T Study Group 15");
    assert_str(env->to_body, "IETF CCAMP WG");
    assert_str(env->title, "LS on clock synchronisation over packet networks");
    assert_contacts(env->response_contacts, 1, sr);
    assert_contacts(env->technical_contacts, 1, sr);
    assert_int_equal(env->purpose, PURPOSE_COMMENT);
    assert_str(env->deadline, "2027-02-28");
    assert_str(env->body,
        "SG15 invites comments from CCAMP on the synchronisation aspects of the\n"
        "attached draft Recommendation G.8275.3.");
    envelope_free(env);
}

/* ---- rules, one text a row ---------------------------------------------- */

/* Texts that each show one reading rule, and the fields that rule decides.
 * The comment above each group says why its rows exist. */
static const struct scan_row rule_rows[] = {
    /* Within one text, the first value of a single-valued label wins and a
     * Purpose label beats what For-lines and ACTION imply. */
    {
        .name = "precedence",
        .text = "Title: One\nTitle: Two\n"
                "For comment to: IETF X WG\n"
                "Purpose: For Information\n"
                "ACTION: please act by 2027-06-01.\n"
                "Deadline: 2027-07-01\n",
        .labels = 6,
        .title = "One",
        .to_body = "IETF X WG",
        .purpose = "information",
        /* A Deadline label beats a date inside the ACTION sentence. */
        .deadline = "2027-07-01",
    },

    /* ITU "For information to:" alone is the To, purpose information;
     * with an explicit To it is a copy. */
    {
        .name = "itu for information alone",
        .text = "Source: ITU-T SG2\nFor information to: IETF OPSAWG\n",
        .labels = 2,
        .to_body = "IETF OPSAWG",
        .to_list = { "IETF OPSAWG" },
        .info_to = { NOTHING },
        .purpose = "information",
    },
    {
        .name = "itu for action, comment and information",
        .text = "For action to: IETF A WG, IETF B WG\n"
                "For comment to: IETF C WG\n"
                "For information to: IETF D WG\n",
        .labels = 3,
        .to_body = "IETF A WG, IETF B WG, IETF C WG",
        .to_list = { "IETF A WG", "IETF B WG", "IETF C WG" },
        .info_to = { "IETF D WG" },
        .purpose = "action",
    },
    {
        .name = "itu for information beside To",
        .text = "To: IETF\nFor information to: IETF D WG\n",
        .labels = 2,
        .to_body = "IETF",
        .info_to = { "IETF D WG" },
        .purpose = "information",
    },

    /* Folding: indented continuation, trailing separators, tabs, CRLF,
     * label case and alignment, non-breaking spaces from rendered HTML. */
    {
        .name = "folded lines",
        .text = "  TITLE :   A   long\r\n"
                "\t  title\r\n"
                "to:\tIETF IPPM WG;\r\n"
                "IETF NETMOD WG,\r\n"
                "        IETF RTGWG\r\n"
                "Technical Contact(s): A One <a@x.test>,\n"
                "B Two <B@Y.TEST>;\n"
                "\tC Three <c@z.test>\n"
                "From:\xc2\xa0IEEE\xc2\xa0" "802.1\n"
                "Purpose: For\n"
                "  Action\n",
        .labels = 5,
        .title = "A long title",
        .to_body = "IETF IPPM WG; IETF NETMOD WG, IETF RTGWG",
        .to_list = { "IETF IPPM WG", "IETF NETMOD WG", "IETF RTGWG" },
        .tech = { { "A One", "a@x.test" }, { "B Two", "b@y.test" },
                  { "C Three", "c@z.test" } },
        .from_body = "IEEE 802.1",
        .purpose = "action",
    },
    {
        /* A value on the line after its label, as some forms are laid out. */
        .name = "folded value on the next line",
        .text = "Title:\nLS on the next line\nContact Person:\n"
                "Kasia Nowicka <kasia@3gpp.test>\n\nDear IETF,\n",
        .labels = 2,
        .title = "LS on the next line",
        .tech = { { "Kasia Nowicka", "kasia@3gpp.test" } },
    },

    /* A 3GPP contact block with two persons, unindented, with phone lines. */
    {
        .name = "3gpp contact block",
        .text = "Contact Person:\n"
                "Name: Kasia Nowicka\n"
                "Tel. Number: +48 22 000 0000\n"
                "E-mail Address: mailto:Kasia.Nowicka@3gpp.test\n"
                "Name: Piotr Zielinski\n"
                "Email: pz@3gpp.test\n"
                "To: IETF\n",
        .labels = 2,
        .tech = { { "Kasia Nowicka", "kasia.nowicka@3gpp.test" },
                  { "Piotr Zielinski", "pz@3gpp.test" } },
        .to_body = "IETF",
    },

    /* ITU contact folded over lines with Tel and E-mail sub-labels. */
    {
        .name = "itu contact folded",
        .text = "Contact: Stefano Ruffini, Ericsson, Italy\n"
                "         Tel: +39 000 000 000\n"
                "         E-mail: sruffini@itu.test\n"
                "Contact: Hiroshi Tanabe, NTT, Japan\n"
                "E-mail: h.tanabe@itu.test\n",
        .labels = 2,
        .tech = { { "Stefano Ruffini", "sruffini@itu.test" },
                  { "Hiroshi Tanabe", "h.tanabe@itu.test" } },
    },

    /* A contact's address on a line of its own, as an HTML table cell
     * gives it ("<td>Ann Bee<br>ann@bbf.test</td>" renders as two lines
     * with no indent), is that contact's: it used to be lost, leaving a
     * contact no one can write to. */
    {
        .name = "contact address on its own line",
        .text = "Response contact: Lin Lavalle\n"
                "<ll@bbf.test>\n"
                "Technical contact:\n"
                "Ann Bee\n"
                "mailto:ann@bbf.test\n"
                "Carl Dee <cd@bbf.test>\n"
                "Purpose: For action\n"
                "Please write to office@bbf.test with questions.\n",
        .labels = 3,
        .resp = { { "Lin Lavalle", "ll@bbf.test" } },
        .tech = { { "Ann Bee", "ann@bbf.test" }, { "Carl Dee", "cd@bbf.test" } },
        .purpose = "action",
    },
    {
        /* A Cc cell with a list a line. */
        .name = "cc cell a line each",
        .text = "Cc: NETMOD WG <netmod@ietf.test>\n"
                "opsawg@ietf.test\n",
        .labels = 1,
        .cc = { { "NETMOD WG", "netmod@ietf.test" }, { NULL, "opsawg@ietf.test" } },
    },
    {
        /* Prose after a contact that mentions an address is not the
         * contact's. */
        .name = "prose address after a contact",
        .text = "Technical contact: Ann Bee\n"
                "Please copy ann@bbf.test in replies.\n",
        .labels = 1,
        .tech = { { "Ann Bee", NULL } },
    },

    /* A contact cell's lines as html.c renders them (and a mailer's plain
     * rendering of a table): the later ones indented by a tab.  The
     * organisation's line was run into the name ("Ann Bee Broadband
     * Forum") and a phone line made a contact of its own. */
    {
        .name = "contact cell lines",
        .text = "Title: LS on TR-471 IP capacity measurement\n"
                "\tand its YANG module\n"
                "Response contact: Lin Lavalle\n"
                "\tBroadband Forum\n"
                "\tll@bbf.test\n"
                "\t+1 555 0100\n"
                "Technical contact: Ann Bee\n"
                "\tBroadband Forum\n"
                "\t+1 555 0100\n"
                "\tann@bbf.test\n"
                "Dear colleagues,\n"
                "Please write to office@bbf.test with questions.\n",
        .labels = 3,
        .title = "LS on TR-471 IP capacity measurement and its YANG module",
        .resp = { { "Lin Lavalle", "ll@bbf.test" } },
        .tech = { { "Ann Bee", "ann@bbf.test" } },
    },
    {
        /* A name folded with blanks stays one name. */
        .name = "contact name folded with blanks",
        .text = "Technical contact: Greta\n"
                "    Jonsson <gj@itu.test>\n",
        .labels = 1,
        .tech = { { "Greta Jonsson", "gj@itu.test" } },
    },

    /* A label cell with no colon, set off from its value by a tab, as
     * html.c renders "<td>Purpose</td><td>For action</td>" (and a plain
     * rendering of a table does): it was no label. */
    {
        .name = "cell bare label",
        .text = "Purpose\tFor action\n"
                "Deadline\t15 January 2027\n"
                "Response contact\tLin Lavalle <ll@bbf.test>\n",
        .labels = 3,
        .purpose = "action",
        .deadline = "2027-01-15",
        .resp = { { "Lin Lavalle", "ll@bbf.test" } },
    },
    {
        /* Words before a tab are a label only when they are a field's: a
         * row of another table, or an indented cell, fills nothing. */
        .name = "cell bare words of another table",
        .text = "Status\tFor action\n"
                "\tPurpose\tFor comment\n"
                "Meeting\t15 January 2027\n",
        .labels = 0,
        .empty = TRUE,
    },

    /* A table's heading row alone fills nothing; a value that holds the
     * word is a value (the heading rows before a form are
     * test_cell_heading_row's). */
    {
        .name = "heading row alone",
        .text = "Title\tDescription\nTo: Value\n",
        .labels = 0,
        .empty = TRUE,
    },
    {
        .name = "heading word inside a value",
        .text = "Title: Description of the OTN YANG models\n",
        .labels = 1,
        .title = "Description of the OTN YANG models",
    },

    /* A letter's "Subject:" line is its title when it has no "Title:"
     * (the formal letters of IEEE 802 and others head their text so), in
     * a table's label cell too; a "Title:" wins wherever it stands, and
     * a table whose heading row is "Title | Subject" does not make the
     * word the title.  An inline forwarded header's Subject stays the
     * forwarder's. */
    {
        .name = "subject is the title",
        .text = "Subject: LS on TSN YANG models\n",
        .labels = 1,
        .title = "LS on TSN YANG models",
    },
    {
        .name = "subject value on the next line",
        .text = "From: IEEE 802.1 Working Group\n"
                "To: IETF DetNet WG\n"
                "Subject:\n"
                "LS on TSN YANG models: configuration\n\n"
                "Dear colleagues,\n",
        .labels = 3,
        .title = "LS on TSN YANG models: configuration",
        .from_body = "IEEE 802.1 Working Group",
    },
    {
        .name = "title beats subject",
        .text = "Subject: Liaison from IEEE 802.1\n"
                "Title: LS on TSN YANG models\n",
        .labels = 2,
        .title = "LS on TSN YANG models",
    },
    {
        /* The heading row, a Subject row, and the real Title row last. */
        .name = "subject cell under a heading row",
        .text = "Title\tSubject\n"
                "From\tITU-T Study Group 15\n"
                "Subject\tReply to IETF CCAMP\n"
                "Title:\tLS on OTN YANG models\n",
        .labels = 3,
        .title = "LS on OTN YANG models",
        .from_body = "ITU-T Study Group 15",
    },
    {
        /* Outlook's forwarded header above the letter, and alone. */
        .name = "forwarded subject above the letter",
        .text = "From: Ann Bee\nSent: Monday, 30 November 2026 10:00\n"
                "To: liaisons@ietf.test\nSubject: FW: LS on OTN\n\n"
                "From: ITU-T Study Group 15\nTitle: LS on OTN YANG models\n",
        .labels = 2,
        .title = "LS on OTN YANG models",
    },
    {
        .name = "forwarded subject alone",
        .text = "From: Ann Bee\nSent: Monday, 30 November 2026 10:00\n"
                "Subject: FW: LS on OTN\n",
        .labels = 0,
        .empty = TRUE,
    },

    /* An empty line after a label without value, html.c's rendering of a
     * label beside an empty cell, ends the field: a Title takes no value
     * from the row below.  A contact label's block of "Name:" lines may
     * still follow it (the 3GPP form laid out as a table). */
    {
        .name = "empty cell ends the title",
        .text = "Title:\n"
                "\n"
                "Meeting: Geneva, 16-27 March 2027\n",
        .labels = 1,
        .empty = TRUE,
    },
    {
        .name = "empty cell before a contact block",
        .text = "Contact Person:\n"
                "\n"
                "Name: Ann Bee\n"
                "E-mail Address: ann@bbf.test\n",
        .labels = 1,
        .tech = { { "Ann Bee", "ann@bbf.test" } },
    },
    {
        /* Prose after the empty line is no contact's. */
        .name = "empty cell before prose",
        .text = "Technical contact:\n"
                "\n"
                "Dear colleagues, Ann Bee <ann@bbf.test> writes.\n",
        .labels = 1,
        .tech = { { NOTHING } },
    },

    /* A To cell's lines, the later ones indented by a tab (html.c's
     * rendering of "<td>ITU-T SG15<br>IETF CCAMP WG</td>"), are
     * addressees of their own, as the entries of a To folded after a
     * comma are; they were one addressee "ITU-T SG15 IETF CCAMP WG".  A
     * To folded with blanks stays one addressee, as before. */
    {
        .name = "to cell lines",
        .text = "To: ITU-T SG15\n"
                "\tIETF CCAMP WG\n"
                "For information to: IETF TEAS WG\n"
                "\tIETF OPSAWG\n"
                "Title: LS on OTN YANG models\n"
                "\tand their alignment\n",
        .labels = 3,
        .to_body = "ITU-T SG15, IETF CCAMP WG",
        .to_list = { "ITU-T SG15", "IETF CCAMP WG" },
        .info_to = { "IETF TEAS WG", "IETF OPSAWG" },
        .title = "LS on OTN YANG models and their alignment",
    },
    {
        .name = "to folded with blanks",
        .text = "To: IETF Operations and\n"
                "    Management Area\n",
        .labels = 1,
        .to_body = "IETF Operations and Management Area",
        .to_list = { "IETF Operations and Management Area" },
    },
    {
        /* The same wrapped in a tab-aligned plain letter: a name cut
         * after a joining word, or going on in lower case, is one
         * addressee. */
        .name = "to tab-aligned, cut after a joining word",
        .text = "To:\tIETF Operations and\n"
                "\tManagement Area\n",
        .labels = 1,
        .to_body = "IETF Operations and Management Area",
        .to_list = { "IETF Operations and Management Area" },
    },
    {
        .name = "to tab-aligned, going on in lower case",
        .text = "To:\tIETF Operations\n"
                "\tand Management Area\n",
        .labels = 1,
        .to_body = "IETF Operations and Management Area",
        .to_list = { "IETF Operations and Management Area" },
    },

    /* Related liaisons: URL, text, none. */
    {
        .name = "related URLs",
        .text = "Referenced liaisons: https://datatracker.ietf.test/liaison/1499/,\n"
                "  https://datatracker.ietf.test/liaison/1500/.\n",
        .labels = 1,
        .related = { "https://datatracker.ietf.test/liaison/1499/",
                     "https://datatracker.ietf.test/liaison/1500/" },
    },
    {
        /* The tdoc number of the liaison answered is not this one's. */
        .name = "related text with a tdoc number",
        .text = "S2-2611999\nResponse to: LS (S2-2601234) on QoS monitoring\n",
        .labels = 1,
        .related = { "LS (S2-2601234) on QoS monitoring" },
        .ids = { "S2-2611999" },
    },
    {
        .name = "related none",
        .text = "Response to: none\nResponse to:\n",
        .labels = 2,
        .related = { NOTHING },
    },

    /* Document names and identifiers: deduplicated, in order, well
     * bounded. */
    {
        .name = "names",
        .text = "See draft-ietf-foo-bar-03.txt and TR-069, then draft-x-.\n"
                "Not references: xdraft-a, TR-, ATR-12, draft-ietf-foo-bar-03 again.\n"
                "Tdocs S2-2611873, CP-263001 (R1-2612345) S2-2611873\n"
                "Not tdocs: XS2-2611873, S2-26118, S2-261187345, S9-2611873\n"
                "> quoted draft-quoted-name\n",
        .labels = 0,
        .refs = { "draft-ietf-foo-bar-03", "TR-069", "draft-x" },
        .ids = { "S2-2611873", "CP-263001", "R1-2612345" },
    },

    /* Bodies: value on the label line, stopped by Attachments, or to the
     * end; labels inside the body are body text. */
    {
        .name = "body stopped by attachments",
        .text = "Body: first line\n  second line\nTo: not a label here\n"
                "Attachments: a.pdf\nPurpose: For Action\n",
        .labels = 3,
        .body = "first line\n  second line\nTo: not a label here",
        .to_body = NOTHING,
        .purpose = "action",
    },
    {
        .name = "body to the end",
        .text = "Body:\n\n\nText only.\n\n",
        .labels = 1,
        .body = "Text only.",
    },
    {
        .name = "body empty",
        .text = "Body:\n\n",
        .labels = 1,
        .body = NOTHING,
    },

    /* A negated Purpose label leaves the For-lines to decide. */
    {
        .name = "negated purpose, To line",
        .text = "Purpose: No action required, for information only\n"
                "To: IETF OPSAWG\n",
        .labels = 2,
        .purpose = "information",
        .deadline = NOTHING,
    },
    {
        .name = "negated purpose, For comment line",
        .text = "Purpose: Not for action\nFor comment to: IETF X WG\n",
        .labels = 2,
        .purpose = "comment",
    },
};

/* Scan every rule row, naming the row on failure. */
static void
test_rules(void **state)
{
    (void) state;
    run_scan_rows(rule_rows, G_N_ELEMENTS(rule_rows));
}

/* ---- rules -------------------------------------------------------------- */

/* Fields already set by an earlier, more trusted text are kept; the
 * labels recognised are counted over both texts (the statement row keeps
 * the sum). */
static void
test_fill_only_unset(void **state)
{
    struct envelope *env = envelope_new();
    static const char *const to[] = { "IETF A WG", NULL };
    static const char *const tech[][2] = { { "A", "a@x.test" } };
    int first, second;

    first = envelope_scan(env, "Title: First\nTo: IETF A WG\n"
                               "Technical Contact: A <a@x.test>\n");
    second = envelope_scan(env, "Title: Second\nFrom: Body B\nTo: IETF B WG\n"
                                "Technical Contact: B <b@x.test>\nPurpose: action\n"
                                "Deadline: 2027-05-01\n");
    assert_true(first > 0 && second > first);
    assert_int_equal(env->labels, first + second);
    assert_str(env->title, "First");
    assert_str(env->from_body, "Body B");
    assert_str(env->to_body, "IETF A WG");
    assert_strv(env->to_list, to);
    assert_contacts(env->technical_contacts, 1, tech);
    assert_int_equal(env->purpose, PURPOSE_ACTION);
    assert_str(env->deadline, "2027-05-01");
    envelope_free(env);
}

/* Deadline and purpose from the datatracker line and 3GPP ACTION
 * sentences, in their variants. */
static void
test_reply_by_and_action(void **state)
{
    static const struct {
        const char *text;
        const char *deadline;
        enum purpose purpose;
    } rows[] = {
        { "Please reply by 2026-12-20\n", "2026-12-20", PURPOSE_NONE },
        { "please reply by: 20 December 2026\n", "2026-12-20", PURPOSE_NONE },
        { "Please respond before Dec 20, 2026\n", "2026-12-20", PURPOSE_NONE },
        { "Please reply by 10:00 UTC on 2026-12-20\n", "2026-12-20",
          PURPOSE_NONE },
        { "Please reply by the next meeting\n", NULL, PURPOSE_NONE },
        { "ACTION: SA2 asks IETF DMM to reply\nby 2027-01-31 at the latest.\n",
          "2027-01-31", PURPOSE_ACTION },
        /* The sentence ends at the blank line: later dates are not its. */
        { "ACTION: SA2 asks IETF DMM to reply.\n\nSA2#173 8 - 12 February 2027\n",
          NULL, PURPOSE_ACTION },
        { "ACTION: None.\n", NULL, PURPOSE_NONE },
        { "ACTION: -\n", NULL, PURPOSE_NONE },
        { "Actions:\n", NULL, PURPOSE_NONE },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        struct envelope *env = scan(rows[i].text, -1);

        assert_str(env->deadline, rows[i].deadline);
        assert_int_equal(env->purpose, rows[i].purpose);
        envelope_free(env);
    }
}

/* The other labels liaison letters give their deadline under (IEEE 802's
 * "Requested response date", the "Response requested by" and "Due date"
 * of other bodies' templates), with a colon and as a table's label cell,
 * each a label of its own; and beside a letter's other dates, which stay
 * no deadline.  A label whose value holds no date gives none. */
static void
test_deadline_labels(void **state)
{
    static const char *const names[] = {
        "Response requested by", "Reply requested by", "Reply by",
        "Respond by", "Response by", "Response deadline",
        "Date of response requested", "Requested response date",
        "Requested reply date", "Response due date", "Response due",
        "Reply due", "Deadline for reply", "Deadline for response",
        "Deadline for responses", "Deadline for comments",
        "Action deadline", "Due date",
    };

    (void) state;
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        char *colon = g_strdup_printf("%s: 15 March 2027\n", names[i]);
        char *upper = g_ascii_strup(colon, -1);
        char *cell = g_strdup_printf("%s\t2027-03-15\n", names[i]);
        char *letter = g_strdup_printf(
            "Submission date: 1 December 2026\n"
            "From: IEEE 802.1 Working Group\n"
            "To: IETF DetNet WG\n"
            "Title: LS on TSN YANG models\n"
            "%s: 15th of March 2027 (before the March plenary)\n"
            "Purpose: For action\n\n"
            "The next meeting is 10-14 May 2027.\n", names[i]);
        const char *texts[] = { colon, upper, cell };
        struct envelope *env;

        for (gsize k = 0; k < G_N_ELEMENTS(texts); k++) {
            env = scan(texts[k], 1);
            if (env->deadline == NULL)
                fail_msg("\"%s\": no deadline", texts[k]);
            assert_str(env->deadline, "2027-03-15");
            assert_null(env->title);
            assert_int_equal(env->response_contacts->len, 0);
            assert_int_equal(env->related->len, 0);
            envelope_free(env);
        }
        env = scan(letter, 6);
        assert_str(env->deadline, "2027-03-15");
        assert_str(env->title, "LS on TSN YANG models");
        assert_int_equal(env->purpose, PURPOSE_ACTION);
        envelope_free(env);
        g_free(colon);
        g_free(upper);
        g_free(cell);
        g_free(letter);
    }

    /* No date in it, no deadline; and no contact or title either. */
    {
        struct envelope *env = scan("Response requested by: ITU-T SG15\n"
                                    "Due date: to be agreed\n", 2);

        assert_empty(env);
        envelope_free(env);
    }
}

/* A table's row of column headings, "Title<TAB>Description" as html.c
 * renders it (or "Title: Description"): the heading word was the Title,
 * and the real Title row after it was lost. */
static void
test_cell_heading_row(void **state)
{
    static const char *const texts[] = {
        "Title\tDescription\n",
        "Title: Description\n",
        "*Title*\t*Description:*\n",
        "To\tContents\n",
        "From\tValue\n",
        "Field\tValue\n",
        "Title\tSubject\n",
        "Title: Subject\n",
        "*Title*\t*Subject:*\n",
        "Subject\tDescription\n",
    };

    (void) state;
    for (gsize i = 0; i < G_N_ELEMENTS(texts); i++) {
        char *text = g_strconcat(texts[i],
                                 "From: ITU-T Study Group 15\n"
                                 "Title: LS on OTN YANG models\n"
                                 "To: IETF CCAMP WG\n", NULL);
        struct envelope *env = envelope_new();
        int labels = envelope_scan(env, text);

        assert_str(env->title, "LS on OTN YANG models");
        assert_str(env->from_body, "ITU-T Study Group 15");
        assert_str(env->to_body, "IETF CCAMP WG");
        assert_int_equal(labels, 3);    /* the heading is no label */
        envelope_free(env);
        g_free(text);
    }
}

/* TRUE when s holds a C0 control character or DEL, other than those
 * allowed (a string such as "\n\t"). */
static gboolean
has_control(const char *s, const char *allowed)
{
    for (; s != NULL && *s; s++)
        if (((unsigned char) *s < 0x20 || *s == 0x7F) && strchr(allowed, *s) == NULL)
            return TRUE;
    return FALSE;
}

/* Control characters never reach a field (a terminal would act on ESC
 * and BEL when `liaisonctl show` prints it): a tab or CR is a space, the
 * others vanish; the body keeps its line breaks and tabs only. */
static void
test_control_characters(void **state)
{
    struct envelope *env;
    const struct contact *c;

    env = scan("Title: a\x1b]0;pwn\x07\x1b[2Jb\n"
               "From: ITU\x08-T\tSG\x7f" "15\r\n"
               "To: A\x01 WG, B\x1b WG\n"
               "Response Contact: J\x1b" "Doe <j@x.test>\n"
               "Body: one\x1b[31m red\x07\n\tsecond\r line\x0b\n", 5);
    assert_str(env->title, "a]0;pwn[2Jb");
    assert_str(env->from_body, "ITU-T SG15");
    assert_str(env->to_body, "A WG, B WG");
    assert_strv(env->to_list, (const char *const[]) { "A WG", "B WG", NULL });
    assert_int_equal(env->response_contacts->len, 1);
    c = g_ptr_array_index(env->response_contacts, 0);
    assert_str(c->name, "JDoe");
    assert_str(c->addr, "j@x.test");
    assert_str(env->body, "one[31m red\n\tsecond line");
    assert_false(has_control(env->title, ""));
    assert_false(has_control(env->body, "\n\t"));
    envelope_free(env);
}

/* ---- tables ------------------------------------------------------------- */

/* Every date layout senders use, and what must be refused. */
static void
test_dates(void **state)
{
    static const struct {
        const char *in;
        const char *out;        /* NULL: must be refused */
    } rows[] = {
        { "2027-01-15", "2027-01-15" },
        { "2027/03/01", "2027-03-01" },
        { "2027.3.1", "2027-03-01" },
        { "15 March 2027", "2027-03-15" },
        { "15 Jan 2027", "2027-01-15" },
        { "1 March 2027", "2027-03-01" },
        { "1st March 2027", "2027-03-01" },
        /* British letters: "the 15th of January". */
        { "15th of January 2027", "2027-01-15" },
        { "the 1st of March, 2027", "2027-03-01" },
        { "15 of March 2027", "2027-03-15" },
        { "one of March 2027", NULL },
        { "15-Mar-2027", "2027-03-15" },
        { "15 Sept. 2027", "2027-09-15" },
        { "December 31, 2026", "2026-12-31" },
        { "Dec 31 2026", "2026-12-31" },
        { "march 2nd, 2027", "2027-03-02" },
        { "Friday, 15 January 2027", "2027-01-15" },
        { "  2027-01-15  (before the plenary)", "2027-01-15" },
        { "31.12.2026", "2026-12-31" },
        { "31/12/2026", "2026-12-31" },
        { "12/31/2026", "2026-12-31" },
        { "2024-02-29", "2024-02-29" },
        { "2027-02-30", NULL },
        { "2027-02-29", NULL },
        { "2027-13-01", NULL },
        { "31 April 2027", NULL },
        { "03/04/2027", NULL },         /* day and month order unknown */
        { "2027-01", NULL },
        { "March 2027", NULL },
        { "none", NULL },
        { "", NULL },
        { "20270115", NULL },
        { "12027-01-15", NULL },
        { "0999-01-01", NULL },
        { "Mayday 12 2027", NULL },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        char out[11] = "";
        gboolean ok = envelope_parse_date(rows[i].in, out);

        if (ok != (rows[i].out != NULL))
            print_error("date \"%s\": ok=%d out=%s\n", rows[i].in, ok, out);
        assert_int_equal(ok, rows[i].out != NULL);
        if (ok)
            assert_str(out, rows[i].out);
    }
    {
        char out[11];

        assert_false(envelope_parse_date(NULL, out));
    }
}

/* A day number is only a day when nothing glues it to a word or number
 * before it: the 15 of "SG15" or "Q4/15" and the 1 of "802.1" are no
 * days.  Of a range of days the first is taken: a reply prepared for the
 * start of a meeting is never late. */
static void
test_date_guards(void **state)
{
    static const struct {
        const char *in;
        const char *out;        /* NULL: must be refused */
    } rows[] = {
        { "ITU-T SG15, March 2027", NULL },
        { "Q4/15 March 2027 meeting", NULL },
        { "IEEE 802.1 March 2027", NULL },
        { "SA2#15 March 2027", NULL },
        { "TD15.03.2027", NULL },
        { "ITU-T SG15, 20 March 2027", "2027-03-20" },
        { "SG15 15 March 2027", "2027-03-15" },
        { "(15 March 2027)", "2027-03-15" },
        { "16-27 March 2027", "2027-03-16" },
        { "16 - 27 March 2027", "2027-03-16" },
        { "8 - 12 February 2027", "2027-02-08" },
        { "SA2#173 8 - 12 February 2027", "2027-02-08" },
        { "16\xE2\x80\x93" "27 March 2027", "2027-03-16" },
        { "8 \xE2\x80\x93 12 February 2027", "2027-02-08" },
        { "1st-3rd March 2027", "2027-03-01" },
        { "March 16-27, 2027", "2027-03-16" },
        { "30-31 February 2027", NULL },        /* not the 31st either */
        { "28 February - 3 March 2027", "2027-02-28" },
        { "28 February\xE2\x80\x93" "3 March 2027", "2027-02-28" },
        { "30 June 2027 - 2 July 2027", "2027-06-30" },
        { "February 28 - March 3, 2027", "2027-02-28" },
        { "28 December - 3 January 2027", "2026-12-28" },
        { "December 28 - January 3, 2027", "2026-12-28" },
        /* A range that ends before it starts is a slip: the date after. */
        { "15 April - 20 March 2027", "2027-03-20" },
        { "Q4/16-27 March 2027", NULL },
    };
    static const struct {
        const char *text;
        const char *deadline;
    } scans[] = {
        { "Deadline: before the ITU-T SG15, March 2027 meeting\n", NULL },
        { "ACTION: Q4/15 asks IETF CCAMP to reply before the\n"
          "Q4/15 March 2027 meeting.\n", NULL },
        { "Deadline: IEEE 802.1 March 2027 plenary\n", NULL },
        { "Deadline: 16-27 March 2027 (SG15 meeting)\n", "2027-03-16" },
        { "Deadline: 28 February - 3 March 2027 (SA2#178)\n", "2027-02-28" },
    };

    (void) state;
    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        char out[11] = "";
        gboolean ok = envelope_parse_date(rows[i].in, out);

        if (ok != (rows[i].out != NULL) || (ok && strcmp(out, rows[i].out)))
            print_error("date \"%s\": ok=%d out=%s\n", rows[i].in, ok, out);
        assert_int_equal(ok, rows[i].out != NULL);
        if (ok)
            assert_str(out, rows[i].out);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(scans); i++) {
        struct envelope *env = scan(scans[i].text, -1);

        assert_str(env->deadline, scans[i].deadline);
        envelope_free(env);
    }
}

/* Contact lists in the shapes senders write them. */
static void
test_contacts(void **state)
{
    static const struct {
        const char *in;
        guint n;
        const char *c[3][2];
    } rows[] = {
        { "A One <a@x.test>, B Two <b@y.test>", 2,
          { { "A One", "a@x.test" }, { "B Two", "b@y.test" } } },
        { "A One <a@x.test>; B Two <b@y.test>; c@z.test", 3,
          { { "A One", "a@x.test" }, { "B Two", "b@y.test" },
            { NULL, "c@z.test" } } },
        { "\"Jonsson, Greta\" <Greta.Jonsson@ITU.test>", 1,
          { { "Jonsson, Greta", "greta.jonsson@itu.test" } } },
        { "mailto:liaisons@bbf.test", 1, { { NULL, "liaisons@bbf.test" } } },
        { "3GPP Liaisons Coordinator, mailto:3gppliaison@3gpp.test", 1,
          { { "3GPP Liaisons Coordinator", "3gppliaison@3gpp.test" } } },
        { "Hiroshi Tanabe, NTT, Japan, E-mail: h.tanabe@itu.test", 1,
          { { "Hiroshi Tanabe", "h.tanabe@itu.test" } } },
        { "Zo\xc3\xab M\xc3\xbcller <zmuller@bbf.test>", 1,
          { { "Zo\xc3\xab M\xc3\xbcller", "zmuller@bbf.test" } } },
        { "J\xc3\xa1nos Farkas <jfarkas@ieee.test>", 1,
          { { "J\xc3\xa1nos Farkas", "jfarkas@ieee.test" } } },
        { "gparsons@ieee.test (Glen Parsons)", 1,
          { { "Glen Parsons", "gparsons@ieee.test" } } },
        { "Glen Parsons gparsons@ieee.test", 1,
          { { "Glen Parsons", "gparsons@ieee.test" } } },
        { "<ana.lima@etsi.test>", 1, { { NULL, "ana.lima@etsi.test" } } },
        { "TSG CT WG4", 1, { { "TSG CT WG4", NULL } } },
        { "TSG CT WG4, TSG RAN WG3", 2,
          { { "TSG CT WG4", NULL }, { "TSG RAN WG3", NULL } } },
        { "TSG CT WG4, List <list@x.test>", 2,
          { { "TSG CT WG4", NULL }, { "List", "list@x.test" } } },
        { "A <a@x.test>, A again <A@X.test>", 1, { { "A", "a@x.test" } } },
        /* The ideographic and fullwidth commas of Japanese and Chinese
         * text separate names as "," does. */
        { "\xe5\xb1\xb1\xe7\x94\xb0 <yamada@ntt.test>\xe3\x80\x81"
          "\xe9\x88\xb4\xe6\x9c\xa8 <suzuki@ntt.test>", 2,
          { { "\xe5\xb1\xb1\xe7\x94\xb0", "yamada@ntt.test" },
            { "\xe9\x88\xb4\xe6\x9c\xa8", "suzuki@ntt.test" } } },
        { "\xe5\xb1\xb1\xe7\x94\xb0\xe3\x80\x81\xe9\x88\xb4\xe6\x9c\xa8"
          "\xef\xbc\x8c\xe7\x8e\x8b\xef\xbc\x9b", 3,
          { { "\xe5\xb1\xb1\xe7\x94\xb0", NULL },
            { "\xe9\x88\xb4\xe6\x9c\xa8", NULL },
            { "\xe7\x8e\x8b", NULL } } },
        /* An affiliation in fullwidth parentheses holds its commas. */
        { "\xe5\xb1\xb1\xe7\x94\xb0 <yamada@ntt.test>\xef\xbc\x88NTT\xe3\x80\x81"
          "R&D\xef\xbc\x89\xe3\x80\x81\xe9\x88\xb4\xe6\x9c\xa8 <suzuki@ntt.test>", 2,
          { { "\xe5\xb1\xb1\xe7\x94\xb0", "yamada@ntt.test" },
            { "\xe9\x88\xb4\xe6\x9c\xa8", "suzuki@ntt.test" } } },
        { "  ,; ,", 0, { { NULL, NULL } } },
        { "", 0, { { NULL, NULL } } },
        /* A name with a stray "@" is not a name; nothing is kept. */
        { "Not an address @ all", 0, { { NULL, NULL } } },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        GPtrArray *out = g_ptr_array_new_with_free_func(contact_free);

        envelope_parse_contacts(rows[i].in, out);
        if (out->len != rows[i].n)
            print_error("contacts \"%s\"\n", rows[i].in);
        assert_contacts(out, rows[i].n, rows[i].c);
        g_ptr_array_unref(out);
    }
    envelope_parse_contacts(NULL, NULL);
}

/* One row of a contact list table: the list as written and the contacts
 * (name, address) it must give, in order. */
struct contact_row {
    const char *in;
    guint n;
    const char *c[4][2];
};

/* Whether a contact list is the row's; prints both when it is not. */
static gboolean
contact_row_ok(const struct contact_row *row, GPtrArray *out)
{
    gboolean ok = out->len == row->n;

    for (guint i = 0; ok && i < row->n; i++) {
        struct contact *c = g_ptr_array_index(out, i);

        ok = g_strcmp0(c->name, row->c[i][0]) == 0 &&
             g_strcmp0(c->addr, row->c[i][1]) == 0;
    }
    if (ok)
        return TRUE;
    print_error("contacts \"%s\": got", row->in);
    for (guint i = 0; i < out->len; i++) {
        struct contact *c = g_ptr_array_index(out, i);

        print_error(" [%s|%s]", c->name ? c->name : "-", c->addr ? c->addr : "-");
    }
    print_error(", want");
    for (guint i = 0; i < row->n; i++)
        print_error(" [%s|%s]", row->c[i][0] ? row->c[i][0] : "-",
                    row->c[i][1] ? row->c[i][1] : "-");
    print_error("\n");
    return FALSE;
}

/* Parse every row of a contact table and check what it gives; every
 * wrong row is reported before the test fails. */
static void
assert_contact_rows(const struct contact_row *rows, size_t count)
{
    guint wrong = 0;

    for (size_t i = 0; i < count; i++) {
        GPtrArray *out = g_ptr_array_new_with_free_func(contact_free);

        envelope_parse_contacts(rows[i].in, out);
        if (!contact_row_ok(&rows[i], out))
            wrong++;
        g_ptr_array_unref(out);
    }
    assert_int_equal(wrong, 0);
}

/* Several people in one item: every address is a contact, named by the
 * text before it ("A (a@x) and B (b@y)" lost B, who was never copied). */
static void
test_contacts_several_per_item(void **state)
{
    static const struct contact_row rows[] = {
        { "greta@ieee.test / malcolm@ieee.test", 2,
          { { NULL, "greta@ieee.test" }, { NULL, "malcolm@ieee.test" } } },
        { "Glenn Parsons (glenn@ieee.test) and Jessy Rouyer (jessy@ieee.test)", 2,
          { { "Glenn Parsons", "glenn@ieee.test" },
            { "Jessy Rouyer", "jessy@ieee.test" } } },
        { "Glenn Parsons <glenn@ieee.test> & Jessy Rouyer <jessy@ieee.test>", 2,
          { { "Glenn Parsons", "glenn@ieee.test" },
            { "Jessy Rouyer", "jessy@ieee.test" } } },
        { "glenn@ieee.test (Glenn Parsons) AND jessy@ieee.test (Jessy Rouyer)", 2,
          { { "Glenn Parsons", "glenn@ieee.test" },
            { "Jessy Rouyer", "jessy@ieee.test" } } },
        /* No separator at all, and glued ones. */
        { "A One <a@x.test> B Two <b@y.test>", 2,
          { { "A One", "a@x.test" }, { "B Two", "b@y.test" } } },
        { "a@x.test&b@y.test/c@z.test", 3,
          { { NULL, "a@x.test" }, { NULL, "b@y.test" }, { NULL, "c@z.test" } } },
        /* A name holding "&" or "/" inside parentheses is one name. */
        { "Greta Jonsson <greta@itu.test> (Q4/15 & Q13/15) and "
          "Malcolm Betts <m.betts@itu.test>", 2,
          { { "Greta Jonsson", "greta@itu.test" },
            { "Malcolm Betts", "m.betts@itu.test" } } },
        { "Dana Okafor <dokafor@bbf.test>, Glenn Parsons (glenn@ieee.test) and "
          "Jessy Rouyer (jessy@ieee.test)", 3,
          { { "Dana Okafor", "dokafor@bbf.test" },
            { "Glenn Parsons", "glenn@ieee.test" },
            { "Jessy Rouyer", "jessy@ieee.test" } } },
    };
    static const char *const tech[][2] = {
        { "Glenn Parsons", "glenn@ieee.test" },
        { "Jessy Rouyer", "jessy@ieee.test" } };
    struct envelope *env;

    assert_contact_rows(rows, G_N_ELEMENTS(rows));
    /* The same through a form, as the router gets it. */
    env = scan("Technical Contact: Glenn Parsons (glenn@ieee.test) and "
               "Jessy Rouyer (jessy@ieee.test)\n", 1);
    assert_contacts(env->technical_contacts, 2, tech);
    envelope_free(env);
}

/* An unquoted "Last, First <addr>" is one person, not two. */
static void
test_contacts_last_first(void **state)
{
    static const struct contact_row rows[] = {
        { "Jonsson, Greta <greta@etsi.test>", 1,
          { { "Jonsson, Greta", "greta@etsi.test" } } },
        { "Jonsson, Greta <greta@etsi.test>; Betts, Malcolm <m.betts@etsi.test>", 2,
          { { "Jonsson, Greta", "greta@etsi.test" },
            { "Betts, Malcolm", "m.betts@etsi.test" } } },
        { "Dana Okafor, M\xc3\xbcller, Zo\xc3\xab <zmuller@bbf.test>", 2,
          { { "Dana Okafor", NULL },
            { "M\xc3\xbcller, Zo\xc3\xab", "zmuller@bbf.test" } } },
    };

    assert_contact_rows(rows, G_N_ELEMENTS(rows));
}

/* A role or title next to a person is not a contact of its own; a role
 * that is all the list holds is kept, as is a bare name. */
static void
test_contacts_roles(void **state)
{
    static const struct contact_row rows[] = {
        { "Greta Jonsson <greta@itu.test>, Chair SG15", 1,
          { { "Greta Jonsson", "greta@itu.test" } } },
        { "Chair SG15, Greta Jonsson <greta@itu.test>", 1,
          { { "Greta Jonsson", "greta@itu.test" } } },
        { "Greta Jonsson <greta@itu.test>, Rapporteur Q4/15; "
          "Malcolm Betts <m.betts@itu.test>, Vice-Chair, ITU-T SG15", 2,
          { { "Greta Jonsson", "greta@itu.test" },
            { "Malcolm Betts", "m.betts@itu.test" } } },
        { "Greta Jonsson <greta@itu.test>, Q4/15 Associate Rapporteur, Editor", 1,
          { { "Greta Jonsson", "greta@itu.test" } } },
        { "Greta Jonsson, Chair SG15", 1, { { "Greta Jonsson", NULL } } },
        /* ITU "Name, Org, E-mail:": the person, not the title, names it. */
        { "Chair SG15, Greta Jonsson, E-mail: greta@itu.test", 1,
          { { "Greta Jonsson", "greta@itu.test" } } },
    };
    static const struct contact_row kept[] = {
        { "Rapporteur Q4/15", 1, { { "Rapporteur Q4/15", NULL } } },
        { "Greta Jonsson", 1, { { "Greta Jonsson", NULL } } },
        { "TSG CT WG4, Greta Jonsson <greta@itu.test>", 2,
          { { "TSG CT WG4", NULL }, { "Greta Jonsson", "greta@itu.test" } } },
    };
    static const char *const cc[][2] = {
        { "Greta Jonsson", "greta@itu.test" }, { "IAB Chair", NULL } };
    struct envelope *env;

    assert_contact_rows(rows, G_N_ELEMENTS(rows));
    assert_contact_rows(kept, G_N_ELEMENTS(kept));
    /* A Cc names addressees, and an office is one. */
    env = scan("Cc: Greta Jonsson <greta@itu.test>, IAB Chair\n", 1);
    assert_contacts(env->cc, 2, cc);
    envelope_free(env);
}

/* Internationalised addresses (RFC 6531): kept as written, but for the
 * ASCII letters, which are lower-cased as ever. */
static void
test_contacts_eai(void **state)
{
    static const struct contact_row rows[] = {
        { "Zo\xc3\xab M\xc3\xbcller <zo\xc3\xab@bbf.test>", 1,
          { { "Zo\xc3\xab M\xc3\xbcller", "zo\xc3\xab@bbf.test" } } },
        { "Zo\xc3\xab M\xc3\xbcller <Zo\xc3\xab@B\xc3\xbc" "cher.TEST>", 1,
          { { "Zo\xc3\xab M\xc3\xbcller", "zo\xc3\xab@b\xc3\xbc" "cher.test" } } },
        /* Cyrillic, then Han characters (three bytes each). */
        { "\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd@\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc"
          "\xd0\xb5\xd1\x80.test, \xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b.test", 2,
          { { NULL, "\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd@\xd0\xbf\xd1\x80\xd0\xb8"
                    "\xd0\xbc\xd0\xb5\xd1\x80.test" },
            { NULL, "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b.test" } } },
        /* The same address in two cases is one contact. */
        { "ZO\xc3\x8b@bbf.test, zo\xc3\xab@BBF.test", 1,
          { { NULL, "zo\xc3\xab@bbf.test" } } },
        /* Punctuation and spaces outside ASCII end an address. */
        { "\xe2\x80\x9cgreta@itu.test\xe2\x80\x9d, E-mail:\xc2\xa0z\xc3\xab@bbf.test\xc2\xa0",
          2, { { NULL, "greta@itu.test" }, { NULL, "z\xc3\xab@bbf.test" } } },
    };
    static const char *const tech[][2] = {
        { "Zo\xc3\xab M\xc3\xbcller", "zo\xc3\xab@bbf.test" } };
    struct envelope *env;

    assert_contact_rows(rows, G_N_ELEMENTS(rows));
    env = scan("Technical Contact: Zo\xc3\xab M\xc3\xbcller <zo\xc3\xab@bbf.test>\n", 1);
    assert_contacts(env->technical_contacts, 1, tech);
    envelope_free(env);
}

/* Purposes as written, and their names. */
static void
test_purposes(void **state)
{
    static const struct {
        const char *in;
        enum purpose p;
    } rows[] = {
        { "For Action", PURPOSE_ACTION },
        { "For action", PURPOSE_ACTION },
        { "FOR ACTION", PURPOSE_ACTION },
        { "action", PURPOSE_ACTION },
        { "For Comment", PURPOSE_COMMENT },
        { "For comments", PURPOSE_COMMENT },
        { "comment", PURPOSE_COMMENT },
        { "For Information", PURPOSE_INFORMATION },
        { "for info", PURPOSE_INFORMATION },
        { "Informational", PURPOSE_INFORMATION },
        { "In Response", PURPOSE_RESPONSE },
        { "Response", PURPOSE_RESPONSE },
        { "In reply", PURPOSE_RESPONSE },
        { "For Action, and for information", PURPOSE_ACTION },
        { "", PURPOSE_NONE },
        { "Please see below", PURPOSE_NONE },
        { "Actionable", PURPOSE_NONE },
        { NULL, PURPOSE_NONE },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        if (purpose_parse(rows[i].in) != rows[i].p)
            print_error("purpose \"%s\"\n", rows[i].in ? rows[i].in : "NULL");
        assert_int_equal(purpose_parse(rows[i].in), rows[i].p);
    }
    assert_null(purpose_name(PURPOSE_NONE));
    assert_str(purpose_name(PURPOSE_INFORMATION), "information");
    assert_str(purpose_name(PURPOSE_COMMENT), "comment");
    assert_str(purpose_name(PURPOSE_ACTION), "action");
    assert_str(purpose_name(PURPOSE_RESPONSE), "response");
    for (int p = PURPOSE_INFORMATION; p <= PURPOSE_RESPONSE; p++)
        assert_int_equal(purpose_parse(purpose_name(p)), p);
}

/* Negations and several purposes in one value: a negated purpose word is
 * not the purpose, and of those left the one asking most of us wins, so a
 * statement for action is tickled and one for information is not. */
static void
test_purpose_negation(void **state)
{
    static const struct {
        const char *in;
        enum purpose p;
    } rows[] = {
        { "No action required, for information only", PURPOSE_INFORMATION },
        { "Not for action; for information", PURPOSE_INFORMATION },
        { "For information, no action required", PURPOSE_INFORMATION },
        { "Without action; for comment", PURPOSE_COMMENT },
        { "No action or comment required; for information",
          PURPOSE_INFORMATION },
        { "Not for action or for comment", PURPOSE_NONE },
        { "No action required", PURPOSE_NONE },
        { "For information and action", PURPOSE_ACTION },
        { "For information, action not required", PURPOSE_INFORMATION },
        { "For information only. Response not required.", PURPOSE_INFORMATION },
        { "For information; a response is not expected", PURPOSE_INFORMATION },
        { "For information and comment", PURPOSE_COMMENT },
        { "For comment and action", PURPOSE_ACTION },
        { "Information; comments welcome", PURPOSE_COMMENT },
        { "Response requested", PURPOSE_ACTION },
        { "Reply required by 2027-01-15", PURPOSE_ACTION },
        { "Response expected", PURPOSE_ACTION },
        { "No response required", PURPOSE_NONE },
        { "No reply expected, for information", PURPOSE_INFORMATION },
        { "In Response to LS-123", PURPOSE_RESPONSE },
        { "Response to SG15 LS", PURPOSE_RESPONSE },
        { "In response, for information", PURPOSE_RESPONSE },
        { "In response; for action", PURPOSE_ACTION },
        /* A negation reaches a couple of words, not the whole value. */
        { "No change from the last LS: for action", PURPOSE_ACTION },
        { "For action by no later than 2027-01-15", PURPOSE_ACTION },
        { "Nothing for action", PURPOSE_ACTION },
        { "No 3GPP action required; for info", PURPOSE_INFORMATION },
        { "No action/comment expected - for information",
          PURPOSE_INFORMATION },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        if (purpose_parse(rows[i].in) != rows[i].p)
            print_error("purpose \"%s\"\n", rows[i].in);
        assert_int_equal(purpose_parse(rows[i].in), rows[i].p);
    }
}

/* ---- edge cases --------------------------------------------------------- */

/* Label shapes, quoted and forwarded text, and look-alike lines, one text
 * a row; the comment above each group says why its rows exist. */
static const struct scan_row edge_rows[] = {
    /* Labels without values count but fill nothing. */
    {
        .name = "labels without values",
        .text = "From:\nTo:\nTitle:   \nResponse Contact:\nTechnical Contact:\n"
                "Purpose:\nDeadline:\nCc:\nBody:\nAttachments:\n"
                "Deadline: soon\nPurpose: to be decided\nTo: -\n",
        .labels = 13,
        .empty = TRUE,
    },

    /* Gmail and Thunderbird write bold text as *text* in the plain
     * rendering they send beside the HTML, which is the rendering read: a
     * letter with bold labels reads "*Title:* LS on ...", the bold run
     * often taking the blank after the colon ("*Title: *LS") or the whole
     * line.  The markers are not the label's, and a value's own are kept. */
    {
        .name = "emphasised labels",
        .text = "*Title:* LS on YANG models for OTN\n"
                "*From*: ITU-T Study Group 15\n"
                "*To: *IETF CCAMP WG\n"
                "*Purpose: For action*\n"
                "_Deadline:_ 15 January 2027\n"
                "**Response Contact:** Greta Jonsson <greta.jonsson@itu.test>\n",
        .labels = 6,
        .title = "LS on YANG models for OTN",
        .from_body = "ITU-T Study Group 15",
        .to_body = "IETF CCAMP WG",
        .purpose = "action",
        .deadline = "2027-01-15",
        .resp = { { "Greta Jonsson", "greta.jonsson@itu.test" } },
    },
    {
        /* Without a marker before the label, the value's own stay. */
        .name = "emphasis inside a value",
        .text = "Title: *Urgent* review of G.8275_\n",
        .labels = 1,
        .title = "*Urgent* review of G.8275_",
    },

    /* Labels as other keyboards type them: French typography puts a
     * no-break space (Word's U+00A0, or the narrow U+202F) before the
     * colon, and a Chinese or Japanese input method types the fullwidth
     * colon U+FF1A. */
    {
        .name = "label punctuation",
        .text = "Title\xC2\xA0: LS on G.8275 profiles\n"
                "From\xE2\x80\xAF: ITU-T Study Group 15\n"
                "To\xEF\xBC\x9A" "IETF TICTOC WG\n"
                "Purpose \xEF\xBC\x9A For action\n"
                "Deadline\xC2\xA0:\xC2\xA0" "15 January 2027\n",
        .labels = 5,
        .title = "LS on G.8275 profiles",
        .from_body = "ITU-T Study Group 15",
        .to_body = "IETF TICTOC WG",
        .purpose = "action",
        .deadline = "2027-01-15",
    },

    /* Quoted reply text and inline forwarded headers are not the
     * envelope. */
    {
        .name = "quoted reply",
        .text = "Thanks, we will reply.\n\n"
                "On Mon, 1 Dec 2026, Greta Jonsson wrote:\n"
                "> From: ITU-T Study Group 15\n"
                ">To: IETF CCAMP WG\n"
                "  > Title: LS on something\n"
                "> Deadline: 2027-01-15\n",
        .labels = 0,
        .empty = TRUE,
    },
    {
        /* A quoted line also ends a folded value. */
        .name = "quoted line ends a folded value",
        .text = "To: IETF A WG,\n> IETF B WG\n",
        .labels = 1,
        .to_body = "IETF A WG",
    },
    {
        .name = "original message header",
        .text = "-----Original Message-----\n"
                "From: Someone <someone@x.test>\n"
                "Sent: Monday, 1 December 2026\n"
                "To: liaisons@ietf.test\n"
                "\n"
                "Title: The real title\n",
        .labels = 1,
        .from_body = NOTHING,
        .to_body = NOTHING,
        .title = "The real title",
    },

    /* A value on the line after its label may hold a colon: that line is
     * the value unless it starts with a label of its own. */
    {
        .name = "next-line title with a colon",
        .text = "Title:\nLS on MEC: edge APIs and the IETF\n"
                "From: ETSI ISG MEC\n",
        .labels = 2,
        .title = "LS on MEC: edge APIs and the IETF",
        .from_body = "ETSI ISG MEC",
    },
    {
        .name = "next-line title indented Re:",
        .text = "Title:\n  Re: LS on MEC (reply)\n",
        .labels = 1,
        .title = "Re: LS on MEC (reply)",
    },
    {
        /* A known label or contact sub-label still starts its own line. */
        .name = "next line is a known label",
        .text = "Title:\nFrom: ITU-T SG15\n",
        .labels = 2,
        .title = NOTHING,
        .from_body = "ITU-T SG15",
    },
    {
        .name = "next line is a contact sub-label",
        .text = "Title:\nE-mail: a@x.test\n",
        .labels = 1,
        .title = NOTHING,
    },
    {
        /* A value already begun is not continued by a "words:" line. */
        .name = "begun value not continued by words:",
        .text = "Title: LS on MEC\nNote: edge APIs\n",
        .labels = 1,
        .title = "LS on MEC",
    },
    {
        /* Only a title takes a "words:" line as its value: a field left
         * empty in a template is not filled with the next label's line. */
        .name = "empty Response to before a words: line",
        .text = "Response to:\nRelease: Rel-19\nTitle: LS on things\n",
        .labels = ANY_LABELS,
        .related = { NOTHING },
        .title = "LS on things",
    },
    {
        .name = "empty For information to before a words: line",
        .text = "For information to:\nApproval: Agreed at SG15\nTo: IETF CCAMP WG\n",
        .labels = ANY_LABELS,
        .info_to = { NOTHING },
        .to_body = "IETF CCAMP WG",
    },

    /* Outlook's inline forward header, after a rule of underscores or (as
     * rendered from HTML) without one, is not the envelope. */
    {
        .name = "outlook forward under a rule",
        .text = "FYI, see below.\n\n"
                "________________________________\n"
                "From: Forwarder <fwd@ietf.test>\n"
                "Sent: Monday, December 1, 2026 10:00 AM\n"
                "To: liaisons@ietf.test\n"
                "Cc: someone@ietf.test\n"
                "Subject: FW: LS on OTN\n"
                "\n"
                "Title: LS on OTN\n"
                "From: ITU-T SG15\n"
                "To: IETF CCAMP WG\n",
        .labels = 3,
        .from_body = "ITU-T SG15",
        .to_body = "IETF CCAMP WG",
        .to_list = { "IETF CCAMP WG" },
        .cc = { { NOTHING } },
        .title = "LS on OTN",
    },
    {
        /* New Outlook writes Date for Sent; the rule marks it all the
         * same. */
        .name = "new outlook forward with Date",
        .text = "   ______________________________________\n"
                "From: Forwarder <fwd@ietf.test>\n"
                "Date: Monday, December 1, 2026 10:00\n"
                "To: liaisons@ietf.test\n"
                "Subject: FW: LS on OTN\n"
                "\n"
                "From: ITU-T SG15\n",
        .labels = 1,
        .from_body = "ITU-T SG15",
        .to_body = NOTHING,
    },
    {
        /* Rendered from HTML the rule is a border: Sent and Subject tell. */
        .name = "outlook forward rendered from HTML",
        .text = "Please register this one.\n"
                "From: Forwarder <fwd@ietf.test>\n"
                "Sent: Monday, December 1, 2026 10:00 AM\n"
                "To: liaisons@ietf.test\n"
                "Subject: FW: LS on OTN\n"
                "\n"
                "From: ITU-T SG15\nTo: IETF CCAMP WG\n",
        .labels = 2,
        .from_body = "ITU-T SG15",
        .to_body = "IETF CCAMP WG",
    },
    {
        /* Outlook for Mac without the rule: From, Date and Subject tell. */
        .name = "outlook for mac forward",
        .text = "Please register this one.\n"
                "From: Forwarder <fwd@ietf.test>\n"
                "Date: Monday, December 1, 2026 at 10:00\n"
                "To: liaisons@ietf.test\n"
                "Subject: FW: LS on OTN\n"
                "\n"
                "From: ITU-T SG15\nTo: IETF CCAMP WG\n",
        .labels = 2,
        .from_body = "ITU-T SG15",
        .to_body = "IETF CCAMP WG",
    },
    {
        /* A form under a rule, or with From and To only, is the envelope. */
        .name = "form under a rule",
        .text = "________________________________\n"
                "From: ITU-T SG15\nTo: IETF CCAMP WG\nTitle: LS on OTN\n",
        .labels = 3,
        .from_body = "ITU-T SG15",
        .to_body = "IETF CCAMP WG",
        .title = "LS on OTN",
    },
    {
        /* Its Subject line, without Sent or Date, is the letter's title. */
        .name = "form under a rule with Subject",
        .text = "__________\n\nFrom: ITU-T SG15\nSubject: LS on OTN\n"
                "To: IETF CCAMP WG\n",
        .labels = 3,
        .from_body = "ITU-T SG15",
        .to_body = "IETF CCAMP WG",
        .title = "LS on OTN",
    },
    {
        .name = "form with Subject, no rule",
        .text = "From: ITU-T SG15\nTo: IETF CCAMP WG\nSubject: LS on OTN\n",
        .labels = 3,
        .from_body = "ITU-T SG15",
        .title = "LS on OTN",
    },

    /* Lines that look like labels but are not fields. */
    {
        .name = "lookalike lines",
        .text = "Question(s): 12/15          Meeting, date: Geneva, 9-20 November 2026\n"
                "Study Group: 15             Working Party: 3\n"
                "URL: https://example.test/To: x\n"
                "https://example.test/From: x\n"
                "Note: Deadline: 2027-01-01 is not ours\n"
                "2. Actions:\n"
                "Dear Sir, From the meeting: nothing\n",
        .labels = 0,
        .empty = TRUE,
    },
};

/* Scan every edge row, naming the row on failure. */
static void
test_edges(void **state)
{
    (void) state;
    run_scan_rows(edge_rows, G_N_ELEMENTS(edge_rows));
}

/* Empty text, NULL arguments, and an envelope freed empty. */
static void
test_empty(void **state)
{
    struct envelope *env = scan("", 0);

    assert_empty(env);
    assert_int_equal(envelope_scan(env, NULL), 0);
    assert_int_equal(envelope_scan(NULL, "From: x\n"), 0);
    envelope_free(env);
    envelope_free(NULL);
    contact_free(NULL);
}

/* A letter may head itself as a memo does, with From, Date, Subject and
 * To lines: without a forward's marker line, a From naming a mailbox
 * or a Sent line, that block is the letter's envelope, not a forward. */
static void
test_letter_header_block(void **state)
{
    /* Forward marker lines of Outlook, Apple Mail, Gmail, Thunderbird. */
    static const char *const markers[] = {
        "-----Original Message-----\n",
        "Begin forwarded message:\n",
        "---------- Forwarded message ---------\n",
        "-------- Forwarded Message --------\n",
    };
    /* A mailbox as mailers write it in a forwarded header's From. */
    static const char *const froms[] = {
        "From: Ann Bee <ann@bbf.test>\n",
        "From: ann@bbf.test\n",
        "From: \"Bee, Ann\" <mailto:ann@bbf.test>\n",
        "From: Ann Bee [mailto:ann@bbf.test]\n",
    };
    struct envelope *env;

    (void) state;
    env = scan("From: ITU-T Study Group 15\n"
               "Date: 2026-10-01\n"
               "Subject: LS on OTN YANG models\n"
               "To: IETF CCAMP\n"
               "Title: LS on OTN YANG models (reply)\n"
               "Purpose: For action\n"
               "Deadline: 2027-01-15\n", -1);
    assert_str(env->from_body, "ITU-T Study Group 15");
    assert_str(env->to_body, "IETF CCAMP");
    assert_str(env->title, "LS on OTN YANG models (reply)");
    assert_int_equal(env->purpose, PURPOSE_ACTION);
    assert_str(env->deadline, "2027-01-15");
    envelope_free(env);

    /* After a greeting, with an empty line before the form's labels,
     * and under a rule of underscores: the letter's own head all the
     * same. */
    env = scan("Dear colleagues,\n\n"
               "From: ITU-T Study Group 15\n"
               "Date: 1 October 2026\n"
               "Subject: LS on OTN YANG models\n"
               "To: IETF CCAMP\n"
               "\n"
               "Deadline: 2027-01-15\n", -1);
    assert_str(env->from_body, "ITU-T Study Group 15");
    assert_str(env->to_body, "IETF CCAMP");
    assert_str(env->title, "LS on OTN YANG models");
    envelope_free(env);
    env = scan("________________________________\n"
               "From: ITU-T Study Group 15\n"
               "Date: 2026-10-01\n"
               "To: IETF CCAMP\n", -1);
    assert_str(env->from_body, "ITU-T Study Group 15");
    assert_str(env->to_body, "IETF CCAMP");
    envelope_free(env);

    /* The same lines under a marker line are a forward, whatever the
     * From names: the letter below them is read. */
    for (size_t i = 0; i < G_N_ELEMENTS(markers); i++) {
        char *text = g_strconcat(markers[i],
                                 "From: Ann Bee\n"
                                 "Date: 2026-10-01\n"
                                 "Subject: LS on OTN\n"
                                 "To: liaisons@ietf.test\n"
                                 "\n"
                                 "From: ITU-T Study Group 15\n"
                                 "To: IETF CCAMP\n", NULL);

        env = scan(text, -1);
        assert_str(env->from_body, "ITU-T Study Group 15");
        assert_str(env->to_body, "IETF CCAMP");
        envelope_free(env);
        g_free(text);
    }

    /* Outlook's From and Sent pair, with or without a Subject line. */
    env = scan("From: Ann Bee\n"
               "Sent: Monday, December 1, 2026 10:00 AM\n"
               "To: liaisons@ietf.test\n"
               "\n"
               "From: ITU-T Study Group 15\nTo: IETF CCAMP\n", -1);
    assert_str(env->from_body, "ITU-T Study Group 15");
    assert_str(env->to_body, "IETF CCAMP");
    envelope_free(env);

    /* A mail header's From names a mailbox: Date and Subject then tell
     * a forward without a marker (Outlook for Mac, the new Outlook). */
    for (size_t i = 0; i < G_N_ELEMENTS(froms); i++) {
        char *text = g_strconcat("Please register this one.\n", froms[i],
                                 "Date: Monday, 1 December 2026 at 10:00\n"
                                 "To: liaisons@ietf.test\n"
                                 "Subject: LS on OTN\n"
                                 "\n"
                                 "From: ITU-T Study Group 15\n"
                                 "To: IETF CCAMP\n", NULL);

        env = scan(text, -1);
        assert_str(env->from_body, "ITU-T Study Group 15");
        assert_str(env->to_body, "IETF CCAMP");
        envelope_free(env);
        g_free(text);
    }
}

/* Outlook writes an Exchange sender's From as a display name alone
 * ("From: Ann Bee"), and Outlook for Mac and the new Outlook a Date line
 * for Sent: such a block, with or without the rule of underscores, is a
 * forward all the same, told by the time of day in its Date, which a
 * mail header always gives and a letter's date never does. */
static void
test_forward_display_name(void **state)
{
    static const char *const heads[] = {
        "Please register this one.\n",
        "Please register this one.\n\n________________________________\n",
    };
    static const char *const dates[] = {
        "Date: Monday, 1 December 2026 at 10:00\n",
        "Date: Monday, December 1, 2026 9:05 AM\n",
        "Date: Mon, 1 Dec 2026 10:00:00 +0100\n",
    };
    struct envelope *env;

    (void) state;
    for (size_t h = 0; h < G_N_ELEMENTS(heads); h++) {
        for (size_t d = 0; d < G_N_ELEMENTS(dates); d++) {
            char *text = g_strconcat(heads[h], "From: Ann Bee\n", dates[d],
                                     "To: Liaison Manager\n"
                                     "Subject: FW: LS on OTN\n"
                                     "\n"
                                     "From: ITU-T Study Group 15\n"
                                     "To: IETF CCAMP\n", NULL);

            env = scan(text, -1);
            assert_str(env->from_body, "ITU-T Study Group 15");
            assert_str(env->to_body, "IETF CCAMP");
            envelope_free(env);
            g_free(text);
        }
    }
    /* A letter's own head gives a day, not a time: still the envelope. */
    env = scan("From: ITU-T Study Group 15\n"
               "Date: 1 October 2026\n"
               "Subject: LS on OTN YANG models\n"
               "To: IETF CCAMP\n", -1);
    assert_str(env->from_body, "ITU-T Study Group 15");
    assert_str(env->to_body, "IETF CCAMP");
    envelope_free(env);
}

/* A 1 MB line is not read as labels, and the scan stays linear. */
static void
test_huge_line(void **state)
{
    gsize n = 1024 * 1024;
    char *big = g_malloc(n + 64);
    struct envelope *env;

    memcpy(big, "Title: ", 7);
    memset(big + 7, 'a', n);
    strcpy(big + 7 + n, "\nTo: IETF\n");
    env = scan(big, 1);
    assert_null(env->title);
    assert_str(env->to_body, "IETF");
    envelope_free(env);

    /* Shapes that make naive patterns backtrack: long runs of address
     * characters, digits and label characters, just under the line bound.
     * Each is read in time (main's alarm) and yields nothing wrong.  "aaa…@"
     * has no domain: no address is taken from it, and nothing else is
     * filled in. */
    memset(big, 'a', 4000);
    memcpy(big, "Technical Contact: ", 19);
    strcpy(big + 4000, "@\n");
    env = scan(big, 1);
    for (guint i = 0; i < env->technical_contacts->len; i++)
        assert_null(((struct contact *) g_ptr_array_index(env->technical_contacts, i))->addr);
    g_ptr_array_set_size(env->technical_contacts, 0);
    assert_empty(env);
    envelope_free(env);

    /* 4000 digits are no date, and no identifier or anything else. */
    memcpy(big, "Deadline: ", 10);
    memset(big + 10, '1', 4000);
    strcpy(big + 4010, "\n");
    env = scan(big, 1);
    assert_empty(env);
    envelope_free(env);

    /* A run of label characters never reaching a colon is no label. */
    memset(big, 'a', 4000);
    memset(big + 4000, ' ', 90);
    strcpy(big + 4090, "\n");
    env = scan(big, 0);
    assert_empty(env);
    envelope_free(env);
    g_free(big);

    /* Many short lines: 200,000 folded continuations. */
    {
        GString *s = g_string_new("To: IETF A WG,\n");

        for (int i = 0; i < 200000; i++)
            g_string_append(s, "  draft-a-b, S2-2611873 TR-1 x@y.test,\n");
        env = scan(s->str, 1);
        assert_true(strlen(env->to_body) <= 8192);
        assert_int_equal(env->references->len, 2);
        assert_int_equal(env->other_identifiers->len, 1);
        envelope_free(env);
        g_string_free(s, TRUE);
    }
}

/* Lists stay bounded however many entries the text names. */
static void
test_bounds(void **state)
{
    GString *s = g_string_new("Technical Contacts: P <p@x.test>,\n");
    struct envelope *env;

    for (int i = 0; i < 1000; i++)
        g_string_append_printf(s, "  P%d <p%d@x.test>,\n", i, i);
    g_string_append(s, "To: G,\n");
    for (int i = 0; i < 1000; i++)
        g_string_append_printf(s, "  G%d,\n", i);
    for (int i = 0; i < 1000; i++)
        g_string_append_printf(s, "draft-n%d S2-26%05d\n", i, i);
    env = scan(s->str, 2);
    assert_int_equal(env->technical_contacts->len, 64);
    assert_int_equal(env->to_list->len, 64);
    assert_true(strlen(env->to_body) < 8192);
    assert_int_equal(env->references->len, 64);
    assert_int_equal(env->other_identifiers->len, 64);
    envelope_free(env);
    g_string_free(s, TRUE);
}

/* Scans from several threads at once share the compiled patterns. */
static gpointer
scan_thread(gpointer data)
{
    for (int i = 0; i < 50; i++) {
        struct envelope *env = envelope_new();

        envelope_scan(env, s04_text);
        if (g_strcmp0(env->from_body, "TSG SA WG2") != 0 ||
            env->technical_contacts->len != 1) {
            envelope_free(env);
            return GINT_TO_POINTER(1);
        }
        envelope_free(env);
    }
    return NULL;
}

/* envelope_scan() is safe to call from several threads. */
static void
test_threads(void **state)
{
    GThread *t[4];

    for (int i = 0; i < 4; i++)
        t[i] = g_thread_new("scan", scan_thread, NULL);
    for (int i = 0; i < 4; i++)
        assert_null(g_thread_join(t[i]));
}

/* Compile the patterns once for the whole run. */
static int
setup(void **state)
{
    GError *err = NULL;

    if (!envelope_init(&err)) {
        print_error("envelope_init: %s\n", err->message);
        g_error_free(err);
        return -1;
    }
    /* A second call is harmless. */
    return envelope_init(NULL) ? 0 : -1;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layouts),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_s13_attachment),
        cmocka_unit_test(test_deadline_labels),
        cmocka_unit_test(test_fill_only_unset),
        cmocka_unit_test(test_reply_by_and_action),
        cmocka_unit_test(test_cell_heading_row),
        cmocka_unit_test(test_control_characters),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_date_guards),
        cmocka_unit_test(test_contacts),
        cmocka_unit_test(test_contacts_several_per_item),
        cmocka_unit_test(test_contacts_last_first),
        cmocka_unit_test(test_contacts_roles),
        cmocka_unit_test(test_contacts_eai),
        cmocka_unit_test(test_purposes),
        cmocka_unit_test(test_purpose_negation),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_letter_header_block),
        cmocka_unit_test(test_forward_display_name),
        cmocka_unit_test(test_huge_line),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_threads),
    };

    alarm(60);                  /* a hang (a pattern that backtracks) is a failure */
    return cmocka_run_group_tests_name("envelope", tests, setup, NULL);
}
