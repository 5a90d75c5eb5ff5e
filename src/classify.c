/*
 * classify.c: is this mail a new statement, correspondence on a recorded
 * statement, auto-generated, or a bounce?
 *
 * The order matters.  Bounces come first because a DSN is also
 * auto-submitted and may quote the statement it failed to deliver; but a
 * vacation responder's reply (RFC 3834: null sender, Auto-Submitted) is
 * auto mail, not a failure.  Then auto-generated mail, which is never
 * answered even when it threads onto a statement, unless it is a
 * statement in its own right: the IETF datatracker marks every mail
 * "Auto-Submitted: auto-generated" and "Precedence: bulk", its liaison
 * statements too.  Then correspondence: by In-Reply-To or any References
 * id; by the mail's own Message-ID when a statement already has it (the
 * same statement again, directly and as a forward); or by an "[LS n]" tag
 * in the Subject from one of that statement's own people, unless it is a
 * statement of its own to the IETF citing the old one.  What is left is a
 * new statement.
 */
#include "config.h"

#include <string.h>

#include "classify.h"
#include "envelope.h"

/* TRUE when the local part of addr is MAILER-DAEMON (any case). */
static gboolean
is_mailer_daemon(const char *addr)
{
    return addr != NULL && g_ascii_strncasecmp(addr, "mailer-daemon@", 14) == 0;
}

/* TRUE when the local part of addr is postmaster (any case). */
static gboolean
is_postmaster(const char *addr)
{
    return addr != NULL && g_ascii_strncasecmp(addr, "postmaster@", 11) == 0;
}

/* The keyword of an Auto-Submitted value, parameters and comments
 * dropped ("auto-replied; owner=..." gives "auto-replied"); "" for none. */
static char *
auto_submitted_word(const char *v)
{
    if (v == NULL)
        return g_strdup("");
    while (g_ascii_isspace(*v))
        v++;
    return g_strndup(v, strcspn(v, "; \t("));
}

/* TRUE when an Auto-Submitted value says the mail was not sent by a
 * person: anything but "no" (RFC 3834 section 5). */
static gboolean
auto_submitted(const char *v)
{
    g_autofree char *word = auto_submitted_word(v);

    return *word != '\0' && g_ascii_strcasecmp(word, "no") != 0;
}

/* TRUE when an Auto-Submitted value is exactly "auto-generated" (a
 * notice of the sender's own, not a reply to anything). */
static gboolean
auto_generated(const char *v)
{
    g_autofree char *word = auto_submitted_word(v);

    return g_ascii_strcasecmp(word, "auto-generated") == 0;
}

/* TRUE when a Precedence value is one of the words given (lower case). */
static gboolean
precedence_is(const char *v, const char *const *words)
{
    g_autofree char *w = NULL;

    if (v == NULL)
        return FALSE;
    w = g_strstrip(g_ascii_strdown(v, -1));
    for (; *words != NULL; words++)
        if (strcmp(w, *words) == 0)
            return TRUE;
    return FALSE;
}

/* TRUE for Precedence: bulk, junk or list. */
static gboolean
bulk_precedence(const char *v)
{
    static const char *const bulk[] = { "bulk", "junk", "list", NULL };

    return precedence_is(v, bulk);
}

/* TRUE when m says it was not written by a person: Auto-Submitted other
 * than "no", Precedence bulk, junk or list, a List-Id, or our own loop
 * header.  Such mail is never answered (RFC 3834). */
gboolean
classify_automatic(const struct message *m)
{
    return auto_submitted(m->auto_submitted) || bulk_precedence(m->precedence)
           || m->list_id != NULL || m->loop != NULL;
}

/* The envelope m's text and text attachments carry, as ingest reads it;
 * to be freed. */
static struct envelope *
own_envelope(const struct message *m)
{
    struct envelope *e = envelope_new();

    envelope_scan(e, m->text);
    for (guint i = 0; m->text_attachments != NULL && i < m->text_attachments->len; i++)
        envelope_scan(e, g_ptr_array_index(m->text_attachments, i));
    return e;
}

/* The Title of the envelope m's text carries of its own (a Title, or a
 * letter's Subject line, a From body and a To body under their labels),
 * or NULL. */
static char *
own_envelope_title(const struct message *m)
{
    struct envelope *e = own_envelope(m);
    char *title = NULL;

    if (e->title != NULL && e->from_body != NULL && e->to_body != NULL)
        title = g_strdup(e->title);
    envelope_free(e);
    return title;
}

/* The subject with which the IETF datatracker announces a new statement. */
#define DATATRACKER_NEW "New Liaison Statement, \""

/* TRUE for the datatracker's Subject 'New Liaison Statement, "TITLE"',
 * ending with the quote: its request for approval of a statement ('...
 * "TITLE" needs your approval') is not one. */
static gboolean
datatracker_announcement(const char *subject)
{
    size_t n;

    if (subject == NULL || strncmp(subject, DATATRACKER_NEW, strlen(DATATRACKER_NEW)) != 0)
        return FALSE;
    n = strlen(subject);
    while (n > 0 && g_ascii_isspace(subject[n - 1]))
        n--;
    return n > strlen(DATATRACKER_NEW) && subject[n - 1] == '"';
}

/* TRUE when automatic mail m is still a statement: the datatracker's
 * announcement of one, which it marks like all its mail
 * ("Auto-Submitted: auto-generated", "Precedence: bulk"), with the
 * envelope in its text.  Nothing else automatic is: not the datatracker's
 * deadline reminders, which carry the same envelope, nor a list's copy,
 * nor a responder's reply quoting an acknowledgement. */
static gboolean
automatic_statement(const struct message *m)
{
    static const char *const list[] = { "list", NULL };
    g_autofree char *title = NULL;

    if ((auto_submitted(m->auto_submitted) && !auto_generated(m->auto_submitted))
        || m->list_id != NULL || m->loop != NULL || precedence_is(m->precedence, list)
        || !datatracker_announcement(m->subject))
        return FALSE;
    title = own_envelope_title(m);
    return title != NULL;
}

/* The Title of the statement m is in its own right while citing another
 * one's tag: a Title, From body and To body of its own, to the IETF and
 * not from it, by someone outside the IETF's own domain; NULL when m is
 * not one (a chair's draft of the IETF's answer, a copy of a statement
 * the body sent elsewhere, a correction that restates the envelope). */
static char *
own_statement_title(const struct message *m, const struct classify_store *cs)
{
    struct envelope *e;
    char *title = NULL;

    if (m->from_addr != NULL && cs->ours != NULL) {
        g_autofree char *from = g_utf8_strdown(m->from_addr, -1);

        if (cs->ours(from, cs->data))
            return NULL;
    }
    e = own_envelope(m);
    if (e->title != NULL && e->from_body != NULL && e->to_body != NULL
        && (cs->ietf_body == NULL
            || (!cs->ietf_body(e->from_body, cs->data) && cs->ietf_body(e->to_body, cs->data))))
        title = g_strdup(e->title);
    envelope_free(e);
    return title;
}

/* A title case-folded and without its blanks, to compare. */
static char *
title_key(const char *title)
{
    char *k = g_utf8_casefold(title, -1), *q = k;

    for (const char *p = k; *p != '\0'; p++)
        if (!g_ascii_isspace(*p))
            *q++ = *p;
    *q = '\0';
    return k;
}

/* Whether two titles are the same but for case and blanks. */
static gboolean
same_title(const char *a, const char *b)
{
    g_autofree char *x = NULL, *y = NULL;

    if (a == NULL || b == NULL)
        return FALSE;
    x = title_key(a);
    y = title_key(b);
    return strcmp(x, y) == 0;
}

/* The n of the first "[LS n]" tag in a Subject, 0 when none. */
static gint64
subject_tag(const char *subject)
{
    for (const char *p = subject; p != NULL && (p = strstr(p, "[LS ")) != NULL; p++) {
        char *end;
        gint64 n;

        if (!g_ascii_isdigit(p[4]))
            continue;
        n = g_ascii_strtoll(p + 4, &end, 10);
        if (*end == ']' && n > 0 && end - (p + 4) <= 12)
            return n;
    }
    return 0;
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

/* The statement that m is about without threading onto it: the one whose
 * reply address (with a token liaisond gave one of its recipients) m was
 * sent to, an answer whose mailer kept no In-Reply-To; else the one whose
 * own Message-ID m has (a statement arriving again, directly after its
 * forward or the other way round), else the one its Subject's "[LS n]"
 * tag names when m's From is one of that statement's contacts or
 * recipients (a follow-up that quotes the tag, as the acknowledgement
 * asks, but is no reply).  A stranger's tag is not enough: anyone can
 * write one.  0 when none, -1 on a lookup failure. */
static gint64
about_lookup(const struct message *m, const struct classify_store *cs, GError **err)
{
    g_autofree char *from = m->from_addr != NULL ? g_utf8_strdown(m->from_addr, -1) : NULL;
    g_autofree char *title = NULL, *own = NULL;
    gint64 id = cs->addressed != NULL ? cs->addressed(m, cs->data, err) : 0;
    int known;

    if (id != 0)
        return id;
    if ((id = cs->by_own_message_id(m->message_id, from, cs->data, err)) != 0)
        return id;
    if ((id = subject_tag(m->subject)) == 0 || from == NULL)
        return 0;
    known = cs->knows(id, from, &title, cs->data, err);
    if (known <= 0)
        return known;
    /* A statement of its own that cites the tag ("follows up [LS 1]"),
     * with a Title, From and To of its own and another Title, is new. */
    own = own_statement_title(m, cs);
    return own != NULL && !same_title(own, title) ? 0 : id;
}

/* Classify m; see classify.h. */
gboolean
classify_message(const struct message *m, const char *envelope_sender,
                 const struct classify_store *cs, enum message_kind *kind,
                 gint64 *statement_id, GError **err)
{
    gint64 id = thread_lookup(m, cs->by_message_id, cs->data, err);
    gboolean null_sender = envelope_sender != NULL && *envelope_sender == '\0';
    gboolean automatic = classify_automatic(m);

    if (id < 0)
        return FALSE;
    *statement_id = id;
    /* With the null sender, a responder's reply says Auto-Submitted and
     * comes from a person's address; a bounce from a postmaster's. */
    if (m->is_report || is_mailer_daemon(m->from_addr)
        || (null_sender && (!auto_submitted(m->auto_submitted)
                            || is_postmaster(m->from_addr)))) {
        *kind = KIND_BOUNCE;
        return TRUE;
    }
    if (null_sender || (automatic && (id > 0 || !automatic_statement(m)))) {
        *kind = KIND_AUTO;
        return TRUE;
    }
    /* Automatic mail that is a statement is one: never correspondence,
     * which would be routed to an assignee. */
    if (automatic) {
        *kind = KIND_STATEMENT;
        return TRUE;
    }
    if (id == 0 && (id = about_lookup(m, cs, err)) < 0)
        return FALSE;
    *statement_id = id;
    *kind = id > 0 ? KIND_CORRESPONDENCE : KIND_STATEMENT;
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
