/*
 * classify.c: is this mail a new statement, correspondence on a recorded
 * statement, auto-generated, or a bounce?
 *
 * The order matters.  Bounces come first because a DSN is also
 * auto-submitted and may quote the statement it failed to deliver; then
 * auto-generated mail (RFC 3834), which is never answered even when it
 * threads onto a statement; then correspondence, by In-Reply-To or any
 * References id; what is left is a new statement.
 */
#include "config.h"

#include <string.h>

#include "classify.h"

/* TRUE when the local part of addr is MAILER-DAEMON (any case). */
static gboolean
is_mailer_daemon(const char *addr)
{
    return addr != NULL && g_ascii_strncasecmp(addr, "mailer-daemon@", 14) == 0;
}

/* TRUE when an Auto-Submitted value says the mail was not sent by a
 * person: anything but "no" (RFC 3834 section 5), parameters ignored. */
static gboolean
auto_submitted(const char *v)
{
    g_autofree char *word = NULL;
    size_t n;

    if (v == NULL)
        return FALSE;
    while (g_ascii_isspace(*v))
        v++;
    n = strcspn(v, "; \t(");
    word = g_strndup(v, n);
    return *word != '\0' && g_ascii_strcasecmp(word, "no") != 0;
}

/* TRUE for Precedence: bulk, junk or list. */
static gboolean
bulk_precedence(const char *v)
{
    g_autofree char *w = NULL;

    if (v == NULL)
        return FALSE;
    w = g_strstrip(g_ascii_strdown(v, -1));
    return strcmp(w, "bulk") == 0 || strcmp(w, "junk") == 0 || strcmp(w, "list") == 0;
}

/* The statement that m threads onto, by In-Reply-To then References from
 * the most recent; 0 when none, -1 on a lookup failure. */
static gint64
thread_lookup(const struct message *m, classify_lookup_fn lookup, gpointer data,
              GError **err)
{
    gint64 id;

    if (m->in_reply_to != NULL) {
        id = lookup(m->in_reply_to, data, err);
        if (id != 0)
            return id;
    }
    for (guint i = m->references != NULL ? m->references->len : 0; i > 0; i--) {
        id = lookup(g_ptr_array_index(m->references, i - 1), data, err);
        if (id != 0)
            return id;
    }
    return 0;
}

/* Classify m; see classify.h. */
gboolean
classify_message(const struct message *m, const char *envelope_sender,
                 classify_lookup_fn lookup, gpointer data,
                 enum message_kind *kind, gint64 *statement_id, GError **err)
{
    gint64 id = thread_lookup(m, lookup, data, err);

    if (id < 0)
        return FALSE;
    *statement_id = id;
    if ((envelope_sender != NULL && *envelope_sender == '\0') || m->is_report
        || is_mailer_daemon(m->from_addr))
        *kind = KIND_BOUNCE;
    else if (auto_submitted(m->auto_submitted) || bulk_precedence(m->precedence)
             || m->list_id != NULL || m->loop != NULL)
        *kind = KIND_AUTO;
    else if (id > 0)
        *kind = KIND_CORRESPONDENCE;
    else
        *kind = KIND_STATEMENT;
    return TRUE;
}

/* The name of a kind, as stored and printed. */
const char *
classify_kind_name(enum message_kind k)
{
    switch (k) {
    case KIND_STATEMENT: return "statement";
    case KIND_CORRESPONDENCE: return "correspondence";
    case KIND_AUTO: return "auto";
    case KIND_BOUNCE: return "bounce";
    }
    return "unknown";
}

/* The kind of a name classify_kind_name gives. */
gboolean
classify_kind_from_name(const char *name, enum message_kind *k)
{
    static const enum message_kind all[] = {
        KIND_STATEMENT, KIND_CORRESPONDENCE, KIND_AUTO, KIND_BOUNCE,
    };

    for (size_t i = 0; name != NULL && i < G_N_ELEMENTS(all); i++) {
        if (strcmp(name, classify_kind_name(all[i])) == 0) {
            *k = all[i];
            return TRUE;
        }
    }
    return FALSE;
}
