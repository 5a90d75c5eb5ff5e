/*
 * tickle.c: the tickler.  Which open statements need a reminder today,
 * and queuing each reminder once.
 *
 * Why it is built this way:
 *
 * - The policy is a pure function of a statement's facts (purpose,
 *   deadline, day of arrival, open or not, answered or not) and a day:
 *   tickle_policy_point().  It touches no database and no clock, so the
 *   whole schedule can be tested over simulated dates, and `--now` runs
 *   the real thing on any day.
 *
 * - "Answered" is an answer that stands (the store's answered, derived
 *   from the event log for every reader): one recorded (`liaisonctl
 *   reply`) and not followed, in the event log, by a reopen or a new
 *   deadline.  Those are a chair saying a response is
 *   wanted again, as the mail command's answer and the manual promise
 *   ("the reminders start again"); an answer recorded after them ends the
 *   reminders again.
 *
 * - A reminder is queued in the outbox and may wait there (a relay down,
 *   a backoff) while the statement is closed, answered or given a new
 *   deadline; the sender asks tickle_reminder_stale before it sends one,
 *   with the same rules, and drops it when it would be stale.
 *
 * - A statement's schedule is a list of points on the calendar, each with
 *   a stable key: "before-14" .. "before-0" (days ahead of the deadline),
 *   then "overdue-1", "overdue-2", ... (every overdue_interval days after
 *   it, with no cap), or, without a deadline, "no-deadline-1" at
 *   no_deadline_age days after arrival and "no-deadline-N" every interval
 *   after that.  The point due on a day is the latest one on or before
 *   that day.  So when cron missed a day the nearest missed point is sent
 *   late, once, and older ones are never sent as a backlog: nobody wants
 *   "due in 14 days" and "due in 7 days" in the same morning.
 *
 * - Points on or before the day the statement arrived are not due: the
 *   notification sent on arrival already said everything a reminder
 *   would, so a statement that arrives 10 days before its deadline gets
 *   its first reminder at 7 days, not a "due in 10 days" beside its
 *   notification.
 *
 * - The kind and the number of days are those of today, not of the point:
 *   a "before-0" point made up the day after the deadline says "overdue
 *   by 1 day", which is the truth when it is read.
 *
 * - Idempotence is the database's job: the reminder table has UNIQUE
 *   (statement, point), and each statement is handled in its own
 *   BEGIN IMMEDIATE transaction that checks the table, composes the
 *   reminder, queues it in the outbox, records the reminder row and the
 *   "tickled" event, and commits.  A second run on the same day finds the
 *   rows; two runs at once are serialised by the write lock, and should
 *   anything slip past the check, the UNIQUE constraint turns the second
 *   insert into "already", rolling back its outbox row with it.  A
 *   statement is also reminded at most once a day (store_reminded_on):
 *   a deadline moved by mail frees the new date's points, which must not
 *   add a second reminder on a day that had one; nor repeat, days later,
 *   a "due in N days" that the old date's schedule sent less than N days
 *   before (store_reminded_before_move): a deadline moved by a day would
 *   otherwise say "due in 7 days" twice in two days; nor an overdue point
 *   less than the interval after an overdue reminder
 *   (store_overdue_reminded_since): a deadline moved by a day and still
 *   past would say "overdue by 7 days" twice in two days, and a tickler
 *   back after days down would send the deadline's made-up point
 *   ("overdue by 6 days") the day before the first weekly one.  One
 *   transaction per statement, not one for the run, so that the daemon
 *   and intake are never held off for more than one statement's work.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "outbox.h"
#include "tickle.h"

/* Largest number of days accepted anywhere in the policy (ten years). */
#define TICKLE_DAYS_MAX 3650

/* Fill a policy with the defaults: 14, 7, 3, 1 and 0 days ahead, weekly
 * once overdue, 30 days for statements without a deadline. */
void
tickle_policy_default(struct tickle_policy *p)
{
    static const int before[] = { 14, 7, 3, 1, 0 };

    memset(p, 0, sizeof *p);
    for (size_t i = 0; i < G_N_ELEMENTS(before); i++)
        p->before[i] = before[i];
    p->nbefore = (int) G_N_ELEMENTS(before);
    p->overdue_interval = 7;
    p->no_deadline_age = 30;
}

/* qsort order: largest first. */
static int
cmp_desc(const void *a, const void *b)
{
    int x = *(const int *) a, y = *(const int *) b;

    return (x < y) - (x > y);
}

/* Parse "14,7,3,1,0" (commas or blanks; any order; duplicates folded)
 * into p->before, largest first.  An empty list means no reminders before
 * the deadline.  On a bad list p is left as it was. */
gboolean
tickle_policy_parse_before(struct tickle_policy *p, const char *list)
{
    int days[TICKLE_MAX_BEFORE];
    int n = 0, kept = 0;
    const char *s = list;

    if (!list)
        return FALSE;
    for (;;) {
        char *end;
        long v;

        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '\0')
            break;
        if (!g_ascii_isdigit(*s))
            return FALSE;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno != 0 || v > TICKLE_DAYS_MAX || n == TICKLE_MAX_BEFORE)
            return FALSE;
        days[n++] = (int) v;
        s = end;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == ',') {
            s++;
            /* "14,,7" and a trailing comma are typing mistakes. */
            while (*s == ' ' || *s == '\t')
                s++;
            if (!g_ascii_isdigit(*s))
                return FALSE;
        } else if (*s != '\0' && !g_ascii_isdigit(*s)) {
            return FALSE;
        }
    }
    qsort(days, n, sizeof days[0], cmp_desc);
    for (int i = 0; i < n; i++)
        if (kept == 0 || days[kept - 1] != days[i])
            days[kept++] = days[i];
    memcpy(p->before, days, kept * sizeof days[0]);
    p->nbefore = kept;
    return TRUE;
}

/* Fill p from the configuration's tickle_* keys. */
gboolean
tickle_policy_from_config(struct tickle_policy *p, const struct config *cfg,
                          GError **err)
{
    tickle_policy_default(p);
    if (cfg->tickle_before && !tickle_policy_parse_before(p, cfg->tickle_before)) {
        g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "tickle_before = %s: not a list of days (such as 14,7,3,1,0)",
                    cfg->tickle_before);
        return FALSE;
    }
    p->overdue_interval = MIN(cfg->tickle_overdue_interval, TICKLE_DAYS_MAX);
    p->no_deadline_age = MIN(cfg->tickle_no_deadline_age, TICKLE_DAYS_MAX);
    return TRUE;
}

/* Parse the day at the start of s ("YYYY-MM-DD", maybe followed by a
 * time) into d. */
gboolean
tickle_parse_day(const char *s, GDate *d)
{
    int y, m, day;

    g_date_clear(d, 1);
    if (!s || strlen(s) < 10)
        return FALSE;
    for (int i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? s[i] != '-' : !g_ascii_isdigit(s[i]))
            return FALSE;
    if (s[10] != '\0' && s[10] != 'T' && s[10] != ' ')
        return FALSE;
    y = atoi(s);
    m = atoi(s + 5);
    day = atoi(s + 8);
    if (y < 1 || !g_date_valid_dmy(day, m, y))
        return FALSE;
    g_date_set_dmy(d, day, m, y);
    return TRUE;
}

/* See tickle.h. */
gboolean
tickle_days_until(const char *today, const char *day, int *days)
{
    GDate dt, dd;

    if (today == NULL || day == NULL || strlen(today) != 10 || strlen(day) != 10
        || !tickle_parse_day(today, &dt) || !tickle_parse_day(day, &dd))
        return FALSE;
    *days = g_date_days_between(&dt, &dd);
    return TRUE;
}

/* Days from a to b (positive when b is later). */
static int
days_between(const GDate *a, const GDate *b)
{
    return g_date_days_between(a, b);
}

/* The day offset days from base (negative goes back). */
static GDate
day_offset(const GDate *base, int offset)
{
    GDate d = *base;

    if (offset >= 0)
        g_date_add_days(&d, offset);
    else
        g_date_subtract_days(&d, -offset);
    return d;
}

/* Whether a statement of this purpose is tickled at all, with a deadline
 * or without one.  For Information asks nothing, so it is never tickled
 * (nor a statement with no purpose, recorded as For Information).  A
 * response with a deadline asks for something by then and is tickled
 * like any other; without one it only answers us. */
static gboolean
purpose_tickled(enum purpose purpose, gboolean has_deadline)
{
    switch (purpose) {
    case PURPOSE_ACTION:
    case PURPOSE_COMMENT:
        return TRUE;
    case PURPOSE_RESPONSE:
        return has_deadline;
    case PURPOSE_INFORMATION:
    case PURPOSE_NONE:
    default:
        return FALSE;
    }
}

/* The latest point of a deadline's schedule in (received, today], as an
 * offset from the deadline in days; FALSE when there is none. */
static gboolean
deadline_point(const struct tickle_policy *p, int today_off, int received_off,
               char *key, size_t keylen, int *point_off)
{
    /* Overdue points: deadline + k * interval, k >= 1, latest first. */
    if (p->overdue_interval > 0 && today_off >= p->overdue_interval) {
        int k = today_off / p->overdue_interval;
        int off = k * p->overdue_interval;

        if (off > received_off) {
            g_snprintf(key, keylen, "overdue-%d", k);
            *point_off = off;
            return TRUE;
        }
        /* Every earlier point is earlier still: all before arrival. */
        return FALSE;
    }
    /* Points ahead of the deadline, largest first, so the last one that
     * has come is the nearest to today. */
    for (int i = p->nbefore - 1; i >= 0; i--) {
        int off = -p->before[i];

        if (off > today_off)
            continue;           /* still to come */
        if (off <= received_off)
            return FALSE;       /* this and all larger ones: before arrival */
        g_snprintf(key, keylen, "before-%d", p->before[i]);
        *point_off = off;
        return TRUE;
    }
    return FALSE;
}

/* The latest point of a no-deadline schedule in (received, today], as an
 * offset from the day of arrival. */
static gboolean
no_deadline_point(const struct tickle_policy *p, int age, char *key,
                  size_t keylen, int *point_off)
{
    int k, off;

    if (age < p->no_deadline_age)
        return FALSE;
    k = 1;
    if (p->overdue_interval > 0)
        k += (age - p->no_deadline_age) / p->overdue_interval;
    off = p->no_deadline_age + (k - 1) * MAX(p->overdue_interval, 0);
    if (off <= 0) {
        /* An age of 0 would put the first point on the day of arrival,
         * which the notification covers: the next one is the first. */
        if (p->overdue_interval <= 0 || age < p->overdue_interval)
            return FALSE;
        k = 1 + age / p->overdue_interval;
        off = (k - 1) * p->overdue_interval;
    }
    g_snprintf(key, keylen, "no-deadline-%d", k);
    *point_off = off;
    return TRUE;
}

/* The reminder point due on day today for a statement, if any. */
gboolean
tickle_policy_point(const struct tickle_policy *p, const struct tickle_facts *f,
                    const GDate *today, struct tickle_point *out)
{
    gboolean has_deadline = f->deadline && g_date_valid(f->deadline);
    int point_off;

    memset(out, 0, sizeof *out);
    g_date_clear(&out->day, 1);
    if (!f->open || f->responded || !purpose_tickled(f->purpose, has_deadline)
        || !f->received || !g_date_valid(f->received) || !g_date_valid(today))
        return FALSE;
    if (has_deadline) {
        int today_off = days_between(f->deadline, today);
        int received_off = days_between(f->deadline, f->received);

        if (!deadline_point(p, today_off, received_off, out->key,
                            sizeof out->key, &point_off))
            return FALSE;
        out->day = day_offset(f->deadline, point_off);
        if (today_off > 0) {
            out->kind = "overdue";
            out->days = today_off;
        } else {
            out->kind = "due";
            out->days = -today_off;
        }
        return TRUE;
    }
    {
        int age = days_between(f->received, today);

        if (!no_deadline_point(p, age, out->key, sizeof out->key, &point_off))
            return FALSE;
        out->day = day_offset(f->received, point_off);
        out->kind = "no-deadline";
        out->days = age;
        return TRUE;
    }
}

/* ---- the run: the policy applied to the store ------------------------ */

/* The purpose stored in the purpose column ("action", ... or NULL). */
static enum purpose
purpose_of(const char *column)
{
    for (enum purpose p = PURPOSE_INFORMATION; p <= PURPOSE_RESPONSE; p++) {
        const char *name = purpose_name(p);

        if (column && name && strcmp(column, name) == 0)
            return p;
    }
    return PURPOSE_NONE;
}

/* "due in 7 days (2027-03-15)", "overdue by 2 days (2027-03-15)", "no
 * deadline, received 30 days ago (2026-10-28)": what a line says. */
static char *
describe(const struct tickle_point *pt, const struct store_tickle_facts *f)
{
    const char *plural = pt->days == 1 ? "" : "s";
    char received[11];

    if (strcmp(pt->kind, "overdue") == 0)
        return g_strdup_printf("overdue by %d day%s (%s)", pt->days, plural,
                               f->deadline);
    if (strcmp(pt->kind, "due") == 0)
        return pt->days == 0
            ? g_strdup_printf("due today (%s)", f->deadline)
            : g_strdup_printf("due in %d day%s (%s)", pt->days, plural, f->deadline);
    g_strlcpy(received, f->received ? f->received : "?", sizeof received);
    return g_strdup_printf("no deadline, received %d day%s ago (%s)", pt->days,
                           plural, received);
}

/* Whom a reminder goes to, as a person reads it: "to A; cc B, C".  The
 * same rule as compose_reminder, which does the addressing: the
 * assignee(s), copying every other routed recipient but the lists. */
static char *
addressees(const struct statement *s)
{
    GString *to = g_string_new(NULL), *cc = g_string_new(NULL);
    char *line;

    for (guint i = 0; s->recipients && i < s->recipients->len; i++) {
        const struct recipient *r = g_ptr_array_index(s->recipients, i);

        if (r->addr && r->role && strcmp(r->role, "assignee") == 0)
            g_string_append_printf(to, "%s%s", to->len ? ", " : "", r->addr);
    }
    if (to->len == 0 && s->assignee)
        g_string_append(to, s->assignee);
    for (guint i = 0; s->recipients && i < s->recipients->len; i++) {
        const struct recipient *r = g_ptr_array_index(s->recipients, i);

        if (!r->addr || (r->role && (strcmp(r->role, "assignee") == 0
                                     || strcmp(r->role, "list") == 0
                                     || strcmp(r->role, "info-list") == 0)))
            continue;
        if (s->assignee && g_ascii_strcasecmp(r->addr, s->assignee) == 0)
            continue;
        g_string_append_printf(cc, "%s%s", cc->len ? ", " : "", r->addr);
    }
    line = g_strdup_printf("to %s%s%s", to->len ? to->str : "(nobody)",
                           cc->len ? "; cc " : "", cc->str);
    g_string_free(to, TRUE);
    g_string_free(cc, TRUE);
    return line;
}

/* Count a reminder queued (or planned) under its kind. */
static void
count_kind(struct tickle_summary *sum, const char *kind)
{
    if (strcmp(kind, "due") == 0)
        sum->due++;
    else if (strcmp(kind, "overdue") == 0)
        sum->overdue++;
    else
        sum->no_deadline++;
}

/* See tickle.h.  The same facts as the tickler's own decision (state,
 * an answer that stands, as the store says it for every reader), read
 * when the reminder is about to go, since a relay that was down may hold
 * it for days; and its deadline, which the reminder names ("due in 7
 * days (2027-03-15)"): moved since it was queued, the store says in one
 * query (store_deadline_moved_since). */
gboolean
tickle_reminder_stale(struct store *st, gint64 id, gint64 outbox_id, const char **why,
                      GError **err)
{
    struct store_tickle_facts f;
    gboolean moved = FALSE;

    *why = NULL;
    if (!store_tickle_facts(st, id, &f, err)) {
        if (!g_error_matches(*err, STORE_ERROR, STORE_ERROR_NOTFOUND))
            return FALSE;
        g_clear_error(err);
        *why = "no longer recorded";
        return TRUE;
    }
    if (g_strcmp0(f.state, "open") != 0) {
        *why = "closed";
    } else if (f.answered) {
        *why = "answered";
    } else if (!store_deadline_moved_since(st, id, outbox_id, &moved, err)) {
        store_tickle_facts_clear(&f);
        return FALSE;
    } else if (moved) {
        *why = "given a new deadline";
    }
    store_tickle_facts_clear(&f);
    return TRUE;
}

/* Outcome of one statement. */
enum one_result {
    ONE_NOTHING,                /* nothing due today */
    ONE_QUEUED,                 /* a reminder queued (or planned: dry run) */
    ONE_ALREADY,                /* due today, queued earlier today */
    ONE_NOBODY,                 /* due, but no address to send it to */
    ONE_FAILED,                 /* store failure: *err set */
};

/* Queue the reminder for point pt of statement s inside the open
 * transaction: the outbox row, the reminder row and the event. */
static enum one_result
queue_reminder(struct store *st, const struct compose_settings *cs,
               const struct statement *s, const struct tickle_point *pt,
               const char *today, const char *what, const char *who,
               GError **err)
{
    struct outmail *m = compose_reminder(cs, s, pt->kind, pt->days);
    gboolean already = FALSE;
    gint64 outbox_id;
    char *detail;
    gboolean ok;

    /* With no safe address at all nothing can be sent; the point is left
     * unrecorded so that mending the routing brings the reminder back. */
    if (!m)
        return ONE_NOBODY;
    outbox_id = outbox_queue(st, s->id, m, err);
    outmail_free(m);
    if (outbox_id == 0)
        return ONE_FAILED;
    /* Another run cannot have got here first (the check and this insert
     * are under the same write lock), but if it ever did, the UNIQUE key
     * says so and the caller's rollback takes the outbox row back. */
    if (store_reminder_add(st, s->id, pt->key, pt->kind, today, outbox_id,
                           &already, err) == 0)
        return already ? ONE_ALREADY : ONE_FAILED;
    detail = g_strdup_printf("%s %s; point %s, outbox %" G_GINT64_FORMAT,
                             what, who, pt->key, outbox_id);
    ok = store_add_event(st, s->id, 0, "tickled", "tickler", detail, err);
    g_free(detail);
    return ok ? ONE_QUEUED : ONE_FAILED;
}

/* Decide for statement id, and queue its reminder if one is due: the
 * facts are read again under the write lock, since it may have been
 * closed or answered since the run listed the open statements.  *pt,
 * *what and *who describe the reminder for the caller's line. */
static enum one_result
decide_and_queue(struct store *st, const struct compose_settings *cs,
                 const struct tickle_policy *p, const GDate *today,
                 const char *today_iso, gint64 id, gboolean dry_run,
                 struct tickle_point *pt, char **what, char **who, GError **err)
{
    struct store_tickle_facts f;
    struct tickle_facts facts;
    struct statement *s;
    GDate deadline, received;
    enum one_result res;
    char *day = NULL;

    if (!store_tickle_facts(st, id, &f, err)) {
        if (!g_error_matches(*err, STORE_ERROR, STORE_ERROR_NOTFOUND))
            return ONE_FAILED;
        g_clear_error(err);     /* gone since the list was read */
        return ONE_NOTHING;
    }
    facts.purpose = purpose_of(f.purpose);
    facts.deadline = tickle_parse_day(f.deadline, &deadline) ? &deadline : NULL;
    facts.received = tickle_parse_day(f.received, &received) ? &received : NULL;
    facts.open = f.state && strcmp(f.state, "open") == 0;
    /* An answer recorded before a reopen or a new deadline no longer
     * counts: those say a response is wanted (again).  The store says
     * so, for the tickler as for list, publish and requeue. */
    facts.responded = f.answered;
    if (!tickle_policy_point(p, &facts, today, pt)) {
        store_tickle_facts_clear(&f);
        return ONE_NOTHING;
    }
    if (!store_reminder_day(st, id, pt->key, &day, err)) {
        store_tickle_facts_clear(&f);
        return ONE_FAILED;
    }
    if (day) {
        /* Queued today by an earlier run: "already".  Queued on an
         * earlier day: this point is behind us and nothing is due. */
        res = strcmp(day, today_iso) == 0 ? ONE_ALREADY : ONE_NOTHING;
        g_free(day);
        store_tickle_facts_clear(&f);
        return res;
    }
    /* A deadline moved by a few days frees the new date's "due in N
     * days", but the old date's said so less than N days ago: the
     * assignee was warned, and the move itself was theirs to make.  Less
     * than N: sent after today - N.  One sent N days ago, as a deadline
     * extended by a week has it, is a week old, and the new one is news;
     * held back, it went out the next day as "due in N-1 days". */
    if (g_str_has_prefix(pt->key, "before-") && facts.deadline != NULL) {
        int     n = days_between(&pt->day, facts.deadline);
        gboolean said = FALSE;

        if (n > 0) {
            GDate   since = day_offset(today, 1 - n);
            char    since_iso[16];

            g_date_strftime(since_iso, sizeof since_iso, "%Y-%m-%d", &since);
            if (!store_reminded_before_move(st, id, pt->key, since_iso, &said, err)) {
                store_tickle_facts_clear(&f);
                return ONE_FAILED;
            }
        }
        if (said) {
            store_tickle_facts_clear(&f);
            return ONE_NOTHING;
        }
    }
    /* Overdue reminders keep the interval apart.  Two ways bring them
     * closer: a deadline moved while overdue (by a day, say, and still
     * past) frees the new date's overdue points, the first of them maybe
     * the day after the old date's "overdue by 7 days", which it would
     * say again; and a tickler back after days down makes up the
     * deadline's point late ("overdue by 6 days"), the day before the
     * first weekly one.  The assignee was told it is overdue: a point
     * that falls less than the interval after an overdue reminder is
     * skipped (not held for a later day, where it would come a day before
     * the next point).  By the point's day, not today's, so the next
     * overdue reminder is the first point at least the interval after the
     * last one.  A move past the day is not overdue and starts afresh. */
    if (strcmp(pt->kind, "overdue") == 0 && p->overdue_interval > 0) {
        GDate   since = day_offset(&pt->day, 1 - p->overdue_interval);
        char    since_iso[16];
        gboolean said = FALSE;

        g_date_strftime(since_iso, sizeof since_iso, "%Y-%m-%d", &since);
        if (!store_overdue_reminded_since(st, id, since_iso, &said, err)) {
            store_tickle_facts_clear(&f);
            return ONE_FAILED;
        }
        if (said) {
            store_tickle_facts_clear(&f);
            return ONE_NOTHING;
        }
    }
    /* A deadline moved today frees the new date's points, but the
     * statement was reminded today already: one a day. */
    {
        gboolean today_done = FALSE;

        if (!store_reminded_on(st, id, today_iso, &today_done, err)) {
            store_tickle_facts_clear(&f);
            return ONE_FAILED;
        }
        if (today_done) {
            store_tickle_facts_clear(&f);
            return ONE_ALREADY;
        }
    }
    s = store_get_statement_meta(st, id, err);
    if (!s) {
        store_tickle_facts_clear(&f);
        return ONE_FAILED;
    }
    *what = describe(pt, &f);
    *who = addressees(s);
    if (dry_run) {
        struct outmail *m = compose_reminder(cs, s, pt->kind, pt->days);

        res = m ? ONE_QUEUED : ONE_NOBODY;
        outmail_free(m);
    } else {
        res = queue_reminder(st, cs, s, pt, today_iso, *what, *who, err);
    }
    statement_free(s);
    store_tickle_facts_clear(&f);
    return res;
}

/* Look at one statement in its own transaction (a dry run only reads and
 * takes no lock), then report it on out and in *sum. */
static gboolean
tickle_one(struct store *st, const struct compose_settings *cs,
           const struct tickle_policy *p, const GDate *today,
           const char *today_iso, gint64 id, gboolean dry_run, FILE *out,
           struct tickle_summary *sum, GError **err)
{
    struct tickle_point pt;
    char *what = NULL, *who = NULL;
    enum one_result res;

    if (!dry_run && !store_begin(st, err))
        return FALSE;
    res = decide_and_queue(st, cs, p, today, today_iso, id, dry_run, &pt,
                           &what, &who, err);
    if (!dry_run) {
        if (res != ONE_QUEUED)
            store_rollback(st);
        else if (!store_commit(st, err)) {
            store_rollback(st);
            res = ONE_FAILED;
        }
    }
    switch (res) {
    case ONE_QUEUED:
        count_kind(sum, pt.kind);
        fprintf(out, "statement %" G_GINT64_FORMAT ": %s: %s\n", id, what, who);
        break;
    case ONE_ALREADY:
        sum->already++;
        break;
    case ONE_NOBODY:
        fprintf(out, "statement %" G_GINT64_FORMAT ": %s: nobody to remind "
                "(no address to send to)\n", id, what);
        break;
    case ONE_NOTHING:
    case ONE_FAILED:
        break;
    }
    g_free(what);
    g_free(who);
    return res != ONE_FAILED;
}

/* Run the tickler for the day today over every open statement.  Stops at
 * the first store failure: what was committed before it stays, and the
 * next run carries on from there. */
gboolean
tickle_run(struct store *st, const struct compose_settings *cs,
           const struct tickle_policy *p, const GDate *today,
           gboolean dry_run, FILE *out, struct tickle_summary *sum,
           GError **err)
{
    char today_iso[16];
    GArray *ids;
    gboolean ok = TRUE;

    memset(sum, 0, sizeof *sum);
    if (!g_date_valid(today)) {
        g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "the tickler needs a valid day");
        return FALSE;
    }
    g_date_strftime(today_iso, sizeof today_iso, "%Y-%m-%d", today);
    ids = store_open_statement_ids(st, err);
    if (!ids)
        return FALSE;
    for (guint i = 0; ok && i < ids->len; i++) {
        sum->looked_at++;
        ok = tickle_one(st, cs, p, today, today_iso,
                        g_array_index(ids, gint64, i), dry_run, out, sum, err);
    }
    g_array_free(ids, TRUE);
    return ok;
}
