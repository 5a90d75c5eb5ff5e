/*
 * ctl_jobs.c: liaisonctl tickle, publish and backup, the jobs cron runs:
 * the reminders due today, the static site of the outstanding
 * statements, and a copy of the live database.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <sysexits.h>

#include "log.h"
#include "publish.h"
#include "tickle.h"
#include "ctl.h"

/* liaisonctl tickle [--now YYYY-MM-DD] [--dry-run]: queue the reminders
 * due today (or on the day given, for tests and for catching up by hand). */
int
ctl_cmd_tickle(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        { "now", required_argument, NULL, 'n' },
        { "dry-run", no_argument, NULL, 'N' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *now = NULL;
    gboolean dry_run = FALSE, ok;
    struct tickle_policy policy;
    struct tickle_summary sum;
    GError *err = NULL;
    GDate today;
    char day[16];
    unsigned total;
    int c, rc;

    while ((c = getopt_long(argc, argv, "+n:Nh", opts, NULL)) != -1) {
        switch (c) {
        case 'n': now = optarg; break;
        case 'N': dry_run = TRUE; break;
        case 'h': return ctl_usage(ctl->cmd, TRUE);
        default: return ctl_usage(ctl->cmd, FALSE);
        }
    }
    if (optind < argc)
        return ctl_usage(ctl->cmd, FALSE);
    if (!ctl_today(ctl, now, &today))
        return EX_USAGE;
    if ((rc = ctl_setup(ctl)) != EX_OK)
        return rc;
    if (!tickle_policy_from_config(&policy, ctl->cfg, &err)) {
        log_msg(LOG_ERR, NULL, "%s: %s", ctl->config_path != NULL ? ctl->config_path
                                                                 : "configuration", err->message);
        g_error_free(err);
        return EX_CONFIG;
    }
    if (ctl_mail(ctl) == NULL)
        return EX_CONFIG;
    /* Never made here: a mistyped -d in a cron line run as root would
     * leave an empty database liaisond's user cannot write.  A dry run
     * only reads. */
    if ((rc = dry_run ? ctl_open_existing_to_read(ctl) : ctl_open_existing_store(ctl)) != EX_OK)
        return rc;
    ok = tickle_run(ctl->store, ctl_mail(ctl), &policy, &today, dry_run, stdout, &sum, &err);
    g_date_strftime(day, sizeof day, "%Y-%m-%d", &today);
    total = sum.due + sum.overdue + sum.no_deadline;
    printf("tickle %s%s: %u statement%s looked at; %u reminder%s %s (due %u, overdue %u, "
           "no-deadline %u); %u already queued earlier\n",
           day, dry_run ? " (dry run)" : "", sum.looked_at, sum.looked_at == 1 ? "" : "s",
           total, total == 1 ? "" : "s", dry_run ? "would be queued" : "queued",
           sum.due, sum.overdue, sum.no_deadline, sum.already);
    if (!ok) {
        log_msg(LOG_ERR, NULL, "tickle stopped: %s", err->message);
        g_error_free(err);
        return EX_TEMPFAIL;
    }
    return EX_OK;
}

/* liaisonctl publish [--now TIME] [--days N] DIR: the static site of
 * the outstanding statements (publish.c). */
int
ctl_cmd_publish(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        { "now", required_argument, NULL, 'n' },
        { "days", required_argument, NULL, 'D' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct publish_options o = { .recent_days = 90 };
    struct publish_summary sum;
    g_autoptr(GDateTime) t = NULL;
    g_autofree char *now = NULL;
    GError *err = NULL;
    char   *end;
    gint64  days;
    int     c, rc;

    while ((c = getopt_long(argc, argv, "+n:D:h", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            g_clear_pointer(&t, g_date_time_unref);
            if ((t = ctl_parse_time(ctl, optarg)) == NULL)
                return EX_USAGE;
            break;
        case 'D':
            days = g_ascii_strtoll(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || days < 0 || days > 36500) {
                fprintf(stderr, "liaisonctl: publish: --days \"%s\" is not a number of days "
                        "(0 to 36500)\n", optarg);
                return EX_USAGE;
            }
            o.recent_days = (int) days;
            break;
        case 'h': return ctl_usage(ctl->cmd, TRUE);
        default: return ctl_usage(ctl->cmd, FALSE);
        }
    }
    if (argc - optind != 1 || *argv[optind] == '\0')
        return ctl_usage(ctl->cmd, FALSE);
    o.dir = argv[optind];
    if (t == NULL)
        t = g_date_time_new_now_utc();
    now = g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ");
    o.now = now;
    if ((rc = ctl_setup(ctl)) != EX_OK || (rc = ctl_open_existing_to_read(ctl)) != EX_OK)
        return rc;
    /* For a page and a feed per group and area. */
    if (!ctl_open_directory(ctl))
        return EX_CONFIG;
    o.directory = ctl->dir;
    o.base_url = ctl->cfg->base_url != NULL ? ctl->cfg->base_url : "";
    o.site_name = ctl->cfg->mail_from_name != NULL && *ctl->cfg->mail_from_name != '\0'
                  ? ctl->cfg->mail_from_name : "IETF Liaison Statements";
    /* The feeds' ids are minted in the site's mail domain (mail_from's,
     * else the intake's), which stays when base_url moves. */
    o.id_domain = ctl_mail(ctl) != NULL ? ctl_mail(ctl)->bounce_domain : NULL;
    if (!publish_site(ctl->store, &o, &sum, &err)) {
        gboolean file = err->domain == G_FILE_ERROR || err->domain == G_IO_ERROR;

        log_msg(LOG_ERR, NULL, "publish stopped: %s", err->message);
        g_error_free(err);
        return file ? EX_CANTCREAT : EX_TEMPFAIL;
    }
    printf("published %u statement%s to %s: %u outstanding, %u closed in the last %d day%s; "
           "%u group and area page%s; %u file%s written, %u unchanged\n",
           sum.statements, sum.statements == 1 ? "" : "s", o.dir, sum.outstanding,
           sum.closed_recently, o.recent_days, o.recent_days == 1 ? "" : "s",
           sum.groups, sum.groups == 1 ? "" : "s",
           sum.written, sum.written == 1 ? "" : "s", sum.unchanged);
    return EX_OK;
}

/* backup's exit code for a store_backup failure: the destination's own
 * faults (73, 74) apart from the database's (75), as cron mail says. */
static int
backup_exit(const GError *err)
{
    if (err->domain != STORE_ERROR)
        return EX_SOFTWARE;
    switch (err->code) {
    case STORE_ERROR_BUSY:
        return EX_TEMPFAIL;
    case STORE_ERROR_READONLY:
    case STORE_ERROR_NOTFOUND:
        return EX_CANTCREAT;
    default:
        /* Full, an I/O error, a copy that failed its check. */
        return EX_IOERR;
    }
}

/* liaisonctl backup FILE: a consistent, checked, single-file copy of the
 * live database (store_backup), for a nightly cron job. */
int
ctl_cmd_backup(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct store_backup_stats sum;
    g_autofree char *size = NULL;
    const char *file;
    GError *err = NULL;
    int c, rc;

    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'h': return ctl_usage(ctl->cmd, TRUE);
        default: return ctl_usage(ctl->cmd, FALSE);
        }
    }
    if (argc - optind != 1 || *argv[optind] == '\0')
        return ctl_usage(ctl->cmd, FALSE);
    file = argv[optind];
    /* Never creates a database: a mistyped -d must not back up an empty
     * new one, nor leave it behind.  Opened read-only as it is: a backup
     * taken before an upgrade (the new liaisonctl installed, liaisond
     * not yet restarted) must save the old schema, not migrate it. */
    if ((rc = ctl_setup(ctl)) != EX_OK
        || (rc = ctl_open_existing_with(ctl, store_open_for_backup)) != EX_OK)
        return rc;
    if (!store_backup(ctl->store, file, &sum, &err)) {
        rc = backup_exit(err);
        log_msg(LOG_ERR, NULL, "backup failed: %s", err->message);
        g_error_free(err);
        return rc;
    }
    size = compose_size_text((guint64) sum.bytes);
    printf("backed up %" G_GINT64_FORMAT " statement%s, %" G_GINT64_FORMAT " message%s (%s) to %s\n",
           sum.statements, sum.statements == 1 ? "" : "s",
           sum.messages, sum.messages == 1 ? "" : "s", size, file);
    return EX_OK;
}
