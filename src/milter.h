/*
 * milter.h: liaisond's libmilter callbacks: the glue between the MTA and the
 * core.  Mail that is not for an intake address is accepted as early as the
 * protocol allows; intake mail is spooled, handed to ingest_message() at
 * end of message, and the decision applied with smfi_* calls.
 *
 * The settings and directory in use are a reference-counted snapshot: a
 * reload (SIGHUP) swaps in a new one for the messages that start after it,
 * while messages in hand finish with the one they started with.
 */
#ifndef LIAISON_MILTER_H
#define LIAISON_MILTER_H

#include <glib.h>

struct config;
struct directory;

/* Register the callbacks with libmilter under name and install the first
 * snapshot (taking ownership of cfg and dir).  FALSE with *err set. */
gboolean milter_register(const char *name, struct config *cfg,
                         struct directory *dir, GError **err);
/* Replace the snapshot (taking ownership); messages in hand keep theirs. */
void    milter_reload(struct config *cfg, struct directory *dir);
/* Messages begun and not yet ended (for a clean stop). */
int     milter_in_flight(void);
/* SIGTERM: messages that begin from now on are not counted in hand, and
 * intake mail among them is deferred (451); the messages in hand go on. */
void    milter_stop_intake(void);
struct compose_settings;
/* Call fn with the current settings held (a reload cannot free them while
 * fn runs); does nothing before milter_register. */
void    milter_with_settings(void (*fn)(const struct config *cfg,
                                        const struct compose_settings *mail,
                                        gpointer data),
                             gpointer data);
/* Drop the current snapshot (at exit, after smfi_main returned). */
void    milter_shutdown(void);

#endif
