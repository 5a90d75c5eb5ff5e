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
    const char *user;           /* AUTH PLAIN/LOGIN when set */
    const char *password;
    const char *helo;           /* EHLO name; default the host name */
    int     timeout_s;          /* per SMTP step; default 60 */
};

struct flush_summary {
    unsigned sent;              /* delivered to the relay */
    unsigned deferred;          /* temporary failure: will be retried */
    unsigned failed;            /* permanent failure: given up, reported */
};

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
/* Fill a relay with the defaults. */
void    outbox_relay_default(struct relay *r);

#endif
