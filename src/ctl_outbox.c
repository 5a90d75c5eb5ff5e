/*
 * ctl_outbox.c: liaisonctl queue, requeue and flush, the commands on the
 * outbox of mail the tool sends: shown as mailq shows an MTA's queue,
 * given-up mail put back, and the queue delivered by hand.
 */
#include "config.h"

#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "log.h"
#include "outbox.h"
#include "statement.h"
#include "tickle.h"
#include "ctl.h"

/* Where a queued mail stands: "sent", "given up", "deferred" (an attempt
 * failed; it is tried again) or "queued" (no attempt has failed: not tried
 * yet, or being delivered now).  A sender's claim moves next_try without
 * touching attempts, so "being delivered" cannot be told from the row. */
static const char *
queue_state(const struct store_outbox_row *r)
{
    return r->sent != NULL ? "sent" : r->failed != NULL ? "given up"
         : r->attempts > 0 ? "deferred" : "queued";
}

/* A JSON array member of the lines of an outbox column. */
static void
json_lines(JsonBuilder *b, const char *member, const char *text)
{
    g_autoptr(GPtrArray) lines = outbox_lines(text);

    statement_json_strings(b, member, lines);
}

/* One queued mail as a JSON object. */
static void
queue_json(JsonBuilder *b, const struct store_outbox_row *r)
{
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "id");
    json_builder_add_int_value(b, r->id);
    json_builder_set_member_name(b, "statement");
    if (r->statement != 0)
        json_builder_add_int_value(b, r->statement);
    else
        json_builder_add_null_value(b);
    statement_json_string(b, "kind", r->kind);
    statement_json_string(b, "state", queue_state(r));
    statement_json_string(b, "created", r->created);
    json_builder_set_member_name(b, "attempts");
    json_builder_add_int_value(b, r->attempts);
    statement_json_string(b, "next_try", r->sent == NULL && r->failed == NULL ? r->next_try : NULL);
    statement_json_string(b, "sent", r->sent);
    statement_json_string(b, "failed", r->failed);
    statement_json_string(b, "requeued", r->requeued);
    {
        /* Rows written before smtp_answer kept the relay's bytes valid. */
        g_autofree char *why = r->last_error != NULL ? g_utf8_make_valid(r->last_error, -1) : NULL;

        statement_json_string(b, "last_error", why);
    }
    json_lines(b, "rcpts", r->rcpts);
    json_lines(b, "delivered", r->delivered);
    json_lines(b, "rejected", r->rejected);
    json_builder_end_object(b);
}

/* One queued mail as a table row, and its last error, if any, below it. */
static void
queue_row(const struct store_outbox_row *r)
{
    g_autoptr(GPtrArray) rcpts = outbox_lines(r->rcpts);
    guint n = rcpts->len;
    const char *first = n > 0 ? g_ptr_array_index(rcpts, 0) : "-";
    g_autofree char *to = n > 1 ? g_strdup_printf("%s +%u", first, n - 1) : g_strdup(first);
    char    id[24], ls[24], tries[16], created[17], next[17];

    g_snprintf(id, sizeof id, "%" G_GINT64_FORMAT, r->id);
    if (r->statement != 0)
        g_snprintf(ls, sizeof ls, "%" G_GINT64_FORMAT, r->statement);
    else
        g_strlcpy(ls, "-", sizeof ls);
    g_snprintf(tries, sizeof tries, "%d", r->attempts);
    ctl_table_time(created, r->created);
    ctl_table_time(next, r->sent == NULL && r->failed == NULL ? r->next_try : NULL);
    printf("%-4s  ", id);
    ctl_put_cell(created, 16);
    ctl_put_cell(r->kind, 15);
    printf("%-4s  ", ls);      /* never cut, as the ID: LS 12345 is not 123… */
    ctl_put_cell(tries, 5);
    ctl_put_cell(queue_state(r), 8);
    ctl_put_cell(next, 16);
    ctl_put_text(to, FALSE);
    putchar('\n');
    if (r->last_error != NULL && *r->last_error != '\0') {
        fputs("      last error: ", stdout);
        ctl_put_text(r->last_error, FALSE);
        putchar('\n');
    }
}

/* liaisonctl queue [--all] [--json]: the mail the tool queued and has not
 * sent, as mailq shows an MTA's, with why each is still there. */
int
ctl_cmd_queue(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        { "all", no_argument, NULL, 'a' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    g_autoptr(GPtrArray) rows = NULL;
    gboolean all = FALSE, json = FALSE;
    unsigned queued = 0, deferred = 0, given_up = 0, sent = 0;
    GError *err = NULL;
    int c, rc;

    while ((c = getopt_long(argc, argv, "+ajh", opts, NULL)) != -1) {
        switch (c) {
        case 'a': all = TRUE; break;
        case 'j': json = TRUE; break;
        case 'h': return ctl_usage(ctl->cmd, TRUE);
        default: return ctl_usage(ctl->cmd, FALSE);
        }
    }
    if ((rc = ctl_operands_then_setup(ctl, argc, 0)) != EX_OK
        || (rc = ctl_open_existing_to_read(ctl)) != EX_OK)
        return rc;
    if ((rows = store_outbox_list(ctl->store, all, &err)) == NULL) {
        log_msg(LOG_ERR, NULL, "cannot list the outbox: %s", err->message);
        g_error_free(err);
        return EX_TEMPFAIL;
    }
    if (json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_array(b);
        for (guint i = 0; i < rows->len; i++)
            queue_json(b, g_ptr_array_index(rows, i));
        json_builder_end_array(b);
        ctl_print_json(b);
        return EX_OK;
    }
    printf("%-4s  %-16s  %-15s  %-4s  %-5s  %-8s  %-16s  %s\n", "ID", "QUEUED (UTC)",
           "KIND", "LS", "TRIES", "STATE", "NOT BEFORE (UTC)", "TO");
    for (guint i = 0; i < rows->len; i++) {
        const struct store_outbox_row *r = g_ptr_array_index(rows, i);
        const char *state = queue_state(r);

        queue_row(r);
        if (strcmp(state, "sent") == 0)
            sent++;
        else if (strcmp(state, "given up") == 0)
            given_up++;
        else if (strcmp(state, "deferred") == 0)
            deferred++;
        else
            queued++;
    }
    printf("(%u queued, %u deferred, %u given up", queued, deferred, given_up);
    if (all)
        printf(", %u sent", sent);
    printf(")\n");
    return EX_OK;
}

/* The recipients of an outbox row the relay has not taken, joined with
 * ", ": those a requeue tries again. */
static char *
requeue_rcpts(const struct store_outbox_row *r)
{
    g_autoptr(GPtrArray) rcpts = outbox_lines(r->rcpts);
    g_autoptr(GPtrArray) delivered = outbox_lines(r->delivered);
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < rcpts->len; i++) {
        const char *a = g_ptr_array_index(rcpts, i);

        if (!outbox_has_line(delivered, a))
            g_string_append_printf(s, "%s%s", s->len > 0 ? ", " : "", a);
    }
    return g_string_free(s, FALSE);
}

/* Whether a reminder must not go out again, *why saying so ("closed",
 * "answered", "given a new deadline": its statement has been since, and
 * the reminder would be stale), else NULL; FALSE with *err when the
 * database fails.  The sender's own rules (tickle_reminder_stale), so
 * that requeue never puts back what the sender would drop, nor refuses
 * what it would send: an answer followed by a reopen no longer counts. */
static gboolean
requeue_stale(struct ctl *ctl, const struct store_outbox_row *r, const char **why,
              GError **err)
{
    *why = NULL;
    if (strcmp(r->kind, "reminder") != 0 || r->statement == 0)
        return TRUE;
    return tickle_reminder_stale(ctl->store, r->statement, r->id, why, err);
}

/* Put outbox row id back in the queue, with an event on its statement, in
 * a transaction of its own, and say so (printed, and logged for the
 * record).  EX_OK; 1, said on stderr, when there is no such row, nothing
 * in it to try again (not said when quiet) or it is a stale reminder;
 * EX_TEMPFAIL (logged) when the database fails. */
static int
requeue_one(struct ctl *ctl, gint64 id, const char *now, const char *actor, gboolean quiet)
{
    struct store_outbox_row *r = NULL;
    g_autofree char *to = NULL, *detail = NULL, *last = NULL;
    const char *stale;
    gboolean changed = FALSE;
    GError *err = NULL;

    if (!store_begin(ctl->store, &err))
        goto failed;
    if ((r = store_outbox_get(ctl->store, id, &err)) == NULL) {
        store_rollback(ctl->store);
        if (!g_error_matches(err, STORE_ERROR, STORE_ERROR_NOTFOUND))
            goto failed;
        fprintf(stderr, "liaisonctl: requeue: no mail %" G_GINT64_FORMAT " in the outbox of %s\n",
                id, ctl->db_path);
        g_error_free(err);
        return 1;
    }
    to = requeue_rcpts(r);
    if (!store_outbox_requeue(ctl->store, id, now, &changed, &err))
        goto failed;
    if (!changed) {
        store_rollback(ctl->store);
        if (!quiet)
            fprintf(stderr, "liaisonctl: requeue: mail %" G_GINT64_FORMAT " %s\n", id,
                    r->sent != NULL ? "reached every recipient: nothing to send again"
                                    : "is still in the queue: flush sends it when it is due");
        store_outbox_row_free(r);
        return 1;
    }
    /* Asked once the row could be put back, so that a reminder still
     * waiting is said to be waiting, not left. */
    if (!requeue_stale(ctl, r, &stale, &err))
        goto failed;
    if (stale != NULL) {
        store_rollback(ctl->store);
        fprintf(stderr, "liaisonctl: requeue: mail %" G_GINT64_FORMAT " is a reminder for LS %"
                G_GINT64_FORMAT ", %s since: not sent\n", id, r->statement, stale);
        store_outbox_row_free(r);
        return 1;
    }
    /* Rows written before smtp_answer kept the relay's bytes valid. */
    last = g_utf8_make_valid(r->last_error != NULL ? r->last_error : "no error recorded", -1);
    detail = g_strdup_printf("%s %" G_GINT64_FORMAT " to %s, after %d attempts: %s", r->kind,
                             id, to, r->attempts, last);
    if (r->statement != 0
        && !store_add_event(ctl->store, r->statement, 0, "mail requeued", actor, detail, &err))
        goto failed;
    if (!store_commit(ctl->store, &err))
        goto failed;
    /* Said after the commit: a row printed is a row put back. */
    log_msg(LOG_NOTICE, r->message_id, "outbox %" G_GINT64_FORMAT ": requeued by %s: %s", id,
            actor, detail);
    printf("requeued %" G_GINT64_FORMAT ": %s", id, r->kind);
    if (r->statement != 0)
        printf(" for LS %" G_GINT64_FORMAT, r->statement);
    fputs(" to ", stdout);
    ctl_put_text(to, FALSE);
    putchar('\n');
    store_outbox_row_free(r);
    return EX_OK;

failed:
    store_rollback(ctl->store);
    store_outbox_row_free(r);
    log_msg(LOG_ERR, NULL, "requeue %" G_GINT64_FORMAT ": %s", id, err->message);
    g_error_free(err);
    return EX_TEMPFAIL;
}

/* liaisonctl requeue --all | ID...: put mail given up on back in the
 * queue once the cause is mended, as postsuper -r does for an MTA's. */
int
ctl_cmd_requeue(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        { "all", no_argument, NULL, 'a' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(gint64));
    g_autoptr(GDateTime) t = g_date_time_new_now_utc();
    g_autofree char *now = g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ");
    g_autofree char *actor = ctl_actor();
    gboolean all = FALSE;
    unsigned done = 0;
    int c, rc = EX_OK, worst = EX_OK;

    while ((c = getopt_long(argc, argv, "+ah", opts, NULL)) != -1) {
        switch (c) {
        case 'a': all = TRUE; break;
        case 'h': return ctl_usage(ctl->cmd, TRUE);
        default: return ctl_usage(ctl->cmd, FALSE);
        }
    }
    if (all == (optind < argc)) {
        fprintf(stderr, "liaisonctl: requeue: give the ids of the mail to put back, or --all\n");
        return ctl_usage(ctl->cmd, FALSE);
    }
    for (int i = optind; i < argc; i++) {
        gint64  id;
        gboolean again = FALSE;

        if (!ctl_parse_id(argv[i], &id)) {
            fprintf(stderr, "liaisonctl: requeue: \"%s\" is not a mail id (the ID column of"
                    " liaisonctl queue)\n", argv[i]);
            return EX_USAGE;
        }
        /* The same id twice is one request, not a second that fails. */
        for (guint j = 0; j < ids->len && !again; j++)
            again = g_array_index(ids, gint64, j) == id;
        if (!again)
            g_array_append_val(ids, id);
    }
    if ((rc = ctl_setup(ctl)) != EX_OK || (rc = ctl_open_existing_store(ctl)) != EX_OK)
        return rc;
    if (all) {
        GError *err = NULL;
        g_autoptr(GPtrArray) rows = store_outbox_list(ctl->store, TRUE, &err);

        if (rows == NULL) {
            log_msg(LOG_ERR, NULL, "cannot list the outbox: %s", err->message);
            g_error_free(err);
            return EX_TEMPFAIL;
        }
        /* Only what five days of temporary failures ended (a relay or a
         * network that was down): given up, or sent to some with the rest
         * given up.  A refusal (5xx) would most likely be refused and
         * reported again; it comes back by its id. */
        for (guint i = 0; i < rows->len; i++) {
            const struct store_outbox_row *r = g_ptr_array_index(rows, i);

            if ((r->failed != NULL || (r->sent != NULL && *r->rejected != '\0'))
                && r->last_error != NULL && g_str_has_prefix(r->last_error, OUTBOX_GAVE_UP))
                g_array_append_val(ids, r->id);
        }
    }
    for (guint i = 0; i < ids->len && rc != EX_TEMPFAIL; i++) {
        /* Under --all a row another requeue or a sender changed since the
         * listing is no error: it is not given up any more. */
        rc = requeue_one(ctl, g_array_index(ids, gint64, i), now, actor, all);
        if (rc == EX_OK)
            done++;
        else if (rc != 1 || !all)
            worst = rc;
    }
    /* Also after a failure: the rows put back before it stay put back. */
    printf("(%u requeued%s)\n", done,
           done > 0 ? ", due now: flush or liaisond's sender delivers them" : "");
    return worst;
}

/* Split --relay's HOST[:PORT]: an IPv6 address is bare (more than one
 * colon, no port) or in brackets ([::1]:25).  *port is 0 when none is
 * given.  FALSE for an empty host or a port that is not 1 to 65535. */
static gboolean
parse_relay(const char *arg, char **host, int *port)
{
    const char *colon = NULL, *h = arg, *h_end;
    char   *end;

    *host = NULL;
    *port = 0;
    if (*arg == '[') {
        const char *close = strchr(arg, ']');

        if (close == NULL || (close[1] != '\0' && close[1] != ':'))
            return FALSE;
        h = arg + 1;
        h_end = close;
        colon = close[1] == ':' ? close + 1 : NULL;
    } else if ((colon = strchr(arg, ':')) != NULL && strchr(colon + 1, ':') != NULL) {
        /* Two colons: a bare IPv6 address, or a mistake ("relay::25").
         * getaddrinfo rather than inet_pton, which refuses a link-local
         * address's zone ("fe80::1%eth0") that the outbox's connect takes. */
        struct addrinfo hints = { .ai_family = AF_INET6, .ai_flags = AI_NUMERICHOST };
        struct addrinfo *res = NULL;

        if (getaddrinfo(arg, NULL, &hints, &res) != 0)
            return FALSE;
        freeaddrinfo(res);
        colon = NULL;
        h_end = arg + strlen(arg);
    } else {
        h_end = colon != NULL ? colon : arg + strlen(arg);
    }
    if (h_end == h)
        return FALSE;
    if (colon != NULL) {
        gint64 p = g_ascii_strtoll(colon + 1, &end, 10);

        if (colon[1] == '\0' || *end != '\0' || p <= 0 || p > 65535)
            return FALSE;
        *port = (int) p;
    }
    *host = g_strndup(h, h_end - h);
    return TRUE;
}

/* liaisonctl flush [--max N] [--now TIME] [--relay HOST[:PORT]] */
int
ctl_cmd_flush(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        { "max", required_argument, NULL, 'm' },
        { "now", required_argument, NULL, 'n' },
        { "relay", required_argument, NULL, 'r' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    g_autoptr(GDateTime) now = NULL;
    g_autofree char *relay_host = NULL;
    struct flush_summary sum;
    struct relay relay;
    GError *err = NULL;
    guint64 max64 = 0;
    int relay_port = 0;         /* 0: the configuration's */
    gboolean ok;
    int c, rc;

    while ((c = getopt_long(argc, argv, "+m:n:r:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            /* Digits only: strtoull would take "-1" for the largest
             * number, no limit, where the admin meant a small one. */
            if (!g_ascii_string_to_unsigned(optarg, 10, 0, G_MAXUINT, &max64, NULL)) {
                fprintf(stderr, "liaisonctl: flush: --max wants a number\n");
                return EX_USAGE;
            }
            break;
        case 'n':
            g_clear_pointer(&now, g_date_time_unref);
            if ((now = ctl_parse_time(ctl, optarg)) == NULL)
                return EX_USAGE;
            break;
        case 'r':
            g_free(relay_host);
            if (!parse_relay(optarg, &relay_host, &relay_port)) {
                fprintf(stderr, "liaisonctl: flush: --relay wants HOST[:PORT], with an IPv6"
                                " address in brackets when a port follows ([::1]:25)\n");
                return EX_USAGE;
            }
            break;
        case 'h': return ctl_usage(ctl->cmd, TRUE);
        default: return ctl_usage(ctl->cmd, FALSE);
        }
    }
    if ((rc = ctl_operands_then_setup(ctl, argc, 0)) != EX_OK)
        return rc;
    outbox_relay_from_config(&relay, ctl->cfg);
    /* Another relay is another name: its certificate is checked against
     * the host given here, not the configuration's relay_tls_name. */
    if (relay_host != NULL) {
        relay.host = relay_host;
        relay.tls_name = NULL;
    }
    if (relay_port != 0)
        relay.port = relay_port;
    if (ctl_mail(ctl) == NULL)
        return EX_CONFIG;
    /* Never made here: a mistyped -d in a cron line run as root would
     * leave an empty database liaisond's user cannot write. */
    if ((rc = ctl_open_existing_store(ctl)) != EX_OK)
        return rc;
    /* A relay that drops the connection must not kill us with SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    ok = outbox_flush(ctl->store, &relay, ctl_mail(ctl), now, (unsigned) max64, &sum, &err);
    printf("sent %u, deferred %u, failed %u\n", sum.sent, sum.deferred, sum.failed);
    if (!ok) {
        log_msg(LOG_ERR, NULL, "flush stopped: %s", err->message);
        g_error_free(err);
        return EX_TEMPFAIL;
    }
    return EX_OK;
}
