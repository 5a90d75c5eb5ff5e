/*
 * sender.c: the outbox sender thread of liaisond.
 *
 * The milter queues mail in the same transaction as the statement that
 * causes it and then calls sender_wake(); this thread wakes, takes the
 * current settings (a SIGHUP may change the relay), and runs one
 * outbox_flush() on a database connection of its own, opened for the
 * round (SQLite connections are per thread).  It also wakes every
 * sender_interval seconds, for retries with backoff and for reminders the
 * tickler queued from cron.
 *
 * Why a thread and not a process: the daemon already has the
 * configuration, the directory and the privileges; one more connection is
 * all a sender needs.  Its work never blocks a milter callback: callbacks
 * only set a flag.
 */
#include "config.h"

#include <signal.h>

#include "compose.h"
#include "config_file.h"
#include "log.h"
#include "milter.h"
#include "outbox.h"
#include "sender.h"
#include "store.h"

static GThread *sender_thread;
static GMutex sender_lock;
static GCond sender_cond;
static gboolean sender_pending;     /* a wake-up not yet served */
static gint sender_quit;             /* read by outbox_flush between recipients */
static gboolean sender_done;        /* the thread has returned */

/* The sender's own state between rounds. */
struct sender_state {
    int     interval;           /* seconds, from the last settings seen */
};

/* One round with the current settings: open the database, deliver what is
 * due, close it.  The connection is not kept between rounds: a database
 * file held open for writing keeps an admin from remounting its file
 * system read-only, and a round a minute makes opening it cheap. */
static void
sender_round(const struct config *cfg, const struct compose_settings *mail, gpointer data)
{
    struct sender_state *ss = data;
    struct flush_summary sum = { 0 };
    struct relay relay;
    struct store *st;
    GError *err = NULL;
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();

    ss->interval = cfg->sender_interval;     /* 1 to 86400: config_check */
    if (!cfg->sender)
        return;
    st = store_open(cfg->database, cfg->busy_timeout_ms, &err);
    if (st == NULL) {
        log_msg(LOG_WARNING, NULL, "sender: database %s: %s", cfg->database, err->message);
        g_clear_error(&err);
        return;
    }
    outbox_relay_from_config(&relay, cfg);
    relay.stop = &sender_quit;
    if (!outbox_flush(st, &relay, mail, now, 0, &sum, &err)) {
        log_msg(LOG_WARNING, NULL, "sender: %s", err->message);
        g_clear_error(&err);
    } else if (sum.sent + sum.deferred + sum.failed + sum.dropped > 0) {
        log_msg(LOG_INFO, NULL, "sender: %u sent, %u deferred, %u failed, %u stale"
                " reminders dropped", sum.sent, sum.deferred, sum.failed, sum.dropped);
    }
    store_close(st);
}

/* The thread: a round when woken or when the interval has passed. */
static gpointer
sender_main(gpointer unused)
{
    struct sender_state ss = { 60 };
    sigset_t all;

    /* Signals belong to the main thread (see liaisond.c). */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    for (;;) {
        gint64 until;

        milter_with_settings(sender_round, &ss);
        g_mutex_lock(&sender_lock);
        until = g_get_monotonic_time() + (gint64)ss.interval * G_TIME_SPAN_SECOND;
        while (!sender_pending && !sender_quit)
            if (!g_cond_wait_until(&sender_cond, &sender_lock, until))
                break;
        sender_pending = FALSE;
        if (sender_quit) {
            g_mutex_unlock(&sender_lock);
            break;
        }
        g_mutex_unlock(&sender_lock);
    }
    g_mutex_lock(&sender_lock);
    sender_done = TRUE;
    g_cond_broadcast(&sender_cond);
    g_mutex_unlock(&sender_lock);
    return NULL;
}

/* Start the sender thread. */
gboolean
sender_start(GError **err)
{
    g_atomic_int_set(&sender_quit, 0);
    sender_done = FALSE;
    sender_thread = g_thread_try_new("sender", sender_main, NULL, err);
    return sender_thread != NULL;
}

/* Ask for a round now. */
void
sender_wake(void)
{
    g_mutex_lock(&sender_lock);
    sender_pending = TRUE;
    g_cond_signal(&sender_cond);
    g_mutex_unlock(&sender_lock);
}

/* Tell the thread to stop after the recipient in hand; do not wait. */
void
sender_request_stop(void)
{
    g_mutex_lock(&sender_lock);
    g_atomic_int_set(&sender_quit, 1);
    g_cond_signal(&sender_cond);
    g_mutex_unlock(&sender_lock);
}

/* Stop the thread and wait for it, for the recipient in hand, at most wait_s
 * seconds.  FALSE when it is still busy then: waiting for a relay's answer
 * to the end of DATA, which may take 10 minutes (RFC 5321), while systemd
 * kills a daemon that takes more than 45 s to stop.  The caller then
 * exits with the thread still blocked, having said so; that recipient is
 * sent again later, as after a kill, but the exit is the daemon's own. */
gboolean
sender_stop(int wait_s)
{
    gint64 until = g_get_monotonic_time() + (gint64) wait_s * G_TIME_SPAN_SECOND;
    gboolean done;

    if (sender_thread == NULL)
        return TRUE;
    sender_request_stop();
    g_mutex_lock(&sender_lock);
    while (!sender_done)
        if (!g_cond_wait_until(&sender_cond, &sender_lock, until))
            break;
    done = sender_done;
    g_mutex_unlock(&sender_lock);
    if (!done) {
        log_msg(LOG_WARNING, NULL, "sender: still waiting for the relay at the stop's"
                " deadline; stopping without it (the mail in hand is sent again later)");
        return FALSE;
    }
    g_thread_join(sender_thread);
    sender_thread = NULL;
    return TRUE;
}
