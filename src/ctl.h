/*
 * ctl.h: what the modules of liaisonctl share.  liaisonctl.c holds the
 * command table, the help and main(); each ctl_*.c holds a family of
 * commands (ctl_ingest.c: ingest and import; ctl_export.c: export;
 * ctl_report.c: list, stats and show; ctl_change.c: close, reopen,
 * deadline, reassign and reply; ctl_outbox.c: queue, requeue and flush;
 * ctl_jobs.c: the cron jobs tickle, publish and backup); ctl.c holds what
 * more than one family uses: the configuration, database and directory
 * opened on first use, the option parsers and the terminal table cells.
 * Not a library: only liaisonctl's own files include it.
 */
#ifndef LIAISON_CTL_H
#define LIAISON_CTL_H

#include <glib.h>
#include <json-glib/json-glib.h>

#include "compose.h"
#include "config_file.h"
#include "directory.h"
#include "store.h"

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

/* One command: its name, what runs it, its usage line and its help. */
struct command {
    const char *name;
    int (*run)(struct ctl *ctl, int argc, char **argv);
    const char *usage;
    const char *help;
};

/* A way to open the store: store_open, or store_open_for_backup. */
typedef struct store *(*store_opener)(const char *path, int busy_timeout_ms, GError **err);

/* ctl.c: a command's usage (its help or a usage error). */
int     ctl_usage(const struct command *c, gboolean help);

/* ctl.c: setting up, and opening on first use. */
int     ctl_setup(struct ctl *ctl);
int     ctl_operands_then_setup(struct ctl *ctl, int argc, int max);
const struct compose_settings *ctl_mail(struct ctl *ctl);
int     ctl_open_store(struct ctl *ctl);
int     ctl_open_existing_with(struct ctl *ctl, store_opener open);
int     ctl_open_existing_store(struct ctl *ctl);
int     ctl_open_existing_to_read(struct ctl *ctl);
gboolean ctl_open_directory(struct ctl *ctl);

/* ctl.c: operands and options. */
gboolean ctl_option_day(const struct ctl *ctl, const char *option, const char *value,
                        GDate *d);
gboolean ctl_option_span(const struct ctl *ctl, gboolean since_opt, const char *value,
                         const char **since, const char **until);
gboolean ctl_span_ok(const struct ctl *ctl, const char *since, const char *until);
gboolean ctl_today(const struct ctl *ctl, const char *now, GDate *today);
GDateTime *ctl_parse_time(const struct ctl *ctl, const char *arg);
gboolean ctl_parse_id(const char *arg, gint64 *id);
gboolean ctl_statement_id(const char *cmd, const char *arg, gint64 *id);

/* ctl.c: who makes a change by hand (recorded with its event). */
char   *ctl_actor(void);

/* ctl.c: output for a terminal. */
char   *ctl_fit(const char *s, glong width, glong *used);
void    ctl_put_cell(const char *s, glong width);
void    ctl_put_text(const char *text, gboolean lines);
void    ctl_table_time(char out[static 17], const char *iso);
void    ctl_print_json(JsonBuilder *b);

/* ctl_ingest.c */
int     ctl_ingest_keep(int rc);
gboolean ctl_names_ingest(int argc, char **argv, int from);
int     ctl_cmd_ingest(struct ctl *ctl, int argc, char **argv);
int     ctl_cmd_import(struct ctl *ctl, int argc, char **argv);

/* ctl_report.c */
int     ctl_cmd_list(struct ctl *ctl, int argc, char **argv);
int     ctl_cmd_stats(struct ctl *ctl, int argc, char **argv);
int     ctl_cmd_show(struct ctl *ctl, int argc, char **argv);

/* ctl_change.c (ctl_cmd_close also runs reopen) */
int     ctl_cmd_close(struct ctl *ctl, int argc, char **argv);
int     ctl_cmd_deadline(struct ctl *ctl, int argc, char **argv);
int     ctl_cmd_reassign(struct ctl *ctl, int argc, char **argv);
int     ctl_cmd_reply(struct ctl *ctl, int argc, char **argv);

/* ctl_export.c */
int     ctl_cmd_export(struct ctl *ctl, int argc, char **argv);

/* ctl_outbox.c */
int     ctl_cmd_queue(struct ctl *ctl, int argc, char **argv);
int     ctl_cmd_requeue(struct ctl *ctl, int argc, char **argv);
int     ctl_cmd_flush(struct ctl *ctl, int argc, char **argv);

/* ctl_jobs.c */
int     ctl_cmd_tickle(struct ctl *ctl, int argc, char **argv);
int     ctl_cmd_publish(struct ctl *ctl, int argc, char **argv);
int     ctl_cmd_backup(struct ctl *ctl, int argc, char **argv);

#endif
