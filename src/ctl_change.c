/*
 * ctl_change.c: liaisonctl close, reopen, deadline, reassign and reply,
 * the commands that change a statement.  Each change goes through the
 * same actions as the commands by mail (command.c), in a transaction of
 * its own, with an event saying who did it and why; reply also queues
 * the response mail.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "command.h"
#include "log.h"
#include "message.h"
#include "outbox.h"
#include "route.h"
#include "statement.h"
#include "ctl.h"

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
    *id = 0;
    *arg = NULL;
    while ((c = getopt_long(argc, argv, "r:h", opts, NULL)) != -1) {
        switch (c) {
        case 'r': *reason = optarg; break;
        case 'h': return ctl_usage(ctl->cmd, TRUE);
        default: return ctl_usage(ctl->cmd, FALSE);
        }
    }
    if (argc - optind != 1 + nargs)
        return ctl_usage(ctl->cmd, FALSE);
    if (!ctl_statement_id(ctl->cmd->name, argv[optind], id))
        return EX_USAGE;
    if (nargs > 0)
        *arg = argv[optind + 1];
    return OPERANDS_OK;
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
int
ctl_cmd_close(struct ctl *ctl, int argc, char **argv)
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
int
ctl_cmd_deadline(struct ctl *ctl, int argc, char **argv)
{
    const char *reason, *given;
    g_autofree char *date = NULL;
    gint64 id;
    int rc;

    if ((rc = statement_operands(ctl, argc, argv, 1, &reason, &id, &given)) != OPERANDS_OK)
        return rc;
    if ((date = command_date(given)) == NULL) {
        fprintf(stderr, "liaisonctl: deadline: %s is not a date of the form YYYY-MM-DD"
                " in the years 2000 to 2099\n", given);
        return EX_USAGE;
    }
    if ((rc = ctl_setup(ctl)) != EX_OK || (rc = ctl_open_existing_store(ctl)) != EX_OK)
        return rc;
    return change_statement(ctl, CHANGE_DEADLINE, id, date, reason);
}

/* liaisonctl reassign [--reason TEXT] ID GROUP: give a statement to
 * another group or area, as a "reassign:" command by mail does, and
 * queue the notification to its new assignee. */
int
ctl_cmd_reassign(struct ctl *ctl, int argc, char **argv)
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

/* Read the response's text from fp into *text (NUL-terminated) and *len,
 * stopping once it holds more than REPLY_TEXT_MAX bytes, which the caller
 * then refuses: a TEXT of /dev/zero, a FIFO that never ends or a file of
 * gigabytes must not be read to its end.  FALSE on a read error. */
static gboolean
reply_read_text(FILE *fp, char **text, gsize *len)
{
    GString *in = g_string_new(NULL);
    char buf[8192];
    size_t n;

    while (in->len <= REPLY_TEXT_MAX && (n = fread(buf, 1, sizeof buf, fp)) > 0)
        g_string_append_len(in, buf, (gssize) n);
    if (ferror(fp)) {
        g_string_free(in, TRUE);
        return FALSE;
    }
    *len = in->len;
    *text = g_string_free(in, FALSE);
    return TRUE;
}

/* liaisonctl reply [--to ADDR]... [--attach FILE]... [--close] ID TEXT:
 * send the IETF's response to a statement and record that it was
 * answered, so that the tickler stops. */
int
ctl_cmd_reply(struct ctl *ctl, int argc, char **argv)
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
        case 'h': return ctl_usage(ctl->cmd, TRUE);
        default: return ctl_usage(ctl->cmd, FALSE);
        }
    }
    if (argc - optind != 2)
        return ctl_usage(ctl->cmd, FALSE);
    if (!ctl_statement_id(ctl->cmd->name, argv[optind], &id))
        return EX_USAGE;
    textpath = argv[optind + 1];
    if (strcmp(textpath, "-") == 0) {
        if (!reply_read_text(stdin, &text, &len)) {
            fprintf(stderr, "liaisonctl: reply: reading standard input: %s\n", g_strerror(errno));
            return EX_NOINPUT;
        }
    } else {
        FILE   *fp = fopen(textpath, "rb");
        gboolean read_ok = fp != NULL && reply_read_text(fp, &text, &len);
        int     saved = errno;

        if (fp != NULL)
            fclose(fp);
        if (!read_ok) {
            fprintf(stderr, "liaisonctl: reply: %s: %s\n", textpath, g_strerror(saved));
            return EX_NOINPUT;
        }
    }
    if (len > REPLY_TEXT_MAX || !g_utf8_validate(text, (gssize) len, NULL)
        || strlen(text) != len || blank(text)) {
        fprintf(stderr, "liaisonctl: reply: %s is not the text of a response (UTF-8, not "
                "empty, at most %d KiB)\n", textpath, REPLY_TEXT_MAX / 1024);
        return EX_DATAERR;
    }
    /* A dry run only reads: opened read-only, with no write lock to wait
     * for while liaisond (or anyone) holds it, and no migration. */
    if ((rc = ctl_setup(ctl)) != EX_OK
        || (rc = dry_run ? ctl_open_existing_to_read(ctl) : ctl_open_existing_store(ctl)) != EX_OK)
        return rc;
    if (!ctl_open_directory(ctl) || ctl_mail(ctl) == NULL)
        return EX_CONFIG;
    if (!dry_run && !store_begin(ctl->store, &err))
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
