/*
 * ctl.c: what more than one of liaisonctl's commands uses.  The
 * configuration, the paths, the database and the directory are opened
 * on first use and only once a command's arguments are right, so that
 * help and usage errors never depend on them; a command's usage and help
 * are printed alike for all (ctl_usage); the option parsers give every
 * command the same messages; a change made by hand is recorded as the
 * person's (ctl_actor); the table cells print text from mail safely on
 * a terminal (no control character, no bidirectional control, wide
 * characters counted as two columns).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "envelope.h"
#include "log.h"
#include "message.h"
#include "statement.h"
#include "tickle.h"
#include "ctl.h"

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
int
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
int
ctl_operands_then_setup(struct ctl *ctl, int argc, int max)
{
    if (argc - optind > max)
        return ctl_usage(ctl->cmd, FALSE);
    return ctl_setup(ctl);
}

/* The settings for mail the tool sends, made from the configuration on
 * first use. */
const struct compose_settings *
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
        /* A new liaisonctl installed before liaisond is restarted: the
         * daemon, not a command that only reads, moves the schema on. */
        if (g_error_matches(err, STORE_ERROR, STORE_ERROR_SCHEMA_OLD))
            log_msg(LOG_ERR, NULL, "cannot read the database %s: %s; liaisond migrates it"
                    " when it starts (restart it after an upgrade), and so does a"
                    " liaisonctl command that writes (ingest, close, flush ...)",
                    ctl->db_path, err->message);
        else
            log_msg(LOG_ERR, NULL, "cannot open the database %s: %s", ctl->db_path,
                    err->message);
        g_error_free(err);
        return FALSE;
    }
    return TRUE;
}

/* Open the store for the commands that record mail (ingest, import),
 * creating and migrating it as needed.  EX_OK; EX_CANTCREAT when there is
 * none and its folder does not exist, which no retry mends (a mistyped
 * path, a folder still to be made: liaisond -n warns of it too);
 * EX_TEMPFAIL when it cannot be opened or made otherwise (locked,
 * read-only, full).  The reason printed. */
int
ctl_open_store(struct ctl *ctl)
{
    if (ctl->store == NULL && !g_file_test(ctl->db_path, G_FILE_TEST_EXISTS)) {
        g_autofree char *dir = g_path_get_dirname(ctl->db_path);

        if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
            log_msg(LOG_ERR, NULL, "cannot create the database %s: the folder %s does not"
                    " exist (see -d, LIAISON_DB or database =)", ctl->db_path, dir);
            return EX_CANTCREAT;
        }
    }
    return ctl_open_store_with(ctl, store_open) ? EX_OK : EX_TEMPFAIL;
}

/* Open the store with open for the commands that never create
 * one: a mistyped path would show "0 statements", and a database made by
 * root before liaisond's first start is one liaisond's user cannot write.
 * EX_OK, EX_NOINPUT when there is none, EX_TEMPFAIL when it cannot be
 * opened; the reason printed. */
int
ctl_open_existing_with(struct ctl *ctl, store_opener open)
{
    if (!g_file_test(ctl->db_path, G_FILE_TEST_EXISTS)) {
        log_msg(LOG_ERR, NULL, "no database at %s (liaisond creates it when it starts;"
                " see -d, LIAISON_DB or database =)", ctl->db_path);
        return EX_NOINPUT;
    }
    return ctl_open_store_with(ctl, open) ? EX_OK : EX_TEMPFAIL;
}

/* ctl_open_existing_with store_open. */
int
ctl_open_existing_store(struct ctl *ctl)
{
    return ctl_open_existing_with(ctl, store_open);
}

/* ctl_open_existing_with store_open_readonly, for the commands that only
 * read (list, show, stats, queue, export, publish, the dry runs): a read
 * never writes, so a new liaisonctl never migrates the schema under an
 * older liaisond still using it, and a database its user may only read
 * (read-only on disk, an admin's shell) is read all the same. */
int
ctl_open_existing_to_read(struct ctl *ctl)
{
    return ctl_open_existing_with(ctl, store_open_readonly);
}

/* Load the directory; prints the reason and returns FALSE on failure. */
gboolean
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

/* The day an option's value names, strictly YYYY-MM-DD, into *d; FALSE,
 * the reason printed, when it names none. */
gboolean
ctl_option_day(const struct ctl *ctl, const char *option, const char *value, GDate *d)
{
    if (strlen(value) == 10 && tickle_parse_day(value, d))
        return TRUE;
    fprintf(stderr, "liaisonctl: %s: --%s \"%s\" is not a day (YYYY-MM-DD)\n",
            ctl->cmd->name, option, value);
    return FALSE;
}

/* A --since (since_opt) or --until DAY into *since or *until, once it is
 * found to be a day; FALSE, the reason printed, when it is none. */
gboolean
ctl_option_span(const struct ctl *ctl, gboolean since_opt, const char *value,
                const char **since, const char **until)
{
    GDate   d;

    if (!ctl_option_day(ctl, since_opt ? "since" : "until", value, &d))
        return FALSE;
    *(since_opt ? since : until) = value;
    return TRUE;
}

/* FALSE, said, when a span's --since comes after its --until (either may
 * be NULL: no bound). */
gboolean
ctl_span_ok(const struct ctl *ctl, const char *since, const char *until)
{
    if (since == NULL || until == NULL || strcmp(since, until) <= 0)
        return TRUE;
    fprintf(stderr, "liaisonctl: %s: --since %s is after --until %s\n", ctl->cmd->name, since,
            until);
    return FALSE;
}

/* The day a command works on: --now's YYYY-MM-DD, else today in UTC
 * (deadlines are days without a zone; the store keeps UTC).  FALSE, the
 * reason printed, when --now is not a day. */
gboolean
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
GDateTime *
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

/* A command's usage: with help (for --help and 'help COMMAND'), the usage
 * line and the description on standard output, EX_OK; without, for a
 * usage error, the usage line on standard error, EX_USAGE. */
int
ctl_usage(const struct command *c, gboolean help)
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

/* A row id (a statement's, an outbox mail's) as liaisonctl prints one,
 * into *id, by statement_id_scan's rule: strtoll alone took " 5" and "+5"
 * for 5, and clamped an id too long for 64 bits to the largest, which
 * then named no statement (exit 1) instead of being a usage error. */
gboolean
ctl_parse_id(const char *arg, gint64 *id)
{
    const char *end;

    *id = statement_id_scan(arg, &end);
    if (*end != '\0')
        *id = 0;
    return *id != 0;
}

/* A statement id given to command cmd: TRUE with *id, or FALSE having
 * said why. */
gboolean
ctl_statement_id(const char *cmd, const char *arg, gint64 *id)
{
    if (ctl_parse_id(arg, id))
        return TRUE;
    fprintf(stderr, "liaisonctl: %s: \"%s\" is not a statement id (a positive number,"
            " digits only, as liaisonctl list shows it)\n", cmd, arg);
    return FALSE;
}

/* Who changes a statement from here, for its event: the login behind
 * sudo when there is one, as the event log is read to learn which person
 * closed, moved or reassigned a statement. */
char *
ctl_actor(void)
{
    return g_strdup_printf("liaisonctl (%s)", g_getenv("SUDO_USER") != NULL
                           ? g_getenv("SUDO_USER") : g_get_user_name());
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
char *
ctl_fit(const char *s, glong width, glong *used)
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

        /* Room for the ellipsis when the whole does not ctl_fit. */
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
void
ctl_put_cell(const char *s, glong width)
{
    glong used;
    g_autofree char *f = ctl_fit(s, width, &used);

    fputs(f, stdout);
    for (glong n = used; n < width + 2; n++)
        putchar(' ');
}

/* A stored time, "2026-11-27T09:15:00Z", as the tables show it,
 * "2026-11-27 09:15", into out (17 bytes); "-" for none. */
void
ctl_table_time(char out[static 17], const char *iso)
{
    g_strlcpy(out, iso != NULL ? iso : "-", 17);
    if (strlen(out) > 10 && out[10] == 'T')
        out[10] = ' ';
}

/* Print text from mail with every control character made a space, C1
 * ones too (U+009B is a terminal's CSI), and with lines, keep its line
 * ends and tabs; bytes that are not UTF-8 are shown as '?'. */
void
ctl_put_text(const char *text, gboolean lines)
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

/* Print a JSON node, pretty. */
void
ctl_print_json(JsonBuilder *b)
{
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autofree char *text = NULL;

    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, TRUE);
    text = json_generator_to_data(gen, NULL);
    printf("%s\n", text);
}
