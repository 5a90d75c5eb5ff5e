/*
 * test_corpus.c: every message of tests/corpus ingested through the core,
 * in order, into one real SQLite file, and compared field by field with
 * tests/corpus/expected.json (contacts and groups as sets) and with the
 * golden routing in tests/corpus/routing.json.  Each statement is read
 * back from the store before it is compared, so the store's round trip is
 * checked too; the raw message must come back byte-identical, and a second
 * ingest of the same bytes must be recognised as a duplicate.
 *
 * Then every hostile message of malformed.c goes through the same path: it
 * must be recorded (never refused, never crash or hang) with its raw bytes
 * kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>

#include "envelope.h"
#include "ingest.h"
#include "malformed.h"
#include "message.h"
#include "store.h"
#include "mail_settings.h"

struct corpus {
    char   *tmpdir;
    char   *dbpath;
    struct store *store;
    struct directory *dir;
    struct ingest_ctx ctx;
    JsonObject *routing;        /* file -> [[addr, role], ...] */
    GHashTable *ids;            /* file -> statement id (GINT_TO_POINTER) */
};

static struct corpus corpus;

static JsonParser *expected_parser, *routing_parser;

/* Path of a file under tests/corpus. */
static char *
corpus_path(const char *name)
{
    return g_build_filename(SRCDIR, "tests", "corpus", name, NULL);
}

/* Open a fresh database and load the directory. */
static int
setup(void **state)
{
    GError *err = NULL;
    g_autofree char *dirpath = corpus_path("directory.json");
    g_autofree char *routepath = corpus_path("routing.json");

    corpus.tmpdir = g_dir_make_tmp("liaison-corpus-XXXXXX", &err);
    assert_non_null(corpus.tmpdir);
    corpus.dbpath = g_build_filename(corpus.tmpdir, "liaison.db", NULL);
    corpus.store = store_open(corpus.dbpath, 1000, &err);
    if (corpus.store == NULL)
        fail_msg("store_open: %s", err->message);
    corpus.dir = directory_load(dirpath, &err);
    if (corpus.dir == NULL)
        fail_msg("directory_load: %s", err->message);
    corpus.ctx.store = corpus.store;
    corpus.ctx.dir = corpus.dir;
    message_limits_default(&corpus.ctx.limits);
    /* Mail out on, as liaisond runs by default: every statement also
     * queues its notification and acknowledgement in its transaction. */
    corpus.ctx.mail = &test_mail_settings;
    corpus.ctx.notify = TRUE;
    corpus.ctx.acknowledge = TRUE;
    corpus.ctx.ack_per_day = 5;
    corpus.ctx.answer_per_day = 50;
    routing_parser = json_parser_new();
    if (!json_parser_load_from_file(routing_parser, routepath, &err))
        fail_msg("routing.json: %s", err->message);
    corpus.routing = json_node_get_object(json_parser_get_root(routing_parser));
    corpus.ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return 0;
}

/* Close and remove the database. */
static int
teardown(void **state)
{
    g_autofree char *wal = g_strconcat(corpus.dbpath, "-wal", NULL);
    g_autofree char *shm = g_strconcat(corpus.dbpath, "-shm", NULL);

    store_close(corpus.store);
    directory_free(corpus.dir);
    g_unlink(corpus.dbpath);
    g_unlink(wal);
    g_unlink(shm);
    g_rmdir(corpus.tmpdir);
    g_free(corpus.dbpath);
    g_free(corpus.tmpdir);
    g_hash_table_unref(corpus.ids);
    g_object_unref(routing_parser);
    return 0;
}

/* Order two char* elements of a GPtrArray (the sort passes pointers to them). */
static gint
cmp_strp(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

/* A JSON array of strings as a sorted, lower-cased, newline-joined text:
 * two arrays are equal as sets of addresses when these texts are. */
static char *
set_text(JsonArray *a)
{
    g_autoptr(GPtrArray) v = g_ptr_array_new_with_free_func(g_free);
    char *out;

    for (guint i = 0; a != NULL && i < json_array_get_length(a); i++)
        g_ptr_array_add(v, g_utf8_strdown(json_array_get_string_element(a, i), -1));
    g_ptr_array_sort(v, cmp_strp);
    g_ptr_array_add(v, NULL);
    out = g_strjoinv("\n", (char **)v->pdata);
    return out;
}

/* The member as a string, or NULL for null/absent. */
static const char *
str_member(JsonObject *o, const char *key)
{
    JsonNode *n = json_object_get_member(o, key);

    return n == NULL || JSON_NODE_HOLDS_NULL(n) ? NULL : json_node_get_string(n);
}

/* Compare one string field (NULL allowed) of expected with actual. */
static void
check_string(const char *file, JsonObject *exp, JsonObject *act, const char *key)
{
    if (!json_object_has_member(exp, key))
        return;
    if (g_strcmp0(str_member(exp, key), str_member(act, key)) != 0)
        fail_msg("%s: %s: expected \"%s\", got \"%s\"", file, key,
                 str_member(exp, key), str_member(act, key));
}

/* Compare a string field that expected.json gives for few files: when it
 * leaves it out, the value must be dflt (NULL: none). */
static void
check_string_or(const char *file, JsonObject *exp, JsonObject *act, const char *key,
                const char *dflt)
{
    const char *want = json_object_has_member(exp, key) ? str_member(exp, key) : dflt;

    if (g_strcmp0(want, str_member(act, key)) != 0)
        fail_msg("%s: %s: expected \"%s\", got \"%s\"", file, key, want, str_member(act, key));
}

/* The Message-ID header of a raw message as written ("<x@y>"), or NULL. */
static char *
raw_message_id(const char *raw)
{
    for (const char *p = raw; p != NULL && *p != '\0' && *p != '\n' && *p != '\r';) {
        if (g_ascii_strncasecmp(p, "Message-ID:", 11) == 0) {
            const char *v = p + 11, *end;

            while (*v == ' ' || *v == '\t')
                v++;
            end = v + strcspn(v, "\r\n");
            return g_strndup(v, end - v);
        }
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    return NULL;
}

/* Compare one set-valued field of expected with actual: a field expected.json
 * leaves out must be empty, and the statement's JSON must have the member. */
static void
check_set(const char *file, JsonObject *exp, JsonObject *act, const char *ekey, const char *akey)
{
    g_autofree char *e = NULL, *a = NULL;

    if (!json_object_has_member(act, akey))
        fail_msg("%s: the statement's JSON has no member %s", file, akey);
    e = set_text(json_object_has_member(exp, ekey) ? json_object_get_array_member(exp, ekey)
                                                   : NULL);
    a = set_text(json_object_get_array_member(act, akey));
    if (strcmp(e, a) != 0)
        fail_msg("%s: %s: expected {%s}, got {%s}", file, ekey, e, a);
}

/* Compare the attachments (name, type, size) in order. */
static void
check_attachments(const char *file, JsonObject *exp, JsonObject *act)
{
    JsonArray *e, *a;

    if (!json_object_has_member(exp, "attachments"))
        return;
    e = json_object_get_array_member(exp, "attachments");
    a = json_object_get_array_member(act, "attachments");
    if (json_array_get_length(e) != json_array_get_length(a))
        fail_msg("%s: %u attachments expected, %u found", file,
                 json_array_get_length(e), json_array_get_length(a));
    for (guint i = 0; i < json_array_get_length(e); i++) {
        JsonObject *eo = json_array_get_object_element(e, i);
        JsonObject *ao = json_array_get_object_element(a, i);

        check_string(file, eo, ao, "name");
        check_string(file, eo, ao, "type");
        if (json_object_get_int_member(eo, "size") != json_object_get_int_member(ao, "size"))
            fail_msg("%s: attachment %s: size %" G_GINT64_FORMAT " expected, %" G_GINT64_FORMAT,
                     file, str_member(eo, "name"), json_object_get_int_member(eo, "size"),
                     json_object_get_int_member(ao, "size"));
    }
}

/* The statement as show --json prints it, parsed back into a JSON object. */
static JsonNode *
statement_json(gint64 id)
{
    GError *err = NULL;
    struct statement *s = store_get_statement(corpus.store, id, &err);
    g_autoptr(JsonBuilder) b = json_builder_new();

    if (s == NULL)
        fail_msg("store_get_statement(%" G_GINT64_FORMAT "): %s", id, err->message);
    json_builder_begin_object(b);
    statement_to_json(s, b);
    json_builder_end_object(b);
    statement_free(s);
    return json_builder_get_root(b);
}

/* Compare the decision's recipients with the golden routing, as sets of
 * "addr role". */
static void
check_routing(const char *file, const struct decision *d)
{
    JsonArray *g = json_object_get_array_member(corpus.routing, file);
    g_autoptr(JsonArray) want = json_array_new(), got = json_array_new();
    g_autofree char *w = NULL, *h = NULL;

    assert_non_null(g);
    for (guint i = 0; i < json_array_get_length(g); i++) {
        JsonArray *pair = json_array_get_array_element(g, i);
        g_autofree char *one = g_strdup_printf("%s %s", json_array_get_string_element(pair, 0),
                                               json_array_get_string_element(pair, 1));

        json_array_add_string_element(want, one);
    }
    for (guint i = 0; i < d->recipients->len; i++) {
        const struct recipient *r = g_ptr_array_index(d->recipients, i);
        g_autofree char *one = g_strdup_printf("%s %s", r->addr, r->role);

        json_array_add_string_element(got, one);
    }
    w = set_text(want);
    h = set_text(got);
    if (strcmp(w, h) != 0)
        fail_msg("%s: routing: expected {%s}, got {%s}", file, w, h);
}

/* Ingest one corpus file and compare everything expected.json says. */
static void
test_corpus_file(void **state)
{
    JsonObject *exp = *state;
    const char *file = str_member(exp, "file");
    const char *kind = str_member(exp, "kind");
    g_autofree char *path = corpus_path(file);
    g_autofree char *raw = NULL;
    gsize len;
    struct decision d, again;
    GError *err = NULL;
    GBytes *stored;

    if (!g_file_get_contents(path, &raw, &len, &err))
        fail_msg("%s", err->message);
    assert_int_equal(ingest_message(&corpus.ctx, raw, len, NULL, &d), INGEST_OK);
    assert_string_equal(classify_kind_name(d.kind), kind);
    assert_false(d.duplicate);

    /* The raw message is kept verbatim. */
    stored = store_raw_message(corpus.store, d.message_row, &err);
    assert_non_null(stored);
    assert_int_equal(g_bytes_get_size(stored), len);
    assert_memory_equal(g_bytes_get_data(stored, NULL), raw, len);
    g_bytes_unref(stored);

    check_routing(file, &d);
    /* Every lookup the ingest makes goes through an index: a table scan
     * costs more with every statement the store keeps (the outbox grows
     * for ever), so one found here is a slowdown waiting to happen. */
    if (store_scan_steps(corpus.store) != 0)
        fail_msg("%s: the ingest scanned %" G_GINT64_FORMAT " table rows",
                 file, store_scan_steps(corpus.store));

    if (strcmp(kind, "statement") == 0) {
        g_autoptr(JsonNode) node = statement_json(d.statement_id);
        JsonObject *act = json_node_get_object(node);
        const char *body = str_member(act, "body");

        g_hash_table_insert(corpus.ids, g_strdup(file), GINT_TO_POINTER((int)d.statement_id));
        check_string(file, exp, act, "title");
        check_string(file, exp, act, "from");
        check_string(file, exp, act, "to");
        check_string(file, exp, act, "purpose");
        check_string(file, exp, act, "deadline");
        check_string(file, exp, act, "peer");
        /* A statement is nobody's forward unless expected.json says so,
         * and its Message-ID is the file's own unless it names another
         * (the forwarded one). */
        check_string_or(file, exp, act, "forwarded_by", NULL);
        {
            g_autofree char *own = raw_message_id(raw);

            check_string_or(file, exp, act, "message_id", own);
        }
        check_set(file, exp, act, "groups", "groups");
        check_set(file, exp, act, "cc_groups", "cc_groups");
        check_set(file, exp, act, "response_contacts", "response_contacts");
        check_set(file, exp, act, "technical_contacts", "technical_contacts");
        check_set(file, exp, act, "technical_contact_names", "technical_contacts_names");
        check_set(file, exp, act, "other_identifiers", "other_identifiers");
        check_set(file, exp, act, "related", "related");
        check_set(file, exp, act, "references", "references");
        check_attachments(file, exp, act);
        /* Diagnostics: exactly those listed; none when none are listed. */
        check_set(file, exp, act, "diagnostics", "diagnostics");
        if (json_object_has_member(exp, "body_contains")
            && (body == NULL || strstr(body, str_member(exp, "body_contains")) == NULL))
            fail_msg("%s: body does not contain \"%s\"", file, str_member(exp, "body_contains"));
        assert_string_equal(str_member(act, "state"), "open");
    } else if (strcmp(kind, "correspondence") == 0) {
        gpointer id = g_hash_table_lookup(corpus.ids, str_member(exp, "refers_to"));

        assert_non_null(id);
        assert_int_equal(d.statement_id, GPOINTER_TO_INT(id));
    } else if (strcmp(kind, "bounce") == 0 && json_object_has_member(exp, "failed_recipient")) {
        struct message_limits lim;
        struct message *m;
        gboolean found = FALSE;

        message_limits_default(&lim);
        m = message_parse(raw, len, &lim, &err);
        assert_non_null(m);
        for (guint i = 0; i < m->failed_recipients->len; i++)
            found = found || strcmp(g_ptr_array_index(m->failed_recipients, i),
                                    str_member(exp, "failed_recipient")) == 0;
        message_free(m);
        assert_true(found);
    }

    /* The same bytes again: recognised, same statement, same routing. */
    assert_int_equal(ingest_message(&corpus.ctx, raw, len, NULL, &again), INGEST_OK);
    assert_true(again.duplicate);
    assert_int_equal(again.statement_id, d.statement_id);
    assert_int_equal(again.message_row, d.message_row);
    check_routing(file, &again);
    decision_clear(&again);
    decision_clear(&d);
}

/* A context like the corpus's on a database of its own, named name in the
 * corpus's folder, for the cases that need a store in a known state. */
static struct store *
own_store(const char *name, struct ingest_ctx *ctx)
{
    g_autofree char *path = g_build_filename(corpus.tmpdir, name, NULL);
    GError *err = NULL;
    struct store *st = store_open(path, 1000, &err);

    if (st == NULL)
        fail_msg("store_open %s: %s", path, err->message);
    *ctx = corpus.ctx;
    ctx->store = st;
    return st;
}

/* Close own_store's database and remove its files. */
static void
own_store_close(struct store *st, const char *name)
{
    static const char *const suffix[] = { "", "-wal", "-shm" };

    store_close(st);
    for (size_t i = 0; i < G_N_ELEMENTS(suffix); i++) {
        g_autofree char *p = g_strconcat(corpus.tmpdir, "/", name, suffix[i], NULL);

        g_unlink(p);
    }
}

/* The bytes of corpus file name, with the text head put before its first
 * header and, unless NULL, the Message-ID replaced by mid. */
static char *
corpus_variant(const char *name, const char *head, const char *mid, gsize *len)
{
    g_autofree char *path = corpus_path(name);
    g_autofree char *raw = NULL;
    g_autoptr(GRegex) re = g_regex_new("^Message-ID:[^\n]*", G_REGEX_MULTILINE | G_REGEX_CASELESS,
                                       0, NULL);
    g_autofree char *idline = mid != NULL ? g_strconcat("Message-ID: ", mid, NULL) : NULL;
    g_autofree char *body = NULL;
    GError *err = NULL;
    char   *out;

    if (!g_file_get_contents(path, &raw, NULL, &err))
        fail_msg("%s", err->message);
    body = idline != NULL ? g_regex_replace_literal(re, raw, -1, 0, idline, 0, NULL)
                          : g_strdup(raw);
    assert_non_null(body);
    out = g_strconcat(head != NULL ? head : "", body, NULL);
    *len = strlen(out);
    return out;
}

/* Count rows of table in st's database through a connection of its own. */
static int
count_in(const char *dbname, const char *sql_count)
{
    g_autofree char *path = g_build_filename(corpus.tmpdir, dbname, NULL);
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    int n = -1;

    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK
        && sqlite3_prepare_v2(db, sql_count, -1, &q, NULL) == SQLITE_OK
        && sqlite3_step(q) == SQLITE_ROW)
        n = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return n;
}

/* The list's copy of a statement (List-Id, same Message-ID and body)
 * recorded first, as auto mail: the statement's own copy, which had been
 * deferred, still makes the statement, on the same message row, routed as
 * routing.json says; copies of either after that are duplicates, and the
 * list's copy is routed to no one. */
static void
test_list_copy_first(void **state)
{
    static const char db[] = "list-first.db";
    struct ingest_ctx ctx;
    struct store *st = own_store(db, &ctx);
    gsize nl, np;
    g_autofree char *listed = corpus_variant("s03-itu-template.eml",
                                             "List-Id: <ccamp.ietf.test>\n", NULL, &nl);
    g_autofree char *plain = corpus_variant("s03-itu-template.eml", NULL, NULL, &np);
    struct decision first, d, again, list_again;

    assert_int_equal(ingest_message(&ctx, listed, nl, NULL, &first), INGEST_OK);
    assert_int_equal(first.kind, KIND_AUTO);
    assert_int_equal(first.statement_id, 0);
    assert_int_equal(first.recipients->len, 0);

    assert_int_equal(ingest_message(&ctx, plain, np, NULL, &d), INGEST_OK);
    assert_int_equal(d.kind, KIND_STATEMENT);
    assert_false(d.duplicate);
    assert_true(d.statement_id > 0);
    assert_int_equal(d.message_row, first.message_row);
    check_routing("s03-itu-template.eml", &d);
    assert_int_equal(count_in(db, "SELECT count(*) FROM message WHERE direction = 'in'"), 1);
    assert_int_equal(count_in(db, "SELECT count(*) FROM statement"), 1);
    assert_int_equal(count_in(db, "SELECT count(*) FROM message WHERE kind = 'statement'"
                                  " AND statement IS NOT NULL"), 1);

    assert_int_equal(ingest_message(&ctx, plain, np, NULL, &again), INGEST_OK);
    assert_true(again.duplicate);
    assert_int_equal(again.kind, KIND_STATEMENT);
    assert_int_equal(again.statement_id, d.statement_id);
    check_routing("s03-itu-template.eml", &again);

    assert_int_equal(ingest_message(&ctx, listed, nl, NULL, &list_again), INGEST_OK);
    assert_true(list_again.duplicate);
    assert_int_equal(list_again.kind, KIND_AUTO);
    assert_int_equal(list_again.recipients->len, 0);
    assert_int_equal(count_in(db, "SELECT count(*) FROM statement"), 1);

    decision_clear(&first);
    decision_clear(&d);
    decision_clear(&again);
    decision_clear(&list_again);
    own_store_close(st, db);
}

/* A reply from a contact, copied to the list: the list's copy recorded
 * first (auto mail, on its statement), the reply's own copy is still
 * routed as correspondence, to the statement's assignee. */
static void
test_list_copy_of_reply_first(void **state)
{
    static const char db[] = "reply-list-first.db";
    static const char reply[] =
        "From: Greta Jonsson <greta.jonsson@itu.test>\n"
        "To: liaisons@ietf.test\n"
        "Subject: Re: LS on the OTN topology model\n"
        "Message-ID: <greta-reply@itu.test>\n"
        "In-Reply-To: <sg15-ls-0412@itu.test>\n"
        "Date: Mon, 1 Feb 2027 10:00:00 +0100\n"
        "\n"
        "We will send the updated model next week.\n";
    struct ingest_ctx ctx;
    struct store *st = own_store(db, &ctx);
    gsize n;
    g_autofree char *s01 = corpus_variant("s01-appendix-a.eml", NULL, NULL, &n);
    g_autofree char *listed = g_strconcat("List-Id: <ccamp.ietf.test>\n", reply, NULL);
    struct decision stmt, first, d;

    assert_int_equal(ingest_message(&ctx, s01, n, NULL, &stmt), INGEST_OK);
    assert_int_equal(stmt.kind, KIND_STATEMENT);
    assert_int_equal(ingest_message(&ctx, listed, strlen(listed), NULL, &first), INGEST_OK);
    assert_int_equal(first.kind, KIND_AUTO);
    assert_int_equal(first.recipients->len, 0);

    assert_int_equal(ingest_message(&ctx, reply, strlen(reply), NULL, &d), INGEST_OK);
    assert_true(d.duplicate);
    assert_int_equal(d.kind, KIND_CORRESPONDENCE);
    assert_int_equal(d.statement_id, stmt.statement_id);
    assert_int_equal(d.recipients->len, 1);
    assert_string_equal(((const struct recipient *) g_ptr_array_index(d.recipients, 0))->addr,
                        "ccamp-chairs@ietf.test");
    assert_int_equal(count_in(db, "SELECT count(*) FROM message WHERE direction = 'in'"), 2);
    /* The record says so: the reply's row is correspondence, with the
     * event a reply gets, and a retry of it is routed the same way. */
    assert_int_equal(count_in(db, "SELECT count(*) FROM message WHERE message_id ="
                              " '<greta-reply@itu.test>' AND kind = 'correspondence'"), 1);
    assert_int_equal(count_in(db, "SELECT count(*) FROM event WHERE what = 'correspondence'"
                              " AND actor = 'greta.jonsson@itu.test'"), 1);
    decision_clear(&d);
    assert_int_equal(ingest_message(&ctx, reply, strlen(reply), NULL, &d), INGEST_OK);
    assert_true(d.duplicate);
    assert_int_equal(d.kind, KIND_CORRESPONDENCE);
    assert_int_equal(d.recipients->len, 1);
    assert_int_equal(count_in(db, "SELECT count(*) FROM event WHERE what = 'correspondence'"), 1);
    /* The list's copy again: still routed to no one. */
    decision_clear(&d);
    assert_int_equal(ingest_message(&ctx, listed, strlen(listed), NULL, &d), INGEST_OK);
    assert_int_equal(d.kind, KIND_AUTO);
    assert_int_equal(d.recipients->len, 0);

    decision_clear(&stmt);
    decision_clear(&first);
    decision_clear(&d);
    own_store_close(st, db);
}

/* A statement that answers a message not recorded yet is a statement; its
 * retry, after that message has been recorded, gets the same decision:
 * the statement's routing, not that of correspondence on the other one. */
static void
test_retry_keeps_decision(void **state)
{
    static const char db[] = "retry.db";
    struct ingest_ctx ctx;
    struct store *st = own_store(db, &ctx);
    gsize na, nb;
    g_autofree char *answer = corpus_variant("s01-appendix-a.eml",
                                             "In-Reply-To: <earlier-ls@3gpp.test>\n", NULL, &na);
    g_autofree char *earlier = corpus_variant("s04-3gpp-template.eml", NULL,
                                              "<earlier-ls@3gpp.test>", &nb);
    struct decision d, other, retry;

    assert_int_equal(ingest_message(&ctx, answer, na, NULL, &d), INGEST_OK);
    assert_int_equal(d.kind, KIND_STATEMENT);
    check_routing("s01-appendix-a.eml", &d);
    assert_int_equal(ingest_message(&ctx, earlier, nb, NULL, &other), INGEST_OK);
    assert_int_equal(other.kind, KIND_STATEMENT);
    assert_true(other.statement_id != d.statement_id);

    assert_int_equal(ingest_message(&ctx, answer, na, NULL, &retry), INGEST_OK);
    assert_true(retry.duplicate);
    assert_int_equal(retry.kind, KIND_STATEMENT);
    assert_int_equal(retry.statement_id, d.statement_id);
    assert_int_equal(retry.message_row, d.message_row);
    check_routing("s01-appendix-a.eml", &retry);

    decision_clear(&d);
    decision_clear(&other);
    decision_clear(&retry);
    own_store_close(st, db);
}

/* A forward from from_addr (outer Message-ID <fwd-N@...>) carrying
 * inner, a whole message, as its message/rfc822 part. */
static char *
forward_of(const char *from_addr, const char *inner)
{
    static int n;

    return g_strdup_printf("Content-Type: multipart/mixed; boundary=\"b\"\n"
                           "MIME-Version: 1.0\nFrom: %s\nTo: liaisons@ietf.test\n"
                           "Subject: Fwd: a statement\nMessage-ID: <fwd-%d@forward.test>\n\n"
                           "--b\nContent-Type: text/plain\n\nForwarding the statement below.\n\n"
                           "--b\nContent-Type: message/rfc822\n\n%s\n--b--\n",
                           from_addr, ++n, inner);
}

/* A Message-ID is anyone's to write, and a body's next one is often easy
 * to guess (3GPP's are its document numbers).  Mail that takes it first,
 * a reply, an auto-reply or a stranger's statement, does not make the
 * body's real statement correspondence on something else: it is still a
 * statement, routed as routing.json says.  The same statement arriving
 * again from its sender, directly after its forward, is still
 * correspondence on it. */
static void
test_planted_message_id(void **state)
{
    static const char db[] = "planted.db";
    struct ingest_ctx ctx;
    struct store *st = own_store(db, &ctx);
    gsize n1, n4, na, nf, n4b, n14, nagain;
    g_autofree char *s01 = corpus_variant("s01-appendix-a.eml", NULL, NULL, &n1);
    g_autofree char *s04 = corpus_variant("s04-3gpp-template.eml", NULL, NULL, &n4);
    g_autofree char *s04b = corpus_variant("s04-3gpp-template.eml", NULL,
                                           "<S2-2611874@3gpp.test>", &n4b);
    g_autofree char *s14 = corpus_variant("s14-forwarded-rfc822.eml", NULL, NULL, &n14);
    g_autofree char *again = corpus_variant("s04-3gpp-template.eml", NULL,
                                            "<C4-2611020@3gpp.test>", &nagain);
    g_autofree char *autoreply = g_strdup(
        "From: Mallory <mallory@evil.test>\nTo: liaisons@ietf.test\n"
        "Subject: Auto: out of office\nMessage-ID: <S2-2611873@3gpp.test>\n"
        "In-Reply-To: <sg15-ls-0412@itu.test>\nAuto-Submitted: auto-replied\n\naway\n");
    g_autofree char *fake = g_strdup(
        "From: Mallory <mallory@evil.test>\nTo: liaisons@ietf.test\n"
        "Subject: LS on nothing\nMessage-ID: <S2-2611874@3gpp.test>\n\n"
        "Title: LS on nothing\nFrom: 3GPP SA2\nTo: IETF\nPurpose: For Information\n");
    struct decision d1, da, d4, df, d4b, d14, dagain;

    na = strlen(autoreply);
    nf = strlen(fake);
    assert_int_equal(ingest_message(&ctx, s01, n1, NULL, &d1), INGEST_OK);
    assert_int_equal(d1.kind, KIND_STATEMENT);
    /* An auto-reply threaded onto LS 1 under s04's Message-ID. */
    assert_int_equal(ingest_message(&ctx, autoreply, na, NULL, &da), INGEST_OK);
    assert_int_equal(da.kind, KIND_AUTO);
    assert_int_equal(da.statement_id, d1.statement_id);
    assert_int_equal(ingest_message(&ctx, s04, n4, NULL, &d4), INGEST_OK);
    assert_int_equal(d4.kind, KIND_STATEMENT);
    assert_true(d4.statement_id != d1.statement_id);
    check_routing("s04-3gpp-template.eml", &d4);

    /* A stranger's statement under the next one's Message-ID. */
    assert_int_equal(ingest_message(&ctx, fake, nf, NULL, &df), INGEST_OK);
    assert_int_equal(df.kind, KIND_STATEMENT);
    assert_int_equal(ingest_message(&ctx, s04b, n4b, NULL, &d4b), INGEST_OK);
    assert_int_equal(d4b.kind, KIND_STATEMENT);
    assert_true(d4b.statement_id != df.statement_id);
    check_routing("s04-3gpp-template.eml", &d4b);

    /* A stranger's forward of a made-up statement "from" the body, under
     * the body's next Message-ID: not the body's word. */
    {
        gsize nmade, nreal;
        g_autofree char *made = corpus_variant("s04-3gpp-template.eml", NULL,
                                               "<S2-2611875@3gpp.test>", &nmade);
        g_autofree char *fwd = forward_of("Mallory <mallory@evil.test>", made);
        g_autofree char *real = corpus_variant("s04-3gpp-template.eml", NULL,
                                               "<S2-2611875@3gpp.test>", &nreal);
        struct decision dm, dr;

        assert_int_equal(ingest_message(&ctx, fwd, strlen(fwd), NULL, &dm), INGEST_OK);
        assert_int_equal(dm.kind, KIND_STATEMENT);
        assert_int_equal(ingest_message(&ctx, real, nreal, NULL, &dr), INGEST_OK);
        assert_int_equal(dr.kind, KIND_STATEMENT);
        assert_true(dr.statement_id != dm.statement_id);
        decision_clear(&dm);
        decision_clear(&dr);
    }
    /* A colleague at the body forwards it, then it comes directly: the
     * same statement. */
    {
        gsize ninner, ndirect;
        g_autofree char *inner = corpus_variant("s04-3gpp-template.eml", NULL,
                                                "<S2-2611876@3gpp.test>", &ninner);
        g_autofree char *fwd = forward_of("Liaison Officer <officer@3gpp.test>", inner);
        g_autofree char *copy = corpus_variant("s04-3gpp-template.eml", NULL,
                                               "<S2-2611876@3gpp.test>", &ndirect);
        /* Not the same bytes as the forwarded copy: a line of its own. */
        g_autofree char *direct = g_strconcat(copy, "\nSent again directly.\n", NULL);
        struct decision dm, dr;

        assert_int_equal(ingest_message(&ctx, fwd, strlen(fwd), NULL, &dm), INGEST_OK);
        assert_int_equal(dm.kind, KIND_STATEMENT);
        assert_int_equal(ingest_message(&ctx, direct, strlen(direct), NULL, &dr), INGEST_OK);
        assert_int_equal(dr.kind, KIND_CORRESPONDENCE);
        assert_int_equal(dr.statement_id, dm.statement_id);
        decision_clear(&dm);
        decision_clear(&dr);
    }
    /* A quoted local part with '>' in it: the same sender is the same. */
    {
        static const char quoted[] =
            "From: Kasia <\"kas>ia\"@3gpp.test>\nTo: liaisons@ietf.test\n"
            "Subject: LS on odd addresses\nMessage-ID: <odd-1@3gpp.test>\n\n"
            "Title: LS on odd addresses\nFrom: 3GPP SA2\nTo: IETF DMM WG\n"
            "Purpose: For Information\n";
        g_autofree char *again2 = g_strconcat(quoted, "Sent again.\n", NULL);
        struct decision dq, dq2;

        assert_int_equal(ingest_message(&ctx, quoted, strlen(quoted), NULL, &dq), INGEST_OK);
        assert_int_equal(dq.kind, KIND_STATEMENT);
        assert_int_equal(ingest_message(&ctx, again2, strlen(again2), NULL, &dq2), INGEST_OK);
        assert_int_equal(dq2.kind, KIND_CORRESPONDENCE);
        assert_int_equal(dq2.statement_id, dq.statement_id);
        decision_clear(&dq);
        decision_clear(&dq2);
    }

    /* The forwarded statement, then the same one from its sender. */
    assert_int_equal(ingest_message(&ctx, s14, n14, NULL, &d14), INGEST_OK);
    assert_int_equal(d14.kind, KIND_STATEMENT);
    assert_int_equal(ingest_message(&ctx, again, nagain, NULL, &dagain), INGEST_OK);
    assert_int_equal(dagain.kind, KIND_CORRESPONDENCE);
    assert_int_equal(dagain.statement_id, d14.statement_id);

    decision_clear(&d1);
    decision_clear(&da);
    decision_clear(&d4);
    decision_clear(&df);
    decision_clear(&d4b);
    decision_clear(&d14);
    decision_clear(&dagain);
    own_store_close(st, db);
}

/* tagged(id, from_addr, from_body, to_body, title): a follow-up citing
 * "[LS id]" in its Subject, with an envelope of its own. */
static char *
tagged(gint64 id, const char *from_addr, const char *from_body, const char *to_body,
       const char *title)
{
    static int n;

    return g_strdup_printf("From: %s\nTo: liaisons@ietf.test\n"
                           "Subject: [LS %" G_GINT64_FORMAT "] follow-up\n"
                           "Message-ID: <tagged-%d@test.test>\n\n"
                           "Title: %s\nFrom: %s\nTo: %s\nPurpose: For Information\n",
                           from_addr, id, ++n, title, from_body, to_body);
}

/* Mail in the thread of a recorded statement is correspondence, whatever
 * it carries: a correction restating the envelope, a chair's draft of the
 * IETF's answer, a copy of a statement sent elsewhere.  Mail that cites a
 * statement's tag is a new statement only when it is one of its own to the
 * IETF, not from it, from outside the IETF's own domain. */
static void
test_statement_citing_another(void **state)
{
    static const char db[] = "thread.db";
    struct ingest_ctx ctx;
    struct store *st = own_store(db, &ctx);
    static const char reply_to_ls1[] =
        "In-Reply-To: <sg15-ls-0412@itu.test>\nReferences: <sg15-ls-0412@itu.test>\n";
    gsize n1, n3;
    g_autofree char *ls1 = corpus_variant("s01-appendix-a.eml", NULL, NULL, &n1);
    g_autofree char *threaded = corpus_variant("s03-itu-template.eml", reply_to_ls1,
                                               "<next-in-thread@itu.test>", &n3);
    static const char draft[] =
        "From: Daniele Ceccarelli <ccamp-chairs@ietf.test>\n"
        "To: liaisons@ietf.test\n"
        "Subject: Re: LS on OTN beyond-400G control plane extensions\n"
        "Message-ID: <draft-answer@ietf.test>\n"
        "In-Reply-To: <sg15-ls-0412@itu.test>\n"
        "\n"
        "A draft of our answer:\n\n"
        "Title: Reply to LS on OTN beyond-400G control plane extensions\n"
        "From: IETF CCAMP WG\n"
        "To: ITU-T SG15\n"
        "Purpose: For Information\n";
    struct {
        const char *from_addr, *from_body, *to_body, *title;
        gboolean is_new;
    } const cited[] = {
        /* the chair's draft, from the IETF's domain */
        { "ccamp-chairs@ietf.test", "ITU-T SG15", "IETF CCAMP WG", "Reply on OTN", FALSE },
        /* from an IETF body by another name, or from the IESG */
        { "greta.jonsson@itu.test", "CCAMP Working Group", "ITU-T SG15", "Reply on OTN", FALSE },
        { "greta.jonsson@itu.test", "The IESG", "ITU-T SG15", "Reply on OTN", FALSE },
        /* a copy of what the body sent another body */
        { "greta.jonsson@itu.test", "ITU-T SG15", "3GPP TSG RAN WG3", "LS on OTN transport", FALSE },
        /* the body's next statement to the IETF, citing the old one */
        { "greta.jonsson@itu.test", "ITU-T SG15", "IETF DetNet WG", "LS on OTN timing", TRUE },
    };
    struct decision d1, d;

    (void) state;
    assert_int_equal(ingest_message(&ctx, ls1, n1, NULL, &d1), INGEST_OK);
    assert_int_equal(d1.kind, KIND_STATEMENT);

    assert_int_equal(ingest_message(&ctx, threaded, n3, NULL, &d), INGEST_OK);
    assert_int_equal(d.kind, KIND_CORRESPONDENCE);
    assert_int_equal(d.statement_id, d1.statement_id);
    decision_clear(&d);
    assert_int_equal(ingest_message(&ctx, draft, strlen(draft), NULL, &d), INGEST_OK);
    assert_int_equal(d.kind, KIND_CORRESPONDENCE);
    assert_int_equal(d.statement_id, d1.statement_id);
    decision_clear(&d);

    for (size_t i = 0; i < G_N_ELEMENTS(cited); i++) {
        g_autofree char *mail = tagged(d1.statement_id, cited[i].from_addr, cited[i].from_body,
                                       cited[i].to_body, cited[i].title);

        assert_int_equal(ingest_message(&ctx, mail, strlen(mail), NULL, &d), INGEST_OK);
        if ((d.kind == KIND_STATEMENT) != cited[i].is_new
            || (!cited[i].is_new && d.statement_id != d1.statement_id))
            fail_msg("%s, from %s to %s: %s on %" G_GINT64_FORMAT, cited[i].from_addr,
                     cited[i].from_body, cited[i].to_body, classify_kind_name(d.kind),
                     d.statement_id);
        decision_clear(&d);
    }
    assert_int_equal(count_in(db, "SELECT count(*) FROM statement"), 2);
    decision_clear(&d1);
    own_store_close(st, db);
}

/* The kind ingest gives raw from envelope_sender ("" the null sender,
 * NULL none), and through *id its statement. */
static enum message_kind
kind_of(struct ingest_ctx *ctx, const char *raw, const char *envelope_sender, gint64 *id)
{
    struct decision d;
    enum message_kind k;

    assert_int_equal(ingest_message(ctx, raw, strlen(raw), envelope_sender, &d), INGEST_OK);
    k = d.kind;
    if (id != NULL)
        *id = d.statement_id;
    decision_clear(&d);
    return k;
}

/* From the null sender, mail that does not say it is a responder's reply
 * is a bounce, whoever it is from, and so is a postmaster's that does;
 * a person's reply saying Auto-Submitted is auto mail, not a failure.
 * Nothing from the null sender is a statement, not even what looks like
 * the datatracker's announcement of one. */
static void
test_classify_null_sender(void **state)
{
    static const char db[] = "null-sender.db";
    static const char relay[] =
        "From: Mail Relay <relay@mx.elsewhere.test>\n"
        "To: liaisons@ietf.test\n"
        "Subject: Undeliverable: LS on OTN\n"
        "Message-ID: <relay-1@mx.elsewhere.test>\n"
        "\n"
        "Your message could not be delivered.\n";
    static const char postmaster[] =
        "From: postmaster@mx.elsewhere.test\n"
        "To: liaisons@ietf.test\n"
        "Subject: Undeliverable: LS on OTN\n"
        "Message-ID: <relay-2@mx.elsewhere.test>\n"
        "Auto-Submitted: auto-replied\n"
        "\n"
        "Your message could not be delivered.\n";
    struct ingest_ctx ctx;
    struct store *st = own_store(db, &ctx);
    gsize n;
    g_autofree char *ooo = corpus_variant("s10-auto-reply.eml", NULL, NULL, &n);
    g_autofree char *dt = corpus_variant("s02-datatracker-mail.eml",
                                         "Auto-Submitted: auto-generated\nPrecedence: bulk\n",
                                         NULL, &n);

    (void) state;
    assert_int_equal(kind_of(&ctx, relay, "", NULL), KIND_BOUNCE);
    assert_int_equal(kind_of(&ctx, postmaster, "", NULL), KIND_BOUNCE);
    assert_int_equal(kind_of(&ctx, ooo, "", NULL), KIND_AUTO);
    assert_int_equal(kind_of(&ctx, dt, "", NULL), KIND_AUTO);
    assert_int_equal(count_in(db, "SELECT count(*) FROM statement"), 0);
    own_store_close(st, db);
}

/* What says it was not written by a person is auto mail, never a
 * statement: Precedence list, our own loop header.  "Auto-Submitted: no"
 * says the opposite.  The datatracker's announcement, which it marks
 * auto-generated and bulk, is a statement; not when it is a responder's
 * reply quoting it, nor a list's copy of it. */
static void
test_classify_automatic_marks(void **state)
{
    static const char db[] = "marks.db";
    static const struct {
        const char *file, *head, *mid;
        enum message_kind kind;
    } rows[] = {
        { "s01-appendix-a.eml", "Auto-Submitted: no\n", NULL, KIND_STATEMENT },
        { "s03-itu-template.eml", "Precedence: list\n", NULL, KIND_AUTO },
        { "s04-3gpp-template.eml", "X-Liaison-Loop: liaisons@ietf.test\n", NULL, KIND_AUTO },
        { "s02-datatracker-mail.eml", "Auto-Submitted: auto-replied\n", "<dt-replied@ietf.test>",
          KIND_AUTO },
        { "s02-datatracker-mail.eml", "Auto-Submitted: auto-generated\nPrecedence: list\n",
          "<dt-listed@ietf.test>", KIND_AUTO },
        { "s02-datatracker-mail.eml", "Auto-Submitted: auto-generated\nPrecedence: bulk\n",
          NULL, KIND_STATEMENT },
    };
    struct ingest_ctx ctx;
    struct store *st = own_store(db, &ctx);

    (void) state;
    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        gsize n;
        g_autofree char *raw = corpus_variant(rows[i].file, rows[i].head, rows[i].mid, &n);
        enum message_kind k = kind_of(&ctx, raw, NULL, NULL);

        if (k != rows[i].kind)
            fail_msg("%s with %s: %s, expected %s", rows[i].file, rows[i].head,
                     classify_kind_name(k), classify_kind_name(rows[i].kind));
    }
    assert_int_equal(count_in(db, "SELECT count(*) FROM statement"), 2);
    own_store_close(st, db);
}

/* A reply whose mailer kept only the first References id (the statement's)
 * is correspondence on it.  A stranger's "[LS n]" tag is anyone's to write:
 * without a thread it makes no correspondence, and the mail is new. */
static void
test_classify_references_and_tag(void **state)
{
    static const char db[] = "refs.db";
    struct ingest_ctx ctx;
    struct store *st = own_store(db, &ctx);
    gsize n;
    g_autofree char *ls1 = corpus_variant("s01-appendix-a.eml", NULL, NULL, &n);
    g_autofree char *stranger = NULL;
    static const char reply[] =
        "From: Someone <someone@elsewhere.test>\n"
        "To: liaisons@ietf.test\n"
        "Subject: Re: the OTN statement\n"
        "Message-ID: <refs-reply@elsewhere.test>\n"
        "References: <sg15-ls-0412@itu.test> <unknown-1@elsewhere.test>\n"
        "\n"
        "A comment on the statement.\n";
    gint64 id, other;

    (void) state;
    assert_int_equal(kind_of(&ctx, ls1, NULL, &id), KIND_STATEMENT);
    assert_int_equal(kind_of(&ctx, reply, NULL, &other), KIND_CORRESPONDENCE);
    assert_int_equal(other, id);
    stranger = g_strdup_printf("From: Someone <someone@elsewhere.test>\n"
                               "To: liaisons@ietf.test\n"
                               "Subject: What became of [LS %" G_GINT64_FORMAT "]?\n"
                               "Message-ID: <stranger-tag@elsewhere.test>\n"
                               "\n"
                               "Was it answered?\n", id);
    assert_int_equal(kind_of(&ctx, stranger, NULL, &other), KIND_STATEMENT);
    assert_true(other != id);
    own_store_close(st, db);
}

/* A delivery report is a bounce whoever its From names: an MTA that
 * signs its reports with its own name and Auto-Submitted (as a responder
 * would) is still reporting a failure, from the null sender or not.
 * Mail that cites a statement's tag from one of its people, with an
 * envelope from one IETF body to another, is correspondence on it. */
static void
test_classify_report_and_ietf_envelope(void **state)
{
    static const char db[] = "report.db";
    static const char report[] =
        "From: Mail Delivery System <exchange-ndr@mx.itu.test>\n"
        "To: liaisons@ietf.test\n"
        "Subject: Undeliverable: LS on OTN\n"
        "Message-ID: <ndr-1@mx.itu.test>\n"
        "Auto-Submitted: auto-replied\n"
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=\"d\"\n"
        "\n"
        "--d\nContent-Type: text/plain\n\nThe mail could not be delivered.\n"
        "--d\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.itu.test\n\n"
        "Final-Recipient: rfc822; nobody@itu.test\n"
        "Action: failed\n"
        "Status: 5.1.1\n\n"
        "--d--\n";
    struct ingest_ctx ctx;
    struct store *st = own_store(db, &ctx);
    gsize n;
    g_autofree char *ls1 = corpus_variant("s01-appendix-a.eml", NULL, NULL, &n);
    g_autofree char *internal = NULL;
    gint64 id, other;

    (void) state;
    assert_int_equal(kind_of(&ctx, report, "", NULL), KIND_BOUNCE);
    assert_int_equal(kind_of(&ctx, ls1, NULL, &id), KIND_STATEMENT);
    internal = tagged(id, "greta.jonsson@itu.test", "IETF CCAMP WG", "IETF DetNet WG",
                      "Relay of the OTN statement");
    assert_int_equal(kind_of(&ctx, internal, NULL, &other), KIND_CORRESPONDENCE);
    assert_int_equal(other, id);
    own_store_close(st, db);
}

/* A forward's attached message names its own From, which anyone can
 * write: technical contacts at that domain are not copied (intake would
 * relay to any domain a stranger picks); the forwarder's domain counts. */
static void
test_forward_inner_from(void **state)
{
    static const char db[] = "forward.db";
    struct ingest_ctx ctx;
    struct store *st = own_store(db, &ctx);
    static const char fwd[] =
        "From: Mallory <m@attacker.test>\n"
        "To: liaisons@ietf.test\n"
        "Subject: Fwd: LS on clock synchronisation\n"
        "Message-ID: <fwd-attack@attacker.test>\n"
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=\"b\"\n"
        "\n"
        "--b\n"
        "Content-Type: text/plain\n"
        "\n"
        "Forwarding the statement below.\n"
        "--b\n"
        "Content-Type: message/rfc822\n"
        "\n"
        "From: Victor <v@victim.test>\n"
        "To: liaisons@ietf.test\n"
        "Subject: LS on clock synchronisation\n"
        "Message-ID: <inner-attack@victim.test>\n"
        "Content-Type: text/plain\n"
        "\n"
        "Title: LS on clock synchronisation\n"
        "From: Victim Forum\n"
        "To: IETF CCAMP WG\n"
        "Purpose: For Action\n"
        "Deadline: 2027-06-01\n"
        "Technical Contact: t1@victim.test, t2@victim.test, Mal <m2@attacker.test>\n"
        "\n"
        "Please comment.\n"
        "--b--\n";
    struct decision d;
    gboolean chairs = FALSE;

    (void) state;
    assert_int_equal(ingest_message(&ctx, fwd, strlen(fwd), NULL, &d), INGEST_OK);
    assert_int_equal(d.kind, KIND_STATEMENT);
    for (guint i = 0; i < d.recipients->len; i++) {
        const struct recipient *r = g_ptr_array_index(d.recipients, i);

        if (strstr(r->addr, "@victim.test") != NULL)
            fail_msg("copied to %s (%s), an address at the attached message's From",
                     r->addr, r->role);
        if (strcmp(r->addr, "ccamp-chairs@ietf.test") == 0)
            chairs = TRUE;
    }
    assert_true(chairs);
    assert_int_equal(count_in(db, "SELECT count(*) FROM recipient WHERE addr = 'm2@attacker.test'"
                                  " AND role = 'technical'"), 1);
    assert_int_equal(count_in(db, "SELECT count(*) FROM diagnostic"
                                  " WHERE code = 'technical-contact-not-copied'"
                                  " AND text LIKE '%t1@victim.test, t2@victim.test.'"), 1);
    decision_clear(&d);

    /* The IETF's own forwarder (the secretariat passing on what reached
     * statements@) is trusted with the attached From: the contacts of a
     * body the directory does not know are copied at its domain. */
    {
        static const char *const swap[][2] = {
            { "Mallory <m@attacker.test>", "Secretariat <statements@ietf.test>" },
            { "<fwd-attack@attacker.test>", "<fwd-2@ietf.test>" },
            { "<inner-attack@victim.test>", "<inner-2@victim.test>" },
        };
        g_autofree char *sec = g_strdup(fwd);

        for (size_t i = 0; i < G_N_ELEMENTS(swap); i++) {
            g_auto(GStrv) parts = g_strsplit(sec, swap[i][0], -1);

            assert_int_equal(g_strv_length(parts), 2);
            g_free(sec);
            sec = g_strjoinv(swap[i][1], parts);
        }
        assert_int_equal(ingest_message(&ctx, sec, strlen(sec), NULL, &d), INGEST_OK);
        assert_int_equal(d.kind, KIND_STATEMENT);
        assert_int_equal(count_in(db, "SELECT count(*) FROM recipient WHERE addr = 't1@victim.test'"
                                      " AND role = 'technical'"), 1);
        decision_clear(&d);
    }
    own_store_close(st, db);
}

/* The first column of the first row of a query on st's database, through
 * a connection of its own; NULL when there is none. */
static char *
text_in(const char *dbname, const char *sql)
{
    g_autofree char *path = g_build_filename(corpus.tmpdir, dbname, NULL);
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    char *v = NULL;

    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK
        && sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK
        && sqlite3_step(q) == SQLITE_ROW)
        v = g_strdup((const char *) sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    sqlite3_close(db);
    return v;
}

/* Run one SQL statement on dbname through a connection of its own. */
static void
exec_in(const char *dbname, const char *sql_text)
{
    g_autofree char *path = g_build_filename(corpus.tmpdir, dbname, NULL);
    sqlite3 *db = NULL;
    char   *msg = NULL;

    if (sqlite3_open(path, &db) != SQLITE_OK
        || sqlite3_exec(db, sql_text, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql_text, msg != NULL ? msg : sqlite3_errmsg(db));
    sqlite3_close(db);
}

/* A DSN from the null sender to verp, for one recipient with action and
 * status (no Action line when action is NULL). */
static char *
dsn_to(const char *verp, const char *rcpt, const char *action, const char *status)
{
    return g_strdup_printf(
        "From: Mail Delivery System <MAILER-DAEMON@mx.itu.test>\n"
        "To: %s\n"
        "Subject: Delayed Mail (still being retried)\n"
        "Message-ID: <dsn-%s-%s@mx.itu.test>\n"
        "Auto-Submitted: auto-replied\n"
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=\"d\"\n"
        "\n"
        "--d\nContent-Type: text/plain\n\nThe mail is not delivered yet.\n"
        "--d\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.itu.test\n\n"
        "Final-Recipient: rfc822; %s\n"
        "%s%s%s"
        "Status: %s\n\n"
        "--d--\n",
        verp, action != NULL ? action : "none", status, rcpt,
        action != NULL ? "Action: " : "", action != NULL ? action : "",
        action != NULL ? "\n" : "", status);
}

/* A delayed-delivery DSN to the VERP sender of a notification the
 * outbox made is recorded as a bounce on its statement, but neither marks
 * the address failing nor queues a report: the mail may still arrive.
 * "Failed" (any case) does both, and so does a DSN with no Action. */
static void
test_dsn_action(void **state)
{
    static const char db[] = "dsn-action.db";
    struct ingest_ctx ctx;
    struct store *st = own_store(db, &ctx);
    GError *err = NULL;
    gsize n;
    g_autofree char *s01 = corpus_variant("s01-appendix-a.eml", NULL, NULL, &n);
    g_autofree char *rcpts = NULL, *secret = NULL, *verp = NULL;
    g_autofree char *delayed = NULL, *failed = NULL, *bare = NULL, *detail = NULL;
    char *nl;
    int row;
    struct decision stmt, d;

    assert_int_equal(ingest_message(&ctx, s01, n, NULL, &stmt), INGEST_OK);
    assert_int_equal(stmt.kind, KIND_STATEMENT);
    row = count_in(db, "SELECT min(id) FROM outbox WHERE kind = 'notification'");
    assert_true(row > 0);
    rcpts = text_in(db, "SELECT rcpts FROM outbox WHERE kind = 'notification'"
                        " ORDER BY id LIMIT 1");
    assert_non_null(rcpts);
    if ((nl = strchr(rcpts, '\n')) != NULL)
        *nl = '\0';
    secret = store_secret(st, &err);
    assert_non_null(secret);
    verp = compose_verp_sender(&test_mail_settings, secret, row, rcpts);

    delayed = dsn_to(verp, rcpts, "delayed", "4.4.7");
    assert_int_equal(ingest_message(&ctx, delayed, strlen(delayed), "", &d), INGEST_OK);
    assert_int_equal(d.kind, KIND_BOUNCE);
    assert_int_equal(d.statement_id, stmt.statement_id);
    decision_clear(&d);
    assert_int_equal(count_in(db, "SELECT count(*) FROM failing_address"), 0);
    assert_int_equal(count_in(db, "SELECT count(*) FROM outbox WHERE kind = 'report'"), 0);
    detail = text_in(db, "SELECT detail FROM event WHERE what = 'bounce'");
    assert_non_null(detail);
    assert_non_null(strstr(detail, "(delayed 4.4.7)"));

    failed = dsn_to(verp, rcpts, "Failed", "5.1.1");
    assert_int_equal(ingest_message(&ctx, failed, strlen(failed), "", &d), INGEST_OK);
    assert_int_equal(d.kind, KIND_BOUNCE);
    assert_int_equal(d.statement_id, stmt.statement_id);
    decision_clear(&d);
    assert_int_equal(count_in(db, "SELECT count(*) FROM failing_address"), 1);
    assert_int_equal(count_in(db, "SELECT count(*) FROM outbox WHERE kind = 'report'"), 1);

    /* The same address again within a week: marked once more, but the
     * liaison manager has been told already. */
    bare = dsn_to(verp, rcpts, NULL, "5.0.0");
    assert_int_equal(ingest_message(&ctx, bare, strlen(bare), "", &d), INGEST_OK);
    assert_int_equal(d.kind, KIND_BOUNCE);
    decision_clear(&d);
    assert_int_equal(count_in(db, "SELECT bounces FROM failing_address"), 2);
    assert_int_equal(count_in(db, "SELECT count(*) FROM outbox WHERE kind = 'report'"), 1);
    /* After 15 quiet days (longer than the weekly reminders) it is
     * reported again. */
    exec_in(db, "UPDATE failing_address SET last = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-16 days')");
    g_free(failed);
    failed = dsn_to(verp, rcpts, "failed", "5.1.2");  /* another DSN, not a retry */
    assert_int_equal(ingest_message(&ctx, failed, strlen(failed), "", &d), INGEST_OK);
    assert_int_equal(d.kind, KIND_BOUNCE);
    decision_clear(&d);
    assert_int_equal(count_in(db, "SELECT bounces FROM failing_address"), 3);
    assert_int_equal(count_in(db, "SELECT count(*) FROM outbox WHERE kind = 'report'"), 2);

    decision_clear(&stmt);
    own_store_close(st, db);
}

/* Every hostile message is recorded with its raw bytes kept. */
static void
test_malformed(void **state)
{
    for (size_t i = 0; i < malformed_case_count; i++) {
        GBytes *b = malformed_cases[i].make();
        gsize len;
        const char *raw = g_bytes_get_data(b, &len);
        struct decision d;
        enum ingest_status st = ingest_message(&corpus.ctx, raw, len, NULL, &d);
        GError *err = NULL;
        GBytes *stored;

        if (st != INGEST_OK)
            fail_msg("malformed case %s: status %d (%s)", malformed_cases[i].name, st,
                     d.error != NULL ? d.error : "");
        stored = store_raw_message(corpus.store, d.message_row, &err);
        assert_non_null(stored);
        if (g_bytes_get_size(stored) != len
            || memcmp(g_bytes_get_data(stored, NULL), raw, len) != 0)
            fail_msg("malformed case %s: raw bytes not kept", malformed_cases[i].name);
        g_bytes_unref(stored);
        decision_clear(&d);
        g_bytes_unref(b);
    }
}

/* The statement recorded from raw (a new statement), read back. */
static struct statement *
ingest_new_statement(const char *raw)
{
    struct decision d;
    struct statement *s;
    GError *err = NULL;

    assert_int_equal(ingest_message(&corpus.ctx, raw, strlen(raw), NULL, &d), INGEST_OK);
    assert_int_equal(d.kind, KIND_STATEMENT);
    s = store_get_statement(corpus.store, d.statement_id, &err);
    if (s == NULL)
        fail_msg("store_get_statement: %s", err->message);
    decision_clear(&d);
    return s;
}

/* The text of s's diagnostic code, or NULL. */
static const char *
diagnostic_text(const struct statement *s, const char *code)
{
    for (guint i = 0; i < s->diagnostics->len; i++) {
        const struct diagnostic *dg = g_ptr_array_index(s->diagnostics, i);

        if (strcmp(dg->code, code) == 0)
            return dg->text;
    }
    return NULL;
}

/* A PDF named in capitals and sent as application/octet-stream is a
 * readable format beside a .DOC; a winmail.dat is named as Outlook's
 * wrapper, not as a word processor's file; and a damaged mail's
 * diagnostic names every problem found, not only the first. */
static void
test_diagnostic_checks(void **state)
{
    static const char upper[] =
        "From: Greta <greta@itu.test>\nTo: liaisons@ietf.test\nSubject: LS upper-case names\n"
        "Message-ID: <upper-ext-1@itu.test>\nMIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=\"b\"\n\n"
        "--b\nContent-Type: text/plain\n\nFrom: ITU-T SG15\nTo: IETF CCAMP WG\n"
        "Purpose: For information\n\n"
        "--b\nContent-Type: application/msword\nContent-Disposition: attachment; "
        "filename=\"SG15-LS-0412.DOC\"\nContent-Transfer-Encoding: base64\n\nSGVsbG8=\n"
        "--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment; "
        "filename=\"SG15-LS-0412.PDF\"\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQ=\n"
        "--b--\n";
    static const char damaged[] =
        "From: Greta <greta@itu.test>\nTo: liaisons@ietf.test\nSubject: LS damaged twice\n"
        "Message-ID: <damaged-twice-1@itu.test>\nMIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=\"b\"\n\n"
        "--b\nContent-Type: text/plain\n\nFrom: ITU-T SG15\nTo: IETF CCAMP WG\n"
        "Purpose: For information\n\n"
        "--b\nContent-Type: application/pdf\nContent-Disposition: attachment; "
        "filename=\"ls.pdf\"\nContent-Transfer-Encoding: base64\n\nJVBE*Ri0x!LjQ=\n";
    static const char tnef[] =
        "From: Greta <greta@itu.test>\nTo: liaisons@ietf.test\nSubject: LS in rich text\n"
        "Message-ID: <tnef-1@itu.test>\nMIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=\"b\"\n\n"
        "--b\nContent-Type: text/plain\n\nFrom: ITU-T SG15\nTo: IETF CCAMP WG\n"
        "Purpose: For information\n\n"
        "--b\nContent-Type: application/vnd.ms-tnef; name=\"winmail.dat\"\n"
        "Content-Disposition: attachment; filename=\"winmail.dat\"\n"
        "Content-Transfer-Encoding: base64\n\neJ8+IgEAAQ==\n"
        "--b--\n";
    struct statement *s = ingest_new_statement(upper);
    const char *text;

    assert_false(statement_has_diagnostic(s, "attachment-not-readable-format"));
    assert_false(statement_has_diagnostic(s, "attachment-tnef"));
    statement_free(s);
    s = ingest_new_statement(tnef);
    text = diagnostic_text(s, "attachment-tnef");
    assert_non_null(text);
    assert_non_null(strstr(text, "winmail.dat"));
    /* Its "application/vnd.ms-" type is no word processor's. */
    assert_false(statement_has_diagnostic(s, "attachment-not-readable-format"));
    statement_free(s);
    s = ingest_new_statement(damaged);
    text = diagnostic_text(s, "mime-damaged");
    assert_non_null(text);
    /* The unclosed boundary, and the attachment's bad base64 after it. */
    if (strstr(text, "never closed") == NULL || strstr(text, "base64") == NULL)
        fail_msg("mime-damaged names only part of the damage: %s", text);
    statement_free(s);
}

/* Text that is not mail at all is refused with EX_DATAERR, and nothing is
 * written: the message, statement, outbox and event tables, counted
 * through a connection of their own, keep the rows they had. */
static void
test_not_mail(void **state)
{
    static const char *const inputs[] = { "", "hello world\n", "\x01\x02\x03\xff binary" };
    static const char *const counts[] = {
        "SELECT count(*) FROM message", "SELECT count(*) FROM statement",
        "SELECT count(*) FROM outbox", "SELECT count(*) FROM event",
    };
    g_autofree char *db = g_path_get_basename(corpus.dbpath);
    int before[G_N_ELEMENTS(counts)];

    for (size_t k = 0; k < G_N_ELEMENTS(counts); k++) {
        before[k] = count_in(db, counts[k]);
        assert_true(before[k] >= 0);
    }
    /* The corpus ran first: a table left empty would hide nothing. */
    assert_true(before[0] > 0);
    for (size_t i = 0; i < G_N_ELEMENTS(inputs); i++) {
        struct decision d;

        assert_int_equal(ingest_message(&corpus.ctx, inputs[i], strlen(inputs[i]), NULL, &d),
                         INGEST_DATAERR);
        assert_non_null(d.error);
        assert_int_equal(d.message_row, 0);
        decision_clear(&d);
        for (size_t k = 0; k < G_N_ELEMENTS(counts); k++)
            if (count_in(db, counts[k]) != before[k])
                fail_msg("input %zu: %s: %d rows before, %d after", i, counts[k], before[k],
                         count_in(db, counts[k]));
    }
}

/* The TNEF diagnostic names the type the winmail.dat came as: Outlook
 * labels it application/ms-tnef or application/vnd.ms-tnef, and a
 * gateway may pass it on as application/octet-stream, known by its name
 * alone. */
static void
test_tnef_type_named(void **state)
{
    static const char *const types[] = {
        "application/vnd.ms-tnef", "application/octet-stream", "application/ms-tnef",
    };

    (void) state;
    for (size_t i = 0; i < G_N_ELEMENTS(types); i++) {
        g_autofree char *mail = g_strdup_printf(
            "From: Greta <greta@itu.test>\nTo: liaisons@ietf.test\nSubject: LS in rich text\n"
            "Message-ID: <tnef-type-%zu@itu.test>\nMIME-Version: 1.0\n"
            "Content-Type: multipart/mixed; boundary=\"b\"\n\n"
            "--b\nContent-Type: text/plain\n\nFrom: ITU-T SG15\nTo: IETF CCAMP WG\n"
            "Purpose: For information\n\n"
            "--b\nContent-Type: %s; name=\"winmail.dat\"\n"
            "Content-Disposition: attachment; filename=\"winmail.dat\"\n"
            "Content-Transfer-Encoding: base64\n\neJ8+IgEAAQ==\n"
            "--b--\n", i, types[i]);
        struct statement *s = ingest_new_statement(mail);
        const char *text = diagnostic_text(s, "attachment-tnef");
        g_autofree char *named = g_strdup_printf("(%s)", types[i]);

        assert_non_null(text);
        if (strstr(text, named) == NULL)
            fail_msg("%s: the diagnostic does not name %s: %s", types[i], named, text);
        statement_free(s);
    }
}

int
main(void)
{
    GError *err = NULL;
    g_autofree char *path = corpus_path("expected.json");
    JsonArray *entries;
    struct CMUnitTest *tests;
    guint n;
    int rc;

    alarm(300);                 /* a hang is a failure, not a stuck build */
    message_library_init();
    if (!envelope_init(&err)) {
        fprintf(stderr, "envelope_init: %s\n", err->message);
        return 1;
    }
    expected_parser = json_parser_new();
    if (!json_parser_load_from_file(expected_parser, path, &err)) {
        fprintf(stderr, "%s\n", err->message);
        return 1;
    }
    entries = json_node_get_array(json_parser_get_root(expected_parser));
    n = json_array_get_length(entries);
    tests = g_new0(struct CMUnitTest, n + 15);
    for (guint i = 0; i < n; i++) {
        JsonObject *o = json_array_get_object_element(entries, i);

        tests[i].name = str_member(o, "file");
        tests[i].test_func = test_corpus_file;
        tests[i].initial_state = o;
    }
    tests[n].name = "malformed mail is recorded, raw bytes kept";
    tests[n].test_func = test_malformed;
    tests[n + 1].name = "input that is not mail is refused with 65";
    tests[n + 1].test_func = test_not_mail;
    tests[n + 2].name = "a list's copy recorded first: the statement's own copy still makes it";
    tests[n + 2].test_func = test_list_copy_first;
    tests[n + 3].name = "a retry gets the decision recorded, though the database changed since";
    tests[n + 3].test_func = test_retry_keeps_decision;
    tests[n + 4].name = "a list's copy of a reply recorded first: the reply still goes to the assignee";
    tests[n + 4].test_func = test_list_copy_of_reply_first;
    tests[n + 5].name =
        "attachment names in capitals; winmail.dat named; every MIME problem in the diagnostic";
    tests[n + 5].test_func = test_diagnostic_checks;
    tests[n + 6].name = "a delayed DSN is recorded, but marks nothing failing and reports nothing";
    tests[n + 6].test_func = test_dsn_action;
    tests[n + 7].name = "threaded mail is correspondence; a tag is cited by a new statement only to the IETF";
    tests[n + 7].test_func = test_statement_citing_another;
    tests[n + 8].name = "a forward's attached From does not choose whose contacts are copied";
    tests[n + 8].test_func = test_forward_inner_from;
    tests[n + 9].name = "a Message-ID taken first does not make a body's statement correspondence";
    tests[n + 9].test_func = test_planted_message_id;
    tests[n + 10].name = "a winmail.dat's diagnostic names the type it came as";
    tests[n + 10].test_func = test_tnef_type_named;
    tests[n + 11].name = "from the null sender: a bounce, a responder's reply, never a statement";
    tests[n + 11].test_func = test_classify_null_sender;
    tests[n + 12].name = "Precedence list and the loop header are auto mail; Auto-Submitted no is not";
    tests[n + 12].test_func = test_classify_automatic_marks;
    tests[n + 13].name = "a reply by References only is correspondence; a stranger's tag is not";
    tests[n + 13].test_func = test_classify_references_and_tag;
    tests[n + 14].name = "a delivery report is a bounce whoever signs it; IETF-to-IETF tagged mail is correspondence";
    tests[n + 14].test_func = test_classify_report_and_ietf_envelope;
    rc = _cmocka_run_group_tests("corpus", tests, n + 15, setup, teardown);
    g_free(tests);
    g_object_unref(expected_parser);
    message_library_shutdown();
    return rc;
}
