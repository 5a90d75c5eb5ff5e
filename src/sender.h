/*
 * sender.h: liaisond's outbox sender, a thread beside the milter that
 * delivers queued mail (notifications, acknowledgements, reminders,
 * reports) to the relay: at once when the milter has queued some, and
 * every sender_interval seconds for retries and for what the tickler
 * queued.  `liaisonctl flush` does the same job from cron; the outbox's
 * claim lets both run at once without sending a row twice.
 */
#ifndef LIAISON_SENDER_H
#define LIAISON_SENDER_H

#include <glib.h>

/* Start the thread (after milter_register, so settings exist). */
gboolean sender_start(GError **err);
/* Ask for a round now (cheap; callable from any thread). */
void    sender_wake(void);
/* Tell the thread to stop once the delivery in hand is done (cheap;
 * callable from any thread; SIGTERM calls it so that the sender winds
 * down while the milter drains). */
void    sender_request_stop(void);
/* Stop the thread, waiting at most wait_s seconds for the delivery in
 * hand to finish; FALSE (logged) when it has not, and the thread is left
 * running: the caller is about to exit. */
gboolean sender_stop(int wait_s);

#endif
