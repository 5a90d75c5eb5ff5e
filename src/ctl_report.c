/*
 * ctl_report.c: liaisonctl list, stats and show, the commands that read
 * the statements and change nothing: a filtered table (or JSON), the
 * counts per group or area for a review, and one statement with its
 * history.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "envelope.h"
#include "log.h"
#include "route.h"
#include "statement.h"
#include "tickle.h"
#include "ctl.h"

/* What list shows: a statement is shown when every filter given holds. */
struct list_query {
    const char *state;          /* "open" or "closed"; NULL: either */
    gboolean overdue;           /* open, unanswered, its deadline passed */
    int     due_within;         /* open, unanswered, due in at most this many
                                   days (overdue too); -1: no such filter */
    const char *group;          /* assigned to this group or area (or to a
                                   group of this area); NULL: any */
    char   *from;               /* folded text the From body holds */
    char   *text;               /* folded text the Title, Subject or Body holds */
    char    today[11];          /* YYYY-MM-DD, for the two deadline filters */
    const struct directory *dir;    /* for an area's groups; NULL without --group */
    JsonBuilder *json;          /* the array being built, or NULL for the table */
    gboolean filtered;          /* a filter was given */
    int     shown, total;
};

/* Text in NFKC and case-folded for matching (so "itu-t" finds "ＩＴＵ－Ｔ"
 * typed in full-width forms, "Straße" finds "STRASSE", and an "é" typed as
 * "e" and a combining accent finds the precomposed one, while "comite"
 * does not find "Comité"); bytes that are not UTF-8 only lower-cased. */
static char *
fold(const char *text)
{
    g_autofree char *n = g_utf8_validate(text, -1, NULL)
                         ? g_utf8_normalize(text, -1, G_NORMALIZE_ALL_COMPOSE) : NULL;

    return n != NULL ? g_utf8_casefold(n, -1) : g_ascii_strdown(text, -1);
}

/* TRUE when field holds the folded text. */
static gboolean
field_holds(const char *field, const char *folded)
{
    g_autofree char *f = field != NULL ? fold(field) : NULL;

    return f != NULL && strstr(f, folded) != NULL;
}

/* TRUE, with *days from today (YYYY-MM-DD) to its deadline (below zero:
 * overdue), when s is outstanding: open, not answered (answered is not
 * outstanding, as on the published page) and with a deadline.  Answered
 * is an answer that stands (the store's answered): one recorded before
 * a reopen or a new deadline no longer counts, as for the tickler.
 * list's deadline filters and stats' OVERDUE both count by it. */
static gboolean
outstanding_days(const struct statement *s, const char *today, int *days)
{
    return g_strcmp0(s->state, "open") == 0 && !s->answered
           && tickle_days_until(today, s->env->deadline, days);
}

/* TRUE when the statement passes every filter of q. */
static gboolean
list_wants(const struct statement *s, const struct list_query *q)
{
    if (q->state != NULL && g_strcmp0(s->state, q->state) != 0)
        return FALSE;
    if (q->overdue || q->due_within >= 0) {
        int     days;

        if (!outstanding_days(s, q->today, &days)
            || (q->overdue && days >= 0)
            || (q->due_within >= 0 && days > q->due_within))
            return FALSE;
    }
    if (q->group != NULL && !directory_assigns(q->dir, s->groups, q->group))
        return FALSE;
    if (q->from != NULL && !field_holds(s->env->from_body, q->from))
        return FALSE;
    if (q->text != NULL && !field_holds(s->env->title, q->text)
        && !field_holds(s->subject, q->text) && !field_holds(s->env->body, q->text))
        return FALSE;
    return TRUE;
}

/* One statement for list: counted, and shown as a table row or a JSON
 * element when it passes the filters. */
static gboolean
list_one(const struct statement *s, gpointer data)
{
    struct list_query *q = data;
    char    id[24], received[17];

    q->total++;
    if (!list_wants(s, q))
        return TRUE;
    q->shown++;
    if (q->json != NULL) {
        json_builder_begin_object(q->json);
        statement_to_json(s, q->json);
        json_builder_end_object(q->json);
        return TRUE;
    }
    g_snprintf(id, sizeof id, "%" G_GINT64_FORMAT, s->id);
    ctl_table_time(received, s->received);
    printf("%-4s  ", id);       /* never cut: 12345 is not 123… */
    ctl_put_cell(received, 16);
    ctl_put_cell(s->env->from_body, 24);
    ctl_put_cell(s->env->to_body, 24);
    ctl_put_cell(purpose_name(s->env->purpose), 11);
    ctl_put_cell(s->env->deadline, 10);
    ctl_put_cell(s->state, 6);
    {
        glong used;
        g_autofree char *title = ctl_fit(s->env->title != NULL ? s->env->title : s->subject,
                                     60, &used);

        printf("%s\n", title);
    }
    return TRUE;
}

/* liaisonctl list [FILTER]... [--json]: the statements, or those that pass
 * every filter (--open, --closed, --overdue, --due DAYS, --group GROUP,
 * --from TEXT, --search TEXT; --now sets the day the deadlines count from). */
int
ctl_cmd_list(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        { "open", no_argument, NULL, 'o' },
        { "closed", no_argument, NULL, 'C' },
        { "overdue", no_argument, NULL, 'O' },
        { "due", required_argument, NULL, 'u' },
        { "group", required_argument, NULL, 'g' },
        { "from", required_argument, NULL, 'f' },
        { "search", required_argument, NULL, 's' },
        { "now", required_argument, NULL, 'n' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct list_query q = { .due_within = -1 };
    g_autoptr(JsonBuilder) b = NULL;
    g_autofree char *from = NULL, *text = NULL;
    const char *now = NULL;
    gboolean json = FALSE;
    GError *err = NULL;
    GDate today;
    gint64 days;
    gboolean ok;
    int c, rc;

    while ((c = getopt_long(argc, argv, "+oCOu:g:f:s:n:jh", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
        case 'C':
            if (q.state != NULL && strcmp(q.state, c == 'o' ? "open" : "closed") != 0) {
                fprintf(stderr, "liaisonctl: list: --open and --closed exclude each other\n");
                return EX_USAGE;
            }
            q.state = c == 'o' ? "open" : "closed";
            break;
        case 'O': q.overdue = TRUE; break;
        case 'u':
            if (!g_ascii_string_to_signed(optarg, 10, 0, 36500, &days, NULL)) {
                fprintf(stderr, "liaisonctl: list: --due \"%s\" is not a number of days "
                        "(0 to 36500)\n", optarg);
                return EX_USAGE;
            }
            q.due_within = (int) days;
            break;
        case 'g': q.group = optarg; break;
        case 'f': g_free(from); from = fold(optarg); break;
        case 's': g_free(text); text = fold(optarg); break;
        case 'n': now = optarg; break;
        case 'j': json = TRUE; break;
        case 'h': return ctl_usage(ctl->cmd, TRUE);
        default: return ctl_usage(ctl->cmd, FALSE);
        }
    }
    if (!ctl_today(ctl, now, &today))
        return EX_USAGE;
    g_date_strftime(q.today, sizeof q.today, "%Y-%m-%d", &today);
    q.from = from;
    q.text = text;
    q.filtered = q.state != NULL || q.overdue || q.due_within >= 0 || q.group != NULL
                 || from != NULL || text != NULL;
    if ((rc = ctl_operands_then_setup(ctl, argc, 0)) != EX_OK)
        return rc;
    if (q.group != NULL) {
        if (!ctl_open_directory(ctl))
            return EX_CONFIG;
        if (route_reassign_target(ctl->dir, q.group) == NULL) {
            fprintf(stderr, "liaisonctl: list: the directory has no group or area \"%s\"\n",
                    q.group);
            return EX_USAGE;
        }
        q.dir = ctl->dir;
    }
    if ((rc = ctl_open_existing_to_read(ctl)) != EX_OK)
        return rc;
    if (json) {
        b = json_builder_new();
        q.json = b;
        json_builder_begin_array(b);
    } else {
        printf("%-4s  %-16s  %-24s  %-24s  %-11s  %-10s  %-6s  %s\n",
               "ID", "RECEIVED (UTC)", "FROM", "TO", "PURPOSE", "DEADLINE", "STATE", "TITLE");
    }
    ok = store_list(ctl->store, list_one, &q, &err);
    if (!ok) {
        log_msg(LOG_ERR, NULL, "cannot list statements: %s", err->message);
        g_error_free(err);
        return EX_TEMPFAIL;
    }
    if (json) {
        json_builder_end_array(b);
        ctl_print_json(b);
    } else if (!q.filtered) {
        printf("(%d statement%s)\n", q.shown, q.shown == 1 ? "" : "s");
    } else {
        printf("(%d of %d statement%s)\n", q.shown, q.total, q.total == 1 ? "" : "s");
    }
    return EX_OK;
}

/* The figures of stats for the statements of one group or area, or of
 * all. */
struct stats_row {
    unsigned received, open, closed, answered, on_time, late, overdue;
    GArray *days;               /* int: days from arrival to the answer;
                                   NULL until the first answer */
};

/* What stats reads the statements with. */
struct stats_query {
    const char *since, *until;  /* YYYY-MM-DD, received on or after / before; or NULL */
    char    today[11];          /* for overdue */
    GHashTable *rows;           /* key (lower case) -> struct stats_row */
    struct stats_row all;
};

/* Free a row's figures (a GDestroyNotify). */
static void
stats_row_free(gpointer p)
{
    struct stats_row *r = p;

    if (r->days != NULL)
        g_array_unref(r->days);
    g_free(r);
}

/* Count one statement into row r. */
static void
stats_count(struct stats_row *r, const struct statement *s, const char *today)
{
    gboolean open = g_strcmp0(s->state, "open") == 0;
    int     days;

    r->received++;
    if (open)
        r->open++;
    else
        r->closed++;
    /* Answered: an answer that stands, as everywhere else; one recorded
     * before a reopen or a new deadline counts as outstanding again (so
     * OVERDUE once past the deadline), never as both.  Its day is
     * replied's: the latest answer recorded. */
    if (s->answered && s->replied != NULL) {
        char    replied[11], received[11];

        /* Days, not times: by the day of the deadline, as the page and
         * list count it. */
        g_strlcpy(replied, s->replied, sizeof replied);
        g_strlcpy(received, s->received, sizeof received);
        r->answered++;
        if (tickle_days_until(replied, s->env->deadline, &days))
            days >= 0 ? r->on_time++ : r->late++;
        if (tickle_days_until(received, replied, &days)) {
            if (r->days == NULL)
                r->days = g_array_new(FALSE, FALSE, sizeof(int));
            g_array_append_val(r->days, days);
        }
    } else if (outstanding_days(s, today, &days) && days < 0) {
        r->overdue++;
    }
}

/* One statement for stats: counted in all and in each of its groups. */
static gboolean
stats_one(const struct statement *s, gpointer data)
{
    struct stats_query *q = data;
    g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func(g_free);

    if (s->received == NULL
        || (q->since != NULL && strncmp(s->received, q->since, 10) < 0)
        || (q->until != NULL && strncmp(s->received, q->until, 10) > 0))
        return TRUE;
    stats_count(&q->all, s, q->today);
    for (guint i = 0; i < s->groups->len; i++) {
        char   *key = g_ascii_strdown(g_ptr_array_index(s->groups, i), -1);
        struct stats_row *r;

        if (g_ptr_array_find_with_equal_func(seen, key, g_str_equal, NULL)) {
            g_free(key);
            continue;
        }
        g_ptr_array_add(seen, key);
        if ((r = g_hash_table_lookup(q->rows, key)) == NULL) {
            r = g_new0(struct stats_row, 1);
            g_hash_table_insert(q->rows, g_strdup(key), r);
        }
        stats_count(r, s, q->today);
    }
    return TRUE;
}

/* Order of ints. */
static gint
by_int(gconstpointer a, gconstpointer b)
{
    int     x = *(const int *) a, y = *(const int *) b;

    return (x > y) - (x < y);
}

/* The median of the days in r into *median; FALSE when nothing was
 * answered.  (A median may be below zero: an answer recorded before its
 * statement's arrival by a clock that was set back.) */
static gboolean
stats_median(struct stats_row *r, double *median)
{
    guint   n = r->days != NULL ? r->days->len : 0;

    if (n == 0)
        return FALSE;
    g_array_sort(r->days, by_int);
    *median = n % 2 == 1 ? g_array_index(r->days, int, n / 2)
                         : (g_array_index(r->days, int, n / 2 - 1)
                            + g_array_index(r->days, int, n / 2)) / 2.0;
    return TRUE;
}

/* One row of stats, in the table (its group column width wide) or as a
 * JSON object; key NULL for the statements of every group together. */
static void
stats_print(JsonBuilder *b, const char *key, struct stats_row *r, glong width)
{
    double  median = 0;
    gboolean any = stats_median(r, &median);

    if (b != NULL) {
        static const char *const names[] = {
            "received", "open", "closed", "answered", "on_time", "late", "overdue",
        };
        const unsigned values[] = {
            r->received, r->open, r->closed, r->answered, r->on_time, r->late, r->overdue,
        };

        json_builder_begin_object(b);
        statement_json_string(b, "group", key);
        for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
            json_builder_set_member_name(b, names[i]);
            json_builder_add_int_value(b, values[i]);
        }
        json_builder_set_member_name(b, "median_days_to_answer");
        if (!any)
            json_builder_add_null_value(b);
        else
            json_builder_add_double_value(b, median);
        json_builder_end_object(b);
        return;
    }
    ctl_put_cell(key != NULL ? key : "(all)", width);
    printf("%8u  %4u  %6u  %8u  %7u  %4u  %7u  ", r->received, r->open, r->closed,
           r->answered, r->on_time, r->late, r->overdue);
    if (!any)
        printf("%11s\n", "-");
    else
        printf("%11.1f\n", median);
}

/* liaisonctl stats [--since DAY] [--until DAY] [--now DAY] [--json]: how
 * the statements received in a time were dealt with, per group or area
 * they were assigned to, and in all. */
int
ctl_cmd_stats(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        { "since", required_argument, NULL, 's' },
        { "until", required_argument, NULL, 'u' },
        { "now", required_argument, NULL, 'n' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct stats_query q = { 0 };
    g_autoptr(GHashTable) rows = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                       stats_row_free);
    g_autoptr(GList) keys = NULL;
    g_autoptr(JsonBuilder) b = NULL;
    const char *now = NULL;
    gboolean json = FALSE;
    GError *err = NULL;
    GDate today;
    glong width = 16;
    int c, rc;

    while ((c = getopt_long(argc, argv, "+s:u:n:jh", opts, NULL)) != -1) {
        switch (c) {
        case 's':
        case 'u':
            if (!ctl_option_span(ctl, c == 's', optarg, &q.since, &q.until))
                return EX_USAGE;
            break;
        case 'n': now = optarg; break;
        case 'j': json = TRUE; break;
        case 'h': return ctl_usage(ctl->cmd, TRUE);
        default: return ctl_usage(ctl->cmd, FALSE);
        }
    }
    if (!ctl_span_ok(ctl, q.since, q.until))
        return EX_USAGE;
    if (!ctl_today(ctl, now, &today))
        return EX_USAGE;
    g_date_strftime(q.today, sizeof q.today, "%Y-%m-%d", &today);
    if ((rc = ctl_operands_then_setup(ctl, argc, 0)) != EX_OK
        || (rc = ctl_open_existing_to_read(ctl)) != EX_OK)
        return rc;
    q.rows = rows;
    if (!store_list(ctl->store, stats_one, &q, &err)) {
        log_msg(LOG_ERR, NULL, "cannot read the statements: %s", err->message);
        g_error_free(err);
        g_clear_pointer(&q.all.days, g_array_unref);
        return EX_TEMPFAIL;
    }
    keys = g_list_sort(g_hash_table_get_keys(rows), (GCompareFunc) strcmp);
    /* The group column as wide as its widest key: two keys cut to the
     * same prefix would show two rows under one name.  Wide in terminal
     * columns, as ctl_put_cell counts them (a CJK character takes two),
     * not in characters. */
    for (GList *k = keys; k != NULL; k = k->next) {
        glong   cols;
        g_autofree char *whole = ctl_fit(k->data, G_MAXLONG, &cols);

        width = MAX(width, cols);
    }
    if (json) {
        b = json_builder_new();
        json_builder_begin_array(b);
    } else {
        printf("%-*s  %8s  %4s  %6s  %8s  %7s  %4s  %7s  %s\n", (int) width, "GROUP", "RECEIVED",
               "OPEN", "CLOSED", "ANSWERED", "ON TIME", "LATE", "OVERDUE", "MEDIAN DAYS");
    }
    for (GList *k = keys; k != NULL; k = k->next)
        stats_print(b, k->data, g_hash_table_lookup(rows, k->data), width);
    stats_print(b, NULL, &q.all, width);
    g_clear_pointer(&q.all.days, g_array_unref);
    if (json) {
        json_builder_end_array(b);
        ctl_print_json(b);
    }
    return EX_OK;
}

/* One "Label:   value" line of show, "-" for none. */
static void
show_field(const char *label, const char *value)
{
    printf("%-20s", label);
    ctl_put_text(value != NULL ? value : "-", FALSE);
    putchar('\n');
}

/* Print "Label: a, b" for a contact list. */
static void
show_contacts(const char *label, const GPtrArray *a)
{
    printf("%-20s", label);
    if (a->len == 0)
        printf("-");
    for (guint i = 0; i < a->len; i++) {
        const struct contact *c = g_ptr_array_index(a, i);

        if (i > 0)
            fputs(", ", stdout);
        if (c->name != NULL && c->addr != NULL) {
            ctl_put_text(c->name, FALSE);
            fputs(" <", stdout);
            ctl_put_text(c->addr, FALSE);
            putchar('>');
        } else {
            ctl_put_text(c->addr != NULL ? c->addr : c->name != NULL ? c->name : "-", FALSE);
        }
    }
    printf("\n");
}

/* Print "Label: a, b" for a string list. */
static void
show_strings(const char *label, const GPtrArray *a)
{
    printf("%-20s", label);
    if (a->len == 0)
        printf("-");
    for (guint i = 0; i < a->len; i++) {
        if (i > 0)
            fputs(", ", stdout);
        ctl_put_text(g_ptr_array_index(a, i), FALSE);
    }
    printf("\n");
}

/* The event log of a statement: when, what, who, and the detail. */
static void
show_history(const GPtrArray *events)
{
    printf("%-20s", "History:");
    if (events->len == 0)
        printf("-\n");
    for (guint i = 0; i < events->len; i++) {
        const struct store_event *ev = g_ptr_array_index(events, i);

        printf("%s%s  ", i > 0 ? "                    " : "", ev->at);
        ctl_put_text(ev->what, FALSE);
        if (ev->actor != NULL) {
            fputs(" by ", stdout);
            ctl_put_text(ev->actor, FALSE);
        }
        if (ev->detail != NULL) {
            fputs(": ", stdout);
            ctl_put_text(ev->detail, FALSE);
        }
        putchar('\n');
    }
}

/* Print one statement for a person. */
static void
show_statement(const struct statement *s, const GPtrArray *events)
{
    const struct envelope *e = s->env;

    printf("Statement %" G_GINT64_FORMAT " (%s)\n", s->id, s->state);
    show_field("Title:", e->title);
    show_field("From:", e->from_body);
    show_field("To:", e->to_body);
    show_field("Purpose:", purpose_name(e->purpose));
    show_field("Deadline:", e->deadline);
    show_contacts("Response contacts:", e->response_contacts);
    show_contacts("Technical contacts:", e->technical_contacts);
    show_strings("Groups:", s->groups);
    show_strings("For information:", s->info_groups);
    show_field("Peer:", s->peer);
    show_field("Assignee:", s->assignee);
    printf("%-20s", "Routed to:");
    for (guint i = 0; i < s->recipients->len; i++) {
        const struct recipient *r = g_ptr_array_index(s->recipients, i);

        printf("%s", i > 0 ? "                    " : "");
        ctl_put_text(r->addr, FALSE);
        printf(" (%s)\n", r->role);
    }
    if (s->recipients->len == 0)
        printf("-\n");
    show_strings("Other identifiers:", e->other_identifiers);
    show_strings("Related:", e->related);
    printf("%-20s", "Attachments:");
    for (guint i = 0; i < s->attachments->len; i++) {
        const struct attachment *a = g_ptr_array_index(s->attachments, i);

        printf("%s", i > 0 ? "                    " : "");
        ctl_put_text(a->name, FALSE);
        printf(" (");
        ctl_put_text(a->type, FALSE);
        printf(", %" G_GSIZE_FORMAT " bytes)\n", a->size);
    }
    if (s->attachments->len == 0)
        printf("-\n");
    for (guint i = 0; i < s->diagnostics->len; i++) {
        const struct diagnostic *d = g_ptr_array_index(s->diagnostics, i);

        printf("%-20s%s: ", i == 0 ? "Diagnostics:" : "", d->code);
        ctl_put_text(d->text, FALSE);
        putchar('\n');
    }
    printf("%-20s%s\n", "Received:", s->received != NULL ? s->received : "-");
    if (s->replied != NULL && s->answered) {
        show_field("Answered:", s->replied);
    } else if (s->replied != NULL) {
        /* The history stays, but the answer no longer ends the matter. */
        g_autofree char *was = g_strdup_printf("%s (reopened or given a new deadline since: "
                                               "outstanding again)", s->replied);

        show_field("Answered:", was);
    }
    if (s->closed != NULL)
        show_field("Closed:", s->closed);
    show_field("Message-ID:", s->message_id);
    if (s->forwarded_by != NULL)
        show_field("Forwarded by:", s->forwarded_by);
    show_history(events);
    if (e->body != NULL) {
        putchar('\n');
        ctl_put_text(e->body, TRUE);
        putchar('\n');
    }
}

/* liaisonctl show [--json] ID */
int
ctl_cmd_show(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    gboolean json = FALSE;
    const char *idarg;
    struct statement *s;
    GPtrArray *events;
    GError *err = NULL;
    gint64 id;
    int c, rc;

    /* No "+": options may follow the id too (show 3 --json). */
    while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = TRUE; break;
        case 'h': return ctl_usage(ctl->cmd, TRUE);
        default: return ctl_usage(ctl->cmd, FALSE);
        }
    }
    if (argc - optind != 1)
        return ctl_usage(ctl->cmd, FALSE);
    idarg = argv[optind];
    if (!ctl_statement_id("show", idarg, &id))
        return EX_USAGE;
    if ((rc = ctl_setup(ctl)) != EX_OK || (rc = ctl_open_existing_to_read(ctl)) != EX_OK)
        return rc;
    s = store_get_statement(ctl->store, id, &err);
    if (s == NULL) {
        gboolean missing = g_error_matches(err, STORE_ERROR, STORE_ERROR_NOTFOUND);

        if (missing)
            fprintf(stderr, "liaisonctl: no statement %" G_GINT64_FORMAT " in %s\n", id, ctl->db_path);
        else
            log_msg(LOG_ERR, NULL, "cannot read statement %" G_GINT64_FORMAT ": %s", id, err->message);
        g_error_free(err);
        return missing ? 1 : EX_TEMPFAIL;
    }
    events = store_statement_events(ctl->store, id, &err);
    if (events == NULL) {
        log_msg(LOG_ERR, NULL, "cannot read statement %" G_GINT64_FORMAT "'s history: %s",
                id, err->message);
        g_error_free(err);
        statement_free(s);
        return EX_TEMPFAIL;
    }
    if (json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        statement_to_json(s, b);
        json_builder_set_member_name(b, "history");
        json_builder_begin_array(b);
        for (guint i = 0; i < events->len; i++) {
            const struct store_event *ev = g_ptr_array_index(events, i);

            json_builder_begin_object(b);
            json_builder_set_member_name(b, "at");
            json_builder_add_string_value(b, ev->at);
            json_builder_set_member_name(b, "what");
            json_builder_add_string_value(b, ev->what);
            json_builder_set_member_name(b, "actor");
            json_builder_add_string_value(b, ev->actor);
            json_builder_set_member_name(b, "detail");
            json_builder_add_string_value(b, ev->detail);
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
        json_builder_end_object(b);
        ctl_print_json(b);
    } else {
        show_statement(s, events);
    }
    g_ptr_array_unref(events);
    statement_free(s);
    return EX_OK;
}
