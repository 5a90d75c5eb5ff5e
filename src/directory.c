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
    g_free(a);
}

/* Free a group. */
static void
group_free(gpointer p)
{
    struct dir_group *g = p;

    g_free(g->key); g_free(g->name); g_free(g->area);
    g_free(g->list); g_free(g->chairs);
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
    g_free(pe);
}

/* Free a compiled matcher (a GArray clear function). */
static void
matcher_clear(gpointer p)
{
    struct matcher *m = p;

    pcre2_code_free(m->re);
}

/* A string member of obj, lower-cased when lower, or NULL. */
static char *
member_string(JsonObject *obj, const char *name, gboolean lower)
{
    JsonNode *n = json_object_get_member(obj, name);
    const char *s;

    if (n == NULL || JSON_NODE_TYPE(n) != JSON_NODE_VALUE
        || json_node_get_value_type(n) != G_TYPE_STRING)
        return NULL;
    s = json_node_get_string(n);
    return lower ? g_ascii_strdown(s, -1) : g_strdup(s);
}

/* An array-of-strings member of obj as a GPtrArray (empty if absent). */
static GPtrArray *
member_strings(JsonObject *obj, const char *name, gboolean lower)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    JsonNode *n = json_object_get_member(obj, name);

    if (n != NULL && JSON_NODE_HOLDS_ARRAY(n)) {
        JsonArray *a = json_node_get_array(n);

        for (guint i = 0; i < json_array_get_length(a); i++) {
            JsonNode *e = json_array_get_element(a, i);

            if (JSON_NODE_HOLDS_VALUE(e) && json_node_get_value_type(e) == G_TYPE_STRING)
                g_ptr_array_add(out, lower ? g_ascii_strdown(json_node_get_string(e), -1)
                                           : g_strdup(json_node_get_string(e)));
        }
    }
    return out;
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
    JsonNode *n = json_object_get_member(root, "areas");
    g_autoptr(GList) keys = NULL;

    if (n == NULL || !JSON_NODE_HOLDS_OBJECT(n))
        return TRUE;
    keys = json_object_get_members(json_node_get_object(n));
    for (GList *k = keys; k != NULL; k = k->next) {
        JsonObject *o = json_object_get_object_member(json_node_get_object(n), k->data);
        struct dir_area *a;
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);

        if (o == NULL)
            continue;
        a = g_new0(struct dir_area, 1);
        a->key = g_ascii_strdown(k->data, -1);
        a->name = member_string(o, "name", FALSE);
        a->ads = member_string(o, "ads", TRUE);
        g_ptr_array_add(d->areas, a);
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

/* Read the "groups" object. */
static gboolean
load_groups(struct directory *d, JsonObject *root, GError **err)
{
    JsonNode *n = json_object_get_member(root, "groups");
    g_autoptr(GList) keys = NULL;

    if (n == NULL || !JSON_NODE_HOLDS_OBJECT(n))
        return TRUE;
    keys = json_object_get_members(json_node_get_object(n));
    for (GList *k = keys; k != NULL; k = k->next) {
        JsonObject *o = json_object_get_object_member(json_node_get_object(n), k->data);
        struct dir_group *g;
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);

        if (o == NULL)
            continue;
        g = g_new0(struct dir_group, 1);
        g->key = g_ascii_strdown(k->data, -1);
        g->name = member_string(o, "name", FALSE);
        g->area = member_string(o, "area", TRUE);
        g->list = member_string(o, "list", TRUE);
        g->chairs = member_string(o, "chairs", TRUE);
        g_ptr_array_add(d->groups, g);
        g_ptr_array_add(names, g_strdup(g->key));
        if (g->name != NULL)
            g_ptr_array_add(names, g_strdup(g->name));
        if (!compile_names(d->group_re, g, "(?:IETF\\s+)?",
                           names, "(?:\\s+(?:WG|working\\s+group))?", err))
            return FALSE;
    }
    return TRUE;
}

/* Read the "peers" object. */
static gboolean
load_peers(struct directory *d, JsonObject *root, GError **err)
{
    JsonNode *n = json_object_get_member(root, "peers");
    g_autoptr(GList) keys = NULL;

    if (n == NULL || !JSON_NODE_HOLDS_OBJECT(n))
        return TRUE;
    keys = json_object_get_members(json_node_get_object(n));
    for (GList *k = keys; k != NULL; k = k->next) {
        JsonObject *o = json_object_get_object_member(json_node_get_object(n), k->data);
        struct dir_peer *p;
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);

        if (o == NULL)
            continue;
        p = g_new0(struct dir_peer, 1);
        p->key = g_strdup(k->data);
        p->name = member_string(o, "name", FALSE);
        p->aka = member_strings(o, "aka", FALSE);
        p->domains = member_strings(o, "domains", TRUE);
        p->liaison_manager = member_string(o, "liaison_manager", TRUE);
        g_ptr_array_add(d->peers, p);
        if (p->name != NULL)
            g_ptr_array_add(names, g_strdup(p->name));
        for (guint i = 0; i < p->aka->len; i++)
            g_ptr_array_add(names, g_strdup(g_ptr_array_index(p->aka, i)));
        if (names->len > 0 && !compile_names(d->peer_re, p, "(?:the\\s+)?", names, "", err))
            return FALSE;
    }
    return TRUE;
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

    if (!json_parser_load_from_file(parser, path, &e)) {
        /* GLib's file errors name the file already; JSON syntax errors
         * give only a line and column. */
        if (e->domain == G_FILE_ERROR)
            g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "directory: %s", e->message);
        else
            g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "directory %s: %s", path, e->message);
        g_error_free(e);
        return NULL;
    }
    rootn = json_parser_get_root(parser);
    if (rootn == NULL || !JSON_NODE_HOLDS_OBJECT(rootn)) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "directory %s: the top level must be a JSON object", path);
        return NULL;
    }
    root = json_node_get_object(rootn);
    d = g_new0(struct directory, 1);
    d->areas = g_ptr_array_new_with_free_func(area_free);
    d->groups = g_ptr_array_new_with_free_func(group_free);
    d->peers = g_ptr_array_new_with_free_func(peer_free);
    d->group_re = g_array_new(FALSE, FALSE, sizeof(struct matcher));
    d->area_re = g_array_new(FALSE, FALSE, sizeof(struct matcher));
    d->peer_re = g_array_new(FALSE, FALSE, sizeof(struct matcher));
    g_array_set_clear_func(d->group_re, matcher_clear);
    g_array_set_clear_func(d->area_re, matcher_clear);
    g_array_set_clear_func(d->peer_re, matcher_clear);
    d->intake = member_strings(root, "intake", TRUE);
    d->iesg = member_string(root, "iesg", TRUE);
    d->chair = member_string(root, "ietf_chair", TRUE);
    d->secretariat = member_string(root, "secretariat", TRUE);
    if (!load_areas(d, root, &e) || !load_groups(d, root, &e) || !load_peers(d, root, &e)) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "directory %s: %s", path, e->message);
        g_error_free(e);
        directory_free(d);
        return NULL;
    }
    if (d->iesg == NULL) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "directory %s: \"iesg\" (the address of homeless statements) is missing", path);
        directory_free(d);
        return NULL;
    }
    for (guint i = 0; i < d->groups->len; i++) {
        struct dir_group *g = g_ptr_array_index(d->groups, i);

        if (g->chairs == NULL || (g->area != NULL && directory_area(d, g->area) == NULL)) {
            g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "directory %s: group \"%s\" has no \"chairs\" or names an unknown area",
                        path, g->key);
            directory_free(d);
            return NULL;
        }
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

/* The first intake address the directory lists, or NULL. */
const char *
directory_first_intake(const struct directory *d)
{
    return d != NULL && d->intake->len > 0 ? g_ptr_array_index(d->intake, 0) : NULL;
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

/* The secretariat's address. */
const char *
directory_secretariat(const struct directory *d)
{
    return d->secretariat;
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

/* The target of the first matcher in ms whose pattern occurs in text. */
static const void *
first_match(GArray *ms, const char *text)
{
    const void *found = NULL;
    pcre2_match_data *md;

    if (text == NULL || ms->len == 0)
        return NULL;
    md = pcre2_match_data_create(1, NULL);
    for (guint i = 0; i < ms->len && found == NULL; i++) {
        const struct matcher *m = &g_array_index(ms, struct matcher, i);

        if (pcre2_match(m->re, (PCRE2_SPTR)text, PCRE2_ZERO_TERMINATED, 0, 0, md, NULL) >= 0)
            found = m->target;
    }
    pcre2_match_data_free(md);
    return found;
}

/* The group, else the area, that a phrase names. */
void
directory_match_body(const struct directory *d, const char *phrase,
                     const struct dir_group **group, const struct dir_area **area)
{
    *group = first_match(d->group_re, phrase);
    *area = *group != NULL ? NULL : first_match(d->area_re, phrase);
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

/* The peer named by a body name or one of its other names. */
const struct dir_peer *
directory_peer_by_name(const struct directory *d, const char *name)
{
    return first_match(d->peer_re, name);
}

/* The peer that owns the mail domain of addr (or a parent domain of it). */
const struct dir_peer *
directory_peer_by_addr(const struct directory *d, const char *addr)
{
    const char *at = addr != NULL ? strrchr(addr, '@') : NULL;

    if (at == NULL)
        return NULL;
    for (guint i = 0; i < d->peers->len; i++) {
        const struct dir_peer *p = g_ptr_array_index(d->peers, i);

        for (guint j = 0; j < p->domains->len; j++) {
            const char *dom = g_ptr_array_index(p->domains, j);
            const char *host = at + 1;
            size_t dl = strlen(dom), hl = strlen(host);

            if (g_ascii_strcasecmp(host, dom) == 0
                || (hl > dl && host[hl - dl - 1] == '.'
                    && g_ascii_strcasecmp(host + hl - dl, dom) == 0))
                return p;
        }
    }
    return NULL;
}
