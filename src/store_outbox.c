/*
 * store_outbox.c: the outbox table of the SQLite store: queuing a mail,
 * the rows due, a sender's claim and lease on a row, each recipient's
 * outcome as the relay gives it, a row's end (sent, deferred, failed),
 * putting given-up mail back in the queue, and what the outbox says of
 * an address (how much mail was queued to it, whether mail to it fails).
 *
 * Separate from store.c because the outbox is a concern of its own,
 * read and written by the sender (outbox.c) and liaisonctl's queue
 * commands, whatever the statements hold.  Its SQL texts stay with the
 * others in store.c, which prepares them all when the connection opens;
 * struct store and the helpers come from store_impl.h.
 */
#include "config.h"

#include "store.h"
#include "store_impl.h"

/* Queue a mail: one outbox row; rcpts one a line.  The row id, 0 with
 * *err on failure. */
gint64
store_outbox_add(struct store *st, gint64 statement_id, const char *message_id,
                 const char *mail_from, const char *rcpts, const char *kind,
                 const void *raw, gsize len, GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, SQL_OUTBOX_ADD);
    int rc = SQLITE_OK;

    store_bind_int(stmt, 1, statement_id, TRUE, &rc);
    store_bind_text(stmt, 2, message_id, &rc);
    store_bind_text(stmt, 3, mail_from != NULL ? mail_from : "", &rc);
    store_bind_text(stmt, 4, rcpts, &rc);
    store_bind_text(stmt, 5, kind, &rc);
    store_bind_blob(stmt, 6, raw, len, &rc);
    if (!store_step_write(st, stmt, rc, "queuing a mail", err))
        return 0;
    return sqlite3_last_insert_rowid(st->db);
}

/* The ids of rows due at now (ISO 8601 UTC, as the table writes it), at
 * most max (0: all), oldest first; NULL with *err on failure. */
GArray *
store_outbox_due(struct store *st, const char *now, unsigned max, GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, SQL_OUTBOX_DUE);
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(gint64));
    int rc = SQLITE_OK;

    store_bind_text(stmt, 1, now, &rc);
    store_bind_int(stmt, 2, max == 0 ? -1 : (gint64) max, FALSE, &rc);
    while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        gint64 id = sqlite3_column_int64(stmt, 0);

        g_array_append_val(ids, id);
        rc = SQLITE_OK;
    }
    if (rc != SQLITE_DONE) {
        store_fail(st, err, rc, "selecting the mail due");
        g_array_free(ids, TRUE);
        ids = NULL;
    }
    store_done(stmt);
    return ids;
}

/* Free an outbox row; NULL is fine. */
void
store_outbox_row_free(struct store_outbox_row *r)
{
    if (r == NULL)
        return;
    g_free(r->message_id);
    g_free(r->mail_from);
    g_free(r->rcpts);
    g_free(r->kind);
    if (r->raw != NULL)
        g_bytes_unref(r->raw);
    g_free(r->created);
    g_free(r->next_try);
    g_free(r->sent);
    g_free(r->failed);
    g_free(r->last_error);
    g_free(r->delivered);
    g_free(r->rejected);
    g_free(r->requeued);
    g_free(r);
}

/* The outbox row stmt stands on (the columns of SQL_OUTBOX_GET); raw
 * stays NULL when that column is. */
static struct store_outbox_row *
outbox_row_read(sqlite3_stmt *stmt)
{
    struct store_outbox_row *r = g_new0(struct store_outbox_row, 1);

    r->id = sqlite3_column_int64(stmt, 0);
    r->statement = sqlite3_column_int64(stmt, 1);
    r->message_id = store_column_text(stmt, 2);
    r->mail_from = store_column_text(stmt, 3);
    r->rcpts = store_column_text(stmt, 4);
    r->kind = store_column_text(stmt, 5);
    if (sqlite3_column_type(stmt, 6) != SQLITE_NULL)
        r->raw = g_bytes_new(sqlite3_column_blob(stmt, 6), sqlite3_column_bytes(stmt, 6));
    r->created = store_column_text(stmt, 7);
    r->attempts = sqlite3_column_int(stmt, 8);
    r->next_try = store_column_text(stmt, 9);
    r->sent = store_column_text(stmt, 10);
    r->failed = store_column_text(stmt, 11);
    r->last_error = store_column_text(stmt, 12);
    r->delivered = store_column_text(stmt, 13);
    r->rejected = store_column_text(stmt, 14);
    r->requeued = store_column_text(stmt, 15);
    return r;
}

/* Read one outbox row; NULL with *err (STORE_ERROR_NOTFOUND when there is
 * no such row). */
struct store_outbox_row *
store_outbox_get(struct store *st, gint64 id, GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, SQL_OUTBOX_GET);
    struct store_outbox_row *r = NULL;
    int rc = SQLITE_OK;

    store_bind_int(stmt, 1, id, FALSE, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        r = outbox_row_read(stmt);
    } else if (rc == SQLITE_DONE) {
        g_set_error(err, STORE_ERROR, STORE_ERROR_NOTFOUND,
                    "%s: no outbox row %" G_GINT64_FORMAT, st->path, id);
    } else {
        store_fail(st, err, rc, "reading an outbox row");
    }
    store_done(stmt);
    return r;
}

/* See store.h. */
GPtrArray *
store_outbox_list(struct store *st, gboolean all, GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, SQL_OUTBOX_LIST);
    GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify) store_outbox_row_free);
    int rc = SQLITE_OK;

    store_bind_int(stmt, 1, all ? 1 : 0, FALSE, &rc);
    while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        g_ptr_array_add(rows, outbox_row_read(stmt));
        rc = SQLITE_OK;
    }
    if (rc != SQLITE_DONE) {
        store_fail(st, err, rc, "listing the outbox");
        g_ptr_array_unref(rows);
        rows = NULL;
    }
    store_done(stmt);
    return rows;
}

/* Run an outbox UPDATE bound as (id, a, b, c) with text a, b, c (NULL
 * binds NULL); *changed gets the number of rows changed. */
static gboolean
outbox_update(struct store *st, enum sql_id which, gint64 id, const char *a,
              const char *b, const char *c, int *changed, const char *what,
              GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, which);
    int n = sqlite3_bind_parameter_count(stmt);
    int rc = SQLITE_OK;

    store_bind_int(stmt, 1, id, FALSE, &rc);
    if (n >= 2)
        store_bind_text(stmt, 2, a, &rc);
    if (n >= 3)
        store_bind_text(stmt, 3, b, &rc);
    if (n >= 4)
        store_bind_text(stmt, 4, c, &rc);
    if (!store_step_write(st, stmt, rc, what, err))
        return FALSE;
    if (changed != NULL)
        *changed = sqlite3_changes(st->db);
    return TRUE;
}

/* outbox_update for an UPDATE with a condition on the row (a claim, a
 * lease): *changed (when not NULL) says whether the row was changed. */
static gboolean
outbox_update_if(struct store *st, enum sql_id which, gint64 id, const char *a,
                 const char *b, const char *c, gboolean *changed, const char *what,
                 GError **err)
{
    int n = 0;

    if (!outbox_update(st, which, id, a, b, c, &n, what, err))
        return FALSE;
    if (changed != NULL)
        *changed = n == 1;
    return TRUE;
}

/* Claim a due row for delivery by moving its next_try to lease_until:
 * TRUE in *claimed when this caller got it (it was still due at now). */
gboolean
store_outbox_claim(struct store *st, gint64 id, const char *now,
                   const char *lease_until, gboolean *claimed, GError **err)
{
    return outbox_update_if(st, SQL_OUTBOX_CLAIM, id, lease_until, now, NULL, claimed,
                            "claiming an outbox row", err);
}

/* Extend the lease held until held to lease_until: *kept is FALSE when
 * the row no longer carries that lease (another sender has claimed it). */
gboolean
store_outbox_renew(struct store *st, gint64 id, const char *held,
                   const char *lease_until, gboolean *kept, GError **err)
{
    return outbox_update_if(st, SQL_OUTBOX_RENEW, id, lease_until, held, NULL, kept,
                            "renewing an outbox claim", err);
}

/* Record that the relay accepted the mail for rcpt. */
gboolean
store_outbox_delivered(struct store *st, gint64 id, const char *rcpt, GError **err)
{
    return outbox_update(st, SQL_OUTBOX_DELIVERED, id, rcpt, NULL, NULL, NULL,
                         "recording a delivery", err);
}

/* Record that the relay refused rcpt for good, and why. */
gboolean
store_outbox_rejected(struct store *st, gint64 id, const char *rcpt,
                      const char *why, GError **err)
{
    return outbox_update(st, SQL_OUTBOX_REJECTED, id, rcpt, why, NULL, NULL,
                         "recording a refused recipient", err);
}

/* The row is done: sent at when (why: a note, NULL keeps the last). */
gboolean
store_outbox_mark_sent(struct store *st, gint64 id, const char *when,
                       const char *why, const char *held, gboolean *kept,
                       GError **err)
{
    return outbox_update_if(st, SQL_OUTBOX_SENT, id, when, why, held, kept,
                            "marking a mail sent", err);
}

/* A temporary failure: one more attempt, next try at next_try. */
gboolean
store_outbox_defer(struct store *st, gint64 id, const char *next_try,
                   const char *why, const char *held, gboolean *kept,
                   GError **err)
{
    return outbox_update_if(st, SQL_OUTBOX_DEFER, id, next_try, why, held, kept,
                            "deferring a mail", err);
}

/* A permanent failure: given up at when. */
gboolean
store_outbox_fail(struct store *st, gint64 id, const char *when,
                  const char *why, const char *held, gboolean *kept,
                  GError **err)
{
    return outbox_update_if(st, SQL_OUTBOX_FAIL, id, when, why, held, kept,
                            "marking a mail failed", err);
}

/* See store.h. */
gboolean
store_outbox_requeue(struct store *st, gint64 id, const char *now, gboolean *changed,
                     GError **err)
{
    return outbox_update_if(st, SQL_OUTBOX_REQUEUE, id, now, NULL, NULL, changed,
                            "putting a mail back in the queue", err);
}

/* How many outbox rows of kind were queued for rcpt in the last 24 hours:
 * what limits acknowledgements and answers per address per day.  -1 with
 * *err on failure. */
gint64
store_outbox_count_to(struct store *st, const char *kind, const char *rcpt, GError **err)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autoptr(GDateTime) day_ago = g_date_time_add_days(now, -1);
    g_autofree char *since = g_date_time_format(day_ago, "%Y-%m-%dT%H:%M:%SZ");
    sqlite3_stmt *stmt = store_sql(st, SQL_OUTBOX_COUNT_TO);
    int rc = SQLITE_OK;
    gint64 n = 0;

    store_bind_text(stmt, 1, kind, &rc);
    store_bind_text(stmt, 2, rcpt, &rc);
    store_bind_text(stmt, 3, since, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        n = sqlite3_column_int64(stmt, 0);
        rc = SQLITE_DONE;
    }
    return store_read_done(st, stmt, rc, "counting queued mail", err) ? n : -1;
}

/* Mark addr as failing (a bounce of mail the tool sent came back). */
gboolean
store_address_failing(struct store *st, const char *addr, const char *when,
                      const char *detail, char **prev, GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, SQL_FAILING_LAST);
    int rc = SQLITE_OK;

    *prev = NULL;
    store_bind_text(stmt, 1, addr, &rc);
    if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        *prev = store_column_text(stmt, 0);
        rc = SQLITE_DONE;
    }
    if (!store_read_done(st, stmt, rc, "reading a failing address", err))
        return FALSE;
    stmt = store_sql(st, SQL_FAILING_ADD);
    rc = SQLITE_OK;

    store_bind_text(stmt, 1, addr, &rc);
    store_bind_text(stmt, 2, when, &rc);
    store_bind_text(stmt, 3, detail, &rc);
    return store_step_write(st, stmt, rc, "marking an address as failing", err);
}
