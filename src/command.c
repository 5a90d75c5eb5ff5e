/*
 * command.c: reply-by-mail commands and their authorisation.
 *
 * An assignee, supervisor or liaison manager answers a notification or a
 * reminder; a line of its own in the answer, before the quote of the
 * mail answered, closes the statement ("close", "close: REASON") or moves
 * its deadline ("deadline: YYYY-MM-DD").
 *
 * Why it is built this way:
 *
 * - A From is anyone's to write, so a command needs more than a matching
 *   From: the address it was sent to must carry a token that only that
 *   person was given.  The outbox gives every recipient of a
 *   notification or reminder a Reply-To of their own,
 *   LOCAL+c.ID.TOKEN@DOMAIN, TOKEN the start of an HMAC of the statement
 *   and the recipient's address under the database's secret (the key
 *   that signs the VERP senders too).  A command counts when one of the
 *   answer's To or Cc addresses is such an address for this statement
 *   and this From, and the From holds a deciding role on the statement
 *   (assignee, supervisor, liaison manager) now.  With authserv_id set,
 *   the MTA's Authentication-Results must also say the From passed DMARC
 *   (or DKIM for its domain): the token then need not be the only proof.
 *
 * - The token is per person, not per statement: a contact or a list
 *   member who was copied cannot close the statement with the token of
 *   the mail they received, and reply-all spreads only the sender's own.
 *
 * - Commands are lines of their own, matched whole: "close" in a
 *   sentence is prose.  Only the text before the first quoted line, "On
 *   ... wrote:" line, "Original Message" line or signature counts, so
 *   that quoting an earlier answer never runs its commands again.
 *
 * - Everything happens in the transaction that records the answer: the
 *   state change, its event (actor: the From), and one answer back to the
 *   From saying what was done or why not.  A retry of the answer is a
 *   duplicate and runs nothing again.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "command.h"
#include "outbox.h"

/* Free one struct command_line. */
static void
command_free(gpointer p)
{
    struct command_line *c = p;

    g_free(c->arg);
    g_free(c->line);
    g_free(c);
}

/* Whether line (trimmed) starts the quote of the mail answered, or the
 * signature: where the answer's own text ends. */
static gboolean
ends_own_text(const char *raw, const char *line)
{
    size_t n = strlen(line);

    return raw[0] == '>' || line[0] == '>' || strcmp(raw, "-- ") == 0 || strcmp(line, "--") == 0
           || (g_str_has_prefix(line, "On ") && n > 10 && g_str_has_suffix(line, "wrote:"))
           || g_str_has_prefix(line, "-----Original Message-----")
           || g_str_has_prefix(line, "________________________________");
}

/* See command.h. */
char *
command_date(const char *s)
{
    int y, mo, d;
    char end;

    if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &mo, &d, &end) != 3
        || s[4] != '-' || s[7] != '-' || !g_date_valid_dmy((GDateDay) d, (GDateMonth) mo,
                                                           (GDateYear) y))
        return NULL;
    return g_strdup(s);
}

/* The command line is, or NULL when it is prose. */
static struct command_line *
parse_line(const char *line)
{
    g_autofree char *lower = g_ascii_strdown(line, -1);
    struct command_line *c;
    const char *rest;

    if (strcmp(lower, "close") == 0 || g_str_has_prefix(lower, "close:")) {
        c = g_new0(struct command_line, 1);
        c->verb = COMMAND_CLOSE;
        rest = line + strlen("close");
        rest += *rest == ':';
        c->arg = g_strstrip(g_strdup(rest));
        if (*c->arg == '\0')
            g_clear_pointer(&c->arg, g_free);
    } else if (g_str_has_prefix(lower, "deadline:") || g_str_has_prefix(lower, "deadline ")) {
        g_autofree char *date = g_strstrip(g_strdup(line + strlen("deadline") + 1));

        c = g_new0(struct command_line, 1);
        c->arg = command_date(date);
        c->verb = c->arg != NULL ? COMMAND_DEADLINE : COMMAND_BAD;
    } else {
        return NULL;
    }
    c->line = g_strdup(line);
    return c;
}

/* See command.h. */
GPtrArray *
command_parse(const char *text)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(command_free);
    g_auto(GStrv) lines = g_strsplit(text != NULL ? text : "", "\n", -1);

    for (int i = 0; lines[i] != NULL && out->len < COMMAND_MAX; i++) {
        char   *raw = lines[i];
        g_autofree char *line = NULL;
        struct command_line *c;

        g_strdelimit(raw, "\r", ' ');
        line = g_strstrip(g_strdup(raw));
        if (ends_own_text(raw, line))
            break;
        if (*line != '\0' && (c = parse_line(line)) != NULL)
            g_ptr_array_add(out, c);
    }
    return out;
}

/* See command.h. */
char *
command_token(const char *secret, gint64 id, const char *addr)
{
    g_autofree char *data = g_strdup_printf("c:%" G_GINT64_FORMAT ":%s", id, addr);
    g_autofree char *hex = g_compute_hmac_for_string(G_CHECKSUM_SHA256,
                                                     (const guchar *) secret, strlen(secret),
                                                     data, -1);

    return g_strndup(hex, 12);
}

/* See command.h. */
char *
command_reply_address(const struct compose_settings *cs, const char *secret, gint64 id,
                      const char *addr)
{
    g_autofree char *lower = g_ascii_strdown(addr, -1);
    g_autofree char *token = command_token(secret, id, lower);

    return g_strdup_printf("%s+c.%" G_GINT64_FORMAT ".%s@%s", cs->bounce_local, id, token,
                           cs->bounce_domain);
}

/* See command.h. */
gboolean
command_reply_address_parse(const struct compose_settings *cs, const char *addr,
                            gint64 *id, char **token)
{
    g_autofree char *prefix = g_strdup_printf("%s+c.", cs->bounce_local);
    const char *at = strrchr(addr, '@'), *p, *dot;
    char   *end;
    gint64  n;

    if (at == NULL || g_ascii_strcasecmp(at + 1, cs->bounce_domain) != 0
        || g_ascii_strncasecmp(addr, prefix, strlen(prefix)) != 0)
        return FALSE;
    p = addr + strlen(prefix);
    n = g_ascii_strtoll(p, &end, 10);
    if (end == p || *end != '.' || n <= 0)
        return FALSE;
    dot = end + 1;
    if (at - dot != 12)
        return FALSE;
    for (const char *q = dot; q < at; q++)
        if (!g_ascii_isxdigit(*q))
            return FALSE;
    *id = n;
    *token = g_ascii_strdown(dot, 12);
    return TRUE;
}

/* The value of property name ("header.d") in one resinfo of an
 * Authentication-Results field, or NULL. */
static char *
resinfo_property(const char *resinfo, const char *name)
{
    g_autofree char *key = g_strconcat(name, "=", NULL);
    g_auto(GStrv) words = g_strsplit_set(resinfo, " \t", -1);

    for (int i = 0; words[i] != NULL; i++)
        if (g_ascii_strncasecmp(words[i], key, strlen(key)) == 0) {
            const char *v = words[i] + strlen(key);

            return g_ascii_strdown(*v == '@' ? v + 1 : strchr(v, '@') != NULL
                                   ? strchr(v, '@') + 1 : v, -1);
        }
    return NULL;
}

/* A copy of an Authentication-Results value without its comments. */
static char *
without_comments(const char *v)
{
    GString *out = g_string_new(NULL);
    int depth = 0;

    for (const char *p = v; *p != '\0'; p++) {
        if (*p == '(')
            depth++;
        else if (*p == ')' && depth > 0)
            depth--;
        else if (depth == 0)
            g_string_append_c(out, *p);
    }
    return g_string_free(out, FALSE);
}

/* See command.h. */
gboolean
command_authenticated(const struct message *m, const char *authserv_id)
{
    const char *at = m->from_addr != NULL ? strrchr(m->from_addr, '@') : NULL;

    if (at == NULL || authserv_id == NULL || *authserv_id == '\0')
        return FALSE;
    for (guint i = 0; i < m->auth_results->len; i++) {
        g_autofree char *v = without_comments(g_ptr_array_index(m->auth_results, i));
        g_auto(GStrv) parts = g_strsplit(v, ";", -1);
        g_autofree char *serv = NULL;

        /* authserv-id [version] ; resinfo ; resinfo ... */
        serv = g_strstrip(g_strdup(parts[0]));
        if (strchr(serv, ' ') != NULL)
            *strchr(serv, ' ') = '\0';
        if (g_ascii_strcasecmp(serv, authserv_id) != 0)
            continue;
        for (int k = 1; parts[k] != NULL; k++) {
            char   *r = g_strstrip(parts[k]);
            g_autofree char *d = NULL;

            if (g_ascii_strncasecmp(r, "dmarc=pass", 10) == 0 && (r[10] == '\0' || r[10] == ' ')) {
                d = resinfo_property(r, "header.from");
                if (d == NULL || g_ascii_strcasecmp(d, at + 1) == 0)
                    return TRUE;
            } else if (g_ascii_strncasecmp(r, "dkim=pass", 9) == 0
                       && (r[9] == '\0' || r[9] == ' ')) {
                if ((d = resinfo_property(r, "header.d")) == NULL)
                    d = resinfo_property(r, "header.i");
                if (d != NULL && g_ascii_strcasecmp(d, at + 1) == 0)
                    return TRUE;
            }
        }
    }
    return FALSE;
}

/* See command.h. */
GBytes *
command_personal_copy(const struct compose_settings *cs, const char *secret, gint64 id,
                      const char *rcpt, GBytes *raw)
{
    gsize len;
    const char *data = g_bytes_get_data(raw, &len);
    const char *head_end = g_strstr_len(data, len, "\r\n\r\n");
    const char *start = NULL, *end;
    g_autofree char *addr = NULL;
    GByteArray *out;

    if (head_end == NULL)
        return NULL;
    if (g_ascii_strncasecmp(data, "Reply-To:", 9) == 0)
        start = data;
    for (const char *p = data; start == NULL && p < head_end; p += 2) {
        if ((p = g_strstr_len(p, head_end - p, "\r\n")) == NULL)
            break;
        if (g_ascii_strncasecmp(p + 2, "Reply-To:", 9) == 0)
            start = p + 2;
    }
    if (start == NULL)
        return NULL;
    /* The field ends at the CRLF not followed by folding white space. */
    for (end = start; (end = g_strstr_len(end, head_end + 2 - end, "\r\n")) != NULL; end += 2)
        if (end[2] != ' ' && end[2] != '\t')
            break;
    if (end == NULL)
        return NULL;
    addr = command_reply_address(cs, secret, id, rcpt);
    out = g_byte_array_sized_new(len + strlen(addr));
    g_byte_array_append(out, (const guint8 *) data, start - data);
    g_byte_array_append(out, (const guint8 *) "Reply-To: ", 10);
    g_byte_array_append(out, (const guint8 *) addr, strlen(addr));
    g_byte_array_append(out, (const guint8 *) end, data + len - end);
    return g_byte_array_free_to_bytes(out);
}

/* Whether addr holds a role on s that may decide about it. */
static gboolean
may_decide(const struct statement *s, const char *addr)
{
    static const char *const roles[] = { "assignee", "supervisor", "liaison-manager", NULL };

    if (s->assignee != NULL && g_ascii_strcasecmp(s->assignee, addr) == 0)
        return TRUE;
    for (guint i = 0; i < s->recipients->len; i++) {
        const struct recipient *r = g_ptr_array_index(s->recipients, i);

        if (r->role != NULL && g_strv_contains(roles, r->role)
            && g_ascii_strcasecmp(r->addr, addr) == 0)
            return TRUE;
    }
    return FALSE;
}

/* Why m's From may not give commands on s, or NULL when it may. */
static const char *
refusal(const struct command_ctx *cc, const char *secret, const struct message *m,
        const struct statement *s)
{
    gboolean token = FALSE;

    for (guint i = 0; i < m->reply_rcpts->len && !token; i++) {
        g_autofree char *tok = NULL, *want = NULL;
        gint64 id = 0;

        if (!command_reply_address_parse(cc->mail, g_ptr_array_index(m->reply_rcpts, i), &id,
                                         &tok) || id != s->id)
            continue;
        want = command_token(secret, id, m->from_addr);
        token = strcmp(tok, want) == 0;
    }
    if (!token)
        return "the answer was not sent to your own reply address for this statement "
               "(answer the notification or reminder you received, from the address "
               "it was sent to)";
    if (!may_decide(s, m->from_addr))
        return "only the assignee, a supervisor or the liaison manager may";
    if (cc->authserv_id != NULL && *cc->authserv_id != '\0'
        && !command_authenticated(m, cc->authserv_id))
        return "the mail server did not vouch for your From (no DMARC or DKIM pass in its "
               "Authentication-Results)";
    return NULL;
}

/* Run one command c, allowed, on statement s; *out gets what was done. */
static gboolean
run_one(const struct command_ctx *cc, const struct command_line *c, const struct statement *s,
        const char *actor, gint64 message_row, GString *out, GError **err)
{
    struct store_tickle_facts f = { 0 };
    gboolean ok;

    if (!store_tickle_facts(cc->store, s->id, &f, err))
        return FALSE;
    if (c->verb == COMMAND_CLOSE) {
        if (g_strcmp0(f.state, "closed") == 0) {
            g_string_append_printf(out, "  %s\n    already closed: nothing done\n", c->line);
            ok = TRUE;
        } else {
            ok = store_set_state(cc->store, s->id, "closed", err)
                 && store_add_event(cc->store, s->id, message_row, "closed", actor,
                                    c->arg != NULL ? c->arg : "by mail", err);
            g_string_append_printf(out, "  %s\n    closed: no more reminders\n", c->line);
        }
    } else {
        g_autofree char *detail = g_strdup_printf("%s -> %s", f.deadline != NULL ? f.deadline
                                                  : "none", c->arg);

        ok = store_set_deadline(cc->store, s->id, c->arg, err)
             && store_add_event(cc->store, s->id, message_row, "deadline changed", actor,
                                detail, err);
        g_string_append_printf(out, "  %s\n    deadline now %s (was %s); reminders follow "
                               "the new date\n", c->line, c->arg,
                               f.deadline != NULL ? f.deadline : "none");
    }
    store_tickle_facts_clear(&f);
    return ok;
}

/* See command.h. */
gboolean
command_run(const struct command_ctx *cc, const struct message *m, const struct statement *s,
            gint64 message_row, GError **err)
{
    g_autoptr(GPtrArray) cmds = command_parse(m->text);
    g_autofree char *secret = NULL;
    const char *why = NULL;
    GString *out;
    gboolean ok = TRUE, refused = FALSE;
    struct outmail *answer;

    if (cmds->len == 0 || m->from_addr == NULL)
        return TRUE;
    if ((secret = store_secret(cc->store, err)) == NULL)
        return FALSE;
    why = refusal(cc, secret, m, s);
    out = g_string_new(NULL);
    for (guint i = 0; i < cmds->len && ok; i++) {
        const struct command_line *c = g_ptr_array_index(cmds, i);
        const char *no = why != NULL ? why
                         : c->verb == COMMAND_BAD ? "not a date of the form YYYY-MM-DD" : NULL;

        if (no != NULL) {
            g_autofree char *detail = g_strdup_printf("%s: %s", c->line, no);

            refused = TRUE;
            ok = store_add_event(cc->store, s->id, message_row, "command refused",
                                 m->from_addr, detail, err);
            g_string_append_printf(out, "  %s\n    refused: %s\n", c->line, no);
        } else {
            ok = run_one(cc, c, s, m->from_addr, message_row, out, err);
        }
    }
    if (ok && cc->mail != NULL) {
        g_autofree char *text = g_strdup_printf(
            "Your answer on this statement gave %s:\n\n%s\n"
            "Commands are lines of their own before the quoted text, in an answer\n"
            "to the notification or a reminder, from the address it was sent to:\n"
            "  close\n  close: REASON\n  deadline: YYYY-MM-DD\n",
            cmds->len == 1 ? "one command" : "these commands", out->str);

        answer = compose_report(cc->mail, s, m->from_addr,
                                refused ? "Commands refused" : "Commands done", text);
        ok = answer == NULL || outbox_queue(cc->store, s->id, answer, err) != 0;
        outmail_free(answer);
    }
    g_string_free(out, TRUE);
    return ok;
}
