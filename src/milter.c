/*
 * milter.c: libmilter callbacks, and nothing else.  Mail is understood by
 * the core (ingest.c); this file moves bytes between the MTA and the core
 * and turns the core's decision into smfi_* calls.
 *
 * Costs.  Mail that is not for an intake address must pass at the speed of
 * the MTA alone, so the milter negotiates away the steps it does not use
 * (connect, HELO, unknown commands) and answers ACCEPT at the DATA command
 * once every recipient is known: the MTA then sends it neither headers nor
 * body.  The DATA callback is registered for that reason too: when it is
 * negotiated away, Postfix sends the DATA macros on their own, which over
 * TCP costs a Nagle/delayed-ACK stall of about 40 ms per message.
 *
 * Intake mail is spooled as it arrives (headers, then body chunks) into
 * memory up to spool_memory_max and then into a temporary file that is
 * unlinked as soon as it is made, so that a crash leaves nothing behind and
 * a 50 MB message does not cost 50 MB of heap; a spilled message is then
 * ingested from that file (ingest_message_fd), which reads it in chunks
 * and decodes large attachments into temporary files in the same spool
 * directory.  Line ends are stored as LF,
 * as in a Unix mailbox and as liaisonctl ingest reads them from a file, so
 * that the same message through either door is the same bytes.
 *
 * State.  Per connection only through smfi_setpriv (struct conn), per
 * message in struct msg, freed by one idempotent function from eom, abort,
 * close and before every early ACCEPT.  All threads record through one
 * store connection, kept open between messages and held by one thread at
 * a time, for the transaction only: the message is parsed before, in the
 * thread's own time.  SQLite lets one writer at a time in anyway; a
 * condition variable hands the turn straight to the next thread where
 * SQLite's busy handler would have it sleep and poll, and one connection
 * keeps its page cache warm where each of many would reread the pages
 * another had changed.
 *
 * Round trips.  MAIL, RCPT, each header and each body chunk are negotiated
 * "no reply" (SMFIP_NR_*; libmilter offers them whatever the MTA has,
 * and itself answers an MTA without them), and only the queue id
 * macro is asked for: the MTA does not wait for us until DATA, the end of
 * the headers and the end of the message, which is where a failure noted
 * earlier is answered.
 *
 * Failures.  Anything that goes wrong inside (spool write, database busy,
 * read-only or full, the core failing) answers TEMPFAIL with 451 4.3.0 and
 * a log line that says why: the MTA keeps the message and retries, and the
 * core recognises the retry.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "compose.h"
#include "config_file.h"
#include "directory.h"
#include "fdio.h"
#include "ingest.h"
#include "log.h"
#include "message.h"
#include "milter.h"
#include "sender.h"
#include "store.h"

/* The settings and directory that a message runs under. */
struct snapshot {
    gint    refs;
    struct config *cfg;
    struct directory *dir;
    struct compose_settings *mail;  /* made from cfg: mail queued on arrival */
};

/* One message, from MAIL FROM to its end. */
struct msg {
    struct snapshot *snap;
    char    id[48];             /* the MTA's queue id, or our own */
    gboolean have_qid;
    gboolean late;              /* begun after milter_stop_intake: not in hand */
    char   *sender;             /* MAIL FROM without <>, "" for <> */
    gboolean intake;            /* some recipient is an intake address */
    /* The spool: mem until it would exceed spool_memory_max, then fd. */
    GString *mem;
    int     fd;
    size_t  len;                /* bytes spooled */
    gboolean cr_pending;        /* a body chunk ended in CR */
    char   *subject;            /* the first Subject value, as received */
    unsigned loop_headers;      /* X-Liaison-ID headers that came in */
    unsigned notrec_headers;    /* X-Liaison-Not-Recorded ones */
    /* A failure found where no reply could be given (a step negotiated
     * with "no reply"): answered at the next step that replies. */
    char   *fail_why;           /* NULL: none */
    gboolean fail_too_big;      /* refuse rather than TEMPFAIL */
};

/* One MTA connection. */
struct conn {
    struct msg *msg;
    gboolean leadspc;           /* header values keep their leading space */
    unsigned long noreply;      /* SMFIP_NR_* steps negotiated */
};

/* The store connection every thread records through, and what it was
 * opened with.  One thread at a time holds it (held), from store_enter to
 * store_leave; lock guards held only, so that a thread waiting for its
 * turn can give up at a deadline. */
struct shared_store {
    GMutex  lock;
    GCond   turn;               /* signalled when held becomes FALSE */
    gboolean held;
    gboolean shut;              /* milter_shutdown: no more turns */
    struct store *store;
    char   *path;
};

static GMutex snap_lock;
static struct snapshot *snap_current;
static gint in_flight;
/* Set by milter_stop_intake (SIGTERM): messages that begin afterwards are
 * not counted in hand, and intake mail among them is deferred. */
static gint stopping;
static guint msg_serial;
/* libmilter runs one thread per MTA connection, and an MTA connection
 * mostly carries one message: a store per thread was opened (schema check,
 * statements prepared, a cold page cache) and closed (a WAL checkpoint and
 * fsync when it was the last) for every message. */
static struct shared_store writer;

#define NEEDED_ACTIONS (SMFIF_ADDRCPT | SMFIF_ADDHDRS | SMFIF_CHGHDRS)
#define LOOP_HEADER "X-Liaison-ID"
/* On intake mail kept but not recorded (not mail at all): why. */
#define NOT_RECORDED_HEADER "X-Liaison-Not-Recorded"

/* ---- snapshots ------------------------------------------------------ */

/* A new snapshot holding one reference. */
static struct snapshot *
snapshot_new(struct config *cfg, struct directory *dir)
{
    struct snapshot *s = g_new0(struct snapshot, 1);

    s->refs = 1;
    s->cfg = cfg;
    s->dir = dir;
    s->mail = compose_settings_from_config(cfg, dir);
    return s;
}

/* Drop a reference; the last one frees. */
static void
snapshot_unref(struct snapshot *s)
{
    if (s != NULL && g_atomic_int_dec_and_test(&s->refs)) {
        compose_settings_free(s->mail);
        config_free(s->cfg);
        directory_free(s->dir);
        g_free(s);
    }
}

/* A reference to the current snapshot. */
static struct snapshot *
snapshot_get(void)
{
    struct snapshot *s;

    g_mutex_lock(&snap_lock);
    s = snap_current;
    if (s != NULL)
        g_atomic_int_inc(&s->refs);
    g_mutex_unlock(&snap_lock);
    return s;
}

/* Replace the current snapshot. */
static void
snapshot_set(struct snapshot *s)
{
    struct snapshot *old;

    g_mutex_lock(&snap_lock);
    old = snap_current;
    snap_current = s;
    g_mutex_unlock(&snap_lock);
    snapshot_unref(old);
}

/* Call fn with the current settings held, so that a reload cannot free
 * them while fn runs (the outbox sender reads its relay from them). */
void
milter_with_settings(void (*fn)(const struct config *cfg,
                                const struct compose_settings *mail, gpointer data),
                     gpointer data)
{
    struct snapshot *s = snapshot_get();

    if (s == NULL)
        return;
    fn(s->cfg, s->mail, data);
    snapshot_unref(s);
}

/* ---- the shared store ------------------------------------------------ */

/* Close the shared store; the caller holds it. */
static void
writer_close(void)
{
    store_close(writer.store);
    writer.store = NULL;
    g_clear_pointer(&writer.path, g_free);
}

/* Wait for the shared store's turn until deadline (monotonic, in
 * microseconds); FALSE when the deadline passed or liaisond is stopping. */
static gboolean
writer_take(gint64 deadline)
{
    gboolean got;

    g_mutex_lock(&writer.lock);
    while (writer.held && !writer.shut) {
        if (!g_cond_wait_until(&writer.turn, &writer.lock, deadline))
            break;              /* timed out; held is read once more below */
    }
    got = !writer.held && !writer.shut;
    if (got)
        writer.held = TRUE;
    g_mutex_unlock(&writer.lock);
    return got;
}

/* Give the shared store's turn to the next thread. */
static void
writer_release(void)
{
    g_mutex_lock(&writer.lock);
    writer.held = FALSE;
    g_cond_signal(&writer.turn);
    g_mutex_unlock(&writer.lock);
}

/* ingest's store_enter: take the shared store, opening it (again) when it
 * is closed or a reload changed the database.  busy_timeout_ms bounds a
 * message's whole wait, for its turn and then for SQLite's lock: SQLite is
 * given what is left of it, so that when another process holds the
 * database, a message queued behind one already waiting in SQLite fails at
 * its own bound instead of waiting the whole timeout again. */
static gboolean
writer_enter(struct ingest_ctx *ictx, GError **err)
{
    const struct config *cfg = ictx->store_data;
    gint64 deadline = g_get_monotonic_time() + (gint64) cfg->busy_timeout_ms * 1000;
    gint64 left_ms;

    if (!writer_take(deadline)) {
        g_set_error(err, STORE_ERROR, STORE_ERROR_BUSY,
                    "%s: busy: no turn at the database within %d ms"
                    " (another message's transaction held it, or liaisond is stopping)",
                    cfg->database, cfg->busy_timeout_ms);
        return FALSE;
    }
    if (writer.store != NULL && g_strcmp0(writer.path, cfg->database) != 0)
        writer_close();
    if (writer.store == NULL) {
        writer.store = store_open(cfg->database, cfg->busy_timeout_ms, err);
        if (writer.store == NULL) {
            writer_release();
            return FALSE;
        }
        writer.path = g_strdup(cfg->database);
    }
    left_ms = (deadline - g_get_monotonic_time()) / 1000;
    store_set_busy_timeout(writer.store, (int) CLAMP(left_ms, 0, cfg->busy_timeout_ms));
    ictx->store = writer.store;
    return TRUE;
}

/* ingest's store_leave: give the shared store back.  After a failure whose
 * cause may be gone by the retry (a lock, a read-only or full disk) it is
 * closed, so that the next message starts with a fresh connection. */
static void
writer_leave(struct ingest_ctx *ictx, gboolean healthy)
{
    if (!healthy)
        writer_close();
    ictx->store = NULL;
    writer_release();
}

/* ---- messages -------------------------------------------------------- */

/* The connection state, made on first use (negotiate may not be called
 * by an old MTA). */
static struct conn *
conn_get(SMFICTX *ctx)
{
    struct conn *c = smfi_getpriv(ctx);

    if (c == NULL) {
        c = g_new0(struct conn, 1);
        if (smfi_setpriv(ctx, c) != MI_SUCCESS) {
            log_msg(LOG_ERR, NULL, "smfi_setpriv failed: the connection's state cannot be kept;"
                    " answering a temporary failure");
            g_free(c);
            return NULL;
        }
    }
    return c;
}

/* Pick up the MTA's queue id as the message's log id once it is known. */
static void
msg_update_id(SMFICTX *ctx, struct msg *m)
{
    const char *qid;

    if (m->have_qid)
        return;
    qid = smfi_getsymval(ctx, "i");
    if (qid != NULL && *qid != '\0') {
        g_strlcpy(m->id, qid, sizeof m->id);
        m->have_qid = TRUE;
    }
}

/* Start a message on a connection. */
static struct msg *
msg_new(SMFICTX *ctx, struct conn *c)
{
    struct msg *m = g_new0(struct msg, 1);

    m->snap = snapshot_get();
    m->fd = -1;
    g_snprintf(m->id, sizeof m->id, "L%u", g_atomic_int_add(&msg_serial, 1) + 1);
    msg_update_id(ctx, m);
    /* Counted before stopping is read, as milter_stop_intake sets stopping
     * before it reads the count (both full barriers): a message that
     * misses the stop is one that liaisond waits for. */
    g_atomic_int_inc(&in_flight);
    if (g_atomic_int_get(&stopping)) {
        m->late = TRUE;
        g_atomic_int_dec_and_test(&in_flight);
    }
    c->msg = m;
    return m;
}

/* End the connection's message, whatever state it is in; idempotent. */
static void
msg_free(struct conn *c)
{
    struct msg *m;

    if (c == NULL || (m = c->msg) == NULL)
        return;
    c->msg = NULL;
    if (m->mem != NULL)
        g_string_free(m->mem, TRUE);
    if (m->fd >= 0)
        close(m->fd);
    g_free(m->sender);
    g_free(m->subject);
    g_free(m->fail_why);
    snapshot_unref(m->snap);
    if (!m->late)
        g_atomic_int_dec_and_test(&in_flight);
    g_free(m);
}

/* The connection's message, or NULL. */
static struct msg *
msg_get(SMFICTX *ctx)
{
    struct conn *c = smfi_getpriv(ctx);

    return c != NULL ? c->msg : NULL;
}

/* End the message and answer TEMPFAIL with a logged reason. */
static sfsistat
msg_tempfail(SMFICTX *ctx, const char *why)
{
    struct conn *c = smfi_getpriv(ctx);
    struct msg *m = c != NULL ? c->msg : NULL;
    /* Without a message (its state lost), the MTA's queue id still names
     * it in the log, where the MTA gives it by this step. */
    const char *id = m != NULL ? m->id : smfi_getsymval(ctx, "i");

    log_msg(LOG_ERR, id, "temporary failure: %s", why);
    if (smfi_setreply(ctx, "451", "4.3.0",
                      "liaisond: temporary failure, please try again later") != MI_SUCCESS)
        log_msg(LOG_WARNING, id, "smfi_setreply failed");
    msg_free(c);
    return SMFIS_TEMPFAIL;
}

/* End the message and refuse it as too large for intake. */
static sfsistat
msg_too_big(SMFICTX *ctx, struct msg *m)
{
    log_msg(LOG_NOTICE, m->id, "refused: intake message over message_max (%zu bytes)",
            m->snap->cfg->message_max);
    if (smfi_setreply(ctx, "552", "5.3.4",
                      "liaisond: message too large for liaison intake") != MI_SUCCESS)
        log_msg(LOG_WARNING, m->id, "smfi_setreply failed");
    msg_free(smfi_getpriv(ctx));
    return SMFIS_REJECT;
}

/* Note a failure at a step that cannot reply; the first one counts. */
static void
msg_defer_failure(struct msg *m, char *why, gboolean too_big)
{
    if (m->fail_why == NULL) {
        m->fail_why = why;
        m->fail_too_big = too_big;
    } else {
        g_free(why);
    }
}

/* Answer a failure noted earlier, if any; SMFIS_CONTINUE otherwise. */
static sfsistat
msg_deferred_answer(SMFICTX *ctx, struct msg *m)
{
    char   *why;
    sfsistat r;

    if (m == NULL || m->fail_why == NULL)
        return SMFIS_CONTINUE;
    if (m->fail_too_big)
        return msg_too_big(ctx, m);
    why = g_strdup(m->fail_why);
    r = msg_tempfail(ctx, why);
    g_free(why);
    return r;
}

/* What a step that may have been negotiated with "no reply" answers when
 * all is well: nothing, or CONTINUE. */
static sfsistat
step_ok(struct conn *c, unsigned long nr_flag)
{
    return c != NULL && (c->noreply & nr_flag) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* ---- the spool ------------------------------------------------------- */

/* Move the spool from memory to an unlinked temporary file. */
static gboolean
spool_spill(struct msg *m, char **why)
{
    char   *tmpl = g_build_filename(m->snap->cfg->spool_dir, "liaisond-XXXXXX", NULL);
    int     fd = mkostemp(tmpl, O_CLOEXEC);

    if (fd < 0) {
        *why = g_strdup_printf("spool: cannot create a file in %s: %s",
                               m->snap->cfg->spool_dir, g_strerror(errno));
        g_free(tmpl);
        return FALSE;
    }
    /* Unlinked at once: the bytes live only as long as the descriptor. */
    if (unlink(tmpl) != 0)
        log_msg(LOG_WARNING, m->id, "spool: cannot unlink %s: %s", tmpl, g_strerror(errno));
    g_free(tmpl);
    if (!fdio_write_all(fd, m->mem->str, m->mem->len)) {
        *why = g_strdup_printf("spool: write: %s", g_strerror(errno));
        close(fd);
        return FALSE;
    }
    g_string_free(m->mem, TRUE);
    m->mem = NULL;
    m->fd = fd;
    return TRUE;
}

/* Append bytes to the spool as they are. */
static gboolean
spool_append(struct msg *m, const char *buf, size_t n, char **why)
{
    if (n == 0)
        return TRUE;
    if (m->fd < 0) {
        if (m->mem == NULL)
            m->mem = g_string_sized_new(8192);
        if (m->mem->len + n > m->snap->cfg->spool_memory_max && !spool_spill(m, why))
            return FALSE;
    }
    if (m->fd >= 0) {
        if (!fdio_write_all(m->fd, buf, n)) {
            *why = g_strdup_printf("spool: write: %s", g_strerror(errno));
            return FALSE;
        }
    } else {
        g_string_append_len(m->mem, buf, (gssize) n);
    }
    m->len += n;
    return TRUE;
}

/* Append text with CRLF turned into LF; a CR at the end of buf is held
 * back in case the next chunk starts with LF. */
static gboolean
spool_text(struct msg *m, const char *buf, size_t n, char **why)
{
    const char *end = buf + n;

    if (m->cr_pending && n > 0) {
        m->cr_pending = FALSE;
        if (*buf != '\n' && !spool_append(m, "\r", 1, why))
            return FALSE;
    }
    while (buf < end) {
        const char *cr = memchr(buf, '\r', (size_t) (end - buf));

        if (cr == NULL)
            return spool_append(m, buf, (size_t) (end - buf), why);
        if (!spool_append(m, buf, (size_t) (cr - buf), why))
            return FALSE;
        if (cr + 1 == end) {
            m->cr_pending = TRUE;
            return TRUE;
        }
        /* CRLF: the LF is written with the next span; a lone CR stays. */
        if (cr[1] != '\n' && !spool_append(m, "\r", 1, why))
            return FALSE;
        buf = cr + 1;
    }
    return TRUE;
}

/* Write out a CR held back by spool_text. */
static gboolean
spool_flush_cr(struct msg *m, char **why)
{
    if (!m->cr_pending)
        return TRUE;
    m->cr_pending = FALSE;
    return spool_append(m, "\r", 1, why);
}

/* ---- applying the decision ------------------------------------------ */

/* Delete the n headers called name that came in, from the last to the
 * first so the indexes hold.  FALSE with *why when the MTA refused. */
static gboolean
drop_headers(SMFICTX *ctx, const char *name, unsigned n, char **why)
{
    for (unsigned i = n; i > 0; i--)
        if (smfi_chgheader(ctx, (char *) name, (int) i, NULL) != MI_SUCCESS) {
            *why = g_strdup_printf("smfi_chgheader(%s, %u, delete) failed", name, i);
            return FALSE;
        }
    return TRUE;
}

/* Our headers are only ours: drop any that came in (a loop, or a forgery
 * that would tell the reader of the intake mailbox a message was not
 * recorded, or was). */
static gboolean
drop_loop_headers(SMFICTX *ctx, const struct msg *m, char **why)
{
    return drop_headers(ctx, LOOP_HEADER, m->loop_headers, why)
        && drop_headers(ctx, NOT_RECORDED_HEADER, m->notrec_headers, why);
}

/* Add NOT_RECORDED_HEADER with why_not (our own one-line text) to
 * intake mail that could not be recorded. */
static gboolean
add_not_recorded(SMFICTX *ctx, gboolean leadspc, const char *why_not, char **why)
{
    g_autofree char *v = g_strdup_printf("%s%s", leadspc ? " " : "", why_not);

    g_strdelimit(v, "\r\n", ' ');
    if (smfi_addheader(ctx, NOT_RECORDED_HEADER, v) != MI_SUCCESS) {
        *why = g_strdup_printf("smfi_addheader(%s) failed", NOT_RECORDED_HEADER);
        return FALSE;
    }
    return TRUE;
}

/* Add the decision's recipients and headers to the message; FALSE with
 * *why when the MTA refused a change. */
static gboolean
apply_decision(SMFICTX *ctx, struct msg *m, const struct decision *d,
               gboolean leadspc, char **why)
{
    const char *sp = leadspc ? " " : "";  /* with HDR_LEADSPC we supply it */
    const struct config *cfg = m->snap->cfg;

    for (guint i = 0; d->recipients != NULL && i < d->recipients->len; i++) {
        const struct recipient *r = g_ptr_array_index(d->recipients, i);
        char   *rcpt = g_strdup_printf("<%s>", r->addr);
        int     rc = smfi_addrcpt(ctx, rcpt);

        g_free(rcpt);
        if (rc != MI_SUCCESS) {
            *why = g_strdup_printf("smfi_addrcpt(%s) failed", r->addr);
            return FALSE;
        }
    }
    if (!drop_loop_headers(ctx, m, why))
        return FALSE;
    if (d->statement_id > 0) {
        char   *v = g_strdup_printf("%s%" G_GINT64_FORMAT, sp, d->statement_id);
        int     rc = smfi_addheader(ctx, LOOP_HEADER, v);

        g_free(v);
        if (rc != MI_SUCCESS) {
            *why = g_strdup_printf("smfi_addheader(%s) failed", LOOP_HEADER);
            return FALSE;
        }
    }
    if (cfg->subject_tag && d->statement_id > 0
        && (d->kind == KIND_STATEMENT || d->kind == KIND_CORRESPONDENCE)) {
        char   *tag = g_strdup_printf("[LS %" G_GINT64_FORMAT "]", d->statement_id);
        int     rc = MI_SUCCESS;

        if (m->subject == NULL) {
            char   *v = g_strdup_printf("%s%s", sp, tag);

            rc = smfi_addheader(ctx, "Subject", v);
            g_free(v);
        } else if (strstr(m->subject, tag) == NULL) {
            const char *text = m->subject + strspn(m->subject, " \t");
            char   *v = g_strdup_printf("%s%s %s", sp, tag, text);

            rc = smfi_chgheader(ctx, "Subject", 1, v);
            g_free(v);
        }
        g_free(tag);
        if (rc != MI_SUCCESS) {
            *why = g_strdup("smfi_chgheader(Subject) failed");
            return FALSE;
        }
    }
    return TRUE;
}

/* ---- callbacks ------------------------------------------------------- */

/* Ask only for the steps and actions used. */
static sfsistat
cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
             unsigned long f2, unsigned long f3, unsigned long *pf0,
             unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
    struct conn *c = conn_get(ctx);
    const unsigned long skip = SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOUNKNOWN;

    if (c == NULL)
        return SMFIS_TEMPFAIL;  /* logged by conn_get */
    if ((f0 & NEEDED_ACTIONS) != NEEDED_ACTIONS) {
        log_msg(LOG_ERR, NULL, "the MTA does not offer the actions needed "
                "(add recipient, add and change header): offered 0x%lx", f0);
        return SMFIS_REJECT;
    }
    /* No reply for MAIL, RCPT, each header and each body chunk: the MTA
     * sends them without waiting for us; a failure there is answered at
     * the next step that replies (DATA, end of headers, end of message).
     * libmilter offers these flags even to an MTA that lacks them, and
     * then sends that MTA the CONTINUE itself. */
    const unsigned long noreply = SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_HDR | SMFIP_NR_BODY;

    /* Asking for fewer macros is an action of its own, asked for only
     * where the MTA offers it (Postfix and Sendmail both do). */
    *pf0 = NEEDED_ACTIONS | (f0 & SMFIF_SETSYMLIST);
    *pf1 = f1 & (skip | SMFIP_HDR_LEADSPC | noreply);
    *pf2 = 0;
    *pf3 = 0;
    c->leadspc = (*pf1 & SMFIP_HDR_LEADSPC) != 0;
    c->noreply = *pf1 & noreply;
    /* Only the queue id, and only where it is read; and at RCPT the
     * recipient as the MTA resolved it, which is where it delivers. */
    if ((*pf0 & SMFIF_SETSYMLIST)
        && (smfi_setsymlist(ctx, SMFIM_ENVRCPT, "i {rcpt_addr}") != MI_SUCCESS
            || smfi_setsymlist(ctx, SMFIM_DATA, "i") != MI_SUCCESS
            || smfi_setsymlist(ctx, SMFIM_EOH, "i") != MI_SUCCESS
            || smfi_setsymlist(ctx, SMFIM_EOM, "i") != MI_SUCCESS))
        log_msg(LOG_DEBUG, NULL, "smfi_setsymlist failed; the MTA sends its default macros");
    return SMFIS_CONTINUE;
}

/* MAIL FROM: a new message. */
static sfsistat
cb_envfrom(SMFICTX *ctx, char **argv)
{
    struct conn *c = conn_get(ctx);
    struct msg *m;
    const char *from = argv != NULL && argv[0] != NULL ? argv[0] : "";
    size_t  n;

    if (c == NULL)
        return SMFIS_TEMPFAIL;
    msg_free(c);                /* an MTA that did not abort the last one */
    m = msg_new(ctx, c);
    if (m->snap == NULL) {
        if (c->noreply & SMFIP_NR_MAIL) {
            msg_defer_failure(m, g_strdup("no configuration loaded"), FALSE);
            return SMFIS_NOREPLY;
        }
        return msg_tempfail(ctx, "no configuration loaded");
    }
    while (*from == ' ')
        from++;
    n = strlen(from);
    if (n >= 2 && from[0] == '<' && from[n - 1] == '>')
        m->sender = g_strndup(from + 1, n - 2);
    else
        m->sender = g_strdup(from);
    return step_ok(c, SMFIP_NR_MAIL);
}

/* RCPT TO: note whether any recipient is an intake address.  The path
 * comes as the client typed it; Postfix rewrites it (the domain it adds
 * to <liaisons>, the percent hack at one of its own domains) only after
 * the milter has answered, and gives the result as {rcpt_addr}, so both
 * are asked.  The typed path's percent hack and missing domain are read
 * only when the MTA does not say where it goes. */
static sfsistat
cb_envrcpt(SMFICTX *ctx, char **argv)
{
    struct conn *c = smfi_getpriv(ctx);
    struct msg *m = c != NULL ? c->msg : NULL;
    const char *resolved;

    if (m == NULL || argv == NULL || argv[0] == NULL || m->snap == NULL)
        return step_ok(c, SMFIP_NR_RCPT);
    if (m->intake)
        return step_ok(c, SMFIP_NR_RCPT);
    resolved = smfi_getsymval(ctx, "{rcpt_addr}");
    if (resolved != NULL && *resolved == '\0')
        resolved = NULL;
    /* Without the MTA's word, the typed path is read as Postfix would
     * rewrite it; with it, the MTA has done that already. */
    if (config_is_intake(m->snap->cfg, m->snap->dir, argv[0],
                         resolved == NULL ? CONFIG_INTAKE_PERCENT | CONFIG_INTAKE_LOCAL : 0)
        || (resolved != NULL
            && config_is_intake(m->snap->cfg, m->snap->dir, resolved, CONFIG_INTAKE_LOCAL))) {
        m->intake = TRUE;
        msg_update_id(ctx, m);
        log_msg(LOG_DEBUG, m->id, "intake recipient %s", argv[0]);
        /* Begun after SIGTERM: the daemon will not wait for it; the MTA
         * keeps it and retries once liaisond is back.  Answered at DATA,
         * the first step that replies. */
        if (m->late)
            msg_defer_failure(m, g_strdup("liaisond is stopping"), FALSE);
    }
    return step_ok(c, SMFIP_NR_RCPT);
}

/* DATA: every recipient is known; other mail steps out here. */
static sfsistat
cb_data(SMFICTX *ctx)
{
    struct msg *m = msg_get(ctx);

    /* MAIL always makes the message: none here means that its state could
     * not be kept (out of memory), so whether it is intake is unknown. */
    if (m == NULL)
        return msg_tempfail(ctx, "no state kept for this message");
    /* First, so that every answer from here on is logged with the MTA's
     * queue id (it is there by DATA whatever happened before). */
    msg_update_id(ctx, m);
    if (m->fail_why != NULL)
        return msg_deferred_answer(ctx, m);
    if (!m->intake) {
        msg_free(smfi_getpriv(ctx));
        return SMFIS_ACCEPT;
    }
    return SMFIS_CONTINUE;
}

/* The answer after spooling a header or a body chunk: ok, or the failure
 * why (taken) when spooling failed; a message past message_max is refused.
 * Where no reply was negotiated for this step (nr_step), the failure is
 * noted and answered at the next step that replies. */
static sfsistat
spool_answer(SMFICTX *ctx, struct conn *c, struct msg *m, unsigned long nr_step,
             gboolean ok, char *why)
{
    sfsistat r;

    if (c->noreply & nr_step) {
        if (!ok)
            msg_defer_failure(m, why, FALSE);
        else if (m->len > m->snap->cfg->message_max)
            msg_defer_failure(m, g_strdup("too big"), TRUE);
        return SMFIS_NOREPLY;
    }
    if (!ok) {
        r = msg_tempfail(ctx, why);
        g_free(why);
        return r;
    }
    if (m->len > m->snap->cfg->message_max)
        return msg_too_big(ctx, m);
    return SMFIS_CONTINUE;
}

/* A header: spool it; remember the Subject and our own header. */
static sfsistat
cb_header(SMFICTX *ctx, char *name, char *value)
{
    struct conn *c = smfi_getpriv(ctx);
    struct msg *m = c != NULL ? c->msg : NULL;
    char   *why = NULL;
    gboolean ok;

    if (m == NULL || !m->intake) {  /* an MTA that skipped DATA */
        if (c != NULL && (c->noreply & SMFIP_NR_HDR))
            return SMFIS_NOREPLY;   /* ACCEPT comes at the end of headers */
        msg_free(c);
        return SMFIS_ACCEPT;
    }
    if (m->fail_why != NULL)
        return step_ok(c, SMFIP_NR_HDR) == SMFIS_NOREPLY ? SMFIS_NOREPLY
            : msg_deferred_answer(ctx, m);
    if (g_ascii_strcasecmp(name, "Subject") == 0 && m->subject == NULL)
        m->subject = g_strdup(value);
    if (g_ascii_strcasecmp(name, LOOP_HEADER) == 0)
        m->loop_headers++;
    else if (g_ascii_strcasecmp(name, NOT_RECORDED_HEADER) == 0)
        m->notrec_headers++;
    ok = spool_append(m, name, strlen(name), &why)
        && spool_append(m, c->leadspc ? ":" : ": ", c->leadspc ? 1 : 2, &why)
        && spool_text(m, value, strlen(value), &why)
        && spool_flush_cr(m, &why)
        && spool_append(m, "\n", 1, &why);
    return spool_answer(ctx, c, m, SMFIP_NR_HDR, ok, why);
}

/* End of headers: the empty line. */
static sfsistat
cb_eoh(SMFICTX *ctx)
{
    struct msg *m = msg_get(ctx);
    char   *why = NULL;

    if (m == NULL || !m->intake) {
        msg_free(smfi_getpriv(ctx));
        return SMFIS_ACCEPT;
    }
    msg_update_id(ctx, m);
    if (m->fail_why != NULL)
        return msg_deferred_answer(ctx, m);
    if (!spool_append(m, "\n", 1, &why)) {
        sfsistat r = msg_tempfail(ctx, why);

        g_free(why);
        return r;
    }
    return SMFIS_CONTINUE;
}

/* A body chunk. */
static sfsistat
cb_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
    struct conn *c = smfi_getpriv(ctx);
    struct msg *m = c != NULL ? c->msg : NULL;
    char   *why = NULL;
    gboolean ok;

    if (m == NULL || !m->intake) {
        if (c != NULL && (c->noreply & SMFIP_NR_BODY))
            return SMFIS_NOREPLY;   /* cannot happen: ACCEPT came earlier */
        msg_free(c);
        return SMFIS_ACCEPT;
    }
    /* Without a reply to give, keep nothing more once the message failed
     * or is too big: the failure waits for the end of the message. */
    if ((c->noreply & SMFIP_NR_BODY) && m->fail_why != NULL)
        return SMFIS_NOREPLY;
    ok = spool_text(m, (const char *) chunk, len, &why);
    return spool_answer(ctx, c, m, SMFIP_NR_BODY, ok, why);
}

/* End of message: ingest, then apply the decision. */
static sfsistat
cb_eom(SMFICTX *ctx)
{
    struct conn *c = smfi_getpriv(ctx);
    struct msg *m = c != NULL ? c->msg : NULL;
    struct ingest_ctx ictx;
    struct decision d;
    enum ingest_status st;
    char   *why = NULL;
    gint64  started;
    sfsistat result;

    if (m == NULL || !m->intake) {
        msg_free(c);
        return SMFIS_ACCEPT;
    }
    msg_update_id(ctx, m);
    /* Test hook, for tests/postfix/test-killed.sh only: with the environment
     * variable LIAISON_TEST_STALL_EOM=SECONDS set, an intake message stalls
     * here, before anything is recorded, so that the test can kill the
     * daemon in the middle of a message.  Never set it in service. */
    {
        const char *stall = getenv("LIAISON_TEST_STALL_EOM");

        if (stall != NULL && atoi(stall) > 0) {
            log_msg(LOG_WARNING, m->id, "test hook: stalling %d s at end of message",
                    atoi(stall));
            sleep((unsigned) atoi(stall));
        }
    }
    if (m->fail_why != NULL)
        return msg_deferred_answer(ctx, m);
    if (!spool_flush_cr(m, &why)) {
        result = msg_tempfail(ctx, why);
        g_free(why);
        return result;
    }
    /* The whole message, measured once more: the empty line after the
     * headers of a message without a body and a CR held back at the end
     * were spooled after the last check. */
    if (m->len > m->snap->cfg->message_max)
        return msg_too_big(ctx, m);
    memset(&ictx, 0, sizeof ictx);
    memset(&d, 0, sizeof d);
    ictx.dir = m->snap->dir;
    message_limits_default(&ictx.limits);
    ictx.limits.spool_dir = m->snap->cfg->spool_dir;   /* large attachments */
    ictx.mail = m->snap->mail;
    ictx.notify = m->snap->cfg->notify;
    ictx.acknowledge = m->snap->cfg->acknowledge;
    ictx.ack_per_day = m->snap->cfg->ack_per_day;
    ictx.answer_per_day = m->snap->cfg->answer_per_day;
    ictx.authserv_id = m->snap->cfg->authserv_id;
    ictx.log_id = m->id;        /* ingest's own lines join this message's */
    ictx.store_enter = writer_enter;
    ictx.store_leave = writer_leave;
    ictx.store_data = m->snap->cfg;
    started = g_get_monotonic_time();
    if (m->fd >= 0) {
        /* A spilled message is read from its file a chunk at a time, never
         * mapped or loaded whole: touched pages of a mapping would count
         * in the daemon's memory as much as a copy. */
        st = ingest_message_fd(&ictx, m->fd, m->sender, &d);
    } else {
        st = ingest_message(&ictx, m->mem != NULL ? m->mem->str : "", m->len,
                            m->sender, &d);
    }

    switch (st) {
    case INGEST_OK:
        if (!apply_decision(ctx, m, &d, c->leadspc, &why)) {
            result = msg_tempfail(ctx, why);
            break;
        }
        {
            guint n = d.recipients != NULL ? d.recipients->len : 0;

            log_msg(LOG_INFO, m->id, "%s%s: statement %" G_GINT64_FORMAT
                    ", %u recipient%s added, from <%s>, %zu bytes",
                    classify_kind_name(d.kind), d.duplicate ? " (seen before)" : "",
                    d.statement_id, n, n == 1 ? "" : "s", m->sender, m->len);
        }
        /* New mail may be waiting in the outbox (a statement's
         * notification and acknowledgement, a bounce's report to the
         * liaison manager, the report of an answer's commands and a
         * reassignment's notification): don't wait for the sender's next
         * round, which may be a day away (sender_interval).  An answer
         * counts even as a duplicate: the direct copy of one whose list
         * copy came first runs its commands only now; a spare round
         * costs one query. */
        if (d.kind == KIND_CORRESPONDENCE
            || ((d.kind == KIND_STATEMENT || d.kind == KIND_BOUNCE) && !d.duplicate))
            sender_wake();
        msg_free(c);
        result = SMFIS_CONTINUE;
        break;
    case INGEST_DATAERR:
        /* Not mail at all: nothing was recorded; the intake mailbox keeps
         * its copy for a person to look at, with the reason in a header,
         * since the person reading it may never see this log. */
        log_msg(LOG_WARNING, m->id, "not recorded: %s",
                d.error != NULL ? d.error : "not a mail message");
        /* A tracking header it carries is a forgery all the same. */
        if (!drop_loop_headers(ctx, m, &why)
            || !add_not_recorded(ctx, c->leadspc,
                                 d.error != NULL ? d.error : "not a mail message", &why)) {
            result = msg_tempfail(ctx, why);
            break;
        }
        msg_free(c);
        result = SMFIS_CONTINUE;
        break;
    case INGEST_TEMPFAIL:
    default:
        /* With the time it took: a wait for the database is bounded by
         * busy_timeout_ms, and an admin reading this can tell a lock held
         * elsewhere from a slow disk. */
        if (why == NULL)
            why = g_strdup_printf("ingest: %s (after %" G_GINT64_FORMAT " ms)",
                                  d.error != NULL ? d.error : "failed",
                                  (g_get_monotonic_time() - started) / 1000);
        /* The cause (a lock, a read-only or full disk) may be gone by the
         * retry: writer_leave closed the connection, the next is fresh. */
        result = msg_tempfail(ctx, why);
        break;
    }
    g_free(why);
    decision_clear(&d);
    return result;
}

/* The MTA gave up on the message. */
static sfsistat
cb_abort(SMFICTX *ctx)
{
    msg_free(smfi_getpriv(ctx));
    return SMFIS_CONTINUE;
}

/* The connection ends; ctx's private data may be NULL. */
static sfsistat
cb_close(SMFICTX *ctx)
{
    struct conn *c = smfi_getpriv(ctx);

    if (c != NULL) {
        msg_free(c);
        g_free(c);
        smfi_setpriv(ctx, NULL);
    }
    return SMFIS_CONTINUE;
}

static struct smfiDesc milter_desc = {
    .xxfi_name = "liaisond",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = NEEDED_ACTIONS,
    .xxfi_connect = NULL,
    .xxfi_helo = NULL,
    .xxfi_envfrom = cb_envfrom,
    .xxfi_envrcpt = cb_envrcpt,
    .xxfi_header = cb_header,
    .xxfi_eoh = cb_eoh,
    .xxfi_body = cb_body,
    .xxfi_eom = cb_eom,
    .xxfi_abort = cb_abort,
    .xxfi_close = cb_close,
    .xxfi_unknown = NULL,
    .xxfi_data = cb_data,
    .xxfi_negotiate = cb_negotiate,
};

/* Register the callbacks and install the first snapshot. */
gboolean
milter_register(const char *name, struct config *cfg, struct directory *dir,
                GError **err)
{
    milter_desc.xxfi_name = (char *) name;
    if (smfi_register(milter_desc) != MI_SUCCESS) {
        g_set_error(err, g_quark_from_static_string("liaisond-milter"), 1,
                    "smfi_register failed");
        return FALSE;
    }
    snapshot_set(snapshot_new(cfg, dir));
    return TRUE;
}

/* Replace the snapshot for the messages that start from now on. */
void
milter_reload(struct config *cfg, struct directory *dir)
{
    snapshot_set(snapshot_new(cfg, dir));
}

/* Messages begun and not ended, those begun after milter_stop_intake
 * aside. */
int
milter_in_flight(void)
{
    return g_atomic_int_get(&in_flight);
}

/* From now on, a message that begins is not in hand: intake mail is
 * deferred, other mail still accepted at DATA.  The messages in hand go
 * on, which smfi_stop() would not let them do (see liaisond.c, serve). */
void
milter_stop_intake(void)
{
    g_atomic_int_set(&stopping, 1);
}

/* Drop the current snapshot. */
void
milter_shutdown(void)
{
    gboolean got;

    snapshot_set(NULL);
    /* A thread still in a transaction (the grace period is over) keeps
     * the connection: it is closed when the process exits, never under a
     * thread that uses it.  No thread gets a turn after this. */
    got = writer_take(g_get_monotonic_time() + 5 * G_TIME_SPAN_SECOND);

    if (got)
        writer_close();
    g_mutex_lock(&writer.lock);
    writer.shut = TRUE;         /* in the same hold: no thread reopens it */
    if (got)
        writer.held = FALSE;
    g_cond_broadcast(&writer.turn);
    g_mutex_unlock(&writer.lock);
}
