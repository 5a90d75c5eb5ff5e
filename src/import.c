/*
 * import.c: recording an archive of liaison mail (liaisonctl import).
 *
 * A site that moves to liaisond brings its history: the list archive of
 * the statements received so far (an mbox, as mail archives export it),
 * a Maildir, or a folder of saved messages.  Each message goes through
 * the same ingest_message() as live mail, so an imported statement is
 * read, routed and recorded as it would have been on arrival.
 *
 * Why it is built this way:
 *
 * - Every message is found and dated first, then recorded oldest first.
 *   An answer threads onto a statement only when the statement is
 *   recorded before it, and archives are not always in order (several
 *   lists' archives concatenated, a Maildir named by arrival).
 *
 * - Each row is dated by the message's Date, not by the import's clock
 *   (store_set_as_of): the statement's received, its events, a closing.
 *   Otherwise every imported statement would look new to the tickler,
 *   the site and liaisonctl stats.  A Date in the future is taken as now.
 *
 * - Nothing is announced: the caller gives no mail settings, so no
 *   notification, acknowledgement or answer to a command is queued for
 *   mail that was dealt with long ago.
 *
 * - One transaction per message, as live mail: a failure stops the run
 *   with what was recorded kept, and a second run goes on from there,
 *   since a message recorded before is recognised and written once.
 *
 * - GMime finds an mbox's messages (its From_ lines); the bytes given to
 *   the ingest are the file's own, with the ">From " quoting of the
 *   mbox format taken off (mboxrd: one '>' fewer) and the blank line
 *   that ends each message in an mbox dropped, so that a message that
 *   also came in live is recognised by its body's digest.  Line ends
 *   are made what the milter records (ingest_line_ends: CRLF as LF, a
 *   final LF), as liaisonctl ingest makes them too.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmime/gmime.h>
#include <glib/gstdio.h>

#include "classify.h"
#include "command.h"
#include "import.h"
#include "message.h"
#include "statement.h"
#include "store.h"

/* The largest message recorded, as liaisonctl ingest reads. */
#define IMPORT_MESSAGE_MAX (256 * 1024 * 1024)

struct import {
    GPtrArray *sources;         /* char *: the files read */
    GArray *items;              /* struct import_item, oldest first */
    GPtrArray *notes;           /* char *: what the scan left out, and why */
    gboolean from_lines;        /* an mbox's From_ line dates before Date */
};

/* The Unix time of msg's Date, or fallback when it has none. */
static gint64
message_date(GMimeMessage *msg, gint64 fallback)
{
    GDateTime *d = msg != NULL ? g_mime_message_get_date(msg) : NULL;

    return d != NULL ? g_date_time_to_unix(d) : fallback;
}

/* The Unix time of an mbox From_ line's date ("From SENDER Sat Nov 28
 * 09:15:00 2026", as ctime writes it), or fallback. */
static gint64
marker_date(const char *marker, gint64 fallback)
{
    const char *p = marker != NULL ? strchr(marker + (strlen(marker) >= 5 ? 5 : 0), ' ') : NULL;
    g_autoptr(GDateTime) d = p != NULL ? g_mime_utils_header_decode_date(p + 1) : NULL;

    return d != NULL ? g_date_time_to_unix(d) : fallback;
}

/* Add one item to im; source is already in im->sources. */
static void
add_item(struct import *im, struct import_item *it)
{
    it->seq = im->items->len;
    g_array_append_val(im->items, *it);
}

/* The offset of the first line at or after from that starts "From "
 * in the file open as fd, or size when there is none.  Chunks overlap by
 * five bytes, so that a "\nFrom " cut by a chunk's end is whole in the
 * next one. */
static gint64
next_from_line(int fd, gint64 from, gint64 size)
{
    static const char mark[] = "\nFrom ";
    const size_t mlen = sizeof mark - 1;
    char    buf[65536];
    gint64  at = from > 0 ? from - 1 : 0;  /* the newline before from */

    while (at < size) {
        ssize_t n = pread(fd, buf, sizeof buf, at);
        const char *p;

        if (n <= 0)
            break;
        /* Every newline read is at or after the one before from. */
        if ((p = memmem(buf, (size_t) n, mark, mlen)) != NULL)
            return at + (p - buf) + 1;
        if (at + n >= size || (size_t) n <= mlen)
            break;
        at += n - (ssize_t) (mlen - 1);
    }
    return size;
}

/* The messages of the mbox open as fd (path source), from offset start
 * on: GMime finds each From_ line; a message's bytes run from its header
 * to the next.  GMime stops for good at a message without a header (it
 * reads nothing further), so that message is taken up to the next From_
 * line, for the ingest to say it is no mail, and the rest is read anew
 * from there. */
static void
scan_mbox(struct import *im, const char *source, int fd, gint64 size, gint64 mtime)
{
    gint64  last = mtime, start = 0;
    guint   index = 0;

    while (start < size) {
        GMimeStream *stream = g_mime_stream_fs_new_with_bounds(dup(fd), start, -1);
        GMimeParser *p = g_mime_parser_new_with_stream(stream);

        g_mime_parser_set_format(p, GMIME_FORMAT_MBOX);
        start = size;
        while (!g_mime_parser_eos(p)) {
            GMimeMessage *msg = g_mime_parser_construct_message(p, NULL);
            g_autofree char *marker = NULL;
            struct import_item it = { .source = source, .mbox = TRUE, .date = last };

            if (msg == NULL && g_mime_parser_eos(p))
                break;          /* blank lines after the last message */
            it.index = ++index;
            if (msg == NULL) {
                it.offset = g_mime_parser_tell(p);
                start = next_from_line(fd, it.offset + 1, size);
                it.length = start - it.offset;
                add_item(im, &it);
                break;
            }
            marker = g_mime_parser_get_mbox_marker(p);
            it.offset = g_mime_parser_get_headers_begin(p);
            it.length = g_mime_parser_tell(p) - it.offset;
            /* Without a Date, the From_ line's, which the archive wrote
             * when the message came (or that first, when asked: an
             * export's From_ lines are when each was received); else it
             * keeps its place after the one before. */
            it.date = last = im->from_lines
                             ? marker_date(marker, message_date(msg, last))
                             : message_date(msg, marker_date(marker, last));
            it.null_sender = marker != NULL
                             && g_ascii_strncasecmp(marker, "From MAILER-DAEMON ", 19) == 0;
            add_item(im, &it);
            g_object_unref(msg);
        }
        g_object_unref(p);
        g_object_unref(stream);
    }
}

/* The one message in the file open as stream, dated by its Date or else
 * by the file's time. */
static void
scan_single(struct import *im, const char *source, GMimeStream *stream, gint64 size,
            gint64 mtime)
{
    GMimeParser *p = g_mime_parser_new_with_stream(stream);
    GMimeMessage *msg = g_mime_parser_construct_message(p, NULL);
    struct import_item it = { .source = source, .offset = 0, .length = size };

    it.date = message_date(msg, mtime);
    add_item(im, &it);
    if (msg != NULL)
        g_object_unref(msg);
    g_object_unref(p);
}

/* See import.h: why the file that opens with head (n bytes of it) is
 * no mail, when it is compressed as an archive is kept, naming the
 * compression and the command that undoes it ("gzip-compressed, not mail;
 * decompress it first (gunzip)", to free); NULL when it is not. */
char *
import_compressed_why(const char *head, gsize n)
{
    static const struct {
        const char *magic;
        size_t  len;
        gboolean level;         /* then a digit 1 to 9 (bzip2's block size) */
        const char *name, *undo;
    } kinds[] = {
        { "\x1f\x8b", 2, FALSE, "gzip", "gunzip" },
        { "BZh", 3, TRUE, "bzip2", "bunzip2" },
        { "\xfd" "7zXZ\0", 6, FALSE, "xz", "unxz" },
        { "\x28\xb5\x2f\xfd", 4, FALSE, "zstd", "unzstd" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++) {
        size_t  len = kinds[i].len;

        if (n >= len + kinds[i].level && memcmp(head, kinds[i].magic, len) == 0
            && (!kinds[i].level || (head[len] >= '1' && head[len] <= '9')))
            return g_strdup_printf("%s-compressed, not mail; decompress it first (%s)",
                                   kinds[i].name, kinds[i].undo);
    }
    return NULL;
}

/* Read the file path: an mbox when it opens with a From_ line (not in a
 * Maildir, whose files are single messages, never quoted), else one
 * message (which the ingest may find is no mail: reported then).  An
 * empty file, which a Maildir may hold for a delivery that failed, is
 * noted and left out.  A compressed file (an archive as lists keep them,
 * a Maildir a mail server compresses) stops the scan, as a file that
 * cannot be read does: read as it is, it would be one message that is no
 * mail, and its statements would be missing without a word of why. */
static gboolean
scan_file(struct import *im, const char *path, gboolean maildir, GError **err)
{
    char    head[6] = { 0 };
    g_autofree char *compressed = NULL;
    struct stat sb;
    GMimeStream *stream;
    const char *source;
    ssize_t n;
    int     fd = g_open(path, O_RDONLY | O_CLOEXEC, 0);

    if (fd < 0 || fstat(fd, &sb) != 0) {
        int     e = errno;

        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", path,
                    g_strerror(e));
        if (fd >= 0)
            close(fd);
        return FALSE;
    }
    if ((n = pread(fd, head, sizeof head, 0)) < 0) {
        int     e = errno;

        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", path,
                    g_strerror(e));
        close(fd);
        return FALSE;
    }
    if (sb.st_size == 0) {
        g_ptr_array_add(im->notes, g_strdup_printf("%s: an empty file, left out", path));
        close(fd);
        return TRUE;
    }
    if ((compressed = import_compressed_why(head, (gsize) n)) != NULL) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: %s", path, compressed);
        close(fd);
        return FALSE;
    }
    g_ptr_array_add(im->sources, g_strdup(path));
    source = g_ptr_array_index(im->sources, im->sources->len - 1);
    if (!maildir && n >= 5 && memcmp(head, "From ", 5) == 0) {
        scan_mbox(im, source, fd, sb.st_size, sb.st_mtime);
        close(fd);
        return TRUE;
    }
    stream = g_mime_stream_fs_new(fd);      /* owns fd */
    scan_single(im, source, stream, sb.st_size, sb.st_mtime);
    g_object_unref(stream);
    return TRUE;
}

/* Compare two file names for g_ptr_array_sort. */
static gint
by_name(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Read every regular file of folder dir (not its dot files), by name;
 * a folder in it is noted and left out (an archive tree may hold
 * anything). */
static gboolean
scan_folder(struct import *im, const char *dir, gboolean maildir, GError **err)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    GDir   *d = g_dir_open(dir, 0, err);
    const char *name;

    if (d == NULL)
        return FALSE;
    while ((name = g_dir_read_name(d)) != NULL)
        if (name[0] != '.')
            g_ptr_array_add(names, g_build_filename(dir, name, NULL));
    g_dir_close(d);
    g_ptr_array_sort(names, by_name);
    for (guint i = 0; i < names->len; i++) {
        const char *path = g_ptr_array_index(names, i);

        if (g_file_test(path, G_FILE_TEST_IS_DIR))
            g_ptr_array_add(im->notes, g_strdup_printf("%s: a folder, left out (give it as a"
                                                       " path of its own)", path));
        else if (g_file_test(path, G_FILE_TEST_IS_REGULAR) && !scan_file(im, path, maildir, err))
            return FALSE;
    }
    return TRUE;
}

/* Read path: a Maildir (its new/ and cur/), a folder, or a file. */
static gboolean
scan_path(struct import *im, const char *path, GError **err)
{
    static const char *const maildir[] = { "new", "cur" };
    g_autofree char *cur = g_build_filename(path, "cur", NULL);

    if (!g_file_test(path, G_FILE_TEST_IS_DIR))
        return scan_file(im, path, FALSE, err);
    if (!g_file_test(cur, G_FILE_TEST_IS_DIR))
        return scan_folder(im, path, FALSE, err);
    for (size_t i = 0; i < G_N_ELEMENTS(maildir); i++) {
        g_autofree char *sub = g_build_filename(path, maildir[i], NULL);

        if (g_file_test(sub, G_FILE_TEST_IS_DIR) && !scan_folder(im, sub, TRUE, err))
            return FALSE;
    }
    return TRUE;
}

/* Oldest first; in the order read when two were sent at once. */
static gint
by_date(gconstpointer a, gconstpointer b)
{
    const struct import_item *x = a, *y = b;

    if (x->date != y->date)
        return x->date < y->date ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* See import.h. */
struct import *
import_scan(char *const *paths, int n, gboolean from_lines, GError **err)
{
    struct import *im = g_new0(struct import, 1);

    im->from_lines = from_lines;
    message_library_init();
    im->sources = g_ptr_array_new_with_free_func(g_free);
    im->items = g_array_new(FALSE, TRUE, sizeof(struct import_item));
    im->notes = g_ptr_array_new_with_free_func(g_free);
    for (int i = 0; i < n; i++) {
        if (!scan_path(im, paths[i], err)) {
            import_free(im);
            return NULL;
        }
    }
    g_array_sort(im->items, by_date);
    return im;
}

/* See import.h. */
void
import_free(struct import *im)
{
    if (im == NULL)
        return;
    g_array_unref(im->items);
    g_ptr_array_unref(im->sources);
    g_ptr_array_unref(im->notes);
    g_free(im);
}

/* See import.h. */
const GPtrArray *
import_notes(const struct import *im)
{
    return im->notes;
}

/* See import.h. */
guint
import_count(const struct import *im)
{
    return im->items->len;
}

/* See import.h. */
gint64
import_first_date(const struct import *im)
{
    return im->items->len > 0 ? g_array_index(im->items, struct import_item, 0).date : 0;
}

/* See import.h. */
gint64
import_last_date(const struct import *im)
{
    return im->items->len > 0
           ? g_array_index(im->items, struct import_item, im->items->len - 1).date : 0;
}

/* The bytes of it, the mbox's ">From " quoting taken off; NULL with *err
 * when its source cannot be read again. */
static GByteArray *
read_item(const struct import_item *it, GError **err)
{
    GByteArray *buf = g_byte_array_sized_new((guint) it->length);
    gint64  got = 0;
    int     fd = g_open(it->source, O_RDONLY | O_CLOEXEC, 0);

    g_byte_array_set_size(buf, (guint) it->length);
    while (fd >= 0 && got < it->length) {
        ssize_t n = pread(fd, buf->data + got, (size_t) (it->length - got), it->offset + got);

        if (n <= 0) {
            if (n == 0)
                errno = EIO;    /* the file shrank since the scan */
            break;
        }
        got += n;
    }
    if (fd < 0 || got < it->length) {
        int     e = errno;

        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", it->source,
                    g_strerror(e));
        if (fd >= 0)
            close(fd);
        g_byte_array_unref(buf);
        return NULL;
    }
    close(fd);
    /* As the milter spools live mail and liaisonctl ingest reads a file:
     * an archive written on another system then has the body digest of
     * the copy recorded live.  Before the mbox's blank line is dropped
     * below, which then finds "\n\n" whatever the line ends. */
    ingest_line_ends(buf);
    if (it->mbox) {
        /* mboxrd: a line of '>'s and "From " lost one '>' to the quoting. */
        guint   w = 0;

        for (guint r = 0; r < buf->len;) {
            gboolean bol = r == 0 || buf->data[r - 1] == '\n';
            guint   q = r;

            while (bol && q < buf->len && buf->data[q] == '>')
                q++;
            if (bol && q > r && buf->len - q >= 5 && memcmp(buf->data + q, "From ", 5) == 0)
                r++;
            buf->data[w++] = buf->data[r++];
        }
        /* The blank line before the next From_ line is the mbox's, not
         * the message's: with it, the body's digest would differ from
         * the same mail recorded live. */
        if (w >= 2 && buf->data[w - 1] == '\n' && buf->data[w - 2] == '\n')
            w--;
        g_byte_array_set_size(buf, w);
    }
    return buf;
}

/* UTC text of Unix time t, no later than now. */
static char *
as_of_text(gint64 t)
{
    gint64  now = g_get_real_time() / G_USEC_PER_SEC;
    g_autoptr(GDateTime) d = g_date_time_new_from_unix_utc(MIN(t, now));

    return d != NULL ? g_date_time_format(d, "%Y-%m-%dT%H:%M:%SZ") : NULL;
}

/* Whether statement id was ever closed or reopened: a statement the
 * import finds recorded before is closed only when nobody has decided on
 * its state (a chair may have reopened it since an earlier import). */
static gboolean
state_decided(struct store *st, gint64 id, gboolean *decided, GError **err)
{
    g_autoptr(GPtrArray) ev = store_statement_events(st, id, err);

    *decided = FALSE;
    if (ev == NULL)
        return FALSE;
    for (guint i = 0; i < ev->len && !*decided; i++) {
        const struct store_event *e = g_ptr_array_index(ev, i);

        *decided = g_strcmp0(e->what, "closed") == 0 || g_strcmp0(e->what, "reopened") == 0;
    }
    return TRUE;
}

/* Close the statement of decision d when it was received before day,
 * dated when it was received; *closed TRUE when it was open. */
static gboolean
close_old(struct ingest_ctx *ctx, const struct decision *d, const char *day,
          gboolean *closed, GError **err)
{
    const struct statement *s = d->statement;
    const struct command_ctx cc = { .store = ctx->store, .dir = ctx->dir };
    g_autofree char *reason = g_strdup_printf("imported: received before %s", day);
    const struct command_by by = { .actor = "liaisonctl import", .reason = reason };
    struct command_change ch = { 0 };
    gboolean decided = FALSE, ok;

    *closed = FALSE;
    if (s == NULL || s->received == NULL || strncmp(s->received, day, 10) >= 0)
        return TRUE;
    if (!store_begin(ctx->store, err))
        return FALSE;
    store_set_as_of(ctx->store, s->received);
    ok = (!d->duplicate || state_decided(ctx->store, s->id, &decided, err))
         && (decided || command_set_state(&cc, s->id, "closed", &by, &ch, err))
         && store_commit(ctx->store, err);
    if (!ok)
        store_rollback(ctx->store);
    *closed = ok && ch.changed;
    command_change_clear(&ch);
    return ok;
}

/* Count decision d, recorded or found recorded. */
static void
count(struct import_counts *c, const struct decision *d)
{
    if (d->duplicate)
        c->duplicates++;
    else if (d->kind == KIND_STATEMENT)
        c->statements++;
    else if (d->kind == KIND_CORRESPONDENCE)
        c->correspondence++;
    else if (d->kind == KIND_AUTO)
        c->automatic++;
    else
        c->bounces++;
}

/* See import.h. */
enum ingest_status
import_run(struct import *im, struct ingest_ctx *ctx, const char *close_before,
           struct import_counts *c, import_report_fn report, gpointer data, GError **err)
{
    enum ingest_status st = INGEST_OK;

    memset(c, 0, sizeof *c);
    for (guint i = 0; i < im->items->len && st != INGEST_TEMPFAIL; i++) {
        const struct import_item *it = &g_array_index(im->items, struct import_item, i);
        g_autoptr(GByteArray) raw = NULL;
        g_autofree char *as_of = as_of_text(it->date);
        struct decision d = { 0 };
        gboolean closed = FALSE;
        enum ingest_status one;

        if (it->length > IMPORT_MESSAGE_MAX) {
            c->done++;
            c->not_recorded++;
            if (report != NULL)
                report(it, INGEST_DATAERR, "larger than 256 MiB", c, im->items->len, data);
            continue;
        }
        if ((raw = read_item(it, err)) == NULL) {
            st = INGEST_TEMPFAIL;
            break;
        }
        store_set_as_of(ctx->store, as_of);
        one = ingest_message(ctx, (const char *) raw->data, raw->len,
                             it->null_sender ? "" : NULL, &d);
        /* Counted once its outcome is known (recorded, recorded before or
         * not mail): the message the store failed on is not, so that the
         * summary of a run that stopped says how far it came, and its
         * counts add up to the messages it says it read. */
        if (one != INGEST_TEMPFAIL)
            c->done++;
        if (one == INGEST_OK) {
            count(c, &d);
            if (close_before != NULL && d.kind == KIND_STATEMENT
                && !close_old(ctx, &d, close_before, &closed, err))
                one = INGEST_TEMPFAIL;
            c->closed += closed;
        } else if (one == INGEST_DATAERR) {
            c->not_recorded++;
        } else {
            g_set_error(err, STORE_ERROR, STORE_ERROR_OTHER, "%s", d.error);
        }
        if (one != INGEST_TEMPFAIL && report != NULL)
            report(it, one, d.error, c, im->items->len, data);
        decision_clear(&d);
        st = one == INGEST_TEMPFAIL ? INGEST_TEMPFAIL : st;
    }
    store_set_as_of(ctx->store, NULL);
    return st;
}
