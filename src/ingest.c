/*
 * ingest.c: the one core behind every door.  A raw message comes in; it is
 * parsed, classified, read for its envelope, checked, routed and recorded,
 * and a decision goes out: what kind of mail it was, which statement it
 * belongs to, and whom the MTA should add as recipients.
 *
 * Everything is written in one BEGIN IMMEDIATE transaction, so a failure
 * anywhere leaves nothing half-written and the caller can answer TEMPFAIL;
 * the sending MTA then retries, and the retry is recognised (Message-ID and
 * a digest of the body, which unlike the header block does not change
 * between attempts) so it is recorded once.
 *
 * Two doors lead here: bytes in memory (ingest_message) and a file
 * (ingest_message_fd, the milter's spool).  Both become a seekable GMime
 * stream read a chunk at a time, so a large message is parsed, digested
 * and recorded without ever being whole in memory.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include <gmime/gmime.h>

#include "command.h"
#include "envelope.h"
#include "ingest.h"
#include "log.h"
#include "outbox.h"
#include "route.h"

/* The raw message as it came in: always a seekable stream (a file for
 * large mail), and its bytes too when they are already in memory. */
struct raw_input {
    GMimeStream *stream;
    const char *raw;            /* NULL when only the stream has them */
    gsize   len;
};

/* Bytes read at a time from the raw stream. */
#define RAW_CHUNK   65536

/* Hex SHA-256 of the body of the raw message, everything after the first
 * empty line (what stays the same across retries), read a chunk at a
 * time; NULL when the stream cannot be read whole.  Without a Message-ID
 * the body alone is no identity (two different mails may say the same
 * thing), so the sender's own From, To, Subject and Date, which no hop
 * changes, go into the digest too. */
static char *
body_digest(GMimeStream *raw, const struct message *m)
{
    enum { HEADER, AFTER_LF, AFTER_LF_CR, BODY } state = HEADER;
    GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
    char   *buf = g_malloc(RAW_CHUNK);
    gint64  total = 0, len = g_mime_stream_length(raw);
    gssize  n;
    char   *hex = NULL;

    if (m->outer_message_id == NULL) {
        const char *const fields[] = { m->from, m->to, m->subject, m->date };

        for (size_t i = 0; i < G_N_ELEMENTS(fields); i++) {
            g_checksum_update(sum, (const guchar *) (fields[i] != NULL ? fields[i] : ""), -1);
            g_checksum_update(sum, (const guchar *) "\n", 1);
        }
    }

    g_mime_stream_reset(raw);
    while (total < len && (n = g_mime_stream_read(raw, buf, RAW_CHUNK)) > 0) {
        gssize i = 0;

        total += n;
        for (; state != BODY && i < n; i++) {
            char c = buf[i];

            if ((state == AFTER_LF || state == AFTER_LF_CR) && c == '\n')
                state = BODY;
            else if (state == AFTER_LF && c == '\r')
                state = AFTER_LF_CR;
            else
                state = c == '\n' ? AFTER_LF : HEADER;
        }
        if (state == BODY && i < n)
            g_checksum_update(sum, (const guchar *) buf + i, n - i);
    }
    if (total == len)
        hex = g_strdup(g_checksum_get_string(sum));
    g_checksum_free(sum);
    g_free(buf);
    g_mime_stream_reset(raw);
    return hex;
}

/* Record the raw message: bound at once when it is in memory, else copied
 * from its stream in chunks. */
static gint64
add_raw_message(struct ingest_ctx *ctx, const struct raw_input *in,
                gint64 statement_id, const char *kind, const char *message_id,
                const char *digest, GError **err)
{
    if (in->raw != NULL)
        return store_add_message(ctx->store, statement_id, "in", kind, message_id,
                                 digest, in->raw, in->len, err);
    return store_add_message_stream(ctx->store, statement_id, "in", kind, message_id,
                                    digest, in->stream, err);
}

/* classify_lookup_fn over the store (data: the ingest_ctx). */
static gint64
lookup_in_store(const char *message_id, gpointer data, GError **err)
{
    return store_statement_by_message_id(((struct ingest_ctx *) data)->store, message_id, err);
}

/* What own_id_accept compares a recorded statement with. */
struct own_id_query {
    const char *from_addr;      /* the new mail's From, lower case */
    const struct directory *dir;
};

/* Whether header_from, as the store keeps it ("Name <addr>" or "addr"),
 * has the address addr. */
static gboolean
from_has_address(const char *header_from, const char *addr)
{
    g_autofree char *from = message_from_address(header_from);

    return from != NULL && g_ascii_strcasecmp(from, addr) == 0;
}

/* The domain of an address, or "" (never NULL). */
static const char *
domain_part(const char *addr)
{
    const char *at = strrchr(addr, '@');

    return at != NULL ? at + 1 : "";
}

/* store_own_id_fn: the same statement again from its sender.  Its From
 * must be the one recorded.  A statement recorded from a forward counts
 * only when the forwarder could vouch for the attached From: the IETF's
 * own (the secretariat) or someone at the sender's own domain; else a
 * stranger's forward of a made-up statement under a body's next
 * Message-ID would turn the body's real statement into correspondence on
 * it.  The forward's own id is the forwarder's again. */
static gboolean
own_id_accept(const char *header_from, const char *forwarded_by, gboolean outer,
              gpointer data)
{
    const struct own_id_query *q = data;

    if (outer)
        return forwarded_by != NULL && g_ascii_strcasecmp(forwarded_by, q->from_addr) == 0;
    if (header_from == NULL || !from_has_address(header_from, q->from_addr))
        return FALSE;
    return forwarded_by == NULL
           || (q->dir != NULL && directory_is_own_domain(q->dir, forwarded_by))
           || g_ascii_strcasecmp(domain_part(forwarded_by), domain_part(q->from_addr)) == 0;
}

/* classify_own_lookup_fn over the store. */
static gint64
own_lookup_in_store(const char *message_id, const char *from_addr, gpointer data,
                    GError **err)
{
    struct ingest_ctx *ctx = data;
    struct own_id_query q = { from_addr, ctx->dir };

    if (from_addr == NULL)
        return 0;
    return store_statement_by_own_message_id(ctx->store, message_id, own_id_accept, &q, err);
}

/* classify_knows_fn over the store. */
static int
knows_in_store(gint64 id, const char *addr, char **title, gpointer data, GError **err)
{
    return store_statement_knows_address(((struct ingest_ctx *) data)->store, id, addr,
                                         title, err);
}

/* classify_ours_fn over the directory. */
static gboolean
ours_in_directory(const char *addr, gpointer data)
{
    const struct directory *dir = ((struct ingest_ctx *) data)->dir;

    return dir != NULL && directory_is_own_domain(dir, addr);
}

/* classify_ietf_fn over the directory: a group or area it knows, or the
 * IETF and its bodies by name. */
static gboolean
ietf_in_directory(const char *body, gpointer data)
{
    static const char *const names[] = {
        "ietf", "iesg", "iab", "irtf", "internet engineering task force",
        "internet architecture board", "internet engineering steering group", NULL,
    };
    const struct directory *dir = ((struct ingest_ctx *) data)->dir;
    g_autofree char *low = g_ascii_strdown(body, -1);

    for (const char *const *n = names; *n != NULL; n++) {
        size_t len = strlen(*n);

        for (const char *p = strstr(low, *n); p != NULL; p = strstr(p + 1, *n))
            if ((p == low || !g_ascii_isalnum(p[-1])) && !g_ascii_isalnum(p[len]))
                return TRUE;
    }
    if (dir != NULL) {
        g_autoptr(GPtrArray) keys = g_ptr_array_new();

        directory_match_bodies(dir, body, keys);
        return keys->len > 0;
    }
    return FALSE;
}

/* classify_addressed_fn over the store: command.c knows the tokens. */
static gint64
addressed_in_store(const struct message *m, gpointer data, GError **err)
{
    struct ingest_ctx *ctx = data;

    return command_addressed(ctx->store, ctx->mail, m, err);
}

/* Classify m against the store; see classify_message(). */
static gboolean
classify_in_store(struct ingest_ctx *ctx, const struct message *m, const char *envelope_sender,
                  enum message_kind *kind, gint64 *statement_id, GError **err)
{
    const struct classify_store cs = {
        lookup_in_store, own_lookup_in_store, knows_in_store, ours_in_directory,
        ietf_in_directory, ctx, addressed_in_store,
    };

    return classify_message(m, envelope_sender, &cs, kind, statement_id, err);
}

/* The Subject as a title: a datatracker 'New Liaison Statement, "..."'
 * wrapper and forwarding prefixes removed. */
static char *
title_from_subject(const char *subject)
{
    static const char wrapper[] = "New Liaison Statement, \"";
    const char *s = subject;
    size_t n;

    if (s == NULL)
        return NULL;
    while (g_ascii_isspace(*s))
        s++;
    for (;;) {
        if (g_ascii_strncasecmp(s, "Fwd:", 4) == 0)
            s += 4;
        else if (g_ascii_strncasecmp(s, "Fw:", 3) == 0)
            s += 3;
        else
            break;
        while (g_ascii_isspace(*s))
            s++;
    }
    if (g_ascii_strncasecmp(s, wrapper, sizeof wrapper - 1) == 0) {
        s += sizeof wrapper - 1;
        n = strlen(s);
        if (n > 0 && s[n - 1] == '"')
            n--;
        return g_strndup(s, n);
    }
    return *s != '\0' ? g_strdup(s) : NULL;
}

/* TRUE for a type or file name in a word processor's or office suite's
 * own format, which RFC 4053 section 2.2.1.2 asks not to send alone. */
static gboolean
is_office_format(const struct attachment *a)
{
    static const char *const exts[] = { ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx",
                                        ".odt", ".ods", ".odp", ".rtf", ".wpd", NULL };
    g_autofree char *name = g_ascii_strdown(a->name, -1);   /* LS-0412.DOC */

    if (g_str_has_prefix(a->type, "application/msword")
        || g_str_has_prefix(a->type, "application/vnd.openxmlformats-officedocument.")
        || g_str_has_prefix(a->type, "application/vnd.ms-")
        || g_str_has_prefix(a->type, "application/vnd.oasis.opendocument.")
        || g_str_has_prefix(a->type, "application/rtf"))
        return TRUE;
    for (int i = 0; exts[i] != NULL; i++)
        if (g_str_has_suffix(name, exts[i]))
            return TRUE;
    return FALSE;
}

/* TRUE for Outlook's TNEF wrapper (winmail.dat): the real attachments are
 * inside it, and mail readers other than Outlook cannot open it.  Checked
 * before the office formats, whose "application/vnd.ms-" it shares. */
static gboolean
is_tnef(const struct attachment *a)
{
    return g_ascii_strcasecmp(a->type, "application/ms-tnef") == 0
           || g_ascii_strcasecmp(a->type, "application/vnd.ms-tnef") == 0
           || g_ascii_strcasecmp(a->name, "winmail.dat") == 0;
}

/* TRUE for a generally readable format: PDF, HTML or text. */
static gboolean
is_readable_format(const struct attachment *a)
{
    g_autofree char *name = g_ascii_strdown(a->name, -1);   /* LS-0412.PDF */

    return strcmp(a->type, "application/pdf") == 0 || g_str_has_prefix(a->type, "text/")
           || g_str_has_suffix(name, ".pdf") || g_str_has_suffix(name, ".txt")
           || g_str_has_suffix(name, ".html") || g_str_has_suffix(name, ".htm");
}

/* The parse problems a mime-damaged diagnostic spells out; the rest are
 * counted. */
#define PROBLEMS_SHOWN 8

/* Note what is missing or wrong in a statement as diagnostics; fill the
 * purpose when it is missing (RFC 4053: assume For Information). */
static void
check_statement(struct statement *s, const struct message *m)
{
    struct envelope *e = s->env;
    gboolean office = FALSE, readable = FALSE;
    const struct attachment *tnef = NULL;

    if (e->from_body == NULL)
        statement_add_diagnostic(s, "from-missing",
            "No From body was given: the statement does not say which body sent it.");
    if (e->to_body == NULL)
        statement_add_diagnostic(s, "to-missing",
            "No To body was given: the statement does not say which IETF body it is for.");
    if (e->title == NULL)
        statement_add_diagnostic(s, "title-missing",
            "The statement has no title and the mail no Subject.");
    if (e->purpose == PURPOSE_NONE) {
        e->purpose = PURPOSE_INFORMATION;
        statement_add_diagnostic(s, "purpose-missing",
            "No purpose was given, so the statement was recorded as For Information.");
    }
    if ((e->purpose == PURPOSE_ACTION || e->purpose == PURPOSE_COMMENT) && e->deadline == NULL)
        statement_add_diagnostic(s, "deadline-missing",
            e->purpose == PURPOSE_ACTION
                ? "The statement asks for action but gives no deadline."
                : "The statement asks for comments but gives no deadline.");
    if (e->purpose == PURPOSE_INFORMATION && e->deadline != NULL)
        statement_add_diagnostic(s, "deadline-on-information",
            "The statement is For Information but gives a deadline.");
    if (e->response_contacts->len == 0)
        statement_add_diagnostic(s, "response-contact-missing",
            "No response contact was given and the mail has no usable From address.");
    for (guint i = 0; i < s->attachments->len; i++) {
        const struct attachment *a = g_ptr_array_index(s->attachments, i);

        if (is_tnef(a)) {
            tnef = tnef != NULL ? tnef : a;
            continue;
        }
        office = office || is_office_format(a);
        readable = readable || is_readable_format(a);
    }
    if (tnef != NULL) {
        g_autofree char *text = g_strdup_printf(
            "The attachment %s (%s) is Outlook's TNEF wrapper; "
            "the files inside it were not read, and most mail readers cannot open it.",
            tnef->name, tnef->type);

        statement_add_diagnostic(s, "attachment-tnef", text);
    }
    if (office && !readable)
        statement_add_diagnostic(s, "attachment-not-readable-format",
            "The attachments are only in a word processor's format; "
            "please send a PDF, HTML or text version beside them (RFC 4053, section 2.2.1.2).");
    if (m->problems->len > 0) {
        /* Every problem, not only the first: a truncated attachment after
         * an unclosed boundary is news of its own to the sender. */
        GString *text = g_string_new("The mail is damaged and was read as far as possible: ");

        for (guint i = 0; i < m->problems->len && i < PROBLEMS_SHOWN; i++)
            g_string_append_printf(text, "%s%s", i > 0 ? " " : "",
                                   (const char *) g_ptr_array_index(m->problems, i));
        if (m->problems->len > PROBLEMS_SHOWN)
            g_string_append_printf(text, " (and %u more)", m->problems->len - PROBLEMS_SHOWN);
        statement_add_diagnostic(s, "mime-damaged", text->str);
        g_string_free(text, TRUE);
    }
}

/* Build the statement that message m carries. */
static struct statement *
build_statement(struct ingest_ctx *ctx, struct message *m)
{
    struct statement *s = statement_new();
    struct envelope *e = s->env;

    /* received is left for store_add_statement: now, or the time an
     * import dates the message at (store_set_as_of). */
    s->message_id = g_strdup(m->message_id);
    s->forwarded_by = g_strdup(m->forwarded_by);
    s->header_from = g_strdup(m->from);
    s->subject = g_strdup(m->subject);

    /* The body is the most trusted place for the envelope; a text
     * attachment is where some senders put the form instead. */
    envelope_scan(e, m->text);
    for (guint i = 0; i < m->text_attachments->len; i++)
        envelope_scan(e, g_ptr_array_index(m->text_attachments, i));
    if (e->title == NULL)
        e->title = title_from_subject(m->subject);
    if (e->response_contacts->len == 0 && m->from_addr != NULL)
        g_ptr_array_add(e->response_contacts, contact_new(m->from_name, m->from_addr));
    if (e->body == NULL)
        e->body = g_strdup(m->text);

    /* The attachments move from the message to the statement. */
    while (m->attachments->len > 0)
        g_ptr_array_add(s->attachments, g_ptr_array_steal_index(m->attachments, 0));

    check_statement(s, m);
    /* Routed on the mail's own From, the forwarder's for a forward: an
     * attached message's From is anyone's to write, and the technical
     * contacts at its domain would make intake a relay to any domain.
     * The IETF's own forwarder (the secretariat passing on what reached
     * statements@) is trusted with it, as with the acknowledgement. */
    route_statement(ctx->dir, s,
                    m->forwarded_by != NULL && !directory_is_own_domain(ctx->dir, m->forwarded_by)
                    ? m->forwarded_by : m->from_addr);
    return s;
}

/* The recipients a correspondence adds: the assignees (a statement to
 * two groups has two), but not the one who wrote it.  Never the list:
 * correspondence is not for the whole group. */
static void
correspondence_recipients(const struct statement *s, const struct message *m, GPtrArray *out)
{
    gboolean any = FALSE;

    for (guint i = 0; i < s->recipients->len; i++) {
        const struct recipient *r = g_ptr_array_index(s->recipients, i);

        if (r->role == NULL || strcmp(r->role, "assignee") != 0)
            continue;
        any = TRUE;
        if (m->from_addr == NULL || g_ascii_strcasecmp(m->from_addr, r->addr) != 0)
            g_ptr_array_add(out, recipient_new(r->addr, "assignee"));
    }
    /* A statement recorded without its recipients (by hand): its assignee. */
    if (!any && s->assignee != NULL
        && (m->from_addr == NULL || g_ascii_strcasecmp(m->from_addr, s->assignee) != 0))
        g_ptr_array_add(out, recipient_new(s->assignee, "assignee"));
}

/* Copy a statement's routed recipients into out. */
static void
statement_recipients(const struct statement *s, GPtrArray *out)
{
    for (guint i = 0; i < s->recipients->len; i++) {
        const struct recipient *r = g_ptr_array_index(s->recipients, i);

        g_ptr_array_add(out, recipient_new(r->addr, r->role));
    }
}

/* Set d->error from err and answer TEMPFAIL. */
static enum ingest_status
tempfail(struct decision *d, GError *err, const char *what)
{
    d->error = g_strdup_printf("%s: %s", what, err != NULL ? err->message : "unknown error");
    g_clear_error(&err);
    return INGEST_TEMPFAIL;
}

/* Queue m for statement s and free it; TRUE when m is NULL (no one to
 * send to). */
static gboolean
queue_and_free(struct ingest_ctx *ctx, gint64 statement_id, struct outmail *m, GError **err)
{
    gboolean ok = m == NULL || outbox_queue(ctx->store, statement_id, m, err) != 0;

    outmail_free(m);
    return ok;
}

/* The bare address of a header value "Name <addr>" or "addr". */
static char *
bare_address(const char *v)
{
    const char *lt, *gt;

    if (v == NULL)
        return NULL;
    lt = strchr(v, '<');
    gt = lt != NULL ? strchr(lt, '>') : NULL;
    if (lt != NULL && gt != NULL)
        return g_ascii_strdown(lt + 1, gt - lt - 1);
    return g_strstrip(g_ascii_strdown(v, -1));
}

/* The addresses of to that may have an acknowledgement now: those the
 * composer would use (plain mailboxes, lower case as the outbox row has
 * them, once each) less those that had ack_per_day acknowledgements in the
 * last 24 hours, so that a sender in a loop with us (or a flood of
 * statements) cannot make us mail one address without end.  It runs
 * before the acknowledgement is composed, so that its To names only those
 * it goes to: an address left out is neither shown to the others nor
 * said to have had it.  NULL with *err on a store failure. */
static GPtrArray *
limit_acknowledgements(struct ingest_ctx *ctx, const struct statement *s,
                       const GPtrArray *to, GError **err)
{
    g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; i < to->len; i++) {
        char *rcpt = g_ascii_strdown(g_ptr_array_index(to, i), -1);
        gint64 n;

        if (!compose_address_ok(rcpt)
            || g_ptr_array_find_with_equal_func(seen, rcpt, g_str_equal, NULL)) {
            g_free(rcpt);
            continue;
        }
        g_ptr_array_add(seen, rcpt);
        if ((n = store_outbox_count_to(ctx->store, "acknowledgement", rcpt, err)) < 0)
            return NULL;
        if (n >= ctx->ack_per_day) {
            g_autofree char *why = g_strdup_printf("no acknowledgement to %s: %" G_GINT64_FORMAT
                                                   " already sent in 24 hours", rcpt, n);

            log_msg(LOG_NOTICE, ctx->log_id != NULL ? ctx->log_id : s->message_id, "%s", why);
            if (!store_add_event(ctx->store, s->id, 0, "acknowledgement withheld",
                                 "liaisond", why, err))
                return NULL;
        } else {
            g_ptr_array_add(keep, g_strdup(rcpt));
        }
    }
    return g_steal_pointer(&keep);
}

/* Queue the mail a new statement causes: the notification and the
 * acknowledgement, in the transaction that records the statement.
 * from_addr is the header From's address as GMime parsed it: reading it
 * again out of the display string would take an address written inside a
 * display name ("Support <victim@t.example>" <me@evil.example>). */
static gboolean
queue_arrival_mail(struct ingest_ctx *ctx, const struct statement *s, const char *from_addr,
                   gboolean automatic, GError **err)
{
    g_autoptr(GPtrArray) to = NULL;

    if (ctx->mail == NULL)
        return TRUE;
    if (ctx->notify && !queue_and_free(ctx, s->id, compose_notification(ctx->mail, s), err))
        return FALSE;
    if (!ctx->acknowledge)
        return TRUE;
    /* A statement a system sent by itself (the datatracker's) is not
     * answered: RFC 3834, and the system has told its submitter. */
    if (automatic)
        return store_add_event(ctx->store, s->id, 0, "acknowledgement withheld", "liaisond",
                               "the statement came as automatic mail (Auto-Submitted or"
                               " Precedence), which is never answered", err);
    {
        g_autoptr(GPtrArray) all = route_acknowledge_to(ctx->dir, s, from_addr);

        if ((to = limit_acknowledgements(ctx, s, all, err)) == NULL)
            return FALSE;
    }
    /* Composed once, for those left: nobody left, nothing queued. */
    return to->len == 0 || queue_and_free(ctx, s->id, compose_acknowledgement(ctx->mail, s, to),
                                          err);
}

/* TRUE when a bounce says that delivery failed: some recipient's Action
 * is "failed" (message.c compares it in lower case).  A DSN without any
 * per-recipient Action, or a bounce that is no DSN at all, is taken as
 * failed, as every bounce was before Actions were read.  A DSN whose
 * recipients are only delayed, delivered, relayed or expanded is no
 * failure: the mail may still arrive, or did. */
static gboolean
bounce_failed(const struct message *m)
{
    return m->failed_recipients->len > 0 || m->dsn_recipients->len == 0;
}

/* A failing address is reported when it starts bouncing, and again only
 * after this many days without a bounce: longer than the weekly overdue
 * reminders, whose every bounce would otherwise be reported once their
 * times of day drift apart. */
#define REPORT_QUIET_DAYS 15

/* A bounce addressed to one of our VERP senders names mail we sent: mark
 * the recipient as failing, note it on the statement, and tell the
 * liaison manager (or the assignee), unless what bounced was itself such a
 * report.  A bounce that names nothing of ours, or that reports no
 * failure (bounce_failed), is only recorded. */
static gboolean
handle_bounce(struct ingest_ctx *ctx, const struct message *m, struct decision *d,
              GError **err)
{
    g_autofree char *to = bare_address(m->to);
    g_autofree char *rcpt = NULL, *detail = NULL, *now = NULL, *text = NULL, *prev = NULL;
    g_autofree char *quiet_until = NULL;
    gint64 row = 0, stmt = 0;
    struct store_outbox_row *orow;
    struct statement *s;
    const char *report_to = NULL;
    GError *e = NULL;
    gboolean ok;

    if (to == NULL || !outbox_verp_lookup(ctx->store, to, &row, &rcpt, &stmt, &e)) {
        /* NOTFOUND: not one of our VERP addresses, or a row long gone. */
        if (e != NULL && !g_error_matches(e, STORE_ERROR, STORE_ERROR_NOTFOUND)) {
            g_propagate_error(err, e);
            return FALSE;
        }
        g_clear_error(&e);
        return TRUE;
    }
    if (!bounce_failed(m)) {
        d->statement_id = stmt;
        return TRUE;
    }
    {
        g_autoptr(GDateTime) t = g_date_time_new_now_utc();
        g_autoptr(GDateTime) week_ago = g_date_time_add_days(t, -REPORT_QUIET_DAYS);

        now = g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ");
        quiet_until = g_date_time_format(week_ago, "%Y-%m-%dT%H:%M:%SZ");
    }
    detail = g_strdup_printf("mail to %s bounced (outbox row %" G_GINT64_FORMAT ")", rcpt, row);
    if (!store_address_failing(ctx->store, rcpt, now, detail, &prev, err))
        return FALSE;
    d->statement_id = stmt;
    if (stmt == 0 || ctx->mail == NULL)
        return TRUE;
    /* Each reminder and notification to a dead address bounces, and a
     * report for every one would bury the liaison manager: one when the
     * address starts failing, another only after REPORT_QUIET_DAYS
     * without a bounce.  The bounce itself stays recorded on the
     * statement. */
    if (prev != NULL && strcmp(prev, quiet_until) > 0)
        return TRUE;
    orow = store_outbox_get(ctx->store, row, err);
    if (orow == NULL)
        return FALSE;
    ok = outbox_kind_unreported(orow->kind);
    store_outbox_row_free(orow);
    if (ok)
        return TRUE;            /* never a report's or an answer's bounce: no loops */
    s = store_get_statement_meta(ctx->store, stmt, err);
    if (s == NULL)
        return FALSE;
    for (guint i = 0; i < s->recipients->len && report_to == NULL; i++) {
        const struct recipient *r = g_ptr_array_index(s->recipients, i);

        if (strcmp(r->role, "liaison-manager") == 0)
            report_to = r->addr;
    }
    if (report_to == NULL)
        report_to = s->assignee;
    text = g_strdup_printf("Mail about liaison statement %" G_GINT64_FORMAT " to %s could not be "
                           "delivered; the address is now marked as failing.\n\n"
                           "Please check the contact and correct it.\n", s->id, rcpt);
    ok = report_to == NULL
         || queue_and_free(ctx, stmt, compose_report(ctx->mail, s, report_to,
                                                     "Undeliverable contact address", text), err);
    statement_free(s);
    return ok;
}

/* Record a message that is not a new statement and say who gets it. */
static gboolean
record_other(struct ingest_ctx *ctx, struct message *m, const struct raw_input *in,
             const char *digest, struct decision *d, GError **err)
{
    const char *kind = classify_kind_name(d->kind);
    g_autofree char *detail = NULL;

    if (d->kind == KIND_BOUNCE && !handle_bounce(ctx, m, d, err))
        return FALSE;
    d->message_row = add_raw_message(ctx, in, d->statement_id, kind,
                                     m->outer_message_id, digest, err);
    if (d->message_row == 0)
        return FALSE;
    if (d->kind == KIND_BOUNCE && m->failed_recipients->len > 0) {
        g_ptr_array_add(m->failed_recipients, NULL);
        detail = g_strjoinv(", ", (char **)m->failed_recipients->pdata);
        g_ptr_array_remove_index(m->failed_recipients, m->failed_recipients->len - 1);
    } else if (d->kind == KIND_BOUNCE && m->dsn_recipients->len > 0) {
        /* No failure, so every recipient has an Action: say what the DSN
         * reports, "a@x (delayed 4.4.7)". */
        GString *s = g_string_new(NULL);

        for (guint i = 0; i < m->dsn_recipients->len; i++) {
            const struct dsn_recipient *r = g_ptr_array_index(m->dsn_recipients, i);

            g_string_append_printf(s, "%s%s (%s%s%s)", i > 0 ? ", " : "", r->addr,
                                   r->action, r->status != NULL ? " " : "",
                                   r->status != NULL ? r->status : "");
        }
        detail = g_string_free(s, FALSE);
    } else {
        detail = g_strdup(m->from_addr);
    }
    if (!store_add_event(ctx->store, d->statement_id, d->message_row, kind,
                         m->from_addr, detail, err))
        return FALSE;
    if (d->statement_id > 0) {
        /* Without attachment bytes: the decision never needs them. */
        d->statement = store_get_statement_meta(ctx->store, d->statement_id, err);
        if (d->statement == NULL)
            return FALSE;
        if (d->kind == KIND_CORRESPONDENCE)
            correspondence_recipients(d->statement, m, d->recipients);
        /* An answer from a person may carry commands; auto mail never
         * does (an auto-reply quoting a command must not run it). */
        if (d->kind == KIND_CORRESPONDENCE && ctx->mail != NULL && !classify_automatic(m)) {
            const struct command_ctx cc = { ctx->store, ctx->dir, ctx->notify, ctx->mail,
                                            ctx->authserv_id, ctx->answer_per_day };

            return command_run(&cc, m, d->statement, d->message_row, err);
        }
    }
    return TRUE;
}

/* Record a new statement with its message and events; the message is
 * the row recorded before when message_row is not 0. */
static gboolean
record_statement(struct ingest_ctx *ctx, struct message *m, const struct raw_input *in,
                 const char *digest, gint64 message_row, struct decision *d, GError **err)
{
    g_autofree char *routed = NULL;
    GString *who = g_string_new(NULL);

    d->statement = build_statement(ctx, m);
    /* The statement first, so that the message row is written once with
     * its statement: an UPDATE would rewrite the whole row, raw bytes
     * included, and SQLite holds a row in memory to rewrite it.  Only a
     * message recorded before as something else is updated. */
    if (store_add_statement(ctx->store, d->statement, err) == 0
        || (message_row != 0
            ? !store_link_message(ctx->store, message_row, d->statement->id, "statement", err)
            : (message_row = add_raw_message(ctx, in, d->statement->id, "statement",
                                             m->outer_message_id, digest, err)) == 0)) {
        g_string_free(who, TRUE);
        return FALSE;
    }
    d->message_row = message_row;
    d->statement_id = d->statement->id;
    statement_recipients(d->statement, d->recipients);
    for (guint i = 0; i < d->recipients->len; i++) {
        const struct recipient *r = g_ptr_array_index(d->recipients, i);

        g_string_append_printf(who, "%s%s (%s)", i > 0 ? ", " : "", r->addr, r->role);
    }
    routed = g_string_free(who, FALSE);
    return store_add_event(ctx->store, d->statement_id, d->message_row, "received",
                           m->from_addr, d->statement->env->title, err)
           && store_add_event(ctx->store, d->statement_id, d->message_row, "routed",
                              "liaisond", routed, err)
           && queue_arrival_mail(ctx, d->statement,
                                 m->forwarded_by != NULL ? m->forwarded_by : m->from_addr,
                                 classify_automatic(m), err);
}

/* A message recorded before (row, its statement stmt, its kind as
 * recorded): the decision it got then again, nothing written.  The kind
 * recorded decides, not the one this copy would get now: a retry must be
 * routed as the first attempt was, and the database may have changed in
 * between (the message it answers recorded since, which would make a new
 * statement correspondence).  This copy decides when one of the two is
 * auto mail or a bounce: a copy that is itself auto-generated or a bounce
 * (a list's copy with List-Id, a null sender) is routed to no one, never
 * back to the list it came from; and when the first copy was auto mail or
 * a bounce (the list's copy came first), this one is routed as what it is:
 * correspondence to its statement's assignee, and a statement becomes one
 * now, on that row (*upgrade).  A kind recorded that is not known (the row
 * altered by hand) is taken as this copy's, with a warning, rather than
 * deferring the mail for good.  The envelope sender takes part as it did
 * the first time: a bounce known only by its null sender must stay a
 * bounce, never be routed. */
static gboolean
replay_duplicate(struct ingest_ctx *ctx, struct message *m, const char *envelope_sender,
                 gint64 row, gint64 stmt, const char *kind, struct decision *d,
                 gboolean *upgrade, gboolean *relink, GError **err)
{
    enum message_kind now, recorded;
    gint64 ref = 0;

    *upgrade = FALSE;
    *relink = FALSE;
    if (!classify_in_store(ctx, m, envelope_sender, &now, &ref, err))
        return FALSE;
    if (!classify_kind_from_name(kind, &recorded)) {
        log_msg(LOG_WARNING, ctx->log_id, "message %" G_GINT64_FORMAT " is recorded with an "
                "unknown kind \"%s\"; its copy is taken as %s", row,
                kind != NULL ? kind : "", classify_kind_name(now));
        recorded = now;
    }
    if (recorded == KIND_AUTO || recorded == KIND_BOUNCE) {
        if (stmt == 0 && now == KIND_STATEMENT) {
            d->kind = KIND_STATEMENT;
            *upgrade = TRUE;
            return TRUE;
        }
        if (now == KIND_CORRESPONDENCE && stmt == 0)
            stmt = ref;         /* the statement it answers */
        /* The row says now what the message is, so that the history
         * shows who got it (record_correspondence_copy). */
        *relink = now == KIND_CORRESPONDENCE && stmt > 0;
        recorded = now;
    }
    d->duplicate = TRUE;
    d->message_row = row;
    d->statement_id = stmt;
    d->kind = now == KIND_AUTO || now == KIND_BOUNCE ? now : recorded;
    if (stmt == 0)
        return TRUE;
    d->statement = store_get_statement_meta(ctx->store, stmt, err);
    if (d->statement == NULL)
        return FALSE;
    if (d->kind == KIND_CORRESPONDENCE)
        correspondence_recipients(d->statement, m, d->recipients);
    else if (d->kind == KIND_STATEMENT)
        statement_recipients(d->statement, d->recipients);
    return TRUE;
}

/* A duplicate whose first copy was recorded as auto mail or a bounce (the
 * list's copy of a reply came first) is correspondence, copied to the
 * assignee: its row becomes that, on its statement, with the event a
 * reply recorded first gets (record_other), so that the history shows
 * it, and its commands run now. */
static gboolean
record_correspondence_copy(struct ingest_ctx *ctx, const struct message *m,
                           const struct decision *d, GError **err)
{
    const struct command_ctx cc = { ctx->store, ctx->dir, ctx->notify, ctx->mail,
                                    ctx->authserv_id, ctx->answer_per_day };

    if (!store_link_message(ctx->store, d->message_row, d->statement_id,
                            "correspondence", err)
        || !store_add_event(ctx->store, d->statement_id, d->message_row, "correspondence",
                            m->from_addr, m->from_addr, err))
        return FALSE;
    /* Its commands, which the list's copy never ran (auto mail). */
    return ctx->mail == NULL || classify_automatic(m) || d->statement == NULL
           || command_run(&cc, m, d->statement, d->message_row, err);
}

/* The transaction is over: hand a shared store back. */
static void
leave_store(struct ingest_ctx *ctx, gboolean healthy)
{
    if (ctx->store_leave != NULL)
        ctx->store_leave(ctx, healthy);
}

/* Ingest the raw message in; the common part of the doors below. */
static enum ingest_status
ingest_raw(struct ingest_ctx *ctx, const struct raw_input *in,
           const char *envelope_sender, struct decision *d)
{
    GError *err = NULL;
    struct message *m;
    g_autofree char *digest = NULL;
    g_autofree char *kind = NULL;       /* of a message recorded before */
    gint64 row, stmt = 0;
    gboolean ok, upgrade = FALSE, relink = FALSE;

    memset(d, 0, sizeof *d);
    d->recipients = g_ptr_array_new_with_free_func(recipient_free);
    m = message_parse_stream(in->stream, &ctx->limits, &err);
    if (m == NULL && g_error_matches(err, MESSAGE_ERROR, MESSAGE_ERROR_NOT_MAIL)) {
        d->error = g_strdup_printf("not a mail message: %s", err->message);
        g_error_free(err);
        return INGEST_DATAERR;
    }
    if (m == NULL)
        return tempfail(d, err, "cannot read the message");
    digest = body_digest(in->stream, m);
    if (digest == NULL) {
        message_free(m);
        g_set_error(&err, STORE_ERROR, STORE_ERROR_OTHER, "%s", g_strerror(errno));
        return tempfail(d, err, "cannot read the message");
    }
    if (ctx->store_enter != NULL && !ctx->store_enter(ctx, &err)) {
        message_free(m);
        return tempfail(d, err, "cannot use the database");
    }
    if (!store_begin(ctx->store, &err)) {
        message_free(m);
        leave_store(ctx, FALSE);
        return tempfail(d, err, "cannot start a transaction");
    }
    row = store_find_message(ctx->store, m->outer_message_id, digest, &stmt, &kind, &err);
    if (row < 0)
        ok = FALSE;
    else if (row > 0) {
        ok = replay_duplicate(ctx, m, envelope_sender, row, stmt, kind, d, &upgrade,
                              &relink, &err);
        if (ok && upgrade)
            ok = record_statement(ctx, m, in, digest, row, d, &err);
        else if (ok && relink)
            ok = record_correspondence_copy(ctx, m, d, &err);
    } else if (!classify_in_store(ctx, m, envelope_sender, &d->kind, &d->statement_id, &err))
        ok = FALSE;
    else if (d->kind == KIND_STATEMENT)
        ok = record_statement(ctx, m, in, digest, 0, d, &err);
    else
        ok = record_other(ctx, m, in, digest, d, &err);
    if (ok && (!d->duplicate || relink))
        ok = store_commit(ctx->store, &err);
    /* A duplicate wrote nothing worth keeping (but the row it relinked);
     * a failure, even a failed COMMIT, leaves the transaction open. */
    if (!ok || (d->duplicate && !relink))
        store_rollback(ctx->store);
    message_free(m);
    leave_store(ctx, ok);
    if (!ok) {
        g_ptr_array_set_size(d->recipients, 0);
        g_clear_pointer(&d->statement, statement_free);
        d->statement_id = 0;
        d->message_row = 0;
        return tempfail(d, err, "cannot record the message");
    }
    return INGEST_OK;
}

/* Ingest one raw message in memory; see ingest.h. */
enum ingest_status
ingest_message(struct ingest_ctx *ctx, const char *raw, gsize len,
               const char *envelope_sender, struct decision *d)
{
    struct raw_input in = { message_stream_for_bytes(raw, len), raw, len };
    enum ingest_status st = ingest_raw(ctx, &in, envelope_sender, d);

    g_object_unref(in.stream);
    return st;
}

/* Ingest the message in the file open as fd; see ingest.h. */
enum ingest_status
ingest_message_fd(struct ingest_ctx *ctx, int fd, const char *envelope_sender,
                  struct decision *d)
{
    struct raw_input in = { NULL, NULL, 0 };
    enum ingest_status st;
    struct stat sb;
    int own;

    /* The stream gets a descriptor of its own to own and close; the two
     * share the file offset, which GMime's file streams never rely on
     * (they seek before every read). */
    if (fstat(fd, &sb) != 0 || (own = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0) {
        memset(d, 0, sizeof *d);
        d->recipients = g_ptr_array_new_with_free_func(recipient_free);
        d->error = g_strdup_printf("cannot read the spooled message: %s", g_strerror(errno));
        return INGEST_TEMPFAIL;
    }
    in.stream = g_mime_stream_fs_new_with_bounds(own, 0, sb.st_size);
    in.len = (gsize) sb.st_size;
    st = ingest_raw(ctx, &in, envelope_sender, d);
    g_object_unref(in.stream);
    return st;
}

/* See ingest.h.  The line end is added first, so that a last line
 * ending in a lone CR ends in LF, as the same bytes come back from an
 * export (which ends every message with a line end) and an import. */
void
ingest_line_ends(GByteArray *raw)
{
    guint   w = 0;

    if (raw->len > 0 && raw->data[raw->len - 1] != '\n')
        g_byte_array_append(raw, (const guint8 *) "\n", 1);
    for (guint r = 0; r < raw->len; r++)
        if (!(raw->data[r] == '\r' && r + 1 < raw->len && raw->data[r + 1] == '\n'))
            raw->data[w++] = raw->data[r];
    g_byte_array_set_size(raw, w);
}

/* Release what a decision holds and zero it. */
void
decision_clear(struct decision *d)
{
    statement_free(d->statement);
    if (d->recipients != NULL)
        g_ptr_array_unref(d->recipients);
    g_free(d->error);
    memset(d, 0, sizeof *d);
}

/* The decision as a JSON object: kind, id and, for a statement, every
 * field that `liaisonctl show --json` prints. */
char *
decision_to_json(const struct decision *d)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "kind");
    json_builder_add_string_value(b, classify_kind_name(d->kind));
    json_builder_set_member_name(b, "duplicate");
    json_builder_add_boolean_value(b, d->duplicate);
    json_builder_set_member_name(b, "message");
    json_builder_add_int_value(b, d->message_row);
    json_builder_set_member_name(b, "add_recipients");
    json_builder_begin_array(b);
    for (guint i = 0; d->recipients != NULL && i < d->recipients->len; i++) {
        const struct recipient *r = g_ptr_array_index(d->recipients, i);

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "addr");
        json_builder_add_string_value(b, r->addr);
        json_builder_set_member_name(b, "role");
        json_builder_add_string_value(b, r->role);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    if (d->kind == KIND_STATEMENT && d->statement != NULL) {
        statement_to_json(d->statement, b);
    } else {
        json_builder_set_member_name(b, "id");
        if (d->statement_id > 0)
            json_builder_add_int_value(b, d->statement_id);
        else
            json_builder_add_null_value(b);
    }
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, TRUE);
    return json_generator_to_data(gen, NULL);
}
