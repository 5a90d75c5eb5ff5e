/*
 * store_impl.h: what the files of the SQLite store share, and nothing
 * else may use.  Private: included only by store.c, store_outbox.c,
 * store_change.c and store_backup.c, never by another module, which sees
 * the store through store.h alone (struct store stays opaque there).
 *
 * It holds the connection (struct store), the ids of its prepared
 * statements (their SQL texts stay in store.c, which prepares them all
 * when the connection opens), and the helpers defined in store.c that
 * the other files call.  Those are store_-prefixed because they are no
 * longer static; a helper that one file alone uses stays static there.
 */
#ifndef LIAISON_STORE_IMPL_H
#define LIAISON_STORE_IMPL_H

#include <sqlite3.h>

#include "store.h"

/* The prepared statements of a connection. */
enum sql_id {
    SQL_BEGIN,
    SQL_COMMIT,
    SQL_ROLLBACK,
    SQL_FIND_MESSAGE,
    SQL_STATEMENT_BY_MESSAGE_ID,
    SQL_STATEMENT_BY_OWN_MESSAGE_ID,
    SQL_ADD_MESSAGE,
    SQL_LINK_MESSAGE,
    SQL_ADD_EVENT,
    SQL_ADD_STATEMENT,
    SQL_ADD_CONTACT,
    SQL_ADD_ITEM,
    SQL_ADD_RECIPIENT,
    SQL_ADD_ATTACHMENT,
    SQL_ADD_DIAGNOSTIC,
    SQL_GET_STATEMENT,
    SQL_GET_CONTACTS,
    SQL_GET_ITEMS,
    SQL_GET_RECIPIENTS,
    SQL_GET_ATTACHMENTS,
    SQL_GET_ATTACHMENTS_NO_DATA,
    SQL_GET_DIAGNOSTICS,
    SQL_LIST_IDS,
    SQL_RAW_MESSAGE,
    SQL_EXPORT,
    SQL_STATEMENT_MESSAGE,
    SQL_OUTBOX_ADD,
    SQL_OUTBOX_DUE,
    SQL_OUTBOX_GET,
    SQL_OUTBOX_LIST,
    SQL_OUTBOX_CLAIM,
    SQL_OUTBOX_RENEW,
    SQL_OUTBOX_DELIVERED,
    SQL_OUTBOX_REJECTED,
    SQL_OUTBOX_SENT,
    SQL_OUTBOX_DEFER,
    SQL_OUTBOX_FAIL,
    SQL_OUTBOX_REQUEUE,
    SQL_TICKLE_OPEN_IDS,
    SQL_TICKLE_FACTS,
    SQL_SET_STATE,
    SQL_SET_DEADLINE,
    SQL_FORGET_REMINDERS,
    SQL_REMINDED_ON,
    SQL_REMINDED_BEFORE,
    SQL_OVERDUE_SINCE,
    SQL_DEADLINE_MOVED_SINCE,
    SQL_SET_ASSIGNEE,
    SQL_DROP_RECIPIENTS,
    SQL_DROP_GROUPS,
    SQL_EVENTS,
    SQL_REMINDER_DAY,
    SQL_REMINDER_ADD,
    SQL_OUTBOX_COUNT_TO,
    SQL_FAILING_ADD,
    SQL_FAILING_LAST,
    SQL_META_GET,
    SQL_META_ADD,
    SQL_KNOWS_ADDRESS,
    SQL_ATTACHMENT_BLOB,
    SQL_SET_REPLIED,
    SQL_COUNT
};

/* One connection: the SQLite handle and its prepared statements. */
struct store {
    sqlite3 *db;
    char   *path;               /* for error messages */
    gboolean readonly;
    char   *as_of;              /* store_set_as_of: the time rows get, or NULL */
    char   *txn_now;            /* when the open write transaction began */
    sqlite3_stmt *sql[SQL_COUNT];
};

/* The STORE_ERROR code for an SQLite result code. */
int     store_error_of(sqlite3 *db, int rc);
/* Set *err from SQLite's state after rc, naming the file and the action. */
void    store_fail(struct store *st, GError **err, int rc, const char *what);
/* A prepared statement, reset and unbound, ready for binding. */
sqlite3_stmt *store_sql(struct store *st, enum sql_id id);
/* The time the rows written now get: the as-of time, else the time the
 * open write transaction began; NULL (SQL's now) outside one. */
const char *store_row_time(struct store *st);
/* Reset a statement after use and drop its bindings. */
void    store_done(sqlite3_stmt *stmt);
/* Bind text or NULL, unless an earlier bind failed (*rc). */
void    store_bind_text(sqlite3_stmt *stmt, int i, const char *s, int *rc);
/* Bind an integer; 0 binds NULL when zero_is_null (ids meaning "none"). */
void    store_bind_int(sqlite3_stmt *stmt, int i, gint64 v, gboolean zero_is_null,
                       int *rc);
/* Bind bytes as a BLOB; empty stays an empty BLOB, not NULL. */
void    store_bind_blob(sqlite3_stmt *stmt, int i, const void *p, gsize len, int *rc);
/* A copy of a text column, NULL for SQL NULL. */
char   *store_column_text(sqlite3_stmt *stmt, int i);
/* Run a write statement that returns no rows, then reset it. */
gboolean store_step_write(struct store *st, sqlite3_stmt *stmt, int rc,
                          const char *what, GError **err);
/* The first value of constant SQL text on db, as a number or as text. */
int     store_query_value(sqlite3 *db, const char *text, gint64 *n, char **value);
/* Roll back whatever transaction is open; harmless when none is. */
void    store_rollback_if_open(struct store *st);
/* Finish a read loop: TRUE when it ended normally (rc SQLITE_DONE). */
gboolean store_read_done(struct store *st, sqlite3_stmt *stmt, int rc,
                         const char *what, GError **err);

#endif
