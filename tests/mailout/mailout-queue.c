/*
 * mailout-queue.c: a test helper that composes one mail for a recorded
 * statement and queues it in the outbox, as ingest and the tickler do, so
 * that tests/mailout.sh can exercise the sender on its own.
 *
 * Usage: mailout-queue DB ID KIND [DAYS|TO]
 *   KIND: notification, acknowledgement, reminder (DAYS: 7 = due in 7
 *   days, -3 = overdue by 3), report (TO: the address).
 * The mail settings come from $LIAISON_CONF when set, else the defaults.
 * Prints the outbox row id.  Exit 0, 1 when there is nobody to send to,
 * 75 on a store failure.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "compose.h"
#include "config_file.h"
#include "message.h"
#include "outbox.h"
#include "store.h"

/* Compose and queue; see the header comment. */
int
main(int argc, char **argv)
{
    struct config *cfg;
    struct compose_settings *cs;
    struct statement *s;
    struct outmail *m = NULL;
    struct store *st;
    GError *err = NULL;
    gint64 row;
    const char *conf = g_getenv("LIAISON_CONF");

    if (argc < 4) {
        fprintf(stderr, "usage: mailout-queue DB ID KIND [DAYS|TO]\n");
        return EX_USAGE;
    }
    message_library_init();
    if (conf != NULL) {
        cfg = config_load(conf, &err);
        if (cfg == NULL) {
            fprintf(stderr, "mailout-queue: %s\n", err->message);
            return EX_CONFIG;
        }
    } else {
        cfg = g_new0(struct config, 1);
        config_defaults(cfg);
    }
    cs = compose_settings_from_config(cfg, NULL);
    st = store_open(argv[1], 5000, &err);
    if (st == NULL || (s = store_get_statement(st, g_ascii_strtoll(argv[2], NULL, 10), &err)) == NULL) {
        fprintf(stderr, "mailout-queue: %s\n", err->message);
        return EX_TEMPFAIL;
    }
    if (strcmp(argv[3], "notification") == 0) {
        m = compose_notification(cs, s);
    } else if (strcmp(argv[3], "acknowledgement") == 0) {
        m = compose_acknowledgement(cs, s, NULL);
    } else if (strcmp(argv[3], "reminder") == 0 && argc > 4) {
        int days = atoi(argv[4]);

        m = compose_reminder(cs, s, days < 0 ? "overdue" : "due", abs(days));
    } else if (strcmp(argv[3], "report") == 0 && argc > 4) {
        m = compose_report(cs, s, argv[4], "Test report", "A report for a test.");
    } else {
        fprintf(stderr, "mailout-queue: unknown kind %s\n", argv[3]);
        return EX_USAGE;
    }
    if (m == NULL) {
        fprintf(stderr, "mailout-queue: nobody to send the %s to\n", argv[3]);
        return 1;
    }
    if (!store_begin(st, &err) || (row = outbox_queue(st, s->id, m, &err)) == 0
        || !store_commit(st, &err)) {
        fprintf(stderr, "mailout-queue: %s\n", err->message);
        store_rollback(st);
        return EX_TEMPFAIL;
    }
    printf("%" G_GINT64_FORMAT "\n", row);
    outmail_free(m);
    statement_free(s);
    store_close(st);
    compose_settings_free(cs);
    config_free(cfg);
    return 0;
}
