/*
 * import.h: recording an archive of liaison mail (liaisonctl import).
 * See import.c.
 */
#ifndef LIAISON_IMPORT_H
#define LIAISON_IMPORT_H

#include <glib.h>

#include "ingest.h"

/* One message of an archive: where its bytes are, and when it was sent. */
struct import_item {
    const char *source;         /* the file it is in (the import's) */
    guint   index;              /* its place in an mbox, from 1; 0 alone */
    gint64  offset, length;     /* its bytes in source */
    gint64  date;               /* Unix time: Date, else the From_ line's,
                                   else the one before's, else the file's */
    gboolean null_sender;       /* an mbox From_ line of MAILER-DAEMON */
    gboolean mbox;              /* ">From " lines to unquote */
    guint   seq;                /* the order read, for a stable sort */
};

/* The messages of every source, oldest first. */
struct import;

/* Read paths (each an mbox, a file holding one message, a Maildir or a
 * folder of message files) and order their messages by date, CRLF or
 * LF: each message's Date, else an mbox's From_ line's; with from_lines,
 * the From_ line's first (an mbox that liaisonctl export wrote, whose
 * From_ lines say when each message was received).  NULL with *err
 * (G_FILE_ERROR) when one cannot be opened or read, or is compressed
 * (gzip, bzip2, xz, zstd; the message says so and how to undo it):
 * nothing is recorded then. */
struct import *import_scan(char *const *paths, int n, gboolean from_lines, GError **err);
/* When the bytes head (n of them, the first of a file or an input) are
 * compressed as a list archive is kept (gzip, bzip2, xz, zstd), why that
 * is no mail and the command that undoes it, to free; else NULL.  Both
 * import and ingest say it, rather than "not a mail message". */
char   *import_compressed_why(const char *head, gsize n);
void    import_free(struct import *im);
/* What the scan left out (empty files, folders within a folder), one
 * phrase each naming the path. */
const GPtrArray *import_notes(const struct import *im);
/* How many messages, and the first's and last's dates (Unix time). */
guint   import_count(const struct import *im);
gint64  import_first_date(const struct import *im);
gint64  import_last_date(const struct import *im);

/* What an import did, so far. */
struct import_counts {
    guint   done;               /* messages dealt with: the sum of the
                                   counts below but closed (not the one a
                                   store failure stopped the run at) */
    guint   statements, correspondence, automatic, bounces;
    guint   duplicates;         /* recorded before: nothing written */
    guint   closed;             /* statements closed by close_before */
    guint   not_recorded;       /* not mail, or too large */
};

/* Called after each message: its outcome (INGEST_OK, or INGEST_DATAERR
 * with why), the counts so far. */
typedef void (*import_report_fn)(const struct import_item *it, enum ingest_status st,
                                 const char *why, const struct import_counts *c,
                                 guint total, gpointer data);

/* Record every message of im through ctx (whose store is the caller's
 * own connection, and whose mail should be NULL: history is not
 * announced), each dated by its Date in its own transaction.  With
 * close_before (YYYY-MM-DD), a statement received before that day is
 * closed as it is recorded (or found recorded).  INGEST_OK when every
 * message was read (some may not be mail: counted and reported);
 * INGEST_TEMPFAIL, *err set, when the store failed or a source could not
 * be read again: what was recorded stays, and a second run goes on where
 * this one stopped, since a message recorded before is never recorded
 * twice. */
enum ingest_status import_run(struct import *im, struct ingest_ctx *ctx,
                              const char *close_before, struct import_counts *c,
                              import_report_fn report, gpointer data, GError **err);

#endif
