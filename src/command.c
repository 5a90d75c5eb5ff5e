/*
 * command.c: reply-by-mail commands and their authorisation.
 *
 * An assignee, supervisor or liaison manager answers a notification or a
 * reminder; commands as the first lines of the answer close the statement
 * ("close", "close: REASON") or open it again ("reopen", "reopen: REASON"),
 * move its deadline ("deadline: YYYY-MM-DD") or give it to another group
 * or area ("reassign: GROUP").
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
 *   answer's To or Cc addresses is such an address for this statement,
 *   given to a recipient with a deciding role (assignee, supervisor,
 *   liaison manager), and the From is that recipient or one of the
 *   people the directory lists for it (a chairs alias is routed to, the
 *   chairs answer from their own addresses).  With authserv_id set, the
 *   MTA's Authentication-Results must also say the From passed DMARC (or
 *   DKIM for its domain): reply-all spreads a reply address, so the
 *   token alone proves only that the mail reached its owner.
 *
 * - The token is per person, not per statement: a contact or a list
 *   member who was copied cannot close the statement with the token of
 *   the mail they received, and reply-all spreads only the sender's own.
 *
 * - Commands are lines of their own, matched whole ("close" in a
 *   sentence is prose), and only as the first lines of the answer: the
 *   first other line ends them, since mailers mark quotes in too many
 *   ways (Outlook not at all) and our own help text is in every quote.
 *
 * - Only a person the reply address was given to is written back to: a
 *   refusal to an address a stranger wrote into From would make liaisond
 *   a reflector.
 *
 * - An answer threaded onto one statement (In-Reply-To, References: what
 *   classify.c goes by) but sent to another's reply address runs its
 *   commands on neither, since which one was meant cannot be told; it is
 *   not silent either: the refusal is recorded on the statement the
 *   answer is recorded on, and the person the other reply address was
 *   given to is told which statement and why (refuse_elsewhere).
 *
 * - Everything happens in the transaction that records the answer: the
 *   state change, its event (actor: the From), and one answer back to the
 *   From saying what was done or why not.  A retry of the answer is a
 *   duplicate and runs nothing again.
 *
 * - The answers go to known people only, but a From is anyone's to
 *   write: one forged mail per answer would make liaisond mail a chair
 *   without end.  So an address gets at most answer_per_day answers in 24
 *   hours (outbox kind "answer", counted apart from reports and
 *   acknowledgements; a setting of its own, 50 by default: a chair working through a
 *   batch of statements by mail sends more commands in a day than anyone
 *   is sent acknowledgements); past it the commands still run and an
 *   event says the answer was withheld (queue_answer).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "directory.h"
#include "outbox.h"
#include "route.h"
#include "statement.h"

/* Free one struct command_line. */
static void
command_free(gpointer p)
{
    struct command_line *c = p;

    g_free(c->arg);
    g_free(c->line);
    g_free(c);
}

/* See command.h. */
char *
command_date(const char *s)
{
    int y, mo, d;

    if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return NULL;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !g_ascii_isdigit(s[i]))
            return NULL;
    y = atoi(s);
    mo = atoi(s + 5);
    d = atoi(s + 8);
    if (y < 2000 || y > 2099 || !g_date_valid_dmy((GDateDay) d, (GDateMonth) mo, (GDateYear) y))
        return NULL;
    return g_strdup(s);
}

/* s with the blanks at both ends taken off, in place: ASCII white space,
 * and in UTF-8 any Unicode space (the no-break space a mailer's HTML
 * editor leaves, "&nbsp;close") and invisible format character (a zero
 * width space or byte order mark pasted in), which a chair cannot see
 * and would not expect to make "close" prose. */
static char *
trim_blanks(char *s)
{
    char   *start = s, *end;

    g_strstrip(s);
    if (!g_utf8_validate(s, -1, NULL))
        return s;
    while (*start != '\0') {
        gunichar ch = g_utf8_get_char(start);

        if (!g_unichar_isspace(ch) && g_unichar_type(ch) != G_UNICODE_FORMAT)
            break;
        start = g_utf8_next_char(start);
    }
    end = start + strlen(start);
    while (end > start) {
        char   *prev = g_utf8_prev_char(end);
        gunichar ch = g_utf8_get_char(prev);

        if (!g_unichar_isspace(ch) && g_unichar_type(ch) != G_UNICODE_FORMAT)
            break;
        end = prev;
    }
    memmove(s, start, (size_t) (end - start));
    s[end - start] = '\0';
    return s;
}

/* line without the emphasis markers around it, in place: a plain
 * rendering of bold or italic writes "*close*" or "_close_" (Gmail's
 * plain part of an answer whose command the chair made bold). */
static char *
unemphasise(char *line)
{
    size_t  n = strlen(line);

    if (n >= 3 && (line[0] == '*' || line[0] == '_') && line[n - 1] == line[0]) {
        memmove(line, line + 1, n - 2);
        line[n - 2] = '\0';
        trim_blanks(line);
    }
    return line;
}

/* A command word that takes an optional ": REASON". */
struct reason_verb {
    const char *word;
    enum command_verb verb;
};

/* The command of a lower-cased line that is "close" or "reopen", alone
 * (a full stop after it allowed: "Close." is how some write a word on a
 * line of its own) or followed by ": REASON", else NULL ("closed",
 * "close the loop" and "close. We answered" are prose). */
static const struct reason_verb *
reason_verb(const char *lower)
{
    static const struct reason_verb verbs[] = {
        { "close", COMMAND_CLOSE }, { "reopen", COMMAND_REOPEN },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(verbs); i++) {
        size_t n = strlen(verbs[i].word);

        if (strncmp(lower, verbs[i].word, n) == 0
            && (lower[n] == '\0' || lower[n] == ':' || strcmp(lower + n, ".") == 0))
            return &verbs[i];
    }
    return NULL;
}

/* The command line is, or NULL when it is prose. */
static struct command_line *
parse_line(const char *line)
{
    g_autofree char *lower = g_ascii_strdown(line, -1);
    struct command_line *c;
    const struct reason_verb *rv;
    const char *rest;

    if ((rv = reason_verb(lower)) != NULL) {
        c = g_new0(struct command_line, 1);
        c->verb = rv->verb;
        rest = line + strlen(rv->word);
        rest += *rest == ':' || *rest == '.';
        c->arg = trim_blanks(g_strdup(rest));
        if (*c->arg == '\0')
            g_clear_pointer(&c->arg, g_free);
    } else if (g_str_has_prefix(lower, "deadline:") || g_str_has_prefix(lower, "deadline ")) {
        g_autofree char *date = trim_blanks(g_strdup(line + strlen("deadline") + 1));

        c = g_new0(struct command_line, 1);
        c->arg = command_date(date);
        c->verb = c->arg != NULL ? COMMAND_DEADLINE : COMMAND_BAD;
    } else if (g_str_has_prefix(lower, "reassign:") || g_str_has_prefix(lower, "reassign ")) {
        g_autofree char *key = trim_blanks(g_strdup(lower + strlen("reassign") + 1));

        c = g_new0(struct command_line, 1);
        c->verb = *key != '\0' && strchr(key, ' ') == NULL ? COMMAND_REASSIGN : COMMAND_BAD;
        c->arg = c->verb == COMMAND_REASSIGN ? g_steal_pointer(&key) : NULL;
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

    /* Line by line from the start, not the whole text split: every answer
     * from a person comes through here, and only its opening lines count. */
    for (const char *p = text; p != NULL && *p != '\0' && out->len < COMMAND_MAX;) {
        const char *nl = strchr(p, '\n');
        g_autofree char *line = g_strndup(p, nl != NULL ? (gsize) (nl - p) : strlen(p));
        struct command_line *c;

        p = nl != NULL ? nl + 1 : NULL;
        unemphasise(trim_blanks(g_strdelimit(line, "\r", ' ')));
        if (*line == '\0')
            continue;
        /* The first line that is no command ends them: prose, a
         * greeting, a quote however the mailer marks it (our own help
         * text quoted below an answer included). */
        if ((c = parse_line(line)) == NULL)
            break;
        g_ptr_array_add(out, c);
    }
    return out;
}

/* See command.h. */
char *
command_token(const char *secret, gint64 id, const char *addr)
{
    g_autofree char *data = g_strdup_printf("c:%" G_GINT64_FORMAT ":%s", id, addr);

    return compose_keyed_hash(secret, data);
}

/* See command.h. */
char *
command_reply_address(const struct compose_settings *cs, const char *secret, gint64 id,
                      const char *addr)
{
    g_autofree char *lower = g_utf8_strdown(addr, -1);
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
    const char *at = strrchr(addr, '@'), *p, *dot, *end;
    gint64  n;

    if (at == NULL || g_ascii_strcasecmp(at + 1, cs->bounce_domain) != 0
        || g_ascii_strncasecmp(addr, prefix, strlen(prefix)) != 0)
        return FALSE;
    p = addr + strlen(prefix);
    /* The id as command_reply_address writes it, one spelling only. */
    n = statement_id_scan(p, &end);
    if (n == 0 || *end != '.')
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

/* The words of one Authentication-Results value as RFC 8601 reads it
 * (CFWS between them): comments dropped whole, nested and with quoted
 * pairs; a quoted string, unquoted, part of the word it is in; each ';'
 * outside both a NULL, the end of the authserv-id or of a resinfo.  A
 * ';', '(' or blank inside a quoted string is the value's, never syntax:
 * an SPF result's smtp.mailfrom="x;dmarc=pass header.from=..."@evil.test
 * is one word.  NULL for a value whose comment or quoted string never
 * ends, which no server of ours writes. */
static GPtrArray *
ar_words(const char *v)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    GString *w = g_string_new(NULL);
    gboolean in_word = FALSE, ok = TRUE;

    for (const char *p = v; ok && *p != '\0'; p++) {
        if (*p == '(' || *p == ';' || g_ascii_isspace(*p)) {
            if (in_word)
                g_ptr_array_add(out, g_strdup(w->str));
            g_string_truncate(w, 0);
            in_word = FALSE;
        }
        if (*p == '(') {
            int depth = 1;

            while (depth > 0 && *++p != '\0') {
                if (*p == '\\' && p[1] != '\0')
                    p++;
                else if (*p == '(')
                    depth++;
                else if (*p == ')')
                    depth--;
            }
            ok = depth == 0;
        } else if (*p == ';') {
            g_ptr_array_add(out, NULL);
        } else if (*p == '"') {
            in_word = TRUE;
            while (*++p != '\0' && *p != '"') {
                if (*p == '\\' && p[1] != '\0')
                    p++;
                g_string_append_c(w, *p);
            }
            ok = *p == '"';
        } else if (!g_ascii_isspace(*p)) {
            in_word = TRUE;
            g_string_append_c(w, *p);
        }
    }
    if (ok && in_word)
        g_ptr_array_add(out, g_strdup(w->str));
    g_string_free(w, TRUE);
    if (!ok)
        g_clear_pointer(&out, g_ptr_array_unref);
    return out;
}

/* The domain of a property's value, "header.d=example.org" or
 * "header.i=user@example.org" (after its last '@'), when word is that
 * property (name, as "header.d"); else NULL. */
static const char *
ar_property(const char *word, const char *name)
{
    size_t n = strlen(name);
    const char *v;

    if (word == NULL || g_ascii_strncasecmp(word, name, n) != 0 || word[n] != '=')
        return NULL;
    v = word + n + 1;
    return strrchr(v, '@') != NULL ? strrchr(v, '@') + 1 : v;
}

/* Whether v (one Authentication-Results value) begins with authserv_id
 * as a plain token, as the servers write it: a quoted or commented id is
 * one the MTA's removal of outside fields may not have recognised as its
 * own, so it is never trusted. */
static gboolean
ar_ours(const char *v, const char *authserv_id)
{
    size_t n = strlen(authserv_id);

    while (g_ascii_isspace(*v))
        v++;
    return g_ascii_strncasecmp(v, authserv_id, n) == 0
           && (v[n] == '\0' || v[n] == ';' || v[n] == '(' || g_ascii_isspace(v[n]));
}

/* See command.h. */
gboolean
command_authenticated(const struct message *m, const char *authserv_id)
{
    const char *at = m->from_addr != NULL ? strrchr(m->from_addr, '@') : NULL;

    if (at == NULL || authserv_id == NULL || *authserv_id == '\0')
        return FALSE;
    for (guint i = 0; i < m->auth_results->len; i++) {
        const char *v = g_ptr_array_index(m->auth_results, i);
        g_autoptr(GPtrArray) words = NULL;
        guint k = 0;

        /* authserv-id [version] ; resinfo ; resinfo ...  Fields of ours
         * are trusted: the MTA removes those that arrive from outside
         * (RFC 8601 section 5); OpenDKIM and OpenDMARC each add one. */
        if (!ar_ours(v, authserv_id) || (words = ar_words(v)) == NULL)
            continue;
        while (k < words->len && g_ptr_array_index(words, k) != NULL)
            k++;
        /* Each resinfo: method=result, then its properties. */
        while (k < words->len) {
            const char *method = ++k < words->len ? g_ptr_array_index(words, k) : NULL;
            gboolean dmarc = method != NULL && g_ascii_strcasecmp(method, "dmarc=pass") == 0;
            gboolean dkim = method != NULL && g_ascii_strcasecmp(method, "dkim=pass") == 0;
            const char *from = NULL, *d = NULL, *id = NULL;

            for (k += method != NULL; k < words->len && g_ptr_array_index(words, k) != NULL; k++) {
                const char *w = g_ptr_array_index(words, k);

                if (from == NULL)
                    from = ar_property(w, "header.from");
                if (d == NULL)
                    d = ar_property(w, "header.d");
                if (id == NULL)
                    id = ar_property(w, "header.i");
            }
            if (dmarc && from != NULL && g_ascii_strcasecmp(from, at + 1) == 0)
                return TRUE;
            if (dkim && (d != NULL ? d : id) != NULL
                && g_ascii_strcasecmp(d != NULL ? d : id, at + 1) == 0)
                return TRUE;
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

/* Whether token is addr's for statement id. */
static gboolean
token_of(const char *secret, gint64 id, const char *addr, const char *token)
{
    g_autofree char *lower = g_utf8_strdown(addr, -1);
    g_autofree char *want = command_token(secret, id, lower);

    return compose_same_hash(token, want);
}

/* Whether tok is the token of one of s's recipients or its assignee. */
static gboolean
token_of_anyone(const char *secret, const struct statement *s, const char *tok)
{
    for (guint k = 0; k <= s->recipients->len; k++) {
        const char *a = k < s->recipients->len
                        ? ((const struct recipient *) g_ptr_array_index(s->recipients, k))->addr
                        : s->assignee;

        if (a != NULL && token_of(secret, s->id, a, tok))
            return TRUE;
    }
    return FALSE;
}

/* See command.h. */
gint64
command_addressed(struct store *st, const struct compose_settings *cs,
                  const struct message *m, GError **err)
{
    g_autofree char *secret = NULL;

    for (guint i = 0; cs != NULL && i < m->reply_rcpts->len; i++) {
        g_autofree char *tok = NULL;
        GError *e = NULL;
        struct statement *s;
        gboolean mine;
        gint64 id = 0;

        if (!command_reply_address_parse(cs, g_ptr_array_index(m->reply_rcpts, i), &id, &tok))
            continue;
        if (secret == NULL && (secret = store_secret(st, err)) == NULL)
            return -1;
        if ((s = store_get_statement_meta(st, id, &e)) == NULL) {
            /* A reply address of no statement is nobody's. */
            if (g_error_matches(e, STORE_ERROR, STORE_ERROR_NOTFOUND)) {
                g_error_free(e);
                continue;
            }
            g_propagate_error(err, e);
            return -1;
        }
        mine = token_of_anyone(secret, s, tok);
        statement_free(s);
        if (mine)
            return id;
    }
    return 0;
}

/* Whether m's From is addr or one of the people the directory lists
 * for it. */
static gboolean
from_is(const struct command_ctx *cc, const struct message *m, const char *addr)
{
    return g_ascii_strcasecmp(addr, m->from_addr) == 0
           || (cc->dir != NULL && directory_speaks_for(cc->dir, addr, m->from_addr));
}

/* The owner of the token in one reply address for s among m's To and Cc
 * (s's recipient, not to be freed), preferring one the From is or
 * speaks for; NULL when no token is anybody's.  *addressed TRUE when
 * any To or Cc is a reply address for s. */
static const char *
token_owner(const struct command_ctx *cc, const char *secret, const struct message *m,
            const struct statement *s, gboolean *addressed)
{
    const char *first = NULL;

    *addressed = FALSE;
    for (guint i = 0; i < m->reply_rcpts->len; i++) {
        g_autofree char *tok = NULL;
        gint64 id = 0;

        if (!command_reply_address_parse(cc->mail, g_ptr_array_index(m->reply_rcpts, i), &id,
                                         &tok) || id != s->id)
            continue;
        *addressed = TRUE;
        for (guint k = 0; k <= s->recipients->len; k++) {
            const char *a = k < s->recipients->len
                            ? ((const struct recipient *) g_ptr_array_index(s->recipients, k))->addr
                            : s->assignee;

            if (a == NULL || !token_of(secret, id, a, tok))
                continue;
            if (from_is(cc, m, a))
                return a;
            if (first == NULL)
                first = a;
        }
    }
    return first;
}

/* Whether addr is routed on s as a list (which is nobody to answer). */
static gboolean
is_list(const struct statement *s, const char *addr)
{
    for (guint i = 0; i < s->recipients->len; i++) {
        const struct recipient *r = g_ptr_array_index(s->recipients, i);

        if (g_ascii_strcasecmp(r->addr, addr) == 0)
            return g_strcmp0(r->role, "list") == 0 || g_strcmp0(r->role, "info-list") == 0;
    }
    return FALSE;
}

/* Whether m's From is, or speaks for, one of s's deciders. */
static gboolean
from_decides(const struct command_ctx *cc, const struct message *m, const struct statement *s)
{
    if (s->assignee != NULL && from_is(cc, m, s->assignee))
        return TRUE;
    for (guint i = 0; i < s->recipients->len; i++) {
        const struct recipient *r = g_ptr_array_index(s->recipients, i);

        if (may_decide(s, r->addr) && from_is(cc, m, r->addr))
            return TRUE;
    }
    return FALSE;
}

/* Why m's From may not give commands on s, or NULL when it may; *answer
 * says whether the From may be written to about it: a person the reply
 * address was given to (never a list), or one of s's deciders (who may
 * have answered the list's copy), but never an address a stranger wrote
 * into From. */
static const char *
refusal(const struct command_ctx *cc, const char *owner, const struct message *m,
        const struct statement *s, gboolean *answer)
{
    gboolean known = owner != NULL && from_is(cc, m, owner);
    gboolean decider = from_decides(cc, m, s);

    *answer = (known && !is_list(s, owner)) || decider;
    if (owner == NULL)
        return "the reply address it was sent to is not one liaisond gave for this statement";
    if (is_list(s, owner))
        return "this is the list's reply address: answer the copy sent to you as assignee, "
               "supervisor or liaison manager";
    if (!known)
        return "the From is not the person this reply address was given to (nor one of the "
               "people the directory lists for it)";
    /* The copy someone received as a contact, answered by a person who
     * also decides, decides too. */
    if (!may_decide(s, owner) && !decider)
        return "only the assignee, a supervisor or the liaison manager may";
    if (cc->authserv_id != NULL && *cc->authserv_id != '\0'
        && !command_authenticated(m, cc->authserv_id))
        return "the mail server did not vouch for your From (no DMARC or DKIM pass in its "
               "Authentication-Results)";
    return NULL;
}

/* What every answer about commands ends with. */
static const char command_help[] =
    "Commands are the first lines of an answer to the notification or a\n"
    "reminder, sent to the reply address it gave you:\n"
    COMPOSE_COMMAND_LIST;

/* The first statement other than s that one of m's To and Cc addresses
 * is a reply address of, with a token liaisond gave one of its people
 * (statement_free), preferring one the From is or speaks for; *owner
 * that person (in the statement).  NULL when there is none, or with
 * *err for a store failure. */
static struct statement *
other_addressed(const struct command_ctx *cc, const char *secret, const struct message *m,
                const struct statement *s, const char **owner, GError **err)
{
    struct statement *found = NULL;

    *owner = NULL;
    for (guint i = 0; i < m->reply_rcpts->len; i++) {
        g_autofree char *tok = NULL;
        struct statement *o;
        const char *who;
        gboolean addressed;
        GError *e = NULL;
        gint64 id = 0;

        if (!command_reply_address_parse(cc->mail, g_ptr_array_index(m->reply_rcpts, i), &id,
                                         &tok) || id == s->id
            || (found != NULL && id == found->id))
            continue;
        if ((o = store_get_statement_meta(cc->store, id, &e)) == NULL) {
            /* A reply address of no statement is nobody's. */
            if (g_error_matches(e, STORE_ERROR, STORE_ERROR_NOTFOUND)) {
                g_error_free(e);
                continue;
            }
            g_propagate_error(err, e);
            statement_free(found);
            *owner = NULL;
            return NULL;
        }
        if ((who = token_owner(cc, secret, m, o, &addressed)) == NULL) {
            statement_free(o);
            continue;
        }
        if (found == NULL || (!from_is(cc, m, *owner) && from_is(cc, m, who))) {
            statement_free(found);
            found = o;
            *owner = who;
        } else {
            statement_free(o);
        }
        if (from_is(cc, m, *owner))
            break;
    }
    return found;
}

/* Queue the answer about commands (subject, text) on s to addr, unless
 * addr had cc->answer_per_day answers in the last 24 hours: then only an
 * "answer withheld" event on the answer (message_row) says so.  Only
 * answers count: reports of bounces and refused recipients are not
 * anyone's forged From at work, and a liaison manager or AD who had many
 * that day must still hear what their commands did. */
static gboolean
queue_answer(const struct command_ctx *cc, const struct statement *s, gint64 message_row,
             const char *addr, const char *subject, const char *text, GError **err)
{
    /* As the outbox row has it: the composer lower-cases addresses. */
    g_autofree char *rcpt = g_ascii_strdown(addr, -1);
    gint64 n = store_outbox_count_to(cc->store, OUTBOX_KIND_ANSWER, rcpt, err);
    struct outmail *answer;
    gboolean ok;

    if (n < 0)
        return FALSE;
    if (n >= cc->answer_per_day) {
        g_autofree char *why = g_strdup_printf("no answer \"%s\" to %s: %" G_GINT64_FORMAT
                                               " answers already sent in 24 hours; the"
                                               " commands stand as recorded", subject, rcpt, n);

        return store_add_event(cc->store, s->id, message_row, "answer withheld", "liaisond",
                               why, err);
    }
    /* A report's text and headers, under a kind of its own in the outbox,
     * which is what the count above reads. */
    answer = compose_answer(cc->mail, s, addr, subject, text);
    ok = answer == NULL || outbox_queue(cc->store, s->id, answer, err) != 0;
    outmail_free(answer);
    return ok;
}

/* An answer on s with commands, sent to no reply address of s but to
 * one of another statement that liaisond gave one of its people: its
 * threading (In-Reply-To, References) and its reply address disagree on
 * which statement it is about, so no command runs on either.  Each is
 * recorded on s as refused, and the person that reply address was given
 * to (or a decider on that statement, as refusal() decides it) is told
 * why, so that the silence is not taken for a change.  Nobody else is
 * written to.  No such reply address: the lines are text, as before. */
static gboolean
refuse_elsewhere(const struct command_ctx *cc, const char *secret, const struct message *m,
                 const struct statement *s, const GPtrArray *cmds, gint64 message_row,
                 GError **err)
{
    const char *owner = NULL;
    GError *e = NULL;
    struct statement *o = other_addressed(cc, secret, m, s, &owner, &e);
    g_autofree char *why = NULL;
    gboolean ok = TRUE, write_back = FALSE;
    GString *out;

    if (o == NULL) {
        if (e != NULL)
            g_propagate_error(err, e);
        return e == NULL;
    }
    /* Who may be told is who would be on o; why it would be refused
     * there does not matter, it runs nowhere. */
    (void) refusal(cc, owner, m, o, &write_back);
    why = g_strdup_printf("sent to a reply address for LS %" G_GINT64_FORMAT ", but it answers "
                          "mail of LS %" G_GINT64_FORMAT ": run on neither", o->id, s->id);
    out = g_string_new(NULL);
    for (guint i = 0; i < cmds->len && ok; i++) {
        const struct command_line *c = g_ptr_array_index(cmds, i);
        g_autofree char *detail = g_strdup_printf("%s: %s", c->line, why);

        ok = store_add_event(cc->store, s->id, message_row, "command refused", m->from_addr,
                             detail, err);
        g_string_append_printf(out, "  %s\n    not run\n", c->line);
    }
    if (ok && write_back && cc->mail != NULL) {
        g_autofree char *text = g_strdup_printf(
            "Your answer was sent to a reply address liaisond gave for LS %" G_GINT64_FORMAT
            ",\nbut it answers mail of LS %" G_GINT64_FORMAT " (its In-Reply-To or References) "
            "and is\nrecorded there.  Since the two disagree on which statement it is\n"
            "about, %s run on neither:\n\n%s\n"
            "To give commands on LS %" G_GINT64_FORMAT ", answer its notification or a "
            "reminder;\non LS %" G_GINT64_FORMAT ", answer the mail of LS %" G_GINT64_FORMAT
            " that gave you a reply address.\n\n%s",
            o->id, s->id,
            cmds->len == 1 ? "its command was" : "its commands were",
            out->str, o->id, s->id, s->id, command_help);

        ok = queue_answer(cc, s, message_row, m->from_addr, "Commands not run", text, err);
    }
    g_string_free(out, TRUE);
    statement_free(o);
    return ok;
}

/* The detail of an event: what changed, then ": reason" when given. */
static char *
event_detail(const char *what, const struct command_by *by)
{
    return g_strdup_printf("%s%s%s", what, by->reason != NULL ? ": " : "",
                           by->reason != NULL ? by->reason : "");
}

/* Free what a change holds. */
void
command_change_clear(struct command_change *ch)
{
    g_clear_pointer(&ch->was, g_free);
    g_clear_pointer(&ch->now, g_free);
}

/* See command.h: close ("closed") or reopen ("open"). */
gboolean
command_set_state(const struct command_ctx *cc, gint64 id, const char *state,
                  const struct command_by *by, struct command_change *ch, GError **err)
{
    struct store_tickle_facts f = { 0 };
    gboolean closing = strcmp(state, "closed") == 0, answered;

    memset(ch, 0, sizeof *ch);
    if (!store_tickle_facts(cc->store, id, &f, err))
        return FALSE;
    ch->was = g_strdup(f.state);
    ch->now = g_strdup(state);
    answered = f.answered;
    store_tickle_facts_clear(&f);
    /* An open statement whose answer stands is not outstanding: a chair
     * who reopens it wants it outstanding again (the answer was not the
     * end of it), and the "reopened" event is what says so to the
     * tickler, list and the site.  Anything else already in state is
     * left alone. */
    if (g_strcmp0(ch->was, state) == 0 && (closing || !answered))
        return TRUE;
    ch->changed = TRUE;
    return store_set_state(cc->store, id, state, err)
           && store_add_event(cc->store, id, by->message_row, closing ? "closed" : "reopened",
                              by->actor, by->reason, err);
}

/* See command.h: the deadline moved to date (YYYY-MM-DD). */
gboolean
command_set_deadline(const struct command_ctx *cc, gint64 id, const char *date,
                     const struct command_by *by, struct command_change *ch, GError **err)
{
    struct store_tickle_facts f = { 0 };
    g_autofree char *what = NULL, *detail = NULL;

    memset(ch, 0, sizeof *ch);
    if (!store_tickle_facts(cc->store, id, &f, err))
        return FALSE;
    ch->was = g_strdup(f.deadline != NULL ? f.deadline : "none");
    ch->now = g_strdup(date);
    store_tickle_facts_clear(&f);
    if (strcmp(ch->was, date) == 0)
        return TRUE;
    ch->changed = TRUE;
    what = g_strdup_printf("%s -> %s", ch->was, date);
    detail = event_detail(what, by);
    return store_set_deadline(cc->store, id, date, err)
           && store_add_event(cc->store, id, by->message_row, "deadline changed", by->actor,
                              detail, err);
}

/* Whom s is assigned to, as reassign's "was" says it: every address
 * routed as an assignee, in order ("a, b" for a statement addressed to
 * two groups), else its assignee, else "none". */
static char *
assignees_text(const struct statement *s)
{
    GString *t = g_string_new(NULL);

    for (guint i = 0; i < s->recipients->len; i++) {
        const struct recipient *r = g_ptr_array_index(s->recipients, i);

        if (g_strcmp0(r->role, "assignee") == 0)
            g_string_append_printf(t, "%s%s", t->len > 0 ? ", " : "", r->addr);
    }
    if (t->len == 0)
        g_string_append(t, s->assignee != NULL ? s->assignee : "none");
    return g_string_free(t, FALSE);
}

/* See command.h: given to the group or area key, known to the directory
 * (route_reassign_target says so first); the new assignee notified, with
 * everyone else the statement now goes to in copy, when cc->notify.
 * Unchanged only when key's assignee is already its only one: a
 * statement addressed to CCAMP and DetNet given to CCAMP is CCAMP's
 * alone, and DetNet's chairs are no longer reminded. */
gboolean
command_reassign(const struct command_ctx *cc, gint64 id, const char *key,
                 const struct command_by *by, struct command_change *ch, GError **err)
{
    struct statement *s;
    g_autofree char *what = NULL, *detail = NULL;
    gboolean ok;

    memset(ch, 0, sizeof *ch);
    if ((s = store_get_statement_meta(cc->store, id, err)) == NULL)
        return FALSE;
    ch->was = assignees_text(s);
    if (!route_reassign(cc->dir, s, key)) {
        statement_free(s);
        g_set_error(err, STORE_ERROR, STORE_ERROR_OTHER, "reassign: no group or area %s", key);
        return FALSE;
    }
    ch->now = g_strdup(s->assignee);
    if (g_ascii_strcasecmp(ch->was, ch->now) == 0) {
        statement_free(s);
        return TRUE;
    }
    ch->changed = TRUE;
    what = g_strdup_printf("%s -> %s (%s)", ch->was, ch->now,
                           (const char *) g_ptr_array_index(s->groups, 0));
    detail = event_detail(what, by);
    ok = store_set_routing(cc->store, s, err)
         && store_add_event(cc->store, id, by->message_row, "reassigned", by->actor, detail, err);
    if (ok && cc->mail != NULL && cc->notify) {
        struct outmail *n = compose_notification(cc->mail, s);

        ok = n == NULL || outbox_queue(cc->store, id, n, err) != 0;
        ch->notified = n != NULL;
        outmail_free(n);
    }
    statement_free(s);
    return ok;
}

/* Append what changed to did, the start of the answer's subject: "Closed",
 * "Closed, deadline moved" (the first word capitalised). */
static void
note_change(GString *did, const char *what)
{
    g_string_append_printf(did, "%s%c%s", did->len > 0 ? ", " : "",
                           did->len > 0 ? what[0] : g_ascii_toupper(what[0]), what + 1);
}

/* Run one command c, allowed, on statement s; *out gets what was done,
 * did what changed ("closed") when something did. */
static gboolean
run_one(const struct command_ctx *cc, const struct command_line *c, const struct statement *s,
        const char *actor, gint64 message_row, GString *out, GString *did, GError **err)
{
    struct command_by by = { .actor = actor, .message_row = message_row };
    struct command_change ch;
    gboolean ok;

    if (c->verb == COMMAND_CLOSE || c->verb == COMMAND_REOPEN) {
        gboolean closing = c->verb == COMMAND_CLOSE;

        by.reason = c->arg != NULL ? c->arg : "by mail";
        ok = command_set_state(cc, s->id, closing ? "closed" : "open", &by, &ch, err);
        g_string_append_printf(out, "  %s\n    %s\n", c->line,
                               closing ? (ch.changed ? "closed: no more reminders (\"reopen\" "
                                                       "opens it again)"
                                                     : "already closed: nothing done")
                                       : (ch.changed ? "reopened: the reminders start again"
                                                     : "open already: nothing done"));
        if (ch.changed)
            note_change(did, closing ? "closed" : "reopened");
    } else if (c->verb == COMMAND_REASSIGN) {
        ok = command_reassign(cc, s->id, c->arg, &by, &ch, err);
        if (ch.changed) {
            g_string_append_printf(out, "  %s\n    reassigned to %s (was %s)%s\n", c->line,
                                   ch.now, ch.was, ch.notified ? "; they are notified" : "");
            note_change(did, "reassigned");
        } else if (ch.now != NULL) {
            g_string_append_printf(out, "  %s\n    assigned to %s already: nothing done\n",
                                   c->line, ch.now);
        }
    } else {
        ok = command_set_deadline(cc, s->id, c->arg, &by, &ch, err);
        if (ch.changed) {
            g_string_append_printf(out, "  %s\n    deadline now %s (was %s); reminders follow "
                                   "the new date\n", c->line, ch.now, ch.was);
            note_change(did, "deadline moved");
        } else {
            g_string_append_printf(out, "  %s\n    the deadline is %s already: nothing done\n",
                                   c->line, c->arg);
        }
    }
    command_change_clear(&ch);
    return ok;
}

/* The answer's subject, what happened before the title: "Closed" when
 * every command ran, "Closed; 1 command refused" when some did not,
 * "Commands refused" when none ran, "No change" when they ran and found
 * nothing to do; did is what changed (run_one). */
static char *
answer_subject(const GString *did, guint refused, guint total)
{
    /* Past this many characters the changes are listed in the text only,
     * so that the title still shows in a mailbox list. */
    const gsize did_max = 40;
    const char *changed = did->len == 0 ? "No change" : did->len > did_max ? "Changes made"
                                                                            : did->str;

    if (refused == 0)
        return g_strdup(changed);
    if (refused == total)
        return g_strdup(total == 1 ? "Command refused" : "Commands refused");
    return g_strdup_printf("%s; %u command%s refused", changed, refused,
                           refused == 1 ? "" : "s");
}

/* See command.h. */
gboolean
command_run(const struct command_ctx *cc, const struct message *m, const struct statement *s,
            gint64 message_row, GError **err)
{
    g_autoptr(GPtrArray) cmds = NULL;
    g_autofree char *secret = NULL;
    const char *why = NULL, *owner;
    GString *out, *did;
    gboolean ok = TRUE, addressed, write_back;
    guint refused = 0;

    /* A forward's text and From are the attached message's: never
     * commands of the forwarder's. */
    if (m->from_addr == NULL || m->forwarded_by != NULL)
        return TRUE;
    cmds = command_parse(m->text);
    if (cmds->len == 0)
        return TRUE;
    if ((secret = store_secret(cc->store, err)) == NULL)
        return FALSE;
    owner = token_owner(cc, secret, m, s, &addressed);
    /* Lines that read as commands in an answer to no reply address of
     * this statement (an envelope restated, as the acknowledgement
     * invites) are text, unless it went to another statement's. */
    if (!addressed)
        return refuse_elsewhere(cc, secret, m, s, cmds, message_row, err);
    why = refusal(cc, owner, m, s, &write_back);
    out = g_string_new(NULL);
    did = g_string_new(NULL);
    for (guint i = 0; i < cmds->len && ok; i++) {
        const struct command_line *c = g_ptr_array_index(cmds, i);
        const char *no = why != NULL ? why
                         : c->verb == COMMAND_BAD
                           ? (g_ascii_strncasecmp(c->line, "deadline", 8) == 0
                              ? "not a date of the form YYYY-MM-DD in the years 2000 to 2099"
                              : "reassign takes one group or area (its acronym) or iesg")
                         : c->verb == COMMAND_REASSIGN && cc->dir != NULL
                           && route_reassign_target(cc->dir, c->arg) == NULL
                           ? "the directory has no such group or area"
                         : c->verb == COMMAND_REASSIGN && cc->dir == NULL
                           ? "no directory to reassign with" : NULL;

        if (no != NULL) {
            g_autofree char *detail = g_strdup_printf("%s: %s", c->line, no);

            refused++;
            ok = store_add_event(cc->store, s->id, message_row, "command refused",
                                 m->from_addr, detail, err);
            g_string_append_printf(out, "  %s\n    refused: %s\n", c->line, no);
        } else {
            ok = run_one(cc, c, s, m->from_addr, message_row, out, did, err);
        }
    }
    if (ok && cc->mail != NULL && write_back) {
        g_autofree char *text = g_strdup_printf(
            "Your answer on this statement gave %s:\n\n%s\n%s",
            cmds->len == 1 ? "one command" : "these commands", out->str, command_help);
        g_autofree char *subject = answer_subject(did, refused, cmds->len);

        ok = queue_answer(cc, s, message_row, m->from_addr, subject, text, err);
    }
    g_string_free(out, TRUE);
    g_string_free(did, TRUE);
    return ok;
}
