/*
 * liaisonctl.c: the admin tool.  A command table, as in OpenSMTPD's
 * smtpctl: global options first (-c CONFIG, -d DB), then a command and
 * its own options, as git and postconf do.
 *
 * Exit codes follow sysexits(3), because liaisonctl ingest is also run as
 * a pipe transport or from .forward, where the MTA reads them: 0 done,
 * 1 no such statement (show, close, reopen, deadline, reassign, reply),
 * 64 usage, 65 not mail (reply: not text, too large, no address), 66 no
 * input file (ingest, reply) or no database (list, show, close, reopen,
 * deadline, reassign, reply, queue, publish, backup), 70 internal error, 73
 * publish cannot write its folder or backup its file, 74 input too large
 * (backup: disk full or an I/O error), 75 temporary failure (the MTA
 * keeps the message and retries), 78 configuration error; ingest answers
 * 75 for its own usage errors, 70, 78 and unreadable input, which are not
 * the message's fault (ingest_keep()).  The help texts below, usage() and
 * doc/liaisonctl.8 list the same codes; keep them together.
 *
 * Every command takes -h/--help, which prints its usage and description
 * (command_usage(), the same text as 'liaisonctl help COMMAND') and exits
 * 0.  The configuration is read only once a command's arguments are right,
 * so help and usage errors never depend on it.
 */
#include "config.h"

#include <netdb.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "command.h"
#include "compose.h"
#include "config_file.h"
#include "directory.h"
#include "envelope.h"
#include "import.h"
#include "ingest.h"
#include "log.h"
#include "message.h"
#include "outbox.h"
#include "publish.h"
#include "route.h"
#include "store.h"
#include "tickle.h"

/* Largest message ingest reads; bigger input is refused, not truncated. */
#define CTL_MESSAGE_MAX (256u * 1024 * 1024)

struct command;

/* What every command may need, opened on first use. */
struct ctl {
    const struct command *cmd;  /* the command being run */
    gboolean ready;             /* ctl_setup() has run */
    const char *config_path;    /* NULL: none given and none installed */
    const char *db_path;
    const char *dir_path;
    struct config *cfg;         /* the file's settings, or the defaults */
    struct compose_settings *mail;  /* for mail the tool sends, from cfg */
    struct store *store;
    struct directory *dir;
};

struct command {
    const char *name;
    int (*run)(struct ctl *ctl, int argc, char **argv);
    const char *usage;
    const char *help;
};

static const struct command *find_command(const char *name);
static int command_usage(const struct command *c, gboolean help);
static void usage(FILE *fp);

/* The first of the candidate paths that exists, else the last. */
static const char *
first_existing(const char *const *paths)
{
    const char *last = NULL;

    for (int i = 0; paths[i] != NULL; i++) {
        last = paths[i];
        if (access(paths[i], F_OK) == 0)
            return paths[i];
    }
    return last;
}

/* Read the configuration: -c, else $LIAISON_CONF, else the installed
 * file if there is one; without any, the built-in defaults. */
static gboolean
ctl_load_config(struct ctl *ctl)
{
    static const char installed[] = SYSCONFDIR "/liaisond/liaisond.conf";
    GError *err = NULL;

    if (ctl->config_path == NULL)
        ctl->config_path = g_getenv("LIAISON_CONF");
    if (ctl->config_path == NULL && access(installed, F_OK) == 0)
        ctl->config_path = installed;
    if (ctl->config_path == NULL) {
        ctl->cfg = g_new0(struct config, 1);
        config_defaults(ctl->cfg);
        return TRUE;
    }
    ctl->cfg = config_load(ctl->config_path, &err);
    if (ctl->cfg == NULL) {
        log_msg(LOG_ERR, NULL, "%s", err->message);
        g_error_free(err);
        return FALSE;
    }
    return TRUE;
}

/* Fill in the paths: options, then the environment, then the
 * configuration file when one was read, else files beside the build tree
 * or the installed directory. */
static void
ctl_defaults(struct ctl *ctl)
{
    static const char *const dirs[] = { "conf/directory.json",
                                        SYSCONFDIR "/liaisond/directory.json", NULL };
    gboolean from_file = ctl->config_path != NULL;

    if (ctl->db_path == NULL)
        ctl->db_path = g_getenv("LIAISON_DB");
    if (ctl->db_path == NULL)
        ctl->db_path = from_file ? ctl->cfg->database : "liaison.db";
    if (ctl->dir_path == NULL)
        ctl->dir_path = g_getenv("LIAISON_DIRECTORY");
    if (ctl->dir_path == NULL)
        ctl->dir_path = from_file ? ctl->cfg->directory : first_existing(dirs);
}

/* Make ready what every command but help needs, once the command's
 * arguments are known to be right: the configuration, the paths, the
 * message library and the envelope patterns.  EX_OK, or the exit code of
 * the failure (EX_CONFIG, EX_SOFTWARE), the reason printed. */
static int
ctl_setup(struct ctl *ctl)
{
    GError *err = NULL;

    if (!ctl_load_config(ctl))
        return EX_CONFIG;
    ctl_defaults(ctl);
    /* SQLite takes an empty name for a private temporary database: what
     * was recorded there would be gone at exit. */
    if (*ctl->db_path == '\0' || ctl->dir_path == NULL || *ctl->dir_path == '\0') {
        log_msg(LOG_ERR, NULL, "the %s path is empty (from %s)",
                *ctl->db_path == '\0' ? "database" : "directory",
                *ctl->db_path == '\0' ? "-d, LIAISON_DB or database =" :
                                        "-D, LIAISON_DIRECTORY or directory =");
        return EX_CONFIG;
    }
    message_library_init();
    ctl->ready = TRUE;
    if (!envelope_init(&err)) {
        log_msg(LOG_CRIT, NULL, "%s", err->message);
        g_error_free(err);
        return EX_SOFTWARE;
    }
    return EX_OK;
}

/* The end of a command's options: at most max operands left, then
 * ctl_setup().  EX_OK, or the usage error or setup failure's exit code. */
static int
ctl_operands_then_setup(struct ctl *ctl, int argc, int max)
{
    if (argc - optind > max)
        return command_usage(ctl->cmd, FALSE);
    return ctl_setup(ctl);
}

/* The settings for mail the tool sends, made from the configuration on
 * first use. */
static const struct compose_settings *
ctl_mail(struct ctl *ctl)
{
    const struct config *cfg = ctl->cfg;
    gboolean from_set = (cfg->mail_from != NULL && *cfg->mail_from != '\0')
                        || (cfg->intake != NULL && cfg->intake[0] != NULL);

    /* Without mail_from or intake in the configuration the From is the
     * directory's intake address: a directory that does not load then is
     * an error, not a From of liaisons@localhost whose bounces and
     * answers would be lost. */
    if (ctl->mail == NULL && ctl->dir == NULL) {
        GError *err = NULL;

        ctl->dir = directory_load(ctl->dir_path, &err);
        if (ctl->dir == NULL && !from_set) {
            log_msg(LOG_ERR, NULL, "%s (the From of the mail sent comes from its intake,"
                    " as neither mail_from nor intake is set)", err->message);
            g_error_free(err);
            return NULL;
        }
        g_clear_error(&err);
    }
    if (ctl->mail == NULL)
        ctl->mail = compose_settings_from_config(ctl->cfg, ctl->dir);
    return ctl->mail;
}

/* A way to open the store: store_open, or store_open_for_backup. */
typedef struct store *(*store_opener)(const char *path, int busy_timeout_ms, GError **err);

/* Open the store with open; prints the reason and returns FALSE on
 * failure. */
static gboolean
ctl_open_store_with(struct ctl *ctl, store_opener open)
{
    GError *err = NULL;

    if (ctl->store != NULL)
        return TRUE;
    ctl->store = open(ctl->db_path, ctl->cfg->busy_timeout_ms, &err);
    if (ctl->store == NULL) {
        log_msg(LOG_ERR, NULL, "cannot open the database %s: %s", ctl->db_path, err->message);
        g_error_free(err);
        return FALSE;
    }
    return TRUE;
}

/* Open the store (creating and migrating it as needed); prints the reason
 * and returns FALSE on failure. */
static gboolean
ctl_open_store(struct ctl *ctl)
{
    return ctl_open_store_with(ctl, store_open);
}

/* Open the store with open for the commands that never create
 * one: a mistyped path would show "0 statements", and a database made by
 * root before liaisond's first start is one liaisond's user cannot write.
 * EX_OK, EX_NOINPUT when there is none, EX_TEMPFAIL when it cannot be
 * opened; the reason printed. */
static int
ctl_open_existing_with(struct ctl *ctl, store_opener open)
{
    if (!g_file_test(ctl->db_path, G_FILE_TEST_EXISTS)) {
        log_msg(LOG_ERR, NULL, "no database at %s (liaisond creates it at the first intake"
                " message; see -d, LIAISON_DB or database =)", ctl->db_path);
        return EX_NOINPUT;
    }
    return ctl_open_store_with(ctl, open) ? EX_OK : EX_TEMPFAIL;
}

/* ctl_open_existing_with store_open. */
static int
ctl_open_existing_store(struct ctl *ctl)
{
    return ctl_open_existing_with(ctl, store_open);
}

/* Load the directory; prints the reason and returns FALSE on failure. */
static gboolean
ctl_open_directory(struct ctl *ctl)
{
    GError *err = NULL;

    if (ctl->dir != NULL)
        return TRUE;
    ctl->dir = directory_load(ctl->dir_path, &err);
    if (ctl->dir == NULL) {
        log_msg(LOG_ERR, NULL, "%s", err->message);
        g_error_free(err);
        return FALSE;
    }
    return TRUE;
}

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

/* The day an option's value names, strictly YYYY-MM-DD, into *d; FALSE,
 * the reason printed, when it names none. */
static gboolean
ctl_option_day(const struct ctl *ctl, const char *option, const char *value, GDate *d)
{
    if (strlen(value) == 10 && tickle_parse_day(value, d))
        return TRUE;
    fprintf(stderr, "liaisonctl: %s: --%s \"%s\" is not a day (YYYY-MM-DD)\n",
            ctl->cmd->name, option, value);
    return FALSE;
}

/* The day a command works on: --now's YYYY-MM-DD, else today in UTC
 * (deadlines are days without a zone; the store keeps UTC).  FALSE, the
 * reason printed, when --now is not a day. */
static gboolean
ctl_today(const struct ctl *ctl, const char *now, GDate *today)
{
    if (now != NULL) {
        if (!ctl_option_day(ctl, "now", now, today))
            return FALSE;
    } else {
        g_autoptr(GDateTime) t = g_date_time_new_now_utc();

        g_date_clear(today, 1);
        g_date_set_dmy(today, g_date_time_get_day_of_month(t),
                       g_date_time_get_month(t), g_date_time_get_year(t));
    }
    return TRUE;
}

/* The time a --now names, for flush and publish: a day (its midnight
 * UTC, what tests and catching up by hand want) or an ISO 8601 time (UTC
 * when it has no zone), in UTC.  NULL, the reason printed, for anything
 * else. */
static GDateTime *
ctl_parse_time(const struct ctl *ctl, const char *arg)
{
    g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
    g_autofree char *iso = strlen(arg) == 10 ? g_strconcat(arg, "T00:00:00Z", NULL)
                                             : g_strdup(arg);
    g_autoptr(GDateTime) t = g_date_time_new_from_iso8601(iso, utc);

    if (t == NULL) {
        fprintf(stderr, "liaisonctl: %s: --now \"%s\" is not a day (2027-01-15) or an"
                " ISO 8601 time (2027-01-15T09:00:00Z; UTC without a zone)\n",
                ctl->cmd->name, arg);
        return NULL;
    }
    return g_date_time_to_utc(t);
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

/* ingest's exit code for rc, a failure before the message is read.  One
 * that is the site's fault, not the message's (a usage error in the MTA's
 * command line, a configuration that cannot be loaded, an internal
 * error), becomes 75: an MTA running ingest as a pipe bounces every exit
 * code but 75 (Postfix's pipe(8) defers only on 71 and 75), and must keep
 * the message until the site is put right. */
static int
ingest_keep(int rc)
{
    if (rc != EX_USAGE && rc != EX_CONFIG && rc != EX_SOFTWARE)
        return rc;
    log_msg(LOG_ERR, NULL, "nothing recorded: exit %d, not %d, so that an MTA keeps the message",
            EX_TEMPFAIL, rc);
    return EX_TEMPFAIL;
}

/* Whether the command word of a command line whose global options could
 * not be parsed (from argv[from] on, past the bad option) is ingest: an
 * MTA's (a mistyped global option in master.cf), whose mail ingest_keep
 * must keep.  The values of -c, -d and -D are not command words. */
static gboolean
names_ingest(int argc, char **argv, int from)
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
static int
cmd_ingest(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "sender", required_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    gboolean json = FALSE;
    const char *sender = NULL, *name = "stdin";
    struct ingest_ctx ictx = { 0 };
    struct decision d;
    GByteArray *raw;
    FILE *fp = stdin;
    int c, rc;

    while ((c = getopt_long(argc, argv, "+jf:h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = TRUE; break;
        case 'f': sender = strcmp(optarg, "<>") == 0 ? "" : optarg; break;
        case 'h': return command_usage(ctl->cmd, TRUE);
        default: return ingest_keep(command_usage(ctl->cmd, FALSE));
        }
    }
    if ((rc = ctl_operands_then_setup(ctl, argc, 1)) != EX_OK)
        return ingest_keep(rc);
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
    if (!ctl_open_directory(ctl) || !ctl_open_store(ctl)) {
        g_byte_array_unref(raw);
        return EX_TEMPFAIL;
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

/* TRUE for a character printed as a space: a control character (C1 ones
 * too: U+009B is a terminal's CSI), which could move the cursor, or a
 * bidirectional control, which could reorder what follows it. */
static gboolean
terminal_unsafe(gunichar c)
{
    return g_unichar_iscntrl(c) || compose_is_bidi_control(c);
}

/* The terminal columns character c takes: 2 for a wide one (CJK), 0 for
 * a combining mark, else 1. */
static glong
char_columns(gunichar c)
{
    if (terminal_unsafe(c))
        return 1;               /* printed as a space */
    if (g_unichar_iszerowidth(c))
        return 0;
    return g_unichar_iswide(c) ? 2 : 1;
}

/* s cut to at most width terminal columns, with an ellipsis when cut, and
 * any control character made a space (a name from mail could move the
 * cursor); the columns it takes in *used. */
static char *
fit(const char *s, glong width, glong *used)
{
    GString *out = g_string_new(NULL);
    glong cols = 0, total = 0;

    if (s == NULL || !g_utf8_validate(s, -1, NULL))
        s = "-";
    for (const char *p = s; *p != '\0'; p = g_utf8_next_char(p))
        total += char_columns(g_utf8_get_char(p));
    for (const char *p = s; *p != '\0'; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        glong w = char_columns(c);

        /* Room for the ellipsis when the whole does not fit. */
        if (cols + w > (total > width ? width - 1 : width))
            break;
        g_string_append_unichar(out, terminal_unsafe(c) ? ' ' : c);
        cols += w;
    }
    if (total > width) {
        g_string_append(out, "…");
        cols++;
    }
    *used = cols;
    return g_string_free(out, FALSE);
}

/* Print s left-aligned in width terminal columns, then two spaces. */
static void
put_cell(const char *s, glong width)
{
    glong used;
    g_autofree char *f = fit(s, width, &used);

    fputs(f, stdout);
    for (glong n = used; n < width + 2; n++)
        putchar(' ');
}

/* A stored time, "2026-11-27T09:15:00Z", as the tables show it,
 * "2026-11-27 09:15", into out (17 bytes); "-" for none. */
static void
table_time(char out[static 17], const char *iso)
{
    g_strlcpy(out, iso != NULL ? iso : "-", 17);
    if (strlen(out) > 10 && out[10] == 'T')
        out[10] = ' ';
}

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
 * outstanding, as on the published page) and with a deadline.  list's
 * deadline filters and stats' OVERDUE both count by it. */
static gboolean
outstanding_days(const struct statement *s, const char *today, int *days)
{
    return g_strcmp0(s->state, "open") == 0 && s->replied == NULL
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
    table_time(received, s->received);
    printf("%-4s  ", id);       /* never cut: 12345 is not 123… */
    put_cell(received, 16);
    put_cell(s->env->from_body, 24);
    put_cell(s->env->to_body, 24);
    put_cell(purpose_name(s->env->purpose), 11);
    put_cell(s->env->deadline, 10);
    put_cell(s->state, 6);
    {
        glong used;
        g_autofree char *title = fit(s->env->title != NULL ? s->env->title : s->subject,
                                     60, &used);

        printf("%s\n", title);
    }
    return TRUE;
}

/* Print a JSON node, pretty. */
static void
print_json(JsonBuilder *b)
{
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autofree char *text = NULL;

    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, TRUE);
    text = json_generator_to_data(gen, NULL);
    printf("%s\n", text);
}

/* liaisonctl list [FILTER]... [--json]: the statements, or those that pass
 * every filter (--open, --closed, --overdue, --due DAYS, --group GROUP,
 * --from TEXT, --search TEXT; --now sets the day the deadlines count from). */
static int
cmd_list(struct ctl *ctl, int argc, char **argv)
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
        case 'h': return command_usage(ctl->cmd, TRUE);
        default: return command_usage(ctl->cmd, FALSE);
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
    if ((rc = ctl_open_existing_store(ctl)) != EX_OK)
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
        print_json(b);
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
    GArray *days;               /* int: days from arrival to the answer */
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
    if (s->replied != NULL) {
        char    replied[11], received[11];

        /* Days, not times: by the day of the deadline, as the page and
         * list count it. */
        g_strlcpy(replied, s->replied, sizeof replied);
        g_strlcpy(received, s->received, sizeof received);
        r->answered++;
        if (tickle_days_until(replied, s->env->deadline, &days))
            days >= 0 ? r->on_time++ : r->late++;
        if (tickle_days_until(received, replied, &days))
            g_array_append_val(r->days, days);
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
            r->days = g_array_new(FALSE, FALSE, sizeof(int));
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
    guint   n = r->days->len;

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
    put_cell(key != NULL ? key : "(all)", width);
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
static int
cmd_stats(struct ctl *ctl, int argc, char **argv)
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
    GDate today, day;
    glong width = 16;
    int c, rc;

    while ((c = getopt_long(argc, argv, "+s:u:n:jh", opts, NULL)) != -1) {
        switch (c) {
        case 's':
        case 'u':
            if (!ctl_option_day(ctl, c == 's' ? "since" : "until", optarg, &day))
                return EX_USAGE;
            if (c == 's')
                q.since = optarg;
            else
                q.until = optarg;
            break;
        case 'n': now = optarg; break;
        case 'j': json = TRUE; break;
        case 'h': return command_usage(ctl->cmd, TRUE);
        default: return command_usage(ctl->cmd, FALSE);
        }
    }
    if (q.since != NULL && q.until != NULL && strcmp(q.since, q.until) > 0) {
        fprintf(stderr, "liaisonctl: stats: --since %s is after --until %s\n", q.since, q.until);
        return EX_USAGE;
    }
    if (!ctl_today(ctl, now, &today))
        return EX_USAGE;
    g_date_strftime(q.today, sizeof q.today, "%Y-%m-%d", &today);
    if ((rc = ctl_operands_then_setup(ctl, argc, 0)) != EX_OK
        || (rc = ctl_open_existing_store(ctl)) != EX_OK)
        return rc;
    q.rows = rows;
    q.all.days = g_array_new(FALSE, FALSE, sizeof(int));
    if (!store_list(ctl->store, stats_one, &q, &err)) {
        log_msg(LOG_ERR, NULL, "cannot read the statements: %s", err->message);
        g_error_free(err);
        g_array_unref(q.all.days);
        return EX_TEMPFAIL;
    }
    keys = g_list_sort(g_hash_table_get_keys(rows), (GCompareFunc) strcmp);
    /* The group column as wide as its widest key: two keys cut to the
     * same prefix would show two rows under one name. */
    for (GList *k = keys; k != NULL; k = k->next)
        width = MAX(width, g_utf8_strlen(k->data, -1));
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
    g_array_unref(q.all.days);
    if (json) {
        json_builder_end_array(b);
        print_json(b);
    }
    return EX_OK;
}

/* Print text from mail with every control character made a space, C1
 * ones too (U+009B is a terminal's CSI), and with lines, keep its line
 * ends and tabs; bytes that are not UTF-8 are shown as '?'. */
static void
put_text(const char *text, gboolean lines)
{
    for (const char *p = text; *p != '\0';) {
        gunichar c = g_utf8_get_char_validated(p, -1);

        if (c == (gunichar) -1 || c == (gunichar) -2) {
            putchar('?');
            p++;
            continue;
        }
        if (terminal_unsafe(c) && !(lines && (c == '\n' || c == '\t')))
            putchar(' ');
        else
            fwrite(p, 1, g_utf8_next_char(p) - p, stdout);
        p = g_utf8_next_char(p);
    }
}

/* One "Label:   value" line of show, "-" for none. */
static void
show_field(const char *label, const char *value)
{
    printf("%-20s", label);
    put_text(value != NULL ? value : "-", FALSE);
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
            put_text(c->name, FALSE);
            fputs(" <", stdout);
            put_text(c->addr, FALSE);
            putchar('>');
        } else {
            put_text(c->addr != NULL ? c->addr : c->name != NULL ? c->name : "-", FALSE);
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
        put_text(g_ptr_array_index(a, i), FALSE);
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
        put_text(ev->what, FALSE);
        if (ev->actor != NULL) {
            fputs(" by ", stdout);
            put_text(ev->actor, FALSE);
        }
        if (ev->detail != NULL) {
            fputs(": ", stdout);
            put_text(ev->detail, FALSE);
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
        put_text(r->addr, FALSE);
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
        put_text(a->name, FALSE);
        printf(" (");
        put_text(a->type, FALSE);
        printf(", %" G_GSIZE_FORMAT " bytes)\n", a->size);
    }
    if (s->attachments->len == 0)
        printf("-\n");
    for (guint i = 0; i < s->diagnostics->len; i++) {
        const struct diagnostic *d = g_ptr_array_index(s->diagnostics, i);

        printf("%-20s%s: ", i == 0 ? "Diagnostics:" : "", d->code);
        put_text(d->text, FALSE);
        putchar('\n');
    }
    printf("%-20s%s\n", "Received:", s->received != NULL ? s->received : "-");
    if (s->replied != NULL)
        show_field("Answered:", s->replied);
    if (s->closed != NULL)
        show_field("Closed:", s->closed);
    show_field("Message-ID:", s->message_id);
    if (s->forwarded_by != NULL)
        show_field("Forwarded by:", s->forwarded_by);
    show_history(events);
    if (e->body != NULL) {
        putchar('\n');
        put_text(e->body, TRUE);
        putchar('\n');
    }
}

/* A statement id given to command cmd: TRUE with *id, or FALSE having
 * said why. */
static gboolean
parse_statement_id(const char *cmd, const char *arg, gint64 *id)
{
    char   *end;

    *id = g_ascii_strtoll(arg, &end, 10);
    if (*arg == '\0' || *end != '\0' || *id <= 0) {
        fprintf(stderr, "liaisonctl: %s: \"%s\" is not a statement id (a positive number)\n",
                cmd, arg);
        return FALSE;
    }
    return TRUE;
}

/* liaisonctl show [--json] ID */
static int
cmd_show(struct ctl *ctl, int argc, char **argv)
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
        case 'h': return command_usage(ctl->cmd, TRUE);
        default: return command_usage(ctl->cmd, FALSE);
        }
    }
    if (argc - optind != 1)
        return command_usage(ctl->cmd, FALSE);
    idarg = argv[optind];
    if (!parse_statement_id("show", idarg, &id))
        return EX_USAGE;
    if ((rc = ctl_setup(ctl)) != EX_OK || (rc = ctl_open_existing_store(ctl)) != EX_OK)
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
        print_json(b);
    } else {
        show_statement(s, events);
    }
    g_ptr_array_unref(events);
    statement_free(s);
    return EX_OK;
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
/* What statement_operands returns when the command goes on. */
#define OPERANDS_OK (-1)

/* The [--reason TEXT] ID [ARG] operands of close, reopen, deadline and
 * reassign: nargs operands after ID.  OPERANDS_OK with *reason (or NULL),
 * *id and *arg (or NULL); else the exit status (--help's 0, or a usage
 * error's, the usage printed). */
static int
statement_operands(struct ctl *ctl, int argc, char **argv, int nargs,
                   const char **reason, gint64 *id, const char **arg)
{
    static const struct option opts[] = {
        { "reason", required_argument, NULL, 'r' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    *reason = NULL;
    *arg = NULL;
    while ((c = getopt_long(argc, argv, "r:h", opts, NULL)) != -1) {
        switch (c) {
        case 'r': *reason = optarg; break;
        case 'h': return command_usage(ctl->cmd, TRUE);
        default: return command_usage(ctl->cmd, FALSE);
        }
    }
    if (argc - optind != 1 + nargs)
        return command_usage(ctl->cmd, FALSE);
    if (!parse_statement_id(ctl->cmd->name, argv[optind], id))
        return EX_USAGE;
    if (nargs > 0)
        *arg = argv[optind + 1];
    return OPERANDS_OK;
}

/* Who changes a statement from here, for its event: the login behind
 * sudo when there is one, as the event log is read to learn which person
 * closed, moved or reassigned a statement. */
static char *
ctl_actor(void)
{
    return g_strdup_printf("liaisonctl (%s)", g_getenv("SUDO_USER") != NULL
                           ? g_getenv("SUDO_USER") : g_get_user_name());
}

/* The exit status of a statement command that failed with err (freed):
 * 1, said on stderr, when there is no statement id; else 75, logged. */
static int
statement_failed(struct ctl *ctl, gint64 id, GError *err)
{
    int rc = g_error_matches(err, STORE_ERROR, STORE_ERROR_NOTFOUND) ? 1 : EX_TEMPFAIL;

    if (rc == 1)
        fprintf(stderr, "liaisonctl: no statement %" G_GINT64_FORMAT " in %s\n", id, ctl->db_path);
    else
        log_msg(LOG_ERR, NULL, "%s: %s", ctl->cmd->name, err->message);
    g_error_free(err);
    return rc;
}

/* What change_statement changes. */
enum change { CHANGE_STATE, CHANGE_DEADLINE, CHANGE_ASSIGNEE };

/* Make one change to statement id in a transaction of its own, through
 * the actions the commands by mail use (command.c), with an event saying
 * who did it and why; print what it did.  arg is the state, the date or
 * the group. */
static int
change_statement(struct ctl *ctl, enum change what, gint64 id, const char *arg,
                 const char *reason)
{
    g_autofree char *actor = ctl_actor();
    struct command_ctx cc = { .store = ctl->store, .dir = ctl->dir, .notify = ctl->cfg->notify };
    struct command_by by = { .actor = actor, .reason = reason };
    struct command_change ch = { 0 };
    GError *err = NULL;
    gboolean ok;

    /* The notification of a reassigned statement needs the From. */
    if (what == CHANGE_ASSIGNEE && cc.notify && (cc.mail = ctl_mail(ctl)) == NULL)
        return EX_CONFIG;
    if (!store_begin(ctl->store, &err))
        return statement_failed(ctl, id, err);
    switch (what) {
    case CHANGE_STATE:
        ok = command_set_state(&cc, id, arg, &by, &ch, &err);
        break;
    case CHANGE_DEADLINE:
        ok = command_set_deadline(&cc, id, arg, &by, &ch, &err);
        break;
    case CHANGE_ASSIGNEE:
    default:
        ok = command_reassign(&cc, id, arg, &by, &ch, &err);
        break;
    }
    if (!ok || (ch.changed && !store_commit(ctl->store, &err))) {
        store_rollback(ctl->store);
        command_change_clear(&ch);
        return statement_failed(ctl, id, err);
    }
    if (!ch.changed)
        store_rollback(ctl->store);     /* nothing was written */
    /* Said after the commit: a change printed is a change made. */
    if (what == CHANGE_STATE && ch.changed)
        printf("statement %" G_GINT64_FORMAT " %s\n", id,
               strcmp(arg, "closed") == 0 ? "closed" : "reopened");
    else if (what == CHANGE_STATE)
        printf("statement %" G_GINT64_FORMAT " is already %s\n", id, arg);
    else if (what == CHANGE_DEADLINE && ch.changed)
        printf("statement %" G_GINT64_FORMAT " deadline %s (was %s)\n", id, ch.now, ch.was);
    else if (what == CHANGE_DEADLINE)
        printf("statement %" G_GINT64_FORMAT "'s deadline is already %s\n", id, ch.now);
    else if (ch.changed)
        printf("statement %" G_GINT64_FORMAT " reassigned to %s (was %s)\n", id, ch.now, ch.was);
    else
        printf("statement %" G_GINT64_FORMAT " is assigned to %s already\n", id, ch.now);
    command_change_clear(&ch);
    return EX_OK;
}

/* liaisonctl close|reopen [--reason TEXT] ID: set a statement's state,
 * with an event saying who did it and why.  The tickler reminds only open
 * statements; answering one by mail does not close it. */
static int
cmd_close(struct ctl *ctl, int argc, char **argv)
{
    const char *state = strcmp(ctl->cmd->name, "close") == 0 ? "closed" : "open";
    const char *reason, *none;
    gint64 id;
    int rc;

    if ((rc = statement_operands(ctl, argc, argv, 0, &reason, &id, &none)) != OPERANDS_OK
        || (rc = ctl_setup(ctl)) != EX_OK || (rc = ctl_open_existing_store(ctl)) != EX_OK)
        return rc;
    return change_statement(ctl, CHANGE_STATE, id, state, reason);
}

/* liaisonctl deadline [--reason TEXT] ID YYYY-MM-DD: move a statement's
 * deadline; the tickler's reminders follow the new date. */
static int
cmd_deadline(struct ctl *ctl, int argc, char **argv)
{
    const char *reason, *given;
    g_autofree char *date = NULL;
    gint64 id;
    int rc;

    if ((rc = statement_operands(ctl, argc, argv, 1, &reason, &id, &given)) != OPERANDS_OK)
        return rc;
    if ((date = command_date(given)) == NULL) {
        fprintf(stderr, "liaisonctl: deadline: %s is not a date of the form YYYY-MM-DD\n", given);
        return EX_USAGE;
    }
    if ((rc = ctl_setup(ctl)) != EX_OK || (rc = ctl_open_existing_store(ctl)) != EX_OK)
        return rc;
    return change_statement(ctl, CHANGE_DEADLINE, id, date, reason);
}

/* liaisonctl reassign [--reason TEXT] ID GROUP: give a statement to
 * another group or area, as a "reassign:" command by mail does, and
 * queue the notification to its new assignee. */
static int
cmd_reassign(struct ctl *ctl, int argc, char **argv)
{
    const char *reason, *key;
    gint64 id;
    int rc;

    if ((rc = statement_operands(ctl, argc, argv, 1, &reason, &id, &key)) != OPERANDS_OK
        || (rc = ctl_setup(ctl)) != EX_OK || (rc = ctl_open_existing_store(ctl)) != EX_OK)
        return rc;
    if (!ctl_open_directory(ctl))
        return EX_CONFIG;
    if (route_reassign_target(ctl->dir, key) == NULL) {
        fprintf(stderr, "liaisonctl: reassign: the directory has no group or area \"%s\"\n", key);
        return EX_USAGE;
    }
    return change_statement(ctl, CHANGE_ASSIGNEE, id, key, reason);
}

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
    table_time(created, r->created);
    table_time(next, r->sent == NULL && r->failed == NULL ? r->next_try : NULL);
    printf("%-4s  ", id);
    put_cell(created, 16);
    put_cell(r->kind, 15);
    put_cell(ls, 4);
    put_cell(tries, 5);
    put_cell(queue_state(r), 8);
    put_cell(next, 16);
    put_text(to, FALSE);
    putchar('\n');
    if (r->last_error != NULL && *r->last_error != '\0') {
        fputs("      last error: ", stdout);
        put_text(r->last_error, FALSE);
        putchar('\n');
    }
}

/* liaisonctl queue [--all] [--json]: the mail the tool queued and has not
 * sent, as mailq shows an MTA's, with why each is still there. */
static int
cmd_queue(struct ctl *ctl, int argc, char **argv)
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
        case 'h': return command_usage(ctl->cmd, TRUE);
        default: return command_usage(ctl->cmd, FALSE);
        }
    }
    if ((rc = ctl_operands_then_setup(ctl, argc, 0)) != EX_OK
        || (rc = ctl_open_existing_store(ctl)) != EX_OK)
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
        print_json(b);
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

/* Whether a reminder must not go out again, *why saying so ("closed" or
 * "answered": its statement has been since, and the reminder would be
 * stale), else NULL; FALSE with *err when the database fails. */
static gboolean
requeue_stale(struct ctl *ctl, const struct store_outbox_row *r, const char **why,
              GError **err)
{
    struct store_tickle_facts f = { 0 };

    *why = NULL;
    if (strcmp(r->kind, "reminder") != 0 || r->statement == 0)
        return TRUE;
    if (!store_tickle_facts(ctl->store, r->statement, &f, err))
        return FALSE;
    if (g_strcmp0(f.state, "closed") == 0)
        *why = "closed";
    else if (f.replied != NULL)
        *why = "answered";
    store_tickle_facts_clear(&f);
    return TRUE;
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
    put_text(to, FALSE);
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
static int
cmd_import(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        { "close-before", required_argument, NULL, 'b' },
        { "dry-run", no_argument, NULL, 'N' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *close_before = NULL;
    gboolean dry_run = FALSE;
    struct ingest_ctx ictx = { 0 };
    struct import_counts cnt;
    struct import_view view = { .tty = isatty(STDERR_FILENO), .last = g_get_monotonic_time() };
    struct import *im;
    GError *err = NULL;
    GDate   day;
    char    d1[16], d2[16];
    gint64  start = g_get_monotonic_time();
    int     c, rc;

    while ((c = getopt_long(argc, argv, "+b:Nh", opts, NULL)) != -1) {
        switch (c) {
        case 'b': close_before = optarg; break;
        case 'N': dry_run = TRUE; break;
        case 'h': return command_usage(ctl->cmd, TRUE);
        default: return command_usage(ctl->cmd, FALSE);
        }
    }
    if (optind == argc)
        return command_usage(ctl->cmd, FALSE);
    if (close_before != NULL && !ctl_option_day(ctl, "close-before", close_before, &day))
        return EX_USAGE;
    if ((rc = ctl_setup(ctl)) != EX_OK)
        return rc;
    /* Every source is read and dated before anything is recorded: a path
     * that cannot be read stops the import with nothing done. */
    if ((im = import_scan(argv + optind, argc - optind, &err)) == NULL) {
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
    if (!ctl_open_directory(ctl) || !ctl_open_store(ctl)) {
        import_free(im);
        return ctl->dir == NULL ? EX_CONFIG : EX_TEMPFAIL;
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

/* liaisonctl requeue --all | ID...: put mail given up on back in the
 * queue once the cause is mended, as postsuper -r does for an MTA's. */
static int
cmd_requeue(struct ctl *ctl, int argc, char **argv)
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
        case 'h': return command_usage(ctl->cmd, TRUE);
        default: return command_usage(ctl->cmd, FALSE);
        }
    }
    if (all == (optind < argc)) {
        fprintf(stderr, "liaisonctl: requeue: give the ids of the mail to put back, or --all\n");
        return command_usage(ctl->cmd, FALSE);
    }
    for (int i = optind; i < argc; i++) {
        char   *end;
        gint64  id = g_ascii_strtoll(argv[i], &end, 10);
        gboolean again = FALSE;

        if (*argv[i] == '\0' || *end != '\0' || id <= 0) {
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

/* liaisonctl flush [--max N] [--now TIME] [--relay HOST[:PORT]] */
static int
cmd_flush(struct ctl *ctl, int argc, char **argv)
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
    unsigned max = 0;
    int relay_port = 0;         /* 0: the configuration's */
    gboolean ok;
    char *end;
    int c, rc;

    while ((c = getopt_long(argc, argv, "+m:n:r:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            max = (unsigned) g_ascii_strtoull(optarg, &end, 10);
            if (*end != '\0' || *optarg == '\0') {
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
        case 'h': return command_usage(ctl->cmd, TRUE);
        default: return command_usage(ctl->cmd, FALSE);
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
    if (!ctl_open_store(ctl))
        return EX_TEMPFAIL;
    /* A relay that drops the connection must not kill us with SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    if (ctl_mail(ctl) == NULL)
        return EX_CONFIG;
    ok = outbox_flush(ctl->store, &relay, ctl_mail(ctl), now, max, &sum, &err);
    printf("sent %u, deferred %u, failed %u\n", sum.sent, sum.deferred, sum.failed);
    if (!ok) {
        log_msg(LOG_ERR, NULL, "flush stopped: %s", err->message);
        g_error_free(err);
        return EX_TEMPFAIL;
    }
    return EX_OK;
}

/* liaisonctl tickle [--now YYYY-MM-DD] [--dry-run]: queue the reminders
 * due today (or on the day given, for tests and for catching up by hand). */
static int
cmd_tickle(struct ctl *ctl, int argc, char **argv)
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
        case 'h': return command_usage(ctl->cmd, TRUE);
        default: return command_usage(ctl->cmd, FALSE);
        }
    }
    if (optind < argc)
        return command_usage(ctl->cmd, FALSE);
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
    if (!ctl_open_store(ctl))
        return EX_TEMPFAIL;
    if (ctl_mail(ctl) == NULL)
        return EX_CONFIG;
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
static int
cmd_publish(struct ctl *ctl, int argc, char **argv)
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
        case 'h': return command_usage(ctl->cmd, TRUE);
        default: return command_usage(ctl->cmd, FALSE);
        }
    }
    if (argc - optind != 1 || *argv[optind] == '\0')
        return command_usage(ctl->cmd, FALSE);
    o.dir = argv[optind];
    if (t == NULL)
        t = g_date_time_new_now_utc();
    now = g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ");
    o.now = now;
    if ((rc = ctl_setup(ctl)) != EX_OK || (rc = ctl_open_existing_store(ctl)) != EX_OK)
        return rc;
    /* For a page and a feed per group and area. */
    if (!ctl_open_directory(ctl))
        return EX_CONFIG;
    o.directory = ctl->dir;
    o.base_url = ctl->cfg->base_url != NULL ? ctl->cfg->base_url : "";
    o.site_name = ctl->cfg->mail_from_name != NULL && *ctl->cfg->mail_from_name != '\0'
                  ? ctl->cfg->mail_from_name : "IETF Liaison Statements";
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

/* A size for a person, "1.2 MB" (SI units, as ls -h --si and df -H).
 * g_format_size puts a no-break space (U+00A0) before the unit: a plain
 * one here, for cron mail in any charset and for scripts that split on
 * spaces. */
static char *
plain_size(guint64 bytes)
{
    g_autofree char *s = g_format_size(bytes);
    g_auto(GStrv) parts = g_strsplit(s, "\u00a0", -1);

    return g_strjoinv(" ", parts);
}

/* liaisonctl backup FILE: a consistent, checked, single-file copy of the
 * live database (store_backup), for a nightly cron job. */
static int
cmd_backup(struct ctl *ctl, int argc, char **argv)
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
        case 'h': return command_usage(ctl->cmd, TRUE);
        default: return command_usage(ctl->cmd, FALSE);
        }
    }
    if (argc - optind != 1 || *argv[optind] == '\0')
        return command_usage(ctl->cmd, FALSE);
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
    size = plain_size((guint64) sum.bytes);
    printf("backed up %" G_GINT64_FORMAT " statement%s, %" G_GINT64_FORMAT " message%s (%s) to %s\n",
           sum.statements, sum.statements == 1 ? "" : "s",
           sum.messages, sum.messages == 1 ? "" : "s", size, file);
    return EX_OK;
}

/* The largest response text reply reads, and the most its attachments
 * may hold together: base64 makes 7 MiB about 9.7 MB, under Postfix's
 * default message_size_limit (10,240,000 bytes), which a relay would
 * otherwise refuse after the statement was marked answered. */
#define REPLY_TEXT_MAX      (1024 * 1024)
#define REPLY_ATTACH_MAX    (7 * 1024 * 1024)

/* Whether text holds nothing but white space. */
static gboolean
blank(const char *text)
{
    for (; *text != '\0'; text++)
        if (!g_ascii_isspace(*text))
            return FALSE;
    return TRUE;
}

/* Read an attachment for reply, at most *room bytes (what the others
 * left): its name (the file's, as UTF-8 with controls made spaces), type
 * (guessed by GIO from the name and bytes) and bytes; NULL having said
 * why, with *rc the exit status. */
static struct attachment *
reply_attachment(const char *path, gsize *room, int *rc)
{
    g_autofree char *data = NULL, *name = NULL, *type = NULL, *guess = NULL;
    GError *err = NULL;
    gboolean uncertain;
    GStatBuf sb;
    gsize len;
    struct attachment *a;
    GBytes *b;

    /* The size first: --attach /dev/zero must not be read to its end. */
    if (g_stat(path, &sb) != 0) {
        fprintf(stderr, "liaisonctl: reply: --attach %s: %s\n", path, g_strerror(errno));
        *rc = EX_NOINPUT;
        return NULL;
    }
    if (!S_ISREG(sb.st_mode)) {
        fprintf(stderr, "liaisonctl: reply: --attach %s: not a regular file\n", path);
        *rc = EX_NOINPUT;
        return NULL;
    }
    if ((guint64) sb.st_size > *room) {
        fprintf(stderr, "liaisonctl: reply: --attach %s: the attachments would exceed %d MiB "
                "together (a relay refuses larger mail); send a link instead\n", path,
                REPLY_ATTACH_MAX / (1024 * 1024));
        *rc = EX_DATAERR;
        return NULL;
    }
    if (!g_file_get_contents(path, &data, &len, &err)) {
        fprintf(stderr, "liaisonctl: reply: --attach %s: %s\n", path, err->message);
        g_error_free(err);
        *rc = EX_NOINPUT;
        return NULL;
    }
    if (len > *room) {
        fprintf(stderr, "liaisonctl: reply: --attach %s: grew while read\n", path);
        *rc = EX_DATAERR;
        return NULL;
    }
    *room -= len;
    name = g_filename_display_basename(path);
    for (char *p = name; *p != '\0'; p++)
        if ((unsigned char) *p < 0x20 || *p == 0x7f)
            *p = ' ';
    guess = g_content_type_guess(name, (const guchar *) data, len, &uncertain);
    type = g_content_type_get_mime_type(guess);
    b = g_bytes_new_take(g_steal_pointer(&data), len);
    a = attachment_new(name, type != NULL ? type : "application/octet-stream", b);
    g_bytes_unref(b);
    return a;
}

/* liaisonctl reply [--to ADDR]... [--attach FILE]... [--close] ID TEXT:
 * send the IETF's response to a statement and record that it was
 * answered, so that the tickler stops. */
static int
cmd_reply(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        { "to", required_argument, NULL, 't' },
        { "attach", required_argument, NULL, 'a' },
        { "close", no_argument, NULL, 'c' },
        { "dry-run", no_argument, NULL, 'N' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    g_autoptr(GPtrArray) to = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(attachment_free);
    g_autofree char *text = NULL, *actor = ctl_actor(), *detail = NULL;
    g_autofree char *rcpts = NULL;
    gboolean close_it = FALSE, dry_run = FALSE;
    gsize   room = REPLY_ATTACH_MAX;
    struct statement *s = NULL;
    struct outmail *m = NULL;
    struct command_change ch = { 0 };
    GError *err = NULL;
    const char *textpath;
    gint64 id, row;
    gsize len;
    int c, rc;

    while ((c = getopt_long(argc, argv, "+t:a:cNh", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            if (!compose_address_ok(optarg)) {
                fprintf(stderr, "liaisonctl: reply: --to \"%s\" is not an address (a plain "
                        "local@domain, no name or brackets)\n", optarg);
                return EX_USAGE;
            }
            g_ptr_array_add(to, g_strdup(optarg));
            break;
        case 'a': {
            int     arc = EX_OK;
            struct attachment *a = reply_attachment(optarg, &room, &arc);

            if (a == NULL)
                return arc;
            g_ptr_array_add(files, a);
            break;
        }
        case 'c': close_it = TRUE; break;
        case 'N': dry_run = TRUE; break;
        case 'h': return command_usage(ctl->cmd, TRUE);
        default: return command_usage(ctl->cmd, FALSE);
        }
    }
    if (argc - optind != 2)
        return command_usage(ctl->cmd, FALSE);
    if (!parse_statement_id(ctl->cmd->name, argv[optind], &id))
        return EX_USAGE;
    textpath = argv[optind + 1];
    if (strcmp(textpath, "-") == 0) {
        GString *in = g_string_new(NULL);
        char buf[8192];
        size_t n;

        while ((n = fread(buf, 1, sizeof buf, stdin)) > 0 && in->len <= REPLY_TEXT_MAX)
            g_string_append_len(in, buf, (gssize) n);
        if (ferror(stdin)) {
            fprintf(stderr, "liaisonctl: reply: reading standard input: %s\n", g_strerror(errno));
            g_string_free(in, TRUE);
            return EX_NOINPUT;
        }
        len = in->len;
        text = g_string_free(in, FALSE);
    } else if (!g_file_get_contents(textpath, &text, &len, &err)) {
        fprintf(stderr, "liaisonctl: reply: %s\n", err->message);
        g_error_free(err);
        return EX_NOINPUT;
    }
    if (len > REPLY_TEXT_MAX || !g_utf8_validate(text, (gssize) len, NULL)
        || strlen(text) != len || blank(text)) {
        fprintf(stderr, "liaisonctl: reply: %s is not the text of a response (UTF-8, not "
                "empty, at most %d KiB)\n", textpath, REPLY_TEXT_MAX / 1024);
        return EX_DATAERR;
    }
    if ((rc = ctl_setup(ctl)) != EX_OK || (rc = ctl_open_existing_store(ctl)) != EX_OK)
        return rc;
    if (!ctl_open_directory(ctl) || ctl_mail(ctl) == NULL)
        return EX_CONFIG;
    if (!store_begin(ctl->store, &err))
        return statement_failed(ctl, id, err);
    if ((s = store_get_statement_meta(ctl->store, id, &err)) == NULL)
        goto failed;
    if (to->len == 0) {
        /* Whom ingest acknowledged: a forward's forwarder, not the From
         * of the attached message, which anyone can write. */
        g_autofree char *from = s->forwarded_by != NULL ? g_strdup(s->forwarded_by)
                                                        : message_from_address(s->header_from);

        g_ptr_array_unref(to);
        to = route_acknowledge_to(ctl->dir, s, from);
    }
    if (s->replied != NULL)
        printf("statement %" G_GINT64_FORMAT " was answered before, on %.10s: this is "
               "another response\n", id, s->replied);
    if ((m = compose_response(ctl_mail(ctl), s, to, text, files)) == NULL) {
        store_rollback(ctl->store);
        statement_free(s);
        fprintf(stderr, "liaisonctl: reply: statement %" G_GINT64_FORMAT " has no response "
                "contact at its sender's own domains to send to; name one with --to ADDR\n", id);
        return EX_DATAERR;
    }
    g_ptr_array_add(m->rcpts, NULL);
    rcpts = g_strjoinv(", ", (char **) m->rcpts->pdata);
    g_ptr_array_remove_index(m->rcpts, m->rcpts->len - 1);
    statement_free(s);
    s = NULL;
    if (dry_run) {
        gsize   n;
        const char *raw = g_bytes_get_data(m->raw, &n);

        store_rollback(ctl->store);
        printf("statement %" G_GINT64_FORMAT ": the response would go to %s; nothing queued "
               "(dry run).  It reads:\n\n", id, rcpts);
        /* The message as it would be sent, CRLF made LF for a terminal. */
        for (gsize i = 0; i < n; i++)
            if (raw[i] != '\r')
                putchar(raw[i]);
        outmail_free(m);
        return EX_OK;
    }
    if ((row = outbox_queue(ctl->store, id, m, &err)) == 0)
        goto failed;
    detail = g_strdup_printf("%s, outbox %" G_GINT64_FORMAT ", to %s", m->message_id, row, rcpts);
    if (!store_set_replied(ctl->store, id, &err)
        || !store_add_event(ctl->store, id, 0, "replied", actor, detail, &err))
        goto failed;
    if (close_it) {
        struct command_ctx cc = { .store = ctl->store };
        struct command_by by = { .actor = actor, .reason = "replied" };

        if (!command_set_state(&cc, id, "closed", &by, &ch, &err))
            goto failed;
    }
    if (!store_commit(ctl->store, &err))
        goto failed;
    printf("statement %" G_GINT64_FORMAT ": response queued to %s%s\n", id, rcpts,
           ch.changed ? "; statement closed" : "");
    outmail_free(m);
    command_change_clear(&ch);
    return EX_OK;
failed:
    store_rollback(ctl->store);
    statement_free(s);
    outmail_free(m);
    command_change_clear(&ch);
    return statement_failed(ctl, id, err);
}

/* liaisonctl help [COMMAND]: the same as COMMAND --help, or the summary. */
static int
cmd_help(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const struct command *c;
    int opt;

    while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (opt) {
        case 'h': return command_usage(ctl->cmd, TRUE);
        default: return command_usage(ctl->cmd, FALSE);
        }
    }
    if (argc - optind > 1)
        return command_usage(ctl->cmd, FALSE);
    if (argc - optind == 0) {
        usage(stdout);
        return EX_OK;
    }
    c = find_command(argv[optind]);
    if (c == NULL) {
        fprintf(stderr, "liaisonctl: help: unknown command \"%s\"; 'liaisonctl help' lists them\n",
                argv[optind]);
        return EX_USAGE;
    }
    return command_usage(c, TRUE);
}

/* The commands.  usage is what follows the name on the usage line; help
 * describes the command, its options with their defaults, and its exit
 * codes.  doc/liaisonctl.8 says the same: change both together. */
static const struct command commands[] = {
    { "ingest", cmd_ingest, "[-f SENDER] [--json] [FILE]",
      "Read one message (FILE, or standard input when FILE is absent or \"-\") and\n"
      "record it: a new statement, correspondence on a recorded one, auto-generated\n"
      "mail or a bounce.  Prints the decision: the statement, whom the mail is\n"
      "routed to (with each recipient's role) and the diagnostics.  The same\n"
      "message ingested twice is recorded once.\n"
      "\n"
      "Options:\n"
      "  -f, --sender SENDER  the envelope sender; \"<>\" is the null sender of a\n"
      "                       bounce (default: none, unknown)\n"
      "  -j, --json           print the decision as a JSON object\n"
      "  -h, --help           this help\n"
      "\n"
      "Exit status: 0 recorded (or recorded before); 65 not mail, nothing\n"
      "recorded; 66 FILE cannot be opened; 74 the input is larger than 256 MiB;\n"
      "75 temporary failure: a usage error in ingest's options or operands, the\n"
      "configuration, the directory or the database cannot be loaded, opened or\n"
      "written, or the input cannot be read; nothing recorded, an MTA keeps the\n"
      "message and retries.  (An MTA running ingest as a pipe bounces every\n"
      "code but 75 and 71, so whatever is not the message's fault is 75.)" },
    { "import", cmd_import, "[--close-before YYYY-MM-DD] [--dry-run] PATH...",
      "Record an archive of liaison mail: each PATH an mbox (a list archive), a\n"
      "file holding one message, a Maildir or a folder of message files.  Every\n"
      "message is read and dated first, then recorded oldest first, as liaisond\n"
      "would have recorded it on arrival (so that an answer threads onto its\n"
      "statement), each dated by its Date header (without one, by an mbox's From_\n"
      "line, else it keeps its place after the one before it; a Date in the\n"
      "future counts as now).  CRLF and LF files alike; an mbox is read as mboxrd.\n"
      "Nothing is sent: no notification, acknowledgement or answer to a command.\n"
      "A message recorded before (live, or by an earlier import) is recognised and\n"
      "not recorded again, so an import that stopped can simply be run again.\n"
      "Progress goes to standard error, the messages not recorded with their\n"
      "place, and what was left out (empty files, folders within a folder), and a\n"
      "summary to standard output.  It creates the database when there is none:\n"
      "run it as liaisond's user.\n"
      "\n"
      "Options:\n"
      "  -b, --close-before DAY  close every statement received before DAY\n"
      "                          (YYYY-MM-DD), dated when it was received, so\n"
      "                          that the tickler does not remind anyone of\n"
      "                          statements dealt with long ago (one recorded\n"
      "                          before only if nobody ever closed or reopened\n"
      "                          it)\n"
      "  -N, --dry-run           read and date the messages, record nothing\n"
      "  -h, --help              this help\n"
      "\n"
      "Exit status: 0 every message recorded (or recorded before); 64 usage\n"
      "error; 65 some messages were not mail or were larger than 256 MiB and were\n"
      "not recorded (the rest were); 66 a PATH cannot be read (nothing recorded);\n"
      "75 the database cannot be opened or written, or a PATH changed since it\n"
      "was read (what was recorded stays; the same import again goes on); 78\n"
      "configuration error, or the directory cannot be loaded." },
    { "list", cmd_list, "[FILTER]... [--json]",
      "List the statements, oldest first: id, received, from, to, purpose,\n"
      "deadline, state and title, then how many.  With filters, only those\n"
      "that pass every filter given, and how many of how many.\n"
      "\n"
      "Filters:\n"
      "  -o, --open            open statements\n"
      "  -C, --closed          closed statements\n"
      "  -O, --overdue         open statements not answered (reply) whose\n"
      "                        deadline has passed\n"
      "  -u, --due DAYS        open statements not answered that are due within\n"
      "                        DAYS days (0: today), the overdue ones included\n"
      "  -g, --group GROUP     assigned to GROUP, a group or area of the\n"
      "                        directory, or iesg; an area also gives those\n"
      "                        assigned to its groups\n"
      "  -f, --from TEXT       whose From body holds TEXT, case ignored\n"
      "  -s, --search TEXT     whose Title, Subject or Body holds TEXT, case\n"
      "                        ignored\n"
      "\n"
      "Options:\n"
      "  -n, --now YYYY-MM-DD  the day --overdue and --due count from\n"
      "                        (default: today, UTC)\n"
      "  -j, --json            print a JSON array of those statements (the\n"
      "                        fields of show --json)\n"
      "  -h, --help            this help\n"
      "\n"
      "Exit status: 0 listed, even none; 64 usage error, a --now that is not\n"
      "a day, or a GROUP the directory does not have; 66 no database; 70\n"
      "internal error; 75 the database cannot be opened or read; 78\n"
      "configuration error, or with --group a directory that cannot be read." },
    { "stats", cmd_stats, "[--since YYYY-MM-DD] [--until YYYY-MM-DD] [--now YYYY-MM-DD] [--json]",
      "How the statements received in a time were dealt with: for each group or\n"
      "area they were assigned to (a statement to two groups counts in both; an\n"
      "area's row has the statements assigned to the area itself), then for all\n"
      "of them (each once, with those assigned to none), how many were received,\n"
      "are open, are closed, were answered (liaisonctl reply), answered by their\n"
      "deadline (ON TIME) or after it (LATE; one with no deadline counts in\n"
      "neither), are overdue (open, not answered, the deadline passed), and the\n"
      "median of the days from arrival to the answer.  Days are UTC days.\n"
      "\n"
      "Options:\n"
      "  -s, --since YYYY-MM-DD  only statements received on that day or later\n"
      "  -u, --until YYYY-MM-DD  only statements received on that day or earlier\n"
      "  -n, --now YYYY-MM-DD    the day OVERDUE counts from (default: today, UTC)\n"
      "  -j, --json              print a JSON array: group (null for all),\n"
      "                          received, open, closed, answered, on_time, late,\n"
      "                          overdue, median_days_to_answer (null when none)\n"
      "  -h, --help              this help\n"
      "\n"
      "Exit status: 0 printed; 64 usage error (also --since after --until); 66\n"
      "no database; 70 internal error; 75 the database cannot be opened or\n"
      "read; 78 configuration error." },
    { "show", cmd_show, "[--json] ID",
      "Show everything recorded about statement ID, ending with its history:\n"
      "arrival, routing, mail queued, correspondence, reminders, closing,\n"
      "deadlines moved, reassignments, commands refused by mail, responses sent.\n"
      "When it was answered (reply) and closed show as Answered and Closed.\n"
      "\n"
      "Options:\n"
      "  -j, --json  print the statement as a JSON object\n"
      "  -h, --help  this help\n"
      "\n"
      "Exit status: 0 shown; 1 no statement ID; 64 usage error (ID is not a\n"
      "positive number); 66 no database; 70 internal error; 75 the database\n"
      "cannot be opened or read; 78 configuration error." },
    { "close", cmd_close, "[--reason TEXT] ID",
      "Close statement ID: the tickler stops reminding its assignee.  An event\n"
      "records who closed it (the login behind sudo, else this user) and why.\n"
      "Closing a closed statement changes nothing.\n"
      "\n"
      "Options:\n"
      "  -r, --reason TEXT  why, kept with the event (\"answered by LS 57\")\n"
      "  -h, --help         this help\n"
      "\n"
      "Exit status: 0 closed, or already closed; 1 no statement ID; 64 usage\n"
      "error; 66 no database; 70 internal error; 75 the database cannot be\n"
      "opened or written; 78 configuration error." },
    { "reopen", cmd_close, "[--reason TEXT] ID",
      "Open statement ID again after a close: the tickler reminds it again.\n"
      "An event records who and why.\n"
      "\n"
      "Options:\n"
      "  -r, --reason TEXT  why, kept with the event\n"
      "  -h, --help         this help\n"
      "\n"
      "Exit status: 0 reopened, or already open; 1 no statement ID; 64 usage\n"
      "error; 66 no database; 70 internal error; 75 the database cannot be\n"
      "opened or written; 78 configuration error." },
    { "deadline", cmd_deadline, "[--reason TEXT] ID YYYY-MM-DD",
      "Move statement ID's deadline to YYYY-MM-DD, as a \"deadline:\" command by\n"
      "mail does: the reminders start again from the new date.  An event records\n"
      "who (the login behind sudo, else this user), the old and new dates, and\n"
      "why.  The same date again changes nothing.\n"
      "\n"
      "Options:\n"
      "  -r, --reason TEXT  why, kept with the event (\"extended at SG15's request\")\n"
      "  -h, --help         this help\n"
      "\n"
      "Exit status: 0 moved, or already that date; 1 no statement ID; 64 usage\n"
      "error (not a date of the form YYYY-MM-DD); 66 no database; 70 internal\n"
      "error; 75 the database cannot be opened or written; 78 configuration\n"
      "error." },
    { "reassign", cmd_reassign, "[--reason TEXT] ID GROUP",
      "Give statement ID to another group or area (its acronym, or iesg), as a\n"
      "\"reassign:\" command by mail does: its chairs (or ADs) become the assignee,\n"
      "its area's ADs the supervisor and its list the list; the technical\n"
      "contacts, the liaison manager and the lists copied for information stay.\n"
      "The notification is queued to them (unless notify = no).  An event\n"
      "records who, from whom to whom, and why.  A closed statement stays closed.\n"
      "\n"
      "Options:\n"
      "  -r, --reason TEXT  why, kept with the event\n"
      "  -h, --help         this help\n"
      "\n"
      "Exit status: 0 reassigned, or already assigned there; 1 no statement ID;\n"
      "64 usage error (no such group or area); 66 no database; 70 internal error;\n"
      "75 the database cannot be opened or written; 78 configuration error (the\n"
      "directory cannot be loaded)." },
    { "queue", cmd_queue, "[--all] [--json]",
      "The mail the tool queued and has not sent (notifications,\n"
      "acknowledgements, reminders, reports, responses), oldest first, as\n"
      "mailq shows an MTA's: id, when queued, kind, statement, attempts made,\n"
      "state (queued: no attempt has failed, not tried yet or being delivered\n"
      "now; deferred: an attempt failed, it is tried again; given up), the time\n"
      "before which no sender takes it up (the next try after a failure, or the\n"
      "end of a sender's 30-minute claim while it delivers it), the recipients\n"
      "(the first, +N more), and below a row its last error (the relay's answer,\n"
      "or why it could not be reached).  Then how\n"
      "many are in each state.  flush delivers them; requeue puts given-up mail\n"
      "back.\n"
      "\n"
      "Options:\n"
      "  -a, --all   the mail sent too (state sent)\n"
      "  -j, --json  print a JSON array: id, statement (null for none), kind,\n"
      "              state, created, attempts, next_try (null once sent or given\n"
      "              up), sent, failed, requeued (when requeue last put it\n"
      "              back, else null), last_error, and the arrays rcpts,\n"
      "              delivered and rejected\n"
      "  -h, --help  this help\n"
      "\n"
      "Exit status: 0 listed; 64 usage error; 66 no database; 70 internal\n"
      "error; 75 the database cannot be opened or read; 78 configuration error." },
    { "requeue", cmd_requeue, "--all | ID...",
      "Put mail the sender gave up on back in the queue, once what stopped it\n"
      "is mended, as postsuper -r does for an MTA's: by ID, a row of\n"
      "liaisonctl queue in state given up, or a sent mail some of whose\n"
      "recipients the relay refused; with --all, every mail given up after five\n"
      "days of temporary failures (a relay or network that was down), whether\n"
      "nobody or only some got it.  Every recipient that did not get it is\n"
      "tried again (one refused before such a give-up too), due at once (flush,\n"
      "or liaisond's sender at its next round), with the backoff started over\n"
      "and five new days before it is given up again; refused again, it is\n"
      "reported again.  Each is printed, logged, and recorded on its statement\n"
      "(event \"mail requeued\", with the attempts and the last error).  Not put\n"
      "back: mail still waiting in the queue (a sender may be delivering it),\n"
      "and a reminder whose statement has been closed or answered since.\n"
      "\n"
      "Options:\n"
      "  -a, --all   every mail given up after five days of temporary failures\n"
      "              (a refusal, 5xx, only by its ID)\n"
      "  -h, --help  this help\n"
      "\n"
      "Exit status: 0 requeued (with --all, also when there was none, or a stale\n"
      "reminder was left, said); 1 an ID names no mail, one with nothing to send\n"
      "again, or a stale reminder (said; the others are still requeued); 64\n"
      "usage error; 66 no database; 70 internal error; 75 the database cannot\n"
      "be opened or written (those requeued before it stay so, and are\n"
      "counted); 78 configuration error." },
    { "flush", cmd_flush, "[--max N] [--now TIME] [--relay HOST[:PORT]]",
      "Deliver the queued mail that is due (notifications, acknowledgements,\n"
      "reminders, reports) to the relay, retrying temporary failures later and\n"
      "reporting permanent ones.  Prints how many were sent, deferred and failed.\n"
      "\n"
      "Options:\n"
      "  -m, --max N              deliver at most N queued mails (default: 0, all\n"
      "                           that are due)\n"
      "  -n, --now TIME           deliver what is due at TIME, ISO 8601: a day\n"
      "                           (2027-01-15, its midnight UTC) or a time\n"
      "                           (2027-01-15T09:00:00Z; UTC without a zone)\n"
      "                           (default: the current time); each row's claim\n"
      "                           lasts 30 minutes from TIME, so a TIME further\n"
      "                           back makes claims another sender may take at\n"
      "                           once: to test or catch up, not beside liaisond's\n"
      "                           sender\n"
      "  -r, --relay HOST[:PORT]  the relay (default: relay_host and relay_port of\n"
      "                           the configuration, 127.0.0.1 and 25 by default;\n"
      "                           without PORT, relay_port; an IPv6 address with\n"
      "                           a port in brackets, [::1]:25); with STARTTLS its\n"
      "                           certificate must name HOST (relay_tls_name is\n"
      "                           not used)\n"
      "  -h, --help               this help\n"
      "\n"
      "Exit status: 0 done (mail the relay did not take is counted as deferred or\n"
      "failed); 64 usage error; 70 internal error; 75 the database cannot be opened\n"
      "or failed (run it again later); 78 configuration error." },
    { "reply", cmd_reply, "[--to ADDR]... [--attach FILE]... [--close] [--dry-run] ID TEXT",
      "Send the IETF's response to statement ID and record that it was answered:\n"
      "the tickler stops reminding it.  TEXT is a file holding the letter (UTF-8\n"
      "text, at most 1 MiB; \"-\" for standard input); it goes out from the tool's\n"
      "address (mail_from), Subject \"[LS ID] Response: TITLE\", threaded on the\n"
      "statement, to the statement's response contacts at the sending body's own\n"
      "domains (else its sender, or a forward's forwarder: whom its acknowledgement\n"
      "went to), copying everyone its notification went to, the\n"
      "lists included; replies to it come back to intake and are threaded on the\n"
      "statement.  The outbox delivers it (liaisond's sender, or flush).\n"
      "\n"
      "Options:\n"
      "  -t, --to ADDR      send to ADDR (a plain local@domain) instead of the\n"
      "                     response contacts (again for more)\n"
      "  -a, --attach FILE  attach FILE, its type guessed from its name and bytes\n"
      "                     (again for more; at most 7 MiB together, which a relay\n"
      "                     with Postfix's default size limit still takes)\n"
      "  -c, --close        close the statement too\n"
      "  -N, --dry-run      print to whom it would go and the message (attachments\n"
      "                     base64), and queue nothing\n"
      "  -h, --help         this help\n"
      "\n"
      "Exit status: 0 queued; 1 no statement ID; 64 usage error, or a --to that is\n"
      "not an address; 65 TEXT is not text, the attachments are too large, or no\n"
      "address to send to (give --to); 66 no database, or TEXT or an attachment\n"
      "cannot be read; 70 internal error; 75 the database cannot be opened or\n"
      "written (nothing queued); 78 configuration error." },
    { "tickle", cmd_tickle, "[--now YYYY-MM-DD] [--dry-run]",
      "Queue the reminders due today for open statements: before the deadline,\n"
      "overdue, or without a deadline (tickle_* keys of the configuration).  Each\n"
      "reminder goes to the assignee, copying everyone the notification copied but\n"
      "the lists, and is queued once however often this runs.  Prints one line per\n"
      "reminder, then a summary; `liaisonctl flush` delivers them.\n"
      "\n"
      "Options:\n"
      "  -n, --now YYYY-MM-DD  queue what is due on that day (default: today, UTC)\n"
      "  -N, --dry-run         print what would go to whom and queue nothing\n"
      "  -h, --help            this help\n"
      "\n"
      "Exit status: 0 done; 64 usage error, or a --now that is not a day;\n"
      "70 internal error; 75 the database cannot be opened or failed (what was\n"
      "queued stays queued); 78 configuration error, or a bad tickle_before." },
    { "publish", cmd_publish, "[--now TIME] [--days N] DIR",
      "Write the statements as a static web site into DIR (made when absent):\n"
      "index.html lists the open statements, the nearest deadline first (overdue\n"
      "ones marked, unless answered), then those closed in the last N days;\n"
      "ID/index.html is each statement's page, so that base_url followed by the\n"
      "id (the link in every notification) finds it when DIR is served at\n"
      "base_url; feed.atom is an Atom feed, deadlines.ics a calendar (an all-day\n"
      "event on the deadline of each open statement not yet answered) and\n"
      "statements.json a JSON array of the listed statements; group/KEY/ holds\n"
      "the same page, feed and calendar for each group and area of the directory\n"
      "(an area's with its groups' statements) and the IESG.  Document\n"
      "attachments (PDF, text, office files, ZIP)\n"
      "are published beside their page as N-NAME.ext.  Only what a statement says\n"
      "of itself, its groups and when it was answered or closed are published:\n"
      "not the mail's From, whom it was routed to, the diagnostics or the\n"
      "history.  A file is\n"
      "replaced whole, and only when its content changed.  Prints a summary.  Run\n"
      "it from cron; two runs at once take turns.\n"
      "\n"
      "Options:\n"
      "  -n, --now TIME  publish as at TIME, ISO 8601: a day (2027-01-15, its\n"
      "                  midnight UTC) or a time (2027-01-15T09:00:00Z; UTC\n"
      "                  without a zone) (default: now): how deadlines\n"
      "                  stand, and which closed statements are recent (the\n"
      "                  statements are those recorded now)\n"
      "  -D, --days N    list the statements closed in the last N days (default 90)\n"
      "  -h, --help      this help\n"
      "\n"
      "Exit status: 0 published; 64 usage error; 66 no database; 70 internal\n"
      "error; 73 a file or directory under DIR cannot be written (what was\n"
      "written stays, whole); 75 the database cannot be opened or read; 78\n"
      "configuration error, or the directory cannot be read." },
    { "backup", cmd_backup, "FILE",
      "Write a copy of the database to FILE while liaisond runs: one snapshot,\n"
      "taken through SQLite's backup API (a cp of a database in WAL mode can be\n"
      "torn), without the changes of a transaction not yet committed; liaisond\n"
      "neither waits for it nor stops.  The copy is one self-contained file (no\n"
      "-wal file beside it), mode 0600 (it holds mail and the database's secret),\n"
      "checked (quick_check), flushed to disk and then renamed over FILE: FILE is\n"
      "the old file or a whole new copy, never a part (a link at FILE is\n"
      "replaced, not followed).  The database is read as it is, never migrated.\n"
      "Prints how many\n"
      "statements and messages it holds and its size.  To restore: stop\n"
      "liaisond, copy the backup over the database, remove the database's -wal\n"
      "and -shm files, start liaisond.\n"
      "\n"
      "Options:\n"
      "  -h, --help  this help\n"
      "\n"
      "Exit status: 0 backed up; 64 usage error; 66 no database; 70 internal\n"
      "error; 73 FILE cannot be written: its folder does not exist or is\n"
      "read-only, or FILE is a folder or the database itself; 74 the disk\n"
      "filled or an I/O error while the copy was written, or the copy failed\n"
      "its check (a damaged database); 75 the database cannot be opened or\n"
      "read (locked past the busy timeout); 78 configuration error.  On a\n"
      "failure no temporary file stays behind, and FILE is left as it was\n"
      "(but when the copy is in place and only flushing its folder failed,\n"
      "which is said); a backup killed part-way leaves its temporary copy,\n"
      ".liaison-backup-XXXXXX, which the next backup into that folder\n"
      "removes." },
    { "help", cmd_help, "[COMMAND]",
      "Describe the commands, or COMMAND (the same as 'liaisonctl COMMAND --help').\n"
      "It reads no configuration.\n"
      "\n"
      "Options:\n"
      "  -h, --help  this help\n"
      "\n"
      "Exit status: 0 described; 64 usage error, or an unknown COMMAND." },
};

/* The command with this name, or NULL. */
static const struct command *
find_command(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* A command's usage: with help (for --help and 'help COMMAND'), the usage
 * line and the description on standard output, EX_OK; without, for a
 * usage error, the usage line on standard error, EX_USAGE. */
static int
command_usage(const struct command *c, gboolean help)
{
    FILE *fp = help ? stdout : stderr;

    fprintf(fp, "usage: liaisonctl %s %s\n", c->name, c->usage);
    if (help)
        fprintf(fp, "\n%s\n\nThe global options (-c CONFIG, -d DB, -D DIRECTORY, -v) go before\n"
                    "the command; 'liaisonctl --help' gives their defaults.\n", c->help);
    else
        fprintf(fp, "'liaisonctl help %s' describes it.\n", c->name);
    return help ? EX_OK : EX_USAGE;
}

/* Print the usage summary. */
static void
usage(FILE *fp)
{
    fprintf(fp, "usage: liaisonctl [-c CONFIG] [-d DB] [-D DIRECTORY] [-v] COMMAND [ARGS]\n"
                "       liaisonctl -h | -V\n\n"
                "Global options, before the command:\n"
                "  -c CONFIG      configuration file (default: $LIAISON_CONF when set; else\n"
                "                 " SYSCONFDIR "/liaisond/liaisond.conf when it exists;\n"
                "                 else none, and the built-in defaults apply)\n"
                "  -d DB          database file (default: $LIAISON_DB when set; else, when\n"
                "                 a configuration file is read, the configuration's\n"
                "                 database, whose own default is\n"
                "                 " LOCALSTATEDIR "/lib/liaisond/liaison.db; else ./liaison.db)\n"
                "  -D DIRECTORY   directory of groups and peers (default: $LIAISON_DIRECTORY\n"
                "                 when set; else, when a configuration file is read, the\n"
                "                 configuration's directory; else ./conf/directory.json\n"
                "                 when it exists; else " SYSCONFDIR "/liaisond/directory.json)\n"
                "  -v             log more\n"
                "  -h, --help     this help\n"
                "  -V, --version  print the version\n\nCommands:\n");
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
        fprintf(fp, "  %-8s %s\n", commands[i].name, commands[i].usage);
    fprintf(fp, "\n'liaisonctl help COMMAND' or 'liaisonctl COMMAND --help' describes one.\n\n"
                "Exit status:\n"
                "  0   done\n"
                "  1   show, close, reopen, deadline, reassign, reply: no such statement\n"
                "  64  usage error, or an unknown command\n"
                "  65  ingest: the input is not mail; nothing recorded; import: some\n"
                "      messages are not mail or too large (the rest recorded); reply:\n"
                "      the text is not text, the attachments exceed 7 MiB, or there is no\n"
                "      address to send it to\n"
                "  66  ingest: FILE cannot be opened; import: a PATH cannot be read; list,\n"
                "      show, close, reopen, deadline, reassign, reply, queue, publish,\n"
                "      backup: there is no database; reply: a file cannot be read\n"
                "  70  internal error: the envelope patterns cannot be compiled (PCRE2)\n"
                "  73  publish: a file or folder under DIR cannot be written; backup: FILE\n"
                "      cannot be written (no such folder, read-only, a folder, the\n"
                "      database itself)\n"
                "  74  ingest: the input is larger than 256 MiB; backup: the disk filled\n"
                "      or an I/O error while writing the copy, or the copy failed its\n"
                "      check\n"
                "  75  temporary failure: the database (or, for ingest, the directory)\n"
                "      cannot be opened or used (locked, read-only, full); try again later\n"
                "  78  configuration error: the configuration file cannot be read or is\n"
                "      invalid, the database or directory path is empty, (tickle) its\n"
                "      tickle_before is not a list of days, or (publish, import, list\n"
                "      --group, reassign) the directory cannot be loaded\n"
                "ingest answers 75 instead of 64, 70 and 78, and when the input cannot be\n"
                "read: an MTA running it as a pipe then keeps the message.\n");
}

/* The one-line reminder after a usage error, on stderr. */
static void
short_usage(void)
{
    fprintf(stderr, "usage: liaisonctl [-c CONFIG] [-d DB] [-D DIRECTORY] [-v] COMMAND [ARGS]\n"
                    "'liaisonctl --help' lists the commands and options.\n");
}

/* Parse the global options, then run one command from the table. */
int
main(int argc, char **argv)
{
    struct ctl ctl = { 0 };
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    int c, rc, first;

    log_init(argv[0], LOG_TO_STDERR);
    while ((c = getopt_long(argc, argv, "+c:d:D:vhV", opts, NULL)) != -1) {
        switch (c) {
        case 'c': ctl.config_path = optarg; break;
        case 'd': ctl.db_path = optarg; break;
        case 'D': ctl.dir_path = optarg; break;
        case 'v': log_set_level(LOG_DEBUG); break;
        case 'h': usage(stdout); return EX_OK;
        case 'V': printf("liaisonctl %s\n", PACKAGE_VERSION); return EX_OK;
        default:
            /* getopt has said what was wrong; a short reminder keeps it
             * on the screen, where the whole help would scroll it away. */
            short_usage();
            return names_ingest(argc, argv, optind) ? ingest_keep(EX_USAGE) : EX_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "liaisonctl: no command given\n");
        short_usage();
        return EX_USAGE;
    }
    ctl.cmd = find_command(argv[optind]);
    if (ctl.cmd == NULL) {
        fprintf(stderr, "liaisonctl: unknown command \"%s\"; 'liaisonctl help' lists them\n",
                argv[optind]);
        return EX_USAGE;
    }
    first = optind;
    optind = 0;                 /* commands parse their own options (glibc: reset) */
    /* Each command checks its arguments, then calls ctl_setup(). */
    rc = ctl.cmd->run(&ctl, argc - first, argv + first);
    store_close(ctl.store);
    directory_free(ctl.dir);
    compose_settings_free(ctl.mail);
    config_free(ctl.cfg);
    if (ctl.ready)
        message_library_shutdown();
    return rc;
}
