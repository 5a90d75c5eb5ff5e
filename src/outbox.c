/*
 * outbox.c: the queue of mail the tool sends, and its SMTP sender
 * (libetpan).
 *
 * Why it is built this way:
 *
 * - Queuing is one INSERT inside the caller's transaction (with the
 *   outgoing message and an event), so a mail exists exactly when the
 *   change that caused it does.
 *
 * - One SMTP transaction per recipient, each with its own VERP envelope
 *   sender (compose_verp_sender: LOCAL+b.ROW.HASH@DOMAIN), so a bounce
 *   names the row and the address without parsing DSNs.  Transactions for
 *   several recipients and rows share one connection (RSET in between).
 *   A relay may close that connection while it sits idle between two
 *   transactions (its idle timeout, silently or with a 421); the next
 *   MAIL then finds it closed, and a new connection is made at once for
 *   that transaction, once, before it counts as a failure.
 *
 * - Exactly once, but for one window.  A row is first claimed (its
 *   next_try moved ahead by a lease, so a second sender running at the
 *   same time skips it), and the lease is renewed before each further
 *   recipient and before the row's outcome is written, only while the row
 *   still carries it; the outcome's UPDATE requires it too.  For each
 *   recipient, the moment the relay answers
 *   250 to the end of DATA the recipient is appended to the row's
 *   `delivered` column in its own commit, before anything else happens
 *   (no RSET, no QUIT, no next recipient).  A sender that dies before the
 *   final dot has sent nothing the relay keeps (SMTP discards an
 *   unfinished transaction), and the row is tried again when its lease
 *   runs out.  A sender that dies after the final dot and before the
 *   commit leaves the recipient undelivered in the database although the
 *   relay may have the mail: that recipient gets one more copy later, with
 *   the same bytes and so the same Message-ID, which mail clients fold.
 *   That window is the relay's time to answer the dot (its filters run
 *   then; it is waited for END_OF_DATA_TIMEOUT_S, as RFC 5321 asks, not
 *   given up on) and a few microseconds of SQLite work; SMTP offers
 *   nothing to close it.  A
 *   database locked at that moment is waited out for up to
 *   DELIVERED_WAIT_S, not busy_timeout_ms: giving up would widen the
 *   window to the whole lock.
 *   LIAISON_TEST_CRASH_AFTER_DATA=1 in the environment makes the sender
 *   _exit(9) right inside it: a test hook, nothing else reads it.
 *
 * - Failures.  Connection trouble, timeouts and 4xx answers are
 *   temporary: the row is tried again after 1, 5, 15, 60, then every 240
 *   minutes, and given up after five days (from the last liaisonctl
 *   requeue, if any).  A 5xx to RCPT or DATA
 *   refuses that recipient for good (recorded in `rejected` at once); a
 *   5xx to MAIL refuses our sender, not the recipient, and defers.  A
 *   row whose recipients are all settled is marked sent when at least one
 *   got it, failed when none did.  Recipients refused are recorded as an
 *   event and reported to the statement's liaison manager (else its
 *   assignee), each with the relay's answer to it, by the attempt that
 *   refused them, in the transaction that settles or defers the row (or
 *   one of its own when a stop or a lost lease ends the attempt).  A
 *   report that fails is logged, never reported.
 *
 * - Stale reminders.  A reminder waits in the queue like any mail, and
 *   a relay down for days would deliver it after its statement was
 *   closed, answered or given a new deadline.  Before its first
 *   recipient the sender asks the tickler's rules (tickle_reminder_stale)
 *   and drops one that is stale: given up, its last error saying why
 *   (OUTBOX_STALE), an event "mail dropped" on its statement, nothing
 *   sent and nothing reported.  Other kinds always go.
 *
 * - TLS.  libetpan's STARTTLS verifies nothing, so right after the
 *   handshake, before the second EHLO, AUTH or MAIL, the relay's
 *   certificate chain goes to tlscheck_verify (GnuTLS: trusted CA,
 *   validity, the name relay_tls_name or else relay_host).  A certificate
 *   that does not verify fails the connection like a connect error:
 *   temporary, every row deferred with "relay certificate: ...", nothing
 *   sent.  relay_tls_verify = no accepts it with a warning per connection.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libetpan/libetpan.h>

#include "command.h"
#include "config_file.h"
#include "log.h"
#include "outbox.h"
#include "tickle.h"
#include "tlscheck.h"

/* How long a claimed row stays out of other senders' way; renewed before
 * each recipient after the first.  It must outlast the slowest first
 * recipient: opening the connection (60 s for each of the relay's
 * addresses, then EHLO, STARTTLS, EHLO, AUTH) and one transaction (MAIL,
 * RCPT, DATA, the message, 60 s per step), the answer to the final dot
 * (END_OF_DATA_TIMEOUT_S) and the wait to record it (DELIVERED_WAIT_S):
 * about 23 minutes for a relay with two addresses.  A sender that dies
 * leaves its rows this long. */
#define CLAIM_LEASE_S (30 * 60)
/* How long the answer to the end of DATA is waited for: RFC 5321
 * (4.5.3.2.6) asks for 10 minutes.  By then the relay has the message and
 * may be running its filters on it; giving up sooner, as after the 60 s of
 * every other step, sent it a second time on the retry. */
#define END_OF_DATA_TIMEOUT_S 600
/* How long a recipient the relay accepted is tried to be recorded past a
 * locked database (record_delivered): well inside the lease. */
#define DELIVERED_WAIT_S 120
/* How much longer once the daemon is stopping (record_delivered). */
#define DELIVERED_STOP_WAIT_S 25
/* Give up on temporary failures this long after queuing, or after the
 * last liaisonctl requeue. */
#define GIVE_UP_S (5 * 24 * 3600)

/* What happened to one recipient in one attempt. */
enum rcpt_outcome { RCPT_DELIVERED, RCPT_TEMPORARY, RCPT_REJECTED };

/* One SMTP connection to the relay, opened on first need. */
struct conn {
    const struct relay *relay;
    const char *secret;         /* the database's, keys the VERP senders */
    mailsmtp *smtp;
    gboolean down;              /* connecting failed this run: defer the rest */
    char   *down_why;
};

/* Fill a relay with the defaults. */
static void
outbox_relay_default(struct relay *r)
{
    memset(r, 0, sizeof *r);
    r->host = "127.0.0.1";
    r->port = 25;
    r->starttls = FALSE;
    r->tls_verify = TRUE;
    r->timeout_s = 60;
}

/* Fill a relay from the configuration's relay_* keys. */
void
outbox_relay_from_config(struct relay *r, const struct config *cfg)
{
    outbox_relay_default(r);
    if (cfg->relay_host != NULL && *cfg->relay_host != '\0')
        r->host = cfg->relay_host;
    if (cfg->relay_port > 0)
        r->port = cfg->relay_port;
    r->starttls = cfg->relay_starttls;
    r->tls_verify = cfg->relay_tls_verify;
    r->ca_file = cfg->relay_ca_file;
    r->tls_name = cfg->relay_tls_name;
    r->user = cfg->relay_user;
    r->password = cfg->relay_password;
}

/* "YYYY-MM-DDTHH:MM:SSZ" for t, in UTC. */
static char *
iso_utc(GDateTime *t)
{
    g_autoptr(GDateTime) u = g_date_time_to_utc(t);

    return g_date_time_format(u, "%Y-%m-%dT%H:%M:%SZ");
}

/* See outbox.h. */
GPtrArray *
outbox_lines(const char *text)
{
    GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) parts = g_strsplit(text != NULL ? text : "", "\n", -1);

    for (int i = 0; parts[i] != NULL; i++)
        if (*parts[i] != '\0')
            g_ptr_array_add(a, g_strdup(parts[i]));
    return a;
}

/* Whether s is one of the lines of a. */
gboolean
outbox_has_line(const GPtrArray *a, const char *s)
{
    for (guint i = 0; i < a->len; i++)
        if (strcmp(g_ptr_array_index(a, i), s) == 0)
            return TRUE;
    return FALSE;
}

/* See outbox.h. */
gboolean
outbox_kind_unreported(const char *kind)
{
    return g_strcmp0(kind, "report") == 0 || g_strcmp0(kind, OUTBOX_KIND_ANSWER) == 0;
}

/* Queue m for statement_id inside the caller's transaction. */
gint64
outbox_queue(struct store *st, gint64 statement_id, const struct outmail *m,
             GError **err)
{
    GString *rcpts = g_string_new(NULL);
    g_autofree char *what = g_strdup_printf("queued %s", m->kind);
    gint64 row, msg;
    gsize len;
    const char *raw = g_bytes_get_data(m->raw, &len);

    for (guint i = 0; i < m->rcpts->len; i++)
        g_string_append_printf(rcpts, "%s%s", i > 0 ? "\n" : "",
                               (const char *) g_ptr_array_index(m->rcpts, i));
    row = store_outbox_add(st, statement_id, m->message_id, m->mail_from,
                           rcpts->str, m->kind, raw, len, err);
    if (row > 0) {
        g_autofree char *detail = NULL;

        g_strdelimit(rcpts->str, "\n", ' ');
        detail = g_strdup_printf("outbox %" G_GINT64_FORMAT " %s to %s", row,
                                 m->message_id, rcpts->str);
        msg = store_add_message(st, statement_id, "out", m->kind, m->message_id,
                                NULL, raw, len, err);
        if (msg == 0 || !store_add_event(st, statement_id, msg, what, "outbox",
                                         detail, err))
            row = 0;
    }
    g_string_free(rcpts, TRUE);
    return row;
}

/* The relay's last answer as one printable line, with its code. */
static char *
smtp_answer(mailsmtp *smtp, const char *step, int r)
{
    GString *s = g_string_new(NULL);

    g_string_append_printf(s, "%s: ", step);
    if (smtp->response_code > 0 && smtp->response != NULL) {
        g_string_append_printf(s, "%d %s", smtp->response_code, smtp->response);
    } else {
        g_string_append(s, mailsmtp_strerror(r));
    }
    for (gsize i = 0; i < s->len; i++)
        if ((unsigned char) s->str[i] < 0x20 || s->str[i] == 0x7f)
            s->str[i] = ' ';
    g_strchomp(s->str);
    /* A relay may answer in any bytes: kept as valid UTF-8 (the event,
     * the report and liaisonctl queue --json carry it), cut at a character. */
    {
        g_autofree char *raw = g_string_free(s, FALSE);
        char   *valid = g_utf8_make_valid(raw, -1);

        if (g_utf8_strlen(valid, -1) > 400)
            *g_utf8_offset_to_pointer(valid, 400) = '\0';
        return valid;
    }
}

/* Whether the other end of the connected socket fd is this host. */
static gboolean
peer_is_loopback(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;

    return getpeername(fd, (struct sockaddr *) &ss, &len) == 0
        && config_sockaddr_is_loopback((struct sockaddr *) &ss);
}

/* A TCP connection to host:port within timeout_s seconds; -1 with *why. */
static int
tcp_connect(const char *host, int port, int timeout_s, char **why)
{
    struct addrinfo hints = { 0 }, *res = NULL;
    char service[16];
    int fd = -1, rc, e = 0;

    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    g_snprintf(service, sizeof service, "%d", port);
    rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0) {
        *why = g_strdup_printf("connect %s:%d: %s", host, port, gai_strerror(rc));
        return -1;
    }
    for (struct addrinfo *a = res; a != NULL; a = a->ai_next) {
        struct pollfd p;
        socklen_t elen = sizeof e;

        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                    a->ai_protocol);
        if (fd < 0) {
            e = errno;
            continue;
        }
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
            e = 0;
        else if (errno != EINPROGRESS)
            e = errno;
        else {
            p.fd = fd;
            p.events = POLLOUT;
            rc = poll(&p, 1, timeout_s * 1000);
            if (rc == 0)
                e = ETIMEDOUT;
            else if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0)
                e = errno;
        }
        if (e == 0) {
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
            break;
        }
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        *why = g_strdup_printf("connect %s:%d: %s", host, port, g_strerror(e));
    return fd;
}

/* Close the connection (QUIT when it is usable). */
static void
conn_close(struct conn *c)
{
    if (c->smtp != NULL) {
        mailsmtp_free(c->smtp);     /* sends QUIT when the stream is open */
        c->smtp = NULL;
    }
}

/* libetpan's STARTTLS callback, before the handshake: name the relay in
 * SNI (data: the name the certificate must carry; an address literal is
 * not sent, RFC 6066 allows only DNS names). */
static void
starttls_sni(struct mailstream_ssl_context *ctx, void *data)
{
    char *name = data;

    if (name != NULL && *name != '\0' && !tlscheck_is_address(name))
        mailstream_ssl_set_server_name(ctx, name);
}

/* Check the certificate the relay showed in STARTTLS against name, before
 * anything else is sent inside the session.  FALSE with *why when it does
 * not verify and relay_tls_verify is on; with it off, a warning instead
 * (once per connection: this runs once per connection). */
static gboolean
conn_check_peer(struct conn *c, const char *name, char **why)
{
    const struct relay *rl = c->relay;
    /* NULL when the relay sent no certificate: the chain stays empty and
     * tlscheck_verify fails it ("the relay sent none").  (libetpan's
     * GnuTLS path has been seen to return an unset value there in its
     * source; with its "NORMAL" priorities a finished handshake always
     * carries a certificate, so that path is not reached.) */
    carray *der = mailstream_get_certificate_chain(c->smtp->stream);
    g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
    g_autofree char *problem = NULL;
    gboolean ok;

    for (unsigned i = 0; der != NULL && i < carray_count(der); i++) {
        const MMAPString *cert = carray_get(der, i);

        g_ptr_array_add(chain, g_bytes_new(cert->str, cert->len));
    }
    mailstream_certificate_chain_free(der);
    ok = tlscheck_verify(chain, rl->ca_file, name, &problem);
    if (!rl->tls_verify) {
        log_msg(LOG_WARNING, NULL, "relay %s:%d: certificate not verified"
                " (relay_tls_verify = no); it would have %s%s", rl->host,
                rl->port, ok ? "passed" : "failed: ", ok ? "" : problem);
        return TRUE;
    }
    if (!ok)
        *why = g_strdup_printf("relay certificate: %s", problem);
    return ok;
}

/* Connect, greet (EHLO, HELO when EHLO is refused), STARTTLS and AUTH as
 * configured.  FALSE with c->down set: every failure here is temporary. */
static gboolean
conn_open(struct conn *c)
{
    const struct relay *rl = c->relay;
    const gboolean auth = rl->user != NULL && *rl->user != '\0';
    const char *tls_name = rl->tls_name != NULL && *rl->tls_name != '\0'
                         ? rl->tls_name : rl->host;
    mailstream *stream;
    char *why = NULL;
    int fd, r;

    if (c->smtp != NULL)
        return TRUE;
    if (c->down)
        return FALSE;
    fd = tcp_connect(rl->host, rl->port, rl->timeout_s, &why);
    if (fd < 0)
        goto down;
    c->smtp = mailsmtp_new(0, NULL);
    mailsmtp_set_timeout(c->smtp, rl->timeout_s);
    stream = mailstream_socket_open_timeout(fd, rl->timeout_s);
    if (stream == NULL) {
        close(fd);
        why = g_strdup("out of memory opening a stream");
        goto down;
    }
    r = mailsmtp_connect(c->smtp, stream);      /* reads the greeting */
    if (r != MAILSMTP_NO_ERROR) {
        why = smtp_answer(c->smtp, "greeting", r);
        goto down;
    }
    r = mailesmtp_ehlo(c->smtp);
    if (r != MAILSMTP_NO_ERROR && r != MAILSMTP_ERROR_STREAM)
        r = mailsmtp_helo(c->smtp);
    if (r != MAILSMTP_NO_ERROR) {
        why = smtp_answer(c->smtp, "EHLO", r);
        goto down;
    }
    if (rl->starttls) {
        /* libetpan refuses by itself when EHLO did not list STARTTLS; the
         * last answer it holds is then the EHLO's, which would mislead. */
        if (!(c->smtp->esmtp & MAILSMTP_ESMTP_STARTTLS)) {
            why = g_strdup("STARTTLS: the relay does not offer it (relay_starttls = yes)");
            goto down;
        }
        r = mailsmtp_socket_starttls_with_callback(c->smtp, starttls_sni,
                                                   (void *) tls_name);
        if (r != MAILSMTP_NO_ERROR) {
            /* The relay said 220 and the handshake after it failed: its
             * answer, the last libetpan holds, would read as success
             * (and libetpan has no text for MAILSMTP_ERROR_SSL). */
            why = c->smtp->response_code == 220
                ? g_strdup("STARTTLS: the TLS handshake with the relay failed")
                : smtp_answer(c->smtp, "STARTTLS", r);
            goto down;
        }
        /* libetpan checks nothing about the peer: verified here, before
         * the second EHLO, AUTH or MAIL go to whoever answered. */
        if (!conn_check_peer(c, tls_name, &why))
            goto down;
        r = mailesmtp_ehlo(c->smtp);
        if (r != MAILSMTP_NO_ERROR) {
            why = smtp_answer(c->smtp, "EHLO after STARTTLS", r);
            goto down;
        }
    }
    /* The configuration refuses AUTH without TLS to a relay named as
     * remote; this also covers flush --relay and a name that resolves
     * elsewhere: PLAIN and LOGIN send the password in clear. */
    if (auth && !rl->starttls && !peer_is_loopback(fd)) {
        why = g_strdup("AUTH: not sending the password in clear to a relay on"
                       " another host (set relay_starttls = yes)");
        goto down;
    }
    if (auth) {
        const char *mech = (c->smtp->auth & MAILSMTP_AUTH_PLAIN) ? "PLAIN"
                         : (c->smtp->auth & MAILSMTP_AUTH_LOGIN) ? "LOGIN" : "PLAIN";

        r = mailesmtp_auth_sasl(c->smtp, mech, rl->host, NULL, NULL, rl->user,
                                rl->user, rl->password != NULL ? rl->password : "",
                                NULL);
        if (r != MAILSMTP_NO_ERROR && r != MAILSMTP_ERROR_STREAM
            && c->smtp->response_code < 400) {
            /* Refused before the relay answered: no mechanism in common
             * (Cyrus SASL finds PLAIN and LOGIN in libsasl2-modules).  A
             * session the relay closed (code 0 too) is not that. */
            why = g_strdup_printf("AUTH: %s (offered by the relay:%s%s; are the"
                                  " SASL plugins, libsasl2-modules, installed?)",
                                  mailsmtp_strerror(r),
                                  (c->smtp->auth & MAILSMTP_AUTH_PLAIN) ? " PLAIN" : "",
                                  (c->smtp->auth & MAILSMTP_AUTH_LOGIN) ? " LOGIN" : "");
            goto down;
        }
        if (r != MAILSMTP_NO_ERROR) {
            why = smtp_answer(c->smtp, "AUTH", r);
            goto down;
        }
    }
    return TRUE;
down:
    conn_close(c);
    c->down = TRUE;
    c->down_why = why;
    log_msg(LOG_WARNING, NULL, "relay %s:%d unusable: %s", rl->host, rl->port, why);
    return FALSE;
}

/* The outcome of an SMTP step that did not succeed: 5xx is for good,
 * anything else (4xx, a broken stream, a timeout) is temporary. */
static enum rcpt_outcome
failure_kind(mailsmtp *smtp, int r)
{
    if (r != MAILSMTP_ERROR_STREAM && smtp->response_code >= 500
        && smtp->response_code < 600)
        return RCPT_REJECTED;
    return RCPT_TEMPORARY;
}

/* Whether the first command of a transaction, answered r, found the
 * connection closed by the relay: the stream broke (an EOF; libetpan says
 * the same of a reset and of a timeout) or the relay answered 421, which
 * closes the session (RFC 5321 3.8). */
static gboolean
conn_found_closed(const struct conn *c, int r)
{
    return r == MAILSMTP_ERROR_STREAM || c->smtp->response_code == 0
        || c->smtp->response_code == 421;
}

/* The bytes rcpt gets of a notification or reminder: its Reply-To made
 * rcpt's own reply address, which commands by mail need (command.c);
 * NULL for the other kinds, which go out as queued. */
static GBytes *
personal_copy(const struct compose_settings *cs, const char *secret,
              const struct store_outbox_row *row, const char *rcpt)
{
    if (row->statement <= 0 || row->kind == NULL
        || (strcmp(row->kind, "notification") != 0 && strcmp(row->kind, "reminder") != 0))
        return NULL;
    return command_personal_copy(cs, secret, row->statement, rcpt, row->raw);
}

/* One SMTP transaction: the row's bytes to one recipient, with its VERP
 * sender.  On RCPT_DELIVERED the caller must record it before anything
 * else.  *why gets the relay's answer on failure. */
static enum rcpt_outcome
send_one(struct conn *c, const struct compose_settings *cs,
         const struct store_outbox_row *row, const char *rcpt, char **why)
{
    g_autofree char *verp = compose_verp_sender(cs, c->secret, row->id, rcpt);
    g_autoptr(GBytes) personal = personal_copy(cs, c->secret, row, rcpt);
    gsize len;
    const char *raw = g_bytes_get_data(personal != NULL ? personal : row->raw, &len);
    const char *step;
    enum rcpt_outcome o;
    gboolean at_sender = FALSE;
    /* The connection served an earlier transaction and has sat idle
     * since: the relay may have closed it meanwhile. */
    gboolean reused = c->smtp != NULL;
    int r;

again:
    if (!conn_open(c)) {
        *why = g_strdup(c->down_why);
        return RCPT_TEMPORARY;
    }
    step = "MAIL FROM";
    r = (c->smtp->esmtp & MAILSMTP_ESMTP) ? mailesmtp_mail(c->smtp, verp, FALSE, NULL)
                                          : mailsmtp_mail(c->smtp, verp);
    if (r != MAILSMTP_NO_ERROR && reused && conn_found_closed(c, r)) {
        /* The relay closed the connection while it sat idle (Postfix
         * says 421 and closes after smtpd_timeout; others close
         * silently), say while the last recipient was recorded behind
         * a locked database.  Nothing of this transaction was sent, so
         * a new connection is made at once, once, where this counted
         * as a failed attempt and deferred the row.  A failure on the
         * new one is a real failure. */
        g_autofree char *seen = smtp_answer(c->smtp, "MAIL FROM", r);

        log_msg(LOG_INFO, row->message_id, "relay %s:%d closed the connection kept"
                " from the last transaction (%s); connecting again", c->relay->host,
                c->relay->port, seen);
        conn_close(c);
        reused = FALSE;
        goto again;
    }
    if (r != MAILSMTP_NO_ERROR) {
        at_sender = TRUE;
        goto failed;
    }
    step = "RCPT TO";
    r = (c->smtp->esmtp & MAILSMTP_ESMTP) ? mailesmtp_rcpt(c->smtp, rcpt, 0, NULL)
                                          : mailsmtp_rcpt(c->smtp, rcpt);
    if (r != MAILSMTP_NO_ERROR)
        goto failed;
    step = "DATA";
    r = mailsmtp_data(c->smtp);
    if (r != MAILSMTP_NO_ERROR)
        goto failed;
    step = "end of DATA";
    mailstream_low_set_timeout(mailstream_get_low(c->smtp->stream), END_OF_DATA_TIMEOUT_S);
    r = mailsmtp_data_message(c->smtp, raw, len);
    if (c->smtp->stream != NULL)
        mailstream_low_set_timeout(mailstream_get_low(c->smtp->stream), c->relay->timeout_s);
    if (r != MAILSMTP_NO_ERROR)
        goto failed;
    return RCPT_DELIVERED;
failed:
    /* A 5xx to MAIL FROM refuses our sender, not this recipient: the
     * relay's settings (authentication, sender policy) are wrong, and
     * every recipient would fail for good at once.  Deferred instead, so
     * that mending the relay is enough; the give-up still ends it. */
    o = at_sender ? RCPT_TEMPORARY : failure_kind(c->smtp, r);
    *why = smtp_answer(c->smtp, step, r);
    /* After a broken stream the session state is unknown: start the next
     * transaction on a new connection.  Otherwise RSET, and a new
     * connection unless the relay says 250 to it: libetpan's RSET counts
     * every answer as success, a 421 that closes the session too (Postfix
     * past smtpd_hard_error_limit), which sent the next recipient into a
     * closed session, deferred for nothing. */
    if (r == MAILSMTP_ERROR_STREAM || c->smtp->response_code == 0
        || mailsmtp_reset(c->smtp) != MAILSMTP_NO_ERROR
        || c->smtp->response_code != 250)
        conn_close(c);
    return o;
}

/* Minutes to wait after the n-th failed attempt (n from 1). */
static int
backoff_minutes(int n)
{
    static const int steps[] = { 1, 5, 15, 60, 240 };

    if (n < 1)
        n = 1;
    return n <= (int) G_N_ELEMENTS(steps) ? steps[n - 1] : 240;
}

/* Whether addr is one of the refused recipients (lower-cased when
 * queued; the statement's addresses may not be). */
static gboolean
refused(const GPtrArray *rejected, const char *addr)
{
    for (guint i = 0; i < rejected->len; i++)
        if (g_ascii_strcasecmp(g_ptr_array_index(rejected, i), addr) == 0)
            return TRUE;
    return FALSE;
}

/* Whom to tell about a statement's mail that failed: its liaison
 * manager, else its assignee, but never an address the relay has just
 * refused (rejected): a report to it would be refused too, and a failed
 * report is never reported, so nobody would hear of either.  NULL when
 * there is no one. */
static char *
report_address(const struct statement *s, const GPtrArray *rejected)
{
    for (guint i = 0; i < s->recipients->len; i++) {
        const struct recipient *r = g_ptr_array_index(s->recipients, i);

        if (r->role != NULL && strcmp(r->role, "liaison-manager") == 0
            && r->addr != NULL && !refused(rejected, r->addr))
            return g_strdup(r->addr);
    }
    return s->assignee != NULL && !refused(rejected, s->assignee)
        ? g_strdup(s->assignee) : NULL;
}

/* The recipients refused in this attempt, each with the relay's answer
 * to it (reasons: parallel to refused), one "addr: why" a line, each line
 * starting with indent. */
static char *
refused_text(const GPtrArray *refused, const GPtrArray *reasons, const char *indent,
             const char *sep)
{
    GString *t = g_string_new(NULL);

    for (guint i = 0; i < refused->len; i++)
        g_string_append_printf(t, "%s%s%s: %s", i > 0 ? sep : "", indent,
                               (const char *) g_ptr_array_index(refused, i),
                               (const char *) g_ptr_array_index(reasons, i));
    return g_string_free(t, FALSE);
}

/* The report about the recipients refused in this attempt (refused, with
 * their reasons), to the statement's liaison manager or assignee unless
 * the relay refused that address too (rejected: all the row's refused);
 * outcome says what became of the others.  NULL when there is none to
 * write (no statement, a report's or an answer's own refusal, nobody to
 * tell): logged. */
static struct outmail *
refusal_report(struct store *st, const struct compose_settings *cs,
               const struct store_outbox_row *row, const GPtrArray *refused,
               const GPtrArray *reasons, const GPtrArray *rejected, const char *outcome)
{
    g_autofree char *list = refused_text(refused, reasons, "", " ");
    struct outmail *report = NULL;
    struct statement *s;
    GError *e = NULL;

    if (refused->len == 0)
        return NULL;
    if (row->statement <= 0 || outbox_kind_unreported(row->kind)) {
        log_msg(LOG_WARNING, row->message_id, "outbox %" G_GINT64_FORMAT
                ": %s refused by the relay; not reported (%s)", row->id, list,
                !outbox_kind_unreported(row->kind) ? "no statement"
                : strcmp(row->kind, "report") == 0 ? "a report" : "an answer");
        return NULL;
    }
    if ((s = store_get_statement_meta(st, row->statement, &e)) == NULL) {
        log_msg(LOG_WARNING, row->message_id, "outbox %" G_GINT64_FORMAT
                ": cannot read statement %" G_GINT64_FORMAT " to report: %s",
                row->id, row->statement, e->message);
        g_error_free(e);
        return NULL;
    }
    {
        g_autofree char *to = report_address(s, rejected);
        g_autofree char *lines = refused_text(refused, reasons, "  ", "\n\n");
        g_autofree char *text = g_strdup_printf(
            "The %s %s about this statement could not be delivered to\n"
            "(each address with the relay's answer to it):\n\n%s\n\n%s",
            row->kind, row->message_id != NULL ? row->message_id : "", lines, outcome);

        report = to != NULL ? compose_report(cs, s, to, "Undeliverable mail", text) : NULL;
    }
    if (report == NULL)
        log_msg(LOG_WARNING, row->message_id, "outbox %" G_GINT64_FORMAT
                ": no one to report the refused recipients to", row->id);
    statement_free(s);
    return report;
}

/* Inside the caller's transaction: the event for the recipients refused
 * in this attempt ("mail failed" when nobody got the row, else "mail
 * partly refused") and their report, if any.  Nothing when none was. */
static gboolean
record_refused(struct store *st, const struct store_outbox_row *row, const GPtrArray *refused,
               const GPtrArray *reasons, gboolean failed, const struct outmail *report,
               GError **err)
{
    g_autofree char *list = NULL, *detail = NULL;

    if (refused->len == 0)
        return TRUE;
    list = refused_text(refused, reasons, "", "; ");
    detail = g_strdup_printf("outbox %" G_GINT64_FORMAT " %s: refused %s", row->id,
                             row->message_id != NULL ? row->message_id : "", list);
    return store_add_event(st, row->statement, 0, failed ? "mail failed" : "mail partly refused",
                           "outbox", detail, err)
           && (report == NULL || outbox_queue(st, row->statement, report, err) != 0);
}

/* Inside the caller's transaction: record and report the recipients
 * refused in this attempt (record_refused), commit, and empty refused and
 * reasons, reported now.  FALSE with *err, the transaction for the caller
 * to roll back. */
static gboolean
commit_refused(struct store *st, const struct store_outbox_row *row, GPtrArray *refused,
               GPtrArray *reasons, gboolean failed, const struct outmail *report, GError **err)
{
    if (!record_refused(st, row, refused, reasons, failed, report, err)
        || !store_commit(st, err))
        return FALSE;
    g_ptr_array_set_size(refused, 0);
    g_ptr_array_set_size(reasons, 0);
    return TRUE;
}

/* Settle a row whose recipients are all delivered or refused: sent or
 * failed, with an event for the recipients refused in this attempt
 * (refused, reasons) and a report, all in one transaction; those refused
 * in an earlier attempt were reported by it.  refused and reasons are
 * emptied once that is committed.  FALSE with *err on a store failure. */
static gboolean
settle_row(struct store *st, const struct compose_settings *cs,
           const struct store_outbox_row *row, const char *now,
           const GPtrArray *delivered, const GPtrArray *rejected,
           GPtrArray *refused, GPtrArray *reasons,
           const char *why, const char *held, gboolean *lost, GError **err)
{
    gboolean kept = TRUE;
    gboolean failed = delivered->len == 0;
    struct outmail *report = refusal_report(st, cs, row, refused, reasons, rejected,
                                            failed ? "Nobody received it.\n"
                                                   : "The other recipients received it.\n");
    gboolean ok = FALSE;

    if (!store_begin(st, err))
        goto out;
    /* A row sent with recipients refused keeps why as its last error:
     * requeue --all tells the five days' give-ups by it. */
    if (failed ? !store_outbox_fail(st, row->id, now, why, held, &kept, err)
               : !store_outbox_mark_sent(st, row->id, now, rejected->len > 0 ? why : NULL,
                                         held, &kept, err))
        goto rollback;
    if (!kept) {
        /* The lease ran out and another sender has the row: it settles
         * it (the recipients recorded here stay recorded). */
        store_rollback(st);
        *lost = TRUE;
        ok = TRUE;
        goto out;
    }
    if (!commit_refused(st, row, refused, reasons, failed, report, err))
        goto rollback;
    ok = TRUE;
    goto out;
rollback:
    store_rollback(st);
out:
    outmail_free(report);
    return ok;
}

/* Defer a row some of whose recipients failed for now, until next_try,
 * with why as its last error; the recipients refused for good in this
 * attempt (refused, reasons) are recorded and reported in the same
 * transaction, with the relay's answer to each: by the time the row is
 * settled, its last error is some later attempt's, about someone else
 * (a greylisting's 450 quoted as the reason a contact was refused).
 * refused and reasons are emptied once that is committed.  *kept FALSE
 * when the lease ran out and another sender has the row.  FALSE with
 * *err on a store failure. */
static gboolean
defer_row(struct store *st, const struct compose_settings *cs,
          const struct store_outbox_row *row, const char *next_try, const char *why,
          const GPtrArray *rejected, GPtrArray *refused, GPtrArray *reasons,
          const char *held, gboolean *kept, GError **err)
{
    struct outmail *report = refusal_report(st, cs, row, refused, reasons, rejected,
                                            "It is tried again for the recipients the relay "
                                            "could not take yet.\n");
    gboolean ok = FALSE;

    if (!store_begin(st, err))
        goto out;
    if (!store_outbox_defer(st, row->id, next_try, why, held, kept, err))
        goto rollback;
    if (!*kept) {
        store_rollback(st);
        ok = TRUE;
        goto out;
    }
    if (!commit_refused(st, row, refused, reasons, FALSE, report, err))
        goto rollback;
    ok = TRUE;
    goto out;
rollback:
    store_rollback(st);
out:
    outmail_free(report);
    return ok;
}

/* A flush's clock: the time it was asked to run at (perhaps simulated)
 * and the monotonic time it began, so leases follow the real time spent. */
struct flush_clock {
    GDateTime *t;
    gint64  started;
};

/* The flush's time now: its start plus the real time spent since. */
static GDateTime *
clock_now(const struct flush_clock *k)
{
    return g_date_time_add_seconds(
        k->t, (gdouble)(g_get_monotonic_time() - k->started) / G_TIME_SPAN_SECOND);
}

/* A claim's lease that begins at now, as stored. */
static char *
lease_from(GDateTime *now)
{
    g_autoptr(GDateTime) lease = g_date_time_add_seconds(now, CLAIM_LEASE_S);

    return iso_utc(lease);
}

/* Say that row's lease ran out and another sender has it, and what is
 * left to that sender (left: "... is" or "... are"). */
static void
lease_lost(const struct store_outbox_row *row, const char *left)
{
    log_msg(LOG_WARNING, row->message_id, "outbox %" G_GINT64_FORMAT
            ": its claim ran out and another sender has the row; %s left to "
            "that sender", row->id, left);
}

/* Renew this sender's lease on row (held: the lease it has, replaced by
 * the new one): FALSE with *err on a store failure; *kept FALSE, and a
 * warning naming what is left undone, when the lease ran out and another
 * sender has the row. */
static gboolean
lease_renew(struct store *st, const struct flush_clock *clk,
            const struct store_outbox_row *row, char **held, const char *left,
            gboolean *kept, GError **err)
{
    g_autoptr(GDateTime) rt = clock_now(clk);
    char   *lease = lease_from(rt);

    if (!store_outbox_renew(st, row->id, *held, lease, kept, err)) {
        g_free(lease);
        return FALSE;
    }
    if (!*kept) {
        lease_lost(row, left);
        g_free(lease);
        return TRUE;
    }
    g_free(*held);
    *held = lease;
    return TRUE;
}

/* Let go of row before its end, a stop being asked for (held: this
 * sender's lease): its next_try becomes now, so that the next sender (the
 * restarted daemon, a flush from cron) takes it up at once instead of
 * after the lease, with its attempts and backoff as they were.  FALSE
 * with *err on a store failure. */
static gboolean
lease_release(struct store *st, const struct flush_clock *clk,
              const struct store_outbox_row *row, const char *held, GError **err)
{
    g_autoptr(GDateTime) rt = clock_now(clk);
    g_autofree char *now = iso_utc(rt);
    gboolean kept = FALSE;

    if (!store_outbox_renew(st, row->id, held, now, &kept, err))
        return FALSE;
    if (!kept)
        lease_lost(row, "the recipients not yet tried are");
    else
        log_msg(LOG_NOTICE, row->message_id, "outbox %" G_GINT64_FORMAT ": stopping;"
                " the recipients not yet tried are left to the next run", row->id);
    return TRUE;
}

/* Record rcpt of row as delivered.  The relay has the mail already, and
 * giving up here sends rcpt a second copy once the lease runs out, so a
 * database locked past its busy timeout (liaisond writing a large
 * message, an admin's long transaction) is waited out for up to
 * DELIVERED_WAIT_S instead; once a stop is asked for (stop: the relay's),
 * for DELIVERED_STOP_WAIT_S more at most, inside a service manager's stop
 * timeout, whose SIGKILL would be no better and leave more behind. */
static gboolean
record_delivered(struct store *st, const struct store_outbox_row *row, const char *rcpt,
                 const gint *stop, GError **err)
{
    gint64 deadline = g_get_monotonic_time() + (gint64) DELIVERED_WAIT_S * G_USEC_PER_SEC;
    gboolean said = FALSE, stopping = FALSE;

    while (!store_outbox_delivered(st, row->id, rcpt, err)) {
        gint64 now = g_get_monotonic_time();

        if (!stopping && stop != NULL && g_atomic_int_get(stop)) {
            stopping = TRUE;
            deadline = MIN(deadline, now + (gint64) DELIVERED_STOP_WAIT_S * G_USEC_PER_SEC);
        }
        if (!g_error_matches(*err, STORE_ERROR, STORE_ERROR_BUSY))
            return FALSE;
        if (now >= deadline) {
            if (stopping)
                g_prefix_error(err, "stopping, no longer waiting: ");
            return FALSE;
        }
        if (!said)
            log_msg(LOG_WARNING, row->message_id, "outbox %" G_GINT64_FORMAT
                    ": %s accepted by the relay; the database is busy, waiting up "
                    "to %d s to record it: %s", row->id, rcpt, DELIVERED_WAIT_S,
                    (*err)->message);
        said = TRUE;
        g_clear_error(err);
        g_usleep(100 * 1000);   /* not a tight loop when busy_timeout_ms is 0 */
    }
    if (said)
        log_msg(LOG_NOTICE, row->message_id, "outbox %" G_GINT64_FORMAT
                ": %s recorded as delivered after the wait", row->id, rcpt);
    return TRUE;
}

/* Whether row must not go out (TRUE with *dropped TRUE: recorded as
 * given up, with the reason, and an event on its statement): a reminder
 * whose statement has been closed, answered or given a new deadline since
 * the tickler queued it (tickle_reminder_stale, the tickler's own rules).
 * A relay that was down can hold a reminder for days, and it would tell
 * a chair that a statement closed meanwhile is overdue.  Other mail
 * (notifications, acknowledgements, reports, responses) always goes.
 * Asked once, before the row's first recipient: a row takes minutes at
 * most.  FALSE with *err on a store failure. */
static gboolean
drop_stale(struct store *st, const struct store_outbox_row *row, const char *now,
           gboolean *dropped, gboolean *lost, GError **err)
{
    const char *stale = NULL;
    g_autofree char *why = NULL, *detail = NULL;
    gboolean kept = FALSE;

    *dropped = *lost = FALSE;
    if (row->statement <= 0 || g_strcmp0(row->kind, "reminder") != 0)
        return TRUE;
    if (!tickle_reminder_stale(st, row->statement, row->id, &stale, err))
        return FALSE;
    if (stale == NULL)
        return TRUE;
    /* Worded as liaisonctl requeue refuses such a reminder. */
    why = g_strdup_printf(OUTBOX_STALE "a reminder for LS %" G_GINT64_FORMAT ", %s since it"
                          " was queued", row->statement, stale);
    detail = g_strdup_printf("outbox %" G_GINT64_FORMAT " %s: %s", row->id,
                             row->message_id != NULL ? row->message_id : "", why);
    if (!store_begin(st, err))
        return FALSE;
    if (!store_outbox_fail(st, row->id, now, why, row->next_try, &kept, err))
        goto rollback;
    if (!kept) {
        /* The lease ran out and another sender has the row: it decides. */
        store_rollback(st);
        *lost = TRUE;
        return TRUE;
    }
    if (!store_add_event(st, row->statement, 0, "mail dropped", "outbox", detail, err)
        || !store_commit(st, err))
        goto rollback;
    log_msg(LOG_NOTICE, row->message_id, "outbox %" G_GINT64_FORMAT ": %s", row->id, why);
    *dropped = TRUE;
    return TRUE;
rollback:
    store_rollback(st);
    return FALSE;
}

/* One attempt at a claimed row (its lease runs until row->next_try):
 * each recipient not yet settled, recording each outcome at once; then
 * settle or defer the row.  rejected: the row's refused recipients, which
 * it adds to; refused and reasons: those refused in this attempt and the
 * relay's answer to each, emptied once settling or deferring the row has
 * reported them.  FALSE with *err only on a store failure. */
static gboolean
deliver_attempt(struct store *st, struct conn *c, const struct compose_settings *cs,
                const struct flush_clock *clk, GDateTime *now,
                const struct store_outbox_row *row, GPtrArray *rejected, GPtrArray *refused,
                GPtrArray *reasons, struct flush_summary *sum, GError **err)
{
    g_autoptr(GPtrArray) rcpts = outbox_lines(row->rcpts);
    g_autoptr(GPtrArray) delivered = outbox_lines(row->delivered);
    g_autofree char *now_iso = iso_utc(now);
    g_autofree char *last_why = NULL;
    g_autofree char *held = g_strdup(row->next_try);
    unsigned temporary = 0, tried = 0;
    const struct relay *rl = c->relay;

    {
        gboolean dropped = FALSE, lost = FALSE;

        if (!drop_stale(st, row, now_iso, &dropped, &lost, err))
            return FALSE;
        if (lost)
            lease_lost(row, "deciding on it is");
        if (dropped)
            sum->dropped++;
        if (dropped || lost)
            return TRUE;
    }
    for (guint i = 0; i < rcpts->len; i++) {
        const char *rcpt = g_ptr_array_index(rcpts, i);
        char *why = NULL;
        enum rcpt_outcome o;

        if (outbox_has_line(delivered, rcpt) || outbox_has_line(rejected, rcpt))
            continue;
        /* One recipient against a slow relay can take minutes (a timeout
         * per SMTP step), so the lease is renewed before each one after
         * the first: a row whose recipients together outlast one lease
         * would otherwise be claimed by a second sender while this one
         * still works on it, and both would send.  If the lease did run
         * out (this sender was stopped, say) and another sender has the
         * row, it is left to that sender, untouched. */
        if (tried++ > 0) {
            g_autofree char *left = g_strdup_printf(
                "%s and the recipients after it are", rcpt);
            gboolean kept = FALSE;

            /* Stopping (SIGTERM): no further recipient is begun.  Each
             * one begun might be cut by the stop's deadline after its
             * final dot (a second copy later), and the rest of the row
             * would wait out the lease after the restart. */
            if (rl->stop != NULL && g_atomic_int_get(rl->stop))
                return lease_release(st, clk, row, held, err);
            if (!lease_renew(st, clk, row, &held, left, &kept, err))
                return FALSE;
            if (!kept)
                return TRUE;
        }
        o = send_one(c, cs, row, rcpt, &why);
        if (o == RCPT_DELIVERED) {
            if (g_strcmp0(g_getenv("LIAISON_TEST_CRASH_AFTER_DATA"), "1") == 0)
                _exit(9);           /* test hook: die inside the window */
            if (!record_delivered(st, row, rcpt, rl->stop, err)) {
                log_msg(LOG_CRIT, row->message_id, "outbox %" G_GINT64_FORMAT
                        ": %s accepted by the relay but not recorded; it will "
                        "get a second copy: %s", row->id, rcpt, (*err)->message);
                return FALSE;
            }
            g_ptr_array_add(delivered, g_strdup(rcpt));
            log_msg(LOG_INFO, row->message_id, "outbox %" G_GINT64_FORMAT
                    ": to=<%s> relay=%s:%d kind=%s status=sent (%s)", row->id, rcpt,
                    rl->host, rl->port, row->kind,
                    c->smtp != NULL && c->smtp->response != NULL
                        ? g_strchomp(c->smtp->response) : "250");
        } else if (o == RCPT_REJECTED) {
            if (!store_outbox_rejected(st, row->id, rcpt, why, err)) {
                g_free(why);
                return FALSE;
            }
            g_ptr_array_add(rejected, g_strdup(rcpt));
            g_ptr_array_add(refused, g_strdup(rcpt));
            g_ptr_array_add(reasons, g_strdup(why));
            log_msg(LOG_NOTICE, row->message_id, "outbox %" G_GINT64_FORMAT
                    ": to=<%s> relay=%s:%d kind=%s status=refused (%s)", row->id,
                    rcpt, rl->host, rl->port, row->kind, why);
            g_free(last_why);
            last_why = why;
        } else {
            temporary++;
            log_msg(LOG_INFO, row->message_id, "outbox %" G_GINT64_FORMAT
                    ": to=<%s> relay=%s:%d kind=%s status=deferred (%s)", row->id,
                    rcpt, rl->host, rl->port, row->kind, why);
            g_free(last_why);
            last_why = why;
        }
    }

    /* The row's outcome is written only by the sender that still holds
     * it: checked here (the last recipient may have outlasted the lease),
     * and again by the final UPDATE itself. */
    {
        gboolean kept = FALSE;

        if (!lease_renew(st, clk, row, &held, "settling it is", &kept, err))
            return FALSE;
        if (!kept)
            return TRUE;
    }
    if (temporary > 0) {
        /* The five days count from the last requeue, if any: an admin
         * who put a mail back has mended something and gives it time. */
        g_autoptr(GDateTime) since = g_date_time_new_from_iso8601(
            row->requeued != NULL ? row->requeued : row->created, NULL);
        gboolean too_old = since != NULL
            && g_date_time_difference(now, since) / G_TIME_SPAN_SECOND > GIVE_UP_S;

        if (!too_old) {
            /* The backoff counts from now, not from the claim: a row whose
             * recipients took longer than the backoff is not due at once. */
            g_autoptr(GDateTime) rt = clock_now(clk);
            g_autoptr(GDateTime) next =
                g_date_time_add_minutes(rt, backoff_minutes(row->attempts + 1));
            g_autofree char *next_iso = iso_utc(next);
            gboolean kept = FALSE;

            if (!defer_row(st, cs, row, next_iso, last_why, rejected, refused, reasons, held,
                           &kept, err))
                return FALSE;
            if (kept)
                sum->deferred++;
            else
                lease_lost(row, "deferring it is");
            return TRUE;
        }
        /* Five days of temporary failures: the rest are refused for good. */
        for (guint i = 0; i < rcpts->len; i++) {
            const char *rcpt = g_ptr_array_index(rcpts, i);
            g_autofree char *why = g_strdup_printf("gave up after %d attempts: %s",
                                                   row->attempts + 1, last_why);

            if (outbox_has_line(delivered, rcpt) || outbox_has_line(rejected, rcpt))
                continue;
            if (!store_outbox_rejected(st, row->id, rcpt, why, err))
                return FALSE;
            g_ptr_array_add(rejected, g_strdup(rcpt));
            g_ptr_array_add(refused, g_strdup(rcpt));
            g_ptr_array_add(reasons, g_steal_pointer(&why));
        }
        g_free(last_why);
        last_why = g_strdup_printf(OUTBOX_GAVE_UP "%s",
                                   row->last_error != NULL ? row->last_error
                                                           : "temporary failures");
    }
    gboolean lost = FALSE;

    if (!settle_row(st, cs, row, now_iso, delivered, rejected, refused, reasons, last_why,
                    held, &lost, err))
        return FALSE;
    if (lost) {
        lease_lost(row, "settling it is");
        return TRUE;
    }
    if (delivered->len > 0)
        sum->sent++;
    else
        sum->failed++;
    return TRUE;
}

/* Deliver one claimed row: one attempt (deliver_attempt), and then the
 * report of the recipients it refused when it ended without settling or
 * deferring the row, which report them: a stop asked for between two
 * recipients, a lease that ran out, a store failure.  The next attempt
 * finds them refused already and does not report them.  FALSE with *err
 * only on a store failure. */
static gboolean
deliver_row(struct store *st, struct conn *c, const struct compose_settings *cs,
            const struct flush_clock *clk, GDateTime *now,
            const struct store_outbox_row *row, struct flush_summary *sum,
            GError **err)
{
    g_autoptr(GPtrArray) rejected = outbox_lines(row->rejected);
    g_autoptr(GPtrArray) refused = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) reasons = g_ptr_array_new_with_free_func(g_free);
    gboolean ok = deliver_attempt(st, c, cs, clk, now, row, rejected, refused, reasons, sum,
                                  err);
    struct outmail *report;
    GError *e = NULL;

    if (refused->len == 0)
        return ok;
    report = refusal_report(st, cs, row, refused, reasons, rejected,
                            "The other recipients are tried on their own.\n");
    if (!store_begin(st, &e) || !record_refused(st, row, refused, reasons, FALSE, report, &e)
        || !store_commit(st, &e)) {
        store_rollback(st);
        log_msg(LOG_WARNING, row->message_id, "outbox %" G_GINT64_FORMAT ": the refused"
                " recipients could not be reported: %s", row->id, e->message);
        g_error_free(e);
    }
    outmail_free(report);
    return ok;
}

/* Deliver every row due at now (at most max rows, 0 for all). */
gboolean
outbox_flush(struct store *st, const struct relay *relay,
             const struct compose_settings *cs, GDateTime *now, unsigned max,
             struct flush_summary *sum, GError **err)
{
    struct conn c = { .relay = relay };
    g_autoptr(GDateTime) t = now != NULL ? g_date_time_ref(now)
                                         : g_date_time_new_now_utc();
    g_autofree char *now_iso = iso_utc(t);
    const struct flush_clock clk = { t, g_get_monotonic_time() };
    GArray *ids;
    gboolean ok = TRUE;

    g_autofree char *secret = NULL;

    memset(sum, 0, sizeof *sum);
    ids = store_outbox_due(st, now_iso, max, err);
    if (ids == NULL)
        return FALSE;
    if (ids->len > 0 && (secret = store_secret(st, err)) == NULL) {
        g_array_free(ids, TRUE);
        return FALSE;
    }
    c.secret = secret;
    for (guint i = 0; ok && i < ids->len; i++) {
        gint64 id = g_array_index(ids, gint64, i);

        if (relay->stop != NULL && g_atomic_int_get(relay->stop))
            break;              /* stopping: the rest stays due for later */

        struct store_outbox_row *row;
        gboolean claimed = FALSE;
        /* The lease runs from this claim, not from the start of the flush:
         * a long flush against a slow relay must not claim a row with a
         * lease that has already run out, which another sender could then
         * take as well. */
        g_autoptr(GDateTime) rt = clock_now(&clk);
        g_autofree char *row_iso = iso_utc(rt);
        g_autofree char *lease_iso = lease_from(rt);

        if (!store_outbox_claim(st, id, row_iso, lease_iso, &claimed, err)) {
            ok = FALSE;
            break;
        }
        if (!claimed)
            continue;           /* another sender has it */
        row = store_outbox_get(st, id, err);
        if (row == NULL) {
            ok = FALSE;
            break;
        }
        ok = deliver_row(st, &c, cs, &clk, rt, row, sum, err);
        store_outbox_row_free(row);
    }
    g_array_free(ids, TRUE);
    conn_close(&c);
    g_free(c.down_why);
    return ok;
}

/* Map a VERP bounce address back to its outbox row and recipient. */
gboolean
outbox_verp_lookup(struct store *st, const char *verp, gint64 *row_id,
                   char **rcpt, gint64 *statement_id, GError **err)
{
    g_autofree char *secret = NULL;
    struct store_outbox_row *row;
    char hash[13];
    gint64 id;
    gboolean found = FALSE;

    *rcpt = NULL;
    if (!compose_verp_parse(verp, &id, hash)) {
        g_set_error(err, STORE_ERROR, STORE_ERROR_NOTFOUND,
                    "%s is not a VERP bounce address", verp);
        return FALSE;
    }
    secret = store_secret(st, err);
    if (secret == NULL)
        return FALSE;
    row = store_outbox_get(st, id, err);
    if (row == NULL)
        return FALSE;
    {
        g_autoptr(GPtrArray) rcpts = outbox_lines(row->rcpts);

        for (guint i = 0; !found && i < rcpts->len; i++) {
            g_autofree char *h = compose_verp_hash(secret, id, g_ptr_array_index(rcpts, i));

            if (compose_same_hash(h, hash)) {
                *rcpt = g_strdup(g_ptr_array_index(rcpts, i));
                found = TRUE;
            }
        }
    }
    *row_id = id;
    if (statement_id != NULL)
        *statement_id = row->statement;
    if (!found)
        g_set_error(err, STORE_ERROR, STORE_ERROR_NOTFOUND,
                    "outbox %" G_GINT64_FORMAT " has no recipient with hash %s",
                    id, hash);
    store_outbox_row_free(row);
    return found;
}
