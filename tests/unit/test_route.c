/*
 * test_route.c: the directory's name matching and the routing rule, on the
 * corpus directory and on small directories written by the tests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <glib/gstdio.h>

#include "config_file.h"
#include "directory.h"
#include "route.h"
#include "statement.h"

static struct directory *dir;

static void assert_technical(const struct statement *s, const char *const *want, size_t n);

/* Load the corpus directory. */
static int
setup(void **state)
{
    g_autofree char *path = g_build_filename(SRCDIR, "tests", "corpus", "directory.json", NULL);
    GError *err = NULL;

    dir = directory_load(path, &err);
    if (dir == NULL)
        fail_msg("%s", err->message);
    return 0;
}

/* Free it. */
static int
teardown(void **state)
{
    directory_free(dir);
    return 0;
}

/* The keys a phrase routes to, in its order, joined by ","; "" for none.
 * Returns a static buffer. */
static const char *
body_key(const char *phrase)
{
    static char buf[256];
    g_autoptr(GPtrArray) keys = g_ptr_array_new();

    buf[0] = '\0';
    directory_match_bodies(dir, phrase, keys);
    for (guint i = 0; i < keys->len; i++) {
        if (i > 0)
            g_strlcat(buf, ",", sizeof buf);
        g_strlcat(buf, g_ptr_array_index(keys, i), sizeof buf);
    }
    return buf;
}

/* Groups by acronym, full name and 'IETF <ACRONYM> WG'; areas by name. */
static void
test_body_names(void **state)
{
    assert_string_equal(body_key("IETF CCAMP WG"), "ccamp");
    assert_string_equal(body_key("ccamp"), "ccamp");
    assert_string_equal(body_key("Common Control and Measurement Plane"), "ccamp");
    assert_string_equal(body_key("the common control and  measurement plane working group"), "ccamp");
    assert_string_equal(body_key("IETF DetNet WG"), "detnet");
    assert_string_equal(body_key("IETF RTGWG"), "rtgwg");
    assert_string_equal(body_key("IETF Routing Area"), "rtg");
    assert_string_equal(body_key("RTG Area"), "rtg");
    assert_string_equal(body_key("IETF"), "");
    assert_string_equal(body_key("IETF CCAMPX WG"), "");
    assert_string_equal(body_key("draft-ietf-quic-foo"), "");
}

/* A phrase naming several bodies names each, in its own order; names
 * that overlap are one mention, the longest. */
static void
test_body_names_several(void **state)
{
    static const char *const rows[][2] = {
        { "IETF CCAMP and DetNet WGs", "ccamp,detnet" },
        { "IETF DetNet and CCAMP WGs", "detnet,ccamp" },
        /* A mention in parentheses is an aside, unless it is all. */
        { "IETF DetNet WG (cc: IETF CCAMP WG)", "detnet" },
        { "IETF CCAMP WG (for information: IETF DetNet WG)", "ccamp" },
        { "IETF CCAMP WG\xef\xbc\x88IETF DetNet WG\xef\xbc\x89", "ccamp" },
        { "(IETF DetNet WG)", "detnet" },
        { "(IETF CCAMP WG) and IETF DetNet WG", "ccamp,detnet" },
        { "IETF Routing Area (CCAMP WG)", "rtg,ccamp" },
        { "IETF CCAMP WG (Common Control and Measurement Plane)", "ccamp" },
        /* Of overlapping names the longest, wherever it starts. */
        { "The Routing Area Working Group", "rtgwg" },
        { "the Routing Area Working Group (RTGWG)", "rtgwg" },
        { "IETF CCAMP/DetNet WGs", "ccamp,detnet" },
        { "IETF CCAMP & DETNET", "ccamp,detnet" },
        { "IETF Routing Area and CCAMP WG", "rtg,ccamp" },
        { "IETF NETMOD and IPPM WGs", "netmod,ippm" },
        { "IETF Routing Area Working Group", "rtgwg" },
        { "IETF CCAMP WG and the CCAMP list", "ccamp" },
        { "IETF Routing Area WG", "rtgwg" },
        { "IETF CCAMP-WG", "ccamp" },
        { "IETF-CCAMP", "ccamp" },
        { "draft-ietf-ccamp-otn-topo", "" },
        { "IETF CCAMP-WG and IETF-DetNet", "ccamp,detnet" },
    };

    (void) state;
    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        const char *got = body_key(rows[i][0]);

        if (strcmp(got, rows[i][1]) != 0)
            fail_msg("\"%s\": got \"%s\", want \"%s\"", rows[i][0], got, rows[i][1]);
    }
}

/* Intake addresses, with plus tags and angle brackets, in any case. */
static void
test_intake(void **state)
{
    assert_true(directory_is_intake(dir, "liaisons@ietf.test"));
    assert_true(directory_is_intake(dir, "<Liaisons@IETF.test>"));
    assert_true(directory_is_intake(dir, "liaisons+sg15@ietf.test"));
    assert_false(directory_is_intake(dir, "liaisons@other.test"));
    assert_false(directory_is_intake(dir, "liaison@ietf.test"));
    assert_false(directory_is_intake(dir, "ccamp@ietf.test"));
    assert_false(directory_is_intake(dir, NULL));
}

/* An RCPT path as a client may type it, which Postfix hands the milter
 * unchanged and rewrites to liaisons@ only after the milter has answered,
 * or as the MTA resolved it ({rcpt_addr}): intake, so that the statement
 * is recorded; a lookalike, or mail that goes elsewhere, is not. */
static void
test_intake_rcpt_path(void **state)
{
    const unsigned ALL = CONFIG_INTAKE_PERCENT | CONFIG_INTAKE_LOCAL;
    struct config *cfg = g_new0(struct config, 1);
    static const char *const intake[] = {
        "<liaisons@ietf.test>", "<LIAISONS@IETF.TEST>", "<liaisons+x@ietf.test>",
        "<liaisons@ietf.test.>", "<liaisons>", "<Liaisons+sg15>", "liaisons",
        "<liaisons%ietf.test@ietf.test>", "<liaisons+x%ietf.test@ietf.test>",
        "<\"liaisons\"@ietf.test>", "<@mx.ietf.test:liaisons@ietf.test>",
        "statements@ietf.test.",
    };
    static const char *const other[] = {
        "<liaisons@other.test>", "<liaisons@other.test.>", "<liaison>",
        "<liaisons%other.test@ietf.test>", "<ccamp@ietf.test.>",
        /* relayed as it is by Postfix, to a host that is not ours */
        "<liaisons%ietf.test@stranger.example>",
        "<\"liaisons x\"@ietf.test>", "<someone%liaisons@ietf.test>",
        /* Postfix delivers these to liaisons+x@other.test */
        "<liaisons+x%other.test@ietf.test>", "<liaisons+x%other.test%ietf.test@ietf.test>",
        "<liaisons%>", "<liaisons%ietf.test>",
        /* refused by Postfix before the milter sees them */
        "<liaisons.>", "<liaisons@ietf.test..>", "<liaisons@.>",
        "<>", "", "@", "%", "<@:>", "\"", "<%@ietf.test>",
    };

    (void) state;
    config_defaults(cfg);
    assert_true(config_set(cfg, "intake", "liaisons@ietf.test, statements@ietf.test", NULL));
    for (size_t i = 0; i < G_N_ELEMENTS(intake); i++)
        if (!config_is_intake(cfg, dir, intake[i], ALL))
            fail_msg("%s: not intake", intake[i]);
    for (size_t i = 0; i < G_N_ELEMENTS(other); i++)
        if (config_is_intake(cfg, dir, other[i], ALL))
            fail_msg("%s: intake", other[i]);
    /* The percent hack and no domain count only when asked to (the MTA
     * has not resolved the path); a % is then never intake. */
    assert_false(config_is_intake(cfg, dir, "<liaisons>", 0));
    assert_false(config_is_intake(cfg, dir, "<liaisons>", CONFIG_INTAKE_PERCENT));
    assert_true(config_is_intake(cfg, dir, "<liaisons>", CONFIG_INTAKE_LOCAL));
    assert_false(config_is_intake(cfg, dir, "<liaisons%ietf.test@ietf.test>", 0));
    assert_false(config_is_intake(cfg, dir, "<liaisons%ietf.test@ietf.test>", CONFIG_INTAKE_LOCAL));
    assert_false(config_is_intake(cfg, dir, "<liaisons+x%other.test@ietf.test>", 0));
    assert_true(config_is_intake(cfg, dir, "<liaisons@ietf.test.>", 0));
    assert_true(config_is_intake(cfg, dir, "<\"liaisons+a b\"@ietf.test>", 0));
    /* With another configured intake, the directory's own still counts,
     * its domain too. */
    assert_true(config_set(cfg, "intake", "desk@ietf.test", NULL));
    assert_true(config_is_intake(cfg, dir, "<liaisons@ietf.test.>", ALL));
    assert_true(config_is_intake(cfg, dir, "<liaisons%ietf.test@ietf.test>", ALL));
    assert_true(config_is_intake(cfg, dir, "<desk+x>", ALL));
    config_free(cfg);
    /* With none configured (the default), the directory's alone. */
    cfg = g_new0(struct config, 1);
    config_defaults(cfg);
    assert_true(config_is_intake(cfg, dir, "<liaisons>", ALL));
    assert_true(config_is_intake(cfg, dir, "<liaisons+x>", ALL));
    assert_true(config_is_intake(cfg, dir, "<liaisons%ietf.test@ietf.test>", ALL));
    assert_false(config_is_intake(cfg, dir, "<desk>", ALL));
    config_free(cfg);
}

/* Peers by name, other name, domain and subdomain, never by a lookalike. */
static void
test_peers(void **state)
{
    assert_string_equal(directory_peer_by_name(dir, "ITU-T Study Group 15")->key, "itu-t-sg15");
    assert_string_equal(directory_peer_by_name(dir, "TSG CT WG4")->key, "3gpp");
    assert_string_equal(directory_peer_by_name(dir, "The Broadband Forum")->key, "bbf");
    assert_null(directory_peer_by_name(dir, "ETSI ISG MEC"));
    assert_string_equal(directory_peer_by_addr(dir, "x@itu.test")->key, "itu-t-sg15");
    assert_string_equal(directory_peer_by_addr(dir, "x@mail.ieee.test")->key, "ieee-802-1");
    assert_null(directory_peer_by_addr(dir, "x@notieee.test"));
    assert_null(directory_peer_by_addr(dir, "no-at-sign"));
}

/* Find the role of addr among s's recipients, or NULL. */
static const char *
role_of(const struct statement *s, const char *addr)
{
    for (guint i = 0; i < s->recipients->len; i++) {
        const struct recipient *r = g_ptr_array_index(s->recipients, i);

        if (strcmp(r->addr, addr) == 0)
            return r->role;
    }
    return NULL;
}

/* A statement to a WG: chairs assigned, ADs, manager, list, contacts. */
static void
test_route_group(void **state)
{
    struct statement *s = statement_new();

    s->env->from_body = g_strdup("IEEE 802.1 WG");
    g_ptr_array_add(s->env->to_list, g_strdup("IETF IPPM WG"));
    g_ptr_array_add(s->env->info_to, g_strdup("IETF NETMOD WG"));
    g_ptr_array_add(s->env->technical_contacts, contact_new("A", "a@ieee.test"));
    route_statement(dir, s, "sender@ieee.test");
    assert_string_equal(s->assignee, "ippm-chairs@ietf.test");
    assert_string_equal(s->peer, "ieee-802-1");
    assert_string_equal(role_of(s, "ippm-chairs@ietf.test"), "assignee");
    assert_string_equal(role_of(s, "ops-ads@ietf.test"), "supervisor");
    assert_string_equal(role_of(s, "ieee8021-manager@ietf.test"), "liaison-manager");
    assert_string_equal(role_of(s, "ippm@ietf.test"), "list");
    assert_string_equal(role_of(s, "netmod@ietf.test"), "info-list");
    assert_string_equal(role_of(s, "a@ieee.test"), "technical");
    assert_int_equal(s->recipients->len, 6);
    statement_free(s);
}

/* Nothing known in To: the IESG is assigned; an unknown sender has no
 * liaison manager. */
static void
test_route_homeless(void **state)
{
    struct statement *s = statement_new();

    g_ptr_array_add(s->env->to_list, g_strdup("IETF"));
    route_statement(dir, s, "someone@etsi.test");
    assert_string_equal(s->assignee, "iesg@ietf.test");
    assert_int_equal(s->groups->len, 1);
    assert_string_equal(g_ptr_array_index(s->groups, 0), "iesg");
    assert_null(s->peer);
    assert_int_equal(s->recipients->len, 1);
    statement_free(s);
}

/* A To of people routes by a group's list in Cc; an area's ADs are
 * supervised by the IETF chair. */
static void
test_route_people_and_area(void **state)
{
    struct statement *s = statement_new(), *t = statement_new();

    g_ptr_array_add(s->env->to_list, g_strdup("Lars Ekberg <lars@ietf.test>"));
    g_ptr_array_add(s->env->cc, contact_new("IPPM list", "ippm@ietf.test"));
    route_statement(dir, s, NULL);
    assert_string_equal(s->assignee, "ippm-chairs@ietf.test");

    g_ptr_array_add(t->env->to_list, g_strdup("IETF Internet Area"));
    route_statement(dir, t, NULL);
    assert_string_equal(t->assignee, "int-ads@ietf.test");
    assert_string_equal(role_of(t, "chair@ietf.test"), "supervisor");
    statement_free(s);
    statement_free(t);
}

/* Every group a To names is routed, an item with an address too, the
 * first named the first assignee; "For information to:" lists likewise. */
static void
test_route_several_groups(void **state)
{
    struct statement *s = statement_new(), *t = statement_new();

    (void) state;
    g_ptr_array_add(s->env->to_list, g_strdup("IETF DetNet and CCAMP WGs"));
    g_ptr_array_add(s->env->info_to, g_strdup("IETF NETMOD and IPPM WGs"));
    route_statement(dir, s, "x@itu.test");
    assert_string_equal(s->assignee, "detnet-chairs@ietf.test");
    assert_string_equal(role_of(s, "ccamp-chairs@ietf.test"), "assignee");
    assert_string_equal(role_of(s, "detnet@ietf.test"), "list");
    assert_string_equal(role_of(s, "ccamp@ietf.test"), "list");
    assert_string_equal(role_of(s, "netmod@ietf.test"), "info-list");
    assert_string_equal(role_of(s, "ippm@ietf.test"), "info-list");

    g_ptr_array_add(t->env->to_list, g_strdup("IETF CCAMP WG <ccamp@ietf.test>"));
    g_ptr_array_add(t->env->to_list, g_strdup("IETF DetNet WG"));
    route_statement(dir, t, "x@itu.test");
    assert_string_equal(t->assignee, "ccamp-chairs@ietf.test");
    assert_string_equal(role_of(t, "detnet-chairs@ietf.test"), "assignee");
    statement_free(s);
    statement_free(t);
}

/* A person whose name is a group's acronym is a person: the To names
 * people, and the Cc's list says where it goes. */
static void
test_route_person_named_like_group(void **state)
{
    struct statement *s = statement_new();

    (void) state;
    g_ptr_array_add(s->env->to_list, g_strdup("Quic Smith <quic.smith@example.test>"));
    g_ptr_array_add(s->env->cc, contact_new("IPPM list", "ippm@ietf.test"));
    route_statement(dir, s, "quic.smith@example.test");
    assert_string_equal(s->assignee, "ippm-chairs@ietf.test");
    assert_null(role_of(s, "quic-chairs@ietf.test"));
    statement_free(s);
    /* A group named beside its chair's address is the group. */
    s = statement_new();
    g_ptr_array_add(s->env->to_list,
                    g_strdup("IETF CCAMP WG (Daniele Ceccarelli <daniele@ericsson.test>)"));
    route_statement(dir, s, "x@itu.test");
    assert_string_equal(s->assignee, "ccamp-chairs@ietf.test");
    statement_free(s);
    s = statement_new();
    g_ptr_array_add(s->env->to_list, g_strdup("IETF CCAMP WG <ccamp-chairs@tools.ietf.test>"));
    route_statement(dir, s, "x@itu.test");
    assert_string_equal(s->assignee, "ccamp-chairs@ietf.test");
    statement_free(s);
}

/* The group (or area) a To item's address belongs to, and the person
 * named like a group, whatever the form of the item: "addr (Name)",
 * "Name addr", "mailto:addr", an address ending a sentence. */
static void
test_route_item_address_forms(void **state)
{
    static const char *const rows[][2] = {
        /* a person, whose name or local part is a group's acronym */
        { "quic.smith@example.test (Quic Smith)", "ippm" },
        { "Quic Smith quic.smith@example.test", "ippm" },
        { "Quic Smith <quic.smith@example.test>", "ippm" },
        /* a group's own addresses */
        { "ccamp@ietf.test.", "ccamp" },
        { "mailto:ccamp@ietf.test", "ccamp" },
        { "<mailto:CCAMP@ietf.test>", "ccamp" },
        { "ccamp@ietf.test (CCAMP list)", "ccamp" },
        { "DetNet list: detnet@ietf.test", "detnet" },
        /* the words name the body when they say so */
        { "IETF CCAMP WG (contact: daniele@ericsson.test)", "ccamp" },
        { "IETF DetNet WG daniele@ericsson.test", "detnet" },
        { "IETF CCAMP and DetNet WGs (ccamp@ietf.test, detnet@ietf.test)", "ccamp,detnet" },
        { "IETF DetNet and CCAMP WGs <ccamp@ietf.test>", "detnet,ccamp" },
        /* an area's ADs, by address, under a person's name */
        { "Deborah <rtg-ads@ietf.test>", "rtg" },
        { "RTG ADs <rtg-ads@ietf.test>", "rtg" },
        { "rtg-ads@ietf.test", "rtg" },
    };

    (void) state;
    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        struct statement *s = statement_new();
        GString *got = g_string_new(NULL);

        g_ptr_array_add(s->env->to_list, g_strdup(rows[i][0]));
        g_ptr_array_add(s->env->cc, contact_new("IPPM list", "ippm@ietf.test"));
        route_statement(dir, s, "x@itu.test");
        for (guint k = 0; k < s->groups->len; k++)
            g_string_append_printf(got, "%s%s", k > 0 ? "," : "",
                                   (const char *) g_ptr_array_index(s->groups, k));
        if (strcmp(got->str, rows[i][1]) != 0)
            fail_msg("\"%s\": routed to \"%s\", want \"%s\"", rows[i][0], got->str, rows[i][1]);
        g_string_free(got, TRUE);
        statement_free(s);
    }
}

/* The corpus directory with two IRTF research groups added (the corpus
 * itself has none): cfrg and panrg named as the datatracker names them,
 * without "Research Group", and nmrg with it.  Free with directory_free. */
static struct directory *
load_with_research_groups(void)
{
    g_autofree char *src = g_build_filename(SRCDIR, "tests", "corpus", "directory.json", NULL);
    g_autofree char *text = NULL, *with = NULL;
    g_autofree char *tmp = g_dir_make_tmp("liaison-dir-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(tmp, "directory.json", NULL);
    const char *groups;
    struct directory *d;
    GError *err = NULL;

    assert_true(g_file_get_contents(src, &text, NULL, NULL));
    groups = strstr(text, "\"groups\": {");
    assert_non_null(groups);
    groups += strlen("\"groups\": {");
    with = g_strdup_printf("%.*s"
                           " \"cfrg\": { \"name\": \"Crypto Forum\", \"list\": \"cfrg@irtf.test\","
                           " \"chairs\": \"cfrg-chairs@irtf.test\" },"
                           " \"nmrg\": { \"name\": \"Network Management Research Group\","
                           " \"list\": \"nmrg@irtf.test\", \"chairs\": \"nmrg-chairs@irtf.test\" },"
                           " \"panrg\": { \"name\": \"Path Aware Networking\","
                           " \"chairs\": \"panrg-chairs@irtf.test\" },"
                           "%s", (int) (groups - text), text, groups);
    assert_true(g_file_set_contents(path, with, -1, NULL));
    d = directory_load(path, &err);
    g_unlink(path);
    g_rmdir(tmp);
    if (d == NULL)
        fail_msg("%s", err->message);
    return d;
}

/* IRTF research groups, and groups named in the plural: by "IRTF" before
 * the name, "RG", "Research Group" or a plural after it, with a blank or
 * a hyphen, and in the words around a To item's address ("CFRG and NMRG
 * RGs <cfrg@x>" names both).  A To that names nothing goes to the IESG;
 * one that names only a person, to the IPPM list's group in the Cc. */
static void
test_route_research_groups(void **state)
{
    static const char *const rows[][2] = {
        { "IRTF CFRG", "cfrg" },
        { "IRTF-CFRG", "cfrg" },
        { "CFRG RG", "cfrg" },
        { "CFRG-RG", "cfrg" },
        { "Crypto Forum Research Group", "cfrg" },
        { "the Crypto Forum RG", "cfrg" },
        { "IRTF Crypto Forum Research Group (CFRG)", "cfrg" },
        /* a name that ends in "Research Group" is also written "RG" */
        { "Network Management Research Group", "nmrg" },
        { "IRTF Network Management RG", "nmrg" },
        /* several, in the plural */
        { "IRTF CFRG and NMRG RGs", "cfrg,nmrg" },
        { "IRTF CFRG and NMRG Research Groups", "cfrg,nmrg" },
        { "Crypto Forum and Path Aware Networking Research Groups", "cfrg,panrg" },
        { "IETF DetNet and CCAMP WGs", "detnet,ccamp" },
        { "IETF DetNet and CCAMP Working Groups", "detnet,ccamp" },
        { "IETF CCAMP-WGs and IRTF-CFRG", "ccamp,cfrg" },
        { "IETF CCAMP WG and IRTF CFRG", "ccamp,cfrg" },
        /* what the plain forms routed to before */
        { "IETF Routing Area", "rtg" },
        { "The Routing Area Working Group", "rtgwg" },
        { "IRTF", "iesg" },
        /* the words around an address name a body when they say so */
        { "DetNet and CCAMP WGs <detnet@ietf.test>", "detnet,ccamp" },
        { "CFRG and NMRG RGs (cfrg@irtf.test)", "cfrg,nmrg" },
        { "Crypto Forum and NMRG Research Groups <nmrg@irtf.test>", "cfrg,nmrg" },
        { "Crypto Forum Research Group (Jane Doe <jane@example.test>)", "cfrg" },
        { "IRTF CFRG jane@example.test", "cfrg" },
        /* ... and "Research" alone does not say so: an employer's name */
        { "CFRG Research <jane@example.test>", "ippm" },
        { "Jane Doe <jane@example.test>", "ippm" },
    };
    struct directory *d = load_with_research_groups();

    (void) state;
    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        struct statement *s = statement_new();
        GString *got = g_string_new(NULL);

        g_ptr_array_add(s->env->to_list, g_strdup(rows[i][0]));
        g_ptr_array_add(s->env->cc, contact_new("IPPM list", "ippm@ietf.test"));
        route_statement(d, s, "x@itu.test");
        for (guint k = 0; k < s->groups->len; k++)
            g_string_append_printf(got, "%s%s", k > 0 ? "," : "",
                                   (const char *) g_ptr_array_index(s->groups, k));
        if (strcmp(got->str, rows[i][1]) != 0)
            fail_msg("\"%s\": routed to \"%s\", want \"%s\"", rows[i][0], got->str, rows[i][1]);
        g_string_free(got, TRUE);
        statement_free(s);
    }
    directory_free(d);
}

/* A To of people with an area's ADs among the Cc goes to the area. */
static void
test_route_people_area_cc(void **state)
{
    struct statement *s = statement_new();

    (void) state;
    g_ptr_array_add(s->env->to_list, g_strdup("Lars Ekberg <lars@example.test>"));
    g_ptr_array_add(s->env->cc, contact_new("Routing ADs", "rtg-ads@ietf.test"));
    route_statement(dir, s, "x@itu.test");
    assert_string_equal(s->assignee, "rtg-ads@ietf.test");
    assert_string_equal(role_of(s, "chair@ietf.test"), "supervisor");
    statement_free(s);
}

/* Mail from the IETF's own domain (the datatracker) by a body not in the
 * directory: no address it names is copied, none of the IETF's least of
 * all. */
static void
test_route_own_domain_unknown_body(void **state)
{
    struct statement *s = statement_new();

    (void) state;
    s->env->from_body = g_strdup("ETSI ISG NFV");
    g_ptr_array_add(s->env->to_list, g_strdup("IETF CCAMP WG"));
    g_ptr_array_add(s->env->technical_contacts, contact_new(NULL, "ietf@ietf.test"));
    g_ptr_array_add(s->env->technical_contacts, contact_new(NULL, "liaisons@ietf.test"));
    g_ptr_array_add(s->env->technical_contacts, contact_new(NULL, "a@etsi.test"));
    route_statement(dir, s, "statements@ietf.test");
    assert_technical(s, NULL, 0);
    assert_null(role_of(s, "ietf@ietf.test"));
    assert_null(role_of(s, "liaisons@ietf.test"));
    statement_free(s);
}

/* Peers that share a mail domain (ITU-T's study groups share itu.int):
 * the contacts of the one that sent are at its own domain. */
static void
test_route_shared_domain(void **state)
{
    g_autofree char *src = g_build_filename(SRCDIR, "tests", "corpus", "directory.json", NULL);
    g_autofree char *text = NULL, *with = NULL;
    g_autofree char *tmp = g_dir_make_tmp("liaison-dir-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(tmp, "directory.json", NULL);
    const char *peers;
    struct directory *d2;
    struct statement *s = statement_new();
    GError *err = NULL;
    static const char *const want[] = { "ann@itu.test", "bo@itu.test" };

    (void) state;
    assert_true(g_file_get_contents(src, &text, NULL, NULL));
    peers = strstr(text, "\"peers\": {");
    assert_non_null(peers);
    peers += strlen("\"peers\": {");
    with = g_strdup_printf("%.*s \"itu-t-sg13\": { \"domains\": [\"itu.test\"], "
                           "\"name\": \"ITU-T Study Group 13\", "
                           "\"liaison_manager\": \"sg13-manager@ietf.test\" },%s",
                           (int) (peers - text), text, peers);
    assert_true(g_file_set_contents(path, with, -1, NULL));
    d2 = directory_load(path, &err);
    if (d2 == NULL)
        fail_msg("%s", err->message);
    s->env->from_body = g_strdup("ITU-T Study Group 13");
    g_ptr_array_add(s->env->to_list, g_strdup("IETF CCAMP WG"));
    g_ptr_array_add(s->env->technical_contacts, contact_new(NULL, "ann@itu.test"));
    g_ptr_array_add(s->env->technical_contacts, contact_new(NULL, "bo@itu.test"));
    route_statement(d2, s, "tsb@itu.test");
    assert_string_equal(s->peer, "itu-t-sg13");
    assert_technical(s, want, G_N_ELEMENTS(want));
    assert_string_equal(role_of(s, "sg13-manager@ietf.test"), "liaison-manager");
    statement_free(s);
    directory_free(d2);
    g_unlink(path);
    g_rmdir(tmp);
}

/* The technical contacts test_route_technical_limits must see copied. */
static const char *const technical_first_eight[] = {
    "in@itu.test", "t0@itu.test", "t1@itu.test", "t2@itu.test",
    "t3@itu.test", "t4@itu.test", "t5@itu.test", "t6@itu.test",
};

/* Assert that s's recipients of role technical are exactly want, in order. */
static void
assert_technical(const struct statement *s, const char *const *want, size_t n)
{
    size_t k = 0;

    for (guint i = 0; i < s->recipients->len; i++) {
        const struct recipient *r = g_ptr_array_index(s->recipients, i);

        if (strcmp(r->role, "technical") != 0)
            continue;
        if (k >= n)
            fail_msg("technical recipient %zu (%s) past the %zu expected", k + 1, r->addr, n);
        if (strcmp(r->addr, want[k]) != 0)
            fail_msg("technical recipient %zu: expected %s, got %s", k + 1, want[k], r->addr);
        k++;
    }
    if (k != n)
        fail_msg("%zu technical recipients, expected %zu", k, n);
}

/* Technical contacts are copied only at the sender's own domains, and at
 * most eight: an anonymous message cannot make intake relay to addresses
 * of its choosing. */
static void
test_route_technical_limits(void **state)
{
    struct statement *s = statement_new(), *t = statement_new();

    s->env->from_body = g_strdup("ITU-T Study Group 15");
    g_ptr_array_add(s->env->to_list, g_strdup("IETF CCAMP WG"));
    g_ptr_array_add(s->env->technical_contacts, contact_new("In", "in@itu.test"));
    g_ptr_array_add(s->env->technical_contacts, contact_new("Out", "victim@elsewhere.test"));
    for (int i = 0; i < 12; i++) {
        g_autofree char *a = g_strdup_printf("t%d@itu.test", i);

        g_ptr_array_add(s->env->technical_contacts, contact_new(NULL, a));
    }
    route_statement(dir, s, "sender@itu.test");
    /* Exactly eight copied: the first eight at the sender's domain, in the
     * order written (the one elsewhere does not use up a place); t7 to t11
     * stay on the statement only. */
    assert_technical(s, technical_first_eight, G_N_ELEMENTS(technical_first_eight));
    assert_null(role_of(s, "victim@elsewhere.test"));
    assert_null(role_of(s, "t7@itu.test"));
    assert_null(role_of(s, "t11@itu.test"));
    assert_int_equal(s->env->technical_contacts->len, 14);
    assert_true(statement_has_diagnostic(s, "technical-contact-not-copied"));

    /* No known peer: the header From's domain is the sender's own. */
    g_ptr_array_add(t->env->to_list, g_strdup("IETF"));
    g_ptr_array_add(t->env->technical_contacts, contact_new(NULL, "a@etsi.test"));
    g_ptr_array_add(t->env->technical_contacts, contact_new(NULL, "b@spam.test"));
    route_statement(dir, t, "someone@etsi.test");
    assert_string_equal(role_of(t, "a@etsi.test"), "technical");
    assert_null(role_of(t, "b@spam.test"));
    statement_free(s);
    statement_free(t);
}

/* The peer whose domains the technical contacts may be at is the From's:
 * a stranger who writes "From: ITU-T Study Group 15" in the text, or names
 * a response contact at itu.test, gets its text sent to no address at
 * itu.test, though the peer's liaison manager is still told.  The
 * datatracker, at the IETF's own domain, sends a peer's statement: then
 * the peer the text names is the sender. */
static void
test_route_technical_peer_named(void **state)
{
    struct statement *s = statement_new();
    static const char *const itu[] = { "a@itu.test", "b@itu.test" };
    static const char *const spam[] = { "c@spam.test" };
    static const char *const bbf[] = { "d@bbf.test" };

    (void) state;
    /* The peer by the From body's name: nobody at its domain copied. */
    s->env->from_body = g_strdup("ITU-T Study Group 15");
    g_ptr_array_add(s->env->to_list, g_strdup("IETF CCAMP WG"));
    g_ptr_array_add(s->env->technical_contacts, contact_new(NULL, "a@itu.test"));
    g_ptr_array_add(s->env->technical_contacts, contact_new(NULL, "b@itu.test"));
    g_ptr_array_add(s->env->technical_contacts, contact_new(NULL, "c@spam.test"));
    route_statement(dir, s, "x@spam.test");
    assert_string_equal(s->peer, "itu-t-sg15");
    assert_string_equal(role_of(s, "itu-t-sg15-manager@ietf.test"), "liaison-manager");
    assert_technical(s, spam, G_N_ELEMENTS(spam));
    assert_true(statement_has_diagnostic(s, "technical-contact-not-copied"));
    statement_free(s);

    /* The peer by a response contact's domain: likewise. */
    s = statement_new();
    g_ptr_array_add(s->env->to_list, g_strdup("IETF CCAMP WG"));
    g_ptr_array_add(s->env->response_contacts, contact_new(NULL, "r@itu.test"));
    g_ptr_array_add(s->env->technical_contacts, contact_new(NULL, "a@itu.test"));
    route_statement(dir, s, "x@spam.test");
    assert_string_equal(s->peer, "itu-t-sg15");
    assert_technical(s, NULL, 0);
    statement_free(s);

    /* The text names one peer, the From is at another's domain: the
     * contacts at the From's peer's domains. */
    s = statement_new();
    s->env->from_body = g_strdup("ITU-T Study Group 15");
    g_ptr_array_add(s->env->to_list, g_strdup("IETF CCAMP WG"));
    g_ptr_array_add(s->env->technical_contacts, contact_new(NULL, "a@itu.test"));
    g_ptr_array_add(s->env->technical_contacts, contact_new(NULL, "d@bbf.test"));
    route_statement(dir, s, "x@mail.bbf.test");
    assert_technical(s, bbf, G_N_ELEMENTS(bbf));
    statement_free(s);

    /* The From at the peer's domain, or at the IETF's own: copied. */
    s = statement_new();
    s->env->from_body = g_strdup("ITU-T Study Group 15");
    g_ptr_array_add(s->env->to_list, g_strdup("IETF CCAMP WG"));
    g_ptr_array_add(s->env->technical_contacts, contact_new(NULL, "a@itu.test"));
    g_ptr_array_add(s->env->technical_contacts, contact_new(NULL, "b@itu.test"));
    route_statement(dir, s, "tsb@itu.test");
    assert_technical(s, itu, G_N_ELEMENTS(itu));
    statement_free(s);
    s = statement_new();
    s->env->from_body = g_strdup("ITU-T Study Group 15");
    g_ptr_array_add(s->env->to_list, g_strdup("IETF CCAMP WG"));
    g_ptr_array_add(s->env->technical_contacts, contact_new(NULL, "a@itu.test"));
    g_ptr_array_add(s->env->technical_contacts, contact_new(NULL, "b@itu.test"));
    route_statement(dir, s, "statements@ietf.test");
    assert_technical(s, itu, G_N_ELEMENTS(itu));
    statement_free(s);
}

/* An address at the sender's domain that routes on to another (the
 * percent hack, a UUCP bang path: the domain's MTA, the IETF's own
 * Postfix for its local domains included, forwards it to the address in
 * its local part) is not copied, nor is one at a host under the IETF's
 * own domain (the MTA's own name, a lists host), which a stranger's From
 * there would otherwise make the sender's. */
static void
test_route_technical_routed_on(void **state)
{
    struct statement *s = statement_new();
    g_autoptr(GPtrArray) to = NULL;
    static const char *const ok[] = { "ok@spam.test" };

    (void) state;
    g_ptr_array_add(s->env->to_list, g_strdup("IETF CCAMP WG"));
    g_ptr_array_add(s->env->technical_contacts,
                    contact_new(NULL, "victim%evil.test@spam.test"));
    g_ptr_array_add(s->env->technical_contacts,
                    contact_new(NULL, "evil.test!victim@spam.test"));
    g_ptr_array_add(s->env->technical_contacts, contact_new(NULL, "ok@spam.test"));
    route_statement(dir, s, "x@spam.test");
    assert_technical(s, ok, G_N_ELEMENTS(ok));
    assert_true(statement_has_diagnostic(s, "technical-contact-not-copied"));
    statement_free(s);

    /* A known peer's domain, the same. */
    s = statement_new();
    g_ptr_array_add(s->env->to_list, g_strdup("IETF CCAMP WG"));
    g_ptr_array_add(s->env->technical_contacts,
                    contact_new(NULL, "victim%evil.test@itu.test"));
    g_ptr_array_add(s->env->response_contacts,
                    contact_new(NULL, "victim%evil.test@itu.test"));
    g_ptr_array_add(s->env->response_contacts, contact_new(NULL, "rc@itu.test"));
    route_statement(dir, s, "tsb@itu.test");
    assert_technical(s, NULL, 0);
    to = route_acknowledge_to(dir, s, "tsb@itu.test");
    assert_int_equal(to->len, 1);
    assert_string_equal(g_ptr_array_index(to, 0), "rc@itu.test");
    statement_free(s);

    /* A From under the IETF's own domain is no outside body's. */
    s = statement_new();
    g_ptr_array_add(s->env->to_list, g_strdup("IETF CCAMP WG"));
    g_ptr_array_add(s->env->technical_contacts, contact_new(NULL, "root@mail.ietf.test"));
    g_ptr_array_add(s->env->technical_contacts,
                    contact_new(NULL, "announce@mail.ietf.test"));
    route_statement(dir, s, "x@mail.ietf.test");
    assert_technical(s, NULL, 0);
    statement_free(s);
}

/* A group's list named as a technical contact is not copied as one: the
 * role would stick, and the tickler, which leaves lists out by role, would
 * remind the whole group.  Its own group's routing copies it as a list. */
static void
test_route_list_as_contact(void **state)
{
    struct statement *s = statement_new();

    g_ptr_array_add(s->env->to_list, g_strdup("IETF CCAMP WG"));
    g_ptr_array_add(s->env->technical_contacts,
                    contact_new("CCAMP Discussion List", "ccamp@ietf.test"));
    g_ptr_array_add(s->env->technical_contacts, contact_new(NULL, "person@example.test"));
    route_statement(dir, s, "sender@example.test");
    assert_string_equal(role_of(s, "ccamp@ietf.test"), "list");
    assert_string_equal(role_of(s, "person@example.test"), "technical");
    assert_true(statement_has_diagnostic(s, "technical-contact-not-copied"));
    statement_free(s);
}

/* A group's list at the sending domain itself (an IRTF list, mail from
 * irtf.test) named as a technical contact is still no person: it is not
 * copied as "technical", which the tickler would remind, while a person
 * at that domain is. */
static void
test_route_list_at_sender_domain(void **state)
{
    struct directory *d = load_with_research_groups();
    struct statement *s = statement_new();

    (void) state;
    g_ptr_array_add(s->env->to_list, g_strdup("IETF CCAMP WG"));
    g_ptr_array_add(s->env->technical_contacts, contact_new("CFRG", "cfrg@irtf.test"));
    g_ptr_array_add(s->env->technical_contacts, contact_new("Alice", "alice@irtf.test"));
    route_statement(d, s, "sender@irtf.test");
    assert_null(role_of(s, "cfrg@irtf.test"));
    assert_string_equal(role_of(s, "alice@irtf.test"), "technical");
    assert_true(statement_has_diagnostic(s, "technical-contact-not-copied"));
    statement_free(s);
    directory_free(d);
}

/* "For information to:" an area: an area has no list, so it is no
 * information group, and gets no copy. */
static void
test_route_info_area(void **state)
{
    struct statement *s = statement_new();

    (void) state;
    g_ptr_array_add(s->env->to_list, g_strdup("IETF IPPM WG"));
    g_ptr_array_add(s->env->info_to, g_strdup("IETF Internet Area"));
    route_statement(dir, s, "sender@ieee.test");
    assert_string_equal(s->assignee, "ippm-chairs@ietf.test");
    assert_int_equal(s->info_groups->len, 0);
    assert_null(role_of(s, "int-ads@ietf.test"));
    statement_free(s);
}

/* The sending peer is the one the From body names, whatever else the
 * statement carries: a response contact at another domain, or a person's
 * own address beside the body's name, does not take the peer, nor its
 * liaison manager's copy, away. */
static void
test_route_peer_by_name_kept(void **state)
{
    struct statement *s = statement_new(), *t = statement_new();

    (void) state;
    s->env->from_body = g_strdup("ITU-T Study Group 15");
    g_ptr_array_add(s->env->to_list, g_strdup("IETF CCAMP WG"));
    g_ptr_array_add(s->env->response_contacts, contact_new(NULL, "greta@itu.test"));
    g_ptr_array_add(s->env->response_contacts, contact_new(NULL, "helper@consultant.test"));
    route_statement(dir, s, "greta@itu.test");
    assert_non_null(s->peer);
    assert_string_equal(s->peer, "itu-t-sg15");
    assert_non_null(role_of(s, "itu-t-sg15-manager@ietf.test"));
    assert_string_equal(role_of(s, "itu-t-sg15-manager@ietf.test"), "liaison-manager");

    t->env->from_body = g_strdup("ITU-T Study Group 15 <greta@mail.example.test>");
    g_ptr_array_add(t->env->to_list, g_strdup("IETF CCAMP WG"));
    route_statement(dir, t, "greta@mail.example.test");
    assert_non_null(t->peer);
    assert_string_equal(t->peer, "itu-t-sg15");
    assert_non_null(role_of(t, "itu-t-sg15-manager@ietf.test"));
    assert_string_equal(role_of(t, "itu-t-sg15-manager@ietf.test"), "liaison-manager");
    statement_free(s);
    statement_free(t);
}

/* The acknowledgement goes to the response contacts at a known peer's
 * domains, at most eight, else to the header From: a stranger's mail
 * cannot make intake send its Title to addresses of its choosing. */
static void
test_acknowledge_to(void **state)
{
    struct statement *s = statement_new(), *t = statement_new();
    g_autoptr(GPtrArray) to = NULL, to2 = NULL;

    s->env->from_body = g_strdup("ITU-T Study Group 15");
    g_ptr_array_add(s->env->to_list, g_strdup("IETF CCAMP WG"));
    g_ptr_array_add(s->env->response_contacts, contact_new("In", "rc@itu.test"));
    g_ptr_array_add(s->env->response_contacts, contact_new(NULL, "victim@elsewhere.test"));
    g_ptr_array_add(s->env->response_contacts, contact_new(NULL, "ccamp@ietf.test"));
    for (int i = 0; i < 12; i++) {
        g_autofree char *a = g_strdup_printf("r%d@itu.test", i);

        g_ptr_array_add(s->env->response_contacts, contact_new(NULL, a));
    }
    route_statement(dir, s, "sender@itu.test");
    to = route_acknowledge_to(dir, s, "sender@itu.test");
    assert_int_equal(to->len, 8);
    assert_string_equal(g_ptr_array_index(to, 0), "rc@itu.test");
    assert_string_equal(g_ptr_array_index(to, 7), "r6@itu.test");
    for (guint i = 0; i < to->len; i++) {
        assert_string_not_equal(g_ptr_array_index(to, i), "victim@elsewhere.test");
        assert_string_not_equal(g_ptr_array_index(to, i), "ccamp@ietf.test");
    }

    /* Every response contact elsewhere: the sender is acknowledged. */
    g_ptr_array_add(t->env->to_list, g_strdup("IETF"));
    for (int i = 0; i < 60; i++) {
        g_autofree char *a = g_strdup_printf("v%d@victim%d.test", i, i);

        g_ptr_array_add(t->env->response_contacts, contact_new(NULL, a));
    }
    route_statement(dir, t, "x@spam.test");
    to2 = route_acknowledge_to(dir, t, "x@spam.test");
    assert_int_equal(to2->len, 1);
    assert_string_equal(g_ptr_array_index(to2, 0), "x@spam.test");
    statement_free(t);

    /* A body the directory does not know: its From only, not the contacts
     * at its domain, which a forged From would turn into a reflector. */
    t = statement_new();
    g_ptr_array_add(t->env->to_list, g_strdup("IETF"));
    for (int i = 0; i < 8; i++) {
        g_autofree char *a = g_strdup_printf("r%d@unknown.test", i);

        g_ptr_array_add(t->env->response_contacts, contact_new(NULL, a));
    }
    route_statement(dir, t, "officer@unknown.test");
    g_ptr_array_unref(to2);
    to2 = route_acknowledge_to(dir, t, "officer@unknown.test");
    assert_int_equal(to2->len, 1);
    assert_string_equal(g_ptr_array_index(to2, 0), "officer@unknown.test");
    statement_free(s);
    statement_free(t);
}

/* A To line naming more groups than any statement needs goes to the IESG
 * alone, with a diagnostic: anyone can write one, and every list named
 * would get a copy. */
static void
test_too_many_groups(void **state)
{
    struct statement *s = statement_new();
    static const char *const names[] = {
        "IETF CCAMP WG", "IETF DetNet WG", "IETF IPPM WG", "IETF NETMOD WG",
        "IETF QUIC WG", "IETF DMM WG", "IETF RTGWG",
    };

    (void) state;
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
        g_ptr_array_add(s->env->to_list, g_strdup(names[i]));
    g_ptr_array_add(s->env->to_list, g_strdup("IETF Routing Area"));
    g_ptr_array_add(s->env->to_list, g_strdup("IETF Operations and Management Area"));
    route_statement(dir, s, "greta@itu.test");
    assert_int_equal(s->groups->len, 1);
    assert_string_equal(g_ptr_array_index(s->groups, 0), "iesg");
    assert_int_equal(s->info_groups->len, 0);
    assert_true(statement_has_diagnostic(s, "too-many-groups"));
    for (guint i = 0; i < s->recipients->len; i++) {
        const struct recipient *r = g_ptr_array_index(s->recipients, i);

        if (r->role != NULL && (strcmp(r->role, "list") == 0 || strcmp(r->role, "info-list") == 0))
            fail_msg("a list copied: %s", r->addr);
    }
    statement_free(s);

    /* Seven, as many as a broad statement may name, some of them also
     * for information (counted once): routed to each. */
    s = statement_new();
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
        g_ptr_array_add(s->env->to_list, g_strdup(names[i]));
    g_ptr_array_add(s->env->info_to, g_strdup("IETF CCAMP WG, IETF DetNet WG"));
    route_statement(dir, s, "greta@itu.test");
    assert_int_equal(s->groups->len, G_N_ELEMENTS(names));
    assert_false(statement_has_diagnostic(s, "too-many-groups"));
    statement_free(s);

    /* Eight, the most: routed to each, an area among them. */
    s = statement_new();
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
        g_ptr_array_add(s->env->to_list, g_strdup(names[i]));
    g_ptr_array_add(s->env->to_list, g_strdup("IETF Routing Area"));
    route_statement(dir, s, "greta@itu.test");
    assert_int_equal(s->groups->len, 8);
    assert_false(statement_has_diagnostic(s, "too-many-groups"));
    statement_free(s);

    /* Nine, one of them only for information: the IESG alone. */
    s = statement_new();
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
        g_ptr_array_add(s->env->to_list, g_strdup(names[i]));
    g_ptr_array_add(s->env->to_list, g_strdup("IETF Routing Area"));
    g_ptr_array_add(s->env->info_to, g_strdup("IETF CCAMP WG"));
    route_statement(dir, s, "greta@itu.test");
    assert_int_equal(s->groups->len, 8);
    statement_free(s);
    s = statement_new();
    g_ptr_array_add(s->env->to_list, g_strdup("IETF CCAMP WG"));
    g_ptr_array_add(s->env->info_to, g_strdup("IETF DetNet, IPPM, NETMOD, QUIC, DMM and RTGWG WGs"));
    g_ptr_array_add(s->env->to_list, g_strdup("IETF Routing Area, IETF Internet Area"));
    route_statement(dir, s, "greta@itu.test");
    assert_int_equal(s->groups->len, 1);
    assert_string_equal(g_ptr_array_index(s->groups, 0), "iesg");
    assert_true(statement_has_diagnostic(s, "too-many-groups"));
    statement_free(s);
}

/* The sender's domains come from the header From alone: a stranger who
 * writes "From: ITU-T Study Group 15" and names contacts at a peer's
 * domain gets the acknowledgement, not those contacts. */
static void
test_acknowledge_to_peer_named(void **state)
{
    struct statement *s = statement_new();
    g_autoptr(GPtrArray) to = NULL;

    s->env->from_body = g_strdup("ITU-T Study Group 15");
    g_ptr_array_add(s->env->to_list, g_strdup("IETF CCAMP WG"));
    for (int i = 0; i < 8; i++) {
        g_autofree char *a = g_strdup_printf("member%d@itu.test", i);

        g_ptr_array_add(s->env->response_contacts, contact_new(NULL, a));
    }
    route_statement(dir, s, "x@spam.test");
    to = route_acknowledge_to(dir, s, "x@spam.test");
    assert_int_equal(to->len, 1);
    assert_string_equal(g_ptr_array_index(to, 0), "x@spam.test");
    statement_free(s);

    /* The datatracker sends a body's statement from the IETF's own domain:
     * then the body named in the text is the sender (s02). */
    s = statement_new();
    s->env->from_body = g_strdup("Broadband Forum");
    g_ptr_array_add(s->env->to_list, g_strdup("IETF CCAMP WG"));
    g_ptr_array_add(s->env->response_contacts, contact_new(NULL, "liaisons@bbf.test"));
    route_statement(dir, s, "statements@ietf.test");
    g_ptr_array_unref(to);
    to = route_acknowledge_to(dir, s, "statements@ietf.test");
    assert_int_equal(to->len, 1);
    assert_string_equal(g_ptr_array_index(to, 0), "liaisons@bbf.test");
    statement_free(s);

    /* From our own domain with no peer named: nobody, neither an IETF
     * address the text names nor the tool itself. */
    s = statement_new();
    g_ptr_array_add(s->env->to_list, g_strdup("IETF CCAMP WG"));
    g_ptr_array_add(s->env->response_contacts, contact_new(NULL, "ietf@ietf.test"));
    route_statement(dir, s, "statements@ietf.test");
    g_ptr_array_unref(to);
    to = route_acknowledge_to(dir, s, "statements@ietf.test");
    assert_int_equal(to->len, 0);
    statement_free(s);

    /* An internationalised contact cannot be mailed: the From is
     * acknowledged instead of nobody. */
    s = statement_new();
    g_ptr_array_add(s->env->to_list, g_strdup("IETF CCAMP WG"));
    g_ptr_array_add(s->env->response_contacts, contact_new(NULL, "zo\xc3\xab@bbf.test"));
    route_statement(dir, s, "greta@bbf.test");
    g_ptr_array_unref(to);
    to = route_acknowledge_to(dir, s, "greta@bbf.test");
    assert_int_equal(to->len, 1);
    assert_string_equal(g_ptr_array_index(to, 0), "greta@bbf.test");
    statement_free(s);
}

/* A directory file that is broken is refused with a reason naming it. */
static void
test_bad_directory(void **state)
{
    static const char *const bad[] = {
        "{ not json",
        "[1, 2]",
        "{\"groups\": {}}",
        "{\"iesg\": \"i@x.test\", \"groups\": {\"g\": {\"area\": \"nowhere\", \"chairs\": \"c@x.test\"}}}",
    };
    g_autofree char *tmp = g_dir_make_tmp("liaison-dir-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(tmp, "directory.json", NULL);

    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        GError *err = NULL;

        assert_true(g_file_set_contents(path, bad[i], -1, NULL));
        assert_null(directory_load(path, &err));
        assert_non_null(err);
        assert_non_null(strstr(err->message, path));
        g_error_free(err);
    }
    g_unlink(path);
    g_rmdir(tmp);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_body_names),
        cmocka_unit_test(test_body_names_several),
        cmocka_unit_test(test_route_several_groups),
        cmocka_unit_test(test_route_person_named_like_group),
        cmocka_unit_test(test_route_item_address_forms),
        cmocka_unit_test(test_route_research_groups),
        cmocka_unit_test(test_route_people_area_cc),
        cmocka_unit_test(test_route_own_domain_unknown_body),
        cmocka_unit_test(test_route_shared_domain),
        cmocka_unit_test(test_too_many_groups),
        cmocka_unit_test(test_intake),
        cmocka_unit_test(test_intake_rcpt_path),
        cmocka_unit_test(test_peers),
        cmocka_unit_test(test_route_group),
        cmocka_unit_test(test_route_homeless),
        cmocka_unit_test(test_route_people_and_area),
        cmocka_unit_test(test_route_technical_limits),
        cmocka_unit_test(test_route_technical_peer_named),
        cmocka_unit_test(test_route_technical_routed_on),
        cmocka_unit_test(test_route_list_as_contact),
        cmocka_unit_test(test_route_list_at_sender_domain),
        cmocka_unit_test(test_route_info_area),
        cmocka_unit_test(test_route_peer_by_name_kept),
        cmocka_unit_test(test_acknowledge_to),
        cmocka_unit_test(test_acknowledge_to_peer_named),
        cmocka_unit_test(test_bad_directory),
    };

    return cmocka_run_group_tests_name("route", tests, setup, teardown);
}
