/*
 * test_tickle.c: unit tests of the tickler's policy (cmocka), without a
 * database: the point due on a day for a statement's facts, and whole
 * schedules simulated day by day with a set of points already sent,
 * standing in for the reminder table's UNIQUE (statement, point).  What
 * the database adds on top (one reminder a statement a day, overdue
 * reminders kept the interval apart) is tested through liaisonctl in
 * tests/tickle.sh: a point logged here may be skipped there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "tickle.h"

/* A day from "YYYY-MM-DD"; the test fails on a bad literal. */
static GDate
day(const char *s)
{
    GDate d;

    assert_true(tickle_parse_day(s, &d));
    return d;
}

/* d moved by n days. */
static GDate
plus(GDate d, int n)
{
    if (n >= 0)
        g_date_add_days(&d, n);
    else
        g_date_subtract_days(&d, -n);
    return d;
}

/* "YYYY-MM-DD" of d, in a static buffer (one use per expression). */
static const char *
iso(const GDate *d)
{
    static char buf[4][16];
    static int next;
    char *b = buf[next++ % 4];

    g_date_strftime(b, 16, "%Y-%m-%d", d);
    return b;
}

/* Facts of an open, unanswered statement. */
static struct tickle_facts
facts(enum purpose purpose, const GDate *deadline, const GDate *received)
{
    struct tickle_facts f = {
        .purpose = purpose, .deadline = deadline, .received = received,
        .open = TRUE, .responded = FALSE,
    };

    return f;
}

/* Assert the point due on today: key, kind and days (key NULL: none). */
static void
expect_point(const struct tickle_policy *p, const struct tickle_facts *f,
             GDate today, const char *key, const char *kind, int days)
{
    struct tickle_point pt;
    gboolean due = tickle_policy_point(p, f, &today, &pt);

    if (!key) {
        if (due)
            fail_msg("%s: expected no reminder, got %s (%s %d)", iso(&today),
                     pt.key, pt.kind, pt.days);
        return;
    }
    if (!due)
        fail_msg("%s: expected %s, got none", iso(&today), key);
    assert_string_equal(pt.key, key);
    assert_string_equal(pt.kind, kind);
    assert_int_equal(pt.days, days);
    assert_true(g_date_valid(&pt.day));
    assert_true(g_date_compare(&pt.day, &today) <= 0);
    assert_true(g_date_compare(&pt.day, f->received) > 0);
}

/* Run the policy on each day of runs[] in turn, "sending" each point not
 * sent before; returns the log "DAY KEY KIND DAYS" joined by "; ". */
static char *
simulate(const struct tickle_policy *p, const struct tickle_facts *f,
         const GDate *runs, size_t nruns)
{
    GHashTable *sent = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GString *log = g_string_new(NULL);

    for (size_t i = 0; i < nruns; i++) {
        struct tickle_point pt;

        if (!tickle_policy_point(p, f, &runs[i], &pt)
            || g_hash_table_contains(sent, pt.key))
            continue;
        g_hash_table_add(sent, g_strdup(pt.key));
        g_string_append_printf(log, "%s%s %s %s %d", log->len ? "; " : "",
                               iso(&runs[i]), pt.key, pt.kind, pt.days);
    }
    g_hash_table_destroy(sent);
    return g_string_free(log, FALSE);
}

/* Every day from first to last, both included, except those in skip. */
static GArray *
days_from(GDate first, GDate last, const GDate *skip, size_t nskip)
{
    GArray *a = g_array_new(FALSE, FALSE, sizeof(GDate));

    for (GDate d = first; g_date_compare(&d, &last) <= 0; g_date_add_days(&d, 1)) {
        gboolean skipped = FALSE;

        for (size_t i = 0; i < nskip; i++)
            skipped |= g_date_compare(&d, &skip[i]) == 0;
        if (!skipped)
            g_array_append_val(a, d);
    }
    return a;
}

/* The defaults are the issue's: 14 7 3 1 0, weekly, 30 days. */
static void
test_defaults(void **state)
{
    struct tickle_policy p;

    (void) state;
    tickle_policy_default(&p);
    assert_int_equal(p.nbefore, 5);
    assert_int_equal(p.before[0], 14);
    assert_int_equal(p.before[1], 7);
    assert_int_equal(p.before[2], 3);
    assert_int_equal(p.before[3], 1);
    assert_int_equal(p.before[4], 0);
    assert_int_equal(p.overdue_interval, 7);
    assert_int_equal(p.no_deadline_age, 30);
}

/* Lists of days: any order, blanks, duplicates folded; mistakes refused
 * and the policy left as it was. */
static void
test_parse_before(void **state)
{
    static const char *const bad[] = {
        "a", "14,,7", "14,", ",14", "-1", "3651", "7 x", "1.5",
        "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17",
    };
    struct tickle_policy p;

    (void) state;
    tickle_policy_default(&p);
    assert_true(tickle_policy_parse_before(&p, "0, 1 ,3"));
    assert_int_equal(p.nbefore, 3);
    assert_int_equal(p.before[0], 3);
    assert_int_equal(p.before[1], 1);
    assert_int_equal(p.before[2], 0);
    assert_true(tickle_policy_parse_before(&p, "7,7 30"));
    assert_int_equal(p.nbefore, 2);
    assert_int_equal(p.before[0], 30);
    assert_int_equal(p.before[1], 7);
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        if (tickle_policy_parse_before(&p, bad[i]))
            fail_msg("\"%s\" accepted", bad[i]);
        assert_int_equal(p.nbefore, 2);
    }
    assert_false(tickle_policy_parse_before(&p, NULL));
    assert_true(tickle_policy_parse_before(&p, ""));
    assert_int_equal(p.nbefore, 0);
    assert_true(tickle_policy_parse_before(&p, "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16"));
    assert_int_equal(p.nbefore, 16);
}

/* The configuration's keys make the policy; a bad list is an error. */
static void
test_from_config(void **state)
{
    struct tickle_policy p;
    struct config cfg = { 0 };
    GError *err = NULL;

    (void) state;
    cfg.tickle_before = (char *) "10,5";
    cfg.tickle_overdue_interval = 3;
    cfg.tickle_no_deadline_age = 20;
    assert_true(tickle_policy_from_config(&p, &cfg, &err));
    assert_int_equal(p.nbefore, 2);
    assert_int_equal(p.before[0], 10);
    assert_int_equal(p.overdue_interval, 3);
    assert_int_equal(p.no_deadline_age, 20);
    cfg.tickle_before = (char *) "10;5";
    assert_false(tickle_policy_from_config(&p, &cfg, &err));
    assert_non_null(err);
    assert_non_null(strstr(err->message, "tickle_before"));
    g_error_free(err);
}

/* Days and date-times are read; anything else is not a day. */
static void
test_parse_day(void **state)
{
    static const char *const bad[] = {
        "", "2027-3-15", "2027/03/15", "2027-02-29", "2027-13-01", "0000-01-01",
        "2027-03-15x", "15 March 2027", "2027-03-1",
    };
    GDate d;

    (void) state;
    assert_true(tickle_parse_day("2027-03-15", &d));
    assert_int_equal(g_date_get_day(&d), 15);
    assert_int_equal(g_date_get_month(&d), 3);
    assert_int_equal(g_date_get_year(&d), 2027);
    assert_true(tickle_parse_day("2026-11-27T09:15:00Z", &d));
    assert_int_equal(g_date_get_day(&d), 27);
    assert_true(tickle_parse_day("2028-02-29", &d));
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        if (tickle_parse_day(bad[i], &d))
            fail_msg("\"%s\" read as a day", bad[i]);
    assert_false(tickle_parse_day(NULL, &d));
}

/* Days until a deadline across a month, a leap day and a year, negative
 * once past; a full timestamp or a bad day is no day. */
static void
test_days_until(void **state)
{
    int     days = 12345;

    (void) state;
    assert_true(tickle_days_until("2027-02-27", "2027-03-01", &days));
    assert_int_equal(days, 2);
    assert_true(tickle_days_until("2028-02-28", "2028-03-01", &days));
    assert_int_equal(days, 2);
    assert_true(tickle_days_until("2027-03-15", "2027-03-15", &days));
    assert_int_equal(days, 0);
    assert_true(tickle_days_until("2027-01-01", "2026-12-31", &days));
    assert_int_equal(days, -1);
    days = 12345;
    assert_false(tickle_days_until("2027-03-15", NULL, &days));
    assert_false(tickle_days_until(NULL, "2027-03-15", &days));
    assert_false(tickle_days_until("2027-03-15", "2027-02-30", &days));
    assert_false(tickle_days_until("2027-03-15", "2027-03-15T00:00:00Z", &days));
    assert_int_equal(days, 12345);
}

/* Each point ahead of the deadline falls on its day, with the days left;
 * between points the latest one that has come is the one due. */
static void
test_before_points(void **state)
{
    struct tickle_policy p;
    GDate deadline = day("2027-03-15"), received = day("2027-01-10");
    struct tickle_facts f = facts(PURPOSE_ACTION, &deadline, &received);

    (void) state;
    tickle_policy_default(&p);
    expect_point(&p, &f, day("2027-02-28"), NULL, NULL, 0);      /* D-15 */
    expect_point(&p, &f, day("2027-03-01"), "before-14", "due", 14);
    expect_point(&p, &f, day("2027-03-05"), "before-14", "due", 10);
    expect_point(&p, &f, day("2027-03-08"), "before-7", "due", 7);
    expect_point(&p, &f, day("2027-03-12"), "before-3", "due", 3);
    expect_point(&p, &f, day("2027-03-14"), "before-1", "due", 1);
    expect_point(&p, &f, day("2027-03-15"), "before-0", "due", 0);
    /* Before it is weekly-overdue, the deadline day's point is the
     * latest, and it is described as of today: overdue. */
    expect_point(&p, &f, day("2027-03-16"), "before-0", "overdue", 1);
    /* For Comment is tickled the same way. */
    f.purpose = PURPOSE_COMMENT;
    expect_point(&p, &f, day("2027-03-08"), "before-7", "due", 7);
}

/* Overdue: every interval after the deadline, with no stop after 14 days
 * (the datatracker's limit): day 7, 14, 21 and 70 all have their point. */
static void
test_overdue_no_cap(void **state)
{
    struct tickle_policy p;
    GDate deadline = day("2027-03-15"), received = day("2027-01-10");
    struct tickle_facts f = facts(PURPOSE_ACTION, &deadline, &received);

    (void) state;
    tickle_policy_default(&p);
    expect_point(&p, &f, plus(deadline, 7), "overdue-1", "overdue", 7);
    expect_point(&p, &f, plus(deadline, 8), "overdue-1", "overdue", 8);
    expect_point(&p, &f, plus(deadline, 14), "overdue-2", "overdue", 14);
    expect_point(&p, &f, plus(deadline, 21), "overdue-3", "overdue", 21);
    expect_point(&p, &f, plus(deadline, 70), "overdue-10", "overdue", 70);
    expect_point(&p, &f, plus(deadline, 365), "overdue-52", "overdue", 365);
    /* Another interval. */
    p.overdue_interval = 3;
    expect_point(&p, &f, plus(deadline, 3), "overdue-1", "overdue", 3);
    expect_point(&p, &f, plus(deadline, 5), "overdue-1", "overdue", 5);
    expect_point(&p, &f, plus(deadline, 6), "overdue-2", "overdue", 6);
    /* An interval of 0 turns overdue reminders off. */
    p.overdue_interval = 0;
    expect_point(&p, &f, plus(deadline, 30), "before-0", "overdue", 30);
}

/* Run every day from arrival to 30 days past the deadline: each point
 * once, on its day. */
static void
test_daily_schedule(void **state)
{
    struct tickle_policy p;
    GDate deadline = day("2027-03-15"), received = day("2027-01-10");
    struct tickle_facts f = facts(PURPOSE_ACTION, &deadline, &received);
    GArray *runs = days_from(received, plus(deadline, 30), NULL, 0);
    char *log;

    (void) state;
    tickle_policy_default(&p);
    log = simulate(&p, &f, (GDate *) runs->data, runs->len);
    assert_string_equal(log,
        "2027-03-01 before-14 due 14; 2027-03-08 before-7 due 7; "
        "2027-03-12 before-3 due 3; 2027-03-14 before-1 due 1; "
        "2027-03-15 before-0 due 0; 2027-03-22 overdue-1 overdue 7; "
        "2027-03-29 overdue-2 overdue 14; 2027-04-05 overdue-3 overdue 21; "
        "2027-04-12 overdue-4 overdue 28");
    /* Two runs a day change nothing. */
    {
        GArray *twice = g_array_new(FALSE, FALSE, sizeof(GDate));
        char *log2;

        for (guint i = 0; i < runs->len; i++) {
            g_array_append_val(twice, g_array_index(runs, GDate, i));
            g_array_append_val(twice, g_array_index(runs, GDate, i));
        }
        log2 = simulate(&p, &f, (GDate *) twice->data, twice->len);
        assert_string_equal(log2, log);
        g_free(log2);
        g_array_free(twice, TRUE);
    }
    g_free(log);
    g_array_free(runs, TRUE);
}

/* Cron missed days: the nearest missed point is sent once, late; older
 * missed points are never sent as a backlog. */
static void
test_missed_days(void **state)
{
    struct tickle_policy p;
    GDate deadline = day("2027-03-15"), received = day("2027-01-10");
    struct tickle_facts f = facts(PURPOSE_ACTION, &deadline, &received);
    /* No run on D-7, D-6 (the before-7 point) nor on D+7 .. D+9. */
    GDate skip[] = {
        day("2027-03-08"), day("2027-03-09"),
        day("2027-03-22"), day("2027-03-23"), day("2027-03-24"),
    };
    GArray *runs = days_from(received, plus(deadline, 15), skip, G_N_ELEMENTS(skip));
    GDate sparse[] = { day("2027-01-20"), day("2027-03-14"), day("2027-03-14"),
                       day("2027-04-20") };
    char *log;

    (void) state;
    tickle_policy_default(&p);
    log = simulate(&p, &f, (GDate *) runs->data, runs->len);
    assert_string_equal(log,
        "2027-03-01 before-14 due 14; 2027-03-10 before-7 due 5; "
        "2027-03-12 before-3 due 3; 2027-03-14 before-1 due 1; "
        "2027-03-15 before-0 due 0; 2027-03-25 overdue-1 overdue 10; "
        "2027-03-29 overdue-2 overdue 14");
    g_free(log);
    g_array_free(runs, TRUE);
    /* A tickler that ran once in weeks: one reminder per run, the nearest
     * point: not 14, 7 and 3 at once on the day before. */
    log = simulate(&p, &f, sparse, G_N_ELEMENTS(sparse));
    assert_string_equal(log,
        "2027-03-14 before-1 due 1; 2027-04-20 overdue-5 overdue 36");
    g_free(log);
}

/* Points on or before the day of arrival are covered by the notification:
 * a statement that arrives late gets the next point, not a made-up one. */
static void
test_late_arrival(void **state)
{
    struct tickle_policy p;
    GDate deadline = day("2027-03-15");
    GDate received = day("2027-03-05");     /* D-10 */
    struct tickle_facts f = facts(PURPOSE_ACTION, &deadline, &received);

    (void) state;
    tickle_policy_default(&p);
    expect_point(&p, &f, day("2027-03-05"), NULL, NULL, 0);
    expect_point(&p, &f, day("2027-03-07"), NULL, NULL, 0);
    expect_point(&p, &f, day("2027-03-08"), "before-7", "due", 7);
    received = day("2027-03-12");           /* D-3: that point is its day */
    expect_point(&p, &f, day("2027-03-12"), NULL, NULL, 0);
    expect_point(&p, &f, day("2027-03-13"), NULL, NULL, 0);
    expect_point(&p, &f, day("2027-03-14"), "before-1", "due", 1);
    received = day("2027-03-25");           /* D+10: already overdue */
    expect_point(&p, &f, day("2027-03-25"), NULL, NULL, 0);
    expect_point(&p, &f, day("2027-03-28"), NULL, NULL, 0);
    expect_point(&p, &f, day("2027-03-29"), "overdue-2", "overdue", 14);
    /* A clock that says today is before the arrival: nothing. */
    expect_point(&p, &f, day("2027-03-01"), NULL, NULL, 0);
}

/* A statement that arrives overdue on the very day of an overdue point
 * gets no reminder that day (its notification says it all), and its next
 * reminder on the next point. */
static void
test_arrival_on_overdue_point(void **state)
{
    struct tickle_policy p;
    GDate deadline = day("2027-03-15");
    GDate received = day("2027-03-22");     /* D+7: the day of overdue-1 */
    struct tickle_facts f = facts(PURPOSE_ACTION, &deadline, &received);

    (void) state;
    tickle_policy_default(&p);
    expect_point(&p, &f, day("2027-03-22"), NULL, NULL, 0);
    expect_point(&p, &f, day("2027-03-28"), NULL, NULL, 0);
    expect_point(&p, &f, day("2027-03-29"), "overdue-2", "overdue", 14);
}

/* For Information is never tickled, with or without a deadline, and
 * neither is a statement with no purpose or a response with no deadline. */
static void
test_information_never(void **state)
{
    struct tickle_policy p;
    GDate deadline = day("2027-03-15"), received = day("2027-01-10");
    struct tickle_facts f = facts(PURPOSE_INFORMATION, &deadline, &received);
    GArray *runs = days_from(received, plus(deadline, 400), NULL, 0);
    char *log;

    (void) state;
    tickle_policy_default(&p);
    log = simulate(&p, &f, (GDate *) runs->data, runs->len);
    assert_string_equal(log, "");
    g_free(log);
    f.deadline = NULL;
    log = simulate(&p, &f, (GDate *) runs->data, runs->len);
    assert_string_equal(log, "");
    g_free(log);
    f.purpose = PURPOSE_NONE;
    log = simulate(&p, &f, (GDate *) runs->data, runs->len);
    assert_string_equal(log, "");
    g_free(log);
    f.purpose = PURPOSE_RESPONSE;
    log = simulate(&p, &f, (GDate *) runs->data, runs->len);
    assert_string_equal(log, "");
    g_free(log);
    /* A response that asks for something by a date is tickled. */
    f.deadline = &deadline;
    expect_point(&p, &f, day("2027-03-08"), "before-7", "due", 7);
    g_array_free(runs, TRUE);
}

/* For Action or Comment without a deadline: at 30 days after arrival,
 * then weekly, with no stop. */
static void
test_no_deadline(void **state)
{
    struct tickle_policy p;
    GDate received = day("2026-11-27");
    struct tickle_facts f = facts(PURPOSE_ACTION, NULL, &received);
    GArray *runs = days_from(received, plus(received, 60), NULL, 0);
    char *log;

    (void) state;
    tickle_policy_default(&p);
    expect_point(&p, &f, plus(received, 29), NULL, NULL, 0);
    expect_point(&p, &f, plus(received, 30), "no-deadline-1", "no-deadline", 30);
    expect_point(&p, &f, plus(received, 36), "no-deadline-1", "no-deadline", 36);
    expect_point(&p, &f, plus(received, 37), "no-deadline-2", "no-deadline", 37);
    expect_point(&p, &f, plus(received, 100), "no-deadline-11", "no-deadline", 100);
    log = simulate(&p, &f, (GDate *) runs->data, runs->len);
    assert_string_equal(log,
        "2026-12-27 no-deadline-1 no-deadline 30; "
        "2027-01-03 no-deadline-2 no-deadline 37; "
        "2027-01-10 no-deadline-3 no-deadline 44; "
        "2027-01-17 no-deadline-4 no-deadline 51; "
        "2027-01-24 no-deadline-5 no-deadline 58");
    g_free(log);
    g_array_free(runs, TRUE);
    f.purpose = PURPOSE_COMMENT;
    expect_point(&p, &f, plus(received, 30), "no-deadline-1", "no-deadline", 30);
    /* Other ages and intervals; an age of 0 starts after the arrival day. */
    p.no_deadline_age = 10;
    p.overdue_interval = 0;
    expect_point(&p, &f, plus(received, 10), "no-deadline-1", "no-deadline", 10);
    expect_point(&p, &f, plus(received, 50), "no-deadline-1", "no-deadline", 50);
    p.no_deadline_age = 0;
    p.overdue_interval = 7;
    expect_point(&p, &f, plus(received, 0), NULL, NULL, 0);
    expect_point(&p, &f, plus(received, 6), NULL, NULL, 0);
    expect_point(&p, &f, plus(received, 7), "no-deadline-2", "no-deadline", 7);
}

/* Closed, or a response recorded: the reminders stop. */
static void
test_closed_or_replied_stops(void **state)
{
    struct tickle_policy p;
    GDate deadline = day("2027-03-15"), received = day("2027-01-10");
    struct tickle_facts f = facts(PURPOSE_ACTION, &deadline, &received);

    (void) state;
    tickle_policy_default(&p);
    expect_point(&p, &f, plus(deadline, 14), "overdue-2", "overdue", 14);
    f.open = FALSE;
    expect_point(&p, &f, plus(deadline, 14), NULL, NULL, 0);
    expect_point(&p, &f, day("2027-03-08"), NULL, NULL, 0);
    f.open = TRUE;
    f.responded = TRUE;
    expect_point(&p, &f, plus(deadline, 14), NULL, NULL, 0);
    expect_point(&p, &f, day("2027-03-08"), NULL, NULL, 0);
    f.deadline = NULL;
    expect_point(&p, &f, plus(received, 40), NULL, NULL, 0);
    f.responded = FALSE;
    expect_point(&p, &f, plus(received, 40), "no-deadline-2", "no-deadline", 40);
}

/* Other lists of days: the same rules, only the points change. */
static void
test_custom_before(void **state)
{
    struct tickle_policy p;
    GDate deadline = day("2027-03-15"), received = day("2027-01-10");
    struct tickle_facts f = facts(PURPOSE_ACTION, &deadline, &received);
    GArray *runs = days_from(received, deadline, NULL, 0);
    char *log;

    (void) state;
    tickle_policy_default(&p);
    assert_true(tickle_policy_parse_before(&p, "30,2"));
    log = simulate(&p, &f, (GDate *) runs->data, runs->len);
    assert_string_equal(log, "2027-02-13 before-30 due 30; 2027-03-13 before-2 due 2");
    g_free(log);
    assert_true(tickle_policy_parse_before(&p, ""));
    expect_point(&p, &f, day("2027-03-15"), NULL, NULL, 0);
    expect_point(&p, &f, plus(deadline, 7), "overdue-1", "overdue", 7);
    g_array_free(runs, TRUE);
}

/* Cron down across the first point (the statement enters the reminder
 * window while nothing runs) and again across the deadline, each run made
 * twice: the window's first reminder on the first run back, as "due in N
 * days"; the deadline's, on the first run after it, as overdue (never
 * "due" for a day gone); each once, and the weekly points after on their
 * days. */
static void
test_cron_down(void **state)
{
    struct tickle_policy p;
    GDate deadline = day("2027-03-15"), received = day("2027-01-10");
    struct tickle_facts f = facts(PURPOSE_ACTION, &deadline, &received);
    /* Down D-14 .. D-12 (before-14) and D .. D+2 (before-0, the deadline). */
    GDate skip[] = {
        day("2027-03-01"), day("2027-03-02"), day("2027-03-03"),
        day("2027-03-15"), day("2027-03-16"), day("2027-03-17"),
    };
    GArray *runs = days_from(received, plus(deadline, 15), skip, G_N_ELEMENTS(skip));
    GArray *twice = g_array_new(FALSE, FALSE, sizeof(GDate));
    char *log;

    (void) state;
    tickle_policy_default(&p);
    for (guint i = 0; i < runs->len; i++) {
        g_array_append_val(twice, g_array_index(runs, GDate, i));
        g_array_append_val(twice, g_array_index(runs, GDate, i));
    }
    log = simulate(&p, &f, (GDate *) twice->data, twice->len);
    assert_string_equal(log,
        "2027-03-04 before-14 due 11; 2027-03-08 before-7 due 7; "
        "2027-03-12 before-3 due 3; 2027-03-14 before-1 due 1; "
        "2027-03-18 before-0 overdue 3; 2027-03-22 overdue-1 overdue 7; "
        "2027-03-29 overdue-2 overdue 14");
    g_free(log);
    /* Down from the day before the window to past the first overdue
     * point: one reminder, overdue, with the days of the run. */
    {
        GDate back[] = { day("2027-02-28"), day("2027-03-25"), day("2027-03-25"),
                         day("2027-03-26") };

        log = simulate(&p, &f, back, G_N_ELEMENTS(back));
        assert_string_equal(log, "2027-03-25 overdue-1 overdue 10");
        g_free(log);
    }
    g_array_free(twice, TRUE);
    g_array_free(runs, TRUE);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_parse_before),
        cmocka_unit_test(test_from_config),
        cmocka_unit_test(test_parse_day),
        cmocka_unit_test(test_days_until),
        cmocka_unit_test(test_before_points),
        cmocka_unit_test(test_overdue_no_cap),
        cmocka_unit_test(test_daily_schedule),
        cmocka_unit_test(test_missed_days),
        cmocka_unit_test(test_cron_down),
        cmocka_unit_test(test_late_arrival),
        cmocka_unit_test(test_arrival_on_overdue_point),
        cmocka_unit_test(test_information_never),
        cmocka_unit_test(test_no_deadline),
        cmocka_unit_test(test_closed_or_replied_stops),
        cmocka_unit_test(test_custom_before),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
