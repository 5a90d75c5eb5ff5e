/*
 * tickle.h: the tickler: which open statements need a reminder today, and
 * queuing those reminders, once each.
 *
 * Policy (defaults): before the deadline, reminders 14, 7, 3, 1 and 0 days
 * ahead; once overdue, one every overdue_interval days until the statement
 * is closed or a response is recorded (no stop after 14 days, unlike the
 * datatracker; a response recorded before the statement was last reopened
 * or given a new deadline no longer counts); For Information statements
 * are never tickled; For Action or For Comment without a deadline are
 * tickled once they are no_deadline_age days old, then every
 * overdue_interval days.
 *
 * Each reminder has a key (statement, point) stored with a UNIQUE
 * constraint in the same transaction as its outbox row, so a second run on
 * the same day, or two runs at once, queue nothing new.
 */
#ifndef LIAISON_TICKLE_H
#define LIAISON_TICKLE_H

#include <stdio.h>

#include <glib.h>

#include "compose.h"
#include "config_file.h"
#include "envelope.h"
#include "store.h"

#define TICKLE_MAX_BEFORE 16

struct tickle_policy {
    int     before[TICKLE_MAX_BEFORE];  /* days ahead, e.g. 14 7 3 1 0 */
    int     nbefore;
    int     overdue_interval;           /* days, default 7 */
    int     no_deadline_age;            /* days, default 30 */
};

struct tickle_summary {
    unsigned looked_at;         /* open statements considered */
    unsigned due;               /* reminders before the deadline */
    unsigned overdue;
    unsigned no_deadline;
    unsigned already;           /* due today but queued by an earlier run */
};

/* What the policy needs to know about one statement. */
struct tickle_facts {
    enum purpose purpose;
    const GDate *deadline;              /* NULL: none */
    const GDate *received;              /* the day it arrived (UTC) */
    gboolean open;                      /* state is "open" */
    gboolean responded;                 /* a response is recorded (replied)
                                           and stands: no reopen nor new
                                           deadline since */
};

/* A reminder point: one moment of a statement's schedule. */
struct tickle_point {
    const char *kind;                   /* "due", "overdue", "no-deadline" */
    int     days;                       /* until the deadline (due), past it
                                           (overdue), since arrival
                                           (no-deadline), counted from today */
    char    key[32];                    /* stable: "before-7", "overdue-2",
                                           "no-deadline-1" */
    GDate   day;                        /* the day the point fell on */
};

/* Fill a policy with the defaults. */
void    tickle_policy_default(struct tickle_policy *p);
/* Parse "14,7,3,1,0" into p->before; FALSE on a bad list. */
gboolean tickle_policy_parse_before(struct tickle_policy *p, const char *list);
/* Fill p from the configuration's tickle_* keys; FALSE with *err when
 * tickle_before is not a list of days. */
gboolean tickle_policy_from_config(struct tickle_policy *p,
                                   const struct config *cfg, GError **err);
/* The policy, without a database: the reminder point that is due for a
 * statement on day today, if any (TRUE and *out filled).  It is the
 * latest point of the schedule that falls after the day the statement
 * arrived and not after today, so a day the tickler did not run is made
 * up once, with the nearest point, never with a backlog; whether that
 * point was already sent is for the caller (the reminder table) to say. */
gboolean tickle_policy_point(const struct tickle_policy *p,
                             const struct tickle_facts *f, const GDate *today,
                             struct tickle_point *out);
/* Parse "YYYY-MM-DD" (anything after the tenth character is ignored, so
 * "2027-03-15T08:00:00Z" gives its day) into d; FALSE when not a date. */
gboolean tickle_parse_day(const char *s, GDate *d);
/* Days from today to day, both exactly "YYYY-MM-DD": TRUE with *days,
 * negative when day has passed; FALSE when either is not a day. */
gboolean tickle_days_until(const char *today, const char *day, int *days);
/* Whether the reminder queued as outbox row outbox_id for statement id
 * is still wanted: *why is NULL when it is, else what has happened since
 * it was queued: "closed", "answered" (an answer that stands:
 * store_tickle_facts' answered), "given a new deadline" (a "deadline
 * changed" event after the row's "queued reminder" event) or "no longer
 * recorded".  FALSE with *err when the store fails. */
gboolean tickle_reminder_stale(struct store *st, gint64 id, gint64 outbox_id,
                               const char **why, GError **err);
/* Run the tickler for the day today: queue the reminders due (or, when
 * dry_run, print to out what would go to whom and queue nothing).  Each
 * reminder queued or planned is also printed to out. */
gboolean tickle_run(struct store *st, const struct compose_settings *cs,
                    const struct tickle_policy *p, const GDate *today,
                    gboolean dry_run, FILE *out, struct tickle_summary *sum,
                    GError **err);

#endif
