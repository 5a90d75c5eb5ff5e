/*
 * store.c: the SQLite store of statements, messages, events and the outbox.
 *
 * Why it is built this way:
 *
 * - WAL journal: the milter writes while liaisonctl and the publisher read;
 *   in WAL mode readers never block the writer nor the writer the readers.
 *   synchronous=FULL: a commit is on disk before we answer.  The MTA keeps
 *   a message only until we answer; after it, it delivers and forgets, so
 *   a commit that a power cut could still take back (NORMAL: the WAL is
 *   synced at checkpoints only) would lose an accepted statement and the
 *   mail it queued for good.  One fsync of the WAL per commit is the cost.
 *
 * - Persistent WAL: every connection asks SQLite to keep the -wal and -shm
 *   files when it closes.  A reader that may not write the directory (an
 *   admin running `liaisonctl list` on the daemon's database) cannot create
 *   them, and without them it cannot read a WAL database at all.
 *
 * - BEGIN IMMEDIATE: a write transaction takes the write lock when it
 *   starts, so two processes recording the same retried message wait for
 *   each other at BEGIN (under the busy timeout) instead of both reading,
 *   both deciding "new", and one failing at COMMIT with a deadlock that no
 *   busy handler can resolve.  The callers bracket their writes with
 *   store_begin/store_commit; the functions here never open transactions
 *   of their own (migrations excepted), so a statement, its message, its
 *   event and its outbox mail commit or vanish together.
 *
 * - Migrations keyed by PRAGMA user_version: migrations[i] takes the
 *   schema from version i to i+1 and sets user_version itself, inside one
 *   transaction, so a crash leaves either the old schema or the new one.
 *   The version is read again after BEGIN IMMEDIATE because another process
 *   may have migrated while we waited for the lock.  A database newer than
 *   this program is refused rather than misread.
 *
 * - Prepared statements: every SQL text is prepared once per connection
 *   (SQLITE_PREPARE_PERSISTENT), values go in only through sqlite3_bind_*,
 *   and each statement is reset as soon as it has been used so that no
 *   read snapshot stays open behind the caller's back.
 *
 * - Large blobs: a message or an attachment that arrives as a stream (a
 *   file) is written with incremental BLOB I/O: the row is inserted with
 *   a zeroblob of the right size (the blob is the last column, so SQLite
 *   writes the zeros page by page without a buffer of that size) and the
 *   bytes are then copied in chunks with sqlite3_blob_write.  The page
 *   cache spills to the WAL, so neither step holds the blob in memory.
 *   Reading a statement back loads the bytes of small attachments only
 *   (STORE_ATTACHMENT_LOAD_MAX).
 *
 * - Errors: every failure is a GError in STORE_ERROR naming the database
 *   file and SQLite's own message; the code says what kind of failure it
 *   was (busy, read-only, full, corrupt) so that callers can log it and
 *   answer TEMPFAIL.
 *
 * - Backups (store_backup): see store_backup.c.
 *
 * - Files: this one holds the schema, the SQL texts, opening, closing and
 *   transactions, the statements and messages themselves and the
 *   database's secret; store_outbox.c the outbox rows; store_change.c a
 *   statement's life after it was recorded (state, answer, deadline,
 *   routing, events, reminders); store_backup.c the backup.
 *   store_impl.h is what they share (struct store, the SQL ids, the
 *   helpers below that are not static), and no other module's.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmime/gmime.h>
#include <sqlite3.h>

#include "store.h"
#include "store_impl.h"

/* Whether the answer of the statement row ?1 stands (1) or not (0): one
 * is recorded (replied) and no "reopened" nor "deadline changed" event
 * came after it, which is a chair saying a response is wanted again.
 * The event log's order (its ids) says what came after what, so a reply
 * and a reopen in the same second keep the order they were made in; a
 * replied column with no "replied" event (written by hand, or by an
 * older version) is compared by time with the last such event instead.
 * Computed here, once, for every reader (the tickler, list, show, stats,
 * publish, requeue): a derived value needs no schema change, and no
 * reader can drift from the others. */
#define SQL_ANSWER_STANDS \
    "(replied IS NOT NULL AND NOT EXISTS (SELECT 1 FROM event AS r" \
    " WHERE r.statement = ?1 AND r.id = (SELECT max(x.id) FROM event AS x" \
    " WHERE x.statement = ?1 AND x.what IN ('reopened', 'deadline changed'))" \
    " AND ifnull(r.id > (SELECT max(y.id) FROM event AS y" \
    " WHERE y.statement = ?1 AND y.what = 'replied'), r.at > replied)))"

/* The schema, one step per element: migrations[i] goes from user_version i
 * to i + 1 and ends by setting it.  Never edit a step once released; add a
 * new one. */
static const char *const migrations[] = {
    /* 1: the first schema. */
    "-- A liaison statement: the envelope read from the mail, its routing\n"
    "-- and its state.  AUTOINCREMENT because statement ids appear in mail\n"
    "-- (tracking headers, reply addresses) and must never be reused.\n"
    "CREATE TABLE statement (\n"
    "  id           INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  received     TEXT NOT NULL,            -- UTC, YYYY-MM-DDTHH:MM:SSZ\n"
    "  state        TEXT NOT NULL DEFAULT 'open',  -- open, closed\n"
    "  message_id   TEXT,                     -- of the statement mail, <x@y>\n"
    "  forwarded_by TEXT,                     -- address of the forwarder\n"
    "  header_from  TEXT,                     -- From as a person reads it\n"
    "  subject      TEXT,\n"
    "  title        TEXT,\n"
    "  from_body    TEXT,                     -- ITU-T Study Group 15\n"
    "  to_body      TEXT,                     -- as written\n"
    "  purpose      TEXT CHECK (purpose IN\n"
    "                 ('information', 'comment', 'action', 'response')),\n"
    "                                         -- NULL: not stated\n"
    "  deadline     TEXT,                     -- YYYY-MM-DD\n"
    "  body         TEXT,                     -- the text after Body:\n"
    "  labels       INTEGER NOT NULL DEFAULT 0,  -- envelope labels seen\n"
    "  peer         TEXT,                     -- directory key of the sender\n"
    "  assignee     TEXT,                     -- address\n"
    "  closed       TEXT,                     -- UTC date-time, when closed\n"
    "  replied      TEXT                      -- UTC date-time of the reply\n"
    ");\n"
    "CREATE INDEX statement_message_id ON statement (message_id);\n"
    "-- The tickler's question: which open statements are due.\n"
    "CREATE INDEX statement_state_deadline ON statement (state, deadline);\n"
    "\n"
    "-- People named in the envelope, in the order written.\n"
    "CREATE TABLE statement_contact (\n"
    "  statement INTEGER NOT NULL REFERENCES statement (id) ON DELETE CASCADE,\n"
    "  kind      TEXT NOT NULL CHECK (kind IN ('response', 'technical', 'cc')),\n"
    "  position  INTEGER NOT NULL,\n"
    "  name      TEXT,\n"
    "  addr      TEXT,                        -- lower case\n"
    "  PRIMARY KEY (statement, kind, position)\n"
    ");\n"
    "\n"
    "-- The statement's lists of words, in order: addressees (to, info_to),\n"
    "-- the sender's identifiers, related liaisons, documents referenced,\n"
    "-- and the groups routing assigned it to or copied.\n"
    "CREATE TABLE statement_item (\n"
    "  statement INTEGER NOT NULL REFERENCES statement (id) ON DELETE CASCADE,\n"
    "  kind      TEXT NOT NULL CHECK (kind IN ('to', 'info_to',\n"
    "              'other_identifier', 'related', 'reference', 'group',\n"
    "              'info_group')),\n"
    "  position  INTEGER NOT NULL,\n"
    "  value     TEXT,\n"
    "  PRIMARY KEY (statement, kind, position)\n"
    ");\n"
    "\n"
    "-- Whom routing added to the statement's mail, and why.\n"
    "CREATE TABLE recipient (\n"
    "  statement INTEGER NOT NULL REFERENCES statement (id) ON DELETE CASCADE,\n"
    "  position  INTEGER NOT NULL,\n"
    "  addr      TEXT,\n"
    "  role      TEXT,                        -- assignee, list, technical...\n"
    "  PRIMARY KEY (statement, position)\n"
    ");\n"
    "\n"
    "-- Attachments with their decoded bytes; name is a safe file name.\n"
    "CREATE TABLE attachment (\n"
    "  statement INTEGER NOT NULL REFERENCES statement (id) ON DELETE CASCADE,\n"
    "  position  INTEGER NOT NULL,\n"
    "  name      TEXT,\n"
    "  type      TEXT,                        -- application/pdf\n"
    "  size      INTEGER NOT NULL CHECK (size >= 0),\n"
    "  sha256    TEXT,                        -- hex digest of data\n"
    "  data      BLOB,                        -- NULL only if never had bytes\n"
    "  PRIMARY KEY (statement, position)\n"
    ");\n"
    "\n"
    "-- What could not be understood about a statement.\n"
    "CREATE TABLE diagnostic (\n"
    "  statement INTEGER NOT NULL REFERENCES statement (id) ON DELETE CASCADE,\n"
    "  position  INTEGER NOT NULL,\n"
    "  code      TEXT,                        -- purpose-missing\n"
    "  text      TEXT,\n"
    "  PRIMARY KEY (statement, position)\n"
    ");\n"
    "\n"
    "-- Every message that reached the tool or left it, verbatim.\n"
    "CREATE TABLE message (\n"
    "  id          INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  statement   INTEGER REFERENCES statement (id),  -- NULL: none (yet)\n"
    "  direction   TEXT NOT NULL CHECK (direction IN ('in', 'out')),\n"
    "  kind        TEXT,                      -- statement, correspondence,\n"
    "                                         -- auto, bounce...\n"
    "  message_id  TEXT,                      -- <x@y>, NULL when absent\n"
    "  body_sha256 TEXT,                      -- hex, for deduplication\n"
    "  received    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),\n"
    "  raw         BLOB NOT NULL              -- the bytes as received\n"
    ");\n"
    "CREATE INDEX message_message_id ON message (message_id);\n"
    "CREATE INDEX message_body_sha256 ON message (body_sha256);\n"
    "CREATE INDEX message_statement ON message (statement);\n"
    "-- A message delivered twice (an MTA retry, two milter processes at\n"
    "-- once) cannot be recorded twice.  ifnull() because a UNIQUE index\n"
    "-- treats NULLs as distinct, and mail without a Message-ID is common.\n"
    "CREATE UNIQUE INDEX message_in_once\n"
    "  ON message (ifnull(message_id, ''), body_sha256) WHERE direction = 'in';\n"
    "\n"
    "-- History of what happened to each statement.  Append-only: the\n"
    "-- triggers refuse any change, so the log can be trusted as a record.\n"
    "CREATE TABLE event (\n"
    "  id        INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  statement INTEGER REFERENCES statement (id),\n"
    "  message   INTEGER REFERENCES message (id),\n"
    "  at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),\n"
    "  what      TEXT NOT NULL,               -- received, routed, closed...\n"
    "  actor     TEXT,                        -- address, or a program name\n"
    "  detail    TEXT\n"
    ");\n"
    "CREATE INDEX event_statement ON event (statement);\n"
    "CREATE TRIGGER event_no_update BEFORE UPDATE ON event\n"
    "BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;\n"
    "CREATE TRIGGER event_no_delete BEFORE DELETE ON event\n"
    "BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;\n"
    "\n"
    "-- Mail to send, written in the transaction that caused it, so that a\n"
    "-- crash neither loses nor repeats a notification.\n"
    "CREATE TABLE outbox (\n"
    "  id         INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  statement  INTEGER REFERENCES statement (id),\n"
    "  message_id TEXT,\n"
    "  mail_from  TEXT NOT NULL,              -- envelope sender, '' for <>\n"
    "  rcpts      TEXT NOT NULL,              -- envelope recipients, one a line\n"
    "  kind       TEXT NOT NULL DEFAULT 'notification',\n"
    "                                         -- notification, acknowledgement,\n"
    "                                         -- reminder, report\n"
    "  raw        BLOB NOT NULL,\n"
    "  created    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),\n"
    "  attempts   INTEGER NOT NULL DEFAULT 0,\n"
    "  next_try   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),\n"
    "  sent       TEXT,                       -- NULL until delivered\n"
    "  failed     TEXT,                       -- set when given up (5xx, too old)\n"
    "  last_error TEXT\n"
    ");\n"
    /* One row per reminder the tickler queued: the UNIQUE key is what makes
     * a second run on the same day, or two runs at once, queue nothing new. */
    "CREATE TABLE reminder (\n"
    "  id         INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  statement  INTEGER NOT NULL REFERENCES statement (id),\n"
    "  point      TEXT NOT NULL,              -- 'before-7', 'overdue-2027-01-22', ...\n"
    "  kind       TEXT NOT NULL,              -- 'due', 'overdue', 'no-deadline'\n"
    "  day        TEXT NOT NULL,              -- the tickler's date, YYYY-MM-DD\n"
    "  outbox     INTEGER REFERENCES outbox (id),\n"
    "  UNIQUE (statement, point)\n"
    ");\n"
    /* Addresses that bounced mail the tool sent (VERP tells which). */
    "CREATE TABLE failing_address (\n"
    "  addr       TEXT PRIMARY KEY,\n"
    "  since      TEXT NOT NULL,\n"
    "  last       TEXT NOT NULL,\n"
    "  bounces    INTEGER NOT NULL DEFAULT 1,\n"
    "  detail     TEXT\n"
    ");\n"
    "CREATE INDEX outbox_pending ON outbox (next_try) WHERE sent IS NULL;\n"
    "\n"
    "PRAGMA user_version = 1;\n",
    /* 2: per-recipient progress of an outbox row.  The sender makes one SMTP
     * transaction per recipient (each with its own VERP sender) and records
     * each recipient the relay accepted or refused the moment it answers,
     * so a crash between two recipients repeats neither. */
    "ALTER TABLE outbox ADD COLUMN delivered TEXT NOT NULL DEFAULT '';\n"
    "                                         -- accepted by the relay, one a line\n"
    "ALTER TABLE outbox ADD COLUMN rejected TEXT NOT NULL DEFAULT '';\n"
    "                                         -- refused for good, one a line\n"
    "PRAGMA user_version = 2;\n",
    /* 3: the raw message is written with incremental blob I/O (large mail
     * never whole in memory), and sqlite3_blob_open refuses every column
     * of a table that has an index on an expression.  The dedup index
     * moves to a virtual generated column with the same value: it is not
     * stored, so raw stays the last field of the record, which is what
     * lets SQLite write a zeroblob there without a buffer of its size. */
    "ALTER TABLE message ADD COLUMN dedup_id TEXT\n"
    "  GENERATED ALWAYS AS (ifnull(message_id, '')) VIRTUAL;\n"
    "DROP INDEX message_in_once;\n"
    "CREATE UNIQUE INDEX message_in_once\n"
    "  ON message (dedup_id, body_sha256) WHERE direction = 'in';\n"
    "PRAGMA user_version = 3;\n",
    /* 4: settings that belong to the data, not to a configuration file:
     * the secret that keys the VERP bounce addresses, the same for every
     * program that opens this database (liaisond, liaisonctl flush). */
    "CREATE TABLE meta (\n"
    "  key   TEXT PRIMARY KEY,\n"
    "  value TEXT NOT NULL\n"
    ");\n"
    "PRAGMA user_version = 4;\n",
    /* 5: the acknowledgement limit counts one address's mail of one kind
     * since a time, once per incoming statement.  Without an index that
     * was a scan of the whole outbox, which only grows, reading each row
     * past its raw bytes to reach created: half of liaisond's time per
     * message after a few thousand statements.  The index covers the
     * query (rcpts included), so it reads only the entries of that kind
     * since that time and never a table row. */
    "CREATE INDEX outbox_kind_created ON outbox (kind, created, rcpts);\n"
    "PRAGMA user_version = 5;\n",
    /* 6: the dedup lookup probes message_in_once (dedup_id, body_sha256);
     * nothing reads by the body digest alone any more, and an index no
     * query uses is one more page written with every message. */
    "DROP INDEX message_body_sha256;\n"
    "PRAGMA user_version = 6;\n",
    /* 7: liaisonctl requeue puts given-up mail back in the queue, and the
     * five days before the sender gives up again count from then, not
     * from created, which stays when the mail was written. */
    "ALTER TABLE outbox ADD COLUMN requeued TEXT; -- NULL, or when last put back\n"
    "PRAGMA user_version = 7;\n",
};

#define SCHEMA_VERSION ((int) G_N_ELEMENTS(migrations))

/* The SQL text of each prepared statement (the ids: store_impl.h). */
static const char *const sql_text[SQL_COUNT] = {
    [SQL_BEGIN] = "BEGIN IMMEDIATE",
    [SQL_COMMIT] = "COMMIT",
    [SQL_ROLLBACK] = "ROLLBACK",
    /* Only incoming mail is deduplicated.  The terms are those of the
     * unique index message_in_once, so this is one probe of it: matched
     * on message_id and body_sha256 alone, SQLite chose the body index
     * and read every row with the same body (a form letter, a resend). */
    [SQL_FIND_MESSAGE] =
        "SELECT id, ifnull(statement, 0), kind FROM message"
        " WHERE direction = 'in' AND dedup_id = ifnull(?1, '') AND body_sha256 = ?2",
    /* A Message-ID is anyone's to write: mail that reuses a statement's
     * own Message-ID is recorded on whatever it threads onto, and must not
     * draw that statement's answers away from it.  So a mail of our own
     * comes first (its id was made here for its statement, and a stranger
     * who read it on a list may reuse it, even as a statement's own), then
     * the statement whose own id it is (the older of two), then the
     * statement a message of kind statement made (a forward's outer id),
     * then any other message's; among messages the first recorded, since
     * a copy of an id can only follow the mail that made it known. */
    [SQL_STATEMENT_BY_MESSAGE_ID] =
        "SELECT statement, 0, id FROM message"
        " WHERE message_id = ?1 AND statement IS NOT NULL AND direction = 'out'"
        " UNION ALL SELECT id, 1, id FROM statement WHERE message_id = ?1"
        " UNION ALL SELECT statement, 2, id FROM message"
        " WHERE message_id = ?1 AND statement IS NOT NULL AND kind = 'statement'"
        " UNION ALL SELECT statement, 3, id FROM message"
        " WHERE message_id = ?1 AND statement IS NOT NULL"
        " ORDER BY 2, 3 LIMIT 1",
    /* Only statements, with the From and forwarder they were recorded
     * with (see store_statement_by_own_message_id). */
    [SQL_STATEMENT_BY_OWN_MESSAGE_ID] =
        "SELECT id, header_from, forwarded_by, 0 FROM statement WHERE message_id = ?1"
        " UNION ALL SELECT s.id, s.header_from, s.forwarded_by, 1 FROM message m"
        " JOIN statement s ON s.id = m.statement"
        " WHERE m.message_id = ?1 AND m.kind = 'statement'"
        " ORDER BY 1",
    [SQL_ADD_MESSAGE] =
        "INSERT INTO message (statement, direction, kind, message_id,"
        " body_sha256, raw, received) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
        " ifnull(?7, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))",
    [SQL_LINK_MESSAGE] =
        "UPDATE message SET statement = ?2, kind = ifnull(?3, kind) WHERE id = ?1",
    [SQL_ADD_EVENT] =
        "INSERT INTO event (statement, message, what, actor, detail, at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ifnull(?6, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))",
    [SQL_ADD_STATEMENT] =
        "INSERT INTO statement (received, state, message_id, forwarded_by,"
        " header_from, subject, title, from_body, to_body, purpose, deadline,"
        " body, labels, peer, assignee) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
        " ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    [SQL_ADD_CONTACT] =
        "INSERT INTO statement_contact (statement, kind, position, name, addr)"
        " VALUES (?1, ?2, ?3, ?4, ?5)",
    [SQL_ADD_ITEM] =
        "INSERT INTO statement_item (statement, kind, position, value)"
        " VALUES (?1, ?2, ?3, ?4)",
    [SQL_ADD_RECIPIENT] =
        "INSERT INTO recipient (statement, position, addr, role)"
        " VALUES (?1, ?2, ?3, ?4)",
    [SQL_ADD_ATTACHMENT] =
        "INSERT INTO attachment (statement, position, name, type, size,"
        " sha256, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [SQL_ADD_DIAGNOSTIC] =
        "INSERT INTO diagnostic (statement, position, code, text)"
        " VALUES (?1, ?2, ?3, ?4)",
    [SQL_GET_STATEMENT] =
        "SELECT received, state, message_id, forwarded_by, header_from,"
        " subject, title, from_body, to_body, purpose, deadline, body, labels,"
        " peer, assignee, closed, replied, " SQL_ANSWER_STANDS
        " FROM statement WHERE id = ?1",
    [SQL_GET_CONTACTS] =
        "SELECT kind, name, addr FROM statement_contact WHERE statement = ?1"
        " ORDER BY kind, position",
    [SQL_GET_ITEMS] =
        "SELECT kind, value FROM statement_item WHERE statement = ?1"
        " ORDER BY kind, position",
    [SQL_GET_RECIPIENTS] =
        "SELECT addr, role FROM recipient WHERE statement = ?1"
        " ORDER BY position",
    /* Bytes of small attachments only: a large one would cost its size
     * in memory, and nothing that reads statements needs it whole. */
    [SQL_GET_ATTACHMENTS] =
        "SELECT name, type, size, sha256,"
        " CASE WHEN size <= ?2 THEN data END FROM attachment"
        " WHERE statement = ?1 ORDER BY position",
    /* A listing must not pull every attachment's bytes into memory. */
    [SQL_GET_ATTACHMENTS_NO_DATA] =
        "SELECT name, type, size, sha256, NULL FROM attachment"
        " WHERE statement = ?1 ORDER BY position",
    [SQL_GET_DIAGNOSTICS] =
        "SELECT code, text FROM diagnostic WHERE statement = ?1"
        " ORDER BY position",
    [SQL_LIST_IDS] = "SELECT id FROM statement ORDER BY id",
    /* The transaction's time, as its "replied" event and the response's
     * rows get (store_row_time), else SQL's now. */
    [SQL_SET_REPLIED] =
        "UPDATE statement SET replied = ifnull(?2, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))"
        " WHERE id = ?1",
    [SQL_ATTACHMENT_BLOB] =
        "SELECT rowid, data IS NOT NULL FROM attachment"
        " WHERE statement = ?1 AND position = ?2",
    [SQL_RAW_MESSAGE] = "SELECT raw FROM message WHERE id = ?1",
    /* The mail received (not the mail sent), in the order it came, of one
     * statement or all, within a span of days (liaisonctl export). */
    [SQL_EXPORT] =
        "SELECT id, ifnull(statement, 0), kind, received, raw FROM message"
        " WHERE direction = 'in' AND (?1 = 0 OR statement = ?1)"
        " AND (?2 IS NULL OR substr(received, 1, 10) >= ?2)"
        " AND (?3 IS NULL OR substr(received, 1, 10) <= ?3)"
        " ORDER BY received, id",
    /* The mail that made the statement; failing that, its first mail in. */
    [SQL_STATEMENT_MESSAGE] =
        "SELECT id FROM message WHERE statement = ?1 AND direction = 'in'"
        " ORDER BY kind IS NOT 'statement', id LIMIT 1",
    /* The outbox (outbox.c): rows due, claimed one at a time, and each
     * recipient's outcome recorded as soon as the relay gives it. */
    [SQL_OUTBOX_ADD] =
        "INSERT INTO outbox (statement, message_id, mail_from, rcpts, kind, raw)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [SQL_OUTBOX_DUE] =
        "SELECT id FROM outbox WHERE sent IS NULL AND failed IS NULL"
        " AND next_try <= ?1 ORDER BY next_try, id LIMIT ?2",
    [SQL_OUTBOX_GET] =
        "SELECT id, ifnull(statement, 0), message_id, mail_from, rcpts, kind,"
        " raw, created, attempts, next_try, sent, failed, last_error,"
        " delivered, rejected, requeued FROM outbox WHERE id = ?1",
    /* The same columns but the message itself, which a listing never needs. */
    [SQL_OUTBOX_LIST] =
        "SELECT id, ifnull(statement, 0), message_id, mail_from, rcpts, kind,"
        " NULL, created, attempts, next_try, sent, failed, last_error,"
        " delivered, rejected, requeued FROM outbox WHERE ?1 OR sent IS NULL ORDER BY id",
    /* Moving next_try ahead is the claim: a second sender running at the
     * same time finds the row no longer due. */
    [SQL_OUTBOX_CLAIM] =
        "UPDATE outbox SET next_try = ?2 WHERE id = ?1 AND sent IS NULL"
        " AND failed IS NULL AND next_try <= ?3",
    /* Only while the row still carries this sender's own lease (?3):
     * once that ran out and another sender claimed the row, next_try is
     * that sender's lease and nothing changes here. */
    [SQL_OUTBOX_RENEW] =
        "UPDATE outbox SET next_try = ?2 WHERE id = ?1 AND sent IS NULL"
        " AND failed IS NULL AND next_try = ?3",
    [SQL_OUTBOX_DELIVERED] =
        "UPDATE outbox SET delivered = delivered || ?2 || char(10)"
        " WHERE id = ?1",
    [SQL_OUTBOX_REJECTED] =
        "UPDATE outbox SET rejected = rejected || ?2 || char(10),"
        " last_error = ?3 WHERE id = ?1",
    /* A row's last writes, each only while it still carries the lease
     * ?4 of the sender that writes (NULL: whoever holds it): a sender
     * whose lease ran out and was taken must not undo the new holder's. */
    [SQL_OUTBOX_SENT] =
        "UPDATE outbox SET sent = ?2, attempts = attempts + 1,"
        " last_error = ifnull(?3, last_error) WHERE id = ?1"
        " AND (?4 IS NULL OR next_try = ?4)",
    [SQL_OUTBOX_DEFER] =
        "UPDATE outbox SET attempts = attempts + 1, next_try = ?2,"
        " last_error = ?3 WHERE id = ?1 AND (?4 IS NULL OR next_try = ?4)",
    [SQL_OUTBOX_FAIL] =
        "UPDATE outbox SET failed = ?2, attempts = attempts + 1,"
        " last_error = ifnull(?3, last_error) WHERE id = ?1 AND (?4 IS NULL OR next_try = ?4)",
    /* Put back a row no sender holds or will take: given up, or sent with
     * recipients refused.  The refused are tried again, those the relay
     * took are not (the sender skips delivered), and the backoff starts
     * over.  A row still waiting is left alone: it may be under a
     * sender's claim, which only its next_try tells, and moving that
     * would let a second sender deliver it at the same time. */
    [SQL_OUTBOX_REQUEUE] =
        "UPDATE outbox SET failed = NULL, sent = NULL, rejected = '', attempts = 0,"
        " next_try = ?2, requeued = ?2 WHERE id = ?1"
        " AND (failed IS NOT NULL OR (sent IS NOT NULL AND rejected <> ''))",
    /* The tickler (tickle.c): the open statements, what its policy reads
     * about one, and the reminders it queued. */
    [SQL_TICKLE_OPEN_IDS] =
        "SELECT id FROM statement WHERE state = 'open' ORDER BY id",
    [SQL_TICKLE_FACTS] =
        "SELECT purpose, deadline, received, state, replied, " SQL_ANSWER_STANDS
        " FROM statement WHERE id = ?1",
    [SQL_SET_STATE] =
        /* closed: when it was closed; a reopened statement has none. */
        "UPDATE statement SET state = ?2, closed = CASE WHEN ?2 = 'closed'"
        " THEN ifnull(closed, ifnull(?3, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))) END"
        " WHERE id = ?1",
    [SQL_SET_DEADLINE] =
        "UPDATE statement SET deadline = ?2 WHERE id = ?1",
    /* The keys ("before-7") are freed for the new date's schedule; the
     * rows stay, with their day, so that a statement is still reminded
     * at most once a day. */
    [SQL_FORGET_REMINDERS] =
        "UPDATE reminder SET point = point || '@' || id"
        " WHERE statement = ?1 AND instr(point, '@') = 0",
    [SQL_SET_ASSIGNEE] =
        "UPDATE statement SET assignee = ?2 WHERE id = ?1",
    [SQL_DROP_RECIPIENTS] =
        "DELETE FROM recipient WHERE statement = ?1",
    [SQL_DROP_GROUPS] =
        "DELETE FROM statement_item WHERE statement = ?1 AND kind = 'group'",
    [SQL_REMINDED_ON] =
        "SELECT 1 FROM reminder WHERE statement = ?1 AND day = ?2 LIMIT 1",
    /* A point's key as an earlier deadline's schedule had it: retired
     * with "@ROW" by SQL_FORGET_REMINDERS. */
    [SQL_REMINDED_BEFORE] =
        "SELECT 1 FROM reminder WHERE statement = ?1"
        " AND substr(point, 1, length(?2) + 1) = ?2 || '@' AND day >= ?3 LIMIT 1",
    /* Any overdue reminder (kind 'overdue': what it said, whatever its
     * point or deadline) on or after day ?2. */
    [SQL_OVERDUE_SINCE] =
        "SELECT 1 FROM reminder WHERE statement = ?1 AND kind = 'overdue'"
        " AND day >= ?2 LIMIT 1",
    /* A "deadline changed" event after outbox row ?2's "queued
     * reminder" event (outbox_queue's detail: "outbox ROW <message-id> to
     * ..."), the first such if ever two; by the log's order (its ids), not
     * its times.  Both lookups search event_statement (statement = ?1):
     * the statement's own events, never a scan of the log. */
    [SQL_DEADLINE_MOVED_SINCE] =
        "SELECT 1 FROM event WHERE statement = ?1 AND what = 'deadline changed'"
        " AND id > (SELECT min(q.id) FROM event AS q WHERE q.statement = ?1"
        " AND q.what = 'queued reminder'"
        " AND substr(q.detail, 1, length('outbox ' || ?2 || ' ')) = 'outbox ' || ?2 || ' ')"
        " LIMIT 1",
    [SQL_EVENTS] =
        "SELECT at, what, actor, detail FROM event WHERE statement = ?1 ORDER BY id",
    [SQL_REMINDER_DAY] =
        "SELECT day FROM reminder WHERE statement = ?1 AND point = ?2",
    [SQL_REMINDER_ADD] =
        "INSERT INTO reminder (statement, point, kind, day, outbox)"
        " VALUES (?1, ?2, ?3, ?4, ?5)",
    /* rcpts holds one address a line: match a whole line, never a part. */
    [SQL_OUTBOX_COUNT_TO] =
        "SELECT count(*) FROM outbox WHERE kind = ?1 AND created >= ?3"
        " AND instr(char(10) || rcpts || char(10), char(10) || ?2 || char(10)) > 0",
    [SQL_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    /* OR IGNORE: two processes creating the secret at once keep the first. */
    [SQL_META_ADD] = "INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)",
    /* A statement's title when the address is one of its own people: its
     * contacts and the recipients it was routed to, not a list, whose
     * mail anyone may send. */
    [SQL_KNOWS_ADDRESS] =
        "SELECT title FROM statement WHERE id = ?1 AND ("
        " EXISTS (SELECT 1 FROM statement_contact WHERE statement = ?1 AND addr = ?2)"
        " OR EXISTS (SELECT 1 FROM recipient WHERE statement = ?1 AND addr = ?2"
        " AND ifnull(role, '') NOT IN ('list', 'info-list')))",
    [SQL_FAILING_ADD] =
        "INSERT INTO failing_address (addr, since, last, detail) VALUES (?1, ?2, ?2, ?3)"
        " ON CONFLICT (addr) DO UPDATE SET last = ?2, bounces = bounces + 1, detail = ?3",
    [SQL_FAILING_LAST] = "SELECT last FROM failing_address WHERE addr = ?1",
};

/* The kinds of statement_contact rows. */
enum contact_kind { CONTACT_RESPONSE, CONTACT_TECHNICAL, CONTACT_CC, CONTACT_KINDS };
static const char *const contact_kind_name[CONTACT_KINDS] = {
    "response", "technical", "cc",
};

/* The kinds of statement_item rows. */
enum item_kind {
    ITEM_TO, ITEM_INFO_TO, ITEM_OTHER_IDENTIFIER, ITEM_RELATED,
    ITEM_REFERENCE, ITEM_GROUP, ITEM_INFO_GROUP, ITEM_KINDS
};
static const char *const item_kind_name[ITEM_KINDS] = {
    "to", "info_to", "other_identifier", "related", "reference", "group",
    "info_group",
};

/* The error domain of store errors (store_error_quark, STORE_ERROR). */
G_DEFINE_QUARK(liaison-store-error-quark, store_error)

/* Whether a write that failed with errno e was out of room: space, a
 * disk quota, the file size limit. */
static gboolean
errno_no_room(int e)
{
    return e == ENOSPC || e == EDQUOT || e == EFBIG;
}

/* The errno that says an I/O error SQLite just reported on db was a write
 * out of room (errno_no_room), else 0.  sqlite3_system_errno is errno as
 * SQLite found it after cleaning up, which a failed write to the WAL has
 * mostly reset to 0 by then; so the last errno each file keeps is asked
 * too, the WAL's (or the journal's) and the database's.  Those stay from
 * an earlier failure of the same connection, which only an earlier
 * failure out of room can make name room wrongly; liaisond opens its
 * connection anew after any failure. */
static int
no_room_errno(sqlite3 *db)
{
    sqlite3_file *journal = NULL;
    int e;

    if (db == NULL)
        return 0;
    if (errno_no_room(e = sqlite3_system_errno(db)))
        return e;
    e = 0;
    if (sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &journal) == SQLITE_OK
        && journal != NULL && journal->pMethods != NULL
        && journal->pMethods->xFileControl(journal, SQLITE_FCNTL_LAST_ERRNO, &e) == SQLITE_OK
        && errno_no_room(e))
        return e;
    e = 0;
    if (sqlite3_file_control(db, "main", SQLITE_FCNTL_LAST_ERRNO, &e) == SQLITE_OK
        && errno_no_room(e))
        return e;
    return 0;
}

/* What a write that failed with errno e (errno_no_room) ran into, said
 * so that an admin knows what to free or raise (g_free).  SQLite says
 * "disk I/O error" for these, as for a failing disk, but for the writes
 * where it turns ENOSPC into "database or disk is full". */
static char *
no_room_words(int e)
{
    struct rlimit rl;

    if (e == EDQUOT)
        return g_strdup_printf("%s: the disk quota of uid %u or of gid %u is used up",
                               g_strerror(e), (unsigned) geteuid(), (unsigned) getegid());
    if (e != EFBIG)
        return g_strdup(g_strerror(e));
    /* Past this process's RLIMIT_FSIZE, or past the largest file the file
     * system holds: the limit is named when there is one, the likelier
     * cause and the one to raise. */
    if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        return g_strdup_printf("%s: a write would take a file past this process's file"
                               " size limit (RLIMIT_FSIZE, ulimit -f) of %llu bytes",
                               g_strerror(e), (unsigned long long) rl.rlim_cur);
    return g_strdup_printf("%s: a write would take a file past the largest the file"
                           " system holds", g_strerror(e));
}

/* The STORE_ERROR code for an SQLite result code. */
int
store_error_of(sqlite3 *db, int rc)
{
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return STORE_ERROR_BUSY;
    case SQLITE_READONLY:
        return STORE_ERROR_READONLY;
    case SQLITE_FULL:
        return STORE_ERROR_FULL;
    case SQLITE_IOERR:
        /* A write that ran out of room shows up as an I/O error: out of
         * space (SQLite says SQLITE_FULL only for some writes), past a
         * disk quota, past the file size limit. */
        return no_room_errno(db) != 0 ? STORE_ERROR_FULL : STORE_ERROR_OTHER;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return STORE_ERROR_CORRUPT;
    default:
        return STORE_ERROR_OTHER;
    }
}

/* Which of the database's files (itself, -wal, -shm) or its folder this
 * process cannot write, said as a person can act on it; NULL when none.
 * SQLite makes -shm with the database's mode, so a database that was
 * read-only once leaves a read-only -shm behind: with the database's
 * mode put back, every write still fails "attempt to write a readonly
 * database", naming a file that is now writable. */
static char *
readonly_culprit(sqlite3 *db)
{
    const char *path = sqlite3_db_filename(db, "main");
    static const char *const suffix[] = { "", "-wal", "-shm" };
    g_autofree char *dir = NULL;
    struct stat sb;

    if (path == NULL || *path == '\0')     /* in memory, or temporary */
        return NULL;
    dir = g_path_get_dirname(path);
    for (size_t i = 0; i < G_N_ELEMENTS(suffix); i++) {
        g_autofree char *f = g_strconcat(path, suffix[i], NULL);

        /* access() asks with the real uid: liaisond has dropped root for
         * good by now, and liaisonctl never runs set-uid. */
        if (stat(f, &sb) != 0 || access(f, W_OK) == 0)
            continue;
        return g_strdup_printf("%s cannot be written by uid %u (%s; mode %04o, "
                               "owner uid %u)%s", f, (unsigned) geteuid(),
                               g_strerror(errno), (unsigned) (sb.st_mode & 07777),
                               (unsigned) sb.st_uid,
                               i == 2 ? ": SQLite made it with the database's "
                               "mode when that was read-only; make it writable "
                               "too, or remove it while nothing has the "
                               "database open" : "");
    }
    if (access(dir, W_OK | X_OK) != 0)
        return g_strdup_printf("the folder %s cannot be written by uid %u (%s)",
                               dir, (unsigned) geteuid(), g_strerror(errno));
    return NULL;
}

/* Set *err from SQLite's state after rc, naming the file and the action. */
void
store_fail(struct store *st, GError **err, int rc, const char *what)
{
    const char *msg = sqlite3_errmsg(st->db);
    g_autofree char *why = NULL;
    int     e;

    /* Some failures (a bind out of range) leave no message on the handle. */
    if ((sqlite3_errcode(st->db) & 0xff) != (rc & 0xff))
        msg = sqlite3_errstr(rc);
    /* "unable to open database file" says nothing of why: say what is
     * wrong with the folder, the usual cause. */
    if ((rc & 0xff) == SQLITE_CANTOPEN) {
        g_autofree char *dir = g_path_get_dirname(st->path);

        if (!g_file_test(dir, G_FILE_TEST_IS_DIR))
            msg = why = g_strdup_printf("the folder %s does not exist", dir);
        else if (access(dir, W_OK | X_OK) != 0)
            msg = why = g_strdup_printf("the folder %s: %s (uid %u)", dir,
                                        g_strerror(errno), (unsigned) geteuid());
    }
    /* "attempt to write a readonly database": say which file, and why.  A
     * reader without write access to a WAL database whose -wal and -shm
     * files are gone (another program closed it last) is told that too,
     * which puzzles anyone who only wanted to read. */
    if ((rc & 0xff) == SQLITE_READONLY && why == NULL) {
        int ext = sqlite3_extended_errcode(st->db);
        const char *file = sqlite3_db_filename(st->db, "main");
        g_autofree char *shm = g_strconcat(file ? file : st->path, "-shm", NULL);
        g_autofree char *culprit = NULL;

        if ((ext == SQLITE_READONLY_CANTINIT || ext == SQLITE_READONLY_DIRECTORY)
            && !g_file_test(shm, G_FILE_TEST_EXISTS))
            msg = "the WAL files (-wal, -shm) are missing and cannot be "
                  "created without write access to the directory; open the "
                  "database once as its owner";
        else if ((culprit = readonly_culprit(st->db)) != NULL) {
            why = g_strdup_printf("%s: %s", msg, culprit);
            msg = why;
        }
    }
    /* "disk I/O error" of a write that ran out of room: say which room. */
    if ((rc & 0xff) == SQLITE_IOERR && why == NULL && (e = no_room_errno(st->db)) != 0) {
        g_autofree char *room = no_room_words(e);

        why = g_strdup_printf("%s: %s", msg, room);
        msg = why;
    }
    g_set_error(err, STORE_ERROR, store_error_of(st->db, rc), "%s: %s: %s",
                st->path, what, msg);
}

/* A prepared statement, ready for binding. */
sqlite3_stmt *
store_sql(struct store *st, enum sql_id id)
{
    sqlite3_stmt *stmt = st->sql[id];

    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return stmt;
}

/* Reset a statement after use: ends its read and drops the bound
 * pointers, which were bound SQLITE_STATIC and are about to go away. */
void
store_done(sqlite3_stmt *stmt)
{
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
}

/* Bind text or NULL, unless an earlier bind failed (*rc). */
void
store_bind_text(sqlite3_stmt *stmt, int i, const char *s, int *rc)
{
    if (*rc != SQLITE_OK)
        return;
    *rc = s ? sqlite3_bind_text(stmt, i, s, -1, SQLITE_STATIC)
            : sqlite3_bind_null(stmt, i);
}

/* Bind an integer; 0 binds NULL when zero_is_null (ids meaning "none"). */
void
store_bind_int(sqlite3_stmt *stmt, int i, gint64 v, gboolean zero_is_null, int *rc)
{
    if (*rc != SQLITE_OK)
        return;
    *rc = zero_is_null && v == 0 ? sqlite3_bind_null(stmt, i)
                                 : sqlite3_bind_int64(stmt, i, v);
}

/* Bind bytes as a BLOB; empty stays an empty BLOB, not NULL (SQLite
 * would bind NULL for a NULL pointer, and the message may be empty). */
void
store_bind_blob(sqlite3_stmt *stmt, int i, const void *p, gsize len, int *rc)
{
    if (*rc != SQLITE_OK)
        return;
    if (len == 0)
        *rc = sqlite3_bind_zeroblob(stmt, i, 0);
    else
        *rc = sqlite3_bind_blob64(stmt, i, p, len, SQLITE_STATIC);
}

/* A copy of a text column, NULL for SQL NULL. */
char *
store_column_text(sqlite3_stmt *stmt, int i)
{
    const unsigned char *t = sqlite3_column_text(stmt, i);

    return t ? g_strdup((const char *) t) : NULL;
}

/* Run a write statement that returns no rows, then reset it. */
gboolean
store_step_write(struct store *st, sqlite3_stmt *stmt, int rc, const char *what,
                 GError **err)
{
    if (rc == SQLITE_OK)
        rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) {
        store_fail(st, err, rc, what);
        store_done(stmt);
        return FALSE;
    }
    store_done(stmt);
    return TRUE;
}

/* The first value that constant SQL text gives on db (a pragma, a
 * count): as a number in *n, or as text in *value (to free), whichever is
 * not NULL.  An SQLite result code: SQLITE_OK when read, SQLITE_DONE when
 * there was no row.  PRAGMA journal_mode answers the mode it is left in
 * rather than failing, and quick_check its findings: both must be read,
 * not just run. */
int
store_query_value(sqlite3 *db, const char *text, gint64 *n, char **value)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(db, text, -1, &stmt, NULL);

    if (value != NULL)
        *value = NULL;
    if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (n != NULL)
            *n = sqlite3_column_int64(stmt, 0);
        if (value != NULL)
            *value = store_column_text(stmt, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(stmt);
    return rc;
}

/* Read PRAGMA user_version into *version. */
static gboolean
read_user_version(struct store *st, int *version, GError **err)
{
    gint64  v = 0;
    int     rc = store_query_value(st->db, "PRAGMA user_version", &v, NULL);

    if (rc != SQLITE_OK) {
        store_fail(st, err, rc, "reading the schema version");
        return FALSE;
    }
    *version = (int) v;
    return TRUE;
}

/* Run constant SQL text (pragmas, migration steps). */
static gboolean
exec(struct store *st, const char *text, const char *what, GError **err)
{
    int rc = sqlite3_exec(st->db, text, NULL, NULL, NULL);

    if (rc != SQLITE_OK) {
        store_fail(st, err, rc, what);
        return FALSE;
    }
    return TRUE;
}

/* Put the connection in WAL mode with synchronous=FULL, and check that
 * both are in force: PRAGMA journal_mode answers the mode it is left in
 * instead of failing (a VFS without shared memory, unix-none or
 * unix-dotfile in a "file:" URI, stays in "delete"), and without WAL a
 * reader blocks liaisond's writes and each COMMIT waits for readers to
 * leave.  An in-memory database answers "memory", which is all it can
 * be.  journal_mode only when writable: a reader cannot change it. */
static gboolean
set_journal(struct store *st, GError **err)
{
    const char *file = sqlite3_db_filename(st->db, "main");
    g_autofree char *mode = NULL;
    gint64  sync = -1;
    int     rc;

    if (!st->readonly) {
        rc = store_query_value(st->db, "PRAGMA journal_mode=WAL", NULL, &mode);
        if (rc != SQLITE_OK) {
            store_fail(st, err, rc, "setting WAL mode");
            return FALSE;
        }
        if (mode == NULL
            || (g_ascii_strcasecmp(mode, "wal") != 0
                && !(g_ascii_strcasecmp(mode, "memory") == 0
                     && (file == NULL || *file == '\0')))) {
            g_set_error(err, STORE_ERROR, STORE_ERROR_OTHER,
                        "%s: setting WAL mode: the database stays in journal mode %s "
                        "(a VFS or file system without shared memory?)",
                        st->path, mode ? mode : "(none)");
            return FALSE;
        }
    }
    if (!exec(st, "PRAGMA synchronous=FULL", "setting synchronous", err))
        return FALSE;
    rc = store_query_value(st->db, "PRAGMA synchronous", &sync, NULL);
    if (rc != SQLITE_OK) {
        store_fail(st, err, rc, "reading synchronous");
        return FALSE;
    }
    if (sync != 2) {            /* 2: FULL */
        g_set_error(err, STORE_ERROR, STORE_ERROR_OTHER,
                    "%s: setting synchronous: it stays at %" G_GINT64_FORMAT ", not FULL (2)",
                    st->path, sync);
        return FALSE;
    }
    return TRUE;
}

/* Roll back whatever transaction is open; harmless when none is. */
void
store_rollback_if_open(struct store *st)
{
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Apply one migration step, from *version to *version + 1, unless another
 * process did it while we waited for the lock. */
static gboolean
migrate_step(struct store *st, int *version, GError **err)
{
    int v;

    if (!exec(st, "BEGIN IMMEDIATE", "starting a migration", err))
        return FALSE;
    if (!read_user_version(st, &v, err))
        goto fail;
    if (v > SCHEMA_VERSION) {
        g_set_error(err, STORE_ERROR, STORE_ERROR_SCHEMA,
                    "%s: schema version %d is newer than this program's %d",
                    st->path, v, SCHEMA_VERSION);
        goto fail;
    }
    if (v < SCHEMA_VERSION) {
        if (!exec(st, migrations[v], "migrating the schema", err))
            goto fail;
        *version = v + 1;
        if (!read_user_version(st, &v, err))
            goto fail;
        if (v != *version) {
            /* A step that forgot its PRAGMA would be applied again. */
            g_set_error(err, STORE_ERROR, STORE_ERROR_OTHER,
                        "%s: migration %d left user_version at %d",
                        st->path, *version, v);
            goto fail;
        }
    } else {
        *version = v;
    }
    if (!exec(st, "COMMIT", "committing a migration", err))
        goto fail;
    return TRUE;
fail:
    store_rollback_if_open(st);
    return FALSE;
}

/* Bring the schema up to SCHEMA_VERSION, or refuse a newer one.  reader:
 * opened read-only on purpose (store_open_readonly), which refuses an older
 * schema as such rather than as a write it was never meant to make. */
static gboolean
migrate(struct store *st, gboolean reader, GError **err)
{
    int version;

    if (!read_user_version(st, &version, err))
        return FALSE;
    while (version < SCHEMA_VERSION) {
        if (reader) {
            g_set_error(err, STORE_ERROR, STORE_ERROR_SCHEMA_OLD,
                        "%s: schema version %d is older than this program's %d, "
                        "and a reader does not migrate it",
                        st->path, version, SCHEMA_VERSION);
            return FALSE;
        }
        if (st->readonly) {
            g_set_error(err, STORE_ERROR, STORE_ERROR_READONLY,
                        "%s: schema version %d needs migrating to %d, "
                        "but the database is read-only",
                        st->path, version, SCHEMA_VERSION);
            return FALSE;
        }
        if (!migrate_step(st, &version, err))
            return FALSE;
    }
    if (version > SCHEMA_VERSION) {
        g_set_error(err, STORE_ERROR, STORE_ERROR_SCHEMA,
                    "%s: schema version %d is newer than this program's %d",
                    st->path, version, SCHEMA_VERSION);
        return FALSE;
    }
    return TRUE;
}

/* Open with the given SQLite flags, set the connection up, migrate and
 * prepare: the common part of store_open and store_open_readonly.  bare:
 * only opened, read-only, for store_backup (no schema check, nothing
 * prepared: a copy must be made of whatever version the file holds). */
static struct store *
open_with_flags(const char *path, int busy_timeout_ms, int flags, gboolean bare,
                GError **err)
{
    struct store *st = g_new0(struct store, 1);
    int persist = 1;
    int version;
    int rc;

    st->path = g_strdup(path);
    /* SQLite opens "" as a private temporary database, gone at close. */
    if (*path == '\0') {
        g_set_error(err, STORE_ERROR, STORE_ERROR_OTHER, "no database path given");
        store_close(st);
        return NULL;
    }
    rc = sqlite3_open_v2(path, &st->db, flags | SQLITE_OPEN_URI, NULL);
    if (rc != SQLITE_OK) {
        if (st->db)
            store_fail(st, err, rc, "opening");
        else
            g_set_error(err, STORE_ERROR, STORE_ERROR_OTHER,
                        "%s: opening: out of memory", path);
        store_close(st);
        return NULL;
    }
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, busy_timeout_ms);
    sqlite3_file_control(st->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
    /* SQLite falls back to read-only by itself when the file is not
     * writable; from here on that is the same as asking for it. */
    st->readonly = sqlite3_db_readonly(st->db, "main") == 1;
    if (bare)
        return st;
    /* A reader's first failure should say what it was doing: reading. */
    if (st->readonly && !read_user_version(st, &version, err))
        goto fail;

    /* A persistent WAL keeps the size of the largest transaction (a big
     * attachment) for ever unless it is cut back after checkpoints.
     * 16 KB pages, for a new file only (an existing one keeps its size):
     * most of what a statement writes is raw mail and attachment bytes,
     * and SQLite writes a WAL frame with two pwrite calls whatever the
     * page size, so 4 KB pages cost four times the system calls for the
     * same bytes (per message of the bench's intake mix, liaisond made
     * 87 pwrite calls with 4 KB pages and 53 with 16 KB). */
    if (!st->readonly
        && !exec(st, "PRAGMA page_size=16384", "setting the page size", err))
        goto fail;
    if (!set_journal(st, err)
        || (!st->readonly
            && !exec(st, "PRAGMA journal_size_limit=4194304",
                     "limiting the WAL size", err))
        || !exec(st, "PRAGMA foreign_keys=ON", "enabling foreign keys", err)
        || !migrate(st, (flags & SQLITE_OPEN_READONLY) != 0, err))
        goto fail;

    for (int i = 0; i < SQL_COUNT; i++) {
        rc = sqlite3_prepare_v3(st->db, sql_text[i], -1,
                                SQLITE_PREPARE_PERSISTENT, &st->sql[i], NULL);
        if (rc != SQLITE_OK) {
            store_fail(st, err, rc, "preparing statements");
            goto fail;
        }
    }
    return st;
fail:
    store_close(st);
    return NULL;
}

/* Open (creating and migrating as needed) the database at path; a path
 * starting with "file:" is an SQLite URI ("file:x.db?mode=ro"). */
struct store *
store_open(const char *path, int busy_timeout_ms, GError **err)
{
    return open_with_flags(path, busy_timeout_ms,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, FALSE, err);
}

/* Open an existing database for reading only: never creates, never
 * migrates (an older schema fails SCHEMA_OLD), every write fails READONLY
 * (liaisonctl's reading commands, and the tests reading a database a
 * daemon is writing). */
struct store *
store_open_readonly(const char *path, int busy_timeout_ms, GError **err)
{
    return open_with_flags(path, busy_timeout_ms, SQLITE_OPEN_READONLY, FALSE, err);
}

/* See store.h: an existing database opened to be copied, read-only, as
 * it is. */
struct store *
store_open_for_backup(const char *path, int busy_timeout_ms, GError **err)
{
    return open_with_flags(path, busy_timeout_ms, SQLITE_OPEN_READONLY, TRUE, err);
}

/* The schema version this program writes (the number of migrations). */
int
store_schema_version(void)
{
    return SCHEMA_VERSION;
}

/* Close; NULL is fine. */
void
store_close(struct store *st)
{
    if (!st)
        return;
    for (int i = 0; i < SQL_COUNT; i++)
        sqlite3_finalize(st->sql[i]);
    if (st->db) {
        store_rollback_if_open(st);
        sqlite3_close_v2(st->db);
    }
    g_free(st->path);
    g_free(st->as_of);
    g_free(st->txn_now);
    g_free(st);
}

/* The current UTC time as the store writes it. */
static char *
now_utc(void)
{
    GDateTime *now = g_date_time_new_now_utc();
    char *s = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");

    g_date_time_unref(now);
    return s;
}

/* See store_impl.h.  One time for a whole transaction, so that a
 * statement, its message and its events agree to the second (each row
 * taking its own now, a statement could come a second after the message
 * that made it, and export's From_ lines, which carry the message's,
 * would not give it back). */
const char *
store_row_time(struct store *st)
{
    if (st->as_of != NULL)
        return st->as_of;
    return st->txn_now != NULL && !sqlite3_get_autocommit(st->db) ? st->txn_now : NULL;
}

/* See store.h: the time the rows written from now on are dated. */
void
store_set_as_of(struct store *st, const char *utc)
{
    g_free(st->as_of);
    st->as_of = g_strdup(utc);
}

/* How long a write waits for another process's lock from now on. */
void
store_set_busy_timeout(struct store *st, int busy_timeout_ms)
{
    sqlite3_busy_timeout(st->db, busy_timeout_ms);
}

/* Rows visited by full table scans, summed over the prepared statements. */
gint64
store_scan_steps(struct store *st)
{
    gint64 n = 0;

    for (int i = 0; i < SQL_COUNT; i++)
        n += sqlite3_stmt_status(st->sql[i], SQLITE_STMTSTATUS_FULLSCAN_STEP, 0);
    return n;
}

/* BEGIN IMMEDIATE: take the write lock now, waiting up to the timeout. */
gboolean
store_begin(struct store *st, GError **err)
{
    if (st->readonly) {
        g_autofree char *culprit = readonly_culprit(st->db);

        g_set_error(err, STORE_ERROR, STORE_ERROR_READONLY,
                    "%s: starting a write: the database is open read-only%s%s",
                    st->path, culprit ? ": " : "", culprit ? culprit : "");
        return FALSE;
    }
    if (!store_step_write(st, store_sql(st, SQL_BEGIN), SQLITE_OK,
                          "starting a write transaction", err))
        return FALSE;
    g_free(st->txn_now);
    st->txn_now = now_utc();
    return TRUE;
}

/* COMMIT.  On failure the transaction is still open: roll it back. */
gboolean
store_commit(struct store *st, GError **err)
{
    return store_step_write(st, store_sql(st, SQL_COMMIT), SQLITE_OK, "committing", err);
}

/* ROLLBACK; harmless when no transaction is open (SQLite may already
 * have rolled back by itself after a full disk or an I/O error). */
void
store_rollback(struct store *st)
{
    if (!st || sqlite3_get_autocommit(st->db))
        return;
    sqlite3_step(store_sql(st, SQL_ROLLBACK));
    store_done(st->sql[SQL_ROLLBACK]);
}

/* The incoming message with this Message-ID (or none) and body hash. */
gint64
store_find_message(struct store *st, const char *message_id,
                   const char *body_sha256, gint64 *statement_id,
                   char **kind, GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, SQL_FIND_MESSAGE);
    gint64 row = 0;
    int rc = SQLITE_OK;

    if (statement_id)
        *statement_id = 0;
    if (kind)
        *kind = NULL;
    store_bind_text(stmt, 1, message_id, &rc);
    store_bind_text(stmt, 2, body_sha256, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        row = sqlite3_column_int64(stmt, 0);
        if (statement_id)
            *statement_id = sqlite3_column_int64(stmt, 1);
        if (kind)
            *kind = g_strdup((const char *) sqlite3_column_text(stmt, 2));
    } else if (rc != SQLITE_DONE) {
        store_fail(st, err, rc, "looking up a message");
        row = -1;
    }
    store_done(stmt);
    return row;
}

/* The statement a Message-ID belongs to, through its messages or its own
 * message_id column. */
gint64
store_statement_by_message_id(struct store *st, const char *message_id,
                              GError **err)
{
    sqlite3_stmt *stmt;
    gint64 id = 0;
    int rc = SQLITE_OK;

    if (!message_id)
        return 0;
    stmt = store_sql(st, SQL_STATEMENT_BY_MESSAGE_ID);
    store_bind_text(stmt, 1, message_id, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        id = sqlite3_column_int64(stmt, 0);
    } else if (rc != SQLITE_DONE) {
        store_fail(st, err, rc, "looking up a Message-ID");
        id = -1;
    }
    store_done(stmt);
    return id;
}

/* The first statement whose own Message-ID this is that accept takes
 * (given its From and forwarder as recorded, and whether the id is that
 * of the forward that carried it rather than the statement's own); 0 if
 * none, -1 on a failure.  Only statement rows: a reply or an auto-reply
 * that took the id first never counts. */
gint64
store_statement_by_own_message_id(struct store *st, const char *message_id,
                                  store_own_id_fn accept, gpointer data, GError **err)
{
    sqlite3_stmt *stmt;
    gint64 id = 0;
    int rc = SQLITE_OK;

    if (message_id == NULL)
        return 0;
    stmt = store_sql(st, SQL_STATEMENT_BY_OWN_MESSAGE_ID);
    store_bind_text(stmt, 1, message_id, &rc);
    while (rc == SQLITE_OK && id == 0 && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (accept((const char *) sqlite3_column_text(stmt, 1),
                   (const char *) sqlite3_column_text(stmt, 2),
                   sqlite3_column_int(stmt, 3) != 0, data))
            id = sqlite3_column_int64(stmt, 0);
        rc = SQLITE_OK;
    }
    if (rc != SQLITE_OK && rc != SQLITE_DONE) {
        store_fail(st, err, rc, "looking up a statement's Message-ID");
        id = -1;
    }
    store_done(stmt);
    return id;
}

/* Whether addr is one of statement id's contacts or routed recipients,
 * and then its title. */
int
store_statement_knows_address(struct store *st, gint64 id, const char *addr, char **title,
                              GError **err)
{
    sqlite3_stmt *stmt;
    int rc = SQLITE_OK, known = 0;

    *title = NULL;
    if (addr == NULL)
        return 0;
    stmt = store_sql(st, SQL_KNOWS_ADDRESS);
    rc = sqlite3_bind_int64(stmt, 1, id);
    store_bind_text(stmt, 2, addr, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        known = 1;
        *title = store_column_text(stmt, 0);
    } else if (rc != SQLITE_DONE) {
        store_fail(st, err, rc, "looking up a statement's contacts");
        known = -1;
    }
    store_done(stmt);
    return known;
}

/* Record a message verbatim. */
gint64
store_add_message(struct store *st, gint64 statement_id, const char *direction,
                  const char *kind, const char *message_id,
                  const char *body_sha256, const char *raw, gsize len,
                  GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, SQL_ADD_MESSAGE);
    int rc = SQLITE_OK;

    store_bind_int(stmt, 1, statement_id, TRUE, &rc);
    store_bind_text(stmt, 2, direction, &rc);
    store_bind_text(stmt, 3, kind, &rc);
    store_bind_text(stmt, 4, message_id, &rc);
    store_bind_text(stmt, 5, body_sha256, &rc);
    store_bind_blob(stmt, 6, raw, len, &rc);
    store_bind_text(stmt, 7, store_row_time(st), &rc);
    if (!store_step_write(st, stmt, rc, "recording a message", err))
        return 0;
    return sqlite3_last_insert_rowid(st->db);
}

/* Bytes copied between a stream and a blob at a time. */
#define BLOB_CHUNK  65536

/* Copy len bytes of src (from its start) into column of the row just
 * inserted into table, which holds a zeroblob of that size, in chunks.
 */
static gboolean
blob_from_stream(struct store *st, const char *table, const char *column,
                 GMimeStream *src, gint64 len, GError **err)
{
    sqlite3_blob *blob = NULL;
    char   *buf = g_malloc(BLOB_CHUNK);
    gint64  off = 0;
    gboolean ok = FALSE;
    int     rc;

    rc = sqlite3_blob_open(st->db, "main", table, column,
                           sqlite3_last_insert_rowid(st->db), 1, &blob);
    if (rc != SQLITE_OK) {
        store_fail(st, err, rc, "opening a blob for writing");
        goto out;
    }
    if (g_mime_stream_reset(src) == -1) {
        g_set_error(err, STORE_ERROR, STORE_ERROR_OTHER, "%s: rewinding %s.%s: %s",
                    st->path, table, column, g_strerror(errno));
        goto out;
    }
    while (off < len) {
        gssize n = g_mime_stream_read(src, buf, (size_t) MIN(len - off, BLOB_CHUNK));

        if (n <= 0) {
            g_set_error(err, STORE_ERROR, STORE_ERROR_OTHER,
                        "%s: reading the bytes of %s.%s: %s", st->path, table,
                        column, n < 0 ? g_strerror(errno) : "shorter than its length");
            goto out;
        }
        rc = sqlite3_blob_write(blob, buf, (int) n, (int) off);
        if (rc != SQLITE_OK) {
            store_fail(st, err, rc, "writing a blob");
            goto out;
        }
        off += n;
    }
    ok = TRUE;
out:
    if (blob != NULL) {
        rc = sqlite3_blob_close(blob);
        if (ok && rc != SQLITE_OK) {
            store_fail(st, err, rc, "closing a blob");
            ok = FALSE;
        }
    }
    g_free(buf);
    g_mime_stream_reset(src);
    return ok;
}

/* The length of a stream, or -1 with *err; blobs are at most 2 GB
 * (sqlite3_blob_write takes int offsets). */
static gint64
stream_blob_length(struct store *st, GMimeStream *src, const char *what,
                   GError **err)
{
    gint64 len = g_mime_stream_length(src);

    if (len < 0 || len > G_MAXINT) {
        g_set_error(err, STORE_ERROR, STORE_ERROR_OTHER,
                    "%s: %s: cannot tell its length, or over 2 GB", st->path, what);
        return -1;
    }
    return len;
}

/* Record a message verbatim from a stream, in chunks. */
gint64
store_add_message_stream(struct store *st, gint64 statement_id,
                         const char *direction, const char *kind,
                         const char *message_id, const char *body_sha256,
                         GMimeStream *raw, GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, SQL_ADD_MESSAGE);
    gint64 len = stream_blob_length(st, raw, "recording a message", err);
    int rc = SQLITE_OK;

    if (len < 0)
        return 0;
    /* The row goes in with zeros and the bytes after it: outside a
     * transaction a failure between the two would commit the zeros, and
     * the retry would be taken for a duplicate of them. */
    if (sqlite3_get_autocommit(st->db)) {
        g_set_error(err, STORE_ERROR, STORE_ERROR_OTHER,
                    "%s: recording a message from a stream needs a transaction", st->path);
        return 0;
    }
    store_bind_int(stmt, 1, statement_id, TRUE, &rc);
    store_bind_text(stmt, 2, direction, &rc);
    store_bind_text(stmt, 3, kind, &rc);
    store_bind_text(stmt, 4, message_id, &rc);
    store_bind_text(stmt, 5, body_sha256, &rc);
    store_bind_text(stmt, 7, store_row_time(st), &rc);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_zeroblob64(stmt, 6, (sqlite3_uint64) len);
    if (!store_step_write(st, stmt, rc, "recording a message", err)
        || !blob_from_stream(st, "message", "raw", raw, len, err))
        return 0;
    return sqlite3_last_insert_rowid(st->db);
}

/* Point a recorded message at its statement, and give it a new kind. */
gboolean
store_link_message(struct store *st, gint64 message_row, gint64 statement_id,
                   const char *kind, GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, SQL_LINK_MESSAGE);
    int rc = SQLITE_OK;

    store_bind_int(stmt, 1, message_row, FALSE, &rc);
    store_bind_int(stmt, 2, statement_id, TRUE, &rc);
    store_bind_text(stmt, 3, kind, &rc);
    if (!store_step_write(st, stmt, rc, "linking a message", err))
        return FALSE;
    if (sqlite3_changes(st->db) == 0) {
        g_set_error(err, STORE_ERROR, STORE_ERROR_NOTFOUND,
                    "%s: linking a message: no message %" G_GINT64_FORMAT,
                    st->path, message_row);
        return FALSE;
    }
    return TRUE;
}

/* Append to the event log. */
gboolean
store_add_event(struct store *st, gint64 statement_id, gint64 message_row,
                const char *what, const char *actor, const char *detail,
                GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, SQL_ADD_EVENT);
    int rc = SQLITE_OK;

    store_bind_int(stmt, 1, statement_id, TRUE, &rc);
    store_bind_int(stmt, 2, message_row, TRUE, &rc);
    store_bind_text(stmt, 3, what, &rc);
    store_bind_text(stmt, 4, actor, &rc);
    store_bind_text(stmt, 5, detail, &rc);
    store_bind_text(stmt, 6, store_row_time(st), &rc);
    return store_step_write(st, stmt, rc, "recording an event", err);
}

/* Where the list of a statement_item kind lives in a statement. */
static GPtrArray **
item_list(struct statement *s, enum item_kind k)
{
    switch (k) {
    case ITEM_TO:               return &s->env->to_list;
    case ITEM_INFO_TO:          return &s->env->info_to;
    case ITEM_OTHER_IDENTIFIER: return &s->env->other_identifiers;
    case ITEM_RELATED:          return &s->env->related;
    case ITEM_REFERENCE:        return &s->env->references;
    case ITEM_GROUP:            return &s->groups;
    case ITEM_INFO_GROUP:       return &s->info_groups;
    default:                    g_assert_not_reached();
    }
}

/* Where the contacts of a statement_contact kind live. */
static GPtrArray **
contact_list(struct statement *s, enum contact_kind k)
{
    switch (k) {
    case CONTACT_RESPONSE:  return &s->env->response_contacts;
    case CONTACT_TECHNICAL: return &s->env->technical_contacts;
    case CONTACT_CC:        return &s->env->cc;
    default:                g_assert_not_reached();
    }
}

/* Insert the statement row itself; its id in *id. */
static gboolean
add_statement_row(struct store *st, const struct statement *s, gint64 *id,
                  GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, SQL_ADD_STATEMENT);
    const struct envelope *env = s->env;
    int rc = SQLITE_OK;

    store_bind_text(stmt, 1, s->received, &rc);
    store_bind_text(stmt, 2, s->state, &rc);
    store_bind_text(stmt, 3, s->message_id, &rc);
    store_bind_text(stmt, 4, s->forwarded_by, &rc);
    store_bind_text(stmt, 5, s->header_from, &rc);
    store_bind_text(stmt, 6, s->subject, &rc);
    store_bind_text(stmt, 7, env ? env->title : NULL, &rc);
    store_bind_text(stmt, 8, env ? env->from_body : NULL, &rc);
    store_bind_text(stmt, 9, env ? env->to_body : NULL, &rc);
    store_bind_text(stmt, 10, env ? purpose_name(env->purpose) : NULL, &rc);
    store_bind_text(stmt, 11, env ? env->deadline : NULL, &rc);
    store_bind_text(stmt, 12, env ? env->body : NULL, &rc);
    store_bind_int(stmt, 13, env ? env->labels : 0, FALSE, &rc);
    store_bind_text(stmt, 14, s->peer, &rc);
    store_bind_text(stmt, 15, s->assignee, &rc);
    if (!store_step_write(st, stmt, rc, "recording a statement", err))
        return FALSE;
    *id = sqlite3_last_insert_rowid(st->db);
    return TRUE;
}

/* Insert the contacts and the lists of words of statement id. */
static gboolean
add_contacts_and_items(struct store *st, struct statement *s, gint64 id,
                       GError **err)
{
    for (int k = 0; k < CONTACT_KINDS; k++) {
        GPtrArray *list = s->env ? *contact_list(s, k) : NULL;

        for (guint i = 0; list && i < list->len; i++) {
            const struct contact *c = g_ptr_array_index(list, i);
            sqlite3_stmt *stmt = store_sql(st, SQL_ADD_CONTACT);
            int rc = SQLITE_OK;

            store_bind_int(stmt, 1, id, FALSE, &rc);
            store_bind_text(stmt, 2, contact_kind_name[k], &rc);
            store_bind_int(stmt, 3, i, FALSE, &rc);
            store_bind_text(stmt, 4, c ? c->name : NULL, &rc);
            store_bind_text(stmt, 5, c ? c->addr : NULL, &rc);
            if (!store_step_write(st, stmt, rc, "recording a contact", err))
                return FALSE;
        }
    }
    for (int k = 0; k < ITEM_KINDS; k++) {
        GPtrArray *list;

        if (!s->env && k != ITEM_GROUP && k != ITEM_INFO_GROUP)
            continue;
        list = *item_list(s, k);
        for (guint i = 0; list && i < list->len; i++) {
            sqlite3_stmt *stmt = store_sql(st, SQL_ADD_ITEM);
            int rc = SQLITE_OK;

            store_bind_int(stmt, 1, id, FALSE, &rc);
            store_bind_text(stmt, 2, item_kind_name[k], &rc);
            store_bind_int(stmt, 3, i, FALSE, &rc);
            store_bind_text(stmt, 4, g_ptr_array_index(list, i), &rc);
            if (!store_step_write(st, stmt, rc, "recording a statement list", err))
                return FALSE;
        }
    }
    return TRUE;
}

/* Insert one attachment, its bytes and their digest. */
static gboolean
add_attachment(struct store *st, gint64 id, guint position,
               const struct attachment *a, GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, SQL_ADD_ATTACHMENT);
    const void *data = NULL;
    gsize size = a->size;
    char *digest = NULL;
    gboolean ok;
    int rc = SQLITE_OK;

    gint64 flen = 0;

    /* The digest and size stored are those of the bytes stored, whatever
     * the struct claims, so that they can be checked on the way out.  For
     * bytes in a file, the size is the file's, and the digest is the one
     * message.c computed while writing that file: computing it again
     * would cost a second pass over a large attachment. */
    if (a->data) {
        data = g_bytes_get_data(a->data, &size);
        digest = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, a->data);
    } else if (a->file) {
        if ((flen = stream_blob_length(st, a->file, "recording an attachment", err)) < 0)
            return FALSE;
        size = (gsize) flen;
    }
    store_bind_int(stmt, 1, id, FALSE, &rc);
    store_bind_int(stmt, 2, position, FALSE, &rc);
    store_bind_text(stmt, 3, a->name, &rc);
    store_bind_text(stmt, 4, a->type, &rc);
    store_bind_int(stmt, 5, (gint64) size, FALSE, &rc);
    store_bind_text(stmt, 6, digest ? digest : (a->sha256[0] ? a->sha256 : NULL), &rc);
    if (a->data)
        store_bind_blob(stmt, 7, data, size, &rc);
    else if (a->file && rc == SQLITE_OK)
        rc = sqlite3_bind_zeroblob64(stmt, 7, (sqlite3_uint64) flen);
    ok = store_step_write(st, stmt, rc, "recording an attachment", err)
         && (a->data || !a->file
             || blob_from_stream(st, "attachment", "data", a->file, flen, err));
    g_free(digest);
    return ok;
}

/* Insert routing's recipients, the attachments and the diagnostics. */
static gboolean
add_recipients_attachments_diagnostics(struct store *st, struct statement *s,
                                       gint64 id, GError **err)
{
    for (guint i = 0; s->recipients && i < s->recipients->len; i++) {
        const struct recipient *r = g_ptr_array_index(s->recipients, i);
        sqlite3_stmt *stmt = store_sql(st, SQL_ADD_RECIPIENT);
        int rc = SQLITE_OK;

        store_bind_int(stmt, 1, id, FALSE, &rc);
        store_bind_int(stmt, 2, i, FALSE, &rc);
        store_bind_text(stmt, 3, r->addr, &rc);
        store_bind_text(stmt, 4, r->role, &rc);
        if (!store_step_write(st, stmt, rc, "recording a recipient", err))
            return FALSE;
    }
    for (guint i = 0; s->attachments && i < s->attachments->len; i++)
        if (!add_attachment(st, id, i, g_ptr_array_index(s->attachments, i), err))
            return FALSE;
    for (guint i = 0; s->diagnostics && i < s->diagnostics->len; i++) {
        const struct diagnostic *d = g_ptr_array_index(s->diagnostics, i);
        sqlite3_stmt *stmt = store_sql(st, SQL_ADD_DIAGNOSTIC);
        int rc = SQLITE_OK;

        store_bind_int(stmt, 1, id, FALSE, &rc);
        store_bind_int(stmt, 2, i, FALSE, &rc);
        store_bind_text(stmt, 3, d->code, &rc);
        store_bind_text(stmt, 4, d->text, &rc);
        if (!store_step_write(st, stmt, rc, "recording a diagnostic", err))
            return FALSE;
    }
    return TRUE;
}

/* Record a statement and all its parts; call inside store_begin so that
 * a failure half way leaves nothing behind.  Fills in received (now, or
 * the store's as-of time) and state ("open") when unset, so s matches the
 * row. */
gint64
store_add_statement(struct store *st, struct statement *s, GError **err)
{
    gint64 id;

    if (!s->received) {
        const char *t = store_row_time(st);

        s->received = t != NULL ? g_strdup(t) : now_utc();
    }
    if (!s->state)
        s->state = g_strdup("open");
    if (!add_statement_row(st, s, &id, err)
        || !add_contacts_and_items(st, s, id, err)
        || !add_recipients_attachments_diagnostics(st, s, id, err))
        return 0;
    s->id = id;
    return id;
}

/* The purpose named in the purpose column; names written by purpose_name
 * are matched exactly so that the round trip cannot drift. */
static enum purpose
purpose_from_column(const char *name)
{
    if (!name)
        return PURPOSE_NONE;
    for (enum purpose p = PURPOSE_INFORMATION; p <= PURPOSE_RESPONSE; p++) {
        const char *n = purpose_name(p);

        if (n && strcmp(n, name) == 0)
            return p;
    }
    return purpose_parse(name);
}

/* Replace *field by a copy of a text column. */
static void
take_text(char **field, sqlite3_stmt *stmt, int i)
{
    g_free(*field);
    *field = store_column_text(stmt, i);
}

/* Fill the scalar fields of s from its statement row. */
static gboolean
load_statement_row(struct store *st, struct statement *s, GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, SQL_GET_STATEMENT);
    int rc = SQLITE_OK;

    store_bind_int(stmt, 1, s->id, FALSE, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
        g_set_error(err, STORE_ERROR, STORE_ERROR_NOTFOUND,
                    "%s: no statement %" G_GINT64_FORMAT, st->path, s->id);
        store_done(stmt);
        return FALSE;
    }
    if (rc != SQLITE_ROW) {
        store_fail(st, err, rc, "reading a statement");
        store_done(stmt);
        return FALSE;
    }
    take_text(&s->received, stmt, 0);
    take_text(&s->state, stmt, 1);
    take_text(&s->message_id, stmt, 2);
    take_text(&s->forwarded_by, stmt, 3);
    take_text(&s->header_from, stmt, 4);
    take_text(&s->subject, stmt, 5);
    take_text(&s->env->title, stmt, 6);
    take_text(&s->env->from_body, stmt, 7);
    take_text(&s->env->to_body, stmt, 8);
    s->env->purpose = purpose_from_column((const char *) sqlite3_column_text(stmt, 9));
    take_text(&s->env->deadline, stmt, 10);
    take_text(&s->env->body, stmt, 11);
    s->env->labels = sqlite3_column_int(stmt, 12);
    take_text(&s->peer, stmt, 13);
    take_text(&s->assignee, stmt, 14);
    take_text(&s->closed, stmt, 15);
    take_text(&s->replied, stmt, 16);
    s->answered = sqlite3_column_int(stmt, 17) != 0;
    store_done(stmt);
    return TRUE;
}

/* The index of name in names[n], or -1. */
static int
kind_index(const char *const *names, int n, const char *name)
{
    for (int i = 0; name && i < n; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

/* Finish a read loop: TRUE when it ended normally. */
gboolean
store_read_done(struct store *st, sqlite3_stmt *stmt, int rc, const char *what,
                GError **err)
{
    store_done(stmt);
    if (rc != SQLITE_DONE) {
        store_fail(st, err, rc, what);
        return FALSE;
    }
    return TRUE;
}

/* Load the contacts and the lists of words of s. */
static gboolean
load_contacts_and_items(struct store *st, struct statement *s, GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, SQL_GET_CONTACTS);
    int rc = SQLITE_OK;

    store_bind_int(stmt, 1, s->id, FALSE, &rc);
    while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        int k = kind_index(contact_kind_name, CONTACT_KINDS,
                           (const char *) sqlite3_column_text(stmt, 0));
        GPtrArray **list;

        if (k < 0) {            /* the CHECK constraint rules this out */
            rc = SQLITE_OK;
            continue;
        }
        list = contact_list(s, k);
        if (!*list)
            *list = g_ptr_array_new_with_free_func(contact_free);
        g_ptr_array_add(*list,
                        contact_new((const char *) sqlite3_column_text(stmt, 1),
                                    (const char *) sqlite3_column_text(stmt, 2)));
        rc = SQLITE_OK;
    }
    if (!store_read_done(st, stmt, rc, "reading contacts", err))
        return FALSE;

    stmt = store_sql(st, SQL_GET_ITEMS);
    rc = SQLITE_OK;
    store_bind_int(stmt, 1, s->id, FALSE, &rc);
    while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        int k = kind_index(item_kind_name, ITEM_KINDS,
                           (const char *) sqlite3_column_text(stmt, 0));
        GPtrArray **list;

        if (k < 0) {
            rc = SQLITE_OK;
            continue;
        }
        list = item_list(s, k);
        if (!*list)
            *list = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(*list, store_column_text(stmt, 1));
        rc = SQLITE_OK;
    }
    return store_read_done(st, stmt, rc, "reading statement lists", err);
}

/* Load the recipients and diagnostics of s. */
static gboolean
load_recipients_diagnostics(struct store *st, struct statement *s, GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, SQL_GET_RECIPIENTS);
    int rc = SQLITE_OK;

    if (!s->recipients)
        s->recipients = g_ptr_array_new_with_free_func(recipient_free);
    store_bind_int(stmt, 1, s->id, FALSE, &rc);
    while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        g_ptr_array_add(s->recipients,
                        recipient_new((const char *) sqlite3_column_text(stmt, 0),
                                      (const char *) sqlite3_column_text(stmt, 1)));
        rc = SQLITE_OK;
    }
    if (!store_read_done(st, stmt, rc, "reading recipients", err))
        return FALSE;

    if (!s->diagnostics)
        s->diagnostics = g_ptr_array_new_with_free_func(diagnostic_free);
    stmt = store_sql(st, SQL_GET_DIAGNOSTICS);
    rc = SQLITE_OK;
    store_bind_int(stmt, 1, s->id, FALSE, &rc);
    while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        g_ptr_array_add(s->diagnostics,
                        diagnostic_new((const char *) sqlite3_column_text(stmt, 0),
                                       (const char *) sqlite3_column_text(stmt, 1)));
        rc = SQLITE_OK;
    }
    return store_read_done(st, stmt, rc, "reading diagnostics", err);
}

/* One attachment from the current row: name, type, size, sha256, data. */
static struct attachment *
attachment_from_row(struct store *st, sqlite3_stmt *stmt, GError **err)
{
    const char *sha = (const char *) sqlite3_column_text(stmt, 3);
    GBytes *data = NULL;
    struct attachment *a;

    if (sqlite3_column_type(stmt, 4) != SQLITE_NULL) {
        const void *p = sqlite3_column_blob(stmt, 4);
        int len = sqlite3_column_bytes(stmt, 4);
        char *digest;

        data = g_bytes_new(p, len);
        /* Bytes that no longer match their digest are not handed out as
         * if they were the attachment that arrived. */
        digest = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, data);
        if (!sha || strcmp(digest, sha) != 0) {
            g_set_error(err, STORE_ERROR, STORE_ERROR_CORRUPT,
                        "%s: attachment %s: bytes do not match their SHA-256",
                        st->path, sqlite3_column_text(stmt, 0));
            g_free(digest);
            g_bytes_unref(data);
            return NULL;
        }
        g_free(digest);
    }
    a = attachment_new((const char *) sqlite3_column_text(stmt, 0),
                       (const char *) sqlite3_column_text(stmt, 1), data);
    if (data)
        g_bytes_unref(data);
    a->size = (gsize) sqlite3_column_int64(stmt, 2);
    g_strlcpy(a->sha256, sha ? sha : "", sizeof a->sha256);
    return a;
}

/* Load the attachments of s, with their bytes or without. */
static gboolean
load_attachments(struct store *st, struct statement *s, gboolean with_data,
                 GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, with_data ? SQL_GET_ATTACHMENTS
                                                 : SQL_GET_ATTACHMENTS_NO_DATA);
    int rc = SQLITE_OK;

    if (!s->attachments)
        s->attachments = g_ptr_array_new_with_free_func(attachment_free);
    store_bind_int(stmt, 1, s->id, FALSE, &rc);
    if (with_data)
        store_bind_int(stmt, 2, STORE_ATTACHMENT_LOAD_MAX, FALSE, &rc);
    while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        struct attachment *a = attachment_from_row(st, stmt, err);

        if (!a) {
            store_done(stmt);
            return FALSE;
        }
        g_ptr_array_add(s->attachments, a);
        rc = SQLITE_OK;
    }
    return store_read_done(st, stmt, rc, "reading attachments", err);
}

/* Load statement id and all its parts. */
static struct statement *
load_statement(struct store *st, gint64 id, gboolean with_data, GError **err)
{
    struct statement *s = statement_new();

    if (!s->env)
        s->env = envelope_new();
    s->id = id;
    if (!load_statement_row(st, s, err)
        || !load_contacts_and_items(st, s, err)
        || !load_recipients_diagnostics(st, s, err)
        || !load_attachments(st, s, with_data, err)) {
        statement_free(s);
        return NULL;
    }
    return s;
}

/* Load a statement with its attachments' bytes. */
struct statement *
store_get_statement(struct store *st, gint64 id, GError **err)
{
    return load_statement(st, id, TRUE, err);
}

/* Call fn for each statement in id order, attachments without bytes.  The
 * ids are read first so that fn may use the store itself. */
gboolean
store_list(struct store *st,
           gboolean (*fn)(const struct statement *s, gpointer data),
           gpointer data, GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, SQL_LIST_IDS);
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(gint64));
    gboolean ok = TRUE;
    int rc;

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        gint64 id = sqlite3_column_int64(stmt, 0);

        g_array_append_val(ids, id);
    }
    if (!store_read_done(st, stmt, rc, "listing statements", err)) {
        g_array_free(ids, TRUE);
        return FALSE;
    }
    for (guint i = 0; ok && i < ids->len; i++) {
        struct statement *s = load_statement(st, g_array_index(ids, gint64, i),
                                                   FALSE, err);
        gboolean more;

        if (!s) {
            ok = FALSE;
            break;
        }
        more = fn(s, data);
        statement_free(s);
        if (!more)
            break;
    }
    g_array_free(ids, TRUE);
    return ok;
}

/* Copy an attachment's bytes to out in chunks, with incremental blob I/O:
 * a 50 MB attachment never whole in memory. */
gboolean
store_attachment_write(struct store *st, gint64 statement_id, guint position,
                       GOutputStream *out, GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, SQL_ATTACHMENT_BLOB);
    sqlite3_blob *blob = NULL;
    gint64  rowid = 0;
    gboolean has_data = FALSE, ok = FALSE;
    char   *buf = NULL;
    int     rc = SQLITE_OK, len, off;

    store_bind_int(stmt, 1, statement_id, FALSE, &rc);
    store_bind_int(stmt, 2, position, FALSE, &rc);
    if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        rowid = sqlite3_column_int64(stmt, 0);
        has_data = sqlite3_column_int(stmt, 1) != 0;
    }
    if (!store_read_done(st, stmt, rc == SQLITE_ROW ? SQLITE_DONE : rc,
                         "finding an attachment", err))
        return FALSE;
    if (rowid == 0 || !has_data) {
        g_set_error(err, STORE_ERROR, STORE_ERROR_NOTFOUND,
                    "%s: statement %" G_GINT64_FORMAT " has no attachment %u with bytes",
                    st->path, statement_id, position);
        return FALSE;
    }
    rc = sqlite3_blob_open(st->db, "main", "attachment", "data", rowid, 0, &blob);
    if (rc != SQLITE_OK) {
        store_fail(st, err, rc, "opening an attachment's bytes");
        goto out;
    }
    buf = g_malloc(BLOB_CHUNK);
    len = sqlite3_blob_bytes(blob);
    for (off = 0; off < len; off += BLOB_CHUNK) {
        int     n = MIN(len - off, BLOB_CHUNK);

        rc = sqlite3_blob_read(blob, buf, n, off);
        if (rc != SQLITE_OK) {
            store_fail(st, err, rc, "reading an attachment's bytes");
            goto out;
        }
        if (!g_output_stream_write_all(out, buf, (gsize) n, NULL, NULL, err))
            goto out;
    }
    ok = TRUE;
out:
    if (blob != NULL)
        sqlite3_blob_close(blob);
    g_free(buf);
    return ok;
}

/* The raw bytes of a recorded message, exactly as stored. */
GBytes *
store_raw_message(struct store *st, gint64 message_row, GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, SQL_RAW_MESSAGE);
    GBytes *raw = NULL;
    int rc = SQLITE_OK;

    store_bind_int(stmt, 1, message_row, FALSE, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        const void *p = sqlite3_column_blob(stmt, 0);
        int len = sqlite3_column_bytes(stmt, 0);

        raw = g_bytes_new(p, len);
    } else if (rc == SQLITE_DONE) {
        g_set_error(err, STORE_ERROR, STORE_ERROR_NOTFOUND,
                    "%s: no message %" G_GINT64_FORMAT, st->path, message_row);
    } else {
        store_fail(st, err, rc, "reading a message");
    }
    store_done(stmt);
    return raw;
}

/* Give fn each message received (not the mail sent), in the order they
 * came, one statement's (all when statement is 0), received on the days
 * since to until (YYYY-MM-DD; NULL: no bound), as one SQL statement reads
 * them: one snapshot, however the database changes meanwhile.  fn returns
 * FALSE to stop early, which is no failure. */
gboolean
store_export(struct store *st, gint64 statement, const char *since, const char *until,
             gboolean (*fn)(const struct store_export_row *r, gpointer data),
             gpointer data, GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, SQL_EXPORT);
    int rc = SQLITE_OK;

    store_bind_int(stmt, 1, statement, FALSE, &rc);
    store_bind_text(stmt, 2, since, &rc);
    store_bind_text(stmt, 3, until, &rc);
    while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        struct store_export_row r = {
            .id = sqlite3_column_int64(stmt, 0),
            .statement = sqlite3_column_int64(stmt, 1),
            .kind = (const char *) sqlite3_column_text(stmt, 2),
            .received = (const char *) sqlite3_column_text(stmt, 3),
            .raw = sqlite3_column_blob(stmt, 4),
            .len = (gsize) sqlite3_column_bytes(stmt, 4),
        };

        if (!fn(&r, data)) {
            rc = SQLITE_DONE;
            break;
        }
        rc = SQLITE_OK;
    }
    return store_read_done(st, stmt, rc, "reading the messages", err);
}

/* The row of the message that created statement id (0 if none, -1 with
 * *err on failure). */
gint64
store_statement_message(struct store *st, gint64 statement_id, GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, SQL_STATEMENT_MESSAGE);
    gint64 row = 0;
    int rc = SQLITE_OK;

    store_bind_int(stmt, 1, statement_id, FALSE, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        row = sqlite3_column_int64(stmt, 0);
    else if (rc != SQLITE_DONE) {
        store_fail(st, err, rc, "finding a statement's message");
        row = -1;
    }
    store_done(stmt);
    return row;
}

/* A statement without its attachments' bytes. */
struct statement *
store_get_statement_meta(struct store *st, gint64 id, GError **err)
{
    return load_statement(st, id, FALSE, err);
}

/* Read meta value key into *value (NULL when unset). */
static gboolean
meta_get(struct store *st, const char *key, char **value, GError **err)
{
    sqlite3_stmt *stmt = store_sql(st, SQL_META_GET);
    int rc = SQLITE_OK;

    *value = NULL;
    store_bind_text(stmt, 1, key, &rc);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        *value = store_column_text(stmt, 0);
        rc = SQLITE_DONE;
    }
    return store_read_done(st, stmt, rc, "reading a setting", err);
}

/* The database's secret (64 hex digits), made from the kernel's random
 * source the first time it is asked for; NULL with *err on failure. */
char *
store_secret(struct store *st, GError **err)
{
    char *value = NULL;
    guint8 raw[32];
    g_autofree char *hex = NULL;
    sqlite3_stmt *stmt;
    int rc = SQLITE_OK;

    if (!meta_get(st, "secret", &value, err) || value != NULL)
        return value;
    if (getrandom(raw, sizeof raw, 0) != (ssize_t) sizeof raw) {
        g_set_error(err, STORE_ERROR, STORE_ERROR_OTHER, "getrandom: %s", g_strerror(errno));
        return NULL;
    }
    hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, raw, sizeof raw);
    stmt = store_sql(st, SQL_META_ADD);
    store_bind_text(stmt, 1, "secret", &rc);
    store_bind_text(stmt, 2, hex, &rc);
    if (!store_step_write(st, stmt, rc, "storing the secret", err))
        return NULL;
    return meta_get(st, "secret", &value, err) ? value : NULL;
}
