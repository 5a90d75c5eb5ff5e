/*
 * ingest.h: the one core every door calls (the milter, liaisonctl ingest,
 * the tests): a raw message in, a decision out.
 *
 * ingest_message() parses, classifies, reads the envelope, routes and
 * records, all in one transaction: either everything is written or
 * nothing is.  The same message offered twice is recorded once.
 */
#ifndef LIAISON_INGEST_H
#define LIAISON_INGEST_H

#include <glib.h>

#include "classify.h"
#include "compose.h"
#include "directory.h"
#include "message.h"
#include "statement.h"
#include "store.h"

/* Exit-code compatible outcomes (sysexits.h). */
enum ingest_status {
    INGEST_OK = 0,
    INGEST_DATAERR = 65,        /* not mail at all: nothing recorded */
    INGEST_TEMPFAIL = 75,       /* internal failure: nothing recorded, retry */
};

struct ingest_ctx {
    /* The store to record in.  A caller that shares one connection between
     * threads leaves it NULL and sets store_enter and store_leave instead:
     * enter is called once the message is parsed, just before the
     * transaction, and must set store (or fail, which is TEMPFAIL); leave
     * is called when the transaction is over, healthy FALSE after a
     * failure.  Parsing, the costly part, thus happens outside. */
    struct store *store;
    gboolean (*store_enter)(struct ingest_ctx *ctx, GError **err);
    void    (*store_leave)(struct ingest_ctx *ctx, gboolean healthy);
    gpointer store_data;        /* for enter and leave */
    const struct directory *dir;
    struct message_limits limits;
    /* Mail queued on arrival, in the same transaction (none when mail is
     * NULL): the notification to the assignee, the acknowledgement to the
     * response contacts (at most ack_per_day per address per day; answers
     * about commands by mail at most answer_per_day, command.c), and the
     * report to the liaison manager when a bounce names mail we sent. */
    const struct compose_settings *mail;
    gboolean notify;
    gboolean acknowledge;
    int     ack_per_day;
    int     answer_per_day;
    /* Reply-by-mail commands (command.c) run only when mail is set; with
     * authserv_id set, they also need that server's Authentication-Results
     * to vouch for the From. */
    const char *authserv_id;
    /* The id the caller's log lines carry for this message (liaisond: the
     * MTA's queue id), so that ingest's own lines join the same story;
     * NULL: the message's Message-ID, else none. */
    const char *log_id;
};

struct decision {
    enum message_kind kind;
    gint64  statement_id;       /* new or referred-to statement, 0 if none */
    gint64  message_row;        /* the recorded message */
    gboolean duplicate;         /* seen before: nothing new was written, but
                                   for a row recorded as auto mail that this
                                   copy shows is correspondence */
    struct statement *statement;    /* the statement (new or referred to), owned */
    GPtrArray *recipients;      /* struct recipient*: to add to the mail */
    char   *error;              /* why, when the status is not INGEST_OK */
};

/* Ingest one raw message.  envelope_sender as for classify_message(). */
enum ingest_status ingest_message(struct ingest_ctx *ctx, const char *raw,
                                  gsize len, const char *envelope_sender,
                                  struct decision *out);
/* The same for a message in a file open as fd (the milter's spool), read
 * from offset 0 to its end: the message is parsed, digested and recorded
 * a chunk at a time, and large attachments go through temporary files in
 * ctx->limits.spool_dir, so memory stays bounded whatever its size.  fd
 * stays the caller's. */
enum ingest_status ingest_message_fd(struct ingest_ctx *ctx, int fd,
                                     const char *envelope_sender,
                                     struct decision *out);
/* Make raw, a message as a file or a pipe holds it, the bytes liaisond
 * records, in place: a last line without a line end given one, then CRLF
 * read as LF (a lone CR stays).  The milter spools mail from SMTP so
 * (whose DATA always ends in a line end), and liaisonctl ingest and
 * import call this before ingest_message(), so that one message through
 * any door has the same bytes and the same body digest, and a saved .eml
 * with CRLF, exported and imported again, is known as recorded. */
void    ingest_line_ends(GByteArray *raw);
/* Release what a decision holds and zero it. */
void    decision_clear(struct decision *d);
/* The decision as a JSON object (kind, id, and the statement's fields). */
char   *decision_to_json(const struct decision *d);

#endif
