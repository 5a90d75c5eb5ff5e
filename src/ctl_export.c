/*
 * ctl_export.c: liaisonctl export, the mail recorded written out as an
 * mbox: every message received (not the mail the tool sent), or those of
 * some statements, byte for byte, in the order it came.  The way out of
 * the database that import is the way in: the mbox is mboxrd (a line
 * "From " or ">From " in a message gets one more '>', which import takes
 * off again), each message's From_ line names its sender (MAILER-DAEMON
 * for a bounce, which import reads as the null sender again) and the time
 * it was received, so that importing the file into an empty database
 * gives the same statements.
 *
 * Byte for byte as liaisond records mail (LF line ends, a final newline,
 * which ingest and import make of a file's CRLF and missing last line
 * end: ingest_line_ends), so that an export imported into the same
 * database is all recorded before.  put_message still ends a message
 * without a final newline with one (a row recorded before ingest made
 * them): an mbox cannot say that a message had none.
 *
 * A FILE is written whole or not at all: into a temporary file beside it
 * (mode 0600: it holds mail), flushed to disk, then renamed over FILE.  A
 * link at FILE is replaced, as backup does, unless it leads to something
 * that is not a file (a FIFO, a device): that, like a FIFO or a device at
 * FILE itself, is refused, since the rename would put a file in its
 * place; "-" and a redirection write to those.  The temporary file has
 * no name (O_TMPFILE) until it is whole, so that an export killed
 * part-way leaves nothing; where the file system has no such file, it is
 * named, and what a killed export left is removed by the next export
 * into that folder (one at work holds a flock on its own).
 *
 * Standard output that is not a file (a pipe, a FIFO, a socket) is
 * written only once the database is read: the mail goes first into a
 * file without a name in TMPDIR, which is then copied out.  Written to
 * as it is read, a reader that holds the output back (a pager left open,
 * a stopped job) would hold the read's snapshot as long, and while a
 * snapshot is held SQLite cannot checkpoint the log past it: every
 * message liaisond records meanwhile grows the -wal file, without bound.
 * The spool keeps the export one snapshot and the read as short as for
 * a FILE.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "beside.h"
#include "fdio.h"
#include "log.h"
#include "message.h"
#include "ctl.h"

/* The temporary file beside FILE: this, then six characters of mkstemp. */
#define EXPORT_TMP_PREFIX ".liaison-export-"

/* Where the messages go, and what went. */
struct export_out {
    FILE   *fp;
    const char *name;           /* FILE, or "standard output" */
    gint64  messages;
    guint64 bytes;              /* written: From_ lines and quoting too */
    GHashTable *statements;     /* the statements whose mail went */
    gboolean failed;            /* a write failed (errno kept) */
    int     error;
};

/* A received time "2026-11-28T09:15:00Z" as a From_ line gives it,
 * "Sat Nov 28 09:15:00 2026" (asctime's form, UTC); NULL when it is no
 * time. */
static char *
from_line_date(const char *received)
{
    g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
    g_autoptr(GDateTime) t = received != NULL
                             ? g_date_time_new_from_iso8601(received, utc) : NULL;

    return t != NULL ? g_date_time_format(t, "%a %b %e %H:%M:%S %Y") : NULL;
}

/* Write one message as mboxrd: its From_ line, its lines with one more
 * '>' before any that starts with ">*From ", a line end when it has none
 * at its end, and the blank line that ends it; the bytes written added
 * to *bytes.  FALSE when a write failed. */
static gboolean
put_message(FILE *fp, const struct store_export_row *r, guint64 *bytes)
{
    const char *p = r->raw, *end = (const char *) r->raw + r->len;
    g_autofree char *from = NULL;
    g_autofree char *date = from_line_date(r->received);
    int     n;

    /* The null sender is what import makes of MAILER-DAEMON (in any
     * case), so only a bounce is given it: a From of MAILER-DAEMON on a
     * message that was not one must not make it one. */
    if (g_strcmp0(r->kind, "bounce") == 0)
        from = g_strdup("MAILER-DAEMON");
    else if ((from = message_raw_from(r->raw, r->len)) == NULL
             || g_ascii_strcasecmp(from, "MAILER-DAEMON") == 0) {
        g_free(from);
        from = g_strdup("-");
    }
    /* received is never NULL in the store; the epoch only keeps the line
     * well formed should it be. */
    n = fprintf(fp, "From %s %s\n", from, date != NULL ? date : "Thu Jan  1 00:00:00 1970");
    *bytes += n > 0 ? (guint64) n : 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t) (end - p));
        const char *next = nl != NULL ? nl + 1 : end;
        const char *q = p;

        while (q < next && *q == '>')
            q++;
        if (next - q >= 5 && memcmp(q, "From ", 5) == 0) {
            putc('>', fp);
            (*bytes)++;
        }
        fwrite(p, 1, (size_t) (next - p), fp);
        *bytes += (guint64) (next - p);
        p = next;
    }
    if (r->len > 0 && end[-1] != '\n') {
        putc('\n', fp);
        (*bytes)++;
    }
    putc('\n', fp);
    (*bytes)++;
    return !ferror(fp);
}

/* store_export's callback: one message out; stops at the first failed
 * write. */
static gboolean
export_one(const struct store_export_row *r, gpointer data)
{
    struct export_out *o = data;

    if (!put_message(o->fp, r, &o->bytes)) {
        o->failed = TRUE;
        o->error = errno;
        return FALSE;
    }
    o->messages++;
    if (r->statement > 0)
        g_hash_table_add(o->statements, g_memdup2(&r->statement, sizeof r->statement));
    return TRUE;
}

/* Open a temporary file beside path for the export (beside.c: 0600,
 * flock'ed while it is written), first removing any a killed export left
 * there: one without a name where the file system has them (*tmp NULL),
 * else a named one (its name in *tmp).  NULL, the reason printed, when
 * it cannot be made. */
static FILE *
open_beside(const char *path, char **tmp)
{
    g_autofree char *dir = g_path_get_dirname(path);
    int     fd;
    FILE   *fp;

    *tmp = NULL;
    beside_remove_stale(dir, EXPORT_TMP_PREFIX, NULL);
    if ((fd = beside_create_unnamed(dir, O_WRONLY)) < 0 && errno == EOPNOTSUPP)
        fd = beside_create(dir, EXPORT_TMP_PREFIX, O_WRONLY, tmp);
    if (fd < 0) {
        log_msg(LOG_ERR, NULL, "cannot write in %s: %s", dir, g_strerror(errno));
        return NULL;
    }
    if ((fp = fdopen(fd, "w")) == NULL) {
        log_msg(LOG_ERR, NULL, "%s: %s", dir, g_strerror(errno));
        close(fd);
        if (*tmp != NULL)
            g_unlink(*tmp);
        g_clear_pointer(tmp, g_free);
    }
    return fp;
}

/* A spool for standard output when it is not a file (see the header
 * comment): a file without a name in TMPDIR, open for stdio; NULL, the
 * reason printed, when it cannot be made. */
static FILE *
open_spool(void)
{
    const char *dir = g_get_tmp_dir();
    int     fd;
    FILE   *fp;

    if ((fd = beside_anonymous(dir, O_RDWR)) < 0) {
        log_msg(LOG_ERR, NULL, "cannot write in %s, to hold the export for standard output:"
                " %s", dir, g_strerror(errno));
        return NULL;
    }
    if ((fp = fdopen(fd, "w+")) == NULL) {
        log_msg(LOG_ERR, NULL, "%s: %s", dir, g_strerror(errno));
        close(fd);
    }
    return fp;
}

/* Copy the spool, once the database is read, to standard output, and
 * close it.  EX_OK, or EX_IOERR, the reason printed. */
static int
finish_spool(FILE *fp)
{
    char    buf[65536];
    int     fd = fileno(fp), rc = EX_OK;
    ssize_t n;

    if (fflush(fp) != 0 || ferror(fp)) {
        log_msg(LOG_ERR, NULL, "cannot write in %s, to hold the export for standard output:"
                " %s", g_get_tmp_dir(), g_strerror(errno));
        fclose(fp);
        return EX_IOERR;
    }
    if (lseek(fd, 0, SEEK_SET) != 0) {
        log_msg(LOG_ERR, NULL, "cannot read back the export held in %s: %s", g_get_tmp_dir(),
                g_strerror(errno));
        fclose(fp);
        return EX_IOERR;
    }
    while ((n = read(fd, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            log_msg(LOG_ERR, NULL, "cannot read back the export held in %s: %s",
                    g_get_tmp_dir(), g_strerror(errno));
            rc = EX_IOERR;
            break;
        }
        if (!fdio_write_all(STDOUT_FILENO, buf, (size_t) n)) {
            log_msg(LOG_ERR, NULL, "cannot write standard output: %s", g_strerror(errno));
            rc = EX_IOERR;
            break;
        }
    }
    fclose(fp);
    return rc;
}

/* Put the finished temporary file (tmp, or the one without a name when
 * tmp is NULL) in path's place: flushed and synced, named path, the
 * folder synced.  EX_OK, or the exit code, the reason printed and tmp
 * removed. */
static int
finish_beside(FILE *fp, const char *tmp, const char *path)
{
    g_autofree char *dir = g_path_get_dirname(path);
    int     e = 0, placed = 0;

    if (fflush(fp) != 0 || fsync(fileno(fp)) != 0)
        e = errno;
    /* A file without a name is named through its descriptor: while it
     * is open. */
    if (e == 0 && tmp == NULL)
        placed = beside_link(fileno(fp), dir, EXPORT_TMP_PREFIX, path);
    if (fclose(fp) != 0 && e == 0)
        e = errno;
    if (e != 0) {
        log_msg(LOG_ERR, NULL, "cannot write %s: %s", path, g_strerror(e));
        if (tmp != NULL)
            g_unlink(tmp);
        return EX_IOERR;
    }
    if (tmp != NULL && g_rename(tmp, path) != 0)
        placed = errno;
    if (placed != 0) {
        log_msg(LOG_ERR, NULL, "cannot put the export at %s: %s", path, g_strerror(placed));
        if (tmp != NULL)
            g_unlink(tmp);
        return EX_CANTCREAT;
    }
    /* The rename itself is safe once the folder is on disk too. */
    if ((e = beside_sync_dir(dir)) != 0)
        log_msg(LOG_WARNING, NULL, "%s is in place, but syncing %s failed: %s", path, dir,
                g_strerror(e));
    return EX_OK;
}

/* liaisonctl export [--since DAY] [--until DAY] FILE [ID]...: the mail
 * received, all of it or that of the statements ID, as an mbox. */
int
ctl_cmd_export(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        { "since", required_argument, NULL, 's' },
        { "until", required_argument, NULL, 'u' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *since = NULL, *until = NULL, *file;
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(gint64));
    g_autoptr(GHashTable) statements = g_hash_table_new_full(g_int64_hash, g_int64_equal,
                                                             g_free, NULL);
    struct export_out o = { .statements = statements };
    g_autofree char *tmp = NULL, *size = NULL;
    gboolean to_stdout, spooled = FALSE;
    GStatBuf sb;
    GError *err = NULL;
    int c, rc;

    /* Options may follow FILE and the ids (no '+'): an id is never one. */
    while ((c = getopt_long(argc, argv, "s:u:h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
        case 'u':
            if (!ctl_option_span(ctl, c == 's', optarg, &since, &until))
                return EX_USAGE;
            break;
        case 'h': return ctl_usage(ctl->cmd, TRUE);
        default: return ctl_usage(ctl->cmd, FALSE);
        }
    }
    if (argc - optind < 1 || *argv[optind] == '\0')
        return ctl_usage(ctl->cmd, FALSE);
    if (!ctl_span_ok(ctl, since, until))
        return EX_USAGE;
    file = argv[optind];
    to_stdout = strcmp(file, "-") == 0;
    /* Mail on a terminal is its control characters let loose. */
    if (to_stdout && isatty(STDOUT_FILENO)) {
        fprintf(stderr, "liaisonctl: export: standard output is a terminal: redirect it,"
                " or name a FILE\n");
        return EX_USAGE;
    }
    for (int i = optind + 1; i < argc; i++) {
        gint64 id;

        if (!ctl_statement_id(ctl->cmd->name, argv[i], &id))
            return ctl_usage(ctl->cmd, FALSE);
        g_array_append_val(ids, id);
    }
    if ((rc = ctl_setup(ctl)) != EX_OK || (rc = ctl_open_existing_to_read(ctl)) != EX_OK)
        return rc;
    /* Every statement named must be there before anything is written. */
    for (guint i = 0; i < ids->len; i++) {
        gint64 id = g_array_index(ids, gint64, i);
        struct statement *s = store_get_statement_meta(ctl->store, id, &err);

        if (s == NULL) {
            rc = g_error_matches(err, STORE_ERROR, STORE_ERROR_NOTFOUND) ? 1 : EX_TEMPFAIL;
            if (rc == 1)
                log_msg(LOG_ERR, NULL, "no statement %" G_GINT64_FORMAT, id);
            else
                log_msg(LOG_ERR, NULL, "cannot read statement %" G_GINT64_FORMAT ": %s", id,
                        err->message);
            g_error_free(err);
            return rc;
        }
        statement_free(s);
    }
    if (to_stdout) {
        o.name = "standard output";
        /* As cat does: a reader that stops (head, a pager quit) ends the
         * export quietly, whatever the shell left SIGPIPE at. */
        signal(SIGPIPE, SIG_DFL);
        /* A redirection to a file takes the mail as fast as it is read;
         * anything else may hold it back. */
        if (fstat(STDOUT_FILENO, &sb) == 0 && S_ISREG(sb.st_mode))
            o.fp = stdout;
        else if ((o.fp = open_spool()) != NULL)
            spooled = TRUE;
        else
            return EX_IOERR;
    } else {
        const char *why = beside_unusable(file);

        if (store_is_database_file(ctl->db_path, file)) {
            log_msg(LOG_ERR, NULL, "%s is the database or one of its files: not written", file);
            return EX_CANTCREAT;
        }
        if (why != NULL) {
            /* Not a file: the mbox can still go there through standard
             * output. */
            log_msg(LOG_ERR, NULL, "%s %s%s", file, why,
                    g_str_has_prefix(why, "is not a file") ? ": write to \"-\" and redirect" : "");
            return EX_CANTCREAT;
        }
        if ((o.fp = open_beside(file, &tmp)) == NULL)
            return EX_CANTCREAT;
        o.name = file;
    }
    /* All the mail, or each statement's in the order named (a statement
     * named twice is written once). */
    if (ids->len == 0) {
        if (!store_export(ctl->store, 0, since, until, export_one, &o, &err))
            goto failed;
    } else {
        g_autoptr(GHashTable) done = g_hash_table_new(g_int64_hash, g_int64_equal);

        for (guint i = 0; i < ids->len && !o.failed; i++) {
            gint64 *id = &g_array_index(ids, gint64, i);

            if (!g_hash_table_add(done, id))
                continue;
            if (!store_export(ctl->store, *id, since, until, export_one, &o, &err))
                goto failed;
        }
    }
    if (o.failed) {
        if (spooled)
            log_msg(LOG_ERR, NULL, "cannot write in %s, to hold the export for standard "
                    "output: %s", g_get_tmp_dir(), g_strerror(o.error));
        else
            log_msg(LOG_ERR, NULL, "cannot write %s: %s", o.name, g_strerror(o.error));
        if (o.fp != stdout)
            fclose(o.fp);
        if (tmp != NULL)
            g_unlink(tmp);
        return EX_IOERR;
    }
    if (spooled) {
        if ((rc = finish_spool(o.fp)) != EX_OK)
            return rc;
    } else if (to_stdout) {
        if (fflush(stdout) != 0 || ferror(stdout)) {
            log_msg(LOG_ERR, NULL, "cannot write %s: %s", o.name, g_strerror(errno));
            return EX_IOERR;
        }
    } else if ((rc = finish_beside(o.fp, tmp, file)) != EX_OK) {
        return rc;
    }
    size = compose_size_text(o.bytes);
    /* The summary goes where the mail does not. */
    fprintf(to_stdout ? stderr : stdout,
            "exported %" G_GINT64_FORMAT " message%s of %u statement%s (%s) to %s\n",
            o.messages, o.messages == 1 ? "" : "s", g_hash_table_size(statements),
            g_hash_table_size(statements) == 1 ? "" : "s", size, o.name);
    return EX_OK;

failed:
    log_msg(LOG_ERR, NULL, "cannot read the messages: %s", err->message);
    g_error_free(err);
    if (o.fp != stdout)
        fclose(o.fp);
    if (tmp != NULL)
        g_unlink(tmp);
    return EX_TEMPFAIL;
}
