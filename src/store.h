/*
 * store.h: the SQLite store.  One file, WAL, schema migrations keyed by
 * PRAGMA user_version, writes inside BEGIN IMMEDIATE, SQL only through
 * bound parameters of prepared statements kept for the connection's life.
 *
 * One struct store is one connection: use it from one thread at a time
 * (liaisond's milter threads take turns on one, milter.c's writer_enter;
 * its sender thread has its own).  Nothing here serialises calls on a
 * connection: two threads in it at once would interleave the prepared
 * statements, the open transaction and its time.  Functions that take no
 * struct store (store_schema_version, store_is_database_file) may be
 * called from any thread.  Every
 * failure comes back as FALSE/0/NULL with *err set (domain STORE_ERROR);
 * the caller treats any of them as temporary (TEMPFAIL).
 */
#ifndef LIAISON_STORE_H
#define LIAISON_STORE_H

#include <glib.h>

#include "statement.h"

/* GMime's stream type, without pulling GMime into every includer. */
struct _GMimeStream;

#define STORE_ERROR (store_error_quark())
GQuark  store_error_quark(void);

/* Error codes: what went wrong, so callers can log it precisely. */
enum store_error_code {
    STORE_ERROR_BUSY,           /* locked past the busy timeout */
    STORE_ERROR_READONLY,
    STORE_ERROR_FULL,           /* no room: disk or database full, a
                                   disk quota, the file size limit */
    STORE_ERROR_CORRUPT,
    STORE_ERROR_SCHEMA,         /* newer schema than this program knows */
    STORE_ERROR_SCHEMA_OLD,     /* older schema, opened read-only: a reader
                                   never migrates */
    STORE_ERROR_NOTFOUND,
    STORE_ERROR_OTHER,
};

struct store;

/* Open (creating and migrating as needed) the database at path. */
struct store *store_open(const char *path, int busy_timeout_ms, GError **err);
/* Open an existing database for reading only: never creates, never
 * migrates (an older schema fails with STORE_ERROR_SCHEMA_OLD); every
 * write fails with STORE_ERROR_READONLY. */
struct store *store_open_readonly(const char *path, int busy_timeout_ms, GError **err);
/* Open an existing database only to copy it with store_backup: read-only,
 * of whatever schema version (a backup taken before an upgrade must not
 * migrate the live database first); any other use fails. */
struct store *store_open_for_backup(const char *path, int busy_timeout_ms, GError **err);
/* The schema version this program writes (the number of migrations). */
int     store_schema_version(void);
/* Close; NULL is fine. */
void    store_close(struct store *st);
/* How long a write waits for another process's lock from now on. */
void    store_set_busy_timeout(struct store *st, int busy_timeout_ms);
/* Rows visited by full table scans so far, over every prepared statement
 * of this connection: what a test reads to prove a path uses indexes. */
gint64  store_scan_steps(struct store *st);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
gboolean store_begin(struct store *st, GError **err);
gboolean store_commit(struct store *st, GError **err);
void    store_rollback(struct store *st);

/* A message already recorded with this Message-ID (may be NULL) and this
 * SHA-256 of its body: its row id (and its statement in *statement_id, 0
 * if none, and its kind as recorded in *kind, to g_free), or 0 when it is
 * new.  -1 with *err on failure. */
gint64  store_find_message(struct store *st, const char *message_id,
                           const char *body_sha256, gint64 *statement_id,
                           char **kind, GError **err);
/* The statement that a Message-ID belongs to (through any message recorded
 * for it, incoming or outgoing), 0 if none, -1 with *err on failure. */
/* 1 when addr (lower case) is one of statement id's contacts or the
 * recipients it was routed to (a list excepted), with *title its title
 * (to be freed; NULL when it has none), 0 when not, -1 on a failure (with
 * *err set). */
int     store_statement_knows_address(struct store *st, gint64 id, const char *addr,
                                      char **title, GError **err);
gint64  store_statement_by_message_id(struct store *st, const char *message_id,
                                      GError **err);
/* Whether a statement recorded with From header_from ("Name <addr>")
 * and forwarder forwarded_by (NULL when it came directly) is the one a
 * mail with its own Message-ID is; outer: the id matched is the forward's,
 * not the statement's own. */
typedef gboolean (*store_own_id_fn)(const char *header_from, const char *forwarded_by,
                                    gboolean outer, gpointer data);
/* The first statement whose own Message-ID message_id is that accept
 * takes; 0 if none, -1 on failure. */
gint64  store_statement_by_own_message_id(struct store *st, const char *message_id,
                                          store_own_id_fn accept, gpointer data,
                                          GError **err);

/* Record a message verbatim; statement_id 0 for none.  direction is "in" or
 * "out"; kind is "statement", "correspondence", "auto", "bounce".  Returns
 * the row id, 0 with *err on failure. */
gint64  store_add_message(struct store *st, gint64 statement_id,
                          const char *direction, const char *kind,
                          const char *message_id, const char *body_sha256,
                          const char *raw, gsize len, GError **err);
/* The same, the bytes read from raw (a seekable GMimeStream, from its
 * start) a chunk at a time, so that a large message is never all in
 * memory; inside the caller's transaction only (refused outside one). */
gint64  store_add_message_stream(struct store *st, gint64 statement_id,
                                 const char *direction, const char *kind,
                                 const char *message_id, const char *body_sha256,
                                 struct _GMimeStream *raw, GError **err);
/* Record a statement with its contacts, lists, routing, attachments (bytes
 * and SHA-256; bytes in a file are copied in chunks) and diagnostics; sets
 * s->id and returns it (0 on failure). */
gint64  store_add_statement(struct store *st, struct statement *s, GError **err);
/* Point a recorded message at its statement; kind, unless NULL, is its
 * new kind.  The row is rewritten whole, raw bytes included. */
gboolean store_link_message(struct store *st, gint64 message_row,
                            gint64 statement_id, const char *kind, GError **err);
/* Append to the event log. */
gboolean store_add_event(struct store *st, gint64 statement_id,
                         gint64 message_row, const char *what,
                         const char *actor, const char *detail, GError **err);

/* Attachments up to this size come back from store_get_statement with
 * their bytes; larger ones with their name, type, size and SHA-256 only. */
#define STORE_ATTACHMENT_LOAD_MAX   (1024 * 1024)

/* Load a statement with everything store_add_statement wrote (the bytes
 * of attachments up to STORE_ATTACHMENT_LOAD_MAX included).  NULL with
 * *err: STORE_ERROR_NOTFOUND when there is no such id. */
struct statement *store_get_statement(struct store *st, gint64 id, GError **err);
/* Call fn for each statement in id order (attachments without bytes);
 * stops early when fn returns FALSE. */
gboolean store_list(struct store *st,
                    gboolean (*fn)(const struct statement *s, gpointer data),
                    gpointer data, GError **err);
/* Copy the bytes of statement_id's attachment at position (0-based, the
 * order of its attachments) to out, a chunk at a time.
 * STORE_ERROR_NOTFOUND when there is no such attachment or it never had
 * bytes; out's own errors come back as they are. */
gboolean store_attachment_write(struct store *st, gint64 statement_id, guint position,
                                struct _GOutputStream *out, GError **err);
/* The raw bytes of a recorded message. */
GBytes *store_raw_message(struct store *st, gint64 message_row, GError **err);
/* The row of the message that created statement id (0 if none). */
gint64  store_statement_message(struct store *st, gint64 statement_id, GError **err);

/* ---- the outbox (outbox.c); times are "YYYY-MM-DDTHH:MM:SSZ", UTC ---- */

/* One outbox row as stored. */
struct store_outbox_row {
    gint64  id;
    gint64  statement;          /* 0 for none */
    char   *message_id;
    char   *mail_from;          /* the From address; VERP is made per recipient */
    char   *rcpts;              /* envelope recipients, one a line */
    char   *kind;               /* notification, acknowledgement, reminder, report,
                                   answer (to commands by mail), response */
    GBytes *raw;                /* the message, CRLF line ends */
    char   *created;
    int     attempts;
    char   *next_try;
    char   *sent;               /* NULL until done */
    char   *failed;             /* NULL unless given up */
    char   *last_error;
    char   *delivered;          /* recipients the relay accepted, one a line */
    char   *rejected;           /* recipients refused for good, one a line */
    char   *requeued;           /* when liaisonctl requeue last put it back, or NULL */
};

/* Queue a mail (inside the caller's transaction); the row id, 0 with *err. */
gint64  store_outbox_add(struct store *st, gint64 statement_id,
                         const char *message_id, const char *mail_from,
                         const char *rcpts, const char *kind,
                         const void *raw, gsize len, GError **err);
/* Ids (gint64) of the rows due at now, oldest first, at most max (0: all). */
GArray *store_outbox_due(struct store *st, const char *now, unsigned max,
                         GError **err);
/* Read one row; NULL with *err (STORE_ERROR_NOTFOUND when absent). */
struct store_outbox_row *store_outbox_get(struct store *st, gint64 id, GError **err);
void    store_outbox_row_free(struct store_outbox_row *r);
/* The rows not sent yet (waiting, deferred or given up), or with all every
 * row, oldest first, each without its message (raw NULL); NULL with *err. */
GPtrArray *store_outbox_list(struct store *st, gboolean all, GError **err);
/* Claim a row still due at now by moving its next_try to lease_until;
 * *claimed is FALSE when another sender took it first. */
gboolean store_outbox_claim(struct store *st, gint64 id, const char *now,
                            const char *lease_until, gboolean *claimed,
                            GError **err);
/* Extend a claim whose lease runs until held to lease_until; *kept is
 * FALSE when the row no longer carries that lease (it ran out and another
 * sender claimed the row). */
gboolean store_outbox_renew(struct store *st, gint64 id, const char *held,
                            const char *lease_until, gboolean *kept,
                            GError **err);
/* Record one recipient accepted by the relay / refused for good. */
gboolean store_outbox_delivered(struct store *st, gint64 id, const char *rcpt,
                                GError **err);
gboolean store_outbox_rejected(struct store *st, gint64 id, const char *rcpt,
                               const char *why, GError **err);
/* Done (sent at when), deferred (one more attempt; next try at next_try),
 * or given up (failed at when).  why may be NULL.  With held (the lease
 * the caller claimed or renewed) the row changes only while it still
 * carries that lease, and *kept (when not NULL) says whether it did;
 * held NULL changes it whoever holds it. */
gboolean store_outbox_mark_sent(struct store *st, gint64 id, const char *when,
                                const char *why, const char *held, gboolean *kept,
                                GError **err);
gboolean store_outbox_defer(struct store *st, gint64 id, const char *next_try,
                            const char *why, const char *held, gboolean *kept,
                            GError **err);
gboolean store_outbox_fail(struct store *st, gint64 id, const char *when,
                           const char *why, const char *held, gboolean *kept,
                           GError **err);
/* Put a given-up row, or a sent one with recipients refused, back in the
 * queue, due at now: its refused recipients are tried again, with a new
 * backoff and five new days.  *changed is FALSE (nothing written) for any
 * other row: one waiting, one sent to all, or none with that id. */
gboolean store_outbox_requeue(struct store *st, gint64 id, const char *now,
                              gboolean *changed, GError **err);

/* ---- the tickler (tickle.c) ------------------------------------------ */

/* What the tickler's policy reads about one statement (copies; free with
 * store_tickle_facts_clear). */
struct store_tickle_facts {
    char   *purpose;            /* NULL: not stated */
    char   *deadline;           /* "YYYY-MM-DD" or NULL */
    char   *received;           /* "YYYY-MM-DDTHH:MM:SSZ" */
    char   *state;              /* "open", "closed" */
    char   *replied;            /* when a response was recorded, or NULL */
    gboolean answered;          /* that response stands: no "reopened" nor
                                   "deadline changed" event since (see
                                   struct statement's answered) */
};

/* Ids (gint64) of the open statements, in id order; NULL with *err. */
GArray *store_open_statement_ids(struct store *st, GError **err);
/* Read the policy's facts of statement id (STORE_ERROR_NOTFOUND when
 * there is no such statement). */
gboolean store_tickle_facts(struct store *st, gint64 id,
                            struct store_tickle_facts *f, GError **err);
void    store_tickle_facts_clear(struct store_tickle_facts *f);
/* One row of a statement's event log. */
struct store_event {
    char   *at;                 /* UTC, 2027-01-15T09:00:00Z */
    char   *what;               /* received, routed, correspondence, tickled, closed... */
    char   *actor;              /* an address or a program; may be NULL */
    char   *detail;             /* may be NULL */
};
/* The events of statement id, oldest first: a GPtrArray of struct
 * store_event that frees them, or NULL with *err. */
GPtrArray *store_statement_events(struct store *st, gint64 id, GError **err);
/* Date the rows written from now on at utc (YYYY-MM-DDTHH:MM:SSZ), as if
 * it were now: a statement's and a message's received, an event's time, a
 * statement's closed; NULL goes back to the clock.  For recording history
 * (liaisonctl import), on a connection of the caller's alone: a milter
 * thread sharing the connection would date live mail in the past. */
void    store_set_as_of(struct store *st, const char *utc);
/* Set statement id's state: "open" or "closed" (the tickler reminds only
 * open ones).  STORE_ERROR_NOTFOUND when there is no such statement. */
gboolean store_set_state(struct store *st, gint64 id, const char *state, GError **err);
/* Record that the IETF replied to a statement (now): the tickler stops
 * reminding it, until it is reopened or given a new deadline. */
gboolean store_set_replied(struct store *st, gint64 id, GError **err);
/* Move a statement's deadline (YYYY-MM-DD); its reminders start again
 * from the new date, at most one a day still. */
gboolean store_set_deadline(struct store *st, gint64 id, const char *deadline, GError **err);
/* The day a reminder (statement, point) was queued, in *day (NULL when it
 * never was). */
gboolean store_reminder_day(struct store *st, gint64 statement_id,
                            const char *point, char **day, GError **err);
/* Write a statement's routing again (assignee, groups, recipients), as
 * route_reassign left it; inside the caller's transaction. */
gboolean store_set_routing(struct store *st, const struct statement *s, GError **err);
/* Whether a statement was reminded on day (YYYY-MM-DD), by any point:
 * after its deadline moved, the new schedule's point must not make a
 * second reminder that day. */
gboolean store_reminded_on(struct store *st, gint64 statement_id, const char *day,
                           gboolean *yes, GError **err);
/* Whether a statement got point (a key such as "before-7") on or after
 * day (YYYY-MM-DD) for a deadline it has since moved from: a deadline
 * moved by a few days must not repeat "due in 7 days". */
gboolean store_reminded_before_move(struct store *st, gint64 statement_id,
                                    const char *point, const char *day,
                                    gboolean *yes, GError **err);
/* Whether a statement got an overdue reminder (by any point, of any
 * deadline it had) on or after day (YYYY-MM-DD): overdue reminders keep
 * the interval apart, whether a moved deadline or a late run made up a
 * point. */
gboolean store_overdue_reminded_since(struct store *st, gint64 statement_id,
                                      const char *day, gboolean *yes, GError **err);
/* Whether statement_id's deadline moved (a "deadline changed" event)
 * after outbox row outbox_id was queued for it (its "queued reminder"
 * event), by the event log's order; *moved is FALSE when no such row was
 * queued for it.  FALSE with *err when the store fails. */
gboolean store_deadline_moved_since(struct store *st, gint64 statement_id,
                                    gint64 outbox_id, gboolean *moved, GError **err);
/* Record a reminder queued on day as outbox row outbox_id (inside the
 * caller's transaction).  The row id; 0 with *already TRUE when
 * (statement, point) was recorded before, which is not an error; 0 with
 * *err on failure. */
gint64  store_reminder_add(struct store *st, gint64 statement_id,
                           const char *point, const char *kind,
                           const char *day, gint64 outbox_id,
                           gboolean *already, GError **err);
/* Load a statement as store_get_statement does, but without the bytes
 * of its attachments (their names, types and sizes are there): what mail
 * about a statement needs. */
struct statement *store_get_statement_meta(struct store *st, gint64 id,
                                           GError **err);

/* Rows of kind queued for rcpt in the last 24 hours, -1 with *err on
 * failure. */
gint64  store_outbox_count_to(struct store *st, const char *kind, const char *rcpt,
                              GError **err);
/* Record that mail to addr bounced (first time, or once more); *prev is
 * set to when it last bounced before, NULL the first time (the caller
 * frees it, also after a failure). */
gboolean store_address_failing(struct store *st, const char *addr, const char *when,
                               const char *detail, char **prev, GError **err);

/* The database's own secret (64 hex digits, made at random on first use):
 * it keys the VERP bounce addresses, so that only a bounce of mail we sent
 * names a recipient.  Caller frees; NULL with *err on failure. */
char   *store_secret(struct store *st, GError **err);

/* ---- export ------------------------------------------------------------ */

/* One message received, as store_export gives it; valid during the call. */
struct store_export_row {
    gint64  id;
    gint64  statement;          /* 0: none */
    const char *kind;           /* statement, correspondence, auto, bounce...;
                                   NULL when not known */
    const char *received;       /* YYYY-MM-DDTHH:MM:SSZ */
    const void *raw;            /* the bytes as received */
    gsize   len;
};

gboolean store_export(struct store *st, gint64 statement, const char *since,
                      const char *until,
                      gboolean (*fn)(const struct store_export_row *r, gpointer data),
                      gpointer data, GError **err);

/* ---- backup ------------------------------------------------------------ */

/* What a backup holds: the counts as of the snapshot it copied. */
struct store_backup_stats {
    gint64  statements;
    gint64  messages;
    gint64  bytes;              /* the size of the copy */
};

/* Whether path is the database db or one of its -wal, -shm and -journal
 * files, by name in the same folder (one that does not exist yet too) or
 * by inode (a hard or symbolic link): a file renamed over any of them
 * would wreck the live database (backup, liaisonctl export). */
gboolean store_is_database_file(const char *db, const char *path);

/* Write a consistent copy of the database (one snapshot, through SQLite's
 * backup API; liaisond's writes neither wait nor show) to path, as one
 * file in rollback-journal mode, mode 0600, checked with quick_check,
 * flushed to disk and renamed over path.  On failure nothing is left
 * behind and path is as it was; the temporary copy of a backup killed
 * part-way (.liaison-backup-XXXXXX, flock'ed while at work) is removed
 * by the next backup into that folder.  Codes: READONLY when path is a folder,
 * the database (or its -wal, -shm, -journal) or its folder cannot be
 * written; NOTFOUND when its folder does not exist; FULL when the disk
 * filled; BUSY when the database could not be read (locked past the
 * timeout, or any other failure to read it); CORRUPT when
 * the copy failed its check; OTHER for an I/O error. */
gboolean store_backup(struct store *st, const char *path,
                      struct store_backup_stats *out, GError **err);

#endif
