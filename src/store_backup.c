/*
 * store_backup.c: store_backup, a consistent, checked copy of the SQLite
 * store's database in a file of the admin's choosing.
 *
 * - Backups (store_backup): SQLite's online backup API, in one step, into
 *   a temporary file beside the destination, then renamed over it.  A
 *   copy of the files (cp) can catch the database and its WAL at
 *   different moments and is then torn; the backup API reads one
 *   snapshot, and in WAL mode a reader never blocks liaisond's writer nor
 *   sees its uncommitted rows.  The copy is switched to a rollback
 *   journal, so that it is one self-contained file, checked
 *   (quick_check), flushed to disk and only then given its name: PATH is
 *   either the old file or a whole, verified new one.
 *
 * Separate from store.c because it works on files, folders and a second
 * SQLite connection (the copy) rather than on the prepared statements:
 * from store_impl.h it takes only struct store, store_query_value,
 * store_rollback_if_open and store_error_of.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "beside.h"
#include "store.h"
#include "store_impl.h"

/* The STORE_ERROR code for a system call's errno while the copy is made:
 * what the admin must mend (room, rights, a folder). */
static int
errno_code(int e)
{
    switch (e) {
    case ENOSPC:
    case EDQUOT:
        return STORE_ERROR_FULL;
    case EACCES:
    case EPERM:
    case EROFS:
    case EISDIR:
        return STORE_ERROR_READONLY;
    case ENOENT:
    case ENOTDIR:
        return STORE_ERROR_NOTFOUND;
    default:
        return STORE_ERROR_OTHER;
    }
}

/* Set *err for the database that could not be read: BUSY whatever the
 * cause (locked, an I/O error, a file it cannot open), since it is the
 * source, not the backup's file, that failed, and a READONLY or I/O code
 * would read as the backup's; OTHER for SQLITE_ERROR, the caller's misuse
 * (a transaction of its own open). */
static void
backup_source_failed(struct store *st, GError **err, int rc, const char *what)
{
    g_set_error(err, STORE_ERROR, (rc & 0xff) == SQLITE_ERROR ? STORE_ERROR_OTHER
                : STORE_ERROR_BUSY, "%s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
}

/* Set *err for a failed system call on the backup's file path. */
static void
backup_errno(GError **err, const char *path, const char *what, int e)
{
    g_set_error(err, STORE_ERROR, errno_code(e), "%s: %s: %s", path, what, g_strerror(e));
}

/* Set *err from the copy's connection after rc (as store_fail() does for the
 * database's), naming the backup's path. */
static void
backup_fail(sqlite3 *copy, GError **err, int rc, const char *path, const char *what)
{
    const char *msg = sqlite3_errstr(rc);
    int     e = copy != NULL ? sqlite3_system_errno(copy) : 0;
    g_autofree char *why = e != 0 ? g_strdup_printf(" (%s)", g_strerror(e)) : NULL;

    /* The handle's own message when it is about this failure: it may
     * say more ("database or disk is full" is the same either way). */
    if (copy != NULL && (sqlite3_errcode(copy) & 0xff) == (rc & 0xff))
        msg = sqlite3_errmsg(copy);
    /* "unable to open database file" says less than the errno behind it
     * (no room for another inode, a name too long). */
    g_set_error(err, STORE_ERROR, errno_code(e) == STORE_ERROR_FULL ? STORE_ERROR_FULL
                : store_error_of(copy, rc), "%s: %s: %s%s", path, what, msg,
                why != NULL ? why : "");
}

/* See store.h. */
gboolean
store_is_database_file(const char *db, const char *path)
{
    static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
    g_autofree char *pdir = g_path_get_dirname(path), *pbase = g_path_get_basename(path);
    g_autofree char *ddir = g_path_get_dirname(db), *dbase = g_path_get_basename(db);
    GStatBuf ps, fs, pds, dds;
    gboolean exists = g_stat(path, &ps) == 0;
    gboolean same_dir = g_stat(pdir, &pds) == 0 && g_stat(ddir, &dds) == 0
                        && pds.st_dev == dds.st_dev && pds.st_ino == dds.st_ino;

    for (size_t i = 0; i < G_N_ELEMENTS(suffix); i++) {
        g_autofree char *f = g_strconcat(db, suffix[i], NULL);
        g_autofree char *name = g_strconcat(dbase, suffix[i], NULL);

        if (same_dir && strcmp(pbase, name) == 0)
            return TRUE;
        if (exists && g_stat(f, &fs) == 0 && fs.st_dev == ps.st_dev && fs.st_ino == ps.st_ino)
            return TRUE;
    }
    return FALSE;
}

/* The name of a backup's temporary copy in the destination's folder,
 * before mkstemp's six characters. */
#define BACKUP_TMP_PREFIX ".liaison-backup-"

/* Remove what SQLite may have left beside the temporary copy, named after
 * it.  After a clean close none of it is needed: in EXCLUSIVE locking
 * mode SQLite zeroes a rollback journal at commit instead of deleting it,
 * and once the copy has its own name nothing would ever remove one. */
static void
backup_remove_side_files(const char *tmp)
{
    static const char *const suffix[] = { "-journal", "-wal", "-shm" };

    for (size_t i = 0; i < G_N_ELEMENTS(suffix); i++) {
        g_autofree char *f = g_strconcat(tmp, suffix[i], NULL);

        g_unlink(f);
    }
}

/* Remove the temporary copy and whatever SQLite made beside it. */
static void
backup_discard(const char *tmp)
{
    backup_remove_side_files(tmp);
    g_unlink(tmp);
}

/* Copy the snapshot the source's open read transaction sees into the
 * empty file tmp, make it one self-contained file and check it; counts
 * in *out.  path names the backup in messages. */
static gboolean
backup_copy(struct store *st, const char *tmp, const char *path, gint64 statements,
            struct store_backup_stats *out, GError **err)
{
    sqlite3 *copy = NULL;
    sqlite3_backup *b;
    g_autofree char *mode = NULL, *check = NULL;
    const char *what = "opening the copy";
    int rc;

    rc = sqlite3_open_v2(tmp, &copy, SQLITE_OPEN_READWRITE, NULL);
    if (rc != SQLITE_OK)
        goto fail;
    sqlite3_extended_result_codes(copy, 1);
    /* EXCLUSIVE: the copy is ours alone, and once it says WAL (below) its
     * wal-index lives in memory, so no -shm file is ever made beside it.
     * synchronous OFF: the whole file is flushed once, at the end. */
    what = "setting the copy up";
    if ((rc = sqlite3_exec(copy, "PRAGMA locking_mode=EXCLUSIVE; PRAGMA synchronous=OFF",
                           NULL, NULL, NULL)) != SQLITE_OK)
        goto fail;
    /* One step of -1 pages: every page from the one snapshot the source
     * connection's read transaction holds.  Smaller steps would let
     * liaisond's commits in between restart the copy again and again. */
    what = "copying";
    if ((b = sqlite3_backup_init(copy, "main", st->db, "main")) == NULL) {
        rc = sqlite3_errcode(copy);
        goto fail;
    }
    rc = sqlite3_backup_step(b, -1);
    sqlite3_backup_finish(b);
    /* Let go of the snapshot at once (store_backup opened the read for
     * this copy alone): liaisond's checkpoints wait for it, and nothing
     * below reads the source. */
    store_rollback_if_open(st);
    if (rc != SQLITE_DONE)
        goto fail;
    /* The pages copied include the source's header, which says WAL: as it
     * is, the copy would open as a WAL database, expect a -wal file
     * beside it and make one.  A rollback journal makes it one file. */
    what = "leaving WAL mode";
    if ((rc = store_query_value(copy, "PRAGMA journal_mode=DELETE", NULL, &mode)) != SQLITE_OK)
        goto fail;
    if (mode == NULL || g_ascii_strcasecmp(mode, "delete") != 0) {
        g_set_error(err, STORE_ERROR, STORE_ERROR_OTHER,
                    "%s: the copy stayed in journal mode %s", path, mode ? mode : "(none)");
        goto failed;
    }
    /* quick_check reads every page back (O(N), unlike integrity_check it
     * skips matching indexes to rows): a write that went wrong shows. */
    what = "checking the copy";
    if ((rc = store_query_value(copy, "PRAGMA quick_check", NULL, &check)) != SQLITE_OK)
        goto fail;
    if (check == NULL || strcmp(check, "ok") != 0) {
        g_set_error(err, STORE_ERROR, STORE_ERROR_CORRUPT, "%s: the copy failed its check: %s",
                    path, check ? check : "(no answer)");
        goto failed;
    }
    what = "counting in the copy";
    if ((rc = store_query_value(copy, "SELECT count(*) FROM statement", &out->statements,
                                NULL)) != SQLITE_OK
        || (rc = store_query_value(copy, "SELECT count(*) FROM message", &out->messages,
                                   NULL)) != SQLITE_OK)
        goto fail;
    if (out->statements != statements) {
        g_set_error(err, STORE_ERROR, STORE_ERROR_CORRUPT,
                    "%s: the copy holds %" G_GINT64_FORMAT " statements, the database %"
                    G_GINT64_FORMAT, path, out->statements, statements);
        goto failed;
    }
    what = "closing the copy";
    if ((rc = sqlite3_close(copy)) != SQLITE_OK)
        goto fail;
    return TRUE;
fail:
    backup_fail(copy, err, rc, path, what);
failed:
    sqlite3_close_v2(copy);
    return FALSE;
}

/* Write a consistent, checked copy of the database to path (see the
 * header comment); on failure path is left as it was. */
gboolean
store_backup(struct store *st, const char *path, struct store_backup_stats *out,
             GError **err)
{
    const char *db = sqlite3_db_filename(st->db, "main");
    g_autofree char *dir = NULL, *tmp = NULL;
    gint64  statements = 0;
    gboolean began = FALSE;
    const char *why;
    GStatBuf sb;
    int     fd, rc, e;

    memset(out, 0, sizeof *out);
    if (*path == '\0') {
        g_set_error(err, STORE_ERROR, STORE_ERROR_NOTFOUND, "no backup file given");
        return FALSE;
    }
    if ((why = beside_unusable(path)) != NULL) {
        g_set_error(err, STORE_ERROR, STORE_ERROR_READONLY, "%s %s", path, why);
        return FALSE;
    }
    if (db != NULL && *db != '\0' && store_is_database_file(db, path)) {
        g_set_error(err, STORE_ERROR, STORE_ERROR_READONLY,
                    "%s is the database %s, or its -wal, -shm or -journal file: name "
                    "another file",
                    path, st->path);
        return FALSE;
    }

    /* In the destination's folder, so that the rename is atomic; hidden,
     * and 0600: the database holds mail and the VERP secret.  A short
     * name of our own, whatever FILE's length (SQLite adds "-journal"),
     * locked while we work on it, so that a backup killed part-way,
     * whose copy nothing else would ever remove, is removed by the next
     * one in that folder. */
    dir = g_path_get_dirname(path);
    /* A copy a killed backup left, each the size of the database, would
     * fill the disk night after night. */
    beside_remove_stale(dir, BACKUP_TMP_PREFIX, backup_discard);
    if ((fd = beside_create(dir, BACKUP_TMP_PREFIX, O_RDWR, &tmp)) < 0) {
        e = errno;
        if (e == ENOENT)
            g_set_error(err, STORE_ERROR, errno_code(e),
                        "%s: the folder %s does not exist", path, dir);
        else if (e == ENOTDIR)
            g_set_error(err, STORE_ERROR, errno_code(e),
                        "%s: %s is not a folder", path, dir);
        else
            backup_errno(err, path, "creating a file in its folder", e);
        return FALSE;
    }

    /* A read transaction opened here, under the busy timeout (the backup
     * API would not wait for the source), holds the snapshot that the
     * count and the copy both read.  Inside a caller's transaction BEGIN
     * fails, as it must: the backup API reads through this connection, and
     * the copy would hold that transaction's uncommitted writes. */
    if ((rc = sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL)) != SQLITE_OK) {
        backup_source_failed(st, err, rc, "starting a read");
        goto failed;
    }
    began = TRUE;
    if ((rc = store_query_value(st->db, "SELECT count(*) FROM statement", &statements,
                                NULL)) != SQLITE_OK) {
        backup_source_failed(st, err, rc, "reading");
        goto failed;
    }
    /* backup_copy lets go of the read once the pages are copied; a
     * failure before that leaves it to the rollback below. */
    if (!backup_copy(st, tmp, path, statements, out, err))
        goto failed;
    backup_remove_side_files(tmp);

    /* SQLite has written the file through its own descriptor; ours is
     * the same file, and flushes it. */
    if (fstat(fd, &sb) != 0 || fsync(fd) != 0) {
        backup_errno(err, path, "flushing the copy to disk", errno);
        goto failed;
    }
    out->bytes = sb.st_size;
    e = close(fd) != 0 ? errno : 0;
    fd = -1;
    if (e != 0) {
        backup_errno(err, path, "closing the copy", e);
        goto failed;
    }
    if (g_rename(tmp, path) != 0) {
        backup_errno(err, path, "putting the copy in place", errno);
        goto failed;
    }
    /* Without it a crash could bring back the old name's file. */
    if ((e = beside_sync_dir(dir)) != 0) {
        backup_errno(err, path, "flushing its folder (the copy is in place, but a crash "
                     "may undo that)", e);
        return FALSE;
    }
    return TRUE;
failed:
    /* Only the read opened here (still open, or let go of already: then
     * this does nothing); a caller's transaction is the caller's. */
    if (began)
        store_rollback_if_open(st);
    if (fd >= 0)
        close(fd);
    backup_discard(tmp);
    return FALSE;
}
