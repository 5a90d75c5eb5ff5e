/*
 * test_directory.c: loading the directory file (cmocka).  The shipped and
 * corpus directories load; a small valid directory, changed by one
 * replacement per case, is refused for each fault with a message that
 * names the member's path, because a loader that took a typo or a wrong
 * type as "not given" routed statements elsewhere without a word.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "directory.h"

/* A small directory with every member once; each case below changes it by
 * one replacement. */
static const char base[] =
    "{\n"
    " \"intake\": [\"liaisons@ietf.test\"],\n"
    " \"iesg\": \"iesg@ietf.test\",\n"
    " \"ietf_chair\": \"chair@ietf.test\",\n"
    " \"secretariat\": \"statements@ietf.test\",\n"
    " \"areas\": {\n"
    "  \"rtg\": {\"name\": \"Routing Area\", \"ads\": \"rtg-ads@ietf.test\"}\n"
    " },\n"
    " \"groups\": {\n"
    "  \"ccamp\": {\"name\": \"Common Control and Measurement Plane\", \"area\": \"rtg\",\n"
    "            \"list\": \"ccamp@ietf.test\", \"chairs\": \"ccamp-chairs@ietf.test\"}\n"
    " },\n"
    " \"peers\": {\n"
    "  \"bbf\": {\"name\": \"Broadband Forum\", \"aka\": [\"BBF\"], \"domains\": [\"bbf.test\"],\n"
    "          \"liaison_manager\": \"bbf-manager@ietf.test\"}\n"
    " },\n"
    " \"routing_rule\": \"For people to read.\"\n"
    "}\n";

/* Write text to a new temporary file; its path, to be unlinked. */
static char *
write_tmp(const char *text)
{
    GError *err = NULL;
    char *path = NULL;
    int fd = g_file_open_tmp("liaison-directory-XXXXXX.json", &path, &err);
    size_t len = strlen(text);

    if (fd < 0)
        fail_msg("g_file_open_tmp: %s", err->message);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
    return path;
}

/* Load text as a directory file; NULL with *err when refused. */
static struct directory *
load_text(const char *text, char **path_out, GError **err)
{
    char *path = write_tmp(text);
    struct directory *d = directory_load(path, err);

    g_unlink(path);
    if (path_out != NULL)
        *path_out = path;
    else
        g_free(path);
    return d;
}

/* base with its one occurrence of from replaced by to; the test fails when
 * from is not there, so that a case cannot silently test the base. */
static char *
replaced(const char *from, const char *to)
{
    const char *at = strstr(base, from);

    if (at == NULL || strstr(at + 1, from) != NULL)
        fail_msg("\"%s\" is not in the base directory exactly once", from);
    return g_strdup_printf("%.*s%s%s", (int)(at - base), base, to, at + strlen(from));
}

/* How many times needle occurs in hay. */
static int
occurrences(const char *hay, const char *needle)
{
    int n = 0;

    for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Load file, which must load, and check what routing needs from it. */
static void
assert_loads(const char *file)
{
    GError *err = NULL;
    struct directory *d = directory_load(file, &err);
    const struct dir_group *g;

    if (d == NULL)
        fail_msg("%s", err->message);
    assert_true(directory_is_intake(d, "liaisons@ietf.test"));
    assert_string_equal(directory_iesg(d), "iesg@ietf.test");
    assert_string_equal(directory_chair(d), "chair@ietf.test");
    g = directory_group(d, "ccamp");
    assert_non_null(g);
    assert_string_equal(g->area, "rtg");
    assert_string_equal(g->list, "ccamp@ietf.test");
    assert_string_equal(g->chairs, "ccamp-chairs@ietf.test");
    assert_string_equal(directory_area(d, "rtg")->ads, "rtg-ads@ietf.test");
    assert_non_null(directory_peer(d, "bbf"));
    assert_string_equal(directory_peer(d, "bbf")->liaison_manager, "bbf-manager@ietf.test");
    assert_string_equal(directory_peer_by_addr(d, "x@bbf.test")->key, "bbf");
    directory_free(d);
}

/* The directory shipped in conf/ and the corpus's, which the other tests
 * use, load; so does the small one the cases below change. */
static void
test_shipped_load(void **state)
{
    g_autofree char *conf = g_build_filename(SRCDIR, "conf", "directory.json", NULL);
    g_autofree char *corpus = g_build_filename(SRCDIR, "tests", "corpus", "directory.json", NULL);
    g_autofree char *small = write_tmp(base);

    assert_loads(conf);
    assert_loads(corpus);
    assert_loads(small);
    g_unlink(small);
}

/* directory_keys gives every group, then every area, in the file's order;
 * directory_assigns takes a group's own statements, and an area's and its
 * groups', in any case; without a directory only the key itself. */
static void
test_keys_and_assigns(void **state)
{
    g_autofree char *corpus = g_build_filename(SRCDIR, "tests", "corpus", "directory.json", NULL);
    g_autoptr(GPtrArray) keys = g_ptr_array_new();
    g_autoptr(GPtrArray) ccamp = g_ptr_array_new();
    g_autoptr(GPtrArray) two = g_ptr_array_new();
    g_autoptr(GPtrArray) none = g_ptr_array_new();
    GError *err = NULL;
    struct directory *d = directory_load(corpus, &err);
    gboolean seen_area = FALSE;

    (void) state;
    if (d == NULL)
        fail_msg("%s", err->message);
    directory_keys(d, keys);
    assert_true(keys->len > 2);
    assert_true(g_ptr_array_find_with_equal_func(keys, "ccamp", g_str_equal, NULL));
    assert_true(g_ptr_array_find_with_equal_func(keys, "rtg", g_str_equal, NULL));
    for (guint i = 0; i < keys->len; i++) {
        const char *k = g_ptr_array_index(keys, i);

        /* Groups first: once an area is seen, no group follows. */
        if (directory_area(d, k) != NULL)
            seen_area = TRUE;
        else if (seen_area)
            fail_msg("group %s after an area", k);
        else
            assert_non_null(directory_group(d, k));
    }
    g_ptr_array_add(ccamp, "ccamp");
    g_ptr_array_add(two, "ippm");
    g_ptr_array_add(two, "CCAMP");
    assert_true(directory_assigns(d, ccamp, "ccamp"));
    assert_true(directory_assigns(d, ccamp, "CCAMP"));
    assert_true(directory_assigns(d, ccamp, "rtg"));        /* ccamp's area */
    assert_false(directory_assigns(d, ccamp, "ops"));
    assert_false(directory_assigns(d, ccamp, "netmod"));
    assert_true(directory_assigns(d, two, "rtg"));          /* by its second group */
    assert_true(directory_assigns(d, two, "ops"));          /* ippm's area */
    assert_false(directory_assigns(d, none, "rtg"));
    assert_false(directory_assigns(NULL, ccamp, "rtg"));    /* no directory, no areas */
    assert_true(directory_assigns(NULL, ccamp, "Ccamp"));
    directory_free(d);
}

/* Only "iesg" is required at the top level, "ads" in an area and "chairs"
 * in a group; a group may have no area and a peer only a domain. */
static void
test_optional_members(void **state)
{
    static const char *const ok[] = {
        "{\"iesg\": \"iesg@ietf.test\"}",
        "{\"iesg\": \"iesg@ietf.test\", \"areas\": {}, \"groups\": {}, \"peers\": {}}",
        "{\"iesg\": \"iesg@ietf.test\", \"groups\": {\"iab\": {\"chairs\": \"iab@ietf.test\"}},"
        " \"peers\": {\"etsi\": {\"domains\": [\"etsi.test\"]}}}",
        /* null is "not given", as a script writing None means it. */
        "{\"iesg\": \"iesg@ietf.test\", \"intake\": null, \"peers\": null, \"groups\":"
        " {\"iab\": {\"chairs\": \"iab@ietf.test\", \"list\": null, \"area\": null}}}",
    };

    for (size_t i = 0; i < G_N_ELEMENTS(ok); i++) {
        GError *err = NULL;
        struct directory *d = load_text(ok[i], NULL, &err);

        if (d == NULL)
            fail_msg("case %zu: %s", i, err->message);
        assert_null(directory_first_intake(d));
        directory_free(d);
    }
}

/* What the checks of names and domains must still take: a name with
 * punctuation and a letter or digit in it, one of another script, a
 * domain of several labels, and the shipped names ("3GPP", "ITU-T SG 15"). */
static void
test_names_and_domains_accepted(void **state)
{
    static const char text[] =
        "{\"iesg\": \"iesg@ietf.test\",\n"
        " \"groups\": {\"6man\": {\"name\": \"IPv6 Maintenance\", \"chairs\": \"6man-chairs@ietf.test\"}},\n"
        " \"peers\": {\n"
        "  \"itu-t-sg15\": {\"name\": \"ITU-T SG 15\", \"aka\": [\"Q.14/15\", \"3\"],"
        " \"domains\": [\"itu.test\", \"sg15.itu.test\"]},\n"
        "  \"rst\": {\"name\": \"\u0420\u043e\u0441\u0441\u0442\u0430\u043d\u0434\u0430\u0440\u0442\","
        " \"domains\": [\"gost.test\"]}\n"
        " }}\n";
    GError *err = NULL;
    struct directory *d = load_text(text, NULL, &err);

    (void) state;
    if (d == NULL)
        fail_msg("%s", err->message);
    assert_string_equal(directory_peer_by_addr(d, "a@mail.sg15.itu.test")->key, "itu-t-sg15");
    assert_string_equal(directory_peer_by_name(d, "\u0420\u043e\u0441\u0441\u0442\u0430\u043d\u0434\u0430\u0440\u0442")->key,
                        "rst");
    assert_non_null(directory_group(d, "6man"));
    directory_free(d);
}

/* One fault: the replacement that makes it, and what the message must
 * hold (the member's path and what was expected). */
struct fault {
    const char *from, *to;
    const char *want[3];
};

static const struct fault faults[] = {
    /* A string for the intake list meant no intake address at all. */
    { "\"intake\": [\"liaisons@ietf.test\"]", "\"intake\": \"liaisons@ietf.test\"",
      { "intake: expected a list of addresses", "not a string" } },
    { "\"intake\": [\"liaisons@ietf.test\"]", "\"intake\": []",
      { "intake: an empty list" } },
    { "\"intake\": [\"liaisons@ietf.test\"]", "\"intake\": [\"liaisons\"]",
      { "intake[0]: \"liaisons\" is not an address" } },
    { "\"intake\": [\"liaisons@ietf.test\"]", "\"intake\": [\"liaisons@ietf.test\", 7]",
      { "intake[1]: expected a string", "not a number" } },
    /* Unknown members, at each level. */
    { "\"groups\": {", "\"group\": {",
      { "unknown member \"group\" at the top level", "expected one of: intake, iesg," } },
    { "\"ads\": \"rtg-ads@ietf.test\"", "\"ad\": \"rtg-ads@ietf.test\"",
      { "areas.rtg: unknown member \"ad\"", "(expected one of: name, ads, people)" } },
    { "\"list\": \"ccamp@ietf.test\"", "\"lists\": \"ccamp@ietf.test\"",
      { "groups.ccamp: unknown member \"lists\" (expected one of: name, area, list, chairs, people)" } },
    { "\"liaison_manager\"", "\"liaison_manger\"",
      { "peers.bbf: unknown member \"liaison_manger\"", "liaison_manager, people)" } },
    /* Wrong types. */
    { "\"ads\": \"rtg-ads@ietf.test\"", "\"ads\": [\"a@ietf.test\", \"b@ietf.test\"]",
      { "areas.rtg.ads: expected a string", "not a list" } },
    { "\"ads\": \"rtg-ads@ietf.test\"", "\"ads\": \"a@ietf.test, b@ietf.test\"",
      { "areas.rtg.ads: \"a@ietf.test, b@ietf.test\" is not an address" } },
    { "\"chairs\": \"ccamp-chairs@ietf.test\"", "\"chairs\": 5",
      { "groups.ccamp.chairs: expected a string", "not a number" } },
    { "\"chairs\": \"ccamp-chairs@ietf.test\"", "\"chairs\": null",
      { "groups.ccamp: \"chairs\"", "is missing" } },
    { "\"name\": \"Routing Area\"", "\"name\": \"\"",
      { "areas.rtg.name: empty" } },
    { "\"aka\": [\"BBF\"]", "\"aka\": \"BBF\"",
      { "peers.bbf.aka: expected a list of strings", "not a string" } },
    { "\"domains\": [\"bbf.test\"]", "\"domains\": [\"x@bbf.test\"]",
      { "peers.bbf.domains[0]: \"x@bbf.test\" is not a mail domain" } },
    { "\"iesg\": \"iesg@ietf.test\"", "\"iesg\": [\"iesg@ietf.test\"]",
      { "iesg: expected a string", "not a list" } },
    { "\"routing_rule\": \"For people to read.\"", "\"routing_rule\": [\"For people\"]",
      { "routing_rule: expected a string" } },
    /* An entry that is not an object used to be skipped with a
     * Json-CRITICAL on stderr. */
    { "\"ccamp\": {\"name\": \"Common Control and Measurement Plane\", \"area\": \"rtg\",\n"
      "            \"list\": \"ccamp@ietf.test\", \"chairs\": \"ccamp-chairs@ietf.test\"}",
      "\"ccamp\": \"x@ietf.test\"",
      { "groups.ccamp: expected an object", "not a string" } },
    { "\"areas\": {\n  \"rtg\": {\"name\": \"Routing Area\", \"ads\": \"rtg-ads@ietf.test\"}\n }",
      "\"areas\": [\"rtg\"]",
      { "areas: expected an object", "not a list" } },
    /* Missing required members and an unknown area: one message each. */
    { "\"iesg\": \"iesg@ietf.test\",", "",
      { "\"iesg\" (the address of homeless statements) is missing" } },
    { ", \"chairs\": \"ccamp-chairs@ietf.test\"", "",
      { "groups.ccamp: \"chairs\"", "is missing" } },
    { ", \"ads\": \"rtg-ads@ietf.test\"", "",
      { "areas.rtg: \"ads\"", "is missing" } },
    { "\"area\": \"rtg\"", "\"area\": \"rtgg\"",
      { "groups.ccamp.area: unknown area \"rtgg\"", "(the areas are: rtg)" } },
    /* Keys that lookups, which ignore case, could not tell apart. */
    { "\"rtg\": {", "\"RTG\": {\"ads\": \"x@ietf.test\"}, \"rtg\": {",
      { "areas.rtg: a second entry for \"rtg\"" } },
    /* A group with an area's key, and "iesg" as a key: reassign, list
     * --group and the published pages could not tell them apart. */
    { "\"ccamp\": {\"name\"", "\"Rtg\": {\"name\"",
      { "groups.Rtg: an area has the key \"rtg\" too" } },
    { "\"ccamp\": {\"name\"", "\"iesg\": {\"name\"",
      { "groups.iesg: \"iesg\" names the IESG" } },
    /* A member given twice: JSON keeps only one of them. */
    { "\"list\": \"ccamp@ietf.test\"", "\"list\": \"ccamp@ietf.test\", \"list\": \"x@ietf.test\"",
      { "groups.ccamp.list: given twice" } },
    { "\"peers\": {", "\"peers\": {\"bbf\": {\"domains\": [\"a.test\"]},",
      { "peers.bbf: given twice" } },
    /* A name of punctuation only matched any " - " in a To line. */
    { "\"ccamp\": {\"name\"", "\"-\": {\"name\"",
      { "groups.-: the key \"-\" has no letter or digit" } },
    { "\"rtg\": {", "\"//\": {\"ads\": \"x@ietf.test\"}, \"rtg\": {",
      { "areas.//: the key \"//\" has no letter or digit" } },
    { "\"name\": \"Common Control and Measurement Plane\"", "\"name\": \" - \"",
      { "groups.ccamp.name: \" - \" has no letter or digit" } },
    { "\"name\": \"Routing Area\"", "\"name\": \"&\"",
      { "areas.rtg.name: \"&\" has no letter or digit" } },
    { "\"name\": \"Broadband Forum\"", "\"name\": \"--\"",
      { "peers.bbf.name: \"--\" has no letter or digit" } },
    { "\"aka\": [\"BBF\"]", "\"aka\": [\"BBF\", \"-\"]",
      { "peers.bbf.aka[1]: \"-\" has no letter or digit" } },
    { "\"aka\": [\"BBF\"]", "\"aka\": [\" \"]",
      { "peers.bbf.aka[0]: \" \" has no letter or digit" } },
    /* A key of blanks only, which no command line could name. */
    { "\"bbf\": {", "\"  \": {",
      { "peers: an entry whose key \"  \" is blanks only" } },
    { "\"ccamp\": {\"name\"", "\" \": {\"name\"",
      { "groups: an entry whose key \" \" is blanks only" } },
    /* A bare top-level domain made the peer own every address under it;
     * a dot at either end, or two together, matched no address at all. */
    { "\"domains\": [\"bbf.test\"]", "\"domains\": [\"bbf.test\", \"com\"]",
      { "peers.bbf.domains[1]: \"com\" is a top-level domain alone" } },
    { "\"domains\": [\"bbf.test\"]", "\"domains\": [\".bbf.test\"]",
      { "peers.bbf.domains[0]: \".bbf.test\" begins with a dot" } },
    { "\"domains\": [\"bbf.test\"]", "\"domains\": [\"bbf.test.\"]",
      { "peers.bbf.domains[0]: \"bbf.test.\" ends with a dot" } },
    { "\"domains\": [\"bbf.test\"]", "\"domains\": [\"bbf..test\"]",
      { "peers.bbf.domains[0]: \"bbf..test\" has an empty label" } },
    { "\"domains\": [\"bbf.test\"]", "\"domains\": [\".\"]",
      { "peers.bbf.domains[0]: \".\" begins with a dot" } },
};

/* Each fault is refused, the message naming the file once and the path of
 * the member. */
static void
test_faults(void **state)
{
    for (size_t i = 0; i < G_N_ELEMENTS(faults); i++) {
        const struct fault *f = &faults[i];
        g_autofree char *text = replaced(f->from, f->to);
        g_autofree char *path = NULL;
        GError *err = NULL;
        struct directory *d = load_text(text, &path, &err);

        if (d != NULL)
            fail_msg("case %zu (%s): loaded", i, f->to);
        assert_non_null(err);
        if (occurrences(err->message, path) != 1)
            fail_msg("case %zu: the file is not named once: %s", i, err->message);
        for (size_t k = 0; k < G_N_ELEMENTS(f->want) && f->want[k] != NULL; k++)
            if (strstr(err->message, f->want[k]) == NULL)
                fail_msg("case %zu: \"%s\" not in: %s", i, f->want[k], err->message);
        g_error_free(err);
    }
}

/* A syntax error names the file once, with the line and column. */
static void
test_syntax_error(void **state)
{
    g_autofree char *path = NULL;
    g_autofree char *want = NULL;
    GError *err = NULL;

    assert_null(load_text("{\n \"iesg\": \"iesg@ietf.test\",\n \"groups\": {\n", &path, &err));
    assert_non_null(err);
    want = g_strdup_printf("directory %s:", path);
    if (!g_str_has_prefix(err->message, want) || occurrences(err->message, path) != 1
        || !g_ascii_isdigit(err->message[strlen(want)]))
        fail_msg("not \"directory FILE:LINE:COLUMN: ...\": %s", err->message);
    g_clear_error(&err);

    assert_null(directory_load("/nonexistent/directory.json", &err));
    assert_non_null(strstr(err->message, "/nonexistent/directory.json"));
    g_error_free(err);
}

/* The people who may act for a group's chairs or an area's ADs (commands
 * by mail): the routed address itself, and those listed, in any case. */
static void
test_people(void **state)
{
    g_autofree char *text = replaced("\"chairs\": \"ccamp-chairs@ietf.test\"}",
                                     "\"chairs\": \"ccamp-chairs@ietf.test\",\n"
                                     " \"people\": [\"alice@example.test\", \"Bob@Example.test\"]}");
    g_autofree char *path = NULL;
    GError *err = NULL;
    struct directory *d;

    path = write_tmp(text);
    d = directory_load(path, &err);
    g_unlink(path);
    if (d == NULL)
        fail_msg("%s", err->message);
    assert_true(directory_speaks_for(d, "ccamp-chairs@ietf.test", "ccamp-chairs@ietf.test"));
    assert_true(directory_speaks_for(d, "ccamp-chairs@ietf.test", "bob@example.test"));
    assert_true(directory_speaks_for(d, "CCAMP-chairs@ietf.test", "Alice@example.test"));
    assert_false(directory_speaks_for(d, "rtg-ads@ietf.test", "alice@example.test"));
    assert_false(directory_speaks_for(d, "ccamp@ietf.test", "alice@example.test"));
    assert_false(directory_speaks_for(d, "bbf-manager@ietf.test", "alice@example.test"));
    assert_false(directory_speaks_for(d, "ccamp-chairs@ietf.test", "mallory@example.test"));
    directory_free(d);
}

/* A peer's liaison manager, an alias too, has people of its own; they
 * act for that manager only. */
static void
test_peer_people(void **state)
{
    g_autofree char *text = replaced("\"liaison_manager\": \"bbf-manager@ietf.test\"}",
                                     "\"liaison_manager\": \"bbf-manager@ietf.test\",\n"
                                     " \"people\": [\"carol@example.test\"]}");
    g_autofree char *path = write_tmp(text);
    GError *err = NULL;
    struct directory *d = directory_load(path, &err);

    (void) state;
    g_unlink(path);
    if (d == NULL)
        fail_msg("%s", err->message);
    assert_int_equal(directory_peer(d, "bbf")->people->len, 1);
    assert_true(directory_speaks_for(d, "bbf-manager@ietf.test", "carol@example.test"));
    assert_true(directory_speaks_for(d, "BBF-Manager@ietf.test", "Carol@example.test"));
    assert_false(directory_speaks_for(d, "bbf-manager@ietf.test", "mallory@example.test"));
    assert_false(directory_speaks_for(d, "ccamp-chairs@ietf.test", "carol@example.test"));
    directory_free(d);
}

/* Of peers whose names overlap, the From body names the one whose name in
 * it is the longest, wherever the file lists it: an umbrella body listed
 * first ("ITU-T") took every statement of its study groups, their
 * liaison manager left uncopied. */
static void
test_peer_longest_name(void **state)
{
    static const char text[] =
        "{\"iesg\": \"iesg@ietf.test\", \"peers\": {\n"
        " \"itu-t\": {\"name\": \"ITU-T\", \"aka\": [\"ITU\"], \"domains\": [\"itu.test\"]},\n"
        " \"itu-t-sg15\": {\"name\": \"ITU-T Study Group 15\", \"aka\": [\"ITU-T SG15\"],"
        " \"domains\": [\"itu.test\"]},\n"
        " \"bbf\": {\"name\": \"Broadband Forum\"}\n"
        "}}\n";
    GError *err = NULL;
    struct directory *d = load_text(text, NULL, &err);

    (void) state;
    if (d == NULL)
        fail_msg("%s", err->message);
    assert_string_equal(directory_peer_by_name(d, "ITU-T Study Group 15")->key, "itu-t-sg15");
    assert_string_equal(directory_peer_by_name(d, "ITU-T SG15 (Question 14/15)")->key, "itu-t-sg15");
    assert_string_equal(directory_peer_by_name(d, "ITU-T")->key, "itu-t");
    assert_string_equal(directory_peer_by_name(d, "ITU-T Study Group 13")->key, "itu-t");
    /* Two bodies named: the longer name, then the earlier. */
    assert_string_equal(directory_peer_by_name(d, "ITU-T and the Broadband Forum")->key, "bbf");
    assert_string_equal(directory_peer_by_name(d, "ITU, BBF and ITU-T SG15")->key, "itu-t-sg15");
    assert_null(directory_peer_by_name(d, "ETSI"));
    directory_free(d);
}

/* The IETF's own domain is that of an intake address, the IESG's, the
 * chair's or the secretariat's, exactly; "own or below" adds the hosts
 * under it, by whole labels only. */
static void
test_own_domain(void **state)
{
    g_autofree char *conf = g_build_filename(SRCDIR, "conf", "directory.json", NULL);
    GError *err = NULL;
    struct directory *d = directory_load(conf, &err);
    static const struct {
        const char *addr;
        gboolean own, below;
    } rows[] = {
        { "liaisons@ietf.test", TRUE, TRUE },
        { "someone@IETF.TEST", TRUE, TRUE },
        { "root@mail.ietf.test", FALSE, TRUE },
        { "x@a.b.ietf.test", FALSE, TRUE },
        { "x@evilietf.test", FALSE, FALSE },
        { "x@ietf.test.evil.test", FALSE, FALSE },
        { "x@test", FALSE, FALSE },
        { "x@", FALSE, FALSE },
        { "ietf.test", FALSE, FALSE },
        { NULL, FALSE, FALSE },
    };

    (void) state;
    if (d == NULL)
        fail_msg("%s", err->message);
    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        if (directory_is_own_domain(d, rows[i].addr) != rows[i].own
            || directory_is_own_or_below(d, rows[i].addr) != rows[i].below)
            fail_msg("%s: own %d, own or below %d; expected %d, %d",
                     rows[i].addr != NULL ? rows[i].addr : "(null)",
                     directory_is_own_domain(d, rows[i].addr),
                     directory_is_own_or_below(d, rows[i].addr), rows[i].own, rows[i].below);
    }
    directory_free(d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_load),
        cmocka_unit_test(test_optional_members),
        cmocka_unit_test(test_faults),
        cmocka_unit_test(test_names_and_domains_accepted),
        cmocka_unit_test(test_syntax_error),
        cmocka_unit_test(test_people),
        cmocka_unit_test(test_peer_people),
        cmocka_unit_test(test_keys_and_assigns),
        cmocka_unit_test(test_peer_longest_name),
        cmocka_unit_test(test_own_domain),
    };

    /* A Json-CRITICAL (a wrong type taken for another) fails the test. */
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
    return cmocka_run_group_tests_name("directory", tests, NULL, NULL);
}
