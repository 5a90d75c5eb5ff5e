/*
 * store_change.c: a statement's life after it was recorded, in the
 * SQLite store: its state, answer, deadline and routing changed (by mail
 * commands, liaisonctl and the tickler), its event log read back, and
 * what the tickler reads and writes (the open statements, the facts its
 * policy reads, its reminders).
 *
 * Separate from store.c, which records statements and messages as they
 * arrive: these are the later, smaller updates and lookups around them.
 * Its SQL texts stay with the others in store.c, which prepares them all
 * when a connection opens; struct store and the helpers come from
 * store_impl.h.
 */
#include "config.h"

#include <string.h>

#include "store.h"
#include "store_impl.h"

/* The ids of the open statements, in id order.  Read in full before the
 * caller starts its per-statement transactions, so no read stays open. */
GArray *
store_open_statement_ids(struct store *st, GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, SQL_TICKLE_OPEN_IDS);
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(gint64));
    int rc;

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        gint64 id = sqlite3_column_int64(stmt, 0);

        g_array_append_val(ids, id);
    }
    if (!store_read_done(st, stmt, rc, "listing open statements", err)) {
        g_array_free(ids, TRUE);
        return NULL;
    }
    return ids;
}

/* Read the columns the tickler's policy needs about statement id. */
gboolean
store_tickle_facts(struct store *st, gint64 id, struct store_tickle_facts *f,
                   GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, SQL_TICKLE_FACTS);
    int rc = SQLITE_OK;

    memset(f, 0, sizeof *f);
    store_bind_int(stmt, 1, id, FALSE, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        f->purpose = store_column_text(stmt, 0);
        f->deadline = store_column_text(stmt, 1);
        f->received = store_column_text(stmt, 2);
        f->state = store_column_text(stmt, 3);
        f->replied = store_column_text(stmt, 4);
        f->answered = sqlite3_column_int(stmt, 5) != 0;
        store_done(stmt);
        return TRUE;
    }
    if (rc == SQLITE_DONE)
        g_set_error(err, STORE_ERROR, STORE_ERROR_NOTFOUND,
                    "%s: no statement %" G_GINT64_FORMAT, st->path, id);
    else
        store_fail(st, err, rc, "reading a statement's dates");
    store_done(stmt);
    return FALSE;
}

/* Run an UPDATE of statement id bound with rc so far: FALSE with *err
 * when it fails, and STORE_ERROR_NOTFOUND when no such statement. */
static gboolean
update_statement(struct store *st, sqlite3_stmt *stmt, int rc, gint64 id, const char *what,
                 GError **err)
{
    if (!store_step_write(st, stmt, rc, what, err))
        return FALSE;
    if (sqlite3_changes(st->db) == 0) {
        g_set_error(err, STORE_ERROR, STORE_ERROR_NOTFOUND,
                    "%s: no statement %" G_GINT64_FORMAT, st->path, id);
        return FALSE;
    }
    return TRUE;
}

/* Set statement id's state ("open", "closed"); STORE_ERROR_NOTFOUND when
 * there is no such statement. */
gboolean
store_set_state(struct store *st, gint64 id, const char *state, GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, SQL_SET_STATE);
    int rc = SQLITE_OK;

    store_bind_int(stmt, 1, id, FALSE, &rc);
    store_bind_text(stmt, 2, state, &rc);
    store_bind_text(stmt, 3, store_row_time(st), &rc);
    return update_statement(st, stmt, rc, id, "setting a statement's state", err);
}

/* Record that the IETF replied to statement id, at the time the rows of
 * the open transaction get (store_row_time), so that replied and the
 * "replied" event written with it agree; STORE_ERROR_NOTFOUND when there
 * is no such statement. */
gboolean
store_set_replied(struct store *st, gint64 id, GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, SQL_SET_REPLIED);
    int rc = SQLITE_OK;

    store_bind_int(stmt, 1, id, FALSE, &rc);
    store_bind_text(stmt, 2, store_row_time(st), &rc);
    return update_statement(st, stmt, rc, id, "recording a statement's reply", err);
}

/* Move statement id's deadline to deadline (YYYY-MM-DD) and retire the
 * reminder keys of the old one, so that the tickler's schedule
 * ("before-7", "overdue-1"...) starts again from the new date; the rows
 * stay, and with them the rule of one reminder a day.  FALSE with *err
 * (NOTFOUND when there is no such statement). */
gboolean
store_set_deadline(struct store *st, gint64 id, const char *deadline, GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, SQL_SET_DEADLINE);
    int rc = SQLITE_OK;

    store_bind_int(stmt, 1, id, FALSE, &rc);
    store_bind_text(stmt, 2, deadline, &rc);
    if (!update_statement(st, stmt, rc, id, "setting a statement's deadline", err))
        return FALSE;
    stmt = store_sql(st, SQL_FORGET_REMINDERS);
    rc = SQLITE_OK;
    store_bind_int(stmt, 1, id, FALSE, &rc);
    return store_step_write(st, stmt, rc, "retiring a statement's reminders", err);
}

/* Free one struct store_event. */
static void
event_free(gpointer p)
{
    struct store_event *e = p;

    g_free(e->at);
    g_free(e->what);
    g_free(e->actor);
    g_free(e->detail);
    g_free(e);
}

/* The events of statement id, oldest first: a GPtrArray of struct
 * store_event (freed with the array), or NULL with *err. */
GPtrArray *
store_statement_events(struct store *st, gint64 id, GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, SQL_EVENTS);
    GPtrArray *out = g_ptr_array_new_with_free_func(event_free);
    int rc = SQLITE_OK;

    store_bind_int(stmt, 1, id, FALSE, &rc);
    while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        struct store_event *e = g_new0(struct store_event, 1);

        e->at = store_column_text(stmt, 0);
        e->what = store_column_text(stmt, 1);
        e->actor = store_column_text(stmt, 2);
        e->detail = store_column_text(stmt, 3);
        g_ptr_array_add(out, e);
        rc = SQLITE_OK;
    }
    if (!store_read_done(st, stmt, rc, "reading a statement's events", err)) {
        g_ptr_array_unref(out);
        return NULL;
    }
    return out;
}

/* Free the copies held by f (not f itself). */
void
store_tickle_facts_clear(struct store_tickle_facts *f)
{
    g_free(f->purpose);
    g_free(f->deadline);
    g_free(f->received);
    g_free(f->state);
    g_free(f->replied);
    memset(f, 0, sizeof *f);
}

/* The day reminder (statement, point) was queued, NULL when never. */
gboolean
store_reminder_day(struct store *st, gint64 statement_id, const char *point,
                   char **day, GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, SQL_REMINDER_DAY);
    int rc = SQLITE_OK;

    *day = NULL;
    store_bind_int(stmt, 1, statement_id, FALSE, &rc);
    store_bind_text(stmt, 2, point, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        *day = store_column_text(stmt, 0);
        rc = SQLITE_DONE;
    }
    return store_read_done(st, stmt, rc, "reading a reminder", err);
}

/* Run one statement of the three that take only the statement id (and
 * maybe a text) as parameters. */
static gboolean
write_by_id(struct store *st, enum sql_id q, gint64 id, const char *text, const char *what,
            GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, q);
    int rc = SQLITE_OK;

    store_bind_int(stmt, 1, id, FALSE, &rc);
    if (text != NULL)
        store_bind_text(stmt, 2, text, &rc);
    return store_step_write(st, stmt, rc, what, err);
}

/* Write s's routing again (assignee, groups, recipients), as
 * route_reassign left it; inside the caller's transaction. */
gboolean
store_set_routing(struct store *st, const struct statement *s, GError **err)
{
    if (!write_by_id(st, SQL_SET_ASSIGNEE, s->id, s->assignee, "setting an assignee", err)
        || !write_by_id(st, SQL_DROP_RECIPIENTS, s->id, NULL, "replacing recipients", err)
        || !write_by_id(st, SQL_DROP_GROUPS, s->id, NULL, "replacing groups", err))
        return FALSE;
    for (guint i = 0; i < s->recipients->len; i++) {
        const struct recipient *r = g_ptr_array_index(s->recipients, i);
        sqlite3_stmt *stmt = store_sql(st, SQL_ADD_RECIPIENT);
        int rc = SQLITE_OK;

        store_bind_int(stmt, 1, s->id, FALSE, &rc);
        store_bind_int(stmt, 2, i, FALSE, &rc);
        store_bind_text(stmt, 3, r->addr, &rc);
        store_bind_text(stmt, 4, r->role, &rc);
        if (!store_step_write(st, stmt, rc, "recording a recipient", err))
            return FALSE;
    }
    for (guint i = 0; i < s->groups->len; i++) {
        sqlite3_stmt *stmt = store_sql(st, SQL_ADD_ITEM);
        int rc = SQLITE_OK;

        store_bind_int(stmt, 1, s->id, FALSE, &rc);
        store_bind_text(stmt, 2, "group", &rc);
        store_bind_int(stmt, 3, i, FALSE, &rc);
        store_bind_text(stmt, 4, g_ptr_array_index(s->groups, i), &rc);
        if (!store_step_write(st, stmt, rc, "recording a group", err))
            return FALSE;
    }
    return TRUE;
}

/* Whether query q (a reminder's existence, by statement ?1 and texts ?2
 * and, unless NULL, ?3) finds a row. */
static gboolean
reminder_exists(struct store *st, enum sql_id q, gint64 statement_id, const char *a,
                const char *b, gboolean *yes, GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, q);
    int rc = SQLITE_OK;

    *yes = FALSE;
    store_bind_int(stmt, 1, statement_id, FALSE, &rc);
    store_bind_text(stmt, 2, a, &rc);
    if (b != NULL)
        store_bind_text(stmt, 3, b, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        *yes = TRUE;
        rc = SQLITE_DONE;
    }
    return store_read_done(st, stmt, rc, "reading a reminder", err);
}

/* Whether statement_id was reminded on day (YYYY-MM-DD), by any point. */
gboolean
store_reminded_on(struct store *st, gint64 statement_id, const char *day,
                  gboolean *yes, GError **err)
{
    return reminder_exists(st, SQL_REMINDED_ON, statement_id, day, NULL, yes, err);
}

/* Whether statement_id got point (a key such as "before-7") on or after
 * day for a deadline it has since moved from. */
gboolean
store_reminded_before_move(struct store *st, gint64 statement_id, const char *point,
                           const char *day, gboolean *yes, GError **err)
{
    return reminder_exists(st, SQL_REMINDED_BEFORE, statement_id, point, day, yes, err);
}

/* Whether statement_id got an overdue reminder ("overdue by N days", by
 * any point, of any deadline) on or after day. */
gboolean
store_overdue_reminded_since(struct store *st, gint64 statement_id, const char *day,
                             gboolean *yes, GError **err)
{
    return reminder_exists(st, SQL_OVERDUE_SINCE, statement_id, day, NULL, yes, err);
}

/* Whether a "deadline changed" event of statement_id came after the
 * "queued reminder" event of outbox row outbox_id: one query on the
 * statement's events, where the sender used to read its whole log for
 * each reminder it was about to send. */
gboolean
store_deadline_moved_since(struct store *st, gint64 statement_id, gint64 outbox_id,
                           gboolean *moved, GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, SQL_DEADLINE_MOVED_SINCE);
    int rc = SQLITE_OK;

    *moved = FALSE;
    store_bind_int(stmt, 1, statement_id, FALSE, &rc);
    store_bind_int(stmt, 2, outbox_id, FALSE, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        *moved = TRUE;
        rc = SQLITE_DONE;
    }
    return store_read_done(st, stmt, rc, "reading a statement's events", err);
}

/* Record a reminder.  The UNIQUE (statement, point) constraint is what
 * makes the tickler idempotent, so its violation is an answer ("already
 * queued"), not a failure; the caller rolls back its outbox row. */
gint64
store_reminder_add(struct store *st, gint64 statement_id, const char *point,
                   const char *kind, const char *day, gint64 outbox_id,
                   gboolean *already, GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, SQL_REMINDER_ADD);
    int rc = SQLITE_OK;

    *already = FALSE;
    store_bind_int(stmt, 1, statement_id, FALSE, &rc);
    store_bind_text(stmt, 2, point, &rc);
    store_bind_text(stmt, 3, kind, &rc);
    store_bind_text(stmt, 4, day, &rc);
    store_bind_int(stmt, 5, outbox_id, TRUE, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(stmt);
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        *already = TRUE;
        store_done(stmt);
        return 0;
    }
    if (rc != SQLITE_DONE) {
        store_fail(st, err, rc, "recording a reminder");
        store_done(stmt);
        return 0;
    }
    store_done(stmt);
    return sqlite3_last_insert_rowid(st->db);
}
