/*
 * test_large.c: a large message through the file door, ingest_message_fd(),
 * as the milter uses it for mail that spilled to its spool.
 *
 * The message (a 50 MB attachment unless LIAISON_LARGE_MB says otherwise;
 * 4 MB under valgrind, which would take minutes over 50) is generated into
 * a file a chunk at a time, with the SHA-256 of the attachment and of the
 * whole file computed on the way, so the test itself never holds it.  What
 * the store kept is then read back with SQLite's incremental blob API and
 * compared: the attachment's size and SHA-256, and the raw message byte for
 * byte (its length and SHA-256).  This is a behaviour test, not a timing:
 * bench/rss-50mb.sh measures the memory.
 *
 * Then: both doors compute the same digest (the same bytes offered through
 * the buffer are a duplicate), attachments that went through temporary
 * files come back with their bytes when small, hostile mail through the
 * file door with every attachment forced into a file keeps its raw bytes,
 * and a spool where no temporary file can be made is a temporary failure
 * with nothing written.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "directory.h"
#include "envelope.h"
#include "ingest.h"
#include "malformed.h"
#include "message.h"
#include "store.h"

struct fixture {
    char   *tmpdir;
    char   *dbpath;
    struct store *store;
    struct directory *dir;
    struct ingest_ctx ctx;
};

/* What the generator knows about the message it wrote. */
struct generated {
    char   *path;
    gsize   att_size;           /* decoded attachment bytes */
    char   *att_sha256;
    gsize   file_size;
    char   *file_sha256;
};

/* Size of the large attachment in bytes. */
static gsize
large_size(void)
{
    const char *mb = g_getenv("LIAISON_LARGE_MB");
    const char *preload = g_getenv("LD_PRELOAD");

    if (mb != NULL && atoi(mb) > 0)
        return (gsize) atoi(mb) * 1024 * 1024;
    if (preload != NULL && strstr(preload, "vgpreload") != NULL)
        return 4 * 1024 * 1024;
    return 50 * 1024 * 1024;
}

/* Open a fresh database and load the directory. */
static int
setup(void **state)
{
    struct fixture *f = g_new0(struct fixture, 1);
    GError *err = NULL;
    g_autofree char *dirpath = g_build_filename(SRCDIR, "tests", "corpus",
                                                "directory.json", NULL);

    f->tmpdir = g_dir_make_tmp("liaison-large-XXXXXX", &err);
    assert_non_null(f->tmpdir);
    f->dbpath = g_build_filename(f->tmpdir, "liaison.db", NULL);
    f->store = store_open(f->dbpath, 1000, &err);
    if (f->store == NULL)
        fail_msg("store_open: %s", err->message);
    f->dir = directory_load(dirpath, &err);
    if (f->dir == NULL)
        fail_msg("directory_load: %s", err->message);
    f->ctx.store = f->store;
    f->ctx.dir = f->dir;
    message_limits_default(&f->ctx.limits);
    f->ctx.limits.spool_dir = f->tmpdir;
    *state = f;
    return 0;
}

/* Close and remove everything; the temporary files were never named. */
static int
teardown(void **state)
{
    struct fixture *f = *state;
    GDir *d = g_dir_open(f->tmpdir, 0, NULL);
    const char *name;

    store_close(f->store);
    directory_free(f->dir);
    while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
        g_autofree char *p = g_build_filename(f->tmpdir, name, NULL);

        if (!g_str_has_prefix(name, "liaison.db") && !g_str_has_suffix(name, ".eml"))
            fail_msg("a temporary file was left behind: %s", name);
        g_unlink(p);
    }
    if (d != NULL)
        g_dir_close(d);
    g_rmdir(f->tmpdir);
    g_free(f->dbpath);
    g_free(f->tmpdir);
    g_free(f);
    return 0;
}

/* Write bytes to the file and the file's digest. */
static void
put(FILE *fp, GChecksum *file_sum, const char *s, gsize n)
{
    assert_int_equal(fwrite(s, 1, n, fp), n);
    g_checksum_update(file_sum, (const guchar *) s, (gssize) n);
}

/* Write a statement with one attachment of size pseudo-random bytes
 * (base64, 76 columns) to dir/name, a chunk at a time. */
static struct generated
generate(const char *dir, const char *name, gsize size, const char *msgid)
{
    struct generated g = { g_build_filename(dir, name, NULL), size, NULL, 0, NULL };
    GChecksum *att_sum = g_checksum_new(G_CHECKSUM_SHA256);
    GChecksum *file_sum = g_checksum_new(G_CHECKSUM_SHA256);
    GRand *rnd = g_rand_new_with_seed(4053);
    FILE *fp = fopen(g.path, "wb");
    g_autofree char *head = g_strdup_printf(
        "From: Jane Rapporteur <jane@itu.example>\n"
        "To: liaisons@ietf.test\n"
        "Subject: New Liaison Statement, \"Large figures for review\"\n"
        "Message-ID: <%s>\n"
        "Date: Mon, 1 Mar 2027 10:00:00 +0000\n"
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=\"big-boundary\"\n"
        "\n"
        "--big-boundary\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "\n"
        "From: ITU-T SG15\n"
        "To: IETF CCAMP\n"
        "Title: Large figures for review\n"
        "Purpose: For information\n"
        "\n"
        "The figures are attached.\n"
        "--big-boundary\n"
        "Content-Type: application/pdf; name=\"figures.pdf\"\n"
        "Content-Transfer-Encoding: base64\n"
        "Content-Disposition: attachment; filename=\"figures.pdf\"\n"
        "\n", msgid);
    guchar raw[57 * 1024];
    gsize done = 0;

    assert_non_null(fp);
    put(fp, file_sum, head, strlen(head));
    while (done < size) {
        gsize n = MIN(sizeof raw, size - done);

        for (gsize i = 0; i < n; i++)
            raw[i] = (guchar) g_rand_int_range(rnd, 0, 256);
        g_checksum_update(att_sum, raw, (gssize) n);
        /* 57 input bytes make one 76-character line. */
        for (gsize off = 0; off < n; off += 57) {
            g_autofree char *line = g_base64_encode(raw + off, MIN(57, n - off));

            put(fp, file_sum, line, strlen(line));
            put(fp, file_sum, "\n", 1);
        }
        done += n;
    }
    put(fp, file_sum, "--big-boundary--\n", 17);
    g.file_size = (gsize) ftell(fp);
    assert_int_equal(fclose(fp), 0);
    g.att_sha256 = g_strdup(g_checksum_get_string(att_sum));
    g.file_sha256 = g_strdup(g_checksum_get_string(file_sum));
    g_checksum_free(att_sum);
    g_checksum_free(file_sum);
    g_rand_free(rnd);
    return g;
}

/* Free what generate() returned and remove the file. */
static void
generated_clear(struct generated *g)
{
    g_unlink(g->path);
    g_free(g->path);
    g_free(g->att_sha256);
    g_free(g->file_sha256);
}

/* Ingest the file at path through the file door. */
static enum ingest_status
ingest_file(struct fixture *f, const char *path, struct decision *d)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    enum ingest_status st;

    assert_true(fd >= 0);
    st = ingest_message_fd(&f->ctx, fd, "jane@itu.example", d);
    if (st != INGEST_OK)
        print_message("ingest: %s\n", d->error != NULL ? d->error : "");
    /* The descriptor is still ours after the call. */
    assert_int_equal(close(fd), 0);
    return st;
}

/* Length and hex SHA-256 of one blob, read in chunks as the daemon wrote
 * it, through a connection of the test's own. */
static void
blob_digest(const char *dbpath, const char *table, const char *column,
            sqlite3_int64 rowid, gsize *len, char **hex)
{
    sqlite3 *db = NULL;
    sqlite3_blob *blob = NULL;
    GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
    char buf[65536];
    int n;

    assert_int_equal(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_blob_open(db, "main", table, column, rowid, 0, &blob), SQLITE_OK);
    n = sqlite3_blob_bytes(blob);
    for (int off = 0; off < n; off += (int) sizeof buf) {
        int k = MIN((int) sizeof buf, n - off);

        assert_int_equal(sqlite3_blob_read(blob, buf, k, off), SQLITE_OK);
        g_checksum_update(sum, (const guchar *) buf, k);
    }
    *len = (gsize) n;
    *hex = g_strdup(g_checksum_get_string(sum));
    g_checksum_free(sum);
    sqlite3_blob_close(blob);
    sqlite3_close(db);
}

/* The rowid of the only attachment of statement id. */
static sqlite3_int64
attachment_rowid(const char *dbpath, gint64 id)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    sqlite3_int64 row;

    assert_int_equal(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT rowid FROM attachment"
                                        " WHERE statement = ?1", -1, &stmt, NULL), SQLITE_OK);
    sqlite3_bind_int64(stmt, 1, id);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    row = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return row;
}

/* The large message: recorded, its attachment and raw bytes exact. */
static void
test_large_attachment(void **state)
{
    struct fixture *f = *state;
    gsize size = large_size(), len;
    struct generated g = generate(f->tmpdir, "large.eml", size, "large@itu.example");
    struct decision d, again;
    const struct attachment *a;
    struct statement *back;
    GError *err = NULL;
    char *hex;

    print_message("attachment of %zu bytes, message of %zu bytes\n", size, g.file_size);
    assert_int_equal(ingest_file(f, g.path, &d), INGEST_OK);
    assert_int_equal(d.kind, KIND_STATEMENT);
    assert_false(d.duplicate);
    assert_non_null(d.statement);
    assert_int_equal(d.statement->attachments->len, 1);
    a = g_ptr_array_index(d.statement->attachments, 0);
    assert_string_equal(a->name, "figures.pdf");
    assert_int_equal(a->size, size);
    assert_string_equal(a->sha256, g.att_sha256);

    /* The attachment, as stored. */
    blob_digest(f->dbpath, "attachment", "data",
                attachment_rowid(f->dbpath, d.statement_id), &len, &hex);
    assert_int_equal(len, size);
    assert_string_equal(hex, g.att_sha256);
    g_free(hex);
    /* The raw message, byte for byte. */
    blob_digest(f->dbpath, "message", "raw", d.message_row, &len, &hex);
    assert_int_equal(len, g.file_size);
    assert_string_equal(hex, g.file_sha256);
    g_free(hex);

    /* Read back without its bytes (too large to load), size and digest
     * kept. */
    back = store_get_statement(f->store, d.statement_id, &err);
    assert_non_null(back);
    a = g_ptr_array_index(back->attachments, 0);
    assert_null(a->data);
    assert_null(a->file);
    assert_int_equal(a->size, size);
    assert_string_equal(a->sha256, g.att_sha256);
    statement_free(back);

    /* The same file again is the same message. */
    assert_int_equal(ingest_file(f, g.path, &again), INGEST_OK);
    assert_true(again.duplicate);
    assert_int_equal(again.statement_id, d.statement_id);
    decision_clear(&again);
    decision_clear(&d);
    generated_clear(&g);
}

/* Both doors digest alike, and an attachment decoded through a temporary
 * file comes back whole when it is small enough to load. */
static void
test_doors_agree(void **state)
{
    struct fixture *f = *state;
    struct generated g = generate(f->tmpdir, "medium.eml", 300 * 1024, "medium@itu.example");
    struct decision d, again;
    struct statement *back;
    const struct attachment *a;
    GError *err = NULL;
    gchar *raw = NULL;
    gsize len;
    char *hex;

    assert_int_equal(ingest_file(f, g.path, &d), INGEST_OK);
    assert_false(d.duplicate);
    assert_true(g_file_get_contents(g.path, &raw, &len, &err));
    assert_int_equal(ingest_message(&f->ctx, raw, len, "jane@itu.example", &again), INGEST_OK);
    assert_true(again.duplicate);
    assert_int_equal(again.message_row, d.message_row);

    back = store_get_statement(f->store, d.statement_id, &err);
    assert_non_null(back);
    a = g_ptr_array_index(back->attachments, 0);
    assert_non_null(a->data);
    assert_int_equal(g_bytes_get_size(a->data), 300 * 1024);
    hex = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, a->data);
    assert_string_equal(hex, g.att_sha256);
    g_free(hex);
    statement_free(back);
    decision_clear(&again);
    decision_clear(&d);
    g_free(raw);
    generated_clear(&g);
}

/* Hostile mail through the file door, every attachment forced into a
 * temporary file: recorded, raw bytes kept, no file left behind. */
static void
test_malformed_through_files(void **state)
{
    struct fixture *f = *state;

    f->ctx.limits.attachment_memory_max = 1;
    for (gsize i = 0; i < malformed_case_count; i++) {
        GBytes *b = malformed_cases[i].make();
        g_autofree char *path = g_build_filename(f->tmpdir, "case.eml", NULL);
        gsize len;
        const char *raw = g_bytes_get_data(b, &len);
        struct decision d;
        GError *err = NULL;
        GBytes *stored;

        assert_true(g_file_set_contents(path, raw, (gssize) len, &err));
        if (ingest_file(f, path, &d) != INGEST_OK)
            fail_msg("malformed case %s: %s", malformed_cases[i].name,
                     d.error != NULL ? d.error : "");
        stored = store_raw_message(f->store, d.message_row, &err);
        assert_non_null(stored);
        if (!g_bytes_equal(stored, b))
            fail_msg("malformed case %s: raw bytes not kept", malformed_cases[i].name);
        g_bytes_unref(stored);
        g_bytes_unref(b);
        decision_clear(&d);
        g_unlink(path);
    }
    f->ctx.limits.attachment_memory_max = 0;
}

/* No temporary file can be made: try again later, nothing written. */
static void
test_spool_unusable(void **state)
{
    struct fixture *f = *state;
    struct generated g = generate(f->tmpdir, "nospool.eml", 400 * 1024, "nospool@itu.example");
    g_autofree char *gone = g_build_filename(f->tmpdir, "no-such-dir", NULL);
    struct decision d;
    GError *err = NULL;

    f->ctx.limits.spool_dir = gone;
    assert_int_equal(ingest_file(f, g.path, &d), INGEST_TEMPFAIL);
    assert_non_null(d.error);
    assert_non_null(strstr(d.error, "temporary file"));
    decision_clear(&d);
    assert_int_equal(store_statement_by_message_id(f->store, "<nospool@itu.example>", &err), 0);
    assert_null(err);
    f->ctx.limits.spool_dir = f->tmpdir;
    /* Once the spool is back, it is recorded. */
    assert_int_equal(ingest_file(f, g.path, &d), INGEST_OK);
    assert_false(d.duplicate);
    decision_clear(&d);
    generated_clear(&g);
}

int
main(void)
{
    GError *err = NULL;

    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_large_attachment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_doors_agree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_through_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spool_unusable, setup, teardown),
    };

    alarm(600);                 /* a hang is a failure, not a stuck build */
    message_library_init();
    if (!envelope_init(&err)) {
        fprintf(stderr, "envelope_init: %s\n", err->message);
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
