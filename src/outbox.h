/*
 * outbox.h: the queue of mail the tool sends, and its SMTP sender.
 *
 * A mail is queued in the same transaction as the change that causes it
 * (a statement recorded, a reminder due), so a crash never loses one and
 * never sends one that the database does not know about.  The sender
 * delivers due rows over SMTP with libetpan to a relay, retries temporary
 * failures with backoff, records permanent ones and reports them.
 *
 * Exactly once, but for one window that SMTP cannot close: after the relay
 * accepts the DATA and before the database records it.  The sender marks
 * the row sent as the very next step, before QUIT; if it dies in between,
 * the row is sent again later with the same Message-ID (the raw bytes are
 * stored), so mail clients fold the two copies.
 *
 * Per recipient: the sender makes one SMTP transaction per recipient of a
 * row, with that recipient's own VERP envelope sender
 * (compose_verp_sender: LOCAL+b.ROW.HASH@DOMAIN), and records each
 * recipient in the row's `delivered` column the moment the relay answers
 * 250 to its DATA (or in `rejected` on a 5xx).  So the window above is per
 * recipient: a crash repeats at most the one copy whose 250 was not yet
 * recorded.  The row is marked sent once every recipient is settled and
 * at least one was delivered; failed when none was.
 *
 * Bounces: a bounce comes back to the VERP sender of the one recipient it
 * is about; outbox_verp_lookup() maps that address to (row, recipient,
 * statement).  A row being delivered is claimed by moving its next_try 10
 * minutes ahead, so two senders at once (liaisond's thread and a cron
 * `liaisonctl flush`) never send the same row; a sender killed mid-row
 * leaves it to be retried when that lease runs out.
 *
 * Test hook: LIAISON_TEST_CRASH_AFTER_DATA=1 in the environment makes the
 * sender _exit(9) right after the relay accepted a DATA and before the
 * database records it, so tests can prove the window's behaviour.
 */
#ifndef LIAISON_OUTBOX_H
#define LIAISON_OUTBOX_H

#include <glib.h>

#include "compose.h"
#include "store.h"

/* Where and how to deliver. */
struct relay {
    const char *host;           /* default "127.0.0.1" */
    int     port;               /* default 25 */
    gboolean starttls;          /* require STARTTLS */
    gboolean tls_verify;        /* with STARTTLS, defer unless the relay's
                                   certificate verifies (default TRUE) */
    const char *ca_file;        /* PEM file of the trusted CAs; NULL or
                                   "": the system's store */
    const char *tls_name;       /* name the certificate must carry; NULL
                                   or "": host */
    const char *user;           /* AUTH PLAIN/LOGIN when set */
    const char *password;
    int     timeout_s;          /* per SMTP step; default 60 */
    gint   *stop;               /* when it points at a non-zero value (read
                                   atomically), outbox_flush stops after the
                                   recipient in hand and lets the row go:
                                   a daemon's SIGTERM waits only for that
                                   one SMTP transaction; NULL: never */
};

struct flush_summary {
    unsigned sent;              /* delivered to the relay */
    unsigned deferred;          /* temporary failure: will be retried */
    unsigned failed;            /* permanent failure: given up, reported */
    unsigned dropped;           /* stale reminders given up unsent: their
                                   statement closed, answered or given a
                                   new deadline since they were queued */
};

/* The lines of a one-address-a-line outbox column (rcpts, delivered,
 * rejected), empty ones dropped: a new array of new strings. */
GPtrArray *outbox_lines(const char *text);
/* Whether s is one of the lines of a (from outbox_lines). */
gboolean outbox_has_line(const GPtrArray *a, const char *s);

/* The outbox kind of an answer to commands by mail (command.c): a
 * report to the command's From, with a kind of its own so that
 * answer_per_day counts answers only. */
#define OUTBOX_KIND_ANSWER "answer"
/* Whether mail of kind is a report or an answer, whose own bounce or
 * refused recipient is never reported: reports about reports could loop. */
gboolean outbox_kind_unreported(const char *kind);

/* How the last error of a mail given up after five days of temporary
 * failures starts (liaisonctl requeue --all takes those back). */
#define OUTBOX_GAVE_UP "gave up after five days: "
/* How the last error of a reminder dropped unsent starts: its statement
 * was closed, answered or given a new deadline while it waited. */
#define OUTBOX_STALE "not sent, stale: "
/* Queue m for statement_id (0 for none) inside the caller's transaction;
 * also records it as an outgoing message and an event.  Returns the outbox
 * row, 0 with *err on failure. */
gint64  outbox_queue(struct store *st, gint64 statement_id,
                     const struct outmail *m, GError **err);
/* Deliver every row due at now (at most max rows, 0 for all).  FALSE with
 * *err only for a store failure; SMTP failures are counted in *sum. */
gboolean outbox_flush(struct store *st, const struct relay *relay,
                      const struct compose_settings *cs, GDateTime *now,
                      unsigned max, struct flush_summary *sum, GError **err);
struct config;
/* Fill a relay from liaisond.conf's relay_* keys (strings borrowed from
 * cfg, which must outlive the relay). */
void    outbox_relay_from_config(struct relay *r, const struct config *cfg);
/* Map a VERP bounce address (the To/recipient of a bounce, with or without
 * <>) back to the outbox row and the recipient whose delivery it reports:
 * TRUE with *row_id, *rcpt (g_free) and *statement_id (0 for none; may be
 * NULL); FALSE with *err when it is not one of ours or names nothing. */
gboolean outbox_verp_lookup(struct store *st, const char *verp, gint64 *row_id,
                            char **rcpt, gint64 *statement_id, GError **err);

#endif
