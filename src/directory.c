/*
 * directory.c: the IETF directory (groups, areas, officers) and the peers
 * that send liaison statements, loaded from conf/directory.json.
 *
 * Senders name IETF bodies loosely ("IETF CCAMP WG", "the Common Control
 * and Measurement Plane working group", "IETF Routing Area"), so each group,
 * area and peer gets one PCRE2 pattern, compiled once at load, that accepts
 * the acronym, the full name and the usual decorations.  Patterns are
 * matched with match data made per call, so one loaded directory can be
 * shared by all milter threads.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <json-glib/json-glib.h>

#include "directory.h"

struct matcher {
    pcre2_code *re;
    const void *target;         /* the dir_group, dir_area or dir_peer */
};

struct directory {
    GPtrArray *intake;          /* char*: lower-case addresses */
    char   *iesg, *chair, *secretariat;
    GPtrArray *areas;           /* struct dir_area* */
    GPtrArray *groups;          /* struct dir_group* */
    GPtrArray *peers;           /* struct dir_peer* */
    GArray *group_re, *area_re, *peer_re;   /* struct matcher */
};

/* Free an area. */
static void
area_free(gpointer p)
{
    struct dir_area *a = p;

    g_free(a->key); g_free(a->name); g_free(a->ads);
    g_ptr_array_unref(a->people);
    g_free(a);
}

/* Free a group. */
static void
group_free(gpointer p)
{
    struct dir_group *g = p;

    g_free(g->key); g_free(g->name); g_free(g->area);
    g_free(g->list); g_free(g->chairs);
    g_ptr_array_unref(g->people);
    g_free(g);
}

/* Free a peer. */
static void
peer_free(gpointer p)
{
    struct dir_peer *pe = p;

    g_free(pe->key); g_free(pe->name); g_free(pe->liaison_manager);
    g_ptr_array_unref(pe->aka);
    g_ptr_array_unref(pe->domains);
    g_ptr_array_unref(pe->people);
    g_free(pe);
}

/* Free a compiled matcher (a GArray clear function). */
static void
matcher_clear(gpointer p)
{
    struct matcher *m = p;

    pcre2_code_free(m->re);
}

/*
 * The file's schema.  Every member the file may hold is one row of the
 * tables below: its name, what it holds, whether it is required and where
 * an entry keeps it.  A member no table names, a value of another type and
 * a missing required member are refused, each with the member's path
 * ("groups.ccamp.list"): the loader used to take all three as "not given",
 * so that a typo silently routed statements elsewhere or let intake mail
 * through unrecorded.  liaisond.conf(5), THE DIRECTORY FILE, follows these
 * tables.
 */

/* What a member holds: how it is checked and kept. */
enum member_kind {
    MK_NAME,                    /* a name senders write (a letter or digit in
                                   it), kept as written */
    MK_KEY,                     /* the key of an area, lower-cased */
    MK_ADDRESS,                 /* one address (local@domain), lower-cased */
    MK_NAMES,                   /* a list of names, as written */
    MK_DOMAINS,                 /* a list of mail domains (a dot inside each,
                                   none at either end), lower-cased */
    MK_ADDRESSES,               /* a non-empty list of addresses, lower-cased */
    MK_NOTE,                    /* a string for people to read, not kept */
    MK_TABLE,                   /* an object of entries: load_areas and co. */
};

struct member {
    const char *name;
    enum member_kind kind;
    const char *required;       /* what it is for, when required; else NULL */
    gssize  offset;             /* of its char* or GPtrArray* field, or NOWHERE */
};

#define NOWHERE ((gssize)-1)

static const struct member top_members[] = {
    { "intake", MK_ADDRESSES, NULL, offsetof(struct directory, intake) },
    { "iesg", MK_ADDRESS, "the address of homeless statements",
      offsetof(struct directory, iesg) },
    { "ietf_chair", MK_ADDRESS, NULL, offsetof(struct directory, chair) },
    { "secretariat", MK_ADDRESS, NULL, offsetof(struct directory, secretariat) },
    { "areas", MK_TABLE, NULL, NOWHERE },
    { "groups", MK_TABLE, NULL, NOWHERE },
    { "peers", MK_TABLE, NULL, NOWHERE },
    { "routing_rule", MK_NOTE, NULL, NOWHERE },
};

static const struct member area_members[] = {
    { "name", MK_NAME, NULL, offsetof(struct dir_area, name) },
    { "ads", MK_ADDRESS, "the address statements to the area are assigned to",
      offsetof(struct dir_area, ads) },
    { "people", MK_ADDRESSES, NULL, offsetof(struct dir_area, people) },
};

static const struct member group_members[] = {
    { "name", MK_NAME, NULL, offsetof(struct dir_group, name) },
    { "area", MK_KEY, NULL, offsetof(struct dir_group, area) },
    { "list", MK_ADDRESS, NULL, offsetof(struct dir_group, list) },
    { "chairs", MK_ADDRESS, "the address statements to the group are assigned to",
      offsetof(struct dir_group, chairs) },
    { "people", MK_ADDRESSES, NULL, offsetof(struct dir_group, people) },
};

static const struct member peer_members[] = {
    { "name", MK_NAME, NULL, offsetof(struct dir_peer, name) },
    { "aka", MK_NAMES, NULL, offsetof(struct dir_peer, aka) },
    { "domains", MK_DOMAINS, NULL, offsetof(struct dir_peer, domains) },
    { "liaison_manager", MK_ADDRESS, NULL, offsetof(struct dir_peer, liaison_manager) },
    { "people", MK_ADDRESSES, NULL, offsetof(struct dir_peer, people) },
};

/* Set *err to "PATH: message", or to the message alone at the top level
 * (path ""); returns FALSE for the caller to return. */
static gboolean G_GNUC_PRINTF(3, 4)
refuse(GError **err, const char *path, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (*path == '\0')
        g_set_error_literal(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, msg);
    else
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: %s", path, msg);
    return FALSE;
}

/* The path of member name inside path: "groups" and "ccamp" make
 * "groups.ccamp"; at the top level (path "") just the name. */
static char *
path_join(const char *path, const char *name)
{
    return *path == '\0' ? g_strdup(name) : g_strconcat(path, ".", name, NULL);
}

/* What a JSON node is, as a message puts it: "a list", "a string"... */
static const char *
node_kind(JsonNode *n)
{
    GType t;

    if (JSON_NODE_HOLDS_OBJECT(n))
        return "an object";
    if (JSON_NODE_HOLDS_ARRAY(n))
        return "a list";
    if (JSON_NODE_HOLDS_NULL(n))
        return "null";
    t = json_node_get_value_type(n);
    if (t == G_TYPE_STRING)
        return "a string";
    if (t == G_TYPE_BOOLEAN)
        return "true or false";
    return "a number";
}

/* TRUE when n is a JSON string. */
static gboolean
is_string(JsonNode *n)
{
    return JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING;
}

/* What a member of kind k must be, as a message puts it. */
static const char *
kind_expected(enum member_kind k)
{
    switch (k) {
    case MK_KEY:
        return "a string (the key of an area)";
    case MK_ADDRESS:
        return "a string (one address)";
    case MK_NAMES:
        return "a list of strings";
    case MK_DOMAINS:
        return "a list of mail domains";
    case MK_ADDRESSES:
        return "a list of addresses";
    case MK_TABLE:
        return "an object";
    case MK_NAME:
    case MK_NOTE:
        break;
    }
    return "a string";
}

/* TRUE when s is one bare address, local@domain.  Blanks, angle brackets,
 * commas and semicolons mean a display name or several addresses in one
 * string, which would be mailed as one invalid recipient. */
static gboolean
is_address(const char *s)
{
    const char *at = strrchr(s, '@');

    return at != NULL && at != s && at[1] != '\0' && strpbrk(s, " \t\r\n<>,;") == NULL;
}

/* TRUE when s can be a mail domain: no '@', no blanks. */
static gboolean
is_domain(const char *s)
{
    return strpbrk(s, "@ \t\r\n<>,;") == NULL;
}

/* TRUE when s holds a letter or a digit, of any script.  A name of
 * punctuation only ("-", "/") is no name: its pattern would match that
 * mark wherever a To line has it between blanks ("IETF - CCAMP"). */
static gboolean
has_alnum(const char *s)
{
    gboolean utf8 = g_utf8_validate(s, -1, NULL);

    for (const char *p = s; *p != '\0'; p = utf8 ? g_utf8_next_char(p) : p + 1)
        if (utf8 ? g_unichar_isalnum(g_utf8_get_char(p)) : g_ascii_isalnum(*p))
            return TRUE;
    return FALSE;
}

/* TRUE when s is blanks only (or empty). */
static gboolean
is_blank(const char *s)
{
    while (g_ascii_isspace(*s))
        s++;
    return *s == '\0';
}

/* Check a peer's mail domain s, at path, for what would make it own too
 * much or nothing: directory_peer_owns takes a domain and every name
 * below it, so "com" would make every address under .com the peer's,
 * while ".itu.int" and "itu.int." match no address (an address's domain
 * has no dot at either end) and the peer's contacts are silently never
 * copied. */
static gboolean
check_domain(const char *s, const char *path, GError **err)
{
    if (!is_domain(s))
        return refuse(err, path, "\"%s\" is not a mail domain (expected a name such as"
                      " itu.int)", s);
    if (*s == '.')
        return refuse(err, path, "\"%s\" begins with a dot, and would match no address"
                      " (write the domain alone, such as itu.int: the names below it count"
                      " too)", s);
    if (s[strlen(s) - 1] == '.')
        return refuse(err, path, "\"%s\" ends with a dot, and would match no address"
                      " (write it without, such as itu.int)", s);
    if (strstr(s, "..") != NULL)
        return refuse(err, path, "\"%s\" has an empty label (\"..\"), and would match no"
                      " address", s);
    if (strchr(s, '.') == NULL)
        return refuse(err, path, "\"%s\" is a top-level domain alone, which would make"
                      " every address under it the peer's (expected a name with a dot in"
                      " it, such as itu.int)", s);
    return TRUE;
}

/* Check one string s of a member of kind k at path. */
static gboolean
check_string(const char *s, enum member_kind k, const char *path, GError **err)
{
    if (k == MK_NOTE)
        return TRUE;
    if (*s == '\0')
        return refuse(err, path, "empty (expected %s)",
                      k == MK_ADDRESS || k == MK_ADDRESSES ? "an address, local@domain"
                      : k == MK_DOMAINS ? "a mail domain" : "a non-empty string");
    if ((k == MK_ADDRESS || k == MK_ADDRESSES) && !is_address(s))
        return refuse(err, path, "\"%s\" is not an address (expected one address,"
                      " local@domain, with no display name)", s);
    if (k == MK_DOMAINS)
        return check_domain(s, path, err);
    /* A name is matched in To and From lines: one with no letter or digit
     * would match stray punctuation there. */
    if ((k == MK_NAME || k == MK_NAMES) && !has_alnum(s))
        return refuse(err, path, "\"%s\" has no letter or digit (a name of punctuation or"
                      " blanks only would match any such mark in a To or From line)", s);
    return TRUE;
}

/* The value of s for keeping: lower-cased for the kinds compared without
 * regard to case (addresses, domains, keys). */
static char *
keep_string(const char *s, enum member_kind k)
{
    if (k == MK_KEY || k == MK_ADDRESS || k == MK_DOMAINS || k == MK_ADDRESSES)
        return g_ascii_strdown(s, -1);
    return g_strdup(s);
}

/* Check the value n of member m at path and keep it in the struct at base
 * (the directory, or an area, group or peer). */
static gboolean
read_member(JsonNode *n, const struct member *m, const char *path, void *base,
            GError **err)
{
    gboolean list = m->kind == MK_NAMES || m->kind == MK_DOMAINS || m->kind == MK_ADDRESSES;
    JsonArray *a;
    GPtrArray *into;

    if (m->kind == MK_TABLE)
        return TRUE;
    if (!list) {
        const char *s;

        if (!is_string(n))
            return refuse(err, path, "expected %s, not %s", kind_expected(m->kind), node_kind(n));
        s = json_node_get_string(n);
        if (!check_string(s, m->kind, path, err))
            return FALSE;
        if (m->offset != NOWHERE)
            *(char **)((char *)base + m->offset) = keep_string(s, m->kind);
        return TRUE;
    }
    if (!JSON_NODE_HOLDS_ARRAY(n))
        return refuse(err, path, "expected %s, not %s", kind_expected(m->kind), node_kind(n));
    a = json_node_get_array(n);
    /* An intake member that lists nothing is a mistake, not a choice: to
     * take the intake addresses from liaisond.conf only, leave it out. */
    if (m->kind == MK_ADDRESSES && json_array_get_length(a) == 0)
        return refuse(err, path, "an empty list (expected %s; to give none, leave the"
                      " member out)", kind_expected(m->kind));
    into = *(GPtrArray **)((char *)base + m->offset);
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonNode *e = json_array_get_element(a, i);
        g_autofree char *epath = g_strdup_printf("%s[%u]", path, i);

        if (!is_string(e))
            return refuse(err, epath, "expected %s, not %s",
                          m->kind == MK_NAMES ? "a string"
                          : m->kind == MK_DOMAINS ? "a string (one mail domain)"
                          : "a string (one address)",
                          node_kind(e));
        if (!check_string(json_node_get_string(e), m->kind, epath, err))
            return FALSE;
        g_ptr_array_add(into, keep_string(json_node_get_string(e), m->kind));
    }
    return TRUE;
}

/* The names of a table's members, for messages: "name, area, list". */
static char *
member_names(const struct member *spec, size_t n_spec)
{
    GString *s = g_string_new(NULL);

    for (size_t i = 0; i < n_spec; i++)
        g_string_append_printf(s, "%s%s", i > 0 ? ", " : "", spec[i].name);
    return g_string_free(s, FALSE);
}

/* Check the members of obj, at path, against the table spec and keep
 * their values in the struct at base.  Unknown members are looked for
 * first: "lists" for "list" is better told as a typo than as a list that
 * is missing. */
static gboolean
read_members(JsonObject *obj, const char *path, const struct member *spec, size_t n_spec,
              void *base, GError **err)
{
    g_autoptr(GList) names = json_object_get_members(obj);

    for (GList *l = names; l != NULL; l = l->next) {
        size_t i = 0;

        while (i < n_spec && strcmp(spec[i].name, l->data) != 0)
            i++;
        if (i == n_spec) {
            g_autofree char *expected = member_names(spec, n_spec);

            return refuse(err, path, "unknown member \"%s\"%s (expected one of: %s)",
                          (const char *)l->data, *path == '\0' ? " at the top level" : "",
                          expected);
        }
    }
    for (size_t i = 0; i < n_spec; i++) {
        JsonNode *v = json_object_get_member(obj, spec[i].name);
        g_autofree char *p = path_join(path, spec[i].name);

        /* null is "not given", as a script writing None means it. */
        if (v == NULL || JSON_NODE_HOLDS_NULL(v)) {
            if (spec[i].required != NULL)
                return refuse(err, path, "\"%s\" (%s) is missing", spec[i].name, spec[i].required);
            continue;
        }
        if (!read_member(v, &spec[i], p, base, err))
            return FALSE;
    }
    return TRUE;
}

/* The object of entries that root's member table holds (areas, groups,
 * peers); *out is NULL when the member is absent, which is allowed. */
static gboolean
table_object(JsonObject *root, const char *table, const struct member *spec, size_t n_spec,
             JsonObject **out, GError **err)
{
    JsonNode *n = json_object_get_member(root, table);

    *out = NULL;
    if (n == NULL || JSON_NODE_HOLDS_NULL(n))
        return TRUE;
    if (!JSON_NODE_HOLDS_OBJECT(n)) {
        g_autofree char *expected = member_names(spec, n_spec);

        return refuse(err, table, "expected an object whose members are \"KEY\": {%s},"
                      " not %s", expected, node_kind(n));
    }
    *out = json_node_get_object(n);
    return TRUE;
}

/* Check entry n, whose key is key, of a table at path table.key: a key
 * that is not blanks only, whose value is an object.  A key of blanks
 * only could not be typed to liaisonctl, nor read in a listing. */
static gboolean
check_entry(JsonNode *n, const char *table, const char *key, const char *path,
            const struct member *spec, size_t n_spec, GError **err)
{
    if (*key == '\0')
        return refuse(err, table, "an entry with an empty key");
    if (is_blank(key))
        return refuse(err, table, "an entry whose key \"%s\" is blanks only", key);
    if (!JSON_NODE_HOLDS_OBJECT(n)) {
        g_autofree char *expected = member_names(spec, n_spec);

        return refuse(err, path, "expected an object (members: %s), not %s",
                      expected, node_kind(n));
    }
    return TRUE;
}

/* Refuse an entry of list whose key differs from an earlier one's only in
 * case: lookups ignore case, so the later entry could never be found. */
static gboolean
check_unique_key(const GPtrArray *list, const char *key, const char *path, GError **err)
{
    for (guint i = 0; i < list->len; i++) {
        const char *const *k = g_ptr_array_index(list, i);

        if (g_ascii_strcasecmp(*k, key) == 0)
            return refuse(err, path, "a second entry for \"%s\" (keys are compared without"
                          " regard to case)", *k);
    }
    return TRUE;
}

/* Refuse a group or area key that names something else too, or nothing:
 * groups and areas share one set of names (reassign, list --group and the
 * published group/KEY/ pages take either by its key), "iesg" names the
 * IESG, and a key of punctuation only names no body. */
static gboolean
check_key_free(const struct directory *d, const char *key, const char *path, GError **err)
{
    const struct dir_area *a = directory_area(d, key);

    if (g_ascii_strcasecmp(key, "iesg") == 0)
        return refuse(err, path, "\"iesg\" names the IESG (the address \"iesg\"),"
                      " not a group or area");
    /* A group's key is one of its names in To lines, an area's with the
     * word "area" after it: punctuation alone would match stray marks. */
    if (!has_alnum(key))
        return refuse(err, path, "the key \"%s\" has no letter or digit (a group or area"
                      " is named by its key in To lines, and punctuation alone would match"
                      " any such mark there)", key);
    if (a != NULL)
        return refuse(err, path, "an area has the key \"%s\" too (groups and areas are"
                      " named by their keys alike)", a->key);
    return TRUE;
}

/* The keys of the areas, for a message: "rtg, ops". */
static char *
area_keys(const struct directory *d)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < d->areas->len; i++) {
        const struct dir_area *a = g_ptr_array_index(d->areas, i);

        g_string_append_printf(s, "%s%s", i > 0 ? ", " : "", a->key);
    }
    if (s->len == 0)
        g_string_append(s, "none, \"areas\" is missing or empty");
    return g_string_free(s, FALSE);
}

/* Compile an alternation of literal names, with optional decorations
 * before and after, into a caseless, UTF-8 pattern bounded by word edges. */
static gboolean
compile_names(GArray *into, const void *target, const char *prefix,
              GPtrArray *names, const char *suffix, GError **err)
{
    GString *pat = g_string_new("(?<![\\w.-])");
    struct matcher m;
    int errcode;
    PCRE2_SIZE erroff;

    g_string_append(pat, prefix);
    g_string_append(pat, "(?:");
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *q = g_regex_escape_string(g_ptr_array_index(names, i), -1);

        if (i > 0)
            g_string_append_c(pat, '|');
        /* Any run of spaces in a name matches any run in the text. */
        g_autofree char *spaced = NULL;
        {
            GString *sp = g_string_new(NULL);

            for (const char *c = q; *c != '\0'; c++) {
                if (*c == '\\' && c[1] == ' ') {
                    g_string_append(sp, "\\s+");
                    c++;
                } else if (*c == ' ') {
                    g_string_append(sp, "\\s+");
                } else {
                    g_string_append_c(sp, *c);
                }
            }
            spaced = g_string_free(sp, FALSE);
        }
        g_string_append(pat, spaced);
    }
    g_string_append(pat, ")");
    g_string_append(pat, suffix);
    g_string_append(pat, "(?![\\w-])");
    m.re = pcre2_compile((PCRE2_SPTR)pat->str, pat->len,
                         PCRE2_CASELESS | PCRE2_UTF | PCRE2_UCP, &errcode, &erroff, NULL);
    if (m.re == NULL) {
        PCRE2_UCHAR msg[256];

        pcre2_get_error_message(errcode, msg, sizeof msg);
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "cannot compile the pattern for \"%s\": %s",
                    (const char *)g_ptr_array_index(names, 0), (const char *)msg);
        g_string_free(pat, TRUE);
        return FALSE;
    }
    m.target = target;
    g_array_append_val(into, m);
    g_string_free(pat, TRUE);
    return TRUE;
}

/* Read the "areas" object. */
static gboolean
load_areas(struct directory *d, JsonObject *root, GError **err)
{
    JsonObject *t;
    g_autoptr(GList) keys = NULL;

    if (!table_object(root, "areas", area_members, G_N_ELEMENTS(area_members), &t, err))
        return FALSE;
    if (t == NULL)
        return TRUE;
    keys = json_object_get_members(t);
    for (GList *k = keys; k != NULL; k = k->next) {
        JsonNode *n = json_object_get_member(t, k->data);
        g_autofree char *path = path_join("areas", k->data);
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        struct dir_area *a;

        if (!check_entry(n, "areas", k->data, path, area_members,
                         G_N_ELEMENTS(area_members), err)
            || !check_unique_key(d->areas, k->data, path, err)
            || !check_key_free(d, k->data, path, err))
            return FALSE;
        a = g_new0(struct dir_area, 1);
        a->key = g_ascii_strdown(k->data, -1);
        a->people = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(d->areas, a);
        if (!read_members(json_node_get_object(n), path, area_members,
                          G_N_ELEMENTS(area_members), a, err))
            return FALSE;
        if (a->name != NULL)
            g_ptr_array_add(names, g_strdup(a->name));
        /* "RTG Area": the key as an acronym needs the word "area" to be
         * told from a group with a longer acronym. */
        g_ptr_array_add(names, g_strconcat(a->key, " area", NULL));
        if (!compile_names(d->area_re, a, "(?:IETF\\s+)?(?:the\\s+)?", names, "", err))
            return FALSE;
    }
    return TRUE;
}

/* Add to names the group name name with its last words, long (" working
 * group"), written as the abbreviation short ("WG"), when it ends in them. */
static void
group_short_name(GPtrArray *names, const char *name, const char *lng, const char *shrt)
{
    size_t n = strlen(name), w = strlen(lng);

    if (n > w && g_ascii_strcasecmp(name + n - w, lng) == 0)
        g_ptr_array_add(names, g_strdup_printf("%.*s %s", (int) (n - w), name, shrt));
}

/* Read the "groups" object; the areas are read already, so that each
 * group's area can be checked. */
static gboolean
load_groups(struct directory *d, JsonObject *root, GError **err)
{
    JsonObject *t;
    g_autoptr(GList) keys = NULL;

    if (!table_object(root, "groups", group_members, G_N_ELEMENTS(group_members), &t, err))
        return FALSE;
    if (t == NULL)
        return TRUE;
    keys = json_object_get_members(t);
    for (GList *k = keys; k != NULL; k = k->next) {
        JsonNode *n = json_object_get_member(t, k->data);
        g_autofree char *path = path_join("groups", k->data);
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        struct dir_group *g;

        if (!check_entry(n, "groups", k->data, path, group_members,
                         G_N_ELEMENTS(group_members), err)
            || !check_unique_key(d->groups, k->data, path, err)
            || !check_key_free(d, k->data, path, err))
            return FALSE;
        g = g_new0(struct dir_group, 1);
        g->key = g_ascii_strdown(k->data, -1);
        g->people = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(d->groups, g);
        if (!read_members(json_node_get_object(n), path, group_members,
                          G_N_ELEMENTS(group_members), g, err))
            return FALSE;
        /* A group without an area is allowed (it has no supervisor); one
         * whose area is not in "areas" is a typo that would drop it. */
        if (g->area != NULL && directory_area(d, g->area) == NULL) {
            g_autofree char *apath = path_join(path, "area");
            g_autofree char *known = area_keys(d);

            return refuse(err, apath, "unknown area \"%s\" (the areas are: %s)", g->area, known);
        }
        g_ptr_array_add(names, g_strdup(g->key));
        if (g->name != NULL) {
            g_ptr_array_add(names, g_strdup(g->name));
            /* "Routing Area Working Group" is also written "Routing Area
             * WG", which would otherwise name the area; an IRTF research
             * group's "... Research Group" likewise "... RG". */
            group_short_name(names, g->name, " working group", "WG");
            group_short_name(names, g->name, " research group", "RG");
        }
        /* "IETF-CCAMP" and "CCAMP-WG" too; a hyphen before the name is
         * still no start ("draft-ietf-ccamp-...").  The directory may hold
         * IRTF research groups ("IRTF CFRG", "CFRG RG", "Crypto Forum
         * Research Group"), and a To naming several groups says so in the
         * plural ("IETF DetNet and CCAMP WGs"). */
        if (!compile_names(d->group_re, g, "(?:I[ER]TF[\\s-]+)?", names,
                           "(?:[\\s-]+(?:WGs?|RGs?|(?:working|research)\\s+groups?))?", err))
            return FALSE;
    }
    return TRUE;
}

/* Read the "peers" object. */
static gboolean
load_peers(struct directory *d, JsonObject *root, GError **err)
{
    JsonObject *t;
    g_autoptr(GList) keys = NULL;

    if (!table_object(root, "peers", peer_members, G_N_ELEMENTS(peer_members), &t, err))
        return FALSE;
    if (t == NULL)
        return TRUE;
    keys = json_object_get_members(t);
    for (GList *k = keys; k != NULL; k = k->next) {
        JsonNode *n = json_object_get_member(t, k->data);
        g_autofree char *path = path_join("peers", k->data);
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        struct dir_peer *p;

        if (!check_entry(n, "peers", k->data, path, peer_members,
                         G_N_ELEMENTS(peer_members), err)
            || !check_unique_key(d->peers, k->data, path, err))
            return FALSE;
        p = g_new0(struct dir_peer, 1);
        p->key = g_strdup(k->data);
        p->aka = g_ptr_array_new_with_free_func(g_free);
        p->domains = g_ptr_array_new_with_free_func(g_free);
        p->people = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(d->peers, p);
        if (!read_members(json_node_get_object(n), path, peer_members,
                          G_N_ELEMENTS(peer_members), p, err))
            return FALSE;
        if (p->name != NULL)
            g_ptr_array_add(names, g_strdup(p->name));
        for (guint i = 0; i < p->aka->len; i++)
            g_ptr_array_add(names, g_strdup(g_ptr_array_index(p->aka, i)));
        if (names->len > 0 && !compile_names(d->peer_re, p, "(?:the\\s+)?", names, "", err))
            return FALSE;
    }
    return TRUE;
}

/* While parsing: the first member given twice in one object.  JsonParser
 * keeps the last of the two without a word, so a group written twice, or
 * a "list" given twice in one group, would silently lose one of them. */
struct twice {
    GHashTable *seen;           /* JsonObject* -> members parsed into it */
    JsonObject *object;         /* where the first repeat was, or NULL */
    char   *name;
    guint   line;
};

/* JsonParser's "object-member" handler: count the members parsed into
 * object; more than it holds means one replaced another.  Only the first
 * repeat is noted: the object it replaced is freed, and a later object
 * may reuse its address. */
static void
on_object_member(JsonParser *parser, JsonObject *object, const char *name, gpointer data)
{
    struct twice *tw = data;
    guint n = GPOINTER_TO_UINT(g_hash_table_lookup(tw->seen, object)) + 1;

    g_hash_table_insert(tw->seen, object, GUINT_TO_POINTER(n));
    if (tw->object == NULL && json_object_get_size(object) < n) {
        tw->object = object;
        tw->name = g_strdup(name);
        tw->line = json_parser_get_current_line(parser);
    }
}

/* The path of the object want inside node n (whose path is path), or
 * NULL: to name where a member was given twice. */
static char *
object_path(JsonNode *n, const char *path, JsonObject *want)
{
    if (JSON_NODE_HOLDS_OBJECT(n)) {
        JsonObject *o = json_node_get_object(n);
        g_autoptr(GList) names = NULL;

        if (o == want)
            return g_strdup(path);
        names = json_object_get_members(o);
        for (GList *l = names; l != NULL; l = l->next) {
            g_autofree char *p = path_join(path, l->data);
            char *found = object_path(json_object_get_member(o, l->data), p, want);

            if (found != NULL)
                return found;
        }
    } else if (JSON_NODE_HOLDS_ARRAY(n)) {
        JsonArray *a = json_node_get_array(n);

        for (guint i = 0; i < json_array_get_length(a); i++) {
            g_autofree char *p = g_strdup_printf("%s[%u]", path, i);
            char *found = object_path(json_array_get_element(a, i), p, want);

            if (found != NULL)
                return found;
        }
    }
    return NULL;
}

/* Parse the file at path into parser; on failure *err says why, naming
 * the file once. */
static gboolean
parse_file(JsonParser *parser, const char *path, GError **err)
{
    struct twice tw = { g_hash_table_new(NULL, NULL), NULL, NULL, 0 };
    gulong handler = g_signal_connect(parser, "object-member", G_CALLBACK(on_object_member), &tw);
    GError *e = NULL;
    gboolean ok = json_parser_load_from_file(parser, path, &e);

    g_signal_handler_disconnect(parser, handler);
    if (!ok) {
        const char *msg = e->message;
        size_t len = strlen(path);

        /* GLib's file errors name the file already.  JsonParser's syntax
         * errors read "PATH:LINE:COLUMN: Parse error: ...": the file once,
         * with the place in it. */
        if (e->domain == G_FILE_ERROR)
            g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "directory: %s", msg);
        else if (strncmp(msg, path, len) == 0 && msg[len] == ':')
            g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "directory %s%s", path, msg + len);
        else
            g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "directory %s: %s", path, msg);
        g_error_free(e);
    } else if (tw.object != NULL) {
        JsonNode *root = json_parser_get_root(parser);
        g_autofree char *where = root != NULL ? object_path(root, "", tw.object) : NULL;
        g_autofree char *member = where != NULL ? path_join(where, tw.name) : g_strdup(tw.name);

        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "directory %s: %s: given twice (the second ends near line %u); only one"
                    " would be kept", path, member, tw.line);
        ok = FALSE;
    }
    g_hash_table_destroy(tw.seen);
    g_free(tw.name);
    return ok;
}

/* Load and compile a directory file. */
struct directory *
directory_load(const char *path, GError **err)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    struct directory *d;
    JsonNode *rootn;
    JsonObject *root;
    GError *e = NULL;

    if (!parse_file(parser, path, err))
        return NULL;
    rootn = json_parser_get_root(parser);
    if (rootn == NULL || !JSON_NODE_HOLDS_OBJECT(rootn)) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "directory %s: the top level must be a JSON object", path);
        return NULL;
    }
    root = json_node_get_object(rootn);
    d = g_new0(struct directory, 1);
    d->intake = g_ptr_array_new_with_free_func(g_free);
    d->areas = g_ptr_array_new_with_free_func(area_free);
    d->groups = g_ptr_array_new_with_free_func(group_free);
    d->peers = g_ptr_array_new_with_free_func(peer_free);
    d->group_re = g_array_new(FALSE, FALSE, sizeof(struct matcher));
    d->area_re = g_array_new(FALSE, FALSE, sizeof(struct matcher));
    d->peer_re = g_array_new(FALSE, FALSE, sizeof(struct matcher));
    g_array_set_clear_func(d->group_re, matcher_clear);
    g_array_set_clear_func(d->area_re, matcher_clear);
    g_array_set_clear_func(d->peer_re, matcher_clear);
    /* The top level's own members first ("iesg" missing, "group" for
     * "groups"), then the entries of each table. */
    if (!read_members(root, "", top_members, G_N_ELEMENTS(top_members), d, &e)
        || !load_areas(d, root, &e) || !load_groups(d, root, &e) || !load_peers(d, root, &e)) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "directory %s: %s", path, e->message);
        g_error_free(e);
        directory_free(d);
        return NULL;
    }
    return d;
}

/* Free a directory; NULL is fine. */
void
directory_free(struct directory *d)
{
    if (d == NULL)
        return;
    g_ptr_array_unref(d->intake);
    g_free(d->iesg); g_free(d->chair); g_free(d->secretariat);
    g_array_unref(d->group_re);
    g_array_unref(d->area_re);
    g_array_unref(d->peer_re);
    g_ptr_array_unref(d->areas);
    g_ptr_array_unref(d->groups);
    g_ptr_array_unref(d->peers);
    g_free(d);
}

/* TRUE when addr is an intake address; "liaisons+TAG@" counts too, so
 * that senders and tests can tag what they send. */
gboolean
directory_is_intake(const struct directory *d, const char *addr)
{
    g_autofree char *a = NULL;
    char *at, *plus;

    if (addr == NULL)
        return FALSE;
    a = g_ascii_strdown(addr, -1);
    g_strstrip(a);
    if (a[0] == '<' && a[strlen(a) - 1] == '>') {
        memmove(a, a + 1, strlen(a));
        a[strlen(a) - 1] = '\0';
    }
    at = strrchr(a, '@');
    plus = strchr(a, '+');
    if (at != NULL && plus != NULL && plus < at)
        memmove(plus, at, strlen(at) + 1);
    for (guint i = 0; i < d->intake->len; i++)
        if (strcmp(a, g_ptr_array_index(d->intake, i)) == 0)
            return TRUE;
    return FALSE;
}

/* Whether domain dom is that of address ours (may be NULL), or with
 * below, also a host under it ("mail.ietf.org" under "ietf.org", never
 * "evilietf.org"). */
static gboolean
domain_matches(const char *ours, const char *dom, gboolean below)
{
    const char *o = ours != NULL ? strrchr(ours, '@') : NULL;
    size_t olen, dlen;

    if (o == NULL)
        return FALSE;
    o++;
    olen = strlen(o);
    dlen = strlen(dom);
    if (dlen == olen)
        return g_ascii_strcasecmp(dom, o) == 0;
    return below && dlen > olen && dom[dlen - olen - 1] == '.'
           && g_ascii_strcasecmp(dom + dlen - olen, o) == 0;
}

/* Whether addr's domain matches the IETF's own, as domain_matches. */
static gboolean
own_domain_match(const struct directory *d, const char *addr, gboolean below)
{
    const char *at = addr != NULL ? strrchr(addr, '@') : NULL;
    const char *ours[] = { d->iesg, d->chair, d->secretariat };

    if (at == NULL)
        return FALSE;
    for (guint i = 0; i < d->intake->len; i++)
        if (domain_matches(g_ptr_array_index(d->intake, i), at + 1, below))
            return TRUE;
    for (size_t i = 0; i < G_N_ELEMENTS(ours); i++)
        if (domain_matches(ours[i], at + 1, below))
            return TRUE;
    return FALSE;
}

/* Whether addr's domain is the IETF's own: that of an intake address or of
 * the IESG's, the chair's or the secretariat's (the datatracker sends from
 * there on a body's behalf). */
gboolean
directory_is_own_domain(const struct directory *d, const char *addr)
{
    return own_domain_match(d, addr, FALSE);
}

/* Whether addr is at the IETF's own domain or a host below it: the MTA's
 * own name, lists.ietf.org.  Their local parts are the IETF's own people,
 * lists and accounts, never an outside body's; trust (a forwarder, the
 * datatracker) is given to the own domain alone. */
gboolean
directory_is_own_or_below(const struct directory *d, const char *addr)
{
    return own_domain_match(d, addr, TRUE);
}

/* The first intake address the directory lists, or NULL. */
const char *
directory_first_intake(const struct directory *d)
{
    return d != NULL && d->intake->len > 0 ? g_ptr_array_index(d->intake, 0) : NULL;
}

/* The i-th intake address (lower case), NULL past the last. */
const char *
directory_intake_at(const struct directory *d, guint i)
{
    return d != NULL && i < d->intake->len ? g_ptr_array_index(d->intake, i) : NULL;
}

/* The IESG's address: assignee of homeless statements. */
const char *
directory_iesg(const struct directory *d)
{
    return d->iesg;
}

/* The IETF chair's address: supervisor of the area directors. */
const char *
directory_chair(const struct directory *d)
{
    return d->chair;
}

/* The entry of a whose key is key (any case), or NULL.  The entries are
 * struct dir_group, dir_area or dir_peer, each of which begins with its
 * key, so one lookup serves the three lists. */
static const void *
find_key(const GPtrArray *a, const char *key)
{
    for (guint i = 0; key != NULL && i < a->len; i++) {
        const char *const *k = g_ptr_array_index(a, i);

        if (g_ascii_strcasecmp(*k, key) == 0)
            return k;
    }
    return NULL;
}

/* The group with this key, or NULL. */
const struct dir_group *
directory_group(const struct directory *d, const char *key)
{
    return find_key(d->groups, key);
}

/* See directory.h. */
void
directory_keys(const struct directory *d, GPtrArray *keys)
{
    for (guint i = 0; i < d->groups->len; i++)
        g_ptr_array_add(keys, ((struct dir_group *) g_ptr_array_index(d->groups, i))->key);
    for (guint i = 0; i < d->areas->len; i++)
        g_ptr_array_add(keys, ((struct dir_area *) g_ptr_array_index(d->areas, i))->key);
}

/* See directory.h. */
gboolean
directory_assigns(const struct directory *d, const GPtrArray *groups, const char *key)
{
    for (guint i = 0; groups != NULL && i < groups->len; i++) {
        const char *g = g_ptr_array_index(groups, i);
        const struct dir_group *dg = d != NULL ? directory_group(d, g) : NULL;

        if (g_ascii_strcasecmp(g, key) == 0
            || (dg != NULL && dg->area != NULL && g_ascii_strcasecmp(dg->area, key) == 0))
            return TRUE;
    }
    return FALSE;
}

/* The area with this key, or NULL. */
const struct dir_area *
directory_area(const struct directory *d, const char *key)
{
    return find_key(d->areas, key);
}

/* The peer with this key, or NULL. */
const struct dir_peer *
directory_peer(const struct directory *d, const char *key)
{
    return find_key(d->peers, key);
}

/* The target of the matcher in ms whose pattern has the longest match in
 * text, the earliest of equal ones, the first in ms of those: "ITU-T Study
 * Group 15" names the peer of that name, not one called "ITU-T" that comes
 * first in the file. */
static const void *
longest_match(GArray *ms, const char *text)
{
    const void *found = NULL;
    size_t best_len = 0, best_start = 0, len;
    pcre2_match_data *md;

    if (text == NULL || ms->len == 0)
        return NULL;
    len = strlen(text);
    md = pcre2_match_data_create(1, NULL);
    for (guint i = 0; i < ms->len; i++) {
        const struct matcher *m = &g_array_index(ms, struct matcher, i);
        size_t at = 0;

        /* Every match, as the leftmost may be a shorter name. */
        while (at <= len && pcre2_match(m->re, (PCRE2_SPTR)text, len, at,
                                        at > 0 ? PCRE2_NO_UTF_CHECK : 0, md, NULL) >= 0) {
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
            size_t n = ov[1] - ov[0];

            if (found == NULL || n > best_len || (n == best_len && ov[0] < best_start)) {
                found = m->target;
                best_len = n;
                best_start = ov[0];
            }
            at = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
        }
    }
    pcre2_match_data_free(md);
    return found;
}

/* Where a group's or an area's name occurs in a phrase. */
struct body_hit {
    size_t start, end;
    const char *key;
    gboolean group;
    gboolean aside;             /* inside parentheses */
    gboolean taken;
};

/* Append to hits every occurrence in text of every name in ms. */
static void
collect_hits(GArray *ms, const char *text, size_t len, gboolean group, GArray *hits,
             pcre2_match_data *md)
{
    for (guint i = 0; i < ms->len; i++) {
        const struct matcher *m = &g_array_index(ms, struct matcher, i);
        size_t at = 0;

        /* The text is checked as UTF-8 once, not again at every hit. */
        while (at <= len && pcre2_match(m->re, (PCRE2_SPTR)text, len, at,
                                        at > 0 ? PCRE2_NO_UTF_CHECK : 0, md, NULL) >= 0) {
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
            struct body_hit h = { ov[0], ov[1], NULL, group, FALSE, FALSE };

            h.key = group ? ((const struct dir_group *) m->target)->key
                          : ((const struct dir_area *) m->target)->key;
            g_array_append_val(hits, h);
            at = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
        }
    }
}

/* Order hits the longest first, then the earliest, a group before an
 * area of the same extent. */
static gint
hit_by_length(gconstpointer a, gconstpointer b)
{
    const struct body_hit *x = a, *y = b;
    size_t lx = x->end - x->start, ly = y->end - y->start;

    if (lx != ly)
        return lx > ly ? -1 : 1;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return (int) y->group - (int) x->group;
}

/* Order hits by where they start. */
static gint
hit_by_start(gconstpointer a, gconstpointer b)
{
    const struct body_hit *x = a, *y = b;

    return x->start < y->start ? -1 : x->start > y->start ? 1 : 0;
}

/* Mark the hits, in the order they start, that lie inside parentheses,
 * ASCII or fullwidth (U+FF08, U+FF09): one pass over the text. */
static void
mark_asides(const char *text, GArray *hits)
{
    size_t p = 0;
    int depth = 0;

    for (guint i = 0; i < hits->len; i++) {
        struct body_hit *h = &g_array_index(hits, struct body_hit, i);

        for (; p < h->start; p++) {
            if (text[p] == '(' || strncmp(text + p, "\xEF\xBC\x88", 3) == 0)
                depth++;
            else if ((text[p] == ')' || strncmp(text + p, "\xEF\xBC\x89", 3) == 0) && depth > 0)
                depth--;
        }
        h->aside = depth > 0;
    }
}

/* The groups and areas a phrase names, in its order; see directory.h. */
void
directory_match_bodies(const struct directory *d, const char *phrase, GPtrArray *keys)
{
    g_autoptr(GArray) hits = g_array_new(FALSE, FALSE, sizeof(struct body_hit));
    pcre2_match_data *md;
    gboolean group_before = FALSE;
    size_t len;

    if (phrase == NULL)
        return;
    len = strlen(phrase);
    md = pcre2_match_data_create(1, NULL);
    collect_hits(d->group_re, phrase, len, TRUE, hits, md);
    collect_hits(d->area_re, phrase, len, FALSE, hits, md);
    pcre2_match_data_free(md);
    /* Overlapping names are one mention, the longest ("the Routing Area
     * Working Group" is rtgwg, not the area its first words name). */
    g_array_sort(hits, hit_by_length);
    for (guint i = 0; i < hits->len; i++) {
        struct body_hit *h = &g_array_index(hits, struct body_hit, i);
        gboolean clash = FALSE;

        for (guint k = 0; k < i && !clash; k++) {
            const struct body_hit *o = &g_array_index(hits, struct body_hit, k);

            clash = o->taken && h->start < o->end && o->start < h->end;
        }
        h->taken = !clash;
    }
    g_array_sort(hits, hit_by_start);
    /* A mention in parentheses after a group named outside them is an
     * aside ("IETF CCAMP WG (for information: IETF DetNet WG)"); one
     * after an area, or first, is not ("IETF Routing Area (CCAMP WG)"). */
    mark_asides(phrase, hits);
    for (guint i = 0; i < hits->len; i++) {
        const struct body_hit *h = &g_array_index(hits, struct body_hit, i);
        gboolean seen = FALSE;

        if (h->taken && h->group && !h->aside)
            group_before = TRUE;
        if (!h->taken || (h->aside && group_before))
            continue;
        for (guint k = 0; k < keys->len && !seen; k++)
            seen = strcmp(g_ptr_array_index(keys, k), h->key) == 0;
        if (!seen)
            g_ptr_array_add(keys, (gpointer) h->key);
    }
}

/* The group whose list or chairs address is addr. */
const struct dir_group *
directory_group_by_addr(const struct directory *d, const char *addr)
{
    for (guint i = 0; addr != NULL && i < d->groups->len; i++) {
        const struct dir_group *g = g_ptr_array_index(d->groups, i);

        if ((g->list != NULL && g_ascii_strcasecmp(g->list, addr) == 0)
            || (g->chairs != NULL && g_ascii_strcasecmp(g->chairs, addr) == 0))
            return g;
    }
    return NULL;
}

/* The area whose ADs address is addr. */
const struct dir_area *
directory_area_by_addr(const struct directory *d, const char *addr)
{
    for (guint i = 0; addr != NULL && i < d->areas->len; i++) {
        const struct dir_area *a = g_ptr_array_index(d->areas, i);

        if (a->ads != NULL && g_ascii_strcasecmp(a->ads, addr) == 0)
            return a;
    }
    return NULL;
}

/* Whether list (char*, lower case) holds addr. */
static gboolean
holds(const GPtrArray *list, const char *addr)
{
    for (guint i = 0; list != NULL && i < list->len; i++)
        if (g_ascii_strcasecmp(g_ptr_array_index(list, i), addr) == 0)
            return TRUE;
    return FALSE;
}

/* See directory.h. */
gboolean
directory_speaks_for(const struct directory *d, const char *role_addr, const char *person)
{
    if (role_addr == NULL || person == NULL)
        return FALSE;
    if (g_ascii_strcasecmp(role_addr, person) == 0)
        return TRUE;
    for (guint i = 0; i < d->groups->len; i++) {
        const struct dir_group *g = g_ptr_array_index(d->groups, i);

        if (g->chairs != NULL && g_ascii_strcasecmp(g->chairs, role_addr) == 0
            && holds(g->people, person))
            return TRUE;
    }
    for (guint i = 0; i < d->areas->len; i++) {
        const struct dir_area *a = g_ptr_array_index(d->areas, i);

        if (a->ads != NULL && g_ascii_strcasecmp(a->ads, role_addr) == 0
            && holds(a->people, person))
            return TRUE;
    }
    for (guint i = 0; i < d->peers->len; i++) {
        const struct dir_peer *p = g_ptr_array_index(d->peers, i);

        if (p->liaison_manager != NULL && g_ascii_strcasecmp(p->liaison_manager, role_addr) == 0
            && holds(p->people, person))
            return TRUE;
    }
    return FALSE;
}

/* The peer named by a body name or one of its other names. */
const struct dir_peer *
directory_peer_by_name(const struct directory *d, const char *name)
{
    return longest_match(d->peer_re, name);
}

/* Whether the mail domain of addr is one of p's domains or below one. */
gboolean
directory_peer_owns(const struct dir_peer *p, const char *addr)
{
    const char *at = addr != NULL ? strrchr(addr, '@') : NULL;

    if (p == NULL || at == NULL)
        return FALSE;
    for (guint j = 0; j < p->domains->len; j++) {
        const char *dom = g_ptr_array_index(p->domains, j);
        const char *host = at + 1;
        size_t dl = strlen(dom), hl = strlen(host);

        if (g_ascii_strcasecmp(host, dom) == 0
            || (hl > dl && host[hl - dl - 1] == '.'
                && g_ascii_strcasecmp(host + hl - dl, dom) == 0))
            return TRUE;
    }
    return FALSE;
}

/* The first peer that owns the mail domain of addr (or a parent domain of
 * it).  Peers may share a domain (every ITU-T study group's is itu.int):
 * whether a given peer owns an address is directory_peer_owns(). */
const struct dir_peer *
directory_peer_by_addr(const struct directory *d, const char *addr)
{
    for (guint i = 0; addr != NULL && i < d->peers->len; i++) {
        const struct dir_peer *p = g_ptr_array_index(d->peers, i);

        if (directory_peer_owns(p, addr))
            return p;
    }
    return NULL;
}
