/*
 * test_store.c: unit tests of the SQLite store (cmocka).
 *
 * Each test works on its own database in a fresh directory under
 * g_dir_make_tmp, so tests neither see each other nor leave files behind.
 * Where the store must be checked from outside (the schema version, the
 * event triggers, a lock held by another process) the test opens its own
 * sqlite3 connection, as another program would.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib.h>
#include <gmime/gmime.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "store.h"

/* Defined in store.c, not (yet) declared in store.h. */
struct store *store_open_readonly(const char *path, int busy_timeout_ms,
                                  GError **err);
int     store_schema_version(void);

#define BUSY_MS 100

/* Per-test state: a private directory and the database path in it. */
struct fixture {
    char   *dir;
    char   *path;
};

/* Remove a directory and the files in it (the database and its WAL). */
static void
remove_dir(const char *dir)
{
    GDir *d;
    const char *name;

    g_chmod(dir, 0700);
    d = g_dir_open(dir, 0, NULL);
    if (!d)
        return;
    while ((name = g_dir_read_name(d))) {
        char *p = g_build_filename(dir, name, NULL);

        if (g_file_test(p, G_FILE_TEST_IS_DIR))
            remove_dir(p);
        else
            g_unlink(p);
        g_free(p);
    }
    g_dir_close(d);
    g_rmdir(dir);
}

/* Make the test's private directory. */
static int
setup(void **state)
{
    struct fixture *f = g_new0(struct fixture, 1);

    f->dir = g_dir_make_tmp("test_store-XXXXXX", NULL);
    assert_non_null(f->dir);
    f->path = g_build_filename(f->dir, "liaison.db", NULL);
    *state = f;
    return 0;
}

/* Remove the test's private directory. */
static int
teardown(void **state)
{
    struct fixture *f = *state;

    remove_dir(f->dir);
    g_free(f->dir);
    g_free(f->path);
    g_free(f);
    return 0;
}

/* Open the fixture's database, failing the test on error. */
static struct store *
open_ok(const char *path)
{
    GError *err = NULL;
    struct store *st = store_open(path, BUSY_MS, &err);

    if (!st)
        fail_msg("store_open: %s", err->message);
    return st;
}

/* Assert that err is set with code, then clear it. */
static void
assert_error(GError **err, int code)
{
    assert_non_null(*err);
    if ((*err)->code != code)
        fail_msg("expected store error %d, got %d: %s", code, (*err)->code,
                 (*err)->message);
    assert_true((*err)->domain == STORE_ERROR);
    g_clear_error(err);
}

/* Compare strings that may be NULL. */
static void
assert_str(const char *a, const char *b)
{
    if (a == NULL || b == NULL) {
        if (a != b)
            fail_msg("\"%s\" != \"%s\"", a ? a : "(null)", b ? b : "(null)");
        return;
    }
    assert_string_equal(a, b);
}

/* Read PRAGMA user_version through a separate connection. */
static int
user_version(const char *path)
{
    sqlite3 *db;
    sqlite3_stmt *stmt;
    int v;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt,
                                        NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    v = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return v;
}

/* PRAGMA journal_mode through a separate connection (to free). */
static char *
journal_mode(const char *path)
{
    sqlite3 *db;
    sqlite3_stmt *stmt;
    char *mode;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    mode = g_strdup((const char *) sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return mode;
}

/* assert_string_equal on a string to free. */
static void
assert_string_equal_free(char *got, const char *want)
{
    g_autofree char *s = got;

    assert_non_null(s);
    assert_string_equal(s, want);
}

/* Run SQL through a separate connection; returns the SQLite code. */
static int
run_sql(const char *path, const char *text)
{
    sqlite3 *db;
    int rc;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    rc = sqlite3_exec(db, text, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

/* Fill a list of strings. */
static void
add_strings(GPtrArray *list, ...)
{
    va_list ap;
    const char *s;

    va_start(ap, list);
    while ((s = va_arg(ap, const char *)))
        g_ptr_array_add(list, g_strdup(s));
    va_end(ap);
}

/* Bytes with NULs and high bytes, the kind an attachment holds. */
static const char pdf_bytes[] = "%PDF-1.4\0\0\x01\xff\xfe binary\r\n\0end";

/* A statement with every field set, non-ASCII text included. */
static struct statement *
full_statement(void)
{
    struct statement *s = statement_new();
    struct envelope *env = s->env;
    GBytes *b;

    s->received = g_strdup("2024-03-01T09:30:00Z");
    g_free(s->state);
    s->state = g_strdup("open");
    s->message_id = g_strdup("<sg15-ls-42@itu.int>");
    s->forwarded_by = g_strdup("relay@example.org");
    s->header_from = g_strdup("Hélène Müller <helene@itu.int>");
    s->subject = g_strdup("LS on Ünïcode — 光ネットワーク");
    env->title = g_strdup("Liaison on Optical Transport — 光伝送");
    env->from_body = g_strdup("ITU-T Study Group 15");
    env->to_body = g_strdup("IETF CCAMP WG, IETF TEAS WG");
    add_strings(env->to_list, "IETF CCAMP WG", "IETF TEAS WG", NULL);
    /* info_to stays empty: empty lists must come back empty. */
    g_ptr_array_add(env->cc, contact_new("Bob Ćirić", "bob@example.com"));
    g_ptr_array_add(env->cc, contact_new("ITU-T SG13", NULL));
    g_ptr_array_add(env->response_contacts,
                    contact_new("Jörg Schmidt", "joerg@example.de"));
    g_ptr_array_add(env->technical_contacts, contact_new(NULL, "tech@itu.int"));
    g_ptr_array_add(env->technical_contacts, contact_new("Zoë", "zoe@itu.int"));
    env->purpose = PURPOSE_ACTION;
    env->deadline = g_strdup("2024-06-30");
    add_strings(env->other_identifiers, "SG15-LS42", "COM15-R 12", NULL);
    /* related stays empty. */
    add_strings(env->references, "draft-ietf-ccamp-foo-03", "TR-471", NULL);
    env->body = g_strdup("Dear colleagues,\n\nPlease find… «quotes» ✓\n");
    env->labels = 7;
    add_strings(s->groups, "ccamp", "teas", NULL);
    add_strings(s->info_groups, "rtg", NULL);
    s->peer = g_strdup("itu-t-sg15");
    s->assignee = g_strdup("ccamp-chairs@ietf.org");
    g_ptr_array_add(s->recipients, recipient_new("ccamp-chairs@ietf.org", "assignee"));
    g_ptr_array_add(s->recipients, recipient_new("ccamp@ietf.org", "list"));
    g_ptr_array_add(s->recipients, recipient_new("rtg-ads@ietf.org", "supervisor"));

    b = g_bytes_new(pdf_bytes, sizeof pdf_bytes);
    g_ptr_array_add(s->attachments, attachment_new("ls42 — résumé.pdf",
                                                   "application/pdf", b));
    g_bytes_unref(b);
    b = g_bytes_new(NULL, 0);
    g_ptr_array_add(s->attachments, attachment_new("empty.txt", "text/plain", b));
    g_bytes_unref(b);
    g_ptr_array_add(s->diagnostics,
                    diagnostic_new("deadline-past", "The deadline is in the past."));
    g_ptr_array_add(s->diagnostics,
                    diagnostic_new("to-unknown", "« SG99 » is not in the directory."));
    return s;
}

/* Assert two lists of strings are equal. */
static void
assert_strings(const GPtrArray *a, const GPtrArray *b)
{
    guint na = a ? a->len : 0, nb = b ? b->len : 0;

    assert_int_equal(na, nb);
    for (guint i = 0; i < na; i++)
        assert_str(g_ptr_array_index(a, i), g_ptr_array_index(b, i));
}

/* Assert two lists of contacts are equal. */
static void
assert_contacts(const GPtrArray *a, const GPtrArray *b)
{
    guint na = a ? a->len : 0, nb = b ? b->len : 0;

    assert_int_equal(na, nb);
    for (guint i = 0; i < na; i++) {
        const struct contact *x = g_ptr_array_index(a, i);
        const struct contact *y = g_ptr_array_index(b, i);

        assert_str(x->name, y->name);
        assert_str(x->addr, y->addr);
    }
}

/* Assert two statements are equal in every field; with_data compares the
 * attachments' bytes, else asserts b has none. */
static void
assert_statements(const struct statement *a, const struct statement *b,
                  gboolean with_data)
{
    assert_int_equal(a->id, b->id);
    assert_str(a->received, b->received);
    assert_str(a->state, b->state);
    assert_str(a->message_id, b->message_id);
    assert_str(a->forwarded_by, b->forwarded_by);
    assert_str(a->header_from, b->header_from);
    assert_str(a->subject, b->subject);
    assert_str(a->env->title, b->env->title);
    assert_str(a->env->from_body, b->env->from_body);
    assert_str(a->env->to_body, b->env->to_body);
    assert_strings(a->env->to_list, b->env->to_list);
    assert_strings(a->env->info_to, b->env->info_to);
    assert_contacts(a->env->cc, b->env->cc);
    assert_contacts(a->env->response_contacts, b->env->response_contacts);
    assert_contacts(a->env->technical_contacts, b->env->technical_contacts);
    assert_int_equal(a->env->purpose, b->env->purpose);
    assert_str(a->env->deadline, b->env->deadline);
    assert_strings(a->env->other_identifiers, b->env->other_identifiers);
    assert_strings(a->env->related, b->env->related);
    assert_strings(a->env->references, b->env->references);
    assert_str(a->env->body, b->env->body);
    assert_int_equal(a->env->labels, b->env->labels);
    assert_strings(a->groups, b->groups);
    assert_strings(a->info_groups, b->info_groups);
    assert_str(a->peer, b->peer);
    assert_str(a->assignee, b->assignee);
    assert_int_equal(a->recipients->len, b->recipients->len);
    for (guint i = 0; i < a->recipients->len; i++) {
        const struct recipient *x = g_ptr_array_index(a->recipients, i);
        const struct recipient *y = g_ptr_array_index(b->recipients, i);

        assert_str(x->addr, y->addr);
        assert_str(x->role, y->role);
    }
    assert_int_equal(a->attachments->len, b->attachments->len);
    for (guint i = 0; i < a->attachments->len; i++) {
        const struct attachment *x = g_ptr_array_index(a->attachments, i);
        const struct attachment *y = g_ptr_array_index(b->attachments, i);

        assert_str(x->name, y->name);
        assert_str(x->type, y->type);
        assert_int_equal(x->size, y->size);
        assert_string_equal(x->sha256, y->sha256);
        if (with_data) {
            assert_non_null(y->data);
            assert_true(g_bytes_equal(x->data, y->data));
        } else {
            assert_null(y->data);
        }
    }
    assert_int_equal(a->diagnostics->len, b->diagnostics->len);
    for (guint i = 0; i < a->diagnostics->len; i++) {
        const struct diagnostic *x = g_ptr_array_index(a->diagnostics, i);
        const struct diagnostic *y = g_ptr_array_index(b->diagnostics, i);

        assert_str(x->code, y->code);
        assert_str(x->text, y->text);
    }
}

/* Add a statement inside a transaction, failing the test on error. */
static gint64
add_statement_ok(struct store *st, struct statement *s)
{
    GError *err = NULL;
    gint64 id;

    assert_true(store_begin(st, &err));
    id = store_add_statement(st, s, &err);
    if (id <= 0)
        fail_msg("store_add_statement: %s", err->message);
    assert_true(store_commit(st, &err));
    assert_int_equal(id, s->id);
    return id;
}

/* ---- tests --------------------------------------------------------- */

/* A new file gets every migration; user_version counts them. */
static void
test_migrate_from_empty(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f->path);

    assert_true(store_schema_version() >= 1);
    assert_int_equal(user_version(f->path), store_schema_version());
    /* The tables the rest of the program relies on are there, and the
     * database is in WAL mode. */
    assert_int_equal(run_sql(f->path, "SELECT id, received, state, message_id,"
                             " forwarded_by, header_from, subject, title,"
                             " from_body, to_body, purpose, deadline, body,"
                             " peer, assignee, closed, replied FROM statement;"
                             " SELECT * FROM statement_contact;"
                             " SELECT * FROM statement_item;"
                             " SELECT * FROM recipient; SELECT * FROM attachment;"
                             " SELECT * FROM diagnostic; SELECT * FROM message;"
                             " SELECT * FROM event;"
                             " SELECT id, statement, message_id, mail_from, rcpts,"
                             " raw, attempts, next_try, sent, last_error"
                             " FROM outbox"), SQLITE_OK);
    store_close(st);
    assert_true(g_file_test(f->path, G_FILE_TEST_EXISTS));
    {
        char *wal = g_strconcat(f->path, "-wal", NULL);

        /* Kept on close (persistent WAL) so read-only users can open it. */
        assert_true(g_file_test(wal, G_FILE_TEST_EXISTS));
        g_free(wal);
    }
    assert_string_equal_free(journal_mode(f->path), "wal");
}

/* WAL is in force or the open fails: a VFS without shared memory (here
 * unix-none, through a "file:" URI as the configuration may give one)
 * leaves the database in "delete" mode, which PRAGMA journal_mode only
 * answers, and without WAL a reader would block liaisond's writes.  An
 * in-memory database (the fuzz target's) is "memory" and opens. */
static void
test_wal_in_force(void **state)
{
    struct fixture *f = *state;
    g_autofree char *path = g_build_filename(f->dir, "nowal.db", NULL);
    g_autofree char *uri = g_strconcat("file:", path, "?vfs=unix-none", NULL);
    GError *err = NULL;
    struct store *st = store_open(uri, BUSY_MS, &err);

    if (st != NULL) {
        store_close(st);
        fail_msg("store_open with vfs=unix-none succeeded; journal mode %s",
                 journal_mode(path));
    }
    assert_non_null(err);
    assert_non_null(strstr(err->message, "journal mode delete"));
    assert_non_null(strstr(err->message, uri));
    assert_error(&err, STORE_ERROR_OTHER);

    st = store_open(":memory:", BUSY_MS, &err);
    if (st == NULL)
        fail_msg("store_open(:memory:): %s", err->message);
    store_close(st);
}

/* Opening again migrates nothing and loses nothing. */
static void
test_reopen_idempotent(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f->path);
    struct statement *s = statement_new(), *back;
    GError *err = NULL;
    gint64 id;

    s->env->title = g_strdup("kept");
    id = add_statement_ok(st, s);
    store_close(st);
    for (int i = 0; i < 3; i++) {
        st = open_ok(f->path);
        assert_int_equal(user_version(f->path), store_schema_version());
        back = store_get_statement(st, id, &err);
        assert_non_null(back);
        assert_string_equal(back->env->title, "kept");
        statement_free(back);
        store_close(st);
    }
    statement_free(s);
}

/* A schema newer than the program is refused, read-write or read-only. */
static void
test_newer_schema_refused(void **state)
{
    struct fixture *f = *state;
    GError *err = NULL;
    char *pragma;

    store_close(open_ok(f->path));
    pragma = g_strdup_printf("PRAGMA user_version = %d",
                             store_schema_version() + 1);
    assert_int_equal(run_sql(f->path, pragma), SQLITE_OK);
    g_free(pragma);
    assert_null(store_open(f->path, BUSY_MS, &err));
    assert_error(&err, STORE_ERROR_SCHEMA);
    assert_null(store_open_readonly(f->path, BUSY_MS, &err));
    assert_error(&err, STORE_ERROR_SCHEMA);
    /* And it is left as it was. */
    assert_int_equal(user_version(f->path), store_schema_version() + 1);
}

/* An older schema opened to read is refused as such and left as it was:
 * a reader (liaisonctl list under an older liaisond) never migrates. */
static void
test_older_schema_not_migrated_by_reader(void **state)
{
    struct fixture *f = *state;
    GError *err = NULL;
    char *pragma;

    store_close(open_ok(f->path));
    pragma = g_strdup_printf("PRAGMA user_version = %d", store_schema_version() - 1);
    assert_int_equal(run_sql(f->path, pragma), SQLITE_OK);
    g_free(pragma);
    assert_null(store_open_readonly(f->path, BUSY_MS, &err));
    assert_non_null(err);
    assert_non_null(strstr(err->message, "is older than this program's"));
    assert_error(&err, STORE_ERROR_SCHEMA_OLD);
    assert_int_equal(user_version(f->path), store_schema_version() - 1);
}

/* A file that is not a database is reported as corrupt, with its name. */
static void
test_not_a_database(void **state)
{
    struct fixture *f = *state;
    GError *err = NULL;
    char junk[4096];

    memset(junk, 'x', sizeof junk);
    assert_true(g_file_set_contents(f->path, junk, sizeof junk, NULL));
    assert_null(store_open(f->path, BUSY_MS, &err));
    assert_non_null(err);
    assert_non_null(strstr(err->message, f->path));
    assert_error(&err, STORE_ERROR_CORRUPT);
}

/* A database in a folder that does not exist: the error says so, not
 * only SQLite's "unable to open database file". */
static void
test_missing_folder(void **state)
{
    struct fixture *f = *state;
    g_autofree char *dir = g_build_filename(f->dir, "no-such-folder", NULL);
    g_autofree char *path = g_build_filename(dir, "liaison.db", NULL);
    g_autofree char *want = g_strdup_printf("the folder %s does not exist", dir);
    GError *err = NULL;

    assert_null(store_open(path, BUSY_MS, &err));
    assert_non_null(err);
    assert_non_null(strstr(err->message, want));
    g_clear_error(&err);
}

/* Every field of a statement comes back as it went in. */
static void
test_statement_round_trip(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f->path);
    struct statement *s = full_statement(), *back;
    GError *err = NULL;
    gint64 id;

    id = add_statement_ok(st, s);
    assert_true(id > 0);
    back = store_get_statement(st, id, &err);
    assert_non_null(back);
    assert_statements(s, back, TRUE);
    /* The NUL-containing bytes, byte for byte. */
    {
        const struct attachment *a = g_ptr_array_index(back->attachments, 0);
        gsize len;
        const char *p = g_bytes_get_data(a->data, &len);

        assert_int_equal(len, sizeof pdf_bytes);
        assert_memory_equal(p, pdf_bytes, sizeof pdf_bytes);
        a = g_ptr_array_index(back->attachments, 1);
        assert_int_equal(g_bytes_get_size(a->data), 0);
        assert_int_equal(a->size, 0);
    }
    statement_free(back);

    /* And again from a fresh connection: nothing lived only in memory. */
    store_close(st);
    st = open_ok(f->path);
    back = store_get_statement(st, id, &err);
    assert_non_null(back);
    assert_statements(s, back, TRUE);
    statement_free(back);
    statement_free(s);
    store_close(st);
}

/* A statement with nothing set comes back with nothing set, except the
 * received time and state that the store fills in. */
static void
test_empty_statement_round_trip(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f->path);
    struct statement *s = statement_new(), *back;
    GError *err = NULL;
    gint64 id;

    id = add_statement_ok(st, s);
    assert_non_null(s->received);
    assert_int_equal(strlen(s->received), 20);
    assert_string_equal(s->state, "open");
    back = store_get_statement(st, id, &err);
    assert_non_null(back);
    assert_statements(s, back, TRUE);
    assert_int_equal(back->env->purpose, PURPOSE_NONE);
    assert_null(back->env->title);
    statement_free(back);
    statement_free(s);
    store_close(st);
}

/* Count the rows of a query through a separate connection. */
static int
count_sql(const char *path, const char *text)
{
    sqlite3 *db;
    sqlite3_stmt *stmt;
    int n;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, text, -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    n = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return n;
}

/* One time for a whole write transaction: a message written, a second
 * gone by, then its statement and an event, all carry the time the
 * transaction began (export's From_ lines carry the message's, which the
 * statement's must then be). */
static void
test_transaction_time(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f->path);
    struct statement *s = statement_new();
    GError *err = NULL;
    gint64 row, id;

    assert_true(store_begin(st, &err));
    row = store_add_message(st, 0, "in", "statement", "<t@x.test>", "ab", "x", 1, &err);
    assert_true(row > 0);
    g_usleep(1100 * 1000);
    id = store_add_statement(st, s, &err);
    assert_true(id > 0);
    assert_true(store_link_message(st, row, id, NULL, &err));
    assert_true(store_add_event(st, id, row, "received", "test", NULL, &err));
    assert_true(store_commit(st, &err));
    assert_int_equal(count_sql(f->path, "SELECT count(*) FROM statement s"
                               " JOIN message m ON m.statement = s.id"
                               " JOIN event e ON e.statement = s.id"
                               " WHERE s.received = m.received AND e.at = m.received"), 1);
    /* Outside a transaction, a row takes its own time (SQL's now). */
    assert_true(store_add_message(st, 0, "in", "auto", "<u@x.test>", "cd", "y", 1, &err) > 0);
    assert_int_equal(count_sql(f->path, "SELECT count(*) FROM message"
                               " WHERE message_id = '<u@x.test>' AND received > "
                               "(SELECT received FROM message WHERE message_id = '<t@x.test>')"), 1);
    statement_free(s);
    store_close(st);
}

/* A message recorded from a stream goes in as zeros and then its bytes:
 * outside a transaction that is refused, and nothing is written; inside
 * one the bytes are the stream's. */
static void
test_stream_needs_transaction(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f->path);
    GMimeStream *raw = g_mime_stream_mem_new_with_buffer("Subject: s\n\nbody\n", 17);
    GError *err = NULL;

    assert_int_equal(store_add_message_stream(st, 0, "in", "auto", "<s@x.test>", "ef", raw,
                                              &err), 0);
    assert_non_null(err);
    assert_non_null(strstr(err->message, "needs a transaction"));
    g_clear_error(&err);
    assert_int_equal(count_sql(f->path, "SELECT count(*) FROM message"), 0);
    assert_true(store_begin(st, &err));
    assert_true(store_add_message_stream(st, 0, "in", "auto", "<s@x.test>", "ef", raw, &err) > 0);
    assert_true(store_commit(st, &err));
    assert_int_equal(count_sql(f->path, "SELECT count(*) FROM message"
                               " WHERE CAST(raw AS TEXT) = 'Subject: s' || char(10) || char(10)"
                               " || 'body' || char(10)"), 1);
    g_object_unref(raw);
    store_close(st);
}

/* store_set_replied dates replied with the transaction's time, as the
 * "replied" event written with it (liaisonctl reply composes the response,
 * attachments and all, between its BEGIN and these two writes). */
static void
test_replied_time(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f->path);
    struct statement *s = statement_new();
    GError *err = NULL;
    gint64 id = add_statement_ok(st, s);

    assert_true(store_begin(st, &err));
    g_usleep(1100 * 1000);
    assert_true(store_set_replied(st, id, &err));
    assert_true(store_add_event(st, id, 0, "replied", "test", NULL, &err));
    assert_true(store_commit(st, &err));
    assert_int_equal(count_sql(f->path, "SELECT count(*) FROM statement s"
                               " JOIN event e ON e.statement = s.id AND e.what = 'replied'"
                               " WHERE s.replied = e.at"), 1);
    assert_false(store_set_replied(st, id + 1, &err));
    assert_error(&err, STORE_ERROR_NOTFOUND);
    statement_free(s);
    store_close(st);
}

/* store_list's callback for test_answered: the answered flag of the one
 * statement listed. */
static gboolean
listed_answered(const struct statement *s, gpointer data)
{
    *(int *) data = s->answered;
    return TRUE;
}

/* Check that store_get_statement, store_list and store_tickle_facts all
 * say answered is want for statement id: one rule for every reader. */
static void
assert_answered(struct store *st, gint64 id, gboolean want)
{
    GError *err = NULL;
    struct statement *s = store_get_statement(st, id, &err);
    struct store_tickle_facts f;
    int listed = -1;

    assert_non_null(s);
    assert_int_equal(s->answered, want);
    statement_free(s);
    assert_true(store_tickle_facts(st, id, &f, &err));
    assert_int_equal(f.answered, want);
    store_tickle_facts_clear(&f);
    assert_true(store_list(st, listed_answered, &listed, &err));
    assert_int_equal(listed, want);
}

/* Record one event on statement id. */
static void
event_ok(struct store *st, gint64 id, const char *what)
{
    GError *err = NULL;

    assert_true(store_begin(st, &err));
    if (strcmp(what, "replied") == 0)
        assert_true(store_set_replied(st, id, &err));
    assert_true(store_add_event(st, id, 0, what, "test", NULL, &err));
    assert_true(store_commit(st, &err));
}

/* An answer stands (answered) until a "reopened" or "deadline changed"
 * event comes after it, in the log's order even within one second; an
 * answer recorded after those stands again.  replied stays, the history.
 * A replied column without a "replied" event is compared by time. */
static void
test_answered(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f->path);
    struct statement *s = statement_new();
    gint64 id = add_statement_ok(st, s);
    GError *err = NULL;
    struct statement *got;

    assert_answered(st, id, FALSE);
    event_ok(st, id, "replied");
    assert_answered(st, id, TRUE);
    event_ok(st, id, "reopened");
    assert_answered(st, id, FALSE);
    got = store_get_statement(st, id, &err);
    assert_non_null(got->replied);      /* the history stays */
    statement_free(got);
    event_ok(st, id, "replied");
    assert_answered(st, id, TRUE);
    event_ok(st, id, "deadline changed");
    assert_answered(st, id, FALSE);
    event_ok(st, id, "tickled");        /* other events change nothing */
    assert_answered(st, id, FALSE);
    event_ok(st, id, "replied");
    assert_answered(st, id, TRUE);

    /* Written by hand or by an older version: no "replied" event. */
    statement_free(s);
    s = statement_new();
    id = add_statement_ok(st, s);
    {
        g_autofree char *sql = g_strdup_printf(
            "INSERT INTO event (statement, at, what) VALUES (%" G_GINT64_FORMAT
            ", '2027-01-10T09:00:00Z', 'reopened');"
            "UPDATE statement SET replied = '2027-01-20T09:00:00Z' WHERE id = %" G_GINT64_FORMAT,
            id, id);

        assert_int_equal(run_sql(f->path, sql), SQLITE_OK);
    }
    /* store_list reports the last statement listed: this one. */
    assert_answered(st, id, TRUE);
    {
        g_autofree char *sql = g_strdup_printf(
            "INSERT INTO event (statement, at, what) VALUES (%" G_GINT64_FORMAT
            ", '2027-01-25T09:00:00Z', 'deadline changed')", id);

        assert_int_equal(run_sql(f->path, sql), SQLITE_OK);
    }
    assert_answered(st, id, FALSE);
    statement_free(s);
    store_close(st);
}

/* Whether store_overdue_reminded_since finds a row for statement id
 * since day. */
static gboolean
overdue_since(struct store *st, gint64 id, const char *day)
{
    GError *err = NULL;
    gboolean yes = TRUE;        /* a miss must say so */

    assert_true(store_overdue_reminded_since(st, id, day, &yes, &err));
    assert_null(err);
    return yes;
}

/* store_overdue_reminded_since: only an overdue reminder ("overdue"
 * kind, whatever its point, of the deadline in force or of one since
 * moved from), only of this statement, and only on or after the day. */
static void
test_overdue_reminded_since(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f->path);
    struct statement *s = statement_new(), *s2 = statement_new();
    gint64 id = add_statement_ok(st, s), other = add_statement_ok(st, s2);
    gboolean already = FALSE;
    GError *err = NULL;

    assert_true(store_begin(st, &err));
    assert_true(store_reminder_add(st, id, "before-7", "due", "2027-03-08", 0,
                                   &already, &err) > 0);
    assert_true(store_reminder_add(st, id, "before-0", "overdue", "2027-03-16", 0,
                                   &already, &err) > 0);
    assert_true(store_reminder_add(st, id, "overdue-1", "overdue", "2027-03-22", 0,
                                   &already, &err) > 0);
    assert_true(store_reminder_add(st, other, "overdue-2", "overdue", "2027-03-29", 0,
                                   &already, &err) > 0);
    assert_true(store_commit(st, &err));
    /* Keys of the deadline in force count (a late run's made-up point
     * among them); a "due" reminder does not. */
    assert_true(overdue_since(st, id, "2027-03-17"));          /* overdue-1 */
    assert_false(overdue_since(st, id, "2027-03-23"));
    assert_true(store_begin(st, &err));
    assert_true(store_set_deadline(st, id, "2027-03-16", &err));
    assert_true(store_commit(st, &err));
    assert_true(overdue_since(st, id, "2027-03-16"));   /* both */
    assert_true(overdue_since(st, id, "2027-03-22"));   /* overdue-1 */
    assert_false(overdue_since(st, id, "2027-03-23"));
    /* The other statement's reminder is its own. */
    assert_false(overdue_since(st, other, "2027-03-30"));
    assert_true(overdue_since(st, other, "2027-03-29"));
    /* A reminder of the new date counts as much as an old date's. */
    assert_true(store_begin(st, &err));
    assert_true(store_reminder_add(st, id, "overdue-2", "overdue", "2027-03-30", 0,
                                   &already, &err) > 0);
    assert_true(store_commit(st, &err));
    assert_true(overdue_since(st, id, "2027-03-23"));
    assert_false(overdue_since(st, id, "2027-03-31"));
    statement_free(s);
    statement_free(s2);
    store_close(st);
}

/* Record event what with detail on statement id. */
static void
detail_event_ok(struct store *st, gint64 id, const char *what, const char *detail)
{
    GError *err = NULL;

    assert_true(store_add_event(st, id, 0, what, "test", detail, &err));
}

/* What store_deadline_moved_since says for statement id, outbox row row. */
static gboolean
moved_since(struct store *st, gint64 id, gint64 row)
{
    GError *err = NULL;
    gboolean moved = TRUE;      /* a miss must say so */

    assert_true(store_deadline_moved_since(st, id, row, &moved, &err));
    assert_null(err);
    return moved;
}

/* store_deadline_moved_since: a "deadline changed" event after the
 * "queued reminder" event of that outbox row, of that statement, in the
 * log's order; the row's number matched whole ("outbox 1 " is not
 * "outbox 12 "); no queued event, no move. */
static void
test_deadline_moved_since(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f->path);
    struct statement *s = statement_new(), *s2 = statement_new();
    gint64 id = add_statement_ok(st, s), other = add_statement_ok(st, s2);

    detail_event_ok(st, id, "deadline changed", "2027-03-15 -> 2027-03-16");
    detail_event_ok(st, id, "queued reminder", "outbox 12 <r12@x> to a@x b@x");
    detail_event_ok(st, id, "queued notification", "outbox 5 <n5@x> to a@x");
    detail_event_ok(st, other, "queued reminder", "outbox 7 <r7@x> to a@x");
    assert_false(moved_since(st, id, 12));      /* the move came before */
    assert_false(moved_since(st, id, 99));      /* never queued */
    detail_event_ok(st, id, "tickled", "overdue by 7 days; point overdue-1, outbox 12");
    assert_false(moved_since(st, id, 12));      /* other events are not moves */
    detail_event_ok(st, id, "deadline changed", "2027-03-16 -> 2027-03-17");
    assert_true(moved_since(st, id, 12));
    assert_false(moved_since(st, id, 1));       /* "outbox 1 " is not row 12 */
    assert_false(moved_since(st, id, 5));       /* a notification, no reminder */
    assert_false(moved_since(st, other, 7));    /* the other's log is its own */
    assert_false(moved_since(st, other, 12));
    detail_event_ok(st, id, "queued reminder", "outbox 13 <r13@x> to a@x");
    assert_false(moved_since(st, id, 13));
    assert_true(moved_since(st, id, 12));
    statement_free(s);
    statement_free(s2);
    store_close(st);
}

/* Asking for a missing statement or message says NOTFOUND. */
static void
test_not_found(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f->path);
    GError *err = NULL;

    assert_null(store_get_statement(st, 4242, &err));
    assert_error(&err, STORE_ERROR_NOTFOUND);
    assert_null(store_raw_message(st, 4242, &err));
    assert_error(&err, STORE_ERROR_NOTFOUND);
    assert_false(store_link_message(st, 4242, 0, NULL, &err));
    assert_error(&err, STORE_ERROR_NOTFOUND);
    assert_int_equal(store_statement_message(st, 4242, &err), 0);
    assert_null(err);
    store_close(st);
}

/* What store_list's callback saw. */
struct listing {
    GArray *ids;
    int     stop_after;         /* 0: never stop */
    const struct statement *full;       /* NULL, or its attachments to match */
};

/* Collect ids; check that no attachment bytes were loaded and, for the
 * statement l->full is, that each attachment's name, type, size and
 * digest are the full load's. */
static gboolean
collect(const struct statement *s, gpointer data)
{
    struct listing *l = data;

    if (l->full != NULL && l->full->id == s->id)
        assert_int_equal(s->attachments->len, l->full->attachments->len);
    for (guint i = 0; i < s->attachments->len; i++) {
        const struct attachment *a = g_ptr_array_index(s->attachments, i);

        assert_null(a->data);
        assert_non_null(a->name);
        assert_int_equal(strlen(a->sha256), 64);
        if (l->full != NULL && l->full->id == s->id) {
            const struct attachment *b = g_ptr_array_index(l->full->attachments, i);

            assert_string_equal(a->name, b->name);
            assert_string_equal(a->type, b->type);
            assert_int_equal(a->size, b->size);
            assert_string_equal(a->sha256, b->sha256);
        }
    }
    g_array_append_val(l->ids, s->id);
    return l->stop_after == 0 || (int) l->ids->len < l->stop_after;
}

/* store_list visits statements in id order, without attachment bytes,
 * and stops when asked. */
static void
test_list(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f->path);
    struct listing l = { g_array_new(FALSE, FALSE, sizeof(gint64)), 0, NULL };
    GError *err = NULL;
    gint64 ids[3];

    for (int i = 0; i < 3; i++) {
        struct statement *s = full_statement();

        ids[i] = add_statement_ok(st, s);
        statement_free(s);
    }
    assert_true(store_list(st, collect, &l, &err));
    assert_int_equal(l.ids->len, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(g_array_index(l.ids, gint64, i), ids[i]);
    /* Size and name without the bytes, matching the full load, whose sizes
     * are those of full_statement's bytes; a callback answering FALSE
     * stops the listing at the first. */
    {
        struct statement *full = store_get_statement(st, ids[0], &err);
        struct listing one = { g_array_new(FALSE, FALSE, sizeof(gint64)), 1, NULL };
        const struct attachment *pdf, *empty;

        assert_non_null(full);
        assert_int_equal(full->attachments->len, 2);
        pdf = g_ptr_array_index(full->attachments, 0);
        empty = g_ptr_array_index(full->attachments, 1);
        assert_string_equal(pdf->name, "ls42 — résumé.pdf");
        assert_int_equal(pdf->size, sizeof pdf_bytes);
        assert_string_equal(empty->name, "empty.txt");
        assert_int_equal(empty->size, 0);
        one.full = full;
        assert_true(store_list(st, collect, &one, &err));
        assert_int_equal(one.ids->len, 1);
        assert_int_equal(g_array_index(one.ids, gint64, 0), ids[0]);
        g_array_free(one.ids, TRUE);
        statement_free(full);
    }
    g_array_free(l.ids, TRUE);
    store_close(st);
}

/* The list's statements match the full ones, minus the bytes. */
static gboolean
compare_with_full(const struct statement *s, gpointer data)
{
    struct store *st = data;
    struct statement *full = store_get_statement(st, s->id, NULL);

    assert_non_null(full);
    assert_statements(full, s, FALSE);
    statement_free(full);
    return TRUE;
}

/* The callback may use the store while the listing runs. */
static void
test_list_matches_get(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f->path);
    struct statement *s = full_statement();
    GError *err = NULL;

    add_statement_ok(st, s);
    statement_free(s);
    s = statement_new();
    add_statement_ok(st, s);
    statement_free(s);
    assert_true(store_list(st, compare_with_full, st, &err));
    store_close(st);
}

/* A raw message comes back byte for byte: CRLF, NUL, 8-bit, empty. */
static void
test_raw_message(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f->path);
    static const char raw[] =
        "From: a@example.org\r\nSubject: =?utf-8?q?x?=\r\n\r\n"
        "line one\r\nwith a NUL \0 inside\r\n\xe2\x9c\x93 and \xff\r\n.\r\n";
    GError *err = NULL;
    gint64 row, empty;
    GBytes *b;

    row = store_add_message(st, 0, "in", "statement", "<r@x>", "aa", raw,
                            sizeof raw - 1, &err);
    assert_true(row > 0);
    b = store_raw_message(st, row, &err);
    assert_non_null(b);
    assert_int_equal(g_bytes_get_size(b), sizeof raw - 1);
    assert_memory_equal(g_bytes_get_data(b, NULL), raw, sizeof raw - 1);
    g_bytes_unref(b);

    empty = store_add_message(st, 0, "in", "auto", NULL, "bb", "", 0, &err);
    assert_true(empty > 0);
    b = store_raw_message(st, empty, &err);
    assert_non_null(b);
    assert_int_equal(g_bytes_get_size(b), 0);
    g_bytes_unref(b);
    store_close(st);
}

/* Retried mail is found by Message-ID and body hash; mail without a
 * Message-ID by its hash alone; statements by any of their Message-IDs. */
static void
test_dedup_lookups(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f->path);
    struct statement *s = statement_new();
    GError *err = NULL;
    gint64 sid, m1, m2, m3, m4, found_sid;
    char   *found_kind = NULL;

    s->message_id = g_strdup("<stmt@itu.int>");
    sid = add_statement_ok(st, s);
    statement_free(s);

    assert_true(store_begin(st, &err));
    m1 = store_add_message(st, 0, "in", "auto", "<outer@itu.int>",
                           "hash1", "x", 1, &err);
    assert_true(m1 > 0);
    assert_true(store_link_message(st, m1, sid, "statement", &err));
    m2 = store_add_message(st, 0, "in", "auto", NULL, "hash2", "y", 1, &err);
    assert_true(m2 > 0);
    m3 = store_add_message(st, sid, "out", "notification", "<note@ietf.org>",
                           "hash3", "z", 1, &err);
    assert_true(m3 > 0);
    m4 = store_add_message(st, sid, "in", "correspondence", "<reply@ietf.org>",
                           "hash4", "w", 1, &err);
    assert_true(m4 > 0);
    assert_true(store_add_event(st, sid, m1, "received", "liaisond", NULL, &err));
    assert_true(store_commit(st, &err));

    /* The link gave m1 its statement and its new kind. */
    assert_int_equal(store_find_message(st, "<outer@itu.int>", "hash1",
                                        &found_sid, &found_kind, &err), m1);
    assert_int_equal(found_sid, sid);
    assert_string_equal(found_kind, "statement");
    g_clear_pointer(&found_kind, g_free);
    /* Same Message-ID, other content: a different message. */
    assert_int_equal(store_find_message(st, "<outer@itu.int>", "hashX",
                                        &found_sid, &found_kind, &err), 0);
    assert_int_equal(found_sid, 0);
    assert_null(found_kind);
    /* No Message-ID: matched by hash among those without one. */
    assert_int_equal(store_find_message(st, NULL, "hash2", &found_sid, &found_kind, &err), m2);
    assert_int_equal(found_sid, 0);
    assert_string_equal(found_kind, "auto");
    g_clear_pointer(&found_kind, g_free);
    assert_int_equal(store_find_message(st, NULL, "hash1", NULL, NULL, &err), 0);
    assert_int_equal(store_find_message(st, "<x@y>", "hash2", NULL, NULL, &err), 0);
    /* Our own outgoing mail is not an incoming duplicate. */
    assert_int_equal(store_find_message(st, "<note@ietf.org>", "hash3", NULL,
                                        NULL, &err), 0);
    assert_null(err);

    /* Statement by Message-ID: through a message in, a message out, or
     * the statement's own Message-ID. */
    assert_int_equal(store_statement_by_message_id(st, "<outer@itu.int>", &err), sid);
    assert_int_equal(store_statement_by_message_id(st, "<note@ietf.org>", &err), sid);
    assert_int_equal(store_statement_by_message_id(st, "<stmt@itu.int>", &err), sid);
    assert_int_equal(store_statement_by_message_id(st, "<nobody@x>", &err), 0);
    assert_int_equal(store_statement_by_message_id(st, NULL, &err), 0);
    assert_null(err);

    /* The statement's creating message, not the later correspondence. */
    assert_int_equal(store_statement_message(st, sid, &err), m1);
    store_close(st);
}

/* The same incoming message cannot be recorded twice. */
static void
test_unique_message(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f->path);
    GError *err = NULL;

    assert_true(store_add_message(st, 0, "in", "statement", "<a@b>", "h", "1",
                                  1, &err) > 0);
    assert_int_equal(store_add_message(st, 0, "in", "statement", "<a@b>", "h",
                                       "1", 1, &err), 0);
    assert_non_null(err);
    assert_non_null(strstr(err->message, "UNIQUE"));
    assert_non_null(strstr(err->message, f->path));
    assert_error(&err, STORE_ERROR_OTHER);

    /* Without a Message-ID too, although NULLs are distinct in SQL. */
    assert_true(store_add_message(st, 0, "in", "auto", NULL, "h", "1", 1, &err) > 0);
    assert_int_equal(store_add_message(st, 0, "in", "auto", NULL, "h", "1", 1,
                                       &err), 0);
    assert_error(&err, STORE_ERROR_OTHER);

    /* Outgoing copies are not constrained. */
    assert_true(store_add_message(st, 0, "out", "ack", "<a@b>", "h", "1", 1, &err) > 0);
    assert_true(store_add_message(st, 0, "out", "ack", "<a@b>", "h", "1", 1, &err) > 0);

    /* A second connection (another milter process) is refused as well. */
    {
        struct store *other = open_ok(f->path);

        assert_int_equal(store_add_message(other, 0, "in", "statement", "<a@b>",
                                           "h", "1", 1, &err), 0);
        assert_error(&err, STORE_ERROR_OTHER);
        store_close(other);
    }
    store_close(st);
}

/* A rolled-back transaction leaves nothing behind. */
static void
test_rollback(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f->path);
    struct statement *s = full_statement();
    GError *err = NULL;
    gint64 id;

    assert_true(store_begin(st, &err));
    id = store_add_statement(st, s, &err);
    assert_true(id > 0);
    store_rollback(st);
    store_rollback(st);         /* harmless twice */
    assert_null(store_get_statement(st, id, &err));
    assert_error(&err, STORE_ERROR_NOTFOUND);
    statement_free(s);
    store_close(st);
}

/* The event log accepts appends and refuses UPDATE and DELETE. */
static void
test_event_append_only(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f->path);
    GError *err = NULL;

    assert_true(store_add_event(st, 0, 0, "received", "liaisond",
                                "new statement", &err));
    assert_true(store_add_event(st, 0, 0, "closed", "chair@ietf.org", NULL, &err));
    store_close(st);
    assert_int_equal(run_sql(f->path, "UPDATE event SET what = 'forged'"),
                     SQLITE_CONSTRAINT);
    assert_int_equal(run_sql(f->path, "DELETE FROM event"), SQLITE_CONSTRAINT);
    assert_int_equal(run_sql(f->path,
                             "INSERT INTO event (what) VALUES ('tickled')"),
                     SQLITE_OK);
}

/* Reads work and writes fail READONLY on a store opened read-only. */
static int
check_readonly_store(struct store *st, gint64 id)
{
    GError *err = NULL;
    struct statement *s = store_get_statement(st, id, &err);
    int bad = 0;

    if (!s)
        return 1;
    statement_free(s);
    if (store_begin(st, &err) || !err || err->code != STORE_ERROR_READONLY)
        bad |= 2;
    g_clear_error(&err);
    /* A write outside a transaction reaches SQLite, which refuses it. */
    if (store_add_message(st, 0, "in", "auto", NULL, "ro", "x", 1, &err) != 0
        || !err || err->code != STORE_ERROR_READONLY)
        bad |= 4;
    g_clear_error(&err);
    if (store_add_event(st, 0, 0, "x", NULL, NULL, &err)
        || !err || err->code != STORE_ERROR_READONLY)
        bad |= 8;
    g_clear_error(&err);
    return bad;
}

/* Opened with mode=ro or store_open_readonly: readable, not writable. */
static void
test_readonly_open(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f->path);
    struct statement *s = full_statement();
    GError *err = NULL;
    gint64 id = add_statement_ok(st, s);
    char *uri;

    statement_free(s);
    store_close(st);

    uri = g_strconcat("file:", f->path, "?mode=ro", NULL);
    st = store_open(uri, BUSY_MS, &err);
    assert_non_null(st);
    assert_int_equal(check_readonly_store(st, id), 0);
    store_close(st);
    g_free(uri);

    st = store_open_readonly(f->path, BUSY_MS, &err);
    assert_non_null(st);
    assert_int_equal(check_readonly_store(st, id), 0);
    store_close(st);

    /* A read-only open never creates a database. */
    {
        char *missing = g_build_filename(f->dir, "missing.db", NULL);

        assert_null(store_open_readonly(missing, BUSY_MS, &err));
        assert_non_null(err);
        g_clear_error(&err);
        assert_false(g_file_test(missing, G_FILE_TEST_EXISTS));
        g_free(missing);
    }
}

/* As a user without write access: with its -shm file present the
 * database opens with store_open and reads but refuses writes; without it
 * the open fails READONLY and says why.  0 when all is as expected. */
static int
check_as_reader(const char *path, gint64 id, gboolean shm_present)
{
    GError *err = NULL;
    struct store *st = store_open(path, BUSY_MS, &err);
    int bad = 0;

    if (!shm_present) {
        if (st || !err || err->code != STORE_ERROR_READONLY
            || !strstr(err->message, "-shm") || !strstr(err->message, path))
            bad = 1;
        store_close(st);
        g_clear_error(&err);
        return bad;
    }
    if (!st) {
        fprintf(stderr, "reader: %s\n", err->message);
        g_error_free(err);
        return 1;
    }
    bad = check_readonly_store(st, id);
    store_close(st);
    return bad ? 10 + bad : 0;
}

/* Run check_as_reader as a user who may not write path: ourselves, or
 * as root (whom modes do not stop) a child that gives root up.  Returns
 * its result, 77 when it could not be run. */
static int
run_as_reader(const char *path, gint64 id, gboolean shm_present)
{
    int status;
    pid_t pid;

    if (geteuid() != 0)
        return check_as_reader(path, id, shm_present);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* No cmocka asserts here: they belong to the parent. */
        if (setgid(65534) != 0 || setuid(65534) != 0 || access(path, W_OK) == 0)
            _exit(77);
        _exit(check_as_reader(path, id, shm_present));
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* Set the modes of the database, its WAL files and its directory. */
static void
chmod_db(const char *dir, const char *path, mode_t file_mode, mode_t dir_mode)
{
    static const char *const suffix[] = { "", "-wal", "-shm" };
    char p[4096];

    for (guint i = 0; i < G_N_ELEMENTS(suffix); i++) {
        g_snprintf(p, sizeof p, "%s%s", path, suffix[i]);
        if (g_file_test(p, G_FILE_TEST_EXISTS))
            assert_int_equal(g_chmod(p, file_mode), 0);
    }
    assert_int_equal(g_chmod(dir, dir_mode), 0);
}

/* The database file and its directory not writable (the admin running
 * liaisonctl on the daemon's database): store_open still opens it for
 * reading and writes fail READONLY. */
static void
test_readonly_files(void **state)
{
    struct fixture *f = *state;
    struct statement *s = full_statement();
    char sub[4096], path[4096], shm[4096], wal[4096];
    struct store *st;
    gint64 id;
    int rc;

    /* Fixed buffers, not heap strings: a forked child's _exit must not
     * show up as a leak under valgrind. */
    g_snprintf(sub, sizeof sub, "%s/ro", f->dir);
    g_snprintf(path, sizeof path, "%s/liaison.db", sub);
    g_snprintf(wal, sizeof wal, "%s-wal", path);
    g_snprintf(shm, sizeof shm, "%s-shm", path);
    assert_int_equal(g_mkdir(sub, 0700), 0);
    assert_int_equal(g_chmod(f->dir, 0755), 0);  /* for the child */
    st = open_ok(path);
    id = add_statement_ok(st, s);
    statement_free(s);
    store_close(st);

    chmod_db(sub, path, 0444, 0555);
    rc = run_as_reader(path, id, TRUE);
    if (rc == 77) {
        /* Root that cannot give root up cannot be a reader: reported as
         * skipped, not passed; the second case would be skipped too. */
        chmod_db(sub, path, 0644, 0755);
        print_message("read-only files: could not drop root, not run\n");
        skip();
    }
    assert_int_equal(rc, 0);

    /* Another program (the sqlite3 shell) closed it last and took the
     * WAL files with it: a reader cannot recreate them. */
    chmod_db(sub, path, 0644, 0755);
    assert_int_equal(g_unlink(wal), 0);
    assert_int_equal(g_unlink(shm), 0);
    chmod_db(sub, path, 0444, 0555);
    rc = run_as_reader(path, id, FALSE);
    assert_int_equal(rc, 0);

    /* Nothing was changed by the readers. */
    chmod_db(sub, path, 0644, 0755);
    assert_int_equal(user_version(path), store_schema_version());
}

/* A second connection holding the write lock makes store_begin fail BUSY
 * once the busy timeout has passed, and the lock frees it again. */
static void
test_busy(void **state)
{
    struct fixture *f = *state;
    struct store *a = open_ok(f->path), *b = open_ok(f->path);
    GError *err = NULL;
    gint64 t0, elapsed;

    assert_true(store_begin(b, &err));
    t0 = g_get_monotonic_time();
    assert_false(store_begin(a, &err));
    elapsed = g_get_monotonic_time() - t0;
    assert_non_null(err);
    assert_non_null(strstr(err->message, f->path));
    assert_error(&err, STORE_ERROR_BUSY);
    /* It waited for the timeout rather than giving up at once. */
    assert_true(elapsed >= (BUSY_MS / 2) * 1000);
    /* Readers are not blocked by the writer (WAL). */
    assert_int_equal(store_find_message(a, "<x@y>", "h", NULL, NULL, &err), 0);
    assert_null(err);
    store_rollback(b);
    assert_true(store_begin(a, &err));
    assert_true(store_commit(a, &err));
    store_close(b);
    store_close(a);
}

/* g_ptr_array_sort's comparison of two strings: it passes pointers to
 * the elements. */
static int
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The names in dir, sorted and joined with spaces. */
static char *
dir_names(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    char *joined;

    assert_non_null(d);
    while ((name = g_dir_read_name(d)))
        g_ptr_array_add(names, g_strdup(name));
    g_dir_close(d);
    g_ptr_array_sort(names, compare_names);
    g_ptr_array_add(names, NULL);
    joined = g_strjoinv(" ", (char **) names->pdata);
    g_ptr_array_free(names, TRUE);
    return joined;
}

/* store_backup: a copy that reads back, with its counts; refused inside
 * the connection's own transaction (the copy would hold its uncommitted
 * rows), which it leaves open, over the database, onto a folder, into a
 * missing folder, each leaving no file behind. */
static void
test_backup(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f->path), *copy;
    struct statement *s = full_statement(), *got;
    struct store_backup_stats sum;
    g_autofree char *to = g_build_filename(f->dir, "copy.db", NULL);
    g_autofree char *to2 = g_build_filename(f->dir, "copy2.db", NULL);
    g_autofree char *nowhere = g_build_filename(f->dir, "nowhere", "x.db", NULL);
    g_autofree char *names = NULL;
    GError *err = NULL;
    GStatBuf sb;
    gint64 id;

    assert_true(store_begin(st, &err));
    id = store_add_statement(st, s, &err);
    assert_true(id > 0);
    assert_true(store_commit(st, &err));

    assert_true(store_backup(st, to, &sum, &err));
    assert_null(err);
    assert_int_equal(sum.statements, 1);
    assert_int_equal(sum.messages, 0);
    assert_int_equal(g_stat(to, &sb), 0);
    assert_int_equal(sum.bytes, sb.st_size);
    assert_int_equal(sb.st_mode & 0777, 0600);

    assert_true(store_begin(st, &err));
    assert_true(store_add_statement(st, s, &err) > 0);
    assert_false(store_backup(st, to2, &sum, &err));
    assert_non_null(err);
    assert_non_null(strstr(err->message, "within a transaction"));
    assert_error(&err, STORE_ERROR_OTHER);
    /* The caller's transaction is left to the caller, still open. */
    assert_true(store_commit(st, &err));
    sum.statements = 0;
    assert_true(store_backup(st, to2, &sum, &err));
    assert_int_equal(sum.statements, 2);
    g_unlink(to2);

    assert_false(store_backup(st, f->path, &sum, &err));
    assert_error(&err, STORE_ERROR_READONLY);
    assert_false(store_backup(st, f->dir, &sum, &err));
    assert_error(&err, STORE_ERROR_READONLY);
    assert_false(store_backup(st, nowhere, &sum, &err));
    assert_error(&err, STORE_ERROR_NOTFOUND);
    names = dir_names(f->dir);
    assert_string_equal(names, "copy.db liaison.db liaison.db-shm liaison.db-wal");

    copy = store_open_readonly(to, BUSY_MS, &err);
    if (copy == NULL)
        fail_msg("store_open_readonly of the copy: %s", err->message);
    got = store_get_statement(copy, id, &err);
    assert_non_null(got);
    assert_str(got->env->title, s->env->title);
    statement_free(got);
    store_close(copy);
    statement_free(s);
    store_close(st);
}

/* store_outbox_count_to counts the one kind asked for, to the one
 * address (a line of rcpts, not part of one), queued in the last 24
 * hours: what keeps answer_per_day and ack_per_day from counting each
 * other's mail, or the reports and notifications to the same person. */
static void
test_outbox_count_to_kind(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f->path);
    static const char *const kinds[] = { "notification", "acknowledgement", "reminder",
                                         "report", "answer", "answer" };
    GError *err = NULL;
    gint64 old;

    assert_true(store_begin(st, &err));
    for (gsize i = 0; i < G_N_ELEMENTS(kinds); i++)
        assert_true(store_outbox_add(st, 0, NULL, "", "chair@ietf.test", kinds[i], "x", 1,
                                     &err) > 0);
    /* Among others, and one that only contains the address. */
    assert_true(store_outbox_add(st, 0, NULL, "", "ad@ietf.test\nchair@ietf.test", "answer",
                                 "x", 1, &err) > 0);
    assert_true(store_outbox_add(st, 0, NULL, "", "vice-chair@ietf.test", "answer", "x", 1,
                                 &err) > 0);
    old = store_outbox_add(st, 0, NULL, "", "chair@ietf.test", "answer", "x", 1, &err);
    assert_true(old > 0);
    assert_true(store_commit(st, &err));
    store_close(st);
    /* The last one a day and a minute ago. */
    {
        g_autofree char *sql = g_strdup_printf(
            "UPDATE outbox SET created = strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', 'now',"
            " '-1 day', '-1 minute') WHERE id = %" G_GINT64_FORMAT, old);

        assert_int_equal(run_sql(f->path, sql), SQLITE_OK);
    }
    st = open_ok(f->path);
    assert_int_equal(store_outbox_count_to(st, "answer", "chair@ietf.test", &err), 3);
    assert_int_equal(store_outbox_count_to(st, "acknowledgement", "chair@ietf.test", &err), 1);
    assert_int_equal(store_outbox_count_to(st, "report", "chair@ietf.test", &err), 1);
    assert_int_equal(store_outbox_count_to(st, "answer", "ad@ietf.test", &err), 1);
    assert_int_equal(store_outbox_count_to(st, "answer", "vice-chair@ietf.test", &err), 1);
    assert_int_equal(store_outbox_count_to(st, "answer", "hair@ietf.test", &err), 0);
    assert_null(err);
    store_close(st);
}

int
main(void)
{
    g_mime_init();              /* test_stream_needs_transaction's stream */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_migrate_from_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wal_in_force, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_a_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_older_schema_not_migrated_by_reader, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_statement_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_statement_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_matches_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_raw_message, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dedup_lookups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unique_message, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_append_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readonly_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readonly_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_busy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transaction_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replied_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_answered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overdue_reminded_since, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadline_moved_since, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_needs_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outbox_count_to_kind, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
