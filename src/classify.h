/*
 * classify.h: what kind of mail this is: a new statement, correspondence
 * on a statement already recorded, auto-generated mail, or a bounce.
 */
#ifndef LIAISON_CLASSIFY_H
#define LIAISON_CLASSIFY_H

#include <glib.h>

#include "message.h"

enum message_kind {
    KIND_STATEMENT,
    KIND_CORRESPONDENCE,
    KIND_AUTO,
    KIND_BOUNCE,
};

/* Looks up the statement a Message-ID belongs to: its id, 0 if none, -1 on
 * an internal failure (with *err set). */
typedef gint64 (*classify_lookup_fn)(const char *message_id, gpointer data,
                                     GError **err);

/* Classify m.  envelope_sender is the SMTP MAIL FROM ("" for the null
 * sender, NULL when unknown).  For correspondence, *statement_id is the
 * statement it refers to.  Returns FALSE with *err only when lookup failed. */
gboolean classify_message(const struct message *m, const char *envelope_sender,
                          classify_lookup_fn lookup, gpointer data,
                          enum message_kind *kind, gint64 *statement_id,
                          GError **err);
/* "statement", "correspondence", "auto", "bounce". */
const char *classify_kind_name(enum message_kind k);
/* The kind so named (as classify_kind_name gives it and the store keeps
 * it); FALSE for any other name. */
gboolean classify_kind_from_name(const char *name, enum message_kind *k);

#endif
