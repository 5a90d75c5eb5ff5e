/*
 * ctl_ingest.c: liaisonctl ingest and import, the commands that record
 * mail.  ingest reads one message, as an MTA's pipe transport or a
 * .forward runs it, so its exit codes are the MTA's: ctl_ingest_keep()
 * turns every failure that is not the message's fault into 75, which
 * keeps the message queued.  import records an archive oldest first
 * (import.c) and shows its progress.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "classify.h"
#include "envelope.h"
#include "import.h"
#include "ingest.h"
#include "log.h"
#include "message.h"
#include "ctl.h"

/* Largest message ingest reads; bigger input is refused, not truncated. */
#define CTL_MESSAGE_MAX (256u * 1024 * 1024)

/* Read all of fp (bounded).  NULL on failure, the reason printed and
 * *rc set: EX_IOERR for input over the bound (it always will be: an MTA
 * bounces it), EX_TEMPFAIL for a read error (the MTA tries again). */
static GByteArray *
read_all(FILE *fp, const char *name, int *rc)
{
    GByteArray *buf = g_byte_array_new();
    guint8 chunk[65536];
    size_t n;

    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) {
        if (buf->len + n > CTL_MESSAGE_MAX) {
            log_msg(LOG_ERR, NULL, "%s: larger than %u bytes; not read", name, CTL_MESSAGE_MAX);
            g_byte_array_unref(buf);
            *rc = EX_IOERR;
            return NULL;
        }
        g_byte_array_append(buf, chunk, n);
    }
    if (ferror(fp)) {
        log_msg(LOG_ERR, NULL, "%s: read error: %s", name, g_strerror(errno));
        g_byte_array_unref(buf);
        *rc = EX_TEMPFAIL;
        return NULL;
    }
    return buf;
}

/* Print a decision for a person. */
static void
print_decision(const struct decision *d)
{
    const struct statement *s = d->statement;

    if (d->kind == KIND_STATEMENT && s != NULL) {
        printf("%s statement %" G_GINT64_FORMAT ": %s\n",
               d->duplicate ? "already recorded:" : "recorded", s->id,
               s->env->title != NULL ? s->env->title : "(no title)");
        printf("  from %s to %s, %s%s%s\n",
               s->env->from_body != NULL ? s->env->from_body : "(no From body)",
               s->env->to_body != NULL ? s->env->to_body : "(no To body)",
               purpose_name(s->env->purpose),
               s->env->deadline != NULL ? ", deadline " : "",
               s->env->deadline != NULL ? s->env->deadline : "");
    } else if (d->statement_id > 0) {
        printf("%s %s on statement %" G_GINT64_FORMAT "\n",
               d->duplicate ? "already recorded:" : "recorded",
               classify_kind_name(d->kind), d->statement_id);
    } else {
        printf("%s %s mail (message %" G_GINT64_FORMAT ")\n",
               d->duplicate ? "already recorded:" : "recorded",
               classify_kind_name(d->kind), d->message_row);
    }
    for (guint i = 0; i < d->recipients->len; i++) {
        const struct recipient *r = g_ptr_array_index(d->recipients, i);

        printf("  %s %s (%s)\n", i == 0 ? "add" : "   ", r->addr, r->role);
    }
    if (d->kind == KIND_STATEMENT && s != NULL)
        for (guint i = 0; i < s->diagnostics->len; i++) {
            const struct diagnostic *g = g_ptr_array_index(s->diagnostics, i);

            printf("  note %s: %s\n", g->code, g->text);
        }
}

/* ingest's exit code for rc, a failure before the message is recorded.
 * One that is the site's fault, not the message's (a usage error in the
 * MTA's command line, a configuration that cannot be loaded, an internal
 * error, a database whose folder does not exist), becomes 75: an MTA
 * running ingest as a pipe bounces every exit code but 75 (Postfix's
 * pipe(8) defers only on 71 and 75), and must keep the message until the
 * site is put right. */
int
ctl_ingest_keep(int rc)
{
    if (rc != EX_USAGE && rc != EX_CONFIG && rc != EX_SOFTWARE && rc != EX_CANTCREAT)
        return rc;
    log_msg(LOG_ERR, NULL, "nothing recorded: exit %d, not %d, so that an MTA keeps the message",
            EX_TEMPFAIL, rc);
    return EX_TEMPFAIL;
}

/* Whether the command word of a command line whose global options could
 * not be parsed (from argv[from] on, past the bad option) is ingest: an
 * MTA's (a mistyped global option in master.cf), whose mail ctl_ingest_keep
 * must keep.  The values of -c, -d and -D are not command words. */
gboolean
ctl_names_ingest(int argc, char **argv, int from)
{
    for (int i = from; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "-d") == 0
            || strcmp(argv[i], "-D") == 0) {
            i++;
            continue;
        }
        if (argv[i][0] == '-')
            continue;
        return strcmp(argv[i], "ingest") == 0;
    }
    return FALSE;
}

/* liaisonctl ingest [-f SENDER] [--json] [FILE] */
int
ctl_cmd_ingest(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "sender", required_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    gboolean json = FALSE;
    const char *sender = NULL, *name = "stdin";
    g_autofree char *compressed = NULL;
    struct ingest_ctx ictx = { 0 };
    struct decision d;
    GByteArray *raw;
    FILE *fp = stdin;
    int c, rc;

    while ((c = getopt_long(argc, argv, "+jf:h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = TRUE; break;
        case 'f': sender = strcmp(optarg, "<>") == 0 ? "" : optarg; break;
        case 'h': return ctl_usage(ctl->cmd, TRUE);
        default: return ctl_ingest_keep(ctl_usage(ctl->cmd, FALSE));
        }
    }
    if ((rc = ctl_operands_then_setup(ctl, argc, 1)) != EX_OK)
        return ctl_ingest_keep(rc);
    if (argc - optind == 1 && strcmp(argv[optind], "-") != 0) {
        name = argv[optind];
        fp = fopen(name, "rb");
        if (fp == NULL) {
            log_msg(LOG_ERR, NULL, "cannot open %s: %s", name, g_strerror(errno));
            return EX_NOINPUT;
        }
    }
    raw = read_all(fp, name, &rc);
    if (fp != stdin)
        fclose(fp);
    if (raw == NULL)
        return rc;
    /* A compressed file, read as it is, is no mail: said as import says
     * it, with the command that undoes it, and before a database is
     * opened (or made) for it. */
    if ((compressed = import_compressed_why((const char *) raw->data, raw->len)) != NULL) {
        log_msg(LOG_ERR, NULL, "%s: %s", name, compressed);
        g_byte_array_unref(raw);
        return EX_DATAERR;
    }
    /* The bytes the milter and import record for the same message, so
     * that a saved .eml with CRLF is the same mail when it comes again. */
    ingest_line_ends(raw);
    if (!ctl_open_directory(ctl)) {
        g_byte_array_unref(raw);
        return EX_TEMPFAIL;
    }
    if ((rc = ctl_open_store(ctl)) != EX_OK) {
        g_byte_array_unref(raw);
        return ctl_ingest_keep(rc);
    }
    ictx.store = ctl->store;
    ictx.dir = ctl->dir;
    message_limits_default(&ictx.limits);
    /* The notification and acknowledgement are queued with the statement;
     * `liaisonctl flush` (or liaisond's sender) delivers them. */
    ictx.mail = ctl_mail(ctl);
    ictx.notify = ctl->cfg->notify;
    ictx.acknowledge = ctl->cfg->acknowledge;
    ictx.ack_per_day = ctl->cfg->ack_per_day;
    ictx.answer_per_day = ctl->cfg->answer_per_day;
    ictx.authserv_id = ctl->cfg->authserv_id;
    rc = ingest_message(&ictx, (const char *)raw->data, raw->len, sender, &d);
    g_byte_array_unref(raw);
    if (rc != INGEST_OK) {
        log_msg(LOG_ERR, NULL, "%s: %s", name, d.error);
    } else if (json) {
        g_autofree char *js = decision_to_json(&d);

        printf("%s\n", js);
    } else {
        print_decision(&d);
    }
    decision_clear(&d);
    return rc;
}

/* Where an import's progress line goes, and when it was last drawn. */
struct import_view {
    gboolean tty;               /* standard error is a terminal: one line redrawn */
    gboolean drawn;             /* a progress line is on the terminal */
    gint64  last;               /* monotonic time of the last progress line */
};

/* UTC day of Unix time t, in buf. */
static const char *
unix_day(gint64 t, char buf[16])
{
    g_autoptr(GDateTime) d = g_date_time_new_from_unix_utc(t);
    g_autofree char *s = d != NULL ? g_date_time_format(d, "%Y-%m-%d") : NULL;

    g_strlcpy(buf, s != NULL ? s : "?", 16);
    return buf;
}

/* import_report_fn: a message not recorded said at once; progress on
 * standard error, redrawn on a terminal, else a line every ten seconds. */
static void
import_progress(const struct import_item *it, enum ingest_status st, const char *why,
                const struct import_counts *c, guint total, gpointer data)
{
    struct import_view *v = data;
    gint64  now = g_get_monotonic_time();

    if (st != INGEST_OK) {
        if (v->drawn)
            fputs("\r\033[K", stderr);
        v->drawn = FALSE;
        if (it->index > 0)
            log_msg(LOG_WARNING, NULL, "import: %s, message %u (byte %" G_GINT64_FORMAT
                    "): not recorded: %s", it->source, it->index, it->offset,
                    why != NULL ? why : "unknown");
        else
            log_msg(LOG_WARNING, NULL, "import: %s: not recorded: %s", it->source,
                    why != NULL ? why : "unknown");
    }
    if (c->done < total && now - v->last < (v->tty ? G_USEC_PER_SEC / 5 : 10 * G_USEC_PER_SEC))
        return;
    v->last = now;
    if (!v->tty && c->done == total)
        return;                 /* the summary follows */
    fprintf(stderr, "%simport: %u of %u messages (%u%%), %u statements%s",
            v->tty ? "\r\033[K" : "", c->done, total, total > 0 ? c->done * 100 / total : 100,
            c->statements, v->tty ? "" : "\n");
    v->drawn = v->tty;
    fflush(stderr);
}

/* liaisonctl import [--close-before DAY] [--dry-run] PATH...: record an
 * archive of liaison mail, each message dated by its Date, nothing sent
 * (import.c). */
int
ctl_cmd_import(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        { "close-before", required_argument, NULL, 'b' },
        { "dry-run", no_argument, NULL, 'N' },
        { "from-line-dates", no_argument, NULL, 'F' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *close_before = NULL;
    gboolean dry_run = FALSE, from_lines = FALSE;
    struct ingest_ctx ictx = { 0 };
    struct import_counts cnt;
    struct import_view view = { .tty = isatty(STDERR_FILENO), .last = g_get_monotonic_time() };
    struct import *im;
    GError *err = NULL;
    GDate   day;
    char    d1[16], d2[16];
    gint64  start = g_get_monotonic_time();
    int     c, rc;

    while ((c = getopt_long(argc, argv, "+b:NFh", opts, NULL)) != -1) {
        switch (c) {
        case 'b': close_before = optarg; break;
        case 'N': dry_run = TRUE; break;
        case 'F': from_lines = TRUE; break;
        case 'h': return ctl_usage(ctl->cmd, TRUE);
        default: return ctl_usage(ctl->cmd, FALSE);
        }
    }
    if (optind == argc)
        return ctl_usage(ctl->cmd, FALSE);
    if (close_before != NULL && !ctl_option_day(ctl, "close-before", close_before, &day))
        return EX_USAGE;
    if ((rc = ctl_setup(ctl)) != EX_OK)
        return rc;
    /* Every source is read and dated before anything is recorded: a path
     * that cannot be read stops the import with nothing done. */
    if ((im = import_scan(argv + optind, argc - optind, from_lines, &err)) == NULL) {
        log_msg(LOG_ERR, NULL, "import: %s", err->message);
        g_error_free(err);
        return EX_NOINPUT;
    }
    for (guint i = 0; i < import_notes(im)->len; i++)
        log_msg(LOG_WARNING, NULL, "import: %s", (const char *) g_ptr_array_index(import_notes(im), i));
    /* Dates still to come are recorded as now, and shown so. */
    if (import_count(im) > 0)
        printf("import: %u message%s dated %s to %s\n", import_count(im),
               import_count(im) == 1 ? "" : "s",
               unix_day(MIN(import_first_date(im), g_get_real_time() / G_USEC_PER_SEC), d1),
               unix_day(MIN(import_last_date(im), g_get_real_time() / G_USEC_PER_SEC), d2));
    if (dry_run || import_count(im) == 0) {
        if (import_count(im) == 0)
            printf("import: no messages\n");
        import_free(im);
        return EX_OK;
    }
    if (!ctl_open_directory(ctl)) {
        import_free(im);
        return EX_CONFIG;
    }
    /* 73 for a database whose folder does not exist, which no second run
     * mends, as backup and export answer for a FILE in no folder. */
    if ((rc = ctl_open_store(ctl)) != EX_OK) {
        import_free(im);
        return rc;
    }
    ictx.store = ctl->store;
    ictx.dir = ctl->dir;
    message_limits_default(&ictx.limits);
    /* No mail settings: mail dealt with long ago is not announced, and
     * no command in it runs. */
    rc = import_run(im, &ictx, close_before, &cnt, import_progress, &view, &err)
         == INGEST_OK ? (cnt.not_recorded > 0 ? EX_DATAERR : EX_OK) : EX_TEMPFAIL;
    if (view.drawn)
        fputs("\r\033[K", stderr);
    printf("import: %u of %u messages read in %.1f s: %u statement%s", cnt.done,
           import_count(im), (double) (g_get_monotonic_time() - start) / G_USEC_PER_SEC,
           cnt.statements, cnt.statements == 1 ? "" : "s");
    if (close_before != NULL)
        printf(" (%u closed as received before %s)", cnt.closed, close_before);
    printf(", %u correspondence, %u automatic, %u bounce%s; %u recorded before; "
           "%u not recorded\n", cnt.correspondence, cnt.automatic, cnt.bounces,
           cnt.bounces == 1 ? "" : "s", cnt.duplicates, cnt.not_recorded);
    if (rc == EX_TEMPFAIL) {
        log_msg(LOG_ERR, NULL, "import stopped: %s; what was recorded stays, and the same"
                " import again goes on from there", err->message);
        g_error_free(err);
    }
    import_free(im);
    return rc;
}
